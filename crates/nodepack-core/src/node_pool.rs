//! NodePools: the templates Karpenter launches nodes from, with limits, weight and disruption settings.

use crate::duration::Duration;
use crate::label::{self, Labels};
use crate::requirement::Requirement;
use crate::requirements::Requirements;
use std::collections::BTreeMap;

use crate::resources::{Bytes, Millicores, ResourceName, Resources};
use crate::taint::Taint;

/// `spec.disruption.consolidationPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConsolidationPolicy {
    /// Only empty nodes are removed.
    WhenEmpty,
    /// Empty nodes are removed and underused ones consolidated for any saving (the default).
    #[default]
    WhenEmptyOrUnderutilized,
    /// Consolidation only when the saving outweighs the disruption (Karpenter v1.14).
    Balanced,
}

/// Why Karpenter disrupts a node (the budget `reasons`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DisruptionReason {
    /// The node hosts no reschedulable pods.
    Empty,
    /// The node no longer matches its NodePool.
    Drifted,
    /// The node's pods fit elsewhere, more cheaply.
    Underutilized,
}

impl DisruptionReason {
    /// The reason as Karpenter spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            DisruptionReason::Empty => "Empty",
            DisruptionReason::Drifted => "Drifted",
            DisruptionReason::Underutilized => "Underutilized",
        }
    }
    /// Reads a reason.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Empty" => Some(DisruptionReason::Empty),
            "Drifted" => Some(DisruptionReason::Drifted),
            "Underutilized" => Some(DisruptionReason::Underutilized),
            _ => None,
        }
    }
}

/// How many nodes a budget allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetNodes {
    /// A fixed count.
    Count(u32),
    /// A percentage (0 to 100) of the pool's nodes, rounded up.
    Percent(u8),
}

/// One disruption budget.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Budget {
    /// How many nodes may be disrupted at once.
    pub nodes: BudgetNodes,
    /// The reasons it applies to (all when empty).
    pub reasons: Vec<DisruptionReason>,
    /// A cron schedule (UTC) when the budget becomes active, with `duration`.
    pub schedule: Option<String>,
    /// How long the budget stays active after each schedule hit.
    pub duration: Option<Duration>,
}

/// `spec.disruption`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisruptionSettings {
    /// The policy.
    pub consolidation_policy: ConsolidationPolicy,
    /// How long a node must go without pod events before it may be consolidated; `None` is `Never`.
    pub consolidate_after: Option<Duration>,
    /// Budgets; Karpenter's default is one budget of 10 %.
    pub budgets: Vec<Budget>,
}

impl Default for DisruptionSettings {
    fn default() -> Self {
        DisruptionSettings {
            consolidation_policy: ConsolidationPolicy::WhenEmptyOrUnderutilized,
            consolidate_after: Some(Duration(0)),
            budgets: vec![Budget { nodes: BudgetNodes::Percent(10), reasons: vec![], schedule: None, duration: None }],
        }
    }
}

/// `spec.limits`: a cap per named resource. A resource not named is unlimited; one named with
/// `0` stops the pool from launching anything that has it (Karpenter's way to pause a pool).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Limits {
    entries: BTreeMap<ResourceName, i64>,
}

impl Limits {
    /// No limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// These limits with `name` capped at `amount`.
    #[must_use]
    pub fn with(mut self, name: ResourceName, amount: i64) -> Self {
        self.set(&name, amount);
        self
    }

    /// Caps one resource (zero included).
    pub fn set(&mut self, name: &ResourceName, amount: i64) {
        self.entries.insert(name.clone(), amount);
    }

    /// The cap on a resource, `None` when it is unlimited.
    pub fn limit(&self, name: &ResourceName) -> Option<i64> {
        self.entries.get(name).copied()
    }

    /// The cap on a resource, 0 when it is not named (use [`limit`](Self::limit) to tell the two apart).
    pub fn get(&self, name: &ResourceName) -> i64 {
        self.limit(name).unwrap_or(0)
    }

    /// The CPU cap (0 when unlimited).
    pub fn cpu(&self) -> Millicores {
        Millicores(self.get(&ResourceName::Cpu))
    }

    /// The memory cap (0 when unlimited).
    pub fn memory(&self) -> Bytes {
        Bytes(self.get(&ResourceName::Memory))
    }

    /// Every capped resource, by name.
    pub fn iter(&self) -> impl Iterator<Item = (ResourceName, i64)> + '_ {
        self.entries.iter().map(|(k, v)| (k.clone(), *v))
    }

    /// Whether no resource is capped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caps as a resource list (a cap of 0 reads as 0).
    pub fn to_resources(&self) -> Resources {
        let mut r = Resources::new();
        for (k, v) in &self.entries {
            r.set(k, *v);
        }
        r
    }
}

/// A NodePool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePool {
    /// `metadata.name`.
    pub name: String,
    /// `spec.weight`: higher is tried first.
    pub weight: i32,
    /// `spec.template.metadata.labels`.
    pub labels: Labels,
    /// `spec.template.spec.requirements`.
    pub requirements: Requirements,
    /// `spec.template.spec.taints`.
    pub taints: Vec<Taint>,
    /// `spec.template.spec.startupTaints`.
    pub startup_taints: Vec<Taint>,
    /// `spec.template.spec.expireAfter`; `None` is `Never`. Karpenter's default is 720h.
    pub expire_after: Option<Duration>,
    /// `spec.template.spec.nodeClassRef.name`.
    pub node_class: Option<String>,
    /// `spec.limits` on resources; resources not named are unlimited.
    pub limits: Limits,
    /// `spec.limits.nodes`.
    pub node_limit: Option<i64>,
    /// `spec.disruption`.
    pub disruption: DisruptionSettings,
}

impl NodePool {
    /// A NodePool with Karpenter's defaults and no requirements.
    pub fn new(name: &str) -> Self {
        NodePool {
            name: name.to_string(),
            weight: 0,
            labels: Labels::new(),
            requirements: Requirements::new(),
            taints: vec![],
            startup_taints: vec![],
            expire_after: Some(Duration::hours(720)),
            node_class: None,
            limits: Limits::new(),
            node_limit: None,
            disruption: DisruptionSettings::default(),
        }
    }

    /// Whether any resource or node limit is set.
    pub fn has_limits(&self) -> bool {
        !self.limits.is_empty() || self.node_limit.is_some()
    }

    /// The requirements every node from this pool has: its requirements, its template labels as
    /// `In` requirements, and `karpenter.sh/nodepool In [name]` (Karpenter's `NodeClaimTemplate`).
    pub fn template_requirements(&self) -> Requirements {
        let mut r = self.requirements.clone();
        r.add_all(&Requirements::from_labels(&self.labels));
        r.add(Requirement::single(label::NODE_POOL, &self.name));
        r
    }
}

//! Disruption candidates: which nodes a disruption method may consider, with their price,
//! their reschedulable pods and their disruption cost (Karpenter's `NewCandidate`, statenode.go
//! `ValidateNodeDisruptable` / `ValidatePodsDisruptable`, and the pool-level filters of each method).

use std::collections::{BTreeMap, BTreeSet};

use super::blocked::BlockReason;
use super::pdb::PdbLimits;
use crate::cluster::Cluster;
use crate::duration::Duration;
use crate::instance_type::InstanceType;
use crate::label;
use crate::node::Node;
use crate::node_pool::{ConsolidationPolicy, NodePool};
use crate::pod::Pod;
use crate::price::Price;
use crate::requirements::Requirements;

/// The annotation Kubernetes reads as a pod's deletion cost.
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

/// Karpenter's `EvictionCost`: `1 + deletion-cost/2^27 + priority/2^25`, clamped to [-10, 10].
/// A deletion cost that does not parse (or is not finite) is ignored.
///
/// ```
/// use nodepack_core::{Pod, Resources};
/// use nodepack_core::disruption::eviction_cost;
/// let mut p = Pod::new("a", Resources::new());
/// assert_eq!(eviction_cost(&p), 1.0);
/// p.priority = 1 << 25;
/// assert_eq!(eviction_cost(&p), 2.0);
/// p.annotations.insert("controller.kubernetes.io/pod-deletion-cost".into(), "-2147483647".into());
/// assert!(eviction_cost(&p) < 0.0);
/// ```
pub fn eviction_cost(pod: &Pod) -> f64 {
    let mut cost = 1.0;
    if let Some(v) = pod.annotations.get(POD_DELETION_COST) {
        if let Ok(c) = v.trim().parse::<f64>() {
            if c.is_finite() {
                cost += c / f64::from(1u32 << 27);
            }
        }
    }
    cost += f64::from(pod.priority) / f64::from(1u32 << 25);
    cost.clamp(-10.0, 10.0)
}

/// Whether Karpenter reschedules the pod elsewhere when its node goes (DaemonSet and mirror
/// pods are not).
pub(crate) fn is_reschedulable(pod: &Pod) -> bool {
    !pod.is_daemon()
}

/// `1 + Σ max(0, eviction cost)` over reschedulable pods (Karpenter's `RescheduleDisruptionCost`).
pub(crate) fn reschedule_cost<'a>(pods: impl IntoIterator<Item = &'a Pod>) -> f64 {
    1.0 + pods.into_iter().filter(|p| is_reschedulable(p)).map(|p| eviction_cost(p).max(0.0)).sum::<f64>()
}

/// A pod's `karpenter.sh/do-not-disrupt`, if it is in force now: `Some(None)` for `"true"`,
/// `Some(Some(left))` for a duration that has not run out since the pod's creation. A value
/// that is neither `"true"` nor a positive Go duration is ignored, as Karpenter ignores it (it
/// emits an event). A pod whose creation time is unknown (0) is protected for the whole
/// duration, as Karpenter protects a pod without a start time.
pub(crate) fn do_not_disrupt(pod: &Pod, now: i64) -> Option<Option<Duration>> {
    let v = pod.do_not_disrupt_annotation()?;
    if v == "true" {
        return Some(None);
    }
    // Go's time.ParseDuration knows no `d` unit.
    if v.contains('d') {
        return None;
    }
    let d = Duration::parse(v).ok().filter(|d| d.0 > 0)?;
    if pod.created == 0 {
        return Some(Some(d));
    }
    let age = now.saturating_sub(pod.created);
    (age < d.0).then(|| Some(Duration(d.0 - age)))
}

/// The time `consolidateAfter` counts from: the last pod event, or without one the later of
/// the latest non-daemon pod creation and the node's initialization (or creation).
pub(crate) fn last_pod_event(node: &Node) -> i64 {
    if let Some(t) = node.last_pod_event {
        return t;
    }
    let init = node.initialized_at.unwrap_or(node.created);
    node.pods.iter().filter(|p| !p.is_daemon()).map(|p| p.created).fold(init, i64::max)
}

/// Karpenter's `IsUnderConsolidateAfter`: an initialized node of a pool with a positive
/// `consolidateAfter` whose last pod event is more recent than that.
pub(crate) fn under_consolidate_after(node: &Node, pool: &NodePool, now: i64) -> Option<BlockReason> {
    let after = pool.disruption.consolidate_after?;
    if after.0 <= 0 || !node.initialized {
        return None;
    }
    let since = last_pod_event(node);
    let at = since.saturating_add(after.0);
    (now < at).then(|| BlockReason::ConsolidateAfter { at, remaining: Duration(at.saturating_sub(now)) })
}

/// Requirement, label and taint drift: the node's labels no longer satisfy its NodePool's
/// `requirements` and template labels, or it lacks one of the pool's `taints`.
pub(crate) struct DriftCheck {
    by_pool: BTreeMap<String, Requirements>,
}

impl DriftCheck {
    pub(crate) fn new(cluster: &Cluster) -> Self {
        let by_pool = cluster
            .node_pools
            .iter()
            .map(|p| {
                let mut r = p.requirements.clone();
                r.add_all(&Requirements::from_labels(&p.labels));
                (p.name.clone(), r)
            })
            .collect();
        DriftCheck { by_pool }
    }

    pub(crate) fn drifted(&self, node: &Node, pool: &NodePool) -> bool {
        let reqs_drifted = self.by_pool.get(&pool.name).is_some_and(|r| !r.matches_labels(&node.labels));
        reqs_drifted || pool.taints.iter().any(|t| !node.taints.contains(t))
    }
}

/// The price of a running node: its instance type's offering in the node's zone and capacity
/// type (available or not), 0 when there is none (Karpenter's `resolveNodePrice`).
pub(crate) fn node_price(node: &Node, it: Option<&InstanceType>) -> Price {
    match (it, node.zone(), node.capacity_type()) {
        (Some(it), Some(z), Some(ct)) => it.offering_for(z, ct).map_or(Price(0), |o| o.price),
        _ => Price(0),
    }
}

/// A node that passed every node- and pod-level check, ready for the methods to filter.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'c> {
    pub(crate) node: &'c Node,
    pub(crate) pool: &'c NodePool,
    pub(crate) instance_type: Option<&'c InstanceType>,
    pub(crate) price: Price,
    /// The pods that would move (non-daemon), in the node's order.
    pub(crate) reschedulable: Vec<&'c Pod>,
    /// `1 + Σ max(0, eviction cost)` over those pods.
    pub(crate) disruption_cost: f64,
    /// When the node drifted (explicitly, or its creation time for computed drift).
    pub(crate) drifted: Option<i64>,
    /// Whether Emptiness may take it (`consolidateAfter` set and passed).
    pub(crate) emptiness: Result<(), BlockReason>,
    /// Whether consolidation may take it (also: price known, not `WhenEmpty`).
    pub(crate) consolidation: Result<(), BlockReason>,
}

impl Candidate<'_> {
    pub(crate) fn name(&self) -> &str {
        &self.node.name
    }

    /// Karpenter's `IsEmpty`: no pod adds a positive eviction cost.
    pub(crate) fn is_empty(&self) -> bool {
        self.disruption_cost <= 1.0
    }

    /// Price per unit of disruption: the consolidation sort key.
    pub(crate) fn savings_ratio(&self) -> f64 {
        self.price.as_dollars() / self.disruption_cost
    }

    pub(crate) fn is_spot(&self) -> bool {
        self.node.capacity_type() == Some(label::SPOT)
    }
}

/// Sorts by savings ratio, highest first (ties by name, so the order never depends on input order).
pub(crate) fn sort_by_savings_ratio(c: &mut [&Candidate<'_>]) {
    c.sort_by(|a, b| b.savings_ratio().total_cmp(&a.savings_ratio()).then_with(|| a.name().cmp(b.name())));
}

/// Every node sorted into candidates and blocked nodes.
pub(crate) struct Classified<'c> {
    pub(crate) candidates: Vec<Candidate<'c>>,
    pub(crate) blocked: BTreeMap<String, BlockReason>,
}

/// Checks every node (except those in `skip`) as Karpenter's `NewCandidate` does.
pub(crate) fn classify<'c>(
    cluster: &'c Cluster,
    now: i64,
    pdbs: &PdbLimits<'_>,
    skip: &BTreeSet<&str>,
) -> Classified<'c> {
    let drift = DriftCheck::new(cluster);
    let mut nodes: Vec<&Node> = cluster.nodes.iter().filter(|n| !skip.contains(n.name.as_str())).collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut candidates = vec![];
    let mut blocked = BTreeMap::new();
    for node in nodes {
        match candidate(cluster, node, now, pdbs, &drift) {
            Ok(c) => candidates.push(c),
            Err(r) => {
                blocked.entry(node.name.clone()).or_insert(r);
            }
        }
    }
    Classified { candidates, blocked }
}

fn candidate<'c>(
    cluster: &'c Cluster,
    node: &'c Node,
    now: i64,
    pdbs: &PdbLimits<'_>,
    drift: &DriftCheck,
) -> Result<Candidate<'c>, BlockReason> {
    let Some(pool_name) = node.node_pool() else { return Err(BlockReason::NotManaged) };
    if !node.initialized {
        return Err(BlockReason::NotInitialized);
    }
    if node.deleting {
        return Err(BlockReason::Deleting);
    }
    if node.nominated {
        return Err(BlockReason::Nominated);
    }
    if node.annotations.get(label::DO_NOT_DISRUPT).map(String::as_str) == Some("true") {
        return Err(BlockReason::NodeDoNotDisrupt);
    }
    let Some(pool) = cluster.node_pool(pool_name) else {
        return Err(BlockReason::UnknownNodePool { pool: pool_name.to_string() });
    };
    let types = cluster.instance_types_for(pool_name);
    if types.is_empty() {
        return Err(BlockReason::NoInstanceTypes { pool: pool_name.to_string() });
    }
    for p in &node.pods {
        if let Some(remaining) = do_not_disrupt(p, now) {
            return Err(BlockReason::PodDoNotDisrupt { pod: p.key(), remaining });
        }
    }
    for p in &node.pods {
        if let Some(r) = pdbs.eviction_blocker(p, false) {
            return Err(r);
        }
    }
    let instance_type = node.instance_type().and_then(|name| types.iter().find(|t| t.name == name));
    let reschedulable: Vec<&Pod> = node.pods.iter().filter(|p| is_reschedulable(p)).collect();
    let disruption_cost = reschedule_cost(reschedulable.iter().copied());

    let never = || BlockReason::ConsolidateAfterNever { pool: pool.name.clone() };
    let emptiness = if pool.disruption.consolidate_after.is_none() {
        Err(never())
    } else {
        under_consolidate_after(node, pool, now).map_or(Ok(()), Err)
    };
    // Karpenter's consolidation ShouldDisrupt, in its order (emptiness is checked by the method).
    let consolidation = if instance_type.is_none() {
        Err(BlockReason::UnknownInstanceType { instance_type: node.instance_type().unwrap_or("").to_string() })
    } else if node.capacity_type().is_none() {
        Err(BlockReason::MissingLabel { label: label::CAPACITY_TYPE.to_string() })
    } else if node.zone().is_none() {
        Err(BlockReason::MissingLabel { label: label::ZONE.to_string() })
    } else if pool.disruption.consolidate_after.is_none() {
        Err(never())
    } else if pool.disruption.consolidation_policy == ConsolidationPolicy::WhenEmpty && disruption_cost > 1.0 {
        Err(BlockReason::WhenEmpty { pool: pool.name.clone() })
    } else {
        emptiness.clone()
    };
    let drifted = node.drifted_at.or_else(|| drift.drifted(node, pool).then_some(node.created));
    Ok(Candidate {
        node,
        pool,
        instance_type,
        price: node_price(node, instance_type),
        reschedulable,
        disruption_cost,
        drifted,
        emptiness,
        consolidation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Resources;

    #[test]
    fn do_not_disrupt_values() {
        let mut p = Pod::new("a", Resources::new());
        p.created = 1000;
        assert_eq!(do_not_disrupt(&p, 2000), None);
        p.annotations.insert(label::DO_NOT_DISRUPT.into(), "true".into());
        assert_eq!(do_not_disrupt(&p, 2000), Some(None));
        p.annotations.insert(label::DO_NOT_DISRUPT.into(), "30m".into());
        assert_eq!(do_not_disrupt(&p, 1000 + 600), Some(Some(Duration(1200))));
        assert_eq!(do_not_disrupt(&p, 1000 + 1800), None);
        for ignored in ["false", "1d", "-5m", "0s", "soon"] {
            p.annotations.insert(label::DO_NOT_DISRUPT.into(), ignored.into());
            assert_eq!(do_not_disrupt(&p, 1001), None, "{ignored}");
        }
        p.created = 0;
        p.annotations.insert(label::DO_NOT_DISRUPT.into(), "5m".into());
        assert_eq!(do_not_disrupt(&p, 1_000_000), Some(Some(Duration(300))));
    }

    #[test]
    fn emptiness_by_eviction_cost() {
        let mut p = Pod::new("a", Resources::new());
        assert_eq!(reschedule_cost([&p]), 2.0);
        p.annotations.insert(POD_DELETION_COST.into(), "-1e12".into());
        assert_eq!(reschedule_cost([&p]), 1.0);
        p.annotations.insert(POD_DELETION_COST.into(), "NaN".into());
        assert_eq!(reschedule_cost([&p]), 2.0);
        p.owner_kind = Some("DaemonSet".into());
        p.annotations.clear();
        assert_eq!(reschedule_cost([&p]), 1.0);
        p.priority = i32::MAX;
        p.owner_kind = None;
        assert_eq!(eviction_cost(&p), 10.0);
    }

    #[test]
    fn pod_events_fall_back() {
        let mut n = Node { created: 100, ..Default::default() };
        assert_eq!(last_pod_event(&n), 100);
        n.initialized_at = Some(150);
        assert_eq!(last_pod_event(&n), 150);
        let mut p = Pod::new("a", Resources::new());
        p.created = 400;
        n.pods.push(p.clone());
        assert_eq!(last_pod_event(&n), 400);
        p.created = 900;
        p.owner_kind = Some("DaemonSet".into());
        n.pods.push(p);
        assert_eq!(last_pod_event(&n), 400);
        n.last_pod_event = Some(200);
        assert_eq!(last_pod_event(&n), 200);
    }
}

//! Topology spread constraints as a pod carries them.

use crate::label_selector::LabelSelector;

/// What happens when a spread constraint cannot be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WhenUnsatisfiable {
    /// The pod must not be scheduled (a hard constraint).
    #[default]
    DoNotSchedule,
    /// A preference, relaxed when it cannot be met.
    ScheduleAnyway,
}

/// Whether node affinity or node taints limit which domains a constraint counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InclusionPolicy {
    /// Only nodes the pod could land on count.
    Honor,
    /// Every node counts.
    Ignore,
}

/// `topologySpreadConstraints[]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopologySpreadConstraint {
    /// The largest allowed difference between a domain's count and the global minimum.
    pub max_skew: i32,
    /// The node label that defines a domain.
    pub topology_key: String,
    /// Hard or soft.
    pub when_unsatisfiable: WhenUnsatisfiable,
    /// The pods counted.
    pub selector: LabelSelector,
    /// With fewer eligible domains than this, the global minimum is taken as zero.
    pub min_domains: Option<i32>,
    /// Default `Honor`.
    pub node_affinity_policy: InclusionPolicy,
    /// Default `Ignore`.
    pub node_taints_policy: InclusionPolicy,
    /// Pod label keys whose values are added to the selector.
    pub match_label_keys: Vec<String>,
}

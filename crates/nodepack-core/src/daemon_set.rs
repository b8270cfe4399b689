//! DaemonSets: one pod on every node whose taints and labels admit it.

use crate::pod::Pod;

/// A DaemonSet, reduced to its pod template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSet {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The pod each node runs (its requests, tolerations, affinity and host ports).
    pub template: Pod,
}

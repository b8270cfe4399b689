//! Kubelet settings from an `EC2NodeClass` (`spec.kubelet`): they change every instance type's
//! allocatable for the NodePools that use the class.

use std::collections::BTreeMap;

/// `spec.kubelet` of an EC2NodeClass. Resource values are kept as the Kubernetes quantity text
/// given in the manifest; `evictionHard` values may be quantities or percentages (`"10%"`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KubeletConfig {
    /// `maxPods`: overrides the ENI-limited pod count.
    pub max_pods: Option<i64>,
    /// `podsPerCore`: caps pods at this many per vCPU.
    pub pods_per_core: Option<i64>,
    /// `kubeReserved`, resource name to quantity text.
    pub kube_reserved: BTreeMap<String, String>,
    /// `systemReserved`, resource name to quantity text.
    pub system_reserved: BTreeMap<String, String>,
    /// `evictionHard`, signal (`memory.available`, `nodefs.available`, ...) to quantity or percent.
    pub eviction_hard: BTreeMap<String, String>,
}

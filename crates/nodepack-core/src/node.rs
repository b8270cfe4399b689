//! Existing nodes: Karpenter-managed ones and static ones (a managed node group).

use crate::label::{self, Labels};
use crate::pod::Pod;
use crate::resources::Resources;
use crate::taint::Taint;

/// A node that already exists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// `metadata.name`.
    pub name: String,
    /// Labels (instance type, zone, capacity type, and `karpenter.sh/nodepool` on Karpenter nodes).
    pub labels: Labels,
    /// Annotations.
    pub annotations: Labels,
    /// Creation time, seconds since the Unix epoch.
    pub created: i64,
    /// `spec.taints`.
    pub taints: Vec<Taint>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// `status.capacity`.
    pub capacity: Resources,
    /// `status.allocatable`.
    pub allocatable: Resources,
    /// Karpenter nodes: carries `karpenter.sh/initialized`; static nodes: Ready.
    pub initialized: bool,
    /// Whether the node is being deleted.
    pub deleting: bool,
    /// The pods bound to it.
    pub pods: Vec<Pod>,
}

impl Node {
    /// The NodePool that manages this node, if any (a node without one is static).
    pub fn node_pool(&self) -> Option<&str> {
        self.labels.get(label::NODE_POOL).map(String::as_str)
    }
    /// `node.kubernetes.io/instance-type`.
    pub fn instance_type(&self) -> Option<&str> {
        self.labels.get(label::INSTANCE_TYPE).map(String::as_str)
    }
    /// `topology.kubernetes.io/zone`.
    pub fn zone(&self) -> Option<&str> {
        self.labels.get(label::ZONE).map(String::as_str)
    }
    /// `karpenter.sh/capacity-type`.
    pub fn capacity_type(&self) -> Option<&str> {
        self.labels.get(label::CAPACITY_TYPE).map(String::as_str)
    }
    /// The sum of the bound pods' requests (pods counted as one each).
    pub fn requested(&self) -> Resources {
        let mut r = Resources::new();
        for p in &self.pods {
            let _ = r.add_assign_checked(&p.scheduling_requests());
        }
        r
    }
    /// Allocatable minus what bound pods request (may be negative when overcommitted).
    pub fn available(&self) -> Resources {
        self.allocatable.saturating_sub(&self.requested())
    }
    /// The taints the scheduler sees: `spec.taints`, plus `node.kubernetes.io/unschedulable`
    /// when cordoned (as the node lifecycle controller adds it).
    pub fn effective_taints(&self) -> Vec<Taint> {
        let mut t = self.taints.clone();
        if self.unschedulable && !t.iter().any(|x| x.key == "node.kubernetes.io/unschedulable") {
            t.push(Taint::new("node.kubernetes.io/unschedulable", "", crate::taint::Effect::NoSchedule));
        }
        t
    }
}

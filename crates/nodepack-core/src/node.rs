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
    /// When the node became initialized (the NodeClaim's `Initialized` condition), seconds since
    /// the Unix epoch; `None` when unknown (disruption then counts from `created`).
    pub initialized_at: Option<i64>,
    /// The last time a pod was bound to or left the node (the NodeClaim's
    /// `status.lastPodEventTime`; DaemonSet pods do not count). `None` when unknown: disruption
    /// then uses the latest creation time of the node's non-daemon pods, or `initialized_at`
    /// (or `created`) when that is later.
    pub last_pod_event: Option<i64>,
    /// When the node was found drifted (the NodeClaim's `Drifted` condition), for drift a
    /// simulator or a user decides on; disruption also finds requirement, label and taint drift
    /// by itself (see [`crate::disruption`]).
    pub drifted_at: Option<i64>,
    /// Whether a recent provisioning pass nominated the node for a pending pod (Karpenter does
    /// not disrupt nominated nodes).
    pub nominated: bool,
    /// Whether the node's `Ready` condition is not `True`. A not-ready node of a NodePool uses up
    /// one of the pool's disruptions (as a deleting one does).
    pub not_ready: bool,
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

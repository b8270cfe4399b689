//! Pods: what the scheduler needs to know about one.

use crate::affinity::{NodeAffinity, PodAffinity};
use crate::label::{self, Labels};
use crate::requirements::Requirements;
use crate::resources::{ResourceName, Resources};
use crate::taint::Toleration;
use crate::topology_spread::TopologySpreadConstraint;

/// A host port a container binds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostPort {
    /// The port.
    pub port: u16,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    /// The host IP (`0.0.0.0` when unset).
    pub host_ip: String,
}

impl HostPort {
    /// Whether two host ports collide on one node (same port and protocol, and the same IP or a
    /// wildcard on either side).
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.host_ip == other.host_ip || self.host_ip == "0.0.0.0" || other.host_ip == "0.0.0.0")
    }
}

/// A pod.
///
/// `requests` are the pod's effective requests (see [`pod_requests`](crate::pod_requests)),
/// without the implicit `pods: 1`, which the scheduler adds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pod {
    /// Namespace (`default` when unset).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: Labels,
    /// Annotations.
    pub annotations: Labels,
    /// Creation time, seconds since the Unix epoch (0 when unknown).
    pub created: i64,
    /// The kind of the controlling owner (`ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`, `Node`, ...).
    pub owner_kind: Option<String>,
    /// The node the pod is bound to, if any.
    pub node_name: Option<String>,
    /// Effective requests.
    pub requests: Resources,
    /// `spec.nodeSelector`.
    pub node_selector: Labels,
    /// `spec.affinity.nodeAffinity`.
    pub node_affinity: NodeAffinity,
    /// `spec.affinity.podAffinity`.
    pub pod_affinity: PodAffinity,
    /// `spec.affinity.podAntiAffinity`.
    pub pod_anti_affinity: PodAffinity,
    /// `spec.tolerations`.
    pub tolerations: Vec<Toleration>,
    /// `spec.topologySpreadConstraints`.
    pub topology_spread: Vec<TopologySpreadConstraint>,
    /// `spec.priority`.
    pub priority: i32,
    /// Host ports of every container.
    pub host_ports: Vec<HostPort>,
}

impl Pod {
    /// A pod with a name and requests, in namespace `default`.
    pub fn new(name: &str, requests: Resources) -> Self {
        Pod { namespace: "default".into(), name: name.into(), requests, ..Default::default() }
    }

    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Whether a DaemonSet (or the node itself) owns the pod: such pods are overhead, never pending work.
    pub fn is_daemon(&self) -> bool {
        matches!(self.owner_kind.as_deref(), Some("DaemonSet") | Some("Node"))
    }

    /// The requests the scheduler fits, including `pods: 1`.
    pub fn scheduling_requests(&self) -> Resources {
        let mut r = self.requests.clone();
        r.set(&ResourceName::Pods, r.pods().saturating_add(1));
        r
    }

    /// Node requirements from the node selector and the first required node-affinity term only
    /// (Karpenter's strict pod requirements: preferences left out).
    pub fn strict_requirements(&self) -> Requirements {
        let mut r = Requirements::from_labels(&self.node_selector);
        if let Some(first) = self.node_affinity.required.first() {
            r.add_all(first);
        }
        r
    }

    /// Karpenter's pod requirements: the strict ones plus the heaviest preferred node-affinity
    /// term treated as required. A preference that contradicts the strict requirements (no value,
    /// nor the label's absence, satisfies both) is left out: Karpenter would intersect them into
    /// an empty set that reads as `DoesNotExist` and place the pod where its selector fails.
    pub fn requirements(&self) -> Requirements {
        let mut r = self.strict_requirements();
        if let Some((_, heaviest)) = self.heaviest_preferred_node_term() {
            if r.first_intersect_conflict(heaviest).is_none() {
                r.add_all(heaviest);
            }
        }
        r
    }

    fn heaviest_preferred_node_term(&self) -> Option<&(i32, Requirements)> {
        // The first of the heaviest terms, in the order written.
        let mut best: Option<&(i32, Requirements)> = None;
        for t in &self.node_affinity.preferred {
            if best.is_none_or(|b| t.0 > b.0) {
                best = Some(t);
            }
        }
        best
    }

    /// Whether the pod's `karpenter.sh/do-not-disrupt` annotation is set to `"true"`.
    pub fn do_not_disrupt_annotation(&self) -> Option<&str> {
        self.annotations.get(label::DO_NOT_DISRUPT).map(String::as_str)
    }
}

//! PodDisruptionBudgets as disruption sees them (Karpenter's `pdb.Limits`), with
//! `disruptionsAllowed` computed the way Kubernetes' disruption controller does.

use super::blocked::BlockReason;
use crate::cluster::Cluster;
use crate::pod::Pod;
use crate::pod_disruption_budget::{IntOrPercent, PodDisruptionBudget};
use crate::taint::{Effect, Taint};

/// One PDB with its current status.
#[derive(Debug, Clone)]
pub(crate) struct PdbStatus<'c> {
    pub(crate) pdb: &'c PodDisruptionBudget,
    /// `status.disruptionsAllowed`.
    pub(crate) allowed: i64,
    /// `maxUnavailable: 0` / `"0%"` or `minAvailable: "100%"`: no eviction ever.
    pub(crate) fully_blocking: bool,
}

/// Every PDB of the cluster with its status.
#[derive(Debug, Clone, Default)]
pub(crate) struct PdbLimits<'c> {
    items: Vec<PdbStatus<'c>>,
}

/// The key a PDB is shown by.
pub(crate) fn pdb_key(p: &PodDisruptionBudget) -> String {
    format!("{}/{}", p.namespace, p.name)
}

fn selects(pdb: &PodDisruptionBudget, pod: &Pod) -> bool {
    pdb.namespace == pod.namespace && pdb.selector.matches(&pod.labels)
}

/// `status.disruptionsAllowed` of a PDB over its pods: every selected pod is expected (the
/// controllers' scale), every bound one counts as healthy (nodepack does not model readiness),
/// and the desired healthy count follows `maxUnavailable` (preferred, as in Kubernetes) or
/// `minAvailable`, percentages rounded up.
pub(crate) fn disruptions_allowed(pdb: &PodDisruptionBudget, expected: i64, healthy: i64) -> i64 {
    let desired = if let Some(max_unavailable) = pdb.max_unavailable {
        (expected - scaled(max_unavailable, expected)).max(0)
    } else if let Some(min_available) = pdb.min_available {
        scaled(min_available, expected)
    } else {
        0
    };
    if expected <= 0 {
        return 0;
    }
    (healthy - desired).max(0)
}

fn scaled(v: IntOrPercent, total: i64) -> i64 {
    match v {
        IntOrPercent::Int(n) => n,
        IntOrPercent::Percent(p) => total.saturating_mul(i64::from(p)).saturating_add(99).div_euclid(100),
    }
}

fn fully_blocking(pdb: &PodDisruptionBudget) -> bool {
    matches!(pdb.max_unavailable, Some(IntOrPercent::Int(0)) | Some(IntOrPercent::Percent(0)))
        || matches!(pdb.min_available, Some(IntOrPercent::Percent(100)))
}

/// Whether the pod tolerates `karpenter.sh/disrupted:NoSchedule` (Karpenter does not evict such pods).
fn tolerates_disrupted_taint(pod: &Pod) -> bool {
    let t = Taint::new("karpenter.sh/disrupted", "", Effect::NoSchedule);
    pod.tolerations.iter().any(|tol| tol.tolerates(&t))
}

impl<'c> PdbLimits<'c> {
    /// Statuses for every PDB, counting the pods bound in the cluster (healthy and expected) and
    /// the pending ones (expected only).
    pub(crate) fn new(cluster: &'c Cluster, pending: &[Pod]) -> Self {
        let items = cluster
            .pdbs
            .iter()
            .map(|pdb| {
                let mut healthy = 0i64;
                for n in &cluster.nodes {
                    healthy += n.pods.iter().filter(|p| selects(pdb, p)).count() as i64;
                }
                let pending_selected = pending.iter().filter(|p| p.node_name.is_none() && selects(pdb, p)).count();
                let expected = healthy + pending_selected as i64;
                PdbStatus {
                    pdb,
                    allowed: disruptions_allowed(pdb, expected, healthy),
                    fully_blocking: fully_blocking(pdb),
                }
            })
            .collect();
        PdbLimits { items }
    }

    fn matching(&self, pod: &Pod) -> Vec<&PdbStatus<'c>> {
        self.items.iter().filter(|s| selects(s.pdb, pod)).collect()
    }

    /// Karpenter's `CanEvictPods` for one pod: why a PDB stops its eviction, if one does. Pods
    /// Karpenter does not evict (mirror pods, pods tolerating the disrupted taint, pods with an
    /// active do-not-disrupt) are never blocked here; `do_not_disrupt_active` says whether the
    /// last applies.
    pub(crate) fn eviction_blocker(&self, pod: &Pod, do_not_disrupt_active: bool) -> Option<BlockReason> {
        if pod.owner_kind.as_deref() == Some("Node") || tolerates_disrupted_taint(pod) || do_not_disrupt_active {
            return None;
        }
        let m = self.matching(pod);
        if m.len() > 1 {
            return Some(BlockReason::MultiplePdbs {
                pod: pod.key(),
                pdbs: m.iter().map(|s| pdb_key(s.pdb)).collect(),
            });
        }
        m.first().filter(|s| s.allowed <= 0).map(|s| BlockReason::Pdb { pod: pod.key(), pdb: pdb_key(s.pdb) })
    }

    /// Whether a PDB that never allows eviction covers the pod (such pods are not rescheduled
    /// from deleting nodes: Karpenter does not know when they will leave).
    pub(crate) fn fully_blocked(&self, pod: &Pod) -> bool {
        if pod.owner_kind.as_deref() == Some("Node") || tolerates_disrupted_taint(pod) {
            return false;
        }
        let m = self.matching(pod);
        m.len() > 1 || m.first().is_some_and(|s| s.fully_blocking)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label_selector::LabelSelector;
    use crate::Labels;

    fn pdb(min: Option<IntOrPercent>, max: Option<IntOrPercent>) -> PodDisruptionBudget {
        let mut l = Labels::new();
        l.insert("app".into(), "web".into());
        PodDisruptionBudget {
            namespace: "default".into(),
            name: "web".into(),
            selector: LabelSelector::from_labels(&l),
            min_available: min,
            max_unavailable: max,
        }
    }

    #[test]
    fn allowed_like_kubernetes() {
        use IntOrPercent::*;
        assert_eq!(disruptions_allowed(&pdb(Some(Int(2)), None), 3, 3), 1);
        assert_eq!(disruptions_allowed(&pdb(Some(Int(3)), None), 3, 3), 0);
        assert_eq!(disruptions_allowed(&pdb(Some(Percent(50)), None), 3, 3), 1); // ceil(1.5) = 2 desired
        assert_eq!(disruptions_allowed(&pdb(None, Some(Int(1))), 3, 3), 1);
        assert_eq!(disruptions_allowed(&pdb(None, Some(Int(1))), 4, 3), 0); // one pod pending already
        assert_eq!(disruptions_allowed(&pdb(None, Some(Percent(34))), 3, 3), 2); // ceil(1.02) = 2
        assert_eq!(disruptions_allowed(&pdb(None, Some(Int(0))), 3, 3), 0);
        assert_eq!(disruptions_allowed(&pdb(None, None), 3, 3), 3);
        // maxUnavailable wins over minAvailable.
        assert_eq!(disruptions_allowed(&pdb(Some(Int(3)), Some(Int(1))), 3, 3), 1);
        assert!(fully_blocking(&pdb(None, Some(Percent(0)))));
        assert!(fully_blocking(&pdb(Some(Percent(100)), None)));
        assert!(!fully_blocking(&pdb(Some(Int(3)), None)));
    }
}

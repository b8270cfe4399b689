//! Karpenter's `SimulateScheduling`: the provisioning pass (the same [`crate::provision`] code,
//! through [`crate::scheduler::simulate`]) run as if the candidates were gone, with their pods,
//! the pending pods and the pods of deleting nodes to place.

use std::collections::BTreeSet;

use super::blocked::BlockReason;
use super::candidate::Candidate;
use super::Pass;
use crate::pod::Pod;
use crate::schedule::Schedule;
use crate::scheduler::{self, Simulation};

/// Simulates removing `candidates`. `consolidation` applies Karpenter's consolidation-simulation
/// rule (nodes inside `consolidateAfter` do not take the candidates' pods).
///
/// The move is refused (`Err`) when a pod that must move (from a candidate or a deleting node)
/// would not schedule, or when a candidate's pod would land on a node that is not initialized
/// (Karpenter's `UninitializedNodeError`). Pending pods that stay pending do not matter.
pub(crate) fn simulate(
    pass: &Pass<'_>,
    candidates: &[&Candidate<'_>],
    consolidation: bool,
) -> Result<Schedule, BlockReason> {
    let removed: BTreeSet<&str> = candidates.iter().map(|c| c.name()).collect();
    let mut pods: Vec<Pod> = pass.pending.clone();
    let mut moving: BTreeSet<String> = BTreeSet::new();
    for c in candidates {
        for p in &c.reschedulable {
            let mut q = (*p).clone();
            q.node_name = Some(c.node.name.clone());
            moving.insert(q.key());
            pods.push(q);
        }
    }
    pods.extend(pass.deleting_pods.iter().cloned());
    let none = BTreeSet::new();
    let sim = Simulation {
        removed: &removed,
        shielded: if consolidation { &pass.shielded } else { &none },
        prepared: Some(&pass.prepared),
    };
    let schedule = scheduler::simulate(pass.cluster, &pods, &pass.settings, &sim);
    if let Some(u) =
        schedule.unschedulable.iter().find(|u| moving.contains(&u.pod) || pass.deleting_pod_keys.contains(&u.pod))
    {
        return Err(BlockReason::PodWouldNotSchedule { pod: u.pod.clone(), reason: u.reason.clone() });
    }
    for placed in &schedule.existing_nodes {
        let uninitialized = pass.node(&placed.name).is_some_and(|n| n.node_pool().is_some() && !n.initialized);
        if uninitialized && placed.pods.iter().any(|p| moving.contains(p)) {
            return Err(BlockReason::UninitializedDestination { node: placed.name.clone() });
        }
    }
    Ok(schedule)
}

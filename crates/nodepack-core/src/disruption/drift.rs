//! Drift (Karpenter's drift.go): drifted candidates, oldest drift first and empty ones before the
//! others; the first whose pods all schedule elsewhere becomes one command, replaced by as many
//! new nodes as the simulation needs, with no price check.
//!
//! A node is drifted when it says so (`Node::drifted_at`, e.g. set by a simulator that changed
//! the NodePool or the node class) or when its labels no longer satisfy its NodePool's
//! `requirements` and template labels, or it lacks one of the pool's `taints` (then the drift
//! time is unknown and the node's creation time orders it). Karpenter's NodePool-hash and cloud
//! provider drift are not modelled beyond `drifted_at`.

use super::budget::BudgetMapping;
use super::candidate::Candidate;
use super::command::{Command, Reason};
use super::simulation::simulate;
use super::{BlockReason, Pass};
use crate::node_pool::DisruptionReason;
use crate::price::Price;

pub(crate) fn run(pass: &mut Pass<'_>) -> Option<Command> {
    let budgets = BudgetMapping::build(pass.cluster, pass.now, DisruptionReason::Drifted);
    let mut cands: Vec<&Candidate<'_>> = pass.candidates.iter().filter(|c| c.drifted.is_some()).collect();
    cands.sort_by(|a, b| a.drifted.cmp(&b.drifted).then_with(|| a.name().cmp(b.name())));
    let (empty, busy): (Vec<_>, Vec<_>) = cands.into_iter().partition(|c| c.reschedulable.is_empty());
    let mut blocked = vec![];
    let mut found = None;
    for c in empty.into_iter().chain(busy) {
        if budgets.remaining(&c.pool.name) == 0 {
            blocked.push((
                c.name().to_string(),
                BlockReason::Budget { pool: c.pool.name.clone(), reason: DisruptionReason::Drifted },
            ));
            continue;
        }
        match simulate(pass, &[c], false) {
            Err(r) => blocked.push((c.name().to_string(), r)),
            Ok(schedule) => {
                let new_cost: Price = schedule.node_claims.iter().map(|n| n.price).sum();
                found = Some(Command::new(
                    Reason::Drifted,
                    vec![c.node.name.clone()],
                    schedule.node_claims,
                    c.price - new_cost,
                ));
                break;
            }
        }
    }
    for (node, r) in blocked {
        pass.block(&node, r);
    }
    found
}

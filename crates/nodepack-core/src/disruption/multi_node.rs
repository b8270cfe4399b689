//! Multi-node consolidation (Karpenter's multinodeconsolidation.go): the candidates sorted by
//! savings ratio, cut to the pools' `Underutilized` budgets, then a binary search for the longest
//! prefix (of at least two nodes, at most about 100) that can go at once: deleted, or replaced by
//! one cheaper node.

use super::balanced::approve;
use super::budget::BudgetMapping;
use super::candidate::{sort_by_savings_ratio, Candidate};
use super::command::{Command, Decision};
use super::consolidation::{compute_consolidation, filter_out_same_instance_type};
use super::Pass;
use crate::node_pool::DisruptionReason;

/// Karpenter's batch cap.
pub const MAX_MULTI_NODE_CANDIDATES: usize = 100;

pub(crate) fn run(pass: &mut Pass<'_>) -> Option<Command> {
    let mut budgets = BudgetMapping::build(pass.cluster, pass.now, DisruptionReason::Underutilized);
    let mut cands: Vec<&Candidate<'_>> =
        pass.candidates.iter().filter(|c| !c.is_empty() && c.consolidation.is_ok()).collect();
    sort_by_savings_ratio(&mut cands);
    // Budgets first, in order: a candidate whose pool has no budget left is skipped (single-node
    // consolidation reports budget blocks; skipping here is not a block).
    let disruptable: Vec<&Candidate<'_>> = cands.into_iter().filter(|c| budgets.take(&c.pool.name)).collect();
    first_n(pass, &disruptable, disruptable.len().min(MAX_MULTI_NODE_CANDIDATES))
}

/// Karpenter's `firstNConsolidationOption`: with `min = 1`, `max = min(max, len − 1)`, try
/// `candidates[..=mid]` and keep the last valid command.
fn first_n(pass: &Pass<'_>, cands: &[&Candidate<'_>], max: usize) -> Option<Command> {
    if cands.len() < 2 {
        return None;
    }
    let mut lo = 1usize;
    let mut hi = if cands.len() <= max { cands.len() - 1 } else { max };
    let mut last = None;
    while lo <= hi {
        let mid = (lo + hi) / 2;
        let prefix = &cands[..=mid];
        let valid = match compute_consolidation(pass, prefix) {
            Ok(cmd) if cmd.decision == Decision::Delete => Some(cmd),
            Ok(cmd) => filter_out_same_instance_type(pass, prefix, cmd),
            Err(_) => None,
        }
        .filter(|cmd| approve(&pass.totals, prefix, cmd.savings).is_ok());
        match valid {
            Some(cmd) => {
                last = Some(cmd);
                lo = mid + 1;
            }
            None => hi = mid - 1,
        }
    }
    last
}

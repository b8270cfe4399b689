//! Emptiness (Karpenter's emptiness.go): every empty, consolidatable candidate within its pool's
//! `Empty` budget, deleted in one command. It runs for every consolidation policy.

use super::budget::BudgetMapping;
use super::candidate::{sort_by_savings_ratio, Candidate};
use super::command::{Command, Reason};
use super::consolidation::names;
use super::{BlockReason, Pass};
use crate::node_pool::DisruptionReason;
use crate::price::Price;

pub(crate) fn run(pass: &mut Pass<'_>) -> Option<Command> {
    let mut budgets = BudgetMapping::build(pass.cluster, pass.now, DisruptionReason::Empty);
    let mut cands: Vec<&Candidate<'_>> =
        pass.candidates.iter().filter(|c| c.is_empty() && c.emptiness.is_ok()).collect();
    sort_by_savings_ratio(&mut cands);
    let mut chosen = vec![];
    let mut blocked = vec![];
    for c in cands {
        if budgets.take(&c.pool.name) {
            chosen.push(c);
        } else {
            blocked.push((c.name().to_string(), c.pool.name.clone()));
        }
    }
    let cmd = (!chosen.is_empty()).then(|| {
        let savings: Price = chosen.iter().map(|c| c.price).sum();
        Command::new(Reason::Empty, names(&chosen), vec![], savings)
    });
    for (node, pool) in blocked {
        pass.block(&node, BlockReason::Budget { pool, reason: DisruptionReason::Empty });
    }
    cmd
}

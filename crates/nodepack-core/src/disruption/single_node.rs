//! Single-node consolidation (Karpenter's singlenodeconsolidation.go): candidates sorted by
//! savings ratio and interleaved round-robin across NodePools; the first that can be deleted or
//! replaced by one cheaper node wins.
//!
//! Before simulating a candidate, a sound prefilter skips candidates that cannot possibly move:
//! if their pods' requests exceed the free room on every node they could go to (so no delete),
//! and no instance type able to hold the excess is cheaper than the node (so no replace), the
//! simulation could only fail. It changes no decision, only the time spent.

use std::collections::BTreeMap;

use super::balanced::{approve, can_pass_threshold};
use super::budget::BudgetMapping;
use super::candidate::{sort_by_savings_ratio, Candidate};
use super::command::Command;
use super::consolidation::compute_consolidation;
use super::{BlockReason, Pass};
use crate::node_pool::DisruptionReason;
use crate::price::Price;
use crate::resources::{ResourceName, Resources};

pub(crate) fn run(pass: &mut Pass<'_>) -> Option<Command> {
    let budgets = BudgetMapping::build(pass.cluster, pass.now, DisruptionReason::Underutilized);
    let mut cands: Vec<&Candidate<'_>> =
        pass.candidates.iter().filter(|c| !c.is_empty() && c.consolidation.is_ok()).collect();
    sort_by_savings_ratio(&mut cands);
    let cands = interleave(cands);
    let prefilter = Prefilter::new(pass);
    let mut blocked = vec![];
    let mut found = None;
    for c in cands {
        let name = c.name().to_string();
        if budgets.remaining(&c.pool.name) == 0 {
            blocked.push((
                name,
                BlockReason::Budget { pool: c.pool.name.clone(), reason: DisruptionReason::Underutilized },
            ));
            continue;
        }
        if let Err(r) = can_pass_threshold(&pass.totals, c) {
            blocked.push((name, r));
            continue;
        }
        if prefilter.hopeless(c) {
            blocked.push((name, BlockReason::NoCheaperReplacement { price: c.price }));
            continue;
        }
        match compute_consolidation(pass, &[c]).and_then(|cmd| approve(&pass.totals, &[c], cmd.savings).map(|_| cmd)) {
            Err(r) => blocked.push((name, r)),
            Ok(cmd) => {
                found = Some(cmd);
                break;
            }
        }
    }
    for (node, r) in blocked {
        pass.block(&node, r);
    }
    found
}

/// Round-robin across NodePools, each pool's candidates in their sorted order; pools in the
/// order of their best candidate (Karpenter iterates a Go map here, so its order is random).
fn interleave<'a, 'c>(sorted: Vec<&'a Candidate<'c>>) -> Vec<&'a Candidate<'c>> {
    let mut pools: Vec<(&str, Vec<&'a Candidate<'c>>)> = vec![];
    for c in sorted {
        match pools.iter_mut().find(|(p, _)| *p == c.pool.name) {
            Some((_, v)) => v.push(c),
            None => pools.push((c.pool.name.as_str(), vec![c])),
        }
    }
    let longest = pools.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
    let mut out = vec![];
    for i in 0..longest {
        for (_, v) in &pools {
            if let Some(c) = v.get(i) {
                out.push(*c);
            }
        }
    }
    out
}

const KEYS: [ResourceName; 3] = [ResourceName::Cpu, ResourceName::Memory, ResourceName::Pods];

fn amounts(r: &Resources) -> [i64; 3] {
    KEYS.clone().map(|k| r.get(&k).max(0))
}

/// Upper bounds on where a candidate's pods could go.
struct Prefilter<'c> {
    /// Σ free room (allocatable − bound requests) over nodes that could take moving pods.
    total_free: [i64; 3],
    free: BTreeMap<&'c str, [i64; 3]>,
    /// Every instance type any pool could launch: allocatable and cheapest offering, by price.
    types: Vec<(Price, [i64; 3])>,
}

impl<'c> Prefilter<'c> {
    fn new(pass: &Pass<'c>) -> Self {
        let mut total_free = [0i64; 3];
        let mut free = BTreeMap::new();
        for n in &pass.cluster.nodes {
            // Uninitialized nodes count too: a move onto one is refused, but the simulation
            // says so more precisely than this filter could.
            if n.deleting || pass.shielded.contains(n.name.as_str()) {
                continue;
            }
            let f = amounts(&n.available());
            for i in 0..3 {
                total_free[i] = total_free[i].saturating_add(f[i]);
            }
            free.insert(n.name.as_str(), f);
        }
        let mut types = vec![];
        for pool in &pass.cluster.node_pools {
            let reqs = pool.template_requirements();
            for it in pass.cluster.instance_types_for(&pool.name) {
                if !it.requirements.intersects_ok(&reqs) {
                    continue;
                }
                if let Some(of) = it.cheapest_offering(&reqs) {
                    types.push((of.price, amounts(it.allocatable())));
                }
            }
        }
        types.sort();
        Prefilter { total_free, free, types }
    }

    /// True when the candidate can neither be deleted nor replaced by a cheaper node.
    fn hopeless(&self, c: &Candidate<'_>) -> bool {
        let mut need = [0i64; 3];
        for p in &c.reschedulable {
            let r = amounts(&p.scheduling_requests());
            for i in 0..3 {
                need[i] = need[i].saturating_add(r[i]);
            }
        }
        let own = self.free.get(c.name()).copied().unwrap_or([0; 3]);
        let mut excess = [0i64; 3];
        for i in 0..3 {
            excess[i] = need[i].saturating_sub(self.total_free[i].saturating_sub(own[i])).max(0);
        }
        if excess == [0; 3] {
            return false;
        }
        !self.types.iter().take_while(|(p, _)| *p < c.price).any(|(_, alloc)| (0..3).all(|i| alloc[i] >= excess[i]))
    }
}

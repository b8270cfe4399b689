//! Disruption budgets: how many nodes of each NodePool may be disrupted now, for one reason
//! (Karpenter's `BuildDisruptionBudgetMapping` and `NodePool.MustGetAllowedDisruptions`).

use std::collections::BTreeMap;

use super::cron::CronSchedule;
use crate::cluster::Cluster;
use crate::node_pool::{Budget, BudgetNodes, DisruptionReason, NodePool};

/// Why a budget cannot be read. Karpenter fails closed on any of these: the pool allows no
/// disruption at all, whatever the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BudgetError {
    /// The cron schedule does not parse.
    #[error(transparent)]
    Schedule(#[from] super::cron::CronError),
    /// A duration without a schedule (Karpenter parses an empty schedule and fails).
    #[error("a budget duration needs a schedule")]
    DurationWithoutSchedule,
    /// A percentage above 100.
    #[error("{0}% is not a valid budget (at most 100%)")]
    Percent(u8),
}

/// Whether a budget is active at `now`: always without a schedule, otherwise when the
/// schedule's last hit lies within `duration` of now (a schedule without a duration is never
/// active: Karpenter reads the missing duration as zero).
pub fn budget_active(budget: &Budget, now: i64) -> Result<bool, BudgetError> {
    match (&budget.schedule, budget.duration) {
        (None, None) => Ok(true),
        (None, Some(_)) => Err(BudgetError::DurationWithoutSchedule),
        (Some(s), d) => {
            let cron = CronSchedule::parse(s)?;
            Ok(cron.is_active(now, d.map_or(0, |d| d.0)))
        }
    }
}

/// The nodes one budget allows now out of `num_nodes` (Karpenter's `Budget.GetAllowedDisruptions`):
/// `u32::MAX` when inactive, the count, or the percentage rounded up.
pub fn budget_allows(budget: &Budget, now: i64, num_nodes: usize) -> Result<u32, BudgetError> {
    if !budget_active(budget, now)? {
        return Ok(u32::MAX);
    }
    Ok(match budget.nodes {
        BudgetNodes::Count(n) => n,
        BudgetNodes::Percent(p) if p > 100 => return Err(BudgetError::Percent(p)),
        BudgetNodes::Percent(p) => {
            let scaled = (num_nodes as u64 * u64::from(p)).div_ceil(100);
            u32::try_from(scaled).unwrap_or(u32::MAX)
        }
    })
}

/// The disruptions a NodePool's budgets allow for `reason` now, out of `num_nodes`: the minimum
/// over the active budgets that name the reason (or name none), `u32::MAX` when none applies,
/// and 0 when *any* budget of the pool cannot be read (Karpenter fails closed).
///
/// ```
/// use nodepack_core::{Budget, BudgetNodes, DisruptionReason, NodePool};
/// use nodepack_core::disruption::allowed_disruptions;
/// let mut pool = NodePool::new("general");
/// pool.disruption.budgets = vec![
///     Budget { nodes: BudgetNodes::Percent(30), reasons: vec![], schedule: None, duration: None },
///     Budget { nodes: BudgetNodes::Count(0), reasons: vec![DisruptionReason::Drifted], schedule: None, duration: None },
/// ];
/// assert_eq!(allowed_disruptions(&pool, 0, 10, DisruptionReason::Empty), 3);
/// assert_eq!(allowed_disruptions(&pool, 0, 10, DisruptionReason::Drifted), 0);
/// ```
pub fn allowed_disruptions(pool: &NodePool, now: i64, num_nodes: usize, reason: DisruptionReason) -> u32 {
    let mut allowed = u32::MAX;
    for b in &pool.disruption.budgets {
        match budget_allows(b, now, num_nodes) {
            Err(_) => return 0,
            Ok(v) => {
                if b.reasons.is_empty() || b.reasons.contains(&reason) {
                    allowed = allowed.min(v);
                }
            }
        }
    }
    allowed
}

/// How many more nodes of each NodePool may be disrupted for one reason now.
///
/// For each pool: [`allowed_disruptions`] over the pool's managed, initialized nodes, minus those
/// of them that are not ready or being deleted, never below zero. Pools not in the cluster's
/// list allow nothing. As in Karpenter, a node being deleted still counts in the total (Karpenter
/// drops it only once its instance is terminated, a state nodepack does not model) and also uses
/// up one disruption.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BudgetMapping {
    /// The reason the mapping is for.
    pub reason: Option<DisruptionReason>,
    remaining: BTreeMap<String, u32>,
    /// Per pool: (nodes counted, nodes already disrupting, what the budgets allow).
    detail: BTreeMap<String, (usize, usize, u32)>,
}

impl BudgetMapping {
    /// Builds the mapping for `reason` at `now`.
    pub fn build(cluster: &Cluster, now: i64, reason: DisruptionReason) -> Self {
        let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for n in &cluster.nodes {
            let Some(pool) = n.node_pool() else { continue };
            if !n.initialized {
                continue;
            }
            let e = counts.entry(pool).or_default();
            e.0 += 1;
            if n.not_ready || n.deleting {
                e.1 += 1;
            }
        }
        let mut remaining = BTreeMap::new();
        let mut detail = BTreeMap::new();
        for pool in &cluster.node_pools {
            let (num, disrupting) = counts.get(pool.name.as_str()).copied().unwrap_or((0, 0));
            let allowed = allowed_disruptions(pool, now, num, reason);
            let left = u64::from(allowed).saturating_sub(disrupting as u64);
            remaining.insert(pool.name.clone(), u32::try_from(left).unwrap_or(u32::MAX));
            detail.insert(pool.name.clone(), (num, disrupting, allowed));
        }
        BudgetMapping { reason: Some(reason), remaining, detail }
    }

    /// How many more nodes of the pool may be disrupted.
    pub fn remaining(&self, pool: &str) -> u32 {
        self.remaining.get(pool).copied().unwrap_or(0)
    }

    /// Uses one disruption of the pool's budget; false (and nothing used) when none is left.
    pub fn take(&mut self, pool: &str) -> bool {
        match self.remaining.get_mut(pool) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// For a pool: the nodes counted, the nodes already disrupting (not ready or deleting), and
    /// what its budgets allow before that subtraction.
    pub fn detail(&self, pool: &str) -> Option<(usize, usize, u32)> {
        self.detail.get(pool).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::Duration;
    use crate::label;
    use crate::node::Node;

    fn budget(nodes: BudgetNodes) -> Budget {
        Budget { nodes, reasons: vec![], schedule: None, duration: None }
    }

    fn pool_with(budgets: Vec<Budget>) -> NodePool {
        let mut p = NodePool::new("p");
        p.disruption.budgets = budgets;
        p
    }

    fn node(name: &str) -> Node {
        let mut n = Node { name: name.into(), initialized: true, ..Default::default() };
        n.labels.insert(label::NODE_POOL.into(), "p".into());
        n
    }

    #[test]
    fn percentages_round_up() {
        let pct = |p, n| {
            allowed_disruptions(&pool_with(vec![budget(BudgetNodes::Percent(p))]), 0, n, DisruptionReason::Empty)
        };
        assert_eq!(pct(0, 10), 0);
        assert_eq!(pct(30, 10), 3);
        assert_eq!(pct(30, 11), 4);
        assert_eq!(pct(10, 1), 1);
        assert_eq!(pct(10, 0), 0);
        assert_eq!(pct(100, 7), 7);
        assert_eq!(pct(5, 10), 1);
        // Over 100 %: fails closed.
        assert_eq!(pct(150, 10), 0);
    }

    #[test]
    fn counts_reasons_and_minimum() {
        let mut drift_only = budget(BudgetNodes::Count(1));
        drift_only.reasons = vec![DisruptionReason::Drifted];
        let p = pool_with(vec![budget(BudgetNodes::Count(5)), drift_only]);
        assert_eq!(allowed_disruptions(&p, 0, 100, DisruptionReason::Empty), 5);
        assert_eq!(allowed_disruptions(&p, 0, 100, DisruptionReason::Underutilized), 5);
        assert_eq!(allowed_disruptions(&p, 0, 100, DisruptionReason::Drifted), 1);
        // No budgets: unbounded.
        assert_eq!(allowed_disruptions(&pool_with(vec![]), 0, 3, DisruptionReason::Empty), u32::MAX);
    }

    #[test]
    fn schedules_active_and_inactive() {
        // Business hours block everything; otherwise 10 %.
        let mut blocking = budget(BudgetNodes::Count(0));
        blocking.schedule = Some("0 9 * * mon-fri".into());
        blocking.duration = Some(Duration::hours(8));
        let p = pool_with(vec![budget(BudgetNodes::Percent(10)), blocking]);
        let monday_10am = 1_704_099_600 + 3600; // 2024-01-01T10:00Z
        let monday_8am = 1_704_099_600 - 3600;
        let saturday_10am = monday_10am + 5 * 86_400;
        assert_eq!(allowed_disruptions(&p, monday_10am, 20, DisruptionReason::Empty), 0);
        assert_eq!(allowed_disruptions(&p, monday_8am, 20, DisruptionReason::Empty), 2);
        assert_eq!(allowed_disruptions(&p, saturday_10am, 20, DisruptionReason::Empty), 2);
        // A schedule without a duration is never active.
        let mut no_duration = budget(BudgetNodes::Count(0));
        no_duration.schedule = Some("* * * * *".into());
        assert_eq!(
            allowed_disruptions(&pool_with(vec![no_duration]), monday_10am, 20, DisruptionReason::Empty),
            u32::MAX
        );
    }

    #[test]
    fn parse_errors_fail_closed_for_every_reason() {
        let mut bad = budget(BudgetNodes::Count(10));
        bad.schedule = Some("not a cron".into());
        bad.duration = Some(Duration::hours(1));
        bad.reasons = vec![DisruptionReason::Drifted];
        let p = pool_with(vec![budget(BudgetNodes::Count(10)), bad]);
        assert_eq!(allowed_disruptions(&p, 0, 10, DisruptionReason::Empty), 0);
        let mut orphan = budget(BudgetNodes::Count(10));
        orphan.duration = Some(Duration::hours(1));
        assert_eq!(allowed_disruptions(&pool_with(vec![orphan]), 0, 10, DisruptionReason::Empty), 0);
    }

    #[test]
    fn mapping_subtracts_disrupting_nodes() {
        let mut cluster =
            Cluster { node_pools: vec![pool_with(vec![budget(BudgetNodes::Percent(30))])], ..Default::default() };
        for i in 0..10 {
            cluster.nodes.push(node(&format!("n{i}")));
        }
        cluster.nodes[0].deleting = true;
        cluster.nodes[1].not_ready = true;
        // Uninitialized and static nodes are not counted.
        cluster.nodes.push(Node { name: "init".into(), initialized: false, ..node("x") });
        cluster.nodes.push(Node { name: "static".into(), initialized: true, ..Default::default() });
        let m = BudgetMapping::build(&cluster, 0, DisruptionReason::Underutilized);
        assert_eq!(m.detail("p"), Some((10, 2, 3)));
        assert_eq!(m.remaining("p"), 1);
        assert_eq!(m.remaining("unknown"), 0);
        let mut m = m;
        assert!(m.take("p"));
        assert!(!m.take("p"));
        assert_eq!(m.remaining("p"), 0);
    }
}

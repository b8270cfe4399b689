//! The `Balanced` consolidation policy (Karpenter v1.14, balanced.go): a move is approved when
//! `(savings / pool cost) / (move disruption / pool disruption) ≥ 1/k`, with `k = 2`.

use std::collections::BTreeMap;

use super::blocked::BlockReason;
use super::candidate::{node_price, reschedule_cost, Candidate};
use crate::cluster::Cluster;
use crate::node_pool::ConsolidationPolicy;
use crate::price::Price;

/// Karpenter's `BalancedK`.
pub const BALANCED_K: i64 = 2;

/// A NodePool's hourly cost and disruption cost, the denominators of the score.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PoolTotals {
    /// Σ price over every node of the pool, in dollars.
    pub(crate) cost: f64,
    /// Σ (1 + Σ max(0, eviction cost)) over every node of the pool.
    pub(crate) disruption: f64,
}

/// Totals for every pool that has nodes.
pub(crate) fn pool_totals(cluster: &Cluster) -> BTreeMap<String, PoolTotals> {
    let mut out: BTreeMap<String, PoolTotals> = BTreeMap::new();
    for n in &cluster.nodes {
        let Some(pool) = n.node_pool() else { continue };
        let it = n.instance_type().and_then(|name| cluster.instance_types_for(pool).iter().find(|t| t.name == name));
        let t = out.entry(pool.to_string()).or_default();
        t.cost += node_price(n, it).as_dollars();
        t.disruption += reschedule_cost(&n.pods);
    }
    out
}

/// The score, or 0 when the totals are zero or the saving is not positive (Karpenter's
/// `ScoreMove` and `ScoreResult.Score`).
pub(crate) fn score(savings: f64, disruption: f64, totals: PoolTotals) -> f64 {
    if totals.cost <= 0.0 || totals.disruption <= 0.0 {
        return 0.0;
    }
    let savings_fraction = savings / totals.cost;
    let disruption_fraction = disruption / totals.disruption;
    if savings_fraction <= 0.0 {
        0.0
    } else if disruption_fraction == 0.0 {
        f64::INFINITY
    } else {
        savings_fraction / disruption_fraction
    }
}

fn threshold() -> f64 {
    1.0 / BALANCED_K as f64
}

fn refusal(score: f64) -> BlockReason {
    let milli = |v: f64| if v.is_finite() { (v * 1000.0).round() as i64 } else { i64::MAX };
    BlockReason::BalancedScore { score_milli: milli(score), threshold_milli: milli(threshold()) }
}

/// Karpenter's `EvaluateBalancedMove`: every Balanced pool among the candidates must approve;
/// with several pools, each gets the saving in proportion to its share of the candidates' cost.
pub(crate) fn approve(
    totals: &BTreeMap<String, PoolTotals>,
    cands: &[&Candidate<'_>],
    savings: Price,
) -> Result<(), BlockReason> {
    let mut by_pool: BTreeMap<&str, Vec<&Candidate<'_>>> = BTreeMap::new();
    for c in cands {
        by_pool.entry(c.pool.name.as_str()).or_default().push(c);
    }
    let total_cost: f64 = cands.iter().map(|c| c.price.as_dollars()).sum();
    let savings = savings.as_dollars();
    for (pool, members) in &by_pool {
        if members[0].pool.disruption.consolidation_policy != ConsolidationPolicy::Balanced {
            continue;
        }
        let pool_cost: f64 = members.iter().map(|c| c.price.as_dollars()).sum();
        let pool_savings =
            if total_cost > 0.0 && by_pool.len() > 1 { savings * (pool_cost / total_cost) } else { savings };
        let disruption: f64 = members.iter().map(|c| c.disruption_cost).sum();
        let s = score(pool_savings, disruption, totals.get(*pool).copied().unwrap_or_default());
        if s < threshold() {
            return Err(refusal(s));
        }
    }
    Ok(())
}

/// Karpenter's `CanPassThreshold`: whether deleting the node outright (the best case) would
/// pass; always true outside Balanced pools or without pool cost.
pub(crate) fn can_pass_threshold(totals: &BTreeMap<String, PoolTotals>, c: &Candidate<'_>) -> Result<(), BlockReason> {
    if c.pool.disruption.consolidation_policy != ConsolidationPolicy::Balanced {
        return Ok(());
    }
    let Some(t) = totals.get(&c.pool.name).filter(|t| t.cost > 0.0) else { return Ok(()) };
    let s = score(c.price.as_dollars(), c.disruption_cost, *t);
    if s < threshold() {
        return Err(refusal(s));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        let t = PoolTotals { cost: 10.0, disruption: 20.0 };
        // 10 % of the cost for 10 % of the disruption: score 1.
        assert_eq!(score(1.0, 2.0, t), 1.0);
        // 10 % of the cost for 40 % of the disruption: 0.25, refused.
        assert_eq!(score(1.0, 8.0, t), 0.25);
        assert_eq!(score(-1.0, 2.0, t), 0.0);
        assert_eq!(score(1.0, 0.0, t), f64::INFINITY);
        assert_eq!(score(1.0, 1.0, PoolTotals::default()), 0.0);
        assert!(score(1.0, 4.0, t) >= threshold());
    }
}

//! Karpenter's `computeConsolidation`, shared by single- and multi-node consolidation: simulate
//! removing the candidates, then delete (no new node needed), replace with one cheaper node,
//! or do nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::blocked::BlockReason;
use super::candidate::Candidate;
use super::command::{Command, Reason};
use super::simulation::simulate;
use super::Pass;
use crate::instance_type::InstanceType;
use crate::label;
use crate::launch::{launch, Launch};
use crate::node_pool::NodePool;
use crate::price::Price;
use crate::requirement::Requirement;
use crate::requirements::Requirements;
use crate::schedule::NodeClaim;
use crate::scheduler::min_values_shortfall;

/// Single-node spot-to-spot consolidation needs this many cheaper instance types, and launches
/// from the cheapest this many (Karpenter's `MinInstanceTypesForSpotToSpotConsolidation`).
pub const MIN_SPOT_TO_SPOT_OPTIONS: usize = 15;

/// Karpenter's `WorstLaunchPrice`: the most expensive available offering compatible with `reqs`
/// of the capacity type that would be launched (reserved, then spot, then on-demand).
pub(crate) fn worst_launch_price(it: &InstanceType, reqs: &Requirements) -> Price {
    let compatible = || it.offerings.iter().filter(|o| o.available && o.compatible_with(reqs));
    for ct in [label::RESERVED, label::SPOT, label::ON_DEMAND] {
        if let Some(p) = compatible().filter(|o| o.capacity_type == ct).map(|o| o.price).max() {
            return p;
        }
    }
    Price::MAX
}

/// A replacement node claim being narrowed down: its options as indices into the pool's types.
pub(crate) struct Replacement<'c> {
    claim: NodeClaim,
    pool: &'c NodePool,
    types: &'c [InstanceType],
    options: Vec<u32>,
    reqs: Requirements,
}

impl<'c> Replacement<'c> {
    pub(crate) fn new(pass: &Pass<'c>, claim: NodeClaim) -> Option<Self> {
        let pool = pass.cluster.node_pool(&claim.node_pool)?;
        let types = pass.cluster.instance_types_for(&pool.name);
        let index: BTreeMap<&str, u32> = types.iter().enumerate().map(|(i, t)| (t.name.as_str(), i as u32)).collect();
        let options = claim.instance_type_options.iter().filter_map(|n| index.get(&**n).copied()).collect();
        let reqs = claim.requirements.clone();
        let mut r = Replacement { claim, pool, types, options, reqs };
        r.order_by_price();
        Some(r)
    }

    fn it(&self, o: u32) -> &'c InstanceType {
        &self.types[o as usize]
    }

    /// Karpenter's `OrderByPrice`: by each type's cheapest available compatible offering.
    fn order_by_price(&mut self) {
        let (types, reqs) = (self.types, &self.reqs);
        let price = |o: &u32| types[*o as usize].cheapest_offering(reqs).map_or(Price::MAX, |of| of.price);
        self.options.sort_by(|a, b| price(a).cmp(&price(b)).then(a.cmp(b)));
    }

    fn capacity_type_allows(&self, ct: &str) -> bool {
        self.reqs.get(label::CAPACITY_TYPE).is_none_or(|r| r.has(ct))
    }

    fn offers(&self, ct: &str) -> bool {
        self.options.iter().any(|&o| {
            self.it(o)
                .offerings
                .iter()
                .any(|of| of.available && of.capacity_type == ct && of.compatible_with(&self.reqs))
        })
    }

    /// Karpenter's `RemoveInstanceTypeOptionsByPriceAndMinValues`.
    pub(crate) fn remove_by_price(&mut self, below: Price) -> Result<(), BlockReason> {
        let (types, reqs) = (self.types, &self.reqs);
        self.options.retain(|&o| worst_launch_price(&types[o as usize], reqs) < below);
        if let Some(short) = min_values_shortfall(self.types, &self.options, &self.reqs) {
            return Err(BlockReason::MinValues {
                detail: format!("{} needs {} values, {} left", short.key, short.min_values, short.available),
            });
        }
        Ok(())
    }

    /// The fewest leading options that satisfy every `minValues`.
    fn min_values_prefix(&self) -> usize {
        if !self.reqs.has_min_values() {
            return 0;
        }
        (1..=self.options.len())
            .find(|&k| min_values_shortfall(self.types, &self.options[..k], &self.reqs).is_none())
            .unwrap_or(self.options.len())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.options.is_empty()
    }

    /// The claim with the narrowed options, requirements and the launch they lead to.
    pub(crate) fn finish(mut self) -> NodeClaim {
        let opts: Vec<&InstanceType> = self.options.iter().map(|&o| &self.types[o as usize]).collect();
        let Launch { instance_type, zone, capacity_type, price, labels } = launch(self.pool, &opts, &self.reqs);
        self.claim.instance_type_options = opts.iter().map(|t| Arc::from(t.name.as_str())).collect();
        self.claim.instance_type = instance_type;
        self.claim.zone = zone;
        self.claim.capacity_type = capacity_type;
        self.claim.price = price;
        self.claim.labels = labels;
        self.claim.requirements = self.reqs;
        self.claim
    }
}

/// The candidates' names, in order.
pub(crate) fn names(cands: &[&Candidate<'_>]) -> Vec<String> {
    cands.iter().map(|c| c.node.name.clone()).collect()
}

/// Karpenter's `computeConsolidation`: `Ok` with a delete or a one-node replace, or `Err` with
/// why the candidates cannot be consolidated together.
pub(crate) fn compute_consolidation(pass: &Pass<'_>, cands: &[&Candidate<'_>]) -> Result<Command, BlockReason> {
    let schedule = simulate(pass, cands, true)?;
    let candidate_price: Price = cands.iter().map(|c| c.price).sum();
    let mut claims = schedule.node_claims.into_iter();
    let claim = match (claims.next(), claims.len()) {
        (None, _) => return Ok(Command::new(Reason::Underutilized, names(cands), vec![], candidate_price)),
        (Some(c), 0) => c,
        (Some(_), more) => return Err(BlockReason::NeedsNewNodes { count: more + 1 }),
    };
    let no_cheaper = || BlockReason::NoCheaperReplacement { price: candidate_price };
    let Some(mut rep) = Replacement::new(pass, claim) else { return Err(no_cheaper()) };
    let all_spot = cands.iter().all(|c| c.is_spot());
    if all_spot && rep.capacity_type_allows(label::SPOT) {
        if !pass.options.spot_to_spot {
            return Err(BlockReason::SpotToSpotDisabled);
        }
        rep.reqs.add(Requirement::single(label::CAPACITY_TYPE, label::SPOT));
        let (types, reqs) = (rep.types, &rep.reqs);
        rep.options.retain(|&o| types[o as usize].has_offering(reqs));
        rep.remove_by_price(candidate_price)?;
        if rep.is_empty() {
            return Err(no_cheaper());
        }
        if cands.len() == 1 {
            if rep.options.len() < MIN_SPOT_TO_SPOT_OPTIONS {
                return Err(BlockReason::SpotToSpotTooFewOptions { got: rep.options.len() });
            }
            let keep = MIN_SPOT_TO_SPOT_OPTIONS.max(rep.min_values_prefix());
            rep.options.truncate(keep);
        }
    } else {
        rep.remove_by_price(candidate_price)?;
        if rep.is_empty() {
            return Err(no_cheaper());
        }
        // The price filter assumed spot where spot is possible: do not fall back to on-demand.
        // (Only when some option offers spot: a claim that cannot launch decides nothing.)
        if rep.capacity_type_allows(label::SPOT)
            && rep.capacity_type_allows(label::ON_DEMAND)
            && rep.offers(label::SPOT)
        {
            rep.reqs.add(Requirement::single(label::CAPACITY_TYPE, label::SPOT));
        }
    }
    let claim = rep.finish();
    let savings = candidate_price - claim.price;
    Ok(Command::new(Reason::Underutilized, names(cands), vec![claim], savings))
}

/// Karpenter's `filterOutSameInstanceType` for multi-node replaces: when the replacement could
/// be one of the removed types, only options cheaper than the cheapest such node are kept (else
/// the move equals deleting the other nodes). `None` when nothing is left.
pub(crate) fn filter_out_same_instance_type(
    pass: &Pass<'_>,
    cands: &[&Candidate<'_>],
    mut cmd: Command,
) -> Option<Command> {
    let mut price_by_type: BTreeMap<&str, Option<Price>> = BTreeMap::new();
    for c in cands {
        let Some(it) = c.instance_type else { continue };
        // The cheapest offering matching the node's labels (its zone and capacity type).
        let own = it
            .offerings
            .iter()
            .filter(|o| {
                Some(o.zone.as_str()) == c.node.zone() && Some(o.capacity_type.as_str()) == c.node.capacity_type()
            })
            .map(|o| o.price)
            .min();
        let e = price_by_type.entry(it.name.as_str()).or_insert(None);
        if let Some(p) = own {
            *e = Some(e.map_or(p, |cur| cur.min(p)));
        }
    }
    let claim = cmd.replacements.pop()?;
    let mut max_price = Price::MAX;
    for name in &claim.instance_type_options {
        if let Some(p) = price_by_type.get(&**name) {
            // A removed type without a matching offering counts as free, as in Karpenter.
            max_price = max_price.min(p.unwrap_or(Price(0)));
        }
    }
    let mut rep = Replacement::new(pass, claim)?;
    rep.remove_by_price(max_price).ok()?;
    if rep.is_empty() {
        return None;
    }
    let claim = rep.finish();
    let candidate_price: Price = cands.iter().map(|c| c.price).sum();
    cmd.savings = candidate_price - claim.price;
    cmd.replacements = vec![claim];
    Some(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instance_type::{Offering, Overhead};
    use crate::resources::Resources;

    #[test]
    fn worst_launch_price_prefers_reserved_then_spot() {
        let p = |s: &str| Price::from_dollars_str(s).unwrap();
        let it = InstanceType::new(
            "t",
            Resources::new(),
            Overhead::default(),
            vec![
                Offering::new("a", "on-demand", p("1.0")),
                Offering::new("a", "spot", p("0.3")),
                Offering::new("b", "spot", p("0.4")),
            ],
        );
        assert_eq!(worst_launch_price(&it, &Requirements::new()), p("0.4"));
        let mut od = Requirements::new();
        od.add(Requirement::single(label::CAPACITY_TYPE, label::ON_DEMAND));
        assert_eq!(worst_launch_price(&it, &od), p("1.0"));
        let mut zb = Requirements::new();
        zb.add(Requirement::single(label::ZONE, "c"));
        assert_eq!(worst_launch_price(&it, &zb), Price::MAX);
    }
}

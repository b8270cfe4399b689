//! The launch Karpenter's AWS provider makes for a finished claim: which instance type, zone
//! and capacity type, at what price, with which node labels.
//!
//! The choice needs, per instance type, only a few facts about its offerings under the claim's
//! zone and capacity-type requirements ([`OfferSummary`]). Many claims share those
//! requirements, so the provisioning pass works the summaries out once per combination and
//! the choice itself ([`launch_from`]) is a walk over at most `maxInstanceTypes` options.

use crate::instance_type::{capacity_type_rank, InstanceType, Offering, OfferingFilter};
use crate::label::{self, Labels};
use crate::node_pool::NodePool;
use crate::price::Price;
use crate::requirements::Requirements;

/// What Karpenter's provider would launch for a claim.
pub(crate) struct Launch {
    pub(crate) instance_type: String,
    pub(crate) zone: String,
    pub(crate) capacity_type: String,
    pub(crate) price: Price,
    pub(crate) labels: Labels,
}

/// One instance type's available offerings that an [`OfferingFilter`] admits, reduced to what
/// the launch choice reads.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OfferSummary<'a> {
    /// The price of the cheapest admitted offering; `None` when none is admitted.
    pub(crate) cheapest: Option<Price>,
    /// The price of the cheapest admitted on-demand offering.
    on_demand: Option<Price>,
    /// Per capacity-type rank (reserved, spot, on-demand, other): the admitted offering with
    /// the lowest price, ties to the zone name, then to the first listed.
    best: [Option<&'a Offering>; 4],
}

impl<'a> OfferSummary<'a> {
    /// The summary of `it`'s offerings under `filter`.
    pub(crate) fn of(it: &'a InstanceType, filter: &OfferingFilter<'_>) -> Self {
        let mut s = OfferSummary::default();
        for of in it.offerings.iter().filter(|o| filter.admits_available(o)) {
            s.cheapest = Some(s.cheapest.map_or(of.price, |p| p.min(of.price)));
            if of.capacity_type == label::ON_DEMAND {
                s.on_demand = Some(s.on_demand.map_or(of.price, |p| p.min(of.price)));
            }
            let slot = &mut s.best[usize::from(capacity_type_rank(&of.capacity_type).min(3))];
            if slot.is_none_or(|cur| (of.price, &of.zone) < (cur.price, &cur.zone)) {
                *slot = Some(of);
            }
        }
        s
    }
}

/// The launch for a claim of `pool` whose options are `opts` (cheapest first) under `reqs`: the
/// cheapest available offering of the preferred capacity type, and the node's labels.
pub(crate) fn launch(pool: &NodePool, opts: &[&InstanceType], reqs: &Requirements) -> Launch {
    let filter = OfferingFilter::new(reqs);
    let summarized: Vec<(&InstanceType, OfferSummary<'_>)> =
        opts.iter().map(|&it| (it, OfferSummary::of(it, &filter))).collect();
    launch_from(pool, &summarized, reqs)
}

/// [`launch`] with each option's [`OfferSummary`] under `reqs` already worked out.
pub(crate) fn launch_from(pool: &NodePool, opts: &[(&InstanceType, OfferSummary<'_>)], reqs: &Requirements) -> Launch {
    // Karpenter's AWS provider, when it launches spot, first drops the instance types whose
    // cheapest available offering is dearer than the cheapest on-demand offering of any
    // option (so a bigger spot type never replaces a cheaper on-demand one).
    let cheapest_on_demand = opts.iter().filter_map(|(_, s)| s.on_demand).min();
    // Per capacity-type rank, the cheapest compatible available offering; ties go to the
    // cheaper option, then the zone name.
    let mut best: [Option<(Price, usize, &InstanceType, &Offering)>; 4] = [None; 4];
    for (pos, &(it, summary)) in opts.iter().enumerate() {
        let spot_ok = match (cheapest_on_demand, summary.cheapest) {
            (Some(od), Some(cheapest)) => cheapest <= od,
            _ => true,
        };
        for (rank, of) in summary.best.iter().enumerate() {
            let Some(of) = of else { continue };
            if rank == usize::from(capacity_type_rank(label::SPOT)) && !spot_ok {
                continue;
            }
            let better = match &best[rank] {
                None => true,
                Some((p, cpos, _, cur)) => (of.price, pos, &of.zone) < (*p, *cpos, &cur.zone),
            };
            if better {
                best[rank] = Some((of.price, pos, it, of));
            }
        }
    }
    let launch = best.iter().flatten().next().copied();
    let mut labels: Labels = pool.labels.clone();
    for (k, v) in reqs.single_value_labels() {
        if k != label::HOSTNAME {
            labels.insert(k, v);
        }
    }
    let (instance_type, zone, capacity_type, price) = match launch {
        Some((_, _, it, of)) => {
            for (k, v) in it.requirements.single_value_labels() {
                labels.entry(k).or_insert(v);
            }
            labels.insert(label::INSTANCE_TYPE.into(), it.name.clone());
            labels.insert(label::ZONE.into(), of.zone.clone());
            labels.insert(label::CAPACITY_TYPE.into(), of.capacity_type.clone());
            (it.name.clone(), of.zone.clone(), of.capacity_type.clone(), of.price)
        }
        None => (String::new(), String::new(), String::new(), Price(0)),
    };
    labels.insert(label::NODE_POOL.into(), pool.name.clone());
    Launch { instance_type, zone, capacity_type, price, labels }
}

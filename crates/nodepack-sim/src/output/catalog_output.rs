//! `nodepack catalog` output: the instance types admitted, cheapest first, with capacity,
//! allocatable, offerings and where the prices come from.

use std::collections::BTreeMap;

use nodepack_core::{Price, Resources};
use serde::Serialize;

use super::VERSION;
use crate::catalog::Admitted;

/// One offering: a zone and capacity type at a price.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferingOutput<'a> {
    /// The zone.
    pub zone: &'a str,
    /// `on-demand`, `spot` or `reserved`.
    pub capacity_type: &'a str,
    /// USD per hour.
    pub price: Price,
    /// Whether it can be launched now.
    pub available: bool,
}

/// One instance type.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceTypeOutput<'a> {
    /// The name.
    pub name: &'a str,
    /// Capacity, as Kubernetes quantities by resource name.
    pub capacity: BTreeMap<String, String>,
    /// Allocatable (capacity minus kube-reserved, system-reserved and the eviction threshold).
    pub allocatable: BTreeMap<String, String>,
    /// The cheapest available on-demand offering allowed, USD per hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_price: Option<Price>,
    /// The cheapest available spot offering allowed, USD per hour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spot_price: Option<Price>,
    /// The offerings the NodePool or selector allows, by capacity type (reserved, spot,
    /// on-demand) then zone.
    pub offerings: Vec<OfferingOutput<'a>>,
}

/// The `catalog` document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogOutput<'a> {
    /// Always [`VERSION`].
    pub version: &'static str,
    /// Where the prices come from.
    pub price_source: &'a str,
    /// The launchable types, cheapest available offering first, then by name.
    pub instance_types: Vec<InstanceTypeOutput<'a>>,
    /// Types that match but have no available offering, by name.
    pub unavailable: &'a [&'a str],
}

/// Resources as Kubernetes quantities, by name.
pub fn quantities(r: &Resources) -> BTreeMap<String, String> {
    r.iter().map(|(name, v)| (name.as_str().to_string(), name.format(v))).collect()
}

impl<'a> CatalogOutput<'a> {
    /// The document for what [`crate::catalog::admitted`] found.
    pub fn new(admitted: &'a Admitted<'a>, price_source: &'a str) -> Self {
        CatalogOutput {
            version: VERSION,
            price_source,
            instance_types: admitted
                .entries
                .iter()
                .map(|e| InstanceTypeOutput {
                    name: &e.instance_type.name,
                    capacity: quantities(&e.instance_type.capacity),
                    allocatable: quantities(e.instance_type.allocatable()),
                    on_demand_price: e.on_demand,
                    spot_price: e.spot,
                    offerings: e
                        .offerings
                        .iter()
                        .map(|o| OfferingOutput {
                            zone: &o.zone,
                            capacity_type: &o.capacity_type,
                            price: o.price,
                            available: o.available,
                        })
                        .collect(),
                })
                .collect(),
            unavailable: &admitted.unavailable,
        }
    }
}

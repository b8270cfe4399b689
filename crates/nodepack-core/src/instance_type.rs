//! Instance types: capacity, overhead, allocatable, labels as requirements, and offerings.

use crate::label;
use crate::price::Price;
use crate::requirements::Requirements;
use crate::resources::Resources;

/// One way to buy an instance type: a zone and capacity type at a price.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Offering {
    /// The zone (`topology.kubernetes.io/zone`).
    pub zone: String,
    /// `on-demand`, `spot` or `reserved` (`karpenter.sh/capacity-type`).
    pub capacity_type: String,
    /// Price per hour.
    pub price: Price,
    /// Whether the offering can be launched now (false after an insufficient-capacity error).
    pub available: bool,
}

impl Offering {
    /// An available offering.
    pub fn new(zone: &str, capacity_type: &str, price: Price) -> Self {
        Offering { zone: zone.into(), capacity_type: capacity_type.into(), price, available: true }
    }

    /// Whether requirements admit this offering's zone and capacity type (undefined keys admit all).
    pub fn compatible_with(&self, reqs: &Requirements) -> bool {
        OfferingFilter::new(reqs).admits(self)
    }
}

/// The zone and capacity-type requirements of a requirement set, looked up once so that many
/// offerings can be checked without a map lookup each.
#[derive(Debug, Clone, Copy)]
pub struct OfferingFilter<'a> {
    zone: Option<&'a crate::Requirement>,
    capacity_type: Option<&'a crate::Requirement>,
}

impl<'a> OfferingFilter<'a> {
    /// The filter for a requirement set.
    pub fn new(reqs: &'a Requirements) -> Self {
        OfferingFilter { zone: reqs.get(label::ZONE), capacity_type: reqs.get(label::CAPACITY_TYPE) }
    }

    /// Whether an offering is compatible (its availability is not considered).
    pub fn admits(&self, o: &Offering) -> bool {
        self.zone.is_none_or(|r| r.has(&o.zone)) && self.capacity_type.is_none_or(|r| r.has(&o.capacity_type))
    }

    /// Whether an offering is available and compatible.
    pub fn admits_available(&self, o: &Offering) -> bool {
        o.available && self.admits(o)
    }
}

/// The resources a node keeps back from pods.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Overhead {
    /// `kubeReserved`.
    pub kube_reserved: Resources,
    /// `systemReserved`.
    pub system_reserved: Resources,
    /// The hard eviction threshold.
    pub eviction_threshold: Resources,
}

impl Overhead {
    /// The sum of the three parts (saturating).
    pub fn total(&self) -> Resources {
        let mut t = self.kube_reserved.clone();
        let _ = t.add_assign_checked(&self.system_reserved);
        let _ = t.add_assign_checked(&self.eviction_threshold);
        t
    }
}

/// Rank of a capacity type when Karpenter's provider chooses what to launch: reserved first,
/// then spot, then on-demand.
pub fn capacity_type_rank(ct: &str) -> u8 {
    match ct {
        label::RESERVED => 0,
        label::SPOT => 1,
        label::ON_DEMAND => 2,
        _ => 3,
    }
}

/// An instance type.
///
/// ```
/// use nodepack_core::{InstanceType, Offering, Price, Resources, ResourceName, Overhead};
/// let it = InstanceType::new(
///     "m6i.large",
///     Resources::new().with(ResourceName::Cpu, 2000).with(ResourceName::Memory, 8 << 30).with(ResourceName::Pods, 29),
///     Overhead { kube_reserved: Resources::new().with(ResourceName::Cpu, 70), ..Default::default() },
///     vec![Offering::new("us-east-1a", "on-demand", Price::from_dollars_str("0.096").unwrap())],
/// );
/// assert_eq!(it.allocatable().cpu().0, 1930);
/// assert!(it.requirements.get("node.kubernetes.io/instance-type").unwrap().has("m6i.large"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceType {
    /// The name (`node.kubernetes.io/instance-type`).
    pub name: String,
    /// The type's labels as requirements (instance type, zones and capacity types of its
    /// offerings, architecture, and any provider labels; `DoesNotExist` for labels it lacks).
    pub requirements: Requirements,
    /// Capacity.
    pub capacity: Resources,
    /// Overhead.
    pub overhead: Overhead,
    allocatable: Resources,
    /// Offerings.
    pub offerings: Vec<Offering>,
}

impl InstanceType {
    /// An instance type with the given labels added later through `requirements`. The name, the
    /// offerings' zones and capacity types are added as requirements here.
    pub fn new(name: &str, capacity: Resources, overhead: Overhead, offerings: Vec<Offering>) -> Self {
        let allocatable = capacity.saturating_sub(&overhead.total()).clamp_non_negative();
        let mut it = InstanceType {
            name: name.to_string(),
            requirements: Requirements::new(),
            capacity,
            overhead,
            allocatable,
            offerings,
        };
        it.refresh_offering_requirements();
        it.requirements.set(crate::Requirement::single(label::INSTANCE_TYPE, name));
        it
    }

    /// An instance type whose allocatable is given outright rather than derived from overhead.
    pub fn with_allocatable(name: &str, capacity: Resources, allocatable: Resources, offerings: Vec<Offering>) -> Self {
        let mut it = Self::new(name, capacity, Overhead::default(), offerings);
        it.allocatable = allocatable;
        it
    }

    /// Re-derives the zone and capacity-type requirements from the offerings.
    pub fn refresh_offering_requirements(&mut self) {
        let zones: Vec<String> = self.offerings.iter().map(|o| o.zone.clone()).collect();
        let cts: Vec<String> = self.offerings.iter().map(|o| o.capacity_type.clone()).collect();
        let zone_req = if zones.is_empty() {
            crate::Requirement::does_not_exist(label::ZONE)
        } else {
            crate::Requirement::new(label::ZONE, crate::Operator::In, zones).expect("non-empty In")
        };
        let ct_req = if cts.is_empty() {
            crate::Requirement::does_not_exist(label::CAPACITY_TYPE)
        } else {
            crate::Requirement::new(label::CAPACITY_TYPE, crate::Operator::In, cts).expect("non-empty In")
        };
        self.requirements.set(zone_req);
        self.requirements.set(ct_req);
    }

    /// Sets the overhead and re-derives allocatable.
    pub fn set_overhead(&mut self, overhead: Overhead) {
        self.allocatable = self.capacity.saturating_sub(&overhead.total()).clamp_non_negative();
        self.overhead = overhead;
    }

    /// Capacity minus overhead.
    pub fn allocatable(&self) -> &Resources {
        &self.allocatable
    }

    /// The cheapest available offering compatible with the requirements.
    pub fn cheapest_offering(&self, reqs: &Requirements) -> Option<&Offering> {
        self.cheapest_offering_with(&OfferingFilter::new(reqs))
    }

    /// [`cheapest_offering`](Self::cheapest_offering) with the filter looked up once.
    pub fn cheapest_offering_with(&self, filter: &OfferingFilter<'_>) -> Option<&Offering> {
        self.offerings
            .iter()
            .filter(|o| filter.admits_available(o))
            .min_by(|a, b| a.price.cmp(&b.price).then_with(|| a.zone.cmp(&b.zone)))
    }

    /// Whether some available offering is compatible with the requirements.
    pub fn has_offering(&self, reqs: &Requirements) -> bool {
        self.has_offering_with(&OfferingFilter::new(reqs))
    }

    /// [`has_offering`](Self::has_offering) with the filter looked up once.
    pub fn has_offering_with(&self, filter: &OfferingFilter<'_>) -> bool {
        self.offerings.iter().any(|o| filter.admits_available(o))
    }

    /// The offering matching a node's zone and capacity type, available or not.
    pub fn offering_for(&self, zone: &str, capacity_type: &str) -> Option<&Offering> {
        self.offerings.iter().find(|o| o.zone == zone && o.capacity_type == capacity_type)
    }
}

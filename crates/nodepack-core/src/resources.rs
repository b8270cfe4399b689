//! Resource lists (`cpu`, `memory`, `pods`, `ephemeral-storage` and extended resources) with
//! checked integer arithmetic.
//!
//! CPU is held in millicores, memory and ephemeral storage in bytes, pods and extended
//! resources (for example `nvidia.com/gpu`) as counts. The four common resources live in a
//! fixed array so that the fit check on the hot path touches no map.

use std::collections::BTreeMap;
use std::fmt;

use crate::quantity::{format_bytes, format_milli, Quantity, QuantityError};

/// CPU in thousandths of a core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Millicores(pub i64);

/// A size in bytes (memory, ephemeral storage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Bytes(pub i64);

impl Bytes {
    /// `n` mebibytes.
    pub const fn mib(n: i64) -> Self {
        Bytes(n * 1024 * 1024)
    }
    /// `n` gibibytes.
    pub const fn gib(n: i64) -> Self {
        Bytes(n * 1024 * 1024 * 1024)
    }
}

impl fmt::Display for Millicores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_milli(self.0))
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_bytes(self.0))
    }
}

/// The name of a resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceName {
    /// `cpu`, in millicores.
    Cpu,
    /// `memory`, in bytes.
    Memory,
    /// `pods`, a count.
    Pods,
    /// `ephemeral-storage`, in bytes.
    EphemeralStorage,
    /// Any other resource, such as `nvidia.com/gpu`, as a count.
    Extended(String),
}

impl ResourceName {
    /// Reads a resource name as Kubernetes spells it.
    pub fn parse(name: &str) -> Self {
        match name {
            "cpu" => ResourceName::Cpu,
            "memory" => ResourceName::Memory,
            "pods" => ResourceName::Pods,
            "ephemeral-storage" => ResourceName::EphemeralStorage,
            other => ResourceName::Extended(other.to_string()),
        }
    }

    /// The name as Kubernetes spells it.
    pub fn as_str(&self) -> &str {
        match self {
            ResourceName::Cpu => "cpu",
            ResourceName::Memory => "memory",
            ResourceName::Pods => "pods",
            ResourceName::EphemeralStorage => "ephemeral-storage",
            ResourceName::Extended(s) => s,
        }
    }

    fn fixed_index(&self) -> Option<usize> {
        match self {
            ResourceName::Cpu => Some(0),
            ResourceName::Memory => Some(1),
            ResourceName::Pods => Some(2),
            ResourceName::EphemeralStorage => Some(3),
            ResourceName::Extended(_) => None,
        }
    }

    /// Converts a quantity into this resource's integer unit (millicores for cpu, whole units otherwise).
    pub fn amount(&self, q: &Quantity, text: &str) -> Result<i64, QuantityError> {
        let v = match self {
            ResourceName::Cpu => q.to_milli(),
            _ => q.to_units(),
        };
        v.ok_or_else(|| QuantityError::Overflow { text: text.to_string() })
    }

    /// Formats an amount of this resource as a Kubernetes quantity.
    pub fn format(&self, amount: i64) -> String {
        match self {
            ResourceName::Cpu => format_milli(amount),
            ResourceName::Memory | ResourceName::EphemeralStorage => format_bytes(amount),
            _ => amount.to_string(),
        }
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ResourceName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

const FIXED: [ResourceName; 4] =
    [ResourceName::Cpu, ResourceName::Memory, ResourceName::Pods, ResourceName::EphemeralStorage];

/// An arithmetic result did not fit in 64 bits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("resource arithmetic overflowed on {resource}")]
pub struct ResourceOverflow {
    /// The resource whose sum overflowed.
    pub resource: ResourceName,
}

/// A list of resource amounts. Absent resources are zero.
///
/// ```
/// use nodepack_core::{Resources, ResourceName};
/// let node = Resources::new().with(ResourceName::Cpu, 2000).with(ResourceName::Memory, 8 << 30);
/// let pod = Resources::new().with(ResourceName::Cpu, 1500);
/// assert!(pod.fits(&node));
/// assert!(!pod.checked_add(&pod).unwrap().fits(&node));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Resources {
    fixed: [i64; 4],
    extended: BTreeMap<String, i64>,
}

impl Resources {
    /// An empty list (every resource zero).
    pub fn new() -> Self {
        Self::default()
    }

    /// This list with `name` set to `amount`.
    #[must_use]
    pub fn with(mut self, name: ResourceName, amount: i64) -> Self {
        self.set(&name, amount);
        self
    }

    /// Sets one resource.
    pub fn set(&mut self, name: &ResourceName, amount: i64) {
        match name.fixed_index() {
            Some(i) => self.fixed[i] = amount,
            None => {
                if amount == 0 {
                    self.extended.remove(name.as_str());
                } else {
                    self.extended.insert(name.as_str().to_string(), amount);
                }
            }
        }
    }

    /// The amount of one resource (zero when absent).
    pub fn get(&self, name: &ResourceName) -> i64 {
        match name.fixed_index() {
            Some(i) => self.fixed[i],
            None => self.extended.get(name.as_str()).copied().unwrap_or(0),
        }
    }

    /// CPU in millicores.
    pub fn cpu(&self) -> Millicores {
        Millicores(self.fixed[0])
    }
    /// Memory in bytes.
    pub fn memory(&self) -> Bytes {
        Bytes(self.fixed[1])
    }
    /// Pod count.
    pub fn pods(&self) -> i64 {
        self.fixed[2]
    }
    /// Ephemeral storage in bytes.
    pub fn ephemeral_storage(&self) -> Bytes {
        Bytes(self.fixed[3])
    }

    /// Every non-zero resource, common ones first, extended ones by name.
    pub fn iter(&self) -> impl Iterator<Item = (ResourceName, i64)> + '_ {
        FIXED
            .iter()
            .zip(self.fixed.iter())
            .filter(|(_, v)| **v != 0)
            .map(|(n, v)| (n.clone(), *v))
            .chain(self.extended.iter().filter(|(_, v)| **v != 0).map(|(k, v)| (ResourceName::Extended(k.clone()), *v)))
    }

    /// Whether every resource is zero.
    pub fn is_zero(&self) -> bool {
        self.fixed.iter().all(|v| *v == 0) && self.extended.values().all(|v| *v == 0)
    }

    /// The sum, or the resource that overflowed.
    pub fn checked_add(&self, other: &Resources) -> Result<Resources, ResourceOverflow> {
        let mut out = self.clone();
        out.add_assign_checked(other)?;
        Ok(out)
    }

    /// Adds `other` in place, or reports the resource that overflowed (leaving `self` partly added).
    #[allow(clippy::needless_range_loop)]
    pub fn add_assign_checked(&mut self, other: &Resources) -> Result<(), ResourceOverflow> {
        for i in 0..4 {
            self.fixed[i] =
                self.fixed[i].checked_add(other.fixed[i]).ok_or(ResourceOverflow { resource: FIXED[i].clone() })?;
        }
        for (k, v) in &other.extended {
            let e = self.extended.entry(k.clone()).or_insert(0);
            *e = e.checked_add(*v).ok_or_else(|| ResourceOverflow { resource: ResourceName::Extended(k.clone()) })?;
        }
        Ok(())
    }

    /// `self − other`, each resource saturating at zero from below is *not* applied: results may be negative.
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        let mut out = self.clone();
        for i in 0..4 {
            out.fixed[i] = out.fixed[i].saturating_sub(other.fixed[i]);
        }
        for (k, v) in &other.extended {
            let e = out.extended.entry(k.clone()).or_insert(0);
            *e = e.saturating_sub(*v);
        }
        out
    }

    /// Each resource clamped to be at least zero.
    pub fn clamp_non_negative(&self) -> Resources {
        let mut out = self.clone();
        for v in out.fixed.iter_mut() {
            *v = (*v).max(0);
        }
        for v in out.extended.values_mut() {
            *v = (*v).max(0);
        }
        out
    }

    /// The larger amount of each resource.
    pub fn max(&self, other: &Resources) -> Resources {
        let mut out = self.clone();
        for i in 0..4 {
            out.fixed[i] = out.fixed[i].max(other.fixed[i]);
        }
        for (k, v) in &other.extended {
            let e = out.extended.entry(k.clone()).or_insert(0);
            *e = (*e).max(*v);
        }
        out
    }

    /// Whether every resource in `self` is at most the same resource in `available`
    /// (a resource absent from `available` counts as zero there).
    pub fn fits(&self, available: &Resources) -> bool {
        self.first_exceeding(available).is_none()
    }

    /// The first resource (common ones first) whose amount exceeds `available`, if any.
    #[allow(clippy::needless_range_loop)]
    pub fn first_exceeding(&self, available: &Resources) -> Option<ResourceName> {
        for i in 0..4 {
            if self.fixed[i] > available.fixed[i] {
                return Some(FIXED[i].clone());
            }
        }
        for (k, v) in &self.extended {
            if *v > available.extended.get(k).copied().unwrap_or(0) {
                return Some(ResourceName::Extended(k.clone()));
            }
        }
        None
    }

    /// Raises each resource to `a − b` where that is larger (allocation-free when neither side
    /// has extended resources).
    #[allow(clippy::needless_range_loop)]
    pub fn max_assign_difference(&mut self, a: &Resources, b: &Resources) {
        for i in 0..4 {
            self.fixed[i] = self.fixed[i].max(a.fixed[i].saturating_sub(b.fixed[i]));
        }
        for (k, v) in &a.extended {
            let d = v.saturating_sub(b.extended.get(k).copied().unwrap_or(0));
            let e = self.extended.entry(k.clone()).or_insert(0);
            *e = (*e).max(d);
        }
    }

    /// The common resources (CPU, memory, pods, ephemeral storage) as a plain array, for dense
    /// tables on the hot path.
    pub(crate) fn fixed(&self) -> [i64; 4] {
        self.fixed
    }

    /// Whether any extended resource (a GPU, say) is listed.
    pub(crate) fn has_extended(&self) -> bool {
        !self.extended.is_empty()
    }

    /// [`max_assign_difference`](Self::max_assign_difference) over the common resources only,
    /// from `a − b` already worked out.
    #[allow(clippy::needless_range_loop)]
    pub(crate) fn max_assign_fixed(&mut self, a_minus_b: &[i64; 4]) {
        for i in 0..4 {
            self.fixed[i] = self.fixed[i].max(a_minus_b[i]);
        }
    }

    /// Whether `self + extra` fits within `available`, without building the sum.
    pub fn fits_with(&self, extra: &Resources, available: &Resources) -> bool {
        self.first_exceeding_with(extra, available).is_none()
    }

    /// The first resource where `self + extra` exceeds `available`, with the amount needed.
    #[allow(clippy::needless_range_loop)]
    pub fn first_exceeding_with(&self, extra: &Resources, available: &Resources) -> Option<(ResourceName, i64)> {
        for i in 0..4 {
            let need = self.fixed[i].saturating_add(extra.fixed[i]);
            if need > available.fixed[i] {
                return Some((FIXED[i].clone(), need));
            }
        }
        if self.extended.is_empty() && extra.extended.is_empty() {
            return None;
        }
        for (k, v) in &self.extended {
            let need = v.saturating_add(extra.extended.get(k).copied().unwrap_or(0));
            if need > available.extended.get(k).copied().unwrap_or(0) {
                return Some((ResourceName::Extended(k.clone()), need));
            }
        }
        for (k, v) in &extra.extended {
            if self.extended.contains_key(k) {
                continue;
            }
            if *v > available.extended.get(k).copied().unwrap_or(0) {
                return Some((ResourceName::Extended(k.clone()), *v));
            }
        }
        None
    }

    /// Whether any resource that `limit` names is exceeded by `self` (resources `limit` does not
    /// name are unlimited). Used for NodePool limits.
    pub fn exceeds_limits(&self, limit: &Resources) -> Option<ResourceName> {
        for (name, lim) in limit.iter_named() {
            if self.get(&name) > lim {
                return Some(name);
            }
        }
        None
    }

    /// Like [`iter`](Self::iter) but also yields zero-valued entries that were set explicitly on
    /// extended resources; the four common resources are yielded only when non-zero.
    fn iter_named(&self) -> impl Iterator<Item = (ResourceName, i64)> + '_ {
        FIXED
            .iter()
            .zip(self.fixed.iter())
            .filter(|(_, v)| **v != 0)
            .map(|(n, v)| (n.clone(), *v))
            .chain(self.extended.iter().map(|(k, v)| (ResourceName::Extended(k.clone()), *v)))
    }
}

impl fmt::Display for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        f.write_str("{")?;
        for (n, v) in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{}: {}", n, n.format(v))?;
        }
        f.write_str("}")
    }
}

/// Sets of resources keyed by name, as read from Kubernetes (`{cpu: "1", memory: 1Gi}`).
///
/// Returns the resource list, or the first key whose quantity is wrong together with the error.
pub fn parse_resource_map<'a, I>(entries: I) -> Result<Resources, (String, QuantityError)>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut out = Resources::new();
    for (k, v) in entries {
        let name = ResourceName::parse(k);
        let q: Quantity = v.parse().map_err(|e| (k.to_string(), e))?;
        let amount = name.amount(&q, v).map_err(|e| (k.to_string(), e))?;
        out.set(&name, amount);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_and_exceeds() {
        let node = Resources::new().with(ResourceName::Cpu, 2000).with(ResourceName::Pods, 3);
        let gpu = ResourceName::Extended("nvidia.com/gpu".into());
        let pod = Resources::new().with(ResourceName::Cpu, 500).with(ResourceName::Pods, 1);
        assert!(pod.fits(&node));
        let gpu_pod = pod.clone().with(gpu.clone(), 1);
        assert_eq!(gpu_pod.first_exceeding(&node), Some(gpu.clone()));
        let limits = Resources::new().with(ResourceName::Cpu, 1000);
        assert_eq!(node.exceeds_limits(&limits), Some(ResourceName::Cpu));
        assert_eq!(pod.exceeds_limits(&limits), None);
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        let a = Resources::new().with(ResourceName::Memory, i64::MAX);
        let err = a.checked_add(&a).unwrap_err();
        assert_eq!(err.resource, ResourceName::Memory);
    }

    #[test]
    fn parses_maps() {
        let r = parse_resource_map([("cpu", "250m"), ("memory", "1Gi"), ("nvidia.com/gpu", "2")]).unwrap();
        assert_eq!(r.cpu(), Millicores(250));
        assert_eq!(r.memory(), Bytes::gib(1));
        assert_eq!(r.get(&ResourceName::Extended("nvidia.com/gpu".into())), 2);
        assert_eq!(r.to_string(), "{cpu: 250m, memory: 1Gi, nvidia.com/gpu: 2}");
        let e = parse_resource_map([("cpu", "-1")]).unwrap_err();
        assert_eq!(e.0, "cpu");
    }
}

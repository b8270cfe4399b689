//! Why a NodePool or an existing node refused a pod, as data a person can act on.

use std::fmt;

use crate::requirements::Incompatibility;
use crate::resources::ResourceName;
use crate::taint::Taint;

/// The instance-type filter's findings when no type could take the pod (Karpenter's
/// `InstanceTypeFilterError`, with the figures behind it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct InstanceTypeMismatch {
    /// How many instance types were considered.
    pub considered: usize,
    /// Some type met the requirements.
    pub requirements_met: bool,
    /// Some type had enough allocatable.
    pub fits: bool,
    /// Some type had a compatible, available offering.
    pub has_offering: bool,
    /// Some single type met the requirements and fit.
    pub requirements_and_fits: bool,
    /// Some single type met the requirements and had an offering.
    pub requirements_and_offering: bool,
    /// Some single type fit and had an offering.
    pub fits_and_offering: bool,
    /// When nothing fit: the resource that fell short on the roomiest compatible type.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub short: Option<ResourceShortfall>,
    /// When a requirement excluded every type: the first key that did.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub requirement: Option<Incompatibility>,
    /// Instance types that meet the requirements and would fit, but have no available offering
    /// in the zones and capacity types allowed (so nothing can be launched for the pod).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub unavailable: Vec<String>,
    /// When `minValues` could not be met: the key and how many values were left.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub min_values: Option<MinValuesShortfall>,
}

/// A resource the pod needs more of than any candidate type offers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct ResourceShortfall {
    /// The resource.
    pub resource: ResourceName,
    /// What the pod (with what is already on the node, and daemon overhead) needs.
    pub requested: i64,
    /// The most any considered type has allocatable.
    pub largest: i64,
    /// The type with the most.
    pub largest_instance_type: String,
}

/// A `minValues` requirement the remaining types cannot meet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct MinValuesShortfall {
    /// The label key.
    pub key: String,
    /// The minValues asked for.
    pub min_values: u32,
    /// How many distinct values the remaining types have.
    pub available: usize,
}

/// Why a pod cannot go to one NodePool or one existing node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", tag = "kind"))]
#[non_exhaustive]
pub enum Refusal {
    /// Karpenter ignores the pod outright (an invalid or restricted requirement).
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    Ignored {
        /// What is wrong with the pod.
        detail: String,
    },
    /// No NodePool exists (or every one was dropped) and no existing node took the pod.
    NoNodePools,
    /// The NodePool's own requirements admit no instance type with an available offering.
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    PoolHasNoInstanceTypes {
        /// The pool's requirements, as text.
        requirements: String,
    },
    /// A taint the pod does not tolerate.
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    Taint {
        /// The taint.
        taint: Taint,
    },
    /// A label requirement that cannot be met.
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    Requirement {
        /// What does not match.
        incompatibility: Incompatibility,
    },
    /// A host port already used on the node (by a pod or a daemon).
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    HostPort {
        /// The port.
        port: u16,
    },
    /// The NodePool's `limits.nodes` is used up.
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    NodeLimit {
        /// The limit.
        limit: i64,
        /// Nodes counted against it (existing, and launched in this pass).
        nodes: i64,
    },
    /// Every instance type would push the NodePool past a resource limit.
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    ResourceLimit {
        /// The limited resource.
        resource: ResourceName,
        /// The limit.
        limit: i64,
        /// Counted against it: existing nodes' capacity and, pessimistically, the largest option
        /// of every node launched in this pass.
        in_use: i64,
        /// The capacity of the smallest instance type that could have been launched.
        smallest_node: i64,
    },
    /// No instance type met the requirements, had room and had an offering, all at once.
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    InstanceTypes {
        /// The filter's findings.
        mismatch: Box<InstanceTypeMismatch>,
    },
    /// An existing node has too little room left.
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    Resources {
        /// The resource that does not fit.
        resource: ResourceName,
        /// What the pod needs (with daemons still to come).
        requested: i64,
        /// What is left.
        available: i64,
    },
    /// A topology spread, affinity or anti-affinity constraint.
    #[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
    Topology {
        /// Which constraint and why, as text.
        detail: String,
    },
    /// The existing node is being deleted.
    NodeDeleting,
}

fn res(name: &ResourceName, v: i64) -> String {
    name.format(v)
}

impl fmt::Display for ResourceShortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} needed {}, the largest is {} on {}",
            self.resource,
            res(&self.resource, self.requested),
            res(&self.resource, self.largest),
            self.largest_instance_type
        )
    }
}

impl fmt::Display for InstanceTypeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.min_values {
            return write!(
                f,
                "minValues {} on {} cannot be met: only {} values left",
                m.min_values, m.key, m.available
            );
        }
        if !self.unavailable.is_empty() {
            // Types would take the pod but cannot be launched: that is the cause to name first.
            const SHOWN: usize = 3;
            let names: Vec<&str> = self.unavailable.iter().take(SHOWN).map(String::as_str).collect();
            let more = self.unavailable.len().saturating_sub(SHOWN);
            f.write_str(&names.join(", "))?;
            if more > 0 {
                write!(f, " (and {more} more)")?;
            }
            write!(
                f,
                " would fit but {} no available offering in the allowed zones and capacity types",
                if names.len() + more == 1 { "has" } else { "have" }
            )?;
            if let Some(s) = &self.short {
                write!(f, "; the instance types that have one are too small ({s})")?;
            }
            return Ok(());
        }
        let what = match (self.requirements_met, self.fits, self.has_offering) {
            (false, false, false) => {
                "no instance type met the requirements, had enough resources or had an available offering"
            }
            (false, false, true) => "no instance type met the requirements or had enough resources",
            (false, true, false) => "no instance type met the requirements or had an available offering",
            (true, false, false) => "no instance type had enough resources or an available offering",
            (false, true, true) => "no instance type met the requirements",
            (true, false, true) => "no instance type has enough resources",
            (true, true, false) => "no instance type has an available offering",
            (true, true, true) => {
                if !self.requirements_and_fits {
                    "no instance type that met the requirements had enough resources"
                } else if !self.requirements_and_offering {
                    "no instance type that met the requirements had an available offering"
                } else if !self.fits_and_offering {
                    "no instance type that had enough resources had an available offering"
                } else {
                    "no instance type met the requirements, resources and offering together"
                }
            }
        };
        f.write_str(what)?;
        if let Some(r) = &self.requirement {
            write!(f, " ({r})")?;
        }
        if let Some(s) = &self.short {
            write!(f, " ({s})")?;
            if s.resource == ResourceName::Cpu && s.requested >= 1_000_000_000 {
                f.write_str(" (CPU request >= 1 Million, m vs M typo?)")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Ignored { detail } => write!(f, "ignored by Karpenter: {detail}"),
            Refusal::NoNodePools => f.write_str("no NodePool can launch nodes"),
            Refusal::PoolHasNoInstanceTypes { requirements } => {
                write!(
                    f,
                    "the NodePool's requirements ({requirements}) admit no instance type with an available offering"
                )
            }
            Refusal::Taint { taint } => write!(f, "does not tolerate taint {taint}"),
            Refusal::Requirement { incompatibility } => write!(f, "{incompatibility}"),
            Refusal::HostPort { port } => write!(f, "host port {port} is already in use (by a pod or a DaemonSet)"),
            Refusal::NodeLimit { limit, nodes } => {
                write!(f, "node limit reached: {nodes} of {limit} nodes")
            }
            Refusal::ResourceLimit { resource, limit, in_use, smallest_node } => write!(
                f,
                "{resource} limit reached: {} of {} in use, and the smallest node the pool could launch adds {} more",
                res(resource, *in_use),
                res(resource, *limit),
                res(resource, *smallest_node)
            ),
            Refusal::InstanceTypes { mismatch } => write!(f, "{mismatch}"),
            Refusal::Resources { resource, requested, available } => write!(
                f,
                "not enough {resource}: needs {}, {} left",
                res(resource, *requested),
                res(resource, *available)
            ),
            Refusal::Topology { detail } => f.write_str(detail),
            Refusal::NodeDeleting => f.write_str("the node is being deleted"),
        }
    }
}

impl Refusal {
    /// How far through Karpenter's checks the pod got before this refusal; used to pick the
    /// refusal most worth showing first (the pool that came closest).
    pub fn depth(&self) -> u8 {
        match self {
            Refusal::Ignored { .. } | Refusal::NoNodePools | Refusal::PoolHasNoInstanceTypes { .. } => 0,
            Refusal::NodeDeleting => 0,
            Refusal::Taint { .. } => 1,
            Refusal::Requirement { .. } => 2,
            Refusal::HostPort { .. } => 3,
            Refusal::Topology { .. } => 4,
            Refusal::NodeLimit { .. } | Refusal::ResourceLimit { .. } => 5,
            Refusal::Resources { .. } | Refusal::InstanceTypes { .. } => 6,
        }
    }
}

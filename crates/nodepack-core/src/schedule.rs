//! The result of one provisioning pass.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::label::Labels;
use crate::price::Price;
use crate::refusal::Refusal;
use crate::requirements::Requirements;
use crate::resources::Resources;
use crate::taint::Taint;

/// A node Karpenter would launch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct NodeClaim {
    /// `<nodepool>-<n>`, numbered per pool in launch order.
    pub name: String,
    /// The NodePool.
    pub node_pool: String,
    /// The type the provider would launch: the cheapest available offering of the preferred
    /// capacity type (reserved, then spot, then on-demand) among the options.
    pub instance_type: String,
    /// The zone of that offering.
    pub zone: String,
    /// Its capacity type.
    pub capacity_type: String,
    /// Its hourly price.
    pub price: Price,
    /// Every instance type that could serve the claim, cheapest first (up to
    /// `maxInstanceTypes`, hundreds on a large catalog: the names are shared, not copied).
    pub instance_type_options: Vec<Arc<str>>,
    /// The node's labels.
    pub labels: Labels,
    /// The node's taints (the NodePool's `taints`).
    pub taints: Vec<Taint>,
    /// The pods placed on it, `namespace/name`.
    pub pods: Vec<String>,
    /// The claim's requirements.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub requirements: Requirements,
    /// The sum of the pods' requests (daemons excluded).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub requests: Resources,
    /// Whether `minValues` was lowered under the `BestEffort` policy.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub min_values_relaxed: bool,
}

/// Pods placed on one existing node.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExistingNodePlacement {
    /// The node.
    pub name: String,
    /// The pods, `namespace/name`.
    pub pods: Vec<String>,
}

/// A pod that could not be placed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Unschedulable {
    /// `namespace/name`.
    pub pod: String,
    /// One line a person can act on.
    pub reason: String,
    /// The refusal behind `reason`.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub cause: Refusal,
    /// Why each NodePool refused it (a message per pool).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub node_pools: BTreeMap<String, Refusal>,
    /// Why each existing node refused it.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub nodes: BTreeMap<String, Refusal>,
}

/// The outcome of a provisioning pass.
///
/// Every pending pod appears exactly once: in one claim's `pods`, one existing node's `pods`,
/// or `unschedulable`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// New nodes, in launch order.
    pub node_claims: Vec<NodeClaim>,
    /// Existing nodes that receive pods, by name.
    pub existing_nodes: Vec<ExistingNodePlacement>,
    /// Pods left pending, in queue order of their first attempt.
    pub unschedulable: Vec<Unschedulable>,
}

impl Schedule {
    /// The hourly price of the new nodes.
    pub fn new_nodes_cost(&self) -> Price {
        self.node_claims.iter().map(|c| c.price).sum()
    }

    /// Where a pod went: `Some(Ok(node or claim name))`, `Some(Err(reason))` when pending, `None`
    /// when the pod was not in the pass.
    pub fn placement_of(&self, pod: &str) -> Option<Result<&str, &Unschedulable>> {
        for c in &self.node_claims {
            if c.pods.iter().any(|p| p == pod) {
                return Some(Ok(&c.name));
            }
        }
        for n in &self.existing_nodes {
            if n.pods.iter().any(|p| p == pod) {
                return Some(Ok(&n.name));
            }
        }
        self.unschedulable.iter().find(|u| u.pod == pod).map(Err)
    }
}

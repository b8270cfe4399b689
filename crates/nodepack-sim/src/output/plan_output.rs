//! `nodepack plan` and `nodepack explain` output.

use std::collections::BTreeMap;

use nodepack_core::{ExistingNodePlacement, NodeClaim, Price, Refusal, Schedule};
use serde::Serialize;

use super::VERSION;

/// A pod left pending, with why each NodePool refused it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnschedulableOutput<'a> {
    /// `namespace/name`.
    pub pod: &'a str,
    /// One line a person can act on.
    pub reason: &'a str,
    /// NodePool name to why it refused.
    pub node_pools: BTreeMap<&'a str, String>,
    /// The refusal behind `reason`, as data (`kind` tells which).
    pub cause: &'a Refusal,
}

/// Hourly cost of the plan.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostOutput {
    /// The new nodes' price per hour.
    pub new_nodes_per_hour: Price,
}

/// The `plan` document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanOutput<'a> {
    /// Always [`VERSION`].
    pub version: &'static str,
    /// Nodes Karpenter would launch.
    pub node_claims: &'a [NodeClaim],
    /// Pods placed on existing nodes.
    pub existing_nodes: &'a [ExistingNodePlacement],
    /// Pods left pending.
    pub unschedulable: Vec<UnschedulableOutput<'a>>,
    /// Cost.
    pub cost: CostOutput,
}

impl<'a> PlanOutput<'a> {
    /// The document for a schedule.
    pub fn new(schedule: &'a Schedule) -> Self {
        PlanOutput {
            version: VERSION,
            node_claims: &schedule.node_claims,
            existing_nodes: &schedule.existing_nodes,
            unschedulable: schedule
                .unschedulable
                .iter()
                .map(|u| UnschedulableOutput {
                    pod: &u.pod,
                    reason: &u.reason,
                    node_pools: u.node_pools.iter().map(|(k, v)| (k.as_str(), v.to_string())).collect(),
                    cause: &u.cause,
                })
                .collect(),
            cost: CostOutput { new_nodes_per_hour: schedule.new_nodes_cost() },
        }
    }
}

/// One NodePool or node as `explain` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainEntry<'a> {
    /// Why it refused the pod, one line.
    pub reason: String,
    /// The refusal as data.
    pub refusal: &'a Refusal,
}

/// The `explain` document: where one pod goes, or why each NodePool and node refused it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainOutput<'a> {
    /// Always [`VERSION`].
    pub version: &'static str,
    /// `namespace/name`.
    pub pod: &'a str,
    /// `scheduled` or `pending`.
    pub status: &'static str,
    /// The node claim or existing node it goes to, when scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<&'a str>,
    /// Whether `node` is a new node claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_node: Option<bool>,
    /// The one-line reason, when pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    /// NodePool name to its refusal, when pending.
    pub node_pools: BTreeMap<&'a str, ExplainEntry<'a>>,
    /// Existing node name to its refusal, when pending.
    pub nodes: BTreeMap<&'a str, ExplainEntry<'a>>,
}

impl<'a> ExplainOutput<'a> {
    /// The document for one pod of a schedule, `None` when the pod was not pending.
    pub fn new(schedule: &'a Schedule, pod: &'a str) -> Option<Self> {
        let entry = |r: &'a Refusal| ExplainEntry { reason: r.to_string(), refusal: r };
        match schedule.placement_of(pod)? {
            Ok(node) => Some(ExplainOutput {
                version: VERSION,
                pod,
                status: "scheduled",
                node: Some(node),
                new_node: Some(schedule.node_claims.iter().any(|c| c.name == node)),
                reason: None,
                node_pools: BTreeMap::new(),
                nodes: BTreeMap::new(),
            }),
            Err(u) => Some(ExplainOutput {
                version: VERSION,
                pod,
                status: "pending",
                node: None,
                new_node: None,
                reason: Some(&u.reason),
                node_pools: u.node_pools.iter().map(|(k, v)| (k.as_str(), entry(v))).collect(),
                nodes: u.nodes.iter().map(|(k, v)| (k.as_str(), entry(v))).collect(),
            }),
        }
    }
}

//! `nodepack replay` output: the summary, the timeline and every decision of a replayed trace.

use std::collections::BTreeMap;

use nodepack_core::{NodeClaim, Price};
use serde::Serialize;

/// The `replay` document.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReplayOutput {
    /// Always [`super::VERSION`].
    pub version: &'static str,
    /// The trace's `metadata.name`.
    pub trace: String,
    /// The figures of the whole replay.
    pub summary: ReplaySummary,
    /// The cluster over time: a point at every change and one at the end, thinned to at most
    /// [`MAX_TIMELINE_POINTS`] (per stretch of time, the point with the most nodes and the last one).
    pub timeline: Vec<TimelinePoint>,
    /// Every launch, disruption, deletion, interruption and failed launch, in time order.
    pub decisions: Vec<DecisionRecord>,
    /// Pods still pending when the trace ends, with when they became pending and why they stay.
    pub pending_at_end: Vec<PendingPod>,
    /// Things the replay skipped or assumed, one line each.
    pub warnings: Vec<String>,
}

/// The most timeline points a replay keeps.
pub const MAX_TIMELINE_POINTS: usize = 2000;

/// The figures of the whole replay.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReplaySummary {
    /// How long the trace ran, in simulated seconds.
    pub simulated_seconds: i64,
    /// What every node cost over the replay, in USD (price × time, exact until printed).
    pub total_cost: Price,
    /// The most nodes at once (launched but not yet ready ones included).
    pub peak_nodes: usize,
    /// Pods bound to a node at least once.
    pub pods_scheduled: usize,
    /// Pods never bound (still pending at the end, or deleted while pending).
    pub pods_never_scheduled: usize,
    /// How long pods waited for a node, over every time a pod became pending (until it was
    /// bound, deleted, or the trace ended).
    pub pending_seconds: Percentiles,
    /// The same waits counted by how long they were.
    pub pending_seconds_histogram: Vec<HistogramBucket>,
    /// Nodes launched (provisioning and disruption replacements).
    pub nodes_launched: usize,
    /// Nodes removed by disruption, by reason, and by spot interruption.
    pub nodes_disrupted: DisruptedCounts,
    /// Nodes when the trace ends.
    pub nodes_at_end: usize,
    /// Pods pending when the trace ends.
    pub pods_pending_at_end: usize,
    /// Launches that found no capacity.
    pub launch_failures: usize,
    /// Average cost per hour over the replay.
    pub average_cost_per_hour: Price,
    /// What the nodes of each NodePool cost over the replay, in USD (static nodes under `""`).
    pub cost_by_node_pool: BTreeMap<String, Price>,
}

/// Percentiles of a list of whole seconds (nearest rank).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
pub struct Percentiles {
    /// The median.
    pub p50: i64,
    /// The 99th percentile.
    pub p99: i64,
    /// The largest.
    pub max: i64,
}

impl Percentiles {
    /// Nearest-rank percentiles of the samples (all 0 when there are none).
    pub fn of(samples: &mut [i64]) -> Self {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_unstable();
        let rank = |q: usize| {
            let n = samples.len();
            let r = (q * n).div_ceil(100).max(1);
            samples[r - 1]
        };
        Percentiles { p50: rank(50), p99: rank(99), max: samples[samples.len() - 1] }
    }
}

/// How many waits fell in a range of seconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HistogramBucket {
    /// The longest wait in this bucket, in seconds (`null` for the last, open-ended bucket);
    /// the bucket starts after the previous one's.
    pub up_to_seconds: Option<i64>,
    /// How many waits.
    pub count: usize,
}

/// The bucket bounds of [`HistogramBucket`]s: 0 s, 10 s, 30 s, 1 m, 2 m, 5 m, 15 m, 1 h, 6 h, more.
pub const HISTOGRAM_BOUNDS: [i64; 9] = [0, 10, 30, 60, 120, 300, 900, 3600, 21_600];

impl HistogramBucket {
    /// The histogram of some waits.
    pub fn histogram(samples: &[i64]) -> Vec<HistogramBucket> {
        let mut out: Vec<HistogramBucket> =
            HISTOGRAM_BOUNDS.iter().map(|b| HistogramBucket { up_to_seconds: Some(*b), count: 0 }).collect();
        out.push(HistogramBucket { up_to_seconds: None, count: 0 });
        for s in samples {
            let i = HISTOGRAM_BOUNDS.iter().position(|b| s <= b).unwrap_or(HISTOGRAM_BOUNDS.len());
            out[i].count += 1;
        }
        out
    }
}

/// Nodes removed by disruption reason, and by spot interruption.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
pub struct DisruptedCounts {
    /// Empty nodes deleted.
    #[serde(rename = "Empty")]
    pub empty: usize,
    /// Nodes consolidated.
    #[serde(rename = "Underutilized")]
    pub underutilized: usize,
    /// Drifted nodes replaced.
    #[serde(rename = "Drifted")]
    pub drifted: usize,
    /// Expired nodes deleted.
    #[serde(rename = "Expired")]
    pub expired: usize,
    /// Spot interruptions.
    #[serde(rename = "Interrupted")]
    pub interrupted: usize,
}

impl DisruptedCounts {
    /// Counts one node for a reason (`Empty`, `Underutilized`, `Drifted`, `Expired`,
    /// `Interrupted`); other reasons are not disruptions and are not counted.
    pub fn count(&mut self, reason: &str) {
        match reason {
            "Empty" => self.empty += 1,
            "Underutilized" => self.underutilized += 1,
            "Drifted" => self.drifted += 1,
            "Expired" => self.expired += 1,
            "Interrupted" => self.interrupted += 1,
            _ => {}
        }
    }

    /// All of them.
    pub fn total(&self) -> usize {
        self.empty + self.underutilized + self.drifted + self.expired + self.interrupted
    }
}

/// The cluster at one moment.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TimelinePoint {
    /// Simulated seconds from the start.
    pub t: i64,
    /// Nodes (launched but not yet ready ones included).
    pub nodes: usize,
    /// Pods waiting for a node.
    pub pending_pods: usize,
    /// What the nodes cost per hour.
    pub cost_per_hour: Price,
    /// CPU requested by bound pods over the ready nodes' allocatable CPU.
    pub cpu_requested_fraction: f64,
    /// The same for memory.
    pub memory_requested_fraction: f64,
    /// Nodes per NodePool.
    pub nodes_by_node_pool: BTreeMap<String, usize>,
    /// Nodes without a NodePool (a managed node group).
    pub static_nodes: usize,
    /// CPU requested by bound pods, in cores.
    pub cpu_requested_cores: f64,
    /// Allocatable CPU of the ready nodes, in cores.
    pub cpu_allocatable_cores: f64,
    /// Memory requested by bound pods, in GiB.
    pub memory_requested_gib: f64,
    /// Allocatable memory of the ready nodes, in GiB.
    pub memory_allocatable_gib: f64,
}

/// One decision, with when and why.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DecisionRecord {
    /// Simulated seconds from the start.
    pub t: i64,
    /// `launch`, `launchFailed`, `disruption`, `disruptionCancelled`, `deletion` or `interruption`.
    pub kind: &'static str,
    /// Why: `Provisioning` or a disruption reason for a launch; `Empty`, `Drifted`,
    /// `Underutilized` or `Expired` for a disruption; for a deletion the same, or
    /// `NodePoolDeleted` or `Deleted`; `Interrupted` for an interruption;
    /// `InsufficientCapacity` for a failed launch; what failed for a cancelled disruption.
    pub reason: String,
    /// A launch: the node claim as launched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_claim: Option<NodeClaim>,
    /// The node (deletion, interruption) or claim (failed launch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Its NodePool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_pool: Option<String>,
    /// Its instance type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// A disruption: `delete` or `replace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<&'static str>,
    /// A disruption: the nodes it disrupts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
    /// A disruption: the node claims launched in their place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<String>,
    /// A disruption: the candidates' price minus the replacements'.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savings_per_hour: Option<Price>,
    /// A deletion: how long the node lived, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_seconds: Option<i64>,
    /// Pods made pending (interruption, failed launch) or evicted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<String>,
    /// Offerings found out of capacity (`type/zone/capacity-type`) before this launch or failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unavailable_offerings: Vec<String>,
}

/// A pod still pending at the end.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PendingPod {
    /// `namespace/name`.
    pub pod: String,
    /// When it last became pending (simulated seconds).
    pub pending_since: i64,
    /// Why no NodePool or node takes it.
    pub reason: String,
}

/// Two replays of one trace: with its own NodePools, and with another set (`--compare`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplayComparison {
    /// The trace as written.
    pub baseline: ReplayOutput,
    /// The trace with the other NodePools and EC2NodeClasses.
    pub candidate: ReplayOutput,
}

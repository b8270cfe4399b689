//! Replay bench bodies: a fixture trace (`fixtures/traces/*.yaml`), read once, replayed through
//! [`nodepack_sim::simulation::replay`] as `nodepack replay` does.
//!
//! * [`ALIBABA_TRACE`]: the 34-day slice of Alibaba's openb GPU cluster, 8,151 pods from a CSV,
//!   time-compressed ×10 (the slow one).
//! * [`DAILY_CYCLE_TRACE`]: three days of a Deployment following the day on cortex-prod (fast).
//!
//! A trace holds no randomness but its `seed` setting, so a replay is the same every time.

use std::fmt;
use std::path::{Path, PathBuf};

use nodepack_core::Price;
use nodepack_sim::output::ReplayOutput;
use nodepack_sim::simulation::replay;
use nodepack_sim::trace::{self, Action, Apply, ReadOptions, Trace, TraceError};

/// The Alibaba openb slice.
pub const ALIBABA_TRACE: &str = "alibaba-openb";

/// Three days of a daily traffic cycle.
pub const DAILY_CYCLE_TRACE: &str = "daily-cycle";

/// The directory of the fixture traces (`fixtures/traces/` of the workspace).
pub fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/traces")
}

/// One replay bench body: a trace, read and checked.
#[derive(Debug, Clone)]
pub struct ReplayWorkload {
    /// The trace's file stem, with `/first-<n>` when its CSVs were cut.
    pub name: String,
    /// The trace.
    pub trace: Trace,
}

impl ReplayWorkload {
    /// Reads `fixtures/traces/<name>.yaml` with the trace's own settings (no command-line
    /// overrides, as `nodepack replay TRACE` runs it).
    pub fn fixture(name: &str) -> Result<ReplayWorkload, TraceError> {
        let path = traces_dir().join(format!("{name}.yaml"));
        let trace = trace::read(&path, &ReadOptions::default())?;
        Ok(ReplayWorkload { name: name.to_string(), trace })
    }

    /// This body with only the first `n` pods of every CSV the trace applies (a shorter window
    /// of a CSV-driven trace; traces without a CSV are unchanged).
    #[must_use]
    pub fn with_first_csv_pods(mut self, n: usize) -> ReplayWorkload {
        for e in &mut self.trace.events {
            if let Action::Apply(Apply::PodsCsv(csv)) = &mut e.action {
                csv.pods.truncate(n);
            }
        }
        self.name = format!("{}/first-{n}", self.name);
        self
    }

    /// Pods the trace's CSVs bring (Deployments and other workloads not counted).
    pub fn csv_pods(&self) -> usize {
        self.trace
            .events
            .iter()
            .map(|e| match &e.action {
                Action::Apply(Apply::PodsCsv(csv)) => csv.pods.len(),
                _ => 0,
            })
            .sum()
    }

    /// Replays a copy of the trace to its end.
    pub fn run(&self) -> Result<ReplayOutput, TraceError> {
        replay(self.trace.clone())
    }
}

/// What a replay did, in numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Simulated seconds.
    pub simulated_seconds: i64,
    /// Pods that existed at some point: bound at least once, or never bound.
    pub pods: usize,
    /// Pods never bound to a node.
    pub pods_never_scheduled: usize,
    /// Pods still pending at the end.
    pub pods_pending_at_end: usize,
    /// Nodes launched (provisioning and replacements).
    pub nodes_launched: usize,
    /// The most nodes at once.
    pub peak_nodes: usize,
    /// Nodes removed by disruption or interruption.
    pub nodes_disrupted: usize,
    /// What every node cost over the replay, in USD.
    pub total_cost: Price,
}

impl ReplaySummary {
    /// The figures of a replay.
    pub fn of(out: &ReplayOutput) -> ReplaySummary {
        let s = &out.summary;
        ReplaySummary {
            simulated_seconds: s.simulated_seconds,
            pods: s.pods_scheduled + s.pods_never_scheduled,
            pods_never_scheduled: s.pods_never_scheduled,
            pods_pending_at_end: s.pods_pending_at_end,
            nodes_launched: s.nodes_launched,
            peak_nodes: s.peak_nodes,
            nodes_disrupted: s.nodes_disrupted.total(),
            total_cost: s.total_cost,
        }
    }
}

impl fmt::Display for ReplaySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} simulated s: {} pods ({} never scheduled, {} pending at the end), {} nodes launched \
             (peak {}), {} disrupted, total cost ${:.2}",
            self.simulated_seconds,
            self.pods,
            self.pods_never_scheduled,
            self.pods_pending_at_end,
            self.nodes_launched,
            self.peak_nodes,
            self.nodes_disrupted,
            self.total_cost.as_dollars()
        )
    }
}

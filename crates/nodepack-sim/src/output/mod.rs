//! The JSON documents nodepack prints (FORMATS.md §4): the contract scripts are written
//! against. Field names are camelCase and every list is in a stable order, so two runs print
//! the same bytes.

mod catalog_output;
mod disrupt_output;
mod lint_output;
mod plan_output;
mod replay_output;

pub use catalog_output::{quantities, CatalogOutput, InstanceTypeOutput, OfferingOutput};
pub use disrupt_output::{format_rfc3339, BlockedOutput, CommandOutput, DisruptOutput};
pub use lint_output::LintOutput;
pub use plan_output::{ExplainOutput, PlanOutput, UnschedulableOutput};
pub use replay_output::{
    DecisionRecord, DisruptedCounts, HistogramBucket, PendingPod, Percentiles, ReplayComparison, ReplayOutput,
    ReplaySummary, TimelinePoint, MAX_TIMELINE_POINTS,
};

/// The output `version` of every document.
pub const VERSION: &str = "v1alpha1";

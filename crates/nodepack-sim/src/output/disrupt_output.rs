//! `nodepack disrupt` output (FORMATS.md §4): the commands one disruption pass starts and the
//! nodes it leaves alone, with why.

use nodepack_core::{DisruptionPlan, NodeClaim, Price};
use serde::Serialize;

use super::VERSION;

/// One disruption command.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandOutput<'a> {
    /// `Empty`, `Drifted`, `Underutilized` or `Expired`.
    pub reason: &'static str,
    /// `delete` or `replace`.
    pub decision: &'static str,
    /// The nodes disrupted, in the order the method chose them.
    pub candidates: &'a [String],
    /// The nodes launched in their place, with the fields of a `plan` node claim.
    pub replacements: &'a [NodeClaim],
    /// The candidates' hourly price minus the replacements'.
    pub savings_per_hour: Price,
}

/// A node the pass does not disrupt.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockedOutput<'a> {
    /// The node.
    pub node: &'a str,
    /// Why, one line.
    pub reason: String,
}

/// The `disrupt` document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisruptOutput<'a> {
    /// Always [`VERSION`].
    pub version: &'static str,
    /// The time of the pass, RFC 3339 in UTC (an addition to FORMATS.md §4).
    pub now: String,
    /// Expiration commands first, then at most one command of the first method that found one.
    pub commands: Vec<CommandOutput<'a>>,
    /// Nodes not disrupted, by node name.
    pub blocked: Vec<BlockedOutput<'a>>,
}

impl<'a> DisruptOutput<'a> {
    /// The document for a plan computed at `now` (seconds since the Unix epoch).
    pub fn new(plan: &'a DisruptionPlan, now: i64) -> Self {
        DisruptOutput {
            version: VERSION,
            now: format_rfc3339(now),
            commands: plan
                .commands
                .iter()
                .map(|c| CommandOutput {
                    reason: c.reason.as_str(),
                    decision: c.decision.as_str(),
                    candidates: &c.candidates,
                    replacements: &c.replacements,
                    savings_per_hour: c.savings,
                })
                .collect(),
            blocked: plan
                .blocked
                .iter()
                .map(|b| BlockedOutput { node: &b.node, reason: b.reason.to_string() })
                .collect(),
        }
    }
}

/// `2024-01-01T10:00:00Z` for seconds since the Unix epoch (proleptic Gregorian, UTC).
///
/// ```
/// use nodepack_sim::output::format_rfc3339;
/// assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
/// assert_eq!(format_rfc3339(1_709_202_600), "2024-02-29T10:30:00Z");
/// ```
pub fn format_rfc3339(t: i64) -> String {
    let secs = t.rem_euclid(86_400);
    let nodepack_core::CivilDate { year: y, month: m, day: d } =
        nodepack_core::CivilDate::from_days(t.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, (secs % 3600) / 60, secs % 60)
}

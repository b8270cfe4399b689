//! The HTML report of a replay.

use crate::output::ReplayOutput;

/// The report page.
pub fn html(output: &ReplayOutput) -> String {
    format!("<!DOCTYPE html><html><body>{}</body></html>", output.trace)
}

//! `nodepack lint` output: `{"version": "v1alpha1", "findings": [...]}`.

use serde::Serialize;

use super::VERSION;
use crate::lint::Finding;

/// The `lint` document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintOutput<'a> {
    /// Always [`VERSION`].
    pub version: &'static str,
    /// Every finding, in [`crate::lint::lint`]'s order.
    pub findings: &'a [Finding],
}

impl<'a> LintOutput<'a> {
    /// The document for a list of findings.
    pub fn new(findings: &'a [Finding]) -> Self {
        LintOutput { version: VERSION, findings }
    }
}

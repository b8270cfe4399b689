//! `nodepack lint`: problems in the manifests.

use nodepack_sim::lint::{fails, lint as lint_inputs, Finding, Severity};
use nodepack_sim::output::LintOutput;

use super::{emit, load, CommandError};
use crate::cli::Inputs;
use crate::table::Table;

/// Lints the manifests; exit status 1 when a finding is a warning or an error.
pub fn lint(inputs: &Inputs) -> Result<u8, CommandError> {
    let loaded = load(&inputs.files)?;
    let findings = lint_inputs(&loaded);
    emit(inputs.output, &LintOutput::new(&findings), || lint_table(&findings))?;
    Ok(if fails(&findings) { 1 } else { 0 })
}

fn lint_table(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "No problems found.\n".to_string();
    }
    let mut t = Table::new(&["SEVERITY", "OBJECT", "CODE", "MESSAGE"]);
    for f in findings {
        t.row(vec![f.severity.to_string(), f.object.clone(), f.code.to_string(), f.message.clone()]);
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}\n{}, {}, {}\n",
        t.render(),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Info), "note")
    )
}

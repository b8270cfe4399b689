//! `nodepack replay TRACE [--report DIR] [--compare OTHER.yaml]`.

use std::io::IsTerminal;
use std::path::Path;

use nodepack_sim::engine::Seconds;
use nodepack_sim::manifest::{self, InputPath};
use nodepack_sim::output::{ReplayComparison, ReplayOutput};
use nodepack_sim::report::{describe, duration};
use nodepack_sim::simulation::replay_with_progress;
use nodepack_sim::trace::{self, Action, Apply, ReadOptions, Trace, TraceEvent};

use super::{emit, CommandError};
use crate::cli::Output;
use crate::table::Table;

/// Kinds `--compare` takes from the other file.
const COMPARED_KINDS: [&str; 2] = ["NodePool", "EC2NodeClass"];

/// Replays a trace (and, with `compare`, the same trace with other NodePools) and prints it.
pub fn replay(
    trace_path: &Path,
    report: Option<&Path>,
    compare: Option<&Path>,
    time_compression: Option<i64>,
    output: Output,
) -> Result<u8, CommandError> {
    let options = ReadOptions { time_compression };
    let trace = trace::read(trace_path, &options).map_err(|e| CommandError::Usage(e.to_string()))?;
    for w in &trace.warnings {
        eprintln!("warning: {w}");
    }
    let candidate_trace = match compare {
        Some(other) => Some(with_node_pools_of(trace.clone(), other)?),
        None => None,
    };
    let baseline = run(trace, if candidate_trace.is_some() { "baseline" } else { "replay" })?;
    let candidate = match candidate_trace {
        Some(t) => Some(run(t, "candidate")?),
        None => None,
    };
    for w in &baseline.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(dir) = report {
        std::fs::create_dir_all(dir)
            .map_err(|e| CommandError::Usage(format!("--report {}: cannot create: {e}", dir.display())))?;
        let write = |name: &str, doc: &ReplayOutput| -> Result<(), CommandError> {
            let path = dir.join(name);
            std::fs::write(&path, nodepack_sim::report::html(doc))
                .map_err(|e| CommandError::Usage(format!("{}: cannot write: {e}", path.display())))
        };
        write("index.html", &baseline)?;
        if let Some(c) = &candidate {
            write("candidate.html", c)?;
            eprintln!("report: {} and {}", dir.join("index.html").display(), dir.join("candidate.html").display());
        } else {
            eprintln!("report: {}", dir.join("index.html").display());
        }
    }
    match candidate {
        Some(candidate) => {
            let doc = ReplayComparison { baseline, candidate };
            emit(output, &doc, || comparison_table(&doc))?;
        }
        None => emit(output, &baseline, || replay_table(&baseline))?,
    }
    Ok(0)
}

/// The trace with the NodePools and EC2NodeClasses of `other` in place of its own: every
/// document of those kinds the trace applies is dropped, and the other file's are applied first.
fn with_node_pools_of(mut trace: Trace, other: &Path) -> Result<Trace, CommandError> {
    manifest::load(&[InputPath::File(other.to_path_buf())])?;
    let name = other.display().to_string();
    let text = std::fs::read_to_string(other).map_err(|e| CommandError::Usage(format!("{name}: cannot read: {e}")))?;
    let mut docs = vec![];
    for d in serde_yaml::Deserializer::from_str(&text) {
        let v = <serde_yaml::Value as serde::Deserialize>::deserialize(d)
            .map_err(|e| CommandError::Usage(format!("{name}: not YAML: {e}")))?;
        docs.push(v);
    }
    let docs: Vec<serde_yaml::Value> = trace::flatten(docs)
        .into_iter()
        .filter(|d| d.get("kind").and_then(|k| k.as_str()).is_some_and(|k| COMPARED_KINDS.contains(&k)))
        .collect();
    if !docs.iter().any(|d| d.get("kind").and_then(|k| k.as_str()) == Some("NodePool")) {
        return Err(CommandError::Usage(format!("--compare {name}: no NodePool in it")));
    }
    trace.remove_documents_of_kinds(&COMPARED_KINDS);
    trace.events.insert(
        0,
        TraceEvent { index: None, at: 0, action: Action::Apply(Apply::Documents { origin: name, documents: docs }) },
    );
    Ok(trace)
}

fn run(trace: Trace, what: &str) -> Result<ReplayOutput, CommandError> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(100);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {percent}% simulated {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(what.to_string());
        bar
    });
    let mut progress = |now: Seconds, end: Seconds| {
        if let Some(b) = &bar {
            b.set_length(end.max(1) as u64);
            b.set_position(now.max(0) as u64);
            b.set_message(format!("{} of {}", duration(now), duration(end)));
        }
    };
    let out = replay_with_progress(trace, &mut progress).map_err(|e| CommandError::Usage(e.to_string()));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out
}

fn summary_rows(r: &ReplayOutput) -> Vec<(&'static str, String)> {
    let s = &r.summary;
    let d = &s.nodes_disrupted;
    vec![
        ("Simulated", format!("{} ({} s)", duration(s.simulated_seconds), s.simulated_seconds)),
        ("Total cost", format!("${:.2}", s.total_cost.as_dollars())),
        ("Average cost", format!("${:.3}/hour", s.average_cost_per_hour.as_dollars())),
        ("Peak nodes", s.peak_nodes.to_string()),
        ("Nodes launched", s.nodes_launched.to_string()),
        ("Launch failures", s.launch_failures.to_string()),
        (
            "Nodes disrupted",
            format!(
                "{} (Empty {}, Underutilized {}, Drifted {}, Expired {}, Interrupted {})",
                d.total(),
                d.empty,
                d.underutilized,
                d.drifted,
                d.expired,
                d.interrupted
            ),
        ),
        ("Pods scheduled", s.pods_scheduled.to_string()),
        ("Pods never scheduled", s.pods_never_scheduled.to_string()),
        (
            "Pending time",
            format!(
                "p50 {}  p99 {}  max {}",
                duration(s.pending_seconds.p50),
                duration(s.pending_seconds.p99),
                duration(s.pending_seconds.max)
            ),
        ),
        ("Nodes at end", s.nodes_at_end.to_string()),
        ("Pods pending at end", s.pods_pending_at_end.to_string()),
    ]
}

fn replay_table(r: &ReplayOutput) -> String {
    let mut out = format!("Replay of {}\n", r.trace);
    let mut t = Table::new(&["", ""]);
    for (k, v) in summary_rows(r) {
        t.row(vec![k.to_string(), v]);
    }
    // Drop the empty header line.
    out.push_str(t.render().split_once('\n').map(|x| x.1).unwrap_or(""));
    const SHOWN: usize = 10;
    if !r.decisions.is_empty() {
        let skip = r.decisions.len().saturating_sub(SHOWN);
        out.push_str(&format!("\nLast {} of {} decisions:\n", r.decisions.len() - skip, r.decisions.len()));
        let mut t = Table::new(&["T", "KIND", "REASON", "DETAIL"]);
        for d in &r.decisions[skip..] {
            t.row(vec![duration(d.t), d.kind.to_string(), d.reason.clone(), describe(d)]);
        }
        out.push_str(&t.render());
    }
    if !r.pending_at_end.is_empty() {
        out.push_str(&format!("\nPods pending at the end: {}\n", r.pending_at_end.len()));
        let mut t = Table::new(&["POD", "PENDING SINCE", "REASON"]);
        for p in r.pending_at_end.iter().take(SHOWN) {
            t.row(vec![p.pod.clone(), duration(p.pending_since), p.reason.clone()]);
        }
        if r.pending_at_end.len() > SHOWN {
            t.row(vec![format!("... and {} more", r.pending_at_end.len() - SHOWN)]);
        }
        out.push_str(&t.render());
    }
    out
}

fn comparison_table(c: &ReplayComparison) -> String {
    let mut out = format!("Replay of {}: baseline against candidate NodePools\n", c.baseline.trace);
    let mut t = Table::new(&["", "BASELINE", "CANDIDATE"]);
    for ((k, a), (_, b)) in summary_rows(&c.baseline).into_iter().zip(summary_rows(&c.candidate)) {
        t.row(vec![k.to_string(), a, b]);
    }
    out.push_str(&t.render());
    let (a, b) = (c.baseline.summary.total_cost, c.candidate.summary.total_cost);
    if a.0 > 0 {
        let pct = (b.0 as f64 - a.0 as f64) / a.0 as f64 * 100.0;
        out.push_str(&format!("\nCandidate cost: {pct:+.1}% against the baseline.\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(61), "1m1s");
        assert_eq!(duration(90_061), "1d1h1m1s");
    }
}

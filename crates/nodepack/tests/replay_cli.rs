//! `nodepack replay` end to end: the JSON document, `--compare`, `--report`, `--time-compression`,
//! and bad traces (exit status 2, the file and event named, no panic).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn nodepack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nodepack")).args(args).current_dir(root()).output().expect("runs nodepack")
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nodepack-replay-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn replay_json_follows_the_contract() {
    let out = nodepack(&["replay", "fixtures/traces/cortex-prod-scale-up.yaml", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["version"], "v1alpha1");
    let s = &doc["summary"];
    for k in ["simulatedSeconds", "totalCost", "peakNodes", "podsScheduled", "podsNeverScheduled", "nodesLaunched"] {
        assert!(s[k].is_number(), "summary.{k}");
    }
    for k in ["p50", "p99", "max"] {
        assert!(s["pendingSeconds"][k].is_number(), "pendingSeconds.{k}");
    }
    for k in ["Empty", "Underutilized", "Drifted", "Expired", "Interrupted"] {
        assert!(s["nodesDisrupted"][k].is_number(), "nodesDisrupted.{k}");
    }
    let p = &doc["timeline"][0];
    for k in ["t", "nodes", "pendingPods", "costPerHour", "cpuRequestedFraction", "memoryRequestedFraction"] {
        assert!(p[k].is_number(), "timeline[0].{k}");
    }
    let d = &doc["decisions"][0];
    assert!(d["t"].is_number() && d["kind"] == "launch" && d["nodeClaim"]["instanceType"].is_string());
    // The table for people names the pending pods and the last decisions.
    let out = nodepack(&["replay", "fixtures/traces/cortex-prod-scale-up.yaml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Peak nodes") && text.contains("Last 10 of") && text.contains("falkordb/falkordb-data-29"),
        "{text}"
    );
}

#[test]
fn compare_and_report() {
    let dir = temp("report");
    let report = dir.join("out");
    let out = nodepack(&[
        "replay",
        "fixtures/traces/daily-cycle.yaml",
        "--compare",
        "fixtures/traces/candidates/general-spot.yaml",
        "--report",
        report.to_str().expect("utf-8 path"),
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let (a, b) = (&doc["baseline"]["summary"]["totalCost"], &doc["candidate"]["summary"]["totalCost"]);
    assert!(a.is_number() && b.is_number() && a != b, "{a} {b}");
    let page = fs::read_to_string(report.join("index.html")).expect("index.html");
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg"));
    assert!(report.join("candidate.html").is_file());
    let text = String::from_utf8_lossy(
        &nodepack(&[
            "replay",
            "fixtures/traces/daily-cycle.yaml",
            "--compare",
            "fixtures/traces/candidates/general-spot.yaml",
        ])
        .stdout,
    )
    .to_string();
    assert!(text.contains("BASELINE") && text.contains("CANDIDATE") && text.contains("Total cost"), "{text}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn time_compression_flag() {
    let a: Value =
        serde_json::from_slice(&nodepack(&["replay", "fixtures/traces/daily-cycle.yaml", "-o", "json"]).stdout)
            .expect("JSON");
    let b: Value = serde_json::from_slice(
        &nodepack(&["replay", "fixtures/traces/daily-cycle.yaml", "--time-compression", "4", "-o", "json"]).stdout,
    )
    .expect("JSON");
    assert_eq!(a["summary"]["simulatedSeconds"], 259_200);
    assert_eq!(b["summary"]["simulatedSeconds"], 64_800);
    let out = nodepack(&["replay", "fixtures/traces/daily-cycle.yaml", "--time-compression", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_traces_exit_2_naming_file_and_event() {
    let dir = temp("bad");
    let cases = [
        ("back.yaml", "  - at: 2h\n    end: true\n  - at: 1h\n    end: true\n", "spec.events[1]"),
        ("unknown.yaml", "  - at: 1h\n    teleport: {node: a}\n", "spec.events[0]"),
        ("duration.yaml", "  - at: 1 hour\n    end: true\n", "spec.events[0]"),
    ];
    for (file, events, want) in cases {
        let path = dir.join(file);
        fs::write(
            &path,
            format!("apiVersion: nodepack.io/v1alpha1\nkind: Trace\nmetadata: {{name: t}}\nspec:\n  events:\n{events}"),
        )
        .expect("write");
        let out = nodepack(&["replay", path.to_str().expect("utf-8 path")]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(file) && err.contains(want), "{file}: {err}");
        assert!(!err.contains("panicked"), "{file}: {err}");
    }
    let out = nodepack(&["replay", "no-such-trace.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = fs::remove_dir_all(&dir);
}

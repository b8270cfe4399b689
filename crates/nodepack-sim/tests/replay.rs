//! Replays of the fixture traces (`fixtures/traces/*.yaml`) against golden JSON documents in
//! `fixtures/traces/expected/` (rewritten, deliberately, with `NODEPACK_UPDATE_FIXTURES=1`; review
//! the diff before committing it), determinism, the no-pod-lost invariant, bad traces, and the
//! HTML report.
//!
//! The Alibaba slice replays in full only with `NODEPACK_SLOW_TESTS=1`; the default run replays
//! its first few hundred pods.
//!
//! The simulation checks, in debug and test builds, at every timeline point, that every pod is
//! bound, pending or deleted and counted once (it panics otherwise), so every replay here also
//! checks that no pod is lost.

use std::fs;
use std::path::{Path, PathBuf};

use nodepack_sim::output::ReplayOutput;
use nodepack_sim::report;
use nodepack_sim::simulation::replay;
use nodepack_sim::trace::{self, Action, Apply, ReadOptions, Trace};

fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/traces")
}

fn slow() -> bool {
    std::env::var_os("NODEPACK_SLOW_TESTS").is_some()
}

fn read(name: &str) -> Trace {
    let path = traces_dir().join(format!("{name}.yaml"));
    trace::read(&path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn json(out: &ReplayOutput) -> String {
    let mut text = serde_json::to_string_pretty(out).expect("replay serializes");
    text.push('\n');
    text
}

/// Keeps only the first `n` pods of every CSV in the trace.
fn first_csv_pods(mut t: Trace, n: usize) -> Trace {
    for e in &mut t.events {
        if let Action::Apply(Apply::PodsCsv(csv)) = &mut e.action {
            csv.pods.truncate(n);
        }
    }
    t
}

const TRACES: [&str; 5] = ["cortex-prod-scale-up", "daily-cycle", "zone-capacity-out", "rollback", "alibaba-openb"];

#[test]
fn golden_replays() {
    let update = std::env::var_os("NODEPACK_UPDATE_FIXTURES").is_some();
    let expected_dir = traces_dir().join("expected");
    let mut failures = vec![];
    for name in TRACES {
        if name == "alibaba-openb" && !slow() && !update {
            continue;
        }
        let out = replay(read(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = json(&out);
        let path = expected_dir.join(format!("{name}.json"));
        if update {
            fs::create_dir_all(&expected_dir).expect("create expected/");
            fs::write(&path, &got).expect("write golden");
            continue;
        }
        match fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => {
                let line = want.lines().zip(got.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
                failures.push(format!(
                    "{name}: differs from {} from line {line} (NODEPACK_UPDATE_FIXTURES=1 to accept)",
                    path.display()
                ));
            }
            Err(_) => failures.push(format!("{name}: no {} (run with NODEPACK_UPDATE_FIXTURES=1)", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn same_trace_same_bytes() {
    for name in ["cortex-prod-scale-up", "zone-capacity-out"] {
        let (a, b) = (replay(read(name)).expect("replays"), replay(read(name)).expect("replays"));
        assert!(json(&a) == json(&b), "{name}: two replays differ");
        assert!(report::html(&a) == report::html(&b), "{name}: two reports differ");
    }
}

#[test]
fn alibaba_slice_replays_and_is_deterministic() {
    let n = if slow() { usize::MAX } else { 300 };
    let a = replay(first_csv_pods(read("alibaba-openb"), n)).expect("replays");
    let b = replay(first_csv_pods(read("alibaba-openb"), n)).expect("replays");
    assert_eq!(json(&a), json(&b));
    let s = &a.summary;
    assert!(s.nodes_launched > 0, "the GPU and general pools launch nodes");
    assert!(s.pods_scheduled > 0);
    // Every pod that ever arrived is accounted for.
    assert!(s.pods_scheduled + s.pods_never_scheduled >= 300.min(n));
    assert!(a.timeline.len() <= nodepack_sim::output::MAX_TIMELINE_POINTS + 1);
    assert!(a.timeline.windows(2).all(|w| w[0].t <= w[1].t), "timeline in time order");
    assert!(a.decisions.windows(2).all(|w| w[0].t <= w[1].t), "decisions in time order");
}

#[test]
fn cortex_scale_up_stops_at_the_memory_pool_limit() {
    let out = replay(read("cortex-prod-scale-up")).expect("replays");
    let memory_nodes = out
        .decisions
        .iter()
        .filter(|d| d.kind == "launch")
        .filter(|d| d.node_claim.as_ref().is_some_and(|c| c.node_pool == "memory-pool-xlarge"))
        .count();
    // 25 nodes of 4 vCPU make the 100-vCPU limit; 30 replicas leave 5 pending.
    assert_eq!(memory_nodes, 25);
    assert_eq!(out.pending_at_end.len(), 5);
    for p in &out.pending_at_end {
        assert!(p.pod.starts_with("falkordb/falkordb-data-"), "{}", p.pod);
        assert!(p.reason.contains("limit"), "{}", p.reason);
        assert_eq!(p.pending_since, 4500);
    }
}

#[test]
fn zone_capacity_out_moves_launches_elsewhere() {
    let out = replay(read("zone-capacity-out")).expect("replays");
    let launches: Vec<_> = out.decisions.iter().filter_map(|d| d.node_claim.as_ref().map(|c| (d, c))).collect();
    let after_out: Vec<_> =
        launches.iter().filter(|(d, c)| d.t > 600 && d.t < 7200 && c.node_pool == "memory-pool-xlarge").collect();
    assert!(!after_out.is_empty());
    assert!(after_out.iter().all(|(_, c)| c.zone != "us-east-1a"), "no launch in the zone without capacity");
    assert!(
        after_out.iter().any(|(d, _)| !d.unavailable_offerings.is_empty()),
        "an insufficient-capacity fallback is recorded"
    );
    assert!(
        after_out.iter().any(|(_, c)| c.instance_type == "r6i.2xlarge"),
        "r6i.xlarge out everywhere: a larger type"
    );
    let back: Vec<_> = launches.iter().filter(|(d, _)| d.t > 7200).collect();
    assert!(back.iter().any(|(_, c)| c.zone == "us-east-1a"), "capacity came back in us-east-1a");
}

#[test]
fn rollback_is_absorbed_by_the_node_groups() {
    let out = replay(read("rollback")).expect("replays");
    assert!(out.pending_at_end.is_empty(), "{:?}", out.pending_at_end);
    let last = out.timeline.last().expect("a timeline");
    assert!(last.nodes_by_node_pool.is_empty(), "no Karpenter node left: {:?}", last.nodes_by_node_pool);
    assert_eq!(last.static_nodes, 3 + 3 + 6);
}

#[test]
fn daily_cycle_consolidates_at_night() {
    let out = replay(read("daily-cycle")).expect("replays");
    let d = &out.summary.nodes_disrupted;
    assert!(d.empty + d.underutilized > 0);
    let at = |t: i64| out.timeline.iter().rev().find(|p| p.t <= t).map(|p| p.nodes).unwrap_or(0);
    // Fewer nodes late at night than at noon, every day.
    for day in 0..3 {
        let noon = at(day * 86_400 + 13 * 3600);
        let night = at(day * 86_400 + 23 * 3600 + 30 * 60);
        assert!(night < noon, "day {day}: {night} nodes at night, {noon} at noon");
    }
}

fn bad(text: &str) -> String {
    match trace::read_str("bad.yaml", None, text, &ReadOptions::default()) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "apiVersion: nodepack.io/v1alpha1\nkind: Trace\nmetadata: {name: t}\nspec:\n  events:\n";

#[test]
fn bad_traces_name_the_file_and_event() {
    let e = bad(&format!("{HEAD}  - at: 2h\n    end: true\n  - at: 1h\n    end: true\n"));
    assert!(e.starts_with("bad.yaml: spec.events[1]: at:") && e.contains("back in time"), "{e}");
    let e = bad(&format!("{HEAD}  - at: 1h\n    explode: {{node: x}}\n"));
    assert!(e.contains("spec.events[0]") && e.contains("unknown event type \"explode\""), "{e}");
    let e = bad(&format!("{HEAD}  - at: 5 minutes\n    end: true\n"));
    assert!(e.contains("spec.events[0]: at:"), "{e}");
    let e = bad(&format!("{HEAD}  - at: 99999999999999999999h\n    end: true\n"));
    assert!(e.contains("spec.events[0]: at:") && e.contains("too long"), "{e}");
    let e = bad(&format!("{HEAD}  - at: 900000h\n    end: true\n"));
    assert!(e.contains("spec.events[0]: at:") && e.contains("100 years"), "{e}");
    let e = bad(&format!("{HEAD}  - at: -5m\n    end: true\n"));
    assert!(e.contains("negative"), "{e}");
    let e = bad(&format!("{HEAD}  - at: 1m\n    scale: {{kind: Deployment, name: api, replicas: -1}}\n"));
    assert!(e.contains("spec.events[0]: scale.replicas"), "{e}");
    let e = bad(&format!("{HEAD}  - at: 1m\n    apply: [{{kind: NodePool, apiVersion: karpenter.sh/v1, metadata: {{name: p}}, spec: {{limits: {{cpu: \"-1\"}}}}}}]\n"));
    assert!(e.contains("spec.events[0]: apply:") && e.contains("negative"), "{e}");
    let e = bad(&format!("{HEAD}  - at: 1m\n    apply: {{podsCsv: missing.csv}}\n"));
    assert!(e.contains("spec.events[0]") && e.contains("missing.csv"), "{e}");
    let e = bad(&format!("{HEAD}  - at: 1m\n    end: true\n    drain: {{node: a}}\n"));
    assert!(e.contains("several actions"), "{e}");
    let e = bad("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n");
    assert!(e.contains("no Trace document"), "{e}");
    let e = bad("kind: Trace\nspec: [\n");
    assert!(e.contains("not YAML"), "{e}");
    let e = bad("kind: Trace\nspec:\n  settings: {timeCompression: 0}\n");
    assert!(e.contains("timeCompression"), "{e}");
}

#[test]
fn pods_csv_columns_and_gpu_policies() {
    let dir = std::env::temp_dir().join(format!("nodepack-csv-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    fs::write(
        dir.join("pods.csv"),
        "pod,arrival_s,departure_s,cpu_milli,memory_mib,gpu,extra\na,0,100,500,512,0,x\nb,10,,1000,1024,1,y\nc,20,25,250,256,0,z\n",
    )
    .expect("write csv");
    let trace_text = |gpu: &str| {
        format!(
            "{HEAD}  - at: 0s\n    apply:\n    - {{apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {{name: p}}, spec: {{template: {{spec: {{requirements: [{{key: karpenter.k8s.aws/instance-family, operator: In, values: [m6i, g5]}}]}}}}}}}}\n  - at: 0s\n    apply: {{podsCsv: pods.csv, namespace: batch, gpu: {gpu}}}\n  - at: 1h\n    end: true\n"
        )
    };
    let path = dir.join("t.yaml");
    for (gpu, pods) in [("request", 3), ("ignore", 3), ("drop", 2)] {
        fs::write(&path, trace_text(gpu)).expect("write trace");
        let t = trace::read(&path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let csv = t
            .events
            .iter()
            .find_map(|e| match &e.action {
                Action::Apply(Apply::PodsCsv(c)) => Some(c.clone()),
                _ => None,
            })
            .expect("a podsCsv event");
        assert_eq!(csv.pods.len(), pods, "gpu: {gpu}");
        let b = csv.pods.iter().find(|p| p.pod.name == "b");
        let gpus = b.map(|p| p.pod.requests.get(&nodepack_core::ResourceName::parse("nvidia.com/gpu"))).unwrap_or(0);
        assert_eq!(gpus, if gpu == "request" { 1 } else { 0 });
        assert_eq!(csv.pods[0].departure, Some(100));
        let out = replay(t).expect("replays");
        assert_eq!(out.summary.pods_scheduled + out.summary.pods_never_scheduled, pods);
    }
    // Time compression divides offsets and lifetimes (lifetimes round up).
    fs::write(&path, trace_text("request")).expect("write trace");
    let t = trace::read(&path, &ReadOptions { time_compression: Some(10) }).expect("reads");
    let csv = t
        .events
        .iter()
        .find_map(|e| match &e.action {
            Action::Apply(Apply::PodsCsv(c)) => Some(c.clone()),
            _ => None,
        })
        .expect("a podsCsv event");
    let c = csv.pods.iter().find(|p| p.pod.name == "c").expect("pod c");
    assert_eq!((c.arrival, c.departure), (2, Some(3)));
    assert_eq!(t.end(), 360);
    let _ = fs::remove_dir_all(&dir);
}

/// A small well-formedness check: tags nest and close, attributes are quoted, entities are
/// known, no stray `<` or `&` in text.
fn check_xml(doc: &str) -> Result<(Vec<String>, usize), String> {
    let mut stack: Vec<String> = vec![];
    let mut seen = vec![];
    let b = doc.as_bytes();
    let mut i = 0;
    let mut roots = 0;
    let entity_ok = |s: &str| -> bool {
        let mut rest = s;
        while let Some(p) = rest.find('&') {
            let after = &rest[p + 1..];
            let Some(end) = after.find(';') else { return false };
            let name = &after[..end];
            let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos" | "#39")
                || (name.starts_with('#') && name[1..].chars().all(|c| c.is_ascii_digit()) && name.len() > 1);
            if !ok {
                return false;
            }
            rest = &after[end + 1..];
        }
        true
    };
    while i < b.len() {
        if b[i] != b'<' {
            let next = doc[i..].find('<').map_or(doc.len(), |p| i + p);
            let text = &doc[i..next];
            if !entity_ok(text) {
                return Err(format!("bad entity in text near byte {i}: {:?}", &text[..text.len().min(60)]));
            }
            if stack.is_empty() && !text.trim().is_empty() {
                return Err(format!("text outside the root: {:?}", text.trim()));
            }
            i = next;
            continue;
        }
        let rest = &doc[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").ok_or("unclosed comment")? + 3;
            continue;
        }
        if rest.starts_with("<!DOCTYPE") {
            i += rest.find('>').ok_or("unclosed doctype")? + 1;
            continue;
        }
        let end = rest.find('>').ok_or("unclosed tag")?;
        let tag = &rest[1..end];
        if tag.contains('<') {
            return Err(format!("'<' inside a tag near byte {i}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or_else(|| format!("</{name}> closes nothing"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
            if name.is_empty() {
                return Err(format!("empty tag near byte {i}"));
            }
            // Attributes: name="value" pairs.
            let mut attrs = body[name.len()..].trim();
            while !attrs.is_empty() {
                let eq = attrs.find('=').ok_or_else(|| format!("attribute without value in <{name}>"))?;
                let value = attrs[eq + 1..].trim_start();
                if !value.starts_with('"') {
                    return Err(format!("unquoted attribute in <{name}>"));
                }
                let close = value[1..].find('"').ok_or_else(|| format!("unclosed attribute in <{name}>"))?;
                if !entity_ok(&value[1..1 + close]) {
                    return Err(format!("bad entity in an attribute of <{name}>"));
                }
                attrs = value[close + 2..].trim_start();
            }
            if stack.is_empty() {
                roots += 1;
            }
            seen.push(name.clone());
            if !self_closing {
                if name == "style" {
                    // CSS text: skip to its end tag.
                    let close = rest.find("</style>").ok_or("unclosed style")?;
                    i += close + "</style>".len();
                    continue;
                }
                stack.push(name);
            }
        }
        i += end + 1;
    }
    if !stack.is_empty() {
        return Err(format!("unclosed: {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok((seen, roots))
}

#[test]
fn html_report_is_well_formed_and_complete() {
    for name in ["cortex-prod-scale-up", "daily-cycle"] {
        let out = replay(read(name)).expect("replays");
        let page = report::html(&out);
        let (tags, _) = check_xml(&page).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(tags.iter().filter(|t| *t == "svg").count() >= 6, "{name}: six charts");
        assert!(page.contains("Nodes by NodePool") && page.contains("Cost per hour") && page.contains("Pending pods"));
        assert!(page.contains("requested and allocatable"));
        assert!(
            !page.contains("http://")
                || page.matches("http://").count() == page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
            "{name}: no external resource"
        );
        assert!(!page.contains("<script"), "{name}: no script");
        let s = &out.summary;
        assert!(page.contains(&format!(">{}<", s.peak_nodes)), "{name}: peak nodes shown");
        assert!(page.contains(&format!("Decisions ({})", out.decisions.len())), "{name}: the decision log");
        if !out.pending_at_end.is_empty() {
            assert!(page.contains(&out.pending_at_end[0].pod), "{name}: pending pods listed");
        }
    }
    // Markup in names is escaped.
    let mut out = replay(read("cortex-prod-scale-up")).expect("replays");
    out.trace = "<b>&\"x\"</b>".into();
    out.warnings.push("a < b & c".into());
    check_xml(&report::html(&out)).expect("escaped");
}

mod random {
    use super::*;
    use proptest::prelude::*;

    const POOL: &str = "    - {apiVersion: karpenter.sh/v1, kind: NodePool, metadata: {name: general}, spec: {template: {spec: {requirements: [{key: karpenter.k8s.aws/instance-family, operator: In, values: [m6i, m6a]}, {key: karpenter.k8s.aws/instance-size, operator: In, values: [large, xlarge, 2xlarge]}]}}, disruption: {consolidateAfter: 30s}}}\n";

    fn event(kind: u8, a: u8, b: u8) -> String {
        match kind % 9 {
            0 => format!("    scale: {{kind: Deployment, name: api, replicas: {}}}\n", a % 25),
            1 => format!("    delete: [{{kind: Pod, name: api-{}}}]\n", a % 25),
            2 => format!("    interrupt: {{node: general-{}}}\n", a % 8),
            3 => format!("    drain: {{node: general-{}}}\n", a % 8),
            4 => format!(
                "    offering: {{instanceType: m6{}.{}, zone: us-east-1{}, available: {}}}\n",
                ["i", "a"][a as usize % 2],
                ["large", "xlarge", "2xlarge"][b as usize % 3],
                ["a", "b", "c"][(a / 2) as usize % 3],
                b.is_multiple_of(4)
            ),
            5 => "    delete: [{kind: NodePool, name: general}]\n".to_string(),
            6 => format!("    apply:\n{POOL}"),
            7 => format!(
                "    apply:\n    - {{apiVersion: v1, kind: Pod, metadata: {{name: solo-{a}-{b}}}, spec: {{containers: [{{name: c, resources: {{requests: {{cpu: {}m, memory: {}Mi}}}}}}]}}}}\n",
                100 + u32::from(a) * 20,
                128 + u32::from(b) * 16
            ),
            _ => format!("    delete: [{{kind: Node, name: general-{}}}]\n", a % 8),
        }
    }

    fn trace_text(events: &[(u16, u8, u8, u8)]) -> String {
        let mut t = String::from(
            "apiVersion: nodepack.io/v1alpha1\nkind: Trace\nmetadata: {name: random}\nspec:\n  settings: {seed: 7, spotInterruptionRate: 0.2}\n  events:\n  - at: 0s\n    apply:\n",
        );
        t.push_str(POOL);
        t.push_str("    - {apiVersion: apps/v1, kind: Deployment, metadata: {name: api}, spec: {replicas: 6, template: {metadata: {labels: {app: api}}, spec: {containers: [{name: c, resources: {requests: {cpu: 700m, memory: 1Gi}}}]}}}}\n");
        t.push_str("    - {apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: api}, spec: {maxUnavailable: 1, selector: {matchLabels: {app: api}}}}\n");
        let mut at = 0u32;
        for (gap, kind, a, b) in events {
            at += u32::from(*gap);
            t.push_str(&format!("  - at: {at}s\n"));
            t.push_str(&event(*kind, *a, *b));
        }
        t.push_str(&format!("  - at: {}s\n    end: true\n", at + 1800));
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
        /// Random histories never panic, never lose a pod (the simulation checks at every
        /// timeline point in test builds), and replay to the same bytes.
        #[test]
        fn random_histories_keep_every_pod(events in proptest::collection::vec((0u16..900, any::<u8>(), any::<u8>(), any::<u8>()), 0..14)) {
            let text = trace_text(&events);
            let t = trace::read_str("random.yaml", None, &text, &ReadOptions::default()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            let a = replay(t.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let b = replay(t).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(json(&a), json(&b));
            let s = &a.summary;
            prop_assert_eq!(s.pods_pending_at_end, a.pending_at_end.len());
            prop_assert!(a.timeline.windows(2).all(|w| w[0].t < w[1].t));
            prop_assert!(s.total_cost.0 >= 0);
        }
    }
}

//! Every bench body of `benches/scheduling.rs`, `benches/capacity.rs`, `benches/disruption.rs`
//! and `benches/replay.rs`, run once at a small size with sanity checks.

use std::collections::BTreeSet;
use std::sync::Arc;

use nodepack_core::{provision_without, Decision, DisruptionPlan, Node, Pod, Price, Reason, Schedule};
use nodepack_sim::aws_catalog::{aws_instance_types, AwsCatalogOptions};
use nodepack_suite::disruption::{
    disruption_benchmark, node_price, DisruptionShape, DisruptionSummary, DisruptionWorkload, DISRUPTION_CASES,
    LABEL_FAMILY, PODS_PER_NODE,
};
use nodepack_suite::replay::{ReplaySummary, ReplayWorkload, ALIBABA_TRACE, DAILY_CYCLE_TRACE};
use nodepack_suite::{aws_default_node_pool, karpenter_benchmark, plain_pods, DiverseKind, Summary, Workload};

/// Every pending pod appears exactly once in the schedule.
fn assert_accounted(w: &Workload, s: &Schedule) {
    let mut seen = BTreeSet::new();
    let placed =
        s.node_claims.iter().flat_map(|c| c.pods.iter()).chain(s.existing_nodes.iter().flat_map(|n| n.pods.iter()));
    for p in placed.chain(s.unschedulable.iter().map(|u| &u.pod)) {
        assert!(seen.insert(p.clone()), "{}: pod {p} appears twice", w.name);
    }
    let pending: BTreeSet<String> = w.pods.iter().map(Pod::key).collect();
    assert_eq!(seen, pending, "{}: the schedule does not account for exactly the pending pods", w.name);
    assert!(Summary::of(w.pods.len(), s).accounts_for_every_pod());
}

/// Every claim launches one of its options at a real price, and holds its pods.
fn assert_claims_sane(w: &Workload, s: &Schedule) {
    for c in &s.node_claims {
        assert!(!c.pods.is_empty(), "{}: claim {} is empty", w.name, c.name);
        assert!(
            c.instance_type_options.iter().any(|o| **o == *c.instance_type),
            "{}: claim {} launches {:?}",
            w.name,
            c.name,
            c.instance_type
        );
        assert!(c.price.0 > 0, "{}: claim {} is free", w.name, c.name);
        let it = w.cluster.instance_types.iter().find(|t| t.name == c.instance_type).expect("launched type exists");
        assert!(c.requests.fits(it.allocatable()), "{}: claim {} overcommits {}", w.name, c.name, it.name);
    }
}

#[test]
fn karpenter_benchmark_at_100_pods() {
    let w = karpenter_benchmark(100);
    assert_eq!(w.pods.len(), 100);
    assert!(!w.settings.explain);
    let s = w.run();
    assert_accounted(&w, &s);
    assert_claims_sane(&w, &s);
    assert!(!s.node_claims.is_empty());
    assert!(s.existing_nodes.is_empty(), "the benchmark cluster has no nodes");
    // Generic pods have nothing that could keep them pending.
    let pending: BTreeSet<&str> = s.unschedulable.iter().map(|u| u.pod.as_str()).collect();
    for p in w.pods.iter().filter(|p| DiverseKind::of(p) == Some(DiverseKind::Generic)) {
        assert!(!pending.contains(p.key().as_str()), "generic pod {} was left pending", p.key());
    }
    // Karpenter's benchmark fails when any pod is left pending; so should this one.
    assert!(s.unschedulable.is_empty(), "pending: {:?}", s.unschedulable.iter().map(|u| &u.reason).collect::<Vec<_>>());
    // Hostname anti-affinity pods each need their own node.
    let anti = w.pods.iter().filter(|p| DiverseKind::of(p) == Some(DiverseKind::HostnameAntiAffinity)).count();
    assert!(s.node_claims.len() >= anti, "{} nodes for {anti} mutually anti-affine pods", s.node_claims.len());
    // Deterministic: the same body gives the same schedule.
    assert_eq!(s, w.run());
}

#[test]
fn karpenter_benchmark_at_1_pod() {
    let w = karpenter_benchmark(1);
    let s = w.run();
    assert_accounted(&w, &s);
    assert_claims_sane(&w, &s);
    assert_eq!(s.node_claims.len(), 1);
    // The cheapest type that holds the pod: every offering of a fake type costs the same, and
    // spot comes first.
    assert_eq!(s.node_claims[0].capacity_type, "spot");
}

#[test]
fn aws_plain_pods_at_100_pods() {
    let types = Arc::new(aws_instance_types(&AwsCatalogOptions::default()).expect("the built-in AWS catalog loads"));
    let w = plain_pods("aws_plain", aws_default_node_pool(), types, 100, 7);
    let s = w.run();
    assert_accounted(&w, &s);
    assert_claims_sane(&w, &s);
    assert!(!s.node_claims.is_empty());
    assert!(s.unschedulable.is_empty(), "plain pods fit the AWS catalog");
}

/// The memory target's body: 100,000 plain pods on the AWS catalog, every one placed. Run only
/// with `NODEPACK_SLOW_TESTS=1`; BENCHMARKS.md measures its peak RSS with
/// `NODEPACK_SLOW_TESTS=1 /usr/bin/time -v cargo test --release -p nodepack-suite --test bench_bodies hundred_thousand`.
#[test]
fn aws_plain_pods_at_a_hundred_thousand_pods() {
    if std::env::var("NODEPACK_SLOW_TESTS").as_deref() != Ok("1") {
        return;
    }
    let types = Arc::new(aws_instance_types(&AwsCatalogOptions::default()).expect("the built-in AWS catalog loads"));
    let w = plain_pods("aws_plain", aws_default_node_pool(), types, 100_000, 7);
    let s = w.run();
    assert_accounted(&w, &s);
    assert!(s.unschedulable.is_empty(), "plain pods fit the AWS catalog");
}

/// The capacity-planning bench body on `fixtures/bench/`: every scenario plans, and the figures
/// it prints add up (the cortex-prod plan launches six nodes and leaves nothing pending).
#[test]
fn capacity_scenarios_plan() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench");
    let all = nodepack_suite::capacity::scenarios(&[root]).expect("scenarios load");
    assert!(!all.is_empty());
    for s in &all {
        let r = nodepack_suite::capacity::plan_report(s);
        assert!(r.cpu_requested <= r.cpu_allocatable, "{}", r.line());
        assert!(r.memory_requested <= r.memory_allocatable, "{}", r.line());
        if s.name == "cortex-prod" {
            assert_eq!((r.new_nodes, r.pending), (6, 0), "{}", r.line());
            assert_eq!(r.new_cost, nodepack_core::Price::from_dollars_str("0.9396").unwrap());
        }
    }
}

/// Nodes in the disruption bench bodies run as tests (400 pods).
const SMALL_DISRUPTION_NODES: usize = 40;

/// What a disruption plan must satisfy on any cluster: the pass is deterministic, a node is in at
/// most one command and never both disrupted and blocked, every pod a command moves schedules
/// (on the remaining nodes for a delete; there or on the replacements for a replace), each
/// command's savings are its candidates' prices less its replacements', and the cluster's cost
/// does not rise.
fn assert_plan_sound(w: &DisruptionWorkload, plan: &DisruptionPlan) {
    let cluster = &w.cluster;
    assert_eq!(&w.run(), plan, "{}: two passes over the same cluster differ", w.name);
    let mut seen = BTreeSet::new();
    for c in &plan.commands {
        for n in &c.candidates {
            assert!(seen.insert(n.as_str()), "{}: {n} is in two commands", w.name);
        }
    }
    for b in &plan.blocked {
        assert!(!seen.contains(b.node.as_str()), "{}: {} is both disrupted and blocked", w.name, b.node);
    }
    for c in &plan.commands {
        let removed: BTreeSet<&str> = c.candidates.iter().map(String::as_str).collect();
        let candidates: Vec<&Node> = cluster.nodes.iter().filter(|n| removed.contains(n.name.as_str())).collect();
        assert_eq!(candidates.len(), removed.len(), "{}: {c} names a node the cluster lacks", w.name);
        // The pods that move keep their node name, as the pass's own simulation gives them.
        let moving: Vec<Pod> =
            candidates.iter().flat_map(|n| n.pods.iter().filter(|p| !p.is_daemon()).cloned()).collect();
        let moving_keys: BTreeSet<String> = moving.iter().map(Pod::key).collect();
        let s = provision_without(cluster, &removed, &moving, &w.options.provisioning);
        assert!(s.unschedulable.is_empty(), "{}: {c}: pods would not schedule: {:?}", w.name, s.unschedulable);
        let placed: BTreeSet<String> = s
            .node_claims
            .iter()
            .flat_map(|n| n.pods.iter())
            .chain(s.existing_nodes.iter().flat_map(|n| n.pods.iter()))
            .cloned()
            .collect();
        assert_eq!(placed, moving_keys, "{}: {c}: not every moved pod is placed once", w.name);
        assert!(s.existing_nodes.iter().all(|n| !removed.contains(n.name.as_str())), "{}: {c}", w.name);
        match c.decision {
            Decision::Delete => {
                assert!(c.replacements.is_empty());
                assert!(s.node_claims.is_empty(), "{}: {c}: a delete whose pods need new nodes", w.name);
            }
            Decision::Replace => {
                assert!(!c.replacements.is_empty());
                for r in &c.replacements {
                    assert!(
                        r.pods.iter().all(|p| moving_keys.contains(p)),
                        "{}: {c}: {} holds other pods",
                        w.name,
                        r.name
                    );
                    let it = cluster
                        .instance_types_for(&r.node_pool)
                        .iter()
                        .find(|t| t.name == r.instance_type)
                        .expect("a replacement launches a type of its pool");
                    assert!(r.requests.fits(it.allocatable()), "{}: {c}: {} overcommits {}", w.name, r.name, it.name);
                }
            }
        }
        let before: Price = candidates.iter().map(|n| node_price(cluster, n)).sum();
        let after: Price = c.replacements.iter().map(|r| r.price).sum();
        assert_eq!(c.savings, before - after, "{}: {c}: savings", w.name);
        if c.reason == Reason::Underutilized {
            assert!(c.savings > Price(0), "{}: {c}: a consolidation that saves nothing", w.name);
        }
    }
    let summary = DisruptionSummary::of(cluster, plan);
    assert!(summary.savings >= Price(0), "{}: the pass raises the cost: {summary}", w.name);
    assert_eq!(summary.disrupted(), seen.len());
}

/// Every disruption bench body at 40 nodes: the plan is sound, and each cluster leads the pass
/// where the bench means it to.
#[test]
fn disruption_bodies_at_40_nodes() {
    for case in DISRUPTION_CASES {
        let w = disruption_benchmark(case, SMALL_DISRUPTION_NODES);
        assert_eq!(w.cluster.nodes.len(), SMALL_DISRUPTION_NODES);
        assert_eq!(w.pods(), SMALL_DISRUPTION_NODES * PODS_PER_NODE);
        let plan = w.run();
        let summary = DisruptionSummary::of(&w.cluster, &plan);
        eprintln!("{}: {summary}; {:?}", w.name, plan.commands.iter().map(ToString::to_string).collect::<Vec<_>>());
        assert_plan_sound(&w, &plan);
        // Nothing is expired, empty or drifted: only consolidation may act, and it finds one
        // command in every case.
        assert!(plan.commands.iter().all(|c| c.reason == Reason::Underutilized), "{}", w.name);
        assert_eq!(summary.commands, 1, "{}: {summary}", w.name);
        match case.shape {
            // Half-empty nodes: multi-node consolidation deletes a batch.
            DisruptionShape::Mixed if case.fill < 50 => assert!(summary.deleted > 1, "{}: {summary}", w.name),
            DisruptionShape::Mixed => {}
            // Full nodes of the cheapest spot types: no replacement is cheaper, and candidates
            // are tried (and blocked) one by one before one node's pods fit elsewhere.
            DisruptionShape::Cheapest => {
                assert_eq!(summary.replacements, 0, "{}: {summary}", w.name);
                assert!(summary.blocked > 0, "{}: {summary}", w.name);
            }
            // Pinned pods take their family with them.
            DisruptionShape::Pinned => {
                for c in &plan.commands {
                    let families: BTreeSet<&str> = c
                        .candidates
                        .iter()
                        .filter_map(|n| w.cluster.nodes.iter().find(|m| &m.name == n))
                        .filter_map(|n| n.labels.get(LABEL_FAMILY).map(String::as_str))
                        .collect();
                    for r in &c.replacements {
                        let family = r.instance_type.split('.').next().unwrap_or_default();
                        assert!(families.contains(family), "{}: {c} leaves its pods' family", w.name);
                    }
                }
            }
        }
    }
}

/// The replay bench's fast body, in full: three days of a daily cycle replay to their end with
/// every pod scheduled, nodes launched by day and consolidated by night. (In test builds the
/// simulation itself checks, at every step, that each pod is bound, pending or deleted, and
/// panics when one is lost.)
#[test]
fn daily_cycle_replays_without_losing_a_pod() {
    let w = ReplayWorkload::fixture(DAILY_CYCLE_TRACE).expect("the trace reads");
    let out = w.run().expect("the trace replays");
    let s = ReplaySummary::of(&out);
    eprintln!("{}: {s}", w.name);
    assert_eq!(s.simulated_seconds, 3 * 86_400);
    assert!(s.pods > 0);
    assert_eq!(s.pods_never_scheduled, 0, "{s}");
    assert_eq!(s.pods_pending_at_end, 0, "{s}");
    assert!(out.pending_at_end.is_empty());
    assert!(s.nodes_launched > 0 && s.nodes_disrupted > 0, "{s}");
    assert!(s.total_cost > Price(0));
}

/// The replay bench's slow body on a shorter window: the Alibaba slice's first 300 pods. Every
/// pod of the CSV is accounted for (scheduled at least once, or never), and the last one's
/// departure ends with none left pending.
#[test]
fn alibaba_window_replays_without_losing_a_pod() {
    let w = ReplayWorkload::fixture(ALIBABA_TRACE).expect("the trace reads").with_first_csv_pods(300);
    assert_eq!(w.csv_pods(), 300);
    let out = w.run().expect("the trace replays");
    let s = ReplaySummary::of(&out);
    eprintln!("{}: {s}", w.name);
    assert_eq!(s.pods, w.csv_pods(), "{s}");
    assert_eq!(s.pods_pending_at_end, 0, "{s}");
    assert!(s.nodes_launched > 0, "{s}");
    assert!(s.total_cost > Price(0));
}

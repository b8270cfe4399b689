//! Every bench body of `benches/scheduling.rs`, run once at a small size with sanity checks.

use std::collections::BTreeSet;
use std::sync::Arc;

use nodepack_core::{Pod, Schedule};
use nodepack_sim::aws_catalog::{aws_instance_types, AwsCatalogOptions};
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
            c.instance_type_options.contains(&c.instance_type),
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

//! Scenario tests for the disruption pass, re-encoding Karpenter's disruption suites
//! (`pkg/controllers/disruption/*_test.go`) on small clusters.

mod common;

use common::*;
use nodepack_core::disruption::{CronSchedule, MIN_SPOT_TO_SPOT_OPTIONS};
use nodepack_core::*;

fn small() -> InstanceType {
    itype("small", 2000, "0.10", None)
}
fn medium() -> InstanceType {
    itype("medium", 4000, "0.20", None)
}
fn large() -> InstanceType {
    itype("large", 8000, "0.40", None)
}

fn only_command(plan: &DisruptionPlan) -> &Command {
    assert_eq!(plan.commands.len(), 1, "expected one command, got {:#?}", plan.commands);
    &plan.commands[0]
}

// ---------------------------------------------------------------------------------------------
// Delete vs replace

#[test]
fn deletes_a_node_whose_pods_fit_on_another() {
    // Only one instance type: no cheaper replacement exists, so the only move is a delete.
    let types = vec![large()];
    let a = node("a", "default", &types[0], "on-demand", vec![pod("web-0", 1000)]);
    let b = node("b", "default", &types[0], "on-demand", vec![pod("api-0", 1000)]);
    let c = cluster(vec![pool("default")], types, vec![a, b]);
    let plan = disrupt(&c, NOW, &opts());
    let cmd = only_command(&plan);
    assert_eq!((cmd.reason, cmd.decision), (Reason::Underutilized, Decision::Delete));
    // Multi-node cannot merge two `large` into one `large` (filterOutSameInstanceType); single
    // node takes the first by savings ratio, ties by name.
    assert_eq!(cmd.candidates, vec!["a"]);
    assert_eq!(cmd.savings, price("0.40"));
    assert!(cmd.replacements.is_empty());
}

#[test]
fn replaces_an_oversized_node_with_a_cheaper_one() {
    let types = vec![small(), medium(), large()];
    let n = node("big", "default", &types[2], "on-demand", vec![pod("web-0", 1500), pod("web-1", 1500)]);
    let c = cluster(vec![pool("default")], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    let cmd = only_command(&plan);
    assert_eq!((cmd.reason, cmd.decision), (Reason::Underutilized, Decision::Replace));
    let r = &cmd.replacements[0];
    // 3 cores: medium is the cheapest that fits; large (not cheaper) is filtered out.
    assert_eq!(r.instance_type, "medium");
    assert_eq!(r.instance_type_options, vec![std::sync::Arc::<str>::from("medium")]);
    assert_eq!(cmd.savings, price("0.20"));
    assert_eq!(r.pods.len(), 2);
}

#[test]
fn no_replacement_when_nothing_is_cheaper() {
    let types = vec![small(), medium()];
    let n = node("m", "default", &types[1], "on-demand", vec![pod("web-0", 3000)]);
    let c = cluster(vec![pool("default")], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert_eq!(plan.blocked_reason("m"), Some(&BlockReason::NoCheaperReplacement { price: price("0.20") }));
}

#[test]
fn replacement_is_forced_to_spot_when_spot_is_possible() {
    // On-demand node; the pool allows both capacity types; the replacement is priced (and
    // pinned) as spot so an on-demand fallback can never cost more.
    let types = vec![itype("small", 2000, "0.10", Some("0.03")), itype("large", 8000, "0.40", Some("0.12"))];
    let n = node("big", "default", &types[1], "on-demand", vec![pod("web-0", 1000)]);
    let c = cluster(vec![pool("default")], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    let cmd = only_command(&plan);
    let r = &cmd.replacements[0];
    assert_eq!((r.instance_type.as_str(), r.capacity_type.as_str()), ("small", "spot"));
    assert!(r.requirements.get("karpenter.sh/capacity-type").unwrap().has("spot"));
    assert!(!r.requirements.get("karpenter.sh/capacity-type").unwrap().has("on-demand"));
    assert_eq!(cmd.savings, price("0.37"));
}

#[test]
fn spot_replacement_pricier_than_on_demand_node_is_refused() {
    // Karpenter: "won't replace node if any spot replacement is more expensive". The worst spot
    // offering of the cheaper type decides.
    let mut small = itype("small", 2000, "0.10", Some("0.05"));
    small.offerings.push(Offering::new("zone-b", "spot", price("0.50")));
    small.refresh_offering_requirements();
    let types = vec![small, itype("large", 8000, "0.40", None)];
    let n = node("big", "default", &types[1], "on-demand", vec![pod("web-0", 1000)]);
    let c = cluster(vec![pool("default")], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty(), "{:#?}", plan.commands);
    assert!(matches!(plan.blocked_reason("big"), Some(BlockReason::NoCheaperReplacement { .. })));
}

// ---------------------------------------------------------------------------------------------
// PDBs and do-not-disrupt steer the choice

#[test]
fn pdb_blocks_one_node_and_the_other_goes() {
    let types = vec![large()];
    let a = node("a", "default", &types[0], "on-demand", vec![pod("db-0", 1000)]);
    let b = node("b", "default", &types[0], "on-demand", vec![pod("web-0", 1000)]);
    let mut c = cluster(vec![pool("default")], types, vec![a, b]);
    // One db pod, minAvailable 1: no eviction allowed.
    c.pdbs.push(pdb("db", "db", Some(IntOrPercent::Int(1)), None));
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(only_command(&plan).candidates, vec!["b"]);
    assert_eq!(
        plan.blocked_reason("a"),
        Some(&BlockReason::Pdb { pod: "default/db-0".into(), pdb: "default/db".into() })
    );
    assert_eq!(
        plan.blocked_reason("a").unwrap().to_string(),
        "PodDisruptionBudget default/db allows no eviction of pod default/db-0"
    );
}

#[test]
fn pdb_with_room_does_not_block() {
    let types = vec![large()];
    let a = node("a", "default", &types[0], "on-demand", vec![pod("db-0", 1000)]);
    let b = node("b", "default", &types[0], "on-demand", vec![pod("db-1", 1000)]);
    let mut c = cluster(vec![pool("default")], types, vec![a, b]);
    c.pdbs.push(pdb("db", "db", None, Some(IntOrPercent::Int(1))));
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(only_command(&plan).candidates, vec!["a"]);
}

#[test]
fn pod_under_two_pdbs_blocks() {
    let types = vec![large()];
    let a = node("a", "default", &types[0], "on-demand", vec![pod("db-0", 1000)]);
    let mut c = cluster(vec![pool("default")], types, vec![a]);
    c.pdbs.push(pdb("one", "db", None, Some(IntOrPercent::Percent(100))));
    c.pdbs.push(pdb("two", "db", None, Some(IntOrPercent::Percent(100))));
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert!(matches!(plan.blocked_reason("a"), Some(BlockReason::MultiplePdbs { pdbs, .. }) if pdbs.len() == 2));
}

#[test]
fn do_not_disrupt_pod_steers_consolidation() {
    let types = vec![large()];
    let mut protected = pod("db-0", 1000);
    protected.annotations.insert("karpenter.sh/do-not-disrupt".into(), "true".into());
    let a = node("a", "default", &types[0], "on-demand", vec![protected]);
    let b = node("b", "default", &types[0], "on-demand", vec![pod("web-0", 1000)]);
    let c = cluster(vec![pool("default")], types, vec![a, b]);
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(only_command(&plan).candidates, vec!["b"]);
    assert_eq!(plan.blocked_reason("a").unwrap().to_string(), "pod default/db-0 has karpenter.sh/do-not-disrupt");
}

#[test]
fn do_not_disrupt_duration_runs_out() {
    let types = vec![small(), large()];
    let mut p = pod("job-0", 1000);
    p.annotations.insert("karpenter.sh/do-not-disrupt".into(), "30m".into());
    p.created = NOW - 600;
    let mut n = node("big", "default", &types[1], "on-demand", vec![p]);
    n.last_pod_event = Some(NOW - 3600);
    let c = cluster(vec![pool("default")], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    let r = plan.blocked_reason("big").unwrap();
    assert_eq!(r, &BlockReason::PodDoNotDisrupt { pod: "default/job-0".into(), remaining: Some(Duration(1200)) });
    assert_eq!(r.to_string(), "pod default/job-0 has karpenter.sh/do-not-disrupt for another 20m");
    // Twenty minutes later the protection has run out.
    let plan = disrupt(&c, NOW + 1200, &opts());
    assert_eq!(only_command(&plan).decision, Decision::Replace);
    // An invalid value does not block.
    let mut c = c;
    c.nodes[0].pods[0].annotations.insert("karpenter.sh/do-not-disrupt".into(), "soon".into());
    assert_eq!(disrupt(&c, NOW, &opts()).commands.len(), 1);
}

#[test]
fn do_not_disrupt_node_blocks() {
    let types = vec![small(), large()];
    let mut n = node("big", "default", &types[1], "on-demand", vec![pod("web-0", 500)]);
    n.annotations.insert("karpenter.sh/do-not-disrupt".into(), "true".into());
    let c = cluster(vec![pool("default")], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert_eq!(plan.blocked_reason("big"), Some(&BlockReason::NodeDoNotDisrupt));
}

// ---------------------------------------------------------------------------------------------
// Multi-node consolidation

#[test]
fn multi_node_prefers_the_longest_valid_prefix() {
    // Three medium nodes with one core each: removing two fits their pods on the third (a
    // delete); removing all three needs one medium, a removed type, which
    // filterOutSameInstanceType refuses. The binary search keeps the two-node delete.
    let types = vec![small(), medium(), large()];
    let nodes = (0..3)
        .map(|i| node(&format!("n{i}"), "default", &types[1], "on-demand", vec![pod(&format!("web-{i}"), 1000)]))
        .collect();
    let c = cluster(vec![pool("default")], types, nodes);
    let plan = disrupt(&c, NOW, &opts());
    let cmd = only_command(&plan);
    assert_eq!((cmd.reason, cmd.decision), (Reason::Underutilized, Decision::Delete));
    assert_eq!(cmd.candidates, vec!["n0", "n1"]);
    assert_eq!(cmd.savings, price("0.40"));
}

#[test]
fn merges_three_large_nodes_into_one_medium() {
    let types = vec![small(), medium(), large()];
    let nodes = (0..3)
        .map(|i| node(&format!("n{i}"), "default", &types[2], "on-demand", vec![pod(&format!("web-{i}"), 1000)]))
        .collect();
    let c = cluster(vec![pool("default")], types, nodes);
    let plan = disrupt(&c, NOW, &opts());
    let cmd = only_command(&plan);
    assert_eq!((cmd.reason, cmd.decision), (Reason::Underutilized, Decision::Replace));
    assert_eq!(cmd.candidates, vec!["n0", "n1", "n2"]);
    assert_eq!(cmd.replacements.len(), 1);
    assert_eq!(cmd.replacements[0].instance_type, "medium");
    assert_eq!(cmd.savings, price("1.00"));
}

#[test]
fn multi_node_merges_mixed_spot_and_on_demand() {
    let types = vec![itype("small", 2000, "0.10", Some("0.04")), itype("large", 8000, "0.40", Some("0.16"))];
    let nodes = vec![
        node("n0", "default", &types[1], "on-demand", vec![pod("web-0", 500)]),
        node("n1", "default", &types[1], "on-demand", vec![pod("web-1", 500)]),
        node("n2", "default", &types[1], "spot", vec![pod("web-2", 500)]),
    ];
    let c = cluster(vec![pool("default")], types, nodes);
    let cmd = only_command(&disrupt(&c, NOW, &opts())).clone();
    assert_eq!(cmd.candidates.len(), 3);
    assert_eq!(
        (cmd.replacements[0].instance_type.as_str(), cmd.replacements[0].capacity_type.as_str()),
        ("small", "spot")
    );
}

// ---------------------------------------------------------------------------------------------
// Spot-to-spot

fn spot_catalog(cheaper: usize) -> Vec<InstanceType> {
    // `cheaper` small spot types under the big one's price, all big enough for the pod.
    let mut types: Vec<InstanceType> =
        (0..cheaper).map(|i| itype(&format!("c{i:02}"), 2000, "0.50", Some(&format!("0.{:02}", 10 + i)))).collect();
    types.push(itype("big", 8000, "1.00", Some("0.90")));
    types
}

#[test]
fn spot_to_spot_is_off_by_default() {
    let types = spot_catalog(20);
    let n = node("s", "default", &types[20], "spot", vec![pod("web-0", 1000)]);
    let c = cluster(vec![pool("default")], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert_eq!(plan.blocked_reason("s"), Some(&BlockReason::SpotToSpotDisabled));
}

#[test]
fn spot_to_spot_needs_fifteen_cheaper_options() {
    let types = spot_catalog(5);
    let n = node("s", "default", &types[5], "spot", vec![pod("web-0", 1000)]);
    let c = cluster(vec![pool("default")], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts().with_spot_to_spot(true));
    assert!(plan.commands.is_empty());
    assert_eq!(plan.blocked_reason("s"), Some(&BlockReason::SpotToSpotTooFewOptions { got: 5 }));
    assert!(plan.blocked_reason("s").unwrap().to_string().contains("15 cheaper instance types, found 5"));
}

#[test]
fn spot_to_spot_launches_from_the_fifteen_cheapest() {
    let types = spot_catalog(20);
    let n = node("s", "default", &types[20], "spot", vec![pod("web-0", 1000)]);
    let c = cluster(vec![pool("default")], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts().with_spot_to_spot(true));
    let cmd = only_command(&plan);
    let r = &cmd.replacements[0];
    assert_eq!(r.instance_type_options.len(), MIN_SPOT_TO_SPOT_OPTIONS);
    assert_eq!(r.instance_type_options.first().map(|n| &**n), Some("c00"));
    assert_eq!(r.instance_type_options.last().map(|n| &**n), Some("c14"));
    assert_eq!((r.instance_type.as_str(), r.capacity_type.as_str()), ("c00", "spot"));
    assert_eq!(cmd.savings, price("0.80"));
}

#[test]
fn spot_multi_node_needs_no_fifteen_options() {
    let types = spot_catalog(2);
    let nodes = vec![
        node("s0", "default", &types[2], "spot", vec![pod("web-0", 500)]),
        node("s1", "default", &types[2], "spot", vec![pod("web-1", 500)]),
    ];
    let c = cluster(vec![pool("default")], types, nodes);
    let plan = disrupt(&c, NOW, &opts().with_spot_to_spot(true));
    let cmd = only_command(&plan);
    assert_eq!(cmd.candidates.len(), 2);
    assert_eq!(cmd.replacements[0].capacity_type, "spot");
}

// ---------------------------------------------------------------------------------------------
// Drift

#[test]
fn drift_replaces_with_several_nodes() {
    let types = vec![small(), large()];
    let mut p = pool("default");
    // The pool now only launches small nodes; the large node no longer matches.
    p.requirements.add(Requirement::new("node.kubernetes.io/instance-type", Operator::In, ["small"]).unwrap());
    let n = node(
        "big",
        "default",
        &types[1],
        "on-demand",
        vec![pod("web-0", 1500), pod("web-1", 1500), pod("web-2", 1500)],
    );
    let c = cluster(vec![p], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    let cmd = only_command(&plan);
    assert_eq!((cmd.reason, cmd.decision), (Reason::Drifted, Decision::Replace));
    assert_eq!(cmd.replacements.len(), 3);
    assert!(cmd.replacements.iter().all(|r| r.instance_type == "small"));
    assert_eq!(cmd.savings, price("0.10"));
}

#[test]
fn drift_may_cost_more() {
    let types = vec![small(), large()];
    let mut n = node("old", "default", &types[0], "on-demand", vec![pod("web-0", 1500)]);
    n.drifted_at = Some(NOW - 60);
    let mut p = pool("default");
    p.requirements.add(Requirement::new("node.kubernetes.io/instance-type", Operator::In, ["large"]).unwrap());
    let c = cluster(vec![p], types, vec![n]);
    let cmd = only_command(&disrupt(&c, NOW, &opts())).clone();
    assert_eq!(cmd.reason, Reason::Drifted);
    assert_eq!(cmd.replacements[0].instance_type, "large");
    assert_eq!(cmd.savings, Price(0) - price("0.30"));
}

#[test]
fn drift_takes_empty_then_oldest_first() {
    let types = vec![small()];
    let mut old_busy = node("a-old", "default", &types[0], "on-demand", vec![pod("web-0", 500)]);
    old_busy.drifted_at = Some(NOW - 7200);
    let mut new_busy = node("b-new", "default", &types[0], "on-demand", vec![pod("web-1", 500)]);
    new_busy.drifted_at = Some(NOW - 60);
    let mut empty = node("c-empty", "default", &types[0], "on-demand", vec![daemon("log-0", 100)]);
    empty.drifted_at = Some(NOW - 30);
    // Emptiness would take the empty node first: keep it out with consolidateAfter Never.
    let mut p = pool("default");
    p.disruption.consolidate_after = None;
    let c = cluster(vec![p], types, vec![old_busy, new_busy, empty]);
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(only_command(&plan).candidates, vec!["c-empty"]);
    let mut c = c;
    c.nodes.retain(|n| n.name != "c-empty");
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(only_command(&plan).candidates, vec!["a-old"]);
}

#[test]
fn taint_drift_and_blocked_drift() {
    let types = vec![small()];
    let mut p = pool("default");
    p.taints.push(Taint::new("dedicated", "batch", Effect::NoSchedule));
    p.disruption.budgets = vec![Budget {
        nodes: BudgetNodes::Count(0),
        reasons: vec![DisruptionReason::Drifted],
        schedule: None,
        duration: None,
    }];
    let mut p2 = p.clone();
    let n = node("n", "default", &types[0], "on-demand", vec![pod("web-0", 500)]);
    let c = cluster(vec![p], types.clone(), vec![n.clone()]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert_eq!(
        plan.blocked_reason("n"),
        Some(&BlockReason::Budget { pool: "default".into(), reason: DisruptionReason::Drifted })
    );
    // With budget, the taint drift replaces it; the pod must tolerate the new taint, so it
    // cannot schedule: drift is blocked rather than stranding the pod.
    p2.disruption.budgets.clear();
    let c = cluster(vec![p2], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert!(
        matches!(plan.blocked_reason("n"), Some(BlockReason::PodWouldNotSchedule { pod, .. }) if pod == "default/web-0")
    );
}

// ---------------------------------------------------------------------------------------------
// Emptiness

#[test]
fn empty_nodes_go_together_in_one_command() {
    let types = vec![small(), large()];
    let nodes = vec![
        node("busy", "default", &types[0], "on-demand", vec![pod("web-0", 1800)]),
        node("e1", "default", &types[0], "on-demand", vec![daemon("log-e1", 100)]),
        node("e2", "default", &types[1], "on-demand", vec![]),
    ];
    let c = cluster(vec![pool("default")], types, nodes);
    let plan = disrupt(&c, NOW, &opts());
    let cmd = only_command(&plan);
    assert_eq!((cmd.reason, cmd.decision), (Reason::Empty, Decision::Delete));
    // Highest savings ratio first: the large node.
    assert_eq!(cmd.candidates, vec!["e2", "e1"]);
    assert_eq!(cmd.savings, price("0.50"));
}

#[test]
fn pods_with_negative_eviction_cost_count_as_empty() {
    let types = vec![small()];
    let mut p = pod("cheap-0", 100);
    p.annotations.insert("controller.kubernetes.io/pod-deletion-cost".into(), "-2147483647".into());
    let c = cluster(vec![pool("default")], types.clone(), vec![node("n", "default", &types[0], "on-demand", vec![p])]);
    let cmd = only_command(&disrupt(&c, NOW, &opts())).clone();
    assert_eq!(cmd.reason, Reason::Empty);
}

#[test]
fn empty_node_waits_for_consolidate_after() {
    let types = vec![small()];
    let mut p = pool("default");
    p.disruption.consolidate_after = Some(Duration::seconds(30));
    let mut n = node("n", "default", &types[0], "on-demand", vec![]);
    n.last_pod_event = Some(NOW - 10);
    let c = cluster(vec![p], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert_eq!(
        plan.blocked_reason("n"),
        Some(&BlockReason::ConsolidateAfter { at: NOW + 20, remaining: Duration(20) })
    );
    assert_eq!(only_command(&disrupt(&c, NOW + 20, &opts())).reason, Reason::Empty);
}

#[test]
fn consolidate_after_never_blocks_emptiness() {
    let types = vec![small()];
    let mut p = pool("default");
    p.disruption.consolidate_after = None;
    let c = cluster(vec![p], types.clone(), vec![node("n", "default", &types[0], "on-demand", vec![])]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert_eq!(plan.blocked_reason("n").unwrap().to_string(), "NodePool default has consolidateAfter: Never");
}

#[test]
fn pod_event_fallback_uses_latest_pod() {
    // No lastPodEvent: the newest pod's creation counts.
    let types = vec![small(), large()];
    let mut p = pool("default");
    p.disruption.consolidate_after = Some(Duration::minutes(5));
    let mut fresh = pod("web-0", 500);
    fresh.created = NOW - 60;
    let mut n = node("big", "default", &types[1], "on-demand", vec![fresh]);
    n.last_pod_event = None;
    let c = cluster(vec![p], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(
        plan.blocked_reason("big"),
        Some(&BlockReason::ConsolidateAfter { at: NOW + 240, remaining: Duration(240) })
    );
}

// ---------------------------------------------------------------------------------------------
// Policies

#[test]
fn when_empty_policy_only_deletes_empty_nodes() {
    let types = vec![small(), large()];
    let mut p = pool("default");
    p.disruption.consolidation_policy = ConsolidationPolicy::WhenEmpty;
    let busy = node("busy", "default", &types[1], "on-demand", vec![pod("web-0", 500)]);
    let c = cluster(vec![p], types.clone(), vec![busy.clone()]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert_eq!(plan.blocked_reason("busy"), Some(&BlockReason::WhenEmpty { pool: "default".into() }));
    let mut c = c;
    c.nodes.push(node("idle", "default", &types[0], "on-demand", vec![]));
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(only_command(&plan).candidates, vec!["idle"]);
}

#[test]
fn balanced_refuses_small_savings_for_big_disruption() {
    // Pool: two medium nodes (0.40/h), disruption 9 + 2 = 11. Replacing `a` (eight pods) with a
    // small saves 0.10: 25 % of the cost for 9/11 of the disruption, score 0.31 < 1/2.
    // (Deleting it outright would score 0.61, so the early threshold check lets it through.)
    let types = vec![itype("small", 2000, "0.10", None), itype("medium", 4000, "0.20", None)];
    let mut p = pool("default");
    p.disruption.consolidation_policy = ConsolidationPolicy::Balanced;
    let busy: Vec<Pod> = (0..8).map(|i| pod(&format!("web-{i}"), 200)).collect();
    let nodes = vec![
        node("a", "default", &types[1], "on-demand", busy),
        node("b", "default", &types[1], "on-demand", vec![pod("big-0", 3900)]),
    ];
    let c = cluster(vec![p.clone()], types.clone(), nodes.clone());
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty(), "{:#?}", plan.commands);
    assert_eq!(plan.blocked_reason("a"), Some(&BlockReason::BalancedScore { score_milli: 306, threshold_milli: 500 }));
    // The same move under WhenEmptyOrUnderutilized goes ahead.
    p.disruption.consolidation_policy = ConsolidationPolicy::WhenEmptyOrUnderutilized;
    let c = cluster(vec![p], types, nodes);
    assert_eq!(only_command(&disrupt(&c, NOW, &opts())).candidates, vec!["a"]);
}

// ---------------------------------------------------------------------------------------------
// consolidateAfter

#[test]
fn consolidate_after_not_reached() {
    let types = vec![small(), large()];
    let mut p = pool("default");
    p.disruption.consolidate_after = Some(Duration::seconds(30));
    let mut n = node("big", "default", &types[1], "on-demand", vec![pod("web-0", 500)]);
    n.last_pod_event = Some(NOW - 10);
    let c = cluster(vec![p], types, vec![n]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    let r = plan.blocked_reason("big").unwrap();
    assert_eq!(r, &BlockReason::ConsolidateAfter { at: NOW + 20, remaining: Duration(20) });
    assert_eq!(r.to_string(), "consolidateAfter not reached: consolidatable at 2024-01-01T00:00:20Z (in 20s)");
    assert_eq!(only_command(&disrupt(&c, NOW + 30, &opts())).decision, Decision::Replace);
}

#[test]
fn destination_inside_consolidate_after_takes_no_moving_pods() {
    // Karpenter: "should not consolidate pods onto a destination node that is under its
    // consolidateAfter window".
    let types = vec![small()];
    let mut p = pool("default");
    p.disruption.consolidate_after = Some(Duration::minutes(1));
    let source = node("source", "default", &types[0], "on-demand", vec![pod("web-0", 500)]);
    let mut dest = node("dest", "default", &types[0], "on-demand", vec![pod("api-0", 500), pod("api-1", 500)]);
    dest.last_pod_event = Some(NOW - 10);
    let c = cluster(vec![p], types, vec![source, dest]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty(), "{:#?}", plan.commands);
    assert!(plan.blocked_reason("source").is_some());
    // Two minutes later the destination is open.
    let plan = disrupt(&c, NOW + 120, &opts());
    let cmd = only_command(&plan);
    assert_eq!((cmd.decision, cmd.candidates.clone()), (Decision::Delete, vec!["source".to_string()]));
}

#[test]
fn destination_with_consolidate_after_never_takes_pods() {
    let types = vec![small()];
    let mut never = pool("never");
    never.disruption.consolidate_after = None;
    let source = node("source", "default", &types[0], "on-demand", vec![pod("web-0", 500)]);
    let mut dest = node("dest", "never", &types[0], "on-demand", vec![pod("api-0", 500)]);
    dest.last_pod_event = Some(NOW);
    let c = cluster(vec![pool("default"), never], types, vec![source, dest]);
    let cmd = only_command(&disrupt(&c, NOW, &opts())).clone();
    assert_eq!((cmd.decision, cmd.candidates), (Decision::Delete, vec!["source".to_string()]));
}

#[test]
fn uninitialized_destination_refuses_the_move() {
    let types = vec![small()];
    let source = node("source", "default", &types[0], "on-demand", vec![pod("web-0", 500)]);
    let mut dest = node("dest", "default", &types[0], "on-demand", vec![]);
    dest.initialized = false;
    let c = cluster(vec![pool("default")], types, vec![source, dest]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty(), "{:#?}", plan.commands);
    assert_eq!(plan.blocked_reason("source"), Some(&BlockReason::UninitializedDestination { node: "dest".into() }));
    assert_eq!(plan.blocked_reason("dest"), Some(&BlockReason::NotInitialized));
}

#[test]
fn pending_pods_take_the_room_first() {
    let types = vec![large()];
    let a = node("a", "default", &types[0], "on-demand", vec![pod("web-0", 2000)]);
    let b = node("b", "default", &types[0], "on-demand", vec![pod("api-0", 4000)]);
    let c = cluster(vec![pool("default")], types, vec![a, b]);
    assert_eq!(only_command(&disrupt(&c, NOW, &opts())).candidates, vec!["a"]);
    // A pending 4-core pod uses b's room; a's pod no longer fits anywhere without a new node.
    let mut pending = pod("batch-0", 4000);
    pending.node_name = None;
    let plan = disrupt(&c, NOW, &opts().with_pending(vec![pending]));
    assert!(plan.commands.is_empty(), "{:#?}", plan.commands);
}

// ---------------------------------------------------------------------------------------------
// Budgets

#[test]
fn budgets_limit_empty_deletions() {
    let types = vec![small()];
    let mut p = pool("default");
    p.disruption.budgets =
        vec![Budget { nodes: BudgetNodes::Percent(30), reasons: vec![], schedule: None, duration: None }];
    let nodes = (0..10).map(|i| node(&format!("e{i}"), "default", &types[0], "on-demand", vec![])).collect();
    let c = cluster(vec![p], types, nodes);
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(only_command(&plan).candidates.len(), 3);
    assert_eq!(plan.blocked.len(), 7);
    assert!(plan
        .blocked
        .iter()
        .all(|b| b.reason == BlockReason::Budget { pool: "default".into(), reason: DisruptionReason::Empty }));
}

#[test]
fn zero_budget_blocks_and_deleting_nodes_use_budget() {
    let types = vec![small(), large()];
    let mut p = pool("default");
    p.disruption.budgets =
        vec![Budget { nodes: BudgetNodes::Count(1), reasons: vec![], schedule: None, duration: None }];
    let mut going = node("going", "default", &types[0], "on-demand", vec![]);
    going.deleting = true;
    let big = node("big", "default", &types[1], "on-demand", vec![pod("web-0", 500)]);
    let c = cluster(vec![p], types, vec![going, big]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert_eq!(
        plan.blocked_reason("big"),
        Some(&BlockReason::Budget { pool: "default".into(), reason: DisruptionReason::Underutilized })
    );
    assert_eq!(plan.blocked_reason("going"), Some(&BlockReason::Deleting));
}

#[test]
fn scheduled_budget_blocks_only_while_active() {
    let types = vec![small(), large()];
    let mut p = pool("default");
    // No consolidation 00:00–06:00 UTC.
    p.disruption.budgets.push(Budget {
        nodes: BudgetNodes::Count(0),
        reasons: vec![DisruptionReason::Underutilized],
        schedule: Some("0 0 * * *".into()),
        duration: Some(Duration::hours(6)),
    });
    let big = node("big", "default", &types[1], "on-demand", vec![pod("web-0", 500)]);
    let c = cluster(vec![p], types, vec![big]);
    assert!(disrupt(&c, NOW + 3600, &opts()).commands.is_empty());
    assert_eq!(disrupt(&c, NOW + 7 * 3600, &opts()).commands.len(), 1);
    assert!(CronSchedule::parse("0 0 * * *").unwrap().is_active(NOW + 3600, 6 * 3600));
}

#[test]
fn budget_parse_error_fails_closed() {
    let types = vec![small(), large()];
    let mut p = pool("default");
    p.disruption.budgets.push(Budget {
        nodes: BudgetNodes::Count(5),
        reasons: vec![DisruptionReason::Drifted],
        schedule: Some("every day".into()),
        duration: Some(Duration::hours(1)),
    });
    let c = cluster(vec![p], types.clone(), vec![node("idle", "default", &types[0], "on-demand", vec![])]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert!(matches!(plan.blocked_reason("idle"), Some(BlockReason::Budget { .. })));
}

// ---------------------------------------------------------------------------------------------
// Expiration and node-level blocks

#[test]
fn expiration_ignores_budgets_and_do_not_disrupt() {
    let types = vec![small()];
    let mut p = pool("default");
    p.expire_after = Some(Duration::hours(24));
    p.disruption.budgets =
        vec![Budget { nodes: BudgetNodes::Count(0), reasons: vec![], schedule: None, duration: None }];
    let mut old = node("old", "default", &types[0], "on-demand", vec![pod("web-0", 500)]);
    old.annotations.insert("karpenter.sh/do-not-disrupt".into(), "true".into());
    old.created = NOW - 86_400;
    let mut young = node("young", "default", &types[0], "on-demand", vec![]);
    young.created = NOW - 3600;
    let c = cluster(vec![p], types, vec![old, young]);
    let plan = disrupt(&c, NOW, &opts());
    let cmd = only_command(&plan);
    assert_eq!(
        (cmd.reason, cmd.decision, cmd.candidates.clone()),
        (Reason::Expired, Decision::Delete, vec!["old".to_string()])
    );
    // The expired node is deleting now: it uses the (zero) budget, and is not listed as blocked.
    assert!(plan.blocked_reason("old").is_none());
    assert!(matches!(plan.blocked_reason("young"), Some(BlockReason::Budget { .. })));
}

#[test]
fn expired_nodes_pods_must_find_room_in_simulations() {
    let types = vec![large()];
    let mut p = pool("default");
    p.expire_after = Some(Duration::hours(36));
    let mut old = node("old", "default", &types[0], "on-demand", vec![pod("web-0", 6000)]);
    old.created = NOW - 2 * 86_400;
    let a = node("a", "default", &types[0], "on-demand", vec![pod("api-0", 1000)]);
    let b = node("b", "default", &types[0], "on-demand", vec![pod("api-1", 1000)]);
    let c = cluster(vec![p], types, vec![old, a, b]);
    let plan = disrupt(&c, NOW, &opts());
    // The expired node's 6-core pod must land in every simulation: a and b cannot both go (nor
    // merge into a large), but a can go, its pod and the 6-core one fitting on b.
    assert_eq!(plan.commands.len(), 2);
    assert_eq!(plan.commands[0].reason, Reason::Expired);
    assert_eq!(plan.commands[1].reason, Reason::Underutilized);
    assert_eq!(plan.commands[1].decision, Decision::Delete);
    assert_eq!(plan.commands[1].candidates, vec!["a"]);
    // With a 7-core pod, nothing fits any more.
    let mut c = c;
    c.nodes[0].pods[0].requests = Resources::new().with(ResourceName::Cpu, 7000);
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(plan.commands.len(), 1);
}

#[test]
fn node_level_blocks() {
    let types = vec![small()];
    let mut unmanaged = node("static", "default", &types[0], "on-demand", vec![]);
    unmanaged.labels.remove("karpenter.sh/nodepool");
    let mut nominated = node("nominated", "default", &types[0], "on-demand", vec![]);
    nominated.nominated = true;
    let mut initializing = node("initializing", "default", &types[0], "on-demand", vec![]);
    initializing.initialized = false;
    let orphan = node("orphan", "gone", &types[0], "on-demand", vec![]);
    let mut unknown = node("unknown", "default", &types[0], "on-demand", vec![pod("web-0", 100)]);
    unknown.labels.insert("node.kubernetes.io/instance-type".into(), "mystery".into());
    let c = cluster(vec![pool("default")], types, vec![unmanaged, nominated, initializing, orphan, unknown]);
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty());
    assert_eq!(plan.blocked_reason("static"), Some(&BlockReason::NotManaged));
    assert_eq!(plan.blocked_reason("nominated"), Some(&BlockReason::Nominated));
    assert_eq!(plan.blocked_reason("initializing"), Some(&BlockReason::NotInitialized));
    assert_eq!(plan.blocked_reason("orphan"), Some(&BlockReason::UnknownNodePool { pool: "gone".into() }));
    assert_eq!(
        plan.blocked_reason("unknown"),
        Some(&BlockReason::UnknownInstanceType { instance_type: "mystery".into() })
    );
    let names: Vec<&str> = plan.blocked.iter().map(|b| b.node.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

// ---------------------------------------------------------------------------------------------
// Interleaving and determinism

#[test]
fn single_node_interleaves_pools() {
    let types = vec![small(), large()];
    // Pool "b" has the most valuable candidate; pool "a" the second. Pool b's budget is 0.
    let mut pb = pool("b");
    pb.disruption.budgets =
        vec![Budget { nodes: BudgetNodes::Count(0), reasons: vec![], schedule: None, duration: None }];
    let nodes = vec![
        node("a1", "a", &types[1], "on-demand", vec![pod("web-0", 500), pod("web-1", 500)]),
        node("b1", "b", &types[1], "on-demand", vec![pod("api-0", 500)]),
    ];
    let c = cluster(vec![pool("a"), pb], types, nodes);
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(only_command(&plan).candidates, vec!["a1"]);
    assert_eq!(
        plan.blocked_reason("b1"),
        Some(&BlockReason::Budget { pool: "b".into(), reason: DisruptionReason::Underutilized })
    );
}

#[test]
fn plan_does_not_depend_on_input_order() {
    let types = vec![small(), medium(), large()];
    let mut nodes: Vec<Node> = (0..6)
        .map(|i| {
            let pods = (0..i % 3).map(|j| pod(&format!("web{i}-{j}"), 700)).collect();
            node(&format!("n{i}"), "default", &types[i % 3], "on-demand", pods)
        })
        .collect();
    let c1 = cluster(vec![pool("default")], types.clone(), nodes.clone());
    nodes.reverse();
    let c2 = cluster(vec![pool("default")], types, nodes);
    assert_eq!(disrupt(&c1, NOW, &opts()), disrupt(&c2, NOW, &opts()));
}

// ---------------------------------------------------------------------------------------------
// Simulations

#[test]
fn provision_without_places_the_pods_of_removed_nodes() {
    let types = vec![small(), large()];
    let a = node("a", "default", &types[1], "on-demand", vec![pod("web-0", 1000)]);
    let b = node("b", "default", &types[1], "on-demand", vec![pod("api-0", 1000)]);
    let c = cluster(vec![pool("default")], types, vec![a, b]);
    let removed: std::collections::BTreeSet<&str> = ["a"].into_iter().collect();
    // web-0 is still bound to `a`: it is a pod that must move.
    let moving = c.nodes[0].pods.clone();
    let s = provision_without(&c, &removed, &moving, &Settings::default());
    assert!(s.node_claims.is_empty());
    assert_eq!(s.placement_of("default/web-0"), Some(Ok("b")));
    // A pod bound to a node that is neither removed nor deleting is not moving: ignored.
    let s = provision_without(&c, &removed, &c.nodes[1].pods, &Settings::default());
    assert_eq!(s.placement_of("default/api-0"), None);
    // Both removed: a new node for both pods.
    let removed: std::collections::BTreeSet<&str> = ["a", "b"].into_iter().collect();
    let both: Vec<Pod> = c.nodes.iter().flat_map(|n| n.pods.clone()).collect();
    let s = provision_without(&c, &removed, &both, &Settings::default());
    assert_eq!(s.node_claims.len(), 1);
    assert_eq!(s.node_claims[0].instance_type, "small");
}

#[test]
fn pods_of_deleting_nodes_compete_for_room() {
    let types = vec![large()];
    let mut going = node("going", "default", &types[0], "on-demand", vec![pod("db-0", 6500)]);
    going.deleting = true;
    let a = node("a", "default", &types[0], "on-demand", vec![pod("web-0", 1000)]);
    let b = node("b", "default", &types[0], "on-demand", vec![pod("api-0", 1000)]);
    let c = cluster(vec![pool("default")], types.clone(), vec![going.clone(), a.clone(), b.clone()]);
    // db-0 must land in every simulation: removing a leaves 7 cores on b for 7.5 cores of pods.
    let plan = disrupt(&c, NOW, &opts());
    assert!(plan.commands.is_empty(), "{:#?}", plan.commands);
    assert_eq!(plan.blocked_reason("a"), Some(&BlockReason::NoCheaperReplacement { price: price("0.40") }));
    // Protected by do-not-disrupt, db-0 is not rescheduled: a's pod fits on b.
    going.pods[0].annotations.insert("karpenter.sh/do-not-disrupt".into(), "true".into());
    let c = cluster(vec![pool("default")], types, vec![going, a, b]);
    let plan = disrupt(&c, NOW, &opts());
    assert_eq!(only_command(&plan).candidates, vec!["a"]);
    assert_eq!(only_command(&plan).decision, Decision::Delete);
}

#[test]
fn explicit_drift_is_ordered_by_time() {
    let types = vec![small()];
    let mut late = node("a-late", "default", &types[0], "on-demand", vec![pod("web-0", 500)]);
    late.drifted_at = Some(NOW - 60);
    let mut early = node("b-early", "default", &types[0], "on-demand", vec![pod("web-1", 500)]);
    early.drifted_at = Some(NOW - 600);
    let c = cluster(vec![pool("default")], types, vec![late, early]);
    let cmd = only_command(&disrupt(&c, NOW, &opts())).clone();
    assert_eq!((cmd.reason, cmd.candidates), (Reason::Drifted, vec!["b-early".to_string()]));
    // Its pod fits on the other node: no replacement needed, and drift deletes.
    assert_eq!(cmd.decision, Decision::Delete);
}

//! One disruption pass on 1,000 nodes and 10,000 pods. Skipped unless `NODEPACK_SLOW_TESTS=1`;
//! meant for release builds:
//!
//! ```text
//! NODEPACK_SLOW_TESTS=1 cargo test --release -p nodepack-core --test disruption_perf -- --nocapture
//! ```

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::*;
use nodepack_core::*;

/// A deterministic xorshift generator (no dependency, same numbers everywhere).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ZONES: [&str; 3] = ["zone-a", "zone-b", "zone-c"];

/// 200 instance types: 50 families × 4 sizes (2, 4, 8, 16 vCPU), on-demand and spot in three
/// zones, with labels like a provider's.
fn catalog() -> Vec<InstanceType> {
    let mut out = vec![];
    for f in 0..50 {
        for (s, vcpu) in [2i64, 4, 8, 16].iter().enumerate() {
            let name = format!("f{f:02}.s{s}");
            let od = 0.05 * *vcpu as f64 * (1.0 + f as f64 / 100.0);
            let mut offerings = vec![];
            for z in ZONES {
                offerings.push(Offering::new(z, "on-demand", price(&format!("{od:.4}"))));
                offerings.push(Offering::new(z, "spot", price(&format!("{:.4}", od * 0.35))));
            }
            let mut it = InstanceType::new(
                &name,
                res(vcpu * 1000, vcpu * 4, 58),
                Overhead { kube_reserved: res(80, 1, 0), ..Default::default() },
                offerings,
            );
            it.requirements.add(Requirement::single("example.com/family", &format!("f{f:02}")));
            it.requirements.add(Requirement::single("kubernetes.io/arch", "amd64"));
            out.push(it);
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// Random types and pods free to move anywhere.
    Mixed,
    /// Only the cheapest family, all spot: no cheaper replacement exists for any node.
    Cheapest,
    /// Random types, and every pod pinned to its node's family by a node selector.
    Pinned,
}

/// 1,000 nodes in two pools with 10 pods each (10,000 pods), one DaemonSet, and about `fill`
/// percent of each node's CPU requested.
fn big_cluster(fill: u64, seed: u64, shape: Shape) -> Cluster {
    let types = catalog();
    let mut rng = Rng(seed);
    let mut nodes = vec![];
    let mut pod_id = 0;
    for i in 0..1000 {
        let pool_name = if i % 4 == 0 { "batch" } else { "general" };
        let pick = match shape {
            Shape::Cheapest => rng.below(4) as usize,
            _ => rng.below(types.len() as u64) as usize,
        };
        let it = &types[pick];
        let ct = if shape == Shape::Cheapest || rng.below(3) == 0 { "spot" } else { "on-demand" };
        let alloc = it.allocatable().cpu().0 - 100;
        let spread = if shape == Shape::Cheapest { 2 } else { 20 };
        let budget = alloc * (fill as i64 - spread / 2 + rng.below(spread as u64) as i64) / 100;
        let mut pods = vec![daemon(&format!("agent-{i}"), 100)];
        let count = 10;
        for _ in 0..count {
            let cpu = (budget / count).max(10);
            let mut p = pod(&format!("app{}-{pod_id}", pod_id % 37), cpu);
            p.requests.set(&ResourceName::Memory, (cpu << 20) * 2);
            if shape == Shape::Pinned {
                p.node_selector.insert("example.com/family".into(), it.name[..3].to_string());
            }
            pods.push(p);
            pod_id += 1;
        }
        let mut n = node(&format!("node-{i:04}"), pool_name, it, ct, pods);
        n.labels.insert("topology.kubernetes.io/zone".into(), ZONES[i % 3].into());
        n.labels.insert("example.com/family".into(), it.name[..3].to_string());
        n.labels.insert("kubernetes.io/arch".into(), "amd64".into());
        n.last_pod_event = Some(NOW - 3600 - rng.below(3600) as i64);
        nodes.push(n);
    }
    let mut general = pool("general");
    general.disruption.budgets =
        vec![Budget { nodes: BudgetNodes::Percent(10), reasons: vec![], schedule: None, duration: None }];
    let mut batch = pool("batch");
    batch.labels.insert("workload".into(), "batch".into());
    batch.disruption.budgets =
        vec![Budget { nodes: BudgetNodes::Percent(20), reasons: vec![], schedule: None, duration: None }];
    for n in nodes.iter_mut().filter(|n| n.node_pool() == Some("batch")) {
        n.labels.insert("workload".into(), "batch".into());
    }
    let mut agent = daemon("agent", 100);
    agent.name = "agent".into();
    Cluster {
        node_pools: vec![general, batch],
        instance_types: Arc::new(types),
        nodes,
        daemon_sets: vec![DaemonSet { namespace: "default".into(), name: "agent".into(), template: agent }],
        ..Default::default()
    }
}

fn time_pass(label: &str, cluster: &Cluster) -> f64 {
    let pods: usize = cluster.nodes.iter().map(|n| n.pods.iter().filter(|p| !p.is_daemon()).count()).sum();
    // One warm-up, then the best of three.
    let plan = disrupt(cluster, NOW, &DisruptionOptions::default());
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let again = disrupt(cluster, NOW, &DisruptionOptions::default());
        best = best.min(t.elapsed().as_secs_f64());
        assert_eq!(again, plan);
    }
    let cmds: Vec<String> =
        plan.commands.iter().map(|c| format!("{} {} x{}", c.reason, c.decision, c.candidates.len())).collect();
    eprintln!(
        "{label}: {} nodes, {pods} pods: {:.1} ms, commands {cmds:?}, blocked {}",
        cluster.nodes.len(),
        best * 1000.0,
        plan.blocked.len()
    );
    best
}

#[test]
fn thousand_nodes_ten_thousand_pods() {
    if std::env::var("NODEPACK_SLOW_TESTS").map_or(true, |v| v != "1") {
        eprintln!("skipped: set NODEPACK_SLOW_TESTS=1 (and use --release)");
        return;
    }
    let mut times = vec![];
    // Half-empty nodes: multi-node consolidation finds a large batch.
    times.push(time_pass("mixed, 40% requested", &big_cluster(40, 42, Shape::Mixed)));
    // Well-packed nodes: the room left on 1,000 nodes still takes a batch.
    times.push(time_pass("mixed, 90% requested", &big_cluster(90, 7, Shape::Mixed)));
    // Nothing to do: cheapest types, full. Every method runs to the end; the single-node
    // prefilter rules out every candidate without a simulation.
    times.push(time_pass("cheapest, 98% requested", &big_cluster(98, 3, Shape::Cheapest)));
    // Adversarial: pods pinned to their family, so the prefilter (which ignores selectors)
    // lets candidates through and their simulations fail one after another.
    times.push(time_pass("pinned, 90% requested", &big_cluster(90, 11, Shape::Pinned)));
    if !cfg!(debug_assertions) {
        assert!(times.iter().all(|t| *t < 1.0), "pass times {times:?} s");
    }
}

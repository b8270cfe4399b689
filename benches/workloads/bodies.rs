//! The bodies of nodepack's benches: a cluster, pods and settings, ready to run. The criterion
//! benches time [`Workload::run`]; `tests/bench_bodies.rs` runs the same bodies at a small size.

use std::fmt;
use std::sync::Arc;

use nodepack_core::{
    provision, Cluster, InstanceType, NodePool, Operator, Pod, Price, Requirement, Schedule, Settings,
};

use crate::karpenter::{karpenter_benchmark_catalog, karpenter_benchmark_pods, KARPENTER_BENCH_SEED};
use crate::plain::aws_like_plain_pods;

/// The pod counts of the Karpenter benchmark bench (Karpenter's own list also has 50, 500 and 2000).
pub const KARPENTER_BENCH_SIZES: [usize; 6] = [1, 100, 1_000, 5_000, 10_000, 20_000];

/// The settings benches run with: Karpenter's defaults, without explanations for pending pods.
pub fn bench_settings() -> Settings {
    let mut s = Settings::default();
    s.explain = false;
    s
}

/// One bench body.
#[derive(Debug, Clone)]
pub struct Workload {
    /// A short name for reports.
    pub name: String,
    /// The cluster.
    pub cluster: Cluster,
    /// The pending pods.
    pub pods: Vec<Pod>,
    /// The settings of the pass.
    pub settings: Settings,
}

impl Workload {
    /// Runs one provisioning pass.
    pub fn run(&self) -> Schedule {
        provision(&self.cluster, &self.pods, &self.settings)
    }
}

/// Karpenter's scheduling benchmark with `n` pods: [`karpenter_benchmark_catalog`] and
/// [`karpenter_benchmark_pods`] with seed 42, explanations off.
pub fn karpenter_benchmark(n: usize) -> Workload {
    Workload {
        name: format!("karpenter/{n}"),
        cluster: karpenter_benchmark_catalog(),
        pods: karpenter_benchmark_pods(n, KARPENTER_BENCH_SEED),
        settings: bench_settings(),
    }
}

/// `n` plain pods ([`aws_like_plain_pods`]) against one NodePool over the given catalog (meant
/// for the AWS catalog of `nodepack-sim`).
pub fn plain_pods(name: &str, pool: NodePool, instance_types: Arc<Vec<InstanceType>>, n: usize, seed: u64) -> Workload {
    Workload {
        name: format!("{name}/{n}"),
        cluster: Cluster { node_pools: vec![pool], instance_types, ..Default::default() },
        pods: aws_like_plain_pods(n, seed),
        settings: bench_settings(),
    }
}

/// A NodePool shaped like Karpenter's getting-started default on AWS: amd64 Linux, on-demand,
/// instance categories c, m and r, generation above 2.
pub fn aws_default_node_pool() -> NodePool {
    let mut pool = NodePool::new("default");
    let reqs: [(&str, Operator, &[&str]); 5] = [
        ("kubernetes.io/arch", Operator::In, &["amd64"]),
        ("kubernetes.io/os", Operator::In, &["linux"]),
        ("karpenter.sh/capacity-type", Operator::In, &["on-demand"]),
        ("karpenter.k8s.aws/instance-category", Operator::In, &["c", "m", "r"]),
        ("karpenter.k8s.aws/instance-generation", Operator::Gt, &["2"]),
    ];
    for (key, op, values) in reqs {
        pool.requirements.add(Requirement::new(key, op, values.iter().copied()).expect("valid requirement"));
    }
    pool
}

/// What a pass did, in numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Pending pods given.
    pub pods: usize,
    /// Node claims launched.
    pub nodes: usize,
    /// Pods placed on new node claims.
    pub on_new_nodes: usize,
    /// Pods placed on existing nodes.
    pub on_existing_nodes: usize,
    /// Pods left pending.
    pub unschedulable: usize,
    /// The hourly price of the new nodes.
    pub cost: Price,
}

impl Summary {
    /// Counts a schedule made for `pods` pending pods.
    pub fn of(pods: usize, s: &Schedule) -> Summary {
        Summary {
            pods,
            nodes: s.node_claims.len(),
            on_new_nodes: s.node_claims.iter().map(|c| c.pods.len()).sum(),
            on_existing_nodes: s.existing_nodes.iter().map(|n| n.pods.len()).sum(),
            unschedulable: s.unschedulable.len(),
            cost: s.new_nodes_cost(),
        }
    }

    /// Whether every pod is accounted for exactly once in the counts.
    pub fn accounts_for_every_pod(&self) -> bool {
        self.on_new_nodes + self.on_existing_nodes + self.unschedulable == self.pods
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} pods: {} nodes launched (${}/h), {} on new nodes, {} on existing nodes, {} pending",
            self.pods, self.nodes, self.cost, self.on_new_nodes, self.on_existing_nodes, self.unschedulable
        )
    }
}

//! Disruption bench bodies: a running cluster of `n` nodes with ten pods each, and one
//! [`disrupt`] pass over it.
//!
//! The catalog has 200 instance types: 50 families (`f00` … `f49`, each 1 % dearer than the one
//! before) in four sizes (2, 4, 8 and 16 vCPU, 4 GiB per vCPU, 58 pods), on-demand and spot (35 %
//! of on-demand) in three zones. Nodes belong to two NodePools, `general` (three nodes in four,
//! budget 10 %) and `batch` (budget 20 %, template label `workload=batch`); every node runs the
//! `agent` DaemonSet's pod (100m) and ten pods that together request about `fill` percent of the
//! CPU the agent leaves (2 MiB of memory per millicore). Nodes were created a day ago and last
//! saw a pod event one to two hours ago, so nothing is expired or shielded by `consolidateAfter`.
//!
//! Three shapes ([`DisruptionShape`]) cover what a pass can run into, and [`DISRUPTION_CASES`]
//! names the four clusters the bench times at every size (fill and seed fixed). At 1,000 nodes:
//!
//! * `mixed-40`: half-empty nodes of random types; multi-node consolidation deletes a batch (101
//!   nodes).
//! * `mixed-90`: well-packed nodes; the room left across the cluster still takes a batch, replaced
//!   by one node.
//! * `cheapest-98`: full nodes of the cheapest spot types; no replacement is cheaper, multi-node
//!   finds nothing, and single-node simulations fail one after another (over 200) before one
//!   node's pods fit elsewhere. The slowest.
//! * `pinned-90`: pods pinned to their node's family by a node selector; replacements must stay
//!   in the family, so only one or two nodes go.

use std::fmt;
use std::sync::Arc;

use nodepack_core::label::{ARCH, CAPACITY_TYPE, HOSTNAME, INSTANCE_TYPE, NODE_POOL, ON_DEMAND, SPOT, ZONE};
use nodepack_core::{
    disrupt, Budget, BudgetNodes, Cluster, DaemonSet, DisruptionOptions, DisruptionPlan, InstanceType, Node, NodePool,
    Offering, Overhead, Pod, Price, Requirement, ResourceName, Resources,
};

use crate::rng::Rng;

/// The node counts the disruption bench times (ten pods each: 1,000 nodes are 10,000 pods).
pub const DISRUPTION_BENCH_SIZES: [usize; 3] = [100, 500, 1_000];

/// Application pods per node (the DaemonSet's pod comes on top).
pub const PODS_PER_NODE: usize = 10;

/// The time of every disruption pass: 2024-01-01T00:00:00Z.
pub const DISRUPTION_NOW: i64 = 1_704_067_200;

/// The zones of the catalog; node `i` runs in `DISRUPTION_ZONES[i % 3]`.
pub const DISRUPTION_ZONES: [&str; 3] = ["zone-a", "zone-b", "zone-c"];

/// The label naming an instance type's family (`f00` … `f49`).
pub const LABEL_FAMILY: &str = "example.com/family";

/// The label of the `batch` NodePool's nodes.
pub const LABEL_WORKLOAD: &str = "workload";

/// Families in the catalog.
const FAMILIES: i64 = 50;
/// vCPU of the four sizes of a family.
const SIZES: [i64; 4] = [2, 4, 8, 16];
/// CPU requested by the DaemonSet's pod, in millicores.
const AGENT_CPU: i64 = 100;
/// Distinct `app` labels among the pods.
const APPS: usize = 37;
const GIB: i64 = 1 << 30;
const MIB: i64 = 1 << 20;
/// A day and an hour, in seconds.
const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// How the nodes of a disruption cluster are chosen and what their pods ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisruptionShape {
    /// Random instance types and capacity types (one node in three spot), pods free to move
    /// anywhere; each node's fill varies by ±10 points.
    Mixed,
    /// Only the cheapest family's types, all spot, fill within ±1 point: no cheaper replacement
    /// exists for any node, so only a delete can save, and single-node consolidation simulates
    /// candidate after candidate until one's pods fit in the room left on the others.
    Cheapest,
    /// Like [`DisruptionShape::Mixed`], with every pod pinned to its node's family by a node
    /// selector, which the single-node prefilter ignores: simulations must find a replacement in
    /// the same family.
    Pinned,
}

impl DisruptionShape {
    /// The shape's name in bench ids.
    pub fn as_str(self) -> &'static str {
        match self {
            DisruptionShape::Mixed => "mixed",
            DisruptionShape::Cheapest => "cheapest",
            DisruptionShape::Pinned => "pinned",
        }
    }
}

/// One disruption cluster, less its size: a shape, how full the nodes are and the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisruptionCase {
    /// How nodes and pods are drawn.
    pub shape: DisruptionShape,
    /// The percentage of each node's CPU (after the DaemonSet's pod) its pods request, on average.
    pub fill: u64,
    /// The generator's seed.
    pub seed: u64,
}

impl DisruptionCase {
    /// `<shape>-<fill>`, e.g. `mixed-40`.
    pub fn name(&self) -> String {
        format!("{}-{}", self.shape.as_str(), self.fill)
    }
}

/// The four clusters the disruption bench times (see the [module documentation](self)).
pub const DISRUPTION_CASES: [DisruptionCase; 4] = [
    DisruptionCase { shape: DisruptionShape::Mixed, fill: 40, seed: 42 },
    DisruptionCase { shape: DisruptionShape::Mixed, fill: 90, seed: 7 },
    DisruptionCase { shape: DisruptionShape::Cheapest, fill: 98, seed: 3 },
    DisruptionCase { shape: DisruptionShape::Pinned, fill: 90, seed: 11 },
];

/// The on-demand price of a type of family `family` with `vcpu` vCPU: $0.05 per vCPU-hour, 1 %
/// more per family, in nano-dollars.
fn on_demand_price(family: i64, vcpu: i64) -> Price {
    Price(500_000 * vcpu * (100 + family))
}

/// 35 % of an on-demand price, to the nearest 1/10,000 of a dollar.
fn spot_price(on_demand: Price) -> Price {
    const STEP: i64 = 100_000;
    Price((on_demand.0 * 35 / 100 + STEP / 2) / STEP * STEP)
}

/// The 200 instance types of the disruption clusters, family by family, smallest size first.
///
/// ```
/// let types = nodepack_suite::disruption::disruption_catalog();
/// assert_eq!(types.len(), 200);
/// assert_eq!(types[0].name, "f00.s0");
/// assert_eq!(types[0].offerings.len(), 6);
/// assert_eq!(types[0].allocatable().cpu().0, 1920);
/// ```
pub fn disruption_catalog() -> Vec<InstanceType> {
    let mut out = Vec::with_capacity((FAMILIES as usize) * SIZES.len());
    for family in 0..FAMILIES {
        for (size, vcpu) in SIZES.iter().enumerate() {
            let od = on_demand_price(family, *vcpu);
            let offerings = DISRUPTION_ZONES
                .iter()
                .flat_map(|z| [Offering::new(z, ON_DEMAND, od), Offering::new(z, SPOT, spot_price(od))])
                .collect();
            let capacity = Resources::new()
                .with(ResourceName::Cpu, vcpu * 1000)
                .with(ResourceName::Memory, vcpu * 4 * GIB)
                .with(ResourceName::Pods, 58);
            let overhead = Overhead {
                kube_reserved: Resources::new().with(ResourceName::Cpu, 80).with(ResourceName::Memory, GIB),
                ..Default::default()
            };
            let mut it = InstanceType::new(&format!("f{family:02}.s{size}"), capacity, overhead, offerings);
            it.requirements.add(Requirement::single(LABEL_FAMILY, &family_of(&it)));
            it.requirements.add(Requirement::single(ARCH, "amd64"));
            out.push(it);
        }
    }
    out
}

/// The family of a catalog type: its name up to the dot.
fn family_of(it: &InstanceType) -> String {
    it.name.split('.').next().unwrap_or_default().to_string()
}

/// A pod of a ReplicaSet created a day before [`DISRUPTION_NOW`], labelled `app` after its name.
fn app_pod(app: &str, name: &str, cpu: i64) -> Pod {
    let mut p = Pod::new(name, Resources::new().with(ResourceName::Cpu, cpu).with(ResourceName::Memory, cpu * 2 * MIB));
    p.labels.insert("app".into(), app.into());
    p.created = DISRUPTION_NOW - DAY;
    p.owner_kind = Some("ReplicaSet".into());
    p
}

/// The `agent` DaemonSet's pod.
fn agent_pod(name: &str) -> Pod {
    let mut p = Pod::new(name, Resources::new().with(ResourceName::Cpu, AGENT_CPU));
    p.labels.insert("app".into(), "agent".into());
    p.created = DISRUPTION_NOW - DAY;
    p.owner_kind = Some("DaemonSet".into());
    p
}

/// A NodePool whose budget allows `percent` % of its nodes to be disrupted at once.
fn budgeted_pool(name: &str, percent: u8) -> NodePool {
    let mut pool = NodePool::new(name);
    pool.disruption.budgets =
        vec![Budget { nodes: BudgetNodes::Percent(percent), reasons: vec![], schedule: None, duration: None }];
    pool
}

/// A cluster of `nodes` nodes with [`PODS_PER_NODE`] pods each (see the
/// [module documentation](self)). The same arguments always give the same cluster.
///
/// ```
/// use nodepack_suite::disruption::{disruption_cluster, DisruptionShape};
/// let c = disruption_cluster(20, 40, 1, DisruptionShape::Mixed);
/// assert_eq!(c.nodes.len(), 20);
/// assert_eq!(c.nodes.iter().map(|n| n.pods.len()).sum::<usize>(), 20 * 11);
/// ```
pub fn disruption_cluster(nodes: usize, fill: u64, seed: u64, shape: DisruptionShape) -> Cluster {
    let types = disruption_catalog();
    let mut rng = Rng::new(seed);
    let (spread, choices) = match shape {
        // The cheapest family is the first four types.
        DisruptionShape::Cheapest => (2, SIZES.len()),
        _ => (20, types.len()),
    };
    let mut out = Vec::with_capacity(nodes);
    for i in 0..nodes {
        let batch = i % 4 == 0;
        let it = &types[rng.index(choices)];
        let family = family_of(it);
        let capacity_type = if shape == DisruptionShape::Cheapest || rng.below(3) == 0 { SPOT } else { ON_DEMAND };
        let room = it.allocatable().cpu().0 - AGENT_CPU;
        let percent = (fill + rng.below(spread)) as i64 - (spread / 2) as i64;
        let per_pod = (room * percent / 100 / PODS_PER_NODE as i64).max(10);
        let name = format!("node-{i:04}");
        let mut pods = vec![agent_pod(&format!("agent-{i}"))];
        for j in 0..PODS_PER_NODE {
            let id = i * PODS_PER_NODE + j;
            let app = format!("app{}", id % APPS);
            let mut p = app_pod(&app, &format!("{app}-{id}"), per_pod);
            if shape == DisruptionShape::Pinned {
                p.node_selector.insert(LABEL_FAMILY.into(), family.clone());
            }
            pods.push(p);
        }
        for p in &mut pods {
            p.node_name = Some(name.clone());
        }
        let mut n = Node {
            name: name.clone(),
            initialized: true,
            created: DISRUPTION_NOW - DAY,
            initialized_at: Some(DISRUPTION_NOW - DAY),
            last_pod_event: Some(DISRUPTION_NOW - HOUR - rng.below(HOUR as u64) as i64),
            capacity: it.capacity.clone(),
            allocatable: it.allocatable().clone(),
            pods,
            ..Default::default()
        };
        let pool = if batch { "batch" } else { "general" };
        for (k, v) in [
            (NODE_POOL, pool),
            (INSTANCE_TYPE, it.name.as_str()),
            (ZONE, DISRUPTION_ZONES[i % DISRUPTION_ZONES.len()]),
            (CAPACITY_TYPE, capacity_type),
            (HOSTNAME, name.as_str()),
            (LABEL_FAMILY, family.as_str()),
            (ARCH, "amd64"),
        ] {
            n.labels.insert(k.into(), v.into());
        }
        if batch {
            n.labels.insert(LABEL_WORKLOAD.into(), "batch".into());
        }
        out.push(n);
    }
    let mut batch = budgeted_pool("batch", 20);
    batch.labels.insert(LABEL_WORKLOAD.into(), "batch".into());
    Cluster {
        node_pools: vec![budgeted_pool("general", 10), batch],
        instance_types: Arc::new(types),
        nodes: out,
        daemon_sets: vec![DaemonSet {
            namespace: "default".into(),
            name: "agent".into(),
            template: agent_pod("agent"),
        }],
        ..Default::default()
    }
}

/// One disruption bench body: a cluster and the pass to run on it.
#[derive(Debug, Clone)]
pub struct DisruptionWorkload {
    /// `<case>/<nodes>`, e.g. `mixed-40/1000`.
    pub name: String,
    /// The cluster.
    pub cluster: Cluster,
    /// The time of the pass, in seconds since the Unix epoch.
    pub now: i64,
    /// The options of the pass (Karpenter's defaults).
    pub options: DisruptionOptions,
}

impl DisruptionWorkload {
    /// Runs one disruption pass.
    pub fn run(&self) -> DisruptionPlan {
        disrupt(&self.cluster, self.now, &self.options)
    }

    /// Application pods in the cluster (DaemonSet pods not counted).
    pub fn pods(&self) -> usize {
        self.cluster.nodes.iter().flat_map(|n| &n.pods).filter(|p| !p.is_daemon()).count()
    }
}

/// The disruption bench body of `case` on `nodes` nodes, at [`DISRUPTION_NOW`] with the default
/// options.
pub fn disruption_benchmark(case: DisruptionCase, nodes: usize) -> DisruptionWorkload {
    DisruptionWorkload {
        name: format!("{}/{nodes}", case.name()),
        cluster: disruption_cluster(nodes, case.fill, case.seed, case.shape),
        now: DISRUPTION_NOW,
        options: DisruptionOptions::default(),
    }
}

/// What a node costs per hour: its type's offering in its zone and capacity type, from the
/// instance types of its NodePool (0 when there is none, as the disruption pass counts it).
pub fn node_price(cluster: &Cluster, node: &Node) -> Price {
    let types = cluster.instance_types_for(node.node_pool().unwrap_or_default());
    types
        .iter()
        .find(|t| Some(t.name.as_str()) == node.instance_type())
        .and_then(|t| t.offering_for(node.zone().unwrap_or_default(), node.capacity_type().unwrap_or_default()))
        .map_or(Price(0), |o| o.price)
}

/// What the cluster's nodes cost per hour.
pub fn cluster_cost(cluster: &Cluster) -> Price {
    cluster.nodes.iter().map(|n| node_price(cluster, n)).sum()
}

/// What a disruption pass decided, in numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisruptionSummary {
    /// Nodes in the cluster.
    pub nodes: usize,
    /// Application pods in the cluster.
    pub pods: usize,
    /// Commands in the plan.
    pub commands: usize,
    /// Nodes deleted by a command without replacement.
    pub deleted: usize,
    /// Nodes deleted by a command that launches replacements.
    pub replaced: usize,
    /// Nodes launched in their place.
    pub replacements: usize,
    /// Nodes the plan lists as blocked.
    pub blocked: usize,
    /// What the cluster's nodes cost per hour before the pass.
    pub cost_before: Price,
    /// The hourly savings of all commands.
    pub savings: Price,
}

impl DisruptionSummary {
    /// Counts what `plan` does to `cluster`.
    pub fn of(cluster: &Cluster, plan: &DisruptionPlan) -> DisruptionSummary {
        let mut s = DisruptionSummary {
            nodes: cluster.nodes.len(),
            pods: cluster.nodes.iter().flat_map(|n| &n.pods).filter(|p| !p.is_daemon()).count(),
            commands: plan.commands.len(),
            deleted: 0,
            replaced: 0,
            replacements: 0,
            blocked: plan.blocked.len(),
            cost_before: cluster_cost(cluster),
            savings: plan.savings(),
        };
        for c in &plan.commands {
            if c.replacements.is_empty() {
                s.deleted += c.candidates.len();
            } else {
                s.replaced += c.candidates.len();
                s.replacements += c.replacements.len();
            }
        }
        s
    }

    /// Nodes some command disrupts.
    pub fn disrupted(&self) -> usize {
        self.deleted + self.replaced
    }
}

impl fmt::Display for DisruptionSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} nodes, {} pods (${}/h): {} commands, {} nodes disrupted ({} deleted, {} replaced by {}), \
             saving ${}/h; {} blocked",
            self.nodes,
            self.pods,
            self.cost_before,
            self.commands,
            self.disrupted(),
            self.deleted,
            self.replaced,
            self.replacements,
            self.savings,
            self.blocked
        )
    }
}

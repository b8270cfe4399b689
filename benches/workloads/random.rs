//! Random clusters for property tests: NodePools with weights, labels, requirements, taints and
//! limits; a catalog of varied instance types with offerings (some unavailable); existing nodes
//! (managed and static, initialized or not, tainted, cordoned or deleting, with bound pods);
//! DaemonSets; and pending pods with selectors, node affinity, tolerations, extended resources,
//! host ports, spread constraints and pod (anti-)affinity.
//!
//! Everything is drawn from [`Rng`] with an explicit seed, so a seed names a cluster. The
//! generator keeps a few invariants the properties rely on: object names are unique, every
//! pending pod is really pending (not bound, not owned by a DaemonSet or node), every instance
//! type constrains every label key the catalog uses (`DoesNotExist` where it has no value, as
//! Karpenter's AWS provider does), and pods bound to a node fit its allocatable.

use std::collections::BTreeSet;
use std::sync::Arc;

use nodepack_core::label::{ARCH, CAPACITY_TYPE, HOSTNAME, INSTANCE_TYPE, NODE_POOL, OS, ZONE};
use nodepack_core::{
    Cluster, DaemonSet, Effect, HostPort, InclusionPolicy, InstanceType, LabelSelector, Labels, Node, NodePool,
    Offering, Operator, Overhead, Pod, PodAffinityTerm, Price, Requirement, Requirements, ResourceName, Resources,
    Taint, Toleration, TopologySpreadConstraint, WhenUnsatisfiable,
};

use crate::rng::Rng;

const MIB: i64 = 1 << 20;
const GIB: i64 = 1 << 30;

/// Zones of the random catalog.
pub const ZONES: [&str; 3] = ["zone-a", "zone-b", "zone-c"];
/// Instance family label of the random catalog.
pub const LABEL_FAMILY: &str = "example.com/family";
/// Integer generation label of the random catalog (for `Gt`/`Lt`).
pub const LABEL_GENERATION: &str = "example.com/generation";
/// GPU model label (`DoesNotExist` on types without GPUs).
pub const LABEL_GPU_MODEL: &str = "example.com/gpu-model";
/// A custom node label set by NodePool templates and static nodes.
pub const LABEL_TEAM: &str = "team";
/// Another custom node label.
pub const LABEL_TIER: &str = "tier";
/// The GPU extended resource.
pub const GPU: &str = "nvidia.com/gpu";

const TEAMS: [&str; 3] = ["red", "blue", "green"];
const TIERS: [&str; 2] = ["web", "batch"];
const POOL_NAMES: [&str; 4] = ["alpha", "bravo", "charlie", "delta"];
const TAINT_DEDICATED: &str = "dedicated";
const TAINT_PREFER_NOT: &str = "example.com/prefer-not";
const TAINT_CRITICAL: &str = "example.com/critical";
const STARTUP_TAINT: &str = "example.com/agent-not-ready";

/// A random cluster and its pending pods.
#[derive(Debug, Clone)]
pub struct RandomCluster {
    /// The seed it was drawn from.
    pub seed: u64,
    /// The size it was drawn at (the number of pending pods before any restriction).
    pub size: usize,
    /// The cluster.
    pub cluster: Cluster,
    /// The pods to place.
    pub pending: Vec<Pod>,
}

/// Which elements of a [`RandomCluster`] to keep, by index (see [`RandomCluster::restrict`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keep {
    /// Indices into `pending`.
    pub pods: Vec<usize>,
    /// Indices into `cluster.nodes`.
    pub nodes: Vec<usize>,
    /// Indices into `cluster.daemon_sets`.
    pub daemon_sets: Vec<usize>,
    /// Indices into `cluster.node_pools`.
    pub node_pools: Vec<usize>,
    /// Indices into `cluster.instance_types` (pool-specific catalogs keep the same names).
    pub instance_types: Vec<usize>,
}

/// Which lists [`RandomCluster::shuffled`] reorders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shuffle {
    /// The pending pods.
    pub pods: bool,
    /// The NodePools.
    pub node_pools: bool,
    /// The nodes, and the pods bound to each.
    pub nodes: bool,
    /// The DaemonSets.
    pub daemon_sets: bool,
    /// The instance types (the shared catalog and every pool-specific one).
    pub instance_types: bool,
}

impl Shuffle {
    /// Every list.
    pub const ALL: Shuffle =
        Shuffle { pods: true, node_pools: true, nodes: true, daemon_sets: true, instance_types: true };
}

impl RandomCluster {
    /// The lengths of the lists [`Keep`] indexes: pods, nodes, DaemonSets, NodePools, instance types.
    pub fn lens(&self) -> Keep {
        Keep {
            pods: (0..self.pending.len()).collect(),
            nodes: (0..self.cluster.nodes.len()).collect(),
            daemon_sets: (0..self.cluster.daemon_sets.len()).collect(),
            node_pools: (0..self.cluster.node_pools.len()).collect(),
            instance_types: (0..self.cluster.instance_types.len()).collect(),
        }
    }

    /// The same cluster with only the chosen elements. Nodes may then name a NodePool that is
    /// gone, which is a state a real cluster can be in.
    pub fn restrict(&self, keep: &Keep) -> RandomCluster {
        fn pick<T: Clone>(items: &[T], idx: &[usize]) -> Vec<T> {
            idx.iter().filter_map(|&i| items.get(i).cloned()).collect()
        }
        let types = pick(&self.cluster.instance_types, &keep.instance_types);
        let names: BTreeSet<&str> = types.iter().map(|t| t.name.as_str()).collect();
        let node_pools = pick(&self.cluster.node_pools, &keep.node_pools);
        let pool_instance_types = self
            .cluster
            .pool_instance_types
            .iter()
            .filter(|(pool, _)| node_pools.iter().any(|p| &p.name == *pool))
            .map(|(pool, list)| {
                let kept: Vec<InstanceType> =
                    list.iter().filter(|t| names.contains(t.name.as_str())).cloned().collect();
                (pool.clone(), Arc::new(kept))
            })
            .collect();
        RandomCluster {
            seed: self.seed,
            size: self.size,
            cluster: Cluster {
                node_pools,
                instance_types: Arc::new(types),
                pool_instance_types,
                nodes: pick(&self.cluster.nodes, &keep.nodes),
                daemon_sets: pick(&self.cluster.daemon_sets, &keep.daemon_sets),
                pdbs: self.cluster.pdbs.clone(),
            },
            pending: pick(&self.pending, &keep.pods),
        }
    }

    /// The same cluster with the chosen lists reordered by `seed`.
    pub fn shuffled(&self, seed: u64, what: Shuffle) -> RandomCluster {
        let mut rng = Rng::new(seed);
        let mut out = self.clone();
        if what.pods {
            rng.shuffle(&mut out.pending);
        }
        if what.node_pools {
            rng.shuffle(&mut out.cluster.node_pools);
        }
        if what.nodes {
            rng.shuffle(&mut out.cluster.nodes);
            for n in &mut out.cluster.nodes {
                rng.shuffle(&mut n.pods);
            }
        }
        if what.daemon_sets {
            rng.shuffle(&mut out.cluster.daemon_sets);
        }
        if what.instance_types {
            let mut types = (*out.cluster.instance_types).clone();
            rng.shuffle(&mut types);
            out.cluster.instance_types = Arc::new(types);
            for list in out.cluster.pool_instance_types.values_mut() {
                let mut types = (**list).clone();
                rng.shuffle(&mut types);
                *list = Arc::new(types);
            }
        }
        out
    }
}

/// A random cluster with `size` pending pods (at least one), drawn from `seed`.
///
/// ```
/// let a = nodepack_suite::random_cluster(9, 20);
/// assert_eq!(a.pending.len(), 20);
/// assert!((5..=40).contains(&a.cluster.instance_types.len()));
/// assert!(!a.cluster.node_pools.is_empty());
/// let b = nodepack_suite::random_cluster(9, 20);
/// assert_eq!(a.pending, b.pending);
/// assert_eq!(a.cluster.nodes, b.cluster.nodes);
/// ```
pub fn random_cluster(seed: u64, size: usize) -> RandomCluster {
    let size = size.max(1);
    // Independent streams, so that (say) more pods do not change the catalog.
    let catalog = catalog(&mut Rng::stream(seed, 1));
    let pools = node_pools(&mut Rng::stream(seed, 2));
    let pool_instance_types = pool_catalogs(&mut Rng::stream(seed, 3), &pools, &catalog);
    let daemon_sets = daemon_sets(&mut Rng::stream(seed, 4));
    let nodes = nodes(&mut Rng::stream(seed, 5), size, &pools, &catalog, &daemon_sets);
    let mut rng = Rng::stream(seed, 6);
    let pending = (0..size).map(|k| pending_pod(&mut rng, k, &pools)).collect();
    RandomCluster {
        seed,
        size,
        cluster: Cluster {
            node_pools: pools,
            instance_types: Arc::new(catalog),
            pool_instance_types,
            nodes,
            daemon_sets,
            pdbs: vec![],
        },
        pending,
    }
}

fn req(key: &str, op: Operator, values: &[&str]) -> Requirement {
    Requirement::new(key, op, values.iter().copied()).expect("generator builds valid requirements")
}

fn catalog(rng: &mut Rng) -> Vec<InstanceType> {
    let n = rng.range(5, 40) as usize;
    (0..n).map(|j| instance_type(rng, j)).collect()
}

fn instance_type(rng: &mut Rng, j: usize) -> InstanceType {
    let family = *rng.pick(&["c", "c", "m", "m", "r", "g"]);
    let generation = *rng.pick(&["5", "6", "7"]);
    let cores: i64 = *rng.pick(&[1, 2, 4, 8, 16, 32]);
    let gib_per_core = match family {
        "c" => 2,
        "r" => 8,
        _ => 4,
    };
    let arch = if family == "g" { "amd64" } else { *rng.pick(&["amd64", "amd64", "arm64"]) };
    let mut capacity = Resources::new()
        .with(ResourceName::Cpu, cores * 1000)
        .with(ResourceName::Memory, cores * gib_per_core * GIB)
        .with(ResourceName::Pods, *rng.pick(&[8, 17, 29, 58, 110]));
    if rng.percent(70) {
        capacity.set(&ResourceName::EphemeralStorage, *rng.pick(&[20, 100]) * GIB);
    }
    let gpu_model = if family == "g" {
        capacity.set(&ResourceName::Extended(GPU.into()), *rng.pick(&[1, 2, 4]));
        Some(*rng.pick(&["t4", "a10"]))
    } else {
        None
    };
    // Prices per core in nano-dollars: the same family and size cost the same, so ties are common.
    let per_core: i64 = match family {
        "c" => 40_000_000,
        "m" => 48_000_000,
        "r" => 63_000_000,
        _ => 500_000_000,
    };
    let on_demand = per_core * cores * if arch == "arm64" { 8 } else { 10 } / 10;
    let spot_percent = *rng.pick(&[30, 50, 70, 120]);
    let mut offerings = vec![];
    for zone in ZONES {
        for ct in ["on-demand", "spot"] {
            if !rng.percent(60) {
                continue;
            }
            let mut price = if ct == "spot" { on_demand * spot_percent / 100 } else { on_demand };
            if ct == "spot" && rng.percent(30) {
                price = price * *rng.pick(&[90, 110]) / 100;
            }
            let mut o = Offering::new(zone, ct, Price(price));
            o.available = rng.percent(85);
            offerings.push(o);
        }
        if rng.percent(5) {
            offerings.push(Offering::new(zone, "reserved", Price(on_demand * 6 / 10)));
        }
    }
    if rng.percent(5) {
        offerings.clear();
    }
    let mut overhead = Overhead {
        kube_reserved: Resources::new()
            .with(ResourceName::Cpu, *rng.pick(&[0, 60, 100, 200]))
            .with(ResourceName::Memory, *rng.pick(&[0, 100, 255, 574]) * MIB),
        ..Default::default()
    };
    if rng.percent(50) {
        overhead.eviction_threshold = Resources::new().with(ResourceName::Memory, 100 * MIB);
    }
    let name = format!("{family}{generation}{}.{cores}x-{j}", if arch == "arm64" { "g" } else { "" });
    let mut it = InstanceType::new(&name, capacity, overhead, offerings);
    it.requirements.set(req(ARCH, Operator::In, &[arch]));
    it.requirements.set(req(OS, Operator::In, &["linux"]));
    it.requirements.set(req(LABEL_FAMILY, Operator::In, &[family]));
    it.requirements.set(req(LABEL_GENERATION, Operator::In, &[generation]));
    it.requirements.set(match gpu_model {
        Some(m) => req(LABEL_GPU_MODEL, Operator::In, &[m]),
        None => req(LABEL_GPU_MODEL, Operator::DoesNotExist, &[]),
    });
    it
}

fn node_pools(rng: &mut Rng) -> Vec<NodePool> {
    let mut names = POOL_NAMES.to_vec();
    rng.shuffle(&mut names);
    let n = rng.range(1, 4) as usize;
    names.truncate(n);
    names.into_iter().map(|name| node_pool(rng, name)).collect()
}

fn node_pool(rng: &mut Rng, name: &str) -> NodePool {
    let mut p = NodePool::new(name);
    p.weight = *rng.pick(&[0, 0, 10, 50]);
    if rng.percent(40) {
        p.labels.insert(LABEL_TEAM.into(), (*rng.pick(&TEAMS)).into());
    }
    if rng.percent(25) {
        p.labels.insert(LABEL_TIER.into(), (*rng.pick(&TIERS)).into());
    }
    let mut r = Requirements::new();
    if rng.percent(30) {
        let zones = rng.subset(&ZONES, 1);
        r.add(req(ZONE, Operator::In, &zones));
    } else if rng.percent(15) {
        r.add(req(ZONE, Operator::NotIn, &[*rng.pick(&ZONES)]));
    }
    if rng.percent(40) {
        const CHOICES: [&[&str]; 3] = [&["on-demand"], &["spot"], &["spot", "on-demand"]];
        let cts: &[&str] = CHOICES[rng.index(CHOICES.len())];
        r.add(req(CAPACITY_TYPE, Operator::In, cts));
    }
    if rng.percent(25) {
        r.add(req(ARCH, Operator::In, &[*rng.pick(&["amd64", "arm64"])]));
    }
    let gpu_pool = if rng.percent(35) {
        r.add(req(LABEL_FAMILY, Operator::NotIn, &["g"]));
        false
    } else if rng.percent(20) {
        r.add(req(LABEL_FAMILY, Operator::In, &["g"]));
        true
    } else {
        if rng.percent(10) {
            let families = Requirement::with_min_values(LABEL_FAMILY, Operator::In, ["c", "m", "r"], Some(2));
            r.add(families.expect("valid minValues"));
        }
        false
    };
    if rng.percent(20) {
        r.add(req(LABEL_GENERATION, Operator::Gt, &["5"]));
    } else if rng.percent(10) {
        r.add(req(LABEL_GENERATION, Operator::Lt, &["7"]));
    }
    if rng.percent(15) {
        r.add(req(LABEL_TIER, Operator::Exists, &[]));
    }
    if rng.percent(10) {
        r.add(req(LABEL_TEAM, Operator::NotIn, &[*rng.pick(&TEAMS)]));
    }
    p.requirements = r;
    if rng.percent(30) {
        let value = p.labels.get(LABEL_TEAM).cloned().unwrap_or_else(|| "shared".into());
        p.taints.push(Taint::new(TAINT_DEDICATED, &value, Effect::NoSchedule));
    }
    if rng.percent(if gpu_pool { 70 } else { 15 }) {
        p.taints.push(Taint::new(GPU, "", Effect::NoSchedule));
    }
    if rng.percent(15) {
        p.taints.push(Taint::new(TAINT_PREFER_NOT, "", Effect::PreferNoSchedule));
    }
    if rng.percent(8) {
        p.taints.push(Taint::new(TAINT_CRITICAL, "true", Effect::NoExecute));
    }
    if rng.percent(25) {
        p.startup_taints.push(Taint::new(STARTUP_TAINT, "", Effect::NoSchedule));
    }
    if rng.percent(30) {
        p.limits.set(&ResourceName::Cpu, *rng.pick(&[4_000, 16_000, 64_000, 256_000]));
    }
    if rng.percent(20) {
        p.limits.set(&ResourceName::Memory, *rng.pick(&[16, 64, 256]) * GIB);
    }
    if rng.percent(10) {
        p.limits.set(&ResourceName::Extended(GPU.into()), *rng.pick(&[1, 4]));
    }
    if rng.percent(20) {
        p.node_limit = Some(*rng.pick(&[0, 1, 2, 3, 6]));
    }
    p
}

/// Some NodePools see the catalog through their own node class: fewer types, more overhead.
fn pool_catalogs(
    rng: &mut Rng,
    pools: &[NodePool],
    catalog: &[InstanceType],
) -> std::collections::BTreeMap<String, Arc<Vec<InstanceType>>> {
    let mut out = std::collections::BTreeMap::new();
    for p in pools {
        if !rng.percent(15) {
            continue;
        }
        let extra_cpu = *rng.pick(&[100, 500]);
        let extra_mem = *rng.pick(&[256, 1024]) * MIB;
        let list: Vec<InstanceType> = catalog
            .iter()
            .filter(|_| rng.percent(80))
            .map(|it| {
                let mut it = it.clone();
                let mut o = it.overhead.clone();
                o.system_reserved =
                    Resources::new().with(ResourceName::Cpu, extra_cpu).with(ResourceName::Memory, extra_mem);
                it.set_overhead(o);
                it
            })
            .collect();
        out.insert(p.name.clone(), Arc::new(list));
    }
    out
}

fn daemon_sets(rng: &mut Rng) -> Vec<DaemonSet> {
    let n = rng.below(4) as usize;
    (0..n)
        .map(|k| {
            let name = format!("ds-{k}");
            let mut t = Pod::new(
                &name,
                Resources::new()
                    .with(ResourceName::Cpu, *rng.pick(&[50, 100, 200]))
                    .with(ResourceName::Memory, *rng.pick(&[64, 128, 256]) * MIB),
            );
            t.namespace = "kube-system".into();
            t.owner_kind = Some("DaemonSet".into());
            if rng.percent(30) {
                t.tolerations.push(Toleration::exists("", None));
            } else {
                if rng.percent(25) {
                    t.tolerations.push(Toleration::exists(TAINT_DEDICATED, None));
                }
                if rng.percent(20) {
                    t.tolerations.push(Toleration::exists(GPU, Some(Effect::NoSchedule)));
                }
            }
            if rng.percent(20) {
                t.node_selector.insert(ARCH.into(), "amd64".into());
            } else if rng.percent(10) {
                t.node_selector.insert(LABEL_TEAM.into(), "red".into());
            }
            if rng.percent(20) {
                t.node_affinity.required.push([req(LABEL_FAMILY, Operator::NotIn, &["g"])].into_iter().collect());
            } else if rng.percent(12) {
                t.node_affinity.required.push([req(ZONE, Operator::In, &["zone-a"])].into_iter().collect());
                t.node_affinity.required.push([req(LABEL_FAMILY, Operator::In, &["c"])].into_iter().collect());
            }
            if rng.percent(20) {
                t.host_ports.push(host_port(9100));
            }
            DaemonSet { namespace: "kube-system".into(), name, template: t }
        })
        .collect()
}

fn host_port(port: u16) -> HostPort {
    HostPort { port, protocol: "TCP".into(), host_ip: "0.0.0.0".into() }
}

fn nodes(rng: &mut Rng, size: usize, pools: &[NodePool], catalog: &[InstanceType], ds: &[DaemonSet]) -> Vec<Node> {
    let n = rng.below(size as u64 / 3 + 4) as usize;
    let mut out = vec![];
    for k in 0..n {
        let managed = !pools.is_empty() && rng.percent(60);
        let mut node = Node { initialized: rng.percent(75), created: 0, ..Default::default() };
        let mut startup = vec![];
        if managed {
            let pool = rng.pick(pools);
            let it = rng.pick(catalog);
            let pool_name = if rng.percent(10) { "retired" } else { pool.name.as_str() };
            node.name = format!("{pool_name}-node-{k}");
            node.labels = pool.labels.clone();
            node.labels.insert(NODE_POOL.into(), pool_name.into());
            node.labels.insert(INSTANCE_TYPE.into(), it.name.clone());
            let (zone, ct) = match it.offerings.first() {
                Some(_) => {
                    let o = rng.pick(&it.offerings);
                    (o.zone.clone(), o.capacity_type.clone())
                }
                None => ((*rng.pick(&ZONES)).to_string(), "on-demand".to_string()),
            };
            node.labels.insert(ZONE.into(), zone);
            node.labels.insert(CAPACITY_TYPE.into(), ct);
            for key in [ARCH, OS, LABEL_FAMILY, LABEL_GENERATION, LABEL_GPU_MODEL] {
                if let Some(v) = it.requirements.get(key).and_then(|r| r.any_value()) {
                    node.labels.insert(key.into(), v.into());
                }
            }
            node.capacity = it.capacity.clone();
            node.allocatable = it.allocatable().clone();
            startup = pool.startup_taints.clone();
        } else {
            node.name = format!("static-{k}");
            node.labels.insert(ZONE.into(), (*rng.pick(&ZONES)).into());
            node.labels.insert(ARCH.into(), (*rng.pick(&["amd64", "arm64"])).into());
            node.labels.insert(OS.into(), "linux".into());
            node.labels.insert(INSTANCE_TYPE.into(), "m5.xlarge".into());
            if rng.percent(40) {
                node.labels.insert(LABEL_TEAM.into(), (*rng.pick(&TEAMS)).into());
            }
            if rng.percent(30) {
                node.labels.insert(LABEL_TIER.into(), (*rng.pick(&TIERS)).into());
            }
            let cores: i64 = *rng.pick(&[2, 4, 8]);
            node.capacity = Resources::new()
                .with(ResourceName::Cpu, cores * 1000)
                .with(ResourceName::Memory, cores * 4 * GIB)
                .with(ResourceName::Pods, 58)
                .with(ResourceName::EphemeralStorage, 50 * GIB);
            node.allocatable = node
                .capacity
                .saturating_sub(&Resources::new().with(ResourceName::Cpu, 100).with(ResourceName::Memory, 512 * MIB));
        }
        node.labels.insert(HOSTNAME.into(), node.name.clone());
        if !node.initialized {
            if rng.percent(50) {
                node.taints.push(Taint::new("node.kubernetes.io/not-ready", "", Effect::NoSchedule));
            }
            if managed && rng.percent(30) {
                node.taints.push(Taint::new("karpenter.sh/unregistered", "", Effect::NoExecute));
            }
            if rng.percent(50) {
                node.taints.extend(startup);
            }
        }
        if rng.percent(15) {
            let team = node.labels.get(LABEL_TEAM).cloned().unwrap_or_else(|| "shared".into());
            node.taints.push(Taint::new(TAINT_DEDICATED, &team, Effect::NoSchedule));
        }
        if rng.percent(10) {
            node.taints.push(Taint::new(TAINT_PREFER_NOT, "", Effect::PreferNoSchedule));
        }
        if rng.percent(5) {
            node.taints.push(Taint::new(TAINT_CRITICAL, "true", Effect::NoExecute));
        }
        node.unschedulable = rng.percent(8);
        node.deleting = rng.percent(8);
        bind_pods(rng, &mut node, ds);
        out.push(node);
    }
    out
}

fn bind_pods(rng: &mut Rng, node: &mut Node, ds: &[DaemonSet]) {
    let mut used = Resources::new();
    for d in ds {
        if rng.percent(50) {
            let mut p = d.template.clone();
            p.name = format!("{}-{}", d.name, node.name);
            p.node_name = Some(node.name.clone());
            let _ = used.add_assign_checked(&p.scheduling_requests());
            node.pods.push(p);
        }
    }
    for m in 0..rng.below(5) {
        let alloc = &node.allocatable;
        let requests = Resources::new()
            .with(ResourceName::Cpu, alloc.cpu().0 / *rng.pick(&[3, 6, 12]))
            .with(ResourceName::Memory, alloc.memory().0 / *rng.pick(&[3, 6, 12]));
        let mut p = Pod::new(&format!("bound-{}-{m}", node.name), requests);
        p.owner_kind = Some("ReplicaSet".into());
        p.node_name = Some(node.name.clone());
        if rng.percent(20) {
            p.host_ports.push(host_port(8080));
        }
        let with = used.checked_add(&p.scheduling_requests()).expect("small numbers");
        if !with.fits(alloc) {
            break;
        }
        used = with;
        node.pods.push(p);
    }
}

fn term(rng: &mut Rng, pools: &[NodePool]) -> Requirements {
    let mut r = Requirements::new();
    let n = rng.range(1, 2);
    for _ in 0..n {
        let one = match rng.below(9) {
            0 => req(LABEL_FAMILY, Operator::In, &rng.subset(&["c", "m", "r"], 1)),
            1 => req(LABEL_FAMILY, Operator::NotIn, &[*rng.pick(&["c", "m", "r", "g"])]),
            2 => req(LABEL_GENERATION, Operator::Gt, &[*rng.pick(&["4", "5", "6"])]),
            3 => req(LABEL_GENERATION, Operator::Lt, &[*rng.pick(&["6", "7", "8"])]),
            4 => req(ZONE, Operator::In, &rng.subset(&ZONES, 1)),
            5 => req(ZONE, Operator::NotIn, &[*rng.pick(&ZONES)]),
            6 => req(LABEL_TEAM, Operator::Exists, &[]),
            7 => req(LABEL_TIER, Operator::DoesNotExist, &[]),
            _ => match pools.first() {
                Some(_) => req(NODE_POOL, Operator::In, &[rng.pick(pools).name.as_str()]),
                None => req(CAPACITY_TYPE, Operator::In, &["on-demand"]),
            },
        };
        r.add(one);
    }
    r
}

fn pending_pod(rng: &mut Rng, k: usize, pools: &[NodePool]) -> Pod {
    let cpu = *rng.pick(&[0, 100, 250, 250, 500, 500, 1000, 2000, 4000, 7000]);
    let mem = *rng.pick(&[0, 128, 256, 512, 512, 1024, 4096, 16384]);
    let mut requests = Resources::new().with(ResourceName::Cpu, cpu).with(ResourceName::Memory, mem * MIB);
    let gpu = rng.percent(10);
    if gpu {
        requests.set(&ResourceName::Extended(GPU.into()), *rng.pick(&[1, 2]));
    }
    if rng.percent(10) {
        requests.set(&ResourceName::EphemeralStorage, *rng.pick(&[1, 30]) * GIB);
    }
    let mut p = Pod::new(&format!("p-{k:03}"), requests);
    if rng.percent(20) {
        p.namespace = "team-a".into();
    }
    p.owner_kind = Some("ReplicaSet".into());
    p.created = *rng.pick(&[0, 100, 200]);
    p.priority = *rng.pick(&[0, 0, 1000]);
    let app = *rng.pick(&["web", "api", "batch", "db"]);
    p.labels.insert("app".into(), app.into());

    if rng.percent(20) {
        p.node_selector.insert(LABEL_TEAM.into(), (*rng.pick(&TEAMS)).into());
    }
    if rng.percent(15) {
        p.node_selector.insert(ZONE.into(), (*rng.pick(&ZONES)).into());
    }
    if rng.percent(10) {
        p.node_selector.insert(CAPACITY_TYPE.into(), (*rng.pick(&["spot", "on-demand"])).into());
    }
    if rng.percent(10) {
        p.node_selector.insert(ARCH.into(), (*rng.pick(&["amd64", "arm64"])).into());
    }
    if rng.percent(5) {
        p.node_selector.insert(LABEL_TIER.into(), (*rng.pick(&TIERS)).into());
    }
    if gpu && rng.percent(30) {
        p.node_selector.insert(LABEL_GPU_MODEL.into(), (*rng.pick(&["t4", "a10"])).into());
    }
    if rng.percent(25) {
        for _ in 0..rng.range(1, 3) {
            p.node_affinity.required.push(term(rng, pools));
        }
    }
    if rng.percent(15) {
        let w = *rng.pick(&[1, 10, 50]);
        p.node_affinity.preferred.push((w, term(rng, pools)));
    }

    if rng.percent(30) {
        let v = if rng.percent(50) { (*rng.pick(&TEAMS)).to_string() } else { "shared".to_string() };
        p.tolerations.push(Toleration::equal(TAINT_DEDICATED, &v, Some(Effect::NoSchedule)));
    }
    if rng.percent(if gpu { 80 } else { 10 }) {
        p.tolerations.push(Toleration::exists(GPU, None));
    }
    if rng.percent(5) {
        p.tolerations.push(Toleration::exists("", None));
    }
    if rng.percent(10) {
        p.tolerations.push(Toleration::equal(TAINT_CRITICAL, "true", Some(Effect::NoExecute)));
    }
    if rng.percent(8) {
        p.tolerations.push(Toleration::exists("node.kubernetes.io/not-ready", None));
    }
    if rng.percent(5) {
        p.tolerations.push(Toleration::exists("node.kubernetes.io/unschedulable", Some(Effect::NoSchedule)));
    }
    if rng.percent(5) {
        p.tolerations.push(Toleration::exists(TAINT_PREFER_NOT, Some(Effect::PreferNoSchedule)));
    }

    if rng.percent(10) {
        p.host_ports.push(host_port(*rng.pick(&[8080, 9100])));
    }

    let mut own = Labels::new();
    own.insert("app".into(), app.into());
    if rng.percent(10) {
        p.topology_spread.push(TopologySpreadConstraint {
            max_skew: *rng.pick(&[1, 2]),
            topology_key: ZONE.into(),
            when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
            selector: LabelSelector::from_labels(&own),
            min_domains: None,
            node_affinity_policy: InclusionPolicy::Honor,
            node_taints_policy: InclusionPolicy::Ignore,
            match_label_keys: vec![],
        });
    }
    if rng.percent(5) {
        p.topology_spread.push(TopologySpreadConstraint {
            max_skew: 1,
            topology_key: HOSTNAME.into(),
            when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
            selector: LabelSelector::from_labels(&own),
            min_domains: None,
            node_affinity_policy: InclusionPolicy::Honor,
            node_taints_policy: InclusionPolicy::Ignore,
            match_label_keys: vec![],
        });
    }
    let affinity_term = |key: &str| PodAffinityTerm {
        selector: LabelSelector::from_labels(&own),
        namespaces: Default::default(),
        topology_key: key.into(),
    };
    if rng.percent(5) {
        p.pod_affinity.required.push(affinity_term(ZONE));
    }
    if rng.percent(5) {
        p.pod_anti_affinity.required.push(affinity_term(HOSTNAME));
    }
    if rng.percent(5) {
        p.pod_anti_affinity.preferred.push((10, affinity_term(ZONE)));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_features() {
        let mut seen = BTreeSet::new();
        for seed in 0..40 {
            let rc = random_cluster(seed, 30);
            let c = &rc.cluster;
            if c.node_pools.iter().any(|p| p.node_limit.is_some()) {
                seen.insert("node limit");
            }
            if c.node_pools.iter().any(|p| !p.limits.is_empty()) {
                seen.insert("resource limit");
            }
            if c.node_pools.iter().any(|p| p.taints.iter().any(|t| t.effect == Effect::PreferNoSchedule)) {
                seen.insert("prefer no schedule");
            }
            if !c.pool_instance_types.is_empty() {
                seen.insert("pool catalog");
            }
            if c.instance_types.iter().any(|t| t.offerings.iter().any(|o| !o.available)) {
                seen.insert("unavailable offering");
            }
            if c.nodes.iter().any(|n| n.node_pool().is_none()) {
                seen.insert("static node");
            }
            if c.nodes.iter().any(|n| !n.initialized && n.node_pool().is_some()) {
                seen.insert("uninitialized managed node");
            }
            if c.nodes.iter().any(|n| n.pods.iter().any(Pod::is_daemon)) {
                seen.insert("bound daemon");
            }
            if !c.daemon_sets.is_empty() {
                seen.insert("daemon set");
            }
            if rc.pending.iter().any(|p| p.requests.get(&ResourceName::Extended(GPU.into())) > 0) {
                seen.insert("gpu pod");
            }
            if rc.pending.iter().any(|p| !p.host_ports.is_empty()) {
                seen.insert("host port");
            }
            if rc.pending.iter().any(|p| !p.topology_spread.is_empty()) {
                seen.insert("spread");
            }
            if rc.pending.iter().any(|p| p.node_affinity.required.len() > 1) {
                seen.insert("or terms");
            }
        }
        assert_eq!(seen.len(), 13, "{seen:?}");
    }

    #[test]
    fn names_are_unique_and_pods_pending() {
        for seed in 0..20 {
            let rc = random_cluster(seed, 40);
            let keys: BTreeSet<String> = rc.pending.iter().map(Pod::key).collect();
            assert_eq!(keys.len(), rc.pending.len());
            assert!(rc.pending.iter().all(|p| p.node_name.is_none() && !p.is_daemon()));
            let types: BTreeSet<&str> = rc.cluster.instance_types.iter().map(|t| t.name.as_str()).collect();
            assert_eq!(types.len(), rc.cluster.instance_types.len());
            let nodes: BTreeSet<&str> = rc.cluster.nodes.iter().map(|n| n.name.as_str()).collect();
            assert_eq!(nodes.len(), rc.cluster.nodes.len());
        }
    }

    #[test]
    fn restrict_and_shuffle() {
        let rc = random_cluster(5, 20);
        let mut keep = rc.lens();
        keep.pods.truncate(3);
        let small = rc.restrict(&keep);
        assert_eq!(small.pending.len(), 3);
        assert_eq!(small.cluster.nodes, rc.cluster.nodes);
        let s = rc.shuffled(1, Shuffle::ALL);
        let mut a: Vec<String> = s.pending.iter().map(Pod::key).collect();
        let mut b: Vec<String> = rc.pending.iter().map(Pod::key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
}

//! Karpenter's own scheduling benchmark (`pkg/controllers/provisioning/scheduling/
//! scheduling_benchmark_test.go`, build tag `test_performance`), rebuilt on nodepack's model.
//!
//! The facts come from Karpenter v1.14.1 (unchanged at the time of writing on `main`):
//!
//! * `fake.InstanceTypes(400)` (`pkg/cloudprovider/fake/instancetype.go`): type `i` is
//!   `fake-it-{i}` with `i+1` vCPU, `2(i+1)` GiB and `10(i+1)` pods; kube-reserved 100m CPU and
//!   10Mi memory; five offerings (spot in test-zone-1 and -2, on-demand in test-zone-1, -2 and
//!   -3), all at `PriceFromResources` = 0.1 × vCPU + 0.1 × memory bytes / 1e9 dollars (spot and
//!   on-demand cost the same); labels `kubernetes.io/arch=amd64`, `kubernetes.io/os` in
//!   {darwin, linux, windows}, `integer` = the vCPU count, `size` = `large` with
//!   `special=optional` when vCPU > 4 and memory > 8Gi, otherwise `size=small` and `special`
//!   DoesNotExist.
//! * One NodePool with limits cpu 10,000,000 and memory 10,000,000Gi, template label
//!   `testing/cluster=unspecified` (Karpenter's `test.NodePool`), no existing nodes, no DaemonSets.
//! * `makeDiversePods(n)`: five equal parts (generic; zonal spread; hostname spread; zonal
//!   self-affinity; hostname anti-affinity), the remainder generic, requests drawn from
//!   {100m, 250m, 500m, 1000m, 1500m} CPU and {100, 256, 512, 1024, 2048, 4096}Mi memory.
//!
//! One difference: Karpenter draws from Go's `math/rand` seeded with 42; this module draws from
//! [`Rng`] with the seed you give (42 by default, [`KARPENTER_BENCH_SEED`]), so the mix of
//! requests and labels is the same in distribution but not pod for pod.

use std::sync::Arc;

use nodepack_core::{
    Cluster, InstanceType, LabelSelector, Labels, Limits, NodePool, Offering, Operator, Overhead, Pod, PodAffinityTerm,
    Price, Requirement, ResourceName, Resources, TopologySpreadConstraint, WhenUnsatisfiable,
};

use crate::rng::Rng;

/// The seed Karpenter's benchmark uses (`rand.NewSource(42)`).
pub const KARPENTER_BENCH_SEED: u64 = 42;

/// How many instance types Karpenter's benchmark offers.
pub const KARPENTER_BENCH_INSTANCE_TYPES: usize = 400;

/// The NodePool name of the benchmark cluster.
pub const KARPENTER_BENCH_NODE_POOL: &str = "default";

/// The fake provider's instance-size label.
pub const LABEL_SIZE: &str = "size";
/// The fake provider's "exotic" label.
pub const LABEL_SPECIAL: &str = "special";
/// The fake provider's integer label (the vCPU count).
pub const LABEL_INTEGER: &str = "integer";
/// The label Karpenter's test helpers put on every object (`test.DiscoveryLabel`).
pub const LABEL_DISCOVERY: &str = "testing/cluster";

const GIB: i64 = 1 << 30;
const MIB: i64 = 1 << 20;

/// `fake.PriceFromResources` for `k` vCPU and `2k` GiB, in nano-dollars: 0.1 × k + 0.1 × 2k ×
/// 2^30 / 1e9 = 0.3147483648 × k dollars, rounded to the nearest nano-dollar.
pub fn fake_price(k: i64) -> Price {
    Price((3_147_483_648 * k + 5) / 10)
}

/// Karpenter's `fake.InstanceTypes(total)`.
///
/// ```
/// let types = nodepack_suite::karpenter_benchmark_instance_types(400);
/// assert_eq!(types.len(), 400);
/// assert_eq!(types[3].name, "fake-it-3");
/// assert_eq!(types[3].capacity.cpu().0, 4000);
/// assert_eq!(types[3].allocatable().cpu().0, 3900);
/// assert_eq!(types[3].offerings.len(), 5);
/// ```
pub fn karpenter_benchmark_instance_types(total: usize) -> Vec<InstanceType> {
    (0..total).map(fake_instance_type).collect()
}

fn fake_instance_type(i: usize) -> InstanceType {
    let k = i as i64 + 1;
    let capacity = Resources::new()
        .with(ResourceName::Cpu, 1000 * k)
        .with(ResourceName::Memory, 2 * k * GIB)
        .with(ResourceName::Pods, 10 * k);
    let price = fake_price(k);
    let offerings = [
        ("test-zone-1", "spot"),
        ("test-zone-2", "spot"),
        ("test-zone-1", "on-demand"),
        ("test-zone-2", "on-demand"),
        ("test-zone-3", "on-demand"),
    ]
    .iter()
    .map(|(zone, ct)| Offering::new(zone, ct, price))
    .collect();
    let overhead = Overhead {
        kube_reserved: Resources::new().with(ResourceName::Cpu, 100).with(ResourceName::Memory, 10 * MIB),
        ..Default::default()
    };
    let mut it = InstanceType::new(&format!("fake-it-{i}"), capacity, overhead, offerings);
    let set = |it: &mut InstanceType, key: &str, op: Operator, values: &[&str]| {
        it.requirements.set(Requirement::new(key, op, values.iter().copied()).expect("valid requirement"));
    };
    set(&mut it, nodepack_core::label::ARCH, Operator::In, &["amd64"]);
    set(&mut it, nodepack_core::label::OS, Operator::In, &["darwin", "linux", "windows"]);
    set(&mut it, LABEL_INTEGER, Operator::In, &[&k.to_string()]);
    // cpu > 4 and memory > 8Gi: with 2 GiB per vCPU both hold from 5 vCPU up.
    if k > 4 && 2 * k > 8 {
        set(&mut it, LABEL_SIZE, Operator::In, &["large"]);
        set(&mut it, LABEL_SPECIAL, Operator::In, &["optional"]);
    } else {
        set(&mut it, LABEL_SIZE, Operator::In, &["small"]);
        set(&mut it, LABEL_SPECIAL, Operator::DoesNotExist, &[]);
    }
    it
}

/// The NodePool of Karpenter's benchmark: no requirements, limits cpu 10,000,000 and memory
/// 10,000,000Gi, and the test helpers' template label.
pub fn karpenter_benchmark_node_pool() -> NodePool {
    let mut pool = NodePool::new(KARPENTER_BENCH_NODE_POOL);
    pool.labels.insert(LABEL_DISCOVERY.into(), "unspecified".into());
    pool.limits = Limits::new().with(ResourceName::Cpu, 10_000_000 * 1000).with(ResourceName::Memory, 10_000_000 * GIB);
    pool
}

/// The cluster of Karpenter's benchmark: [`karpenter_benchmark_node_pool`] over
/// `fake.InstanceTypes(400)`, no nodes, no DaemonSets.
///
/// ```
/// let c = nodepack_suite::karpenter_benchmark_catalog();
/// assert_eq!(c.instance_types.len(), 400);
/// assert_eq!(c.node_pools.len(), 1);
/// assert!(c.nodes.is_empty() && c.daemon_sets.is_empty());
/// ```
pub fn karpenter_benchmark_catalog() -> Cluster {
    Cluster {
        node_pools: vec![karpenter_benchmark_node_pool()],
        instance_types: Arc::new(karpenter_benchmark_instance_types(KARPENTER_BENCH_INSTANCE_TYPES)),
        ..Default::default()
    }
}

/// Which of the five kinds of `makeDiversePods` a pod is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiverseKind {
    /// No constraints.
    Generic,
    /// Zonal topology spread, maxSkew 1, DoNotSchedule.
    ZonalSpread,
    /// Hostname topology spread, maxSkew 1, DoNotSchedule.
    HostnameSpread,
    /// Required zonal self-affinity.
    ZonalAffinity,
    /// Required hostname anti-affinity to every other such pod.
    HostnameAntiAffinity,
}

impl DiverseKind {
    /// The kind encoded in a pod's name by [`karpenter_benchmark_pods`].
    pub fn of(pod: &Pod) -> Option<DiverseKind> {
        let prefix = pod.name.split('-').next()?;
        Some(match prefix {
            "generic" => DiverseKind::Generic,
            "zspread" => DiverseKind::ZonalSpread,
            "hspread" => DiverseKind::HostnameSpread,
            "zaffinity" => DiverseKind::ZonalAffinity,
            "hanti" => DiverseKind::HostnameAntiAffinity,
            _ => return None,
        })
    }

    fn prefix(self) -> &'static str {
        match self {
            DiverseKind::Generic => "generic",
            DiverseKind::ZonalSpread => "zspread",
            DiverseKind::HostnameSpread => "hspread",
            DiverseKind::ZonalAffinity => "zaffinity",
            DiverseKind::HostnameAntiAffinity => "hanti",
        }
    }
}

struct DiverseGen {
    rng: Rng,
    pods: Vec<Pod>,
}

impl DiverseGen {
    fn label_value(&mut self) -> String {
        (*self.rng.pick(&["a", "b", "c", "d", "e", "f", "g"])).to_string()
    }

    fn random_labels(&mut self, key: &str) -> Labels {
        let mut l = Labels::new();
        l.insert(key.into(), self.label_value());
        l
    }

    fn requests(&mut self) -> Resources {
        let cpu = *self.rng.pick(&[100, 250, 500, 1000, 1500]);
        let mem = *self.rng.pick(&[100, 256, 512, 1024, 2048, 4096]);
        Resources::new().with(ResourceName::Cpu, cpu).with(ResourceName::Memory, mem * MIB)
    }

    fn pod(&mut self, kind: DiverseKind, labels: Labels) -> Pod {
        let name = format!("{}-{:06}", kind.prefix(), self.pods.len());
        let mut pod = Pod::new(&name, Resources::new());
        pod.labels.insert(LABEL_DISCOVERY.into(), "unspecified".into());
        pod.labels.extend(labels);
        pod.owner_kind = Some("ReplicaSet".into());
        pod
    }

    fn generic(&mut self, count: usize) {
        for _ in 0..count {
            let labels = self.random_labels("my-label");
            let mut pod = self.pod(DiverseKind::Generic, labels);
            pod.requests = self.requests();
            self.pods.push(pod);
        }
    }

    fn spread(&mut self, count: usize, key: &str, kind: DiverseKind) {
        for _ in 0..count {
            // The same draw order as the Go composite literal: labels, selector, cpu, memory.
            let labels = self.random_labels("my-label");
            let selector = self.random_labels("my-label");
            let mut pod = self.pod(kind, labels);
            pod.topology_spread.push(TopologySpreadConstraint {
                max_skew: 1,
                topology_key: key.into(),
                when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
                selector: LabelSelector::from_labels(&selector),
                min_domains: None,
                node_affinity_policy: nodepack_core::InclusionPolicy::Honor,
                node_taints_policy: nodepack_core::InclusionPolicy::Ignore,
                match_label_keys: vec![],
            });
            pod.requests = self.requests();
            self.pods.push(pod);
        }
    }

    fn affinity(&mut self, count: usize, key: &str) {
        for _ in 0..count {
            // Karpenter spells the key "my-affininity".
            let labels = self.random_labels("my-affininity");
            let mut pod = self.pod(DiverseKind::ZonalAffinity, labels.clone());
            pod.pod_affinity.required.push(PodAffinityTerm {
                selector: LabelSelector::from_labels(&labels),
                namespaces: Default::default(),
                topology_key: key.into(),
            });
            pod.requests = self.requests();
            self.pods.push(pod);
        }
    }

    fn anti_affinity(&mut self, count: usize, key: &str) {
        let mut labels = Labels::new();
        labels.insert("app".into(), "nginx".into());
        for _ in 0..count {
            let mut pod = self.pod(DiverseKind::HostnameAntiAffinity, labels.clone());
            pod.pod_anti_affinity.required.push(PodAffinityTerm {
                selector: LabelSelector::from_labels(&labels),
                namespaces: Default::default(),
                topology_key: key.into(),
            });
            pod.requests = self.requests();
            self.pods.push(pod);
        }
    }
}

/// Karpenter's `makeDiversePods(n)`: `n / 5` each of generic pods, zonal spread (maxSkew 1,
/// DoNotSchedule, selector `my-label` in a–g), hostname spread (likewise), zonal self-affinity
/// (`my-affininity` in a–g) and hostname anti-affinity (`app=nginx`), then generic pods for the
/// remainder. Pod names start with the kind (see [`DiverseKind::of`]) and are unique.
///
/// ```
/// use nodepack_suite::{karpenter_benchmark_pods, DiverseKind};
/// let pods = karpenter_benchmark_pods(12, 42);
/// assert_eq!(pods.len(), 12);
/// let anti = pods.iter().filter(|p| DiverseKind::of(p) == Some(DiverseKind::HostnameAntiAffinity)).count();
/// assert_eq!(anti, 2);
/// assert_eq!(pods, karpenter_benchmark_pods(12, 42));
/// ```
pub fn karpenter_benchmark_pods(n: usize, seed: u64) -> Vec<Pod> {
    let mut g = DiverseGen { rng: Rng::new(seed), pods: Vec::with_capacity(n) };
    let part = n / 5;
    g.generic(part);
    g.spread(part, nodepack_core::label::ZONE, DiverseKind::ZonalSpread);
    g.spread(part, nodepack_core::label::HOSTNAME, DiverseKind::HostnameSpread);
    g.affinity(part, nodepack_core::label::ZONE);
    g.anti_affinity(part, nodepack_core::label::HOSTNAME);
    g.generic(n - 5 * part);
    g.pods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_matches_karpenter() {
        let types = karpenter_benchmark_instance_types(400);
        let t0 = &types[0];
        assert_eq!(t0.capacity.memory().0, 2 * GIB);
        assert_eq!(t0.capacity.pods(), 10);
        assert_eq!(t0.allocatable().memory().0, 2 * GIB - 10 * MIB);
        assert!(t0.requirements.get(LABEL_SIZE).unwrap().has("small"));
        assert!(t0.requirements.get(LABEL_SPECIAL).unwrap().is_empty());
        let t4 = &types[4];
        assert!(t4.requirements.get(LABEL_SIZE).unwrap().has("large"));
        assert!(t4.requirements.get(LABEL_SPECIAL).unwrap().has("optional"));
        assert!(t4.requirements.get(LABEL_INTEGER).unwrap().has("5"));
        let last = &types[399];
        assert_eq!(last.capacity.cpu().0, 400_000);
        assert_eq!(last.offerings[0].price, Price(125_899_345_920));
        assert_eq!(fake_price(1), Price(314_748_365));
        assert!(t0.offerings.iter().all(|o| o.available && o.price == fake_price(1)));
    }

    #[test]
    fn diverse_pods_have_the_five_kinds() {
        let pods = karpenter_benchmark_pods(103, KARPENTER_BENCH_SEED);
        let count = |k| pods.iter().filter(|p| DiverseKind::of(p) == Some(k)).count();
        assert_eq!(count(DiverseKind::Generic), 23);
        for k in [
            DiverseKind::ZonalSpread,
            DiverseKind::HostnameSpread,
            DiverseKind::ZonalAffinity,
            DiverseKind::HostnameAntiAffinity,
        ] {
            assert_eq!(count(k), 20);
        }
        let cpus: std::collections::BTreeSet<i64> = pods.iter().map(|p| p.requests.cpu().0).collect();
        assert_eq!(cpus.into_iter().collect::<Vec<_>>(), vec![100, 250, 500, 1000, 1500]);
        let names: std::collections::BTreeSet<&str> = pods.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.len(), pods.len());
    }
}

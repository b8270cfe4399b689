//! Topology properties of the provisioning pass on random clusters (issue "Scheduling
//! constraints"): in every result no two pods on a node share a host port, no required
//! anti-affinity is broken (either way round), every required affinity is met, and no hostname
//! spread constraint is broken. Checked from the schedule alone, by locating every pod.
//!
//! Zonal `DoNotSchedule` spread has its own generator (small clusters built around the
//! constraint: existing nodes in several zones with bound pods, NodePools restricted to zone
//! subsets, instance types offered in some zones) and its own check; see the section below for
//! which groups it checks and why.
//!
//! A fixed sequence of cases by default (64 random clusters, 1024 spread cases), so CI never
//! flakes; `NODEPACK_SLOW_TESTS=1` runs 1024 and 8192 random ones.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

mod semantics;
use semantics::tolerates;

use nodepack_core::label::{HOSTNAME, NODE_POOL, ZONE};
use nodepack_core::{
    provision, Cluster, Effect, InclusionPolicy, InstanceType, LabelSelector, Labels, NamespaceScope, Node, NodePool,
    Offering, Operator, Overhead, Pod, PodAffinityTerm, Price, Requirement, Requirements, ResourceName, Resources,
    Settings, Taint, Toleration, TopologySpreadConstraint, WhenUnsatisfiable,
};
use nodepack_suite::random_cluster;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// Where a pod runs: its node's labels (with the hostname).
type Place = BTreeMap<String, String>;

/// Every pod, bound or placed by the pass, with where it runs.
fn locate(seed: u64, size: usize) -> (Vec<(Pod, Place)>, Vec<String>) {
    let rc = random_cluster(seed, size);
    let s = provision(&rc.cluster, &rc.pending, &Settings::default());
    let by_key: BTreeMap<String, &Pod> = rc.pending.iter().map(|p| (p.key(), p)).collect();
    let mut out = vec![];
    for n in &rc.cluster.nodes {
        let mut place = n.labels.clone();
        place.entry(HOSTNAME.into()).or_insert_with(|| n.name.clone());
        for p in &n.pods {
            out.push((p.clone(), place.clone()));
        }
        if let Some(e) = s.existing_nodes.iter().find(|e| e.name == n.name) {
            for k in &e.pods {
                out.push((by_key[k.as_str()].clone(), place.clone()));
            }
        }
    }
    for c in &s.node_claims {
        let mut place = c.labels.clone();
        place.insert(HOSTNAME.into(), format!("claim/{}", c.name));
        place.insert(ZONE.into(), c.zone.clone());
        for k in &c.pods {
            out.push((by_key[k.as_str()].clone(), place.clone()));
        }
    }
    let placed =
        s.node_claims.iter().flat_map(|c| c.pods.clone()).chain(s.existing_nodes.iter().flat_map(|e| e.pods.clone()));
    (out, placed.collect())
}

fn selects(term: &PodAffinityTerm, owner: &Pod, other: &Pod) -> bool {
    let ns_ok = match &term.namespaces {
        NamespaceScope::Own => other.namespace == owner.namespace,
        NamespaceScope::Listed(v) => v.contains(&other.namespace),
        NamespaceScope::All => true,
    };
    ns_ok && term.selector.matches(&other.labels)
}

fn check(seed: u64, size: usize) -> Result<(), String> {
    let (pods, placed) = locate(seed, size);
    let is_placed = |p: &Pod| placed.contains(&p.key());
    let host = |pl: &Place| pl.get(HOSTNAME).cloned().unwrap_or_default();
    // Host ports: no two pods on one node bind the same port.
    let mut ports: BTreeMap<(String, u16, String), String> = BTreeMap::new();
    for (p, pl) in &pods {
        for hp in &p.host_ports {
            if let Some(other) = ports.insert((host(pl), hp.port, hp.protocol.clone()), p.key()) {
                if is_placed(p) {
                    return Err(format!("{} and {other} share host port {} on {}", p.key(), hp.port, host(pl)));
                }
            }
        }
    }
    for (p, pl) in pods.iter().filter(|(p, _)| is_placed(p)) {
        // Required anti-affinity, both ways: no selected pod in the same domain.
        for (q, ql) in &pods {
            if q.key() == p.key() {
                continue;
            }
            for (owner, target, term_pl, other_pl) in [(p, q, pl, ql), (q, p, ql, pl)] {
                for t in &owner.pod_anti_affinity.required {
                    let (Some(a), Some(b)) = (term_pl.get(&t.topology_key), other_pl.get(&t.topology_key)) else {
                        continue;
                    };
                    if a == b && selects(t, owner, target) {
                        return Err(format!(
                            "{} (anti-affinity on {}) shares {a} with {}",
                            owner.key(),
                            t.topology_key,
                            target.key()
                        ));
                    }
                }
            }
        }
        // Required affinity: a selected pod (itself, if it selects itself) in the same domain.
        for t in &p.pod_affinity.required {
            let Some(d) = pl.get(&t.topology_key) else {
                return Err(format!("{} placed where {} is undefined", p.key(), t.topology_key));
            };
            let met = pods.iter().any(|(q, ql)| ql.get(&t.topology_key) == Some(d) && selects(t, p, q));
            if !met {
                return Err(format!("{} has affinity on {} but no selected pod is in {d}", p.key(), t.topology_key));
            }
        }
        // Hostname spread (DoNotSchedule): the global minimum is 0, so no node exceeds maxSkew.
        for t in p.topology_spread.iter().filter(|t| t.topology_key == HOSTNAME) {
            if t.when_unsatisfiable != WhenUnsatisfiable::DoNotSchedule {
                continue;
            }
            let n = pods
                .iter()
                .filter(|(q, ql)| host(ql) == host(pl) && q.namespace == p.namespace && t.selector.matches(&q.labels))
                .count() as i32;
            if n > t.max_skew {
                return Err(format!("{} on {}: {n} selected pods, maxSkew {}", p.key(), host(pl), t.max_skew));
            }
        }
    }
    Ok(())
}

fn config() -> Config {
    let slow = std::env::var_os("NODEPACK_SLOW_TESTS").is_some();
    let mut c = Config::with_cases(if slow { 1024 } else { 64 });
    c.failure_persistence = None;
    if !slow {
        c.rng_seed = RngSeed::Fixed(0x746f_706f_6c6f_6779);
    }
    c
}

proptest! {
    #![proptest_config(config())]
    #[test]
    fn topology_constraints_hold(seed in any::<u64>(), size in 1usize..40) {
        if let Err(e) = check(seed, size) {
            return Err(TestCaseError::fail(format!("random_cluster({seed}, {size}): {e}")));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Zonal DoNotSchedule spread
// ---------------------------------------------------------------------------------------------
//
// Karpenter counts a pod for a spread group only once the node it lands on has the topology key
// pinned to one value; a pod placed on a claim whose zone is still open is not counted. So the
// property is checked only where every count is observable from the result: for a group (the
// constraint, the namespace, the selector with `matchLabelKeys` applied, and what the node
// filter is made of: node selector, required terms, tolerations, as Karpenter keys groups),
// every pending pod the selector picks must be a member of the group. Members always pin their
// node's zone, so the group's count in a zone is then exactly
//
//   bound pods it selects on existing nodes in that zone that pass the node filter
//   (nodeAffinityPolicy Honor: node selector and one required term; nodeTaintsPolicy Honor:
//   every taint tolerated, the cordon taint included) + the members placed there that it selects.
//
// Its domains are the zones of the instance types each NodePool can launch (the type has an
// available offering the pool admits; its zones are those of all its offerings the pool
// admits), the pool's own `In` zones, and the zones of existing nodes that pass the filter;
// under nodeTaintsPolicy Honor only pools whose taints the pod tolerates count. The eligible
// domains are those the pod's own zone requirement (node selector and first required term)
// admits; the global minimum is the least count among them, or 0 when there are fewer than
// `minDomains` or none. Counts only grow, so the skew the last member placed in a zone met then
// still holds at the end: in every zone a member went to, count - global minimum <= maxSkew.
//
// The generator keeps each group's identity fixed for the whole pass: no NodePool has a
// `PreferNoSchedule` taint and no pod has more than one required node-affinity term, so
// preference relaxation never changes a member's tolerations or terms (which would make it a
// new group, counted afresh from existing nodes only, as in Karpenter).

/// Zones NodePools and instance types use.
const SPREAD_ZONES: [&str; 4] = ["zone-a", "zone-b", "zone-c", "zone-d"];
/// A zone that only static nodes are in: no instance type offers it.
const STATIC_ZONE: &str = "zone-s";
/// The taint some pools and nodes carry, and the value apps may tolerate.
const DEDICATED: (&str, &str) = ("dedicated", "spread");
const OTHER_NAMESPACE: &str = "team-a";
const GIB: i64 = 1 << 30;

/// A zone requirement: none, `In` a set (bit mask over [`SPREAD_ZONES`]), or `NotIn` one zone.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ZoneRule {
    Any,
    In(u8),
    NotIn(usize),
}

impl ZoneRule {
    fn requirement(self) -> Option<Requirement> {
        let zones: Vec<&str> = match self {
            ZoneRule::Any => return None,
            ZoneRule::In(mask) => {
                SPREAD_ZONES.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, z)| *z).collect()
            }
            ZoneRule::NotIn(z) => vec![SPREAD_ZONES[z]],
        };
        let op = if matches!(self, ZoneRule::In(_)) { Operator::In } else { Operator::NotIn };
        Some(Requirement::new(ZONE, op, zones).expect("non-empty zone list"))
    }
}

fn zone_rule() -> impl Strategy<Value = ZoneRule> {
    prop_oneof![
        3 => Just(ZoneRule::Any),
        3 => (1u8..16).prop_map(ZoneRule::In),
        1 => (0usize..SPREAD_ZONES.len()).prop_map(ZoneRule::NotIn),
    ]
}

#[derive(Debug, Clone)]
struct TypeSpec {
    cores: i64,
    /// Per zone of [`SPREAD_ZONES`]: offered, spot (else on-demand), available.
    offers: Vec<(bool, bool, bool)>,
}

#[derive(Debug, Clone)]
struct PoolSpec {
    zones: ZoneRule,
    tainted: bool,
    weight: i32,
}

#[derive(Debug, Clone)]
struct NodeSpec {
    /// An index into [`SPREAD_ZONES`]; one past it is [`STATIC_ZONE`], two past it no zone label.
    zone: usize,
    /// Managed by this pool (modulo the pool count), or static.
    pool: Option<usize>,
    tainted: bool,
    cordoned: bool,
    /// Managed and not yet initialized (with a `not-ready` taint).
    uninitialized: bool,
    cores: i64,
    /// Bound pods: which labels ([`bound_labels`]), in the other namespace, version `v1`.
    bound: Vec<(usize, bool, bool)>,
}

/// What an app's spread constraint selects.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Selects {
    /// `app=<its own name>`.
    Own,
    /// `tier=front`, which every app's pods carry.
    Shared,
    /// `app=legacy`, which only bound pods carry (the app does not select itself).
    Legacy,
    /// `app In [<its own name>, legacy]`.
    OwnOrLegacy,
}

#[derive(Debug, Clone)]
struct AppSpec {
    replicas: usize,
    cpu: i64,
    max_skew: i32,
    min_domains: Option<i32>,
    honor_affinity: bool,
    honor_taints: bool,
    selects: Selects,
    /// `matchLabelKeys: [version]`, with replicas alternating between two versions.
    by_version: bool,
    other_namespace: bool,
    selector_zone: Option<usize>,
    affinity_zones: ZoneRule,
    /// A required `karpenter.sh/nodepool In [pool]` (modulo the pool count).
    pool_affinity: Option<usize>,
    preferred_zone: Option<usize>,
    tolerates: bool,
}

#[derive(Debug, Clone)]
struct PlainSpec {
    cpu: i64,
    /// Labelled as this app (so its spread selector may pick the pod), or `app=plain`.
    app: Option<usize>,
}

/// A small cluster built around zonal spread constraints.
#[derive(Clone)]
struct SpreadCase {
    types: Vec<TypeSpec>,
    pools: Vec<PoolSpec>,
    nodes: Vec<NodeSpec>,
    apps: Vec<AppSpec>,
    plain: Vec<PlainSpec>,
}

fn type_spec() -> impl Strategy<Value = TypeSpec> {
    let offer = (proptest::bool::weighted(0.6), proptest::bool::weighted(0.3), proptest::bool::weighted(0.85));
    (prop::sample::select(vec![1i64, 2, 4, 8]), proptest::collection::vec(offer, SPREAD_ZONES.len()))
        .prop_map(|(cores, offers)| TypeSpec { cores, offers })
}

fn pool_spec() -> impl Strategy<Value = PoolSpec> {
    (zone_rule(), proptest::bool::weighted(0.25), prop::sample::select(vec![0, 0, 10]))
        .prop_map(|(zones, tainted, weight)| PoolSpec { zones, tainted, weight })
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    let bound = proptest::collection::vec((0usize..5, proptest::bool::weighted(0.15), any::<bool>()), 0..5);
    (
        prop_oneof![12 => 0..SPREAD_ZONES.len(), 2 => Just(SPREAD_ZONES.len()), 1 => Just(SPREAD_ZONES.len() + 1)],
        proptest::option::weighted(0.6, 0usize..3),
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.1),
        proptest::bool::weighted(0.15),
        prop::sample::select(vec![1i64, 2, 4]),
        bound,
    )
        .prop_map(|(zone, pool, tainted, cordoned, uninitialized, cores, bound)| NodeSpec {
            zone,
            pool,
            tainted,
            cordoned,
            uninitialized: uninitialized && pool.is_some(),
            cores,
            bound,
        })
}

fn app_spec() -> impl Strategy<Value = AppSpec> {
    let selects = prop_oneof![
        6 => Just(Selects::Own),
        1 => Just(Selects::Shared),
        1 => Just(Selects::Legacy),
        2 => Just(Selects::OwnOrLegacy),
    ];
    let shape = (
        1usize..=10,
        prop::sample::select(vec![250i64, 500, 1000, 1500]),
        1i32..=3,
        proptest::option::weighted(0.3, 1i32..=5),
        proptest::bool::weighted(0.8),
        proptest::bool::weighted(0.3),
        selects,
        proptest::bool::weighted(0.15),
    );
    let placement = (
        proptest::bool::weighted(0.15),
        proptest::option::weighted(0.1, 0..SPREAD_ZONES.len()),
        prop_oneof![4 => Just(ZoneRule::Any), 1 => zone_rule()],
        proptest::option::weighted(0.1, 0usize..3),
        proptest::option::weighted(0.1, 0..SPREAD_ZONES.len()),
        proptest::bool::weighted(0.4),
    );
    (shape, placement).prop_map(
        |(
            (replicas, cpu, max_skew, min_domains, honor_affinity, honor_taints, selects, by_version),
            (other_namespace, selector_zone, affinity_zones, pool_affinity, preferred_zone, tolerates),
        )| AppSpec {
            replicas,
            cpu,
            max_skew,
            min_domains,
            honor_affinity,
            honor_taints,
            selects,
            by_version,
            other_namespace,
            selector_zone,
            affinity_zones,
            pool_affinity,
            preferred_zone,
            tolerates,
        },
    )
}

fn plain_spec() -> impl Strategy<Value = PlainSpec> {
    (prop::sample::select(vec![250i64, 1000, 3000]), proptest::option::weighted(0.1, 0usize..3))
        .prop_map(|(cpu, app)| PlainSpec { cpu, app })
}

fn spread_cases() -> impl Strategy<Value = SpreadCase> {
    (
        proptest::collection::vec(type_spec(), 1..=4),
        proptest::collection::vec(pool_spec(), 1..=3),
        proptest::collection::vec(node_spec(), 0..=6),
        proptest::collection::vec(app_spec(), 1..=3),
        proptest::collection::vec(plain_spec(), 0..=5),
    )
        .prop_map(|(types, pools, nodes, apps, plain)| SpreadCase { types, pools, nodes, apps, plain })
}

fn app_name(a: usize) -> String {
    format!("app-{a}")
}

/// Labels of a bound pod: one of the first three apps (with `tier=front`), `legacy`, or `other`.
fn bound_labels(choice: usize, v1: bool) -> Labels {
    let mut l = Labels::new();
    match choice {
        0..=2 => {
            l.insert("app".into(), app_name(choice));
            l.insert("tier".into(), "front".into());
        }
        3 => {
            l.insert("app".into(), "legacy".into());
        }
        _ => {
            l.insert("app".into(), "other".into());
        }
    }
    l.insert("version".into(), if v1 { "v1" } else { "v0" }.into());
    l
}

fn dedicated_taint() -> Taint {
    Taint::new(DEDICATED.0, DEDICATED.1, Effect::NoSchedule)
}

fn spread_resources(cpu: i64, memory: i64) -> Resources {
    Resources::new().with(ResourceName::Cpu, cpu).with(ResourceName::Memory, memory)
}

/// The cluster and pending pods of a case.
fn build_spread(case: &SpreadCase) -> (Cluster, Vec<Pod>) {
    let types: Vec<InstanceType> = case
        .types
        .iter()
        .enumerate()
        .map(|(j, t)| {
            let on_demand = t.cores * 50_000_000;
            let mut offerings = vec![];
            for (z, &(offered, spot, available)) in t.offers.iter().enumerate() {
                if offered {
                    let (ct, price) = if spot { ("spot", on_demand * 6 / 10) } else { ("on-demand", on_demand) };
                    let mut o = Offering::new(SPREAD_ZONES[z], ct, Price(price));
                    o.available = available;
                    offerings.push(o);
                }
            }
            let mut capacity = spread_resources(t.cores * 1000, t.cores * 4 * GIB);
            capacity.set(&ResourceName::Pods, 110);
            InstanceType::new(&format!("t{j}.{}x", t.cores), capacity, Overhead::default(), offerings)
        })
        .collect();
    let pool_name = |k: usize| format!("pool-{}", k % case.pools.len());
    let pools: Vec<NodePool> = case
        .pools
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let mut pool = NodePool::new(&pool_name(k));
            pool.weight = p.weight;
            if let Some(r) = p.zones.requirement() {
                pool.requirements.add(r);
            }
            if p.tainted {
                pool.taints.push(dedicated_taint());
            }
            pool
        })
        .collect();
    let nodes: Vec<Node> = case
        .nodes
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let mut node = Node { name: format!("node-{k}"), initialized: !n.uninitialized, ..Default::default() };
            node.labels.insert(HOSTNAME.into(), node.name.clone());
            match n.zone {
                z if z < SPREAD_ZONES.len() => {
                    node.labels.insert(ZONE.into(), SPREAD_ZONES[z].into());
                }
                z if z == SPREAD_ZONES.len() => {
                    node.labels.insert(ZONE.into(), STATIC_ZONE.into());
                }
                _ => {}
            }
            if let Some(p) = n.pool {
                node.labels.insert(NODE_POOL.into(), pool_name(p));
            }
            if n.tainted {
                node.taints.push(dedicated_taint());
            }
            if n.uninitialized {
                node.taints.push(Taint::new("node.kubernetes.io/not-ready", "", Effect::NoSchedule));
            }
            node.unschedulable = n.cordoned;
            node.capacity = spread_resources(n.cores * 1000, n.cores * 4 * GIB);
            node.capacity.set(&ResourceName::Pods, 110);
            node.allocatable = node.capacity.clone();
            for (m, &(choice, other_ns, v1)) in n.bound.iter().enumerate() {
                let mut p = Pod::new(&format!("bound-{k}-{m}"), spread_resources(100, 128 << 20));
                p.owner_kind = Some("ReplicaSet".into());
                p.node_name = Some(node.name.clone());
                if other_ns {
                    p.namespace = OTHER_NAMESPACE.into();
                }
                p.labels = bound_labels(choice, v1);
                node.pods.push(p);
            }
            node
        })
        .collect();
    let mut pending = vec![];
    for (a, app) in case.apps.iter().enumerate() {
        let mut selector = match app.selects {
            Selects::Own => LabelSelector::from_labels(&Labels::from([("app".into(), app_name(a))])),
            Selects::Shared => LabelSelector::from_labels(&Labels::from([("tier".into(), "front".into())])),
            Selects::Legacy => LabelSelector::from_labels(&Labels::from([("app".into(), "legacy".into())])),
            Selects::OwnOrLegacy => LabelSelector::everything(),
        };
        if app.selects == Selects::OwnOrLegacy {
            selector.add_expression("app", Operator::In, &[app_name(a), "legacy".into()]).expect("valid selector");
        }
        let tsc = TopologySpreadConstraint {
            max_skew: app.max_skew,
            topology_key: ZONE.into(),
            when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
            selector,
            min_domains: app.min_domains,
            node_affinity_policy: if app.honor_affinity { InclusionPolicy::Honor } else { InclusionPolicy::Ignore },
            node_taints_policy: if app.honor_taints { InclusionPolicy::Honor } else { InclusionPolicy::Ignore },
            match_label_keys: if app.by_version { vec!["version".into()] } else { vec![] },
        };
        let mut required = Requirements::new();
        if let Some(r) = app.affinity_zones.requirement() {
            required.add(r);
        }
        if let Some(p) = app.pool_affinity {
            required.add(Requirement::single(NODE_POOL, &pool_name(p)));
        }
        for r in 0..app.replicas {
            let mut p = Pod::new(&format!("{}-{r}", app_name(a)), spread_resources(app.cpu, 256 << 20));
            p.owner_kind = Some("ReplicaSet".into());
            if app.other_namespace {
                p.namespace = OTHER_NAMESPACE.into();
            }
            p.labels.insert("app".into(), app_name(a));
            p.labels.insert("tier".into(), "front".into());
            p.labels.insert("version".into(), if app.by_version && r % 2 == 1 { "v1" } else { "v0" }.into());
            p.topology_spread.push(tsc.clone());
            if let Some(z) = app.selector_zone {
                p.node_selector.insert(ZONE.into(), SPREAD_ZONES[z].into());
            }
            if !required.is_empty() {
                p.node_affinity.required.push(required.clone());
            }
            if let Some(z) = app.preferred_zone {
                let mut term = Requirements::new();
                term.add(Requirement::single(ZONE, SPREAD_ZONES[z]));
                p.node_affinity.preferred.push((10, term));
            }
            if app.tolerates {
                p.tolerations.push(Toleration::equal(DEDICATED.0, DEDICATED.1, Some(Effect::NoSchedule)));
            }
            pending.push(p);
        }
    }
    for (k, plain) in case.plain.iter().enumerate() {
        let mut p = Pod::new(&format!("plain-{k}"), spread_resources(plain.cpu, 512 << 20));
        p.owner_kind = Some("ReplicaSet".into());
        match plain.app {
            Some(a) => {
                p.labels.insert("app".into(), app_name(a));
                p.labels.insert("tier".into(), "front".into());
                p.labels.insert("version".into(), "v0".into());
            }
            None => {
                p.labels.insert("app".into(), "plain".into());
            }
        }
        pending.push(p);
    }
    let cluster = Cluster { node_pools: pools, instance_types: Arc::new(types), nodes, ..Default::default() };
    (cluster, pending)
}

fn tolerates_all(tolerations: &[Toleration], taints: &[Taint]) -> bool {
    taints.iter().all(|taint| tolerations.iter().any(|t| tolerates(t, taint)))
}

/// Whether node labels satisfy a requirement set (a missing label satisfies only `NotIn` and
/// `DoesNotExist`).
fn labels_satisfy(reqs: &Requirements, labels: &Labels) -> bool {
    reqs.iter().all(|r| match labels.get(r.key()) {
        Some(v) => r.has(v),
        None => matches!(r.operator(), Operator::NotIn | Operator::DoesNotExist),
    })
}

fn admits(r: Option<&Requirement>, value: &str) -> bool {
    r.is_none_or(|r| r.has(value))
}

/// A spread group as Karpenter keys it: the constraint, the namespace, the selector with
/// `matchLabelKeys` applied, and what the node filter is made of.
#[derive(PartialEq)]
struct GroupId<'a> {
    namespace: &'a str,
    tsc: &'a TopologySpreadConstraint,
    selector: LabelSelector,
    node_selector: &'a Labels,
    required: &'a [Requirements],
    tolerations: &'a [Toleration],
}

impl<'a> GroupId<'a> {
    fn of(pod: &'a Pod, tsc: &'a TopologySpreadConstraint) -> Self {
        let mut selector = tsc.selector.clone();
        for k in &tsc.match_label_keys {
            if let Some(v) = pod.labels.get(k) {
                selector.add_label(k, v);
            }
        }
        GroupId {
            namespace: &pod.namespace,
            tsc,
            selector,
            node_selector: &pod.node_selector,
            required: &pod.node_affinity.required,
            tolerations: &pod.tolerations,
        }
    }

    fn selects(&self, pod: &Pod) -> bool {
        pod.namespace == self.namespace && self.selector.matches(&pod.labels)
    }

    /// The node filter: under `Honor`, the node satisfies the pod's node selector and one of its
    /// required terms, and the pod tolerates the node's taints.
    fn counts_node(&self, labels: &Labels, taints: &[Taint]) -> bool {
        let affinity = self.tsc.node_affinity_policy == InclusionPolicy::Ignore
            || (self.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v))
                && (self.required.is_empty() || self.required.iter().any(|t| labels_satisfy(t, labels))));
        let taints = self.tsc.node_taints_policy == InclusionPolicy::Ignore || tolerates_all(self.tolerations, taints);
        affinity && taints
    }

    /// Whether the pod's own (strict) zone requirement admits a zone: its node selector and its
    /// first required term.
    fn pod_admits(&self, zone: &str) -> bool {
        self.node_selector.get(ZONE).is_none_or(|z| z == zone)
            && admits(self.required.first().and_then(|t| t.get(ZONE)), zone)
    }
}

/// How much of the constraint a batch of cases exercised.
#[derive(Debug, Default)]
struct SpreadStats {
    groups_checked: usize,
    groups_skipped: usize,
    members_placed: usize,
    members_pending: usize,
    /// Checked groups with members in two or more zones.
    spread_over_zones: usize,
    /// Checked groups where some zone sits exactly at the skew limit.
    at_the_limit: usize,
    /// Checked groups whose `minDomains` exceeds the eligible zones (the global minimum is 0).
    min_domains_binding: usize,
    /// Checked groups counting bound pods.
    with_bound_pods: usize,
    /// Checked groups with members placed on existing nodes.
    on_existing_nodes: usize,
}

/// Provisions a case and checks every fully observable zonal `DoNotSchedule` group.
fn check_zonal_spread(case: &SpreadCase) -> Result<SpreadStats, String> {
    let (cluster, pending) = build_spread(case);
    let schedule = provision(&cluster, &pending, &Settings::default());
    let by_key: BTreeMap<String, &Pod> = pending.iter().map(|p| (p.key(), p)).collect();
    let spreads_on_zone = |p: &Pod| p.topology_spread.iter().any(|t| t.topology_key == ZONE);

    // Where each placed pod went: the zone of its node (`None`: a node without a zone label), and
    // whether that node already existed.
    let mut placed: BTreeMap<&str, (Option<String>, bool)> = BTreeMap::new();
    for c in &schedule.node_claims {
        let pinned = c.requirements.get(ZONE).filter(|r| !r.is_complement() && r.values().len() == 1);
        let pinned = pinned.and_then(|r| r.values().iter().next().cloned());
        if c.pods.iter().any(|k| spreads_on_zone(by_key[k.as_str()])) && pinned.as_deref() != Some(c.zone.as_str()) {
            return Err(format!(
                "claim {} holds a zone-spread pod but its zone is {} and it launches in {}",
                c.name,
                c.requirements.get(ZONE).map(ToString::to_string).unwrap_or_else(|| "open".into()),
                c.zone
            ));
        }
        for k in &c.pods {
            placed.insert(k, (pinned.clone(), false));
        }
    }
    for e in &schedule.existing_nodes {
        let node = cluster.nodes.iter().find(|n| n.name == e.name).ok_or("placement on an unknown node")?;
        for k in &e.pods {
            placed.insert(k, (node.labels.get(ZONE).cloned(), true));
        }
    }

    let mut groups: Vec<(GroupId<'_>, Vec<&Pod>)> = vec![];
    for p in &pending {
        for t in &p.topology_spread {
            if t.topology_key != ZONE || t.when_unsatisfiable != WhenUnsatisfiable::DoNotSchedule {
                continue;
            }
            let id = GroupId::of(p, t);
            match groups.iter_mut().find(|(g, _)| *g == id) {
                Some((_, members)) => members.push(p),
                None => groups.push((id, vec![p])),
            }
        }
    }

    let mut stats = SpreadStats::default();
    for (g, members) in &groups {
        // Only groups whose every selected pending pod is a member: any other selected pod may
        // have landed on a claim whose zone was still open, and gone uncounted.
        //
        // Nor groups with a member on an existing node without a zone label. A member whose own
        // requirement is `zone NotIn [...]` may go there: the node's requirements take the
        // pod's `NotIn`, the group then picks a zone within it, and the pod is counted in that
        // zone (Karpenter's `ExistingNode.CanAdd` does the same). Which zone is not in the result.
        let is_member = |p: &Pod| members.iter().any(|m| m.key() == p.key());
        let zoneless = |p: &Pod| placed.get(p.key().as_str()).is_some_and(|(z, existing)| *existing && z.is_none());
        if pending.iter().any(|p| g.selects(p) && !is_member(p)) || members.iter().any(|m| zoneless(m)) {
            stats.groups_skipped += 1;
            continue;
        }
        stats.groups_checked += 1;
        let node_taints = |n: &Node| {
            let mut t = n.taints.clone();
            if n.unschedulable {
                t.push(Taint::new("node.kubernetes.io/unschedulable", "", Effect::NoSchedule));
            }
            t
        };

        // The domains: zones of the instance types each NodePool can launch (admitted by the
        // pool, with an available offering), the pool's own `In` zones, and the zones of existing
        // nodes that pass the filter. Under nodeTaintsPolicy Honor only pools the pod tolerates.
        let mut counts: BTreeMap<String, i32> = BTreeMap::new();
        for pool in &cluster.node_pools {
            if g.tsc.node_taints_policy == InclusionPolicy::Honor && !tolerates_all(g.tolerations, &pool.taints) {
                continue;
            }
            let zr = pool.requirements.get(ZONE);
            let launchable: Vec<&InstanceType> = cluster
                .instance_types
                .iter()
                .filter(|it| it.offerings.iter().any(|o| o.available && admits(zr, &o.zone)))
                .collect();
            if launchable.is_empty() {
                continue;
            }
            for it in launchable {
                for o in it.offerings.iter().filter(|o| admits(zr, &o.zone)) {
                    counts.entry(o.zone.clone()).or_insert(0);
                }
            }
            if let Some(r) = zr.filter(|r| r.operator() == Operator::In) {
                for z in r.values() {
                    counts.entry(z.clone()).or_insert(0);
                }
            }
        }
        let mut bound = 0;
        for n in &cluster.nodes {
            let Some(zone) = n.labels.get(ZONE) else { continue };
            if !g.counts_node(&n.labels, &node_taints(n)) {
                continue;
            }
            let c = counts.entry(zone.clone()).or_insert(0);
            let selected = n.pods.iter().filter(|p| g.selects(p)).count() as i32;
            *c += selected;
            bound += selected;
        }
        let universe: Vec<String> = counts.keys().cloned().collect();

        // The members placed, each counted where it landed when it selects itself.
        let mut landed: BTreeSet<String> = BTreeSet::new();
        for m in members {
            let Some((zone, existing)) = placed.get(m.key().as_str()) else {
                stats.members_pending += 1;
                continue;
            };
            stats.members_placed += 1;
            let Some(zone) = zone else {
                return Err(format!("{} placed on a node without a zone", m.key()));
            };
            if !universe.contains(zone) || !g.pod_admits(zone) {
                return Err(format!("{} placed in {zone}, outside its domains {universe:?}", m.key()));
            }
            if *existing {
                stats.on_existing_nodes += 1;
            }
            if g.selects(m) {
                *counts.entry(zone.clone()).or_insert(0) += 1;
            }
            landed.insert(zone.clone());
        }

        let eligible: Vec<&String> = universe.iter().filter(|z| g.pod_admits(z)).collect();
        let too_few = g.tsc.min_domains.is_some_and(|k| (eligible.len() as i32) < k);
        let min =
            if eligible.is_empty() || too_few { 0 } else { eligible.iter().map(|z| counts[*z]).min().unwrap_or(0) };
        let describe = || {
            format!(
                "spread on {ZONE} (maxSkew {}, minDomains {:?}, affinity {:?}, taints {:?}) over {} in {}",
                g.tsc.max_skew,
                g.tsc.min_domains,
                g.tsc.node_affinity_policy,
                g.tsc.node_taints_policy,
                g.selector,
                g.namespace
            )
        };
        let mut at_the_limit = false;
        for zone in &landed {
            let c = counts[zone];
            if c - min > g.tsc.max_skew {
                return Err(format!(
                    "{}: {zone} holds {c} selected pods, global minimum {min} over eligible {eligible:?} \
                     (counts {counts:?}, {bound} bound)",
                    describe()
                ));
            }
            at_the_limit |= c - min == g.tsc.max_skew;
        }
        stats.at_the_limit += usize::from(at_the_limit);
        stats.spread_over_zones += usize::from(landed.len() > 1);
        stats.min_domains_binding += usize::from(too_few && !landed.is_empty());
        stats.with_bound_pods += usize::from(bound > 0 && !landed.is_empty());
    }
    Ok(stats)
}

impl fmt::Debug for SpreadCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (cluster, pending) = build_spread(self);
        let taints = |t: &[Taint]| t.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        for it in cluster.instance_types.iter() {
            let offers: Vec<String> = it
                .offerings
                .iter()
                .map(|o| format!("{}/{}{}", o.zone, o.capacity_type, if o.available { "" } else { " (unavailable)" }))
                .collect();
            writeln!(f, "type {}: {}", it.name, offers.join(", "))?;
        }
        for p in &cluster.node_pools {
            writeln!(
                f,
                "pool {} weight {} reqs [{}] taints [{}]",
                p.name,
                p.weight,
                p.requirements,
                taints(&p.taints)
            )?;
        }
        for n in &cluster.nodes {
            let bound: Vec<String> = n
                .pods
                .iter()
                .map(|p| {
                    format!(
                        "{}:{}",
                        p.namespace,
                        p.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
                    )
                })
                .collect();
            writeln!(
                f,
                "node {} zone {:?} pool {:?} taints [{}] cordoned {} initialized {} cpu {} bound [{}]",
                n.name,
                n.labels.get(ZONE),
                n.labels.get(NODE_POOL),
                taints(&n.taints),
                n.unschedulable,
                n.initialized,
                n.allocatable.cpu().0,
                bound.join(" ")
            )?;
        }
        for p in &pending {
            write!(f, "pod {} cpu {} labels {:?}", p.key(), p.requests.cpu().0, p.labels)?;
            for t in &p.topology_spread {
                write!(
                    f,
                    " spread[{} maxSkew {} minDomains {:?} affinity {:?} taints {:?} matchLabelKeys {:?}]",
                    t.selector,
                    t.max_skew,
                    t.min_domains,
                    t.node_affinity_policy,
                    t.node_taints_policy,
                    t.match_label_keys
                )?;
            }
            if !p.node_selector.is_empty() {
                write!(f, " selector {:?}", p.node_selector)?;
            }
            for r in &p.node_affinity.required {
                write!(f, " required [{r}]")?;
            }
            for (w, r) in &p.node_affinity.preferred {
                write!(f, " preferred {w} [{r}]")?;
            }
            if !p.tolerations.is_empty() {
                write!(f, " tolerates {DEDICATED:?}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

fn spread_config() -> Config {
    let slow = std::env::var_os("NODEPACK_SLOW_TESTS").is_some();
    let mut c = Config::with_cases(if slow { 8192 } else { 1024 });
    c.failure_persistence = None;
    if !slow {
        c.rng_seed = RngSeed::Fixed(0x7a6f_6e61_6c73_6b77);
    }
    c
}

proptest! {
    #![proptest_config(spread_config())]
    #[test]
    fn zonal_do_not_schedule_spread_holds(case in spread_cases()) {
        if let Err(e) = check_zonal_spread(&case) {
            return Err(TestCaseError::fail(e));
        }
    }
}

/// The generated cases do exercise the constraint: most groups are checked, members land in
/// several zones, on existing nodes and next to bound pods, zones reach the skew limit, and
/// `minDomains` sometimes forces the global minimum to zero.
#[test]
fn zonal_spread_cases_exercise_the_constraint() {
    let mut runner = TestRunner::deterministic();
    let strategy = spread_cases();
    let mut total = SpreadStats::default();
    for _ in 0..300 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let s = check_zonal_spread(&case).unwrap_or_else(|e| panic!("{e}\n{case:?}"));
        total.groups_checked += s.groups_checked;
        total.groups_skipped += s.groups_skipped;
        total.members_placed += s.members_placed;
        total.members_pending += s.members_pending;
        total.spread_over_zones += s.spread_over_zones;
        total.at_the_limit += s.at_the_limit;
        total.min_domains_binding += s.min_domains_binding;
        total.with_bound_pods += s.with_bound_pods;
        total.on_existing_nodes += s.on_existing_nodes;
    }
    eprintln!("{total:?}");
    assert!(total.groups_checked > 3 * total.groups_skipped, "{total:?}");
    assert!(total.members_placed > total.members_pending, "{total:?}");
    assert!(total.members_pending > 0, "{total:?}");
    assert!(total.spread_over_zones > total.groups_checked / 3, "{total:?}");
    assert!(total.at_the_limit > total.groups_checked / 4, "{total:?}");
    assert!(total.min_domains_binding > 5, "{total:?}");
    assert!(total.with_bound_pods > 20, "{total:?}");
    assert!(total.on_existing_nodes > 20, "{total:?}");
}

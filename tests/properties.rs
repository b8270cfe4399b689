//! Properties of the provisioning pass on random clusters.
//!
//! Each property is checked from the cluster, the pods and the returned [`Schedule`] alone, with
//! checks written here from Karpenter's documented semantics (taint matching, label matching,
//! resource sums, offering choice); nothing calls the scheduler's own helpers to check itself.
//!
//! 64 cases per property by default; `NODEPACK_SLOW_TESTS=1` runs 1024. Failures are not
//! persisted to files; the failing input is printed in a compact form (seed, size, kept elements
//! and the whole restricted cluster).
//!
//! Three scheduler bugs these properties found (a spot launch dropped when spot cost more than
//! on-demand, contradictory selector and affinity placed anyway, a limit of 0 read as no limit)
//! are fixed; each keeps a focused test below.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

mod semantics;
use semantics::tolerates;

use nodepack_core::label::{CAPACITY_TYPE, INSTANCE_TYPE, NODE_POOL, ZONE};
use nodepack_core::{
    provision, Cluster, Effect, InstanceType, Labels, Limits, Node, NodeClaim, NodePool, Offering, Overhead, Pod,
    PreferencePolicy, Price, Requirement, Requirements, ResourceName, Resources, Schedule, Settings, Taint, Toleration,
    TolerationOperator,
};
use nodepack_suite::{random_cluster, Keep, RandomCluster, Shuffle};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Pending pods per random cluster (before elements are dropped while shrinking).
const MAX_PODS: usize = 40;

fn slow() -> bool {
    std::env::var("NODEPACK_SLOW_TESTS").is_ok_and(|v| v == "1")
}

fn config() -> Config {
    let mut c = Config::with_cases(if slow() { 1024 } else { 64 });
    c.failure_persistence = None;
    // The default run is the same every time (CI must not flake); the slow run explores.
    if !slow() {
        c.rng_seed = proptest::test_runner::RngSeed::Fixed(0x6e6f_6465_7061_636b);
    }
    c
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// A random cluster together with how it was drawn, printed compactly.
#[derive(Clone)]
struct Case {
    rc: RandomCluster,
    keep: Keep,
    settings: Settings,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "random_cluster(seed={}, size={}) restricted to {:?}", self.rc.seed, self.rc.size, self.keep)?;
        writeln!(f, "preference policy {:?}", self.settings.preference_policy)?;
        f.write_str(&describe(&self.rc))
    }
}

/// Random clusters that shrink by dropping pods, nodes, DaemonSets, NodePools and instance types.
fn cases() -> impl Strategy<Value = Case> {
    (any::<u64>(), 1..=MAX_PODS).prop_flat_map(|(seed, size)| {
        let rc = random_cluster(seed, size);
        let mask = |n: usize, p: f64| proptest::collection::vec(proptest::bool::weighted(p), n..=n);
        (
            Just(rc.clone()),
            mask(rc.pending.len(), 0.97),
            mask(rc.cluster.nodes.len(), 0.95),
            mask(rc.cluster.daemon_sets.len(), 0.95),
            mask(rc.cluster.node_pools.len(), 0.97),
            mask(rc.cluster.instance_types.len(), 0.97),
        )
            .prop_map(|(rc, pods, nodes, ds, pools, types)| {
                let idx = |m: &[bool]| m.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i).collect();
                let keep = Keep {
                    pods: idx(&pods),
                    nodes: idx(&nodes),
                    daemon_sets: idx(&ds),
                    node_pools: idx(&pools),
                    instance_types: idx(&types),
                };
                let mut settings = Settings::default();
                if rc.seed % 5 == 0 {
                    settings.preference_policy = PreferencePolicy::Ignore;
                }
                Case { rc: rc.restrict(&keep), keep, settings }
            })
    })
}

fn toleration_text(t: &Toleration) -> String {
    let op = match t.operator {
        TolerationOperator::Exists => "Exists",
        TolerationOperator::Equal => "Equal",
    };
    let effect = t.effect.map(|e| e.as_str()).unwrap_or("*");
    format!("{}:{op}:{}:{effect}", if t.key.is_empty() { "*" } else { &t.key }, t.value)
}

fn describe(rc: &RandomCluster) -> String {
    use fmt::Write;
    let c = &rc.cluster;
    let mut out = String::new();
    let join = |v: Vec<String>| v.join(", ");
    for p in &c.node_pools {
        let _ = writeln!(
            out,
            "pool {} weight {} labels {:?} reqs [{}] taints [{}] startup [{}] limits {} nodes<={:?}",
            p.name,
            p.weight,
            p.labels,
            p.requirements,
            join(p.taints.iter().map(Taint::to_string).collect()),
            join(p.startup_taints.iter().map(Taint::to_string).collect()),
            p.limits.to_resources(),
            p.node_limit
        );
    }
    let describe_types = |out: &mut String, prefix: &str, types: &[InstanceType]| {
        for t in types {
            let offers: Vec<String> = t
                .offerings
                .iter()
                .map(|o| format!("{}/{}/{}{}", o.zone, o.capacity_type, o.price, if o.available { "" } else { "(x)" }))
                .collect();
            let _ = writeln!(
                out,
                "{prefix}type {} cap {} alloc {} reqs [{}] offers [{}]",
                t.name,
                t.capacity,
                t.allocatable(),
                t.requirements,
                join(offers)
            );
        }
    };
    describe_types(&mut out, "", &c.instance_types);
    for (pool, types) in &c.pool_instance_types {
        describe_types(&mut out, &format!("[{pool}] "), types);
    }
    for d in &c.daemon_sets {
        let _ = writeln!(out, "daemonset {}: {}", d.name, describe_pod(&d.template));
    }
    for n in &c.nodes {
        let _ = writeln!(
            out,
            "node {} labels {:?} taints [{}] init={} cordoned={} deleting={} cap {} alloc {}",
            n.name,
            n.labels,
            join(n.taints.iter().map(Taint::to_string).collect()),
            n.initialized,
            n.unschedulable,
            n.deleting,
            n.capacity,
            n.allocatable
        );
        for p in &n.pods {
            let _ = writeln!(out, "  bound {}", describe_pod(p));
        }
    }
    for p in &rc.pending {
        let _ = writeln!(out, "pending {}", describe_pod(p));
    }
    out
}

fn describe_pod(p: &Pod) -> String {
    let mut s = format!("{} {} owner {:?}", p.key(), p.requests, p.owner_kind);
    if !p.node_selector.is_empty() {
        s += &format!(" selector {:?}", p.node_selector);
    }
    for t in &p.node_affinity.required {
        s += &format!(" required [{t}]");
    }
    for (w, t) in &p.node_affinity.preferred {
        s += &format!(" preferred {w} [{t}]");
    }
    if !p.tolerations.is_empty() {
        s += &format!(" tolerates [{}]", p.tolerations.iter().map(toleration_text).collect::<Vec<_>>().join(", "));
    }
    if !p.host_ports.is_empty() {
        s += &format!(" ports {:?}", p.host_ports.iter().map(|h| h.port).collect::<Vec<_>>());
    }
    if !p.topology_spread.is_empty() {
        s += &format!(" spread x{}", p.topology_spread.len());
    }
    if !p.pod_affinity.is_empty() || !p.pod_anti_affinity.is_empty() {
        s += " pod-affinity";
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Independent semantics
// ---------------------------------------------------------------------------------------------

fn tolerates_all(tolerations: &[Toleration], taints: &[Taint]) -> Result<(), String> {
    match taints.iter().find(|taint| !tolerations.iter().any(|t| tolerates(t, taint))) {
        None => Ok(()),
        Some(t) => Err(t.to_string()),
    }
}

/// Whether a pod may sit under a taint: it tolerates it, or the taint is `PreferNoSchedule` and
/// Karpenter's last relaxation step (taken only when some NodePool has such a taint) applies.
fn taint_allowed(pod: &Pod, taint: &Taint, prefer_no_schedule_relaxed: bool) -> bool {
    pod.tolerations.iter().any(|t| tolerates(t, taint))
        || (taint.effect == Effect::PreferNoSchedule && prefer_no_schedule_relaxed)
}

fn parse_int(v: &str) -> Option<i64> {
    v.parse().ok()
}

/// Whether a label value satisfies a requirement (finite or complement set, integer bounds).
fn admits_value(r: &Requirement, v: &str) -> bool {
    let listed = r.values().contains(v);
    let in_set = if r.is_complement() { !listed } else { listed };
    let bounded = r.gte().is_some() || r.lte().is_some();
    let in_bounds =
        !bounded || parse_int(v).is_some_and(|n| r.gte().is_none_or(|g| n >= g) && r.lte().is_none_or(|l| n <= l));
    in_set && in_bounds
}

/// Whether a missing label satisfies a requirement: only `NotIn` and `DoesNotExist` do.
fn admits_absence(r: &Requirement) -> bool {
    let bounded = r.gte().is_some() || r.lte().is_some();
    if r.is_complement() {
        !r.values().is_empty() && !bounded
    } else {
        r.values().is_empty()
    }
}

fn admits_label(r: &Requirement, labels: &Labels) -> bool {
    match labels.get(r.key()) {
        Some(v) => admits_value(r, v),
        None => admits_absence(r),
    }
}

/// The node-selector entries of a pod as requirements.
fn selector_requirements(pod: &Pod) -> Vec<Requirement> {
    pod.node_selector.iter().map(|(k, v)| Requirement::single(k, v)).collect()
}

/// The resources a pod takes on a node: its requests and one pod.
fn pod_usage(p: &Pod) -> BTreeMap<ResourceName, i128> {
    let mut m = BTreeMap::new();
    add_resources(&mut m, &p.requests);
    *m.entry(ResourceName::Pods).or_insert(0) += 1;
    m
}

fn add_resources(total: &mut BTreeMap<ResourceName, i128>, r: &Resources) {
    for (name, v) in r.iter() {
        *total.entry(name).or_insert(0) += i128::from(v);
    }
}

fn add_map(total: &mut BTreeMap<ResourceName, i128>, other: &BTreeMap<ResourceName, i128>) {
    for (k, v) in other {
        *total.entry(k.clone()).or_insert(0) += v;
    }
}

fn over(total: &BTreeMap<ResourceName, i128>, allocatable: &Resources) -> Option<String> {
    total
        .iter()
        .find(|(k, v)| **v > i128::from(allocatable.get(k)))
        .map(|(k, v)| format!("{k}: needs {} but allocatable is {}", k.format(*v as i64), k.format(allocatable.get(k))))
}

fn is_daemon_pod(p: &Pod) -> bool {
    matches!(p.owner_kind.as_deref(), Some("DaemonSet") | Some("Node"))
}

/// The taints Karpenter sees on an existing node: its taints, the cordon taint, and, while a
/// managed node is not initialized, without the ephemeral taints and its pool's startup taints.
fn scheduler_taints(cluster: &Cluster, node: &Node) -> Vec<Taint> {
    let mut taints = node.taints.clone();
    if node.unschedulable && !taints.iter().any(|t| t.key == "node.kubernetes.io/unschedulable") {
        taints.push(Taint::new("node.kubernetes.io/unschedulable", "", Effect::NoSchedule));
    }
    let pool = node.labels.get(NODE_POOL);
    if node.initialized || pool.is_none() {
        return taints;
    }
    let startup: Vec<Taint> = pool
        .and_then(|p| cluster.node_pools.iter().find(|np| &np.name == p))
        .map(|p| p.startup_taints.clone())
        .unwrap_or_default();
    taints.retain(|t| {
        let ephemeral = (t.key == "node.kubernetes.io/not-ready" && t.effect != Effect::PreferNoSchedule)
            || (t.key == "node.kubernetes.io/unreachable" && t.effect == Effect::NoSchedule)
            || (t.key == "node.cloudprovider.kubernetes.io/uninitialized" && t.effect == Effect::NoSchedule)
            || t.key == "karpenter.sh/unregistered"
            || t.key.starts_with("readiness.k8s.io/");
        !ephemeral && !startup.contains(t)
    });
    taints
}

/// Whether a requirement admits some value (or absence) that every constraint also admits.
/// Candidate values are every value the constraints name, the integers at and around their
/// bounds, and one value none of them names.
fn jointly_satisfiable(constraints: &[&Requirement]) -> bool {
    if constraints.iter().all(|c| admits_absence(c)) {
        return true;
    }
    let mut candidates: BTreeSet<String> = BTreeSet::new();
    for c in constraints {
        candidates.extend(c.values().iter().cloned());
        for b in [c.gte(), c.lte()].into_iter().flatten() {
            for d in [-1, 0, 1] {
                candidates.insert((b + d).to_string());
            }
        }
    }
    candidates.insert("value-nobody-names".into());
    candidates.iter().any(|v| constraints.iter().all(|c| admits_value(c, v)))
}

/// Whether a DaemonSet pod would run on nodes of a NodePool with an instance type, in the
/// sense Karpenter uses for overhead (a subset of its rule: undefined keys admit only absence).
fn daemon_on_template(daemon: &Pod, pool: &NodePool, it: &InstanceType) -> bool {
    let blocking: Vec<Taint> = pool.taints.iter().filter(|t| t.effect != Effect::PreferNoSchedule).cloned().collect();
    if tolerates_all(&daemon.tolerations, &blocking).is_err() {
        return false;
    }
    let mut node: BTreeMap<String, Vec<Requirement>> = BTreeMap::new();
    for r in pool.requirements.iter().chain(it.requirements.iter()) {
        node.entry(r.key().to_string()).or_default().push(r.clone());
    }
    for (k, v) in &pool.labels {
        node.entry(k.clone()).or_default().push(Requirement::single(k, v));
    }
    node.entry(NODE_POOL.into()).or_default().push(Requirement::single(NODE_POOL, &pool.name));
    let fits = |reqs: &[Requirement]| {
        reqs.iter().all(|d| {
            let mut all: Vec<&Requirement> = vec![d];
            match node.get(d.key()) {
                Some(list) => all.extend(list.iter()),
                None => return admits_absence(d),
            }
            jointly_satisfiable(&all)
        })
    };
    let selector = selector_requirements(daemon);
    if !fits(&selector) {
        return false;
    }
    daemon.node_affinity.required.is_empty()
        || daemon.node_affinity.required.iter().any(|term| fits(&term.iter().cloned().collect::<Vec<_>>()))
}

/// Whether a DaemonSet pod would run on a node with these labels and taints (Kubernetes'
/// rule: node-affinity terms are ORed; a DaemonSet pod tolerates `PreferNoSchedule`).
fn daemon_on_labels(daemon: &Pod, labels: &Labels, taints: &[Taint]) -> bool {
    let blocking: Vec<Taint> = taints.iter().filter(|t| t.effect != Effect::PreferNoSchedule).cloned().collect();
    tolerates_all(&daemon.tolerations, &blocking).is_ok()
        && selector_requirements(daemon).iter().all(|r| admits_label(r, labels))
        && (daemon.node_affinity.required.is_empty()
            || daemon.node_affinity.required.iter().any(|t| t.iter().all(|r| admits_label(r, labels))))
}

/// Whether Karpenter counts a DaemonSet on an existing node: it tolerates every taint Karpenter
/// sees there, and its selector and *first* required term match the labels.
fn daemon_on_existing(daemon: &Pod, labels: &Labels, taints: &[Taint]) -> bool {
    tolerates_all(&daemon.tolerations, taints).is_ok()
        && selector_requirements(daemon).iter().all(|r| admits_label(r, labels))
        && daemon.node_affinity.required.first().is_none_or(|t| t.iter().all(|r| admits_label(r, labels)))
}

fn ports_conflict(a: &nodepack_core::HostPort, b: &nodepack_core::HostPort) -> bool {
    a.port == b.port
        && a.protocol == b.protocol
        && (a.host_ip == b.host_ip || a.host_ip == "0.0.0.0" || b.host_ip == "0.0.0.0")
}

fn capacity_rank(ct: &str) -> u8 {
    match ct {
        "reserved" => 0,
        "spot" => 1,
        "on-demand" => 2,
        _ => 3,
    }
}

/// Whether an offering is launchable under a claim's requirements.
fn offering_ok(o: &Offering, reqs: &Requirements) -> bool {
    o.available
        && reqs.get(ZONE).is_none_or(|r| admits_value(r, &o.zone))
        && reqs.get(CAPACITY_TYPE).is_none_or(|r| admits_value(r, &o.capacity_type))
}

/// Whether a pod requirement holds on a new node: its label if the claim sets one, otherwise
/// every node the claim's requirement on that key allows would satisfy it.
fn claim_admits(claim: &NodeClaim, r: &Requirement) -> bool {
    if let Some(v) = claim.labels.get(r.key()) {
        return admits_value(r, v);
    }
    match claim.requirements.get(r.key()) {
        None => admits_absence(r),
        Some(c) if !c.is_complement() => {
            c.values().iter().all(|v| !admits_value(c, v) || admits_value(r, v))
                && (!c.values().is_empty() || admits_absence(r))
        }
        // A complement (Exists / NotIn): Karpenter invents a value; the pod must admit any.
        Some(c) => {
            r.is_complement()
                && r.values().is_subset(c.values())
                && r.gte().is_none_or(|g| c.gte().is_some_and(|cg| cg >= g))
                && r.lte().is_none_or(|l| c.lte().is_some_and(|cl| cl <= l))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The world a schedule is checked against
// ---------------------------------------------------------------------------------------------

struct World<'a> {
    case: &'a Case,
    schedule: Schedule,
    pods: BTreeMap<String, &'a Pod>,
}

impl<'a> World<'a> {
    fn new(case: &'a Case) -> Self {
        let schedule = provision(&case.rc.cluster, &case.rc.pending, &case.settings);
        let pods = case.rc.pending.iter().map(|p| (p.key(), p)).collect();
        World { case, schedule, pods }
    }

    fn cluster(&self) -> &'a Cluster {
        &self.case.rc.cluster
    }

    fn pod(&self, key: &str) -> Result<&'a Pod, String> {
        self.pods.get(key).copied().ok_or_else(|| format!("schedule names pod {key}, which is not pending"))
    }

    fn pool(&self, claim: &NodeClaim) -> Result<&'a NodePool, String> {
        self.cluster()
            .node_pools
            .iter()
            .find(|p| p.name == claim.node_pool)
            .ok_or_else(|| format!("claim {} names NodePool {}, which does not exist", claim.name, claim.node_pool))
    }

    fn types(&self, claim: &NodeClaim) -> &'a [InstanceType] {
        self.cluster().instance_types_for(&claim.node_pool)
    }

    fn instance_type(&self, claim: &NodeClaim, name: &str) -> Result<&'a InstanceType, String> {
        self.types(claim)
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| format!("claim {} names instance type {name:?}, which the pool does not offer", claim.name))
    }

    fn node(&self, name: &str) -> Result<&'a Node, String> {
        self.cluster().nodes.iter().find(|n| n.name == name).ok_or_else(|| format!("no node {name}"))
    }

    fn prefer_no_schedule_relaxed(&self) -> bool {
        self.cluster().node_pools.iter().any(|p| p.taints.iter().any(|t| t.effect == Effect::PreferNoSchedule))
    }
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// Every pending pod is placed or explained exactly once, and placements name real targets.
fn check_accounting(w: &World) -> Result<(), String> {
    let s = &w.schedule;
    let mut seen: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut claim_names = BTreeSet::new();
    for c in &s.node_claims {
        if !claim_names.insert(&c.name) {
            return Err(format!("two claims are named {}", c.name));
        }
        if c.pods.is_empty() {
            return Err(format!("claim {} has no pods", c.name));
        }
        w.pool(c)?;
        for p in &c.pods {
            seen.entry(p).or_default().push(format!("claim {}", c.name));
        }
    }
    let mut node_names = BTreeSet::new();
    for e in &s.existing_nodes {
        if !node_names.insert(&e.name) {
            return Err(format!("node {} is listed twice", e.name));
        }
        let node = w.node(&e.name)?;
        if node.deleting {
            return Err(format!("pods placed on deleting node {}", e.name));
        }
        for p in &e.pods {
            seen.entry(p).or_default().push(format!("node {}", e.name));
        }
    }
    for u in &s.unschedulable {
        seen.entry(&u.pod).or_default().push("unschedulable".into());
        if u.reason.is_empty() {
            return Err(format!("pod {} is unschedulable without a reason", u.pod));
        }
    }
    for (pod, places) in &seen {
        w.pod(pod)?;
        if places.len() != 1 {
            return Err(format!("pod {pod} appears {} times: {places:?}", places.len()));
        }
    }
    for key in w.pods.keys() {
        if !seen.contains_key(key.as_str()) {
            return Err(format!("pending pod {key} is neither placed nor explained"));
        }
    }
    Ok(())
}

/// New and existing nodes hold what is placed on them, daemons included, and no two host ports collide.
fn check_resources(w: &World) -> Result<(), String> {
    let cluster = w.cluster();
    let daemons: Vec<&Pod> = cluster.daemon_sets.iter().map(|d| &d.template).collect();
    for c in &w.schedule.node_claims {
        let pool = w.pool(c)?;
        let pods: Vec<&Pod> = c.pods.iter().map(|k| w.pod(k)).collect::<Result<_, _>>()?;
        let mut total = BTreeMap::new();
        for p in &pods {
            add_map(&mut total, &pod_usage(p));
        }
        // Karpenter's overhead rule, for every option.
        for name in &c.instance_type_options {
            let it = w.instance_type(c, name)?;
            let mut need = total.clone();
            for d in daemons.iter().filter(|d| daemon_on_template(d, pool, it)) {
                add_map(&mut need, &pod_usage(d));
            }
            if let Some(why) = over(&need, it.allocatable()) {
                return Err(format!("claim {} option {name}: {why}", c.name));
            }
        }
        // The node that launches: the DaemonSets that would really run on it. (A claim that
        // launches nothing is reported by the launch property.)
        if c.instance_type.is_empty() {
            continue;
        }
        let it = w.instance_type(c, &c.instance_type)?;
        let running: Vec<&Pod> =
            daemons.iter().copied().filter(|d| daemon_on_labels(d, &c.labels, &pool.taints)).collect();
        let mut need = total.clone();
        for d in &running {
            add_map(&mut need, &pod_usage(d));
        }
        if let Some(why) = over(&need, it.allocatable()) {
            return Err(format!("claim {} launched as {}: {why}", c.name, it.name));
        }
        let mut ports: Vec<(String, &nodepack_core::HostPort)> = vec![];
        for d in &running {
            ports.extend(d.host_ports.iter().map(|h| (format!("daemon {}", d.name), h)));
        }
        for p in &pods {
            for h in &p.host_ports {
                if let Some((who, _)) = ports.iter().find(|(_, o)| ports_conflict(o, h)) {
                    return Err(format!("claim {}: pod {} host port {} collides with {who}", c.name, p.key(), h.port));
                }
            }
            ports.extend(p.host_ports.iter().map(|h| (p.key(), h)));
        }
    }
    for e in &w.schedule.existing_nodes {
        let node = w.node(&e.name)?;
        let taints = scheduler_taints(cluster, node);
        let mut need = BTreeMap::new();
        let mut bound_daemons = BTreeMap::new();
        let mut ports: Vec<(String, &nodepack_core::HostPort)> = vec![];
        for p in &node.pods {
            add_map(&mut need, &pod_usage(p));
            if is_daemon_pod(p) {
                add_map(&mut bound_daemons, &pod_usage(p));
            }
            ports.extend(p.host_ports.iter().map(|h| (format!("bound {}", p.key()), h)));
        }
        // Karpenter: remaining = available − max(0, compatible daemons − bound daemons).
        let mut daemon_total = BTreeMap::new();
        for d in daemons.iter().filter(|d| daemon_on_existing(d, &node.labels, &taints)) {
            add_map(&mut daemon_total, &pod_usage(d));
            ports.extend(d.host_ports.iter().map(|h| (format!("daemon {}", d.name), h)));
        }
        for (k, v) in daemon_total {
            let missing = (v - bound_daemons.get(&k).copied().unwrap_or(0)).max(0);
            *need.entry(k).or_insert(0) += missing;
        }
        for key in &e.pods {
            let p = w.pod(key)?;
            add_map(&mut need, &pod_usage(p));
            for h in &p.host_ports {
                if let Some((who, _)) = ports.iter().find(|(_, o)| ports_conflict(o, h)) {
                    return Err(format!("node {}: pod {key} host port {} collides with {who}", e.name, h.port));
                }
            }
            ports.extend(p.host_ports.iter().map(|h| (key.clone(), h)));
        }
        if let Some(why) = over(&need, &node.allocatable) {
            return Err(format!("existing node {}: {why}", e.name));
        }
    }
    Ok(())
}

/// Every placed pod tolerates the taints of where it goes.
fn check_taints(w: &World) -> Result<(), String> {
    let relaxed = w.prefer_no_schedule_relaxed();
    for c in &w.schedule.node_claims {
        let pool = w.pool(c)?;
        if c.taints != pool.taints {
            return Err(format!("claim {} carries taints {:?}, its pool {:?}", c.name, c.taints, pool.taints));
        }
        for key in &c.pods {
            let p = w.pod(key)?;
            if let Some(t) = pool.taints.iter().find(|t| !taint_allowed(p, t, relaxed)) {
                return Err(format!("pod {key} on claim {} does not tolerate {t}", c.name));
            }
        }
    }
    for e in &w.schedule.existing_nodes {
        let node = w.node(&e.name)?;
        let taints = scheduler_taints(w.cluster(), node);
        for key in &e.pods {
            let p = w.pod(key)?;
            if let Some(t) = taints.iter().find(|t| !taint_allowed(p, t, relaxed)) {
                return Err(format!("pod {key} on node {} does not tolerate {t}", e.name));
            }
        }
    }
    Ok(())
}

/// Every placed pod's node selector and one of its required node-affinity terms hold where it goes.
fn check_requirements(w: &World) -> Result<(), String> {
    let check = |pod: &Pod, holds: &dyn Fn(&Requirement) -> bool, place: &str| -> Result<(), String> {
        if let Some(r) = selector_requirements(pod).iter().find(|r| !holds(r)) {
            return Err(format!("pod {} on {place}: node selector {r} does not hold", pod.key()));
        }
        let terms = &pod.node_affinity.required;
        if !terms.is_empty() && !terms.iter().any(|t| t.iter().all(holds)) {
            let shown: Vec<String> = terms.iter().map(|t| format!("[{t}]")).collect();
            return Err(format!("pod {} on {place}: no required term holds: {}", pod.key(), shown.join(" or ")));
        }
        Ok(())
    };
    // A pod whose node selector and affinity terms admit no common value on some key (say
    // `tier: web` and a term `tier DoesNotExist`) must never be placed where its selector does
    // not hold. (Karpenter v1.14.1 intersects them into an empty set read as `DoesNotExist` and
    // places it anyway; nodepack drops such terms, or reports the pod unschedulable.)
    for c in &w.schedule.node_claims {
        for key in &c.pods {
            let pod = w.pod(key)?;
            check(pod, &|r| claim_admits(c, r), &format!("claim {} (labels {:?})", c.name, c.labels))?;
        }
    }
    for e in &w.schedule.existing_nodes {
        let node = w.node(&e.name)?;
        for key in &e.pods {
            let pod = w.pod(key)?;
            check(pod, &|r| admits_label(r, &node.labels), &format!("node {}", e.name))?;
        }
    }
    Ok(())
}

/// Capacity of a pool's existing nodes plus its launched claims stays within its limits.
fn check_limits(w: &World) -> Result<(), String> {
    for pool in &w.cluster().node_pools {
        let claims: Vec<&NodeClaim> = w.schedule.node_claims.iter().filter(|c| c.node_pool == pool.name).collect();
        if claims.is_empty() || !pool.has_limits() {
            continue;
        }
        let mut usage = BTreeMap::new();
        let mut nodes = 0i64;
        for n in w.cluster().nodes.iter().filter(|n| n.labels.get(NODE_POOL) == Some(&pool.name)) {
            add_resources(&mut usage, &n.capacity);
            nodes += 1;
        }
        for c in &claims {
            if c.instance_type.is_empty() {
                // Nothing launched (see the launch property): bound it by its largest option.
                let mut largest = BTreeMap::new();
                for name in &c.instance_type_options {
                    for (k, v) in w.instance_type(c, name)?.capacity.iter() {
                        let e = largest.entry(k).or_insert(0i128);
                        *e = (*e).max(i128::from(v));
                    }
                }
                add_map(&mut usage, &largest);
            } else {
                add_resources(&mut usage, &w.instance_type(c, &c.instance_type)?.capacity);
            }
            nodes += 1;
        }
        for (name, limit) in pool.limits.iter() {
            let used = usage.get(&name).copied().unwrap_or(0);
            if used > i128::from(limit) {
                return Err(format!(
                    "pool {} uses {} of {name} with {} new claims, over its limit {}",
                    pool.name,
                    name.format(used as i64),
                    claims.len(),
                    name.format(limit)
                ));
            }
        }
        if let Some(limit) = pool.node_limit {
            if nodes > limit {
                return Err(format!("pool {} has {nodes} nodes, over its limit {limit}", pool.name));
            }
        }
    }
    Ok(())
}

/// Each claim launches the cheapest available offering of the best capacity type its options
/// offer, and the launched node is consistent with the claim.
fn check_launch(w: &World) -> Result<(), String> {
    for c in &w.schedule.node_claims {
        let reqs = &c.requirements;
        let mut options = vec![];
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for name in &c.instance_type_options {
            if !names.insert(&**name) {
                return Err(format!("claim {} lists option {name} twice", c.name));
            }
            options.push(w.instance_type(c, name)?);
        }
        if !names.contains(c.instance_type.as_str()) {
            return Err(format!("claim {} launches {:?}, not one of its options", c.name, c.instance_type));
        }
        // Options are cheapest first, and each could serve the claim.
        let mut last = Price(i64::MIN);
        for it in &options {
            let cheapest = it
                .offerings
                .iter()
                .filter(|o| offering_ok(o, reqs))
                .map(|o| o.price)
                .min()
                .ok_or_else(|| format!("claim {} option {} has no launchable offering", c.name, it.name))?;
            if cheapest < last {
                return Err(format!("claim {} options are not cheapest first at {}", c.name, it.name));
            }
            last = cheapest;
            for r in it.requirements.iter().filter(|r| !r.is_complement()) {
                let ok = match reqs.get(r.key()) {
                    None => true,
                    Some(cr) if r.values().is_empty() => admits_absence(cr),
                    Some(cr) => r.values().iter().any(|v| admits_value(cr, v)),
                };
                if !ok {
                    return Err(format!("claim {} option {} has {r}, the claim requires otherwise", c.name, it.name));
                }
            }
        }
        // The offering chosen. Karpenter's AWS provider (`filterUnwantedSpot`) launches spot only
        // from the types whose cheapest offering is at most the cheapest on-demand offering.
        let cheapest_on_demand = options
            .iter()
            .flat_map(|it| it.offerings.iter())
            .filter(|o| offering_ok(o, reqs) && o.capacity_type == "on-demand")
            .map(|o| o.price)
            .min();
        let spot_ok = |it: &InstanceType| {
            let cheapest = it.offerings.iter().filter(|o| offering_ok(o, reqs)).map(|o| o.price).min();
            match (cheapest_on_demand, cheapest) {
                (Some(od), Some(p)) => p <= od,
                _ => true,
            }
        };
        let all: Vec<&Offering> = options
            .iter()
            .flat_map(|it| it.offerings.iter().map(move |o| (it, o)))
            .filter(|(it, o)| offering_ok(o, reqs) && (o.capacity_type != "spot" || spot_ok(it)))
            .map(|(_, o)| o)
            .collect();
        let best_rank = all.iter().map(|o| capacity_rank(&o.capacity_type)).min().expect("options have offerings");
        let best_price = all.iter().filter(|o| capacity_rank(&o.capacity_type) == best_rank).map(|o| o.price).min();
        let it = w.instance_type(c, &c.instance_type)?;
        let chosen =
            it.offerings.iter().find(|o| o.zone == c.zone && o.capacity_type == c.capacity_type).ok_or_else(|| {
                format!(
                    "claim {} launches {} in {}/{}, which it does not offer",
                    c.name, it.name, c.zone, c.capacity_type
                )
            })?;
        if !offering_ok(chosen, reqs) {
            return Err(format!("claim {} launches an offering that is unavailable or excluded", c.name));
        }
        if capacity_rank(&chosen.capacity_type) != best_rank
            || Some(chosen.price) != best_price
            || c.price != chosen.price
        {
            return Err(format!(
                "claim {} launches {} {}/{} at {} (claim says {}); the best is rank {best_rank} at {:?}",
                c.name,
                it.name,
                c.zone,
                c.capacity_type,
                chosen.price,
                c.price,
                best_price.map(|p| p.to_string())
            ));
        }
        // Labels agree with what launches.
        for (k, v) in [
            (ZONE, &c.zone),
            (CAPACITY_TYPE, &c.capacity_type),
            (INSTANCE_TYPE, &c.instance_type),
            (NODE_POOL, &c.node_pool),
        ] {
            if c.labels.get(k) != Some(v) {
                return Err(format!("claim {} label {k} is {:?}, launches {v}", c.name, c.labels.get(k)));
            }
        }
        for r in it.requirements.iter().filter(|r| !r.is_complement() && r.values().len() <= 1) {
            let k = r.key();
            if k == ZONE || k == CAPACITY_TYPE {
                continue;
            }
            let ok = match r.values().iter().next() {
                Some(v) => c.labels.get(k).is_none_or(|l| l == v) && reqs.get(k).is_none_or(|cr| admits_value(cr, v)),
                None => !c.labels.contains_key(k) && reqs.get(k).is_none_or(admits_absence),
            };
            if !ok {
                return Err(format!(
                    "claim {} launches {} with {r}, but the claim has label {:?} and requirement {:?}",
                    c.name,
                    it.name,
                    c.labels.get(k),
                    reqs.get(k).map(|r| r.to_string())
                ));
            }
        }
    }
    Ok(())
}

fn first_difference(a: &Schedule, b: &Schedule) -> String {
    if a.node_claims.len() != b.node_claims.len() {
        return format!("{} claims vs {}", a.node_claims.len(), b.node_claims.len());
    }
    for (x, y) in a.node_claims.iter().zip(&b.node_claims) {
        if x != y {
            let mut d = vec![];
            if x.name != y.name || x.pods != y.pods {
                d.push(format!("pods {} {:?} vs {} {:?}", x.name, x.pods, y.name, y.pods));
            }
            if x.instance_type != y.instance_type || x.zone != y.zone || x.capacity_type != y.capacity_type {
                d.push(format!(
                    "launch {} {}/{} at {} vs {} {}/{} at {}",
                    x.instance_type,
                    x.zone,
                    x.capacity_type,
                    x.price,
                    y.instance_type,
                    y.zone,
                    y.capacity_type,
                    y.price
                ));
            }
            if x.instance_type_options != y.instance_type_options {
                d.push(format!("options {:?} vs {:?}", x.instance_type_options, y.instance_type_options));
            }
            if x.labels != y.labels {
                d.push(format!("labels {:?} vs {:?}", x.labels, y.labels));
            }
            if x.requirements != y.requirements {
                d.push(format!("requirements [{}] vs [{}]", x.requirements, y.requirements));
            }
            return format!("claim {}: {}", x.name, d.join("; "));
        }
    }
    if a.existing_nodes != b.existing_nodes {
        return format!("existing {:?} vs {:?}", a.existing_nodes, b.existing_nodes);
    }
    for (x, y) in a.unschedulable.iter().zip(&b.unschedulable) {
        if x != y {
            return format!("unschedulable {}: {:?} vs {}: {:?}", x.pod, x.reason, y.pod, y.reason);
        }
    }
    "unschedulable lists differ in length".into()
}

fn same_placements(a: &Schedule, b: &Schedule) -> bool {
    let claims = |s: &Schedule| -> Vec<(String, Vec<String>, String)> {
        s.node_claims.iter().map(|c| (c.name.clone(), c.pods.clone(), c.instance_type.clone())).collect()
    };
    let pending = |s: &Schedule| -> Vec<String> { s.unschedulable.iter().map(|u| u.pod.clone()).collect() };
    claims(a) == claims(b) && a.existing_nodes == b.existing_nodes && pending(a) == pending(b)
}

fn check_order_independence(w: &World) -> Result<(), String> {
    let rc = &w.case.rc;
    let settings = &w.case.settings;
    let only_types = Shuffle { instance_types: true, ..Shuffle::default() };
    for (round, lists) in [(0u64, Shuffle::ALL), (1, Shuffle::ALL), (2, only_types)] {
        let seed = rc.seed.wrapping_mul(31).wrapping_add(round);
        let s = rc.shuffled(seed, lists);
        let other = provision(&s.cluster, &s.pending, settings);
        if other != w.schedule {
            return Err(format!(
                "reordering {lists:?} (shuffle seed {seed}) changes the schedule: {}",
                first_difference(&w.schedule, &other)
            ));
        }
    }
    let mut quiet = settings.clone();
    quiet.explain = !settings.explain;
    let other = provision(&rc.cluster, &rc.pending, &quiet);
    if !same_placements(&w.schedule, &other) {
        return Err(format!("turning explanations off changes placements: {}", first_difference(&w.schedule, &other)));
    }
    Ok(())
}

/// The scheduler's fast refusals (the topology screen) must refuse only what the full check
/// refuses: with them off, the schedule is the same, byte for byte.
fn check_fast_paths(w: &World) -> Result<(), String> {
    let mut slow = w.case.settings.clone();
    slow.fast_paths = false;
    let other = provision(&w.case.rc.cluster, &w.case.rc.pending, &slow);
    if other != w.schedule {
        return Err(format!("turning fast paths off changes the schedule: {}", first_difference(&w.schedule, &other)));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_pending_pod_is_placed_or_explained_once(case in cases()) {
        let w = World::new(&case);
        let r = check_accounting(&w);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn nodes_are_never_overcommitted(case in cases()) {
        let w = World::new(&case);
        let r = check_resources(&w);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn taints_are_always_tolerated(case in cases()) {
        let w = World::new(&case);
        let r = check_taints(&w);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn node_requirements_always_hold(case in cases()) {
        let w = World::new(&case);
        let r = check_requirements(&w);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn node_pool_limits_hold(case in cases()) {
        let w = World::new(&case);
        let r = check_limits(&w);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn launch_is_the_cheapest_offering_of_the_best_capacity_type(case in cases()) {
        let w = World::new(&case);
        let r = check_launch(&w);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn input_order_does_not_matter(case in cases()) {
        let w = World::new(&case);
        let r = check_order_independence(&w);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn fast_paths_change_no_decision(case in cases()) {
        let w = World::new(&case);
        let r = check_fast_paths(&w);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

/// Karpenter's benchmark mix leans on every fast path at once (hostname anti-affinity fills
/// every host, zonal spread pins claims to zones): the schedule is the same without them.
#[test]
fn fast_paths_change_no_decision_on_karpenters_benchmark() {
    let w = nodepack_suite::karpenter_benchmark(if slow() { 2_000 } else { 400 });
    let fast = w.run();
    let mut settings = w.settings.clone();
    settings.fast_paths = false;
    let slow_schedule = provision(&w.cluster, &w.pods, &settings);
    assert!(fast == slow_schedule, "{}", first_difference(&fast, &slow_schedule));
    // The workload does exercise them: anti-affinity pods each need a node of their own.
    assert!(fast.node_claims.len() >= w.pods.len() / 5);
}

/// `limits: {cpu: 0}` (or `nvidia.com/gpu: 0`) is Karpenter's way to stop a NodePool from
/// launching anything (or anything with GPUs): a limit of zero is not "no limit".
#[test]
fn a_zero_limit_stops_the_pool() {
    let gpu = ResourceName::Extended("nvidia.com/gpu".into());
    let it = InstanceType::new(
        "g.xlarge",
        Resources::new()
            .with(ResourceName::Cpu, 4000)
            .with(ResourceName::Memory, 16 << 30)
            .with(ResourceName::Pods, 58)
            .with(gpu.clone(), 1),
        Overhead::default(),
        vec![Offering::new("zone-a", "on-demand", Price(500_000_000))],
    );
    for limit in [ResourceName::Cpu, gpu] {
        let mut pool = NodePool::new("capped");
        pool.limits = Limits::new().with(limit.clone(), 0);
        let cluster =
            Cluster { node_pools: vec![pool], instance_types: Arc::new(vec![it.clone()]), ..Default::default() };
        let case = one_pod_case(cluster, Pod::new("web", Resources::new().with(ResourceName::Cpu, 500)));
        let w = World::new(&case);
        assert!(
            w.schedule.node_claims.is_empty(),
            "a NodePool limited to 0 {limit} launched {:?}",
            w.schedule.node_claims.iter().map(|c| &c.instance_type).collect::<Vec<_>>()
        );
    }
}

fn one_pod_case(cluster: Cluster, pod: Pod) -> Case {
    Case {
        rc: RandomCluster { seed: 0, size: 1, cluster, pending: vec![pod] },
        keep: Keep::default(),
        settings: Settings::default(),
    }
}

fn small_type(offerings: Vec<Offering>) -> InstanceType {
    InstanceType::new(
        "m.large",
        Resources::new().with(ResourceName::Cpu, 2000).with(ResourceName::Memory, 8 << 30).with(ResourceName::Pods, 29),
        Overhead::default(),
        offerings,
    )
}

/// A type whose spot offering costs more than its own on-demand one still launches as spot:
/// Karpenter's AWS provider filters spot by *type* (its cheapest offering against the cheapest
/// on-demand), not by offering.
#[test]
fn spot_pricier_than_on_demand_still_launches() {
    let it = small_type(vec![
        Offering::new("zone-a", "on-demand", Price(100_000_000)),
        Offering::new("zone-a", "spot", Price(120_000_000)),
    ]);
    let cluster = Cluster {
        node_pools: vec![NodePool::new("default")],
        instance_types: Arc::new(vec![it]),
        ..Default::default()
    };
    let case = one_pod_case(cluster, Pod::new("web", Resources::new().with(ResourceName::Cpu, 500)));
    let w = World::new(&case);
    let c = &w.schedule.node_claims[0];
    assert_eq!((c.instance_type.as_str(), c.capacity_type.as_str(), c.price), ("m.large", "spot", Price(120_000_000)));
}

/// A pod selecting `tier: web` whose only required term says `tier DoesNotExist` can run
/// nowhere: it stays pending, on existing nodes and new claims alike (see `check_requirements`).
#[test]
fn contradictory_selector_and_term_place_nowhere() {
    let mut pod = Pod::new("web", Resources::new().with(ResourceName::Cpu, 500));
    pod.node_selector.insert("tier".into(), "web".into());
    pod.node_affinity.required.push([Requirement::does_not_exist("tier")].into_iter().collect());
    let node = Node {
        name: "static-0".into(),
        labels: [("kubernetes.io/hostname".to_string(), "static-0".to_string())].into_iter().collect(),
        capacity: Resources::new().with(ResourceName::Cpu, 4000).with(ResourceName::Pods, 10),
        allocatable: Resources::new().with(ResourceName::Cpu, 4000).with(ResourceName::Pods, 10),
        initialized: true,
        ..Default::default()
    };
    let on_node = Cluster { nodes: vec![node], ..Default::default() };
    let it = small_type(vec![Offering::new("zone-a", "on-demand", Price(100_000_000))]);
    let on_claim = Cluster {
        node_pools: vec![NodePool::new("default")],
        instance_types: Arc::new(vec![it]),
        ..Default::default()
    };
    for cluster in [on_node, on_claim] {
        let case = one_pod_case(cluster, pod.clone());
        let w = World::new(&case);
        assert_eq!(
            w.schedule.unschedulable.len(),
            1,
            "placed: {:?} {:?}",
            w.schedule.existing_nodes,
            w.schedule.node_claims
        );
    }
}

//! The provisioning pass: Karpenter's `Scheduler.Solve`, from pending pods to new node claims,
//! placements on existing nodes, and reasons for every pod left pending.
//!
//! The pass follows Karpenter's order exactly: pods sorted by CPU then memory (descending);
//! each pod tried on existing nodes (initialized first, then by name), then on the claims made
//! in this pass (fewest pods first), then on a new claim from each NodePool (weight descending,
//! then name descending); a pod that fails is relaxed one preference at a time and, failing
//! still, pushed to the back; the pass ends when a full cycle places nothing.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;

use crate::claim_order::ClaimOrder;
use crate::cluster::Cluster;
use crate::instance_type::{InstanceType, OfferingFilter};
use crate::label;
use crate::launch::{launch_from, Launch, OfferSummary};
use crate::node::Node;
use crate::node_pool::NodePool;
use crate::pod::{HostPort, Pod};
use crate::preferences::{self, PreferencePolicy};
use crate::price::Price;
use crate::queue::Queue;
use crate::refusal::{InstanceTypeMismatch, MinValuesShortfall, Refusal, ResourceShortfall};
use crate::requirement::Requirement;
use crate::requirements::Requirements;
use crate::resources::{ResourceName, Resources};
use crate::schedule::{ExistingNodePlacement, NodeClaim, Schedule, Unschedulable};
use crate::taint::{first_untolerated, Effect, Taint};
use crate::topology::Topology;

/// How `minValues` is enforced when the remaining instance types cannot meet it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MinValuesPolicy {
    /// The pod cannot use the claim (the default).
    #[default]
    Strict,
    /// `minValues` is lowered to what the remaining types offer, and the claim says so.
    BestEffort,
}

/// Settings of a provisioning pass.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// `--preference-policy`.
    pub preference_policy: PreferencePolicy,
    /// `--min-values-policy`.
    pub min_values_policy: MinValuesPolicy,
    /// How many instance type options a claim keeps (Karpenter's `MaxInstanceTypes`, 600).
    pub max_instance_types: usize,
    /// Explain every pod left pending against every NodePool and node (costs time on large
    /// clusters; the simulator turns it off).
    pub explain: bool,
    /// Refuse in-flight claims by the topology screen's integer tests before the full check
    /// (on by default). The screen refuses only what the full check would, so turning it off
    /// changes no decision, only the time; it exists so tests can hold the two paths equal.
    pub fast_paths: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            preference_policy: PreferencePolicy::Respect,
            min_values_policy: MinValuesPolicy::Strict,
            max_instance_types: 600,
            explain: true,
            fast_paths: true,
        }
    }
}

/// Runs one provisioning pass.
///
/// `pending` are the pods to place; pods bound to nodes are read from `cluster.nodes`. The
/// result is deterministic: it depends on neither the order of `pending` nor of the cluster's lists.
///
/// ```
/// use std::sync::Arc;
/// use nodepack_core::*;
///
/// let small = InstanceType::new(
///     "small",
///     Resources::new().with(ResourceName::Cpu, 2000).with(ResourceName::Memory, 4 << 30).with(ResourceName::Pods, 10),
///     Overhead::default(),
///     vec![Offering::new("zone-a", "on-demand", Price::from_dollars_str("0.10").unwrap())],
/// );
/// let large = InstanceType::new(
///     "large",
///     Resources::new().with(ResourceName::Cpu, 8000).with(ResourceName::Memory, 16 << 30).with(ResourceName::Pods, 40),
///     Overhead::default(),
///     vec![Offering::new("zone-a", "on-demand", Price::from_dollars_str("0.40").unwrap())],
/// );
/// let cluster = Cluster {
///     node_pools: vec![NodePool::new("default")],
///     instance_types: Arc::new(vec![small, large]),
///     ..Default::default()
/// };
/// let pods: Vec<Pod> = (0..3)
///     .map(|i| Pod::new(&format!("web-{i}"), Resources::new().with(ResourceName::Cpu, 1500)))
///     .collect();
/// let schedule = provision(&cluster, &pods, &Settings::default());
/// // 4.5 cores fit on one large node, not on a small one.
/// assert_eq!(schedule.node_claims.len(), 1);
/// assert_eq!(schedule.node_claims[0].instance_type, "large");
/// assert_eq!(schedule.node_claims[0].pods.len(), 3);
/// assert!(schedule.unschedulable.is_empty());
/// ```
pub fn provision(cluster: &Cluster, pending: &[Pod], settings: &Settings) -> Schedule {
    let mut s = Scheduler::new(cluster, pending, settings, None);
    s.solve();
    s.into_schedule()
}

/// Runs one provisioning pass as if the `removed` nodes were gone (Karpenter's
/// `SimulateScheduling` for a disruption decision), without copying the cluster.
///
/// The removed nodes take no pods and no longer count against NodePool limits. `pending` may
/// hold, besides pending pods, pods bound to a removed or deleting node (`node_name` set): they
/// are the pods that must move, and are placed like pending ones.
pub fn provision_without(
    cluster: &Cluster,
    removed: &BTreeSet<&str>,
    pending: &[Pod],
    settings: &Settings,
) -> Schedule {
    let none = BTreeSet::new();
    simulate(cluster, pending, settings, &Simulation { removed, shielded: &none, prepared: None })
}

/// How a disruption simulation differs from a provisioning pass.
pub(crate) struct Simulation<'a> {
    /// Nodes treated as gone.
    pub(crate) removed: &'a BTreeSet<&'a str>,
    /// Nodes still inside their NodePool's `consolidateAfter` window: not offered to pods moving
    /// off a removed node (pods from deleting nodes and pending pods may still use them).
    pub(crate) shielded: &'a BTreeSet<&'a str>,
    /// The NodePools and existing nodes as every simulation of one cluster sees them, built
    /// once ([`prepare`]); without it each simulation builds its own.
    pub(crate) prepared: Option<&'a Prepared<'a>>,
}

/// The parts of a pass that depend only on the cluster (NodePool templates, existing nodes),
/// built once and shared by many simulations of the same cluster.
pub(crate) struct Prepared<'c> {
    allow: AllowUndefined,
    templates: BTreeMap<&'c str, Result<Template<'c>, Refusal>>,
    existing: BTreeMap<&'c str, Existing<'c>>,
}

/// Builds the [`Prepared`] inputs of `cluster`.
pub(crate) fn prepare(cluster: &Cluster) -> Prepared<'_> {
    let allow = AllowUndefined::new(cluster);
    let daemon_pods = daemon_pods(cluster);
    Prepared {
        allow: allow.clone(),
        templates: cluster
            .node_pools
            .iter()
            .map(|p| (p.name.as_str(), Scheduler::template(cluster, p, &daemon_pods, &allow)))
            .collect(),
        existing: cluster
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), Scheduler::existing_node(cluster, n, &daemon_pods)))
            .collect(),
    }
}

/// One representative pod per DaemonSet.
fn daemon_pods(cluster: &Cluster) -> Vec<Pod> {
    cluster
        .daemon_sets
        .iter()
        .map(|d| {
            let mut p = d.template.clone();
            p.namespace = d.namespace.clone();
            p.name = d.name.clone();
            p.owner_kind = Some("DaemonSet".into());
            p
        })
        .collect()
}

/// [`provision_without`] with Karpenter's consolidation-simulation rule for `shielded` nodes.
pub(crate) fn simulate<'c>(
    cluster: &'c Cluster,
    pending: &'c [Pod],
    settings: &'c Settings,
    sim: &Simulation<'c>,
) -> Schedule {
    let mut s = Scheduler::new(cluster, pending, settings, Some(sim));
    s.solve();
    s.into_schedule()
}

/// Daemon overhead shared by the instance types on which the same DaemonSet pods would run.
#[derive(Debug, Clone)]
struct DaemonGroup {
    requests: Resources,
    host_ports: Vec<HostPort>,
    /// `requests` of the common resources, and whether it lists no extended one (so the
    /// common resources decide a fit alone).
    fixed: [i64; 4],
    only_fixed: bool,
}

/// A NodePool ready to make claims (Karpenter's `NodeClaimTemplate`).
#[derive(Clone)]
struct Template<'c> {
    pool: &'c NodePool,
    requirements: Requirements,
    types: &'c [InstanceType],
    /// Indices into `types` compatible with the pool and offered, cheapest first.
    options: Arc<[u32]>,
    /// Per index into `types`: its position in `options` (`u32::MAX` when not an option).
    option_pos: Arc<[u32]>,
    /// Per position in `options`: the type's name, shared by every claim's output.
    option_names: Arc<[Arc<str>]>,
    /// Per index into `types`: its daemon group.
    type_group: Arc<[u16]>,
    /// The [`ceiling`] of all `options`, the one every unlimited claim starts from.
    options_ceiling: Resources,
    /// Per index into `types`: its allocatable common resources, and whether its allocatable
    /// lists no extended resource; a dense table the option filter and [`ceiling`] read.
    fixed_allocatable: Arc<[([i64; 4], bool)]>,
    /// Per key a claim's requirements often narrow (zone, capacity type): the options' distinct
    /// requirements on it, so the option filter tests each distinct one once per claim.
    columns: Vec<Column<'c>>,
    /// Per index into `types` (options only): the class of its offerings (types with the same
    /// zones, capacity types and availability share one), and per class a type that has it.
    offer_class: Arc<[u32]>,
    offer_class_type: Arc<[u32]>,
    groups: Vec<DaemonGroup>,
    /// Resources the pool's limits name; `None` when the pool has no resource limits.
    limited: Option<Vec<ResourceName>>,
    remaining: Resources,
    nodes_remaining: Option<i64>,
    nodes_in_use: i64,
    claims_made: usize,
}

/// A claim being built in this pass.
struct Claim {
    template: usize,
    name: String,
    /// The placeholder hostname (Karpenter's `hostname-placeholder-NNNN`), a topology domain.
    hostname: String,
    /// The hostname's id in this pass's topology, once the claim holds a pod.
    host_id: Option<u32>,
    /// The domain the requirements pin for each of topology's screen keys, kept with them.
    pins: Vec<u32>,
    requirements: Requirements,
    options: Vec<u32>,
    /// Per resource, the most any option has left for pods (allocatable less daemon
    /// overhead): a pod that does not fit under it fits no option.
    ceiling: Resources,
    requests: Resources,
    pods: Vec<usize>,
    host_ports: Vec<HostPort>,
    min_values_relaxed: bool,
}

/// An existing node as the pass sees it (requirements and taints shared between simulations).
#[derive(Clone)]
struct Existing<'c> {
    node: &'c Node,
    /// `kubernetes.io/hostname`, or the node name.
    hostname: String,
    /// The hostname's id in this pass's topology.
    host_id: Option<u32>,
    /// The node's labels as requirements, built on first use (many nodes are refused on
    /// taints or room first) and shared by the simulations of one disruption pass.
    requirements: Arc<std::sync::OnceLock<Requirements>>,
    taints: std::sync::Arc<Vec<Taint>>,
    available: Resources,
    /// Daemon requests still to come plus the pods placed in this pass.
    requests: Resources,
    host_ports: Vec<HostPort>,
    pods: Vec<usize>,
    /// In a consolidation simulation: inside `consolidateAfter`, so closed to pods moving off
    /// a removed node.
    shielded: bool,
}

impl Existing<'_> {
    fn requirements(&self) -> &Requirements {
        self.requirements.get_or_init(|| node_requirements(self.node))
    }
}

/// A node's labels, with its name as the hostname when it has none, as requirements.
fn node_requirements(node: &Node) -> Requirements {
    if node.labels.contains_key(label::HOSTNAME) {
        return Requirements::from_labels(&node.labels);
    }
    let mut labels = node.labels.clone();
    labels.insert(label::HOSTNAME.to_string(), node.name.clone());
    Requirements::from_labels(&labels)
}

/// A pod's scheduling inputs after any relaxation.
pub(crate) struct PodData {
    pub(crate) requests: Resources,
    pub(crate) requirements: Requirements,
    pub(crate) strict_requirements: Requirements,
}

impl PodData {
    pub(crate) fn new(pod: &Pod) -> Self {
        PodData {
            requests: pod.scheduling_requests(),
            requirements: pod.requirements(),
            strict_requirements: pod.strict_requirements(),
        }
    }
}

/// Ephemeral taints Karpenter ignores on a managed node that is not yet initialized.
fn is_ephemeral_taint(t: &Taint) -> bool {
    (t.key == "node.kubernetes.io/not-ready" && t.effect != Effect::PreferNoSchedule)
        || (t.key == "node.kubernetes.io/unreachable" && t.effect == Effect::NoSchedule)
        || (t.key == "node.cloudprovider.kubernetes.io/uninitialized" && t.effect == Effect::NoSchedule)
        || t.key == "karpenter.sh/unregistered"
        || t.key.starts_with("readiness.k8s.io/")
}

/// Label keys a pod may require without any NodePool defining them: Karpenter's well-known
/// labels plus every key an instance type in the catalog carries.
///
/// The catalog's keys are collected on the first question a well-known label does not answer:
/// most passes never ask one, and a large catalog takes a while to scan. Clones share the
/// collected keys.
#[derive(Clone)]
pub(crate) struct AllowUndefined {
    catalogs: Vec<Arc<Vec<InstanceType>>>,
    keys: Arc<std::sync::OnceLock<BTreeSet<String>>>,
}

impl AllowUndefined {
    pub(crate) fn new(cluster: &Cluster) -> Self {
        let mut catalogs: Vec<Arc<Vec<InstanceType>>> = vec![];
        for cat in std::iter::once(&cluster.instance_types).chain(cluster.pool_instance_types.values()) {
            if !catalogs.iter().any(|c| Arc::ptr_eq(c, cat)) {
                catalogs.push(Arc::clone(cat));
            }
        }
        AllowUndefined { catalogs, keys: Arc::default() }
    }

    pub(crate) fn allows(&self, key: &str) -> bool {
        if key == label::HOSTNAME {
            return false;
        }
        if label::WELL_KNOWN.contains(&key) {
            return true;
        }
        let keys = self.keys.get_or_init(|| {
            let mut keys = BTreeSet::new();
            for it in self.catalogs.iter().flat_map(|c| c.iter()) {
                for k in it.requirements.keys() {
                    if !keys.contains(k) {
                        keys.insert(k.to_string());
                    }
                }
            }
            keys
        });
        keys.contains(key)
    }
}

/// Why Karpenter would ignore this pod outright, if it would.
fn validate_pod(pod: &Pod, allow: &AllowUndefined) -> Option<String> {
    let check = |r: &Requirements| -> Option<String> {
        for req in r.iter() {
            let k = req.key();
            if k == label::NODE_POOL && req.operator() == crate::Operator::DoesNotExist {
                return Some(format!(
                    "it requires {} DoesNotExist, so no Karpenter node can take it",
                    label::NODE_POOL
                ));
            }
            if label::is_restricted(k) && !allow.allows(k) {
                return Some(format!("label {k:?} is restricted; select on a well-known label or a custom label"));
            }
        }
        None
    };
    for k in pod.node_selector.keys() {
        let k = label::normalize(k);
        if label::is_restricted(k) && !allow.allows(k) {
            return Some(format!(
                "node selector label {k:?} is restricted; select on a well-known label or a custom label"
            ));
        }
    }
    pod.node_affinity.required.iter().chain(pod.node_affinity.preferred.iter().map(|(_, t)| t)).find_map(check)
}

/// The first key on which two requirement sets admit neither a common value nor, both, the
/// label's absence: no node can satisfy them together.
fn clash(a: &Requirements, b: &Requirements) -> Option<String> {
    let key = a.first_intersect_conflict(b)?;
    Some(match (a.get(key), b.get(key)) {
        (Some(x), Some(y)) => format!("{x} against {y}"),
        _ => key.to_string(),
    })
}

/// Drops the node-affinity terms that contradict the pod's node selector (or, for preferred
/// terms, the required term they would be combined with): no node can match them, so
/// kube-scheduler never would. Says why when every required term contradicts the selector.
///
/// Karpenter intersects such sets into an empty one that reads as `DoesNotExist` and launches a
/// node the pod can never use; nodepack reports the pod as unschedulable instead.
fn drop_contradictions(pod: &mut Cow<'_, Pod>) -> Option<String> {
    if pod.node_affinity.required.is_empty() && pod.node_affinity.preferred.is_empty() {
        return None;
    }
    let pod = pod.to_mut();
    let selector = Requirements::from_labels(&pod.node_selector);
    let required = std::mem::take(&mut pod.node_affinity.required);
    let had_required = !required.is_empty();
    let mut first_clash = None;
    for term in required {
        match clash(&selector, &term) {
            Some(c) => first_clash = first_clash.or(Some(c)),
            None => pod.node_affinity.required.push(term),
        }
    }
    if had_required && pod.node_affinity.required.is_empty() {
        return Some(format!(
            "its node selector contradicts every required node-affinity term ({}): no node can match it",
            first_clash.unwrap_or_default()
        ));
    }
    let first_required = pod.node_affinity.required.first().cloned().unwrap_or_default();
    pod.node_affinity.preferred.retain(|(_, t)| clash(&selector, t).is_none() && clash(&first_required, t).is_none());
    None
}

struct Scheduler<'c> {
    settings: &'c Settings,
    allow: AllowUndefined,
    /// The pods to place, borrowed unless the pass had to change one (contradictory terms
    /// dropped, preferences stripped).
    pods: Vec<Cow<'c, Pod>>,
    pod_keys: Vec<String>,
    templates: Vec<Template<'c>>,
    /// Pools dropped because no instance type is compatible, with the reason.
    skipped_pools: Vec<(String, Refusal)>,
    existing: Vec<Existing<'c>>,
    deleting_nodes: Vec<&'c Node>,
    claims: Vec<Claim>,
    /// Claims in the order they are tried: by pod count, ties in the order a stable re-sort
    /// before every pod would leave them (kept incrementally rather than re-sorted).
    claim_order: ClaimOrder,
    topology: Topology,
    tolerate_prefer_no_schedule: bool,
    /// Pod index → failed (with the refusal for the final attempt, filled in at the end).
    failed: BTreeSet<usize>,
    ignored: BTreeMap<usize, String>,
    queue_order: Vec<usize>,
    hostname_counter: usize,
    /// Whether the topology currently holds a relaxed form of each pod.
    relaxed: Vec<bool>,
}

impl<'c> Scheduler<'c> {
    fn new(cluster: &'c Cluster, pending: &'c [Pod], settings: &'c Settings, sim: Option<&Simulation<'c>>) -> Self {
        // The label keys the catalog defines: scanned once per disruption pass, not per simulation.
        let allow = match sim.and_then(|s| s.prepared) {
            Some(p) => p.allow.clone(),
            None => AllowUndefined::new(cluster),
        };

        // Pods: drop daemon and bound pods (in a simulation, keep those moving off a removed or
        // deleting node), then order them as Karpenter's queue does, with the pod key as the
        // final tie-break so input order never matters.
        let removed = |name: &str| sim.is_some_and(|s| s.removed.contains(name));
        let deleting: BTreeSet<&str> = match sim {
            Some(_) => cluster.nodes.iter().filter(|n| n.deleting).map(|n| n.name.as_str()).collect(),
            None => BTreeSet::new(),
        };
        let moving =
            |p: &Pod| p.node_name.as_deref().is_some_and(|n| sim.is_some() && (removed(n) || deleting.contains(n)));
        let mut order: Vec<&'c Pod> =
            pending.iter().filter(|p| !p.is_daemon() && (p.node_name.is_none() || moving(p))).collect();
        order.sort_by(|a, b| {
            let (ra, rb) = (&a.requests, &b.requests);
            rb.cpu()
                .cmp(&ra.cpu())
                .then_with(|| rb.memory().cmp(&ra.memory()))
                .then_with(|| a.created.cmp(&b.created))
                .then_with(|| a.namespace.cmp(&b.namespace))
                .then_with(|| a.name.cmp(&b.name))
        });
        let mut pods: Vec<Cow<'c, Pod>> = order.into_iter().map(Cow::Borrowed).collect();
        if settings.preference_policy == PreferencePolicy::Ignore {
            for p in &mut pods {
                preferences::strip_preferences(p.to_mut());
            }
        }
        let pod_keys = pods.iter().map(|p| p.key()).collect();

        // NodePools by weight descending, then name descending.
        let mut pools: Vec<&NodePool> = cluster.node_pools.iter().collect();
        pools.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| b.name.cmp(&a.name)));
        let tolerate_prefer_no_schedule =
            pools.iter().any(|p| p.taints.iter().any(|t| t.effect == Effect::PreferNoSchedule));

        let daemon_pods = daemon_pods(cluster);
        let prepared = sim.and_then(|s| s.prepared);

        let mut templates = vec![];
        let mut skipped_pools = vec![];
        for pool in pools {
            let built = match prepared.and_then(|p| p.templates.get(pool.name.as_str())) {
                Some(t) => t.clone(),
                None => Self::template(cluster, pool, &daemon_pods, &allow),
            };
            match built {
                Ok(t) => templates.push(t),
                Err(r) => skipped_pools.push((pool.name.clone(), r)),
            }
        }

        // Existing nodes: active ones, initialized first, then by name.
        let mut nodes: Vec<&Node> = cluster.nodes.iter().collect();
        nodes.sort_by(|a, b| b.initialized.cmp(&a.initialized).then_with(|| a.name.cmp(&b.name)));
        let mut existing = vec![];
        let mut deleting_nodes = vec![];
        for node in nodes {
            if removed(&node.name) {
                continue;
            }
            if node.deleting {
                deleting_nodes.push(node);
                continue;
            }
            let mut ex = match prepared.and_then(|p| p.existing.get(node.name.as_str())) {
                Some(e) => e.clone(),
                None => Self::existing_node(cluster, node, &daemon_pods),
            };
            ex.shielded = sim.is_some_and(|s| s.shielded.contains(node.name.as_str()));
            existing.push(ex);
        }

        // Limits: usage from every existing node of the pool (capacity, and one per node).
        for t in &mut templates {
            for node in &cluster.nodes {
                if node.node_pool() == Some(t.pool.name.as_str()) && !removed(&node.name) {
                    if t.limited.is_some() {
                        t.remaining = t.remaining.saturating_sub(&node.capacity);
                    }
                    t.nodes_in_use += 1;
                    if let Some(n) = &mut t.nodes_remaining {
                        *n -= 1;
                    }
                }
            }
        }

        // In a simulation the removed nodes are gone for topology too (their moving pods are
        // counted where they land, as Karpenter builds its topology without the candidates).
        // Topology reads the nodes only for groups, which come from the pods' spread and
        // (anti-)affinity terms and from bound pods' required anti-affinity: without any, the
        // nodes are not needed (this saves counting every node's pods on each simulation).
        let has_groups = pods
            .iter()
            .any(|p| !p.topology_spread.is_empty() || !p.pod_affinity.is_empty() || !p.pod_anti_affinity.is_empty())
            || cluster.nodes.iter().any(|n| n.pods.iter().any(|p| !p.pod_anti_affinity.required.is_empty()));
        let mut topology = Topology::new(
            cluster.nodes.iter().filter(|n| has_groups && !removed(&n.name)),
            &templates_domains(&templates),
            &pods,
        );
        for e in &mut existing {
            e.host_id = Some(topology.host_id(&e.hostname));
        }
        let n = pods.len();
        Scheduler {
            settings,
            allow,
            pods,
            pod_keys,
            templates,
            skipped_pools,
            existing,
            deleting_nodes,
            claims: vec![],
            claim_order: ClaimOrder::default(),
            topology,
            tolerate_prefer_no_schedule,
            failed: BTreeSet::new(),
            ignored: BTreeMap::new(),
            queue_order: (0..n).collect(),
            hostname_counter: 0,
            relaxed: vec![false; n],
        }
    }

    fn template(
        cluster: &'c Cluster,
        pool: &'c NodePool,
        daemon_pods: &[Pod],
        allow: &AllowUndefined,
    ) -> Result<Template<'c>, Refusal> {
        // A pool whose template labels contradict its own requirements would label its nodes
        // with values its requirements exclude; it can launch nothing coherent.
        if let Some(key) = pool.requirements.first_intersect_conflict(&Requirements::from_labels(&pool.labels)) {
            let mut r = Requirements::new();
            if let Some(req) = pool.requirements.get(key) {
                r.add(req.clone());
            }
            if let Some(v) = pool.labels.get(key) {
                r.add(Requirement::single(key, v));
            }
            return Err(Refusal::PoolHasNoInstanceTypes { requirements: r.to_string() });
        }
        let requirements = pool.template_requirements();
        let types = cluster.instance_types_for(&pool.name);
        let mut options: Vec<(Price, u32)> = types
            .iter()
            .enumerate()
            .filter(|(_, it)| it.requirements.intersects_ok(&requirements))
            .filter_map(|(i, it)| it.cheapest_offering(&requirements).map(|o| (o.price, i as u32)))
            .collect();
        if options.is_empty() {
            return Err(Refusal::PoolHasNoInstanceTypes { requirements: requirements.to_string() });
        }
        options
            .sort_by(|(pa, a), (pb, b)| pa.cmp(pb).then_with(|| types[*a as usize].name.cmp(&types[*b as usize].name)));

        // Daemon groups: the set of DaemonSet pods that would run on each instance type.
        let mut groups: Vec<(Vec<bool>, DaemonGroup)> = vec![];
        let mut type_group = vec![0u16; types.len()];
        let mut daemons_for_pool: Vec<(&Pod, Pod)> = vec![];
        for d in daemon_pods {
            let mut tolerant = d.clone();
            preferences::tolerate_prefer_no_schedule(&mut tolerant);
            if first_untolerated(&pool.taints, &tolerant.tolerations).is_none() {
                daemons_for_pool.push((d, tolerant));
            }
        }
        for &(_, i) in &options {
            let it = &types[i as usize];
            // Without DaemonSets for this pool every type is in the one empty group; the
            // intersection (an allocation per type) is only needed to test daemons.
            let member: Vec<bool> = if daemons_for_pool.is_empty() {
                vec![]
            } else {
                let reqs = requirements.intersection(&it.requirements);
                daemons_for_pool.iter().map(|(_, tolerant)| daemon_compatible(&reqs, tolerant, allow)).collect()
            };
            let gi = match groups.iter().position(|(m, _)| *m == member) {
                Some(g) => g,
                None => {
                    let mut requests = Resources::new();
                    let mut host_ports = vec![];
                    for ((d, _), on) in daemons_for_pool.iter().zip(&member) {
                        if *on {
                            let _ = requests.add_assign_checked(&d.scheduling_requests());
                            host_ports.extend(d.host_ports.iter().cloned());
                        }
                    }
                    let (fixed, only_fixed) = (requests.fixed(), !requests.has_extended());
                    groups.push((member, DaemonGroup { requests, host_ports, fixed, only_fixed }));
                    groups.len() - 1
                }
            };
            type_group[i as usize] = u16::try_from(gi).unwrap_or(u16::MAX);
        }
        let limited: Option<Vec<ResourceName>> =
            if pool.limits.is_empty() { None } else { Some(pool.limits.iter().map(|(n, _)| n).collect()) };
        let options: Arc<[u32]> = options.into_iter().map(|(_, i)| i).collect();
        let mut option_pos = vec![u32::MAX; types.len()];
        for (pos, &o) in options.iter().enumerate() {
            option_pos[o as usize] = u32::try_from(pos).unwrap_or(u32::MAX);
        }
        let mut template_groups = vec![];
        for (_, g) in groups {
            template_groups.push(g);
        }
        let fixed_allocatable: Arc<[([i64; 4], bool)]> =
            types.iter().map(|it| (it.allocatable().fixed(), !it.allocatable().has_extended())).collect();
        let mut options_ceiling = Resources::new();
        for &o in options.iter() {
            let group = &template_groups[type_group[o as usize] as usize];
            options_ceiling.max_assign_difference(types[o as usize].allocatable(), &group.requests);
        }
        let option_names = options.iter().map(|&o| Arc::from(types[o as usize].name.as_str())).collect();
        let columns =
            [label::ZONE, label::CAPACITY_TYPE].into_iter().map(|key| Column::new(key, types, &options)).collect();
        let mut offer_class = vec![u32::MAX; types.len()];
        let mut offer_class_type = vec![];
        let mut offer_classes: HashMap<Vec<(&str, &str, bool)>, u32> = HashMap::new();
        for &o in options.iter() {
            let it = &types[o as usize];
            let signature: Vec<(&str, &str, bool)> =
                it.offerings.iter().map(|of| (of.zone.as_str(), of.capacity_type.as_str(), of.available)).collect();
            let next = u32::try_from(offer_class_type.len()).unwrap_or(u32::MAX);
            let class = *offer_classes.entry(signature).or_insert(next);
            if class == next {
                offer_class_type.push(o);
            }
            offer_class[o as usize] = class;
        }
        Ok(Template {
            pool,
            requirements,
            types,
            columns,
            offer_class: offer_class.into(),
            offer_class_type: offer_class_type.into(),
            options,
            option_pos: option_pos.into(),
            option_names,
            type_group: type_group.into(),
            groups: template_groups,
            options_ceiling,
            fixed_allocatable,
            limited,
            remaining: pool.limits.to_resources(),
            nodes_remaining: pool.node_limit,
            nodes_in_use: 0,
            claims_made: 0,
        })
    }

    fn existing_node(cluster: &Cluster, node: &'c Node, daemon_pods: &[Pod]) -> Existing<'c> {
        let pool = node.node_pool().and_then(|p| cluster.node_pool(p));
        let taints: Vec<Taint> = node
            .effective_taints()
            .into_iter()
            .filter(|t| {
                if node.initialized || node.node_pool().is_none() {
                    return true;
                }
                // Karpenter ignores ephemeral and startup taints while a managed node initializes.
                !is_ephemeral_taint(t) && !pool.is_some_and(|p| p.startup_taints.iter().any(|s| s == t))
            })
            .collect();
        let requirements: Arc<std::sync::OnceLock<Requirements>> = Arc::default();
        let mut daemon_requests = Resources::new();
        let mut daemon_ports = vec![];
        for d in daemon_pods {
            if first_untolerated(&taints, &d.tolerations).is_some() {
                continue;
            }
            let requirements = requirements.get_or_init(|| node_requirements(node));
            if requirements.first_conflict(&d.strict_requirements(), &|_| false).is_some() {
                continue;
            }
            let _ = daemon_requests.add_assign_checked(&d.scheduling_requests());
            daemon_ports.extend(d.host_ports.iter().cloned());
        }
        let mut bound_daemons = Resources::new();
        let mut host_ports = vec![];
        for p in &node.pods {
            if p.is_daemon() {
                let _ = bound_daemons.add_assign_checked(&p.scheduling_requests());
            }
            host_ports.extend(p.host_ports.iter().cloned());
        }
        for hp in daemon_ports {
            if !host_ports.contains(&hp) {
                host_ports.push(hp);
            }
        }
        Existing {
            node,
            requirements,
            taints: std::sync::Arc::new(taints),
            available: node.available(),
            requests: daemon_requests.saturating_sub(&bound_daemons).clamp_non_negative(),
            hostname: node.labels.get(label::HOSTNAME).cloned().unwrap_or_else(|| node.name.clone()),
            host_id: None,
            host_ports,
            pods: vec![],
            shielded: false,
        }
    }

    fn solve(&mut self) {
        for i in 0..self.pods.len() {
            let contradiction = drop_contradictions(&mut self.pods[i]);
            if let Some(why) = contradiction.or_else(|| validate_pod(&self.pods[i], &self.allow)) {
                self.ignored.insert(i, why);
            }
        }
        let order: Vec<usize> = (0..self.pods.len()).filter(|i| !self.ignored.contains_key(i)).collect();
        self.queue_order = order.clone();
        let mut queue = Queue::new(order, self.pods.len());
        while let Some(i) = queue.pop() {
            if self.try_schedule(i) {
                self.failed.remove(&i);
            } else {
                self.failed.insert(i);
                queue.push(i);
            }
        }
    }

    /// Tries a pod, relaxing one preference after each failure (Karpenter's `trySchedule`).
    fn try_schedule(&mut self, i: usize) -> bool {
        // Each attempt starts from the pod as written (Karpenter's queue keeps the original);
        // it is copied only when a preference has to be relaxed.
        let mut pod = self.pods[i].clone();
        if self.relaxed[i] {
            self.topology.update(i, &pod);
            self.relaxed[i] = false;
        }
        loop {
            let data = PodData::new(&pod);
            if self.add(i, &pod, &data) {
                return true;
            }
            if preferences::relax(pod.to_mut(), self.tolerate_prefer_no_schedule).is_none() {
                return false;
            }
            self.relaxed[i] = true;
            self.topology.update(i, &pod);
        }
    }

    fn add(&mut self, i: usize, pod: &Pod, data: &PodData) -> bool {
        // 1. Existing nodes, in order.
        for e in 0..self.existing.len() {
            if self.existing[e].shielded && self.moves_off_live_node(pod) {
                continue;
            }
            if let Ok(reqs) = self.existing_can_add(e, i, pod, data, false) {
                let ex = &mut self.existing[e];
                let _ = ex.requests.add_assign_checked(&data.requests);
                ex.host_ports.extend(pod.host_ports.iter().cloned());
                ex.pods.push(i);
                let taints = ex.taints.clone();
                let reqs = reqs.unwrap_or_else(|| Requirements::clone(self.existing[e].requirements()));
                let allow = &self.allow;
                self.topology.record(i, pod, &taints, &reqs, &|k| allow.allows(k));
                return true;
            }
        }
        // 2. Claims made in this pass, fewest pods first; the screen turns most topology
        // refusals into a few integer comparisons (same decisions, see `Screen`).
        let screen = self.topology.screen(i, pod, &data.strict_requirements);
        let fast = self.settings.fast_paths;
        let mut fit = None;
        if !(fast && screen.rejects_every_host()) {
            for (slot, c) in self.claim_order.iter() {
                let claim = &self.claims[c];
                if fast && screen.rejects(claim.host_id, &claim.pins) {
                    continue;
                }
                if let Ok(ok) = self.claim_can_add(claim, i, pod, data, false) {
                    fit = Some((slot, c, ok));
                    break;
                }
            }
        }
        if let Some((slot, c, ok)) = fit {
            self.commit_claim(c, i, pod, data, ok);
            self.claim_order.gained_pod(slot);
            return true;
        }
        // 3. A new claim from each NodePool in weight order.
        for t in 0..self.templates.len() {
            if self.new_claim_refusal(t).is_some() {
                continue;
            }
            let claim = self.fresh_claim(t);
            if let Ok(ok) = self.claim_can_add(&claim, i, pod, data, false) {
                self.hostname_counter += 1;
                self.claims.push(claim);
                let c = self.claims.len() - 1;
                self.commit_claim(c, i, pod, data, ok);
                self.claim_order.push_new(c);
                let tpl = &mut self.templates[t];
                tpl.claims_made += 1;
                tpl.nodes_in_use += 1;
                if let Some(n) = &mut tpl.nodes_remaining {
                    *n -= 1;
                }
                if let Some(limited) = &tpl.limited {
                    // Karpenter's subtractMax: pessimistically count the largest option.
                    for r in limited {
                        let max = self.claims[c]
                            .options
                            .iter()
                            .map(|&o| tpl.types[o as usize].capacity.get(r))
                            .max()
                            .unwrap_or(0);
                        let cur = tpl.remaining.get(r);
                        tpl.remaining.set(r, cur.saturating_sub(max));
                    }
                }
                return true;
            }
        }
        false
    }

    /// Whether a pod is moving off a node that is not being deleted (a disruption candidate):
    /// such pods may not land on a node inside its `consolidateAfter` window.
    fn moves_off_live_node(&self, pod: &Pod) -> bool {
        pod.node_name.as_deref().is_some_and(|n| !self.deleting_nodes.iter().any(|d| d.name == n))
    }

    fn commit_claim(&mut self, c: usize, i: usize, pod: &Pod, data: &PodData, ok: ClaimFit) {
        let tpl = &self.templates[self.claims[c].template];
        let claim = &mut self.claims[c];
        if let Some(reqs) = ok.requirements {
            claim.requirements = reqs;
            claim.pins = self.topology.pins(&claim.requirements);
        } else if claim.pods.is_empty() {
            claim.pins = self.topology.pins(&claim.requirements);
        }
        if ok.options.len() != claim.options.len() {
            claim.ceiling = ceiling(tpl, &ok.options);
        }
        claim.options = ok.options;
        claim.min_values_relaxed |= ok.min_values_relaxed;
        let _ = claim.requests.add_assign_checked(&data.requests);
        claim.host_ports.extend(pod.host_ports.iter().cloned());
        claim.pods.push(i);
        if claim.host_id.is_none() {
            claim.host_id = Some(self.topology.host_id(&claim.hostname));
        }
        let taints = &self.templates[self.claims[c].template].pool.taints;
        let allow = &self.allow;
        self.topology.record(i, pod, taints, &self.claims[c].requirements, &|k| allow.allows(k));
    }

    /// Why the pool cannot make another claim at all (node limit, or every type over a limit).
    fn new_claim_refusal(&self, t: usize) -> Option<Refusal> {
        let tpl = &self.templates[t];
        if let (Some(rem), Some(limit)) = (tpl.nodes_remaining, tpl.pool.node_limit) {
            if rem <= 0 {
                return Some(Refusal::NodeLimit { limit, nodes: tpl.nodes_in_use });
            }
        }
        if let Some(limited) = &tpl.limited {
            let within =
                |o: &u32| limited.iter().all(|r| tpl.types[*o as usize].capacity.get(r) <= tpl.remaining.get(r));
            if !tpl.options.iter().any(within) {
                // Report the limited resource that rules out the smallest node.
                for r in limited {
                    let smallest =
                        tpl.options.iter().map(|&o| tpl.types[o as usize].capacity.get(r)).min().unwrap_or(0);
                    if smallest > tpl.remaining.get(r) {
                        let limit = tpl.pool.limits.get(r);
                        return Some(Refusal::ResourceLimit {
                            resource: r.clone(),
                            limit,
                            in_use: limit.saturating_sub(tpl.remaining.get(r)),
                            smallest_node: smallest,
                        });
                    }
                }
                let r = limited.first().cloned().unwrap_or(ResourceName::Cpu);
                let limit = tpl.pool.limits.get(&r);
                return Some(Refusal::ResourceLimit {
                    resource: r.clone(),
                    limit,
                    in_use: limit.saturating_sub(tpl.remaining.get(&r)),
                    smallest_node: 0,
                });
            }
        }
        None
    }

    fn fresh_claim(&self, t: usize) -> Claim {
        let tpl = &self.templates[t];
        let hostname = format!("hostname-placeholder-{:04}", self.hostname_counter);
        let mut requirements = tpl.requirements.clone();
        requirements.add(Requirement::single(label::HOSTNAME, &hostname));
        let hostname = hostname.clone();
        let options: Vec<u32> = match &tpl.limited {
            None => tpl.options.to_vec(),
            Some(limited) => tpl
                .options
                .iter()
                .copied()
                .filter(|&o| limited.iter().all(|r| tpl.types[o as usize].capacity.get(r) <= tpl.remaining.get(r)))
                .collect(),
        };
        let ceiling =
            if options.len() == tpl.options.len() { tpl.options_ceiling.clone() } else { ceiling(tpl, &options) };
        Claim {
            template: t,
            name: format!("{}-{}", tpl.pool.name, tpl.claims_made),
            hostname,
            host_id: None,
            pins: vec![],
            requirements,
            ceiling,
            options,
            requests: Resources::new(),
            pods: vec![],
            host_ports: vec![],
            min_values_relaxed: false,
        }
    }

    /// Karpenter's `ExistingNode.CanAdd`: the node's requirements narrowed by the pod (`None`
    /// when the pod narrows nothing). Refusals are built only when `explain` asks for them.
    fn existing_can_add(
        &self,
        e: usize,
        i: usize,
        pod: &Pod,
        data: &PodData,
        explain: bool,
    ) -> Result<Option<Requirements>, Option<Refusal>> {
        let ex = &self.existing[e];
        if let Some(t) = first_untolerated(&ex.taints, &pod.tolerations) {
            return Err(explain.then(|| Refusal::Taint { taint: t.clone() }));
        }
        if let Some(port) = port_conflict(&ex.host_ports, &pod.host_ports) {
            return Err(explain.then_some(Refusal::HostPort { port }));
        }
        if let Some((resource, _)) = ex.requests.first_exceeding_with(&data.requests, &ex.available) {
            return Err(explain.then(|| {
                let left = ex.available.get(&resource).saturating_sub(ex.requests.get(&resource));
                Refusal::Resources { requested: data.requests.get(&resource), available: left, resource }
            }));
        }
        let none = |_: &str| false;
        let node_reqs = ex.requirements();
        if node_reqs.first_conflict(&data.requirements, &none).is_some() {
            return Err(requirement_refusal(explain, node_reqs, &data.requirements, &none));
        }
        if !explain && self.topology.hostname_blocks(i, pod, ex.host_id) {
            return Err(None);
        }
        let reqs = narrowed(node_reqs, &data.requirements);
        let current = reqs.as_ref().unwrap_or(node_reqs);
        let topo = self
            .topology
            .add_requirements(i, pod, &data.strict_requirements, current, &none, explain)
            .map_err(|detail| explain.then_some(Refusal::Topology { detail }))?;
        if topo.is_empty() || current.implies(&topo) {
            return Ok(reqs);
        }
        if current.first_conflict(&topo, &none).is_some() {
            return Err(requirement_refusal(explain, current, &topo, &none));
        }
        let mut out = Requirements::clone(current);
        out.add_all(&topo);
        Ok(Some(out))
    }

    /// Karpenter's `NodeClaim.CanAdd`: the new requirements (`None` when unchanged), the
    /// remaining options, and whether minValues had to be relaxed. Refusals are built only
    /// when `explain` asks for them.
    fn claim_can_add(
        &self,
        claim: &Claim,
        i: usize,
        pod: &Pod,
        data: &PodData,
        explain: bool,
    ) -> Result<ClaimFit, Option<Refusal>> {
        let tpl = &self.templates[claim.template];
        if let Some(t) = first_untolerated(&tpl.pool.taints, &pod.tolerations) {
            return Err(explain.then(|| Refusal::Taint { taint: t.clone() }));
        }
        if let Some(port) = port_conflict(&claim.host_ports, &pod.host_ports) {
            return Err(explain.then_some(Refusal::HostPort { port }));
        }
        let allow = |k: &str| self.allow.allows(k);
        if claim.requirements.first_conflict(&data.requirements, &allow).is_some() {
            return Err(requirement_refusal(explain, &claim.requirements, &data.requirements, &allow));
        }
        let mut total = claim.requests.clone();
        let _ = total.add_assign_checked(&data.requests);
        let (total_fixed, total_fixed_only) = (total.fixed(), !total.has_extended());
        // Cheap refusals that the checks below would reach anyway, taken early when nobody
        // needs the details: no option has room, or a hostname constraint rules the node out.
        if !explain && (!total.fits(&claim.ceiling) || self.topology.hostname_blocks(i, pod, claim.host_id)) {
            return Err(None);
        }
        let mut reqs = narrowed(&claim.requirements, &data.requirements);
        let topo = self
            .topology
            .add_requirements(
                i,
                pod,
                &data.strict_requirements,
                reqs.as_ref().unwrap_or(&claim.requirements),
                &allow,
                explain,
            )
            .map_err(|detail| explain.then_some(Refusal::Topology { detail }))?;
        if !topo.is_empty() {
            let current = reqs.as_ref().unwrap_or(&claim.requirements);
            if !current.implies(&topo) {
                if current.first_conflict(&topo, &allow).is_some() {
                    return Err(requirement_refusal(explain, current, &topo, &allow));
                }
                let mut out = current.clone();
                out.add_all(&topo);
                reqs = Some(out);
            }
        }
        let current = reqs.as_ref().unwrap_or(&claim.requirements);
        // Every option already met the claim's requirements and had an offering under them;
        // the new requirements only narrow some keys, so only those need checking again.
        let changed: Vec<&Requirement> = match &reqs {
            None => vec![],
            Some(new) => new.iter().filter(|r| claim.requirements.get(r.key()) != Some(*r)).collect(),
        };
        let recheck_offering = changed.iter().any(|r| r.key() == label::ZONE || r.key() == label::CAPACITY_TYPE);
        let filter = OfferingFilter::new(current);
        let mut mm = InstanceTypeMismatch { considered: claim.options.len(), ..Default::default() };
        let mut kept = Vec::with_capacity(claim.options.len());
        let mut daemon_port: Option<u16> = None;
        let mut any_ports_ok = false;
        // Verdicts per distinct type requirement (columns) and per offering class, worked out on
        // first need: many options share them.
        let meets = |mine: Option<&Requirement>, r: &Requirement| match mine {
            None => true,
            Some(mine) => mine.has_intersection(r) || (mine.is_negative() && r.is_negative()),
        };
        let mut changed: Vec<(&Requirement, Option<&Column<'_>>, Vec<Verdict>)> = changed
            .into_iter()
            .map(|r| {
                let col = tpl.columns.iter().find(|c| c.key == r.key());
                (r, col, vec![Verdict::Unknown; col.map_or(0, |c| c.values.len())])
            })
            .collect();
        let mut offer_verdicts =
            if recheck_offering { vec![Verdict::Unknown; tpl.offer_class_type.len()] } else { vec![] };
        for &o in &claim.options {
            let it = &tpl.types[o as usize];
            let group = &tpl.groups[tpl.type_group[o as usize] as usize];
            let mut compat = true;
            for (r, col, verdicts) in changed.iter_mut() {
                let ok = match col {
                    Some(col) => {
                        let class = col.class[o as usize] as usize;
                        verdicts[class].get_or(|| meets(col.values[class], r))
                    }
                    None => meets(it.requirements.get(r.key()), r),
                };
                if !ok {
                    compat = false;
                    break;
                }
            }
            let conflict =
                if pod.host_ports.is_empty() { None } else { port_conflict(&group.host_ports, &pod.host_ports) };
            let ports_ok = conflict.is_none();
            any_ports_ok |= ports_ok;
            daemon_port = daemon_port.or(conflict);
            let fits = ports_ok
                && if total_fixed_only && group.only_fixed {
                    // The common resources decide alone: compare the dense rows.
                    let allocatable = &tpl.fixed_allocatable[o as usize].0;
                    (0..4).all(|k| total_fixed[k].saturating_add(group.fixed[k]) <= allocatable[k])
                } else {
                    total.fits_with(&group.requests, it.allocatable())
                };
            let offering = !recheck_offering || {
                let class = tpl.offer_class[o as usize] as usize;
                let rep = tpl.offer_class_type[class] as usize;
                offer_verdicts[class].get_or(|| tpl.types[rep].has_offering_with(&filter))
            };
            if compat && fits && offering {
                kept.push(o);
                if !explain {
                    continue;
                }
            }
            mm.requirements_met |= compat;
            mm.fits |= fits;
            mm.has_offering |= offering;
            mm.requirements_and_fits |= compat && fits;
            mm.requirements_and_offering |= compat && offering;
            mm.fits_and_offering |= fits && offering;
        }
        if kept.is_empty() {
            // Every type runs a DaemonSet that binds one of the pod's host ports.
            if let (false, Some(port)) = (any_ports_ok, daemon_port) {
                return Err(explain.then_some(Refusal::HostPort { port }));
            }
            if explain {
                self.describe_mismatch(tpl, claim, current, &total, &mut mm);
            }
            return Err(explain.then(|| Refusal::InstanceTypes { mismatch: Box::new(mm) }));
        }
        let mut relaxed = false;
        if current.has_min_values() {
            if let Some(short) = min_values_shortfall(tpl.types, &kept, current) {
                match self.settings.min_values_policy {
                    MinValuesPolicy::Strict => {
                        mm.min_values = Some(short);
                        return Err(explain.then(|| Refusal::InstanceTypes { mismatch: Box::new(mm) }));
                    }
                    MinValuesPolicy::BestEffort => {
                        relaxed = true;
                        let mut lowered = current.clone();
                        lower_min_values(tpl.types, &kept, &mut lowered);
                        reqs = Some(lowered);
                    }
                }
            }
        }
        Ok(ClaimFit { requirements: reqs, options: kept, min_values_relaxed: relaxed })
    }

    /// Fills in the figures behind an instance-type mismatch: the requirement that excluded the
    /// types, or the resource that fell short on the roomiest compatible type.
    fn describe_mismatch(
        &self,
        tpl: &Template<'_>,
        claim: &Claim,
        reqs: &Requirements,
        total: &Resources,
        mm: &mut InstanceTypeMismatch,
    ) {
        if !mm.requirements_met {
            if let Some(&o) = claim.options.first() {
                mm.requirement = tpl.types[o as usize].requirements.intersects(reqs).err();
            }
            return;
        }
        let mut best: Option<ResourceShortfall> = None;
        for &o in &claim.options {
            let it = &tpl.types[o as usize];
            if !it.requirements.intersects_ok(reqs) {
                continue;
            }
            let group = &tpl.groups[tpl.type_group[o as usize] as usize];
            if let Some((resource, requested)) = total.first_exceeding_with(&group.requests, it.allocatable()) {
                let have = it.allocatable().get(&resource);
                let better = match &best {
                    None => true,
                    Some(b) => b.resource == resource && have > b.largest,
                };
                if better {
                    best = Some(ResourceShortfall {
                        resource,
                        requested,
                        largest: have,
                        largest_instance_type: it.name.clone(),
                    });
                }
            }
        }
        mm.short = best;
        if mm.short.is_some() {
            // Types the pool admits that would fit but cannot be launched: say so, since an
            // offering coming back (or another zone or capacity type) would place the pod.
            let mut unavailable: Vec<&str> = tpl
                .types
                .iter()
                .filter(|it| {
                    it.requirements.intersects_ok(&tpl.requirements)
                        && it.requirements.intersects_ok(reqs)
                        && total.fits(it.allocatable())
                        && !it.has_offering(reqs)
                })
                .map(|it| it.name.as_str())
                .collect();
            unavailable.sort_unstable();
            mm.unavailable = unavailable.into_iter().map(str::to_string).collect();
        }
    }

    fn into_schedule(mut self) -> Schedule {
        let explain = self.settings.explain;
        let unschedulable = self.explain_failures(explain);
        let mut orders = PriceOrders::default();
        let order_of: Vec<usize> = self
            .claims
            .iter()
            .map(|claim| orders.index(claim.template, &self.templates[claim.template], &claim.requirements))
            .collect();
        let orders = &orders.orders;
        // Each claim's launch is its own; many of them are worth spreading over threads (the
        // collected order is the claims' order either way).
        let node_claims: Vec<NodeClaim> = if self.claims.len() >= PARALLEL_FINALIZE {
            self.claims.par_iter().zip(&order_of).map(|(claim, &o)| self.finalize(claim, &orders[o])).collect()
        } else {
            self.claims.iter().zip(&order_of).map(|(claim, &o)| self.finalize(claim, &orders[o])).collect()
        };
        let mut existing_nodes: Vec<ExistingNodePlacement> = self
            .existing
            .iter()
            .filter(|e| !e.pods.is_empty())
            .map(|e| ExistingNodePlacement {
                name: e.node.name.clone(),
                pods: e.pods.iter().map(|&i| self.pod_keys[i].clone()).collect(),
            })
            .collect();
        existing_nodes.sort_by(|a, b| a.name.cmp(&b.name));
        self.claims.clear();
        Schedule { node_claims, existing_nodes, unschedulable }
    }

    /// The launch Karpenter's provider would make for a finished claim.
    fn finalize(&self, claim: &Claim, order: &PriceOrder<'c>) -> NodeClaim {
        let tpl = &self.templates[claim.template];
        let reqs = &claim.requirements;
        // The claim's options with an admitted offering, cheapest first, truncated to
        // `maxInstanceTypes`. The order (`order`) depends only on the pool and the claim's zone
        // and capacity-type requirements, so it is computed once per such combination.
        let mut ranked: Vec<(u32, usize)> = claim
            .options
            .iter()
            .map(|&o| tpl.option_pos[o as usize] as usize)
            .filter_map(|pos| order.rank.get(pos).copied().filter(|&r| r != u32::MAX).map(|r| (r, pos)))
            .collect();
        let keep = self.settings.max_instance_types.max(1);
        if ranked.len() > keep {
            ranked.select_nth_unstable(keep - 1);
            ranked.truncate(keep);
        }
        ranked.sort_unstable();
        let summarized: Vec<(&InstanceType, OfferSummary<'_>)> =
            ranked.iter().map(|&(_, pos)| (&tpl.types[tpl.options[pos] as usize], order.summaries[pos])).collect();
        let Launch { instance_type, zone, capacity_type, price, labels } = launch_from(tpl.pool, &summarized, reqs);
        NodeClaim {
            name: claim.name.clone(),
            node_pool: tpl.pool.name.clone(),
            instance_type,
            zone,
            capacity_type,
            price,
            instance_type_options: ranked.iter().map(|&(_, pos)| Arc::clone(&tpl.option_names[pos])).collect(),
            labels,
            taints: tpl.pool.taints.clone(),
            pods: claim.pods.iter().map(|&i| self.pod_keys[i].clone()).collect(),
            requirements: claim.requirements.clone(),
            requests: claim.requests.clone(),
            min_values_relaxed: claim.min_values_relaxed,
        }
    }

    /// Every pod left pending, with why each NodePool and node refused its most relaxed form.
    fn explain_failures(&self, explain: bool) -> Vec<Unschedulable> {
        let mut out = vec![];
        for &i in &self.queue_order_with_ignored() {
            if let Some(why) = self.ignored.get(&i) {
                let cause = Refusal::Ignored { detail: why.clone() };
                out.push(Unschedulable {
                    pod: self.pod_keys[i].clone(),
                    reason: cause.to_string(),
                    cause,
                    node_pools: BTreeMap::new(),
                    nodes: BTreeMap::new(),
                });
                continue;
            }
            if !self.failed.contains(&i) {
                continue;
            }
            let mut pod = Pod::clone(&self.pods[i]);
            while preferences::relax(&mut pod, self.tolerate_prefer_no_schedule).is_some() {}
            let data = PodData::new(&pod);
            let mut node_pools = BTreeMap::new();
            let mut nodes = BTreeMap::new();
            for (name, r) in &self.skipped_pools {
                node_pools.insert(name.clone(), r.clone());
            }
            for t in 0..self.templates.len() {
                let name = self.templates[t].pool.name.clone();
                let refusal = match self.new_claim_refusal(t) {
                    Some(r) => r,
                    None => {
                        let claim = self.fresh_claim(t);
                        match self.claim_can_add(&claim, i, &pod, &data, true) {
                            Err(Some(r)) => r,
                            Err(None) => continue,
                            // Possible only when the pass's state changed the answer; say so.
                            Ok(_) => Refusal::Topology {
                                detail: "fits a new node only in isolation; refused in the order of this pass".into(),
                            },
                        }
                    }
                };
                node_pools.insert(name, refusal);
            }
            if explain {
                for e in 0..self.existing.len() {
                    if let Err(Some(r)) = self.existing_can_add(e, i, &pod, &data, true) {
                        nodes.insert(self.existing[e].node.name.clone(), r);
                    }
                }
                for n in &self.deleting_nodes {
                    nodes.insert(n.name.clone(), Refusal::NodeDeleting);
                }
            }
            let cause =
                self.selected_pool_taint(&data, &node_pools).unwrap_or_else(|| primary_cause(&node_pools, &nodes));
            let reason = summarize(&cause, &node_pools, &nodes);
            out.push(Unschedulable { pod: self.pod_keys[i].clone(), reason, cause, node_pools, nodes });
        }
        out
    }

    /// The taint refusal of a NodePool whose requirements the pod meets: the pool the pod asks
    /// for, kept away only by a missing toleration. Taints are checked first, so such a refusal
    /// would otherwise rank below a requirement mismatch of a pool the pod never selected.
    fn selected_pool_taint(&self, data: &PodData, pools: &BTreeMap<String, Refusal>) -> Option<Refusal> {
        let allow = |k: &str| self.allow.allows(k);
        self.templates.iter().find_map(|t| {
            let r = pools.get(&t.pool.name).filter(|r| matches!(r, Refusal::Taint { .. }))?;
            t.requirements.first_conflict(&data.requirements, &allow).is_none().then(|| r.clone())
        })
    }

    fn queue_order_with_ignored(&self) -> Vec<usize> {
        (0..self.pods.len()).collect()
    }
}

/// The NodePool domains the topology starts from (pool requirements ∩ instance types).
fn templates_domains<'a>(templates: &'a [Template<'a>]) -> Vec<crate::topology::PoolDomains<'a>> {
    templates
        .iter()
        .map(|t| crate::topology::PoolDomains {
            requirements: &t.requirements,
            taints: &t.pool.taints,
            types: t.options.iter().map(|&o| &t.types[o as usize]).collect(),
        })
        .collect()
}

fn daemon_compatible(node_reqs: &Requirements, daemon: &Pod, allow: &AllowUndefined) -> bool {
    let mut d = daemon.clone();
    loop {
        if node_reqs.first_conflict(&d.strict_requirements(), &|k| allow.allows(k)).is_none() {
            return true;
        }
        if d.node_affinity.required.len() > 1 {
            d.node_affinity.required.remove(0);
        } else {
            return false;
        }
    }
}

/// A pool (by template index) and its zone and capacity-type requirements.
type OrderKey = (usize, Option<Requirement>, Option<Requirement>);

/// The offered types of a template under one zone and capacity-type requirement.
struct PriceOrder<'c> {
    /// Per position in the template's options: its rank by its cheapest admitted offering,
    /// then by name (`u32::MAX` when it has none).
    rank: Vec<u32>,
    /// Per position in the template's options: its offers under the requirement.
    summaries: Vec<OfferSummary<'c>>,
}

/// Per template and zone and capacity-type requirement, the [`PriceOrder`]: claims sharing
/// those share the work.
#[derive(Default)]
struct PriceOrders<'c> {
    index: HashMap<OrderKey, usize>,
    orders: Vec<PriceOrder<'c>>,
}

impl<'c> PriceOrder<'c> {
    fn new(tpl: &Template<'c>, reqs: &Requirements) -> Self {
        let filter = OfferingFilter::new(reqs);
        let types: &'c [InstanceType] = tpl.types;
        let summaries: Vec<OfferSummary<'c>> =
            tpl.options.iter().map(|&o| OfferSummary::of(&types[o as usize], &filter)).collect();
        let mut by_price: Vec<(Price, usize)> =
            summaries.iter().enumerate().filter_map(|(pos, s)| s.cheapest.map(|p| (p, pos))).collect();
        let name = |pos: usize| &types[tpl.options[pos] as usize].name;
        by_price.sort_by(|(pa, a), (pb, b)| pa.cmp(pb).then_with(|| name(*a).cmp(name(*b))));
        let mut rank = vec![u32::MAX; summaries.len()];
        for (r, &(_, pos)) in by_price.iter().enumerate() {
            rank[pos] = u32::try_from(r).unwrap_or(u32::MAX);
        }
        PriceOrder { rank, summaries }
    }
}

impl<'c> PriceOrders<'c> {
    /// The index in `orders` of template `t`'s order under `reqs`, worked out if new.
    fn index(&mut self, t: usize, tpl: &Template<'c>, reqs: &Requirements) -> usize {
        let key = (t, reqs.get(label::ZONE).cloned(), reqs.get(label::CAPACITY_TYPE).cloned());
        let orders = &mut self.orders;
        *self.index.entry(key).or_insert_with(|| {
            orders.push(PriceOrder::new(tpl, reqs));
            orders.len() - 1
        })
    }
}

/// From this many claims on, a pass finalizes its claims on rayon's threads.
const PARALLEL_FINALIZE: usize = 64;

/// The options' requirements on one label key, by class: options with equal requirements
/// share a class.
#[derive(Clone)]
struct Column<'c> {
    key: &'static str,
    /// Per index into the template's types (options only): the class.
    class: Arc<[u32]>,
    /// Per class: the requirement (`None`: the types do not define the key).
    values: Arc<[Option<&'c Requirement>]>,
}

impl<'c> Column<'c> {
    fn new(key: &'static str, types: &'c [InstanceType], options: &[u32]) -> Self {
        let mut class = vec![0u32; types.len()];
        let mut values: Vec<Option<&'c Requirement>> = vec![];
        let mut seen: HashMap<Option<&'c Requirement>, u32> = HashMap::new();
        for &o in options {
            let r = types[o as usize].requirements.get(key);
            let next = u32::try_from(values.len()).unwrap_or(u32::MAX);
            let c = *seen.entry(r).or_insert(next);
            if c == next {
                values.push(r);
            }
            class[o as usize] = c;
        }
        Column { key, class: class.into(), values: values.into() }
    }
}

/// A yes-or-no answer worked out on first need.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Unknown,
    Yes,
    No,
}

impl Verdict {
    fn get_or(&mut self, decide: impl FnOnce() -> bool) -> bool {
        if *self == Verdict::Unknown {
            *self = if decide() { Verdict::Yes } else { Verdict::No };
        }
        *self == Verdict::Yes
    }
}

/// A claim's answer to a pod that fits.
struct ClaimFit {
    /// The narrowed requirements; `None` when the pod changed nothing.
    requirements: Option<Requirements>,
    options: Vec<u32>,
    min_values_relaxed: bool,
}

/// The requirement refusal between two sets, when explaining.
fn requirement_refusal(
    explain: bool,
    existing: &Requirements,
    incoming: &Requirements,
    allow: &dyn Fn(&str) -> bool,
) -> Option<Refusal> {
    if !explain {
        return None;
    }
    existing.compatible(incoming, allow).err().map(|incompatibility| Refusal::Requirement { incompatibility })
}

/// `current ∩ incoming`, or `None` when the intersection is `current` itself.
fn narrowed(current: &Requirements, incoming: &Requirements) -> Option<Requirements> {
    if current.implies(incoming) {
        None
    } else {
        let mut out = current.clone();
        out.add_all(incoming);
        Some(out)
    }
}

/// Per resource, the most any of `options` leaves for pods after its daemon overhead.
fn ceiling(tpl: &Template<'_>, options: &[u32]) -> Resources {
    let mut out = Resources::new();
    for &o in options {
        let group = &tpl.groups[tpl.type_group[o as usize] as usize];
        let (allocatable, only_fixed) = &tpl.fixed_allocatable[o as usize];
        if *only_fixed {
            let mut room = [0i64; 4];
            for (k, r) in room.iter_mut().enumerate() {
                *r = allocatable[k].saturating_sub(group.fixed[k]);
            }
            out.max_assign_fixed(&room);
        } else {
            out.max_assign_difference(tpl.types[o as usize].allocatable(), &group.requests);
        }
    }
    out
}

fn port_conflict(used: &[HostPort], wanted: &[HostPort]) -> Option<u16> {
    for w in wanted {
        if used.iter().any(|u| u.conflicts(w)) {
            return Some(w.port);
        }
    }
    None
}

/// The first `minValues` requirement the types cannot meet.
pub(crate) fn min_values_shortfall(
    types: &[InstanceType],
    kept: &[u32],
    reqs: &Requirements,
) -> Option<MinValuesShortfall> {
    for r in reqs.iter() {
        let Some(min) = r.min_values() else { continue };
        let n = distinct_values(types, kept, r.key());
        if n < min as usize {
            return Some(MinValuesShortfall { key: r.key().to_string(), min_values: min, available: n });
        }
    }
    None
}

fn distinct_values(types: &[InstanceType], kept: &[u32], key: &str) -> usize {
    let mut values: BTreeSet<&str> = BTreeSet::new();
    for &o in kept {
        if let Some(req) = types[o as usize].requirements.get(key) {
            if !req.is_complement() {
                values.extend(req.values().iter().map(String::as_str));
            }
        }
    }
    values.len()
}

fn lower_min_values(types: &[InstanceType], kept: &[u32], reqs: &mut Requirements) {
    let keys: Vec<(String, u32)> =
        reqs.iter().filter_map(|r| r.min_values().map(|m| (r.key().to_string(), m))).collect();
    for (k, m) in keys {
        let n = distinct_values(types, kept, &k) as u32;
        if n < m {
            if let Some(r) = reqs.remove(&k) {
                reqs.set(r.with_min(Some(n)));
            }
        }
    }
}

/// The refusal most worth showing: the NodePool that got furthest through the checks (ties
/// broken by pool name), or, without pools, the node that got furthest.
fn primary_cause(pools: &BTreeMap<String, Refusal>, nodes: &BTreeMap<String, Refusal>) -> Refusal {
    let best = |m: &BTreeMap<String, Refusal>| -> Option<Refusal> {
        let mut best: Option<&Refusal> = None;
        for r in m.values() {
            if best.is_none_or(|b| r.depth() > b.depth()) {
                best = Some(r);
            }
        }
        best.cloned()
    };
    best(pools).or_else(|| best(nodes)).unwrap_or(Refusal::NoNodePools)
}

/// When two or more NodePools all refused the pod over the same label, one line naming it and
/// what each pool offers instead (a typo in a node selector reads best this way).
fn one_label_summary(pools: &BTreeMap<String, Refusal>) -> Option<String> {
    use crate::requirements::Incompatibility;
    if pools.len() < 2 {
        return None;
    }
    let mut key: Option<&str> = None;
    let mut wanted: Option<&str> = None;
    let mut offers = vec![];
    for (name, r) in pools {
        let Refusal::Requirement { incompatibility } = r else { return None };
        let k = match incompatibility {
            Incompatibility::NoCommonValue { key, wanted: w, offered } => {
                wanted.get_or_insert(w.as_str());
                offers.push(format!("{name} offers {offered}"));
                key
            }
            Incompatibility::UndefinedLabel { key } => {
                offers.push(format!("{name} does not define it"));
                key
            }
        };
        if *key.get_or_insert(k.as_str()) != k.as_str() {
            return None;
        }
    }
    let key = key?;
    Some(match wanted {
        Some(w) => {
            format!("its node selector or affinity requires {w}, which no NodePool offers ({})", offers.join("; "))
        }
        None => format!("its node selector or affinity requires label {key:?}, which no NodePool defines"),
    })
}

fn summarize(cause: &Refusal, pools: &BTreeMap<String, Refusal>, nodes: &BTreeMap<String, Refusal>) -> String {
    if pools.is_empty() {
        let n = nodes.len();
        return if n == 0 {
            "no NodePool can launch a node for it and there are no existing nodes".to_string()
        } else {
            format!("no NodePool can launch a node for it, and no existing node fits ({n} refused; e.g. {cause})")
        };
    }
    if let Some(line) = one_label_summary(pools) {
        return line;
    }
    let (name, _) = pools.iter().find(|(_, r)| *r == cause).expect("cause comes from pools");
    let others = pools.len() - 1;
    if others == 0 {
        format!("NodePool {name}: {cause}")
    } else {
        let same = pools.values().filter(|r| std::mem::discriminant(*r) == std::mem::discriminant(cause)).count();
        if same == pools.len() && pools.values().all(|r| r == cause) {
            format!("every NodePool: {cause}")
        } else {
            format!(
                "NodePool {name}: {cause} (and {others} other NodePool{} refused it)",
                if others == 1 { "" } else { "s" }
            )
        }
    }
}

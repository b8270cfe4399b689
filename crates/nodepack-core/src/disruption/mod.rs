//! One disruption pass: which nodes Karpenter would delete or replace now, and which it leaves
//! alone and why ([`disrupt`]).
//!
//! # The pass
//!
//! 1. **Expiration** (Karpenter's expiration controller, not a disruption method): every managed
//!    node with `created + expireAfter ≤ now` gets its own `Expired` delete command, whatever
//!    budgets, `do-not-disrupt` or PDBs say. For the rest of the pass those nodes count as
//!    deleting: they use up their pools' budgets and their pods must find a place in every
//!    simulation.
//! 2. Then Karpenter's methods in order; **the first that produces a command ends the pass**:
//!    * **Emptiness**: all empty, consolidatable candidates within the pools' `Empty` budgets,
//!      deleted in one command (for every consolidation policy).
//!    * **Drift**: drifted candidates, oldest first, empty ones first; the first whose pods all
//!      schedule elsewhere (`Drifted` budget permitting) is replaced by as many new nodes as the
//!      simulation needs, with no price check.
//!    * **Multi-node consolidation**: candidates by savings ratio, cut to the `Underutilized`
//!      budgets, at most 100 (plus one, as in Karpenter), binary search for the longest prefix
//!      that can be deleted or replaced by one cheaper node (with `filterOutSameInstanceType`).
//!    * **Single-node consolidation**: candidates by savings ratio, round-robin across pools; the
//!      first that can be deleted or replaced by one cheaper node.
//!
//! Every scheduling simulation is the provisioning pass itself ([`crate::provision`]'s code,
//! through [`crate::provision_without`]) with the candidates left out, their pods, the pending
//! pods ([`DisruptionOptions::pending`]) and the pods of deleting nodes to place, and
//! Karpenter's consolidation-simulation rules: a candidate's pod landing on an uninitialized
//! node refuses the move; a node inside its pool's `consolidateAfter` window does not take
//! candidates' pods.
//!
//! # Candidates
//!
//! A node is a candidate when it is managed (has `karpenter.sh/nodepool`), its NodePool exists
//! and admits instance types, it is initialized, not deleting, not nominated, not annotated
//! `karpenter.sh/do-not-disrupt: "true"`, and none of its pods blocks eviction: a pod's
//! `do-not-disrupt` set to `"true"` or to a duration not yet elapsed since the pod's creation; a
//! PodDisruptionBudget with no disruption allowed (computed from the PDB and the matching pods:
//! bound pods are healthy, pending ones only expected); a pod under two PDBs. Emptiness and
//! consolidation also need `consolidateAfter` set (not `Never`) and elapsed since the last pod
//! event; consolidation needs a known instance type, zone and capacity type, a non-empty node,
//! and a policy other than `WhenEmpty`. `Balanced` pools approve a move only when
//! `(savings / pool cost) / (disruption / pool disruption) ≥ 1/2`.
//!
//! # Prices
//!
//! A node costs its instance type's offering in its zone and capacity type (from
//! [`Cluster::instance_types_for`] its pool), 0 when there is none. A replacement keeps only the
//! options whose worst launch price (the dearest available offering of the capacity type that
//! would launch: reserved, then spot, then on-demand) is strictly below the candidates' total.
//! Spot candidates whose replacement could be spot need [`DisruptionOptions::spot_to_spot`];
//! single-node spot-to-spot needs 15 cheaper types and launches from the 15 cheapest. A
//! command's `savings` are the candidates' prices minus the replacements' launch prices.
//!
//! # Where nodepack knowingly differs from Karpenter
//!
//! * No validation delay: Karpenter re-checks a consolidation 15 s later; a pass decides on the
//!   cluster as given, so the command is what Karpenter would start if nothing changed meanwhile.
//! * No timeouts (Karpenter stops multi-node after 1 minute and single-node after 3).
//! * Ties in the savings-ratio sort go to the node name (Karpenter's sort is unstable), and the
//!   round-robin visits pools in the order of their best candidate (Karpenter's is a Go map order).
//! * Drift is `drifted_at` or requirement/label/taint drift; the NodePool hash, node class and
//!   instance-type-not-found drift are left to whoever sets `drifted_at`. A NodeClaim
//!   `terminationGracePeriod` (which lets drift ignore blocking pods) is not modelled.
//! * A replacement is forced to spot (when spot and on-demand are both allowed) only if some
//!   remaining option offers spot; Karpenter forces it anyway and then fails to launch.
//! * Pod readiness, terminating pods, capacity buffers, static NodePools (`replicas`) and the
//!   `InstanceTerminating` condition are not modelled.
//! * Karpenter's "consolidated" memory (skip consolidation until the cluster changes) belongs to
//!   a loop; one pass always looks.

mod balanced;
mod blocked;
mod budget;
mod candidate;
mod command;
mod consolidation;
mod cron;
mod drift;
mod emptiness;
mod expiration;
mod multi_node;
mod pdb;
mod plan;
mod simulation;
mod single_node;

use std::collections::{BTreeMap, BTreeSet};

pub use balanced::BALANCED_K;
pub use blocked::{BlockReason, Blocked};
pub use budget::{allowed_disruptions, budget_active, budget_allows, BudgetError, BudgetMapping};
pub use candidate::{eviction_cost, POD_DELETION_COST};
pub use command::{Command, Decision, Reason};
pub use consolidation::MIN_SPOT_TO_SPOT_OPTIONS;
pub use cron::{CronError, CronSchedule};
pub use multi_node::MAX_MULTI_NODE_CANDIDATES;
pub use plan::DisruptionPlan;

use balanced::PoolTotals;
use candidate::Candidate;
use pdb::PdbLimits;

use crate::cluster::Cluster;
use crate::node::Node;
use crate::pod::Pod;
use crate::scheduler::{prepare, Prepared, Settings};

/// Options of a disruption pass.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DisruptionOptions {
    /// Karpenter's `SpotToSpotConsolidation` feature gate (off by default).
    pub spot_to_spot: bool,
    /// The settings of every scheduling simulation (preference and minValues policies, the
    /// number of instance type options a claim keeps).
    pub provisioning: Settings,
    /// Pods waiting for a node. They take part in every simulation, as Karpenter's pending pods
    /// do (they may use the room a move needs), and count as expected but unhealthy for PDBs.
    pub pending: Vec<Pod>,
}

impl DisruptionOptions {
    /// These options with spot-to-spot consolidation on or off.
    #[must_use]
    pub fn with_spot_to_spot(mut self, on: bool) -> Self {
        self.spot_to_spot = on;
        self
    }

    /// These options with the given pending pods.
    #[must_use]
    pub fn with_pending(mut self, pending: Vec<Pod>) -> Self {
        self.pending = pending;
        self
    }

    /// These options with the given provisioning settings.
    #[must_use]
    pub fn with_provisioning(mut self, settings: Settings) -> Self {
        self.provisioning = settings;
        self
    }
}

/// The state of one pass, shared by the methods.
pub(crate) struct Pass<'c> {
    pub(crate) cluster: &'c Cluster,
    pub(crate) now: i64,
    pub(crate) options: &'c DisruptionOptions,
    /// The provisioning settings, without explanations (simulations only need the outcome).
    pub(crate) settings: Settings,
    /// Pending pods (those without a node).
    pub(crate) pending: Vec<Pod>,
    pub(crate) candidates: Vec<Candidate<'c>>,
    blocked: BTreeMap<String, blocked::BlockReason>,
    /// Nodes inside their pool's `consolidateAfter` window.
    pub(crate) shielded: BTreeSet<&'c str>,
    /// Pods of deleting nodes that must find a place (bound to their node).
    pub(crate) deleting_pods: Vec<Pod>,
    pub(crate) deleting_pod_keys: BTreeSet<String>,
    pub(crate) totals: BTreeMap<String, PoolTotals>,
    nodes: BTreeMap<&'c str, &'c Node>,
    /// The scheduler's view of the pools and nodes, built once for every simulation.
    pub(crate) prepared: Prepared<'c>,
}

impl<'c> Pass<'c> {
    fn new(cluster: &'c Cluster, now: i64, options: &'c DisruptionOptions, skip: &BTreeSet<&str>) -> Self {
        let pending: Vec<Pod> = options.pending.iter().filter(|p| p.node_name.is_none()).cloned().collect();
        let pdbs = PdbLimits::new(cluster, &pending);
        let classified = candidate::classify(cluster, now, &pdbs, skip);
        let mut shielded = BTreeSet::new();
        let mut deleting_pods = vec![];
        for n in &cluster.nodes {
            if let Some(pool) = n.node_pool().and_then(|p| cluster.node_pool(p)) {
                if !n.deleting && candidate::under_consolidate_after(n, pool, now).is_some() {
                    shielded.insert(n.name.as_str());
                }
            }
            if n.deleting {
                for p in &n.pods {
                    let blocked = candidate::do_not_disrupt(p, now).is_some() || pdbs.fully_blocked(p);
                    if candidate::is_reschedulable(p) && !blocked {
                        let mut q = p.clone();
                        q.node_name = Some(n.name.clone());
                        deleting_pods.push(q);
                    }
                }
            }
        }
        let deleting_pod_keys = deleting_pods.iter().map(Pod::key).collect();
        let mut settings = options.provisioning.clone();
        settings.explain = false;
        Pass {
            cluster,
            now,
            options,
            settings,
            pending,
            candidates: classified.candidates,
            blocked: classified.blocked,
            shielded,
            deleting_pods,
            deleting_pod_keys,
            totals: balanced::pool_totals(cluster),
            nodes: cluster.nodes.iter().map(|n| (n.name.as_str(), n)).collect(),
            prepared: prepare(cluster),
        }
    }

    /// Records why a node is not disrupted (the first reason recorded stays).
    pub(crate) fn block(&mut self, node: &str, reason: blocked::BlockReason) {
        self.blocked.entry(node.to_string()).or_insert(reason);
    }

    pub(crate) fn node(&self, name: &str) -> Option<&'c Node> {
        self.nodes.get(name).copied()
    }

    /// The blocked list: what the methods recorded, then each remaining candidate's own reason
    /// for staying out of emptiness or consolidation; never a node some command disrupts.
    fn into_blocked(mut self, commands: &[Command]) -> Vec<Blocked> {
        let late: Vec<(String, blocked::BlockReason)> = self
            .candidates
            .iter()
            .filter_map(|c| {
                let r = if c.is_empty() { &c.emptiness } else { &c.consolidation };
                r.clone().err().map(|r| (c.node.name.clone(), r))
            })
            .collect();
        for (n, r) in late {
            self.block(&n, r);
        }
        let disrupted: BTreeSet<&str> = commands.iter().flat_map(|c| c.candidates.iter().map(String::as_str)).collect();
        self.blocked
            .into_iter()
            .filter(|(n, _)| !disrupted.contains(n.as_str()))
            .map(|(node, reason)| Blocked { node, reason })
            .collect()
    }
}

/// The cluster with `names` marked as deleting.
fn with_deleting(cluster: &Cluster, names: &BTreeSet<&str>) -> Cluster {
    let mut c = cluster.clone();
    for n in &mut c.nodes {
        if names.contains(n.name.as_str()) {
            n.deleting = true;
        }
    }
    c
}

/// Runs one disruption pass at `now` (seconds since the Unix epoch).
///
/// Deterministic: the same cluster, time and options give the same plan, whatever the order of
/// the cluster's lists. See the [module documentation](self) for the rules.
///
/// ```
/// use std::sync::Arc;
/// use nodepack_core::*;
///
/// let price = |s: &str| Price::from_dollars_str(s).unwrap();
/// let small = InstanceType::new(
///     "small",
///     Resources::new().with(ResourceName::Cpu, 2000).with(ResourceName::Memory, 4 << 30).with(ResourceName::Pods, 10),
///     Overhead::default(),
///     vec![Offering::new("zone-a", "on-demand", price("0.10"))],
/// );
/// let large = InstanceType::new(
///     "large",
///     Resources::new().with(ResourceName::Cpu, 8000).with(ResourceName::Memory, 16 << 30).with(ResourceName::Pods, 40),
///     Overhead::default(),
///     vec![Offering::new("zone-a", "on-demand", price("0.40"))],
/// );
/// let node = |name: &str, it: &InstanceType, pods: Vec<Pod>| {
///     // Created an hour ago (NodePool::new expires nodes after 720h).
///     let mut n = Node { name: name.into(), initialized: true, created: 1_700_000_000 - 3600, ..Default::default() };
///     for (k, v) in [
///         ("karpenter.sh/nodepool", "default"),
///         ("node.kubernetes.io/instance-type", it.name.as_str()),
///         ("topology.kubernetes.io/zone", "zone-a"),
///         ("karpenter.sh/capacity-type", "on-demand"),
///     ] {
///         n.labels.insert(k.into(), v.into());
///     }
///     n.capacity = it.capacity.clone();
///     n.allocatable = it.allocatable().clone();
///     n.pods = pods;
///     n
/// };
/// let web = Pod::new("web-0", Resources::new().with(ResourceName::Cpu, 500));
/// let cluster = Cluster {
///     node_pools: vec![NodePool::new("default")],
///     instance_types: Arc::new(vec![small.clone(), large.clone()]),
///     // A large node running one small pod, and an empty small node.
///     nodes: vec![node("big", &large, vec![web]), node("idle", &small, vec![])],
///     ..Default::default()
/// };
///
/// // The empty node goes first: emptiness ends the pass.
/// let plan = disrupt(&cluster, 1_700_000_000, &DisruptionOptions::default());
/// assert_eq!(plan.commands.len(), 1);
/// assert_eq!(plan.commands[0].reason, Reason::Empty);
/// assert_eq!(plan.commands[0].candidates, vec!["idle"]);
///
/// // Without it, the large node is consolidated: its pod moves to a new, cheaper small node.
/// let mut cluster = cluster;
/// cluster.nodes.retain(|n| n.name == "big");
/// let plan = disrupt(&cluster, 1_700_000_000, &DisruptionOptions::default());
/// let cmd = &plan.commands[0];
/// assert_eq!((cmd.reason, cmd.decision), (Reason::Underutilized, Decision::Replace));
/// assert_eq!(cmd.replacements[0].instance_type, "small");
/// assert_eq!(cmd.savings, price("0.30"));
/// ```
pub fn disrupt(cluster: &Cluster, now: i64, options: &DisruptionOptions) -> DisruptionPlan {
    let expired_nodes = expiration::expired(cluster, now);
    let mut commands = expiration::commands(cluster, &expired_nodes);
    let expired: BTreeSet<&str> = expired_nodes.iter().map(|n| n.name.as_str()).collect();
    let marked;
    let cluster = if expired.is_empty() {
        cluster
    } else {
        marked = with_deleting(cluster, &expired);
        &marked
    };
    let mut pass = Pass::new(cluster, now, options, &expired);
    let found = emptiness::run(&mut pass)
        .or_else(|| drift::run(&mut pass))
        .or_else(|| multi_node::run(&mut pass))
        .or_else(|| single_node::run(&mut pass));
    commands.extend(found);
    let blocked = pass.into_blocked(&commands);
    DisruptionPlan { commands, blocked }
}

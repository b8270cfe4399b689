//! Karpenter's loops on a simulated clock: a replay of a [`Trace`].
//!
//! [`replay`] runs the trace's events and, between them, what Karpenter and Kubernetes do:
//!
//! * **kube-scheduler** binds a pending pod to a Ready node that takes it as soon as it
//!   arrives, and tries every pending pod again whenever room appears (a node becomes Ready, a
//!   pod leaves). This is [`provision`](nodepack_core::provision) with no NodePools over the
//!   Ready nodes: the first node that fits, in the scheduler's order (nodepack does not model
//!   kube-scheduler's scoring).
//! * **The provisioning batcher**: a pod left pending opens a window (or resets its idle timer);
//!   the window closes after `batchIdleDuration` without a new pod or `batchMaxDuration` after
//!   it opened, and then one provisioning pass runs over every pending pod and the pods of
//!   deleting nodes. Pods placed on a Ready node are bound; pods placed on a launching node are
//!   nominated to it; each new node claim is launched.
//! * **Launches**: the claim's offering, or, when the trace has made it unavailable, the next
//!   one in the provider's order (capacity type, then price), as an insufficient-capacity error
//!   does; Karpenter then keeps the offering out for 3 minutes. With no offering left the
//!   claim fails and its pods are pending again. A launched node is Ready after
//!   `nodeStartupLatency`: its startup taints go, it is labelled `karpenter.sh/initialized`, its
//!   DaemonSet pods and the pods nominated to it are bound.
//! * **Disruption**: every `disruptionPollInterval`, one [`disrupt`](nodepack_core::disrupt)
//!   pass. Expired nodes are deleted at once. Another command waits
//!   `consolidationValidationDelay` and is started only if a new pass still produces it (the
//!   same reason and candidates, replacements of the same count whose types include the first
//!   ones; for emptiness, the candidates still empty). Candidates are tainted
//!   `karpenter.sh/disrupted:NoSchedule` and marked deleting; replacements launch first, and the
//!   candidates drain once every replacement is Ready.
//! * **Draining** evicts what PodDisruptionBudgets allow, retrying every 5 seconds; evicted pods
//!   are pending again (their controller makes a new one at once); a deleted node goes when its
//!   pods are gone.
//! * **Drift**: when an applied NodePool changes its template (labels, taints, startup taints,
//!   node class, or requirements the node no longer meets) or an EC2NodeClass changes its
//!   kubelet settings, the pool's nodes are marked drifted at that moment.
//!
//! Nothing reads the wall clock; the only randomness is the optional spot interruption rate,
//! drawn from the trace's `seed` and each node's name. The same trace gives the same bytes.

mod karpenter;
mod objects;
mod record;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use nodepack_core::{Cluster, Command, InstanceType, Pod, Price, Settings, Taint};
use serde_yaml::Value;

use crate::engine::{Engine, Seconds};
use crate::output::ReplayOutput;
use crate::trace::{Action, Trace, TraceError};

use record::Recorder;

/// How long Karpenter's AWS provider keeps an offering that ran out of capacity out of its
/// launches (its unavailable-offerings cache).
pub const UNAVAILABLE_OFFERING_TTL: Seconds = 180;
/// How often a drain retries evictions a PodDisruptionBudget refused.
pub const EVICTION_RETRY: Seconds = 5;
/// The taint Karpenter puts on the nodes of a disruption command.
pub const DISRUPTED_TAINT: &str = "karpenter.sh/disrupted";
/// How often Karpenter's trigger controllers requeue a pending pod or a disrupted node.
pub const TRIGGER_REQUEUE: Seconds = 10;

/// Runs a trace to its end.
pub fn replay(trace: Trace) -> Result<ReplayOutput, TraceError> {
    replay_with_progress(trace, &mut |_, _| {})
}

/// Runs a trace to its end, calling `progress(now, end)` now and then (for a progress bar).
pub fn replay_with_progress(
    trace: Trace,
    progress: &mut dyn FnMut(Seconds, Seconds),
) -> Result<ReplayOutput, TraceError> {
    let mut sim = Simulation::new(trace);
    sim.run(progress)?;
    Ok(sim.finish())
}

/// Events of the simulation.
#[derive(Debug, Clone)]
enum Ev {
    /// The trace's event at this index of `trace.events`.
    Trace(usize),
    /// A pod of a CSV arrives: (batch, row).
    PodArrive(usize, usize),
    /// A pod leaves (its controller deletes it).
    PodDepart(String),
    /// kube-scheduler tries pending pods.
    KubeSchedule,
    /// The provisioning batcher checks whether its window has closed.
    BatchCheck,
    /// Karpenter's pod and node trigger controllers requeue every 10 seconds while a pod is
    /// pending or a node is being disrupted, triggering the batcher again.
    Requeue,
    /// A launched node becomes Ready.
    NodeReady(String),
    /// The disruption controller's loop.
    DisruptionPoll,
    /// A disruption command's validation.
    Validate,
    /// Another round of evictions on a draining node.
    DrainStep(String),
    /// A random spot interruption.
    SpotInterrupt(String),
    /// The end of the trace.
    End,
}

/// A workload the trace applied, to scale and to recreate its pods.
#[derive(Debug, Clone)]
struct Workload {
    /// The document as applied (replicas changed by `scale`).
    doc: Value,
    /// Its pods by key.
    pods: BTreeSet<String>,
}

/// What the simulation knows about a live pod (not a DaemonSet pod).
#[derive(Debug, Clone, Default)]
struct PodState {
    /// The workload that recreates it, as (kind, namespace, name).
    workload: Option<(String, String, String)>,
    /// When its current pending time began.
    pending_since: Option<Seconds>,
    /// The node it is bound to.
    node: Option<String>,
    /// The launching node it was nominated to.
    nominated: Option<String>,
    /// Whether it was ever bound.
    ever_bound: bool,
}

/// What the simulation knows about a node.
#[derive(Debug, Clone)]
struct NodeMeta {
    /// Its hourly price.
    price: Price,
    /// When it was launched (or applied).
    launched_at: Seconds,
    /// The startup taints to remove when it initializes.
    startup_taints: Vec<Taint>,
    /// Why it is being deleted (`Empty`, `Expired`, `NodePoolDeleted`, ...), once it is.
    deletion: Option<String>,
}

/// A disruption command waiting for its replacements.
#[derive(Debug, Clone)]
struct Running {
    reason: String,
    candidates: Vec<String>,
    waiting: BTreeSet<String>,
}

/// Karpenter's provisioning batcher window.
#[derive(Debug, Clone, Copy)]
struct Batch {
    start: Seconds,
    last: Seconds,
}

/// One availability rule from an `offering` event.
#[derive(Debug, Clone)]
struct OfferingRule {
    instance_type: String,
    zone: Option<String>,
    capacity_type: Option<String>,
    available: bool,
}

struct Simulation {
    trace: Trace,
    end: Seconds,
    epoch: i64,
    settings: Settings,
    engine: Engine<Ev>,
    cluster: Cluster,

    /// Definition documents (NodePools, EC2NodeClasses, DaemonSets, PDBs, catalog) by
    /// (kind, namespace, name), rebuilt together whenever one changes.
    defs: BTreeMap<(String, String, String), Value>,
    node_classes: BTreeMap<String, crate::kubelet::KubeletConfig>,
    base_types: Arc<Vec<InstanceType>>,
    base_pool_types: BTreeMap<String, Arc<Vec<InstanceType>>>,
    /// Karpenter's unavailable-offerings cache: (type, zone, capacity type) → until.
    ice: BTreeMap<(String, String, String), Seconds>,
    /// What is really available (from `offering` events), latest rule first to match wins.
    world: Vec<OfferingRule>,

    workloads: BTreeMap<(String, String, String), Workload>,
    pods: BTreeMap<String, PodState>,
    pending: BTreeMap<String, Pod>,
    nodes_meta: BTreeMap<String, NodeMeta>,
    name_counters: BTreeMap<String, u64>,
    nominated_until: BTreeMap<String, Seconds>,
    csv_batches: Vec<Vec<crate::trace::CsvPod>>,

    batch: Option<Batch>,
    kube_scheduled: bool,
    kube_all: bool,
    kube_new: BTreeSet<String>,
    /// When the next requeue is, if one is scheduled.
    requeue_at: Option<Seconds>,
    /// The state version after the last provisioning pass: a pass over the same state would
    /// decide the same, so it is skipped.
    last_pass_version: Option<u64>,

    validating: Option<(Command, Seconds)>,
    running: BTreeMap<u64, Running>,
    next_command: u64,
    /// The state version and the time until which a disruption pass would find nothing new.
    disrupt_idle: Option<(u64, Seconds)>,
    drain_scheduled: BTreeSet<String>,
    /// Where disruption commands planned the pods of their candidates: pod → replacement node.
    planned: BTreeMap<String, String>,

    /// Bumped at every change a disruption pass could see.
    version: u64,
    /// Whether the timeline may have changed since the last sample.
    dirty: bool,
    /// Whether the nodes (and so the cost rate) changed.
    rates_dirty: bool,
    rec: Recorder,
    warnings: Vec<String>,
    created_pods: u64,
    deleted_pods: u64,
}

impl Simulation {
    fn new(mut trace: Trace) -> Self {
        let end = trace.end();
        let mut settings = Settings::default();
        settings.explain = false;
        let epoch = trace.settings.start;
        let warnings = std::mem::take(&mut trace.warnings);
        Simulation {
            end,
            epoch,
            settings,
            engine: Engine::new(),
            cluster: Cluster::default(),
            defs: BTreeMap::new(),
            node_classes: BTreeMap::new(),
            base_types: Arc::new(vec![]),
            base_pool_types: BTreeMap::new(),
            ice: BTreeMap::new(),
            world: vec![],
            workloads: BTreeMap::new(),
            pods: BTreeMap::new(),
            pending: BTreeMap::new(),
            nodes_meta: BTreeMap::new(),
            name_counters: BTreeMap::new(),
            nominated_until: BTreeMap::new(),
            csv_batches: vec![],
            batch: None,
            kube_scheduled: false,
            kube_all: false,
            kube_new: BTreeSet::new(),
            requeue_at: None,
            last_pass_version: None,
            validating: None,
            running: BTreeMap::new(),
            next_command: 0,
            disrupt_idle: None,
            drain_scheduled: BTreeSet::new(),
            planned: BTreeMap::new(),
            version: 0,
            dirty: true,
            rates_dirty: true,
            rec: Recorder::default(),
            warnings,
            created_pods: 0,
            deleted_pods: 0,
            trace,
        }
    }

    fn run(&mut self, progress: &mut dyn FnMut(Seconds, Seconds)) -> Result<(), TraceError> {
        for (i, e) in self.trace.events.iter().enumerate() {
            if e.at <= self.end {
                self.engine.schedule(e.at, Ev::Trace(i));
            }
        }
        if !self.trace.events.iter().any(|e| matches!(e.action, Action::End)) {
            self.engine.schedule(self.end, Ev::End);
        }
        self.engine.schedule(0, Ev::DisruptionPoll);
        let mut steps: u64 = 0;
        while let Some((t, ev)) = self.engine.pop() {
            self.rec.advance(t);
            if matches!(ev, Ev::End) || t > self.end {
                break;
            }
            self.handle(t, ev)?;
            if self.rates_dirty {
                self.rates_dirty = false;
                self.rec.set_rates(&self.cluster, &self.nodes_meta);
            }
            if self.engine.peek_time() != Some(t) && self.dirty {
                self.dirty = false;
                self.rec.sample(t, &self.cluster, &self.nodes_meta, self.pending.len());
                #[cfg(debug_assertions)]
                if let Err(e) = self.check_invariants() {
                    panic!("simulation invariant broken at t={t}: {e}");
                }
            }
            steps += 1;
            if steps.is_multiple_of(512) {
                progress(t, self.end);
            }
        }
        self.rec.advance(self.end);
        progress(self.end, self.end);
        Ok(())
    }

    fn handle(&mut self, t: Seconds, ev: Ev) -> Result<(), TraceError> {
        match ev {
            Ev::Trace(i) => self.trace_event(t, i)?,
            Ev::PodArrive(b, r) => self.csv_arrive(t, b, r),
            Ev::PodDepart(key) => self.delete_pod(&key, t, false),
            Ev::KubeSchedule => self.kube_step(t),
            Ev::BatchCheck => self.batch_check(t),
            Ev::Requeue => {
                self.requeue_at = None;
                if self.wants_provisioning() {
                    self.trigger_batch(t);
                }
            }
            Ev::NodeReady(name) => self.node_ready(&name, t),
            Ev::DisruptionPoll => self.disruption_poll(t),
            Ev::Validate => self.validate(t),
            Ev::DrainStep(name) => self.drain_step(&name, t),
            Ev::SpotInterrupt(name) => {
                if self.node_index(&name).is_some() {
                    self.remove_node(&name, t, "Interrupted");
                }
            }
            Ev::End => {}
        }
        Ok(())
    }

    fn trace_event(&mut self, t: Seconds, i: usize) -> Result<(), TraceError> {
        let index = self.trace.events[i].index;
        let file = self.trace.file.clone();
        let err = |e: String| TraceError { file: file.clone(), event: index, message: e };
        // CSV pods are moved out rather than copied.
        let action = match &mut self.trace.events[i].action {
            Action::Apply(crate::trace::Apply::PodsCsv(csv)) => {
                let pods = std::mem::take(&mut csv.pods);
                if csv.dropped > 0 {
                    self.warnings
                        .push(format!("{}: {} pods asking for a GPU left out (gpu: drop)", csv.file, csv.dropped));
                }
                let b = self.csv_batches.len();
                for (r, p) in pods.iter().enumerate() {
                    self.engine.schedule(t.saturating_add(p.arrival), Ev::PodArrive(b, r));
                }
                self.csv_batches.push(pods);
                return Ok(());
            }
            a => a.clone(),
        };
        match action {
            Action::Apply(crate::trace::Apply::Documents { origin, documents }) => {
                self.apply_documents(&origin, documents, t).map_err(err)?;
            }
            Action::Apply(crate::trace::Apply::PodsCsv(_)) => {}
            Action::Scale { target, replicas } => {
                let key = (target.kind.clone(), target.namespace.clone(), target.name.clone());
                if self.workloads.contains_key(&key) {
                    self.scale_workload(&key, replicas, t).map_err(err)?;
                } else {
                    self.warn_event(
                        index,
                        format!("scale: no {} {}/{} to scale", target.kind, target.namespace, target.name),
                    );
                }
            }
            Action::Delete(refs) => {
                for r in refs {
                    if !self.delete_object(&r, t).map_err(err)? {
                        self.warn_event(index, format!("delete: no {} {}/{}", r.kind, r.namespace, r.name));
                    }
                }
            }
            Action::Interrupt { node } => {
                if self.node_index(&node).is_some() {
                    self.remove_node(&node, t, "Interrupted");
                } else {
                    self.warn_event(index, format!("interrupt: no node {node} at {t}s"));
                }
            }
            Action::Drain { node, selector } => {
                let names: Vec<String> = self
                    .cluster
                    .nodes
                    .iter()
                    .filter(|n| node.as_deref().is_none_or(|x| x == n.name))
                    .filter(|n| selector.iter().all(|(k, v)| n.labels.get(k) == Some(v)))
                    .map(|n| n.name.clone())
                    .collect();
                if names.is_empty() {
                    self.warn_event(index, format!("drain: no node matches at {t}s"));
                }
                for n in names {
                    self.cordon_and_drain(&n, t);
                }
            }
            Action::Offering { instance_type, zone, capacity_type, available } => {
                self.world.push(OfferingRule { instance_type, zone, capacity_type, available });
                self.version += 1;
            }
            Action::End => {}
        }
        Ok(())
    }

    fn warn_event(&mut self, index: Option<usize>, message: String) {
        let at = match index {
            Some(i) => format!("spec.events[{i}]"),
            None => "objects beside the Trace".into(),
        };
        self.warnings.push(format!("{}: {at}: {message}", self.trace.file));
    }

    fn csv_arrive(&mut self, t: Seconds, b: usize, r: usize) {
        let Some(p) = self.csv_batches.get(b).and_then(|v| v.get(r)) else { return };
        let mut pod = p.pod.clone();
        let departure = p.departure.map(|d| d - p.arrival);
        pod.created = self.epoch + t;
        let key = pod.key();
        if self.pods.contains_key(&key) {
            self.warnings.push(format!("pod {key} arrived while a pod of that name exists; the new one is ignored"));
            return;
        }
        self.add_pod(pod, None, t);
        if let Some(life) = departure {
            self.engine.schedule(t.saturating_add(life), Ev::PodDepart(key));
        }
    }

    fn node_index(&self, name: &str) -> Option<usize> {
        self.cluster.nodes.iter().position(|n| n.name == name)
    }

    /// Every pod is bound, pending or deleted; nothing is counted twice.
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    fn check_invariants(&self) -> Result<(), String> {
        let mut bound = 0usize;
        for n in &self.cluster.nodes {
            for p in n.pods.iter().filter(|p| !p.is_daemon()) {
                bound += 1;
                let key = p.key();
                let st = self.pods.get(&key).ok_or_else(|| format!("pod {key} on {} is not known", n.name))?;
                if st.node.as_deref() != Some(n.name.as_str()) {
                    return Err(format!("pod {key} is on {} but recorded on {:?}", n.name, st.node));
                }
                if self.pending.contains_key(&key) {
                    return Err(format!("pod {key} is both bound and pending"));
                }
            }
        }
        for (key, p) in &self.pending {
            let st = self.pods.get(key).ok_or_else(|| format!("pending pod {key} is not known"))?;
            if st.node.is_some() || st.pending_since.is_none() || p.node_name.is_some() {
                return Err(format!("pending pod {key} looks bound"));
            }
        }
        if bound + self.pending.len() != self.pods.len() {
            return Err(format!("{} pods known, {bound} bound and {} pending", self.pods.len(), self.pending.len()));
        }
        if self.created_pods != self.pods.len() as u64 + self.deleted_pods {
            return Err(format!(
                "{} pods created, {} live and {} deleted",
                self.created_pods,
                self.pods.len(),
                self.deleted_pods
            ));
        }
        Ok(())
    }
}

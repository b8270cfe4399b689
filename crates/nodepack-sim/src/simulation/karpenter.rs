//! kube-scheduler's binding, Karpenter's batcher, provisioning, launches, disruption and
//! termination, on the simulated clock.

use std::collections::{BTreeMap, BTreeSet};

use nodepack_core::instance_type::capacity_type_rank;
use nodepack_core::{
    disrupt, label, provision, provision_without, Command, DisruptionOptions, Effect, Labels, Node, NodeClaim, Pod,
    Price, Reason, Taint,
};

use super::{Batch, Ev, NodeMeta, Running, Simulation, DISRUPTED_TAINT, EVICTION_RETRY, UNAVAILABLE_OFFERING_TTL};
use crate::engine::{stable_hash, Seconds, SplitMix64};
use crate::output::DecisionRecord;

impl Simulation {
    // ---------------------------------------------------------------- pods

    /// A pod becomes pending: kube-scheduler will try it.
    pub(super) fn make_pending(&mut self, mut pod: Pod, t: Seconds) {
        let key = pod.key();
        pod.node_name = None;
        if let Some(st) = self.pods.get_mut(&key) {
            st.node = None;
            st.nominated = None;
            st.pending_since = Some(t);
        }
        self.pending.insert(key.clone(), pod);
        self.kube_new.insert(key);
        self.schedule_kube(t);
        self.version += 1;
        self.dirty = true;
    }

    pub(super) fn schedule_kube(&mut self, t: Seconds) {
        if !self.kube_scheduled {
            self.kube_scheduled = true;
            self.engine.schedule(t, Ev::KubeSchedule);
        }
    }

    /// Binds a pending pod to a node.
    fn bind(&mut self, key: &str, node: &str, t: Seconds) -> bool {
        let Some(i) = self.node_index(node) else { return false };
        let Some(mut pod) = self.pending.remove(key) else { return false };
        pod.node_name = Some(node.to_string());
        let n = &mut self.cluster.nodes[i];
        n.pods.push(pod);
        n.last_pod_event = Some(self.epoch + t);
        if let Some(st) = self.pods.get_mut(key) {
            if let Some(since) = st.pending_since.take() {
                self.rec.pending_samples.push(t - since);
            }
            if !st.ever_bound {
                st.ever_bound = true;
                self.rec.pods_scheduled += 1;
            }
            st.node = Some(node.to_string());
            st.nominated = None;
        }
        self.version += 1;
        self.dirty = true;
        true
    }

    /// Takes a bound pod off its node (the caller decides what becomes of it).
    pub(super) fn unbind(&mut self, key: &str, t: Seconds) -> Option<Pod> {
        let node = self.pods.get(key)?.node.clone()?;
        let i = self.node_index(&node)?;
        let n = &mut self.cluster.nodes[i];
        let pos = n.pods.iter().position(|p| !p.is_daemon() && p.key() == key)?;
        let mut pod = n.pods.swap_remove(pos);
        n.last_pod_event = Some(self.epoch + t);
        pod.node_name = None;
        if let Some(st) = self.pods.get_mut(key) {
            st.node = None;
        }
        self.version += 1;
        self.dirty = true;
        Some(pod)
    }

    /// Evicts a bound pod: its controller makes it again at once, pending. A pod a disruption
    /// command planned onto one of its replacements goes there when it fits (kube-scheduler's
    /// least-allocated scoring favours the new, empty node).
    fn evict(&mut self, key: &str, t: Seconds) {
        if let Some(p) = self.unbind(key, t) {
            self.make_pending(p, t);
            if let Some(target) = self.planned.remove(key) {
                self.try_bind(key, &target, t);
            }
        }
    }

    /// Binds a pending pod to a Ready node if the node tolerates it and has room.
    fn try_bind(&mut self, key: &str, node: &str, t: Seconds) -> bool {
        let Some(i) = self.node_index(node) else { return false };
        let n = &self.cluster.nodes[i];
        let Some(pod) = self.pending.get(key) else { return false };
        let tolerated = n
            .effective_taints()
            .iter()
            .filter(|t| t.effect != Effect::PreferNoSchedule)
            .all(|t| pod.tolerations.iter().any(|tol| tol.tolerates(t)));
        let selects = pod.strict_requirements().matches_labels(&n.labels);
        if n.initialized && !n.deleting && tolerated && selects && pod.scheduling_requests().fits(&n.available()) {
            self.bind(key, node, t)
        } else {
            false
        }
    }

    // ---------------------------------------------------------------- kube-scheduler

    /// kube-scheduler: binds pending pods to Ready nodes that take them. Newly pending pods it
    /// cannot bind trigger Karpenter's batcher.
    pub(super) fn kube_step(&mut self, t: Seconds) {
        self.kube_scheduled = false;
        let all = std::mem::take(&mut self.kube_all);
        let new = std::mem::take(&mut self.kube_new);
        let keys: Vec<String> = if all {
            self.pending.keys().cloned().collect()
        } else {
            new.iter().filter(|k| self.pending.contains_key(*k)).cloned().collect()
        };
        if keys.is_empty() {
            return;
        }
        let mut placements = vec![];
        if self.cluster.nodes.iter().any(|n| n.initialized && !n.deleting) {
            let pods: Vec<Pod> = keys.iter().filter_map(|k| self.pending.get(k).cloned()).collect();
            let removed: BTreeSet<&str> =
                self.cluster.nodes.iter().filter(|n| !n.initialized).map(|n| n.name.as_str()).collect();
            let pools = std::mem::take(&mut self.cluster.node_pools);
            let schedule = provision_without(&self.cluster, &removed, &pods, &self.settings);
            self.cluster.node_pools = pools;
            placements = schedule.existing_nodes;
        }
        for p in placements {
            for pod in p.pods {
                self.bind(&pod, &p.name, t);
            }
        }
        if new.iter().any(|k| self.pending.contains_key(k)) {
            self.trigger_batch(t);
        }
    }

    // ---------------------------------------------------------------- provisioning

    /// A pod is pending: open the batch window or reset its idle timer.
    pub(super) fn trigger_batch(&mut self, t: Seconds) {
        let s = &self.trace.settings;
        let (idle, max) = (s.batch_idle, s.batch_max);
        let batch = match self.batch {
            None => Batch { start: t, last: t },
            Some(b) => Batch { start: b.start, last: t },
        };
        self.batch = Some(batch);
        let close = (batch.last + idle).min(batch.start + max);
        self.engine.schedule(close, Ev::BatchCheck);
    }

    pub(super) fn batch_check(&mut self, t: Seconds) {
        let Some(b) = self.batch else { return };
        let s = &self.trace.settings;
        if t < (b.last + s.batch_idle).min(b.start + s.batch_max) {
            return;
        }
        self.batch = None;
        self.provision_pass(t);
    }

    /// Forgets offerings whose time in the unavailable-offerings cache is over.
    fn expire_ice(&mut self, t: Seconds) {
        let before = self.ice.len();
        self.ice.retain(|_, until| *until > t);
        if self.ice.len() != before {
            self.refresh_catalog();
        }
    }

    /// Whether Karpenter's trigger controllers keep triggering: a pod is pending, or a node is
    /// being disrupted with pods on it.
    pub(super) fn wants_provisioning(&self) -> bool {
        !self.pending.is_empty()
            || self.cluster.nodes.iter().any(|n| n.deleting && n.pods.iter().any(|p| !p.is_daemon()))
    }

    /// Keeps a requeue 10 seconds ahead while Karpenter would keep triggering.
    fn schedule_requeue(&mut self, t: Seconds) {
        if self.requeue_at.is_none() && self.wants_provisioning() {
            self.requeue_at = Some(t + super::TRIGGER_REQUEUE);
            self.engine.schedule(t + super::TRIGGER_REQUEUE, Ev::Requeue);
        }
    }

    /// One provisioning pass over the pending pods and the pods of deleting nodes (skipped when
    /// nothing changed since the last one, which would decide the same).
    fn provision_pass(&mut self, t: Seconds) {
        self.expire_ice(t);
        self.schedule_requeue(t);
        if self.last_pass_version == Some(self.version) {
            return;
        }
        let before = self.version;
        let mut pods: Vec<Pod> = self.pending.values().cloned().collect();
        for n in self.cluster.nodes.iter().filter(|n| n.deleting) {
            pods.extend(n.pods.iter().filter(|p| !p.is_daemon()).cloned());
        }
        if pods.is_empty() || self.cluster.node_pools.is_empty() && self.pending.is_empty() {
            return;
        }
        let none = BTreeSet::new();
        let schedule = provision_without(&self.cluster, &none, &pods, &self.settings);
        let window = (2 * self.trace.settings.batch_max).max(10);
        for placement in &schedule.existing_nodes {
            let Some(i) = self.node_index(&placement.name) else { continue };
            let ready = self.cluster.nodes[i].initialized && !self.cluster.nodes[i].deleting;
            for key in &placement.pods {
                if !self.pending.contains_key(key) {
                    continue;
                }
                if ready {
                    self.bind(key, &placement.name, t);
                } else if let Some(st) = self.pods.get_mut(key) {
                    st.nominated = Some(placement.name.clone());
                }
            }
            self.nominated_until.insert(placement.name.clone(), t + window);
        }
        for claim in schedule.node_claims {
            let pods = claim.pods.clone();
            if let Some(name) = self.launch(claim, t, "Provisioning") {
                for key in pods {
                    if let Some(st) = self.pods.get_mut(&key).filter(|_| self.pending.contains_key(&key)) {
                        st.nominated = Some(name.clone());
                    }
                }
                self.nominated_until.insert(name, t + window);
            }
        }
        // A pass that changed nothing would decide the same next time, until something changes.
        self.last_pass_version = (self.version == before).then_some(before);
    }

    /// Whether an offering can really be launched now (the trace's `offering` events).
    fn world_available(&self, it: &str, zone: &str, ct: &str) -> bool {
        for r in self.world.iter().rev() {
            if r.instance_type == it
                && r.zone.as_deref().is_none_or(|z| z == zone)
                && r.capacity_type.as_deref().is_none_or(|c| c == ct)
            {
                return r.available;
            }
        }
        true
    }

    /// Launches a node claim; returns the node's name, or `None` when no offering had capacity.
    pub(super) fn launch(&mut self, mut claim: NodeClaim, t: Seconds, reason: &str) -> Option<String> {
        let pool_name = claim.node_pool.clone();
        let pool = self.cluster.node_pool(&pool_name).cloned()?;
        let mut unavailable = vec![];
        let mut chosen: Option<(String, String, String, Price)> = None;
        if !claim.instance_type.is_empty()
            && self.world_available(&claim.instance_type, &claim.zone, &claim.capacity_type)
        {
            chosen = Some((claim.instance_type.clone(), claim.zone.clone(), claim.capacity_type.clone(), claim.price));
        } else {
            // The provider's order: capacity type (reserved, spot, on-demand), then price, then
            // the claim's option order, then zone. Offerings out of capacity go to the cache.
            let types = self.cluster.instance_types_for(&pool_name);
            let mut options = vec![];
            for (pos, name) in claim.instance_type_options.iter().enumerate() {
                let Some(it) = types.iter().find(|x| *x.name == **name) else { continue };
                for o in &it.offerings {
                    if o.available && o.compatible_with(&claim.requirements) {
                        options.push((
                            capacity_type_rank(&o.capacity_type),
                            o.price,
                            pos,
                            o.zone.clone(),
                            o.capacity_type.clone(),
                            name.to_string(),
                        ));
                    }
                }
            }
            options.sort();
            for (_, price, _, zone, ct, name) in options {
                if self.world_available(&name, &zone, &ct) {
                    chosen = Some((name, zone, ct, price));
                    break;
                }
                unavailable.push((name, zone, ct));
            }
        }
        if !unavailable.is_empty() {
            for (a, b, c) in &unavailable {
                self.ice.insert((a.clone(), b.clone(), c.clone()), t + UNAVAILABLE_OFFERING_TTL);
            }
            self.refresh_catalog();
        }
        let unavailable_text: Vec<String> = unavailable.iter().map(|(a, b, c)| format!("{a}/{b}/{c}")).collect();
        let Some((type_name, zone, ct, price)) = chosen else {
            self.rec.launch_failures += 1;
            self.rec.decision(DecisionRecord {
                t,
                kind: "launchFailed",
                reason: "InsufficientCapacity".into(),
                node_pool: Some(pool_name),
                pods: claim.pods.clone(),
                unavailable_offerings: unavailable_text,
                ..Default::default()
            });
            for key in &claim.pods {
                if self.pending.contains_key(key) {
                    self.kube_new.insert(key.clone());
                }
            }
            self.trigger_batch(t);
            return None;
        };
        let types = self.cluster.instance_types_for(&pool_name);
        let it = types.iter().find(|x| x.name == type_name).cloned()?;
        if type_name != claim.instance_type || zone != claim.zone || ct != claim.capacity_type {
            let mut labels: Labels = pool.labels.clone();
            for (k, v) in claim.requirements.single_value_labels() {
                if k != label::HOSTNAME {
                    labels.insert(k, v);
                }
            }
            for (k, v) in it.requirements.single_value_labels() {
                labels.entry(k).or_insert(v);
            }
            labels.insert(label::INSTANCE_TYPE.into(), type_name.clone());
            labels.insert(label::ZONE.into(), zone.clone());
            labels.insert(label::CAPACITY_TYPE.into(), ct.clone());
            labels.insert(label::NODE_POOL.into(), pool_name.clone());
            claim.labels = labels;
            claim.instance_type = type_name.clone();
            claim.zone = zone.clone();
            claim.capacity_type = ct.clone();
            claim.price = price;
        }
        let counter = self.name_counters.entry(pool_name.clone()).or_insert(0);
        let mut name = format!("{pool_name}-{counter}");
        *counter += 1;
        while self.node_index(&name).is_some() || self.nodes_meta.contains_key(&name) {
            let counter = self.name_counters.entry(pool_name.clone()).or_insert(0);
            name = format!("{pool_name}-{counter}");
            *counter += 1;
        }
        claim.name = name.clone();
        let mut labels = claim.labels.clone();
        // The node carries every label its instance type pins (the provider's labels such as
        // karpenter.k8s.aws/instance-family included), as Karpenter's nodes do.
        for r in it.requirements.iter() {
            if r.operator() == nodepack_core::Operator::In && r.values().len() == 1 {
                if let Some(v) = r.values().iter().next() {
                    if ![label::ZONE, label::CAPACITY_TYPE, label::HOSTNAME].contains(&r.key()) {
                        labels.entry(r.key().to_string()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        labels.insert(label::HOSTNAME.into(), name.clone());
        let mut taints = claim.taints.clone();
        for s in &pool.startup_taints {
            if !taints.contains(s) {
                taints.push(s.clone());
            }
        }
        let node = Node {
            name: name.clone(),
            labels,
            created: self.epoch + t,
            taints,
            capacity: it.capacity.clone(),
            allocatable: it.allocatable().clone(),
            ..Default::default()
        };
        self.cluster.nodes.push(node);
        self.nodes_meta.insert(
            name.clone(),
            NodeMeta { price, launched_at: t, startup_taints: pool.startup_taints.clone(), deletion: None },
        );
        self.engine.schedule(t + self.trace.settings.node_startup_latency, Ev::NodeReady(name.clone()));
        if ct == label::SPOT && self.trace.settings.spot_interruption_ppm > 0 {
            self.draw_spot_interruption(&name, t);
        }
        self.rec.nodes_launched += 1;
        claim.pods.sort();
        self.rec.decision(DecisionRecord {
            t,
            kind: "launch",
            reason: reason.to_string(),
            node_claim: Some(claim),
            unavailable_offerings: unavailable_text,
            ..Default::default()
        });
        self.version += 1;
        self.dirty = true;
        self.rates_dirty = true;
        Some(name)
    }

    /// Whether and when a spot node is interrupted: one draw per hour of its life at the
    /// trace's rate, from the seed and the node's name.
    fn draw_spot_interruption(&mut self, name: &str, t: Seconds) {
        let ppm = self.trace.settings.spot_interruption_ppm;
        let mut rng = SplitMix64::new(self.trace.settings.seed ^ stable_hash(name));
        let mut hour = t;
        while hour < self.end {
            if rng.below(1_000_000) < ppm {
                let at = hour + rng.below(3600) as Seconds;
                self.engine.schedule(at.max(t + 1), Ev::SpotInterrupt(name.to_string()));
                return;
            }
            hour += 3600;
        }
    }

    /// A launched node is Ready: startup taints go, it is initialized, its DaemonSet pods and
    /// the pods nominated to it are bound.
    pub(super) fn node_ready(&mut self, name: &str, t: Seconds) {
        let Some(i) = self.node_index(name) else { return };
        if self.cluster.nodes[i].initialized {
            return;
        }
        let startup = self.nodes_meta.get(name).map(|m| m.startup_taints.clone()).unwrap_or_default();
        {
            let n = &mut self.cluster.nodes[i];
            n.taints.retain(|t| !startup.contains(t));
            n.labels.insert(label::INITIALIZED.into(), "true".into());
            n.initialized = true;
            n.initialized_at = Some(self.epoch + t);
        }
        self.sync_daemons(i);
        let nominated: Vec<String> = self
            .pods
            .iter()
            .filter(|(k, st)| st.nominated.as_deref() == Some(name) && self.pending.contains_key(*k))
            .map(|(k, _)| k.clone())
            .collect();
        for key in nominated {
            if !self.try_bind(&key, name, t) {
                if let Some(st) = self.pods.get_mut(&key) {
                    st.nominated = None;
                }
            }
        }
        self.kube_all = true;
        self.schedule_kube(t);
        // Commands waiting for this replacement.
        let done: Vec<u64> = self
            .running
            .iter_mut()
            .filter_map(|(id, r)| {
                r.waiting.remove(name);
                r.waiting.is_empty().then_some(*id)
            })
            .collect();
        for id in done {
            if let Some(r) = self.running.remove(&id) {
                for c in r.candidates {
                    self.start_drain(&c, t);
                }
            }
        }
        self.version += 1;
        self.dirty = true;
    }

    // ---------------------------------------------------------------- disruption

    fn disruption_options(&mut self, t: Seconds) -> DisruptionOptions {
        for n in &mut self.cluster.nodes {
            n.nominated = self.nominated_until.get(&n.name).is_some_and(|u| *u > t);
        }
        self.nominated_until.retain(|_, u| *u > t);
        DisruptionOptions::default()
            .with_spot_to_spot(self.trace.settings.spot_to_spot)
            .with_provisioning(self.settings.clone())
            .with_pending(self.pending.values().cloned().collect())
    }

    /// The next time a pass over an unchanged cluster could find something new: a node
    /// reaching its `consolidateAfter` or `expireAfter`, a nomination ending; `t` (no waiting)
    /// when a budget has a schedule or a pod a timed `do-not-disrupt`.
    fn disruption_wake(&self, t: Seconds) -> Seconds {
        let mut wake = Seconds::MAX;
        let mut consider = |at: Seconds| {
            if at > t {
                wake = wake.min(at);
            }
        };
        for pool in &self.cluster.node_pools {
            if pool.disruption.budgets.iter().any(|b| b.schedule.is_some()) {
                return t;
            }
        }
        for n in &self.cluster.nodes {
            let Some(pool) = n.node_pool().and_then(|p| self.cluster.node_pool(p)) else { continue };
            if n.deleting {
                continue;
            }
            if let Some(e) = pool.expire_after {
                consider(n.created.saturating_add(e.0) - self.epoch);
            }
            if let Some(ca) = pool.disruption.consolidate_after {
                // The node's last pod event as the disruption pass reads it.
                let base = n.last_pod_event.unwrap_or_else(|| {
                    let init = n.initialized_at.unwrap_or(n.created);
                    n.pods.iter().filter(|p| !p.is_daemon()).map(|p| p.created).fold(init, i64::max)
                });
                consider(base.saturating_add(ca.0) - self.epoch);
            }
            for p in &n.pods {
                if p.do_not_disrupt_annotation().is_some_and(|v| v != "true" && v != "false") {
                    return t;
                }
            }
        }
        for u in self.nominated_until.values() {
            consider(*u);
        }
        wake
    }

    pub(super) fn disruption_poll(&mut self, t: Seconds) {
        let next = t + self.trace.settings.disruption_poll_interval;
        if self.validating.is_some() {
            return;
        }
        let managed = self.cluster.nodes.iter().any(|n| n.node_pool().is_some() && n.initialized && !n.deleting);
        let idle = self.disrupt_idle.is_some_and(|(v, wake)| v == self.version && t < wake);
        if !managed || idle {
            self.engine.schedule(next, Ev::DisruptionPoll);
            return;
        }
        let options = self.disruption_options(t);
        let plan = disrupt(&self.cluster, self.epoch + t, &options);
        let mut found = None;
        for cmd in plan.commands {
            if cmd.reason == Reason::Expired {
                self.execute_expired(cmd, t);
            } else {
                found = Some(cmd);
            }
        }
        match found {
            Some(cmd) => {
                self.disrupt_idle = None;
                self.validating = Some((cmd, t));
                self.engine.schedule(t + self.trace.settings.consolidation_validation_delay, Ev::Validate);
            }
            None => {
                self.disrupt_idle = Some((self.version, self.disruption_wake(t)));
                self.engine.schedule(next, Ev::DisruptionPoll);
            }
        }
    }

    fn execute_expired(&mut self, cmd: Command, t: Seconds) {
        self.rec.decision(DecisionRecord {
            t,
            kind: "disruption",
            reason: cmd.reason.as_str().into(),
            decision: Some(cmd.decision.as_str()),
            candidates: cmd.candidates.clone(),
            savings_per_hour: Some(cmd.savings),
            ..Default::default()
        });
        for c in &cmd.candidates {
            self.delete_gracefully(c, t, "Expired");
        }
    }

    /// Karpenter's validation: the command must still be what a pass decides.
    pub(super) fn validate(&mut self, t: Seconds) {
        let Some((cmd, _)) = self.validating.take() else { return };
        let options = self.disruption_options(t);
        let plan = disrupt(&self.cluster, self.epoch + t, &options);
        let mut again = None;
        for c in plan.commands {
            if c.reason == Reason::Expired {
                self.execute_expired(c, t);
            } else {
                again = Some(c);
            }
        }
        let candidates = cmd.candidates.clone();
        let decision = cmd.decision.as_str();
        let verdict: Result<Command, String> = match (cmd.reason, again) {
            (Reason::Empty, Some(now)) if now.reason == Reason::Empty => {
                let still: BTreeSet<&String> = now.candidates.iter().collect();
                let kept: Vec<String> = cmd.candidates.iter().filter(|c| still.contains(c)).cloned().collect();
                if kept.is_empty() {
                    Err("the candidates are no longer empty".into())
                } else {
                    let savings = kept.iter().filter_map(|c| self.nodes_meta.get(c)).map(|m| m.price).sum();
                    Ok(Command { candidates: kept, savings, ..cmd })
                }
            }
            (Reason::Empty, _) => Err("the candidates are no longer empty".into()),
            (_, None) => Err("a new pass finds nothing to disrupt".into()),
            (_, Some(now)) => {
                let a: BTreeSet<&String> = cmd.candidates.iter().collect();
                let b: BTreeSet<&String> = now.candidates.iter().collect();
                if now.reason != cmd.reason || a != b {
                    Err(format!("a new pass chooses otherwise ({now})"))
                } else if now.replacements.len() != cmd.replacements.len() {
                    Err("the replacements changed".into())
                } else if cmd.replacements.iter().zip(&now.replacements).any(|(x, y)| {
                    let ys: BTreeSet<&std::sync::Arc<str>> = y.instance_type_options.iter().collect();
                    !x.instance_type_options.iter().all(|o| ys.contains(o))
                }) {
                    Err("the replacement's instance types changed".into())
                } else {
                    Ok(cmd)
                }
            }
        };
        match verdict {
            Ok(cmd) => {
                self.start_command(cmd, t);
                self.engine.schedule(t, Ev::DisruptionPoll);
            }
            Err(why) => {
                self.rec.decision(DecisionRecord {
                    t,
                    kind: "disruptionCancelled",
                    reason: why,
                    candidates,
                    decision: Some(decision),
                    ..Default::default()
                });
                self.engine.schedule(t + self.trace.settings.disruption_poll_interval, Ev::DisruptionPoll);
            }
        }
    }

    /// Taints and marks the candidates, launches the replacements; the candidates drain once
    /// the replacements are Ready (at once when there are none).
    fn start_command(&mut self, cmd: Command, t: Seconds) {
        let reason = cmd.reason.as_str().to_string();
        let decision_index = self.rec.decisions.len();
        self.rec.decision(DecisionRecord {
            t,
            kind: "disruption",
            reason: reason.clone(),
            decision: Some(cmd.decision.as_str()),
            candidates: cmd.candidates.clone(),
            savings_per_hour: Some(cmd.savings),
            ..Default::default()
        });
        for c in &cmd.candidates {
            self.mark_for_deletion(c, &reason);
        }
        let mut launched = vec![];
        let mut failed = false;
        for claim in cmd.replacements {
            let pods = claim.pods.clone();
            match self.launch(claim, t, &reason) {
                Some(name) => {
                    for p in pods {
                        self.planned.insert(p, name.clone());
                    }
                    launched.push(name)
                }
                None => {
                    failed = true;
                    break;
                }
            }
        }
        if let Some(d) = self.rec.decisions.get_mut(decision_index) {
            d.replacements = launched.clone();
        }
        if failed {
            for c in &cmd.candidates {
                self.unmark_for_deletion(c);
            }
            self.rec.decision(DecisionRecord {
                t,
                kind: "disruptionCancelled",
                reason: "a replacement could not be launched".into(),
                candidates: cmd.candidates,
                ..Default::default()
            });
            return;
        }
        if launched.is_empty() {
            for c in &cmd.candidates {
                self.start_drain(c, t);
            }
        } else {
            let id = self.next_command;
            self.next_command += 1;
            self.running
                .insert(id, Running { reason, candidates: cmd.candidates, waiting: launched.into_iter().collect() });
        }
    }

    fn mark_for_deletion(&mut self, name: &str, reason: &str) {
        let Some(i) = self.node_index(name) else { return };
        let n = &mut self.cluster.nodes[i];
        n.deleting = true;
        let taint = Taint::new(DISRUPTED_TAINT, "", Effect::NoSchedule);
        if !n.taints.contains(&taint) {
            n.taints.push(taint);
        }
        if let Some(m) = self.nodes_meta.get_mut(name) {
            m.deletion = Some(reason.to_string());
        }
        self.version += 1;
    }

    fn unmark_for_deletion(&mut self, name: &str) {
        let Some(i) = self.node_index(name) else { return };
        let n = &mut self.cluster.nodes[i];
        n.deleting = false;
        n.taints.retain(|t| t.key != DISRUPTED_TAINT);
        if let Some(m) = self.nodes_meta.get_mut(name) {
            m.deletion = None;
        }
        self.version += 1;
    }

    // ---------------------------------------------------------------- termination

    /// Deletes a node the way Karpenter's termination does: taint, evict (PDBs permitting),
    /// then the instance goes.
    pub(super) fn delete_gracefully(&mut self, name: &str, t: Seconds, reason: &str) {
        if self.nodes_meta.get(name).is_some_and(|m| m.deletion.is_some()) {
            // Already on its way out: a command waiting for replacements no longer waits for it.
            for r in self.running.values_mut() {
                r.candidates.retain(|c| c != name);
            }
            self.start_drain(name, t);
            return;
        }
        self.mark_for_deletion(name, reason);
        self.start_drain(name, t);
    }

    /// `kubectl drain`: cordon, then evict.
    pub(super) fn cordon_and_drain(&mut self, name: &str, t: Seconds) {
        if let Some(i) = self.node_index(name) {
            self.cluster.nodes[i].unschedulable = true;
            self.version += 1;
            self.dirty = true;
        }
        self.start_drain(name, t);
    }

    fn start_drain(&mut self, name: &str, t: Seconds) {
        if self.drain_scheduled.insert(name.to_string()) {
            self.engine.schedule(t, Ev::DrainStep(name.to_string()));
        }
    }

    /// Evicts what the PodDisruptionBudgets allow; a deleted node goes once its pods are gone.
    pub(super) fn drain_step(&mut self, name: &str, t: Seconds) {
        self.drain_scheduled.remove(name);
        let Some(i) = self.node_index(name) else { return };
        let mut keys: Vec<String> =
            self.cluster.nodes[i].pods.iter().filter(|p| !p.is_daemon()).map(Pod::key).collect();
        keys.sort();
        let mut allowed = self.pdb_allowances();
        let mut left = 0usize;
        for key in keys {
            let Some(pod) = self.cluster.nodes[i].pods.iter().find(|p| p.key() == key) else { continue };
            let covering: Vec<usize> = self
                .cluster
                .pdbs
                .iter()
                .enumerate()
                .filter(|(_, b)| b.namespace == pod.namespace && b.selector.matches(&pod.labels))
                .map(|(j, _)| j)
                .collect();
            // Kubernetes refuses to evict a pod under two budgets, and any budget at zero.
            if covering.len() > 1 || covering.iter().any(|j| allowed[*j] <= 0) {
                left += 1;
                continue;
            }
            for j in covering {
                allowed[j] -= 1;
            }
            self.evict(&key, t);
        }
        let deleting = self.nodes_meta.get(name).and_then(|m| m.deletion.clone());
        if left == 0 {
            if let Some(reason) = deleting {
                self.remove_node(name, t, &reason);
            }
        } else {
            self.drain_scheduled.insert(name.to_string());
            self.engine.schedule(t + EVICTION_RETRY, Ev::DrainStep(name.to_string()));
        }
    }

    /// `status.disruptionsAllowed` of every PDB: bound pods are healthy, pending ones expected.
    fn pdb_allowances(&self) -> Vec<i64> {
        self.cluster
            .pdbs
            .iter()
            .map(|b| {
                let selects = |p: &Pod| b.namespace == p.namespace && b.selector.matches(&p.labels);
                let healthy =
                    self.cluster.nodes.iter().flat_map(|n| n.pods.iter()).filter(|p| selects(p)).count() as i64;
                let expected = healthy + self.pending.values().filter(|p| selects(p)).count() as i64;
                if expected == 0 {
                    return 0;
                }
                let desired = if let Some(mu) = b.max_unavailable {
                    (expected - mu.scaled(expected)).max(0)
                } else if let Some(ma) = b.min_available {
                    ma.scaled(expected)
                } else {
                    0
                };
                (healthy - desired).max(0)
            })
            .collect()
    }

    /// A node is gone: its pods are pending again, its cost stops. `reason` says why
    /// (`Interrupted` for a spot interruption).
    pub(super) fn remove_node(&mut self, name: &str, t: Seconds, reason: &str) {
        let Some(i) = self.node_index(name) else { return };
        let node = self.cluster.nodes.remove(i);
        let meta = self.nodes_meta.remove(name);
        let mut evicted = vec![];
        for p in node.pods {
            if p.is_daemon() {
                continue;
            }
            let key = p.key();
            evicted.push(key.clone());
            if let Some(st) = self.pods.get_mut(&key) {
                st.node = None;
            }
            self.make_pending(p, t);
        }
        evicted.sort();
        // Pods waiting for this node wait no more.
        let orphans: Vec<String> =
            self.pods.iter().filter(|(_, st)| st.nominated.as_deref() == Some(name)).map(|(k, _)| k.clone()).collect();
        for k in orphans {
            if let Some(st) = self.pods.get_mut(&k) {
                st.nominated = None;
            }
            if self.pending.contains_key(&k) {
                self.kube_new.insert(k);
            }
        }
        self.nominated_until.remove(name);
        self.drain_scheduled.remove(name);
        self.planned.retain(|_, n| n != name);
        let interrupted = reason == "Interrupted";
        self.rec.disrupted.count(reason);
        self.rec.decision(DecisionRecord {
            t,
            kind: if interrupted { "interruption" } else { "deletion" },
            reason: reason.to_string(),
            node: Some(name.to_string()),
            node_pool: node.labels.get(label::NODE_POOL).cloned(),
            instance_type: node.labels.get(label::INSTANCE_TYPE).cloned(),
            lifetime_seconds: meta.as_ref().map(|m| t - m.launched_at),
            pods: if interrupted { evicted } else { vec![] },
            ..Default::default()
        });
        // A command waiting for this node as a replacement fails: its candidates stay.
        let failed: Vec<u64> =
            self.running.iter().filter(|(_, r)| r.waiting.contains(name)).map(|(id, _)| *id).collect();
        for id in failed {
            if let Some(r) = self.running.remove(&id) {
                for c in &r.candidates {
                    self.unmark_for_deletion(c);
                }
                self.rec.decision(DecisionRecord {
                    t,
                    kind: "disruptionCancelled",
                    reason: format!("replacement {name} went away before it was Ready ({})", r.reason),
                    candidates: r.candidates,
                    ..Default::default()
                });
            }
        }
        self.schedule_kube(t);
        self.trigger_batch(t);
        self.version += 1;
        self.dirty = true;
        self.rates_dirty = true;
    }

    /// Why each pod still pending stays so: one explained provisioning pass.
    pub(super) fn pending_reasons(&self) -> BTreeMap<String, String> {
        let pods: Vec<Pod> = self.pending.values().cloned().collect();
        if pods.is_empty() {
            return BTreeMap::new();
        }
        let settings = nodepack_core::Settings::default();
        let schedule = provision(&self.cluster, &pods, &settings);
        let mut out = BTreeMap::new();
        for u in schedule.unschedulable {
            out.insert(u.pod, u.reason);
        }
        for c in schedule.node_claims {
            for p in c.pods {
                out.insert(p, format!("a new {} node would take it: Karpenter had not launched it yet", c.node_pool));
            }
        }
        for e in schedule.existing_nodes {
            let ready = self.cluster.nodes.iter().any(|n| n.name == e.name && n.initialized);
            for p in e.pods {
                let why = if ready {
                    format!("fits node {}, which kube-scheduler had not bound it to yet", e.name)
                } else {
                    format!("waits for node {}, which was not Ready yet", e.name)
                };
                out.insert(p, why);
            }
        }
        out
    }
}

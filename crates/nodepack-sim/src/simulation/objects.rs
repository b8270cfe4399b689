//! Objects the trace applies, scales and deletes, merged into the simulated cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use nodepack_core::{label, Effect, InstanceType, Node, NodePool, Pod, Price};
use serde_yaml::Value;

use super::{Ev, NodeMeta, PodState, Simulation, Workload};
use crate::engine::Seconds;
use crate::manifest;
use crate::trace::{str_at, ObjectRef};

/// Kinds kept as definitions and loaded together (a NodePool needs its EC2NodeClass, the
/// catalog, and its DaemonSets to be understood).
const DEFINITION_KINDS: [&str; 6] =
    ["NodePool", "EC2NodeClass", "DaemonSet", "PodDisruptionBudget", "InstanceType", "Catalog"];
/// Kinds that make pods.
const WORKLOAD_KINDS: [&str; 4] = ["Deployment", "StatefulSet", "ReplicaSet", "Job"];
/// Kinds that have no namespace.
const CLUSTER_SCOPED: [&str; 6] = ["NodePool", "EC2NodeClass", "InstanceType", "Catalog", "Node", "Namespace"];

fn object_key(doc: &Value) -> (String, String, String) {
    let kind = str_at(doc, &["kind"]).unwrap_or("").to_string();
    let name = str_at(doc, &["metadata", "name"]).unwrap_or("").to_string();
    let namespace = if CLUSTER_SCOPED.contains(&kind.as_str()) {
        String::new()
    } else {
        str_at(doc, &["metadata", "namespace"]).filter(|s| !s.is_empty()).unwrap_or("default").to_string()
    };
    (kind, namespace, name)
}

/// The index at the end of a generated pod's name (`api-12` → 12).
fn replica_index(pod_name: &str, workload: &str) -> Option<u64> {
    pod_name.strip_prefix(workload)?.strip_prefix('-')?.parse().ok()
}

impl Simulation {
    pub(super) fn apply_documents(&mut self, origin: &str, documents: Vec<Value>, t: Seconds) -> Result<(), String> {
        let mut defs_changed = false;
        let mut workloads = vec![];
        let mut others = vec![];
        for d in documents {
            let key = object_key(&d);
            if DEFINITION_KINDS.contains(&key.0.as_str()) {
                self.defs.insert(key, d);
                defs_changed = true;
            } else if WORKLOAD_KINDS.contains(&key.0.as_str()) {
                workloads.push(d);
            } else {
                others.push(d);
            }
        }
        if defs_changed {
            self.rebuild_definitions(origin, t)?;
        }
        for d in workloads {
            self.apply_workload(origin, d, t)?;
        }
        if !others.is_empty() {
            let inputs = manifest::load_values(origin, &others).map_err(|e| e.to_string())?;
            for node in inputs.cluster.nodes {
                self.add_manifest_node(node, t);
            }
            for pod in inputs.pending {
                let key = pod.key();
                if self.pods.contains_key(&key) {
                    self.warnings.push(format!("{origin}: pod {key} already exists; the new one is ignored"));
                    continue;
                }
                self.add_pod(pod, None, t);
            }
        }
        Ok(())
    }

    /// Loads every definition again and puts the result in place: NodePools (marking drift),
    /// the catalog, DaemonSets and PDBs.
    pub(super) fn rebuild_definitions(&mut self, origin: &str, t: Seconds) -> Result<(), String> {
        let docs: Vec<Value> = self.defs.values().cloned().collect();
        let inputs = manifest::load_values(origin, &docs).map_err(|e| e.to_string())?;
        let old_pools = std::mem::replace(&mut self.cluster.node_pools, inputs.cluster.node_pools);
        let old_classes = std::mem::replace(&mut self.node_classes, inputs.node_classes);
        self.base_types = inputs.cluster.instance_types;
        self.base_pool_types = inputs.cluster.pool_instance_types;
        self.cluster.daemon_sets = inputs.cluster.daemon_sets;
        self.cluster.pdbs = inputs.cluster.pdbs;
        self.refresh_catalog();
        self.mark_drift(&old_pools, &old_classes, t);
        // Static nodes applied before their catalog get a price now.
        let names: Vec<String> =
            self.nodes_meta.iter().filter(|(_, m)| m.price == Price(0)).map(|(n, _)| n.clone()).collect();
        for n in names {
            if let Some(i) = self.node_index(&n) {
                let price = self.node_price(&self.cluster.nodes[i]);
                if let Some(m) = self.nodes_meta.get_mut(&n) {
                    m.price = price;
                }
            }
        }
        for i in 0..self.cluster.nodes.len() {
            if self.cluster.nodes[i].initialized {
                self.sync_daemons(i);
            }
        }
        self.version += 1;
        self.dirty = true;
        self.rates_dirty = true;
        if !self.pending.is_empty() {
            self.trigger_batch(t);
        }
        Ok(())
    }

    /// Marks nodes drifted whose NodePool template or EC2NodeClass changed.
    fn mark_drift(
        &mut self,
        old_pools: &[NodePool],
        old_classes: &BTreeMap<String, crate::kubelet::KubeletConfig>,
        t: Seconds,
    ) {
        let now = self.epoch + t;
        let changed_classes: BTreeSet<&String> = old_classes
            .iter()
            .filter(|(k, v)| self.node_classes.get(*k).is_some_and(|n| n != *v))
            .map(|(k, _)| k)
            .collect();
        for pool in &self.cluster.node_pools {
            let Some(old) = old_pools.iter().find(|p| p.name == pool.name) else { continue };
            let template_changed = old.labels != pool.labels
                || old.taints != pool.taints
                || old.startup_taints != pool.startup_taints
                || old.node_class != pool.node_class
                || pool.node_class.as_ref().is_some_and(|c| changed_classes.contains(c));
            let requirements_changed = old.requirements != pool.requirements;
            if !template_changed && !requirements_changed {
                continue;
            }
            for n in &mut self.cluster.nodes {
                if n.node_pool() != Some(pool.name.as_str()) || n.deleting || n.drifted_at.is_some() {
                    continue;
                }
                if template_changed || !pool.requirements.matches_labels(&n.labels) {
                    n.drifted_at = Some(now);
                }
            }
        }
    }

    /// The catalog Karpenter sees: the loaded one, less the offerings its unavailable-offerings
    /// cache holds.
    ///
    /// The instance types are trimmed to those some NodePool admits or some node runs, plus one
    /// type for each distinct set of label keys (so that the label keys the catalog defines, which
    /// pods may select on, stay the same): the others can never be launched, and leaving them out
    /// spares every provisioning pass and disruption simulation the work of looking at them.
    pub(super) fn refresh_catalog(&mut self) {
        let ice: BTreeSet<(&str, &str, &str)> =
            self.ice.keys().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
        let templates: Vec<nodepack_core::Requirements> =
            self.cluster.node_pools.iter().map(NodePool::template_requirements).collect();
        let running: BTreeSet<&str> = self.cluster.nodes.iter().filter_map(Node::instance_type).collect();
        let view = |types: &Arc<Vec<InstanceType>>| -> Arc<Vec<InstanceType>> {
            let mut key_sets: BTreeSet<Vec<&str>> = BTreeSet::new();
            let mut v: Vec<InstanceType> = vec![];
            for it in types.iter() {
                let keys: Vec<&str> = it.requirements.keys().collect();
                let admitted = templates.iter().any(|r| it.requirements.intersects_ok(r));
                let new_keys = !key_sets.contains(&keys);
                if admitted || new_keys || running.contains(it.name.as_str()) {
                    key_sets.insert(keys);
                    v.push(it.clone());
                }
            }
            for it in &mut v {
                for o in &mut it.offerings {
                    if ice.contains(&(it.name.as_str(), o.zone.as_str(), o.capacity_type.as_str())) {
                        o.available = false;
                    }
                }
            }
            Arc::new(v)
        };
        self.cluster.instance_types = view(&self.base_types);
        self.cluster.pool_instance_types = self.base_pool_types.iter().map(|(k, v)| (k.clone(), view(v))).collect();
        self.version += 1;
    }

    fn apply_workload(&mut self, origin: &str, doc: Value, t: Seconds) -> Result<(), String> {
        let key = object_key(&doc);
        let inputs = manifest::load_values(origin, std::slice::from_ref(&doc)).map_err(|e| e.to_string())?;
        let template = |d: &Value| d.get("spec").and_then(|s| s.get("template")).cloned();
        match self.workloads.get(&key) {
            Some(w) if template(&w.doc) == template(&doc) => {
                let replicas = inputs.pending.len() as i64;
                if let Some(w) = self.workloads.get_mut(&key) {
                    w.doc = doc;
                }
                self.scale_workload(&key, replicas, t)
            }
            existing => {
                let old: Vec<String> = existing.map(|w| w.pods.iter().cloned().collect()).unwrap_or_default();
                for p in old {
                    self.delete_pod(&p, t, false);
                }
                self.workloads.insert(key.clone(), Workload { doc, pods: BTreeSet::new() });
                for pod in inputs.pending {
                    if self.pods.contains_key(&pod.key()) {
                        self.warnings
                            .push(format!("{origin}: pod {} already exists; the new one is ignored", pod.key()));
                        continue;
                    }
                    self.add_pod(pod, Some(key.clone()), t);
                }
                Ok(())
            }
        }
    }

    /// Changes a workload's replica count: new replicas are pending, the highest-numbered ones go.
    pub(super) fn scale_workload(
        &mut self,
        key: &(String, String, String),
        replicas: i64,
        t: Seconds,
    ) -> Result<(), String> {
        let Some(w) = self.workloads.get_mut(key) else { return Ok(()) };
        let field = if key.0 == "Job" { "parallelism" } else { "replicas" };
        if let Some(spec) = w.doc.get_mut("spec").and_then(Value::as_mapping_mut) {
            spec.insert(Value::String(field.into()), Value::Number(replicas.into()));
        }
        let name = key.2.clone();
        let mut current: Vec<(u64, String)> = w
            .pods
            .iter()
            .map(|k| {
                let pod_name = k.split_once('/').map(|x| x.1).unwrap_or(k);
                (replica_index(pod_name, &name).unwrap_or(u64::MAX), k.clone())
            })
            .collect();
        current.sort();
        let n = replicas.max(0) as usize;
        if current.len() > n {
            for (_, k) in current.split_off(n).into_iter().rev() {
                self.delete_pod(&k, t, false);
            }
            return Ok(());
        }
        if current.len() == n {
            return Ok(());
        }
        let doc = w.doc.clone();
        let inputs =
            manifest::load_values(&format!("{} {}/{}", key.0, key.1, key.2), &[doc]).map_err(|e| e.to_string())?;
        for pod in inputs.pending {
            if !self.pods.contains_key(&pod.key()) {
                self.add_pod(pod, Some(key.clone()), t);
            }
        }
        Ok(())
    }

    /// Deletes an object; false when there is none.
    pub(super) fn delete_object(&mut self, r: &ObjectRef, t: Seconds) -> Result<bool, String> {
        let scoped_ns = if CLUSTER_SCOPED.contains(&r.kind.as_str()) { String::new() } else { r.namespace.clone() };
        let key = (r.kind.clone(), scoped_ns, r.name.clone());
        match r.kind.as_str() {
            "Pod" => {
                let k = format!("{}/{}", r.namespace, r.name);
                if !self.pods.contains_key(&k) {
                    return Ok(false);
                }
                self.delete_pod(&k, t, true);
                Ok(true)
            }
            "Node" => {
                let Some(i) = self.node_index(&r.name) else { return Ok(false) };
                if self.cluster.nodes[i].node_pool().is_some() && self.cluster.nodes[i].initialized {
                    self.delete_gracefully(&r.name, t, "Deleted");
                } else {
                    self.remove_node(&r.name, t, "Deleted");
                }
                Ok(true)
            }
            k if WORKLOAD_KINDS.contains(&k) => {
                let Some(w) = self.workloads.remove(&key) else { return Ok(false) };
                for p in w.pods {
                    self.delete_pod(&p, t, false);
                }
                Ok(true)
            }
            k if DEFINITION_KINDS.contains(&k) => {
                if self.defs.remove(&key).is_none() {
                    return Ok(false);
                }
                self.rebuild_definitions(&format!("{} (after deleting {} {})", self.trace.file, r.kind, r.name), t)?;
                if k == "NodePool" {
                    let names: Vec<(String, bool)> = self
                        .cluster
                        .nodes
                        .iter()
                        .filter(|n| n.node_pool() == Some(r.name.as_str()))
                        .map(|n| (n.name.clone(), n.initialized))
                        .collect();
                    for (n, ready) in names {
                        if ready {
                            self.delete_gracefully(&n, t, "NodePoolDeleted");
                        } else {
                            self.remove_node(&n, t, "NodePoolDeleted");
                        }
                    }
                }
                if k == "DaemonSet" {
                    for n in &mut self.cluster.nodes {
                        n.pods.retain(|p| {
                            !(p.is_daemon()
                                && p.namespace == r.namespace
                                && p.name == daemon_pod_name(&r.name, &n.name))
                        });
                    }
                    self.dirty = true;
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// A new pod, pending.
    pub(super) fn add_pod(&mut self, mut pod: Pod, workload: Option<(String, String, String)>, t: Seconds) {
        let key = pod.key();
        if pod.created == 0 {
            pod.created = self.epoch + t;
        }
        pod.node_name = None;
        if let Some(w) = workload.as_ref().and_then(|w| self.workloads.get_mut(w)) {
            w.pods.insert(key.clone());
        }
        self.pods.insert(key.clone(), PodState { workload, ..Default::default() });
        self.created_pods += 1;
        self.make_pending(pod, t);
    }

    /// Deletes a pod (pending or bound). With `recreate`, a pod a workload owns comes back
    /// pending at once, as its controller would make it again.
    pub(super) fn delete_pod(&mut self, key: &str, t: Seconds, recreate: bool) {
        let Some(state) = self.pods.get(key).cloned() else { return };
        let pod = if state.node.is_some() {
            self.unbind(key, t)
        } else {
            let p = self.pending.remove(key);
            if let Some(since) = state.pending_since {
                self.rec.pending_samples.push(t - since);
            }
            self.version += 1;
            self.dirty = true;
            p
        };
        if recreate && state.workload.is_some() {
            if let Some(mut p) = pod {
                p.created = self.epoch + t;
                if let Some(st) = self.pods.get_mut(key) {
                    st.node = None;
                    st.nominated = None;
                }
                self.created_pods += 1;
                self.deleted_pods += 1;
                if !state.ever_bound {
                    self.rec.never_scheduled += 1;
                }
                if let Some(st) = self.pods.get_mut(key) {
                    st.ever_bound = false;
                }
                self.make_pending(p, t);
                return;
            }
        }
        self.pods.remove(key);
        self.deleted_pods += 1;
        if !state.ever_bound {
            self.rec.never_scheduled += 1;
        }
        if let Some(w) = state.workload.as_ref().and_then(|w| self.workloads.get_mut(w)) {
            w.pods.remove(key);
        }
    }

    /// A node from the manifests (a managed node group's, or a Karpenter node already there).
    fn add_manifest_node(&mut self, mut node: Node, t: Seconds) {
        if self.node_index(&node.name).is_some() {
            self.warnings.push(format!("node {} already exists; the new one is ignored", node.name));
            return;
        }
        if node.created == 0 {
            node.created = self.epoch + t;
        }
        let pods = std::mem::take(&mut node.pods);
        let ready = node.initialized;
        if ready && node.initialized_at.is_none() {
            node.initialized_at = Some(node.created);
        }
        let price = self.node_price(&node);
        let name = node.name.clone();
        self.nodes_meta
            .insert(name.clone(), NodeMeta { price, launched_at: t, startup_taints: vec![], deletion: None });
        let known = node.instance_type().is_none_or(|t| self.cluster.instance_types.iter().any(|x| x.name == t));
        self.cluster.nodes.push(node);
        if !known {
            self.refresh_catalog();
        }
        let i = self.cluster.nodes.len() - 1;
        let had_daemons = pods.iter().any(Pod::is_daemon);
        for p in pods {
            if p.is_daemon() {
                self.cluster.nodes[i].pods.push(p);
                continue;
            }
            let key = p.key();
            if self.pods.contains_key(&key) {
                self.warnings.push(format!("pod {key} on node {name} already exists; left out"));
                continue;
            }
            self.pods.insert(key.clone(), PodState { ever_bound: true, ..Default::default() });
            self.created_pods += 1;
            self.rec.pods_scheduled += 1;
            if let Some(st) = self.pods.get_mut(&key) {
                st.node = Some(name.clone());
            }
            let mut p = p;
            p.node_name = Some(name.clone());
            self.cluster.nodes[i].pods.push(p);
        }
        if ready {
            if !had_daemons {
                self.sync_daemons(i);
            }
            self.kube_all = true;
            self.schedule_kube(t);
        } else if self.cluster.nodes[i].node_pool().is_some() {
            // A Karpenter node still initializing: Ready after the startup latency.
            self.engine.schedule(t + self.trace.settings.node_startup_latency, Ev::NodeReady(name));
        } else {
            self.cluster.nodes[i].initialized = true;
            self.cluster.nodes[i].initialized_at = Some(self.epoch + t);
        }
        self.version += 1;
        self.dirty = true;
        self.rates_dirty = true;
    }

    /// A node's price: its instance type's offering in its zone and capacity type (on-demand
    /// when the node does not say), from its NodePool's catalog; 0 when the catalog has none.
    pub(super) fn node_price(&self, node: &Node) -> Price {
        let Some(it) = node.instance_type() else { return Price(0) };
        let pool = node.node_pool().unwrap_or("");
        let types = self.base_pool_types.get(pool).unwrap_or(&self.base_types);
        let Some(ty) = types.iter().find(|x| x.name == it) else { return Price(0) };
        let ct = node.capacity_type().unwrap_or(label::ON_DEMAND);
        match node.zone() {
            Some(z) => ty.offering_for(z, ct).map(|o| o.price).unwrap_or(Price(0)),
            None => ty.offerings.iter().filter(|o| o.capacity_type == ct).map(|o| o.price).min().unwrap_or(Price(0)),
        }
    }

    /// Binds the DaemonSet pods a Ready node admits (and drops those of DaemonSets that no
    /// longer admit it). Pods a node dump brought with it are left alone.
    pub(super) fn sync_daemons(&mut self, i: usize) {
        let node = &self.cluster.nodes[i];
        let mut wanted: Vec<Pod> = vec![];
        for d in &self.cluster.daemon_sets {
            let blocked = node
                .effective_taints()
                .iter()
                .filter(|t| t.effect != Effect::PreferNoSchedule && t.key != super::DISRUPTED_TAINT)
                .any(|t| !d.template.tolerations.iter().any(|tol| tol.tolerates(t)));
            if blocked || !d.template.strict_requirements().matches_labels(&node.labels) {
                continue;
            }
            let mut p = d.template.clone();
            p.namespace = d.namespace.clone();
            p.name = daemon_pod_name(&d.name, &node.name);
            p.owner_kind = Some("DaemonSet".into());
            p.node_name = Some(node.name.clone());
            wanted.push(p);
        }
        let node = &mut self.cluster.nodes[i];
        let before = node.pods.len();
        // Drop our daemon pods no DaemonSet wants any more, then add the missing ones.
        let wanted_keys: BTreeSet<String> = wanted.iter().map(Pod::key).collect();
        let suffix = format!("-{}", node.name);
        node.pods.retain(|p| !p.is_daemon() || !p.name.ends_with(&suffix) || wanted_keys.contains(&p.key()));
        let have: BTreeSet<String> = node.pods.iter().filter(|p| p.is_daemon()).map(Pod::key).collect();
        for p in wanted {
            if !have.contains(&p.key()) {
                node.pods.push(p);
            }
        }
        if node.pods.len() != before {
            self.dirty = true;
            self.version += 1;
        }
    }
}

/// The name nodepack gives a DaemonSet's pod on a node.
fn daemon_pod_name(daemon_set: &str, node: &str) -> String {
    format!("{daemon_set}-{node}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_indices() {
        assert_eq!(replica_index("api-12", "api"), Some(12));
        assert_eq!(replica_index("api-x", "api"), None);
        assert_eq!(replica_index("apiary-1", "api"), None);
    }

    #[test]
    fn keys_of_scoped_and_cluster_objects() {
        let d: Value = serde_yaml::from_str("kind: NodePool\nmetadata: {name: a, namespace: x}").unwrap();
        assert_eq!(object_key(&d), ("NodePool".into(), String::new(), "a".into()));
        let d: Value = serde_yaml::from_str("kind: Deployment\nmetadata: {name: a}").unwrap();
        assert_eq!(object_key(&d), ("Deployment".into(), "default".into(), "a".into()));
    }
}

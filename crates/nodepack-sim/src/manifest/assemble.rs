//! Putting the objects read together: the catalog, pods on their nodes, workloads expanded.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use nodepack_core::{Cluster, InstanceType, Pod};

use super::kinds::{CatalogSpec, Obj, Workload};
use super::yaml::Seg;
use super::{CatalogSource, Inputs, LoadError, Loader, Origin, WorkloadTemplate};
use crate::aws_catalog::{aws_instance_types, AwsCatalogOptions, CatalogError};
use crate::kubelet::KubeletConfig;

/// The most pods workloads may expand to in one load: enough for any real cluster, and a guard
/// against `replicas: 2000000000` exhausting memory.
pub(crate) const MAX_GENERATED_PODS: u64 = 1_000_000;

/// A pod to place, in input order: a Pod document or a workload's copy.
struct Placed {
    pod: Pod,
    origin: usize,
    terminal: bool,
    deleting: bool,
}

pub(super) fn assemble(mut loader: Loader) -> Result<Inputs, LoadError> {
    let objects = loader.take_objects();
    check_duplicates(&loader, &objects)?;

    let mut warnings_out = Vec::new();
    let mut node_pools = Vec::new();
    let mut node_classes: BTreeMap<String, KubeletConfig> = BTreeMap::new();
    let mut class_origin: HashMap<String, usize> = HashMap::new();
    let mut nodes = Vec::new();
    let mut daemon_sets = Vec::new();
    let mut pdbs = Vec::new();
    let mut type_docs: Vec<InstanceType> = Vec::new();
    let mut catalog_doc: Option<(usize, CatalogSpec)> = None;
    let mut traces = Vec::new();
    let mut pool_origin: Vec<usize> = Vec::new();

    for (i, (origin, obj)) in objects.iter().enumerate() {
        match obj {
            Obj::NodePool(p) => {
                node_pools.push((**p).clone());
                pool_origin.push(i);
            }
            Obj::NodeClass(name, k) => {
                node_classes.insert(name.clone(), k.clone());
                class_origin.insert(name.clone(), i);
            }
            Obj::Node(n) => nodes.push((**n).clone()),
            Obj::DaemonSet(d) => daemon_sets.push((**d).clone()),
            Obj::Pdb(p) => pdbs.push((**p).clone()),
            Obj::InstanceType(t) => type_docs.push((**t).clone()),
            Obj::Catalog(c) => {
                if let Some((first, _)) = &catalog_doc {
                    let o = &objects[*first].0;
                    return Err(loader.error(
                        origin,
                        &origin.base,
                        format!("a second Catalog document (the first is in {})", describe(&loader, o)),
                    ));
                }
                catalog_doc = Some((i, c.clone()));
            }
            Obj::Trace(v) => traces.push((loader.source_of(origin), v.clone())),
            Obj::Pod { .. } | Obj::Workload(_) => {}
        }
    }

    // The catalog.
    let builtin = catalog_doc.as_ref().map(|(_, c)| c.builtin).unwrap_or(type_docs.is_empty());
    let spec = catalog_doc.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
    let catalog_error = |loader: &Loader, e: CatalogError, class: Option<usize>| -> LoadError {
        match class.or(catalog_doc.as_ref().map(|(i, _)| *i)) {
            Some(i) => {
                let o = &objects[i].0;
                loader.error(o, &o.base, e.to_string())
            }
            None => LoadError::file_only("<built-in catalog>", e.to_string()),
        }
    };
    let merge = |mut base: Vec<InstanceType>| -> Vec<InstanceType> {
        for t in &type_docs {
            match base.iter_mut().find(|b| b.name == t.name) {
                Some(b) => *b = t.clone(),
                None => base.push(t.clone()),
            }
        }
        base
    };
    let options = |kubelet: Option<KubeletConfig>| AwsCatalogOptions {
        region: spec.region.clone(),
        zones: spec.zones.clone(),
        capacity_types: spec.capacity_types.clone(),
        kubelet,
    };
    let instance_types = if builtin {
        let types = aws_instance_types(&options(None)).map_err(|e| catalog_error(&loader, e, None))?;
        Arc::new(merge(types))
    } else {
        Arc::new(type_docs.clone())
    };
    if instance_types.is_empty() {
        warnings_out.push(
            "the catalog is empty (a Catalog says builtin: none and no InstanceType documents are given): no node can be launched"
                .to_string(),
        );
    }
    let catalog_source = if builtin {
        CatalogSource::Builtin {
            region: spec.region.clone(),
            zones: spec.zones.clone(),
            capacity_types: spec.capacity_types.clone(),
        }
    } else {
        CatalogSource::Custom
    };

    // Per-pool catalogs for node classes with kubelet settings, one per class.
    let mut by_class: BTreeMap<String, Arc<Vec<InstanceType>>> = BTreeMap::new();
    let mut pool_instance_types = BTreeMap::new();
    let mut warned_classes = HashSet::new();
    for (pool, &oi) in node_pools.iter().zip(&pool_origin) {
        let Some(class) = &pool.node_class else { continue };
        let Some(kubelet) = node_classes.get(class) else {
            if !node_classes.is_empty() {
                let o = objects[oi].0.clone();
                let path = [o.base.clone(), keys(&["spec", "template", "spec", "nodeClassRef", "name"])].concat();
                loader.warn(
                    &o,
                    &path,
                    format!("EC2NodeClass {class} is not in the input; default kubelet settings are assumed"),
                );
            }
            continue;
        };
        if *kubelet == KubeletConfig::default() {
            continue;
        }
        if !builtin {
            if warned_classes.insert(class.clone()) {
                let o = objects[class_origin[class]].0.clone();
                let path = [o.base.clone(), keys(&["spec", "kubelet"])].concat();
                loader.warn(
                    &o,
                    &path,
                    "kubelet settings do not change InstanceType documents, whose allocatable is given",
                );
            }
            continue;
        }
        if !by_class.contains_key(class) {
            let types = aws_instance_types(&options(Some(kubelet.clone())))
                .map_err(|e| catalog_error(&loader, e, Some(class_origin[class])))?;
            by_class.insert(class.clone(), Arc::new(merge(types)));
        }
        pool_instance_types.insert(pool.name.clone(), Arc::clone(&by_class[class]));
    }

    // Pods: Pod documents as they are, workloads expanded around them.
    let mut taken: HashSet<String> = HashSet::new();
    let mut replicas_of: HashMap<(String, &'static str, String), Vec<String>> = HashMap::new();
    for (_, obj) in &objects {
        if let Obj::Pod { pod, owner, terminal, .. } = obj {
            taken.insert(pod.key());
            let Some((kind, name)) = owner else { continue };
            if *terminal {
                continue;
            }
            for (wk, wn) in workload_of(pod, kind, name) {
                replicas_of.entry((pod.namespace.clone(), wk, wn)).or_default().push(pod.key());
            }
        }
    }
    let deployments: HashSet<(String, String)> = objects
        .iter()
        .filter_map(|(_, o)| match o {
            Obj::Workload(w) if w.kind == "Deployment" => Some((w.namespace.clone(), w.name.clone())),
            _ => None,
        })
        .collect();

    let mut owners = BTreeMap::new();
    let mut workloads = Vec::new();
    let mut placed: Vec<Placed> = Vec::new();
    let mut generated: u64 = 0;
    for (i, (origin, obj)) in objects.iter().enumerate() {
        match obj {
            Obj::Pod { pod, terminal, deleting, .. } => {
                placed.push(Placed { pod: (**pod).clone(), origin: i, terminal: *terminal, deleting: *deleting })
            }
            Obj::Workload(w) => {
                if let Some((ok, on)) = &w.owner {
                    if w.kind == "ReplicaSet"
                        && ok == "Deployment"
                        && deployments.contains(&(w.namespace.clone(), on.clone()))
                    {
                        let msg = format!("skipped: Deployment {on} in the input makes its pods");
                        loader.warn(origin, &origin.base, msg);
                        continue;
                    }
                }
                workloads.push(WorkloadTemplate {
                    kind: w.kind.to_string(),
                    namespace: w.namespace.clone(),
                    name: w.name.clone(),
                    replicas: w.copies,
                    template: w.template.clone(),
                });
                let workload_ref = format!("{}/{}", w.kind, w.name);
                let existing =
                    replicas_of.get(&(w.namespace.clone(), w.kind, w.name.clone())).cloned().unwrap_or_default();
                for key in &existing {
                    owners.insert(key.clone(), workload_ref.clone());
                }
                let to_make = w.copies.saturating_sub(existing.len() as u64);
                generated = generated.saturating_add(to_make);
                if generated > MAX_GENERATED_PODS {
                    let field = if w.kind == "Job" { "parallelism" } else { "replicas" };
                    let path = [origin.base.clone(), keys(&["spec", field])].concat();
                    return Err(loader.error(
                        origin,
                        &path,
                        format!("{} copies would take the pods read past {MAX_GENERATED_PODS}, more than nodepack simulates", w.copies),
                    ));
                }
                for pod in expand(w, to_make, &mut taken) {
                    owners.insert(pod.key(), workload_ref.clone());
                    placed.push(Placed { pod, origin: i, terminal: false, deleting: false });
                }
            }
            _ => {}
        }
    }

    // Bound pods onto their nodes; the rest are pending.
    let node_index: HashMap<String, usize> = nodes.iter().enumerate().map(|(i, n)| (n.name.clone(), i)).collect();
    let mut unknown_nodes: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut terminal = 0usize;
    let mut deleted = 0usize;
    let mut unbound_daemons = 0usize;
    let mut pending = Vec::new();
    for p in placed {
        if p.terminal {
            terminal += 1;
            continue;
        }
        match &p.pod.node_name {
            Some(node) => match node_index.get(node) {
                Some(&ni) => nodes[ni].pods.push(p.pod),
                None => {
                    let e = unknown_nodes.entry(node.clone()).or_insert((p.origin, 0));
                    e.1 += 1;
                }
            },
            None if p.pod.is_daemon() => unbound_daemons += 1,
            // Karpenter does not provision for a pod that is already being deleted.
            None if p.deleting => deleted += 1,
            None => pending.push(p.pod),
        }
    }
    for (node, (first, count)) in unknown_nodes {
        let o = objects[first].0.clone();
        let msg = if count == 1 {
            format!("bound to node {node}, which is not in the input; left out")
        } else {
            format!("{count} pods (the first here) are bound to node {node}, which is not in the input; left out")
        };
        let path = [o.base.clone(), keys(&["spec", "nodeName"])].concat();
        loader.warn(&o, &path, msg);
    }
    if terminal > 0 {
        warnings_out.push(format!("{terminal} pods that have finished (Succeeded or Failed) are left out"));
    }
    if deleted > 0 {
        warnings_out.push(format!("{deleted} pending pods that are being deleted are left out"));
    }
    if unbound_daemons > 0 {
        warnings_out.push(format!(
            "{unbound_daemons} DaemonSet pods without a node are left out (DaemonSet documents give daemon overhead)"
        ));
    }

    let mut warnings = loader.take_warnings();
    warnings.append(&mut warnings_out);
    Ok(Inputs {
        cluster: Cluster { node_pools, instance_types, pool_instance_types, nodes, daemon_sets, pdbs },
        pending,
        warnings,
        catalog_source,
        traces,
        node_classes,
        owners,
        workloads,
    })
}

fn keys(k: &[&str]) -> Vec<Seg> {
    k.iter().map(|s| Seg::Key((*s).to_string())).collect()
}

/// The workloads a pod controlled by `(kind, name)` is a replica of: its controller and, for a
/// ReplicaSet named `<deployment>-<pod-template-hash>`, that Deployment.
fn workload_of(pod: &Pod, kind: &str, name: &str) -> Vec<(&'static str, String)> {
    match kind {
        "ReplicaSet" => {
            let mut out = vec![("ReplicaSet", name.to_string())];
            let deployment = match pod.labels.get("pod-template-hash") {
                Some(hash) => name.strip_suffix(hash.as_str()).and_then(|d| d.strip_suffix('-')),
                None => name.rsplit_once('-').map(|(d, _)| d),
            };
            if let Some(d) = deployment.filter(|d| !d.is_empty()) {
                out.push(("Deployment", d.to_string()));
            }
            out
        }
        "StatefulSet" => vec![("StatefulSet", name.to_string())],
        "Job" => vec![("Job", name.to_string())],
        _ => vec![],
    }
}

/// `count` copies of a workload's template named `<name>-<i>`, skipping names already taken.
fn expand(w: &Workload, count: u64, taken: &mut HashSet<String>) -> Vec<Pod> {
    let mut out = Vec::new();
    let mut i: u64 = 0;
    while (out.len() as u64) < count {
        let mut pod = w.template.clone();
        pod.name = format!("{}-{i}", w.name);
        i += 1;
        if taken.insert(pod.key()) {
            out.push(pod);
        }
    }
    out
}

/// `file document N`, for messages that point at another object.
fn describe(loader: &Loader, o: &Origin) -> String {
    let src = loader.source_of(o);
    format!("{} document {}", src.file, src.document)
}

/// The identity of an object for duplicate checks, if it has one.
fn identity(obj: &Obj) -> Option<(&'static str, String)> {
    Some(match obj {
        Obj::NodePool(p) => ("NodePool", p.name.clone()),
        Obj::NodeClass(n, _) => ("EC2NodeClass", n.clone()),
        Obj::Pod { pod, .. } => ("Pod", pod.key()),
        Obj::Workload(w) => (w.kind, format!("{}/{}", w.namespace, w.name)),
        Obj::DaemonSet(d) => ("DaemonSet", format!("{}/{}", d.namespace, d.name)),
        Obj::Node(n) => ("Node", n.name.clone()),
        Obj::Pdb(p) => ("PodDisruptionBudget", format!("{}/{}", p.namespace, p.name)),
        Obj::InstanceType(t) => ("InstanceType", t.name.clone()),
        Obj::Catalog(_) | Obj::Trace(_) => return None,
    })
}

fn check_duplicates(loader: &Loader, objects: &[(Origin, Obj)]) -> Result<(), LoadError> {
    let mut seen: HashMap<(&'static str, String), usize> = HashMap::new();
    for (i, (origin, obj)) in objects.iter().enumerate() {
        let Some(id) = identity(obj) else { continue };
        if let Some(&first) = seen.get(&id) {
            let path = [origin.base.clone(), keys(&["metadata", "name"])].concat();
            return Err(loader.error(
                origin,
                &path,
                format!("{} {} is defined twice (first in {})", id.0, id.1, describe(loader, &objects[first].0)),
            ));
        }
        seen.insert(id, i);
    }
    Ok(())
}

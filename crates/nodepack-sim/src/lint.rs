//! `nodepack lint`: problems in the manifests that Karpenter accepts silently but that keep a
//! NodePool from launching nodes, or a pod from ever finding one.
//!
//! [`lint`] looks at what the loader read ([`Inputs`]) and returns [`Finding`]s in a stable order
//! (severity, then object, then code, then message). The checks, by code:
//!
//! | code | severity | what |
//! | --- | --- | --- |
//! | `empty-catalog` | error | the catalog has no instance type at all |
//! | `unknown-instance-type` | warning | a NodePool's `node.kubernetes.io/instance-type In [...]` names a type the catalog does not have (for the built-in catalog: one that does not exist in EC2, with the sizes its family has) |
//! | `instance-type-not-offered` | warning | a named type exists in EC2 but the built-in catalog has no offering for it |
//! | `no-instance-type` | error | a NodePool's requirements admit no instance type with an available offering |
//! | `limit-below-smallest-node` | error | a `spec.limits` resource is below the capacity of the smallest node the pool could launch, or `limits.nodes` is 0 |
//! | `limit-reached` | warning | the pool's existing nodes leave no room under a limit for even the smallest node it could launch |
//! | `pod-matches-no-pool` | error | a pending pod's (or workload template's) node selector and required node affinity match no NodePool and no existing node |
//! | `pod-untolerated-taint` | error | the NodePools a pod selects all have a taint it does not tolerate, and no existing node takes it |
//! | `taint-not-tolerated` | warning | a NodePool taint that no pod tolerates |
//! | `label-not-selected` | info | a NodePool template label that no pod selects |
//!
//! Pods are checked against NodePools only when the input has some (linting workloads alone says
//! nothing about them). Only `NoSchedule` and `NoExecute` taints count here: a `PreferNoSchedule`
//! taint never keeps a pod off a node for good (Karpenter relaxes it away).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use nodepack_core::{label, Effect, InstanceType, Node, NodePool, Operator, Pod, Requirements, Taint, Toleration};
use serde::Serialize;

use crate::aws_catalog::{aws_type, aws_type_info};
use crate::manifest::{CatalogSource, Inputs};

/// How bad a finding is. `Error` and `Warning` make `nodepack lint` exit with status 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something certainly does not work: a pool that can never launch, a pod that can never run.
    Error,
    /// Something is very likely a mistake, but the rest still works.
    Warning,
    /// Worth knowing; nothing is broken.
    Info,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Whether the finding fails the lint (exit status 1).
    pub fn fails(self) -> bool {
        self != Severity::Info
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found in the manifests.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// What kind of problem, as a stable kebab-case code (see the [module docs](self)).
    pub code: &'static str,
    /// The object it is about: `NodePool general-pool`, `StatefulSet falkordb/falkordb-data`,
    /// `Pod default/karpenter-test`, or `Catalog`.
    pub object: String,
    /// One line a person can act on.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} [{}]: {}", self.severity, self.object, self.code, self.message)
    }
}

/// Every finding for the manifests read, in a stable order: errors first, then by object, code
/// and message. The same inputs always give the same list.
pub fn lint(inputs: &Inputs) -> Vec<Finding> {
    let ctx = Context::new(inputs);
    let mut out = Vec::new();
    if inputs.cluster.instance_types.is_empty() {
        out.push(Finding {
            severity: Severity::Error,
            code: "empty-catalog",
            object: "Catalog".to_string(),
            message: "the catalog has no instance type (a Catalog says builtin: none and no InstanceType \
                      documents are given): no NodePool can launch a node"
                .to_string(),
        });
    }
    for pool in &inputs.cluster.node_pools {
        ctx.pool_findings(pool, &mut out);
    }
    ctx.pod_findings(&mut out);
    ctx.taint_and_label_findings(&mut out);
    out.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.code.cmp(b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
    out.dedup();
    out
}

/// A pod to check, with the object it stands for.
struct Subject<'a> {
    object: String,
    pod: &'a Pod,
}

struct Context<'a> {
    inputs: &'a Inputs,
    /// Label keys a pod may require without a NodePool defining them (Karpenter's well-known
    /// labels and every label some instance type carries).
    undefined_ok: BTreeSet<&'a str>,
    /// Per pool (by name): the instance types it can launch.
    admitted: BTreeMap<&'a str, Vec<&'a InstanceType>>,
}

fn hard(t: &Taint) -> bool {
    t.effect != Effect::PreferNoSchedule
}

fn untolerated<'t>(taints: &'t [Taint], tolerations: &[Toleration]) -> Option<&'t Taint> {
    taints.iter().filter(|t| hard(t)).find(|t| !tolerations.iter().any(|tol| tol.tolerates(t)))
}

/// The node requirements a pod must meet: the node selector with each required node-affinity
/// term (any one term suffices), or the node selector alone.
fn pod_terms(pod: &Pod) -> Vec<Requirements> {
    let base = Requirements::from_labels(&pod.node_selector);
    if pod.node_affinity.required.is_empty() {
        return vec![base];
    }
    pod.node_affinity.required.iter().map(|t| base.intersection(t)).collect()
}

fn describe_terms(terms: &[Requirements]) -> String {
    let shown: Vec<String> =
        terms.iter().map(|t| if t.is_empty() { "no requirement".to_string() } else { t.to_string() }).collect();
    shown.join(" or ")
}

impl<'a> Context<'a> {
    fn new(inputs: &'a Inputs) -> Self {
        let cluster = &inputs.cluster;
        let mut undefined_ok: BTreeSet<&'a str> = label::WELL_KNOWN.iter().copied().collect();
        for it in cluster.instance_types.iter().chain(cluster.pool_instance_types.values().flat_map(|v| v.iter())) {
            undefined_ok.extend(it.requirements.keys());
        }
        undefined_ok.remove(label::HOSTNAME);
        let admitted = cluster
            .node_pools
            .iter()
            .map(|p| {
                let reqs = p.template_requirements();
                let types = cluster
                    .instance_types_for(&p.name)
                    .iter()
                    .filter(|it| it.requirements.intersects_ok(&reqs) && it.has_offering(&reqs))
                    .collect();
                (p.name.as_str(), types)
            })
            .collect();
        Context { inputs, undefined_ok, admitted }
    }

    fn pool_findings(&self, pool: &NodePool, out: &mut Vec<Finding>) {
        let object = format!("NodePool {}", pool.name);
        let types = self.inputs.cluster.instance_types_for(&pool.name);
        let builtin = matches!(self.inputs.catalog_source, CatalogSource::Builtin { .. });

        // Instance types named but not in the catalog.
        if let Some(r) = pool.requirements.get(label::INSTANCE_TYPE) {
            if r.operator() == Operator::In {
                for name in r.values() {
                    if types.iter().any(|t| &t.name == name) {
                        if builtin && !types.iter().any(|t| &t.name == name && !t.offerings.is_empty()) {
                            out.push(Finding {
                                severity: Severity::Warning,
                                code: "instance-type-not-offered",
                                object: object.clone(),
                                message: format!(
                                    "{name} exists in EC2 but the built-in catalog has no offering for it (no \
                                     on-demand price, or Karpenter no longer lists it): the pool never launches it"
                                ),
                            });
                        }
                        continue;
                    }
                    let message = if builtin {
                        not_in_ec2(name)
                    } else {
                        format!("{name} is not in the catalog (the InstanceType documents given): the pool never launches it")
                    };
                    out.push(Finding {
                        severity: Severity::Warning,
                        code: "unknown-instance-type",
                        object: object.clone(),
                        message,
                    });
                }
            }
        }

        // Requirements that admit nothing.
        let admitted = self.admitted.get(pool.name.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let reqs = pool.template_requirements();
        if admitted.is_empty() && !types.is_empty() {
            // The types that meet everything but the zone and capacity type, which come from offerings.
            let mut without_offerings = reqs.clone();
            without_offerings.remove(label::ZONE);
            without_offerings.remove(label::CAPACITY_TYPE);
            let matching: Vec<&InstanceType> =
                types.iter().filter(|it| it.requirements.intersects_ok(&without_offerings)).collect();
            let message = if matching.is_empty() {
                format!(
                    "its requirements ({}) admit no instance type of the catalog: it can never launch a node",
                    pool.requirements
                )
            } else {
                let names: Vec<&str> = matching.iter().take(3).map(|t| t.name.as_str()).collect();
                let more = matching.len().saturating_sub(names.len());
                format!(
                    "{} instance type{} meet{} its requirements ({}{}) but none has an available offering in the \
                     zones and capacity types it allows{}: it can never launch a node",
                    matching.len(),
                    if matching.len() == 1 { "" } else { "s" },
                    if matching.len() == 1 { "s" } else { "" },
                    names.join(", "),
                    if more > 0 { format!(" and {more} more") } else { String::new() },
                    offering_scope(&reqs, &self.inputs.catalog_source)
                )
            };
            out.push(Finding { severity: Severity::Error, code: "no-instance-type", object: object.clone(), message });
        }

        // Limits below one node.
        if pool.node_limit == Some(0) {
            out.push(Finding {
                severity: Severity::Error,
                code: "limit-below-smallest-node",
                object: object.clone(),
                message: "limits.nodes is 0: the pool can never launch a node".to_string(),
            });
        }
        if !admitted.is_empty() {
            let nodes: Vec<&Node> =
                self.inputs.cluster.nodes.iter().filter(|n| n.node_pool() == Some(pool.name.as_str())).collect();
            if let Some(limit) = pool.node_limit.filter(|l| *l > 0 && nodes.len() as i64 >= *l) {
                out.push(Finding {
                    severity: Severity::Warning,
                    code: "limit-reached",
                    object: object.clone(),
                    message: format!(
                        "its {} existing nodes use up limits.nodes {limit}: it cannot launch another node",
                        nodes.len()
                    ),
                });
            }
            for (resource, limit) in pool.limits.iter() {
                let used = nodes.iter().fold(0i64, |a, n| a.saturating_add(n.capacity.get(&resource)));
                let smallest = admitted.iter().map(|t| (t.capacity.get(&resource), t.name.as_str())).min();
                if let Some((size, name)) =
                    smallest.filter(|s| used > 0 && s.0 <= limit && used.saturating_add(s.0) > limit)
                {
                    out.push(Finding {
                        severity: Severity::Warning,
                        code: "limit-reached",
                        object: object.clone(),
                        message: format!(
                            "its existing nodes already have {} of limits.{resource} {}: not even the smallest node \
                             it can launch ({name}, {} {resource}) fits under the limit",
                            resource.format(used),
                            resource.format(limit),
                            resource.format(size)
                        ),
                    });
                }
            }
            for (resource, limit) in pool.limits.iter() {
                let smallest =
                    admitted.iter().map(|t| (t.capacity.get(&resource), t.name.as_str())).min().unwrap_or((0, ""));
                if smallest.0 > limit {
                    out.push(Finding {
                        severity: Severity::Error,
                        code: "limit-below-smallest-node",
                        object: object.clone(),
                        message: format!(
                            "limits.{resource} is {}, less than the smallest node the pool can launch ({} with {} \
                             {resource}): it can never launch a node",
                            resource.format(limit),
                            smallest.1,
                            resource.format(smallest.0)
                        ),
                    });
                }
            }
        }
    }

    /// Pending pods not owned by a workload in the input, and every workload's template.
    fn subjects(&self) -> Vec<Subject<'a>> {
        let mut out = Vec::new();
        for w in &self.inputs.workloads {
            out.push(Subject { object: format!("{} {}/{}", w.kind, w.namespace, w.name), pod: &w.template });
        }
        for p in &self.inputs.pending {
            if !self.inputs.owners.contains_key(&p.key()) {
                out.push(Subject { object: format!("Pod {}", p.key()), pod: p });
            }
        }
        out
    }

    fn node_takes(&self, node: &Node, terms: &[Requirements], pod: &Pod) -> bool {
        !node.deleting
            && untolerated(&node.effective_taints(), &pod.tolerations).is_none()
            && terms.iter().any(|t| t.matches_labels(&node.labels))
    }

    /// Why a pool cannot serve any of the terms (`None` when it can, by labels).
    fn pool_refuses(&self, pool: &NodePool, terms: &[Requirements]) -> Option<String> {
        let reqs = pool.template_requirements();
        let admitted = self.admitted.get(pool.name.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let mut first_reason = None;
        for term in terms {
            if let Err(e) = reqs.compatible(term, &|k| self.undefined_ok.contains(k)) {
                first_reason.get_or_insert_with(|| e.to_string());
                continue;
            }
            let both = reqs.intersection(term);
            if admitted.iter().any(|t| t.requirements.intersects_ok(term) && t.has_offering(&both)) {
                return None;
            }
            first_reason.get_or_insert_with(|| "no instance type it can launch meets them".to_string());
        }
        Some(first_reason.unwrap_or_default())
    }

    fn pod_findings(&self, out: &mut Vec<Finding>) {
        let cluster = &self.inputs.cluster;
        let mut pools: Vec<&NodePool> = cluster.node_pools.iter().collect();
        pools.sort_by(|a, b| a.name.cmp(&b.name));
        for s in self.subjects() {
            let terms = pod_terms(s.pod);
            if cluster.nodes.iter().any(|n| self.node_takes(n, &terms, s.pod)) {
                continue;
            }
            let mut refusals = Vec::new();
            let mut tainted = Vec::new();
            let mut ok = false;
            for pool in &pools {
                match self.pool_refuses(pool, &terms) {
                    Some(why) => refusals.push(format!("{}: {why}", pool.name)),
                    None => match untolerated(&pool.taints, &s.pod.tolerations) {
                        Some(t) => tainted.push((pool.name.as_str(), t.to_string())),
                        None => ok = true,
                    },
                }
            }
            if ok || pools.is_empty() {
                continue;
            }
            let nodes = if cluster.nodes.is_empty() { "" } else { " or existing node" };
            let (code, message) = if tainted.is_empty() {
                (
                    "pod-matches-no-pool",
                    format!(
                        "its node selector and required node affinity ({}) match no NodePool{nodes}: {}",
                        describe_terms(&terms),
                        refusals.join("; ")
                    ),
                )
            } else {
                let message = match tainted.as_slice() {
                    [(pool, taint)] => {
                        format!("it selects NodePool {pool} but does not tolerate its taint {taint}: add a toleration")
                    }
                    many => {
                        let list: Vec<String> = many.iter().map(|(p, t)| format!("{p} ({t})")).collect();
                        format!(
                            "it selects NodePools {} but tolerates none of their taints: add a toleration",
                            list.join(", ")
                        )
                    }
                };
                ("pod-untolerated-taint", message)
            };
            out.push(Finding { severity: Severity::Error, code, object: s.object, message });
        }
    }

    fn taint_and_label_findings(&self, out: &mut Vec<Finding>) {
        let cluster = &self.inputs.cluster;
        let mut pods: Vec<&Pod> = self.subjects().into_iter().map(|s| s.pod).collect();
        pods.extend(self.inputs.pending.iter());
        pods.extend(cluster.nodes.iter().flat_map(|n| n.pods.iter()).filter(|p| !p.is_daemon()));
        for pool in &cluster.node_pools {
            let object = format!("NodePool {}", pool.name);
            for t in pool.taints.iter().filter(|t| hard(t)) {
                if !pods.iter().any(|p| p.tolerations.iter().any(|tol| tol.tolerates(t))) {
                    out.push(Finding {
                        severity: Severity::Warning,
                        code: "taint-not-tolerated",
                        object: object.clone(),
                        message: format!("no pod tolerates its taint {t}: it will never launch a node for any of them"),
                    });
                }
            }
            for (k, v) in &pool.labels {
                let selected = pods.iter().any(|p| {
                    p.node_selector.contains_key(k)
                        || p.node_affinity.required.iter().any(|t| t.has(k))
                        || p.node_affinity.preferred.iter().any(|(_, t)| t.has(k))
                });
                if !selected {
                    out.push(Finding {
                        severity: Severity::Info,
                        code: "label-not-selected",
                        object: object.clone(),
                        message: format!("no pod selects its template label {k}={v}"),
                    });
                }
            }
        }
    }
}

/// The zones and capacity types a pool's requirements allow, against what the catalog offers.
fn offering_scope(reqs: &Requirements, source: &CatalogSource) -> String {
    let mut parts = Vec::new();
    for key in [label::ZONE, label::CAPACITY_TYPE] {
        if let Some(r) = reqs.get(key) {
            parts.push(r.to_string());
        }
    }
    let allowed = if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) };
    match source {
        CatalogSource::Builtin { zones, capacity_types, .. } => {
            format!("{allowed}; the catalog offers zones {} and {}", zones.join(", "), capacity_types.join(", "))
        }
        CatalogSource::Custom => allowed,
    }
}

/// What to say about an instance type the built-in catalog does not know.
fn not_in_ec2(name: &str) -> String {
    let Some((family, _)) = name.split_once('.') else {
        return format!("{name} is not an EC2 instance type name (expected family.size, such as m6i.large)");
    };
    if aws_type(name).is_some() {
        return format!("{name} is not in the built-in catalog");
    }
    let mut sizes: Vec<_> = aws_type_info().iter().filter(|t| t.family == family).collect();
    if sizes.is_empty() {
        return format!("{name} does not exist in EC2: there is no {family} family");
    }
    sizes.sort_by(|a, b| a.vcpu.cmp(&b.vcpu).then(a.memory_mib.cmp(&b.memory_mib)).then(a.name.cmp(&b.name)));
    let smallest = sizes[0];
    format!(
        "{name} does not exist in EC2; the smallest {family} is {} ({} vCPU, {} GiB)",
        smallest.name,
        smallest.vcpu,
        gib(smallest.memory_mib)
    )
}

/// MiB as GiB, with up to two decimals and no trailing zeros.
fn gib(mib: u64) -> String {
    let hundredths = mib.saturating_mul(100) / 1024;
    let whole = hundredths / 100;
    let frac = hundredths % 100;
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{:02}", frac).trim_end_matches('0').to_string()
    }
}

/// Whether any finding fails the lint (a warning or an error).
pub fn fails(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity.fails())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::load_str;

    const POOLS: &str = r#"
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: general}
spec:
  template:
    metadata: {labels: {role: general}}
    spec:
      nodeClassRef: {name: default}
      requirements:
      - {key: node.kubernetes.io/instance-type, operator: In, values: [m6i.medium, m6i.large, m9z.large]}
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: db}
spec:
  limits: {cpu: "1"}
  template:
    metadata: {labels: {role: db}}
    spec:
      nodeClassRef: {name: default}
      taints: [{key: workload, value: db, effect: NoSchedule}]
      requirements:
      - {key: karpenter.k8s.aws/instance-family, operator: In, values: [r6i]}
"#;

    fn codes(text: &str) -> Vec<(Severity, &'static str, String, String)> {
        let inputs = load_str("t.yaml", text).unwrap();
        lint(&inputs).into_iter().map(|f| (f.severity, f.code, f.object, f.message)).collect()
    }

    #[test]
    fn pools() {
        let f = codes(POOLS);
        let unknown: Vec<&String> = f.iter().filter(|x| x.1 == "unknown-instance-type").map(|x| &x.3).collect();
        assert_eq!(unknown.len(), 2, "{f:?}");
        assert!(unknown.iter().any(|m| m.contains("m6i.medium does not exist in EC2; the smallest m6i is m6i.large")));
        assert!(unknown.iter().any(|m| m.contains("no m9z family")));
        let limit = f.iter().find(|x| x.1 == "limit-below-smallest-node").unwrap();
        assert_eq!(limit.2, "NodePool db");
        assert!(limit.3.contains("r6i.large with 2 cpu"), "{}", limit.3);
        // No pod at all: the taint and both labels are unused.
        assert!(f.iter().any(|x| x.1 == "taint-not-tolerated" && x.2 == "NodePool db"));
        assert_eq!(f.iter().filter(|x| x.1 == "label-not-selected").count(), 2);
        // Errors come first.
        assert_eq!(f[0].0, Severity::Error);
    }

    #[test]
    fn pods() {
        let text = format!(
            "{POOLS}---\n{}",
            r#"apiVersion: v1
kind: Pod
metadata: {name: lost}
spec:
  nodeSelector: {role: gpu}
  containers: [{name: c}]
---
apiVersion: v1
kind: Pod
metadata: {name: intolerant}
spec:
  nodeSelector: {role: db}
  containers: [{name: c}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 0
  template:
    spec:
      nodeSelector: {role: web}
      containers: [{name: c}]
---
apiVersion: v1
kind: Pod
metadata: {name: fine}
spec:
  nodeSelector: {role: general}
  containers: [{name: c}]
"#
        );
        let f = codes(&text);
        let by_object = |o: &str| f.iter().filter(|x| x.2 == o).map(|x| x.1).collect::<Vec<_>>();
        assert_eq!(by_object("Pod default/lost"), vec!["pod-matches-no-pool"]);
        assert_eq!(by_object("Pod default/intolerant"), vec!["pod-untolerated-taint"]);
        assert_eq!(by_object("Deployment shop/web"), vec!["pod-matches-no-pool"]);
        assert!(by_object("Pod default/fine").is_empty());
        let lost = f.iter().find(|x| x.2 == "Pod default/lost").unwrap();
        assert!(lost.3.contains("role In [gpu]"), "{}", lost.3);
        // Same input, same list.
        assert_eq!(f, codes(&text));
    }

    #[test]
    fn empty_catalog_and_offerings() {
        let f = codes("apiVersion: nodepack.io/v1alpha1\nkind: Catalog\nspec: {builtin: none}\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].1, "empty-catalog");
        let spot_only = r#"
apiVersion: nodepack.io/v1alpha1
kind: Catalog
spec: {capacityTypes: [spot]}
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: od}
spec:
  template:
    spec:
      requirements:
      - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
      - {key: node.kubernetes.io/instance-type, operator: In, values: [m6i.large]}
"#;
        let f = codes(spot_only);
        let none = f.iter().find(|x| x.1 == "no-instance-type").unwrap();
        assert!(none.3.contains("1 instance type meets its requirements (m6i.large)"), "{}", none.3);
    }

    #[test]
    fn limit_reached_by_existing_nodes() {
        let text = r#"
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: small}
spec:
  limits: {cpu: "5", nodes: 1}
  template:
    spec:
      requirements:
      - {key: node.kubernetes.io/instance-type, operator: In, values: [m6i.large]}
---
apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {karpenter.sh/nodepool: small, node.kubernetes.io/instance-type: m6i.xlarge}
status:
  capacity: {cpu: "4", memory: 16Gi, pods: "58"}
"#;
        let f = codes(text);
        let reached: Vec<&String> = f.iter().filter(|x| x.1 == "limit-reached").map(|x| &x.3).collect();
        assert_eq!(reached.len(), 2, "{f:?}");
        assert!(reached.iter().any(|m| m.contains("already have 4 of limits.cpu 5")), "{reached:?}");
        assert!(reached.iter().any(|m| m.contains("use up limits.nodes 1")), "{reached:?}");
    }

    #[test]
    fn gib_formatting() {
        assert_eq!(gib(8192), "8");
        assert_eq!(gib(512), "0.5");
        assert_eq!(gib(1536), "1.5");
    }
}

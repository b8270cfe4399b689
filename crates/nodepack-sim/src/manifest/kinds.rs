//! Each kind of document nodepack reads, converted into the core model.

use nodepack_core::label::{CAPACITY_TYPE, INITIALIZED, INSTANCE_TYPE, NODE_POOL, ZONE};
use nodepack_core::{
    Budget, BudgetNodes, ConsolidationPolicy, DaemonSet, DisruptionReason, DisruptionSettings, Duration, InstanceType,
    IntOrPercent, LabelSelector, Node, NodePool, Offering, Overhead, Pod, PodDisruptionBudget, Price, Quantity,
    Requirement, Requirements, ResourceName,
};

use super::cursor::{Cur, Res};
use super::pod::{label_selector, owner, pod, requirement, taint, timestamp, Notes};
use crate::kubelet::KubeletConfig;

/// The kinds nodepack reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    NodePool,
    Ec2NodeClass,
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    Node,
    PodDisruptionBudget,
    List,
    InstanceType,
    Catalog,
    Trace,
}

impl Kind {
    /// The kind for a `kind` field, with the API group and version nodepack reads it in.
    pub(crate) fn parse(kind: &str) -> Option<(Kind, &'static str, &'static str)> {
        Some(match kind {
            "NodePool" => (Kind::NodePool, "karpenter.sh", "v1"),
            "EC2NodeClass" => (Kind::Ec2NodeClass, "karpenter.k8s.aws", "v1"),
            "Pod" => (Kind::Pod, "", "v1"),
            "Deployment" => (Kind::Deployment, "apps", "v1"),
            "ReplicaSet" => (Kind::ReplicaSet, "apps", "v1"),
            "StatefulSet" => (Kind::StatefulSet, "apps", "v1"),
            "DaemonSet" => (Kind::DaemonSet, "apps", "v1"),
            "Job" => (Kind::Job, "batch", "v1"),
            "Node" => (Kind::Node, "", "v1"),
            "PodDisruptionBudget" => (Kind::PodDisruptionBudget, "policy", "v1"),
            "List" => (Kind::List, "", "v1"),
            "InstanceType" => (Kind::InstanceType, "nodepack.io", "v1alpha1"),
            "Catalog" => (Kind::Catalog, "nodepack.io", "v1alpha1"),
            "Trace" => (Kind::Trace, "nodepack.io", "v1alpha1"),
            _ => return None,
        })
    }

    /// Whether objects of this kind must have `metadata.name`.
    pub(crate) fn needs_name(self) -> bool {
        !matches!(self, Kind::List | Kind::Catalog | Kind::Trace)
    }
}

/// A workload expanded into pods: `copies` copies of `template`.
#[derive(Debug, Clone)]
pub(crate) struct Workload {
    /// `Deployment`, `ReplicaSet`, `StatefulSet` or `Job`.
    pub kind: &'static str,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `spec.replicas` or `spec.parallelism`.
    pub copies: u64,
    /// The pod each copy is.
    pub template: Pod,
    /// The workload's own controlling owner (a ReplicaSet's Deployment).
    pub owner: Option<(String, String)>,
}

/// `spec` of a `Catalog` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CatalogSpec {
    /// `builtin: aws` (true) or `none`.
    pub builtin: bool,
    /// Region.
    pub region: String,
    /// Zones.
    pub zones: Vec<String>,
    /// Capacity types.
    pub capacity_types: Vec<String>,
}

/// The built-in catalog's region when none is given.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";

/// The built-in catalog's zones in a region: `<region>a`, `b` and `c`.
pub(crate) fn default_zones(region: &str) -> Vec<String> {
    ["a", "b", "c"].iter().map(|z| format!("{region}{z}")).collect()
}

/// The built-in catalog's capacity types when none are given.
pub(crate) fn default_capacity_types() -> Vec<String> {
    vec!["on-demand".to_string(), "spot".to_string()]
}

impl Default for CatalogSpec {
    fn default() -> Self {
        CatalogSpec {
            builtin: true,
            region: DEFAULT_REGION.to_string(),
            zones: default_zones(DEFAULT_REGION),
            capacity_types: default_capacity_types(),
        }
    }
}

/// One object read from a document.
#[derive(Debug, Clone)]
pub(crate) enum Obj {
    NodePool(Box<NodePool>),
    NodeClass(String, KubeletConfig),
    /// A Pod document; `terminal` when it has finished, `deleting` when it has a deletion timestamp.
    Pod {
        pod: Box<Pod>,
        owner: Option<(String, String)>,
        terminal: bool,
        deleting: bool,
    },
    Workload(Box<Workload>),
    DaemonSet(Box<DaemonSet>),
    Node(Box<Node>),
    Pdb(Box<PodDisruptionBudget>),
    InstanceType(Box<InstanceType>),
    Catalog(CatalogSpec),
    Trace(serde_yaml::Value),
}

/// `metadata.name` (required).
pub(crate) fn name(obj: &Cur) -> Res<String> {
    obj.at(&["metadata", "name"])?.required_string()
}

/// `metadata.namespace`, `default` when absent or empty.
pub(crate) fn namespace(obj: &Cur) -> Res<String> {
    Ok(obj.at(&["metadata", "namespace"])?.string()?.filter(|n| !n.is_empty()).unwrap_or_else(|| "default".into()))
}

/// Converts one object of a known kind (not a `List`).
pub(crate) fn convert(kind: Kind, obj: &Cur, notes: &mut Notes) -> Res<Obj> {
    Ok(match kind {
        Kind::NodePool => Obj::NodePool(Box::new(node_pool(obj)?)),
        Kind::Ec2NodeClass => Obj::NodeClass(name(obj)?, kubelet(&obj.at(&["spec", "kubelet"])?)?),
        Kind::Pod => {
            let meta = obj.get("metadata")?;
            let p = pod(&meta, &obj.get("spec")?, &namespace(obj)?, &name(obj)?, notes)?;
            let phase = obj.at(&["status", "phase"])?.string()?;
            Obj::Pod {
                pod: Box::new(p),
                owner: owner(&meta)?,
                terminal: matches!(phase.as_deref(), Some("Succeeded" | "Failed")),
                deleting: !meta.get("deletionTimestamp")?.is_absent(),
            }
        }
        Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::Job => {
            Obj::Workload(Box::new(workload(kind, obj, notes)?))
        }
        Kind::DaemonSet => {
            let (ns, n) = (namespace(obj)?, name(obj)?);
            let template = template_pod(obj, &ns, &n, "DaemonSet", notes)?;
            Obj::DaemonSet(Box::new(DaemonSet { namespace: ns, name: n, template }))
        }
        Kind::Node => Obj::Node(Box::new(node(obj)?)),
        Kind::PodDisruptionBudget => Obj::Pdb(Box::new(pdb(obj)?)),
        Kind::InstanceType => Obj::InstanceType(Box::new(instance_type(obj, notes)?)),
        Kind::Catalog => Obj::Catalog(catalog(&obj.get("spec")?)?),
        Kind::Trace => Obj::Trace(obj.node().map(|n| n.to_value()).unwrap_or(serde_yaml::Value::Null)),
        Kind::List => return Err(obj.problem("a List inside a List is not read")),
    })
}

/// `Never` (`None`), a duration, or the default when absent.
fn duration_or_never(c: &Cur, default: Option<Duration>) -> Res<Option<Duration>> {
    match c.string()? {
        None => Ok(default),
        Some(s) if s == "Never" => Ok(None),
        Some(s) => Duration::parse(&s).map(Some).map_err(|e| c.problem(e.to_string())),
    }
}

fn node_pool(obj: &Cur) -> Res<NodePool> {
    let mut pool = NodePool::new(&name(obj)?);
    let spec = obj.get("spec")?;
    pool.weight = spec.get("weight")?.int_in(0, 100)?.unwrap_or(0) as i32;
    let template = spec.get("template")?;
    pool.labels = template.at(&["metadata", "labels"])?.string_map()?;
    let tspec = template.get("spec")?;
    let mut reqs = Requirements::new();
    for r in tspec.get("requirements")?.items()? {
        reqs.add(requirement(&r, true)?);
    }
    pool.requirements = reqs;
    pool.taints = tspec.get("taints")?.items()?.iter().map(taint).collect::<Res<_>>()?;
    pool.startup_taints = tspec.get("startupTaints")?.items()?.iter().map(taint).collect::<Res<_>>()?;
    pool.expire_after = duration_or_never(&tspec.get("expireAfter")?, pool.expire_after)?;
    pool.node_class = tspec.at(&["nodeClassRef", "name"])?.string()?;
    for (key, v) in spec.get("limits")?.entries()? {
        if key == "nodes" {
            let text = v.quantity_text()?.unwrap_or_default();
            let q: Quantity = text.parse().map_err(|e: nodepack_core::QuantityError| v.problem(e.to_string()))?;
            pool.node_limit = Some(q.to_units().ok_or_else(|| v.problem(format!("{text:?} is too large")))?);
        } else {
            let name = ResourceName::parse(key);
            if let Some(a) = v.amount(&name)? {
                pool.limits.set(&name, a);
            }
        }
    }
    pool.disruption = disruption(&spec.get("disruption")?)?;
    Ok(pool)
}

fn disruption(d: &Cur) -> Res<DisruptionSettings> {
    let mut out = DisruptionSettings::default();
    let policy = d.get("consolidationPolicy")?;
    out.consolidation_policy = match policy.string()?.as_deref() {
        None => ConsolidationPolicy::WhenEmptyOrUnderutilized,
        Some("WhenEmpty") => ConsolidationPolicy::WhenEmpty,
        Some("WhenEmptyOrUnderutilized") => ConsolidationPolicy::WhenEmptyOrUnderutilized,
        Some("Balanced") => ConsolidationPolicy::Balanced,
        Some(other) => {
            return Err(policy.problem(format!(
                "unknown policy {other:?} (expected WhenEmpty, WhenEmptyOrUnderutilized or Balanced)"
            )))
        }
    };
    out.consolidate_after = duration_or_never(&d.get("consolidateAfter")?, out.consolidate_after)?;
    let budgets = d.get("budgets")?;
    if !budgets.is_absent() {
        out.budgets = budgets.items()?.iter().map(budget).collect::<Res<_>>()?;
    }
    Ok(out)
}

fn budget(b: &Cur) -> Res<Budget> {
    let nodes = budget_nodes(&b.get("nodes")?)?;
    let reasons_cur = b.get("reasons")?;
    let mut reasons = Vec::new();
    for r in reasons_cur.items()? {
        let text = r.required_string()?;
        let reason = DisruptionReason::parse(&text)
            .ok_or_else(|| r.problem(format!("unknown reason {text:?} (expected Empty, Drifted or Underutilized)")))?;
        reasons.push(reason);
    }
    let schedule_cur = b.get("schedule")?;
    let schedule = schedule_cur.string()?;
    let duration_cur = b.get("duration")?;
    let duration = match duration_cur.string()? {
        None => None,
        Some(s) => Some(Duration::parse(&s).map_err(|e| duration_cur.problem(e.to_string()))?),
    };
    if let Some(s) = &schedule {
        if s.split_whitespace().count() != 5 && !s.starts_with('@') {
            return Err(schedule_cur.problem(format!("{s:?} is not a cron schedule (five fields, or @daily etc.)")));
        }
    }
    match (&schedule, &duration) {
        (Some(_), None) => Err(duration_cur.problem("is required with a schedule")),
        (None, Some(_)) => Err(schedule_cur.problem("is required with a duration")),
        _ => Ok(Budget { nodes, reasons, schedule, duration }),
    }
}

/// A budget's `nodes`: a count (`"3"`) or a percentage (`"10%"`, at most 100). Absent is `10%`.
fn budget_nodes(c: &Cur) -> Res<BudgetNodes> {
    let Some(text) = c.string()? else { return Ok(BudgetNodes::Percent(10)) };
    let t = text.trim();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(p) = t.strip_suffix('%') {
        if !digits(p) {
            return Err(c.problem(format!("{text:?} is not a node count or a percentage")));
        }
        match p.parse::<u64>() {
            Ok(v) if v <= 100 => Ok(BudgetNodes::Percent(v as u8)),
            _ => Err(c.problem(format!("{text:?} is more than 100%"))),
        }
    } else {
        if !digits(t) {
            return Err(c.problem(format!("{text:?} is not a node count or a percentage")));
        }
        t.parse::<u32>().map(BudgetNodes::Count).map_err(|_| c.problem(format!("{text:?} is too large")))
    }
}

const RESERVED_RESOURCES: [&str; 4] = ["cpu", "memory", "ephemeral-storage", "pid"];
const EVICTION_SIGNALS: [&str; 6] = [
    "memory.available",
    "nodefs.available",
    "nodefs.inodesFree",
    "imagefs.available",
    "imagefs.inodesFree",
    "pid.available",
];

fn reserved(c: &Cur) -> Res<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for (k, v) in c.entries()? {
        if !RESERVED_RESOURCES.contains(&k) {
            return Err(v.problem(format!("unknown resource {k:?} (expected cpu, memory, ephemeral-storage or pid)")));
        }
        v.amount(&ResourceName::parse(k))?;
        out.insert(k.to_string(), v.quantity_text()?.unwrap_or_default());
    }
    Ok(out)
}

/// Whether a text is a percentage from 0 to 100 (`10%`, `7.5%`).
fn is_percent(text: &str) -> Option<bool> {
    let p = text.trim().strip_suffix('%')?;
    let (whole, frac) = p.split_once('.').unwrap_or((p, ""));
    let ok = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && whole.len() <= 3;
    Some(ok && (whole.parse::<u32>().unwrap_or(u32::MAX) < 100 || (whole == "100" && frac.bytes().all(|b| b == b'0'))))
}

/// `spec.kubelet` of an EC2NodeClass, with every quantity checked.
pub(crate) fn kubelet(k: &Cur) -> Res<KubeletConfig> {
    let mut out = KubeletConfig {
        max_pods: k.get("maxPods")?.int_in(0, i64::from(i32::MAX))?,
        pods_per_core: k.get("podsPerCore")?.int_in(0, i64::from(i32::MAX))?,
        kube_reserved: reserved(&k.get("kubeReserved")?)?,
        system_reserved: reserved(&k.get("systemReserved")?)?,
        ..Default::default()
    };
    for (signal, v) in k.get("evictionHard")?.entries()? {
        if !EVICTION_SIGNALS.contains(&signal) {
            return Err(v.problem(format!(
                "unknown eviction signal {signal:?} (expected one of {})",
                EVICTION_SIGNALS.join(", ")
            )));
        }
        let text = v.quantity_text()?.unwrap_or_default();
        match is_percent(&text) {
            Some(true) => {}
            Some(false) => return Err(v.problem(format!("{text:?} is not a percentage from 0% to 100%"))),
            None => {
                let name = if signal.contains("inodes") || signal.starts_with("pid") {
                    ResourceName::Pods
                } else {
                    ResourceName::Memory
                };
                v.amount(&name)?;
            }
        }
        out.eviction_hard.insert(signal.to_string(), text);
    }
    Ok(out)
}

fn node(obj: &Cur) -> Res<Node> {
    let meta = obj.get("metadata")?;
    let spec = obj.get("spec")?;
    let status = obj.get("status")?;
    let mut n = Node {
        name: name(obj)?,
        labels: meta.get("labels")?.string_map()?,
        annotations: meta.get("annotations")?.string_map()?,
        created: timestamp(&meta.get("creationTimestamp")?)?.unwrap_or(0),
        taints: spec.get("taints")?.items()?.iter().map(taint).collect::<Res<_>>()?,
        unschedulable: spec.get("unschedulable")?.bool()?.unwrap_or(false),
        capacity: status.get("capacity")?.resources()?,
        deleting: !meta.get("deletionTimestamp")?.is_absent(),
        ..Default::default()
    };
    let allocatable = status.get("allocatable")?;
    n.allocatable = if allocatable.is_absent() { n.capacity.clone() } else { allocatable.resources()? };
    // Ready unless conditions are given and the Ready one is missing or not "True".
    let conditions = status.get("conditions")?.items()?;
    let mut ready = conditions.is_empty();
    for c in &conditions {
        if c.get("type")?.string()?.as_deref() == Some("Ready") {
            ready = c.get("status")?.string()?.as_deref() == Some("True");
        }
    }
    n.not_ready = !ready;
    n.initialized = if n.labels.contains_key(NODE_POOL) {
        n.labels.get(INITIALIZED).map(String::as_str) == Some("true")
    } else {
        ready
    };
    Ok(n)
}

fn int_or_percent(c: &Cur) -> Res<Option<IntOrPercent>> {
    match c.int::<i64>() {
        Ok(Some(n)) if n < 0 => Err(c.problem(format!("{n} is negative"))),
        Ok(Some(n)) => Ok(Some(IntOrPercent::Int(n))),
        Ok(None) => Ok(None),
        Err(_) => {
            let text = c.string()?.unwrap_or_default();
            let p = text.trim().strip_suffix('%').filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            match p.map(|p| p.parse::<u64>()) {
                Some(Ok(v)) if v <= 100 => Ok(Some(IntOrPercent::Percent(v as u8))),
                Some(_) => Err(c.problem(format!("{text:?} is more than 100%"))),
                None => Err(c.problem(format!("{text:?} is neither a count nor a percentage such as \"25%\""))),
            }
        }
    }
}

fn pdb(obj: &Cur) -> Res<PodDisruptionBudget> {
    let spec = obj.get("spec")?;
    let min_available = int_or_percent(&spec.get("minAvailable")?)?;
    let max_unavailable = int_or_percent(&spec.get("maxUnavailable")?)?;
    if min_available.is_some() && max_unavailable.is_some() {
        return Err(spec.problem_at("maxUnavailable", "minAvailable and maxUnavailable cannot both be set"));
    }
    Ok(PodDisruptionBudget {
        namespace: namespace(obj)?,
        name: name(obj)?,
        // policy/v1: a null selector selects no pods, an empty one every pod of the namespace.
        selector: label_selector(&spec.get("selector")?)?.unwrap_or_else(LabelSelector::nothing),
        min_available,
        max_unavailable,
    })
}

/// The pod of a workload's `spec.template`, owned as Kubernetes would own it.
fn template_pod(obj: &Cur, ns: &str, name: &str, owner_kind: &str, notes: &mut Notes) -> Res<Pod> {
    let template = obj.at(&["spec", "template"])?;
    let mut p = pod(&template.get("metadata")?, &template.get("spec")?, ns, name, notes)?;
    p.owner_kind = Some(owner_kind.to_string());
    if p.created == 0 {
        p.created = timestamp(&obj.at(&["metadata", "creationTimestamp"])?)?.unwrap_or(0);
    }
    Ok(p)
}

fn workload(kind: Kind, obj: &Cur, notes: &mut Notes) -> Res<Workload> {
    let (ns, n) = (namespace(obj)?, name(obj)?);
    let (kind_name, count_field, pod_owner) = match kind {
        Kind::Deployment => ("Deployment", "replicas", "ReplicaSet"),
        Kind::ReplicaSet => ("ReplicaSet", "replicas", "ReplicaSet"),
        Kind::StatefulSet => ("StatefulSet", "replicas", "StatefulSet"),
        _ => ("Job", "parallelism", "Job"),
    };
    let copies = obj.at(&["spec", count_field])?.int_in(0, i64::from(i32::MAX))?.unwrap_or(1) as u64;
    let template = template_pod(obj, &ns, &n, pod_owner, notes)?;
    Ok(Workload { kind: kind_name, namespace: ns, name: n, copies, template, owner: owner(&obj.get("metadata")?)? })
}

fn instance_type(obj: &Cur, notes: &mut Notes) -> Res<InstanceType> {
    let n = name(obj)?;
    let spec = obj.get("spec")?;
    let capacity = spec.get("capacity")?.resources()?;
    let overhead_cur = spec.get("overhead")?;
    let overhead = Overhead {
        kube_reserved: overhead_cur.get("kubeReserved")?.resources()?,
        system_reserved: overhead_cur.get("systemReserved")?.resources()?,
        eviction_threshold: overhead_cur.get("evictionThreshold")?.resources()?,
    };
    let mut offerings = Vec::new();
    for o in spec.get("offerings")?.items()? {
        let price_cur = o.get("price")?;
        let text = price_cur.quantity_text()?.ok_or_else(|| price_cur.problem("is required"))?;
        let price = Price::from_dollars_str(&text).ok_or_else(|| {
            price_cur.problem(format!(
                "{text:?} is not a price (expected dollars per hour, a non-negative decimal such as 0.096)"
            ))
        })?;
        offerings.push(Offering {
            zone: o.get("zone")?.required_string()?,
            capacity_type: o.get("capacityType")?.required_string()?,
            price,
            available: o.get("available")?.bool()?.unwrap_or(true),
        });
    }
    let allocatable = spec.get("allocatable")?;
    let mut it = if allocatable.is_absent() {
        InstanceType::new(&n, capacity, overhead, offerings)
    } else {
        if !overhead_cur.is_absent() {
            return Err(allocatable.problem("give either overhead or allocatable, not both"));
        }
        InstanceType::with_allocatable(&n, capacity, allocatable.resources()?, offerings)
    };
    for (k, v) in spec.get("labels")?.entries()? {
        let value = v.string()?.unwrap_or_default();
        if [INSTANCE_TYPE, ZONE, CAPACITY_TYPE].contains(&nodepack_core::label::normalize(k)) {
            notes.push(v.problem(format!("label {k} is ignored: it comes from the name and the offerings")));
            continue;
        }
        it.requirements.set(Requirement::single(k, &value));
    }
    Ok(it)
}

fn catalog(spec: &Cur) -> Res<CatalogSpec> {
    let mut out = CatalogSpec::default();
    let builtin = spec.get("builtin")?;
    out.builtin = match builtin.string()?.as_deref() {
        None | Some("aws") => true,
        Some("none") => false,
        Some(other) => return Err(builtin.problem(format!("unknown catalog {other:?} (expected aws or none)"))),
    };
    if let Some(region) = spec.get("region")?.string()? {
        if region.is_empty() {
            return Err(spec.problem_at("region", "must not be empty"));
        }
        out.zones = default_zones(&region);
        out.region = region;
    }
    let zones = spec.get("zones")?;
    if !zones.is_absent() {
        out.zones = zones.strings()?;
        if out.zones.is_empty() || out.zones.iter().any(String::is_empty) {
            return Err(zones.problem("must list at least one zone, none empty"));
        }
    }
    let cts = spec.get("capacityTypes")?;
    if !cts.is_absent() {
        out.capacity_types = cts.strings()?;
        if out.capacity_types.is_empty() {
            return Err(cts.problem("must list at least one capacity type"));
        }
        for (i, ct) in out.capacity_types.iter().enumerate() {
            if !matches!(ct.as_str(), "on-demand" | "spot") {
                return Err(cts.items()?[i].problem(format!(
                    "capacity type {ct:?} is not offered by the built-in catalog (expected on-demand or spot)"
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::cursor::Path;
    use super::super::yaml::{read_documents, render_path, Yaml};
    use super::*;
    use nodepack_core::Effect;

    fn doc(text: &str) -> Yaml {
        read_documents(text).unwrap().remove(0)
    }

    fn conv(kind: Kind, text: &str) -> Res<(Obj, Notes)> {
        let y = doc(text);
        let mut notes = Notes::new();
        let o = convert(kind, &Cur::new(&y, Path::default()), &mut notes)?;
        Ok((o, notes))
    }

    fn err(kind: Kind, text: &str) -> (String, String) {
        let e = conv(kind, text).unwrap_err();
        (render_path(&e.path.segments()), e.message)
    }

    #[test]
    fn node_pool_full() {
        let (o, _) = conv(
            Kind::NodePool,
            r#"
metadata: {name: general}
spec:
  weight: 10
  template:
    metadata: {labels: {role: general}}
    spec:
      requirements:
      - {key: karpenter.k8s.aws/instance-cpu, operator: Gte, values: ["4"]}
      - {key: node.kubernetes.io/instance-type, operator: In, values: [a, b, c], minValues: 2}
      - {key: size, operator: Gt, values: ["10"]}
      - {key: size, operator: Lt, values: ["3"]}
      taints: [{key: dedicated, value: db, effect: NoSchedule}]
      startupTaints: [{key: init, effect: NoExecute}]
      expireAfter: Never
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  limits: {cpu: 1000, memory: 1000Gi, nodes: "10", nvidia.com/gpu: 4}
  disruption:
    consolidationPolicy: WhenEmpty
    consolidateAfter: 5m
    budgets:
    - nodes: "20%"
      reasons: [Empty, Drifted]
    - nodes: "0"
      schedule: "0 9 * * mon-fri"
      duration: 8h
    - {nodes: 3}
"#,
        )
        .unwrap();
        let Obj::NodePool(p) = o else { panic!() };
        assert_eq!(p.name, "general");
        assert_eq!(p.weight, 10);
        assert_eq!(p.labels["role"], "general");
        let it = p.requirements.get(INSTANCE_TYPE).unwrap();
        assert_eq!(it.min_values(), Some(2));
        // Gt 10 and Lt 3 together are legal and match nothing
        let size = p.requirements.get("size").unwrap();
        assert!(!size.has("2") && !size.has("11") && !size.has("5"));
        assert!(p.requirements.get("karpenter.k8s.aws/instance-cpu").unwrap().has("4"));
        assert_eq!(p.taints[0].effect, Effect::NoSchedule);
        assert_eq!(p.startup_taints[0].key, "init");
        assert_eq!(p.expire_after, None);
        assert_eq!(p.node_class.as_deref(), Some("default"));
        assert_eq!(p.limits.cpu().0, 1_000_000);
        assert_eq!(p.limits.memory().0, 1000 << 30);
        assert_eq!(p.limits.get(&ResourceName::Extended("nvidia.com/gpu".into())), 4);
        assert_eq!(p.node_limit, Some(10));
        let d = &p.disruption;
        assert_eq!(d.consolidation_policy, ConsolidationPolicy::WhenEmpty);
        assert_eq!(d.consolidate_after, Some(Duration(300)));
        assert_eq!(d.budgets.len(), 3);
        assert_eq!(d.budgets[0].nodes, BudgetNodes::Percent(20));
        assert_eq!(d.budgets[0].reasons, vec![DisruptionReason::Empty, DisruptionReason::Drifted]);
        assert_eq!(d.budgets[1].nodes, BudgetNodes::Count(0));
        assert_eq!(d.budgets[1].duration, Some(Duration::hours(8)));
        assert_eq!(d.budgets[2].nodes, BudgetNodes::Count(3));
    }

    #[test]
    fn node_pool_defaults() {
        let (o, _) = conv(Kind::NodePool, "metadata: {name: p}\n").unwrap();
        let Obj::NodePool(p) = o else { panic!() };
        assert_eq!(*p, NodePool::new("p"));
        let (o, _) =
            conv(Kind::NodePool, "metadata: {name: p}\nspec: {disruption: {consolidateAfter: Never, budgets: []}}\n")
                .unwrap();
        let Obj::NodePool(p) = o else { panic!() };
        assert_eq!(p.disruption.consolidate_after, None);
        assert!(p.disruption.budgets.is_empty());
    }

    #[test]
    fn node_pool_errors() {
        let cases = [
            ("spec: {limits: {cpu: \"-1\"}}", "spec.limits.cpu", "negative"),
            ("spec: {limits: {memory: 1e400}}", "spec.limits.memory", "too large"),
            ("spec: {limits: {memory: 99999999999999999999Ei}}", "spec.limits.memory", "too large"),
            ("spec: {limits: {nodes: \"-3\"}}", "spec.limits.nodes", "negative"),
            ("spec: {weight: 101}", "spec.weight", "out of range"),
            ("spec: {weight: ten}", "spec.weight", "expected an integer"),
            (
                "spec: {template: {spec: {expireAfter: 99999999999999999h}}}",
                "spec.template.spec.expireAfter",
                "too long",
            ),
            ("spec: {template: {spec: {expireAfter: 30x}}}", "spec.template.spec.expireAfter", "not a duration"),
            (
                "spec: {disruption: {budgets: [{nodes: \"101%\"}]}}",
                "spec.disruption.budgets[0].nodes",
                "more than 100%",
            ),
            (
                "spec: {disruption: {budgets: [{nodes: \"99999999999999999999%\"}]}}",
                "spec.disruption.budgets[0].nodes",
                "more than 100%",
            ),
            (
                "spec: {disruption: {budgets: [{nodes: \"-1\"}]}}",
                "spec.disruption.budgets[0].nodes",
                "not a node count",
            ),
            (
                "spec: {disruption: {budgets: [{nodes: \"99999999999\"}]}}",
                "spec.disruption.budgets[0].nodes",
                "too large",
            ),
            (
                "spec: {disruption: {budgets: [{reasons: [Bored]}]}}",
                "spec.disruption.budgets[0].reasons[0]",
                "unknown reason",
            ),
            (
                "spec: {disruption: {budgets: [{schedule: \"@daily\"}]}}",
                "spec.disruption.budgets[0].duration",
                "required",
            ),
            (
                "spec: {disruption: {budgets: [{schedule: \"bad\", duration: 1h}]}}",
                "spec.disruption.budgets[0].schedule",
                "cron",
            ),
            (
                "spec: {disruption: {consolidationPolicy: Sometimes}}",
                "spec.disruption.consolidationPolicy",
                "unknown policy",
            ),
            ("spec: {disruption: {consolidateAfter: -5m}}", "spec.disruption.consolidateAfter", "negative"),
            (
                "spec: {template: {spec: {requirements: [{key: a, operator: Gt, values: [\"ten\"]}]}}}",
                "spec.template.spec.requirements[0].values",
                "integer",
            ),
            (
                "spec: {template: {spec: {requirements: [{key: a, operator: Near, values: [x]}]}}}",
                "spec.template.spec.requirements[0].operator",
                "unknown operator",
            ),
            (
                "spec: {template: {spec: {requirements: [{key: a, operator: In}]}}}",
                "spec.template.spec.requirements[0].values",
                "at least one",
            ),
            (
                "spec: {template: {spec: {requirements: \"a In b\"}}}",
                "spec.template.spec.requirements",
                "expected a list",
            ),
            ("spec: {template: {spec: {taints: [{key: a}]}}}", "spec.template.spec.taints[0].effect", "required"),
        ];
        for (spec, path, msg) in cases {
            let (p, m) = err(Kind::NodePool, &format!("metadata: {{name: p}}\n{spec}\n"));
            assert_eq!(p, path, "{spec}: {m}");
            assert!(m.contains(msg), "{spec}: {m}");
        }
        let (p, m) = err(Kind::NodePool, "metadata: {}\n");
        assert_eq!((p.as_str(), m.as_str()), ("metadata.name", "is required"));
    }

    #[test]
    fn ec2_node_class() {
        let (o, _) = conv(
            Kind::Ec2NodeClass,
            "metadata: {name: c}\nspec:\n  amiFamily: AL2023\n  kubelet:\n    maxPods: 110\n    podsPerCore: 4\n    kubeReserved: {cpu: 200m, memory: 1Gi}\n    systemReserved: {ephemeral-storage: 1Gi}\n    evictionHard: {memory.available: 5%, nodefs.available: 100Mi, nodefs.inodesFree: \"7.5%\"}\n",
        )
        .unwrap();
        let Obj::NodeClass(n, k) = o else { panic!() };
        assert_eq!(n, "c");
        assert_eq!(k.max_pods, Some(110));
        assert_eq!(k.pods_per_core, Some(4));
        assert_eq!(k.kube_reserved["cpu"], "200m");
        assert_eq!(k.system_reserved["ephemeral-storage"], "1Gi");
        assert_eq!(k.eviction_hard["memory.available"], "5%");
        let (o, _) = conv(Kind::Ec2NodeClass, "metadata: {name: c}\nspec: {role: x}\n").unwrap();
        let Obj::NodeClass(_, k) = o else { panic!() };
        assert_eq!(k, KubeletConfig::default());
        for (kubelet, path, msg) in [
            ("{maxPods: -1}", "spec.kubelet.maxPods", "out of range"),
            ("{kubeReserved: {memory: \"-1Gi\"}}", "spec.kubelet.kubeReserved.memory", "negative"),
            ("{kubeReserved: {gpu: 1}}", "spec.kubelet.kubeReserved.gpu", "unknown resource"),
            ("{evictionHard: {memory.available: 101%}}", "spec.kubelet.evictionHard.memory.available", "percentage"),
            (
                "{evictionHard: {memory.available: lots}}",
                "spec.kubelet.evictionHard.memory.available",
                "not a quantity",
            ),
            ("{evictionHard: {disk.full: 1Gi}}", "spec.kubelet.evictionHard.disk.full", "unknown eviction signal"),
        ] {
            let (p, m) = err(Kind::Ec2NodeClass, &format!("metadata: {{name: c}}\nspec: {{kubelet: {kubelet}}}\n"));
            assert_eq!(p, path, "{kubelet}: {m}");
            assert!(m.contains(msg), "{kubelet}: {m}");
        }
    }

    #[test]
    fn nodes() {
        let (o, _) = conv(
            Kind::Node,
            r#"
metadata:
  name: n1
  labels: {karpenter.sh/nodepool: general, karpenter.sh/initialized: "true", node.kubernetes.io/instance-type: m6i.large}
  creationTimestamp: "2024-05-01T12:00:00Z"
  deletionTimestamp: "2024-05-02T12:00:00Z"
spec:
  unschedulable: true
  taints: [{key: a, value: b, effect: NoSchedule}]
status:
  capacity: {cpu: "2", memory: 8Gi, pods: "29"}
  allocatable: {cpu: 1930m, memory: 7Gi, pods: "29"}
  conditions: [{type: Ready, status: "False"}]
"#,
        )
        .unwrap();
        let Obj::Node(n) = o else { panic!() };
        assert!(n.initialized, "a Karpenter node is initialized by its label, whatever its conditions");
        assert!(n.not_ready);
        assert!(n.deleting && n.unschedulable);
        assert_eq!(n.allocatable.cpu().0, 1930);
        assert_eq!(n.capacity.pods(), 29);
        assert_eq!(n.created, 1_714_564_800);
        assert_eq!(n.instance_type(), Some("m6i.large"));
        let ready = |status: &str| {
            let (o, _) = conv(Kind::Node, &format!("metadata: {{name: s}}\nstatus: {status}\n")).unwrap();
            let Obj::Node(n) = o else { panic!() };
            assert_eq!(n.not_ready, !n.initialized);
            (n.initialized, n.allocatable.cpu().0)
        };
        assert_eq!(ready("{capacity: {cpu: 2}}"), (true, 2000));
        assert_eq!(ready("{conditions: [{type: Ready, status: \"True\"}]}"), (true, 0));
        assert_eq!(ready("{conditions: [{type: Ready, status: Unknown}]}"), (false, 0));
        assert_eq!(ready("{conditions: [{type: MemoryPressure, status: \"False\"}]}"), (false, 0));
        let (o, _) = conv(Kind::Node, "metadata: {name: k, labels: {karpenter.sh/nodepool: p}}\n").unwrap();
        let Obj::Node(n) = o else { panic!() };
        assert!(!n.initialized);
        let (p, m) = err(Kind::Node, "metadata: {name: k}\nstatus: {capacity: {cpu: [1]}}\n");
        assert_eq!(p, "status.capacity.cpu");
        assert!(m.contains("expected a quantity"), "{m}");
    }

    #[test]
    fn pdbs() {
        let (o, _) = conv(
            Kind::PodDisruptionBudget,
            "metadata: {name: b, namespace: db}\nspec: {minAvailable: \"50%\", selector: {matchLabels: {app: db}}}\n",
        )
        .unwrap();
        let Obj::Pdb(b) = o else { panic!() };
        assert_eq!(b.namespace, "db");
        assert_eq!(b.min_available, Some(IntOrPercent::Percent(50)));
        assert_eq!(b.max_unavailable, None);
        let (o, _) = conv(Kind::PodDisruptionBudget, "metadata: {name: b}\nspec: {maxUnavailable: 1}\n").unwrap();
        let Obj::Pdb(b) = o else { panic!() };
        assert_eq!(b.max_unavailable, Some(IntOrPercent::Int(1)));
        assert_eq!(b.selector, LabelSelector::nothing());
        let (p, m) = err(Kind::PodDisruptionBudget, "metadata: {name: b}\nspec: {maxUnavailable: \"150%\"}\n");
        assert_eq!(p, "spec.maxUnavailable");
        assert!(m.contains("more than 100%"));
        let (p, _) = err(Kind::PodDisruptionBudget, "metadata: {name: b}\nspec: {minAvailable: -2}\n");
        assert_eq!(p, "spec.minAvailable");
    }

    #[test]
    fn workloads() {
        let (o, _) = conv(
            Kind::Deployment,
            "metadata: {name: api, namespace: web, creationTimestamp: \"2024-05-01T12:00:00Z\"}\nspec:\n  replicas: 3\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{resources: {requests: {cpu: 1}}}]}\n",
        )
        .unwrap();
        let Obj::Workload(w) = o else { panic!() };
        assert_eq!((w.kind, w.namespace.as_str(), w.name.as_str(), w.copies), ("Deployment", "web", "api", 3));
        assert_eq!(w.template.owner_kind.as_deref(), Some("ReplicaSet"));
        assert_eq!(w.template.labels["app"], "api");
        assert_eq!(w.template.requests.cpu().0, 1000);
        assert_eq!(w.template.created, 1_714_564_800);
        let (o, _) = conv(Kind::Job, "metadata: {name: j}\nspec: {template: {spec: {}}}\n").unwrap();
        let Obj::Workload(w) = o else { panic!() };
        assert_eq!((w.kind, w.copies), ("Job", 1));
        let (p, m) = err(Kind::StatefulSet, "metadata: {name: s}\nspec: {replicas: -1}\n");
        assert_eq!(p, "spec.replicas");
        assert!(m.contains("out of range"));
        let (o, _) = conv(Kind::DaemonSet, "metadata: {name: d, namespace: kube-system}\nspec: {template: {spec: {containers: [{resources: {requests: {memory: 100Mi}}}]}}}\n").unwrap();
        let Obj::DaemonSet(d) = o else { panic!() };
        assert_eq!(d.template.owner_kind.as_deref(), Some("DaemonSet"));
        assert_eq!(d.template.namespace, "kube-system");
        assert_eq!(d.template.requests.memory().0, 100 << 20);
    }

    #[test]
    fn instance_types() {
        let (o, notes) = conv(
            Kind::InstanceType,
            r#"
metadata: {name: default-instance-type}
spec:
  capacity: {cpu: "4", memory: 4Gi, pods: "5"}
  overhead: {kubeReserved: {cpu: 100m, memory: 10Mi}}
  labels: {kubernetes.io/arch: amd64, size: small, topology.kubernetes.io/zone: z}
  offerings:
  - {zone: test-zone-1, capacityType: spot, price: 0.829497}
  - {zone: test-zone-2, capacityType: on-demand, price: "1.5", available: false}
"#,
        )
        .unwrap();
        let Obj::InstanceType(it) = o else { panic!() };
        assert_eq!(it.allocatable().cpu().0, 3900);
        assert_eq!(it.allocatable().memory().0, (4 << 30) - (10 << 20));
        assert_eq!(it.offerings[0].price, Price(829_497_000));
        assert!(!it.offerings[1].available);
        assert!(it.requirements.get("size").unwrap().has("small"));
        assert!(it.requirements.get(ZONE).unwrap().has("test-zone-2"));
        assert_eq!(notes.len(), 1);
        let (o, _) =
            conv(Kind::InstanceType, "metadata: {name: x}\nspec: {capacity: {cpu: 4}, allocatable: {cpu: 3}}\n")
                .unwrap();
        let Obj::InstanceType(it) = o else { panic!() };
        assert_eq!(it.allocatable().cpu().0, 3000);
        assert!(it.offerings.is_empty());
        for (spec, path, msg) in [
            ("{offerings: [{zone: a, capacityType: spot, price: -1}]}", "spec.offerings[0].price", "not a price"),
            ("{offerings: [{zone: a, capacityType: spot, price: cheap}]}", "spec.offerings[0].price", "not a price"),
            ("{offerings: [{zone: a, capacityType: spot, price: 1e400}]}", "spec.offerings[0].price", "not a price"),
            ("{offerings: [{zone: a, capacityType: spot}]}", "spec.offerings[0].price", "required"),
            ("{offerings: [{capacityType: spot, price: 1}]}", "spec.offerings[0].zone", "required"),
            ("{capacity: {cpu: 4}, allocatable: {cpu: 3}, overhead: {}}", "spec.allocatable", "not both"),
            ("{capacity: [cpu]}", "spec.capacity", "expected a mapping"),
        ] {
            let (p, m) = err(Kind::InstanceType, &format!("metadata: {{name: x}}\nspec: {spec}\n"));
            assert_eq!(p, path, "{spec}: {m}");
            assert!(m.contains(msg), "{spec}: {m}");
        }
    }

    #[test]
    fn catalogs() {
        let (o, _) = conv(Kind::Catalog, "spec: {builtin: none}\n").unwrap();
        let Obj::Catalog(c) = o else { panic!() };
        assert!(!c.builtin);
        let (o, _) = conv(Kind::Catalog, "spec: {region: eu-west-1, capacityTypes: [spot]}\n").unwrap();
        let Obj::Catalog(c) = o else { panic!() };
        assert_eq!(c.zones, vec!["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
        assert_eq!(c.capacity_types, vec!["spot"]);
        assert_eq!(
            conv(Kind::Catalog, "{}\n").map(|(o, _)| matches!(o, Obj::Catalog(c) if c == CatalogSpec::default())).ok(),
            Some(true)
        );
        let (p, _) = err(Kind::Catalog, "spec: {builtin: gcp}\n");
        assert_eq!(p, "spec.builtin");
        let (p, _) = err(Kind::Catalog, "spec: {capacityTypes: [spot, cheap]}\n");
        assert_eq!(p, "spec.capacityTypes[1]");
        let (p, _) = err(Kind::Catalog, "spec: {zones: []}\n");
        assert_eq!(p, "spec.zones");
    }
}

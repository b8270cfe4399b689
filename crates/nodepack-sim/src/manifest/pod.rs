//! Pods and pod templates, with the pieces NodePools share: requirements, taints, selectors.

use nodepack_core::{
    pod_requests, Container, Effect, HostPort, InclusionPolicy, LabelSelector, NamespaceScope, NodeAffinity, Operator,
    Pod, PodAffinity, PodAffinityTerm, Requirement, RequirementError, Requirements, Taint, Toleration,
    TolerationOperator, TopologySpreadConstraint, WhenUnsatisfiable,
};

use super::cursor::{Cur, Problem, Res};
use super::time::parse_rfc3339;

/// Where a conversion leaves warnings: each is a path and a message.
pub(crate) type Notes = Vec<Problem>;

/// `metadata.creationTimestamp` (or any RFC 3339 field) as Unix seconds.
pub(crate) fn timestamp(c: &Cur) -> Res<Option<i64>> {
    match c.string()? {
        None => Ok(None),
        Some(s) => parse_rfc3339(&s).map(Some).map_err(|e| c.problem(e)),
    }
}

/// The controlling owner of an object, `(kind, name)`: the owner reference marked
/// `controller: true`, else the first one.
pub(crate) fn owner(meta: &Cur) -> Res<Option<(String, String)>> {
    let refs = meta.get("ownerReferences")?.items()?;
    let mut first = None;
    for r in &refs {
        let kind = r.get("kind")?.string()?.unwrap_or_default();
        let name = r.get("name")?.string()?.unwrap_or_default();
        if r.get("controller")?.bool()? == Some(true) {
            return Ok(Some((kind, name)));
        }
        if first.is_none() {
            first = Some((kind, name));
        }
    }
    Ok(first)
}

/// A pod from its `metadata` and `spec` (a Pod document or a workload's template). The namespace
/// and the name are the caller's.
pub(crate) fn pod(meta: &Cur, spec: &Cur, namespace: &str, name: &str, notes: &mut Notes) -> Res<Pod> {
    let mut p = Pod::new(name, Default::default());
    p.namespace = namespace.to_string();
    p.labels = meta.get("labels")?.string_map()?;
    p.annotations = meta.get("annotations")?.string_map()?;
    p.created = timestamp(&meta.get("creationTimestamp")?)?.unwrap_or(0);
    p.owner_kind = owner(meta)?.map(|(kind, _)| kind);
    p.node_name = spec.get("nodeName")?.string()?.filter(|n| !n.is_empty());

    let mut containers = Vec::new();
    for c in spec.get("containers")?.items()? {
        let (container, ports) = container(&c, false)?;
        containers.push(container);
        p.host_ports.extend(ports);
    }
    let mut inits = Vec::new();
    for c in spec.get("initContainers")?.items()? {
        let (container, ports) = container(&c, true)?;
        if container.restartable {
            // A sidecar runs beside the containers, so its host ports are held as theirs are.
            p.host_ports.extend(ports);
        }
        inits.push(container);
    }
    let overhead = spec.get("overhead")?.resources()?;
    p.requests = pod_requests(&containers, &inits, &overhead)
        .map_err(|e| spec.problem_at("containers", format!("the pod's requests are too large: {e}")))?;

    p.node_selector = spec.get("nodeSelector")?.string_map()?;
    let affinity = spec.get("affinity")?;
    p.node_affinity = node_affinity(&affinity.get("nodeAffinity")?, notes)?;
    p.pod_affinity = pod_affinity(&affinity.get("podAffinity")?, notes)?;
    p.pod_anti_affinity = pod_affinity(&affinity.get("podAntiAffinity")?, notes)?;
    for t in spec.get("tolerations")?.items()? {
        p.tolerations.push(toleration(&t)?);
    }
    for t in spec.get("topologySpreadConstraints")?.items()? {
        p.topology_spread.push(spread(&t)?);
    }
    p.priority = spec.get("priority")?.int::<i32>()?.unwrap_or(0);
    Ok(p)
}

/// One container: its requests and limits, and the host ports it binds. `init` marks an init
/// container, which is a sidecar when its `restartPolicy` is `Always`.
fn container(c: &Cur, init: bool) -> Res<(Container, Vec<HostPort>)> {
    let resources = c.get("resources")?;
    let restartable = init && c.get("restartPolicy")?.string()?.as_deref() == Some("Always");
    let out = Container {
        requests: resources.get("requests")?.resources()?,
        limits: resources.get("limits")?.resources()?,
        restartable,
    };
    let mut ports = Vec::new();
    for p in c.get("ports")?.items()? {
        let hp = p.get("hostPort")?;
        let Some(port) = hp.int_in(0, 65535)? else { continue };
        if port == 0 {
            continue;
        }
        let protocol = p.get("protocol")?.string()?.filter(|s| !s.is_empty()).unwrap_or_else(|| "TCP".into());
        if !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP") {
            return Err(p.problem_at("protocol", format!("unknown protocol {protocol:?} (expected TCP, UDP or SCTP)")));
        }
        let host_ip = p.get("hostIP")?.string()?.filter(|s| !s.is_empty()).unwrap_or_else(|| "0.0.0.0".into());
        ports.push(HostPort { port: port as u16, protocol, host_ip });
    }
    Ok((out, ports))
}

/// A node-selector requirement (`key`, `operator`, `values`, and `minValues` where allowed).
pub(crate) fn requirement(c: &Cur, allow_min_values: bool) -> Res<Requirement> {
    let key = c.get("key")?.required_string()?;
    let op_cur = c.get("operator")?;
    let op_text = op_cur.required_string()?;
    let op = Operator::parse(&op_text).ok_or_else(|| {
        op_cur.problem(format!(
            "unknown operator {op_text:?} (expected In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte or Lte)"
        ))
    })?;
    let values_cur = c.get("values")?;
    let values = values_cur.strings()?;
    check_values(op, &values, &values_cur)?;
    let min_cur = c.get("minValues")?;
    let min_values = if allow_min_values { min_cur.int_in(1, 50)?.map(|m| m as u32) } else { None };
    Requirement::with_min_values(&key, op, values, min_values).map_err(|e| match e {
        RequirementError::MinValuesTooLarge { .. } => min_cur.problem(e.to_string()),
        _ => values_cur.problem(e.to_string()),
    })
}

/// A node selector term's `matchExpressions` as requirements (Karpenter reads no `matchFields`).
fn node_selector_term(term: &Cur, notes: &mut Notes) -> Res<Requirements> {
    let mut r = Requirements::new();
    for e in term.get("matchExpressions")?.items()? {
        r.add(requirement(&e, false)?);
    }
    let fields = term.get("matchFields")?;
    if !fields.items()?.is_empty() {
        notes.push(fields.problem("matchFields is ignored, as Karpenter ignores it"));
    }
    Ok(r)
}

fn weight(c: &Cur) -> Res<i32> {
    c.int_in(1, 100)?.map(|w| w as i32).ok_or_else(|| c.problem("is required"))
}

fn node_affinity(na: &Cur, notes: &mut Notes) -> Res<NodeAffinity> {
    let mut out = NodeAffinity::default();
    let required = na.get("requiredDuringSchedulingIgnoredDuringExecution")?;
    for term in required.get("nodeSelectorTerms")?.items()? {
        out.required.push(node_selector_term(&term, notes)?);
    }
    for p in na.get("preferredDuringSchedulingIgnoredDuringExecution")?.items()? {
        let w = weight(&p.get("weight")?)?;
        out.preferred.push((w, node_selector_term(&p.get("preference")?, notes)?));
    }
    Ok(out)
}

/// The value-count rules every selector operator shares: `Exists` and `DoesNotExist` take no
/// values, `NotIn` at least one (`In` and the bounds are checked where the requirement is built).
fn check_values(op: Operator, values: &[String], values_cur: &Cur) -> Res<()> {
    match op {
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            Err(values_cur.problem(format!("operator {op} takes no values")))
        }
        Operator::NotIn if values.is_empty() => Err(values_cur.problem("operator NotIn needs at least one value")),
        _ => Ok(()),
    }
}

/// A Kubernetes label selector, or `None` when absent.
pub(crate) fn label_selector(c: &Cur) -> Res<Option<LabelSelector>> {
    if c.is_absent() {
        return Ok(None);
    }
    let mut s = LabelSelector::from_labels(&c.get("matchLabels")?.string_map()?);
    for e in c.get("matchExpressions")?.items()? {
        let key = e.get("key")?.required_string()?;
        let op_cur = e.get("operator")?;
        let op_text = op_cur.required_string()?;
        let op = match Operator::parse(&op_text) {
            Some(op @ (Operator::In | Operator::NotIn | Operator::Exists | Operator::DoesNotExist)) => op,
            _ => {
                return Err(op_cur
                    .problem(format!("unknown operator {op_text:?} (expected In, NotIn, Exists or DoesNotExist)")))
            }
        };
        let values_cur = e.get("values")?;
        let values = values_cur.strings()?;
        check_values(op, &values, &values_cur)?;
        s.add_expression(&key, op, &values).map_err(|err| values_cur.problem(err.to_string()))?;
    }
    Ok(Some(s))
}

fn pod_affinity_term(t: &Cur, notes: &mut Notes) -> Res<PodAffinityTerm> {
    let selector = label_selector(&t.get("labelSelector")?)?.unwrap_or_else(LabelSelector::nothing);
    let listed = t.get("namespaces")?.strings()?;
    let ns_sel = t.get("namespaceSelector")?;
    let namespaces = if !ns_sel.is_absent() {
        let sel = label_selector(&ns_sel)?.unwrap_or_default();
        if !sel.is_everything() {
            notes.push(ns_sel.problem(
                "a namespaceSelector with labels cannot be evaluated without Namespace objects; all namespaces are counted",
            ));
        }
        NamespaceScope::All
    } else if listed.is_empty() {
        NamespaceScope::Own
    } else {
        NamespaceScope::Listed(listed)
    };
    let topology_key = t.get("topologyKey")?.required_string()?;
    Ok(PodAffinityTerm { selector, namespaces, topology_key })
}

fn pod_affinity(pa: &Cur, notes: &mut Notes) -> Res<PodAffinity> {
    let mut out = PodAffinity::default();
    for t in pa.get("requiredDuringSchedulingIgnoredDuringExecution")?.items()? {
        out.required.push(pod_affinity_term(&t, notes)?);
    }
    for p in pa.get("preferredDuringSchedulingIgnoredDuringExecution")?.items()? {
        let w = weight(&p.get("weight")?)?;
        out.preferred.push((w, pod_affinity_term(&p.get("podAffinityTerm")?, notes)?));
    }
    Ok(out)
}

fn effect(c: &Cur) -> Res<Option<Effect>> {
    match c.string()? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => Effect::parse(&s).map(Some).ok_or_else(|| {
            c.problem(format!("unknown effect {s:?} (expected NoSchedule, PreferNoSchedule or NoExecute)"))
        }),
    }
}

fn toleration(t: &Cur) -> Res<Toleration> {
    let op_cur = t.get("operator")?;
    let operator = match op_cur.string()?.as_deref() {
        None | Some("") | Some("Equal") => TolerationOperator::Equal,
        Some("Exists") => TolerationOperator::Exists,
        Some(other) => return Err(op_cur.problem(format!("unknown operator {other:?} (expected Equal or Exists)"))),
    };
    Ok(Toleration {
        key: t.get("key")?.string()?.unwrap_or_default(),
        operator,
        value: t.get("value")?.string()?.unwrap_or_default(),
        effect: effect(&t.get("effect")?)?,
    })
}

/// A node taint (`key`, `value`, `effect`, all but the value required).
pub(crate) fn taint(t: &Cur) -> Res<Taint> {
    let key = t.get("key")?.required_string()?;
    let value = t.get("value")?.string()?.unwrap_or_default();
    let effect_cur = t.get("effect")?;
    let effect = effect(&effect_cur)?.ok_or_else(|| effect_cur.problem("is required"))?;
    Ok(Taint { key, value, effect })
}

fn policy(c: &Cur, default: InclusionPolicy) -> Res<InclusionPolicy> {
    match c.string()?.as_deref() {
        None => Ok(default),
        Some("Honor") => Ok(InclusionPolicy::Honor),
        Some("Ignore") => Ok(InclusionPolicy::Ignore),
        Some(other) => Err(c.problem(format!("unknown policy {other:?} (expected Honor or Ignore)"))),
    }
}

fn spread(t: &Cur) -> Res<TopologySpreadConstraint> {
    let skew = t.get("maxSkew")?;
    let max_skew = skew.int_in(1, i64::from(i32::MAX))?.ok_or_else(|| skew.problem("is required"))? as i32;
    let topology_key = t.get("topologyKey")?.required_string()?;
    let wu = t.get("whenUnsatisfiable")?;
    let when_unsatisfiable = match wu.string()?.as_deref() {
        None | Some("DoNotSchedule") => WhenUnsatisfiable::DoNotSchedule,
        Some("ScheduleAnyway") => WhenUnsatisfiable::ScheduleAnyway,
        Some(other) => {
            return Err(wu.problem(format!("unknown value {other:?} (expected DoNotSchedule or ScheduleAnyway)")))
        }
    };
    Ok(TopologySpreadConstraint {
        max_skew,
        topology_key,
        when_unsatisfiable,
        selector: label_selector(&t.get("labelSelector")?)?.unwrap_or_else(LabelSelector::nothing),
        min_domains: t.get("minDomains")?.int_in(1, i64::from(i32::MAX))?.map(|m| m as i32),
        node_affinity_policy: policy(&t.get("nodeAffinityPolicy")?, InclusionPolicy::Honor)?,
        node_taints_policy: policy(&t.get("nodeTaintsPolicy")?, InclusionPolicy::Ignore)?,
        match_label_keys: t.get("matchLabelKeys")?.strings()?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::cursor::Path;
    use super::super::yaml::{read_documents, render_path, Yaml};
    use super::*;
    use nodepack_core::ResourceName;

    fn doc(text: &str) -> Yaml {
        read_documents(text).unwrap().remove(0)
    }

    fn read(text: &str) -> Res<(Pod, Notes)> {
        let y = doc(text);
        let root = Cur::new(&y, Path::default());
        let mut notes = Notes::new();
        let p = pod(&root.get("metadata")?, &root.get("spec")?, "default", "p", &mut notes)?;
        Ok((p, notes))
    }

    fn err(text: &str) -> (String, String) {
        let e = read(text).unwrap_err();
        (render_path(&e.path.segments()), e.message)
    }

    #[test]
    fn full_pod() {
        let (p, notes) = read(
            r#"
metadata:
  labels: {app: web, version: 1.10}
  annotations: {karpenter.sh/do-not-disrupt: "true"}
  creationTimestamp: "2024-05-01T12:00:00Z"
  ownerReferences:
  - {kind: Other, name: x}
  - {kind: ReplicaSet, name: web-abc, controller: true}
spec:
  priority: 1000
  nodeSelector: {role: general}
  containers:
  - resources:
      requests: {cpu: 250m, memory: 0.5Gi}
      limits: {cpu: "1", nvidia.com/gpu: 1}
    ports:
    - {containerPort: 80, hostPort: 8080}
    - {containerPort: 81, hostPort: 8081, protocol: UDP, hostIP: 10.0.0.1}
    - {containerPort: 82}
  initContainers:
  - name: sidecar
    restartPolicy: Always
    resources: {requests: {cpu: 100m}}
    ports: [{hostPort: 9000}]
  - name: init
    resources: {requests: {cpu: "2"}}
    ports: [{hostPort: 9001}]
  overhead: {cpu: 10m}
  tolerations:
  - {key: a, operator: Exists}
  - {key: b, value: c, effect: NoSchedule}
  - {operator: Exists}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}
          matchFields:
          - {key: metadata.name, operator: In, values: [n1]}
        - matchExpressions:
          - {key: size, operator: Gt, values: ["4"]}
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 10
        preference:
          matchExpressions: [{key: zone, operator: NotIn, values: [a]}]
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: web}}
        topologyKey: kubernetes.io/hostname
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 50
        podAffinityTerm:
          topologyKey: topology.kubernetes.io/zone
          namespaces: [a, b]
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector:
          matchExpressions: [{key: tier, operator: Exists}]
        namespaceSelector: {}
        topologyKey: topology.kubernetes.io/zone
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    labelSelector: {matchLabels: {app: web}}
    matchLabelKeys: [pod-template-hash]
  - maxSkew: 2
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    minDomains: 3
    nodeAffinityPolicy: Ignore
    nodeTaintsPolicy: Honor
"#,
        )
        .unwrap();
        assert_eq!(p.labels["version"], "1.10");
        assert_eq!(p.do_not_disrupt_annotation(), Some("true"));
        assert_eq!(p.created, 1_714_564_800);
        assert_eq!(p.owner_kind.as_deref(), Some("ReplicaSet"));
        assert_eq!(p.priority, 1000);
        // containers 250m + sidecar 100m = 350m; init phase 2000 + 100 = 2100; + overhead 10
        assert_eq!(p.requests.cpu().0, 2110);
        assert_eq!(p.requests.memory().0, 512 << 20);
        assert_eq!(p.requests.get(&ResourceName::Extended("nvidia.com/gpu".into())), 1);
        assert_eq!(p.host_ports.len(), 3);
        assert_eq!(p.host_ports[0], HostPort { port: 8080, protocol: "TCP".into(), host_ip: "0.0.0.0".into() });
        assert_eq!(p.host_ports[1].host_ip, "10.0.0.1");
        assert_eq!(p.host_ports[2].port, 9000);
        assert_eq!(p.tolerations.len(), 3);
        assert_eq!(p.tolerations[1], Toleration::equal("b", "c", Some(Effect::NoSchedule)));
        assert_eq!(p.tolerations[2], Toleration::exists("", None));
        assert_eq!(p.node_affinity.required.len(), 2);
        assert!(p.node_affinity.required[1].get("size").unwrap().has("5"));
        assert!(!p.node_affinity.required[1].get("size").unwrap().has("4"));
        assert_eq!(p.node_affinity.preferred[0].0, 10);
        assert_eq!(p.pod_anti_affinity.required[0].namespaces, NamespaceScope::Own);
        assert_eq!(p.pod_anti_affinity.preferred[0].1.namespaces, NamespaceScope::Listed(vec!["a".into(), "b".into()]));
        assert_eq!(p.pod_anti_affinity.preferred[0].1.selector, LabelSelector::nothing());
        assert_eq!(p.pod_affinity.required[0].namespaces, NamespaceScope::All);
        let t = &p.topology_spread;
        assert_eq!(t[0].when_unsatisfiable, WhenUnsatisfiable::DoNotSchedule);
        assert_eq!(t[0].node_affinity_policy, InclusionPolicy::Honor);
        assert_eq!(t[0].node_taints_policy, InclusionPolicy::Ignore);
        assert_eq!(t[0].match_label_keys, vec!["pod-template-hash"]);
        assert_eq!(t[1].min_domains, Some(3));
        assert_eq!(t[1].node_taints_policy, InclusionPolicy::Honor);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].message.contains("matchFields"));
    }

    #[test]
    fn empty_pod() {
        let (p, notes) = read("metadata: {}\nspec: {}\n").unwrap();
        assert!(p.requests.is_zero());
        assert_eq!(p.namespace, "default");
        assert!(notes.is_empty());
    }

    #[test]
    fn malformed_fields_name_their_path() {
        let cases = [
            ("spec: {containers: [{resources: {requests: {cpu: \"-1\"}}}]}", "spec.containers[0].resources.requests.cpu", "negative"),
            ("spec: {containers: {a: 1}}", "spec.containers", "expected a list"),
            ("spec: {priority: high}", "spec.priority", "expected an integer"),
            ("spec: {containers: [{ports: [{hostPort: 70000}]}]}", "spec.containers[0].ports[0].hostPort", "out of range"),
            ("spec: {tolerations: [{key: a, operator: Maybe}]}", "spec.tolerations[0].operator", "unknown operator"),
            ("spec: {tolerations: [{key: a, effect: Sometimes}]}", "spec.tolerations[0].effect", "unknown effect"),
            ("metadata: {creationTimestamp: yesterday}", "metadata.creationTimestamp", "RFC 3339"),
            (
                "spec: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: a, operator: Gt, values: [x]}]}]}}}}",
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values",
                "integer",
            ),
            (
                "spec: {affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {}}]}}}",
                "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
                "required",
            ),
            ("spec: {topologySpreadConstraints: [{maxSkew: 0, topologyKey: z}]}", "spec.topologySpreadConstraints[0].maxSkew", "out of range"),
            (
                "spec: {topologySpreadConstraints: [{maxSkew: 1, topologyKey: z, labelSelector: {matchExpressions: [{key: a, operator: Gt, values: [\"1\"]}]}}]}",
                "spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].operator",
                "unknown operator",
            ),
            (
                "spec: {containers: [{resources: {requests: {cpu: \"9223372036854775\"}}}, {resources: {requests: {cpu: \"9223372036854775\"}}}]}",
                "spec.containers",
                "too large",
            ),
        ];
        for (text, path, msg) in cases {
            let (p, m) = err(text);
            assert_eq!(p, path, "{text}: {m}");
            assert!(m.contains(msg), "{text}: {m}");
        }
    }

    #[test]
    fn requirement_checks() {
        let y = doc("a: {key: k, operator: In, values: [x, y], minValues: 3}\nb: {key: k, operator: Exists, values: [x]}\nc: {key: k, operator: Lte, values: [\"10\"], minValues: 1}\nd: {key: k, operator: Gt, values: [\"10\"], minValues: 0}\n");
        let root = Cur::new(&y, Path::default());
        let e = requirement(&root.get("a").unwrap(), true).unwrap_err();
        assert_eq!(render_path(&e.path.segments()), "a.minValues");
        let e = requirement(&root.get("b").unwrap(), true).unwrap_err();
        assert_eq!(render_path(&e.path.segments()), "b.values");
        let r = requirement(&root.get("c").unwrap(), true).unwrap();
        assert!(r.has("10") && !r.has("11"));
        assert_eq!(r.min_values(), Some(1));
        assert!(requirement(&root.get("d").unwrap(), true).is_err());
    }
}

//! Whole-load tests: documents in, `Inputs` or a `LoadError` out.

use super::*;
use nodepack_core::{BudgetNodes, ResourceName};

fn ok(text: &str) -> Inputs {
    load_str("test.yaml", text).unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> LoadError {
    load_str("test.yaml", text).expect_err("expected an error")
}

const POOL: &str = "apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: general}\n";

#[test]
fn error_display_names_file_kind_field_and_line() {
    let e = err(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata:\n  name: general-pool\nspec:\n  limits:\n    memory: 10Gi\n    cpu: \"-1\"\n",
    );
    assert_eq!(e.to_string(), "test.yaml: NodePool general-pool: spec.limits.cpu: \"-1\" is negative (line 12)");
    assert_eq!(e.document, Some(2));
    assert_eq!(e.kind.as_deref(), Some("NodePool"));
    assert_eq!(e.field.as_deref(), Some("spec.limits.cpu"));
    assert_eq!(e.line, Some(12));

    // No name: the document index stands in.
    let e = err("kind: Catalog\nspec:\n  builtin: gcp\n");
    assert_eq!(
        e.to_string(),
        "test.yaml: document 1 (Catalog): spec.builtin: unknown catalog \"gcp\" (expected aws or none) (line 3)"
    );

    // Not YAML at all.
    let e = err("kind: Pod\nmetadata: {name: [unclosed\n");
    assert_eq!(e.kind, None);
    assert_eq!(e.document, Some(1));
    assert!(e.line.is_some(), "{e}");
    assert!(e.to_string().starts_with("test.yaml: document 1: "), "{e}");

    // YAML, but not an object.
    let e = err("just some words\n");
    assert_eq!(e.to_string(), "test.yaml: document 1: a document must be a mapping (a Kubernetes object), found the string \"just some words\" (line 1)");
    let e = err("- a\n- b\n");
    assert!(e.message.contains("found a list"), "{e}");
    let e = err("metadata: {name: x}\n");
    assert_eq!(e.field.as_deref(), Some("kind"));
    let e = err("kind: NodePool\nmetadata: {}\n");
    assert_eq!(e.to_string(), "test.yaml: document 1 (NodePool): metadata.name: is required (line 2)");
}

#[test]
fn errors_inside_lists_name_the_item() {
    let e = err(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: ok}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: bad}\n  spec:\n    containers:\n    - resources:\n        requests: {cpu: lots}\n",
    );
    assert_eq!(e.name.as_deref(), Some("bad"));
    assert_eq!(e.field.as_deref(), Some("items[1].spec.containers[0].resources.requests.cpu"));
    assert_eq!(e.line, Some(13));
    let e = err("apiVersion: v1\nkind: List\nitems:\n- 3\n");
    assert_eq!(e.field.as_deref(), Some("items[0]"));
    assert!(e.message.contains("a List item must be a mapping"), "{e}");
}

#[test]
fn reads_every_kind() {
    let inputs = ok(r#"
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: general}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: big-pods}
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: plain}
spec:
  template:
    spec:
      nodeClassRef: {name: default}
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: big-pods}
spec: {kubelet: {maxPods: 200}}
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec: {amiSelectorTerms: [{alias: al2023@latest}]}
---
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {karpenter.sh/nodepool: general, karpenter.sh/initialized: "true"}}
status: {allocatable: {cpu: "2", memory: 8Gi, pods: "29"}}
---
apiVersion: v1
kind: Pod
metadata: {name: bound, namespace: web}
spec: {nodeName: n1, containers: [{resources: {requests: {cpu: 100m}}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: waiting}
spec: {containers: [{resources: {requests: {cpu: 100m}}}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: logs, namespace: kube-system}
spec: {template: {spec: {containers: [{resources: {requests: {cpu: 50m}}}]}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: pdb}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: a}}}
---
apiVersion: nodepack.io/v1alpha1
kind: Trace
metadata: {name: t}
spec: {events: [{at: 0s, end: true}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c1}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c2}
"#);
    let c = &inputs.cluster;
    assert_eq!(c.node_pools.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["general", "plain"]);
    assert!(matches!(&inputs.catalog_source, CatalogSource::Builtin { region, .. } if region == "us-east-1"));
    assert!(c.instance_types.len() > 100);
    // The class with kubelet settings gets its own catalog; the other pool shares the default.
    assert_eq!(c.pool_instance_types.keys().collect::<Vec<_>>(), ["general"]);
    let big = c.instance_types_for("general").iter().find(|t| t.name == "m6i.large").unwrap();
    let plain = c.instance_types_for("plain").iter().find(|t| t.name == "m6i.large").unwrap();
    assert_eq!(big.allocatable().pods(), 200);
    assert_eq!(plain.allocatable().pods(), 29);
    assert_eq!(inputs.node_classes.len(), 2);
    assert_eq!(inputs.node_classes["big-pods"].max_pods, Some(200));
    assert_eq!(c.nodes.len(), 1);
    assert_eq!(c.nodes[0].pods.len(), 1);
    assert_eq!(c.nodes[0].pods[0].key(), "web/bound");
    assert!(c.nodes[0].initialized);
    assert_eq!(inputs.pending.iter().map(Pod::key).collect::<Vec<_>>(), ["default/waiting"]);
    assert_eq!(c.daemon_sets.len(), 1);
    assert_eq!(c.daemon_sets[0].template.requests.cpu().0, 50);
    assert_eq!(c.pdbs.len(), 1);
    assert_eq!(inputs.traces.len(), 1);
    assert_eq!(inputs.traces[0].0, Source { file: "test.yaml".into(), path: None, document: 10 });
    assert_eq!(inputs.traces[0].1["spec"]["events"][0]["at"], serde_yaml::Value::String("0s".into()));
    assert_eq!(inputs.warnings.len(), 1, "{:?}", inputs.warnings);
    assert!(inputs.warnings[0].contains("2 documents of v1 ConfigMap"), "{:?}", inputs.warnings);
}

#[test]
fn pods_on_unknown_nodes_and_finished_pods_are_left_out() {
    let inputs = ok(r#"
kind: Pod
metadata: {name: a}
spec: {nodeName: gone}
---
kind: Pod
metadata: {name: b}
spec: {nodeName: gone}
---
kind: Pod
metadata: {name: done}
status: {phase: Succeeded}
---
kind: Pod
metadata: {name: ds-pod, ownerReferences: [{kind: DaemonSet, name: logs, controller: true}]}
---
kind: Pod
metadata: {name: going, deletionTimestamp: "2024-05-01T12:00:00Z"}
"#);
    assert!(inputs.pending.is_empty());
    assert_eq!(inputs.warnings.len(), 4, "{:?}", inputs.warnings);
    assert!(inputs.warnings[0].contains("2 pods (the first here) are bound to node gone"), "{:?}", inputs.warnings);
    assert!(inputs.warnings[0].starts_with("test.yaml: Pod a: spec.nodeName: "), "{:?}", inputs.warnings);
}

#[test]
fn workloads_expand_into_pods() {
    let inputs = ok(r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: web}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{resources: {requests: {cpu: 500m}}}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec: {parallelism: 2, template: {spec: {}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {template: {spec: {}}}
"#);
    let keys: Vec<String> = inputs.pending.iter().map(Pod::key).collect();
    assert_eq!(keys, ["web/api-0", "web/api-1", "web/api-2", "default/batch-0", "default/batch-1", "default/db-0"]);
    assert_eq!(inputs.pending[0].labels["app"], "api");
    assert_eq!(inputs.pending[0].requests.cpu().0, 500);
    assert_eq!(inputs.pending[0].owner_kind.as_deref(), Some("ReplicaSet"));
    assert_eq!(inputs.owners["web/api-2"], "Deployment/api");
    assert_eq!(inputs.owners["default/batch-1"], "Job/batch");
    assert_eq!(inputs.owners["default/db-0"], "StatefulSet/db");
}

#[test]
fn workloads_and_their_pods_are_not_counted_twice() {
    let inputs = ok(r#"
kind: Node
metadata: {name: n1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec: {replicas: 3, template: {spec: {}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-7d9f
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, controller: true}]
spec: {replicas: 3, template: {spec: {}}}
---
kind: Pod
metadata:
  name: api-7d9f-x1
  labels: {pod-template-hash: 7d9f}
  ownerReferences: [{kind: ReplicaSet, name: api-7d9f, controller: true}]
spec: {nodeName: n1}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {replicas: 3, template: {spec: {}}}
---
kind: Pod
metadata:
  name: db-1
  ownerReferences: [{kind: StatefulSet, name: db, controller: true}]
spec: {nodeName: n1}
"#);
    let keys: Vec<String> = inputs.pending.iter().map(Pod::key).collect();
    assert_eq!(keys, ["default/api-0", "default/api-1", "default/db-0", "default/db-2"]);
    assert_eq!(inputs.cluster.nodes[0].pods.len(), 2);
    assert_eq!(inputs.owners["default/api-7d9f-x1"], "Deployment/api");
    assert_eq!(inputs.owners["default/db-1"], "StatefulSet/db");
    assert!(
        inputs.warnings.iter().any(|w| w.contains("ReplicaSet api-7d9f") && w.contains("skipped")),
        "{:?}",
        inputs.warnings
    );
}

#[test]
fn absurd_replicas_are_refused() {
    let e = err("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: huge}\nspec:\n  replicas: 2000000000\n  template: {spec: {}}\n");
    assert_eq!(e.field.as_deref(), Some("spec.replicas"));
    assert_eq!(e.line, Some(5));
    let e =
        err("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: huge}\nspec:\n  replicas: 99999999999999999999\n");
    assert_eq!(e.field.as_deref(), Some("spec.replicas"));
}

#[test]
fn catalog_choices() {
    let it = "apiVersion: nodepack.io/v1alpha1\nkind: InstanceType\nmetadata: {name: small}\nspec:\n  capacity: {cpu: \"4\", memory: 4Gi, pods: \"5\"}\n  offerings: [{zone: z1, capacityType: spot, price: 0.1}]\n";
    let custom = ok(it);
    assert_eq!(custom.catalog_source, CatalogSource::Custom);
    assert_eq!(custom.cluster.instance_types.len(), 1);

    let empty = ok("apiVersion: nodepack.io/v1alpha1\nkind: Catalog\nspec: {builtin: none}\n");
    assert!(empty.cluster.instance_types.is_empty());
    assert!(empty.warnings.iter().any(|w| w.contains("catalog is empty")), "{:?}", empty.warnings);

    let union_text = format!(
        "apiVersion: nodepack.io/v1alpha1\nkind: Catalog\nspec: {{builtin: aws, region: eu-west-1, capacityTypes: [on-demand]}}\n---\n{it}---\n{}",
        it.replace("name: small", "name: m6i.large")
    );
    let union = ok(&union_text);
    assert_eq!(
        union.catalog_source,
        CatalogSource::Builtin {
            region: "eu-west-1".into(),
            zones: vec!["eu-west-1a".into(), "eu-west-1b".into(), "eu-west-1c".into()],
            capacity_types: vec!["on-demand".into()],
        }
    );
    let types = &union.cluster.instance_types;
    assert!(types.iter().any(|t| t.name == "small"));
    let m6i = types.iter().find(|t| t.name == "m6i.large").unwrap();
    assert_eq!(m6i.capacity.get(&ResourceName::Pods), 5, "the document wins over the built-in type");
    assert_eq!(types.iter().filter(|t| t.name == "m6i.large").count(), 1);
    let c5 = types.iter().find(|t| t.name == "c5.large").unwrap();
    assert!(c5.offerings.iter().all(|o| o.capacity_type == "on-demand" && o.zone.starts_with("eu-west-1")));

    let e = err("kind: Catalog\n---\nkind: Catalog\n");
    assert!(e.message.contains("second Catalog"), "{e}");
    assert_eq!(e.document, Some(2));
}

#[test]
fn kubelet_with_custom_catalog_warns() {
    let inputs = ok(r#"
kind: InstanceType
metadata: {name: small}
spec: {capacity: {cpu: 1}}
---
kind: EC2NodeClass
metadata: {name: c}
spec: {kubelet: {maxPods: 10}}
---
kind: NodePool
metadata: {name: p}
spec: {template: {spec: {nodeClassRef: {name: c}}}}
---
kind: NodePool
metadata: {name: q}
spec: {template: {spec: {nodeClassRef: {name: missing}}}}
"#);
    assert!(inputs.cluster.pool_instance_types.is_empty());
    assert_eq!(inputs.warnings.len(), 2, "{:?}", inputs.warnings);
    assert!(inputs.warnings.iter().any(|w| w.contains("kubelet settings do not change")));
    assert!(inputs.warnings.iter().any(|w| w.contains("EC2NodeClass missing is not in the input")));
}

#[test]
fn duplicates_are_errors() {
    let e = err(&format!("{POOL}---\n{POOL}"));
    assert_eq!(e.to_string(), "test.yaml: NodePool general: metadata.name: NodePool general is defined twice (first in test.yaml document 1) (line 7)");
    // Same name in two namespaces is fine.
    ok("kind: Pod\nmetadata: {name: a, namespace: x}\n---\nkind: Pod\nmetadata: {name: a, namespace: y}\n");
}

#[test]
fn api_versions() {
    let inputs = ok("apiVersion: karpenter.sh/v1beta1\nkind: NodePool\nmetadata: {name: old}\n---\napiVersion: example.com/v1\nkind: NodePool\nmetadata: {name: other}\n");
    assert_eq!(inputs.cluster.node_pools.len(), 1);
    assert_eq!(inputs.warnings.len(), 2, "{:?}", inputs.warnings);
    assert!(inputs.warnings[0].contains("read as karpenter.sh/v1"));
    assert!(inputs.warnings[1].contains("example.com/v1 NodePool is not a kind nodepack reads"));
}

#[test]
fn nothing_is_half_applied() {
    let e = load_str("x.yaml", &format!("{POOL}---\nkind: NodePool\nmetadata: {{name: b}}\nspec: {{weight: -1}}\n"));
    assert!(e.is_err());
}

#[test]
fn empty_and_comment_only_inputs() {
    let inputs = ok("");
    assert!(inputs.pending.is_empty() && inputs.cluster.node_pools.is_empty());
    let inputs = ok("# nothing\n---\n---\n");
    assert!(inputs.warnings.is_empty());
}

#[test]
fn values_load_without_lines() {
    let docs: Vec<serde_yaml::Value> = vec![
        serde_yaml::from_str("kind: NodePool\nmetadata: {name: p}\nspec: {limits: {cpu: 0.5}}\n").unwrap(),
        serde_yaml::from_str("kind: NodePool\nmetadata: {name: q}\nspec: {weight: 3}\n").unwrap(),
    ];
    let inputs = load_values("trace.yaml events[0].apply", &docs).unwrap();
    assert_eq!(inputs.cluster.node_pools[0].limits.cpu().0, 500);
    let bad: Vec<serde_yaml::Value> =
        vec![serde_yaml::from_str("kind: NodePool\nmetadata: {name: p}\nspec: {limits: {cpu: -1}}\n").unwrap()];
    let e = load_values("trace.yaml", &bad).unwrap_err();
    assert_eq!(e.line, None);
    assert_eq!(e.field.as_deref(), Some("spec.limits.cpu"));
}

#[test]
fn budgets_round_trip_through_load() {
    let inputs = ok(&format!("{POOL}spec:\n  disruption:\n    budgets:\n    - nodes: \"100%\"\n"));
    assert_eq!(inputs.cluster.node_pools[0].disruption.budgets[0].nodes, BudgetNodes::Percent(100));
}

#[test]
fn files_directories_and_order() {
    let dir = std::env::temp_dir().join(format!("nodepack-loader-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("b.yml"), "kind: NodePool\nmetadata: {name: b}\n").unwrap();
    std::fs::write(dir.join("a.yaml"), "kind: NodePool\nmetadata: {name: a}\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not: read\n").unwrap();
    std::fs::write(dir.join("sub/c.yaml"), "kind: NodePool\nmetadata: {name: c}\n").unwrap();
    std::fs::write(dir.join("z.yaml"), "kind: NodePool\nmetadata: {name: z}\nspec: {weight: [1]}\n").unwrap();
    std::fs::write(dir.join("sub/latin1.yaml"), b"kind: Pod\nmetadata: {name: caf\xe9}\n").unwrap();

    let e = load(&[InputPath::File(dir.clone())]).unwrap_err();
    assert!(e.file.ends_with("z.yaml"), "{e}");
    assert_eq!(e.line, Some(3));
    std::fs::remove_file(dir.join("z.yaml")).unwrap();

    let inputs = load(&[InputPath::File(dir.join("sub/c.yaml")), InputPath::File(dir.clone())]).unwrap();
    let names: Vec<&str> = inputs.cluster.node_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["c", "a", "b"]);

    let e = load(&[InputPath::File(dir.join("sub/latin1.yaml"))]).unwrap_err();
    assert!(e.message.contains("not UTF-8"), "{e}");
    let e = load(&[InputPath::File(dir.join("missing.yaml"))]).unwrap_err();
    assert!(e.to_string().contains("missing.yaml: cannot read"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

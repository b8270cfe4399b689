//! FORMATS.md §5: nothing panics on any input. Random texts, valid manifests with a value swapped
//! for something absurd, and manifests cut off anywhere must all load or fail with an error.

use nodepack_sim::manifest::load_str;
use proptest::prelude::*;

const BASE: &str = r#"apiVersion: nodepack.io/v1alpha1
kind: Catalog
spec: {builtin: none, region: us-east-1}
---
apiVersion: nodepack.io/v1alpha1
kind: InstanceType
metadata: {name: small}
spec:
  capacity: {cpu: "4", memory: 4Gi, pods: "5"}
  overhead: {kubeReserved: {cpu: 100m, memory: 10Mi}}
  labels: {kubernetes.io/arch: amd64, size: small}
  offerings:
  - {zone: z1, capacityType: spot, price: 0.829497}
  - {zone: z2, capacityType: on-demand, price: 1, available: false}
---
apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: general}
spec:
  weight: 10
  template:
    metadata: {labels: {role: general}}
    spec:
      requirements:
      - {key: size, operator: Gt, values: ["3"], minValues: 1}
      - {key: kubernetes.io/arch, operator: In, values: [amd64]}
      taints: [{key: a, value: b, effect: NoSchedule}]
      expireAfter: 720h
      nodeClassRef: {name: default}
  limits: {cpu: 1000, memory: 1000Gi, nodes: 10}
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 30s
    budgets:
    - {nodes: "10%", reasons: [Empty], schedule: "0 9 * * *", duration: 8h}
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata: {name: default}
spec:
  kubelet: {maxPods: 110, kubeReserved: {cpu: 200m}, evictionHard: {memory.available: 5%}}
---
apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {karpenter.sh/nodepool: general, karpenter.sh/initialized: "true"}
  creationTimestamp: "2024-05-01T12:00:00Z"
spec: {taints: [{key: a, effect: NoSchedule}], unschedulable: false}
status: {capacity: {cpu: "4"}, allocatable: {cpu: 3900m}, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: web}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: api}}
    spec:
      priority: 10
      nodeSelector: {role: general}
      tolerations: [{key: a, operator: Exists}]
      containers:
      - resources: {requests: {cpu: 250m, memory: 0.5Gi}, limits: {nvidia.com/gpu: 1}}
        ports: [{hostPort: 8080, protocol: TCP}]
      initContainers:
      - {restartPolicy: Always, resources: {requests: {cpu: 10m}}}
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: api}}}
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchExpressions: [{key: app, operator: In, values: [api]}]}, topologyKey: kubernetes.io/hostname}
---
apiVersion: v1
kind: Pod
metadata: {name: bound, ownerReferences: [{kind: ReplicaSet, name: api-x, controller: true}]}
spec: {nodeName: n1}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: pdb}
spec: {minAvailable: "50%", selector: {matchLabels: {app: api}}}
"#;

const EVIL: &[&str] = &[
    "-1",
    "\"-1\"",
    "1e400",
    "-1e400",
    "99999999999999999999Ei",
    "99999999999999999999",
    "-99999999999999999999",
    "340282366920938463463374607431768211457",
    "9223372036854775808",
    "1e-400",
    ".inf",
    ".nan",
    "0x7fffffffffffffff",
    "~",
    "",
    "[",
    "]",
    "{",
    "{a: [1, {b: *x}]}",
    "&x [1, *x]",
    "*undefined",
    "!!binary aGVsbG8=",
    "!custom {a: 1}",
    "'unterminated",
    "\"\\u0000\"",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]",
    "101%",
    "99999999999999999999%",
    "99999999999999999999h",
    "-5m",
    "Never",
    "true",
    "[a, b]",
    "{}",
    "2024-02-30T00:00:00Z",
    "@@@",
    "? [a]\n: b",
    "|\n  block",
];

fn swap_value(line: usize, evil: usize) -> String {
    let lines: Vec<&str> = BASE.lines().collect();
    let i = line % lines.len();
    let mut out = String::new();
    for (n, l) in lines.iter().enumerate() {
        if n == i {
            match l.find(": ") {
                Some(pos) => {
                    out.push_str(&l[..pos + 2]);
                    out.push_str(EVIL[evil % EVIL.len()]);
                }
                None => out.push_str(EVIL[evil % EVIL.len()]),
            }
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_base_manifest_loads() {
    let inputs = load_str("base.yaml", BASE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(inputs.pending.len(), 3);
    assert_eq!(inputs.cluster.nodes[0].pods.len(), 1);
}

#[test]
fn every_value_swapped_for_every_absurd_value() {
    let lines = BASE.lines().count();
    for line in 0..lines {
        for evil in 0..EVIL.len() {
            let text = swap_value(line, evil);
            if let Err(e) = load_str("swapped.yaml", &text) {
                assert!(e.to_string().starts_with("swapped.yaml"), "{e}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text(text in "\\PC{0,300}") {
        let _ = load_str("random.yaml", &text);
    }

    #[test]
    fn yaml_like_text(text in "([a-z:{}\\[\\],&*!|>'\"#%@` -]|\n|  |[0-9]|e|Ei|Gi|m){0,200}") {
        let _ = load_str("random.yaml", &text);
    }

    #[test]
    fn cut_anywhere(cut in 0usize..BASE.len()) {
        let mut at = cut;
        while !BASE.is_char_boundary(at) {
            at -= 1;
        }
        let _ = load_str("cut.yaml", &BASE[..at]);
    }

    #[test]
    fn lines_shuffled(picks in proptest::collection::vec(0usize..200, 0..60)) {
        let lines: Vec<&str> = BASE.lines().collect();
        let text: String = picks.iter().map(|p| format!("{}\n", lines[p % lines.len()])).collect();
        let _ = load_str("shuffled.yaml", &text);
    }
}

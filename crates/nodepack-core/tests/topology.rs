//! Scheduling constraints, with the outcomes Karpenter's topology suite expects.

use std::collections::BTreeMap;
use std::sync::Arc;

use nodepack_core::*;

const ZONE: &str = "topology.kubernetes.io/zone";
const HOST: &str = "kubernetes.io/hostname";

fn price(s: &str) -> Price {
    Price::from_dollars_str(s).unwrap()
}

/// Instance types in three zones, on-demand, with pods capacity `pods`.
fn catalog(pods: i64) -> Vec<InstanceType> {
    let mut out = vec![];
    for (name, cpu, p) in [("small", 2000, "0.1"), ("medium", 4000, "0.2"), ("large", 16000, "0.8")] {
        let offerings = ["test-zone-1", "test-zone-2", "test-zone-3"]
            .into_iter()
            .map(|z| Offering::new(z, "on-demand", price(p)))
            .collect();
        out.push(InstanceType::new(
            name,
            Resources::new()
                .with(ResourceName::Cpu, cpu)
                .with(ResourceName::Memory, 16 << 30)
                .with(ResourceName::Pods, pods),
            Overhead::default(),
            offerings,
        ));
    }
    out
}

fn cluster(pools: Vec<NodePool>, nodes: Vec<Node>) -> Cluster {
    Cluster { node_pools: pools, instance_types: Arc::new(catalog(110)), nodes, ..Default::default() }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn pod(name: &str, cpu: i64, app: &str) -> Pod {
    let mut p = Pod::new(name, Resources::new().with(ResourceName::Cpu, cpu));
    p.labels = labels(&[("app", app)]);
    p
}

fn spread(key: &str, skew: i32, app: &str) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.into(),
        when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
        selector: LabelSelector::from_labels(&labels(&[("app", app)])),
        min_domains: None,
        node_affinity_policy: InclusionPolicy::Honor,
        node_taints_policy: InclusionPolicy::Ignore,
        match_label_keys: vec![],
    }
}

fn term(key: &str, app: &str) -> PodAffinityTerm {
    PodAffinityTerm {
        selector: LabelSelector::from_labels(&labels(&[("app", app)])),
        namespaces: NamespaceScope::Own,
        topology_key: key.into(),
    }
}

/// Pods per zone among the new claims.
fn zone_counts(s: &Schedule) -> Vec<usize> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &s.node_claims {
        *m.entry(c.zone.as_str()).or_default() += c.pods.len();
    }
    let mut v: Vec<usize> = m.values().copied().collect();
    v.sort();
    v
}

fn run(c: &Cluster, pods: &[Pod]) -> Schedule {
    provision(c, pods, &Settings::default())
}

#[test]
fn zonal_spread_of_four_pods_over_three_zones_is_1_1_2() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let pods: Vec<Pod> = (0..4)
        .map(|i| {
            let mut p = pod(&format!("p{i}"), 1000, "web");
            p.topology_spread.push(spread(ZONE, 1, "web"));
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert!(s.unschedulable.is_empty(), "{:?}", s.unschedulable);
    assert_eq!(zone_counts(&s), vec![1, 1, 2]);
}

#[test]
fn zonal_spread_counts_existing_pods() {
    // Two matching pods already run in test-zone-1: new pods must fill zones 2 and 3 first.
    let mut node = Node {
        name: "existing".into(),
        labels: labels(&[(ZONE, "test-zone-1"), ("node.kubernetes.io/instance-type", "large")]),
        allocatable: Resources::new().with(ResourceName::Cpu, 1000).with(ResourceName::Pods, 10),
        capacity: Resources::new().with(ResourceName::Cpu, 1000).with(ResourceName::Pods, 10),
        initialized: true,
        ..Default::default()
    };
    for i in 0..2 {
        let mut p = pod(&format!("old{i}"), 100, "web");
        p.node_name = Some("existing".into());
        node.pods.push(p);
    }
    let c = cluster(vec![NodePool::new("default")], vec![node]);
    let pods: Vec<Pod> = (0..4)
        .map(|i| {
            let mut p = pod(&format!("p{i}"), 1000, "web");
            p.topology_spread.push(spread(ZONE, 1, "web"));
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert!(s.unschedulable.is_empty());
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for cl in &s.node_claims {
        *m.entry(cl.zone.clone()).or_default() += cl.pods.len();
    }
    // zone-1 has 2 already: 4 new pods go 2/2 to zones 2 and 3 (totals 2,2,2).
    assert_eq!(m.get("test-zone-1"), None);
    assert_eq!(m.get("test-zone-2"), Some(&2));
    assert_eq!(m.get("test-zone-3"), Some(&2));
}

#[test]
fn min_domains_over_two_allowed_zones_leaves_the_third_pod_pending() {
    let mut pool = NodePool::new("default");
    pool.requirements.add(Requirement::new(ZONE, Operator::In, ["test-zone-1", "test-zone-2"]).unwrap());
    let c = cluster(vec![pool], vec![]);
    let pods: Vec<Pod> = (0..3)
        .map(|i| {
            let mut p = pod(&format!("p{i}"), 1000, "web");
            let mut t = spread(ZONE, 1, "web");
            t.min_domains = Some(3);
            p.topology_spread.push(t);
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert_eq!(s.node_claims.iter().map(|c| c.pods.len()).sum::<usize>(), 2);
    assert_eq!(s.unschedulable.len(), 1);
    let u = &s.unschedulable[0];
    assert!(matches!(u.cause, Refusal::Topology { .. }), "{:?}", u.cause);
    assert!(u.reason.contains("minDomains 3"), "{}", u.reason);
    assert!(u.reason.contains("test-zone-1=1"), "{}", u.reason);
}

#[test]
fn hostname_spread_puts_one_pod_per_node() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let pods: Vec<Pod> = (0..5)
        .map(|i| {
            let mut p = pod(&format!("p{i}"), 100, "web");
            p.topology_spread.push(spread(HOST, 1, "web"));
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert_eq!(s.node_claims.len(), 5);
    assert!(s.node_claims.iter().all(|c| c.pods.len() == 1));
}

#[test]
fn self_affinity_packs_onto_one_node_up_to_its_pod_capacity() {
    let mut c = cluster(vec![NodePool::new("default")], vec![]);
    c.instance_types = Arc::new(catalog(4)); // every type takes at most 4 pods
    let pods: Vec<Pod> = (0..6)
        .map(|i| {
            let mut p = pod(&format!("p{i}"), 100, "cache");
            p.pod_affinity.required.push(term(HOST, "cache"));
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert_eq!(s.node_claims.len(), 1);
    assert_eq!(s.node_claims[0].pods.len(), 4);
    assert_eq!(s.unschedulable.len(), 2);
    assert!(s.unschedulable.iter().all(|u| u.reason.contains("pod affinity")), "{:?}", s.unschedulable[0].reason);
}

#[test]
fn zonal_self_affinity_keeps_pods_in_one_zone() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let pods: Vec<Pod> = (0..10)
        .map(|i| {
            let mut p = pod(&format!("p{i}"), 4000, "db");
            p.pod_affinity.required.push(term(ZONE, "db"));
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert!(s.unschedulable.is_empty());
    assert_eq!(zone_counts(&s), vec![10]);
}

#[test]
fn affinity_to_an_existing_pod_follows_its_zone() {
    let mut node = Node {
        name: "n1".into(),
        labels: labels(&[(ZONE, "test-zone-2")]),
        allocatable: Resources::new().with(ResourceName::Cpu, 500).with(ResourceName::Pods, 10),
        initialized: true,
        ..Default::default()
    };
    let mut api = pod("api-0", 100, "api");
    api.node_name = Some("n1".into());
    node.pods.push(api);
    let c = cluster(vec![NodePool::new("default")], vec![node]);
    let mut cache = pod("cache-0", 1000, "cache");
    cache.pod_affinity.required.push(term(ZONE, "api"));
    let s = run(&c, &[cache]);
    assert_eq!(s.node_claims.len(), 1);
    assert_eq!(s.node_claims[0].zone, "test-zone-2");
}

#[test]
fn affinity_without_a_target_is_pending_with_the_reason() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let mut cache = pod("cache-0", 1000, "cache");
    cache.pod_affinity.required.push(term(ZONE, "api"));
    let s = run(&c, &[cache]);
    assert_eq!(s.unschedulable.len(), 1);
    assert!(s.unschedulable[0].reason.contains("must join"), "{}", s.unschedulable[0].reason);
}

#[test]
fn hostname_anti_affinity_gives_each_pod_its_own_node() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let pods: Vec<Pod> = (0..4)
        .map(|i| {
            let mut p = pod(&format!("sentinel-{i}"), 100, "sentinel");
            p.pod_anti_affinity.required.push(term(HOST, "sentinel"));
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert_eq!(s.node_claims.len(), 4);
    assert!(s.unschedulable.is_empty());
}

/// Karpenter's "Schrödinger" rule: a pod whose zone is not yet fixed blocks every zone it could
/// land in, so one pass places only the first pod with zonal anti-affinity; the others wait for
/// the next pass, when that node exists in a known zone.
#[test]
fn zonal_anti_affinity_places_one_pod_per_pass() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let pods: Vec<Pod> = (0..4)
        .map(|i| {
            let mut p = pod(&format!("p{i}"), 1000, "zk");
            p.pod_anti_affinity.required.push(term(ZONE, "zk"));
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert_eq!(zone_counts(&s), vec![1]);
    assert_eq!(s.unschedulable.len(), 3);
    assert!(s.unschedulable[0].reason.contains("must avoid"), "{}", s.unschedulable[0].reason);
    // With the first pod's node pinned to a zone, the next pass fills the other two zones.
    let first = &s.node_claims[0];
    let node = Node {
        name: "n0".into(),
        labels: labels(&[(ZONE, first.zone.as_str())]),
        allocatable: Resources::new().with(ResourceName::Cpu, 1000).with(ResourceName::Pods, 10),
        initialized: true,
        pods: vec![{
            let mut p = pods.iter().find(|p| p.key() == first.pods[0]).unwrap().clone();
            p.node_name = Some("n0".into());
            p
        }],
        ..Default::default()
    };
    let rest: Vec<Pod> = pods.iter().filter(|p| p.key() != first.pods[0]).cloned().collect();
    let c2 = cluster(vec![NodePool::new("default")], vec![node]);
    let s2 = run(&c2, &rest);
    assert_eq!(s2.node_claims.len(), 1);
    assert_ne!(s2.node_claims[0].zone, first.zone);
}

#[test]
fn an_existing_pods_anti_affinity_keeps_selected_pods_away() {
    let mut node = Node {
        name: "n1".into(),
        labels: labels(&[(ZONE, "test-zone-1")]),
        allocatable: Resources::new().with(ResourceName::Cpu, 8000).with(ResourceName::Pods, 10),
        initialized: true,
        ..Default::default()
    };
    let mut guard = pod("guard", 100, "guard");
    guard.node_name = Some("n1".into());
    guard.pod_anti_affinity.required.push(term(ZONE, "web"));
    node.pods.push(guard);
    let c = cluster(vec![NodePool::new("default")], vec![node]);
    let web = pod("web-0", 1000, "web");
    let s = run(&c, &[web]);
    // The existing node has room, but it is in the guarded zone: a new node elsewhere is launched.
    assert!(s.existing_nodes.is_empty());
    assert_eq!(s.node_claims.len(), 1);
    assert_ne!(s.node_claims[0].zone, "test-zone-1");
}

#[test]
fn an_unknown_topology_key_leaves_the_pod_pending() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let mut p = pod("p", 100, "web");
    p.topology_spread.push(spread("example.com/rack", 1, "web"));
    let s = run(&c, &[p]);
    assert_eq!(s.unschedulable.len(), 1);
    assert!(s.unschedulable[0].reason.contains("example.com/rack"), "{}", s.unschedulable[0].reason);
}

#[test]
fn schedule_anyway_spread_is_relaxed_when_it_cannot_hold() {
    let mut pool = NodePool::new("default");
    pool.requirements.add(Requirement::new(ZONE, Operator::In, ["test-zone-1"]).unwrap());
    let c = cluster(vec![pool], vec![]);
    let pods: Vec<Pod> = (0..3)
        .map(|i| {
            let mut p = pod(&format!("p{i}"), 1000, "web");
            let mut t = spread(ZONE, 1, "web");
            t.min_domains = Some(3);
            t.when_unsatisfiable = WhenUnsatisfiable::ScheduleAnyway;
            p.topology_spread.push(t);
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert!(s.unschedulable.is_empty());
}

#[test]
fn preferred_node_affinity_is_tried_first_then_relaxed() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let mut p = pod("p", 1000, "web");
    let pref: Requirements = [Requirement::new(ZONE, Operator::In, ["test-zone-3"]).unwrap()].into_iter().collect();
    p.node_affinity.preferred.push((10, pref));
    let s = run(&c, std::slice::from_ref(&p));
    assert_eq!(s.node_claims[0].zone, "test-zone-3");
    // An impossible preference is dropped rather than leaving the pod pending.
    let mut q = pod("q", 1000, "web");
    let bad: Requirements = [Requirement::new(ZONE, Operator::In, ["nowhere"]).unwrap()].into_iter().collect();
    q.node_affinity.preferred.push((10, bad));
    let s = run(&c, &[q]);
    assert!(s.unschedulable.is_empty());
}

#[test]
fn ignore_policy_drops_preferences_from_the_start() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let mut p = pod("p", 1000, "web");
    let pref: Requirements = [Requirement::new(ZONE, Operator::In, ["test-zone-3"]).unwrap()].into_iter().collect();
    p.node_affinity.preferred.push((10, pref));
    let mut settings = Settings::default();
    settings.preference_policy = PreferencePolicy::Ignore;
    let s = provision(&c, &[p], &settings);
    // Without the preference the cheapest offering wins, which is the first zone by name.
    assert_eq!(s.node_claims[0].zone, "test-zone-1");
}

#[test]
fn required_node_affinity_or_terms_are_relaxed_but_never_the_last() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let mut p = pod("p", 1000, "web");
    let t1: Requirements = [Requirement::new(ZONE, Operator::In, ["nowhere"]).unwrap()].into_iter().collect();
    let t2: Requirements = [Requirement::new(ZONE, Operator::In, ["test-zone-2"]).unwrap()].into_iter().collect();
    p.node_affinity.required = vec![t1.clone(), t2];
    let s = run(&c, &[p]);
    assert_eq!(s.node_claims[0].zone, "test-zone-2");
    let mut q = pod("q", 1000, "web");
    q.node_affinity.required = vec![t1];
    let s = run(&c, &[q]);
    assert_eq!(s.unschedulable.len(), 1);
}

#[test]
fn prefer_no_schedule_taints_are_tolerated_after_relaxation() {
    let mut pool = NodePool::new("soft");
    pool.taints.push(Taint::new("soft", "", Effect::PreferNoSchedule));
    let c = cluster(vec![pool], vec![]);
    let s = run(&c, &[pod("p", 1000, "web")]);
    assert!(s.unschedulable.is_empty());
    assert_eq!(s.node_claims.len(), 1);
}

#[test]
fn host_ports_never_share_a_node() {
    let c = cluster(vec![NodePool::new("default")], vec![]);
    let pods: Vec<Pod> = (0..3)
        .map(|i| {
            let mut p = pod(&format!("p{i}"), 100, "web");
            p.host_ports.push(HostPort { port: 8080, protocol: "TCP".into(), host_ip: "0.0.0.0".into() });
            p
        })
        .collect();
    let s = run(&c, &pods);
    assert_eq!(s.node_claims.len(), 3);
}

#[test]
fn a_daemon_host_port_keeps_a_pod_off_the_types_it_runs_on() {
    let mut c = cluster(vec![NodePool::new("default")], vec![]);
    let mut ds = Pod::new("exporter", Resources::new().with(ResourceName::Cpu, 100));
    ds.host_ports.push(HostPort { port: 9100, protocol: "TCP".into(), host_ip: "0.0.0.0".into() });
    c.daemon_sets.push(DaemonSet { namespace: "kube-system".into(), name: "exporter".into(), template: ds });
    let mut p = pod("p", 100, "web");
    p.host_ports.push(HostPort { port: 9100, protocol: "TCP".into(), host_ip: "0.0.0.0".into() });
    let s = run(&c, &[p]);
    assert_eq!(s.unschedulable.len(), 1);
}

#[test]
fn daemon_overhead_counts_in_the_fit() {
    let mut c = cluster(vec![NodePool::new("default")], vec![]);
    let ds = Pod::new("agent", Resources::new().with(ResourceName::Cpu, 500));
    c.daemon_sets.push(DaemonSet { namespace: "kube-system".into(), name: "agent".into(), template: ds });
    // 1600m + 500m daemon = 2100m: does not fit "small" (2000m), so "medium" is launched.
    let s = run(&c, &[pod("p", 1600, "web")]);
    assert_eq!(s.node_claims[0].instance_type, "medium");
    // A daemon that does not tolerate the pool's taint adds nothing.
    let mut pool = NodePool::new("tainted");
    pool.taints.push(Taint::new("dedicated", "db", Effect::NoSchedule));
    c.node_pools = vec![pool];
    let mut p = pod("p", 1600, "web");
    p.tolerations.push(Toleration::exists("dedicated", None));
    let s = run(&c, &[p]);
    assert_eq!(s.node_claims[0].instance_type, "small");
}

#[test]
fn daemon_requests_already_bound_are_not_counted_twice_on_existing_nodes() {
    let ds = Pod::new("agent", Resources::new().with(ResourceName::Cpu, 500));
    let mut node = Node {
        name: "n1".into(),
        allocatable: Resources::new().with(ResourceName::Cpu, 2000).with(ResourceName::Pods, 10),
        initialized: true,
        ..Default::default()
    };
    let mut bound = ds.clone();
    bound.owner_kind = Some("DaemonSet".into());
    bound.node_name = Some("n1".into());
    node.pods.push(bound);
    let mut c = cluster(vec![], vec![node]);
    c.daemon_sets.push(DaemonSet { namespace: "kube-system".into(), name: "agent".into(), template: ds });
    // 2000 - 500 (bound daemon) = 1500 left: a 1500m pod fits.
    let s = run(&c, &[pod("p", 1500, "web")]);
    assert_eq!(s.existing_nodes.len(), 1);
}

#[test]
fn min_values_strict_and_best_effort() {
    let mut pool = NodePool::new("default");
    pool.requirements.add(
        Requirement::with_min_values(
            "node.kubernetes.io/instance-type",
            Operator::In,
            ["small", "medium", "large"],
            Some(3),
        )
        .unwrap(),
    );
    let c = cluster(vec![pool], vec![]);
    // A 3-core pod rules out "small", leaving 2 types for minValues 3.
    let p = pod("p", 3000, "web");
    let s = run(&c, std::slice::from_ref(&p));
    assert_eq!(s.unschedulable.len(), 1);
    assert!(s.unschedulable[0].reason.contains("minValues 3"), "{}", s.unschedulable[0].reason);
    let mut settings = Settings::default();
    settings.min_values_policy = MinValuesPolicy::BestEffort;
    let s = provision(&c, &[p], &settings);
    assert_eq!(s.node_claims.len(), 1);
    assert!(s.node_claims[0].min_values_relaxed);
}

/// Two single-zone pools, the zone-2 one tainted. With `nodeTaintsPolicy: Ignore` (the default)
/// zone-2 still counts as a domain at zero, so a second pod in zone-1 would break the skew; with
/// `Honor` the untolerated zone is not a domain and all pods fit in zone-1.
#[test]
fn node_taints_policy_honor_drops_untolerated_domains() {
    let mut open = NodePool::new("open");
    open.requirements.add(Requirement::new(ZONE, Operator::In, ["test-zone-1"]).unwrap());
    let mut tainted = NodePool::new("tainted");
    tainted.requirements.add(Requirement::new(ZONE, Operator::In, ["test-zone-2"]).unwrap());
    tainted.taints.push(Taint::new("dedicated", "gpu", Effect::NoSchedule));
    let c = cluster(vec![open, tainted], vec![]);
    let pods = |policy: InclusionPolicy| -> Vec<Pod> {
        (0..3)
            .map(|i| {
                let mut p = pod(&format!("p{i}"), 1000, "web");
                let mut t = spread(ZONE, 1, "web");
                t.node_taints_policy = policy;
                p.topology_spread.push(t);
                p
            })
            .collect()
    };
    let ignore = run(&c, &pods(InclusionPolicy::Ignore));
    assert_eq!(
        ignore.unschedulable.len(),
        2,
        "{:?}",
        ignore.unschedulable.iter().map(|u| &u.reason).collect::<Vec<_>>()
    );
    let honor = run(&c, &pods(InclusionPolicy::Honor));
    assert!(honor.unschedulable.is_empty());
    assert_eq!(zone_counts(&honor), vec![3]);
}

/// `matchLabelKeys` adds the pod's own value of each key to the selector: pods of another
/// version do not count against this version's spread.
#[test]
fn match_label_keys_count_only_the_same_version() {
    let mut node = Node {
        name: "old".into(),
        labels: labels(&[(ZONE, "test-zone-1")]),
        allocatable: Resources::new().with(ResourceName::Cpu, 1000).with(ResourceName::Pods, 10),
        initialized: true,
        ..Default::default()
    };
    for i in 0..2 {
        let mut p = pod(&format!("v2-{i}"), 100, "web");
        p.labels.insert("version".into(), "v2".into());
        p.node_name = Some("old".into());
        node.pods.push(p);
    }
    let c = cluster(vec![NodePool::new("default")], vec![node]);
    let pods = |keys: Vec<String>| -> Vec<Pod> {
        (0..3)
            .map(|i| {
                let mut p = pod(&format!("v1-{i}"), 2000, "web");
                p.labels.insert("version".into(), "v1".into());
                let mut t = spread(ZONE, 1, "web");
                t.match_label_keys = keys.clone();
                p.topology_spread.push(t);
                p
            })
            .collect()
    };
    let zones = |s: &Schedule| s.node_claims.iter().map(|c| c.zone.clone()).collect::<Vec<_>>();
    // Counting every version, zone-1 already holds two: the new pods avoid it.
    let all = run(&c, &pods(vec![]));
    assert!(!zones(&all).contains(&"test-zone-1".to_string()), "{:?}", zones(&all));
    // Counting only v1, the zones start level and one pod goes to each.
    let own = run(&c, &pods(vec!["version".into()]));
    let mut z = zones(&own);
    z.sort();
    assert_eq!(z, vec!["test-zone-1", "test-zone-2", "test-zone-3"]);
}

/// Anti-affinity selects pods in the pod's own namespace unless the term names others.
#[test]
fn anti_affinity_namespaces() {
    let mut node = Node {
        name: "n1".into(),
        labels: labels(&[(ZONE, "test-zone-1")]),
        allocatable: Resources::new().with(ResourceName::Cpu, 500).with(ResourceName::Pods, 10),
        initialized: true,
        ..Default::default()
    };
    let mut other = pod("cache-0", 100, "cache");
    other.namespace = "other".into();
    other.node_name = Some("n1".into());
    node.pods.push(other);
    let c = cluster(vec![NodePool::new("default")], vec![node]);
    let with_scope = |scope: NamespaceScope| {
        let mut p = pod("p", 1000, "web");
        let mut t = term(ZONE, "cache");
        t.namespaces = scope;
        p.pod_anti_affinity.required.push(t);
        p
    };
    // Own namespace: the cache pod in "other" does not count, every zone is open.
    let own = run(&c, &[with_scope(NamespaceScope::Own)]);
    assert_eq!(own.node_claims.len(), 1);
    assert!(own.node_claims[0].requirements.get(ZONE).unwrap().has("test-zone-1"));
    // All namespaces: zone-1 holds a cache pod and is excluded.
    let all = run(&c, &[with_scope(NamespaceScope::All)]);
    assert_eq!(all.node_claims.len(), 1);
    assert!(!all.node_claims[0].requirements.get(ZONE).unwrap().has("test-zone-1"));
    assert_ne!(all.node_claims[0].zone, "test-zone-1");
}

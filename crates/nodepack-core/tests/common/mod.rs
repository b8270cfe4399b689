//! Builders shared by the disruption tests.
#![allow(dead_code)]

use std::sync::Arc;

use nodepack_core::*;

/// 2024-01-01T00:00:00Z.
pub const NOW: i64 = 1_704_067_200;
pub const ZONE: &str = "zone-a";

pub fn price(s: &str) -> Price {
    Price::from_dollars_str(s).unwrap()
}

pub fn res(cpu_milli: i64, mem_gib: i64, pods: i64) -> Resources {
    Resources::new()
        .with(ResourceName::Cpu, cpu_milli)
        .with(ResourceName::Memory, mem_gib << 30)
        .with(ResourceName::Pods, pods)
}

/// An instance type with on-demand (and optionally spot) offerings in `zone-a`.
pub fn itype(name: &str, cpu_milli: i64, od: &str, spot: Option<&str>) -> InstanceType {
    let mut offerings = vec![Offering::new(ZONE, "on-demand", price(od))];
    if let Some(s) = spot {
        offerings.push(Offering::new(ZONE, "spot", price(s)));
    }
    InstanceType::new(name, res(cpu_milli, cpu_milli / 250, 110), Overhead::default(), offerings)
}

pub fn pod(name: &str, cpu_milli: i64) -> Pod {
    let mut p = Pod::new(name, Resources::new().with(ResourceName::Cpu, cpu_milli));
    p.labels.insert("app".into(), name.split('-').next().unwrap_or(name).into());
    p.created = NOW - 86_400;
    p.owner_kind = Some("ReplicaSet".into());
    p
}

pub fn daemon(name: &str, cpu_milli: i64) -> Pod {
    let mut p = pod(name, cpu_milli);
    p.owner_kind = Some("DaemonSet".into());
    p
}

/// A Karpenter node of `pool`, initialized a day ago, with its last pod event an hour ago.
pub fn node(name: &str, pool: &str, it: &InstanceType, capacity_type: &str, pods: Vec<Pod>) -> Node {
    let mut n = Node { name: name.into(), initialized: true, created: NOW - 86_400, ..Default::default() };
    n.initialized_at = Some(NOW - 86_400);
    n.last_pod_event = Some(NOW - 3600);
    for (k, v) in [
        ("karpenter.sh/nodepool", pool),
        ("node.kubernetes.io/instance-type", it.name.as_str()),
        ("topology.kubernetes.io/zone", ZONE),
        ("karpenter.sh/capacity-type", capacity_type),
        ("kubernetes.io/hostname", name),
    ] {
        n.labels.insert(k.into(), v.into());
    }
    n.capacity = it.capacity.clone();
    n.allocatable = it.allocatable().clone();
    n.pods = pods
        .into_iter()
        .map(|mut p| {
            p.node_name = Some(name.into());
            p
        })
        .collect();
    n
}

/// A pool that may disrupt every node at once (budgets are tested on their own).
pub fn pool(name: &str) -> NodePool {
    let mut p = NodePool::new(name);
    p.disruption.budgets =
        vec![Budget { nodes: BudgetNodes::Percent(100), reasons: vec![], schedule: None, duration: None }];
    p
}

pub fn cluster(pools: Vec<NodePool>, types: Vec<InstanceType>, nodes: Vec<Node>) -> Cluster {
    Cluster { node_pools: pools, instance_types: Arc::new(types), nodes, ..Default::default() }
}

pub fn pdb(
    name: &str,
    app: &str,
    min_available: Option<IntOrPercent>,
    max_unavailable: Option<IntOrPercent>,
) -> PodDisruptionBudget {
    let mut l = Labels::new();
    l.insert("app".into(), app.into());
    PodDisruptionBudget {
        namespace: "default".into(),
        name: name.into(),
        selector: LabelSelector::from_labels(&l),
        min_available,
        max_unavailable,
    }
}

pub fn opts() -> DisruptionOptions {
    DisruptionOptions::default()
}

/// The hourly price of a cluster's nodes (their offering in their zone and capacity type).
pub fn cluster_cost(c: &Cluster) -> Price {
    c.nodes
        .iter()
        .map(|n| {
            let pool = n.node_pool().unwrap_or_default();
            c.instance_types_for(pool)
                .iter()
                .find(|t| Some(t.name.as_str()) == n.instance_type())
                .and_then(|t| t.offering_for(n.zone().unwrap_or_default(), n.capacity_type().unwrap_or_default()))
                .map_or(Price(0), |o| o.price)
        })
        .sum()
}

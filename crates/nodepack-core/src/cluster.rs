//! The cluster as the scheduler sees it: NodePools with their instance types, existing nodes
//! and their pods, DaemonSets and PodDisruptionBudgets.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::daemon_set::DaemonSet;
use crate::instance_type::InstanceType;
use crate::node::Node;
use crate::node_pool::NodePool;
use crate::pod_disruption_budget::PodDisruptionBudget;

/// A cluster.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// NodePools.
    pub node_pools: Vec<NodePool>,
    /// The instance types every NodePool may launch, unless `pool_instance_types` overrides them.
    pub instance_types: Arc<Vec<InstanceType>>,
    /// Instance types for particular NodePools (by name): the same types with allocatable changed
    /// by the pool's node class (kubelet `maxPods`, reservations, eviction thresholds).
    pub pool_instance_types: BTreeMap<String, Arc<Vec<InstanceType>>>,
    /// Existing nodes, each with the pods bound to it.
    pub nodes: Vec<Node>,
    /// DaemonSets.
    pub daemon_sets: Vec<DaemonSet>,
    /// PodDisruptionBudgets.
    pub pdbs: Vec<PodDisruptionBudget>,
}

impl Cluster {
    /// The instance types a NodePool may launch.
    pub fn instance_types_for(&self, pool: &str) -> &[InstanceType] {
        self.pool_instance_types.get(pool).unwrap_or(&self.instance_types)
    }

    /// Looks up a NodePool by name.
    pub fn node_pool(&self, name: &str) -> Option<&NodePool> {
        self.node_pools.iter().find(|p| p.name == name)
    }
}

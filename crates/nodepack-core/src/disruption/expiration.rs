//! Expiration (Karpenter's `nodeclaim/expiration` controller, not a disruption method): a node
//! whose age reaches its NodePool's `expireAfter` is deleted at once, whatever the budgets,
//! `do-not-disrupt` annotations or PodDisruptionBudgets say (those only slow its drain).

use super::candidate::node_price;
use super::command::{Command, Reason};
use crate::cluster::Cluster;
use crate::node::Node;

/// The expired nodes, by name: managed, not already deleting, with `created + expireAfter ≤ now`
/// (the NodePool's `expireAfter`; a node whose pool is unknown never expires here).
pub(crate) fn expired(cluster: &Cluster, now: i64) -> Vec<&Node> {
    let mut out: Vec<&Node> = cluster
        .nodes
        .iter()
        .filter(|n| !n.deleting)
        .filter(|n| {
            n.node_pool()
                .and_then(|p| cluster.node_pool(p))
                .and_then(|p| p.expire_after)
                .is_some_and(|d| n.created.saturating_add(d.0) <= now)
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// One delete command per expired node (Karpenter deletes each NodeClaim on its own), saving
/// the node's price.
pub(crate) fn commands(cluster: &Cluster, nodes: &[&Node]) -> Vec<Command> {
    nodes
        .iter()
        .map(|n| {
            let pool = n.node_pool().unwrap_or_default();
            let it =
                n.instance_type().and_then(|name| cluster.instance_types_for(pool).iter().find(|t| t.name == name));
            Command::new(Reason::Expired, vec![n.name.clone()], vec![], node_price(n, it))
        })
        .collect()
}

//! `nodepack plan` and `nodepack explain`.

use nodepack_core::{provision, Schedule};
use nodepack_sim::output::{ExplainOutput, PlanOutput};

use super::{emit, load, settings, CommandError};
use crate::cli::{Inputs, Scheduling};
use crate::table::Table;

/// Runs one provisioning pass and prints it.
pub fn plan(inputs: &Inputs, scheduling: &Scheduling, fail_on_pending: bool) -> Result<u8, CommandError> {
    let loaded = load(&inputs.files)?;
    let schedule = provision(&loaded.cluster, &loaded.pending, &settings(scheduling));
    let doc = PlanOutput::new(&schedule);
    emit(inputs.output, &doc, || plan_table(&schedule))?;
    Ok(if fail_on_pending && !schedule.unschedulable.is_empty() { 1 } else { 0 })
}

fn plan_table(s: &Schedule) -> String {
    let mut out = String::new();
    if s.node_claims.is_empty() {
        out.push_str("New nodes: none\n");
    } else {
        out.push_str(&format!("New nodes: {} (${}/hour)\n", s.node_claims.len(), s.new_nodes_cost()));
        let mut t =
            Table::new(&["NODECLAIM", "NODEPOOL", "INSTANCE TYPE", "ZONE", "CAPACITY", "PRICE/H", "PODS", "OPTIONS"]);
        for c in &s.node_claims {
            t.row(vec![
                c.name.clone(),
                c.node_pool.clone(),
                c.instance_type.clone(),
                c.zone.clone(),
                c.capacity_type.clone(),
                c.price.to_string(),
                pods_cell(&c.pods),
                c.instance_type_options.len().to_string(),
            ]);
        }
        out.push_str(&t.render());
    }
    if !s.existing_nodes.is_empty() {
        out.push_str("\nPods placed on existing nodes:\n");
        let mut t = Table::new(&["NODE", "PODS"]);
        for n in &s.existing_nodes {
            t.row(vec![n.name.clone(), pods_cell(&n.pods)]);
        }
        out.push_str(&t.render());
    }
    if !s.unschedulable.is_empty() {
        out.push_str(&format!("\nPending pods: {}\n", s.unschedulable.len()));
        let mut t = Table::new(&["POD", "REASON"]);
        for u in &s.unschedulable {
            t.row(vec![u.pod.clone(), u.reason.clone()]);
        }
        out.push_str(&t.render());
    }
    out
}

fn pods_cell(pods: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut cell = pods.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if pods.len() > SHOWN {
        cell.push_str(&format!(" (+{} more)", pods.len() - SHOWN));
    }
    format!("{} [{}]", pods.len(), cell)
}

/// Walks one pod through every NodePool and existing node.
pub fn explain(inputs: &Inputs, scheduling: &Scheduling, pod: &str) -> Result<u8, CommandError> {
    let loaded = load(&inputs.files)?;
    let key = if pod.contains('/') { pod.to_string() } else { format!("default/{pod}") };
    let schedule = provision(&loaded.cluster, &loaded.pending, &settings(scheduling));
    let Some(doc) = ExplainOutput::new(&schedule, &key) else {
        let bound = loaded.cluster.nodes.iter().find(|n| n.pods.iter().any(|p| p.key() == key));
        return Err(CommandError::Usage(match bound {
            Some(n) => format!("pod {key} is not pending: it is bound to node {}", n.name),
            None => format!("no pod {key} in the manifests"),
        }));
    };
    emit(inputs.output, &doc, || explain_table(&doc))?;
    Ok(0)
}

fn explain_table(doc: &ExplainOutput<'_>) -> String {
    let mut out = String::new();
    match doc.node {
        Some(node) => {
            let what = if doc.new_node == Some(true) { "a new node" } else { "existing node" };
            out.push_str(&format!("Pod {} is scheduled on {what} {node}.\n", doc.pod));
        }
        None => {
            out.push_str(&format!("Pod {} stays pending: {}\n", doc.pod, doc.reason.unwrap_or("")));
            let mut t = Table::new(&["NODEPOOL", "WHY NOT"]);
            for (name, e) in &doc.node_pools {
                t.row(vec![name.to_string(), e.reason.clone()]);
            }
            if doc.node_pools.is_empty() {
                out.push_str("\nNo NodePool can launch nodes.\n");
            } else {
                out.push('\n');
                out.push_str(&t.render());
            }
            if !doc.nodes.is_empty() {
                let mut t = Table::new(&["NODE", "WHY NOT"]);
                for (name, e) in &doc.nodes {
                    t.row(vec![name.to_string(), e.reason.clone()]);
                }
                out.push('\n');
                out.push_str(&t.render());
            }
        }
    }
    out
}

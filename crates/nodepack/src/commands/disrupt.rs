//! `nodepack disrupt`: one disruption pass at a given time.

use std::time::{SystemTime, UNIX_EPOCH};

use nodepack_core::{disrupt as disruption_pass, Cluster, DisruptionOptions, DisruptionPlan, NodeClaim};
use nodepack_sim::manifest::parse_rfc3339;
use nodepack_sim::output::DisruptOutput;

use super::{emit, load, settings, CommandError};
use crate::cli::{Inputs, Scheduling};
use crate::table::Table;

/// The pass's time: `--now` read as RFC 3339, or the clock.
fn pass_time(now: Option<&str>) -> Result<i64, CommandError> {
    match now {
        Some(text) => parse_rfc3339(text).map_err(|e| CommandError::Usage(format!("--now {text:?}: {e}"))),
        None => {
            let since = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(|_| CommandError::Usage("the system clock is before 1970; pass --now".to_string()))?;
            Ok(i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
        }
    }
}

/// Runs one disruption pass and prints it.
pub fn disrupt(
    inputs: &Inputs,
    scheduling: &Scheduling,
    now: Option<&str>,
    spot_to_spot: bool,
) -> Result<u8, CommandError> {
    let now = pass_time(now)?;
    let loaded = load(&inputs.files)?;
    let options = DisruptionOptions::default()
        .with_spot_to_spot(spot_to_spot)
        .with_provisioning(settings(scheduling))
        .with_pending(loaded.pending.clone());
    let plan = disruption_pass(&loaded.cluster, now, &options);
    let doc = DisruptOutput::new(&plan, now);
    emit(inputs.output, &doc, || disrupt_table(&plan, &doc, &loaded.cluster))?;
    Ok(0)
}

fn replacement_cell(c: &NodeClaim) -> String {
    format!("{} {} {} ${}", c.instance_type, c.zone, c.capacity_type, c.price)
}

fn disrupt_table(plan: &DisruptionPlan, doc: &DisruptOutput<'_>, cluster: &Cluster) -> String {
    let mut out = format!("Disruption pass at {}\n", doc.now);
    if plan.commands.is_empty() {
        out.push_str("Commands: none\n");
    } else {
        out.push_str(&format!("Commands: {} (saves ${}/hour)\n", plan.commands.len(), plan.savings()));
        let mut t = Table::new(&["REASON", "DECISION", "CANDIDATES", "REPLACEMENTS", "SAVINGS/H"]);
        for c in &plan.commands {
            let replacements: Vec<String> = c.replacements.iter().map(replacement_cell).collect();
            t.row(vec![
                c.reason.to_string(),
                c.decision.to_string(),
                c.candidates.join(", "),
                if replacements.is_empty() { "-".to_string() } else { replacements.join(", ") },
                c.savings.to_string(),
            ]);
        }
        out.push_str(&t.render());
    }
    if !plan.blocked.is_empty() {
        out.push_str(&format!("\nBlocked nodes: {}\n", plan.blocked.len()));
        let mut t = Table::new(&["NODE", "NODEPOOL", "REASON"]);
        for b in &doc.blocked {
            let pool = cluster.nodes.iter().find(|n| n.name == b.node).and_then(|n| n.node_pool()).unwrap_or("-");
            t.row(vec![b.node.to_string(), pool.to_string(), b.reason.clone()]);
        }
        out.push_str(&t.render());
    }
    out
}

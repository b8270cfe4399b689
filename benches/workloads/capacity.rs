//! Capacity-planning scenarios: directories of manifests, each planned by one provisioning pass
//! and summarised as nodes, hourly cost and requested-versus-allocatable utilisation.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use nodepack_core::{provision, Price, ResourceName, Schedule, Settings};
use nodepack_sim::manifest::{load, InputPath, Inputs};

/// One scenario: a directory of manifests.
pub struct Scenario {
    /// The directory's name.
    pub name: String,
    /// The manifests, loaded.
    pub inputs: Inputs,
    /// The pass settings (no explanations: benches measure the decision).
    pub settings: Settings,
}

/// Every scenario directory (sorted by name) under each of `roots`.
pub fn scenarios(roots: &[PathBuf]) -> Result<Vec<Scenario>, String> {
    let mut out = vec![];
    for root in roots {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
            .map_err(|e| format!("reading {}: {e}", root.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            out.push(scenario(&dir)?);
        }
    }
    Ok(out)
}

fn scenario(dir: &Path) -> Result<Scenario, String> {
    let inputs = load(&[InputPath::File(dir.to_path_buf())]).map_err(|e| e.to_string())?;
    let mut settings = Settings::default();
    settings.explain = false;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Scenario { name, inputs, settings })
}

/// What a plan means for capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityReport {
    /// The scenario.
    pub name: String,
    /// Pods planned.
    pub pods: usize,
    /// New nodes.
    pub new_nodes: usize,
    /// Existing nodes.
    pub existing_nodes: usize,
    /// Pods left pending.
    pub pending: usize,
    /// Hourly price of the new nodes.
    pub new_cost: Price,
    /// CPU requested by the planned pods and already-bound pods, in millicores.
    pub cpu_requested: i64,
    /// CPU allocatable on existing and new nodes, in millicores.
    pub cpu_allocatable: i64,
    /// Memory requested, in bytes.
    pub memory_requested: i64,
    /// Memory allocatable, in bytes.
    pub memory_allocatable: i64,
}

impl CapacityReport {
    /// One line for people.
    pub fn line(&self) -> String {
        let pct = |a: i64, b: i64| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
        let mut s = String::new();
        let _ = write!(
            s,
            "{}: {} pods -> {} new nodes (${}/h), {} existing, {} pending; cpu {:.1}% of allocatable, memory {:.1}%",
            self.name,
            self.pods,
            self.new_nodes,
            self.new_cost,
            self.existing_nodes,
            self.pending,
            pct(self.cpu_requested, self.cpu_allocatable),
            pct(self.memory_requested, self.memory_allocatable)
        );
        s
    }
}

/// Plans a scenario and sums up its capacity.
pub fn plan_report(s: &Scenario) -> CapacityReport {
    let schedule: Schedule = provision(&s.inputs.cluster, &s.inputs.pending, &s.settings);
    let cluster = &s.inputs.cluster;
    let mut cpu_req = 0i64;
    let mut mem_req = 0i64;
    let mut cpu_alloc = 0i64;
    let mut mem_alloc = 0i64;
    for n in &cluster.nodes {
        cpu_alloc += n.allocatable.get(&ResourceName::Cpu);
        mem_alloc += n.allocatable.get(&ResourceName::Memory);
        for p in &n.pods {
            cpu_req += p.requests.cpu().0;
            mem_req += p.requests.memory().0;
        }
    }
    let placed: std::collections::BTreeSet<&str> = schedule
        .node_claims
        .iter()
        .flat_map(|c| c.pods.iter())
        .chain(schedule.existing_nodes.iter().flat_map(|n| n.pods.iter()))
        .map(String::as_str)
        .collect();
    for p in &s.inputs.pending {
        if placed.contains(p.key().as_str()) {
            cpu_req += p.requests.cpu().0;
            mem_req += p.requests.memory().0;
        }
    }
    for c in &schedule.node_claims {
        if let Some(it) = cluster.instance_types_for(&c.node_pool).iter().find(|t| t.name == c.instance_type) {
            cpu_alloc += it.allocatable().cpu().0;
            mem_alloc += it.allocatable().memory().0;
        }
    }
    CapacityReport {
        name: s.name.clone(),
        pods: s.inputs.pending.len(),
        new_nodes: schedule.node_claims.len(),
        existing_nodes: cluster.nodes.len(),
        pending: schedule.unschedulable.len(),
        new_cost: schedule.new_nodes_cost(),
        cpu_requested: cpu_req,
        cpu_allocatable: cpu_alloc,
        memory_requested: mem_req,
        memory_allocatable: mem_alloc,
    }
}

//! `apply: {podsCsv: FILE}`: pods from a public cluster trace, one row each.
//!
//! Columns (by header name, in any order): `pod` (or `pod_id`), `arrival_s`, `departure_s`
//! (empty: the pod stays), `cpu_milli`, `memory_mib`, `gpu`; other columns are ignored. Times are
//! seconds from the event's offset; fractions are cut to whole seconds.

use std::path::Path;

use nodepack_core::{Labels, Pod, ResourceName, Resources, Toleration};
use serde_yaml::Value;

use super::{field, scalar_text, str_at, TraceSettings};
use crate::engine::Seconds;

/// What the `gpu` column does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GpuPolicy {
    /// An `nvidia.com/gpu` request, with a toleration of `nvidia.com/gpu` taints (the default).
    #[default]
    Request,
    /// The GPU count is dropped; the pod keeps its CPU and memory.
    Ignore,
    /// Pods asking for a GPU are left out.
    Drop,
}

/// One row.
#[derive(Debug, Clone)]
pub struct CsvPod {
    /// The pod.
    pub pod: Pod,
    /// Arrival, compressed, from the trace start (the event's offset added).
    pub arrival: Seconds,
    /// Departure, compressed, from the trace start; `None` when it stays.
    pub departure: Option<Seconds>,
}

/// The pods of a CSV, ready to arrive.
#[derive(Debug, Clone)]
pub struct PodsCsv {
    /// The file.
    pub file: String,
    /// Rows in file order (rows left out by the GPU policy are not here).
    pub pods: Vec<CsvPod>,
    /// How many rows the GPU policy left out.
    pub dropped: usize,
}

/// Reads `{podsCsv: FILE, namespace, labels, nodeSelector, gpu, limit}`; the event's offset is
/// added later (arrivals here are relative, already compressed).
pub(super) fn read(v: &Value, base_dir: &Path, settings: &TraceSettings) -> Result<PodsCsv, String> {
    let rel = str_at(v, &["podsCsv"]).ok_or("apply.podsCsv: must be a path")?;
    let path = base_dir.join(rel);
    let name = path.display().to_string();
    let namespace = str_at(v, &["namespace"]).filter(|s| !s.is_empty()).unwrap_or("default").to_string();
    let labels = string_map(field(v, "labels"), "apply.labels")?;
    let node_selector = string_map(field(v, "nodeSelector"), "apply.nodeSelector")?;
    let gpu = match str_at(v, &["gpu"]) {
        None => GpuPolicy::Request,
        Some("request") => GpuPolicy::Request,
        Some("ignore") => GpuPolicy::Ignore,
        Some("drop") => GpuPolicy::Drop,
        Some(other) => return Err(format!("apply.gpu: {other:?} is not request, ignore or drop")),
    };
    let limit = match field(v, "limit") {
        None => usize::MAX,
        Some(n) => n.as_u64().map(|n| n as usize).ok_or("apply.limit: must be a non-negative integer")?,
    };
    for (k, _) in v.as_mapping().into_iter().flatten() {
        let k = k.as_str().unwrap_or("");
        if !["podsCsv", "namespace", "labels", "nodeSelector", "gpu", "limit"].contains(&k) {
            return Err(format!("apply.{k}: unknown podsCsv option (namespace, labels, nodeSelector, gpu, limit)"));
        }
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("apply.podsCsv: {name}: cannot read: {e}"))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| format!("{name}: empty file (expected a header row)"))?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |names: &[&str]| cols.iter().position(|c| names.contains(c));
    let need = |names: &[&str]| col(names).ok_or_else(|| format!("{name}: line 1: no {} column", names[0]));
    let c_pod = need(&["pod", "pod_id"])?;
    let c_arr = need(&["arrival_s"])?;
    let c_dep = need(&["departure_s"])?;
    let c_cpu = need(&["cpu_milli"])?;
    let c_mem = need(&["memory_mib"])?;
    let c_gpu = col(&["gpu"]);
    let n = settings.time_compression.max(1);
    let mut pods = vec![];
    let mut dropped = 0;
    let mut seen = std::collections::HashSet::new();
    for (lineno, line) in lines {
        if pods.len() >= limit {
            break;
        }
        let at = |m: String| format!("{name}: line {}: {m}", lineno + 1);
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        let pod_name = cell(c_pod);
        if pod_name.is_empty() {
            return Err(at("empty pod name".into()));
        }
        if !seen.insert(pod_name.to_string()) {
            return Err(at(format!("pod {pod_name:?} appears twice")));
        }
        let arrival =
            seconds(cell(c_arr)).ok_or_else(|| at(format!("arrival_s {:?} is not a time in seconds", cell(c_arr))))?;
        let departure = match cell(c_dep) {
            "" => None,
            d => Some(seconds(d).ok_or_else(|| at(format!("departure_s {d:?} is not a time in seconds")))?),
        };
        let cpu =
            integer(cell(c_cpu)).ok_or_else(|| at(format!("cpu_milli {:?} is not a whole number", cell(c_cpu))))?;
        let mem =
            integer(cell(c_mem)).ok_or_else(|| at(format!("memory_mib {:?} is not a whole number", cell(c_mem))))?;
        let gpus = match c_gpu.map(cell) {
            None | Some("") => 0,
            Some(g) => integer(g).ok_or_else(|| at(format!("gpu {g:?} is not a whole number")))?,
        };
        if gpus > 0 && gpu == GpuPolicy::Drop {
            dropped += 1;
            continue;
        }
        let mut requests = Resources::new()
            .with(ResourceName::Cpu, cpu)
            .with(ResourceName::Memory, mem.checked_mul(1 << 20).ok_or_else(|| at("memory_mib is too large".into()))?);
        let mut pod = Pod::new(pod_name, Resources::new());
        if gpus > 0 && gpu == GpuPolicy::Request {
            requests = requests.with(ResourceName::parse("nvidia.com/gpu"), gpus);
            pod.tolerations.push(Toleration::exists("nvidia.com/gpu", None));
        }
        pod.requests = requests;
        pod.namespace = namespace.clone();
        pod.labels = labels.clone();
        pod.node_selector = node_selector.clone();
        let arrival_c = arrival / n;
        let departure_c = departure.map(|d| {
            let life = (d - arrival).max(0);
            // Lifetimes round up, so a short-lived pod still lives at least a second.
            arrival_c + ((life + n - 1) / n).max(1)
        });
        pods.push(CsvPod { pod, arrival: arrival_c, departure: departure_c });
    }
    Ok(PodsCsv { file: name, pods, dropped })
}

fn string_map(v: Option<&Value>, what: &str) -> Result<Labels, String> {
    let mut out = Labels::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(m)) => {
            for (k, val) in m {
                let (Some(k), Some(val)) = (k.as_str(), scalar_text(val)) else {
                    return Err(format!("{what}: must map keys to values"));
                };
                out.insert(k.to_string(), val);
            }
        }
        Some(_) => return Err(format!("{what}: must map keys to values")),
    }
    Ok(out)
}

/// Whole seconds from a decimal (fractions cut), from 0 to 100 years.
fn seconds(s: &str) -> Option<Seconds> {
    let whole = s.split('.').next()?;
    if whole.is_empty() || whole.len() > 10 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some((_, frac)) = s.split_once('.') {
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    whole.parse().ok().filter(|v| *v <= super::MAX_SECONDS)
}

/// A non-negative whole number (a `.0` fraction accepted), at most 10^15.
fn integer(s: &str) -> Option<i64> {
    let s = s.strip_suffix(".0").unwrap_or(s);
    if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

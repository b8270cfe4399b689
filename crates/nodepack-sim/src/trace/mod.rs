//! Traces (FORMATS.md §2): a cluster's history as a `nodepack.io/v1alpha1` `Trace` document,
//! read and checked before anything is simulated.
//!
//! [`read`] reads a trace file: the `Trace` document, and any other documents in the same file
//! as objects applied at the start (before the first event). Every `apply` is read and checked
//! here (inline documents, `{file: ...}` relative to the trace, `{podsCsv: ...}`), so that a bad
//! input is reported, with the file and the event's index, before the replay starts: nothing is
//! half-applied.
//!
//! A trace without an `end` event ends one hour after its last event (a pod arrival or
//! departure from a CSV counts). Events after `end` are ignored, with a warning.
//!
//! Additions to the contract (all optional):
//!
//! * `apply: {file: DIR}`: every `*.yaml` and `*.yml` file of a directory, sorted by name, as
//!   `-f DIR` reads them.
//! * `settings.timeCompression: N` divides every event offset, pod arrival and pod lifetime by
//!   `N` (lifetimes round up to a whole second); Karpenter's own durations are not compressed.
//! * `settings.start` (RFC 3339, default `2024-01-01T00:00:00Z`): the wall-clock time of offset
//!   0, for creation timestamps, `expireAfter` and budget schedules (cron is UTC).
//! * `settings.spotInterruptionRate`: expected interruptions per spot node per hour (default 0,
//!   none); each spot node's fate is drawn from `seed` and its name.
//! * `interrupt: {node: NAME}` and `drain: {node: NAME}` or `drain: {selector: {...}}`.
//! * `offering`: `zone` and `capacityType` may be left out to mean every zone or capacity type.
//! * `podsCsv` options: `namespace`, `labels` and `nodeSelector` for every pod, `gpu` (`request`,
//!   the default: the `gpu` column becomes an `nvidia.com/gpu` request with a toleration of
//!   `nvidia.com/gpu` taints, as Kubernetes' ExtendedResourceToleration admission adds; `ignore`:
//!   the GPU count is dropped and the pod kept; `drop`: pods asking for a GPU are left out), and
//!   `limit` (only the first N rows).

mod csv;

use std::path::{Path, PathBuf};

use nodepack_core::{Duration, Labels};
use serde_yaml::Value;

pub use csv::{CsvPod, GpuPolicy, PodsCsv};

use crate::engine::Seconds;
use crate::manifest::{self, InputPath};

/// Default start of a trace: 2024-01-01T00:00:00Z.
pub const DEFAULT_START: i64 = 1_704_067_200;

/// A bad trace: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct TraceError {
    /// The trace file (or the file an event names).
    pub file: String,
    /// The index of the event in `spec.events`, from 0.
    pub event: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl TraceError {
    fn render(&self) -> String {
        match self.event {
            Some(i) => format!("{}: spec.events[{i}]: {}", self.file, self.message),
            None => format!("{}: {}", self.file, self.message),
        }
    }
}

/// The trace's settings (`spec.settings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSettings {
    /// `batchIdleDuration`.
    pub batch_idle: Seconds,
    /// `batchMaxDuration`.
    pub batch_max: Seconds,
    /// `nodeStartupLatency`: from launch to a Ready node.
    pub node_startup_latency: Seconds,
    /// `disruptionPollInterval`.
    pub disruption_poll_interval: Seconds,
    /// `consolidationValidationDelay`.
    pub consolidation_validation_delay: Seconds,
    /// `spotToSpotConsolidation`.
    pub spot_to_spot: bool,
    /// `seed`.
    pub seed: u64,
    /// `timeCompression` (at least 1).
    pub time_compression: i64,
    /// `start`, seconds since the Unix epoch.
    pub start: i64,
    /// `spotInterruptionRate`, in millionths of an interruption per spot node-hour.
    pub spot_interruption_ppm: u64,
}

impl Default for TraceSettings {
    fn default() -> Self {
        TraceSettings {
            batch_idle: 1,
            batch_max: 10,
            node_startup_latency: 60,
            disruption_poll_interval: 10,
            consolidation_validation_delay: 15,
            spot_to_spot: false,
            seed: 0,
            time_compression: 1,
            start: DEFAULT_START,
            spot_interruption_ppm: 0,
        }
    }
}

/// An object an event names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectRef {
    /// `kind`.
    pub kind: String,
    /// `namespace` (`default` when left out).
    pub namespace: String,
    /// `name`.
    pub name: String,
}

/// Documents an `apply` brings.
#[derive(Debug, Clone)]
pub enum Apply {
    /// Kubernetes-shaped documents (inline, or from a file or a directory of `*.yaml` files),
    /// already checked by the loader.
    Documents {
        /// Names them in messages (`trace.yaml event 2` or the file).
        origin: String,
        /// The documents (`List`s are flattened).
        documents: Vec<Value>,
    },
    /// Pods from a CSV file.
    PodsCsv(PodsCsv),
}

/// What an event does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Objects applied (created or replaced).
    Apply(Apply),
    /// A workload's replica count changed.
    Scale {
        /// The workload.
        target: ObjectRef,
        /// The new count.
        replicas: i64,
    },
    /// Objects deleted.
    Delete(Vec<ObjectRef>),
    /// A spot interruption: the node goes away at once, its pods are pending again.
    Interrupt {
        /// The node.
        node: String,
    },
    /// Cordon and evict, like `kubectl drain`.
    Drain {
        /// One node by name.
        node: Option<String>,
        /// Nodes whose labels match.
        selector: Labels,
    },
    /// An offering becomes unavailable (capacity runs out) or available again.
    Offering {
        /// The instance type.
        instance_type: String,
        /// The zone, or every zone.
        zone: Option<String>,
        /// The capacity type, or every one.
        capacity_type: Option<String>,
        /// Whether it can be launched.
        available: bool,
    },
    /// The end of the trace.
    End,
}

/// One event.
#[derive(Debug, Clone)]
pub struct TraceEvent {
    /// Its index in `spec.events` (`None` for the documents beside the `Trace` in its file).
    pub index: Option<usize>,
    /// Its offset from the start, compressed.
    pub at: Seconds,
    /// What happens.
    pub action: Action,
}

/// A trace, read and checked.
#[derive(Debug, Clone)]
pub struct Trace {
    /// `metadata.name` (the file name when there is none).
    pub name: String,
    /// The file it was read from.
    pub file: String,
    /// Settings.
    pub settings: TraceSettings,
    /// Events in the order they happen (the order written; offsets never decrease).
    pub events: Vec<TraceEvent>,
    /// Things assumed, one line each.
    pub warnings: Vec<String>,
}

impl Trace {
    /// When the trace ends: its `end` event, or else one hour after its last event (a pod
    /// arrival or departure from a CSV counts as an event).
    pub fn end(&self) -> Seconds {
        if let Some(e) = self.events.iter().find(|e| matches!(e.action, Action::End)) {
            return e.at;
        }
        let mut last = 0;
        for e in &self.events {
            last = last.max(e.at);
            if let Action::Apply(Apply::PodsCsv(csv)) = &e.action {
                for p in &csv.pods {
                    last = last.max(e.at.saturating_add(p.arrival));
                    if let Some(d) = p.departure {
                        last = last.max(e.at.saturating_add(d));
                    }
                }
            }
        }
        last.saturating_add(3600)
    }

    /// Every `apply` document of the given kinds taken out of the trace (for `--compare`).
    pub fn remove_documents_of_kinds(&mut self, kinds: &[&str]) {
        for e in &mut self.events {
            if let Action::Apply(Apply::Documents { documents, .. }) = &mut e.action {
                documents.retain(|d| !kinds.contains(&str_at(d, &["kind"]).unwrap_or("")));
            }
        }
    }
}

/// Options given on the command line.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// `--time-compression`, which overrides the trace's own setting.
    pub time_compression: Option<i64>,
}

/// Reads and checks a trace file.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Trace, TraceError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| TraceError {
        file: file.clone(),
        event: None,
        message: format!("cannot read: {e}"),
    })?;
    read_str(&file, Some(path), &text, options)
}

/// Reads and checks a trace from a text; `path` (when given) is where relative files are found.
pub fn read_str(file: &str, path: Option<&Path>, text: &str, options: &ReadOptions) -> Result<Trace, TraceError> {
    let fail = |message: String| TraceError { file: file.to_string(), event: None, message };
    let mut docs = vec![];
    for d in serde_yaml::Deserializer::from_str(text) {
        let v = <Value as serde::Deserialize>::deserialize(d).map_err(|e| fail(yaml_message(&e)))?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    let (traces, others): (Vec<Value>, Vec<Value>) =
        docs.into_iter().partition(|d| str_at(d, &["kind"]) == Some("Trace"));
    let trace_doc = match traces.len() {
        1 => traces.into_iter().next().unwrap_or(Value::Null),
        0 => return Err(fail("no Trace document (apiVersion: nodepack.io/v1alpha1, kind: Trace)".into())),
        n => return Err(fail(format!("{n} Trace documents; a trace file holds one"))),
    };
    let base_dir = path.and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
    let mut reader = Reader { file: file.to_string(), base_dir, warnings: vec![] };
    let name = str_at(&trace_doc, &["metadata", "name"]).map(str::to_string).unwrap_or_else(|| file.to_string());
    let spec = field(&trace_doc, "spec").cloned().unwrap_or(Value::Null);
    if !spec.is_mapping() {
        return Err(fail("spec: must be a mapping with settings and events".into()));
    }
    let mut settings = reader.settings(field(&spec, "settings"))?;
    if let Some(n) = options.time_compression {
        if n < 1 {
            return Err(fail(format!("--time-compression {n}: must be at least 1")));
        }
        settings.time_compression = n;
    }
    let mut events = vec![];
    if !others.is_empty() {
        let documents = reader.check_documents(None, &format!("{file} (objects beside the Trace)"), others)?;
        events.push(TraceEvent {
            index: None,
            at: 0,
            action: Action::Apply(Apply::Documents { origin: file.to_string(), documents }),
        });
    }
    let list = match field(&spec, "events") {
        None | Some(Value::Null) => vec![],
        Some(Value::Sequence(s)) => s.clone(),
        Some(_) => return Err(fail("spec.events: must be a list".into())),
    };
    let mut last_at: Option<(usize, Seconds)> = None;
    let mut ended = false;
    for (i, ev) in list.iter().enumerate() {
        let err = |message: String| TraceError { file: file.to_string(), event: Some(i), message };
        let Some(map) = ev.as_mapping() else {
            return Err(err("must be a mapping with `at` and one action".into()));
        };
        let raw_at = match map.get("at") {
            Some(v) => duration_value(v).map_err(|m| err(format!("at: {m}")))?,
            None => return Err(err("at: is required".into())),
        };
        if let Some((j, prev)) = last_at {
            if raw_at < prev {
                return Err(err(format!(
                    "at: {} goes back in time (event {j} is at {}); events are in the order they happen",
                    Duration(raw_at),
                    Duration(prev)
                )));
            }
        }
        last_at = Some((i, raw_at));
        let at = raw_at / settings.time_compression;
        let mut actions = vec![];
        for (k, v) in map {
            let Some(k) = k.as_str() else {
                return Err(err("keys must be strings".into()));
            };
            if k == "at" {
                continue;
            }
            actions.push((k, v));
        }
        let (kind, value) = match actions.as_slice() {
            [one] => *one,
            [] => return Err(err("has no action (apply, scale, delete, interrupt, drain, offering or end)".into())),
            many => {
                let names: Vec<&str> = many.iter().map(|(k, _)| *k).collect();
                return Err(err(format!("has several actions ({}); write one event for each", names.join(", "))));
            }
        };
        if ended {
            reader.warnings.push(format!("{file}: spec.events[{i}]: comes after `end` and is ignored"));
            continue;
        }
        let action = reader.action(i, kind, value, &settings).map_err(|m| m.into_error(file, i))?;
        if matches!(action, Action::End) {
            ended = true;
        }
        events.push(TraceEvent { index: Some(i), at, action });
    }
    Ok(Trace { name, file: file.to_string(), settings, events, warnings: reader.warnings })
}

/// A problem inside an event: a message, or an error already complete (from a file it names).
enum EventProblem {
    Message(String),
    Complete(TraceError),
}

impl EventProblem {
    fn into_error(self, file: &str, index: usize) -> TraceError {
        match self {
            EventProblem::Message(message) => TraceError { file: file.to_string(), event: Some(index), message },
            EventProblem::Complete(e) => e,
        }
    }
}

impl From<String> for EventProblem {
    fn from(s: String) -> Self {
        EventProblem::Message(s)
    }
}

struct Reader {
    file: String,
    base_dir: PathBuf,
    warnings: Vec<String>,
}

impl Reader {
    fn settings(&mut self, v: Option<&Value>) -> Result<TraceSettings, TraceError> {
        let mut s = TraceSettings::default();
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(s);
        };
        let fail = |message: String| TraceError { file: self.file.clone(), event: None, message };
        let Some(map) = v.as_mapping() else {
            return Err(fail("spec.settings: must be a mapping".into()));
        };
        for (k, val) in map {
            let key = k.as_str().unwrap_or("");
            let at = |m: String| fail(format!("spec.settings.{key}: {m}"));
            let dur = |val: &Value| duration_value(val).map_err(at);
            match key {
                "batchIdleDuration" => s.batch_idle = dur(val)?,
                "batchMaxDuration" => s.batch_max = dur(val)?,
                "nodeStartupLatency" => s.node_startup_latency = dur(val)?,
                "disruptionPollInterval" => s.disruption_poll_interval = dur(val)?.max(1),
                "consolidationValidationDelay" => s.consolidation_validation_delay = dur(val)?,
                "spotToSpotConsolidation" => {
                    s.spot_to_spot = val.as_bool().ok_or_else(|| at("must be true or false".into()))?;
                }
                "seed" => s.seed = val.as_u64().ok_or_else(|| at("must be a non-negative integer".into()))?,
                "timeCompression" => {
                    s.time_compression = val
                        .as_i64()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| at("must be an integer of at least 1".into()))?;
                }
                "start" => {
                    let text = val.as_str().ok_or_else(|| at("must be an RFC 3339 time".into()))?;
                    s.start = manifest::parse_rfc3339(text).map_err(at)?;
                }
                "spotInterruptionRate" => {
                    let rate = match val {
                        Value::Number(n) => n.as_f64(),
                        Value::String(t) => t.trim().parse::<f64>().ok(),
                        _ => None,
                    }
                    .filter(|r| r.is_finite() && *r >= 0.0 && *r <= 1.0)
                    .ok_or_else(|| at("must be a number from 0 to 1 (interruptions per spot node-hour)".into()))?;
                    s.spot_interruption_ppm = (rate * 1_000_000.0).round() as u64;
                }
                other => self.warnings.push(format!("{}: spec.settings.{other}: unknown setting, ignored", self.file)),
            }
        }
        if s.batch_max < s.batch_idle {
            self.warnings.push(format!(
                "{}: spec.settings: batchMaxDuration ({}) is shorter than batchIdleDuration ({}); batches close at batchMaxDuration",
                self.file,
                Duration(s.batch_max),
                Duration(s.batch_idle)
            ));
        }
        Ok(s)
    }

    fn action(
        &mut self,
        index: usize,
        kind: &str,
        v: &Value,
        settings: &TraceSettings,
    ) -> Result<Action, EventProblem> {
        match kind {
            "apply" => self.apply(index, v, settings),
            "scale" => {
                let target = object_ref(v, "scale")?;
                let replicas = field(v, "replicas")
                    .and_then(Value::as_i64)
                    .filter(|n| (0..=1_000_000).contains(n))
                    .ok_or_else(|| "scale.replicas: must be an integer from 0 to 1000000".to_string())?;
                if !["Deployment", "StatefulSet", "ReplicaSet", "Job"].contains(&target.kind.as_str()) {
                    return Err(format!(
                        "scale.kind: {:?} cannot be scaled (Deployment, StatefulSet, ReplicaSet or Job)",
                        target.kind
                    )
                    .into());
                }
                Ok(Action::Scale { target, replicas })
            }
            "delete" => {
                let items: Vec<Value> = match v {
                    Value::Sequence(s) => s.clone(),
                    Value::Mapping(_) => vec![v.clone()],
                    _ => return Err("delete: must be a list of {kind, namespace, name}".to_string().into()),
                };
                let mut refs = vec![];
                for (j, it) in items.iter().enumerate() {
                    refs.push(object_ref(it, &format!("delete[{j}]"))?);
                }
                Ok(Action::Delete(refs))
            }
            "interrupt" => {
                let node = str_at(v, &["node"])
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| "interrupt.node: is required (the node's name)".to_string())?;
                Ok(Action::Interrupt { node: node.to_string() })
            }
            "drain" => {
                let node = str_at(v, &["node"]).map(str::to_string);
                let mut selector = Labels::new();
                match field(v, "selector") {
                    None | Some(Value::Null) => {}
                    Some(Value::Mapping(m)) => {
                        for (k, val) in m {
                            let (Some(k), Some(val)) = (k.as_str(), scalar_text(val)) else {
                                return Err("drain.selector: must map label keys to values".to_string().into());
                            };
                            selector.insert(k.to_string(), val);
                        }
                    }
                    Some(_) => return Err("drain.selector: must map label keys to values".to_string().into()),
                }
                if node.is_none() && selector.is_empty() {
                    return Err("drain: needs a node or a selector (an empty selector would drain every node)"
                        .to_string()
                        .into());
                }
                Ok(Action::Drain { node, selector })
            }
            "offering" => {
                let instance_type = str_at(v, &["instanceType"])
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| "offering.instanceType: is required".to_string())?
                    .to_string();
                let available = match field(v, "available") {
                    None => false,
                    Some(b) => b.as_bool().ok_or_else(|| "offering.available: must be true or false".to_string())?,
                };
                Ok(Action::Offering {
                    instance_type,
                    zone: str_at(v, &["zone"]).map(str::to_string),
                    capacity_type: str_at(v, &["capacityType"]).map(str::to_string),
                    available,
                })
            }
            "end" => match v {
                Value::Bool(true) | Value::Null => Ok(Action::End),
                _ => Err("end: must be true".to_string().into()),
            },
            other => {
                Err(format!("unknown event type {other:?} (apply, scale, delete, interrupt, drain, offering or end)")
                    .into())
            }
        }
    }

    fn apply(&mut self, index: usize, v: &Value, settings: &TraceSettings) -> Result<Action, EventProblem> {
        let origin = format!("{} spec.events[{index}].apply", self.file);
        match v {
            Value::Sequence(docs) => {
                let documents =
                    self.check_documents(Some(index), &origin, docs.clone()).map_err(EventProblem::Complete)?;
                Ok(Action::Apply(Apply::Documents { origin, documents }))
            }
            Value::Mapping(m) if m.contains_key("file") => {
                let rel = str_at(v, &["file"]).ok_or_else(|| "apply.file: must be a path".to_string())?;
                let path = self.base_dir.join(rel);
                let name = path.display().to_string();
                // The loader reads the file first: its errors name the file, document and line.
                manifest::load(&[InputPath::File(path.clone())]).map_err(|e| EventProblem::Complete(load_error(e)))?;
                let mut docs = vec![];
                for file in yaml_files(&path).map_err(|e| format!("apply.file: {name}: {e}"))? {
                    let fname = file.display().to_string();
                    let text =
                        std::fs::read_to_string(&file).map_err(|e| format!("apply.file: {fname}: cannot read: {e}"))?;
                    for d in serde_yaml::Deserializer::from_str(&text) {
                        let val = <Value as serde::Deserialize>::deserialize(d)
                            .map_err(|e| format!("apply.file: {fname}: {}", yaml_message(&e)))?;
                        if !val.is_null() {
                            docs.push(val);
                        }
                    }
                }
                let documents = flatten(docs);
                if documents.iter().any(|d| str_at(d, &["kind"]) == Some("Trace")) {
                    return Err(format!("apply.file: {name}: a Trace cannot be applied inside a trace").into());
                }
                Ok(Action::Apply(Apply::Documents { origin: name, documents }))
            }
            Value::Mapping(m) if m.contains_key("podsCsv") => {
                let csv = csv::read(v, &self.base_dir, settings).map_err(EventProblem::Message)?;
                Ok(Action::Apply(Apply::PodsCsv(csv)))
            }
            Value::Mapping(m) if m.contains_key("kind") => {
                let documents =
                    self.check_documents(Some(index), &origin, vec![v.clone()]).map_err(EventProblem::Complete)?;
                Ok(Action::Apply(Apply::Documents { origin, documents }))
            }
            _ => Err("apply: must be a list of documents, {file: PATH} or {podsCsv: PATH}".to_string().into()),
        }
    }

    /// Flattens `List`s and has the loader check the documents.
    fn check_documents(
        &mut self,
        index: Option<usize>,
        origin: &str,
        docs: Vec<Value>,
    ) -> Result<Vec<Value>, TraceError> {
        let documents = flatten(docs);
        let err = |message: String| TraceError { file: self.file.clone(), event: index, message };
        if documents.iter().any(|d| str_at(d, &["kind"]) == Some("Trace")) {
            return Err(err("apply: a Trace cannot be applied inside a trace".into()));
        }
        match manifest::load_values(origin, &documents) {
            Ok(inputs) => {
                self.warnings.extend(inputs.warnings);
                Ok(documents)
            }
            Err(e) => Err(err(format!("apply: {e}"))),
        }
    }
}

fn load_error(e: manifest::LoadError) -> TraceError {
    TraceError {
        file: e.file.clone(),
        event: None,
        message: e.to_string().trim_start_matches(&format!("{}: ", e.file)).to_string(),
    }
}

/// A file, or every `*.yaml` and `*.yml` file directly in a directory, sorted by name.
fn yaml_files(path: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = vec![];
    for e in std::fs::read_dir(path)? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "yaml" || x == "yml") && !p.is_dir() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// `List` documents replaced by their items.
pub fn flatten(docs: Vec<Value>) -> Vec<Value> {
    let mut out = vec![];
    for d in docs {
        if str_at(&d, &["kind"]) == Some("List") {
            if let Some(Value::Sequence(items)) = field(&d, "items") {
                out.extend(flatten(items.clone()));
            }
        } else if !d.is_null() {
            out.push(d);
        }
    }
    out
}

fn yaml_message(e: &serde_yaml::Error) -> String {
    match e.location() {
        Some(l) => format!("not YAML: {e} (line {})", l.line()),
        None => format!("not YAML: {e}"),
    }
}

fn object_ref(v: &Value, what: &str) -> Result<ObjectRef, String> {
    let kind = str_at(v, &["kind"]).filter(|s| !s.is_empty()).ok_or_else(|| format!("{what}.kind: is required"))?;
    let name = str_at(v, &["name"])
        .or_else(|| str_at(v, &["metadata", "name"]))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("{what}.name: is required"))?;
    let namespace = str_at(v, &["namespace"])
        .or_else(|| str_at(v, &["metadata", "namespace"]))
        .filter(|s| !s.is_empty())
        .unwrap_or("default");
    Ok(ObjectRef { kind: kind.to_string(), namespace: namespace.to_string(), name: name.to_string() })
}

/// A mapping's field.
pub(crate) fn field<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_mapping().and_then(|m| m.get(key))
}

/// A string at a path of mapping keys.
pub(crate) fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for k in path {
        cur = field(cur, k)?;
    }
    cur.as_str()
}

/// A scalar as text (`true`, `3`, `a`).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The longest duration or offset a trace may use (100 years), so that no sum of simulated
/// times can overflow.
pub const MAX_SECONDS: Seconds = 100 * 365 * 86_400;

/// A duration field: a Go duration string, or the integer 0.
pub(crate) fn duration_value(v: &Value) -> Result<Seconds, String> {
    match v {
        Value::String(s) => match Duration::parse(s) {
            Ok(d) if d.0 > MAX_SECONDS => Err(format!("{s:?} is longer than the 100 years a trace may span")),
            Ok(d) => Ok(d.0),
            Err(e) => Err(e.to_string()),
        },
        Value::Number(n) if n.as_i64() == Some(0) => Ok(0),
        Value::Number(n) => Err(format!("{n} has no unit (write e.g. {n}s)")),
        _ => Err("must be a duration such as 90s, 15m, 2h30m or 7d".into()),
    }
}

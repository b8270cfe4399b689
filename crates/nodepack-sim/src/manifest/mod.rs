//! Kubernetes-shaped YAML manifests (FORMATS.md §1 and §5).
//!
//! [`load`] reads files, directories and standard input into [`Inputs`]: the [`Cluster`] the
//! core schedules against, the pending pods, and warnings. [`load_str`] does the same for a text.
//!
//! Every problem is a [`LoadError`] that names the file, the document (its kind and name, or its
//! index), the field and the line, and nothing is returned half-read. What each kind becomes:
//!
//! | kind | becomes |
//! | --- | --- |
//! | `NodePool` | a [`NodePool`](nodepack_core::NodePool) in `cluster.node_pools` |
//! | `EC2NodeClass` | its `spec.kubelet` in `node_classes`; pools referring to a class with kubelet settings get their own catalog in `cluster.pool_instance_types` |
//! | `Pod` | a pending pod, or (with `spec.nodeName`) a pod on that node; finished pods (`Succeeded`, `Failed`), pending pods being deleted and DaemonSet pods without a node are left out, with a warning |
//! | `Deployment`, `ReplicaSet`, `StatefulSet`, `Job` | `replicas` (`parallelism`) pods named `<name>-<i>`, less the Pod documents that are already its replicas |
//! | `DaemonSet` | a [`DaemonSet`](nodepack_core::DaemonSet) |
//! | `Node` | a [`Node`](nodepack_core::Node) in `cluster.nodes`, with the pods bound to it; pods bound to a node not in the input are left out, with a warning |
//! | `PodDisruptionBudget` | a [`PodDisruptionBudget`](nodepack_core::PodDisruptionBudget) |
//! | `List` | each item as above |
//! | `InstanceType`, `Catalog` | the catalog in `cluster.instance_types` |
//! | `Trace` | kept as it is in `traces` |
//!
//! Choices the formats leave open:
//!
//! * `matchFields` in node affinity is ignored with a warning, as Karpenter ignores it.
//! * A `namespaceSelector` with labels cannot be evaluated without Namespace objects: it counts
//!   every namespace, with a warning. An empty one (`{}`) is every namespace, as in Kubernetes.
//! * A string field accepts a number or boolean as written (`version: 1.10` is `"1.10"`);
//!   integer and boolean fields accept only integers and booleans.
//! * A known kind whose apiVersion has another version (`karpenter.sh/v1beta1`) is read as the
//!   version nodepack knows, with a warning; another group is an unknown kind.
//! * Workloads and their pods together (`kubectl get deploy,pods -o yaml`) are not counted twice:
//!   a Pod document controlled by the workload (for a Deployment, by a ReplicaSet named
//!   `<deployment>-<pod-template-hash>`) stands for one replica, and a generated copy never takes
//!   the name of a Pod document. A ReplicaSet controlled by a Deployment in the input is skipped.
//! * YAML merge keys (`<<`) are not expanded.

mod assemble;
mod cursor;
mod kinds;
mod pod;
#[cfg(test)]
mod tests;
mod time;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path as FsPath, PathBuf};

use nodepack_core::{Cluster, Pod};

use crate::kubelet::KubeletConfig;
use cursor::{Cur, Path};
use kinds::{Kind, Obj};
use yaml::{locate, read_documents, render_path, Seg, Yaml};

pub use time::parse_rfc3339;

/// Where to read manifests from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPath {
    /// A file, or a directory: every `*.yaml` and `*.yml` directly in it, sorted by name.
    File(PathBuf),
    /// Standard input (`-` on the command line).
    Stdin,
}

/// Which catalog the instance types came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSource {
    /// The built-in AWS catalog (with any `InstanceType` documents added to it).
    Builtin {
        /// The region.
        region: String,
        /// The zones offered.
        zones: Vec<String>,
        /// The capacity types offered.
        capacity_types: Vec<String>,
    },
    /// Only the `InstanceType` documents given.
    Custom,
}

/// Where a document came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file as named in messages (`<stdin>` for standard input).
    pub file: String,
    /// The file's path, to resolve paths relative to it (`None` for standard input and texts).
    pub path: Option<PathBuf>,
    /// The document's index in the file, from 1.
    pub document: usize,
}

/// Everything read from the manifests.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// NodePools, the catalog (with per-pool variants for kubelet settings), existing nodes with
    /// their bound pods, DaemonSets and PodDisruptionBudgets.
    pub cluster: Cluster,
    /// Pods without `spec.nodeName` that no DaemonSet owns, in the order read.
    pub pending: Vec<Pod>,
    /// Things skipped or assumed, one line each.
    pub warnings: Vec<String>,
    /// Which catalog `cluster.instance_types` is.
    pub catalog_source: CatalogSource,
    /// `Trace` documents, unparsed.
    pub traces: Vec<(Source, serde_yaml::Value)>,
    /// Every EC2NodeClass by name, with its `spec.kubelet` (default when absent).
    pub node_classes: BTreeMap<String, KubeletConfig>,
    /// Pod key (`namespace/name`) to the workload (`Deployment/api`) it was made from or, for a
    /// Pod document, the workload in the input it is a replica of.
    pub owners: BTreeMap<String, String>,
    /// Every workload (Deployment, ReplicaSet, StatefulSet, Job) with its pod template, in the
    /// order read, including those with no replica pending (for `lint`).
    pub workloads: Vec<WorkloadTemplate>,
}

/// A workload's pod template, as [`Inputs::workloads`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadTemplate {
    /// `Deployment`, `ReplicaSet`, `StatefulSet` or `Job`.
    pub kind: String,
    /// The namespace.
    pub namespace: String,
    /// The name.
    pub name: String,
    /// `spec.replicas` (`spec.parallelism` for a Job).
    pub replicas: u64,
    /// The pod every replica is (named after the workload).
    pub template: Pod,
}

/// A problem in the input: where it is and what is wrong.
///
/// Displayed as `FILE: KIND NAME: FIELD: MESSAGE (line N)`, for example
/// `pools.yaml: NodePool general: spec.limits.cpu: "-1" is negative (line 12)`; a document
/// without a name is `document N (KIND)`. The details are boxed (so that `Result`s stay small)
/// and read through `Deref`: `err.file`, `err.line`, ...
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(Box<LoadErrorDetails>);

/// Where a [`LoadError`] is and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrorDetails {
    /// The file (`<stdin>` for standard input).
    pub file: String,
    /// The document's index in the file, from 1, when the problem is in a document.
    pub document: Option<usize>,
    /// The document's kind, when known.
    pub kind: Option<String>,
    /// The document's `metadata.name`, when known.
    pub name: Option<String>,
    /// The field, such as `spec.template.spec.requirements[0].values`.
    pub field: Option<String>,
    /// The line in the file, from 1, when it can be told.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadErrorDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        match (&self.kind, &self.name, self.document) {
            (Some(k), Some(n), _) => write!(f, ": {k} {n}")?,
            (Some(k), None, Some(d)) => write!(f, ": document {d} ({k})")?,
            (Some(k), None, None) => write!(f, ": {k}")?,
            (None, _, Some(d)) => write!(f, ": document {d}")?,
            (None, _, None) => {}
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        Ok(())
    }
}

impl std::ops::Deref for LoadError {
    type Target = LoadErrorDetails;

    fn deref(&self) -> &LoadErrorDetails {
        &self.0
    }
}

impl From<LoadErrorDetails> for LoadError {
    fn from(d: LoadErrorDetails) -> Self {
        LoadError(Box::new(d))
    }
}

impl LoadError {
    /// The details, owned.
    pub fn into_details(self) -> LoadErrorDetails {
        *self.0
    }

    fn file_only(file: &str, message: impl Into<String>) -> Self {
        LoadErrorDetails {
            file: file.to_string(),
            document: None,
            kind: None,
            name: None,
            field: None,
            line: None,
            message: message.into(),
        }
        .into()
    }
}

/// Reads manifests from files, directories and standard input, in the order given.
pub fn load(paths: &[InputPath]) -> Result<Inputs, LoadError> {
    let mut sources = Vec::new();
    let mut warnings = Vec::new();
    for p in paths {
        match p {
            InputPath::Stdin => {
                let mut text = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut text)
                    .map_err(|e| LoadError::file_only(STDIN, format!("cannot read: {e}")))?;
                sources.push(SourceText { name: STDIN.to_string(), path: None, content: utf8(STDIN, text)? });
            }
            InputPath::File(path) if path.is_dir() => {
                let files = yaml_files(path)?;
                if files.is_empty() {
                    warnings.push(format!("{}: no *.yaml or *.yml files in this directory", path.display()));
                }
                for f in files {
                    sources.push(read_file(&f)?);
                }
            }
            InputPath::File(path) => sources.push(read_file(path)?),
        }
    }
    let mut inputs = Loader::new(sources).run()?;
    warnings.append(&mut inputs.warnings);
    inputs.warnings = warnings;
    Ok(inputs)
}

/// Reads manifests from a text; `name` names it in messages.
pub fn load_str(name: &str, text: &str) -> Result<Inputs, LoadError> {
    Loader::new(vec![SourceText { name: name.to_string(), path: None, content: Content::Text(text.to_string()) }]).run()
}

/// Reads documents already parsed (for example those a `Trace` applies inline); `name` names them
/// in messages. Lines cannot be told, and numbers are read as serde_yaml holds them.
pub fn load_values(name: &str, documents: &[serde_yaml::Value]) -> Result<Inputs, LoadError> {
    Loader::new(vec![SourceText {
        name: name.to_string(),
        path: None,
        content: Content::Parsed(documents.iter().map(Yaml::from_value).collect()),
    }])
    .run()
}

const STDIN: &str = "<stdin>";

fn utf8(name: &str, bytes: Vec<u8>) -> Result<Content, LoadError> {
    String::from_utf8(bytes).map(Content::Text).map_err(|e| {
        LoadError::file_only(
            name,
            format!("is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
        )
    })
}

fn read_file(path: &FsPath) -> Result<SourceText, LoadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| LoadError::file_only(&name, format!("cannot read: {e}")))?;
    Ok(SourceText { content: utf8(&name, bytes)?, name, path: Some(path.to_path_buf()) })
}

fn yaml_files(dir: &FsPath) -> Result<Vec<PathBuf>, LoadError> {
    let name = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::file_only(&name, format!("cannot read: {e}")))?;
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|e| LoadError::file_only(&name, format!("cannot read: {e}")))?;
        let p = e.path();
        let yaml = p.extension().is_some_and(|x| x == "yaml" || x == "yml");
        if yaml && !p.is_dir() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// A source's content: text, or documents already parsed.
enum Content {
    Text(String),
    Parsed(Vec<Yaml>),
}

struct SourceText {
    name: String,
    path: Option<PathBuf>,
    content: Content,
}

/// Where an object was read: its file, document and (in a `List`) item.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    /// Index into the sources.
    pub source: usize,
    /// Document index, from 0.
    pub document: usize,
    /// The path of the object in its document (`items[3]` in a List, else empty).
    pub base: Vec<Seg>,
    /// The kind as written.
    pub kind: String,
    /// `metadata.name`, when there is one.
    pub name: Option<String>,
}

/// Reads every source, then puts the objects together.
pub(crate) struct Loader {
    sources: Vec<SourceText>,
    objects: Vec<(Origin, Obj)>,
    warnings: Vec<String>,
    /// Unknown kinds per source: (apiVersion kind) to (first document from 0, count).
    unknown: BTreeMap<(usize, String), (usize, usize)>,
}

impl Loader {
    fn new(sources: Vec<SourceText>) -> Self {
        Loader { sources, objects: Vec::new(), warnings: Vec::new(), unknown: BTreeMap::new() }
    }

    fn run(mut self) -> Result<Inputs, LoadError> {
        for i in 0..self.sources.len() {
            let content = std::mem::replace(&mut self.sources[i].content, Content::Parsed(Vec::new()));
            let docs = match &content {
                Content::Text(text) => read_documents(text).map_err(|e| {
                    LoadError::from(LoadErrorDetails {
                        file: self.sources[i].name.clone(),
                        document: Some(e.document + 1),
                        kind: None,
                        name: None,
                        field: e.field,
                        line: e.line,
                        message: e.message,
                    })
                })?,
                Content::Parsed(docs) => docs.clone(),
            };
            self.sources[i].content = content;
            for (d, y) in docs.iter().enumerate() {
                if *y == Yaml::Null {
                    continue;
                }
                self.read_object(i, d, Cur::new(y, Path::default()))?;
            }
        }
        for ((source, what), (first, count)) in std::mem::take(&mut self.unknown) {
            let file = &self.sources[source].name;
            let msg = if count == 1 {
                format!("{file}: document {}: {what} is not a kind nodepack reads; skipped", first + 1)
            } else {
                format!(
                    "{file}: {count} documents of {what} (the first is document {}) are not a kind nodepack reads; skipped",
                    first + 1
                )
            };
            self.warnings.push(msg);
        }
        assemble::assemble(self)
    }

    /// The text of a source, when it has one.
    fn text(&self, source: usize) -> Option<&str> {
        match &self.sources[source].content {
            Content::Text(t) => Some(t),
            Content::Parsed(_) => None,
        }
    }

    /// An error at a path (from the document root) of an object.
    pub(crate) fn error(&self, origin: &Origin, path: &[Seg], message: impl Into<String>) -> LoadError {
        let line = self.text(origin.source).and_then(|t| locate(t, origin.document, path));
        LoadErrorDetails {
            file: self.sources[origin.source].name.clone(),
            document: Some(origin.document + 1),
            kind: (!origin.kind.is_empty()).then(|| origin.kind.clone()),
            name: origin.name.clone(),
            field: if path.is_empty() { None } else { Some(render_path(path)) },
            line,
            message: message.into(),
        }
        .into()
    }

    /// A warning about an object (no line: warnings may be many, and finding a line re-reads the document).
    pub(crate) fn warn(&mut self, origin: &Origin, path: &[Seg], message: impl Into<String>) {
        let mut w = LoadErrorDetails {
            file: self.sources[origin.source].name.clone(),
            document: Some(origin.document + 1),
            kind: Some(origin.kind.clone()),
            name: origin.name.clone(),
            field: if path.is_empty() { None } else { Some(render_path(path)) },
            line: None,
            message: message.into(),
        };
        if w.name.is_some() {
            w.document = None;
        }
        self.warnings.push(w.to_string());
    }

    /// A source as traces see it.
    pub(crate) fn source_of(&self, origin: &Origin) -> Source {
        let s = &self.sources[origin.source];
        Source { file: s.name.clone(), path: s.path.clone(), document: origin.document + 1 }
    }

    /// The objects read, in order.
    pub(crate) fn take_objects(&mut self) -> Vec<(Origin, Obj)> {
        std::mem::take(&mut self.objects)
    }

    /// The warnings so far.
    pub(crate) fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn read_object(&mut self, source: usize, document: usize, cur: Cur) -> Result<(), LoadError> {
        let base = cur.path().segments();
        let mut origin = Origin { source, document, base: base.clone(), kind: String::new(), name: None };
        let fail = |this: &Self, origin: &Origin, p: cursor::Problem| this.error(origin, &p.path.segments(), p.message);
        match cur.node() {
            Some(Yaml::Map(_)) => {}
            Some(other) => {
                let what = if base.is_empty() { "a document" } else { "a List item" };
                let p =
                    cur.problem(format!("{what} must be a mapping (a Kubernetes object), found {}", other.describe()));
                return Err(fail(self, &origin, p));
            }
            None => return Ok(()),
        }
        let kind_cur = cur.get("kind").map_err(|p| fail(self, &origin, p))?;
        let kind_text = kind_cur.string().map_err(|p| fail(self, &origin, p))?;
        let api = cur.get("apiVersion").and_then(|c| c.string()).map_err(|p| fail(self, &origin, p))?;
        origin.name = cur.at(&["metadata", "name"]).and_then(|c| c.string()).ok().flatten().filter(|n| !n.is_empty());
        let Some(kind_text) = kind_text.filter(|k| !k.is_empty()) else {
            return Err(fail(self, &origin, kind_cur.problem("is required (every document is a Kubernetes object)")));
        };
        origin.kind = kind_text.clone();
        let api_text = api.clone().unwrap_or_default();
        let (group, version) = match api_text.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_text.clone()),
        };
        let known = Kind::parse(&kind_text).filter(|(_, g, _)| api.is_none() || *g == group);
        let Some((kind, want_group, want_version)) = known else {
            let what = match &api {
                Some(a) => format!("{a} {kind_text}"),
                None => kind_text.clone(),
            };
            let entry = self.unknown.entry((source, what)).or_insert((document, 0));
            entry.1 += 1;
            return Ok(());
        };
        if api.is_some() && version != want_version {
            let want =
                if want_group.is_empty() { want_version.to_string() } else { format!("{want_group}/{want_version}") };
            self.warn(&origin, &[], format!("apiVersion {api_text} is read as {want}"));
        }
        if kind == Kind::List {
            let items = cur.get("items").and_then(|c| c.items()).map_err(|p| fail(self, &origin, p))?;
            for item in items {
                self.read_object(source, document, item)?;
            }
            return Ok(());
        }
        if kind.needs_name() && origin.name.is_none() {
            let name_cur = cur.at(&["metadata", "name"]).map_err(|p| fail(self, &origin, p))?;
            name_cur.required_string().map_err(|p| fail(self, &origin, p))?;
        }
        let mut notes = Vec::new();
        let obj = kinds::convert(kind, &cur, &mut notes).map_err(|p| fail(self, &origin, p))?;
        for n in notes {
            self.warn(&origin, &n.path.segments(), n.message);
        }
        self.objects.push((origin, obj));
        Ok(())
    }
}

impl fmt::Debug for Loader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loader").field("sources", &self.sources.len()).field("objects", &self.objects.len()).finish()
    }
}

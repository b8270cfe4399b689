//! Topology: topology spread constraints, pod affinity and pod anti-affinity, as Karpenter's
//! topology groups (`scheduling/topology.go`, `topologygroup.go`).
//!
//! Every distinct constraint (key, kind, namespaces, selector, skew, node filter) is one
//! [`Group`] holding a pod count per domain; many pods share a group. A pod *owns* the groups
//! of its own constraints; existing and pending pods with required anti-affinity also own
//! *inverse* groups, which keep the pods they select out of their domains. For each candidate
//! node, [`Topology::add_requirements`] narrows the node's requirements to the domains the
//! pod's groups allow; when the pod is placed, [`Topology::record`] counts it.
//!
//! Where Karpenter picks among equally good domains by Go's map order (effectively at random),
//! nodepack picks the first by name, so that a pass is deterministic.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::affinity::{NamespaceScope, PodAffinityTerm};
use crate::instance_type::InstanceType;
use crate::label::{self, Labels};
use crate::label_selector::LabelSelector;
use crate::node::Node;
use crate::pod::Pod;
use crate::requirement::{Operator, Requirement};
use crate::requirements::Requirements;
use crate::taint::{first_untolerated, Taint, Toleration};
use crate::topology_spread::InclusionPolicy;

/// The domains one NodePool can reach: its requirements and taints, and its instance types.
pub(crate) struct PoolDomains<'a> {
    pub(crate) requirements: &'a Requirements,
    pub(crate) taints: &'a [Taint],
    pub(crate) types: Vec<&'a InstanceType>,
}

/// What kind of constraint a group enforces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    Spread { max_skew: i32, min_domains: Option<i32> },
    Affinity,
    AntiAffinity,
}

/// Which nodes count for a spread constraint (Karpenter's `TopologyNodeFilter`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
struct NodeFilter {
    /// OR terms: node selector ∩ each required node-affinity term. Empty matches every node.
    terms: Vec<Requirements>,
    honor_affinity: bool,
    honor_taints: bool,
    tolerations: Vec<Toleration>,
}

impl NodeFilter {
    fn for_spread(pod: &Pod, affinity: InclusionPolicy, taints: InclusionPolicy) -> Self {
        let selector = Requirements::from_labels(&pod.node_selector);
        let terms = if pod.node_affinity.required.is_empty() {
            vec![selector]
        } else {
            pod.node_affinity.required.iter().map(|t| selector.intersection(t)).collect()
        };
        NodeFilter {
            terms,
            honor_affinity: affinity == InclusionPolicy::Honor,
            honor_taints: taints == InclusionPolicy::Honor,
            tolerations: pod.tolerations.clone(),
        }
    }

    fn matches_requirements(&self, reqs: &Requirements, allow: &dyn Fn(&str) -> bool) -> bool {
        !self.honor_affinity
            || self.terms.is_empty()
            || self.terms.iter().any(|t| reqs.first_conflict(t, allow).is_none())
    }

    fn matches(&self, taints: &[Taint], reqs: &Requirements, allow: &dyn Fn(&str) -> bool) -> bool {
        self.matches_requirements(reqs, allow)
            && (!self.honor_taints || first_untolerated(taints, &self.tolerations).is_none())
    }
}

/// The identity of a group: pods whose constraints agree on all of these share it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    kind: Kind,
    key: String,
    /// `None` selects pods in every namespace.
    namespaces: Option<BTreeSet<String>>,
    selector: LabelSelector,
    filter: NodeFilter,
}

/// Pod counts per domain for one constraint.
#[derive(Debug, Clone)]
struct Group {
    def: GroupKey,
    counts: BTreeMap<String, i32>,
    /// For hostname groups: the same counts by interned hostname id, so the hot path compares
    /// integers rather than long placeholder names.
    by_host: Vec<i32>,
    /// For hostname groups: how many hosts have a count above zero.
    hosts_counted: usize,
}

/// Names (hostnames, or the domains of other keys) interned to dense ids.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, hostname: &str) -> u32 {
        if let Some(&id) = self.ids.get(hostname) {
            return id;
        }
        let id = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.insert(hostname.to_string(), id);
        id
    }
}

impl Group {
    fn selects(&self, pod: &Pod) -> bool {
        self.def.namespaces.as_ref().is_none_or(|ns| ns.contains(&pod.namespace))
            && self.def.selector.matches(&pod.labels)
    }

    fn record(&mut self, domain: &str, hosts: &mut Interner) {
        *self.counts.entry(domain.to_string()).or_insert(0) += 1;
        if self.def.key == label::HOSTNAME {
            let id = hosts.id(domain) as usize;
            if self.by_host.len() <= id {
                self.by_host.resize(id + 1, 0);
            }
            if self.by_host[id] == 0 {
                self.hosts_counted += 1;
            }
            self.by_host[id] += 1;
        }
    }

    fn host_count(&self, host: u32) -> i32 {
        self.by_host.get(host as usize).copied().unwrap_or(0)
    }

    /// The count of a domain; a hostname the group has never seen is a node about to be
    /// created and counts zero (Karpenter registers each new claim's placeholder hostname).
    fn count(&self, domain: &str) -> Option<i32> {
        match self.counts.get(domain) {
            Some(c) => Some(*c),
            None if self.def.key == label::HOSTNAME => Some(0),
            None => None,
        }
    }

    fn describe(&self) -> String {
        let what = match &self.def.kind {
            Kind::Spread { max_skew, min_domains } => {
                let mut s = format!("topology spread on {} (maxSkew {max_skew}", self.def.key);
                if let Some(m) = min_domains {
                    let _ = write!(s, ", minDomains {m}");
                }
                s.push(')');
                s
            }
            Kind::Affinity => format!("pod affinity on {}", self.def.key),
            Kind::AntiAffinity => format!("pod anti-affinity on {}", self.def.key),
        };
        format!("{what} to pods matching {}", self.def.selector)
    }

    fn counts_text(&self, domains: Option<&Requirement>) -> String {
        let shown: Vec<String> =
            self.counts.iter().filter(|(d, _)| admits(domains, d)).take(8).map(|(d, c)| format!("{d}={c}")).collect();
        if shown.is_empty() {
            "no known domains".to_string()
        } else {
            let more = self.counts.iter().filter(|(d, _)| admits(domains, d)).count().saturating_sub(shown.len());
            let mut s = format!("counts {}", shown.join(", "));
            if more > 0 {
                let _ = write!(s, " and {more} more");
            }
            s
        }
    }

    /// The domains that already hold a pod this group selects, among those the pod may use.
    fn occupied(&self, pod_domains: Option<&Requirement>) -> Vec<&str> {
        self.counts.iter().filter(|(d, c)| **c > 0 && admits(pod_domains, d)).map(|(d, _)| d.as_str()).collect()
    }

    /// A spread's global minimum over the domains the pod may use: zero when there are fewer
    /// of them than `minDomains` (or none).
    fn global_min(&self, pod_domains: Option<&Requirement>, min_domains: Option<i32>) -> i32 {
        let mut min = i32::MAX;
        let mut eligible = 0;
        for (d, c) in &self.counts {
            if admits(pod_domains, d) {
                eligible += 1;
                min = min.min(*c);
            }
        }
        if min_domains.is_some_and(|m| eligible < m) || eligible == 0 {
            0
        } else {
            min
        }
    }

    /// The domains a pod may take on a node whose requirements on the key are `node_domains`.
    fn next(
        &self,
        pod: &Pod,
        pod_domains: Option<&Requirement>,
        node_domains: Option<&Requirement>,
        explain: bool,
    ) -> Result<Requirement, String> {
        // A node that pins the key to listed values: only those are candidates.
        let pinned: Option<&BTreeSet<String>> =
            node_domains.filter(|r| r.operator() == Operator::In).map(|r| r.values());
        let key = &self.def.key;
        match &self.def.kind {
            Kind::Spread { max_skew, min_domains } => {
                let min = if key == label::HOSTNAME { 0 } else { self.global_min(pod_domains, *min_domains) };
                let own = i32::from(self.selects(pod));
                let mut best: Option<(i32, &str)> = None;
                fn consider<'a>(
                    d: &'a str,
                    c: i32,
                    own: i32,
                    min: i32,
                    max_skew: i32,
                    best: &mut Option<(i32, &'a str)>,
                ) {
                    let c = c + own;
                    if c - min <= max_skew && best.is_none_or(|(bc, _)| c < bc) {
                        *best = Some((c, d));
                    }
                }
                if let Some(values) = pinned {
                    for d in values {
                        if let Some(c) = self.count(d) {
                            consider(d, c, own, min, *max_skew, &mut best);
                        }
                    }
                } else {
                    for (d, c) in &self.counts {
                        if admits(node_domains, d) {
                            consider(d, *c, own, min, *max_skew, &mut best);
                        }
                    }
                }
                match best {
                    Some((_, d)) => Ok(Requirement::single(key, d)),
                    None => Err(explain_text(explain, || {
                        format!(
                            "{}: no domain it may use is within the skew (global minimum {min}; {})",
                            self.describe(),
                            self.counts_text(pod_domains)
                        )
                    })),
                }
            }
            Kind::Affinity => {
                let occupied = self.occupied(pod_domains);
                if !occupied.is_empty() {
                    return Requirement::new(key, Operator::In, occupied.iter().copied()).map_err(|e| e.to_string());
                }
                if self.selects(pod) {
                    // No matching pod anywhere it may go: a pod that selects itself starts the
                    // group in a domain of this node, preferring one it already narrows to.
                    let mut first: Option<&str> = None;
                    if let Some(values) = pinned {
                        first = values
                            .iter()
                            .map(String::as_str)
                            .find(|d| admits(pod_domains, d) && self.count(d).is_some());
                    } else {
                        first = first.or_else(|| {
                            self.counts
                                .keys()
                                .map(String::as_str)
                                .find(|d| admits(pod_domains, d) && admits(node_domains, d))
                        });
                    }
                    if let Some(d) = first {
                        return Ok(Requirement::single(key, d));
                    }
                }
                Err(explain_text(explain, || {
                    format!(
                        "{}: it must join such a pod, and none is in a domain it may use ({})",
                        self.describe(),
                        self.counts_text(pod_domains)
                    )
                }))
            }
            Kind::AntiAffinity => {
                let mut free: Vec<&str> = vec![];
                if let Some(values) = pinned {
                    for d in values {
                        if admits(pod_domains, d) && self.count(d) == Some(0) {
                            free.push(d);
                        }
                    }
                } else {
                    for (d, c) in &self.counts {
                        if *c == 0 && admits(pod_domains, d) && admits(node_domains, d) {
                            free.push(d);
                        }
                    }
                }
                if free.is_empty() {
                    Err(explain_text(explain, || {
                        format!(
                            "{}: it must avoid such pods, and every domain it may use has one ({})",
                            self.describe(),
                            self.counts_text(node_domains)
                        )
                    }))
                } else {
                    Requirement::new(key, Operator::In, free.iter().copied()).map_err(|e| e.to_string())
                }
            }
        }
    }
}

/// A claim's pin for a screen key it does not pin to exactly one domain.
pub(crate) const UNPINNED: u32 = u32::MAX;

/// A pod's topology constraints reduced, for one placement attempt, to integer tests on a
/// node's hostname id and pinned domains ([`Topology::screen`]). Counts do not change while one
/// pod looks for a node, so the domains each constraint allows are worked out once; a node the
/// screen rejects is one [`Topology::add_requirements`] or [`Topology::hostname_blocks`] would
/// refuse, so screening first changes no decision, only how fast the refusals come.
pub(crate) struct Screen<'t> {
    /// Per hostname constraint: the group's counts by host id and the most a host may hold.
    hosts: Vec<(&'t [i32], i32)>,
    /// Whether a hostname constraint that admits only empty hosts has a pod on every host the
    /// pass knows (every existing node and every claim holding a pod).
    every_host_taken: bool,
    /// Per other constraint: the index of its key in the screen keys and the domain ids it
    /// allows; a node pinned to another domain is refused.
    domains: Vec<(usize, Vec<u32>)>,
}

impl Screen<'_> {
    /// Whether every node and claim the pass knows is refused, whatever its pins.
    pub(crate) fn rejects_every_host(&self) -> bool {
        self.every_host_taken
    }

    /// Whether a node with this hostname id and these pins (one per screen key, [`UNPINNED`]
    /// where the node is not pinned to one domain) is refused.
    pub(crate) fn rejects(&self, host: Option<u32>, pins: &[u32]) -> bool {
        if let Some(h) = host {
            for (counts, limit) in &self.hosts {
                if counts.get(h as usize).copied().unwrap_or(0) > *limit {
                    return true;
                }
            }
        }
        self.domains.iter().any(|(k, allowed)| pins.get(*k).is_some_and(|&d| d != UNPINNED && !allowed.contains(&d)))
    }
}

/// The values each NodePool offers for a topology key, with the taints of the pools offering them.
type DomainUniverse = BTreeMap<String, Vec<Vec<Taint>>>;

/// Topology state for one pass.
pub(crate) struct Topology {
    groups: Vec<Group>,
    index: HashMap<GroupKey, usize>,
    inverse: Vec<Group>,
    inverse_index: HashMap<GroupKey, usize>,
    /// Per pending pod: the groups it owns.
    owned: Vec<Vec<usize>>,
    /// Per pending pod: the inverse groups it owns.
    inverse_owned: Vec<Vec<usize>>,
    /// Per topology key: the domains NodePools offer.
    universe: BTreeMap<String, DomainUniverse>,
    /// Domains (and pods) of the existing nodes, for counting new groups.
    nodes: Vec<NodeView>,
    hosts: Interner,
    /// The keys other than the hostname that some group uses, in a fixed order: a claim keeps
    /// its pinned domain for each (see [`Screen`]).
    screen_keys: Vec<String>,
    /// Domains of the `screen_keys`, interned (every key shares one id space).
    domains: Interner,
    /// Per pending pod: how many groups were checked, and those of them that select it.
    selected: Vec<(usize, Vec<usize>)>,
    /// Per pending pod: the inverse groups that select it (labels do not relax, so this is fixed).
    inverse_selecting: Vec<Vec<usize>>,
}

/// What topology needs of an existing node.
struct NodeView {
    labels: Labels,
    requirements: Requirements,
    taints: Vec<Taint>,
    pods: Vec<(String, Labels)>,
}

impl NodeView {
    fn domain(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

fn namespaces_of(pod: &Pod, scope: &NamespaceScope) -> Option<BTreeSet<String>> {
    match scope {
        NamespaceScope::Own => Some(BTreeSet::from([pod.namespace.clone()])),
        NamespaceScope::Listed(v) => Some(v.iter().cloned().collect()),
        NamespaceScope::All => None,
    }
}

/// The group of a pod (anti-)affinity term: affinity groups count every node (no node filter).
fn term_key(kind: Kind, pod: &Pod, term: &PodAffinityTerm) -> GroupKey {
    GroupKey {
        kind,
        key: term.topology_key.clone(),
        namespaces: namespaces_of(pod, &term.namespaces),
        selector: term.selector.clone(),
        filter: NodeFilter::default(),
    }
}

/// A refusal's text, built only when someone will read it.
fn explain_text(explain: bool, text: impl FnOnce() -> String) -> String {
    if explain {
        text()
    } else {
        String::new()
    }
}

/// Whether a requirement (absent = `Exists`) admits a domain.
fn admits(r: Option<&Requirement>, domain: &str) -> bool {
    r.is_none_or(|r| r.has(domain))
}

fn show(r: Option<&Requirement>, key: &str) -> String {
    r.map(|r| r.to_string()).unwrap_or_else(|| format!("{key} Exists"))
}

impl Topology {
    /// Builds the groups for the pods to schedule, counting the pods already bound to `nodes`.
    pub(crate) fn new<'n>(
        nodes: impl Iterator<Item = &'n Node> + Clone,
        pools: &[PoolDomains<'_>],
        pods: &[impl std::borrow::Borrow<Pod>],
    ) -> Self {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        for n in nodes.clone() {
            for p in &n.pods {
                keys.extend(p.pod_anti_affinity.required.iter().map(|t| t.topology_key.clone()));
            }
        }
        let node_views: Vec<NodeView> = nodes
            .clone()
            .map(|n| {
                let mut labels = n.labels.clone();
                labels.entry(label::HOSTNAME.to_string()).or_insert_with(|| n.name.clone());
                NodeView {
                    requirements: Requirements::from_labels(&labels),
                    labels,
                    taints: n.effective_taints(),
                    pods: n.pods.iter().map(|p| (p.namespace.clone(), p.labels.clone())).collect(),
                }
            })
            .collect();
        for p in pods.iter().map(|p| p.borrow()) {
            for t in &p.topology_spread {
                keys.insert(t.topology_key.clone());
            }
            for t in p.pod_affinity.required.iter().chain(p.pod_affinity.preferred.iter().map(|(_, t)| t)) {
                keys.insert(t.topology_key.clone());
            }
            for t in p.pod_anti_affinity.required.iter().chain(p.pod_anti_affinity.preferred.iter().map(|(_, t)| t)) {
                keys.insert(t.topology_key.clone());
            }
        }
        let mut topo = Topology {
            groups: vec![],
            index: HashMap::new(),
            inverse: vec![],
            inverse_index: HashMap::new(),
            owned: vec![vec![]; pods.len()],
            inverse_owned: vec![vec![]; pods.len()],
            universe: BTreeMap::new(),
            nodes: node_views,
            hosts: Interner::default(),
            screen_keys: keys.iter().filter(|k| k.as_str() != label::HOSTNAME).cloned().collect(),
            domains: Interner::default(),
            inverse_selecting: vec![],
            selected: vec![(0, vec![]); pods.len()],
        };
        topo.universe = Self::build_universe(&keys, pools);
        // Pods already bound with required anti-affinity keep the pods they select out of their domains.
        for node in nodes {
            let mut labels = node.labels.clone();
            labels.entry(label::HOSTNAME.to_string()).or_insert_with(|| node.name.clone());
            for p in &node.pods {
                for term in &p.pod_anti_affinity.required {
                    let g = topo.inverse_group(p, term);
                    if let Some(d) = labels.get(&term.topology_key) {
                        topo.inverse[g].record(d, &mut topo.hosts);
                    }
                }
            }
        }
        for (i, p) in pods.iter().map(|p| p.borrow()).enumerate() {
            topo.update(i, p);
        }
        topo.inverse_selecting = pods
            .iter()
            .map(|p| topo.inverse.iter().enumerate().filter(|(_, g)| g.selects(p.borrow())).map(|(gi, _)| gi).collect())
            .collect();
        topo
    }

    /// The dense id of a hostname, for [`hostname_blocks`](Self::hostname_blocks).
    pub(crate) fn host_id(&mut self, hostname: &str) -> u32 {
        self.hosts.id(hostname)
    }

    fn build_universe(keys: &BTreeSet<String>, pools: &[PoolDomains<'_>]) -> BTreeMap<String, DomainUniverse> {
        let mut out: BTreeMap<String, DomainUniverse> = BTreeMap::new();
        for key in keys {
            let mut domains: DomainUniverse = BTreeMap::new();
            for pool in pools {
                let mut add = |d: &str| {
                    let e = domains.entry(d.to_string()).or_default();
                    if !e.iter().any(|t| t.as_slice() == pool.taints) {
                        e.push(pool.taints.to_vec());
                    }
                };
                let pool_req = pool.requirements.get(key);
                for it in &pool.types {
                    let r = match (pool_req, it.requirements.get(key)) {
                        (Some(a), Some(b)) => a.intersection(b),
                        (Some(a), None) => a.clone(),
                        (None, Some(b)) => b.clone(),
                        (None, None) => continue,
                    };
                    if !r.is_complement() {
                        for v in r.values() {
                            add(v);
                        }
                    }
                }
                if let Some(r) = pool_req {
                    if r.operator() == Operator::In {
                        for v in r.values() {
                            add(v);
                        }
                    }
                }
            }
            out.insert(key.clone(), domains);
        }
        out
    }

    /// A fresh group with the universe's domains (honouring the taint policy) and the counts of
    /// pods already bound.
    fn make_group(&self, def: GroupKey, pod: &Pod, count_existing: bool, hosts: &mut Interner) -> Group {
        let mut counts: BTreeMap<String, i32> = BTreeMap::new();
        if let Some(u) = self.universe.get(&def.key) {
            for (d, taint_sets) in u {
                let ok = !def.filter.honor_taints
                    || taint_sets.iter().any(|ts| first_untolerated(ts, &pod.tolerations).is_none());
                if ok {
                    counts.insert(d.clone(), 0);
                }
            }
        }
        let mut g = Group { def, counts, by_host: vec![], hosts_counted: 0 };
        for n in &self.nodes {
            let Some(domain) = n.domain(&g.def.key) else { continue };
            if !g.def.filter.matches(&n.taints, &n.requirements, &|_| false) {
                continue;
            }
            g.counts.entry(domain.to_string()).or_insert(0);
            if count_existing {
                let domain = domain.to_string();
                for (ns, labels) in &n.pods {
                    if g.def.namespaces.as_ref().is_none_or(|s| s.contains(ns)) && g.def.selector.matches(labels) {
                        g.record(&domain, hosts);
                    }
                }
            }
        }
        g
    }

    fn group(&mut self, def: GroupKey, pod: &Pod) -> usize {
        if let Some(&g) = self.index.get(&def) {
            return g;
        }
        let mut hosts = std::mem::take(&mut self.hosts);
        let g = self.make_group(def.clone(), pod, true, &mut hosts);
        self.hosts = hosts;
        self.groups.push(g);
        self.index.insert(def, self.groups.len() - 1);
        self.groups.len() - 1
    }

    fn inverse_group(&mut self, pod: &Pod, term: &PodAffinityTerm) -> usize {
        let def = term_key(Kind::AntiAffinity, pod, term);
        if let Some(&g) = self.inverse_index.get(&def) {
            return g;
        }
        let mut hosts = std::mem::take(&mut self.hosts);
        let g = self.make_group(def.clone(), pod, false, &mut hosts);
        self.hosts = hosts;
        self.inverse.push(g);
        self.inverse_index.insert(def, self.inverse.len() - 1);
        self.inverse.len() - 1
    }

    /// (Re)builds the groups pod `i` owns from its current (possibly relaxed) constraints.
    pub(crate) fn update(&mut self, i: usize, pod: &Pod) {
        let mut owned = vec![];
        for t in &pod.topology_spread {
            let mut selector = t.selector.clone();
            for k in &t.match_label_keys {
                if let Some(v) = pod.labels.get(k) {
                    selector.add_label(k, v);
                }
            }
            let def = GroupKey {
                kind: Kind::Spread { max_skew: t.max_skew, min_domains: t.min_domains },
                key: t.topology_key.clone(),
                namespaces: Some(BTreeSet::from([pod.namespace.clone()])),
                selector,
                filter: NodeFilter::for_spread(pod, t.node_affinity_policy, t.node_taints_policy),
            };
            owned.push(self.ensure_key_and_group(def, pod));
        }
        let affinity = pod.pod_affinity.required.iter().chain(pod.pod_affinity.preferred.iter().map(|(_, t)| t));
        let affinity: Vec<PodAffinityTerm> = affinity.cloned().collect();
        for term in &affinity {
            let def = term_key(Kind::Affinity, pod, term);
            owned.push(self.ensure_key_and_group(def, pod));
        }
        let anti: Vec<PodAffinityTerm> = pod
            .pod_anti_affinity
            .required
            .iter()
            .chain(pod.pod_anti_affinity.preferred.iter().map(|(_, t)| t))
            .cloned()
            .collect();
        for term in &anti {
            let def = term_key(Kind::AntiAffinity, pod, term);
            owned.push(self.ensure_key_and_group(def, pod));
        }
        let mut inverse_owned = vec![];
        for term in &pod.pod_anti_affinity.required {
            inverse_owned.push(self.inverse_group(pod, term));
        }
        if let Some(slot) = self.owned.get_mut(i) {
            *slot = owned;
        }
        if let Some(slot) = self.inverse_owned.get_mut(i) {
            *slot = inverse_owned;
        }
    }

    fn ensure_key_and_group(&mut self, def: GroupKey, pod: &Pod) -> usize {
        if !self.universe.contains_key(&def.key) {
            self.universe.insert(def.key.clone(), DomainUniverse::new());
        }
        self.group(def, pod)
    }

    /// The extra requirements topology puts on placing pod `i` on a node with `node` requirements
    /// and `taints`; an error says which constraint refused and with which counts.
    pub(crate) fn add_requirements(
        &self,
        i: usize,
        pod: &Pod,
        strict: &Requirements,
        node: &Requirements,
        allow: &dyn Fn(&str) -> bool,
        explain: bool,
    ) -> Result<Requirements, String> {
        let mut out = Requirements::new();
        let owned = self.owned.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let selecting = self.inverse_selecting.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let inverse =
            selecting.iter().map(|&g| &self.inverse[g]).filter(|g| g.def.filter.matches_requirements(node, allow));
        for g in owned.iter().map(|&g| &self.groups[g]).chain(inverse) {
            let key = &g.def.key;
            let pod_domains = strict.get(key);
            let node_domains = node.get(key);
            let domains = g.next(pod, pod_domains, node_domains, explain)?;
            if node_domains.is_some_and(|n| !domains.has_intersection(n)) {
                return Err(explain_text(explain, || {
                    format!(
                        "{}: it may only go to {domains}, and this node is in {}",
                        g.describe(),
                        show(node_domains, key)
                    )
                }));
            }
            out.add(domains);
            if out.get(key).is_some_and(Requirement::is_empty) {
                return Err(explain_text(explain, || {
                    format!(
                        "{}: no domain of {key} satisfies all of the pod's topology constraints together",
                        g.describe()
                    )
                }));
            }
        }
        Ok(out)
    }

    /// The pins of a node with these requirements: per screen key, the id of the one domain
    /// the node is pinned to (an `In` of one value), or [`UNPINNED`].
    pub(crate) fn pins(&mut self, reqs: &Requirements) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.screen_keys.len());
        for k in 0..self.screen_keys.len() {
            let pinned = reqs
                .get(&self.screen_keys[k])
                .filter(|r| r.operator() == Operator::In && r.values().len() == 1)
                .and_then(|r| r.values().iter().next());
            out.push(match pinned {
                Some(d) => self.domains.id(d),
                None => UNPINNED,
            });
        }
        out
    }

    /// The [`Screen`] of pod `i` (with `strict` requirements) against the current counts.
    pub(crate) fn screen(&self, i: usize, pod: &Pod, strict: &Requirements) -> Screen<'_> {
        let mut screen = Screen { hosts: vec![], every_host_taken: false, domains: vec![] };
        let known_hosts = self.hosts.ids.len();
        let owned = self.owned.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let selecting = self.inverse_selecting.get(i).map(Vec::as_slice).unwrap_or(&[]);
        let groups = owned.iter().map(|&g| &self.groups[g]).chain(selecting.iter().map(|&g| &self.inverse[g]));
        for g in groups {
            let key = &g.def.key;
            if key == label::HOSTNAME {
                match g.def.kind {
                    Kind::AntiAffinity => {
                        screen.every_host_taken |= known_hosts > 0 && g.hosts_counted == known_hosts;
                        screen.hosts.push((&g.by_host, 0));
                    }
                    Kind::Spread { max_skew, .. } => {
                        screen.hosts.push((&g.by_host, max_skew - i32::from(g.selects(pod))))
                    }
                    Kind::Affinity => {}
                }
                continue;
            }
            let Some(k) = self.screen_keys.iter().position(|s| s == key) else { continue };
            let pod_domains = strict.get(key);
            let allowed: Vec<&str> = match &g.def.kind {
                Kind::Spread { max_skew, min_domains } => {
                    let min = g.global_min(pod_domains, *min_domains);
                    let own = i32::from(g.selects(pod));
                    g.counts.iter().filter(|(_, c)| **c + own - min <= *max_skew).map(|(d, _)| d.as_str()).collect()
                }
                Kind::Affinity => {
                    let occupied = g.occupied(pod_domains);
                    if occupied.is_empty() && g.selects(pod) {
                        g.counts.keys().map(String::as_str).filter(|d| admits(pod_domains, d)).collect()
                    } else {
                        occupied
                    }
                }
                Kind::AntiAffinity => g
                    .counts
                    .iter()
                    .filter(|(d, c)| **c == 0 && admits(pod_domains, d))
                    .map(|(d, _)| d.as_str())
                    .collect(),
            };
            let ids = allowed.into_iter().filter_map(|d| self.domains.ids.get(d).copied()).collect();
            screen.domains.push((k, ids));
        }
        screen
    }

    /// Whether a hostname-keyed constraint already rules out the node with this hostname:
    /// anti-affinity to a pod that is there, or a hostname spread at its skew. Allocation-free,
    /// and exactly what [`add_requirements`](Self::add_requirements) would conclude for those groups.
    pub(crate) fn hostname_blocks(&self, i: usize, pod: &Pod, host: Option<u32>) -> bool {
        // A hostname no group has counted yet (a claim made in this pass) holds no pods.
        let Some(host) = host else { return false };
        let owned = self.owned.get(i).map(Vec::as_slice).unwrap_or(&[]);
        for &g in owned {
            let g = &self.groups[g];
            if g.def.key != label::HOSTNAME {
                continue;
            }
            let c = g.host_count(host);
            match g.def.kind {
                Kind::AntiAffinity if c > 0 => return true,
                Kind::Spread { max_skew, .. } if c + i32::from(g.selects(pod)) > max_skew => return true,
                _ => {}
            }
        }
        let selecting = self.inverse_selecting.get(i).map(Vec::as_slice).unwrap_or(&[]);
        selecting.iter().map(|&g| &self.inverse[g]).any(|g| g.def.key == label::HOSTNAME && g.host_count(host) > 0)
    }

    /// Counts pod `i`, placed on a node with these taints and requirements, in every group that
    /// selects it; its own inverse anti-affinity groups block every domain it could be in.
    pub(crate) fn record(
        &mut self,
        i: usize,
        pod: &Pod,
        taints: &[Taint],
        reqs: &Requirements,
        allow: &dyn Fn(&str) -> bool,
    ) {
        // Groups are only ever added and a pod's labels never change: the groups selecting it
        // are worked out once, and then only over groups added since.
        if self.selected.len() <= i {
            self.selected.resize(i + 1, (0, vec![]));
        }
        let (seen, selecting) = &mut self.selected[i];
        for (gi, g) in self.groups.iter().enumerate().skip(*seen) {
            if g.selects(pod) {
                selecting.push(gi);
            }
        }
        *seen = self.groups.len();
        for &gi in selecting.iter() {
            let g = &mut self.groups[gi];
            if !g.def.filter.matches(taints, reqs, allow) {
                continue;
            }
            let Some(r) = reqs.get(&g.def.key) else { continue };
            if r.is_complement() {
                continue;
            }
            if g.def.kind == Kind::AntiAffinity {
                for d in r.values() {
                    g.record(d, &mut self.hosts);
                }
            } else if r.values().len() == 1 {
                if let Some(d) = r.values().iter().next() {
                    g.record(d, &mut self.hosts);
                }
            }
        }
        let owned = self.inverse_owned.get(i).cloned().unwrap_or_default();
        for gi in owned {
            let g = &mut self.inverse[gi];
            if let Some(r) = reqs.get(&g.def.key) {
                if !r.is_complement() {
                    for d in r.values() {
                        g.record(d, &mut self.hosts);
                    }
                }
            }
        }
    }
}

//! Node affinity and pod (anti-)affinity terms as a pod carries them.

use crate::label_selector::LabelSelector;
use crate::requirements::Requirements;

/// A pod's node affinity: required OR terms and weighted preferences.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeAffinity {
    /// `requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`: any one term must hold.
    pub required: Vec<Requirements>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`: (weight, term).
    pub preferred: Vec<(i32, Requirements)>,
}

impl NodeAffinity {
    /// Whether the pod has no node affinity at all.
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.preferred.is_empty()
    }
}

/// Which namespaces a pod affinity term or spread constraint selects pods in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum NamespaceScope {
    /// The pod's own namespace (no `namespaces` and no `namespaceSelector`).
    #[default]
    Own,
    /// The listed namespaces (plus those the selector matches when it is empty, i.e. all).
    Listed(Vec<String>),
    /// Every namespace (an empty `namespaceSelector: {}`).
    All,
}

/// One pod affinity or anti-affinity term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PodAffinityTerm {
    /// Which pods the term refers to.
    pub selector: LabelSelector,
    /// In which namespaces.
    pub namespaces: NamespaceScope,
    /// The node label that defines a domain (`kubernetes.io/hostname`, a zone, ...).
    pub topology_key: String,
}

/// A pod's affinity or anti-affinity to other pods.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodAffinity {
    /// Terms that must hold.
    pub required: Vec<PodAffinityTerm>,
    /// (weight, term) preferences.
    pub preferred: Vec<(i32, PodAffinityTerm)>,
}

impl PodAffinity {
    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.preferred.is_empty()
    }
}

//! A set of requirements keyed by label (Karpenter's `scheduling.Requirements`), with
//! intersection, `Compatible` and the fast `Intersects`.

use std::collections::BTreeMap;
use std::fmt;

use crate::label::{self, Labels};
use crate::requirement::{Operator, Requirement};

/// Why two requirement sets cannot be satisfied together. Each variant is data a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", tag = "kind"))]
#[non_exhaustive]
pub enum Incompatibility {
    /// The incoming side requires a label the existing side never defines (and it is not well known).
    UndefinedLabel {
        /// The label key.
        key: String,
    },
    /// Both sides constrain the key but no value satisfies both.
    NoCommonValue {
        /// The label key.
        key: String,
        /// The incoming requirement, as text.
        wanted: String,
        /// The existing requirement, as text.
        offered: String,
    },
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Incompatibility::UndefinedLabel { key } => write!(f, "label {key:?} does not have known values"),
            Incompatibility::NoCommonValue { key, wanted, offered } => {
                write!(f, "label {key:?}: requires {wanted} but only {offered} is offered")
            }
        }
    }
}

/// The first key on which two requirement sets disagree, found without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict<'a> {
    /// The label key.
    pub key: &'a str,
    /// True when the key is undefined on the existing side; false when no value is common.
    pub undefined: bool,
}

/// Requirements keyed by label key.
///
/// ```
/// use nodepack_core::{Requirements, Requirement, Operator};
/// let mut pool = Requirements::new();
/// pool.add(Requirement::new("karpenter.sh/capacity-type", Operator::In, ["on-demand"]).unwrap());
/// let mut pod = Requirements::new();
/// pod.add(Requirement::new("karpenter.sh/capacity-type", Operator::In, ["spot"]).unwrap());
/// assert!(pool.compatible(&pod, &|_| true).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Requirements {
    by_key: BTreeMap<String, Requirement>,
}

impl Requirements {
    /// No requirements.
    pub fn new() -> Self {
        Self::default()
    }

    /// One `key In [value]` requirement per label.
    pub fn from_labels(labels: &Labels) -> Self {
        if labels.keys().all(|k| crate::label::normalize(k) == k) {
            // Distinct keys, already in order and normal form: the map is built in one pass.
            return Requirements {
                by_key: labels.iter().map(|(k, v)| (k.clone(), Requirement::single(k, v))).collect(),
            };
        }
        // A beta alias and its current key may both be present: they intersect.
        let mut r = Requirements::new();
        for (k, v) in labels {
            r.add(Requirement::single(k, v));
        }
        r
    }

    /// Adds a requirement, intersecting it with any existing one on the same key.
    pub fn add(&mut self, req: Requirement) {
        match self.by_key.get_mut(req.key()) {
            Some(existing) => *existing = req.intersection(existing),
            None => {
                self.by_key.insert(req.key().to_string(), req);
            }
        }
    }

    /// Adds every requirement of `other`.
    pub fn add_all(&mut self, other: &Requirements) {
        for r in other.by_key.values() {
            self.add(r.clone());
        }
    }

    /// Replaces the requirement on a key outright.
    pub fn set(&mut self, req: Requirement) {
        self.by_key.insert(req.key().to_string(), req);
    }

    /// Removes the requirement on a key.
    pub fn remove(&mut self, key: &str) -> Option<Requirement> {
        self.by_key.remove(key)
    }

    /// The intersection of two sets.
    #[must_use]
    pub fn intersection(&self, other: &Requirements) -> Requirements {
        let mut out = self.clone();
        out.add_all(other);
        out
    }

    /// Whether a key is constrained.
    pub fn has(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// The requirement on a key, if constrained.
    pub fn get(&self, key: &str) -> Option<&Requirement> {
        self.by_key.get(key)
    }

    /// Every requirement, ordered by key.
    pub fn iter(&self) -> impl Iterator<Item = &Requirement> {
        self.by_key.values()
    }

    /// Every key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.by_key.keys().map(String::as_str)
    }

    /// The number of keys constrained.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether nothing is constrained.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether adding `other` would change nothing: every key it constrains is constrained here
    /// at least as tightly (allocation-free).
    pub fn implies(&self, other: &Requirements) -> bool {
        other.by_key.iter().all(|(k, r)| self.by_key.get(k).is_some_and(|mine| mine.is_subset_of(r)))
    }

    /// Whether any requirement carries `minValues`.
    pub fn has_min_values(&self) -> bool {
        self.by_key.values().any(|r| r.min_values().is_some())
    }

    /// Karpenter's `Compatible`: every key `incoming` requires must be defined here (unless it is
    /// negative, or `allow_undefined` admits it), and then [`intersects`](Self::intersects) must hold.
    pub fn compatible(
        &self,
        incoming: &Requirements,
        allow_undefined: &dyn Fn(&str) -> bool,
    ) -> Result<(), Incompatibility> {
        match self.first_conflict(incoming, allow_undefined) {
            None => Ok(()),
            Some(c) => Err(self.describe(incoming, c)),
        }
    }

    /// Karpenter's `Intersects`: every key both sides constrain must admit a common value, except
    /// that two negative requirements always agree. Keys only one side constrains are allowed.
    pub fn intersects(&self, incoming: &Requirements) -> Result<(), Incompatibility> {
        match self.first_intersect_conflict(incoming) {
            None => Ok(()),
            Some(key) => Err(self.describe(incoming, Conflict { key, undefined: false })),
        }
    }

    /// The allocation-free form of [`compatible`](Self::compatible): the first conflicting key, if any.
    pub fn first_conflict<'a>(
        &'a self,
        incoming: &'a Requirements,
        allow_undefined: &dyn Fn(&str) -> bool,
    ) -> Option<Conflict<'a>> {
        for (key, req) in &incoming.by_key {
            if self.by_key.contains_key(key) || req.is_negative() || allow_undefined(key) {
                continue;
            }
            return Some(Conflict { key, undefined: true });
        }
        self.first_intersect_conflict(incoming).map(|key| Conflict { key, undefined: false })
    }

    /// The allocation-free form of [`intersects`](Self::intersects): the first key without a common value.
    pub fn first_intersect_conflict<'a>(&'a self, incoming: &'a Requirements) -> Option<&'a str> {
        let (small, large, small_is_incoming) = if self.by_key.len() <= incoming.by_key.len() {
            (&self.by_key, &incoming.by_key, false)
        } else {
            (&incoming.by_key, &self.by_key, true)
        };
        for (key, a) in small {
            let Some(b) = large.get(key) else { continue };
            let (existing, inc) = if small_is_incoming { (b, a) } else { (a, b) };
            if existing.has_intersection(inc) {
                continue;
            }
            if inc.is_negative() && existing.is_negative() {
                continue;
            }
            return Some(key);
        }
        None
    }

    /// Whether `first_intersect_conflict` finds nothing.
    pub fn intersects_ok(&self, incoming: &Requirements) -> bool {
        self.first_intersect_conflict(incoming).is_none()
    }

    fn describe(&self, incoming: &Requirements, c: Conflict<'_>) -> Incompatibility {
        if c.undefined {
            return Incompatibility::UndefinedLabel { key: c.key.to_string() };
        }
        let show = |r: Option<&Requirement>| r.map(|r| r.to_string()).unwrap_or_else(|| format!("{} Exists", c.key));
        Incompatibility::NoCommonValue {
            key: c.key.to_string(),
            wanted: show(incoming.get(c.key)),
            offered: show(self.get(c.key)),
        }
    }

    /// Whether a concrete set of labels satisfies every requirement (a missing label satisfies only
    /// `NotIn` and `DoesNotExist`). Used for existing nodes and label selectors.
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.by_key.iter().all(|(k, r)| match labels.get(k) {
            Some(v) => r.has(v),
            None => matches!(r.operator(), Operator::NotIn | Operator::DoesNotExist),
        })
    }

    /// The labels these requirements pin to a single value (restricted keys excluded), as Karpenter
    /// writes them on a node.
    pub fn single_value_labels(&self) -> Labels {
        let mut out = Labels::new();
        for (k, r) in &self.by_key {
            if label::is_restricted(k) && k != label::NODE_POOL {
                continue;
            }
            if r.len() == Some(1) {
                if let Some(v) = r.any_value() {
                    out.insert(k.clone(), v.to_string());
                }
            }
        }
        out
    }
}

impl fmt::Display for Requirements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.by_key.values().map(|r| r.to_string()).collect();
        f.write_str(&parts.join(", "))
    }
}

impl FromIterator<Requirement> for Requirements {
    fn from_iter<T: IntoIterator<Item = Requirement>>(iter: T) -> Self {
        let mut r = Requirements::new();
        for req in iter {
            r.add(req);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(k: &str, op: Operator, v: &[&str]) -> Requirement {
        Requirement::new(k, op, v.iter().copied()).unwrap()
    }
    fn reqs(list: &[Requirement]) -> Requirements {
        list.iter().cloned().collect()
    }
    fn none(_: &str) -> bool {
        false
    }

    #[test]
    fn compatible_table() {
        use Operator::*;
        // (node, pod, compatible without allow-undefined)
        let cases: Vec<(Requirements, Requirements, bool)> = vec![
            (reqs(&[req("a", In, &["x"])]), reqs(&[req("a", In, &["x", "y"])]), true),
            (reqs(&[req("a", In, &["x"])]), reqs(&[req("a", In, &["y"])]), false),
            (reqs(&[req("a", In, &["x"])]), reqs(&[req("a", NotIn, &["x"])]), false),
            (reqs(&[req("a", In, &["x"])]), reqs(&[req("a", NotIn, &["y"])]), true),
            (reqs(&[req("a", In, &["x"])]), reqs(&[req("a", Exists, &[])]), true),
            (reqs(&[req("a", In, &["x"])]), reqs(&[req("a", DoesNotExist, &[])]), false),
            (reqs(&[req("a", DoesNotExist, &[])]), reqs(&[req("a", DoesNotExist, &[])]), true),
            (reqs(&[req("a", NotIn, &["x"])]), reqs(&[req("a", DoesNotExist, &[])]), true),
            (reqs(&[req("a", DoesNotExist, &[])]), reqs(&[req("a", In, &["x"])]), false),
            (reqs(&[req("a", Exists, &[])]), reqs(&[req("a", DoesNotExist, &[])]), false),
            // undefined keys: positive requirements fail, negative ones pass
            (reqs(&[]), reqs(&[req("b", In, &["x"])]), false),
            (reqs(&[]), reqs(&[req("b", Exists, &[])]), false),
            (reqs(&[]), reqs(&[req("b", NotIn, &["x"])]), true),
            (reqs(&[]), reqs(&[req("b", DoesNotExist, &[])]), true),
            // bounds
            (reqs(&[req("cpu", In, &["4"])]), reqs(&[req("cpu", Gt, &["3"])]), true),
            (reqs(&[req("cpu", In, &["4"])]), reqs(&[req("cpu", Gt, &["4"])]), false),
            (reqs(&[req("cpu", Gt, &["8"])]), reqs(&[req("cpu", Lt, &["4"])]), false),
            (reqs(&[req("cpu", Gte, &["4"])]), reqs(&[req("cpu", Lte, &["4"])]), true),
        ];
        for (i, (node, pod, want)) in cases.iter().enumerate() {
            assert_eq!(node.compatible(pod, &none).is_ok(), *want, "case {i}: {node} vs {pod}");
        }
    }

    #[test]
    fn implies_agrees_with_intersection() {
        use Operator::*;
        let sets = [
            req("a", In, &["x"]),
            req("a", In, &["x", "y"]),
            req("a", NotIn, &["x"]),
            req("a", NotIn, &["x", "y"]),
            req("a", Exists, &[]),
            req("a", DoesNotExist, &[]),
            req("a", Gt, &["3"]),
            req("a", In, &["4", "9"]),
            Requirement::with_min_values("a", In, ["x", "y"], Some(2)).unwrap(),
        ];
        for a in &sets {
            for b in &sets {
                let mine = reqs(std::slice::from_ref(a));
                let other = reqs(std::slice::from_ref(b));
                if mine.implies(&other) {
                    // Implied means the intersection admits exactly the same values.
                    let both = mine.intersection(&other);
                    let x = both.get("a").unwrap();
                    for v in ["x", "y", "z", "4", "9", "2"] {
                        assert_eq!(x.has(v), a.has(v), "{a} ⊆ {b} on {v}");
                    }
                    assert_eq!(x.min_values(), a.min_values());
                }
            }
        }
        assert!(reqs(&[req("a", In, &["x"])]).implies(&reqs(&[req("a", In, &["x", "y"])])));
        assert!(!reqs(&[req("a", In, &["x", "y"])]).implies(&reqs(&[req("a", In, &["x"])])));
        assert!(!reqs(&[]).implies(&reqs(&[req("a", Exists, &[])])));
    }

    #[test]
    fn well_known_undefined_is_allowed() {
        let node = Requirements::new();
        let pod = reqs(&[req(label::ZONE, Operator::In, &["z1"])]);
        assert!(node.compatible(&pod, &|k| label::is_well_known(k)).is_ok());
        assert!(node.compatible(&pod, &none).is_err());
    }

    #[test]
    fn matches_labels() {
        let r = reqs(&[req("a", Operator::In, &["x"]), req("b", Operator::DoesNotExist, &[])]);
        let mut l = Labels::new();
        l.insert("a".into(), "x".into());
        assert!(r.matches_labels(&l));
        l.insert("b".into(), "y".into());
        assert!(!r.matches_labels(&l));
    }
}

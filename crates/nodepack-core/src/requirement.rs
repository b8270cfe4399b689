//! One node-selector requirement on one label key, as Karpenter's `scheduling.Requirement`:
//! a finite or complement set of values, optional integer bounds, and `minValues`.

use std::collections::BTreeSet;
use std::fmt;

use crate::label;

/// A node-selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Operator {
    /// The label's value is one of the values.
    In,
    /// The label is absent or its value is none of the values.
    NotIn,
    /// The label is present with any value.
    Exists,
    /// The label is absent.
    DoesNotExist,
    /// The value is an integer greater than the one value.
    Gt,
    /// The value is an integer less than the one value.
    Lt,
    /// The value is an integer greater than or equal to the one value.
    Gte,
    /// The value is an integer less than or equal to the one value.
    Lte,
}

impl Operator {
    /// Reads an operator as Kubernetes spells it.
    pub fn parse(s: &str) -> Option<Operator> {
        Some(match s {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            "Gt" => Operator::Gt,
            "Lt" => Operator::Lt,
            "Gte" => Operator::Gte,
            "Lte" => Operator::Lte,
            _ => return None,
        })
    }

    /// The operator as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
            Operator::Gt => "Gt",
            Operator::Lt => "Lt",
            Operator::Gte => "Gte",
            Operator::Lte => "Lte",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a requirement as written cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequirementError {
    /// `Gt`, `Lt`, `Gte` and `Lte` take exactly one integer value.
    #[error("operator {operator} on {key:?} needs exactly one integer value, got {values:?}")]
    BadBound {
        /// The key.
        key: String,
        /// The operator.
        operator: Operator,
        /// The values given.
        values: Vec<String>,
    },
    /// `In` needs at least one value.
    #[error("operator In on {key:?} needs at least one value")]
    EmptyIn {
        /// The key.
        key: String,
    },
    /// `minValues` asks for more values than an `In` requirement lists.
    #[error("minValues {min_values} on {key:?} is more than the {count} values listed")]
    MinValuesTooLarge {
        /// The key.
        key: String,
        /// The minValues asked for.
        min_values: u32,
        /// How many values were listed.
        count: usize,
    },
}

/// A requirement on one label key.
///
/// The value set is finite (`In`, `DoesNotExist`) or a complement (`NotIn`, `Exists`);
/// integer bounds (from `Gt`/`Lt`/`Gte`/`Lte`) are inclusive and only admit integer values.
///
/// ```
/// use nodepack_core::{Requirement, Operator};
/// let a = Requirement::new("size", Operator::In, ["small", "large"]).unwrap();
/// let b = Requirement::new("size", Operator::NotIn, ["large"]).unwrap();
/// let both = a.intersection(&b);
/// assert!(both.has("small"));
/// assert!(!both.has("large"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    complement: bool,
    values: BTreeSet<String>,
    gte: Option<i64>,
    lte: Option<i64>,
    min_values: Option<u32>,
}

fn parse_int(s: &str) -> Option<i64> {
    s.parse::<i64>().ok()
}

fn within(value: &str, gte: Option<i64>, lte: Option<i64>) -> bool {
    if gte.is_none() && lte.is_none() {
        return true;
    }
    match parse_int(value) {
        None => false,
        Some(v) => gte.is_none_or(|g| v >= g) && lte.is_none_or(|l| v <= l),
    }
}

impl Requirement {
    /// Builds a requirement from an operator and values, normalizing beta label aliases.
    pub fn new<I, S>(key: &str, op: Operator, values: I) -> Result<Requirement, RequirementError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::with_min_values(key, op, values, None)
    }

    /// Builds a requirement with `minValues`.
    pub fn with_min_values<I, S>(
        key: &str,
        op: Operator,
        values: I,
        min_values: Option<u32>,
    ) -> Result<Requirement, RequirementError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let key = label::normalize(key).to_string();
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        let mut r = Requirement { key, complement: true, values: BTreeSet::new(), gte: None, lte: None, min_values };
        match op {
            Operator::In => {
                if values.is_empty() {
                    return Err(RequirementError::EmptyIn { key: r.key });
                }
                r.complement = false;
                r.values.extend(values);
                if let Some(m) = min_values {
                    if m as usize > r.values.len() {
                        return Err(RequirementError::MinValuesTooLarge {
                            key: r.key,
                            min_values: m,
                            count: r.values.len(),
                        });
                    }
                }
            }
            Operator::NotIn => r.values.extend(values),
            Operator::Exists => {}
            Operator::DoesNotExist => r.complement = false,
            Operator::Gt | Operator::Lt | Operator::Gte | Operator::Lte => {
                let n = match values.as_slice() {
                    [one] => parse_int(one),
                    _ => None,
                };
                let Some(n) = n else {
                    return Err(RequirementError::BadBound { key: r.key, operator: op, values });
                };
                match op {
                    Operator::Gt => r.gte = Some(n.saturating_add(1)),
                    Operator::Lt => r.lte = Some(n.saturating_sub(1)),
                    Operator::Gte => r.gte = Some(n),
                    _ => r.lte = Some(n),
                }
            }
        }
        Ok(r)
    }

    /// `key In [value]`.
    pub fn single(key: &str, value: &str) -> Requirement {
        Requirement {
            key: label::normalize(key).to_string(),
            complement: false,
            values: BTreeSet::from([value.to_string()]),
            gte: None,
            lte: None,
            min_values: None,
        }
    }

    /// `key Exists`.
    pub fn exists(key: &str) -> Requirement {
        Requirement {
            key: label::normalize(key).to_string(),
            complement: true,
            values: BTreeSet::new(),
            gte: None,
            lte: None,
            min_values: None,
        }
    }

    /// `key DoesNotExist`.
    pub fn does_not_exist(key: &str) -> Requirement {
        Requirement {
            key: label::normalize(key).to_string(),
            complement: false,
            values: BTreeSet::new(),
            gte: None,
            lte: None,
            min_values: None,
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The `minValues` this requirement asks for.
    pub fn min_values(&self) -> Option<u32> {
        self.min_values
    }

    /// This requirement with `minValues` replaced.
    #[must_use]
    pub fn with_min(mut self, min_values: Option<u32>) -> Self {
        self.min_values = min_values;
        self
    }

    /// Whether the set is a complement (`NotIn`/`Exists` and bounds).
    pub fn is_complement(&self) -> bool {
        self.complement
    }

    /// The values listed: the allowed ones for a finite set, the excluded ones for a complement.
    pub fn values(&self) -> &BTreeSet<String> {
        &self.values
    }

    /// The inclusive lower bound, if any.
    pub fn gte(&self) -> Option<i64> {
        self.gte
    }

    /// The inclusive upper bound, if any.
    pub fn lte(&self) -> Option<i64> {
        self.lte
    }

    /// The operator this requirement reads as (Karpenter's `Operator()`).
    pub fn operator(&self) -> Operator {
        if self.complement {
            // Bounds alone read as Exists, as in Karpenter (its complement length is unbounded).
            if self.values.is_empty() {
                Operator::Exists
            } else {
                Operator::NotIn
            }
        } else if self.values.is_empty() {
            Operator::DoesNotExist
        } else {
            Operator::In
        }
    }

    /// Whether the requirement is negative (`NotIn` or `DoesNotExist`) in Karpenter's sense.
    pub fn is_negative(&self) -> bool {
        matches!(self.operator(), Operator::NotIn | Operator::DoesNotExist)
    }

    /// Whether a label with this value satisfies the requirement.
    pub fn has(&self, value: &str) -> bool {
        if self.complement {
            !self.values.contains(value) && within(value, self.gte, self.lte)
        } else {
            self.values.contains(value) && within(value, self.gte, self.lte)
        }
    }

    /// The number of admitted values, `None` when unbounded (a complement).
    pub fn len(&self) -> Option<usize> {
        if self.complement {
            None
        } else {
            Some(self.values.len())
        }
    }

    /// Whether the requirement admits no value at all (`DoesNotExist`, or an empty intersection).
    pub fn is_empty(&self) -> bool {
        !self.complement && self.values.is_empty()
    }

    /// The intersection of two requirements on the same key, exactly as Karpenter computes it.
    #[must_use]
    pub fn intersection(&self, other: &Requirement) -> Requirement {
        let complement = self.complement && other.complement;
        let gte = match (self.gte, other.gte) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let lte = match (self.lte, other.lte) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let min_values = match (self.min_values, other.min_values) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let (Some(g), Some(l)) = (gte, lte) {
            if g > l {
                return Requirement {
                    key: self.key.clone(),
                    complement: false,
                    values: BTreeSet::new(),
                    gte: None,
                    lte: None,
                    min_values,
                };
            }
        }
        let mut values: BTreeSet<String> = match (self.complement, other.complement) {
            (true, true) => self.values.union(&other.values).cloned().collect(),
            (true, false) => other.values.difference(&self.values).cloned().collect(),
            (false, true) => self.values.difference(&other.values).cloned().collect(),
            (false, false) => self.values.intersection(&other.values).cloned().collect(),
        };
        values.retain(|v| within(v, gte, lte));
        let (gte, lte) = if complement { (gte, lte) } else { (None, None) };
        Requirement { key: self.key.clone(), complement, values, gte, lte, min_values }
    }

    /// Whether the intersection with `other` admits any value, without building it
    /// (Karpenter's `HasIntersection`).
    pub fn has_intersection(&self, other: &Requirement) -> bool {
        let gte = match (self.gte, other.gte) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let lte = match (self.lte, other.lte) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let (Some(g), Some(l)) = (gte, lte) {
            if g > l {
                return false;
            }
        }
        match (self.complement, other.complement) {
            (true, true) => true,
            (true, false) => other.values.iter().any(|v| !self.values.contains(v) && within(v, gte, lte)),
            (false, true) => self.values.iter().any(|v| !other.values.contains(v) && within(v, gte, lte)),
            (false, false) => {
                let (small, large) =
                    if self.values.len() <= other.values.len() { (self, other) } else { (other, self) };
                small.values.iter().any(|v| large.values.contains(v) && within(v, gte, lte))
            }
        }
    }

    /// Whether every value this requirement admits is admitted by `other`, with at least its
    /// `minValues`: then intersecting with `other` changes nothing (allocation-free).
    pub fn is_subset_of(&self, other: &Requirement) -> bool {
        if other.min_values.is_some() && self.min_values < other.min_values {
            return false;
        }
        if !self.complement {
            return self.values.iter().all(|v| other.has(v));
        }
        if !other.complement || !other.values.is_subset(&self.values) {
            return false;
        }
        let gte_ok = other.gte.is_none_or(|o| self.gte.is_some_and(|s| s >= o));
        let lte_ok = other.lte.is_none_or(|o| self.lte.is_some_and(|s| s <= o));
        gte_ok && lte_ok
    }

    /// The smallest admitted value of a finite set, used to pick a deterministic label.
    pub fn any_value(&self) -> Option<&str> {
        if self.complement {
            None
        } else {
            self.values.iter().find(|v| within(v, self.gte, self.lte)).map(String::as_str)
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            let v: Vec<&str> = self.values.iter().map(String::as_str).collect();
            write!(f, "[{}]", v.join(", "))
        };
        match self.operator() {
            Operator::In => {
                write!(f, "{} In ", self.key)?;
                list(f)?;
            }
            Operator::DoesNotExist => write!(f, "{} DoesNotExist", self.key)?,
            Operator::Exists if self.gte.is_none() && self.lte.is_none() => write!(f, "{} Exists", self.key)?,
            _ => {
                write!(f, "{}", self.key)?;
                if !self.values.is_empty() {
                    f.write_str(" NotIn ")?;
                    list(f)?;
                }
                if let Some(g) = self.gte {
                    write!(f, " >={g}")?;
                }
                if let Some(l) = self.lte {
                    write!(f, " <={l}")?;
                }
            }
        }
        if let Some(m) = self.min_values {
            write!(f, " minValues {m}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(key: &str, op: Operator, v: &[&str]) -> Requirement {
        Requirement::new(key, op, v.iter().copied()).unwrap()
    }

    #[test]
    fn operators_round_trip() {
        assert_eq!(r("k", Operator::In, &["a"]).operator(), Operator::In);
        assert_eq!(r("k", Operator::NotIn, &["a"]).operator(), Operator::NotIn);
        assert_eq!(r("k", Operator::Exists, &[]).operator(), Operator::Exists);
        assert_eq!(r("k", Operator::DoesNotExist, &[]).operator(), Operator::DoesNotExist);
        assert_eq!(r("k", Operator::Gt, &["3"]).gte(), Some(4));
        assert_eq!(r("k", Operator::Lt, &["3"]).lte(), Some(2));
    }

    #[test]
    fn bounds_only_admit_integers() {
        let gt = r("cpu", Operator::Gt, &["4"]);
        assert!(gt.has("5"));
        assert!(!gt.has("4"));
        assert!(!gt.has("big"));
        let lte = r("cpu", Operator::Lte, &["8"]);
        let both = gt.intersection(&lte);
        assert!(both.has("8") && both.has("5") && !both.has("9"));
        let contradiction = r("cpu", Operator::Gt, &["10"]).intersection(&r("cpu", Operator::Lt, &["3"]));
        assert_eq!(contradiction.operator(), Operator::DoesNotExist);
        let finite = r("cpu", Operator::In, &["2", "4", "16"]).intersection(&gt);
        assert_eq!(finite.values().iter().collect::<Vec<_>>(), vec!["16"]);
        assert_eq!(finite.gte(), None);
    }

    #[test]
    fn bad_bounds_are_errors() {
        assert!(Requirement::new("k", Operator::Gt, ["x"]).is_err());
        assert!(Requirement::new("k", Operator::Gt, ["1", "2"]).is_err());
        assert!(Requirement::new("k", Operator::In, Vec::<String>::new()).is_err());
        assert!(Requirement::with_min_values("k", Operator::In, ["a"], Some(2)).is_err());
    }

    /// The fast `has_intersection` agrees with the full intersection on every pair, and the
    /// intersection obeys the set laws (commutative, idempotent, narrowing).
    #[test]
    fn has_intersection_agrees_with_intersection() {
        use Operator::*;
        let all = [
            r("k", In, &["a"]),
            r("k", In, &["a", "b"]),
            r("k", In, &["3", "7", "12"]),
            r("k", NotIn, &["a"]),
            r("k", NotIn, &["a", "3"]),
            r("k", Exists, &[]),
            r("k", DoesNotExist, &[]),
            r("k", Gt, &["4"]),
            r("k", Lt, &["8"]),
            r("k", Gte, &["12"]),
            r("k", Lte, &["3"]),
            r("k", Gt, &["4"]).intersection(&r("k", Lt, &["8"])),
        ];
        let probe = ["a", "b", "c", "3", "5", "7", "8", "12", "13"];
        for a in &all {
            for b in &all {
                let both = a.intersection(b);
                let nonempty = both.is_complement() || !both.values().is_empty();
                assert_eq!(a.has_intersection(b), nonempty, "{a} ∩ {b} = {both}");
                assert_eq!(both, b.intersection(a), "commutative: {a}, {b}");
                for v in probe {
                    assert_eq!(both.has(v), a.has(v) && b.has(v), "{a} ∩ {b} on {v}");
                }
            }
            assert_eq!(a.intersection(a).operator(), a.operator(), "idempotent: {a}");
        }
    }

    #[test]
    fn aliases_are_normalized() {
        assert_eq!(r("beta.kubernetes.io/arch", Operator::In, &["amd64"]).key(), label::ARCH);
    }
}

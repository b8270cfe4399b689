//! Taints and tolerations with Kubernetes' matching rules.

use std::fmt;

/// What a taint does to pods that do not tolerate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Effect {
    /// New pods that do not tolerate it are not scheduled.
    NoSchedule,
    /// The scheduler tries to avoid the node.
    PreferNoSchedule,
    /// Pods that do not tolerate it are not scheduled and are evicted.
    NoExecute,
}

impl Effect {
    /// Reads an effect as Kubernetes spells it.
    pub fn parse(s: &str) -> Option<Effect> {
        match s {
            "NoSchedule" => Some(Effect::NoSchedule),
            "PreferNoSchedule" => Some(Effect::PreferNoSchedule),
            "NoExecute" => Some(Effect::NoExecute),
            _ => None,
        }
    }
    /// The effect as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::NoSchedule => "NoSchedule",
            Effect::PreferNoSchedule => "PreferNoSchedule",
            Effect::NoExecute => "NoExecute",
        }
    }
}

/// A node taint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Taint {
    /// The key.
    pub key: String,
    /// The value (may be empty).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "String::is_empty"))]
    pub value: String,
    /// The effect.
    pub effect: Effect,
}

impl Taint {
    /// A taint `key=value:effect`.
    pub fn new(key: &str, value: &str, effect: Effect) -> Self {
        Taint { key: key.to_string(), value: value.to_string(), effect }
    }
}

impl fmt::Display for Taint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect.as_str())
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect.as_str())
        }
    }
}

/// How a toleration compares values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum TolerationOperator {
    /// The taint's value must equal the toleration's (the default).
    #[default]
    Equal,
    /// Any value matches.
    Exists,
}

/// A pod toleration. An empty `key` with `Exists` tolerates every taint; a `None` effect matches
/// every effect.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Toleration {
    /// The taint key to match; empty matches every key (only with `Exists`).
    pub key: String,
    /// How values compare.
    pub operator: TolerationOperator,
    /// The value to match under `Equal`.
    pub value: String,
    /// The effect to match; `None` matches all.
    pub effect: Option<Effect>,
}

impl Toleration {
    /// `key=value:effect` with operator `Equal`.
    pub fn equal(key: &str, value: &str, effect: Option<Effect>) -> Self {
        Toleration { key: key.to_string(), operator: TolerationOperator::Equal, value: value.to_string(), effect }
    }

    /// `key` with operator `Exists`.
    pub fn exists(key: &str, effect: Option<Effect>) -> Self {
        Toleration { key: key.to_string(), operator: TolerationOperator::Exists, value: String::new(), effect }
    }

    /// Kubernetes' `ToleratesTaint`.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if let Some(e) = self.effect {
            if e != taint.effect {
                return false;
            }
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
        }
    }
}

/// The first taint in `taints` that no toleration tolerates, as Karpenter checks it: every
/// taint counts, `PreferNoSchedule` included (preference relaxation adds a toleration for those).
pub fn first_untolerated<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints.iter().find(|t| !tolerations.iter().any(|tol| tol.tolerates(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_semantics() {
        let t = Taint::new("workload", "db", Effect::NoSchedule);
        assert!(Toleration::equal("workload", "db", Some(Effect::NoSchedule)).tolerates(&t));
        assert!(Toleration::equal("workload", "db", None).tolerates(&t));
        assert!(!Toleration::equal("workload", "other", None).tolerates(&t));
        assert!(!Toleration::equal("workload", "db", Some(Effect::NoExecute)).tolerates(&t));
        assert!(Toleration::exists("workload", None).tolerates(&t));
        assert!(Toleration::exists("", None).tolerates(&t));
        assert!(!Toleration::exists("other", None).tolerates(&t));
        // an empty key matches every key; Equal still compares the value (Kubernetes' ToleratesTaint)
        assert!(Toleration::equal("", "db", None).tolerates(&t));
        assert!(!Toleration::equal("", "other", None).tolerates(&t));
        let p = Taint::new("soft", "", Effect::PreferNoSchedule);
        assert_eq!(first_untolerated(std::slice::from_ref(&p), &[]), Some(&p));
        assert!(first_untolerated(&[p], &[Toleration::exists("", Some(Effect::PreferNoSchedule))]).is_none());
    }
}

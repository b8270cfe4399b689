//! Kubernetes label selectors (`matchLabels` and `matchExpressions`), used by pod affinity,
//! topology spread and PodDisruptionBudgets.

use crate::label::Labels;
use crate::requirement::{Operator, Requirement, RequirementError};
use crate::requirements::Requirements;

/// A label selector. The empty selector matches every object; `nothing` matches none (a nil
/// selector in Kubernetes pod affinity and spread constraints).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LabelSelector {
    requirements: Requirements,
    nothing: bool,
}

impl LabelSelector {
    /// A selector matching every object.
    pub fn everything() -> Self {
        LabelSelector::default()
    }

    /// A selector matching no object.
    pub fn nothing() -> Self {
        LabelSelector { requirements: Requirements::new(), nothing: true }
    }

    /// A selector from `matchLabels`.
    pub fn from_labels(labels: &Labels) -> Self {
        LabelSelector { requirements: Requirements::from_labels(labels), nothing: false }
    }

    /// Adds a `matchExpressions` entry (`In`, `NotIn`, `Exists`, `DoesNotExist`).
    pub fn add_expression(&mut self, key: &str, op: Operator, values: &[String]) -> Result<(), RequirementError> {
        // Label selectors do not normalise aliases; build on the raw key.
        let r = Requirement::new(key, op, values.iter().cloned())?;
        self.requirements.add(r);
        Ok(())
    }

    /// Adds `key In [value]` (used for `matchLabelKeys`).
    pub fn add_label(&mut self, key: &str, value: &str) {
        self.requirements.add(Requirement::single(key, value));
    }

    /// Whether the labels are selected.
    pub fn matches(&self, labels: &Labels) -> bool {
        !self.nothing && self.requirements.matches_labels(labels)
    }

    /// Whether this selector matches every object.
    pub fn is_everything(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// The requirements, for display.
    pub fn requirements(&self) -> &Requirements {
        &self.requirements
    }
}

impl std::fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.nothing {
            f.write_str("<none>")
        } else if self.requirements.is_empty() {
            f.write_str("<all>")
        } else {
            write!(f, "{}", self.requirements)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects() {
        let mut l = Labels::new();
        l.insert("app".into(), "db".into());
        let mut s = LabelSelector::from_labels(&l);
        assert!(s.matches(&l));
        s.add_expression("tier", Operator::DoesNotExist, &[]).unwrap();
        assert!(s.matches(&l));
        assert!(!LabelSelector::nothing().matches(&l));
        assert!(LabelSelector::everything().matches(&Labels::new()));
    }
}

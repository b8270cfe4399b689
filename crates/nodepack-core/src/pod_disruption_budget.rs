//! PodDisruptionBudgets.

use crate::label_selector::LabelSelector;

/// An integer or a percentage, as in `minAvailable: 2` or `maxUnavailable: "25%"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntOrPercent {
    /// An absolute count.
    Int(i64),
    /// A percentage, 0 to 100.
    Percent(u8),
}

impl IntOrPercent {
    /// The value scaled against `total`, rounding up for percentages.
    pub fn scaled(self, total: i64) -> i64 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => (total * i64::from(p) + 99) / 100,
        }
    }
}

/// A PodDisruptionBudget.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PodDisruptionBudget {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The pods it covers (in its namespace).
    pub selector: LabelSelector,
    /// `minAvailable`.
    pub min_available: Option<IntOrPercent>,
    /// `maxUnavailable`.
    pub max_unavailable: Option<IntOrPercent>,
}

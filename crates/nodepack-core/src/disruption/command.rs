//! Disruption commands: which nodes go, why, and what replaces them.

use std::fmt;

use crate::price::Price;
use crate::schedule::NodeClaim;

/// Why a command disrupts its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Reason {
    /// The nodes host no reschedulable pods.
    Empty,
    /// The node no longer matches its NodePool.
    Drifted,
    /// The nodes' pods fit elsewhere, more cheaply.
    Underutilized,
    /// The node reached its NodePool's `expireAfter` (Karpenter's expiration controller, which
    /// deletes without regard to budgets).
    Expired,
}

impl Reason {
    /// The reason as Karpenter spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Empty => "Empty",
            Reason::Drifted => "Drifted",
            Reason::Underutilized => "Underutilized",
            Reason::Expired => "Expired",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a command does with its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Decision {
    /// The nodes are deleted; their pods fit on the remaining nodes.
    Delete,
    /// New nodes are launched first, then the nodes are deleted.
    Replace,
}

impl Decision {
    /// `delete` or `replace`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Delete => "delete",
            Decision::Replace => "replace",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One disruption Karpenter would carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Command {
    /// Why.
    pub reason: Reason,
    /// Delete, or replace.
    pub decision: Decision,
    /// The nodes disrupted, in the order the method chose them.
    pub candidates: Vec<String>,
    /// The nodes launched in their place (empty for a delete).
    pub replacements: Vec<NodeClaim>,
    /// The hourly price of the candidates minus that of the replacements. Never negative for
    /// consolidation; drift may cost more.
    #[cfg_attr(feature = "serde", serde(rename = "savingsPerHour"))]
    pub savings: Price,
}

impl Command {
    /// The decision that follows from the replacements.
    pub(crate) fn new(reason: Reason, candidates: Vec<String>, replacements: Vec<NodeClaim>, savings: Price) -> Self {
        let decision = if replacements.is_empty() { Decision::Delete } else { Decision::Replace };
        Command { reason, decision, candidates, replacements, savings }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.reason, self.decision, self.candidates.join(", "))?;
        if !self.replacements.is_empty() {
            let r: Vec<String> = self
                .replacements
                .iter()
                .map(|c| format!("{} {} {}", c.instance_type, c.capacity_type, c.zone))
                .collect();
            write!(f, " -> [{}]", r.join(", "))?;
        }
        write!(f, " (savings {}/h)", self.savings)
    }
}

//! The outcome of one disruption pass.

use std::collections::BTreeSet;

use super::blocked::Blocked;
use super::command::Command;
use crate::price::Price;

/// What one disruption pass decides: the commands Karpenter would start now, and the nodes it
/// would leave alone with the reason.
///
/// A node appears at most once: in one command's candidates or in `blocked` (sorted by node
/// name). Nodes neither disrupted nor blocked were simply not chosen in this pass.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct DisruptionPlan {
    /// Expiration commands first (one per expired node), then at most one command from the
    /// first disruption method that found something.
    pub commands: Vec<Command>,
    /// Nodes not disrupted, and why, by node name.
    pub blocked: Vec<Blocked>,
}

impl DisruptionPlan {
    /// Every node some command disrupts.
    pub fn disrupted_nodes(&self) -> BTreeSet<&str> {
        self.commands.iter().flat_map(|c| c.candidates.iter().map(String::as_str)).collect()
    }

    /// The hourly savings of all commands together.
    pub fn savings(&self) -> Price {
        self.commands.iter().map(|c| c.savings).sum()
    }

    /// Why a node is blocked, if it is.
    pub fn blocked_reason(&self, node: &str) -> Option<&super::blocked::BlockReason> {
        self.blocked.iter().find(|b| b.node == node).map(|b| &b.reason)
    }
}

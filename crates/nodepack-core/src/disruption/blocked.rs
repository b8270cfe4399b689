//! Why a node is not disrupted in this pass.

use std::fmt;

use crate::duration::Duration;
use crate::node_pool::DisruptionReason;
use crate::price::Price;

/// A node the pass would not disrupt, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Blocked {
    /// The node.
    pub node: String,
    /// Why.
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialize_display"))]
    pub reason: BlockReason,
}

#[cfg(feature = "serde")]
fn serialize_display<S: serde::Serializer>(r: &BlockReason, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(r)
}

/// Why a node is not disrupted. [`Display`](fmt::Display) gives one line a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BlockReason {
    /// The node has no `karpenter.sh/nodepool` label: a static node (a managed node group, say)
    /// that Karpenter does not manage.
    NotManaged,
    /// The node names a NodePool that does not exist.
    UnknownNodePool {
        /// The NodePool named on the node.
        pool: String,
    },
    /// The node's NodePool admits no instance type.
    NoInstanceTypes {
        /// The NodePool.
        pool: String,
    },
    /// The node is not initialized yet.
    NotInitialized,
    /// The node is already being deleted.
    Deleting,
    /// A recent provisioning pass nominated the node for a pending pod.
    Nominated,
    /// The node carries `karpenter.sh/do-not-disrupt: "true"`.
    NodeDoNotDisrupt,
    /// A pod on the node carries `karpenter.sh/do-not-disrupt`.
    PodDoNotDisrupt {
        /// The pod, `namespace/name`.
        pod: String,
        /// `None` for `"true"`; for a duration, how much of it is left.
        remaining: Option<Duration>,
    },
    /// A PodDisruptionBudget allows no eviction of a pod on the node.
    Pdb {
        /// The pod.
        pod: String,
        /// The PDB, `namespace/name`.
        pdb: String,
    },
    /// A pod on the node is covered by more than one PodDisruptionBudget, which eviction refuses.
    MultiplePdbs {
        /// The pod.
        pod: String,
        /// The PDBs.
        pdbs: Vec<String>,
    },
    /// The NodePool's disruption budget allows no more disruptions for this reason now.
    Budget {
        /// The NodePool.
        pool: String,
        /// The disruption reason the budget was asked about.
        reason: DisruptionReason,
    },
    /// The NodePool has `consolidateAfter: Never`.
    ConsolidateAfterNever {
        /// The NodePool.
        pool: String,
    },
    /// The node had a pod event too recently: `consolidateAfter` has not passed.
    ConsolidateAfter {
        /// When it will have passed, seconds since the Unix epoch.
        at: i64,
        /// How long until then.
        remaining: Duration,
    },
    /// The NodePool's policy is `WhenEmpty` and the node is not empty.
    WhenEmpty {
        /// The NodePool.
        pool: String,
    },
    /// The node's instance type is not in its NodePool's catalog.
    UnknownInstanceType {
        /// The instance type on the node (empty when the label is missing).
        instance_type: String,
    },
    /// The node lacks a label its price depends on.
    MissingLabel {
        /// The label key.
        label: String,
    },
    /// Moving the node's pods would need more than one new node (consolidation only ever
    /// replaces with one).
    NeedsNewNodes {
        /// How many.
        count: usize,
    },
    /// No replacement is cheaper than the node.
    NoCheaperReplacement {
        /// What the node (or the nodes) cost now.
        price: Price,
    },
    /// The node is spot, its replacement could be spot, and spot-to-spot consolidation is off.
    SpotToSpotDisabled,
    /// Spot-to-spot consolidation of one node needs at least 15 cheaper instance types.
    SpotToSpotTooFewOptions {
        /// How many cheaper types there were.
        got: usize,
    },
    /// The cheaper replacement types cannot satisfy a requirement's `minValues`.
    MinValues {
        /// What falls short.
        detail: String,
    },
    /// A pod on the node would not schedule anywhere else.
    PodWouldNotSchedule {
        /// The pod.
        pod: String,
        /// Why, as the provisioning pass explains it.
        reason: String,
    },
    /// The node's pods would go to a node that is not initialized yet, so the decision waits.
    UninitializedDestination {
        /// The uninitialized node.
        node: String,
    },
    /// The NodePool's policy is `Balanced` and the move's score is below the threshold.
    BalancedScore {
        /// The score, in thousandths.
        score_milli: i64,
        /// The threshold (1/k), in thousandths.
        threshold_milli: i64,
    },
}

/// `2024-01-01T10:00:00Z` for a Unix time.
pub(crate) fn format_time(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let crate::CivilDate { year: y, month: m, day: d } = crate::CivilDate::from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, (secs % 3600) / 60, secs % 60)
}

fn milli(v: i64) -> String {
    if v == i64::MAX {
        return "inf".to_string();
    }
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let s = format!("{sign}{}.{:03}", a / 1000, a % 1000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BlockReason::*;
        match self {
            NotManaged => f.write_str("not managed by Karpenter (no karpenter.sh/nodepool label)"),
            UnknownNodePool { pool } => write!(f, "NodePool {pool} not found"),
            NoInstanceTypes { pool } => write!(f, "NodePool {pool} admits no instance type"),
            NotInitialized => f.write_str("not initialized yet"),
            Deleting => f.write_str("already being deleted"),
            Nominated => f.write_str("nominated for a pending pod"),
            NodeDoNotDisrupt => f.write_str("node has karpenter.sh/do-not-disrupt"),
            PodDoNotDisrupt { pod, remaining: None } => write!(f, "pod {pod} has karpenter.sh/do-not-disrupt"),
            PodDoNotDisrupt { pod, remaining: Some(d) } => {
                write!(f, "pod {pod} has karpenter.sh/do-not-disrupt for another {d}")
            }
            Pdb { pod, pdb } => write!(f, "PodDisruptionBudget {pdb} allows no eviction of pod {pod}"),
            MultiplePdbs { pod, pdbs } => {
                write!(
                    f,
                    "pod {pod} is covered by several PodDisruptionBudgets ({}), which eviction refuses",
                    pdbs.join(", ")
                )
            }
            Budget { pool, reason } => {
                write!(f, "NodePool {pool}'s disruption budget allows no more {} disruptions now", reason.as_str())
            }
            ConsolidateAfterNever { pool } => write!(f, "NodePool {pool} has consolidateAfter: Never"),
            ConsolidateAfter { at, remaining } => {
                write!(f, "consolidateAfter not reached: consolidatable at {} (in {remaining})", format_time(*at))
            }
            WhenEmpty { pool } => {
                write!(f, "NodePool {pool} has consolidationPolicy WhenEmpty and the node is not empty")
            }
            UnknownInstanceType { instance_type } if instance_type.is_empty() => {
                f.write_str("node has no node.kubernetes.io/instance-type label, so its price is unknown")
            }
            UnknownInstanceType { instance_type } => {
                write!(f, "instance type {instance_type} is not in the NodePool's catalog, so its price is unknown")
            }
            MissingLabel { label } => write!(f, "node has no {label} label, so its price is unknown"),
            NeedsNewNodes { count } => write!(f, "would need {count} new nodes to take its pods"),
            NoCheaperReplacement { price } => write!(f, "no replacement is cheaper than {price}/h"),
            SpotToSpotDisabled => f.write_str(
                "replacing a spot node with a spot node needs spot-to-spot consolidation, which is disabled",
            ),
            SpotToSpotTooFewOptions { got } => write!(
                f,
                "spot-to-spot consolidation needs {} cheaper instance types, found {got}",
                super::consolidation::MIN_SPOT_TO_SPOT_OPTIONS
            ),
            MinValues { detail } => write!(f, "the cheaper replacements cannot meet minValues: {detail}"),
            PodWouldNotSchedule { pod, reason } => write!(f, "pod {pod} would not schedule elsewhere: {reason}"),
            UninitializedDestination { node } => {
                write!(f, "its pods would move to node {node}, which is not initialized yet")
            }
            BalancedScore { score_milli, threshold_milli } => write!(
                f,
                "Balanced consolidation score {} is below the threshold {}",
                milli(*score_milli),
                milli(*threshold_milli)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_liners() {
        assert_eq!(format_time(1_704_103_200), "2024-01-01T10:00:00Z");
        let r = BlockReason::ConsolidateAfter { at: 1_704_103_200, remaining: Duration(90) };
        assert_eq!(r.to_string(), "consolidateAfter not reached: consolidatable at 2024-01-01T10:00:00Z (in 1m30s)");
        let r = BlockReason::PodDoNotDisrupt { pod: "default/db-0".into(), remaining: None };
        assert_eq!(r.to_string(), "pod default/db-0 has karpenter.sh/do-not-disrupt");
        let r = BlockReason::BalancedScore { score_milli: 310, threshold_milli: 500 };
        assert_eq!(r.to_string(), "Balanced consolidation score 0.31 is below the threshold 0.5");
        let r = BlockReason::Budget { pool: "general".into(), reason: DisruptionReason::Underutilized };
        assert!(r.to_string().contains("no more Underutilized"));
        for r in [BlockReason::NotManaged, BlockReason::NeedsNewNodes { count: 2 }, BlockReason::SpotToSpotDisabled] {
            assert!(!r.to_string().contains('\n'));
        }
    }
}

//! # nodepack-core
//!
//! Karpenter's provisioning and disruption decisions as a pure library: no Kubernetes client,
//! no AWS, no YAML, no IO, no clock and no randomness. The same input always gives the same output.
//!
//! The model: [`Quantity`] and [`Resources`] (exact integers), [`Requirement`]s and
//! [`Requirements`] (Karpenter's requirement algebra), [`Taint`]s and [`Toleration`]s,
//! [`Pod`]s, [`InstanceType`]s with [`Offering`]s, [`NodePool`]s, existing [`Node`]s and
//! [`DaemonSet`]s, gathered in a [`Cluster`].
//!
//! The decisions: [`provision`] runs one provisioning pass (Karpenter's `Solve`) and returns a
//! [`Schedule`]: the node claims to launch, the pods placed on existing nodes, and a [`Refusal`]
//! per NodePool and node for every pod left pending.
//!
//! ```
//! use std::sync::Arc;
//! use nodepack_core::*;
//!
//! let mut pool = NodePool::new("general");
//! pool.labels.insert("role".into(), "general".into());
//! let it = InstanceType::new(
//!     "m6i.large",
//!     Resources::new().with(ResourceName::Cpu, 2000).with(ResourceName::Memory, 8 << 30).with(ResourceName::Pods, 29),
//!     Overhead::default(),
//!     vec![Offering::new("us-east-1a", "on-demand", Price::from_dollars_str("0.096").unwrap())],
//! );
//! let cluster = Cluster { node_pools: vec![pool], instance_types: Arc::new(vec![it]), ..Default::default() };
//!
//! let mut grafana = Pod::new("grafana-0", Resources::new().with(ResourceName::Cpu, 500));
//! grafana.node_selector.insert("role".into(), "general".into());
//! let mut db = Pod::new("db-0", Resources::new().with(ResourceName::Cpu, 500));
//! db.node_selector.insert("role".into(), "memory-db".into());
//!
//! let schedule = provision(&cluster, &[grafana, db], &Settings::default());
//! assert_eq!(schedule.node_claims.len(), 1);
//! assert_eq!(schedule.node_claims[0].pods, vec!["default/grafana-0"]);
//! assert_eq!(schedule.new_nodes_cost(), Price(96_000_000));
//! assert_eq!(schedule.unschedulable[0].pod, "default/db-0");
//! assert!(schedule.unschedulable[0].reason.contains("role"));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod affinity;
pub mod civil_date;
mod claim_order;
pub mod cluster;
pub mod container;
pub mod daemon_set;
pub mod disruption;
pub mod duration;
pub mod instance_type;
pub mod label;
pub mod label_selector;
mod launch;
pub mod node;
pub mod node_pool;
pub mod pod;
pub mod pod_disruption_budget;
pub mod preferences;
pub mod price;
pub mod quantity;
pub mod queue;
pub mod refusal;
pub mod requirement;
pub mod requirements;
pub mod resources;
pub mod schedule;
pub mod scheduler;
pub mod taint;
mod topology;
pub mod topology_spread;

pub use affinity::{NamespaceScope, NodeAffinity, PodAffinity, PodAffinityTerm};
pub use civil_date::CivilDate;
pub use cluster::Cluster;
pub use container::{pod_requests, Container};
pub use daemon_set::DaemonSet;
pub use disruption::{disrupt, BlockReason, Blocked, Command, Decision, DisruptionOptions, DisruptionPlan, Reason};
pub use duration::{Duration, DurationError};
pub use instance_type::{InstanceType, Offering, OfferingFilter, Overhead};
pub use label::Labels;
pub use label_selector::LabelSelector;
pub use node::Node;
pub use node_pool::{Budget, BudgetNodes, ConsolidationPolicy, DisruptionReason, DisruptionSettings, Limits, NodePool};
pub use pod::{HostPort, Pod};
pub use pod_disruption_budget::{IntOrPercent, PodDisruptionBudget};
pub use preferences::PreferencePolicy;
pub use price::Price;
pub use quantity::{Quantity, QuantityError};
pub use refusal::{InstanceTypeMismatch, Refusal};
pub use requirement::{Operator, Requirement, RequirementError};
pub use requirements::{Incompatibility, Requirements};
pub use resources::{Bytes, Millicores, ResourceName, Resources};
pub use schedule::{ExistingNodePlacement, NodeClaim, Schedule, Unschedulable};
pub use scheduler::{provision, provision_without, MinValuesPolicy, Settings};
pub use taint::{Effect, Taint, Toleration, TolerationOperator};
pub use topology_spread::{InclusionPolicy, TopologySpreadConstraint, WhenUnsatisfiable};

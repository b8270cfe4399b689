//! # nodepack-sim
//!
//! Everything between the outside world and `nodepack-core`: Kubernetes-shaped YAML manifests,
//! the built-in AWS catalog, traces, and Karpenter's loops on a simulated clock.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aws_catalog;
pub mod catalog;
pub mod engine;
pub mod kubelet;
pub mod lint;
pub mod manifest;
pub mod output;
pub mod report;
pub mod simulation;
pub mod trace;

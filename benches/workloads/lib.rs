//! Workloads shared by nodepack's benches and tests: each bench body also runs as a test at a
//! small size, from the same generator with the same fixed seed.
//!
//! Every generator takes an explicit seed and draws from [`Rng`] (SplitMix64), so a seed names
//! a workload: no clock, no OS randomness, no `rand` crate.
//!
//! * [`karpenter_benchmark_catalog`] and [`karpenter_benchmark_pods`]: Karpenter's own
//!   scheduling benchmark (`fake.InstanceTypes(400)` and `makeDiversePods`).
//! * [`aws_like_plain_pods`]: plain pods with a realistic mix of requests.
//! * [`random_cluster`]: random clusters for property tests, with [`RandomCluster::restrict`]
//!   and [`RandomCluster::shuffled`] for shrinking and order-independence checks.
//! * [`capacity`]: capacity-planning scenarios (directories of manifests) and their report.
//! * [`Workload`]: bench bodies ([`karpenter_benchmark`], [`plain_pods`]) and a [`Summary`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bodies;
pub mod capacity;
pub mod disruption;
pub mod karpenter;
pub mod plain;
pub mod random;
pub mod replay;
pub mod rng;

pub use bodies::{
    aws_default_node_pool, bench_settings, karpenter_benchmark, plain_pods, Summary, Workload, KARPENTER_BENCH_SIZES,
};
pub use karpenter::{
    fake_price, karpenter_benchmark_catalog, karpenter_benchmark_instance_types, karpenter_benchmark_node_pool,
    karpenter_benchmark_pods, DiverseKind, KARPENTER_BENCH_SEED,
};
pub use plain::aws_like_plain_pods;
pub use random::{random_cluster, Keep, RandomCluster, Shuffle};
pub use rng::Rng;

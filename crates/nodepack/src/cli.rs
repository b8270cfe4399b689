//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Predict Karpenter's provisioning and disruption decisions from your manifests.
#[derive(Debug, Parser)]
#[command(name = "nodepack", version, about, long_about = None)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Output {
    /// A table for people.
    #[default]
    Table,
    /// The JSON contract (FORMATS.md §4).
    Json,
    /// The same document as YAML.
    Yaml,
}

/// Options every command that reads manifests takes.
#[derive(Debug, Clone, Args)]
pub struct Inputs {
    /// A manifest file, a directory of *.yaml/*.yml files, or - for standard input (repeatable).
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// Scheduling options.
#[derive(Debug, Clone, Args)]
pub struct Scheduling {
    /// Karpenter's --preference-policy.
    #[arg(long, value_parser = ["Respect", "Ignore"], default_value = "Respect")]
    pub preference_policy: String,
    /// Karpenter's --min-values-policy.
    #[arg(long, value_parser = ["Strict", "BestEffort"], default_value = "Strict")]
    pub min_values_policy: String,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// One provisioning pass: where pending pods go, which nodes Karpenter launches, and which pods stay pending and why.
    Plan {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        scheduling: Scheduling,
        /// Exit with status 1 when a pod stays pending.
        #[arg(long)]
        fail_on_pending: bool,
    },
    /// Walk one pending pod (namespace/name) through every NodePool and existing node.
    Explain {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        scheduling: Scheduling,
        /// The pod, as namespace/name (or name, in namespace default).
        pod: String,
    },
    /// One disruption pass: which nodes Karpenter would delete or replace now, and which are blocked and why.
    Disrupt {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        scheduling: Scheduling,
        /// The time of the pass, RFC 3339 (default: now).
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
        /// Karpenter's SpotToSpotConsolidation feature gate.
        #[arg(long)]
        spot_to_spot: bool,
    },
    /// Problems in the manifests: instance types that do not exist, pools that cannot launch, pods no pool takes.
    Lint {
        #[command(flatten)]
        inputs: Inputs,
    },
    /// The instance types a NodePool or label selector admits, with allocatable and prices, cheapest first.
    Catalog {
        /// Manifests (repeatable; a directory, or - for standard input); without any, the built-in AWS catalog.
        #[arg(short = 'f', long = "filename")]
        files: Vec<String>,
        /// A label selector on instance-type labels, as kubectl's (k=v, k!=v, k in (a,b), k notin (a), k, !k) plus k>n and k<n.
        #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
        selector: Option<String>,
        /// Only the types this NodePool admits (needs -f).
        #[arg(long, value_name = "NAME")]
        node_pool: Option<String>,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Replay a trace on a simulated clock: cost, nodes, pending time and every decision.
    Replay {
        /// The trace file (a nodepack.io/v1alpha1 Trace document).
        trace: std::path::PathBuf,
        /// Write an HTML report (index.html with charts) into this directory.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
        /// Replay again with the NodePools and EC2NodeClasses of this file instead of the trace's, and compare.
        #[arg(long)]
        compare: Option<std::path::PathBuf>,
        /// Divide every event offset and pod lifetime by N (overrides the trace's timeCompression).
        #[arg(long, value_name = "N")]
        time_compression: Option<i64>,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
        output: Output,
    },
}

//! The subcommands. Each returns the exit status, or an error for bad input (status 2).

mod catalog;
mod disrupt;
mod lint;
mod plan;
mod replay;

use std::io::Write;

use nodepack_core::{MinValuesPolicy, PreferencePolicy, Settings};
use nodepack_sim::manifest::{self, InputPath};
use serde::Serialize;

use crate::cli::{Cli, Command, Output, Scheduling};

/// A command failed on its input.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The manifests could not be read.
    #[error("{0}")]
    Load(#[from] manifest::LoadError),
    /// Something else about the input or arguments.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<u8, CommandError> {
    match cli.command {
        Command::Plan { inputs, scheduling, fail_on_pending } => plan::plan(&inputs, &scheduling, fail_on_pending),
        Command::Explain { inputs, scheduling, pod } => plan::explain(&inputs, &scheduling, &pod),
        Command::Disrupt { inputs, scheduling, now, spot_to_spot } => {
            disrupt::disrupt(&inputs, &scheduling, now.as_deref(), spot_to_spot)
        }
        Command::Lint { inputs } => lint::lint(&inputs),
        Command::Catalog { files, selector, node_pool, output } => {
            catalog::catalog(&files, selector.as_deref(), node_pool.as_deref(), output)
        }
        Command::Replay { trace, report, compare, time_compression, output } => {
            replay::replay(&trace, report.as_deref(), compare.as_deref(), time_compression, output)
        }
    }
}

/// Reads every `-f` argument.
pub fn load(files: &[String]) -> Result<manifest::Inputs, CommandError> {
    let paths: Vec<InputPath> =
        files.iter().map(|f| if f == "-" { InputPath::Stdin } else { InputPath::File(f.into()) }).collect();
    let inputs = manifest::load(&paths)?;
    for w in &inputs.warnings {
        eprintln!("warning: {w}");
    }
    Ok(inputs)
}

/// Scheduling settings from the flags.
pub fn settings(s: &Scheduling) -> Settings {
    let mut out = Settings::default();
    out.preference_policy =
        if s.preference_policy == "Ignore" { PreferencePolicy::Ignore } else { PreferencePolicy::Respect };
    out.min_values_policy =
        if s.min_values_policy == "BestEffort" { MinValuesPolicy::BestEffort } else { MinValuesPolicy::Strict };
    out
}

/// Prints a document as JSON or YAML, or calls `table` for people.
pub fn emit<T: Serialize>(output: Output, doc: &T, table: impl FnOnce() -> String) -> Result<(), CommandError> {
    let mut out = std::io::stdout().lock();
    match output {
        Output::Json => {
            let text = serde_json::to_string_pretty(doc).map_err(|e| CommandError::Usage(e.to_string()))?;
            writeln!(out, "{text}")?;
        }
        Output::Yaml => {
            let text = serde_yaml::to_string(doc).map_err(|e| CommandError::Usage(e.to_string()))?;
            write!(out, "{text}")?;
        }
        Output::Table => write!(out, "{}", table())?,
    }
    Ok(())
}

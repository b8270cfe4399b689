//! `nodepack`: Karpenter's decisions, predicted before production.
//!
//! Subcommands in the style of kubectl: `plan`, `explain`, `disrupt`, `replay`, `lint`,
//! `catalog`. Exit status: 0 done, 1 the input was read but something failed (a lint finding,
//! a pending pod under `--fail-on-pending`), 2 bad input or usage.

#![forbid(unsafe_code)]

mod cli;
mod commands;
mod table;

use std::process::ExitCode;

use clap::Parser;

/// The planner allocates many small strings and maps per pass; mimalloc serves them markedly
/// faster than the system allocator (see BENCHMARKS.md for both figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

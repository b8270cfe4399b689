//! Capacity planning with `cargo bench`: every scenario directory under `fixtures/bench/` (and
//! under the directory named by `NODEPACK_BENCH_DIR`, so a team benches its own manifests) is
//! planned once per iteration. Beside the time, the plan's nodes, hourly cost and requested
//! versus allocatable utilisation are printed.
//!
//! `cargo bench --bench capacity`, or `NODEPACK_BENCH_DIR=path/to/scenarios cargo bench --bench capacity`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use nodepack_core::provision;
use nodepack_suite::capacity::{plan_report, scenarios};

/// Benches run with the allocator the `nodepack` binary ships with (`--features
/// system-allocator` measures with the system's instead).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn capacity(c: &mut Criterion) {
    let mut dirs = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench")];
    if let Some(extra) = std::env::var_os("NODEPACK_BENCH_DIR") {
        dirs.push(PathBuf::from(extra));
    }
    let mut group = c.benchmark_group("capacity");
    group.sample_size(10);
    for s in scenarios(&dirs).unwrap_or_else(|e| panic!("{e}")) {
        let report = plan_report(&s);
        eprintln!("{}", report.line());
        group.bench_function(&s.name, |b| b.iter(|| provision(&s.inputs.cluster, &s.inputs.pending, &s.settings)));
    }
    group.finish();
}

criterion_group!(benches, capacity);
criterion_main!(benches);

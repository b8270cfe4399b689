//! Disruption benches: one `disrupt` pass over a running cluster of 100, 500 and 1,000 nodes
//! with ten pods each (1,000 nodes are 10,000 pods), for each of the four clusters of
//! `nodepack_suite::disruption::DISRUPTION_CASES` (`mixed-40`, `mixed-90`, `cheapest-98`,
//! `pinned-90`; fixed seeds).
//!
//! Before timing each body, one pass prints to stderr how long it took, how many nodes its plan
//! deletes or replaces (and by how many new nodes) and the hourly cost it saves.
//! Run with `cargo bench --bench disruption`.

use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use nodepack_suite::disruption::{
    disruption_benchmark, DisruptionSummary, DisruptionWorkload, DISRUPTION_BENCH_SIZES, DISRUPTION_CASES,
};

/// Benches run with the allocator the `nodepack` binary ships with (`--features
/// system-allocator` measures with the system's instead).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs a body once outside criterion and reports what its plan does.
fn report(w: &DisruptionWorkload) {
    let start = Instant::now();
    let plan = w.run();
    let secs = start.elapsed().as_secs_f64();
    eprintln!("disruption/{}: {}; one pass {:.1} ms", w.name, DisruptionSummary::of(&w.cluster, &plan), secs * 1e3);
}

fn disruption(c: &mut Criterion) {
    for case in DISRUPTION_CASES {
        let mut group = c.benchmark_group(format!("disruption/{}", case.name()));
        // Passes take up to a few hundred milliseconds at 1,000 nodes: ten samples of one pass
        // each are enough to tell a regression.
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(3));
        for nodes in DISRUPTION_BENCH_SIZES {
            let w = disruption_benchmark(case, nodes);
            report(&w);
            group.throughput(Throughput::Elements(w.pods() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(nodes), &w, |b, w| b.iter(|| black_box(w.run())));
        }
        group.finish();
    }
}

criterion_group!(benches, disruption);
criterion_main!(benches);

//! Replay benches: fixture traces replayed through `nodepack_sim::simulation::replay`, as
//! `nodepack replay TRACE` runs them (reading the trace is not timed; the output is built but
//! not serialized).
//!
//! * `replay/daily-cycle`: three days of a daily traffic cycle on cortex-prod (fast).
//! * `replay/alibaba-openb`: the 34-day Alibaba openb slice, 8,151 pods time-compressed ×10.
//!   It takes many seconds per replay, so it runs ten samples of one replay each; criterion
//!   warns that ten samples need longer than the measurement time it was given, and takes them
//!   anyway (about eleven replays in all).
//!
//! The first replay of each trace prints to stderr its pods, nodes launched and total cost.
//! Run with `cargo bench --bench replay` (`cargo bench --bench replay -- daily` for the fast one).

use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion, SamplingMode};
use nodepack_suite::replay::{ReplaySummary, ReplayWorkload, ALIBABA_TRACE, DAILY_CYCLE_TRACE};

/// Benches run with the allocator the `nodepack` binary ships with (`--features
/// system-allocator` measures with the system's instead).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Times `iters` replays of `w` (the trace's copy is made outside the clock) and prints the
/// figures of the first replay of this bench.
fn timed_replays(w: &ReplayWorkload, iters: u64, printed: &mut bool) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let trace = w.trace.clone();
        let start = Instant::now();
        let out = nodepack_sim::simulation::replay(black_box(trace)).unwrap_or_else(|e| panic!("{}: {e}", w.name));
        let took = start.elapsed();
        total += took;
        if !*printed {
            *printed = true;
            eprintln!("replay/{}: {}; one replay {:.2} s", w.name, ReplaySummary::of(&out), took.as_secs_f64());
        }
        drop(black_box(out));
    }
    total
}

fn load(name: &str) -> ReplayWorkload {
    ReplayWorkload::fixture(name).unwrap_or_else(|e| panic!("{e}"))
}

fn replay(c: &mut Criterion) {
    let mut group = c.benchmark_group("replay");

    let daily = load(DAILY_CYCLE_TRACE);
    let mut printed = false;
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function(DAILY_CYCLE_TRACE, |b| b.iter_custom(|iters| timed_replays(&daily, iters, &mut printed)));

    let alibaba = load(ALIBABA_TRACE);
    let mut printed = false;
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_secs(30));
    group.bench_function(ALIBABA_TRACE, |b| b.iter_custom(|iters| timed_replays(&alibaba, iters, &mut printed)));

    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);

//! Provisioning benches.
//!
//! * `karpenter/<n>`: Karpenter's own scheduling benchmark (400 fake instance types, one
//!   NodePool, `makeDiversePods(n)` with seed 42) at 1, 100, 1,000, 5,000, 10,000 and 20,000
//!   pods.
//! * `aws_plain/<n>`: plain pods with mixed requests against the built-in AWS catalog (us-east-1,
//!   three zones, on-demand and spot) and a NodePool shaped like Karpenter's getting-started
//!   default (amd64 Linux, on-demand, categories c/m/r, generation above 2), 100 to 50,000 pods.
//!
//! Before timing each size, one pass prints what it launched and how fast it went to stderr.
//! Run with `cargo bench --bench scheduling`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use nodepack_sim::aws_catalog::{aws_instance_types, AwsCatalogOptions};
use nodepack_suite::{
    aws_default_node_pool, karpenter_benchmark, plain_pods, Summary, Workload, KARPENTER_BENCH_SIZES,
};

/// Benches run with the allocator the `nodepack` binary ships with (`--features
/// system-allocator` measures with the system's instead).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Seed of the plain-pod workload.
const PLAIN_SEED: u64 = 7;

/// Pod counts of the plain-pod bench on the AWS catalog.
const AWS_PLAIN_SIZES: [usize; 5] = [100, 1_000, 5_000, 10_000, 50_000];

/// Runs a body once outside criterion and reports it.
fn report(w: &Workload) {
    let start = Instant::now();
    let schedule = w.run();
    let secs = start.elapsed().as_secs_f64();
    let summary = Summary::of(w.pods.len(), &schedule);
    eprintln!("{}: {summary}; one pass {secs:.3} s, {:.0} pods/s", w.name, w.pods.len() as f64 / secs.max(1e-9));
}

fn bench_sizes(c: &mut Criterion, group_name: &str, bodies: Vec<Workload>) {
    let mut group = c.benchmark_group(group_name);
    for w in &bodies {
        report(w);
        let n = w.pods.len();
        group.throughput(Throughput::Elements(n as u64));
        if n >= 1_000 {
            // Slow passes: the fewest samples criterion takes, one pass each.
            group.sample_size(10);
            group.sampling_mode(SamplingMode::Flat);
            group.warm_up_time(Duration::from_millis(500));
            group.measurement_time(Duration::from_secs(5));
        } else {
            group.sample_size(30);
            group.sampling_mode(SamplingMode::Auto);
            group.warm_up_time(Duration::from_secs(1));
            group.measurement_time(Duration::from_secs(3));
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), w, |b, w| b.iter(|| black_box(w.run())));
    }
    group.finish();
}

fn karpenter(c: &mut Criterion) {
    bench_sizes(c, "karpenter", KARPENTER_BENCH_SIZES.iter().map(|&n| karpenter_benchmark(n)).collect());
}

fn aws_plain(c: &mut Criterion) {
    let types = Arc::new(aws_instance_types(&AwsCatalogOptions::default()).expect("the built-in AWS catalog loads"));
    let bodies = AWS_PLAIN_SIZES
        .iter()
        .map(|&n| plain_pods("aws_plain", aws_default_node_pool(), types.clone(), n, PLAIN_SEED))
        .collect();
    bench_sizes(c, "aws_plain", bodies);
}

criterion_group!(benches, karpenter, aws_plain);
criterion_main!(benches);

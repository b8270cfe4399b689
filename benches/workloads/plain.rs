//! Plain pods (no affinity, no spread, no selectors) with the mix of requests a typical
//! cluster on AWS sees, for benches against a real-shaped catalog.

use nodepack_core::{Labels, Pod, ResourceName, Resources};

use crate::rng::Rng;

const MIB: i64 = 1 << 20;

/// One kind of workload: its share of the pods and the requests it draws from.
struct Profile {
    app: &'static str,
    weight: u64,
    cpu_millis: &'static [i64],
    memory_mib: &'static [i64],
}

const PROFILES: [Profile; 5] = [
    // Small web front ends and sidecar-heavy services.
    Profile { app: "web", weight: 40, cpu_millis: &[100, 250, 500], memory_mib: &[128, 256, 512] },
    // JVM services: a core or two, a few GiB.
    Profile { app: "api", weight: 25, cpu_millis: &[500, 1000, 2000], memory_mib: &[1024, 2048, 4096] },
    // Batch workers: CPU-heavy.
    Profile { app: "batch", weight: 15, cpu_millis: &[2000, 4000, 8000], memory_mib: &[2048, 4096, 8192] },
    // Caches and in-memory stores: memory-heavy.
    Profile { app: "cache", weight: 12, cpu_millis: &[500, 1000], memory_mib: &[8192, 16384, 30720] },
    // Tiny agents and cron jobs.
    Profile { app: "job", weight: 8, cpu_millis: &[50, 100], memory_mib: &[64, 128] },
];

/// `n` plain pending pods with mixed requests (web, api, batch, cache and job profiles), named
/// `plain-{i}` in namespace `default`, labelled `app=<profile>`. Deterministic in `seed`.
///
/// ```
/// let pods = nodepack_suite::aws_like_plain_pods(50, 1);
/// assert_eq!(pods.len(), 50);
/// assert!(pods.iter().all(|p| p.requests.cpu().0 > 0 && p.node_selector.is_empty()));
/// assert_eq!(pods, nodepack_suite::aws_like_plain_pods(50, 1));
/// ```
pub fn aws_like_plain_pods(n: usize, seed: u64) -> Vec<Pod> {
    let mut rng = Rng::new(seed);
    let total: u64 = PROFILES.iter().map(|p| p.weight).sum();
    (0..n)
        .map(|i| {
            let mut roll = rng.below(total);
            let profile = PROFILES
                .iter()
                .find(|p| {
                    if roll < p.weight {
                        true
                    } else {
                        roll -= p.weight;
                        false
                    }
                })
                .expect("weights cover the roll");
            let cpu = *rng.pick(profile.cpu_millis);
            let mem = *rng.pick(profile.memory_mib);
            let mut pod = Pod::new(
                &format!("plain-{i:06}"),
                Resources::new().with(ResourceName::Cpu, cpu).with(ResourceName::Memory, mem * MIB),
            );
            let mut labels = Labels::new();
            labels.insert("app".into(), profile.app.into());
            pod.labels = labels;
            pod.owner_kind = Some("ReplicaSet".into());
            pod
        })
        .collect()
}

//! Topology properties of the provisioning pass on random clusters (issue "Scheduling
//! constraints"): in every result no two pods on a node share a host port, no required
//! anti-affinity is broken (either way round), every required affinity is met, and no hostname
//! spread constraint is broken. Checked from the schedule alone, by locating every pod.
//!
//! 64 seeds by default (a fixed sequence, so CI never flakes); `NODEPACK_SLOW_TESTS=1` runs 1024
//! random ones.

use std::collections::BTreeMap;

use nodepack_core::label::{HOSTNAME, ZONE};
use nodepack_core::{provision, NamespaceScope, Pod, PodAffinityTerm, Settings, WhenUnsatisfiable};
use nodepack_suite::random_cluster;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Where a pod runs: its node's labels (with the hostname).
type Place = BTreeMap<String, String>;

/// Every pod, bound or placed by the pass, with where it runs.
fn locate(seed: u64, size: usize) -> (Vec<(Pod, Place)>, Vec<String>) {
    let rc = random_cluster(seed, size);
    let s = provision(&rc.cluster, &rc.pending, &Settings::default());
    let by_key: BTreeMap<String, &Pod> = rc.pending.iter().map(|p| (p.key(), p)).collect();
    let mut out = vec![];
    for n in &rc.cluster.nodes {
        let mut place = n.labels.clone();
        place.entry(HOSTNAME.into()).or_insert_with(|| n.name.clone());
        for p in &n.pods {
            out.push((p.clone(), place.clone()));
        }
        if let Some(e) = s.existing_nodes.iter().find(|e| e.name == n.name) {
            for k in &e.pods {
                out.push((by_key[k.as_str()].clone(), place.clone()));
            }
        }
    }
    for c in &s.node_claims {
        let mut place = c.labels.clone();
        place.insert(HOSTNAME.into(), format!("claim/{}", c.name));
        place.insert(ZONE.into(), c.zone.clone());
        for k in &c.pods {
            out.push((by_key[k.as_str()].clone(), place.clone()));
        }
    }
    let placed =
        s.node_claims.iter().flat_map(|c| c.pods.clone()).chain(s.existing_nodes.iter().flat_map(|e| e.pods.clone()));
    (out, placed.collect())
}

fn selects(term: &PodAffinityTerm, owner: &Pod, other: &Pod) -> bool {
    let ns_ok = match &term.namespaces {
        NamespaceScope::Own => other.namespace == owner.namespace,
        NamespaceScope::Listed(v) => v.contains(&other.namespace),
        NamespaceScope::All => true,
    };
    ns_ok && term.selector.matches(&other.labels)
}

fn check(seed: u64, size: usize) -> Result<(), String> {
    let (pods, placed) = locate(seed, size);
    let is_placed = |p: &Pod| placed.contains(&p.key());
    let host = |pl: &Place| pl.get(HOSTNAME).cloned().unwrap_or_default();
    // Host ports: no two pods on one node bind the same port.
    let mut ports: BTreeMap<(String, u16, String), String> = BTreeMap::new();
    for (p, pl) in &pods {
        for hp in &p.host_ports {
            if let Some(other) = ports.insert((host(pl), hp.port, hp.protocol.clone()), p.key()) {
                if is_placed(p) {
                    return Err(format!("{} and {other} share host port {} on {}", p.key(), hp.port, host(pl)));
                }
            }
        }
    }
    for (p, pl) in pods.iter().filter(|(p, _)| is_placed(p)) {
        // Required anti-affinity, both ways: no selected pod in the same domain.
        for (q, ql) in &pods {
            if q.key() == p.key() {
                continue;
            }
            for (owner, target, term_pl, other_pl) in [(p, q, pl, ql), (q, p, ql, pl)] {
                for t in &owner.pod_anti_affinity.required {
                    let (Some(a), Some(b)) = (term_pl.get(&t.topology_key), other_pl.get(&t.topology_key)) else {
                        continue;
                    };
                    if a == b && selects(t, owner, target) {
                        return Err(format!(
                            "{} (anti-affinity on {}) shares {a} with {}",
                            owner.key(),
                            t.topology_key,
                            target.key()
                        ));
                    }
                }
            }
        }
        // Required affinity: a selected pod (itself, if it selects itself) in the same domain.
        for t in &p.pod_affinity.required {
            let Some(d) = pl.get(&t.topology_key) else {
                return Err(format!("{} placed where {} is undefined", p.key(), t.topology_key));
            };
            let met = pods.iter().any(|(q, ql)| ql.get(&t.topology_key) == Some(d) && selects(t, p, q));
            if !met {
                return Err(format!("{} has affinity on {} but no selected pod is in {d}", p.key(), t.topology_key));
            }
        }
        // Hostname spread (DoNotSchedule): the global minimum is 0, so no node exceeds maxSkew.
        for t in p.topology_spread.iter().filter(|t| t.topology_key == HOSTNAME) {
            if t.when_unsatisfiable != WhenUnsatisfiable::DoNotSchedule {
                continue;
            }
            let n = pods
                .iter()
                .filter(|(q, ql)| host(ql) == host(pl) && q.namespace == p.namespace && t.selector.matches(&q.labels))
                .count() as i32;
            if n > t.max_skew {
                return Err(format!("{} on {}: {n} selected pods, maxSkew {}", p.key(), host(pl), t.max_skew));
            }
        }
    }
    Ok(())
}

fn config() -> Config {
    let slow = std::env::var_os("NODEPACK_SLOW_TESTS").is_some();
    let mut c = Config::with_cases(if slow { 1024 } else { 64 });
    c.failure_persistence = None;
    if !slow {
        c.rng_seed = RngSeed::Fixed(0x746f_706f_6c6f_6779);
    }
    c
}

proptest! {
    #![proptest_config(config())]
    #[test]
    fn topology_constraints_hold(seed in any::<u64>(), size in 1usize..40) {
        if let Err(e) = check(seed, size) {
            return Err(TestCaseError::fail(format!("random_cluster({seed}, {size}): {e}")));
        }
    }
}

//! Preference relaxation: one soft constraint dropped per retry, in Karpenter's order.

use crate::pod::Pod;
use crate::taint::{Effect, Toleration, TolerationOperator};
use crate::topology_spread::WhenUnsatisfiable;

/// Whether preferences (preferred affinities, `ScheduleAnyway` spread) are honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PreferencePolicy {
    /// Honour them, relaxing one at a time when a pod cannot be placed (the default).
    #[default]
    Respect,
    /// Drop them all from the start (`--preference-policy=Ignore`).
    Ignore,
}

/// One relaxation step, as data (what was dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Relaxation {
    /// The first of several required node-affinity OR terms.
    RequiredNodeAffinityTerm,
    /// The heaviest preferred pod-affinity term.
    PreferredPodAffinity,
    /// The heaviest preferred pod-anti-affinity term.
    PreferredPodAntiAffinity,
    /// The heaviest preferred node-affinity term.
    PreferredNodeAffinity,
    /// One `ScheduleAnyway` topology spread constraint.
    ScheduleAnywaySpread,
    /// A toleration for every `PreferNoSchedule` taint was added.
    ToleratePreferNoSchedule,
}

fn remove_heaviest<T>(list: &mut Vec<(i32, T)>) -> bool {
    if list.is_empty() {
        return false;
    }
    let mut best = 0;
    for (i, (w, _)) in list.iter().enumerate() {
        if *w > list[best].0 {
            best = i;
        }
    }
    list.remove(best);
    true
}

fn prefer_no_schedule_toleration() -> Toleration {
    Toleration {
        key: String::new(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: Some(Effect::PreferNoSchedule),
    }
}

/// Applies the next relaxation step to `pod`, returning what was relaxed, or `None` when
/// nothing is left. `tolerate_prefer_no_schedule` is true when some NodePool carries a
/// `PreferNoSchedule` taint.
pub fn relax(pod: &mut Pod, tolerate_prefer_no_schedule: bool) -> Option<Relaxation> {
    if pod.node_affinity.required.len() > 1 {
        pod.node_affinity.required.remove(0);
        return Some(Relaxation::RequiredNodeAffinityTerm);
    }
    if remove_heaviest(&mut pod.pod_affinity.preferred) {
        return Some(Relaxation::PreferredPodAffinity);
    }
    if remove_heaviest(&mut pod.pod_anti_affinity.preferred) {
        return Some(Relaxation::PreferredPodAntiAffinity);
    }
    if remove_heaviest(&mut pod.node_affinity.preferred) {
        return Some(Relaxation::PreferredNodeAffinity);
    }
    if let Some(i) = pod.topology_spread.iter().position(|t| t.when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway)
    {
        pod.topology_spread.remove(i);
        return Some(Relaxation::ScheduleAnywaySpread);
    }
    if tolerate_prefer_no_schedule {
        let tol = prefer_no_schedule_toleration();
        let already = pod.tolerations.iter().any(|t| {
            t.operator == TolerationOperator::Exists && t.key.is_empty() && t.effect == Some(Effect::PreferNoSchedule)
        });
        if !already {
            pod.tolerations.push(tol);
            return Some(Relaxation::ToleratePreferNoSchedule);
        }
    }
    None
}

/// Removes every preference from `pod` (the `Ignore` policy).
pub fn strip_preferences(pod: &mut Pod) {
    pod.pod_affinity.preferred.clear();
    pod.pod_anti_affinity.preferred.clear();
    pod.node_affinity.preferred.clear();
    pod.topology_spread.retain(|t| t.when_unsatisfiable != WhenUnsatisfiable::ScheduleAnyway);
}

/// Adds the `PreferNoSchedule` toleration a DaemonSet pod is given when checking where it runs.
pub fn tolerate_prefer_no_schedule(pod: &mut Pod) {
    pod.tolerations.push(prefer_no_schedule_toleration());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::Requirements;
    use crate::{Operator, Requirement};

    #[test]
    fn karpenter_order() {
        let mut pod = Pod::new("p", Default::default());
        let term =
            |v: &str| -> Requirements { [Requirement::new("k", Operator::In, [v]).unwrap()].into_iter().collect() };
        pod.node_affinity.required = vec![term("a"), term("b")];
        pod.node_affinity.preferred = vec![(1, term("c")), (5, term("d"))];
        assert_eq!(relax(&mut pod, true), Some(Relaxation::RequiredNodeAffinityTerm));
        assert_eq!(pod.node_affinity.required, vec![term("b")]);
        assert_eq!(relax(&mut pod, true), Some(Relaxation::PreferredNodeAffinity));
        assert_eq!(pod.node_affinity.preferred, vec![(1, term("c"))]);
        assert_eq!(relax(&mut pod, true), Some(Relaxation::PreferredNodeAffinity));
        assert_eq!(relax(&mut pod, true), Some(Relaxation::ToleratePreferNoSchedule));
        assert_eq!(relax(&mut pod, true), None);
        // the last required term is never dropped
        assert_eq!(pod.node_affinity.required.len(), 1);
    }
}

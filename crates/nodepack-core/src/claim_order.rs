//! The order in which a provisioning pass offers a pod its in-flight claims.
//!
//! Karpenter re-sorts its new claims by pod count (fewest first, stable) before every pod.
//! Between two pods only one claim changes: it gains a pod, so a stable re-sort moves it to the
//! front of the claims with its new count; a new claim, with one pod, goes after every claim
//! with one pod. [`ClaimOrder`] keeps that order without sorting: one queue per pod count, so a
//! move costs a queue operation rather than a shift of every claim behind it.

use std::collections::VecDeque;

/// A claim's place in a [`ClaimOrder`]: its pod count and its index among the claims with that
/// count. Valid until the order next changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    count: usize,
    index: usize,
}

/// In-flight claims (by index) in Karpenter's try order: fewest pods first, ties in the order a
/// stable re-sort before every pod would leave them.
#[derive(Debug, Default)]
pub(crate) struct ClaimOrder {
    /// Per pod count, its claims in order.
    by_count: Vec<VecDeque<usize>>,
}

impl ClaimOrder {
    /// The claims in order, each with its slot.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Slot, usize)> + '_ {
        self.by_count
            .iter()
            .enumerate()
            .flat_map(|(count, q)| q.iter().enumerate().map(move |(index, &c)| (Slot { count, index }, c)))
    }

    fn queue(&mut self, count: usize) -> &mut VecDeque<usize> {
        if self.by_count.len() <= count {
            self.by_count.resize_with(count + 1, VecDeque::new);
        }
        &mut self.by_count[count]
    }

    /// Adds a claim made for one pod: after every claim with one pod or fewer.
    pub(crate) fn push_new(&mut self, claim: usize) {
        self.queue(1).push_back(claim);
    }

    /// The claim at `slot` gained a pod: it moves to the front of the claims with its new count.
    pub(crate) fn gained_pod(&mut self, slot: Slot) {
        let Some(claim) = self.by_count.get_mut(slot.count).and_then(|q| q.remove(slot.index)) else {
            return;
        };
        self.queue(slot.count + 1).push_front(claim);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order Karpenter's stable re-sort gives, from pod counts and the previous order.
    fn resorted(order: &[usize], counts: &[usize]) -> Vec<usize> {
        let mut v = order.to_vec();
        v.sort_by_key(|&c| counts[c]);
        v
    }

    #[test]
    fn matches_a_stable_resort_after_every_change() {
        // A fixed sequence of new claims and pods landing on claims at various slots.
        let mut order = ClaimOrder::default();
        let mut counts: Vec<usize> = vec![];
        let mut reference: Vec<usize> = vec![];
        let mut seed = 7u64;
        for step in 0..400 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let pick = (seed >> 33) as usize;
            if counts.is_empty() || step % 7 == 0 {
                counts.push(1);
                let c = counts.len() - 1;
                order.push_new(c);
                // A new claim goes after every claim with at most one pod.
                let at = reference.partition_point(|&x| counts[x] <= 1);
                reference.insert(at, c);
            } else {
                let pos = pick % reference.len();
                let (slot, c) = order.iter().nth(pos).unwrap();
                assert_eq!(c, reference[pos]);
                counts[c] += 1;
                order.gained_pod(slot);
                reference = resorted(&reference, &counts);
            }
            let got: Vec<usize> = order.iter().map(|(_, c)| c).collect();
            assert_eq!(got, reference, "step {step}");
        }
    }
}

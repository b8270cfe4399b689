//! The scheduling queue: first-fit-decreasing order, and Karpenter's stop rule (a full cycle
//! without progress ends the pass).

use std::collections::VecDeque;

/// A queue of pod indices.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    items: VecDeque<usize>,
    last_len: Vec<Option<usize>>,
}

impl Queue {
    /// A queue over `order` (already sorted); `n` is one past the largest index.
    pub fn new(order: Vec<usize>, n: usize) -> Self {
        Queue { items: order.into(), last_len: vec![None; n] }
    }

    /// The next pod, or `None` when the queue is empty or has cycled without progress: the
    /// head was pushed back when the queue had its current length, so every pod since has failed too.
    pub fn pop(&mut self) -> Option<usize> {
        let head = *self.items.front()?;
        if self.last_len[head] == Some(self.items.len()) {
            return None;
        }
        self.items.pop_front()
    }

    /// Puts a pod that failed back at the end.
    pub fn push(&mut self, pod: usize) {
        self.items.push_back(pod);
        self.last_len[pod] = Some(self.items.len());
    }

    /// The pods still queued, in order.
    pub fn remaining(&self) -> impl Iterator<Item = usize> + '_ {
        self.items.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_after_a_cycle_without_progress() {
        let mut q = Queue::new(vec![0, 1, 2], 3);
        let a = q.pop().unwrap();
        q.push(a);
        let b = q.pop().unwrap();
        q.push(b);
        let c = q.pop().unwrap();
        q.push(c);
        assert_eq!(q.pop(), None);
        assert_eq!(q.remaining().collect::<Vec<_>>(), vec![0, 1, 2]);
    }

    #[test]
    fn progress_resets_the_cycle() {
        let mut q = Queue::new(vec![0, 1], 2);
        let a = q.pop().unwrap();
        q.push(a); // 0 failed, queue [1, 0]
        assert_eq!(q.pop(), Some(1)); // 1 succeeds, queue [0]
        assert_eq!(q.pop(), Some(0)); // 0 pushed at len 2, now len 1: retried
        q.push(0);
        assert_eq!(q.pop(), None);
    }
}

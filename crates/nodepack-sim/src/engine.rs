//! The discrete-event engine: a simulated clock in whole seconds and a queue of events ordered
//! by time, then by the order they were scheduled.
//!
//! Nothing here reads the wall clock. Events scheduled for the same second come out in the
//! order they went in, so a trace's events at the same offset happen in the order written, and
//! the loops of the simulation (batcher, disruption, node startup) interleave the same way on
//! every run. [`SplitMix64`] is the only source of randomness, and only where a trace asks for it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Simulated time: whole seconds since the start of the trace.
pub type Seconds = i64;

#[derive(Debug)]
struct Entry<E> {
    at: Seconds,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A queue of events on a simulated clock.
///
/// ```
/// use nodepack_sim::engine::Engine;
/// let mut e = Engine::new();
/// e.schedule(10, "b");
/// e.schedule(5, "a");
/// e.schedule(10, "c");
/// assert_eq!(e.pop(), Some((5, "a")));
/// assert_eq!(e.pop(), Some((10, "b")));
/// assert_eq!(e.pop(), Some((10, "c")));
/// assert_eq!(e.now(), 10);
/// assert_eq!(e.pop(), None);
/// ```
#[derive(Debug)]
pub struct Engine<E> {
    now: Seconds,
    seq: u64,
    queue: BinaryHeap<Reverse<Entry<E>>>,
}

impl<E> Default for Engine<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Engine<E> {
    /// An empty queue at time 0.
    pub fn new() -> Self {
        Engine { now: 0, seq: 0, queue: BinaryHeap::new() }
    }

    /// The current simulated time: the time of the last event taken out.
    pub fn now(&self) -> Seconds {
        self.now
    }

    /// Schedules an event. A time in the past is moved to now: the clock never goes back.
    pub fn schedule(&mut self, at: Seconds, event: E) {
        let at = at.max(self.now);
        self.queue.push(Reverse(Entry { at, seq: self.seq, event }));
        self.seq += 1;
    }

    /// Schedules an event `delay` seconds from now.
    pub fn after(&mut self, delay: Seconds, event: E) {
        self.schedule(self.now.saturating_add(delay.max(0)), event);
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<Seconds> {
        self.queue.peek().map(|Reverse(e)| e.at)
    }

    /// Takes the next event out and moves the clock to its time.
    pub fn pop(&mut self) -> Option<(Seconds, E)> {
        let Reverse(e) = self.queue.pop()?;
        debug_assert!(e.at >= self.now, "the clock went back");
        self.now = e.at;
        Some((e.at, e.event))
    }

    /// How many events are waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// SplitMix64: a small, seeded pseudo-random generator (Steele, Lea and Flood, 2014). The same
/// seed gives the same sequence on every platform.
///
/// ```
/// use nodepack_sim::engine::SplitMix64;
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0), without modulo bias worth speaking of (128-bit
    /// multiply-shift).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// A stable 64-bit hash of a string (FNV-1a), to derive per-object seeds that do not depend on
/// the order objects were created in.
pub fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn time_never_goes_back_and_ties_keep_order(
            times in proptest::collection::vec(0i64..50, 0..200),
            inserts in proptest::collection::vec((0usize..200, 0i64..20), 0..50),
        ) {
            let mut e = Engine::new();
            for (i, t) in times.iter().enumerate() {
                e.schedule(*t, i);
            }
            let mut last: Option<(i64, usize)> = None;
            let mut extra = inserts.into_iter();
            let mut seen = 0usize;
            while let Some((t, ev)) = e.pop() {
                prop_assert!(t >= last.map_or(0, |l| l.0), "time went back");
                if let Some((lt, lev)) = last {
                    // Same time: scheduled order (ids grow with scheduling order).
                    if lt == t {
                        prop_assert!(ev > lev, "same-time events out of order: {lev} then {ev}");
                    }
                }
                last = Some((t, ev));
                seen += 1;
                // Events scheduled while running, some in the past, some now, some later.
                if let Some((_, d)) = extra.next() {
                    let id = 1000 + seen;
                    e.schedule(t + d - 5, id);
                }
            }
            prop_assert!(e.is_empty());
        }
    }

    #[test]
    fn splitmix_known_values() {
        // First outputs for seed 0 (reference values of the algorithm).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }
}

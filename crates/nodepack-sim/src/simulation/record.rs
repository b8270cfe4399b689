//! What a replay records: cost integrated exactly over time, the timeline, decisions, pending
//! times; and the `replay` document built from them.

use std::collections::BTreeMap;

use nodepack_core::{Cluster, Price};

use super::{NodeMeta, Simulation};
use crate::engine::Seconds;
use crate::output::{
    DecisionRecord, DisruptedCounts, HistogramBucket, PendingPod, Percentiles, ReplayOutput, ReplaySummary,
    TimelinePoint, MAX_TIMELINE_POINTS, VERSION,
};

/// The key static nodes are counted under in per-pool figures.
const STATIC: &str = "";

#[derive(Debug, Default)]
pub(super) struct Recorder {
    pub(super) decisions: Vec<DecisionRecord>,
    points: Vec<TimelinePoint>,
    /// Σ price (nano-dollars per hour) × seconds.
    cost: i128,
    cost_by_pool: BTreeMap<String, i128>,
    rate: i128,
    rate_by_pool: BTreeMap<String, i128>,
    last_t: Seconds,
    pub(super) pending_samples: Vec<i64>,
    pub(super) pods_scheduled: usize,
    pub(super) never_scheduled: usize,
    pub(super) nodes_launched: usize,
    pub(super) launch_failures: usize,
    pub(super) disrupted: DisruptedCounts,
    peak_nodes: usize,
}

/// Nano-dollar-seconds per hour to a price in nano-dollars (rounded to the nearest).
fn to_dollars(nano_dollar_seconds_per_hour: i128) -> Price {
    let v = (nano_dollar_seconds_per_hour + 1800) / 3600;
    Price(i64::try_from(v).unwrap_or(i64::MAX))
}

/// A ratio rounded to four decimals, computed in integers.
fn fraction(num: i64, den: i64) -> f64 {
    if den <= 0 {
        return 0.0;
    }
    let r = (i128::from(num) * 10_000 + i128::from(den) / 2) / i128::from(den);
    r as f64 / 10_000.0
}

/// Millicores to cores, bytes to GiB, three decimals.
fn thousandths(v: i128, unit: i128) -> f64 {
    ((v * 1000 + unit / 2) / unit) as f64 / 1000.0
}

impl Recorder {
    /// Adds the cost of the current nodes from the last change until `t`.
    pub(super) fn advance(&mut self, t: Seconds) {
        let dt = i128::from((t - self.last_t).max(0));
        if dt > 0 {
            self.cost += self.rate * dt;
            for (pool, r) in &self.rate_by_pool {
                *self.cost_by_pool.entry(pool.clone()).or_insert(0) += r * dt;
            }
        }
        self.last_t = self.last_t.max(t);
    }

    /// The hourly price of the nodes now.
    pub(super) fn set_rates(&mut self, cluster: &Cluster, meta: &BTreeMap<String, NodeMeta>) {
        self.rate = 0;
        self.rate_by_pool.clear();
        for n in &cluster.nodes {
            let p = i128::from(meta.get(&n.name).map(|m| m.price.0).unwrap_or(0));
            self.rate += p;
            *self.rate_by_pool.entry(n.node_pool().unwrap_or(STATIC).to_string()).or_insert(0) += p;
        }
        self.peak_nodes = self.peak_nodes.max(cluster.nodes.len());
    }

    pub(super) fn decision(&mut self, d: DecisionRecord) {
        self.decisions.push(d);
    }

    /// A timeline point, kept when something other than the time differs from the last one.
    pub(super) fn sample(&mut self, t: Seconds, cluster: &Cluster, meta: &BTreeMap<String, NodeMeta>, pending: usize) {
        let mut by_pool: BTreeMap<String, usize> = BTreeMap::new();
        let mut static_nodes = 0;
        let (mut cpu_req, mut mem_req, mut cpu_alloc, mut mem_alloc) = (0i128, 0i128, 0i128, 0i128);
        let mut rate = 0i64;
        for n in &cluster.nodes {
            match n.node_pool() {
                Some(p) => *by_pool.entry(p.to_string()).or_insert(0) += 1,
                None => static_nodes += 1,
            }
            rate = rate.saturating_add(meta.get(&n.name).map(|m| m.price.0).unwrap_or(0));
            if n.initialized {
                cpu_alloc += i128::from(n.allocatable.cpu().0);
                mem_alloc += i128::from(n.allocatable.memory().0);
                for p in &n.pods {
                    cpu_req += i128::from(p.requests.cpu().0);
                    mem_req += i128::from(p.requests.memory().0);
                }
            }
        }
        let clamp = |v: i128| i64::try_from(v).unwrap_or(i64::MAX);
        let point = TimelinePoint {
            t,
            nodes: cluster.nodes.len(),
            pending_pods: pending,
            cost_per_hour: Price(rate),
            cpu_requested_fraction: fraction(clamp(cpu_req), clamp(cpu_alloc)),
            memory_requested_fraction: fraction(clamp(mem_req >> 10), clamp(mem_alloc >> 10)),
            nodes_by_node_pool: by_pool,
            static_nodes,
            cpu_requested_cores: thousandths(cpu_req, 1000),
            cpu_allocatable_cores: thousandths(cpu_alloc, 1000),
            memory_requested_gib: thousandths(mem_req, 1 << 30),
            memory_allocatable_gib: thousandths(mem_alloc, 1 << 30),
        };
        self.peak_nodes = self.peak_nodes.max(point.nodes);
        if let Some(last) = self.points.last() {
            let same = TimelinePoint { t: last.t, ..point.clone() } == *last;
            if same {
                return;
            }
        }
        self.points.push(point);
    }

    /// At most [`MAX_TIMELINE_POINTS`]: the span is cut into equal stretches and each keeps its
    /// point with the most nodes (the first such) and its last point.
    fn thinned(points: Vec<TimelinePoint>, end: Seconds) -> Vec<TimelinePoint> {
        if points.len() <= MAX_TIMELINE_POINTS {
            return points;
        }
        // One pair per stretch, and room for the point at the very end.
        let buckets = (MAX_TIMELINE_POINTS / 2 - 1) as i64;
        let width = (end / buckets).max(1) + 1;
        let mut out: Vec<TimelinePoint> = vec![];
        let mut i = 0;
        while i < points.len() {
            let b = points[i].t / width;
            let mut j = i;
            let mut best = i;
            while j < points.len() && points[j].t / width == b {
                if points[j].nodes > points[best].nodes {
                    best = j;
                }
                j += 1;
            }
            out.push(points[best].clone());
            if j - 1 != best {
                out.push(points[j - 1].clone());
            }
            i = j;
        }
        out
    }
}

impl Simulation {
    /// Closes the books at the end of the trace and builds the document.
    pub(super) fn finish(mut self) -> ReplayOutput {
        let end = self.end;
        self.rec.advance(end);
        let reasons = self.pending_reasons();
        let mut pending_at_end = vec![];
        for key in self.pending.keys() {
            let st = self.pods.get(key);
            let since = st.and_then(|s| s.pending_since).unwrap_or(end);
            self.rec.pending_samples.push(end - since);
            if st.is_some_and(|s| !s.ever_bound) {
                self.rec.never_scheduled += 1;
            }
            pending_at_end.push(PendingPod {
                pod: key.clone(),
                pending_since: since,
                reason: reasons.get(key).cloned().unwrap_or_else(|| "no NodePool or node takes it".into()),
            });
        }
        self.rec.sample(end, &self.cluster, &self.nodes_meta, self.pending.len());
        let rec = &mut self.rec;
        let points = std::mem::take(&mut rec.points);
        let mut timeline = Recorder::thinned(points, end);
        if let Some(last) = timeline.last_mut() {
            if last.t < end {
                let mut p = last.clone();
                p.t = end;
                timeline.push(p);
            }
        }
        let total = to_dollars(rec.cost);
        // Σ price × seconds over the seconds elapsed is the average price per hour.
        let average = if end > 0 {
            Price(i64::try_from((rec.cost + i128::from(end) / 2) / i128::from(end)).unwrap_or(i64::MAX))
        } else {
            Price(0)
        };
        let summary = ReplaySummary {
            simulated_seconds: end,
            total_cost: total,
            peak_nodes: rec.peak_nodes,
            pods_scheduled: rec.pods_scheduled,
            pods_never_scheduled: rec.never_scheduled,
            pending_seconds_histogram: HistogramBucket::histogram(&rec.pending_samples),
            pending_seconds: Percentiles::of(&mut rec.pending_samples),
            nodes_launched: rec.nodes_launched,
            nodes_disrupted: rec.disrupted,
            nodes_at_end: self.cluster.nodes.len(),
            pods_pending_at_end: self.pending.len(),
            launch_failures: rec.launch_failures,
            average_cost_per_hour: average,
            cost_by_node_pool: rec.cost_by_pool.iter().map(|(k, v)| (k.clone(), to_dollars(*v))).collect(),
        };
        let mut warnings = std::mem::take(&mut self.warnings);
        warnings.dedup();
        ReplayOutput {
            version: VERSION,
            trace: self.trace.name.clone(),
            summary,
            timeline,
            decisions: std::mem::take(&mut rec.decisions),
            pending_at_end,
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_fractions_in_integers() {
        // 0.096 $/h for two hours.
        assert_eq!(to_dollars(96_000_000i128 * 7200), Price(192_000_000));
        assert_eq!(fraction(1, 3), 0.3333);
        assert_eq!(fraction(5, 0), 0.0);
        assert_eq!(thousandths(1500, 1000), 1.5);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut v: Vec<i64> = (1..=100).collect();
        let p = Percentiles::of(&mut v);
        assert_eq!((p.p50, p.p99, p.max), (50, 99, 100));
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
        let mut one = vec![7];
        assert_eq!(Percentiles::of(&mut one).p50, 7);
    }
}

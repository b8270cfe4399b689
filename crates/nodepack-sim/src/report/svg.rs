//! Small SVG charts written by hand: step areas and lines over simulated time, stacked areas,
//! and a bar chart. Coordinates are printed with one decimal, so the same data gives the same
//! bytes.

use std::fmt::Write;

use super::{duration, escape};

/// Colours for NodePools, in order.
pub(super) const PALETTE: [&str; 8] =
    ["#2f6fb0", "#3a9d5d", "#d9822b", "#8e44ad", "#c0392b", "#16a2a2", "#b7791f", "#5c6ac4"];

const W: f64 = 640.0;
const H: f64 = 250.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 26.0;

/// A value over time: each point holds until the next one (a step function).
pub(super) struct Series {
    pub(super) name: String,
    pub(super) color: &'static str,
    pub(super) points: Vec<(i64, f64)>,
}

enum Layer<'a> {
    Stacked(&'a [Series]),
    Area(&'a Series),
    Line(&'a Series),
}

#[derive(Clone, Copy, PartialEq)]
enum Axis {
    Plain,
    Integer,
    Money,
}

/// A chart over `[0, end]` seconds.
pub(super) struct Chart<'a> {
    end: i64,
    layers: Vec<Layer<'a>>,
    axis: Axis,
}

fn f(v: f64) -> String {
    format!("{:.1}", v)
}

/// A "nice" step (1, 2 or 5 × 10^k) giving about `n` intervals up to `max`.
fn nice_step(max: f64, n: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / n;
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let r = raw / mag;
    let m = if r <= 1.0 {
        1.0
    } else if r <= 2.0 {
        2.0
    } else if r <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// A step between time ticks that gives about six of them.
fn time_step(end: i64) -> i64 {
    const STEPS: [i64; 18] = [
        1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800, 1_209_600,
        2_592_000,
    ];
    STEPS.iter().copied().find(|s| end / s <= 7).unwrap_or(2_592_000 * ((end / 2_592_000 / 7) + 1))
}

impl<'a> Chart<'a> {
    pub(super) fn new(end: i64) -> Self {
        Chart { end: end.max(1), layers: vec![], axis: Axis::Plain }
    }
    pub(super) fn stacked(mut self, s: &'a [Series]) -> Self {
        self.layers.push(Layer::Stacked(s));
        self
    }
    pub(super) fn area(mut self, s: &'a Series) -> Self {
        self.layers.push(Layer::Area(s));
        self
    }
    pub(super) fn line(mut self, s: &'a Series) -> Self {
        self.layers.push(Layer::Line(s));
        self
    }
    pub(super) fn integer_axis(mut self) -> Self {
        self.axis = Axis::Integer;
        self
    }
    pub(super) fn money_axis(mut self) -> Self {
        self.axis = Axis::Money;
        self
    }

    fn x(&self, t: i64) -> f64 {
        LEFT + (W - LEFT - RIGHT) * (t.clamp(0, self.end) as f64) / (self.end as f64)
    }

    fn max_value(&self) -> f64 {
        let mut m: f64 = 0.0;
        for l in &self.layers {
            match l {
                Layer::Stacked(series) => {
                    let n = series.iter().map(|s| s.points.len()).max().unwrap_or(0);
                    for i in 0..n {
                        let sum: f64 = series.iter().filter_map(|s| s.points.get(i)).map(|p| p.1).sum();
                        m = m.max(sum);
                    }
                }
                Layer::Area(s) | Layer::Line(s) => {
                    for p in &s.points {
                        m = m.max(p.1);
                    }
                }
            }
        }
        m
    }

    /// The step path through points, from the first point to `end`.
    fn step_path(&self, pts: &[(i64, f64)], y: &dyn Fn(f64) -> f64) -> String {
        let mut d = String::new();
        for (i, (t, v)) in pts.iter().enumerate() {
            if i == 0 {
                let _ = write!(d, "M{} {}", f(self.x(*t)), f(y(*v)));
            } else {
                let _ = write!(d, "H{}V{}", f(self.x(*t)), f(y(*v)));
            }
        }
        if !pts.is_empty() {
            let _ = write!(d, "H{}", f(self.x(self.end)));
        }
        d
    }

    pub(super) fn render(&self) -> String {
        let top = self.max_value();
        let step = if self.axis == Axis::Integer { nice_step(top, 4.0).max(1.0) } else { nice_step(top, 4.0) };
        let ymax = if top <= 0.0 { step * 4.0 } else { (top / step).ceil() * step };
        let plot_h = H - TOP - BOTTOM;
        let y = move |v: f64| TOP + plot_h * (1.0 - (v / ymax).clamp(0.0, 1.0));
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\">"
        );
        // Grid and y axis.
        let mut v = 0.0;
        while v <= ymax + step / 2.0 {
            let yy = f(y(v));
            let label = match self.axis {
                Axis::Money => format!("${}", trim(v)),
                _ => trim(v),
            };
            let _ = writeln!(
                s,
                "<line x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"#e4e7eb\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                f(LEFT),
                f(W - RIGHT),
                f(LEFT - 6.0),
                f(y(v) + 4.0),
                escape(&label)
            );
            v += step;
        }
        // Time axis.
        let ts = time_step(self.end);
        let mut t = 0;
        while t <= self.end {
            let xx = f(self.x(t));
            let _ = writeln!(
                s,
                "<line x1=\"{xx}\" y1=\"{}\" x2=\"{xx}\" y2=\"{}\" stroke=\"#cbd2d9\"/><text x=\"{xx}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                f(H - BOTTOM),
                f(H - BOTTOM + 4.0),
                f(H - BOTTOM + 16.0),
                escape(&duration(t))
            );
            t += ts;
        }
        // Layers.
        let mut legend: Vec<(&str, &str)> = vec![];
        for l in &self.layers {
            match l {
                Layer::Stacked(series) => {
                    let n = series.iter().map(|s| s.points.len()).max().unwrap_or(0);
                    let mut lower: Vec<(i64, f64)> =
                        series.first().map(|s| s.points.iter().map(|p| (p.0, 0.0)).collect()).unwrap_or_default();
                    for se in series.iter() {
                        let upper: Vec<(i64, f64)> =
                            (0..n).map(|i| se.points.get(i).map_or((0, 0.0), |p| (p.0, lower[i].1 + p.1))).collect();
                        if se.points.iter().any(|p| p.1 > 0.0) {
                            let mut d = self.step_path(&upper, &y);
                            // Back along the lower edge.
                            let _ = write!(d, "V{}", f(y(lower.last().map_or(0.0, |p| p.1))));
                            for i in (0..lower.len()).rev() {
                                let _ = write!(d, "H{}", f(self.x(lower[i].0)));
                                if i > 0 {
                                    let _ = write!(d, "V{}", f(y(lower[i - 1].1)));
                                }
                            }
                            d.push('Z');
                            let _ = writeln!(
                                s,
                                "<path d=\"{d}\" fill=\"{}\" fill-opacity=\"0.85\" stroke=\"{}\" stroke-width=\"0.6\"/>",
                                se.color, se.color
                            );
                            legend.push((&se.name, se.color));
                        }
                        lower = upper;
                    }
                }
                Layer::Area(se) => {
                    if let Some(first) = se.points.first() {
                        let mut d = self.step_path(&se.points, &y);
                        let _ = write!(d, "V{}H{}Z", f(y(0.0)), f(self.x(first.0)));
                        let _ = writeln!(
                            s,
                            "<path d=\"{d}\" fill=\"{}\" fill-opacity=\"0.35\" stroke=\"{}\" stroke-width=\"1.4\"/>",
                            se.color, se.color
                        );
                    }
                    legend.push((&se.name, se.color));
                }
                Layer::Line(se) => {
                    let d = self.step_path(&se.points, &y);
                    if !d.is_empty() {
                        let _ = writeln!(
                            s,
                            "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\" stroke-dasharray=\"5 3\"/>",
                            se.color
                        );
                    }
                    legend.push((&se.name, se.color));
                }
            }
        }
        // Legend.
        let mut lx = LEFT;
        for (name, color) in legend {
            let _ = writeln!(
                s,
                "<rect x=\"{}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{}\" y=\"17\">{}</text>",
                f(lx),
                f(lx + 14.0),
                escape(name)
            );
            lx += 24.0 + 6.5 * name.chars().count() as f64;
        }
        s.push_str("</svg>\n");
        s
    }
}

/// A number without needless decimals.
fn trim(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        let t = format!("{v:.2}");
        t.trim_end_matches('0').to_string()
    }
}

/// A bar chart with a label under each bar and its count above.
pub(super) fn bars(labels: &[String], counts: &[usize], color: &str) -> String {
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = counts.len().max(1) as f64;
    let slot = (W - LEFT - RIGHT) / n;
    let plot_h = H - TOP - BOTTOM;
    let mut s = String::new();
    let _ =
        writeln!(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\">");
    let _ = writeln!(
        s,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#cbd2d9\"/>",
        f(LEFT),
        f(H - BOTTOM),
        f(W - RIGHT),
        f(H - BOTTOM)
    );
    for (i, (label, c)) in labels.iter().zip(counts).enumerate() {
        let x = LEFT + slot * i as f64;
        let h = plot_h * (*c as f64) / top;
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\" fill-opacity=\"0.8\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{c}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            f(x + slot * 0.15),
            f(H - BOTTOM - h),
            f(slot * 0.7),
            f(h),
            f(x + slot / 2.0),
            f(H - BOTTOM - h - 4.0),
            f(x + slot / 2.0),
            f(H - BOTTOM + 16.0),
            escape(label)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_numbers() {
        assert_eq!(nice_step(10.0, 4.0), 5.0);
        assert_eq!(nice_step(0.9, 4.0), 0.5);
        assert_eq!(time_step(3600), 600);
        assert_eq!(trim(2.0), "2");
        assert_eq!(trim(0.25), "0.25");
    }
}

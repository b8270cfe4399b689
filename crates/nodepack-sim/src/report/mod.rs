//! The HTML report of a replay: one self-contained page (inline SVG charts and CSS, no script,
//! no external resource) that a person reads at a glance.
//!
//! The page is well-formed XML as well as HTML (every element closed, every attribute quoted,
//! text escaped), so a plain XML parser can check it.

mod svg;

use std::fmt::Write;

use crate::output::{DecisionRecord, ReplayOutput, TimelinePoint};
use svg::{Chart, Series, PALETTE};

/// The most decisions the page lists (the JSON has them all).
pub const MAX_DECISION_ROWS: usize = 1500;
/// The most pending pods the page lists.
pub const MAX_PENDING_ROWS: usize = 300;

/// Escapes text for HTML and XML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Seconds as `1d2h3m4s`.
pub fn duration(s: i64) -> String {
    if s <= 0 {
        return "0s".into();
    }
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let mut out = String::new();
    for (v, u) in [(d, "d"), (h, "h"), (m, "m"), (sec, "s")] {
        if v > 0 {
            let _ = write!(out, "{v}{u}");
        }
    }
    out
}

fn money(dollars: f64) -> String {
    if dollars >= 100.0 {
        format!("${dollars:.0}")
    } else {
        format!("${dollars:.2}")
    }
}

const STYLE: &str = "
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1320px;color:#1f2933;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e4e7eb;padding-bottom:4px}
p.sub{color:#616e7c;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:10px}
.card{border:1px solid #e4e7eb;border-radius:6px;padding:10px 14px;min-width:130px}
.card .v{font-size:22px;font-weight:600}.card .k{font-size:12px;color:#616e7c;text-transform:uppercase;letter-spacing:.04em}
.card.warn .v{color:#c0392b}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}
figure{margin:0}figcaption{font-size:13px;color:#3e4c59;margin-bottom:4px;font-weight:600}
svg text{font-size:11px;fill:#3e4c59}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eef0f2;vertical-align:top}
th{background:#f5f7fa;position:sticky;top:0}
td.t{white-space:nowrap;color:#616e7c}
.k-launch{color:#1f7a4d}.k-deletion,.k-interruption{color:#c0392b}.k-disruption{color:#b7791f}.k-launchFailed{color:#c0392b;font-weight:600}.k-disruptionCancelled{color:#7b8794}
.scroll{max-height:520px;overflow:auto;border:1px solid #e4e7eb}
ul.warn{font-size:12px;color:#7b3f00}
";

/// The report page.
pub fn html(r: &ReplayOutput) -> String {
    let mut h = String::new();
    let s = &r.summary;
    let title = format!("nodepack replay: {}", r.trace);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1>\n<p class=\"sub\">{} simulated · {} decisions · {} pods · Karpenter's loops on a simulated clock</p>\n",
        escape(&title),
        duration(s.simulated_seconds),
        r.decisions.len(),
        s.pods_scheduled + s.pods_never_scheduled
    );

    // Summary figures.
    let d = &s.nodes_disrupted;
    let cards: Vec<(&str, String, bool)> = vec![
        ("total cost", money(s.total_cost.as_dollars()), false),
        ("average per hour", money(s.average_cost_per_hour.as_dollars()), false),
        ("peak nodes", s.peak_nodes.to_string(), false),
        ("nodes launched", s.nodes_launched.to_string(), false),
        ("launch failures", s.launch_failures.to_string(), s.launch_failures > 0),
        ("nodes disrupted", d.total().to_string(), false),
        ("pods scheduled", s.pods_scheduled.to_string(), false),
        ("never scheduled", s.pods_never_scheduled.to_string(), s.pods_never_scheduled > 0),
        ("pending p50", duration(s.pending_seconds.p50), false),
        ("pending p99", duration(s.pending_seconds.p99), false),
        ("pending max", duration(s.pending_seconds.max), false),
        ("pending at end", s.pods_pending_at_end.to_string(), s.pods_pending_at_end > 0),
    ];
    h.push_str("<div class=\"cards\">\n");
    for (k, v, warn) in cards {
        let _ = writeln!(
            h,
            "<div class=\"card{}\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
            if warn { " warn" } else { "" },
            escape(&v),
            escape(k)
        );
    }
    h.push_str("</div>\n");
    let _ = writeln!(
        h,
        "<p class=\"sub\">Disrupted: Empty {} · Underutilized {} · Drifted {} · Expired {} · Interrupted {}</p>",
        d.empty, d.underutilized, d.drifted, d.expired, d.interrupted
    );

    // Charts.
    let end = s.simulated_seconds.max(1);
    h.push_str("<h2>Over time</h2>\n<div class=\"grid\">\n");
    h.push_str(&figure("Nodes by NodePool", &nodes_chart(&r.timeline, end)));
    h.push_str(&figure("Cost per hour (USD)", &cost_chart(&r.timeline, end)));
    h.push_str(&figure("Pending pods", &pending_chart(&r.timeline, end)));
    h.push_str(&figure("How long pods waited for a node (each time a pod was pending)", &histogram_chart(r)));
    h.push_str(&figure("CPU: requested and allocatable (cores)", &resource_chart(&r.timeline, end, true)));
    h.push_str(&figure("Memory: requested and allocatable (GiB)", &resource_chart(&r.timeline, end, false)));
    h.push_str("</div>\n");

    if !s.cost_by_node_pool.is_empty() {
        h.push_str("<h2>Cost by NodePool</h2>\n<table><tr><th>NodePool</th><th>cost</th></tr>\n");
        for (pool, cost) in &s.cost_by_node_pool {
            let name = if pool.is_empty() { "(static nodes)" } else { pool.as_str() };
            let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", escape(name), money(cost.as_dollars()));
        }
        h.push_str("</table>\n");
    }

    if !r.pending_at_end.is_empty() {
        let _ = writeln!(h, "<h2>Pods pending at the end ({})</h2>", r.pending_at_end.len());
        h.push_str("<div class=\"scroll\"><table><tr><th>pod</th><th>pending since</th><th>why</th></tr>\n");
        for p in r.pending_at_end.iter().take(MAX_PENDING_ROWS) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"t\">{}</td><td>{}</td></tr>",
                escape(&p.pod),
                duration(p.pending_since),
                escape(&p.reason)
            );
        }
        if r.pending_at_end.len() > MAX_PENDING_ROWS {
            let _ = writeln!(
                h,
                "<tr><td colspan=\"3\">… and {} more (see the JSON)</td></tr>",
                r.pending_at_end.len() - MAX_PENDING_ROWS
            );
        }
        h.push_str("</table></div>\n");
    }

    let _ = writeln!(h, "<h2>Decisions ({})</h2>", r.decisions.len());
    h.push_str("<div class=\"scroll\"><table><tr><th>t</th><th>kind</th><th>reason</th><th>detail</th></tr>\n");
    for dec in r.decisions.iter().take(MAX_DECISION_ROWS) {
        let _ = writeln!(
            h,
            "<tr><td class=\"t\">{}</td><td class=\"k-{}\">{}</td><td>{}</td><td>{}</td></tr>",
            duration(dec.t),
            dec.kind,
            dec.kind,
            escape(&dec.reason),
            escape(&describe(dec))
        );
    }
    if r.decisions.len() > MAX_DECISION_ROWS {
        let _ = writeln!(
            h,
            "<tr><td colspan=\"4\">… and {} more (see the JSON)</td></tr>",
            r.decisions.len() - MAX_DECISION_ROWS
        );
    }
    h.push_str("</table></div>\n");

    if !r.warnings.is_empty() {
        h.push_str("<h2>Warnings</h2>\n<ul class=\"warn\">\n");
        for w in &r.warnings {
            let _ = writeln!(h, "<li>{}</li>", escape(w));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn figure(caption: &str, svg: &str) -> String {
    format!("<figure><figcaption>{}</figcaption>\n{svg}</figure>\n", escape(caption))
}

/// One line about a decision.
pub fn describe(d: &DecisionRecord) -> String {
    match d.kind {
        "launch" => match &d.node_claim {
            Some(c) => {
                let mut s = format!(
                    "{} {} {} {} ${}/h, {} pods",
                    c.name,
                    c.instance_type,
                    c.zone,
                    c.capacity_type,
                    c.price,
                    c.pods.len()
                );
                if !d.unavailable_offerings.is_empty() {
                    let _ = write!(s, " (out of capacity first: {})", d.unavailable_offerings.join(", "));
                }
                s
            }
            None => String::new(),
        },
        "disruption" => {
            let mut s = format!("{} [{}]", d.decision.unwrap_or(""), d.candidates.join(", "));
            if !d.replacements.is_empty() {
                let _ = write!(s, " → [{}]", d.replacements.join(", "));
            }
            if let Some(p) = d.savings_per_hour {
                let _ = write!(s, " saves ${p}/h");
            }
            s
        }
        "disruptionCancelled" => format!("[{}]", d.candidates.join(", ")),
        "launchFailed" => format!(
            "{}: {} pods pending; out of capacity: {}",
            d.node_pool.as_deref().unwrap_or(""),
            d.pods.len(),
            d.unavailable_offerings.join(", ")
        ),
        "interruption" => format!(
            "{} {} after {}, {} pods pending again",
            d.node.as_deref().unwrap_or(""),
            d.instance_type.as_deref().unwrap_or(""),
            duration(d.lifetime_seconds.unwrap_or(0)),
            d.pods.len()
        ),
        _ => format!(
            "{} {} after {}",
            d.node.as_deref().unwrap_or(""),
            d.instance_type.as_deref().unwrap_or(""),
            duration(d.lifetime_seconds.unwrap_or(0))
        ),
    }
}

fn nodes_chart(tl: &[TimelinePoint], end: i64) -> String {
    let mut pools: Vec<String> = vec![];
    for p in tl {
        for k in p.nodes_by_node_pool.keys() {
            if !pools.contains(k) {
                pools.push(k.clone());
            }
        }
    }
    pools.sort();
    let has_static = tl.iter().any(|p| p.static_nodes > 0);
    let mut layers: Vec<Series> = vec![];
    if has_static {
        layers.push(Series {
            name: "static nodes".into(),
            color: "#9aa5b1",
            points: tl.iter().map(|p| (p.t, p.static_nodes as f64)).collect(),
        });
    }
    for (i, pool) in pools.iter().enumerate() {
        layers.push(Series {
            name: pool.clone(),
            color: PALETTE[i % PALETTE.len()],
            points: tl.iter().map(|p| (p.t, p.nodes_by_node_pool.get(pool).copied().unwrap_or(0) as f64)).collect(),
        });
    }
    Chart::new(end).stacked(&layers).integer_axis().render()
}

fn cost_chart(tl: &[TimelinePoint], end: i64) -> String {
    let series = Series {
        name: "cost per hour".into(),
        color: "#2f6fb0",
        points: tl.iter().map(|p| (p.t, p.cost_per_hour.as_dollars())).collect(),
    };
    Chart::new(end).area(&series).money_axis().render()
}

fn pending_chart(tl: &[TimelinePoint], end: i64) -> String {
    let series = Series {
        name: "pending pods".into(),
        color: "#d9822b",
        points: tl.iter().map(|p| (p.t, p.pending_pods as f64)).collect(),
    };
    Chart::new(end).area(&series).integer_axis().render()
}

fn resource_chart(tl: &[TimelinePoint], end: i64, cpu: bool) -> String {
    let value = |p: &TimelinePoint| {
        if cpu {
            (p.cpu_requested_cores, p.cpu_allocatable_cores)
        } else {
            (p.memory_requested_gib, p.memory_allocatable_gib)
        }
    };
    let req = tl.iter().map(|p| (p.t, value(p).0)).collect();
    let alloc = tl.iter().map(|p| (p.t, value(p).1)).collect();
    let requested = Series { name: "requested".into(), color: if cpu { "#3a9d5d" } else { "#8e44ad" }, points: req };
    let allocatable = Series { name: "allocatable (Ready nodes)".into(), color: "#52606d", points: alloc };
    Chart::new(end).area(&requested).line(&allocatable).render()
}

fn histogram_chart(r: &ReplayOutput) -> String {
    let buckets = &r.summary.pending_seconds_histogram;
    let labels: Vec<String> = buckets
        .iter()
        .map(|b| match b.up_to_seconds {
            Some(0) => "0s".to_string(),
            Some(s) => format!("≤{}", duration(s)),
            None => "longer".to_string(),
        })
        .collect();
    let counts: Vec<usize> = buckets.iter().map(|b| b.count).collect();
    svg::bars(&labels, &counts, "#d9822b")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(duration(3661), "1h1m1s");
    }
}

//! The time-series chart of clicks and unique visitors, drawn on the server as SVG: no
//! script, no library, colours from the page's style sheet (so it follows light and dark
//! mode), a native tooltip on every point, and a text summary for screen readers.

use std::fmt::Write;

use crate::analytics::GroupedCounts;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// The smallest of 1, 2, 5 × 10ⁿ at or above `value` (at least 1): the top of the y axis.
fn nice_top(value: i64) -> i64 {
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            if step * factor >= value.max(1) {
                return step * factor;
            }
        }
        step *= 10;
    }
}

/// A bucket's label as the axis shows it: `12-04` for a day, `14:00` for an hour.
fn short_label(date: &str) -> String {
    if date.len() > 10 {
        date.get(11..16).unwrap_or(date).to_owned()
    } else {
        date.get(5..10).unwrap_or(date).to_owned()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG of a series of buckets.
pub fn series(points: &[GroupedCounts]) -> String {
    let count = points.len().max(1);
    let top = nice_top(points.iter().map(|p| p.total).max().unwrap_or(0));
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| {
        if count == 1 {
            LEFT + plot_width / 2.0
        } else {
            LEFT + plot_width * i as f64 / (count - 1) as f64
        }
    };
    let y = |value: i64| TOP + plot_height * (1.0 - value as f64 / top as f64);
    let total: i64 = points.iter().map(|p| p.total).sum();
    let unique: i64 = points.iter().map(|p| p.unique).sum();
    let summary = format!(
        "Clicks and unique visitors per {}: {total} clicks, {unique} unique visitors in all",
        if points.first().is_some_and(|p| p.date.len() > 10) {
            "hour"
        } else {
            "day"
        }
    );
    let mut svg = String::with_capacity(4096 + points.len() * 200);
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"{summary}\" preserveAspectRatio=\"xMidYMid meet\">"
    );
    for value in [0, top / 2, top] {
        let yy = y(value);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{value}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    let label_every = (count / 8).max(1);
    for (i, point) in points.iter().enumerate() {
        if i % label_every == 0 || i == count - 1 {
            // The outermost labels keep inside the picture.
            let anchor = match i {
                0 if count > 1 => "start",
                i if i == count - 1 && count > 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                x(i),
                HEIGHT - 8.0,
                escape(&short_label(&point.date))
            );
        }
    }
    let line = |value: fn(&GroupedCounts) -> i64| {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(value(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if !points.is_empty() {
        let baseline = y(0);
        let _ = write!(
            svg,
            "<polygon class=\"area\" points=\"{:.1},{baseline:.1} {} {:.1},{baseline:.1}\"/>\
             <polyline class=\"clicks\" points=\"{}\"/>\
             <polyline class=\"uniques\" points=\"{}\"/>",
            x(0),
            line(|p| p.total),
            x(count - 1),
            line(|p| p.total),
            line(|p| p.unique),
        );
    }
    for (i, point) in points.iter().enumerate() {
        let _ = write!(
            svg,
            "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}: {} clicks, {} \
             unique</title></circle>",
            x(i),
            y(point.total),
            escape(&point.date),
            point.total,
            point.unique
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(date: &str, total: i64, unique: i64) -> GroupedCounts {
        GroupedCounts {
            date: date.into(),
            total,
            unique,
        }
    }

    #[test]
    fn the_axis_ends_at_a_round_number() {
        assert_eq!(nice_top(0), 1);
        assert_eq!(nice_top(3), 5);
        assert_eq!(nice_top(7), 10);
        assert_eq!(nice_top(11), 20);
        assert_eq!(nice_top(4_321), 5_000);
    }

    #[test]
    fn every_point_has_a_tooltip_and_the_summary_counts_all() {
        let svg = series(&[
            point("2026-12-01", 3, 2),
            point("2026-12-02", 0, 0),
            point("2026-12-03", 9, 4),
        ]);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("<title>2026-12-03: 9 clicks, 4 unique</title>"));
        assert!(svg.contains("12 clicks, 6 unique visitors in all"));
        assert!(svg.contains(">12-01<"));
        let hourly = series(&[point("2026-12-01T14:00:00+01:00", 1, 1)]);
        assert!(hourly.contains(">14:00<") && hourly.contains("per hour"));
    }
}

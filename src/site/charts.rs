//! The index's charts, drawn at build time as SVG with plotters (SVG backend only: text is
//! written as <text> elements, so no font files are read). Each chart also has a text
//! description (the image's alt text and the SVG's <title>/<desc>) and its numbers as a table.
//!
//! Charts are read from the columns they need and skipped when a table lacks them: counts per
//! year by a category (`year` plus `partner`, `sector`, `direction`), deal amounts when an
//! `amount_usd` column exists (one currency), and each indicator as a small series.

use super::{Ctx, Tab};
use crate::model::Value;
use chrono::Datelike;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// Years shown: at most this many, ending with the latest year in the data.
const YEARS: i64 = 30;

/// Twelve distinguishable colours, so that up to twelve series never share one.
const PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 0),
    RGBColor(100, 60, 160),
];

pub type Series = Vec<(String, Vec<(f64, f64)>)>;

pub struct Chart {
    pub name: String,
    pub title: String,
    pub y_label: String,
    /// What the chart shows, in words (alt text).
    pub desc: String,
    /// What is left out or how to read it.
    pub note: String,
    pub series: Series,
    pub svg: String,
    pub small: bool,
}

pub fn render(ctx: &Ctx) -> Vec<Chart> {
    let mut charts = vec![];
    let mut add = |c: Option<Chart>| charts.extend(c);
    add(per_year(
        ctx,
        "events",
        "partner",
        None,
        "events-by-partner",
    ));
    let usd = ctx
        .tab("deals")
        .is_some_and(|t| t.ts.field("amount_usd").is_some());
    for group in ["partner", "sector"] {
        let name = format!("deals-by-{group}");
        add(per_year(
            ctx,
            "deals",
            group,
            usd.then_some("amount_usd"),
            &name,
        ));
    }
    add(per_year(
        ctx,
        "visits",
        "direction",
        None,
        "visits-by-direction",
    ));
    charts.extend(indicators(ctx));
    charts
}

/// Counts (or sums of `measure`) per year, one series per value of `group`.
fn per_year(
    ctx: &Ctx,
    table: &str,
    group: &str,
    measure: Option<&str>,
    name: &str,
) -> Option<Chart> {
    let tab = ctx.tab(table)?;
    tab.ts.field("year")?;
    tab.ts.field(group)?;
    let mut sums: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    let (mut early, mut first_year) = (0, i64::MAX);
    let latest = tab.rows.iter().filter_map(|r| year(tab, r)).max()?;
    for r in tab.rows {
        let (Some(y), Some(add)) = (year(tab, r), amount(tab, r, measure)) else {
            continue;
        };
        if y <= latest - YEARS {
            early += 1;
            first_year = first_year.min(y);
            continue;
        }
        let g = match tab.get(r, group).map(|v| v.to_string()) {
            Some(s) if !s.is_empty() => s,
            _ => "(none)".to_string(),
        };
        *sums.entry(g).or_default().entry(y).or_default() += add;
    }
    let series = every_year(sums, latest)?;
    let what = match measure {
        Some(m) => format!("sum of {m} of {table} counted in aggregates"),
        None => format!("number of {table}"),
    };
    let mut note = if early > 0 {
        format!("{early} earlier {table} (from {first_year}) are not shown; the table lists them. ")
    } else {
        String::new()
    };
    if table == "deals" && measure.is_none() {
        note += "Deal amounts are in mixed currencies and are not summed: the chart counts deals.";
    }
    let title = format!("{} per year by {group}", cap(&what));
    let y_label = if measure.is_some() {
        "US dollars"
    } else {
        "count"
    };
    Some(chart(name, &title, y_label, &note, series, false))
}

/// What a row adds to its year: 1 when counting; its `measure` when summing, and nothing
/// when the row is not counted in aggregates or has no number.
fn amount(tab: &Tab, r: &[Value], measure: Option<&str>) -> Option<f64> {
    let Some(m) = measure else { return Some(1.0) };
    if tab.get(r, "for_aggregates") == Some(&Value::Bool(false)) {
        return None;
    }
    match tab.get(r, m) {
        Some(Value::Num(n)) => Some(*n),
        Some(Value::Int(i)) => Some(*i as f64),
        _ => None,
    }
}

/// One series per group over every year from the first with a value to `latest`, so a year
/// without records is a zero, not a gap.
fn every_year(sums: BTreeMap<String, BTreeMap<i64, f64>>, latest: i64) -> Option<Series> {
    let first = sums.values().flat_map(|m| m.keys()).min().copied()?;
    let series = sums.into_iter().map(|(g, m)| {
        let pts = (first..=latest)
            .map(|y| (y as f64, m.get(&y).copied().unwrap_or(0.0)))
            .collect();
        (g, pts)
    });
    Some(series.collect())
}

fn year(tab: &Tab, r: &[Value]) -> Option<i64> {
    match tab.get(r, "year") {
        Some(Value::Int(y)) => Some(*y),
        _ => None,
    }
}

/// One small chart per indicator and unit, one series per partner, by period start.
fn indicators(ctx: &Ctx) -> Vec<Chart> {
    let Some(tab) = ctx.tab("indicators") else {
        return vec![];
    };
    // (indicator, unit) → partner → points.
    type Groups = BTreeMap<(String, String), BTreeMap<String, Vec<(f64, f64)>>>;
    let mut groups = Groups::new();
    for r in tab.rows {
        let text = |c: &str| tab.get(r, c).map(|v| v.to_string()).unwrap_or_default();
        let (Some(Value::Date(d)), Some(Value::Num(v))) =
            (tab.get(r, "period_start"), tab.get(r, "value"))
        else {
            continue;
        };
        let x = d.year() as f64 + d.ordinal0() as f64 / 366.0;
        groups
            .entry((text("indicator"), text("unit")))
            .or_default()
            .entry(text("partner"))
            .or_default()
            .push((x, *v));
    }
    groups
        .into_iter()
        .map(|((ind, unit), by_partner)| {
            let series: Series = by_partner
                .into_iter()
                .map(|(p, mut pts)| {
                    pts.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
                    (p, pts)
                })
                .collect();
            let name = format!(
                "indicator-{}-{}",
                super::html::slug(&ind),
                super::html::slug(&unit)
            );
            chart(&name, &format!("{ind} ({unit})"), &unit, "", series, true)
        })
        .collect()
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn chart(name: &str, title: &str, y_label: &str, note: &str, series: Series, small: bool) -> Chart {
    let desc = describe(title, &series);
    let svg = draw(title, y_label, &series, small)
        .map(|s| accessible(&s, name, title, &desc))
        .unwrap_or_default();
    Chart {
        name: name.to_string(),
        title: title.to_string(),
        y_label: y_label.to_string(),
        desc,
        note: note.to_string(),
        series,
        svg,
        small,
    }
}

/// The chart in words: range and each series' total and peak.
fn describe(title: &str, series: &Series) -> String {
    let xs = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0));
    let (lo, hi) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let parts: Vec<String> = series
        .iter()
        .map(|(g, pts)| {
            let peak = pts
                .iter()
                .fold(None::<(f64, f64)>, |m, p| match m {
                    Some(q) if q.1 >= p.1 => Some(q),
                    _ => Some(*p),
                })
                .unwrap_or((0.0, 0.0));
            let total: f64 = pts.iter().map(|p| p.1).sum();
            format!(
                "{g}: total {}, highest {} in {}",
                num(total),
                num(peak.1),
                peak.0 as i64
            )
        })
        .collect();
    format!(
        "Line chart, {title}, {} to {}. {}.",
        lo as i64,
        hi as i64,
        parts.join("; ")
    )
}

pub fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn draw(title: &str, y_label: &str, series: &Series, small: bool) -> Option<String> {
    let pts = || series.iter().flat_map(|(_, p)| p.iter());
    let (x0, x1) = pts().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (y0, y1) = pts().fold((0f64, 0f64), |(a, b), p| (a.min(p.1), b.max(p.1)));
    if x0 > x1 {
        return None;
    }
    let size = if small { (420, 260) } else { (760, 380) };
    let counts = y_label == "count";
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let pad = if y1 > y0 { (y1 - y0) * 0.08 } else { 1.0 };
        let mut c = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", if small { 15 } else { 18 }))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(if small { 60 } else { 70 })
            .build_cartesian_2d(x0 - 0.5..x1 + 0.5, y0..y1 + pad)
            .ok()?;
        c.configure_mesh()
            .disable_x_mesh()
            .x_labels(if small { 5 } else { 12 })
            .x_label_formatter(&|x| format!("{:.0}", x))
            .light_line_style(WHITE)
            .y_label_formatter(&|y| {
                // Counts have no fractional ticks.
                if counts && y.fract() != 0.0 {
                    String::new()
                } else {
                    short(*y)
                }
            })
            .y_desc(y_label)
            .draw()
            .ok()?;
        for (i, (g, p)) in series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            c.draw_series(LineSeries::new(p.iter().copied(), color.stroke_width(2)))
                .ok()?
                .label(g.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            c.draw_series(p.iter().map(|q| Circle::new(*q, 3, color.filled())))
                .ok()?;
        }
        c.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
}

/// Axis numbers in a short form (1.2M, 35k).
fn short(y: f64) -> String {
    let a = y.abs();
    if a >= 1e9 {
        format!("{:.1}B", y / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", y / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", y / 1e3)
    } else {
        num((y * 100.0).round() / 100.0)
    }
}

/// Adds role, <title> and <desc> to the SVG so screen readers announce it.
fn accessible(svg: &str, name: &str, title: &str, desc: &str) -> String {
    let Some(open) = svg.find("<svg") else {
        return svg.to_string();
    };
    let Some(end) = svg[open..].find('>').map(|e| open + e) else {
        return svg.to_string();
    };
    let esc = super::html::esc;
    format!(
        "{} role=\"img\" aria-labelledby=\"{name}-title {name}-desc\"><title id=\"{name}-title\">{}</title><desc id=\"{name}-desc\">{}</desc>{}",
        &svg[..end],
        esc(title),
        esc(desc),
        &svg[end + 1..]
    )
}

//! The index page: what the dataset is, its version, counts and coverage per table, the
//! charts (each with its numbers), the downloads, how to cite, and the sources.

use super::charts::{Chart, num};
use super::html::{esc, link, table_href};
use super::{Ctx, Tab};
use crate::model::Value;
use serde_json::Value as Json;

pub fn page(ctx: &Ctx, charts: &[Chart]) -> Vec<u8> {
    let dp: Json = ctx
        .files
        .get("datapackage.json")
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Json::Null);
    let title = dp["title"].as_str().unwrap_or("pillars");
    let mut b = format!(
        "<p>{}</p>\n<p>Dataset version <strong>{}</strong>; schema version {}. Every value of every \
table can be followed back to the documents that state it: each record's page lists, field by \
field, what each source claims, where, and which value was kept and why.</p>\n",
        esc(dp["description"].as_str().unwrap_or("")),
        esc(&ctx.version),
        esc(&ctx.schema.version)
    );
    b += &tables(ctx);
    b += &charts_html(charts);
    b += &downloads(ctx);
    b += &cite(ctx, title);
    b += &sources(ctx);
    super::html::page(0, title, &ctx.version, &b, false)
}

fn tables(ctx: &Ctx) -> String {
    let mut b = String::from(
        "<h2 id=\"tables\">Tables</h2>\n<table>\n<thead><tr><th scope=\"col\">Table</th><th scope=\"col\">Rows</th>\
<th scope=\"col\">Years covered</th><th scope=\"col\">By partner</th><th scope=\"col\">What it holds</th></tr></thead>\n<tbody>\n",
    );
    for tab in &ctx.tabs {
        b += &format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            link(&table_href(0, &tab.ts.name), &tab.ts.name),
            tab.rows.len(),
            years(tab),
            partners(tab),
            esc(tab.ts.json["description"].as_str().unwrap_or(""))
        );
    }
    b + "</tbody>\n</table>\n"
}

/// First and last year of a table with a `year` column or a date.
fn years(tab: &Tab) -> String {
    use chrono::Datelike;
    let ys: Vec<i64> = tab
        .rows
        .iter()
        .filter_map(|r| match (tab.get(r, "year"), tab.get(r, "period_start")) {
            (Some(Value::Int(y)), _) => Some(*y),
            (_, Some(Value::Date(d))) => Some(d.year() as i64),
            _ => None,
        })
        .collect();
    match (ys.iter().min(), ys.iter().max()) {
        (Some(a), Some(z)) => format!("{a}–{z}"),
        _ => String::new(),
    }
}

fn partners(tab: &Tab) -> String {
    if tab.ts.field("partner").is_none() {
        return String::new();
    }
    let mut n: std::collections::BTreeMap<String, usize> = Default::default();
    for r in tab.rows {
        *n.entry(
            tab.get(r, "partner")
                .map(|v| v.to_string())
                .unwrap_or_default(),
        )
        .or_default() += 1;
    }
    n.iter()
        .map(|(p, c)| format!("{} {c}", esc(p)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn charts_html(charts: &[Chart]) -> String {
    let mut b = String::from("<h2 id=\"charts\">Charts</h2>\n<div class=\"charts\">\n");
    for c in charts.iter().filter(|c| !c.svg.is_empty()) {
        if c.small && !b.contains("id=\"indicators\"") {
            b += "<h3 id=\"indicators\">Indicators</h3>\n";
        }
        b += &format!(
            "<figure>\n<img src=\"charts/{n}.svg\" alt=\"{d}\" width=\"{w}\">\n<figcaption>{t}{note}</figcaption>\n{data}</figure>\n",
            n = esc(&c.name),
            d = esc(&c.desc),
            w = if c.small { 420 } else { 760 },
            t = esc(&c.title),
            note = if c.note.is_empty() {
                String::new()
            } else {
                format!("<br><span class=\"note\">{}</span>", esc(&c.note))
            },
            data = numbers(c)
        );
    }
    b + "</div>\n"
}

/// The chart's numbers as a table (x down, one column per series).
fn numbers(c: &Chart) -> String {
    let mut xs: Vec<f64> = c
        .series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .collect();
    xs.sort_by(|a, b| a.total_cmp(b));
    xs.dedup();
    let mut b = format!(
        "<details><summary>The numbers</summary>\n<table>\n<thead><tr><th scope=\"col\">Year</th>{}</tr></thead>\n<tbody>\n",
        c.series
            .iter()
            .map(|(g, _)| format!("<th scope=\"col\">{}</th>", esc(g)))
            .collect::<String>()
    );
    for x in xs {
        b += &format!("<tr><th scope=\"row\">{}</th>", x.floor() as i64);
        for (_, p) in &c.series {
            let v = p
                .iter()
                .find(|q| q.0 == x)
                .map(|q| num(q.1))
                .unwrap_or_default();
            b += &format!("<td>{v}</td>");
        }
        b += "</tr>\n";
    }
    b + &format!(
        "</tbody>\n</table>\n<p class=\"note\">In {}.</p></details>\n",
        esc(&c.y_label)
    )
}

fn downloads(ctx: &Ctx) -> String {
    let mut b = String::from(
        "<h2 id=\"download\">Download</h2>\n<p>CSV (UTF-8 with a byte-order mark; read code columns \
as text — the README shows the dtypes), Parquet (typed), an Excel workbook with an About and a \
Codebook sheet, and the Frictionless data package that describes them. manifest.json gives \
each file's SHA-256.</p>\n<table>\n<thead><tr><th scope=\"col\">File</th><th scope=\"col\">Bytes</th>\
<th scope=\"col\">SHA-256</th></tr></thead>\n<tbody>\n",
    );
    for (path, bytes) in ctx.files {
        b += &format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td><code>{}</code></td></tr>\n",
            link(&format!("download/{path}"), path),
            bytes.len(),
            crate::export::sha256(bytes)
        );
    }
    b + "</tbody>\n</table>\n"
}

fn cite(ctx: &Ctx, title: &str) -> String {
    format!(
        "<h2 id=\"cite\">How to cite</h2>\n<p>The pillars authors. <cite>{}</cite>, dataset version {}. \
Licensed CC BY 4.0. Cite the version you used: each release's version, date and changes are \
in the repository's CITATION.cff and docs/CHANGELOG.md.</p>\n",
        esc(title),
        esc(&ctx.version)
    )
}

fn sources(ctx: &Ctx) -> String {
    let Some(tab) = ctx.tab("sources") else {
        return String::new();
    };
    let mut b = String::from("<h2 id=\"sources\">Sources</h2>\n<ul>\n");
    for r in tab.rows {
        let id = tab.id(r);
        let year = tab
            .get(r, "year")
            .map(|v| v.to_string())
            .unwrap_or_default();
        b += &format!(
            "<li>{} ({})</li>\n",
            ctx.record_link(0, "sources", &id),
            esc(&year)
        );
    }
    b += "</ul>\n<p>Actors: see the ";
    b += &link(&table_href(0, "actors"), "actors table");
    b + "; each actor's page lists every record that names it.</p>\n"
}

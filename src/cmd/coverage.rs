//! The coverage tables of docs/METHODOLOGY.md: what the dataset covers and how thinly. Written
//! by `pillars codebook` between `<!-- coverage:start -->` and `<!-- coverage:end -->`;
//! `pillars check` fails when they are stale.

use crate::model::Value;
use crate::reconcile::{Dataset, Table};
use crate::schema::{Schema, TableSchema};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const METHODOLOGY: &str = "docs/METHODOLOGY.md";
pub const START: &str = "<!-- coverage:start -->";
pub const END: &str = "<!-- coverage:end -->";

/// The four pillars, then everyone else.
const PARTNERS: [&str; 5] = ["CN", "EU", "RU", "US", "other"];

/// A table whose rows have a partner and cite sources.
struct Citing<'a> {
    ts: &'a TableSchema,
    table: &'a Table,
    partner: usize,
    sources: usize,
    year: Option<usize>,
}

fn partner_of(v: &Value) -> &'static str {
    let p = v.as_str().unwrap_or_default();
    PARTNERS[..4]
        .iter()
        .find(|x| **x == p)
        .copied()
        .unwrap_or("other")
}

fn sources_of(v: &Value) -> &[String] {
    match v {
        Value::List(l) => l,
        _ => &[],
    }
}

fn citing<'a>(schema: &'a Schema, ds: &'a Dataset) -> Vec<Citing<'a>> {
    ds.tables
        .iter()
        .filter_map(|table| {
            let ts = &schema.tables[table.schema];
            Some(Citing {
                ts,
                table,
                partner: ts.field_index("partner")?,
                sources: ts.field_index("source_ids")?,
                year: ts.field_index("year"),
            })
        })
        .collect()
}

/// A Markdown table: header, then rows of cells (first column left-aligned, rest right).
fn markdown(out: &mut String, header: &[String], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(header.len() - 1));
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

fn header(first: &str) -> Vec<String> {
    std::iter::once(first)
        .chain(PARTNERS)
        .chain(["all"])
        .map(String::from)
        .collect()
}

/// Rows counted per (key, partner): `keys` gives the keys a row counts under.
fn tally<'a>(
    tables: impl Iterator<Item = &'a Citing<'a>>,
    keys: impl Fn(&Citing, &[Value]) -> Vec<String>,
) -> BTreeMap<String, BTreeMap<&'static str, usize>> {
    let mut counts: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for c in tables {
        for row in &c.table.rows {
            let partner = partner_of(&row[c.partner]);
            for key in keys(c, row) {
                *counts.entry(key).or_default().entry(partner).or_default() += 1;
            }
        }
    }
    counts
}

/// Counts per (row key, partner) → one Markdown row per key, with a total.
fn count_rows(counts: &BTreeMap<String, BTreeMap<&str, usize>>) -> Vec<Vec<String>> {
    counts
        .iter()
        .map(|(key, by)| {
            let mut row = vec![key.clone()];
            row.extend(
                PARTNERS
                    .iter()
                    .map(|p| by.get(p).copied().unwrap_or(0).to_string()),
            );
            row.push(by.values().sum::<usize>().to_string());
            row
        })
        .collect()
}

/// The whole coverage block.
pub fn block(schema: &Schema, ds: &Dataset) -> String {
    let tables = citing(schema, ds);
    let mut out = String::new();
    by_source(&mut out, &tables);
    by_year(&mut out, &tables);
    single_source(&mut out, &tables);
    out
}

fn by_source(out: &mut String, tables: &[Citing]) {
    let names: Vec<&str> = tables.iter().map(|c| c.ts.name.as_str()).collect();
    let _ = writeln!(
        out,
        "**Rows by source and partner** ({}; a row citing two sources counts under both):\n",
        names.join(", ")
    );
    let by_source = tally(tables.iter(), |c, row| {
        sources_of(&row[c.sources])
            .iter()
            .map(|s| format!("`{s}`"))
            .collect()
    });
    let all = tally(tables.iter(), |_, _| vec!["**rows in the dataset**".into()]);
    let mut rows = count_rows(&by_source);
    rows.extend(count_rows(&all));
    markdown(out, &header("source"), &rows);
}

fn by_year(out: &mut String, tables: &[Citing]) {
    let dated: Vec<&Citing> = tables.iter().filter(|c| c.year.is_some()).collect();
    let names: Vec<&str> = dated.iter().map(|c| c.ts.name.as_str()).collect();
    let _ = writeln!(
        out,
        "**Rows by year and partner** ({}):\n",
        names.join(", ")
    );
    let counts = tally(dated.into_iter(), |c, row| {
        let year = &row[c.year.expect("filtered on year")];
        vec![match year {
            Value::Int(y) if *y < 2000 => "1999 and before".to_string(),
            Value::Int(y) => y.to_string(),
            _ => "no year".to_string(),
        }]
    });
    markdown(out, &header("year"), &count_rows(&counts));
}

fn single_source(out: &mut String, tables: &[Citing]) {
    let _ = writeln!(
        out,
        "**How many sources stand behind a row**: rows, rows with a single source, and per partner the one source most rows rest on:\n"
    );
    let mut rows = vec![];
    for c in tables {
        let single = c
            .table
            .rows
            .iter()
            .filter(|r| sources_of(&r[c.sources]).len() == 1);
        let mut per_partner: BTreeMap<&str, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
        for row in &c.table.rows {
            let e = per_partner.entry(partner_of(&row[c.partner])).or_default();
            e.0 += 1;
            for s in sources_of(&row[c.sources]) {
                *e.1.entry(s.as_str()).or_default() += 1;
            }
        }
        let mut row = vec![
            c.ts.name.clone(),
            c.table.rows.len().to_string(),
            single.count().to_string(),
        ];
        row.extend(PARTNERS.iter().map(|p| match per_partner.get(p) {
            None => "–".to_string(),
            Some((n, by)) => {
                // The most-cited source; ties go to the first id, so the text is stable.
                let (s, k) = by.iter().fold(
                    ("", 0),
                    |best, (s, k)| if *k > best.1 { (s, *k) } else { best },
                );
                format!("{k} of {n} cite `{}`", s.split('_').next().unwrap_or(s))
            }
        }));
        rows.push(row);
    }
    let mut h: Vec<String> = ["table", "rows", "single source"]
        .map(String::from)
        .to_vec();
    h.extend(PARTNERS.map(String::from));
    markdown(out, &h, &rows);
}

//! One page per record: every field (references as links), then field by field what each
//! source claims — value, locator, whether it was kept and why — from the provenance table,
//! then every record that names this one (for an actor: the events, deals and visits it is
//! in; for a source: every record it supports, and how many values it contributed).

use super::html::{self, esc, link, table_href};
use super::{Ctx, Tab};
use crate::model::Value;
use crate::schema::{Field, Merge};
use std::collections::BTreeMap;

const DEPTH: usize = 2;

pub fn page(ctx: &Ctx, tab: &Tab, row: &[Value]) -> Vec<u8> {
    let table = &tab.ts.name;
    let id = tab.id(row);
    let mut b = format!(
        "<p>A record of table {} (id <code>{}</code>).</p>\n<h2 id=\"fields\">Fields</h2>\n<table>\n<tbody>\n",
        link(&table_href(DEPTH, table), table),
        esc(&id)
    );
    for (i, f) in tab.ts.fields.iter().enumerate() {
        b += &format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
            esc(&f.name),
            shown(ctx, f, &row[i].to_string())
        );
    }
    b += "</tbody>\n</table>\n";
    b += &claims(ctx, tab, &id);
    b += &named_by(ctx, table, &id);
    if table == "sources" {
        b += &contributed(ctx, &id);
    }
    let title = format!("{}: {}", table, ctx.label(table, &id));
    html::page(DEPTH, &title, &ctx.version, &b, false)
}

/// A value as shown: references become links to their records.
fn shown(ctx: &Ctx, f: &Field, text: &str) -> String {
    match &f.reference {
        Some(target) => text
            .split(';')
            .filter(|s| !s.is_empty())
            .map(|id| ctx.record_link(DEPTH, target, id))
            .collect::<Vec<_>>()
            .join("; "),
        None => esc(text),
    }
}

/// Why the kept value was kept, when the provenance row gives no resolution.
fn rule(f: Option<&Field>, agree: bool) -> &'static str {
    match f.map(|f| f.merge) {
        _ if agree => "all sources agree",
        Some(Merge::First) => "free text: the first source's wording (by source id) is kept",
        Some(Merge::Union) => "list: the union of every source's items is kept",
        _ => "the more precise of nested dates is kept",
    }
}

fn claims(ctx: &Ctx, tab: &Tab, id: &str) -> String {
    let Some(rows) = ctx.claims.get(&(tab.ts.name.clone(), id.to_string())) else {
        return String::new();
    };
    let Some(prov) = ctx.tab("provenance") else {
        return String::new();
    };
    let col = |r: &[Value], c: &str| prov.get(r, c).map(|v| v.to_string()).unwrap_or_default();
    let mut by_field: BTreeMap<usize, Vec<&[Value]>> = BTreeMap::new();
    for &r in rows {
        let pos = tab.ts.field_index(&col(r, "field")).unwrap_or(usize::MAX);
        by_field.entry(pos).or_default().push(r);
    }
    let mut b = String::from(
        "<h2 id=\"provenance\">What each source claims</h2>\n<p class=\"note\">Every value a source \
gives for this record, with where in the source it is, and which value the dataset keeps.</p>\n",
    );
    for rs in by_field.values() {
        let fname = col(rs[0], "field");
        let field = tab.ts.field(&fname);
        let agree = rs.iter().all(|r| col(r, "value") == col(rs[0], "value"));
        b += &format!(
            "<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">Source</th><th scope=\"col\">Locator</th>\
<th scope=\"col\">Value</th><th scope=\"col\">Kept</th><th scope=\"col\">Why</th></tr></thead>\n<tbody>\n",
            esc(&fname)
        );
        for &r in rs {
            let kept = prov.get(r, "kept") == Some(&Value::Bool(true));
            let why = match col(r, "resolution") {
                s if !s.is_empty() => esc(&s),
                _ => rule(field, agree).to_string(),
            };
            let value = match field {
                Some(f) => shown(ctx, f, &col(r, "value")),
                None => esc(&col(r, "value")),
            };
            b += &format!(
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                if kept { "" } else { " class=\"dropped\"" },
                ctx.record_link(DEPTH, "sources", &col(r, "source_id")),
                esc(&col(r, "locator")),
                value,
                if kept { "kept" } else { "not kept" },
                why
            );
        }
        b += "</tbody>\n</table>\n";
    }
    b
}

/// Every record that refers to this one, grouped by table.
fn named_by(ctx: &Ctx, table: &str, id: &str) -> String {
    let Some(refs) = ctx.backrefs.get(&(table.to_string(), id.to_string())) else {
        return String::new();
    };
    let mut by_table: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (t, rid, col) in refs {
        by_table.entry(t.as_str()).or_default().push(format!(
            "<li>{} <span class=\"note\">({})</span></li>",
            ctx.record_link(DEPTH, t, rid),
            esc(col)
        ));
    }
    let mut b = format!(
        "<h2 id=\"named-by\">Records that name it</h2>\n<p>{} records.</p>\n",
        refs.len()
    );
    for (t, items) in by_table {
        b += &format!(
            "<h3>{} ({})</h3>\n<ul>\n{}\n</ul>\n",
            esc(t),
            items.len(),
            items.join("\n")
        );
    }
    b
}

/// For a source: how many values it gives per table, and how many of them were kept.
fn contributed(ctx: &Ctx, source: &str) -> String {
    let Some(prov) = ctx.tab("provenance") else {
        return String::new();
    };
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in prov.rows {
        if prov.get(r, "source_id").map(|v| v.to_string()).as_deref() == Some(source) {
            let t = prov
                .get(r, "table")
                .map(|v| v.to_string())
                .unwrap_or_default();
            let e = counts.entry(t).or_default();
            e.0 += 1;
            e.1 += usize::from(prov.get(r, "kept") == Some(&Value::Bool(true)));
        }
    }
    let mut b = String::from(
        "<h2 id=\"contributed\">What it contributed</h2>\n<table>\n<thead><tr><th scope=\"col\">Table</th>\
<th scope=\"col\">Values claimed</th><th scope=\"col\">Values kept</th></tr></thead>\n<tbody>\n",
    );
    for (t, (n, k)) in counts {
        b += &format!(
            "<tr><th scope=\"row\">{}</th><td>{n}</td><td>{k}</td></tr>\n",
            link(&table_href(DEPTH, &t), &t)
        );
    }
    b + "</tbody>\n</table>\n"
}

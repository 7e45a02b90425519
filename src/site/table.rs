//! One page per table: every row, every column, with the record's id as a link to its page
//! and references as links. Sorting and filtering come from assets/table.js; without it the
//! table is complete.

use super::html::{self, esc, record_href};
use super::{Ctx, Tab, values};
use crate::model::Value;

const DEPTH: usize = 1;

pub fn page(ctx: &Ctx, tab: &Tab) -> Vec<u8> {
    let ts = tab.ts;
    let mut b = String::new();
    let desc = ts.json["description"].as_str().unwrap_or("");
    b += &format!(
        "<p>{}</p>\n<p>{} rows. Download: <a href=\"../download/csv/{n}.csv\">CSV</a> · \
<a href=\"../download/parquet/{n}.parquet\">Parquet</a>. Column meanings: \
<a href=\"#columns\">below</a>.</p>\n",
        esc(desc),
        tab.rows.len(),
        n = esc(&ts.name)
    );
    b += &format!(
        "<div class=\"scroll\"><table class=\"data\">\n<caption>{} ({} rows)</caption>\n<thead><tr>",
        esc(&ts.name),
        tab.rows.len()
    );
    for f in &ts.fields {
        b += &format!("<th scope=\"col\">{}</th>", esc(&f.name));
    }
    b += "</tr></thead>\n<tbody>\n";
    for row in tab.rows {
        b += "<tr>";
        for i in 0..ts.fields.len() {
            let cell = cell(ctx, tab, row, i);
            if i == 0 {
                b += &format!("<th scope=\"row\">{cell}</th>");
            } else {
                b += &format!("<td>{cell}</td>");
            }
        }
        b += "</tr>\n";
    }
    b += "</tbody>\n</table></div>\n";
    b += &columns(ctx, tab);
    html::page(DEPTH, &format!("Table {}", ts.name), &ctx.version, &b, true)
}

/// One cell: the record's own id links to its page; references link to theirs.
fn cell(ctx: &Ctx, tab: &Tab, row: &[Value], i: usize) -> String {
    let f = &tab.ts.fields[i];
    let v = &row[i];
    if tab.has_pages() && f.name == tab.ts.primary_key[0] {
        let id = v.to_string();
        return format!(
            "<a href=\"{}\">{}</a>",
            esc(&record_href(DEPTH, &tab.ts.name, &id)),
            esc(&id)
        );
    }
    if let Some(target) = &f.reference {
        let items: Vec<String> = values(v)
            .iter()
            .map(|id| ctx.record_link(DEPTH, target, id))
            .collect();
        return items.join("; ");
    }
    if let Some(t) = pair_target(tab, row, &f.name) {
        return ctx.record_link(DEPTH, &t, &v.to_string());
    }
    esc(&v.to_string())
}

/// For the id column of a `table`/`record_id` pair: the table it names.
pub fn pair_target(tab: &Tab, row: &[Value], col: &str) -> Option<String> {
    tab.ts
        .fields
        .iter()
        .find(|f| super::paired_id(tab.ts, &f.name).as_deref() == Some(col))
        .and_then(|f| tab.get(row, &f.name))
        .map(|v| v.to_string())
}

/// The codebook of the table: each column's meaning, type, unit and allowed values.
pub fn columns(ctx: &Ctx, tab: &Tab) -> String {
    let mut b = String::from(
        "<h2 id=\"columns\">Columns</h2>\n<table>\n<thead><tr><th scope=\"col\">Column</th>\
<th scope=\"col\">Type</th><th scope=\"col\">Meaning</th><th scope=\"col\">Allowed values</th></tr></thead>\n<tbody>\n",
    );
    for f in &tab.ts.fields {
        let ftype = f.json["type"].as_str().unwrap_or("");
        let unit = f.json["x-unit"]
            .as_str()
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        let allowed = match &f.vocabulary {
            Some(v) => ctx.schema.vocabularies[v]
                .values
                .iter()
                .map(|(k, d)| format!("<code>{}</code> {}", esc(k), esc(d)))
                .collect::<Vec<_>>()
                .join("; "),
            None => f
                .reference
                .as_ref()
                .map(|t| format!("ids of table <a href=\"{t}.html\">{}</a>", esc(t)))
                .unwrap_or_default(),
        };
        b += &format!(
            "<tr><th scope=\"row\">{}</th><td>{}{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&f.name),
            esc(ftype),
            esc(&unit),
            esc(&f.description),
            allowed
        );
    }
    b + "</tbody>\n</table>\n"
}

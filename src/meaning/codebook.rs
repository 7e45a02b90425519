//! The codebook sections for the rules of this module, rendered from schema/: which tables
//! each link relation joins, the duplicate check's thresholds, and the aggregation rules.

use crate::schema::TableSchema;
use serde_json::Value as Json;
use std::fmt::Write;

fn list(j: &Json) -> String {
    j.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(|s| format!("`{s}`")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Markdown to follow the table's column list (empty when the table has no such rules).
pub fn section(ts: &TableSchema) -> String {
    let mut s = String::new();
    if let Some(rels) = ts.json["x-relations"].as_object() {
        relations(&mut s, rels);
    }
    let d = &ts.json["x-duplicates"];
    if d.is_object() {
        duplicates(&mut s, d);
    }
    for f in &ts.fields {
        let a = &f.json["x-aggregate"];
        if a.is_object() {
            aggregation(&mut s, &f.name, a);
        }
    }
    s
}

fn relations(s: &mut String, rels: &serde_json::Map<String, Json>) {
    let _ = writeln!(
        s,
        "\nRelations (`x-relations`):\n\n| relation | from | to | acyclic | reason required |\n|---|---|---|---|---|"
    );
    for (name, r) in rels {
        let yes = |k: &str| {
            if r[k].as_bool() == Some(true) {
                "yes"
            } else {
                ""
            }
        };
        let _ = writeln!(
            s,
            "| `{name}` | {} | {} | {} | {} |",
            list(&r["from"]),
            list(&r["to"]),
            yes("acyclic"),
            yes("reason_required")
        );
    }
}

fn duplicates(s: &mut String, d: &Json) {
    let _ = writeln!(
        s,
        "\n{} Rules (`x-duplicates`): tables {}; same table: same partner, overlapping or missing dates, and title similarity (Jaccard of title words) at least {}, or at least {} with a shared actor of type {}, or the same {} and such a shared actor. Across tables: {} with overlapping dates and a shared person (both dates month or day precise) or two; {} with overlapping dates and the deal's counterparty among the event's actors.",
        d["description"].as_str().unwrap_or_default(),
        list(&d["tables"]),
        d["similar_titles"],
        d["similar_titles_with_shared_actor"],
        list(&d["specific_actor_types"]),
        list(&d["amount_fields"]),
        list(&d["same_people"]),
        list(&d["same_counterparty"]),
    );
}

/// The field's `x-aggregate` rules: by values, then by links, in the order they apply.
fn aggregation(s: &mut String, field: &str, a: &Json) {
    let _ = writeln!(
        s,
        "\nAggregation rules for `{}` (`x-aggregate`), applied in order; `{}` says which decided. A value set by hand in raw/ wins and needs `{}` (error E0411).\n\n| rule | when | note |\n|---|---|---|",
        field,
        a["note_field"].as_str().unwrap_or_default(),
        a["reason_field"].as_str().unwrap_or_default()
    );
    for r in a["rules"].as_array().into_iter().flatten() {
        let when: Vec<String> = r["when"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("`{k}` in {}", list(v)))
            .collect();
        let _ = writeln!(
            s,
            "| `{}` | {} | {} |",
            text(r, "name"),
            when.join(" and "),
            text(r, "note")
        );
    }
    for r in a["links"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "| `{}` | the `{}` side of a `{}` link, when the other side is counted and both carry one of {} | {} |",
            text(r, "name"),
            text(r, "drop"),
            text(r, "relation"),
            list(&a["carries"]),
            text(r, "note")
        );
    }
}

fn text<'a>(j: &'a Json, k: &str) -> &'a str {
    j[k].as_str().unwrap_or_default()
}

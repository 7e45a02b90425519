//! Which deals belong in sums (`for_aggregates`), decided by the rules of the field's
//! `x-aggregate` in schema/ (like AidData's "recommended for aggregates"): status and type
//! rules first, then links whose two sides carry the same money, each writing which rule
//! decided into `aggregate_note`. A value set by hand in raw/ wins, but only with a reason.

use super::links::Link;
use crate::diagnostic::{Code, Problem};
use crate::extract::Extraction;
use crate::model::{Record, Value};
use crate::reconcile::Dataset;
use crate::schema::{Schema, TableSchema};
use serde_json::Value as Json;

/// The table and field that carry `x-aggregate`, with its rules.
struct Rules<'a> {
    table: usize,
    ts: &'a TableSchema,
    field: usize,
    spec: &'a Json,
}

fn rules(schema: &Schema) -> Option<Rules<'_>> {
    schema.tables.iter().enumerate().find_map(|(ti, ts)| {
        ts.fields
            .iter()
            .position(|f| f.json.get("x-aggregate").is_some())
            .map(|fi| Rules {
                table: ti,
                ts,
                field: fi,
                spec: &ts.fields[fi].json["x-aggregate"],
            })
    })
}

fn text<'a>(j: &'a Json, key: &str) -> &'a str {
    j[key].as_str().unwrap_or_default()
}

/// A hand-set flag without its reason (E0411).
pub fn check(ex: &Extraction, records: &[Record<Value>], schema: &Schema) -> Vec<Problem> {
    let Some(r) = rules(schema) else {
        return vec![];
    };
    let reason = r.ts.field_index(text(r.spec, "reason_field"));
    let flag = r.ts.fields[r.field].raw.as_deref().unwrap_or_default();
    records
        .iter()
        .filter(|rec| rec.table == r.table)
        .filter_map(|rec| {
            let (_, _, at) = rec.fields.iter().find(|(i, _, _)| *i == r.field)?;
            let explained = rec.fields.iter().any(|(i, v, _)| {
                Some(*i) == reason && v.as_str().is_some_and(|s| !s.trim().is_empty())
            });
            (!explained).then(|| {
                Problem::new(
                    Code::AggregateReason,
                    format!("`{flag}` is set by hand without a reason"),
                )
                .at(ex.loc(*at))
                .record(&r.ts.name, &rec.id)
                .field(flag)
                .expected(format!(
                    "{} = \"why this source overrides the aggregation rules\", or remove `{flag}` and let the rules decide",
                    text(r.spec, "reason_field")
                ))
            })
        })
        .collect()
}

/// Fills the flag and the note on every row of the table that has the rules.
pub fn apply(ds: &mut Dataset, links: &[Link], schema: &Schema, hand: &[(String, String)]) {
    let Some(r) = rules(schema) else {
        return;
    };
    let Some(table) = ds.tables.iter_mut().find(|t| t.schema == r.table) else {
        return;
    };
    let (ts, spec, flag) = (r.ts, r.spec, r.field);
    let note = ts.field_index(text(spec, "note_field"));
    let reason = ts.field_index(text(spec, "reason_field"));
    let id = ts.field_index(&ts.id_field().name).unwrap();
    let set_note = |row: &mut Vec<Value>, s: String| {
        if let Some(n) = note {
            row[n] = Value::Str(s.into());
        }
    };
    let mut hand_set = vec![false; table.rows.len()];
    for (ri, row) in table.rows.iter_mut().enumerate() {
        if let Value::Bool(_) = row[flag] {
            hand_set[ri] = true;
            let rid = row[id].to_string();
            let who: Vec<&str> = hand
                .iter()
                .filter(|(i, _)| *i == rid)
                .map(|(_, s)| s.as_str())
                .collect();
            let why = reason.map(|i| row[i].to_string()).unwrap_or_default();
            let n = text(spec, "hand_set")
                .replace("{source}", &who.join(", "))
                .replace("{reason}", &why);
            set_note(row, n);
            continue;
        }
        let hit = spec["rules"].as_array().into_iter().flatten().find(|rule| {
            rule["when"].as_object().is_some_and(|when| {
                when.iter().all(|(col, vals)| {
                    let v = ts.field_index(col).map(|c| row[c].to_string());
                    vals.as_array()
                        .into_iter()
                        .flatten()
                        .any(|x| x.as_str() == v.as_deref())
                })
            })
        });
        row[flag] = Value::Bool(hit.is_none());
        let n = hit.map_or(text(spec, "counted"), |h| text(h, "note"));
        set_note(row, n.to_string());
    }
    // Links whose two sides carry the same money (or the same items): drop one side.
    let carries: Vec<usize> = spec["carries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().and_then(|c| ts.field_index(c)))
        .collect();
    let index: std::collections::HashMap<String, usize> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| (row[id].to_string(), i))
        .collect();
    for rule in spec["links"].as_array().into_iter().flatten() {
        for l in links
            .iter()
            .filter(|l| l.relation == text(rule, "relation"))
        {
            if l.from.0 != ts.name || l.to.0 != ts.name {
                continue;
            }
            let (drop, keep) = if text(rule, "drop") == "from" {
                (&l.from.1, &l.to.1)
            } else {
                (&l.to.1, &l.from.1)
            };
            let (Some(&d), Some(&k)) = (index.get(drop), index.get(keep)) else {
                continue;
            };
            let same_measure = carries
                .iter()
                .any(|&c| !table.rows[d][c].is_null() && !table.rows[k][c].is_null());
            if hand_set[d]
                || !same_measure
                || table.rows[k][flag] != Value::Bool(true)
                || table.rows[d][flag] != Value::Bool(true)
            {
                continue;
            }
            let row = &mut table.rows[d];
            row[flag] = Value::Bool(false);
            set_note(row, text(rule, "note").replace("{other}", keep));
        }
    }
}

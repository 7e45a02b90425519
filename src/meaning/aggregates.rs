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
    let (ts, spec) = (r.ts, r.spec);
    let cols = Cols {
        flag: r.field,
        note: ts.field_index(text(spec, "note_field")),
        reason: ts.field_index(text(spec, "reason_field")),
        id: ts.field_index(&ts.id_field().name).unwrap(),
    };
    let hand_set: Vec<bool> = (table.rows.iter_mut())
        .map(|row| by_rules(row, &r, &cols, hand))
        .collect();
    by_links(&mut table.rows, links, &r, &cols, &hand_set);
}

/// The columns `apply` reads and writes.
struct Cols {
    flag: usize,
    note: Option<usize>,
    reason: Option<usize>,
    id: usize,
}

impl Cols {
    fn set_note(&self, row: &mut [Value], s: String) {
        if let Some(n) = self.note {
            row[n] = Value::Str(s.into());
        }
    }
}

/// The flag of one row by the status and type rules, and its note; true when the flag was
/// set by hand (kept, with a note naming who set it and why).
fn by_rules(row: &mut [Value], r: &Rules, cols: &Cols, hand: &[(String, String)]) -> bool {
    let (ts, spec) = (r.ts, r.spec);
    if let Value::Bool(_) = row[cols.flag] {
        let rid = row[cols.id].to_string();
        let who: Vec<&str> = (hand.iter())
            .filter(|(i, _)| *i == rid)
            .map(|(_, s)| s.as_str())
            .collect();
        let why = cols.reason.map(|i| row[i].to_string()).unwrap_or_default();
        let n = text(spec, "hand_set")
            .replace("{source}", &who.join(", "))
            .replace("{reason}", &why);
        cols.set_note(row, n);
        return true;
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
    row[cols.flag] = Value::Bool(hit.is_none());
    let n = hit.map_or(text(spec, "counted"), |h| text(h, "note"));
    cols.set_note(row, n.to_string());
    false
}

/// Links whose two sides carry the same money (or the same items): one side is dropped from
/// sums, unless it was set by hand or either side is already out.
fn by_links(rows: &mut [Vec<Value>], links: &[Link], r: &Rules, cols: &Cols, hand_set: &[bool]) {
    let (ts, spec, flag) = (r.ts, r.spec, cols.flag);
    let carries: Vec<usize> = spec["carries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().and_then(|c| ts.field_index(c)))
        .collect();
    let index: std::collections::HashMap<String, usize> = (rows.iter().enumerate())
        .map(|(i, row)| (row[cols.id].to_string(), i))
        .collect();
    for rule in spec["links"].as_array().into_iter().flatten() {
        let of_rule = links
            .iter()
            .filter(|l| l.relation == text(rule, "relation"));
        for l in of_rule.filter(|l| l.from.0 == ts.name && l.to.0 == ts.name) {
            let (drop, keep) = if text(rule, "drop") == "from" {
                (&l.from.1, &l.to.1)
            } else {
                (&l.to.1, &l.from.1)
            };
            let (Some(&d), Some(&k)) = (index.get(drop), index.get(keep)) else {
                continue;
            };
            let same_measure =
                (carries.iter()).any(|&c| !rows[d][c].is_null() && !rows[k][c].is_null());
            let counted = |i: usize| rows[i][flag] == Value::Bool(true);
            if hand_set[d] || !same_measure || !counted(k) || !counted(d) {
                continue;
            }
            rows[d][flag] = Value::Bool(false);
            cols.set_note(&mut rows[d], text(rule, "note").replace("{other}", keep));
        }
    }
}

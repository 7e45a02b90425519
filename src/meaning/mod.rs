//! Meaning, not only form (issue 10), checked like syntax:
//! - typed links between records, the probable-duplicate check and the aggregation rules
//!   ([`links`], [`duplicates`], [`aggregates`]): checked in [`validate`], applied by [`apply`]
//!   after reconcile;
//! - CAMEO codes that fit the kind of event, amounts in one currency, and inferred values
//!   marked ([`cameo`], [`currency`], [`derived`]): [`validate`] at the validate stage, then,
//!   after reconcile, [`enrich`] fills the columns whose schema field says
//!   `"x-derive": {"part": …}` with one of [`DERIVE_PARTS`], and the `exchange_rates` table.

pub mod aggregates;
pub mod cameo;
pub mod codebook;
pub mod currency;
pub mod derived;
pub mod doc;
pub mod duplicates;
pub mod links;

use crate::diagnostic::{Code, Loc, Problem};
use crate::extract::Extraction;
use crate::model::{Record, Value};
use crate::provenance::Provenance;
use crate::reconcile::Dataset;
use crate::schema::{Derive, Schema, TableSchema};

/// `x-derive` parts computed here rather than in reconcile.
pub const DERIVE_PARTS: &[&str] = &[
    "cameo_label",
    "convert",
    "conversion_note",
    "derived_fields",
    "derived_reason",
];

/// Files of schema/ read by these checks (loaded with the schema, so they are hashed with it).
pub const SCHEMA_FILES: &[&str] = &[cameo::RULES_FILE, currency::META_FILE, currency::CSV_FILE];

/// Validate-stage checks: the computed columns' specs, the CAMEO rule table and every event's
/// code, the rate snapshot, every link and every hand-set aggregation flag.
pub fn validate(ex: &Extraction, records: &[Record<Value>], schema: &Schema) -> Vec<Problem> {
    let mut problems = check_specs(schema);
    problems.extend(links::resolve(ex, records, schema).1);
    problems.extend(aggregates::check(ex, records, schema));
    match cameo::Rules::load(schema) {
        Ok(rules) => problems.extend(rules.check(ex, records, schema)),
        Err(p) => problems.extend(p),
    }
    if let Err(p) = currency::Rates::of(schema) {
        problems.push(p);
    }
    problems
}

/// Every column a computed field reads (`from`, `unit`, `date`, `year` of its `x-derive`)
/// exists: a typo in schema/ must not silently give null conversions.
fn check_specs(schema: &Schema) -> Vec<Problem> {
    let mut problems = vec![];
    for ts in &schema.tables {
        for f in ts
            .fields
            .iter()
            .filter(|f| matches!(f.derive, Some(Derive::Meaning(_))))
        {
            for key in ["from", "unit", "date", "year"] {
                let Some(name) = f.json["x-derive"][key].as_str() else {
                    continue;
                };
                if ts.field_index(name).is_none() {
                    let rel = format!("tables/{}.json", ts.name);
                    let needle = format!("\"{key}\": \"{name}\"");
                    problems.push(
                        schema_problem(Code::Schema, schema, &rel, &needle, format!(
                            "table `{}`, field `{}`: x-derive `{key}` names unknown field `{name}`",
                            ts.name, f.name
                        ))
                        .expected(format!("a field of table `{}`", ts.name)),
                    );
                }
            }
        }
    }
    problems
}

/// Fills the computed columns of a reconciled dataset and builds `exchange_rates`.
pub fn enrich(ds: &mut Dataset, schema: &Schema) -> Vec<Problem> {
    let rates = match currency::Rates::of(schema) {
        Ok(r) => r,
        Err(p) => return vec![p],
    };
    derived::mark(ds, schema);
    for table in &mut ds.tables {
        let ts = &schema.tables[table.schema];
        if ts.name == "exchange_rates" {
            table.rows = rates.table(ts, schema);
            continue;
        }
        for (fi, f) in ts.fields.iter().enumerate() {
            // (The derived marks were filled by derived::mark.)
            let Some(Derive::Meaning(part)) = &f.derive else {
                continue;
            };
            let label = part == "cameo_label";
            if !label && part != "convert" && part != "conversion_note" {
                continue;
            }
            // Each row's value depends on that row alone: rows on every core (issue 13).
            crate::parallel::chunks_mut(&mut table.rows, |rows| {
                for row in rows {
                    row[fi] = if label {
                        cameo::label(ts, f, row, schema)
                    } else {
                        rates.convert(ts, f, part, row)
                    };
                }
            });
        }
    }
    vec![]
}

/// The column named by key `key` of a field's `x-derive` spec, as a value of `row`.
pub(crate) fn spec_value<'a>(
    ts: &TableSchema,
    f: &crate::schema::Field,
    key: &str,
    row: &'a [Value],
) -> &'a Value {
    f.json["x-derive"][key]
        .as_str()
        .and_then(|name| ts.field_index(name))
        .map_or(&Value::Null, |i| &row[i])
}

/// A located problem in a schema/ file (whole file when `needle` is not found).
pub(crate) fn schema_problem(
    code: Code,
    schema: &Schema,
    rel: &str,
    needle: &str,
    msg: String,
) -> Problem {
    let path = format!("schema/{rel}");
    let text = schema
        .file(rel)
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let loc = match text.as_deref().and_then(|t| t.find(needle).map(|i| (t, i))) {
        Some((t, i)) if !needle.is_empty() => Loc::at(&path, t, i..i + needle.len()),
        _ => Loc::file(path),
    };
    Problem::new(code, msg).at(loc)
}

/// The (record id, source id) of every record that sets an aggregation flag by hand, sorted:
/// read before the merge lets go of the records' values (`reconcile::run`).
pub fn aggregation_set_by_hand(
    ex: &Extraction,
    records: &[Record<Value>],
    schema: &Schema,
) -> Vec<(String, String)> {
    // Which fields are aggregation flags, per table (looked up once, not once per value).
    let flag: Vec<Vec<bool>> = (schema.tables.iter())
        .map(|ts| {
            (ts.fields.iter())
                .map(|f| f.json.get("x-aggregate").is_some())
                .collect()
        })
        .collect();
    let mut hand: Vec<(String, String)> = vec![];
    for r in records {
        if r.fields.iter().any(|(i, _, _)| flag[r.table][*i]) {
            hand.push((r.id.clone(), ex.sources[r.source as usize].id.clone()));
        }
    }
    hand.sort();
    hand
}

/// After reconcile: fills the links table (and its provenance rows) and `for_aggregates`,
/// and returns the probable duplicates that nothing resolves. Reads of `records` only their
/// table, id and position (their values may have been let go); `hand` is
/// `aggregation_set_by_hand`.
pub fn apply(
    ex: &Extraction,
    records: &[Record<Value>],
    hand: &[(String, String)],
    ds: &mut Dataset,
    schema: &Schema,
) -> Vec<Problem> {
    let (links, _) = links::resolve(ex, records, schema);
    let (rows, prov) = links::rows(ex, &links, schema);
    let (mut rows, mut prov) = (Some(rows), Some(prov));
    for t in ds.tables.iter_mut() {
        match schema.tables[t.schema].name.as_str() {
            "links" => t.rows = rows.take().unwrap_or_default(),
            "provenance" => {
                if let Some(claims) = &mut t.claims {
                    splice_provenance(claims, prov.take().unwrap_or_default(), schema);
                }
            }
            _ => {}
        }
    }
    aggregates::apply(ds, &links, schema, hand);
    duplicates::check(ex, records, ds, &links, schema)
}

/// Inserts the links' provenance rows where a global sort by (table, record_id, field,
/// source_id) would put them: tables are in name order, so after every table before `links`.
fn splice_provenance(claims: &mut Provenance, mut add: Vec<Vec<Value>>, schema: &Schema) {
    use crate::provenance::{Cell, TABLE};
    let Some(pt) = schema.table("provenance") else {
        return;
    };
    let col = |n: &str| pt.field_index(n).unwrap_or(0);
    let (r, f, s) = (col("record_id"), col("field"), col("source_id"));
    let key = |row: &Vec<Value>| (row[r].to_string(), row[f].to_string(), row[s].to_string());
    add.sort_by_key(key);
    let mut rows = claims.empty();
    add.iter().for_each(|row| rows.push_values(row));
    // Provenance is sorted by table: the rows of tables up to `links` come first (a binary
    // search; the linear scan formatted millions of cells).
    let at = claims.partition_point(TABLE, |c| match c {
        Cell::Text(name) => name <= "links",
        _ => true,
    });
    claims.splice(at, rows);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_fields_must_name_existing_columns() {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/schema"));
        let mut schema = Schema::load(dir).unwrap();
        assert!(check_specs(&schema).is_empty());
        let deals = schema
            .tables
            .iter_mut()
            .find(|t| t.name == "deals")
            .unwrap();
        let f = deals
            .fields
            .iter_mut()
            .find(|f| f.name == "amount_usd")
            .unwrap();
        f.json["x-derive"]["unit"] = serde_json::json!("curency");
        let p = check_specs(&schema);
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("unknown field `curency`"), "{p:?}");
    }
}

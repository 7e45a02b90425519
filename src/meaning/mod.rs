//! Meaning, checked like syntax (issue 10): typed links between records, the
//! probable-duplicate check and the aggregation rules. Hooked into the pipeline at two
//! points: `check` after validate, `apply` after reconcile.

pub mod aggregates;
pub mod codebook;
pub mod duplicates;
pub mod links;

use crate::diagnostic::Problem;
use crate::extract::Extraction;
use crate::model::{Record, Value};
use crate::reconcile::Dataset;
use crate::schema::Schema;

/// After validate: every link and every hand-set aggregation flag.
pub fn check(ex: &Extraction, records: &[Record<Value>], schema: &Schema) -> Vec<Problem> {
    let (_, mut problems) = links::resolve(ex, records, schema);
    problems.extend(aggregates::check(ex, records, schema));
    problems
}

/// After reconcile: fills the links table (and its provenance rows) and `for_aggregates`,
/// and returns the probable duplicates that nothing resolves.
pub fn apply(
    ex: &Extraction,
    records: &[Record<Value>],
    ds: &mut Dataset,
    schema: &Schema,
) -> Vec<Problem> {
    let (links, _) = links::resolve(ex, records, schema);
    let (rows, prov) = links::rows(ex, &links, schema);
    for t in ds.tables.iter_mut() {
        match schema.tables[t.schema].name.as_str() {
            "links" => t.rows = rows.clone(),
            "provenance" => splice_provenance(&mut t.rows, prov.clone(), schema),
            _ => {}
        }
    }
    // Which sources set the aggregation flag by hand, for the note.
    let mut hand: Vec<(String, String)> = vec![];
    for r in records {
        let ts = &schema.tables[r.table];
        if r.fields
            .iter()
            .any(|(i, _, _)| ts.fields[*i].json.get("x-aggregate").is_some())
        {
            hand.push((r.id.clone(), ex.sources[r.source as usize].id.clone()));
        }
    }
    hand.sort();
    aggregates::apply(ds, &links, schema, &hand);
    duplicates::check(ex, records, ds, &links, schema)
}

/// Inserts the links' provenance rows where a global sort by (table, record_id, field,
/// source_id) would put them: tables are in name order, so after every table before `links`.
fn splice_provenance(rows: &mut Vec<Vec<Value>>, mut add: Vec<Vec<Value>>, schema: &Schema) {
    let Some(pt) = schema.table("provenance") else {
        return;
    };
    let col = |n: &str| pt.field_index(n).unwrap_or(0);
    let (t, r, f, s) = (
        col("table"),
        col("record_id"),
        col("field"),
        col("source_id"),
    );
    let key = |row: &Vec<Value>| (row[r].to_string(), row[f].to_string(), row[s].to_string());
    add.sort_by_key(key);
    let at = rows
        .iter()
        .position(|row| row[t].to_string().as_str() > "links")
        .unwrap_or(rows.len());
    rows.splice(at..at, add);
}

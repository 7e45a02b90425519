//! Inferred values are marked: a field an annotator marks `derived = { field = "reason" }`
//! in raw/ gets the reason in its provenance row (`derived_reason`), and when that claim is
//! the kept value, the field is listed in the row's `derived_fields`.

use crate::extract::Extraction;
use crate::model::{Record, Value};
use crate::reconcile::Dataset;
use crate::schema::{Derive, Schema};
use std::collections::{HashMap, HashSet};

type Key<'a> = (&'a str, &'a str, &'a str);

pub fn mark(ds: &mut Dataset, ex: &Extraction, records: &[Record<Value>], schema: &Schema) {
    // (table, record id, field, source id) → reason.
    let mut reasons: HashMap<(Key, &str), &str> = HashMap::new();
    for r in records {
        let t = &schema.tables[r.table];
        for (fi, why) in &r.derived {
            let key = (t.name.as_str(), r.id.as_str(), t.fields[*fi].name.as_str());
            reasons.insert(
                (key, ex.sources[r.source as usize].id.as_str()),
                why.as_str(),
            );
        }
    }
    let kept = mark_provenance(ds, &reasons);
    for table in &mut ds.tables {
        let ts = &schema.tables[table.schema];
        let Some(col) = ts
            .fields
            .iter()
            .position(|f| matches!(&f.derive, Some(Derive::Meaning(p)) if p == "derived_fields"))
        else {
            continue;
        };
        let id = ts.field_index(&ts.id_field().name).unwrap();
        for row in &mut table.rows {
            let key = (ts.name.clone(), row[id].to_string());
            let fields = match kept.get(&key) {
                // In schema order, whatever order provenance listed them in.
                Some(names) => ts
                    .fields
                    .iter()
                    .filter(|f| names.contains(&f.name))
                    .map(|f| f.name.clone())
                    .collect(),
                None => vec![],
            };
            row[col] = Value::List(fields);
        }
    }
}

/// Writes each derived claim's reason into provenance; returns the (table, id, field) whose
/// kept value is derived.
fn mark_provenance(
    ds: &mut Dataset,
    reasons: &HashMap<(Key, &str), &str>,
) -> HashMap<(String, String), HashSet<String>> {
    use crate::provenance::{Cell, DERIVED_REASON, FIELD, KEPT, RECORD_ID, SOURCE_ID, TABLE};
    let mut kept = HashMap::new();
    let Some(prov) = ds.provenance_mut() else {
        return kept;
    };
    for i in 0..prov.len() {
        let text = |col| prov.claim_text(i, col);
        let key = (text(TABLE), text(RECORD_ID), text(FIELD));
        if let Some(why) = reasons.get(&(key, text(SOURCE_ID))) {
            if matches!(prov.claim(i, KEPT), Cell::Bool(true)) {
                kept.entry((key.0.to_string(), key.1.to_string()))
                    .or_insert_with(HashSet::new)
                    .insert(key.2.to_string());
            }
            prov.set_text(i, DERIVED_REASON, why);
        }
    }
    kept
}

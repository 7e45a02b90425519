//! Inferred values are marked: a field an annotator marks `derived = { field = "reason" }`
//! in raw/ gets the reason in its provenance row (`derived_reason`, written by reconcile
//! with the claim), and when that claim is the kept value, the field is listed in the row's
//! `derived_fields`.

use crate::model::Value;
use crate::provenance::{Cell, DERIVED_REASON, FIELD, KEPT, RECORD_ID, TABLE};
use crate::reconcile::Dataset;
use crate::schema::{Derive, Schema};
use std::collections::{HashMap, HashSet};

/// table → record id → the fields whose kept value is derived.
type Kept = HashMap<String, HashMap<String, HashSet<String>>>;

pub fn mark(ds: &mut Dataset, schema: &Schema) {
    let kept = kept_derived(ds);
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
        let of_table = kept.get(&ts.name);
        for row in &mut table.rows {
            let names = (row[id].as_str()).and_then(|id| of_table?.get(id));
            let fields = match names {
                // In schema order, whatever order provenance listed them in.
                Some(names) => (ts.fields.iter())
                    .filter(|f| names.contains(&f.name))
                    .map(|f| f.name.clone())
                    .collect(),
                None => vec![],
            };
            row[col] = Value::List(fields.into());
        }
    }
}

/// The (table, id, field) whose kept claim has a derived reason.
fn kept_derived(ds: &Dataset) -> Kept {
    let mut kept = Kept::new();
    let Some(prov) = ds.tables.iter().find_map(|t| t.claims.as_ref()) else {
        return kept;
    };
    for i in prov.rows_with(DERIVED_REASON) {
        if matches!(prov.claim(i, KEPT), Cell::Bool(true)) {
            let text = |col| prov.claim_text(i, col).to_string();
            (kept.entry(text(TABLE)).or_default())
                .entry(text(RECORD_ID))
                .or_default()
                .insert(text(FIELD));
        }
    }
    kept
}

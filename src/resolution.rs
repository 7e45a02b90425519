//! `[[resolution]]`s: which claim of a record's field the dataset keeps, or — for free text
//! only — a new wording (`merged = "…"`) that replaces every source's words. The rules an
//! annotator relies on are enforced here, each with a located error:
//!
//! - a resolution gives exactly one of `value` and `merged` (E0301 when neither, E0405 both);
//! - `merged` is only for free-text fields (`x-merge: first`), and is not empty (E0405);
//! - at most one resolution per (table, id, field), in all of raw/ (E0404): two would let the
//!   last one win silently;
//! - a `value` must be one of the claimed values, on every kind of field (E0402, reconcile).

use crate::diagnostic::{Code, Problem};
use crate::extract::Extraction;
use crate::model::{Pos, Resolution, Value};
use crate::schema::{Merge, Schema};
use std::collections::HashMap;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The record and field a `[[resolution]]` names, for its messages.
pub struct Target<'a> {
    pub file: u32,
    pub table: usize,
    pub id: &'a str,
    pub field: usize,
    pub raw_field: &'a str,
    /// The whole `[[resolution]]` entry.
    pub here: Pos,
}

type Located = Vec<(Problem, Option<Pos>)>;

/// The TOML value a resolution keeps, and whether it is a `merged` wording.
pub fn kept_value<'a, 'i>(
    t: &'a DeTable<'i>,
    target: &Target,
    schema: &Schema,
    problems: &mut Located,
) -> Option<(&'a Spanned<DeValue<'i>>, bool)> {
    let ts = &schema.tables[target.table];
    let problem = |code, msg: &str| {
        Problem::new(code, msg)
            .record(&ts.name, target.id)
            .field(target.raw_field)
    };
    let at = |sp: std::ops::Range<usize>| Some(crate::extract::pos(target.file, sp));
    match (t.get("value"), t.get("merged")) {
        (Some(v), None) => Some((v, false)),
        (None, None) => {
            problems.push((
                problem(Code::Required, "a [[resolution]] needs the `value` that is kept")
                    .expected("value = the value to keep, as one of the sources claims it (or merged = \"new wording\" for free text)"),
                Some(target.here),
            ));
            None
        }
        (Some(_), Some(m)) => {
            problems.push((
                problem(
                    Code::ResolutionForm,
                    "a [[resolution]] gives both `value` and `merged`",
                )
                .expected(
                    "either value = a claimed value, or merged = \"new wording\" (free text only)",
                ),
                at(m.span()),
            ));
            None
        }
        (None, Some(m)) => match merged_wording(m, &ts.fields[target.field], target.raw_field) {
            Ok(()) => Some((m, true)),
            Err((msg, expected)) => {
                let p = problem(Code::ResolutionForm, &msg).expected(expected);
                problems.push((p, at(m.span())));
                None
            }
        },
    }
}

/// `merged = "new wording"`: only for a free-text field, and not empty. Err: what is wrong and
/// what is expected (a `ResolutionForm` problem).
fn merged_wording(
    m: &Spanned<DeValue>,
    field: &crate::schema::Field,
    raw_field: &str,
) -> Result<(), (String, &'static str)> {
    if field.merge != Merge::First {
        let kind = if field.merge == Merge::Union {
            "a list"
        } else {
            "a structured"
        };
        return Err((
            format!("`merged` is only for free-text fields; `{raw_field}` is {kind} field"),
            "value = one of the values the sources claim",
        ));
    }
    match m.get_ref() {
        DeValue::String(s) if !s.trim().is_empty() => Ok(()),
        _ => Err((
            "`merged` must be non-empty text".into(),
            "merged = \"the wording the dataset publishes\"",
        )),
    }
}

/// Resolutions by (table, id, field). A second resolution for the same field is an error
/// naming both. (Reconcile reports the ones no record used.)
pub type Index<'a> = HashMap<(usize, &'a str, usize), &'a Resolution<Value>>;

pub fn index<'a>(
    ex: &Extraction,
    resolutions: &'a [Resolution<Value>],
    schema: &Schema,
    problems: &mut Vec<Problem>,
) -> Index<'a> {
    let mut index: Index = HashMap::new();
    for r in resolutions {
        let key = (r.table, r.id.as_str(), r.field);
        // Its texts are published (the kept or merged value, the reason in provenance).
        let value = match &r.value {
            Value::Str(s) => crate::limits::text(s, true),
            Value::List(l) => crate::limits::list(l),
            _ => None,
        };
        if let Some((code, msg, expected)) = value.or_else(|| crate::limits::text(&r.reason, true))
        {
            let t = &schema.tables[r.table];
            problems.push(
                Problem::new(code, msg)
                    .at(ex.loc(r.pos))
                    .record(&t.name, &r.id)
                    .expected(expected),
            );
        }
        if let Some(first) = index.get(&key) {
            let t = &schema.tables[r.table];
            let field = t.fields[r.field].raw.as_deref().unwrap_or_default();
            problems.push(
                Problem::new(
                    Code::DuplicateResolution,
                    format!(
                        "a second [[resolution]] for `{field}` of {} `{}`",
                        t.raw_table.as_deref().unwrap_or(&t.name),
                        r.id
                    ),
                )
                .at(ex.loc(r.pos))
                .note(ex.loc(first.pos), "the first resolution")
                .record(&t.name, &r.id)
                .field(field)
                .expected("one [[resolution]] per record and field; keep one and delete the other"),
            );
            continue;
        }
        index.insert(key, r);
    }
    index
}

/// The provenance `resolution` cell of one claim: `merged: <reason>` on every claim of a
/// merged field, the reason on the kept claim of a resolved one, else empty.
pub fn note(r: Option<&Resolution<Value>>, is_kept: bool) -> Value {
    match r {
        Some(r) if r.merged => Value::Str(format!("merged: {}", r.reason).into()),
        Some(r) if is_kept => Value::Str(r.reason.as_str().into()),
        _ => Value::Null,
    }
}

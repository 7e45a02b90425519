//! What every output format can hold, checked in validate where the annotator's line is known,
//! so that no input the build accepts can make export fail or publish something other than
//! what was written (docs/ERRORS.md, "Output limits"):
//!
//! - text: no control characters (NUL, ESC…; free text may hold tabs and line breaks), at
//!   most `MAX_CELL_CHARS` characters once the formula guard is applied (Excel's cell limit);
//!   a required text is not empty (Parquet's required columns have no missing values);
//! - lists: items are not empty and hold no `;` (the CSV and the workbook join items with `;`);
//! - numbers: integers and amounts within ±2^53, so that every format (the workbook's
//!   doubles, JSON, pandas) holds them exactly (checked in normalise: `number`).
//!
//! The other limits are rules of export: Excel's 1,048,576 rows continue on further sheets
//! (`xlsx.rs`); columns and sheet names are bounded by the schema loader (`schema_check.rs`).

use crate::diagnostic::{Code, Problem};
use crate::extract::Extraction;
use crate::model::{Pos, Record, Value};
use crate::normalise::Failure;
use crate::schema::{FieldType, Merge, TableSchema};

/// Excel's limit on the characters of one cell.
pub const MAX_CELL_CHARS: usize = 32_767;

/// 2^53: integers up to this magnitude are exact in a double.
pub const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// Every text of one record: its id, its locator and its text and list values.
pub fn record(ex: &Extraction, t: &TableSchema, r: &Record<Value>) -> Vec<Problem> {
    let mut out = vec![];
    let mut push = |failure: Option<Failure>, field: &str, pos: Pos| {
        if let Some((code, msg, expected)) = failure {
            out.push(
                Problem::new(code, msg)
                    .at(ex.loc(pos))
                    .record(&t.name, &r.id)
                    .field(field)
                    .expected(expected),
            );
        }
    };
    // The id is a cell too (its pattern does not bound its length).
    push(text(&r.id, false), &t.id_field().name, r.pos);
    push(text(&r.locator, false), "locator", r.pos);
    for (fi, v, pos) in &r.fields {
        let f = &t.fields[*fi];
        let name = f.raw.as_deref().unwrap_or(&f.name);
        let free = f.merge == Merge::First;
        match v {
            Value::Str(s) if f.required && s.trim().is_empty() => push(
                Some((
                    Code::Required,
                    format!("required field `{name}` is empty"),
                    format!("{name} = \"…\" ({})", f.description),
                )),
                name,
                *pos,
            ),
            Value::Str(s) => push(text(s, free), name, *pos),
            Value::List(items) => push(list(items), name, *pos),
            _ => {}
        }
    }
    out
}

/// A text value: control characters and length. `free` text may hold tabs and line breaks.
pub fn text(s: &str, free: bool) -> Option<Failure> {
    // Performance (issue 13): most text is printable ASCII well under the limit, which a
    // scan of its bytes shows (the formula guard adds at most one character).
    if s.len() < MAX_CELL_CHARS && s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return None;
    }
    if let Some(c) = s
        .chars()
        .find(|&c| c.is_control() && !(free && matches!(c, '\t' | '\n' | '\r')))
    {
        return Some((
            Code::ControlCharacter,
            format!("the text holds the control character U+{:04X}", c as u32),
            if free {
                "printable text; tabs and line breaks only".into()
            } else {
                "printable text on one line".into()
            },
        ));
    }
    let n = crate::guard::guard(s).chars().count();
    (n > MAX_CELL_CHARS).then(|| {
        (
            Code::CellTooLong,
            format!("the text is {n} characters long (as published)"),
            format!("at most {MAX_CELL_CHARS} characters, Excel's limit for one cell; shorten it"),
        )
    })
}

/// A list value: its items, and the cell they make when joined with `;`.
pub fn list(items: &[String]) -> Option<Failure> {
    if let Some(i) = items.iter().position(|x| x.is_empty() || x.contains(';')) {
        return Some((
            Code::ListItem,
            format!("list item {} is `{}`", i + 1, items[i]),
            "non-empty items without `;` (published lists join their items with `;`)".into(),
        ));
    }
    items
        .iter()
        .find_map(|x| text(x, false))
        .or_else(|| text(&items.join(";"), false))
}

/// A number for a column of type `ftype`: exact in every output format.
pub fn number(ftype: FieldType, v: &Value) -> Option<Failure> {
    let exact = match v {
        Value::Int(i) => i.unsigned_abs() <= MAX_EXACT as u64,
        Value::Num(n) => n.is_finite() && n.abs() <= MAX_EXACT,
        _ => return None,
    };
    (!exact).then(|| too_large(&v.to_string(), ftype == FieldType::Integer))
}

/// The failure for a number beyond ±2^53 (`what` as written, or as scaled).
pub fn too_large(what: &str, integer: bool) -> Failure {
    (
        Code::NumberTooLarge,
        format!("`{what}` is too large to publish exactly"),
        format!(
            "a {} between -2^53 and 2^53 (±9007199254740992), which every output format holds exactly",
            if integer { "whole number" } else { "number" }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The printable-ASCII shortcut agrees with the full check at its edges.
    #[test]
    fn text_checks_agree_at_the_shortcut_edges() {
        let code = |s: &str, free| text(s, free).map(|f| f.0);
        assert_eq!(code("a\u{7f}b", true), Some(Code::ControlCharacter));
        assert_eq!(code("a\u{85}b", true), Some(Code::ControlCharacter));
        assert_eq!(code("a\tb", false), Some(Code::ControlCharacter));
        assert_eq!(code("a\tb", true), None);
        let long = |first: &str, n: usize| format!("{first}{}", "x".repeat(n - 1));
        assert_eq!(code(&long("=", MAX_CELL_CHARS - 1), false), None);
        assert_eq!(
            code(&long("=", MAX_CELL_CHARS), false),
            Some(Code::CellTooLong)
        );
        assert_eq!(code(&long("x", MAX_CELL_CHARS), false), None);
        assert_eq!(
            code(&long("x", MAX_CELL_CHARS + 1), false),
            Some(Code::CellTooLong)
        );
    }
}

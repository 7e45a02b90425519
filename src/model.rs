//! The data that flows between stages: raw records from extraction files, and the typed
//! values they become.

use chrono::NaiveDate;

/// A position in an extraction file: file index (into `Extraction::files`) and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub file: u32,
    pub start: u32,
    pub end: u32,
}

/// A value as written in TOML, before normalisation.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<String>),
    /// A bare TOML date or date-time (`date = 2019-09-07`), as written.
    Datetime(String),
}

impl RawValue {
    pub fn type_name(&self) -> &'static str {
        match self {
            RawValue::Str(_) => "a string",
            RawValue::Int(_) => "an integer",
            RawValue::Float(_) => "a float",
            RawValue::Bool(_) => "a boolean",
            RawValue::List(_) => "an array",
            RawValue::Datetime(_) => "a TOML date",
        }
    }
}

/// How precise a partial date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    Year,
    Month,
    Day,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Year => "year",
            Precision::Month => "month",
            Precision::Day => "day",
        }
    }
}

/// A date as precise as the source allows (`2019`, `2019-09`, `2019-09-07`, or a range
/// `START/END`), with the first and last day it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialDate {
    pub text: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub precision: Precision,
}

impl PartialDate {
    /// True when every day of `other` lies within `self`.
    pub fn contains(&self, other: &PartialDate) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// A normalised, typed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Str(std::sync::Arc<str>),
    Int(i64),
    Num(f64),
    Bool(bool),
    Date(NaiveDate),
    /// Boxed: the largest variant otherwise, and every value of a row would pay for it.
    PDate(Box<PartialDate>),
    /// A boxed slice, not a `Vec` (memory, issue 13): with a `Vec`, every value of every row
    /// took 32 bytes, not 24.
    List(Box<[String]>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// `YYYY-MM-DD`, as chrono's `%Y-%m-%d` writes it. Performance: chrono parses the format
/// string on every call, which was a visible share of a build; years outside 0..=9999 (which
/// `%Y` writes with a sign) still go through chrono.
fn write_date(f: &mut std::fmt::Formatter<'_>, d: NaiveDate) -> std::fmt::Result {
    use chrono::Datelike;
    match d.year() {
        y @ 0..=9999 => write!(f, "{y:04}-{:02}-{:02}", d.month(), d.day()),
        _ => write!(f, "{}", d.format("%Y-%m-%d")),
    }
}

impl std::fmt::Display for Value {
    /// The canonical text form, used in CSV cells and the provenance table.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Num(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Date(d) => write_date(f, *d),
            Value::PDate(p) => f.write_str(&p.text),
            Value::List(l) => f.write_str(&l.join(";")),
        }
    }
}

/// One record of one extraction file: everything a single source says about it.
#[derive(Debug, Clone)]
pub struct Record<V> {
    /// Index of the table in `Schema::tables`.
    pub table: usize,
    pub id: String,
    /// Index into `Extraction::sources`.
    pub source: u32,
    pub locator: String,
    /// Where the record's `id` is (or its table header).
    pub pos: Pos,
    /// (field index in the table schema, value, where the value is).
    pub fields: Vec<(usize, V, Pos)>,
    /// Fields the annotator marks as derived, with the reason (for `pillars verify`).
    pub derived: Vec<(usize, String)>,
}

/// A `[[resolution]]`: which value of a disagreement is kept, and why.
#[derive(Debug, Clone)]
pub struct Resolution<V> {
    pub table: usize,
    pub id: String,
    pub field: usize,
    /// The value kept; with `merged`, the new wording of a free-text field.
    pub value: V,
    /// True for `merged = "…"`: `value` is the annotator's own wording, which no source
    /// claims, and every claim stays in provenance with kept = false.
    pub merged: bool,
    pub reason: String,
    pub pos: Pos,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast date text is chrono's `%Y-%m-%d`, in and outside the fast path's years.
    #[test]
    fn date_text_is_chronos() {
        for (y, m, d) in [
            (1, 1, 1),
            (999, 12, 31),
            (1774, 7, 21),
            (2019, 9, 7),
            (9999, 12, 31),
        ]
        .into_iter()
        .chain([(10000, 1, 1), (-44, 3, 15), (0, 2, 29)])
        {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let want = date.format("%Y-%m-%d").to_string();
            assert_eq!(Value::Date(date).to_string(), want, "{y}-{m}-{d}");
        }
    }
}

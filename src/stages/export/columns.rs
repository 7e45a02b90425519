//! Arrow columns from rows, for the Parquet writer. Performance (issue 13): one pass over
//! the rows appends every cell to its column's builder, instead of one pass over all rows per
//! column (each row is its own allocation, so column-by-column passes missed the cache on
//! every cell).

use super::arrow_type;
use crate::model::Value;
use crate::provenance::Cell;
use crate::reconcile::Table;
use crate::schema::{Field, TableSchema};
use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, ListBuilder,
    StringBuilder, StringDictionaryBuilder,
};
use arrow::datatypes::{DataType, Int32Type};
use std::borrow::Cow;
use std::sync::Arc;

/// The columns of `t`'s rows `rows`, in schema order. A column marked in `with_nulls` gets
/// a validity buffer even when none of these rows is missing (see `missing_anywhere`).
pub fn columns(
    ts: &TableSchema,
    t: &Table,
    rows: std::ops::Range<usize>,
    with_nulls: &[bool],
) -> Vec<ArrayRef> {
    let n = rows.len();
    let mut builders: Vec<Builder> = ts.fields.iter().map(|f| Builder::new(f, n)).collect();
    match &t.claims {
        // Provenance is stored by column: read a column at a time.
        Some(p) => {
            for (pos, b) in builders.iter_mut().enumerate() {
                match (b, p.texts(pos, rows.clone())) {
                    // Empty text is missing, as everywhere (`text`).
                    (Builder::Text(b), Some(texts)) => {
                        texts.for_each(|s| b.append_option(s.filter(|s| !s.is_empty())))
                    }
                    (b, _) => p.column(pos, rows.clone()).for_each(|c| b.append(c)),
                }
            }
        }
        None => {
            let mut cells = vec![];
            for i in rows {
                t.cells(i, &mut cells);
                for (b, c) in builders.iter_mut().zip(&cells) {
                    b.append(*c);
                }
            }
        }
    }
    // One missing value past the end, cut off again: the slice keeps its validity buffer
    // even when no value in it is missing (a buffer built without one is dropped).
    for (b, _) in builders.iter_mut().zip(with_nulls).filter(|(_, w)| **w) {
        b.append_null();
    }
    (builders.iter_mut().map(Builder::finish))
        .map(|a| a.slice(0, n))
        .collect()
}

/// Which columns of `t` miss a value in some row. Parquet's writer encodes a column piece
/// with a validity buffer differently from one without (other page boundaries), even when
/// no value of the piece is missing: a table written in several batches must give each
/// batch the buffer that the table's whole column has, to be written as the same bytes.
pub fn missing_anywhere(ts: &TableSchema, t: &Table) -> Vec<bool> {
    let kinds: Vec<Builder> = ts.fields.iter().map(|f| Builder::new(f, 0)).collect();
    if let Some(p) = &t.claims {
        let missing = |(pos, b): (usize, &Builder)| p.column(pos, 0..t.len()).any(|c| b.is_null(c));
        return kinds.iter().enumerate().map(missing).collect();
    }
    let mut missing = vec![false; kinds.len()];
    let mut cells = vec![];
    for i in 0..t.len() {
        t.cells(i, &mut cells);
        for ((m, b), c) in missing.iter_mut().zip(&kinds).zip(&cells) {
            *m = *m || b.is_null(*c);
        }
    }
    missing
}

enum Builder {
    Dictionary(StringDictionaryBuilder<Int32Type>),
    Text(StringBuilder),
    Integer(Int64Builder),
    Number(Float64Builder),
    Boolean(BooleanBuilder),
    Date(Date32Builder),
    List(ListBuilder<StringBuilder>),
}

/// Empty text is missing, as in the CSV (datapackage.json: `missingValues: [""]`), so that
/// every format holds the same value (a provenance claim of an empty list is ""). Text values
/// are appended by reference; only other values (a partial date, a number in a text column)
/// are formatted.
fn text(c: Cell<'_>) -> Option<Cow<'_, str>> {
    match c {
        Cell::Null | Cell::Value(Value::Null) => None,
        other => Some(other.text()).filter(|s| !s.is_empty()),
    }
}

fn days(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

impl Builder {
    fn new(f: &Field, rows: usize) -> Builder {
        match arrow_type(f) {
            DataType::Dictionary(..) => Builder::Dictionary(StringDictionaryBuilder::new()),
            DataType::Utf8 => Builder::Text(StringBuilder::with_capacity(rows, rows * 16)),
            DataType::Int64 => Builder::Integer(Int64Builder::with_capacity(rows)),
            DataType::Float64 => Builder::Number(Float64Builder::with_capacity(rows)),
            DataType::Boolean => Builder::Boolean(BooleanBuilder::with_capacity(rows)),
            DataType::Date32 => Builder::Date(Date32Builder::with_capacity(rows)),
            DataType::List(_) => Builder::List(ListBuilder::new(StringBuilder::new())),
            other => unreachable!("no builder for {other}"),
        }
    }

    /// Whether the builder appends `c` as a missing value.
    fn is_null(&self, c: Cell<'_>) -> bool {
        match (self, c) {
            (Builder::Dictionary(_) | Builder::Text(_), c) => text(c).is_none(),
            (Builder::List(_), Cell::Value(Value::List(l))) => l.is_empty(),
            (Builder::Boolean(_), Cell::Bool(_) | Cell::Value(Value::Bool(_)))
            | (Builder::Integer(_), Cell::Value(Value::Int(_)))
            | (Builder::Number(_), Cell::Value(Value::Num(_)))
            | (Builder::Date(_), Cell::Value(Value::Date(_))) => false,
            _ => true,
        }
    }

    fn append(&mut self, c: Cell<'_>) {
        if self.is_null(c) {
            return self.append_null();
        }
        match (self, c) {
            (Builder::Dictionary(b), c) => b.append_option(text(c)),
            (Builder::Text(b), c) => b.append_option(text(c)),
            (Builder::Boolean(b), Cell::Bool(x)) => b.append_value(x),
            (Builder::Boolean(b), Cell::Value(Value::Bool(x))) => b.append_value(*x),
            (Builder::Integer(b), Cell::Value(Value::Int(i))) => b.append_value(*i),
            (Builder::Number(b), Cell::Value(Value::Num(n))) => b.append_value(*n),
            (Builder::Date(b), Cell::Value(Value::Date(d))) => b.append_value(days(*d)),
            (Builder::List(b), Cell::Value(Value::List(l))) => {
                l.iter().for_each(|x| b.values().append_value(x));
                b.append(true);
            }
            _ => unreachable!("is_null accepts only these"),
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Dictionary(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
            Builder::Integer(b) => b.append_null(),
            Builder::Number(b) => b.append_null(),
            Builder::Boolean(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            // One rule for "none" (issue 12): an empty list is null, as in the CSV, where
            // both are an empty cell.
            Builder::List(b) => b.append(false),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Dictionary(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Integer(b) => Arc::new(b.finish()),
            Builder::Number(b) => Arc::new(b.finish()),
            Builder::Boolean(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::List(b) => Arc::new(b.finish()),
        }
    }
}

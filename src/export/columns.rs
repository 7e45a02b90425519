//! Arrow columns from rows, for the Parquet writer. Performance (issue 13): one pass over
//! the rows appends every cell to its column's builder, instead of one pass over all rows per
//! column (each row is its own allocation, so column-by-column passes missed the cache on
//! every cell).

use super::arrow_type;
use crate::model::Value;
use crate::schema::{Field, TableSchema};
use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, ListBuilder,
    StringBuilder, StringDictionaryBuilder,
};
use arrow::datatypes::{DataType, Int32Type};
use std::borrow::Cow;
use std::sync::Arc;

/// The columns of `rows`, in schema order.
pub fn columns(ts: &TableSchema, rows: &[Vec<Value>]) -> Vec<ArrayRef> {
    let mut builders: Vec<Builder> = ts
        .fields
        .iter()
        .map(|f| Builder::new(f, rows.len()))
        .collect();
    for row in rows {
        for (b, v) in builders.iter_mut().zip(row) {
            b.append(v);
        }
    }
    builders.iter_mut().map(Builder::finish).collect()
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
fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::Str(s) if s.is_empty() => None,
        Value::Str(s) => Some(Cow::Borrowed(&**s)),
        other => {
            let s = other.to_string();
            (!s.is_empty()).then_some(Cow::Owned(s))
        }
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

    fn append(&mut self, v: &Value) {
        match (self, v) {
            (Builder::Dictionary(b), v) => b.append_option(text(v)),
            (Builder::Text(b), v) => b.append_option(text(v)),
            (Builder::Integer(b), Value::Int(i)) => b.append_value(*i),
            (Builder::Number(b), Value::Num(n)) => b.append_value(*n),
            (Builder::Boolean(b), Value::Bool(x)) => b.append_value(*x),
            (Builder::Date(b), Value::Date(d)) => b.append_value(days(*d)),
            // One rule for "none" (issue 12): an empty list is null, as in the CSV, where
            // both are an empty cell.
            (Builder::List(b), Value::List(l)) if !l.is_empty() => {
                l.iter().for_each(|x| b.values().append_value(x));
                b.append(true);
            }
            (Builder::List(b), _) => b.append(false),
            (Builder::Integer(b), _) => b.append_null(),
            (Builder::Number(b), _) => b.append_null(),
            (Builder::Boolean(b), _) => b.append_null(),
            (Builder::Date(b), _) => b.append_null(),
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

//! Stage 2 — normalise: raw TOML values become typed values. Partial dates get their first
//! and last day, amounts written with scale words become full units, codes are checked
//! against the controlled vocabularies.

use crate::diagnostic::{Code, Problem};
use crate::extract::{Extraction, suggest};
use crate::model::{PartialDate, Pos, Precision, RawValue, Record, Resolution, Value};
use crate::schema::{Field, FieldType, Kind, Schema};
use chrono::NaiveDate;
use std::collections::HashSet;

/// Why a raw value could not be normalised: code, message, what would be right.
pub type Failure = (Code, String, String);

const DATE_EXPECTED: &str =
    "YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2019, 2019-09, 2019-09-07), or a range START/END";

/// Parses `2019`, `2019-09`, `2019-09-07` or a range `START/END`.
pub fn parse_partial_date(text: &str) -> Result<PartialDate, Failure> {
    let mut parts = text.split('/');
    let first = parse_one_date(parts.next().unwrap_or_default(), text)?;
    let (end, precision) = match parts.next() {
        None => (first.1, first.2),
        Some(second) => {
            let second = parse_one_date(second, text)?;
            if second.1 < first.0 {
                return Err((
                    Code::ReversedRange,
                    format!("date range `{text}` ends before it starts"),
                    "START/END with END on or after START".into(),
                ));
            }
            (second.1, first.2.min(second.2))
        }
    };
    if parts.next().is_some() {
        return Err((
            Code::BadDate,
            format!("malformed date `{text}`"),
            DATE_EXPECTED.into(),
        ));
    }
    Ok(PartialDate {
        text: text.to_string(),
        start: first.0,
        end,
        precision,
    })
}

fn parse_one_date(s: &str, whole: &str) -> Result<(NaiveDate, NaiveDate, Precision), Failure> {
    let bad = || {
        (
            Code::BadDate,
            format!("malformed date `{whole}`"),
            DATE_EXPECTED.to_string(),
        )
    };
    let nums: Vec<&str> = s.split('-').collect();
    let shape_ok = matches!(nums.as_slice(), [y] if y.len() == 4)
        || matches!(nums.as_slice(), [y, m] if y.len() == 4 && m.len() == 2)
        || matches!(nums.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2);
    if !shape_ok || !nums.iter().all(|n| n.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    let n: Vec<u32> = nums.iter().map(|x| x.parse().unwrap()).collect();
    let impossible = |what: &str| {
        (
            Code::ImpossibleDate,
            format!("impossible date `{whole}`: {what}"),
            "a real calendar date (months 01-12, days that exist in that month)".to_string(),
        )
    };
    let y = n[0] as i32;
    if n.len() >= 2 && !(1..=12).contains(&n[1]) {
        return Err(impossible(&format!("there is no month {:02}", n[1])));
    }
    let first_of =
        |m: u32| NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| impossible("year out of range"));
    match n.len() {
        1 => Ok((
            first_of(1)?,
            NaiveDate::from_ymd_opt(y, 12, 31).unwrap(),
            Precision::Year,
        )),
        2 => {
            let start = first_of(n[1])?;
            let next = if n[1] == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y, n[1] + 1, 1)
            };
            Ok((
                start,
                next.and_then(|d| d.pred_opt())
                    .ok_or_else(|| impossible("year out of range"))?,
                Precision::Month,
            ))
        }
        _ => {
            let d = NaiveDate::from_ymd_opt(y, n[1], n[2]).ok_or_else(|| {
                impossible(&format!("{:04}-{:02} has no day {:02}", y, n[1], n[2]))
            })?;
            Ok((d, d, Precision::Day))
        }
    }
}

const AMOUNT_EXPECTED: &str =
    "a number, or a number with a scale word: \"46 million\", \"1.26 billion\", \"3,500\"";

/// Parses an amount: a TOML number, or a string such as `46 million`, `1.26 billion`,
/// `3,500`. Scaling is done in integers so `5.13 billion` is exactly 5130000000.
pub fn parse_amount(raw: &RawValue) -> Result<f64, Failure> {
    match raw {
        RawValue::Int(i) if i.unsigned_abs() > crate::limits::MAX_EXACT as u64 => {
            Err(crate::limits::too_large(&i.to_string(), false))
        }
        RawValue::Int(i) => Ok(*i as f64),
        RawValue::Float(f) if f.is_finite() && f.abs() <= crate::limits::MAX_EXACT => Ok(*f),
        RawValue::Float(f) if f.is_finite() => Err(crate::limits::too_large(&f.to_string(), false)),
        RawValue::Str(s) => amount_text(s.trim()),
        other => Err((
            Code::WrongType,
            format!("{} is not an amount", other.type_name()),
            AMOUNT_EXPECTED.into(),
        )),
    }
}

/// An amount written as text: `-`, digits grouped by three with commas, a fraction, a scale
/// word.
fn amount_text(s: &str) -> Result<f64, Failure> {
    let bad = || {
        (
            Code::BadNumber,
            format!("`{s}` is not an amount"),
            AMOUNT_EXPECTED.to_string(),
        )
    };
    let (num, scale) = match s.rsplit_once(char::is_whitespace) {
        Some((n, w)) => (n.trim(), scale_word(w).ok_or_else(bad)?),
        None => (s, 0),
    };
    let (neg, num) = match num.strip_prefix('-') {
        Some(n) => (true, n),
        None => (false, num),
    };
    let (int_part, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = grouped_digits(int_part).ok_or_else(bad)?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) || digits.len() + frac.len() > 30 {
        return Err(bad());
    }
    let mantissa: i128 = format!("{digits}{frac}").parse().map_err(|_| bad())?;
    let shift = scale - frac.len() as i32;
    let value = if shift >= 0 {
        // Checked: a scaled amount that overflows must fail, never wrap around.
        let scaled = 10i128
            .checked_pow(shift as u32)
            .and_then(|p| mantissa.checked_mul(p));
        match scaled {
            Some(v) if v.unsigned_abs() <= crate::limits::MAX_EXACT as u128 => v as f64,
            _ => return Err(crate::limits::too_large(s, false)),
        }
    } else {
        format!("{digits}.{frac}")
            .parse::<f64>()
            .map_err(|_| bad())?
            * 10f64.powi(scale)
    };
    if value.abs() > crate::limits::MAX_EXACT {
        return Err(crate::limits::too_large(s, false));
    }
    Ok(if neg { -value } else { value })
}

/// The power of ten a scale word stands for.
fn scale_word(w: &str) -> Option<i32> {
    Some(match w.to_ascii_lowercase().as_str() {
        "thousand" => 3,
        "million" => 6,
        "billion" | "bn" => 9,
        "trillion" => 12,
        _ => return None,
    })
}

/// The digits of an integer part, when there are some and any thousands separators group
/// them by three: "1,000" yes, "1,00" no.
fn grouped_digits(int_part: &str) -> Option<String> {
    let groups: Vec<&str> = int_part.split(',').collect();
    let grouped_ok = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    let digits = groups.concat();
    (grouped_ok && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// Normalises one raw value for `field`.
pub fn normalise_value(field: &Field, raw: &RawValue, schema: &Schema) -> Result<Value, Failure> {
    let v = typed(field, raw)?;
    if let Some(f) = crate::limits::number(field.ftype, &v) {
        return Err(f);
    }
    in_vocabulary(field, &v, schema)?;
    Ok(v)
}

/// A raw value as a value of the field's type.
fn typed(field: &Field, raw: &RawValue) -> Result<Value, Failure> {
    let wrong = |what: &str| {
        (
            Code::WrongType,
            format!("{} where {what} is expected", raw.type_name()),
            what.to_string(),
        )
    };
    // A bare TOML date is a date only in a date column; anywhere else it is a wrong type.
    let as_text;
    let raw = match raw {
        RawValue::Datetime(d)
            if field.kind == Kind::PartialDate || field.ftype == FieldType::Date =>
        {
            as_text = RawValue::Str(d.clone());
            &as_text
        }
        other => other,
    };
    Ok(match (field.ftype, field.kind, raw) {
        (_, Kind::PartialDate, RawValue::Str(s)) => Value::PDate(Box::new(parse_partial_date(s)?)),
        (_, Kind::PartialDate, _) => return Err(wrong("a date string such as \"2019-09\"")),
        // `-0` is published as 0: a sign on zero means nothing and confuses readers.
        (FieldType::Number, _, r) => Value::Num(parse_amount(r)? + 0.0),
        (FieldType::Integer, _, RawValue::Int(i)) => Value::Int(*i),
        (FieldType::Integer, _, RawValue::Float(f)) => {
            return Err((
                Code::NotInteger,
                format!("`{f}` is not a whole number"),
                "an integer, e.g. 6".into(),
            ));
        }
        (FieldType::Integer, _, _) => return Err(wrong("an integer")),
        (FieldType::Boolean, _, RawValue::Bool(b)) => Value::Bool(*b),
        (FieldType::Boolean, _, _) => return Err(wrong("true or false")),
        (FieldType::List, _, RawValue::List(l)) => Value::List(l.as_slice().into()),
        (FieldType::List, _, _) => return Err(wrong("an array of strings")),
        (FieldType::Date, _, RawValue::Str(s)) => match parse_partial_date(s)? {
            p if p.precision == Precision::Day && !s.contains('/') => Value::Date(p.start),
            _ => {
                return Err((
                    Code::BadDate,
                    format!("`{s}` is not a full date"),
                    "YYYY-MM-DD".into(),
                ));
            }
        },
        (FieldType::Date, _, _) => return Err(wrong("a date string YYYY-MM-DD")),
        (FieldType::String, _, RawValue::Str(s)) => Value::Str(s.as_str().into()),
        (FieldType::String, _, _) => return Err(wrong("a string")),
    })
}

/// A code field's value is in its vocabulary. A value of the wrong shape is reported by
/// validate's pattern check, not also here.
fn in_vocabulary(field: &Field, v: &Value, schema: &Schema) -> Result<(), Failure> {
    let (Some(vocab), Value::Str(s)) = (&field.vocabulary, v) else {
        return Ok(());
    };
    if schema.vocab_contains(vocab, s) || field.pattern.as_ref().is_some_and(|p| !p.is_match(s)) {
        return Ok(());
    }
    let values = &schema.vocabularies[vocab].values;
    let list: Vec<&str> = values.keys().map(String::as_str).collect();
    let shown = if list.len() > 12 {
        format!("{} … ({} values)", list[..12].join(", "), list.len())
    } else {
        list.join(", ")
    };
    Err((
        Code::UnknownCode,
        format!("`{s}` is not in the `{vocab}` vocabulary"),
        format!("one of: {shown}{}", suggest(s, list.iter().copied())),
    ))
}

pub struct Normalised {
    pub records: Vec<Record<Value>>,
    pub resolutions: Vec<Resolution<Value>>,
    /// (record, field) of every value that could not be normalised (and was reported): the
    /// raw records are gone by validation, which must not also call these fields missing.
    pub rejected: HashSet<RecordField>,
}

/// A problem of one normalised value: the value's (table, id, field) and position.
fn value_problem(
    ex: &Extraction,
    e: Failure,
    (table, id, field): (&str, &str, &str),
    pos: Pos,
) -> Problem {
    let (code, msg, expected) = e;
    Problem::new(code, msg)
        .at(ex.loc(pos))
        .record(table, id)
        .field(field)
        .expected(expected)
}

/// Normalises every record and resolution. A value that fails is dropped (and reported),
/// so later stages see only well-typed values.
/// Consumes the raw records of `ex` (memory, issue 13: each is freed once normalised, so
/// the raw and the typed records of a large build are not held side by side).
pub fn run(ex: &mut Extraction, schema: &Schema) -> (Normalised, Vec<Problem>) {
    let raw = std::mem::take(&mut ex.records);
    let ex = &*ex;
    let mut records = Vec::with_capacity(raw.len());
    // Performance (issue 13): records are normalised on all cores, in contiguous runs
    // joined in order (records and problems come out as a single pass would give them).
    let parts =
        crate::parallel::owned_chunks(raw, |start, run| records_from(ex, start, run, schema));
    let mut problems = vec![];
    let mut rejected = HashSet::new();
    for (r, p, x) in parts {
        records.extend(r);
        problems.extend(p);
        rejected.extend(x);
    }
    let resolutions = ex
        .resolutions
        .iter()
        .filter_map(|r| {
            let t = &schema.tables[r.table];
            let f = &t.fields[r.field];
            match normalise_value(f, &r.value, schema) {
                Ok(value) => Some(Resolution {
                    table: r.table,
                    id: r.id.clone(),
                    field: r.field,
                    value,
                    merged: r.merged,
                    reason: r.reason.clone(),
                    pos: r.pos,
                }),
                Err(e) => {
                    let field = f.raw.as_deref().unwrap_or(&f.name);
                    problems.push(value_problem(ex, e, (&t.name, &r.id, field), r.pos));
                    None
                }
            }
        })
        .collect();
    (
        Normalised {
            records,
            resolutions,
            rejected,
        },
        problems,
    )
}

/// (record index, field index).
type RecordField = (usize, usize);

/// Records `start..` (`raw`) normalised, with a problem and a (record, field) for every
/// value that cannot be.
fn records_from(
    ex: &Extraction,
    start: usize,
    raw: Vec<Record<RawValue>>,
    schema: &Schema,
) -> (Vec<Record<Value>>, Vec<Problem>, Vec<RecordField>) {
    let (mut problems, mut rejected) = (vec![], vec![]);
    let records = (raw.into_iter().enumerate())
        .map(|(n, r)| {
            let t = &schema.tables[r.table];
            let fields = (r.fields.iter())
                .filter_map(|(fi, raw, pos)| {
                    let f = &t.fields[*fi];
                    match normalise_value(f, raw, schema) {
                        Ok(v) => Some((*fi, v, *pos)),
                        Err(e) => {
                            let field = f.raw.as_deref().unwrap_or(&f.name);
                            problems.push(value_problem(ex, e, (&t.name, &r.id, field), *pos));
                            rejected.push((start + n, *fi));
                            None
                        }
                    }
                })
                .collect();
            Record {
                table: r.table,
                id: r.id,
                source: r.source,
                locator: r.locator,
                pos: r.pos,
                fields,
                derived: r.derived,
            }
        })
        .collect();
    (records, problems, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> (String, String, Precision) {
        let p = parse_partial_date(s).unwrap();
        (p.start.to_string(), p.end.to_string(), p.precision)
    }

    #[test]
    fn partial_dates() {
        assert_eq!(
            d("2019"),
            ("2019-01-01".into(), "2019-12-31".into(), Precision::Year)
        );
        assert_eq!(
            d("2019-09"),
            ("2019-09-01".into(), "2019-09-30".into(), Precision::Month)
        );
        assert_eq!(
            d("2020-02"),
            ("2020-02-01".into(), "2020-02-29".into(), Precision::Month)
        );
        assert_eq!(
            d("2019-12"),
            ("2019-12-01".into(), "2019-12-31".into(), Precision::Month)
        );
        assert_eq!(
            d("2019-09-07"),
            ("2019-09-07".into(), "2019-09-07".into(), Precision::Day)
        );
        assert_eq!(
            d("2019-03/2019-05"),
            ("2019-03-01".into(), "2019-05-31".into(), Precision::Month)
        );
    }

    #[test]
    fn bad_dates_have_their_own_codes() {
        let code = |s: &str| parse_partial_date(s).unwrap_err().0;
        assert_eq!(code("2019-13"), Code::ImpossibleDate);
        assert_eq!(code("2019-02-30"), Code::ImpossibleDate);
        assert_eq!(code("19-09"), Code::BadDate);
        assert_eq!(code("2019-9"), Code::BadDate);
        assert_eq!(code("September 2019"), Code::BadDate);
        assert_eq!(code("2020/2019"), Code::ReversedRange);
        assert_eq!(code("2019/2020/2021"), Code::BadDate);
    }

    #[test]
    fn amounts() {
        let a = |s: &str| parse_amount(&RawValue::Str(s.into())).unwrap();
        assert_eq!(a("46 million"), 46_000_000.0);
        assert_eq!(a("5.13 billion"), 5_130_000_000.0);
        assert_eq!(a("1.26 billion"), 1_260_000_000.0);
        assert_eq!(a("3,500"), 3500.0);
        assert_eq!(a("0.5"), 0.5);
        assert_eq!(a("-2"), -2.0);
        assert_eq!(parse_amount(&RawValue::Int(6)).unwrap(), 6.0);
        for bad in [
            "",
            "46 millions",
            "1,00",
            "4e6",
            "€46 million",
            "1.2.3",
            "NaN",
        ] {
            assert!(parse_amount(&RawValue::Str(bad.into())).is_err(), "{bad}");
        }
    }
}

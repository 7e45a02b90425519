//! Stage 3 — validate: every schema constraint on every record of every file (required,
//! pattern, ranges, percent 0-100, dates not in the future), ids unique within a file, and
//! references to actors and sources that resolve. All lookups are hash-based.

use crate::diagnostic::{Code, Problem};
use crate::extract::Extraction;
use crate::model::{Record, Value};
use crate::normalise::Normalised;
use crate::schema::{DatePart, Derive, Field, FieldType, Schema, TableSchema};
use ahash::{AHashMap, AHashSet};
use chrono::Datelike;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashSet};

/// Today's date, or `PILLARS_TODAY` (YYYY-MM-DD) when set, so tests are reproducible.
pub fn today() -> NaiveDate {
    if let Ok(s) = std::env::var("PILLARS_TODAY")
        && let Ok(d) = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
    {
        return d;
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(secs / 86_400)
}

pub fn run(ex: &Extraction, norm: &Normalised, schema: &Schema, today: NaiveDate) -> Vec<Problem> {
    let records = &norm.records[..];
    // Ids of every table, for reference checks: each table's set sized once, a table on
    // each core (performance, issue 13).
    let mut by_table: Vec<Vec<&str>> = vec![vec![]; schema.tables.len()];
    records
        .iter()
        .for_each(|r| by_table[r.table].push(r.id.as_str()));
    let sets = crate::parallel::map(&by_table, |ids| {
        ids.iter().copied().collect::<AHashSet<_>>()
    });
    let ids: AHashMap<&str, AHashSet<&str>> = (schema.tables.iter().map(|t| t.name.as_str()))
        .zip(sets)
        .filter(|(_, set)| !set.is_empty())
        .collect();
    let mut duplicates = duplicate_ids(ex, records, schema);
    let check = Check {
        ex,
        schema,
        today,
        ids: &ids,
        rejected: &norm.rejected,
    };
    // Performance (issue 13): records are checked on all cores, in contiguous runs joined in
    // order; each record's problems follow its duplicate-id problem, as in one pass.
    let parts = crate::parallel::ranges(records.len(), |range| {
        let mut problems = vec![];
        for ri in range {
            check.record(ri, &records[ri], &mut problems);
        }
        problems
    });
    let mut problems = vec![];
    for (ri, p) in parts.into_iter().flatten() {
        while let Some(dup) = duplicates.first_entry().filter(|e| *e.key() <= ri) {
            problems.push(dup.remove());
        }
        problems.push(p);
    }
    problems.extend(duplicates.into_values());
    problems
}

/// An id defined twice in one file: the problem, by the index of the second record.
/// Performance (issue 13): the records of each source are checked on their own, sources on
/// every core (a source is one file, and a duplicate is within one file).
fn duplicate_ids(
    ex: &Extraction,
    records: &[Record<Value>],
    schema: &Schema,
) -> BTreeMap<usize, Problem> {
    let mut by_source: Vec<Vec<usize>> = vec![vec![]; ex.sources.len()];
    for (ri, r) in records.iter().enumerate() {
        by_source[r.source as usize].push(ri);
    }
    let found = crate::parallel::map(&by_source, |indices| {
        let mut seen: AHashMap<(usize, &str), &Record<Value>> = AHashMap::new();
        let mut problems = vec![];
        for &ri in indices {
            let r = &records[ri];
            if let Some(first) = seen.insert((r.table, r.id.as_str()), r) {
                let t = &schema.tables[r.table];
                let p = Problem::new(
                    Code::DuplicateId,
                    format!("`{}` is defined twice in this file", r.id),
                )
                .record(&t.name, &r.id)
                .at(ex.loc(r.pos))
                .note(ex.loc(first.pos), "first defined here")
                .expected("one entry per id in a file; merge the two entries");
                problems.push((ri, p));
            }
        }
        problems
    });
    found.into_iter().flatten().collect()
}

/// What the check of one record reads.
struct Check<'a> {
    ex: &'a Extraction,
    schema: &'a Schema,
    today: NaiveDate,
    ids: &'a AHashMap<&'a str, AHashSet<&'a str>>,
    rejected: &'a HashSet<(usize, usize)>,
}

impl Check<'_> {
    /// Every constraint on record `ri`; its problems, each with the record's index.
    fn record(&self, ri: usize, r: &Record<Value>, out: &mut Vec<(usize, Problem)>) {
        let (ex, schema) = (self.ex, self.schema);
        let mut problems = vec![];
        let t = &schema.tables[r.table];
        let id_field = t.id_field();
        let problem = |code, msg: String| Problem::new(code, msg).record(&t.name, &r.id);
        problems.extend(crate::limits::record(ex, t, r));
        if let Some(p) = &id_field.pattern
            && !p.is_match(&r.id)
        {
            problems.push(
                problem(
                    Code::Pattern,
                    format!("id `{}` is not a lowercase slug", r.id),
                )
                .at(ex.loc(r.pos))
                .field(&id_field.name)
                .expected(format!(
                    "a value matching {}",
                    id_field.json["constraints"]["pattern"]
                        .as_str()
                        .unwrap_or_default()
                )),
            );
        }
        for f in t.fields.iter().filter(|f| {
            f.required && f.raw.is_some() && f.default.is_none() && f.name != id_field.name
        }) {
            let fi = t.field_index(&f.name).unwrap();
            // A value that normalise rejected was reported there and is not also "missing".
            if !r.fields.iter().any(|(i, _, _)| *i == fi) && !self.rejected.contains(&(ri, fi)) {
                let raw = f.raw.as_deref().unwrap();
                problems.push(
                    problem(Code::Required, format!("required field `{raw}` is missing"))
                        .at(ex.loc(r.pos))
                        .field(raw)
                        .expected(format!("{raw} = … ({})", f.description)),
                );
            }
        }
        let percent = r.fields.iter().any(|(i, v, _)| {
            t.fields[*i].vocabulary.as_deref() == Some("units") && v.as_str() == Some("percent")
        });
        for field in &r.fields {
            self.value(r, field, percent, &mut problems);
        }
        out.extend(problems.into_iter().map(|p| (ri, p)));
    }
    /// The constraints on one value of record `r`: pattern, range (0-100 for a percent),
    /// not in the future, the ranges of the columns derived from it, references.
    fn value(
        &self,
        r: &Record<Value>,
        (fi, v, pos): &(usize, Value, crate::model::Pos),
        percent: bool,
        problems: &mut Vec<Problem>,
    ) {
        let t = &self.schema.tables[r.table];
        let f = &t.fields[*fi];
        let name = f.raw.as_deref().unwrap_or(&f.name);
        let found = [
            pattern(f, name, v),
            range(f, name, v, percent),
            future(f, v, self.today),
        ];
        let found = (found.into_iter().flatten())
            .chain(derived_years(t, f, v))
            .chain(self.references(f, v));
        for (code, msg, expected) in found {
            problems.push(
                Problem::new(code, msg)
                    .record(&t.name, &r.id)
                    .at(self.ex.loc(*pos))
                    .field(name)
                    .expected(expected),
            );
        }
    }

    /// The items of a reference field (`f`) that are no id of its target table.
    fn references(&self, f: &Field, v: &Value) -> Vec<Found> {
        let Some(target) = &f.reference else {
            return vec![];
        };
        let items: Vec<&str> = match v {
            Value::Str(s) => vec![s],
            Value::List(l) => l.iter().map(String::as_str).collect(),
            _ => vec![],
        };
        let known = self.ids.get(target.as_str());
        let raw_name = || {
            (self.schema.table(target))
                .and_then(|t| t.raw_table.clone())
                .unwrap_or_else(|| target.clone())
        };
        (items.into_iter())
            .filter(|item| !known.is_some_and(|s| s.contains(item)))
            .map(|item| {
                (
                    Code::UnknownReference,
                    format!("`{item}` is not a known id in {target}"),
                    format!("an id defined in some [[{}]] of raw/", raw_name()),
                )
            })
            .collect()
    }
}

/// A problem with one value: its code, message and what was expected.
type Found = (Code, String, String);

fn pattern(f: &Field, name: &str, v: &Value) -> Option<Found> {
    let (Some(p), Value::Str(s)) = (&f.pattern, v) else {
        return None;
    };
    (!p.is_match(s)).then(|| {
        (
            Code::Pattern,
            format!("`{s}` does not match the pattern of `{name}`"),
            format!(
                "a value matching {}",
                f.json["constraints"]["pattern"]
                    .as_str()
                    .unwrap_or_default()
            ),
        )
    })
}

/// A number outside the field's range (0-100 for a percent, within the field's own).
fn range(f: &Field, name: &str, v: &Value, percent: bool) -> Option<Found> {
    let n = match v {
        Value::Num(n) => *n,
        Value::Int(i) => *i as f64,
        _ => return None,
    };
    let (lo, hi) = if percent && f.ftype == FieldType::Number && f.raw.is_some() {
        (Some(0.0f64), Some(100.0f64))
    } else {
        (f.minimum, f.maximum)
    };
    let lo = match (lo, f.minimum) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if !(lo.is_some_and(|lo| n < lo) || hi.is_some_and(|hi| n > hi)) {
        return None;
    }
    let range = match (lo, hi) {
        (Some(lo), Some(hi)) => format!(
            "a value from {lo} to {hi}{}",
            if percent { " (percent)" } else { "" }
        ),
        (Some(lo), None) => format!("a value of at least {lo}"),
        (None, Some(hi)) => format!("a value of at most {hi}"),
        _ => unreachable!(),
    };
    Some((
        Code::OutOfRange,
        format!("{name} = {n} is out of range"),
        range,
    ))
}

/// A date after `today`; a year read as a number (a source's publication year) is a date too.
fn future(f: &Field, v: &Value, today: NaiveDate) -> Option<Found> {
    match v {
        Value::Int(y) if f.name == "year" && *y > i64::from(today.year()) => Some((
            Code::FutureDate,
            format!("year {y} is in the future"),
            format!("a year up to {}", today.year()),
        )),
        Value::PDate(d) if d.start > today => Some((
            Code::FutureDate,
            format!("date `{}` is in the future", d.text),
            format!("a date on or before {today}"),
        )),
        _ => None,
    }
}

/// Columns derived from a date (its `year`) carry their own range constraints; they are
/// checked here, where the annotator's line is known.
fn derived_years(t: &TableSchema, f: &Field, v: &Value) -> Vec<Found> {
    let Value::PDate(d) = v else {
        return vec![];
    };
    let year = f64::from(d.start.year());
    let from_f = |g: &&Field| matches!(&g.derive, Some(Derive::DatePart { from, part: DatePart::Year }) if *from == f.name);
    (t.fields.iter().filter(from_f))
        .filter(|g| g.minimum.is_some_and(|lo| year < lo) || g.maximum.is_some_and(|hi| year > hi))
        .map(|g| {
            (
                Code::OutOfRange,
                format!("date `{}` gives {} = {year}, out of range", d.text, g.name),
                format!(
                    "a year from {} to {}",
                    g.minimum.unwrap_or(f64::MIN),
                    g.maximum.unwrap_or(f64::MAX)
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{RawFile, SourceRef};
    use crate::model::{PartialDate, Pos};
    use crate::normalise::parse_partial_date;
    use std::path::Path;

    fn schema() -> Schema {
        Schema::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")).unwrap()
    }

    fn ex() -> Extraction {
        let text = "x".repeat(10);
        Extraction {
            files: vec![RawFile {
                path: "raw/a.toml".into(),
                name: "a.toml".into(),
                bytes: text.clone().into_bytes(),
                text,
                readable: true,
                released: None,
            }],
            sources: vec![SourceRef {
                id: "a".into(),
                file: 0,
            }],
            ..Default::default()
        }
    }

    fn record(s: &Schema, table: &str, id: &str, fields: Vec<(&str, Value)>) -> Record<Value> {
        let t = s.tables.iter().position(|t| t.name == table).unwrap();
        let fields = fields
            .into_iter()
            .map(|(k, v)| {
                (
                    s.tables[t]
                        .fields
                        .iter()
                        .position(|f| f.raw.as_deref() == Some(k))
                        .unwrap(),
                    v,
                    Pos::default(),
                )
            })
            .collect();
        Record {
            table: t,
            id: id.into(),
            source: 0,
            locator: String::new(),
            pos: Pos::default(),
            fields,
            derived: vec![],
        }
    }

    fn event(s: &Schema, id: &str, date: PartialDate, actors: &[&str]) -> Record<Value> {
        let str_ = |x: &str| Value::Str(x.into());
        record(
            s,
            "events",
            id,
            vec![
                ("date", Value::PDate(Box::new(date))),
                ("partner", str_("CN")),
                ("event_type", str_("other")),
                ("cameo", str_("010")),
                ("title", str_("t")),
                (
                    "actor_ids",
                    Value::List(actors.iter().map(|a| a.to_string()).collect()),
                ),
            ],
        )
    }

    fn normalised(records: Vec<Record<Value>>) -> Normalised {
        Normalised {
            records,
            resolutions: vec![],
            rejected: HashSet::new(),
        }
    }

    fn codes(p: &[Problem]) -> Vec<Code> {
        p.iter().map(|p| p.code).collect()
    }

    #[test]
    fn clean_records_pass() {
        let s = schema();
        let recs = vec![event(&s, "e-1", parse_partial_date("2019").unwrap(), &[])];
        assert!(
            run(
                &ex(),
                &normalised(recs),
                &s,
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
            )
            .is_empty()
        );
    }

    #[test]
    fn finds_duplicates_dangling_references_future_dates_and_bad_ids() {
        let s = schema();
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let recs = vec![
            event(&s, "e-1", parse_partial_date("2019").unwrap(), &["nobody"]),
            event(&s, "e-1", parse_partial_date("2019").unwrap(), &[]),
            event(&s, "e-2", parse_partial_date("2026-02").unwrap(), &[]),
            event(&s, "Bad_Id", parse_partial_date("2019").unwrap(), &[]),
        ];
        assert_eq!(
            codes(&run(&ex(), &normalised(recs), &s, today)),
            vec![
                Code::UnknownReference,
                Code::DuplicateId,
                Code::FutureDate,
                Code::Pattern
            ]
        );
    }

    #[test]
    fn percent_values_must_be_0_to_100_and_required_fields_present() {
        let s = schema();
        let str_ = |x: &str| Value::Str(x.into());
        let ind = record(
            &s,
            "indicators",
            "i-1",
            vec![
                ("indicator", str_("trade_share")),
                ("partner", str_("CN")),
                (
                    "period",
                    Value::PDate(Box::new(parse_partial_date("2020").unwrap())),
                ),
                ("value", Value::Num(120.0)),
                ("unit", str_("percent")),
            ],
        );
        let p = run(
            &ex(),
            &normalised(vec![ind]),
            &s,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        );
        assert_eq!(codes(&p), vec![Code::Required, Code::OutOfRange], "{p:?}");
        assert_eq!(p[0].field.as_deref(), Some("description"));
    }

    #[test]
    fn derived_year_is_range_checked() {
        let s = schema();
        let recs = vec![event(&s, "e-1", parse_partial_date("0999").unwrap(), &[])];
        let p = run(
            &ex(),
            &normalised(recs),
            &s,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        );
        assert_eq!(codes(&p), vec![Code::OutOfRange], "{p:?}");
        assert!(p[0].message.contains("year = 999"), "{p:?}");
    }
}

//! The schema loader's checks of what a table schema must be for the pipeline to run and for
//! every output format to hold it: each mistake is a located E06xx error (file:line:col, via
//! `json_pos`), never a panic or a silently ignored property. `schema.rs` parses the
//! properties; this module checks the shape first (one table) and the tables together after.

use crate::diagnostic::{Code, Loc, Problem};
use crate::json_pos::{Seg, key};
use crate::schema::{Field, TableSchema};
use serde_json::Value as Json;
use std::collections::HashMap;

/// A mistake: its code, message and where it is in the file.
pub type Fail = (Code, String, Vec<Seg>);

/// Longest table name: Excel's 31-character sheet names, less a `_NN` continuation suffix.
pub const MAX_TABLE_NAME: usize = 27;
/// Excel's column limit (16,384), which bounds every table.
pub const MAX_COLUMNS: usize = 16_384;

/// Table properties: `x-relations` and `x-duplicates` are read by src/meaning/ (links, the
/// duplicate check); `x-aggregate` (a field's) by src/meaning/aggregates.rs.
const TABLE_KEYS: [&str; 3] = ["x-raw-table", "x-relations", "x-duplicates"];
const FIELD_KEYS: [&str; 9] = [
    "x-aggregate",
    "x-raw",
    "x-vocabulary",
    "x-derive",
    "x-merge",
    "x-kind",
    "x-default",
    "x-ref",
    "x-unit",
];
/// Field properties that must be strings when present.
const STRING_KEYS: [&str; 8] = [
    "name",
    "x-raw",
    "x-vocabulary",
    "x-merge",
    "x-kind",
    "x-ref",
    "description",
    "x-unit",
];

fn is_slug(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_lowercase())
        && c.all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '_')
}

/// The shape of one table schema: name, primary key, fields, `x-` properties.
pub fn table(j: &Json, text: &str) -> Vec<Fail> {
    let mut out: Vec<Fail> = vec![];
    if let Some((path, k)) = crate::json_pos::duplicate_key(text) {
        out.push((
            Code::SchemaDuplicate,
            format!(
                "the key `{k}` is given twice in one object (JSON would keep the second silently)"
            ),
            path,
        ));
        // Paths would be ambiguous; report this first.
        return out;
    }
    let Some(obj) = j.as_object() else {
        return vec![(
            Code::Schema,
            "a table schema must be a JSON object".into(),
            vec![],
        )];
    };
    out.extend(table_keys(obj));
    let Some(fields) = obj.get("fields").and_then(Json::as_array) else {
        out.push((
            Code::Schema,
            "a table needs `fields`, an array".into(),
            vec![key("fields")],
        ));
        return out;
    };
    if fields.is_empty() || fields.len() > MAX_COLUMNS {
        out.push((
            Code::Schema,
            format!(
                "a table has 1 to {MAX_COLUMNS} fields (Excel's column limit); this one has {}",
                fields.len()
            ),
            vec![key("fields")],
        ));
    }
    let mut seen = Seen::default();
    for (i, f) in fields.iter().enumerate() {
        match f.as_object() {
            Some(fo) => field(i, fo, &mut seen, &mut out),
            None => out.push((
                Code::Schema,
                "a field must be an object".into(),
                vec![key("fields"), Seg::Index(i)],
            )),
        }
    }
    out.extend(primary_key(obj.get("primaryKey"), &seen.names));
    out
}

/// The table's own keys: a name that can name files and worksheets, known `x-` properties.
fn table_keys(obj: &serde_json::Map<String, Json>) -> Vec<Fail> {
    let mut out = vec![];
    match obj.get("name").and_then(Json::as_str) {
        Some(n) if is_slug(n) && n.len() <= MAX_TABLE_NAME => {}
        _ => out.push((
            Code::SchemaName,
            format!("table `name` must be a lowercase name (a-z, 0-9, _) of at most {MAX_TABLE_NAME} characters (it names files and worksheets)"),
            vec![key("name")],
        )),
    }
    for k in obj.keys().filter(|k| k.starts_with("x-")) {
        if !TABLE_KEYS.contains(&k.as_str()) {
            out.push(unknown_property(k, vec![key(k)]));
        }
    }
    if obj.get("x-raw-table").is_some_and(|v| !v.is_string()) {
        out.push((
            Code::Schema,
            "`x-raw-table` must be a string".into(),
            vec![key("x-raw-table")],
        ));
    }
    out
}

/// The fields' names and raw keys met so far (each with its field's index).
#[derive(Default)]
struct Seen<'j> {
    names: HashMap<&'j str, usize>,
    raws: HashMap<&'j str, usize>,
}

/// The shape of field `i`: string keys, known `x-` properties, constraints, a printable name
/// and a raw key that no other field has.
fn field<'j>(
    i: usize,
    fo: &'j serde_json::Map<String, Json>,
    seen: &mut Seen<'j>,
    out: &mut Vec<Fail>,
) {
    let at = |k: &str| vec![key("fields"), Seg::Index(i), key(k)];
    for k in STRING_KEYS {
        if fo.get(k).is_some_and(|v| !v.is_string()) {
            out.push((Code::Schema, format!("`{k}` must be a string"), at(k)));
        }
    }
    for k in fo.keys().filter(|k| k.starts_with("x-")) {
        if !FIELD_KEYS.contains(&k.as_str()) {
            out.push(unknown_property(k, at(k)));
        }
    }
    out.extend(constraints(
        fo.get("constraints").unwrap_or(&Json::Null),
        &at("constraints"),
    ));
    if let Some(n) = fo.get("name").and_then(Json::as_str) {
        if n.is_empty() || n.len() > 255 || n.chars().any(char::is_control) {
            out.push((
                Code::SchemaName,
                "a field name must be printable text of 1 to 255 bytes (it heads a column)".into(),
                at("name"),
            ));
        } else if let Some(first) = seen.names.get(n) {
            out.push((
                Code::SchemaDuplicate,
                format!("field `{n}` is listed twice (first as field {})", first + 1),
                at("name"),
            ));
        } else {
            seen.names.insert(n, i);
        }
    }
    if let Some(r) = fo.get("x-raw").and_then(Json::as_str) {
        if ["locator", "derived"].contains(&r) {
            out.push((
                Code::Schema,
                format!("`x-raw` cannot be `{r}`: extraction files use that key for every record"),
                at("x-raw"),
            ));
        } else if let Some(first) = seen.raws.get(r) {
            out.push((
                Code::SchemaDuplicate,
                format!(
                    "two fields read the raw key `{r}` (fields {} and {})",
                    first + 1,
                    i + 1
                ),
                at("x-raw"),
            ));
        } else {
            seen.raws.insert(r, i);
        }
    }
}

fn unknown_property(k: &str, at: Vec<Seg>) -> Fail {
    (Code::Schema, format!("unknown pipeline property `{k}`"), at)
}

fn constraints(c: &Json, at: &[Seg]) -> Vec<Fail> {
    let mut out = vec![];
    let Some(c) = c.as_object() else {
        if !c.is_null() {
            out.push((
                Code::Schema,
                "`constraints` must be an object".into(),
                at.to_vec(),
            ));
        }
        return out;
    };
    let path = |k: &str| {
        let mut p = at.to_vec();
        p.push(key(k));
        p
    };
    for (k, ok) in [
        ("required", c.get("required").is_none_or(Json::is_boolean)),
        ("unique", c.get("unique").is_none_or(Json::is_boolean)),
        ("minimum", c.get("minimum").is_none_or(Json::is_number)),
        ("maximum", c.get("maximum").is_none_or(Json::is_number)),
        ("pattern", c.get("pattern").is_none_or(Json::is_string)),
    ] {
        if !ok {
            let what = match k {
                "required" | "unique" => "true or false",
                "pattern" => "a string",
                _ => "a number",
            };
            out.push((
                Code::Schema,
                format!("constraint `{k}` must be {what}"),
                path(k),
            ));
        }
    }
    out
}

fn primary_key(pk: Option<&Json>, names: &HashMap<&str, usize>) -> Vec<Fail> {
    let at = vec![key("primaryKey")];
    let keys: Vec<Option<&str>> = match pk {
        Some(Json::String(s)) => vec![Some(s.as_str())],
        Some(Json::Array(a)) => a.iter().map(Json::as_str).collect(),
        _ => vec![],
    };
    if keys.is_empty() {
        return vec![(
            Code::SchemaPrimaryKey,
            "a table needs a `primaryKey`: a field name, or a non-empty array of them".into(),
            at,
        )];
    }
    let mut out = vec![];
    for (i, k) in keys.iter().enumerate() {
        let at = if matches!(pk, Some(Json::Array(_))) {
            vec![key("primaryKey"), Seg::Index(i)]
        } else {
            at.clone()
        };
        match k {
            Some(k) if names.contains_key(k) => {}
            Some(k) => out.push((
                Code::SchemaPrimaryKey,
                format!("primaryKey `{k}` is not a field of the table"),
                at,
            )),
            None => out.push((
                Code::SchemaPrimaryKey,
                "primaryKey entries must be field names".into(),
                at,
            )),
        }
    }
    out
}

/// A loaded table with where it came from, for the checks across tables.
pub struct Loaded<'a> {
    pub table: &'a TableSchema,
    pub path: &'a str,
    pub text: &'a str,
}

/// The tables together: names and raw tables unique, references resolve, the tables the
/// pipeline needs are there.
pub fn tables(loaded: &[Loaded], tables_dir: &str) -> Vec<Problem> {
    let mut out = vec![];
    let at =
        |l: &Loaded, path: &[Seg]| Loc::at(l.path, l.text, crate::json_pos::span(l.text, path));
    let mut names: HashMap<&str, &Loaded> = HashMap::new();
    let mut raws: HashMap<&str, &Loaded> = HashMap::new();
    for l in loaded {
        if let Some(first) = names.insert(l.table.name.as_str(), l) {
            out.push(
                Problem::new(
                    Code::SchemaDuplicate,
                    format!("two tables are named `{}`", l.table.name),
                )
                .at(at(l, &[key("name")]))
                .note(at(first, &[key("name")]), "the other table")
                .expected("one schema file per table, each with its own name"),
            );
        }
        if let Some(r) = &l.table.raw_table
            && let Some(first) = raws.insert(r.as_str(), l)
        {
            out.push(
                Problem::new(
                    Code::SchemaDuplicate,
                    format!("two tables read the `[[{r}]]` entries of raw/"),
                )
                .at(at(l, &[key("x-raw-table")]))
                .note(at(first, &[key("x-raw-table")]), "the other table")
                .expected("one table per kind of raw entry"),
            );
        }
    }
    for l in loaded {
        for (i, f) in l.table.fields.iter().enumerate() {
            let at_key = |k: &str| at(l, &[key("fields"), Seg::Index(i), key(k)]);
            out.extend(field_across_tables(l.table, f, &names, &at_key));
        }
    }
    out.extend(provenance_columns(loaded, &at));
    if !raws.contains_key("source") {
        out.push(
            Problem::new(
                Code::SchemaMissingTable,
                "no table reads the [source] of the extraction files",
            )
            .at(Loc::file(tables_dir))
            .expected(
                "a table schema with \"x-raw-table\": \"source\" (schema/tables/sources.json)",
            ),
        );
    }
    out
}

/// One field of `table` against the schema as a whole: a required column something fills,
/// a type that its properties produce, a reference to a known table (`names`), defaults
/// that name fields of the table. `at` locates one of the field's keys.
fn field_across_tables(
    table: &TableSchema,
    f: &Field,
    names: &HashMap<&str, &Loaded>,
    at: &dyn Fn(&str) -> Loc,
) -> Vec<Problem> {
    let mut out = vec![];
    if table.raw_table.is_some() && f.required && !filled(table, f) {
        out.push(
            Problem::new(
                Code::Schema,
                format!("required column `{}` is filled by nothing", f.name),
            )
            .at(at("name"))
            .expected("`x-raw`, `x-default`, or an `x-derive` from a required column (or drop `required`)"),
        );
    }
    if let Some((what, prop)) = type_mismatch(f) {
        out.push(
            Problem::new(
                Code::Schema,
                format!("field `{}` is of type {:?}, but {what}", f.name, f.ftype),
            )
            .at(at(prop))
            .expected("the type the property produces (the output columns are typed by it)"),
        );
    }
    if let Some(r) = &f.reference
        && !names.contains_key(r.as_str())
    {
        out.push(
            Problem::new(Code::Schema, format!("`x-ref` names unknown table `{r}`"))
                .at(at("x-ref"))
                .expected(format!("one of: {}", sorted(names.keys().copied()))),
        );
    }
    if let Some(d) = &f.default {
        for col in d.false_when.keys().filter(|c| table.field(c).is_none()) {
            out.push(
                Problem::new(
                    Code::Schema,
                    format!("`x-default` names unknown field `{col}`"),
                )
                .at(at("x-default"))
                .expected("fields of the same table"),
            );
        }
    }
    out
}

/// Provenance is stored as claims (`crate::provenance`): besides the claim columns, only
/// columns that are the same in every row (the schema version).
fn provenance_columns(loaded: &[Loaded], at: &dyn Fn(&Loaded, &[Seg]) -> Loc) -> Vec<Problem> {
    let Some(l) = loaded.iter().find(|l| l.table.name == "provenance") else {
        return vec![];
    };
    let unsupported = crate::provenance::Provenance::unsupported(l.table);
    unsupported
        .map(|f| {
            let i = l.table.fields.iter().position(|g| g.name == f.name).unwrap();
            let prop = if f.default.is_some() { "x-default" } else { "x-derive" };
            Problem::new(
                Code::Schema,
                format!("provenance cannot compute column `{}`", f.name),
            )
            .at(at(l, &[key("fields"), Seg::Index(i), key(prop)]))
            .expected("in provenance, no `x-default`, and `x-derive` only for the schema version and `derived_reason`")
        })
        .collect()
}

/// Whether every row gets a value in a required column (Parquet's required columns have no
/// missing values).
fn filled(t: &TableSchema, f: &crate::schema::Field) -> bool {
    use crate::schema::Derive;
    f.raw.is_some()
        || f.default.is_some()
        || match &f.derive {
            // Computed after reconcile for every row (src/meaning/).
            Some(Derive::SourceIds | Derive::SchemaVersion | Derive::Meaning(_)) => true,
            Some(Derive::DatePart { from, .. } | Derive::Ascii { from }) => {
                // One level: dates and names are read from raw/ (no chains, so no cycles).
                t.field(from)
                    .is_some_and(|g| g.required && (g.raw.is_some() || g.default.is_some()))
            }
            None => false,
        }
}

/// A pipeline property that produces values of another type than the column's: they would
/// be published as missing (or make a required Parquet column fail).
fn type_mismatch(f: &crate::schema::Field) -> Option<(&'static str, &'static str)> {
    use crate::schema::{DatePart, Derive, FieldType as T, Kind};
    let derived = match &f.derive {
        Some(Derive::DatePart {
            part: DatePart::Start | DatePart::End,
            ..
        }) => Some(T::Date),
        Some(Derive::DatePart {
            part: DatePart::Year,
            ..
        }) => Some(T::Integer),
        Some(Derive::DatePart {
            part: DatePart::Precision,
            ..
        }) => Some(T::String),
        Some(Derive::Ascii { .. } | Derive::SchemaVersion) => Some(T::String),
        Some(Derive::SourceIds) => Some(T::List),
        // Each computed part has its own type (src/meaning/); checked there.
        Some(Derive::Meaning(_)) | None => None,
    };
    if derived.is_some_and(|t| t != f.ftype) {
        return Some(("its `x-derive` gives another type", "x-derive"));
    }
    if f.default.is_some() && f.ftype != T::Boolean {
        return Some(("`x-default` gives true or false", "x-default"));
    }
    match f.kind {
        Kind::PartialDate if f.ftype != T::String => {
            Some(("`x-kind: partial_date` is text such as 2019-09", "x-kind"))
        }
        Kind::Amount if f.ftype != T::Number => Some(("`x-kind: amount` is a number", "x-kind")),
        _ => None,
    }
}

fn sorted<'a>(k: impl Iterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = k.collect();
    v.sort_unstable();
    v.join(", ")
}

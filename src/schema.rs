//! schema/ is the single source of truth: one Frictionless Table Schema per table
//! (`schema/tables/*.json`), the controlled vocabularies (`schema/vocabularies.json`) and the
//! version (`schema/VERSION`). Pipeline-specific properties are prefixed `x-` and are
//! stripped from the published datapackage.json.

use crate::diagnostic::{Code, Loc, Problem};
use crate::json_pos::{Seg, key};
use regex::Regex;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Date,
    List,
}

/// How a column that is not read from raw/ is computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derive {
    /// Part of a partial date held in another column.
    DatePart {
        from: String,
        part: DatePart,
    },
    /// ASCII transliteration of another column.
    Ascii {
        from: String,
    },
    SourceIds,
    SchemaVersion,
    /// Filled after reconcile by `crate::meaning` (`cameo_label`, `convert`,
    /// `conversion_note`, `derived_fields`, `derived_reason`); its spec is in the field's JSON.
    Meaning(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    Start,
    End,
    Precision,
    Year,
}

/// What to do when sources give different values for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// Structured value: disagreement is a conflict that must be resolved.
    Strict,
    /// Free text: the first source (by source_id) wins; the others stay in provenance.
    First,
    /// Lists: the union of all claims.
    Union,
}

/// How a raw value is parsed before type checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    PartialDate,
    /// Number that may be written with a scale word ("46 million").
    Amount,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ftype: FieldType,
    pub description: String,
    /// The key in the extraction file, when the column is read from raw/.
    pub raw: Option<String>,
    pub required: bool,
    pub unique: bool,
    pub pattern: Option<Regex>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub vocabulary: Option<String>,
    pub derive: Option<Derive>,
    pub merge: Merge,
    pub reference: Option<String>,
    pub kind: Kind,
    /// `x-default`: value used when no source gives one (see `Default`).
    pub default: Option<Default>,
    /// The field's JSON as written in schema/, used for the datapackage and codebook.
    pub json: Json,
}

/// A rule-based default: false when any named column has one of the listed values,
/// otherwise `otherwise`. Used for `for_aggregates`.
#[derive(Debug, Clone)]
pub struct Default {
    pub false_when: BTreeMap<String, Vec<String>>,
    pub otherwise: bool,
}

#[derive(Debug, Clone)]
pub struct TableSchema {
    pub name: String,
    /// The array name in extraction files (`event` for `[[event]]`); None for generated tables.
    pub raw_table: Option<String>,
    pub primary_key: Vec<String>,
    pub fields: Vec<Field>,
    pub json: Json,
}

impl TableSchema {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
    /// A row in this table's column order from (column, value) pairs; a column the table
    /// does not have is skipped, the others are null.
    pub fn row_of<'n>(
        &self,
        cells: impl IntoIterator<Item = (&'n str, crate::model::Value)>,
    ) -> Vec<crate::model::Value> {
        let mut row = vec![crate::model::Value::Null; self.fields.len()];
        for (name, v) in cells {
            if let Some(i) = self.field_index(name) {
                row[i] = v;
            }
        }
        row
    }
    /// The field read from raw key `key`.
    pub fn raw_field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.raw.as_deref() == Some(key))
    }
    /// The id column (read from raw key `id`, or the first primary key column).
    pub fn id_field(&self) -> &Field {
        self.field(&self.primary_key[0])
            .expect("primary key names a field")
    }
}

#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub description: String,
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub version: String,
    pub tables: Vec<TableSchema>,
    pub vocabularies: BTreeMap<String, Vocabulary>,
    /// Every schema file (relative path, bytes), for input hashing and fingerprints.
    pub files: Vec<(String, Vec<u8>)>,
    /// The exchange rates of the snapshot in `files`, computed on first use (validate checks
    /// them, enrich converts with them: once per run, not twice).
    pub rates: Memo<Result<crate::meaning::currency::Rates, Problem>>,
}

/// A value computed once from what holds it. A clone starts empty (the clone may be edited).
pub struct Memo<T>(std::sync::OnceLock<T>);

impl<T> Memo<T> {
    pub fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(f)
    }
}

impl<T> std::default::Default for Memo<T> {
    fn default() -> Self {
        Memo(std::sync::OnceLock::new())
    }
}

impl<T> Clone for Memo<T> {
    fn clone(&self) -> Self {
        Memo(std::sync::OnceLock::new())
    }
}

impl<T> std::fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.iter().find(|t| t.name == name)
    }
    pub fn raw_table(&self, raw: &str) -> Option<&TableSchema> {
        self.tables
            .iter()
            .find(|t| t.raw_table.as_deref() == Some(raw))
    }
    /// The bytes of the schema file at `rel` (relative to schema/), if it was loaded.
    pub fn file(&self, rel: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(r, _)| r == rel)
            .map(|(_, b)| b.as_slice())
    }
    pub fn vocab_contains(&self, vocab: &str, value: &str) -> bool {
        self.vocabularies
            .get(vocab)
            .is_some_and(|v| v.values.contains_key(value))
    }

    /// Loads and checks schema/. Any inconsistency is an error: a wrong schema must never
    /// silently produce a wrong dataset.
    pub fn load(dir: &Path) -> Result<Schema, Vec<Problem>> {
        let mut problems = vec![];
        let mut reader = Reader { dir, files: vec![] };
        let version = reader
            .read("VERSION")
            .map_err(|p| vec![p])?
            .trim()
            .to_string();
        if !is_semver(&version) {
            problems.push(
                Problem::new(
                    Code::Schema,
                    format!("schema/VERSION is `{}`", shorten(&version)),
                )
                .at(Loc::file(dir.join("VERSION").display().to_string()))
                .expected("a semantic version MAJOR.MINOR.PATCH, e.g. 1.0.0"),
            );
        }
        let vocabularies = reader.vocabularies()?;
        let names = table_files(dir).map_err(|p| vec![p])?;
        problems.extend(reader.meaning_files());
        let mut tables = vec![];
        let mut sources = vec![];
        for name in names {
            match reader.table(&name, &vocabularies) {
                Ok((t, source)) => {
                    tables.push(t);
                    sources.push(source);
                }
                Err(found) => problems.extend(found),
            }
        }
        if problems.is_empty() {
            problems.extend(check_across(dir, &tables, &sources));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Schema {
            version,
            tables,
            vocabularies,
            files: reader.files,
            rates: Memo(std::sync::OnceLock::new()),
        })
    }
}

/// The checks across the loaded tables (`schema_check`); `sources`: each table's file and text.
fn check_across(dir: &Path, tables: &[TableSchema], sources: &[(String, String)]) -> Vec<Problem> {
    let loaded: Vec<crate::schema_check::Loaded> = tables
        .iter()
        .zip(sources)
        .map(|(table, (path, text))| crate::schema_check::Loaded { table, path, text })
        .collect();
    crate::schema_check::tables(&loaded, &dir.join("tables").display().to_string())
}

/// Reads the files of schema/, keeping each one's bytes (`Schema::files`).
struct Reader<'d> {
    dir: &'d Path,
    files: Vec<(String, Vec<u8>)>,
}

impl Reader<'_> {
    /// Files the meaning checks read (CAMEO rules, the exchange-rate snapshot): loaded here so
    /// that they are hashed with the schema; their content is checked by validate.
    fn meaning_files(&mut self) -> Vec<Problem> {
        let dir = self.dir;
        let present = crate::meaning::SCHEMA_FILES
            .iter()
            .filter(|rel| dir.join(rel).exists());
        present.filter_map(|rel| self.read(rel).err()).collect()
    }

    /// The text of schema file `rel`.
    fn read(&mut self, rel: &str) -> Result<String, Problem> {
        let path = self.dir.join(rel);
        // Bounded like every read (a FIFO, device or link out of schema/ is refused).
        let limit = crate::fsio::MAX_DOCUMENT_BYTES;
        let bytes = crate::fsio::read_in_tree(self.dir, Path::new(rel), limit).map_err(|e| {
            Problem::new(Code::Schema, format!("cannot read schema file: {e}"))
                .at(Loc::file(path.display().to_string()))
        })?;
        let text = String::from_utf8(bytes.clone()).map_err(|_| {
            Problem::new(Code::Schema, "schema file is not UTF-8")
                .at(Loc::file(path.display().to_string()))
        })?;
        self.files.push((rel.to_string(), bytes));
        Ok(text)
    }

    /// The text of the JSON file `rel` and its value.
    fn json(&mut self, rel: &str) -> Result<(String, Json), Problem> {
        let text = self.read(rel)?;
        let j = parse_json(self.dir, rel, &text)?;
        Ok((text, j))
    }

    /// vocabularies.json: no key given twice, every vocabulary well formed.
    fn vocabularies(&mut self) -> Result<BTreeMap<String, Vocabulary>, Vec<Problem>> {
        let rel = "vocabularies.json";
        let (text, j) = self.json(rel).map_err(|p| vec![p])?;
        let path = self.dir.join(rel).display().to_string();
        let at = |segs: &[Seg]| Loc::at(&path, &text, crate::json_pos::span(&text, segs));
        if let Some((segs, k)) = crate::json_pos::duplicate_key(&text) {
            return Err(vec![
                Problem::new(
                    Code::SchemaDuplicate,
                    format!("the key `{k}` is given twice in one object"),
                )
                .at(at(&segs)),
            ]);
        }
        parse_vocabularies(&j)
            .map_err(|(m, segs)| vec![Problem::new(Code::Schema, m).at(at(&segs))])
    }

    /// The table schema in tables/`name`, with its (path, text) for the checks across tables.
    fn table(
        &mut self,
        name: &str,
        vocabularies: &BTreeMap<String, Vocabulary>,
    ) -> Result<(TableSchema, (String, String)), Vec<Problem>> {
        let rel = format!("tables/{name}");
        let path = self.dir.join(&rel).display().to_string();
        let (text, j) = self.json(&rel).map_err(|p| vec![p])?;
        let shape = crate::schema_check::table(&j, &text);
        let result = if shape.is_empty() {
            parse_table(&j, vocabularies).map_err(|(m, segs)| vec![(Code::Schema, m, segs)])
        } else {
            Err(shape)
        };
        let at = |segs: &[Seg]| Loc::at(&path, &text, crate::json_pos::span(&text, segs));
        match result {
            Ok(t) => Ok((t, (path, text))),
            Err(fails) => Err((fails.into_iter())
                .map(|(code, m, segs)| Problem::new(code, m).at(at(&segs)))
                .collect()),
        }
    }
}

/// The names of the table schemas in schema/tables (`*.json`), sorted.
fn table_files(dir: &Path) -> Result<Vec<String>, Problem> {
    let rd = std::fs::read_dir(dir.join("tables")).map_err(|e| {
        Problem::new(Code::Schema, format!("cannot read schema/tables: {e}"))
            .at(Loc::file(dir.join("tables").display().to_string()))
    })?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    Ok(names)
}

pub fn is_semver(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u64>().is_ok()
        })
}

fn parse_json(dir: &Path, rel: &str, text: &str) -> Result<Json, Problem> {
    serde_json::from_str(text).map_err(|e| {
        let path = dir.join(rel).display().to_string();
        // serde_json counts lines by `\n` and columns in bytes: CRLF and non-ASCII text must
        // not shift the reported position (or cut a character in two).
        let line_start: usize = text
            .split_inclusive('\n')
            .take(e.line().saturating_sub(1))
            .map(str::len)
            .sum();
        let offset = line_start + e.column().saturating_sub(1);
        Problem::new(Code::Schema, format!("invalid JSON: {e}")).at(Loc::at(
            &path,
            text,
            offset..offset + 1,
        ))
    })
}

/// A value from the inputs, cut to a length that fits a message.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}… ({} bytes)", &s[..i], s.len()),
        None => s.to_string(),
    }
}

fn parse_vocabularies(j: &Json) -> Result<BTreeMap<String, Vocabulary>, Fail> {
    let obj = j.as_object().ok_or((
        "vocabularies.json must be an object of vocabularies".to_string(),
        vec![],
    ))?;
    obj.iter()
        .map(|(name, v)| {
            let at = |k: &str| vec![key(name), key(k)];
            let values = v["values"].as_object().ok_or((
                format!("vocabulary `{name}` needs an object `values`"),
                at("values"),
            ))?;
            let values = values
                .iter()
                .map(|(k, d)| match d.as_str() {
                    Some(label) if !k.is_empty() => Ok((k.clone(), label.to_string())),
                    _ => Err((
                        format!("vocabulary `{name}`: value `{k}` needs a non-empty code and a text label"),
                        vec![key(name), key("values"), key(k)],
                    )),
                })
                .collect::<Result<_, _>>()?;
            Ok((
                name.clone(),
                Vocabulary {
                    description: v["description"].as_str().unwrap_or_default().to_string(),
                    values,
                },
            ))
        })
        .collect()
}

/// A schema mistake and where it is in its file.
type Fail = (String, Vec<Seg>);

fn primary_key(j: &Json, name: &str) -> Result<Vec<String>, Fail> {
    let missing = || {
        (
            format!("table `{name}` needs a `primaryKey`"),
            vec![key("primaryKey")],
        )
    };
    let pk: Vec<String> = match &j["primaryKey"] {
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => return Err(missing()),
    };
    if pk.is_empty() {
        return Err(missing());
    }
    Ok(pk)
}

/// Every primary key column and every field a field derives from is a field of the table.
fn check_names(name: &str, primary_key: &[String], fields: &[Field]) -> Result<(), Fail> {
    for k in primary_key {
        if !fields.iter().any(|f| &f.name == k) {
            return Err((
                format!("table `{name}`: primaryKey `{k}` is not a field"),
                vec![key("primaryKey")],
            ));
        }
    }
    for (i, f) in fields.iter().enumerate() {
        if let Some(Derive::DatePart { from, .. } | Derive::Ascii { from }) = &f.derive
            && !fields.iter().any(|g| &g.name == from)
        {
            return Err((
                format!(
                    "table `{name}`: field `{}` derives from unknown field `{from}`",
                    f.name
                ),
                vec![key("fields"), Seg::Index(i), key("x-derive")],
            ));
        }
    }
    Ok(())
}

fn parse_table(j: &Json, vocabularies: &BTreeMap<String, Vocabulary>) -> Result<TableSchema, Fail> {
    let name = j["name"]
        .as_str()
        .ok_or(("table schema needs a `name`".to_string(), vec![]))?
        .to_string();
    let primary_key = primary_key(j, &name)?;
    let fields = j["fields"].as_array().ok_or((
        format!("table `{name}` needs `fields`"),
        vec![key("fields")],
    ))?;
    let fields = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            parse_field(f, &name, vocabularies)
                .map_err(|(m, k)| (m, vec![key("fields"), Seg::Index(i), key(k)]))
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_names(&name, &primary_key, &fields)?;
    Ok(TableSchema {
        name,
        raw_table: j["x-raw-table"].as_str().map(String::from),
        primary_key,
        fields,
        json: j.clone(),
    })
}

/// One field; a mistake names the property it is in.
fn parse_field(
    f: &Json,
    table: &str,
    vocabularies: &BTreeMap<String, Vocabulary>,
) -> Result<Field, (String, &'static str)> {
    let name = f["name"]
        .as_str()
        .ok_or((format!("table `{table}`: a field has no `name`"), "name"))?
        .to_string();
    let in_context =
        |(m, key): (String, &'static str)| (format!("table `{table}`, field `{name}`: {m}"), key);
    let ftype = field_type(f).map_err(in_context)?;
    let c = &f["constraints"];
    let pattern = match c["pattern"].as_str() {
        Some(p) => Some(
            Regex::new(&format!("^(?:{p})$"))
                .map_err(|e| in_context((format!("bad pattern: {e}"), "constraints")))?,
        ),
        None => None,
    };
    let vocabulary = f["x-vocabulary"].as_str().map(String::from);
    if let Some(v) = &vocabulary
        && !vocabularies.contains_key(v)
    {
        return Err(in_context((
            format!("unknown vocabulary `{v}`"),
            "x-vocabulary",
        )));
    }
    let derive = derive(&f["x-derive"]).map_err(in_context)?;
    let merge = merge(f).map_err(in_context)?;
    let kind = kind(f).map_err(in_context)?;
    Ok(Field {
        description: f["description"].as_str().unwrap_or_default().to_string(),
        raw: f["x-raw"].as_str().map(String::from),
        required: c["required"].as_bool().unwrap_or(false),
        unique: c["unique"].as_bool().unwrap_or(false),
        minimum: c["minimum"].as_f64(),
        maximum: c["maximum"].as_f64(),
        reference: f["x-ref"].as_str().map(String::from),
        json: f.clone(),
        default: default(&f["x-default"]),
        name,
        ftype,
        pattern,
        vocabulary,
        derive,
        merge,
        kind,
    })
}

/// What is wrong with a field's schema, and the key that is wrong.
type FieldFail = (String, &'static str);

fn field_type(f: &Json) -> Result<FieldType, FieldFail> {
    Ok(match f["type"].as_str() {
        Some("string") => FieldType::String,
        Some("integer") => FieldType::Integer,
        Some("number") => FieldType::Number,
        Some("boolean") => FieldType::Boolean,
        Some("date") => FieldType::Date,
        Some("list") => FieldType::List,
        other => {
            return Err((
                format!(
                    "unsupported type {other:?}; expected string, integer, number, boolean, date or list"
                ),
                "type",
            ));
        }
    })
}

/// `x-derive`: a column computed from another one, or from the meaning checks.
fn derive(d: &Json) -> Result<Option<Derive>, FieldFail> {
    if d.is_null() {
        return Ok(None);
    }
    let from = d["from"].as_str().map(String::from);
    let date_part = |part| match part {
        "start" => Some(DatePart::Start),
        "end" => Some(DatePart::End),
        "precision" => Some(DatePart::Precision),
        "year" => Some(DatePart::Year),
        _ => None,
    };
    Ok(Some(match (d["part"].as_str(), from) {
        (Some(p), Some(from)) if let Some(part) = date_part(p) => Derive::DatePart { from, part },
        (Some("ascii"), Some(from)) => Derive::Ascii { from },
        (Some("source_ids"), _) => Derive::SourceIds,
        (Some("schema_version"), _) => Derive::SchemaVersion,
        (Some(p), _) if crate::meaning::DERIVE_PARTS.contains(&p) => Derive::Meaning(p.to_string()),
        (p, _) => return Err((format!("unknown x-derive {p:?}"), "x-derive")),
    }))
}

fn merge(f: &Json) -> Result<Merge, FieldFail> {
    match f["x-merge"].as_str() {
        None | Some("strict") => Ok(Merge::Strict),
        Some("first") => Ok(Merge::First),
        Some("union") => Ok(Merge::Union),
        Some(m) => Err((
            format!("unknown x-merge `{m}`; expected strict, first or union"),
            "x-merge",
        )),
    }
}

fn kind(f: &Json) -> Result<Kind, FieldFail> {
    match f["x-kind"].as_str() {
        None => Ok(Kind::Plain),
        Some("partial_date") => Ok(Kind::PartialDate),
        Some("amount") => Ok(Kind::Amount),
        Some(k) => Err((format!("unknown x-kind `{k}`"), "x-kind")),
    }
}

/// `x-default`: false when any of the named columns holds one of the listed values.
fn default(d: &Json) -> Option<Default> {
    if d.is_null() {
        return None;
    }
    let values = |v: &Json| -> Vec<String> {
        (v.as_array().into_iter().flatten())
            .filter_map(|x| x.as_str().map(String::from))
            .collect()
    };
    Some(Default {
        false_when: (d["false_when"].as_object())
            .map(|o| o.iter().map(|(k, v)| (k.clone(), values(v))).collect())
            .unwrap_or_default(),
        otherwise: d["otherwise"].as_bool().unwrap_or(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver() {
        assert!(is_semver("1.0.0"));
        assert!(is_semver("10.2.33"));
        assert!(!is_semver("1.0"));
        assert!(!is_semver("01.0.0"));
        assert!(!is_semver("1.0.0-beta"));
    }

    #[test]
    fn repository_schema_loads() {
        let s = Schema::load(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schema")
                .as_path(),
        )
        .unwrap();
        assert_eq!(s.tables.len(), 9);
        let deals = s.table("deals").unwrap();
        assert_eq!(deals.raw_field("amount").unwrap().kind, Kind::Amount);
        assert_eq!(deals.id_field().name, "deal_id");
    }
}

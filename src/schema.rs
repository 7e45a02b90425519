//! schema/ is the single source of truth: one Frictionless Table Schema per table
//! (`schema/tables/*.json`), the controlled vocabularies (`schema/vocabularies.json`) and the
//! version (`schema/VERSION`). Pipeline-specific properties are prefixed `x-` and are
//! stripped from the published datapackage.json.

use crate::diagnostic::{Code, Loc, Problem};
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
    pub fn vocab_contains(&self, vocab: &str, value: &str) -> bool {
        self.vocabularies
            .get(vocab)
            .is_some_and(|v| v.values.contains_key(value))
    }

    /// Loads and checks schema/. Any inconsistency is an error: a wrong schema must never
    /// silently produce a wrong dataset.
    pub fn load(dir: &Path) -> Result<Schema, Vec<Problem>> {
        let mut problems = vec![];
        let mut files = vec![];
        let read = |rel: &str, files: &mut Vec<(String, Vec<u8>)>| -> Result<String, Problem> {
            let path = dir.join(rel);
            let bytes = std::fs::read(&path).map_err(|e| {
                Problem::new(Code::Schema, format!("cannot read schema file: {e}"))
                    .at(Loc::file(path.display().to_string()))
            })?;
            let text = String::from_utf8(bytes.clone()).map_err(|_| {
                Problem::new(Code::Schema, "schema file is not UTF-8")
                    .at(Loc::file(path.display().to_string()))
            })?;
            files.push((rel.to_string(), bytes));
            Ok(text)
        };
        let version = match read("VERSION", &mut files) {
            Ok(v) => v.trim().to_string(),
            Err(p) => return Err(vec![p]),
        };
        if !is_semver(&version) {
            problems.push(
                Problem::new(Code::Schema, format!("schema/VERSION is `{version}`"))
                    .at(Loc::file(dir.join("VERSION").display().to_string()))
                    .expected("a semantic version MAJOR.MINOR.PATCH, e.g. 1.0.0"),
            );
        }
        let vocabularies = match read("vocabularies.json", &mut files)
            .and_then(|t| parse_json(dir, "vocabularies.json", &t))
        {
            Ok(j) => parse_vocabularies(&j).map_err(|m| {
                vec![Problem::new(Code::Schema, m).at(Loc::file(
                    dir.join("vocabularies.json").display().to_string(),
                ))]
            })?,
            Err(p) => return Err(vec![p]),
        };
        let mut names: Vec<String> = match std::fs::read_dir(dir.join("tables")) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect(),
            Err(e) => {
                return Err(vec![
                    Problem::new(Code::Schema, format!("cannot read schema/tables: {e}"))
                        .at(Loc::file(dir.join("tables").display().to_string())),
                ]);
            }
        };
        names.sort();
        let mut tables = vec![];
        for name in names {
            let rel = format!("tables/{name}");
            let parsed = read(&rel, &mut files).and_then(|t| parse_json(dir, &rel, &t));
            match parsed.and_then(|j| {
                parse_table(&j, &vocabularies).map_err(|m| {
                    Problem::new(Code::Schema, m)
                        .at(Loc::file(dir.join(&rel).display().to_string()))
                })
            }) {
                Ok(t) => tables.push(t),
                Err(p) => problems.push(p),
            }
        }
        if problems.is_empty() {
            Ok(Schema {
                version,
                tables,
                vocabularies,
                files,
            })
        } else {
            Err(problems)
        }
    }
}

pub fn is_semver(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

fn parse_json(dir: &Path, rel: &str, text: &str) -> Result<Json, Problem> {
    serde_json::from_str(text).map_err(|e| {
        let path = dir.join(rel).display().to_string();
        let offset = text
            .lines()
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum::<usize>()
            + e.column().saturating_sub(1);
        Problem::new(Code::Schema, format!("invalid JSON: {e}")).at(Loc::at(
            &path,
            text,
            offset..offset + 1,
        ))
    })
}

fn parse_vocabularies(j: &Json) -> Result<BTreeMap<String, Vocabulary>, String> {
    let obj = j
        .as_object()
        .ok_or("vocabularies.json must be an object of vocabularies")?;
    obj.iter()
        .map(|(name, v)| {
            let values = v["values"]
                .as_object()
                .ok_or(format!("vocabulary `{name}` needs an object `values`"))?;
            let values = values
                .iter()
                .map(|(k, d)| (k.clone(), d.as_str().unwrap_or_default().to_string()))
                .collect();
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

fn parse_table(
    j: &Json,
    vocabularies: &BTreeMap<String, Vocabulary>,
) -> Result<TableSchema, String> {
    let name = j["name"]
        .as_str()
        .ok_or("table schema needs a `name`")?
        .to_string();
    let primary_key: Vec<String> = match &j["primaryKey"] {
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => return Err(format!("table `{name}` needs a `primaryKey`")),
    };
    let fields = j["fields"]
        .as_array()
        .ok_or(format!("table `{name}` needs `fields`"))?;
    let fields = fields
        .iter()
        .map(|f| parse_field(f, &name, vocabularies))
        .collect::<Result<Vec<_>, _>>()?;
    for k in &primary_key {
        if !fields.iter().any(|f| &f.name == k) {
            return Err(format!("table `{name}`: primaryKey `{k}` is not a field"));
        }
    }
    for f in &fields {
        if let Some(Derive::DatePart { from, .. } | Derive::Ascii { from }) = &f.derive
            && !fields.iter().any(|g| &g.name == from)
        {
            return Err(format!(
                "table `{name}`: field `{}` derives from unknown field `{from}`",
                f.name
            ));
        }
    }
    Ok(TableSchema {
        name,
        raw_table: j["x-raw-table"].as_str().map(String::from),
        primary_key,
        fields,
        json: j.clone(),
    })
}

fn parse_field(
    f: &Json,
    table: &str,
    vocabularies: &BTreeMap<String, Vocabulary>,
) -> Result<Field, String> {
    let name = f["name"]
        .as_str()
        .ok_or(format!("table `{table}`: a field has no `name`"))?
        .to_string();
    let ctx = |m: &str| format!("table `{table}`, field `{name}`: {m}");
    let ftype = match f["type"].as_str() {
        Some("string") => FieldType::String,
        Some("integer") => FieldType::Integer,
        Some("number") => FieldType::Number,
        Some("boolean") => FieldType::Boolean,
        Some("date") => FieldType::Date,
        Some("list") => FieldType::List,
        other => {
            return Err(ctx(&format!(
                "unsupported type {other:?}; expected string, integer, number, boolean, date or list"
            )));
        }
    };
    let c = &f["constraints"];
    let pattern = match c["pattern"].as_str() {
        Some(p) => {
            Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| ctx(&format!("bad pattern: {e}")))?)
        }
        None => None,
    };
    let vocabulary = f["x-vocabulary"].as_str().map(String::from);
    if let Some(v) = &vocabulary
        && !vocabularies.contains_key(v)
    {
        return Err(ctx(&format!("unknown vocabulary `{v}`")));
    }
    let derive = match &f["x-derive"] {
        Json::Null => None,
        d => {
            let from = d["from"].as_str().map(String::from);
            Some(match (d["part"].as_str(), from) {
                (Some("start"), Some(from)) => Derive::DatePart {
                    from,
                    part: DatePart::Start,
                },
                (Some("end"), Some(from)) => Derive::DatePart {
                    from,
                    part: DatePart::End,
                },
                (Some("precision"), Some(from)) => Derive::DatePart {
                    from,
                    part: DatePart::Precision,
                },
                (Some("year"), Some(from)) => Derive::DatePart {
                    from,
                    part: DatePart::Year,
                },
                (Some("ascii"), Some(from)) => Derive::Ascii { from },
                (Some("source_ids"), _) => Derive::SourceIds,
                (Some("schema_version"), _) => Derive::SchemaVersion,
                (p, _) => return Err(ctx(&format!("unknown x-derive {p:?}"))),
            })
        }
    };
    let merge = match f["x-merge"].as_str() {
        None | Some("strict") => Merge::Strict,
        Some("first") => Merge::First,
        Some("union") => Merge::Union,
        Some(m) => {
            return Err(ctx(&format!(
                "unknown x-merge `{m}`; expected strict, first or union"
            )));
        }
    };
    let kind = match f["x-kind"].as_str() {
        None => Kind::Plain,
        Some("partial_date") => Kind::PartialDate,
        Some("amount") => Kind::Amount,
        Some(k) => return Err(ctx(&format!("unknown x-kind `{k}`"))),
    };
    let default = match &f["x-default"] {
        Json::Null => None,
        d => Some(Default {
            false_when: d["false_when"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_array()
                                    .into_iter()
                                    .flatten()
                                    .filter_map(|x| x.as_str().map(String::from))
                                    .collect(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            otherwise: d["otherwise"].as_bool().unwrap_or(true),
        }),
    };
    Ok(Field {
        description: f["description"].as_str().unwrap_or_default().to_string(),
        raw: f["x-raw"].as_str().map(String::from),
        required: c["required"].as_bool().unwrap_or(false),
        unique: c["unique"].as_bool().unwrap_or(false),
        minimum: c["minimum"].as_f64(),
        maximum: c["maximum"].as_f64(),
        reference: f["x-ref"].as_str().map(String::from),
        json: f.clone(),
        name,
        ftype,
        pattern,
        vocabulary,
        derive,
        merge,
        kind,
        default,
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
        assert_eq!(s.tables.len(), 8);
        let deals = s.table("deals").unwrap();
        assert_eq!(deals.raw_field("amount").unwrap().kind, Kind::Amount);
        assert_eq!(deals.id_field().name, "deal_id");
    }
}

//! `pillars diff OLD NEW`: what changed between two builds of the dataset, per table — records
//! added, removed and changed (which fields, old → new) — matched by primary key. This is the
//! changelog a scheduled rebuild posts.
//!
//! Each directory must be a pillars output directory: its `datapackage.json` names the tables,
//! their CSV files and primary keys. The CSV text is compared as published. The
//! `schema_version` column is left out of the record comparison (a schema release changes it
//! in every row); the schema and dataset versions are reported once, at the top.

use crate::diagnostic::{self, Code, Format, Loc, Problem};
use crate::fsio::{self, MAX_OUTPUT_FILE_BYTES};
use clap::Args;
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// The earlier output directory (e.g. a checkout of the last release's output/).
    pub old: PathBuf,
    /// The later output directory.
    pub new: PathBuf,
    /// Report format (also used for errors).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Columns never compared record by record.
const IGNORED: [&str; 1] = ["schema_version"];

/// One table of one output directory.
struct Table {
    key: Vec<String>,
    header: Vec<String>,
    /// Key values → row, in key order.
    rows: BTreeMap<Vec<String>, Vec<String>>,
}

/// One output directory.
struct Output {
    dataset_version: Json,
    schema_version: Json,
    tables: BTreeMap<String, Table>,
}

fn problem(code: Code, path: &Path, msg: impl Into<String>, expected: &str) -> Problem {
    Problem::new(code, msg)
        .at(Loc::file(path.display().to_string()))
        .expected(expected)
}

const EXPECTED_DIR: &str = "a pillars output directory (datapackage.json, csv/*.csv)";

fn load(dir: &Path) -> Result<Output, Vec<Problem>> {
    let dp = datapackage(dir).map_err(|p| vec![p])?;
    let dp_path = dir.join("datapackage.json");
    let Some(resources) = dp["resources"].as_array() else {
        return Err(vec![problem(
            Code::DiffInput,
            &dp_path,
            "no `resources` array",
            EXPECTED_DIR,
        )]);
    };
    let mut problems = vec![];
    let mut tables = BTreeMap::new();
    for r in resources {
        match resource(dir, &dp_path, r) {
            Ok((name, t)) => {
                tables.insert(name, t);
            }
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Output {
        dataset_version: dp["version"].clone(),
        schema_version: dp["schema_version"].clone(),
        tables,
    })
}

/// The directory's `datapackage.json`, parsed.
fn datapackage(dir: &Path) -> Result<Json, Problem> {
    if !dir.is_dir() {
        let msg = if dir.exists() {
            "not a directory"
        } else {
            "directory not found"
        };
        return Err(problem(Code::Io, dir, msg, EXPECTED_DIR));
    }
    let dp_path = dir.join("datapackage.json");
    let bytes = fsio::read_in_tree(dir, Path::new("datapackage.json"), fsio::MAX_METADATA_BYTES)
        .map_err(|e| e.problem(Code::Io, &dp_path, EXPECTED_DIR))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        problem(
            Code::DiffInput,
            &dp_path,
            format!("invalid JSON (line {}): {e}", e.line()),
            EXPECTED_DIR,
        )
    })
}

/// One resource of datapackage.json: its name and its table, read from its CSV file.
fn resource(dir: &Path, dp_path: &Path, r: &Json) -> Result<(String, Table), Problem> {
    let (Some(name), Some(rel)) = (r["name"].as_str(), r["path"].as_str()) else {
        return Err(problem(
            Code::DiffInput,
            dp_path,
            "a resource has no `name` or `path`",
            EXPECTED_DIR,
        ));
    };
    let key: Vec<String> = match &r["schema"]["primaryKey"] {
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a
            .iter()
            .filter_map(|k| k.as_str().map(String::from))
            .collect(),
        _ => vec![],
    };
    if key.is_empty() {
        return Err(problem(
            Code::DiffInput,
            dp_path,
            format!("resource `{name}` has no primary key"),
            "schema.primaryKey in every resource",
        )
        .record("resources", name));
    }
    Ok((name.to_string(), read_table(dir, rel, name, key)?))
}

/// Reads table `name` from `dir/rel`: a regular file inside `dir` (the path comes from
/// datapackage.json, so it is not trusted to stay there).
fn read_table(dir: &Path, rel: &str, name: &str, key: Vec<String>) -> Result<Table, Problem> {
    let expected = "a CSV file as `pillars build` writes it, inside the output directory";
    // Shown as written under `dir` (joining an absolute path would drop `dir`).
    let path = &PathBuf::from(format!("{}/{rel}", dir.display()));
    let bytes = fsio::read_in_tree(dir, Path::new(rel), MAX_OUTPUT_FILE_BYTES)
        .map_err(|e| e.problem(Code::Io, path, expected))?;
    let text = CsvText {
        file: path.display().to_string(),
        text: String::from_utf8_lossy(&bytes),
    };
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let csv_err = |e: csv::Error| {
        let loc = e
            .position()
            .map_or_else(|| Loc::file(&text.file), |p| text.loc(p.byte()));
        Problem::new(Code::DiffInput, format!("invalid CSV: {e}"))
            .at(loc)
            .expected(expected)
    };
    let header: Vec<String> = rdr
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(String::from)
        .collect();
    let idx = key_columns(&header, &key, name, path)?;
    let mut rows = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let byte = rec.position().map_or(0, |p| p.byte());
        let row: Vec<String> = rec.iter().map(String::from).collect();
        let k: Vec<String> = idx.iter().map(|&i| row[i].clone()).collect();
        if rows.insert(k.clone(), row).is_some() {
            return Err(Problem::new(
                Code::DiffInput,
                format!("table `{name}`: duplicate primary key `{}`", k.join("/")),
            )
            .at(text.loc(byte))
            .expected("one row per primary key"));
        }
    }
    Ok(Table { key, header, rows })
}

/// A CSV file's text, to locate what the csv crate reports at a byte offset.
struct CsvText<'a> {
    file: String,
    text: std::borrow::Cow<'a, str>,
}

impl CsvText<'_> {
    /// The line at `byte`. (With CRLF the csv crate puts a record's start on the LF ending the
    /// previous line.)
    fn loc(&self, byte: u64) -> Loc {
        let text = &self.text;
        let mut b = (byte as usize).min(text.len());
        if !text.is_char_boundary(b) {
            return Loc::file(&self.file);
        }
        while text[b..].starts_with(['\r', '\n']) {
            b += 1;
        }
        let end = text[b..].find(['\r', '\n']).map_or(text.len(), |i| b + i);
        Loc::at(&self.file, text, b..end)
    }
}

/// The positions of the primary key's columns in `header`.
fn key_columns(
    header: &[String],
    key: &[String],
    name: &str,
    path: &Path,
) -> Result<Vec<usize>, Problem> {
    let position = |k: &String| {
        header.iter().position(|h| h == k).ok_or_else(|| {
            problem(
                Code::DiffInput,
                path,
                format!("table `{name}`: the header has no primary key column `{k}`"),
                &format!("a header with the primary key columns {}", key.join(", ")),
            )
        })
    };
    key.iter().map(position).collect()
}

struct Changed {
    key: Vec<String>,
    /// (column, old, new), in the new file's column order.
    fields: Vec<(String, String, String)>,
}

struct TableDiff {
    name: String,
    status: &'static str,
    key: Vec<String>,
    columns_added: Vec<String>,
    columns_removed: Vec<String>,
    added: Vec<(Vec<String>, Json)>,
    removed: Vec<(Vec<String>, Json)>,
    changed: Vec<Changed>,
}

fn record_json(header: &[String], row: &[String]) -> Json {
    Json::Object(
        header
            .iter()
            .zip(row)
            .map(|(h, v)| (h.clone(), json!(v)))
            .collect::<Map<_, _>>(),
    )
}

fn diff_table(name: &str, old: Option<&Table>, new: Option<&Table>) -> TableDiff {
    let empty = Table {
        key: vec![],
        header: vec![],
        rows: BTreeMap::new(),
    };
    let (o, n) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    // A table added or removed as a whole lists its rows, not its columns.
    let columns_only_in = |a: &Table, b: &Table| -> Vec<String> {
        if old.is_none() || new.is_none() {
            return vec![];
        }
        a.header
            .iter()
            .filter(|h| !b.header.contains(h))
            .cloned()
            .collect()
    };
    let mut d = TableDiff {
        name: name.to_string(),
        status: "",
        key: if new.is_some() { &n.key } else { &o.key }.clone(),
        columns_added: columns_only_in(n, o),
        columns_removed: columns_only_in(o, n),
        added: rows_only_in(n, o),
        removed: rows_only_in(o, n),
        changed: changed_rows(o, n),
    };
    d.status = match (old, new) {
        (None, _) => "added",
        (_, None) => "removed",
        _ if d.added.is_empty()
            && d.removed.is_empty()
            && d.changed.is_empty()
            && d.columns_added.is_empty()
            && d.columns_removed.is_empty() =>
        {
            "unchanged"
        }
        _ => "changed",
    };
    d
}

/// The rows of `a` whose key `b` does not have, as JSON records.
fn rows_only_in(a: &Table, b: &Table) -> Vec<(Vec<String>, Json)> {
    a.rows
        .iter()
        .filter(|(k, _)| !b.rows.contains_key(*k))
        .map(|(k, r)| (k.clone(), record_json(&a.header, r)))
        .collect()
}

/// The rows of both whose compared columns differ (the common columns, in the new order).
fn changed_rows(o: &Table, n: &Table) -> Vec<Changed> {
    let pairs: Vec<(String, usize, usize)> = n
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| !IGNORED.contains(&h.as_str()))
        .filter_map(|(j, h)| {
            o.header
                .iter()
                .position(|x| x == h)
                .map(|i| (h.clone(), i, j))
        })
        .collect();
    n.rows
        .iter()
        .filter_map(|(k, nr)| {
            let or = o.rows.get(k)?;
            let fields: Vec<_> = pairs
                .iter()
                .filter(|(_, i, j)| or[*i] != nr[*j])
                .map(|(h, i, j)| (h.clone(), or[*i].clone(), nr[*j].clone()))
                .collect();
            (!fields.is_empty()).then(|| Changed {
                key: k.clone(),
                fields,
            })
        })
        .collect()
}

fn version_line(label: &str, old: &Json, new: &Json) -> String {
    let s = |v: &Json| v.as_str().unwrap_or("unknown").to_string();
    if old == new {
        format!("{label}: {} (unchanged)\n", s(new))
    } else {
        format!("{label}: {} → {}\n", s(old), s(new))
    }
}

/// A cell for the text report: JSON string syntax, so empty cells and spaces are visible.
fn cell(v: &str) -> String {
    Json::String(v.to_string()).to_string()
}

fn text(a: &DiffArgs, old: &Output, new: &Output, diffs: &[TableDiff]) -> String {
    let mut s = format!("pillars diff {} → {}\n", a.old.display(), a.new.display());
    s += &version_line("schema version", &old.schema_version, &new.schema_version);
    s += &version_line(
        "dataset version",
        &old.dataset_version,
        &new.dataset_version,
    );
    for d in diffs {
        s.push('\n');
        let counts = format!(
            "{} added, {} removed, {} changed",
            d.added.len(),
            d.removed.len(),
            d.changed.len()
        );
        let _ = match d.status {
            "unchanged" => writeln!(s, "{}: no changes", d.name),
            "added" => writeln!(s, "{}: new table; {counts}", d.name),
            "removed" => writeln!(s, "{}: table removed; {counts}", d.name),
            _ => writeln!(s, "{}: {counts}", d.name),
        };
        if !d.columns_added.is_empty() {
            let _ = writeln!(s, "  columns added: {}", d.columns_added.join(", "));
        }
        if !d.columns_removed.is_empty() {
            let _ = writeln!(s, "  columns removed: {}", d.columns_removed.join(", "));
        }
        for (k, _) in &d.added {
            let _ = writeln!(s, "  + {}", k.join("/"));
        }
        for (k, _) in &d.removed {
            let _ = writeln!(s, "  - {}", k.join("/"));
        }
        for c in &d.changed {
            let _ = writeln!(s, "  ~ {}", c.key.join("/"));
            for (f, o, n) in &c.fields {
                let _ = writeln!(s, "      {f}: {} → {}", cell(o), cell(n));
            }
        }
    }
    let (added, removed, changed) = totals(diffs);
    let tables = diffs.iter().filter(|d| d.status != "unchanged").count();
    let _ = writeln!(
        s,
        "\ntotal: {added} added, {removed} removed, {changed} changed; {tables} of {} tables differ",
        diffs.len()
    );
    s
}

fn totals(diffs: &[TableDiff]) -> (usize, usize, usize) {
    diffs.iter().fold((0, 0, 0), |(a, r, c), d| {
        (a + d.added.len(), r + d.removed.len(), c + d.changed.len())
    })
}

fn key_json(key: &[String], values: &[String]) -> Json {
    Json::Object(
        key.iter()
            .zip(values)
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect(),
    )
}

fn json_report(a: &DiffArgs, old: &Output, new: &Output, diffs: &[TableDiff]) -> String {
    let side = |p: &Path, o: &Output| json!({ "path": p.display().to_string(), "schema_version": o.schema_version, "dataset_version": o.dataset_version });
    let tables: Vec<Json> = diffs
        .iter()
        .map(|d| {
            json!({
                "table": d.name,
                "status": d.status,
                "primary_key": d.key,
                "columns_added": d.columns_added,
                "columns_removed": d.columns_removed,
                "added": d.added.iter().map(|(k, r)| json!({ "key": key_json(&d.key, k), "record": r })).collect::<Vec<_>>(),
                "removed": d.removed.iter().map(|(k, r)| json!({ "key": key_json(&d.key, k), "record": r })).collect::<Vec<_>>(),
                "changed": d.changed.iter().map(|c| json!({
                    "key": key_json(&d.key, &c.key),
                    "fields": c.fields.iter().map(|(f, o, n)| json!({ "field": f, "old": o, "new": n })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (added, removed, changed) = totals(diffs);
    let report = json!({
        "old": side(&a.old, old),
        "new": side(&a.new, new),
        "tables": tables,
        "summary": {
            "added": added,
            "removed": removed,
            "changed": changed,
            "tables_differing": diffs.iter().filter(|d| d.status != "unchanged").count(),
        },
    });
    serde_json::to_string_pretty(&report).expect("JSON serialises") + "\n"
}

/// Records (added, removed, changed).
pub type Totals = (usize, usize, usize);

/// The text report of `old` → `new` and its totals (added, removed, changed), for
/// `pillars release`.
pub fn report(old: &Path, new: &Path) -> Result<(String, Totals), Vec<Problem>> {
    let (o, n) = (load(old)?, load(new)?);
    let names: BTreeSet<&String> = o.tables.keys().chain(n.tables.keys()).collect();
    let diffs: Vec<TableDiff> = names
        .into_iter()
        .map(|t| diff_table(t, o.tables.get(t), n.tables.get(t)))
        .collect();
    let a = DiffArgs {
        old: old.to_path_buf(),
        new: new.to_path_buf(),
        format: Format::Text,
    };
    Ok((text(&a, &o, &n, &diffs), totals(&diffs)))
}

pub fn run(a: &DiffArgs) -> Result<ExitCode, ExitCode> {
    let (old, new) = (load(&a.old), load(&a.new));
    let (old, new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            let mut problems: Vec<Problem> = o.err().into_iter().flatten().collect();
            problems.extend(n.err().into_iter().flatten());
            let mut s = diagnostic::report(&problems, a.format);
            if a.format == Format::Text {
                // The shared summary line speaks of builds; diff writes nothing anyway.
                s = s.replace("; nothing was written", "; no diff produced");
            }
            eprint!("{s}");
            return Err(ExitCode::from(1));
        }
    };
    let names: BTreeSet<&String> = old.tables.keys().chain(new.tables.keys()).collect();
    let diffs: Vec<TableDiff> = names
        .into_iter()
        .map(|t| diff_table(t, old.tables.get(t), new.tables.get(t)))
        .collect();
    let out = match a.format {
        Format::Text => text(a, &old, &new, &diffs),
        Format::Json => json_report(a, &old, &new, &diffs),
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

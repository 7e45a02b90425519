//! `pillars codebook`: writes docs/CODEBOOK.md from schema/ (every table, every column: type,
//! unit, allowed values, description, example; every vocabulary) and regenerates the block of
//! README.md between `<!-- sources:start -->` and `<!-- sources:end -->` (the source documents
//! and how many records of each table cite them). `pillars check` calls [`stale`] so that
//! neither can drift from schema/ and raw/.

use super::Common;
use crate::diagnostic::{Code, Loc, Problem};
use crate::model::Value;
use crate::pipeline;
use crate::reconcile::Dataset;
use crate::schema::{Field, FieldType, Schema, TableSchema};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// Where the codebook is written, relative to the current directory (the repository root).
pub const CODEBOOK: &str = "docs/CODEBOOK.md";
/// The README whose sources block is regenerated.
pub const README: &str = "README.md";
pub const START: &str = "<!-- sources:start -->";
pub const END: &str = "<!-- sources:end -->";

pub fn run(c: &Common) -> Result<ExitCode, ExitCode> {
    let schema = c.load_schema()?;
    let r = pipeline::reconcile(&schema, &c.options()).map_err(|p| c.fail(p))?;
    let codebook = codebook(&schema);
    let readme = std::fs::read_to_string(README).map_err(|e| {
        c.fail(vec![
            Problem::new(Code::Io, format!("cannot read {README}: {e}"))
                .at(Loc::file(README))
                .expected("run `pillars codebook` from the repository root, beside README.md"),
        ])
    })?;
    let readme =
        replace_block(&readme, &sources_block(&schema, &r.dataset)).map_err(|p| c.fail(vec![p]))?;
    write(Path::new(CODEBOOK), &codebook).map_err(|p| c.fail(vec![p]))?;
    write(Path::new(README), &readme).map_err(|p| c.fail(vec![p]))?;
    if !c.quiet {
        eprintln!("wrote      {CODEBOOK} and the sources block of {README}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Problems when docs/CODEBOOK.md or README.md's sources block differ from what
/// `pillars codebook` would write. `None` when there is no README.md in the current directory
/// (not a checkout of the repository, e.g. a test directory), so nothing could be checked.
pub fn stale(schema: &Schema, ds: &Dataset) -> Option<Vec<Problem>> {
    let readme = std::fs::read_to_string(README).ok()?;
    let fix = "the file as `pillars codebook` writes it; run `pillars codebook` and commit it";
    let mut problems = vec![];
    match std::fs::read_to_string(CODEBOOK) {
        Ok(text) if text == codebook(schema) => {}
        Ok(_) => problems.push(
            Problem::new(
                Code::OutputStale,
                format!("{CODEBOOK}: differs from schema/"),
            )
            .at(Loc::file(CODEBOOK))
            .expected(fix),
        ),
        Err(e) => problems.push(
            Problem::new(Code::OutputStale, format!("{CODEBOOK}: missing ({e})"))
                .at(Loc::file(CODEBOOK))
                .expected(fix),
        ),
    }
    match replace_block(&readme, &sources_block(schema, ds)) {
        Ok(fresh) if fresh == readme => {}
        Ok(_) => problems.push(
            Problem::new(
                Code::OutputStale,
                format!("{README}: the sources block differs from raw/"),
            )
            .at(Loc::file(README))
            .expected(fix),
        ),
        Err(p) => problems.push(p),
    }
    Some(problems)
}

fn write(path: &Path, text: &str) -> Result<(), Problem> {
    let fail = |e: std::io::Error| {
        Problem::new(Code::OutputWrite, format!("cannot write: {e}"))
            .at(Loc::file(path.display().to_string()))
            .expected("a writable file; it is unchanged")
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    // Write beside the file, then rename: a failure never leaves it half-written.
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// `readme` with the text between the markers replaced by `block`.
fn replace_block(readme: &str, block: &str) -> Result<String, Problem> {
    let missing = |what: &str| {
        Problem::new(Code::OutputStale, format!("{README}: no `{what}` marker"))
            .at(Loc::file(README))
            .expected(format!(
                "a `{START}` line followed by an `{END}` line, where `pillars codebook` writes the sources table"
            ))
    };
    let s = readme.find(START).ok_or_else(|| missing(START))? + START.len();
    let e = s + readme[s..].find(END).ok_or_else(|| missing(END))?;
    Ok(format!("{}\n{block}{}", &readme[..s], &readme[e..]))
}

/// Escapes text for a Markdown table cell. `<` and `>` become entities so that no text from
/// the data (a source title) can write an HTML comment such as the README's markers.
fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

fn type_name(f: &Field) -> String {
    match f.ftype {
        FieldType::String if f.vocabulary.is_some() => "code".into(),
        FieldType::String => "string".into(),
        FieldType::Integer => "integer".into(),
        FieldType::Number => "number".into(),
        FieldType::Boolean => "boolean".into(),
        FieldType::Date => "date".into(),
        FieldType::List => "list of strings".into(),
    }
}

fn unit(f: &Field, ts: &TableSchema) -> String {
    if let Some(u) = f.json.get("x-unit").and_then(|u| u.as_str()) {
        return u.to_string();
    }
    if f.ftype == FieldType::Number {
        if f.json.get("x-kind").and_then(|k| k.as_str()) == Some("amount")
            && ts.field("currency").is_some()
        {
            return "`currency`".into();
        }
        if ts.field("unit").is_some() {
            return "`unit`".into();
        }
    }
    String::new()
}

fn allowed(f: &Field, ts: &TableSchema, schema: &Schema) -> String {
    let mut parts = vec![];
    if let Some(v) = &f.vocabulary {
        let n = schema.vocabularies[v].values.len();
        if n <= 8 {
            let codes: Vec<String> = schema.vocabularies[v]
                .values
                .keys()
                .map(|k| format!("`{k}`"))
                .collect();
            parts.push(codes.join(", "));
        } else {
            parts.push(format!("{n} codes, see [`{v}`](#vocabulary-{v})"));
        }
    }
    if f.required {
        parts.push("required".into());
    }
    if f.unique {
        parts.push("unique".into());
    }
    if ts.primary_key.contains(&f.name) {
        parts.push("primary key".into());
    }
    match (f.minimum, f.maximum) {
        (Some(a), Some(b)) => parts.push(format!("{a}–{b}")),
        (Some(a), None) => parts.push(format!("≥ {a}")),
        (None, Some(b)) => parts.push(format!("≤ {b}")),
        (None, None) => {}
    }
    if let Some(r) = &f.reference {
        parts.push(format!("ids of [`{r}`](#{r})"));
    }
    if let Some(p) = &f.pattern {
        parts.push(format!("pattern `{}`", p.as_str()));
    }
    cell(&parts.join("; "))
}

fn example(f: &Field) -> String {
    match f.json.get("example") {
        None => String::new(),
        Some(serde_json::Value::String(s)) => format!("`{}`", cell(s)),
        Some(v) => format!("`{v}`"),
    }
}

/// The whole of docs/CODEBOOK.md.
pub fn codebook(schema: &Schema) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Codebook\n\n<!-- Generated by `pillars codebook` from schema/; do not edit by hand. \
         `pillars check` fails when this file is stale. -->\n\n\
         Schema version **{}**. Every table is published as `output/csv/TABLE.csv`, \
         `output/parquet/TABLE.parquet` and a sheet of `output/pillars.xlsx`.\n\n\
         Types: `code` is a string from a controlled vocabulary (categorical in Parquet); \
         `date` is `YYYY-MM-DD`; `list of strings` is `;`-separated in CSV and the workbook and a \
         list in Parquet. An empty cell is a missing value.\n",
        schema.version
    );
    let _ = writeln!(
        s,
        "| table | title | columns | description |\n|---|---|---|---|"
    );
    for ts in &schema.tables {
        let _ = writeln!(
            s,
            "| [`{0}`](#{0}) | {1} | {2} | {3} |",
            ts.name,
            cell(ts.json["title"].as_str().unwrap_or_default()),
            ts.fields.len(),
            cell(ts.json["description"].as_str().unwrap_or_default())
        );
    }
    for ts in &schema.tables {
        let _ = writeln!(
            s,
            "\n## {}\n\n{}\n\nPrimary key: {}.\n",
            ts.name,
            ts.json["description"].as_str().unwrap_or_default(),
            ts.primary_key
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            s,
            "| column | type | unit | allowed values | description | example |\n|---|---|---|---|---|---|"
        );
        for f in &ts.fields {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} | {} |",
                f.name,
                type_name(f),
                unit(f, ts),
                allowed(f, ts, schema),
                cell(&f.description),
                example(f)
            );
        }
    }
    let _ = writeln!(s, "\n## Vocabularies");
    for (name, v) in &schema.vocabularies {
        let _ = writeln!(
            s,
            "\n### Vocabulary `{name}`\n<a id=\"vocabulary-{name}\"></a>\n\n{}\n\n| code | meaning |\n|---|---|",
            v.description
        );
        for (code, meaning) in &v.values {
            let _ = writeln!(s, "| `{code}` | {} |", cell(meaning));
        }
    }
    s
}

/// The README's sources block: one row per source document with the number of records of
/// each table that cite it (the source is in the record's `source_ids`).
pub fn sources_block(schema: &Schema, ds: &Dataset) -> String {
    let table = |name: &str| {
        ds.tables
            .iter()
            .find(|t| schema.tables[t.schema].name == name)
            .map(|t| (&schema.tables[t.schema], t))
    };
    // Tables whose rows cite sources, in schema order.
    let citing: Vec<(&TableSchema, usize, &crate::reconcile::Table)> = ds
        .tables
        .iter()
        .filter_map(|t| {
            let ts = &schema.tables[t.schema];
            ts.field_index("source_ids").map(|i| (ts, i, t))
        })
        .collect();
    let mut s = String::new();
    let Some((sts, sources)) = table("sources") else {
        return s;
    };
    let col = |row: &[Value], name: &str| {
        sts.field_index(name)
            .map(|i| cell(&row[i].to_string()))
            .unwrap_or_default()
    };
    s.push_str("| file | title | year | kind |");
    for (ts, ..) in &citing {
        let _ = write!(s, " {} |", ts.name);
    }
    s.push_str("\n|---|---|---|---|");
    for _ in &citing {
        s.push_str("---:|");
    }
    s.push('\n');
    for row in &sources.rows {
        let id = sts
            .field_index("source_id")
            .map(|i| row[i].to_string())
            .unwrap_or_default();
        let _ = write!(
            s,
            "| `{}` | {} | {} | {} |",
            col(row, "file"),
            col(row, "title"),
            col(row, "year"),
            col(row, "kind")
        );
        for (_, i, t) in &citing {
            let n = t
                .rows
                .iter()
                .filter(|r| matches!(&r[*i], Value::List(l) if l.contains(&id)))
                .count();
            let _ = write!(s, " {n} |");
        }
        s.push('\n');
    }
    let _ = write!(s, "| **rows in the table** | | | |");
    for (_, _, t) in &citing {
        let _ = write!(s, " {} |", t.rows.len());
    }
    s.push('\n');
    s
}

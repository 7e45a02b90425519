//! Stage 5 — export: every table as CSV and Parquet, plus datapackage.json and
//! manifest.json, rendered in memory. Writing them to disk (atomically) is `output.rs`'s job,
//! so `pillars check` can compare without writing anything.

use crate::provenance::Cell;
use crate::reconcile::{Dataset, Table};
use crate::schema::{FieldType, Schema, TableSchema};
use arrow::datatypes::{DataType, Field as ArrowField, Schema as ArrowSchema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

/// The files of one build: relative path → bytes, in path order.
pub type Files = BTreeMap<String, Vec<u8>>;

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

mod columns;
pub mod sink;
pub mod xlsx;
mod xlsx_legend;

/// Each file written, with its size and SHA-256, in path order (manifest.json included).
pub type Listing = BTreeMap<String, sink::Written>;

/// The data's identity: its content hash and release number (`crate::release`), computed
/// on another thread while the files are written (performance, issue 13: the hash reads
/// every value, and no CSV file holds the version). The Parquet files and the workbook wait
/// for it only at their ends (footer, About sheet), the JSON files before they start.
#[derive(Default)]
pub struct Identity(std::sync::OnceLock<Option<(String, String)>>);

impl Identity {
    /// Sets the identity to what `compute` returns. A panic in `compute` sets it to nothing,
    /// so that a waiting job panics too instead of waiting for ever.
    pub fn compute(&self, compute: impl FnOnce() -> (String, String)) {
        struct Guard<'a>(&'a Identity, Option<(String, String)>);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                let _ = self.0.0.set(self.1.take());
            }
        }
        let mut guard = Guard(self, None);
        guard.1 = Some(compute());
    }

    /// (content hash, version), once computed.
    pub fn get(&self) -> (&str, &str) {
        match self.0.wait() {
            Some((hash, version)) => (hash, version),
            None => panic!("the content hash could not be computed"),
        }
    }
}

/// One file of an export: the workbook, or a table's CSV or Parquet file.
enum Job {
    Workbook,
    Csv(usize),
    Parquet(usize),
}

/// The export's files, as jobs for the cores, longest first.
fn jobs(ds: &Dataset) -> Vec<Job> {
    // Performance: the CSV and Parquet renderings of every table and the workbook are
    // independent jobs, run on all cores (the workbook and the largest tables first, so the
    // longest jobs do not start last). Each file is streamed to the sink as it is rendered;
    // its bytes do not depend on which thread made them.
    let mut by_size: Vec<usize> = (0..ds.tables.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(ds.tables[i].len()));
    // The workbook only up to its size limit (`xlsx::MAX_WORKBOOK_ROWS`). Then each table's
    // CSV and Parquet files side by side, largest first, so the two longest jobs of a large
    // build start at once (measured at 1M records: export 8.0 s, against 9.0-9.7 s with all
    // CSV files first).
    let mut jobs: Vec<Job> = vec![];
    if xlsx::skipped(ds).is_none() {
        jobs.push(Job::Workbook);
    }
    jobs.extend(by_size.iter().flat_map(|&i| [Job::Csv(i), Job::Parquet(i)]));
    jobs
}

/// Writes every file of the build through `sink`.
pub fn run(
    ds: &Dataset,
    schema: &Schema,
    identity: &Identity,
    sources: &[Json],
    sink: &dyn sink::Sink,
) -> std::io::Result<Listing> {
    let jobs = jobs(ds);
    let table = |i: usize| (&schema.tables[ds.tables[i].schema], &ds.tables[i]);
    let dataset_version = || identity.get().1.to_string();
    let written = crate::parallel::map(&jobs, |job| match *job {
        Job::Workbook => {
            let bytes = xlsx::workbook(ds, schema, &dataset_version);
            put(sink, "pillars.xlsx".into(), &mut |w| w.write_all(&bytes))
        }
        Job::Csv(i) => {
            let (ts, t) = table(i);
            put(sink, format!("csv/{}.csv", ts.name), &mut |w| {
                write_csv(ts, t, w)
            })
        }
        Job::Parquet(i) => {
            let (ts, t) = table(i);
            let versions = (
                schema.version.as_str(),
                &dataset_version as &dyn Fn() -> String,
            );
            put(sink, format!("parquet/{}.parquet", ts.name), &mut |w| {
                write_parquet(ts, t, versions, w)
            })
        }
    });
    let mut listing: Listing = written.into_iter().collect::<std::io::Result<_>>()?;
    let (content_hash, version) = identity.get();
    let dp = datapackage(schema, version, sources);
    listing.extend([put(sink, "datapackage.json".into(), &mut |w| {
        w.write_all(&dp)
    })?]);
    let rows: BTreeMap<&str, usize> = ds
        .tables
        .iter()
        .map(|t| (schema.tables[t.schema].name.as_str(), t.len()))
        .collect();
    let manifest = manifest(&listing, &rows, schema, content_hash, version);
    listing.extend([put(sink, "manifest.json".into(), &mut |w| {
        w.write_all(&manifest)
    })?]);
    Ok(listing)
}

type Render<'a> = &'a mut dyn FnMut(&mut (dyn Write + Send)) -> std::io::Result<()>;

/// One file through the sink, as a listing entry.
fn put(
    sink: &dyn sink::Sink,
    rel: String,
    write: Render,
) -> std::io::Result<(String, sink::Written)> {
    let w = sink.file(&rel, write)?;
    Ok((rel, w))
}

/// Text for a CSV cell: text columns get the formula guard (`guard.rs`); numbers, dates
/// and booleans are written as is. Performance: text cells are borrowed, not copied.
fn csv_cell(ftype: FieldType, c: Cell<'_>) -> Cow<'_, str> {
    match (ftype, c.text()) {
        (FieldType::String | FieldType::List, Cow::Borrowed(s)) => crate::guard::guard(s),
        (FieldType::String | FieldType::List, Cow::Owned(s)) => {
            Cow::Owned(crate::guard::guard(&s).into_owned())
        }
        (_, text) => text,
    }
}

/// UTF-8 byte-order mark. Excel on Windows reads a CSV file as UTF-8 only when it starts with
/// one; pandas, polars, DuckDB, LibreOffice and frictionless skip it (docs/CSV.md records
/// what each tool does with and without it).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One table as CSV (the dialect of datapackage.json), streamed to `out`.
pub fn write_csv(ts: &TableSchema, t: &Table, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(BOM)?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(ts.fields.iter().map(|f| f.name.as_str()))?;
    let mut cells = vec![];
    for i in 0..t.len() {
        t.cells(i, &mut cells);
        for (f, c) in ts.fields.iter().zip(&cells) {
            w.write_field(csv_cell(f.ftype, *c).as_bytes())?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.flush()
}

/// The Arrow type of a column: codes are dictionary-encoded, lists are LIST<string>.
pub fn arrow_type(f: &crate::schema::Field) -> DataType {
    match f.ftype {
        FieldType::String if f.vocabulary.is_some() => {
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        }
        FieldType::String => DataType::Utf8,
        FieldType::Integer => DataType::Int64,
        FieldType::Number => DataType::Float64,
        FieldType::Boolean => DataType::Boolean,
        FieldType::Date => DataType::Date32,
        FieldType::List => DataType::List(Arc::new(ArrowField::new("item", DataType::Utf8, true))),
    }
}

/// One table as zstd Parquet, with the versions in its key-value metadata, streamed to `out`.
/// The dataset version is asked for only when the footer is written: the rows are written
/// while the content hash that gives it is still being computed (performance, issue 13).
pub fn write_parquet(
    ts: &TableSchema,
    t: &Table,
    (schema_version, dataset_version): (&str, &dyn Fn() -> String),
    out: &mut (dyn Write + Send),
) -> std::io::Result<()> {
    let kv = |k: &str, v: &str| KeyValue::new(k.to_string(), v.to_string());
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap()))
        .set_key_value_metadata(Some(vec![
            kv("schema_version", schema_version),
            kv("table", &ts.name),
        ]))
        .set_created_by("pillars".into())
        .build();
    // One batch per row group (memory, issue 13: one row group's columns, not the table's).
    let group = props.max_row_group_row_count().unwrap_or(usize::MAX);
    let footer = || vec![kv("dataset_version", &dataset_version())];
    write_batches(ts, t, (props, &footer), group, out)
}

/// `t` as Parquet, in batches of `batch_rows` rows. The writer cuts a batch at row-group
/// boundaries and chooses a piece's pages from the piece itself (its nulls, for one), so
/// batches of exactly one row group make the same calls, and the same bytes, as one batch
/// of the whole table (a test checks this); other sizes change the pages.
///
/// `footer` gives key-value metadata known only at the end; it follows the properties' own,
/// and the Arrow schema (which the writer would put right after those) follows it.
fn write_batches(
    ts: &TableSchema,
    t: &Table,
    (props, footer): (WriterProperties, &dyn Fn() -> Vec<KeyValue>),
    batch_rows: usize,
    out: &mut (dyn Write + Send),
) -> std::io::Result<()> {
    let fields: Vec<ArrowField> = ts
        .fields
        .iter()
        .map(|f| ArrowField::new(&f.name, arrow_type(f), !f.required))
        .collect();
    let arrow_schema = Arc::new(
        ArrowSchema::new(fields).with_metadata([("pandas".to_string(), pandas_metadata(ts))]),
    );
    let options = ArrowWriterOptions::new()
        .with_properties(props)
        .with_skip_arrow_metadata(true);
    let mut w = ArrowWriter::try_new_with_options(out, arrow_schema.clone(), options)
        .map_err(std::io::Error::other)?;
    let with_nulls = match t.len() > batch_rows {
        true => columns::missing_anywhere(ts, t),
        false => vec![false; ts.fields.len()],
    };
    for start in (0..t.len()).step_by(batch_rows) {
        let rows = start..t.len().min(start.saturating_add(batch_rows));
        let columns = columns::columns(ts, t, rows, &with_nulls);
        let batch =
            RecordBatch::try_new(arrow_schema.clone(), columns).expect("columns match the schema");
        w.write(&batch).map_err(std::io::Error::other)?;
    }
    for kv in footer() {
        w.append_key_value_metadata(kv);
    }
    // The Arrow schema entry, as the writer makes it.
    let mut with_schema = WriterProperties::default();
    parquet::arrow::add_encoded_arrow_schema_to_metadata(&arrow_schema, &mut with_schema);
    for kv in with_schema.key_value_metadata().into_iter().flatten() {
        w.append_key_value_metadata(kv.clone());
    }
    w.close().map_err(std::io::Error::other)?;
    Ok(())
}

/// The `pandas` entry of the Arrow schema metadata, which pandas (through pyarrow) reads to
/// choose column dtypes. It names the nullable integer and boolean columns: without it, pandas
/// turns an integer column with a missing value into float64 and a boolean one into object.
fn pandas_metadata(ts: &TableSchema) -> String {
    let columns: Vec<Json> = ts
        .fields
        .iter()
        .filter(|f| !f.required)
        .filter_map(|f| {
            let (pandas_type, numpy_type) = match f.ftype {
                FieldType::Integer => ("int64", "Int64"),
                FieldType::Boolean => ("bool", "boolean"),
                _ => return None,
            };
            Some(json!({ "name": f.name, "field_name": f.name, "pandas_type": pandas_type, "numpy_type": numpy_type, "metadata": null }))
        })
        .collect();
    json!({
        "index_columns": [],
        "column_indexes": [],
        "columns": columns,
        "creator": { "library": "pillars" },
        "pandas_version": "2.0.0",
    })
    .to_string()
}

/// A field as the Frictionless validator should see it: pipeline properties (`x-…`) removed,
/// vocabularies expanded into `enum` constraints.
fn public_field(f: &crate::schema::Field, schema: &Schema) -> Json {
    let mut j = f.json.clone();
    let obj = j.as_object_mut().unwrap();
    obj.retain(|k, _| !k.starts_with("x-"));
    if let Some(v) = &f.vocabulary {
        let values: Vec<&String> = schema.vocabularies[v].values.keys().collect();
        obj.entry("constraints").or_insert_with(|| json!({}))["enum"] = json!(values);
    }
    j
}

pub fn table_schema_json(ts: &TableSchema, schema: &Schema) -> Json {
    let mut j = json!({
        "fields": ts.fields.iter().map(|f| public_field(f, schema)).collect::<Vec<_>>(),
        "primaryKey": ts.primary_key,
        "missingValues": [""],
    });
    let fks = foreign_keys(ts, schema);
    if !fks.is_empty() {
        j["foreignKeys"] = json!(fks);
    }
    j
}

/// A foreign key for every single-valued `x-ref` column (list columns such as actor_ids
/// cannot be expressed as Frictionless foreign keys; `pillars validate` checks them).
fn foreign_keys(ts: &TableSchema, schema: &Schema) -> Vec<Json> {
    ts.fields
        .iter()
        .filter(|f| f.ftype != FieldType::List)
        .filter_map(|f| {
            let target = schema.table(f.reference.as_deref()?)?;
            Some(json!({
                "fields": f.name,
                "reference": { "resource": target.name, "fields": target.primary_key[0] },
            }))
        })
        .collect()
}

fn datapackage(schema: &Schema, version: &str, sources: &[Json]) -> Vec<u8> {
    let resources: Vec<Json> = schema
        .tables
        .iter()
        .map(|ts| {
            json!({
                "name": ts.name,
                "title": ts.json["title"],
                "description": ts.json["description"],
                "path": format!("csv/{}.csv", ts.name),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "dialect": { "delimiter": ",", "lineTerminator": "\r\n", "quoteChar": "\"", "doubleQuote": true, "header": true },
                "schema": table_schema_json(ts, schema),
            })
        })
        .collect();
    let dp = json!({
        "profile": "tabular-data-package",
        "name": "pillars",
        "title": "Pillars: Serbia's relations with China, the EU, Russia and the US",
        "description": "Events, deals, visits and economic indicators of Serbia's four-pillar foreign policy, every row traced to the documents that report it. Parquet copies of every table are in parquet/.",
        "version": version,
        "schema_version": schema.version,
        "licenses": [{ "name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International", "path": "https://creativecommons.org/licenses/by/4.0/" }],
        "sources": sources,
        "resources": resources,
    });
    pretty(&dp)
}

/// Names pillars as the writer in manifest.json: how a later build knows it may replace the
/// directory (see `output_guard`).
pub const GENERATOR: &str = "pillars";

fn manifest(
    listing: &Listing,
    rows: &BTreeMap<&str, usize>,
    schema: &Schema,
    content_hash: &str,
    version: &str,
) -> Vec<u8> {
    let entries: Vec<Json> = listing
        .iter()
        .map(|(path, w)| {
            let table = path
                .strip_prefix("csv/")
                .or_else(|| path.strip_prefix("parquet/"))
                .and_then(|p| p.split('.').next());
            let mut e = json!({ "path": path, "bytes": w.bytes, "sha256": w.sha256 });
            if let Some(n) = table.and_then(|t| rows.get(t)) {
                e["rows"] = json!(n);
            }
            e
        })
        .collect();
    pretty(
        &json!({ "generator": GENERATOR, "schema_version": schema.version, "dataset_version": version, "content_sha256": content_hash, "files": entries }),
    )
}

pub fn pretty(j: &Json) -> Vec<u8> {
    let mut s = serde_json::to_vec_pretty(j).unwrap();
    s.push(b'\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::provenance::Provenance;

    /// A provenance table of `n` rows in which `locator` is missing only in rows 1500..1600
    /// and `resolution` in most rows: some pieces of a column have no missing value.
    fn provenance(ts: &TableSchema, n: usize) -> Table {
        let template = (ts.fields.iter())
            .map(|f| match f.name.as_str() {
                "schema_version" => Value::Str("2.0.0".into()),
                _ => Value::Null,
            })
            .collect();
        let mut p = Provenance::new(ts, template);
        for i in 0..n {
            let row: Vec<Value> = (ts.fields.iter())
                .map(|f| match f.name.as_str() {
                    "kept" => Value::Bool(i % 3 == 0),
                    "locator" if (1500..1600).contains(&i) => Value::Null,
                    "resolution" if i % 700 != 5 => Value::Null,
                    name => Value::Str(format!("{name} {}", i * 7919 % 1000).into()),
                })
                .collect();
            p.push_values(&row);
        }
        Table {
            schema: 0,
            rows: vec![],
            claims: Some(p),
        }
    }

    #[test]
    fn a_table_written_in_row_group_batches_has_the_bytes_of_one_batch() {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/schema"));
        let schema = Schema::load(dir).unwrap();
        let ts = schema.table("provenance").unwrap();
        let t = provenance(ts, 5000);
        // Small row groups and pages, so that 5,000 rows make several of each.
        let write = |batch_rows| {
            let props = WriterProperties::builder()
                .set_max_row_group_row_count(Some(1000))
                .set_data_page_row_count_limit(100)
                .set_write_batch_size(64)
                .build();
            let mut out = vec![];
            let footer = || vec![KeyValue::new("dataset_version".into(), "1.0.0".to_string())];
            write_batches(ts, &t, (props, &footer), batch_rows, &mut out).unwrap();
            out
        };
        let whole = write(usize::MAX);
        assert_eq!(write(1000), whole);
        // Batches of another size than the row group change the pages.
        assert_ne!(write(700), whole);
    }
}

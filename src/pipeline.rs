//! Runs the stages in order — extract → normalise → validate → reconcile → export — and
//! reports one line per stage on stderr. Problems stop the pipeline at the end of the stage
//! that found them (later stages would only repeat them), and nothing is written.

use crate::diagnostic::{self, Problem};
use crate::export::sink::{MemorySink, Sink};
use crate::export::{self, Files, Listing};
use crate::extract::{self, Extraction};
use crate::model::Value;
use crate::normalise::Normalised;
use crate::reconcile::{self, Dataset};
use crate::release::Releases;
use crate::schema::Schema;
use crate::{normalise, source_ref, validate};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

pub struct Options<'a> {
    pub raw: &'a Path,
    /// The release record (`crate::release`); a missing file means no release yet.
    pub releases: &'a Path,
    pub quiet: bool,
}

/// What stages 1–4 produce.
pub struct Reconciled {
    pub extraction: Extraction,
    pub dataset: Dataset,
    pub releases: Releases,
}

fn stage_line(quiet: bool, name: &str, detail: String, problems: usize, started: Instant) {
    if !quiet {
        eprintln!(
            "{name:<10} {detail}, {problems} problem{} ({:.1} ms)",
            if problems == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// Frees `x` on another thread. Performance (issue 6): freeing millions of small allocations
/// took ~15% of a large build, and the pipeline does not need to wait for it.
pub fn drop_in_background<T: Send + 'static>(x: T) {
    std::thread::spawn(move || drop(x));
}

/// Stages 1–4. Returns every problem of the first stage that found any.
pub fn reconcile(schema: &Schema, opts: &Options) -> Result<Reconciled, Vec<Problem>> {
    reconcile_with(schema, opts, true)
}

/// Stages 1–4 for `pillars validate`: every problem a build would find, without the
/// computed columns (conversions, CAMEO labels, derived marks), which find none: the one
/// thing they can fail on, the exchange-rate snapshot, is checked in the validate stage.
pub fn validate(schema: &Schema, opts: &Options) -> Result<Reconciled, Vec<Problem>> {
    reconcile_with(schema, opts, false)
}

fn reconcile_with(
    schema: &Schema,
    opts: &Options,
    computed: bool,
) -> Result<Reconciled, Vec<Problem>> {
    let releases = Releases::load(opts.releases).map_err(|p| vec![p])?;
    // Performance (issue 13): the exchange-rate snapshot, which the validate stage needs,
    // is parsed on another thread while the files are read (a few ms of the real build).
    let (mut ex, mut norm) = std::thread::scope(|s| {
        s.spawn(|| crate::meaning::currency::Rates::of(schema).is_ok());
        checked(schema, opts)
    })?;
    // The records hold their values now; the text is read again only to locate a problem.
    ex.release_texts();
    let t = Instant::now();
    // Read before the merge, which lets go of the records' values as it goes.
    let hand = crate::meaning::aggregation_set_by_hand(&ex, &norm.records, schema);
    let (mut dataset, stats, mut problems) =
        reconcile::run(&ex, &mut norm.records, &norm.resolutions, schema);
    if problems.is_empty() {
        // Links, aggregation flags and the duplicate check need the merged rows.
        problems.extend(crate::meaning::apply(
            &ex,
            &norm.records,
            &hand,
            &mut dataset,
            schema,
        ));
    }
    // Computed columns: conversions, CAMEO labels, derived marks, exchange_rates.
    if computed {
        problems.extend(crate::meaning::enrich(&mut dataset, schema));
    }
    stage_line(
        opts.quiet,
        "reconcile",
        format!(
            "{} records → {} rows, conflicts: {} resolved, {} unresolved",
            stats.records_in, stats.records_out, stats.resolved, stats.unresolved
        ),
        problems.len(),
        t,
    );
    if !problems.is_empty() {
        diagnostic::sort(&mut problems);
        return Err(problems);
    }
    drop_in_background(norm);
    Ok(Reconciled {
        extraction: ex,
        dataset,
        releases,
    })
}

/// Stages 1–3: the extraction and its normalised records, every constraint checked.
pub fn checked(schema: &Schema, opts: &Options) -> Result<(Extraction, Normalised), Vec<Problem>> {
    // Normalise and validate report together: one run shows every bad value and every
    // broken constraint. (Extraction problems stop earlier: a file that does not parse would
    // make every reference into it look dangling.)
    let (ex, norm, mut problems) = normalised(schema, opts)?;
    let t = Instant::now();
    let mut invalid = validate::run(&ex, &norm, schema, validate::today());
    invalid.extend(source_ref::run(&ex, &norm.records, schema));
    invalid.extend(crate::meaning::validate(&ex, &norm.records, schema));
    stage_line(
        opts.quiet,
        "validate",
        format!("{} records checked", norm.records.len()),
        invalid.len(),
        t,
    );
    problems.extend(invalid);
    if !problems.is_empty() {
        diagnostic::sort(&mut problems);
        return Err(problems);
    }
    Ok((ex, norm))
}

/// Stages 1–2: the extraction and its normalised records, with the problems normalise found
/// (returned, not failed on, so that `checked` can report them with validation's).
pub fn normalised(
    schema: &Schema,
    opts: &Options,
) -> Result<(Extraction, Normalised, Vec<Problem>), Vec<Problem>> {
    let t = Instant::now();
    let (ex, mut problems) = extract::run(opts.raw, schema);
    stage_line(
        opts.quiet,
        "extract",
        format!(
            "{} files → {} records, {} claims",
            ex.files.len(),
            ex.records.len(),
            ex.claim_count()
        ),
        problems.len(),
        t,
    );
    if !problems.is_empty() {
        diagnostic::sort(&mut problems);
        return Err(problems);
    }
    let t = Instant::now();
    let mut ex = ex;
    let raw_records = ex.records.len();
    // Normalise consumes the raw records: later stages read the normalised ones.
    let (norm, problems) = normalise::run(&mut ex, schema);
    stage_line(
        opts.quiet,
        "normalise",
        format!("{raw_records} records → {} records", norm.records.len()),
        problems.len(),
        t,
    );
    Ok((ex, norm, problems))
}

/// Stage 5: writes the output files of a reconciled dataset through `sink` (a build streams
/// them into the new output directory; see `output::write_dir_with`).
pub fn export_to(
    schema: &Schema,
    r: &Reconciled,
    opts: &Options,
    sink: &dyn Sink,
) -> std::io::Result<Listing> {
    let t = Instant::now();
    let dataset = &r.dataset;
    if let (Some(why), false) = (crate::export::xlsx::skipped(dataset), opts.quiet) {
        eprintln!("export     {why}");
    }
    let sources = sources_metadata(dataset, schema);
    // The data's identity is its normalised content, not the bytes of raw/ (issue 12),
    // hashed while the CSV files are written.
    let identity = export::Identity::default();
    let listing = std::thread::scope(|s| {
        s.spawn(|| {
            identity.compute(|| {
                let hash = crate::release::content_hash(dataset, schema);
                let version = r.releases.version_for(&hash);
                (hash, version)
            })
        });
        export::run(dataset, schema, &identity, &sources, sink)
    })?;
    let bytes: u64 = listing.values().map(|w| w.bytes).sum();
    stage_line(
        opts.quiet,
        "export",
        format!(
            "{} tables → {} files, {} bytes",
            dataset.tables.len(),
            listing.len(),
            bytes
        ),
        0,
        t,
    );
    Ok(listing)
}

/// Stage 5 in memory, for commands that compare or reuse the files (check, site, release).
pub fn export(schema: &Schema, r: &Reconciled, opts: &Options) -> Files {
    let sink = MemorySink::default();
    export_to(schema, r, opts, &sink).expect("writing to memory does not fail");
    sink.into_files()
}

/// The `sources` entry of datapackage.json, from the sources table.
fn sources_metadata(ds: &Dataset, schema: &Schema) -> Vec<serde_json::Value> {
    let Some(ts) = schema.table("sources") else {
        return vec![];
    };
    let table = ds
        .tables
        .iter()
        .find(|t| schema.tables[t.schema].name == "sources")
        .unwrap();
    let col = |row: &[Value], name: &str| {
        ts.field_index(name)
            .map(|i| row[i].to_string())
            .unwrap_or_default()
    };
    let mut sources: Vec<serde_json::Value> = table
        .rows
        .iter()
        .map(|row| {
            let mut s = json!({ "title": format!("{} ({})", col(row, "title"), col(row, "file")) });
            let url = col(row, "url");
            if !url.is_empty() {
                s["path"] = json!(url);
            }
            s
        })
        .collect();
    sources.extend(crate::meaning::currency::datapackage_source(schema));
    sources
}

//! Stage 1 — extract: parse every extraction file in raw/ into records of raw values, each
//! with its position in the file. Files are parsed in parallel; results are merged in file
//! name order so the outcome never depends on thread timing.

use crate::diagnostic::{Code, Loc, Problem};
use crate::fsio;
use crate::meaning::links::RawLink;
use crate::model::{Pos, RawValue, Record, Resolution};
use crate::schema::{Schema, TableSchema};
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Files larger than this are refused: no honest extraction file is anywhere near it, and
/// parsing a runaway file would stall an unattended rebuild.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// One extraction file as read from disk.
#[derive(Debug, Clone)]
pub struct RawFile {
    /// Path as shown in messages (raw dir joined with the file name).
    pub path: String,
    pub name: String,
    /// The file's bytes until they are decoded into `text` (kept only when not UTF-8).
    pub bytes: Vec<u8>,
    /// The text, with any UTF-8 byte-order mark removed; empty when not UTF-8.
    pub text: String,
    /// False when the file could not be read (the problem is already reported).
    pub readable: bool,
    /// Set once `text` is let go (see [`Extraction::release_texts`]): the text's length, and
    /// the text read again when a problem needs a location in it.
    pub released: Option<(usize, std::sync::OnceLock<Option<String>>)>,
}

impl RawFile {
    /// The file's text: as read, or read again from `raw_dir` after it was let go (None when
    /// it cannot be, or is no longer the same length: the file changed since).
    fn text_in(&self, raw_dir: &Path) -> Option<&str> {
        match &self.released {
            None => Some(&self.text),
            Some((len, again)) => again
                .get_or_init(|| {
                    let bytes = read_raw(raw_dir, &self.name).ok()?;
                    utf8_text(bytes).ok().filter(|t| t.len() == *len)
                })
                .as_deref(),
        }
    }
}

/// The source a file describes.
#[derive(Debug, Clone)]
pub struct SourceRef {
    pub id: String,
    pub file: u32,
}

#[derive(Debug, Default)]
pub struct Extraction {
    /// The directory the files were read from.
    pub raw_dir: std::path::PathBuf,
    pub files: Vec<RawFile>,
    pub sources: Vec<SourceRef>,
    pub records: Vec<Record<RawValue>>,
    pub resolutions: Vec<Resolution<RawValue>>,
    /// `[[link]]` entries (see `meaning::links`).
    pub links: Vec<RawLink>,
}

impl Extraction {
    /// Turns a position into a printable location with its line of text.
    pub fn loc(&self, pos: Pos) -> Loc {
        let f = &self.files[pos.file as usize];
        match f.text_in(&self.raw_dir) {
            Some(text) if !text.is_empty() => {
                Loc::at(&f.path, text, pos.start as usize..pos.end as usize)
            }
            _ => Loc::file(&f.path),
        }
    }

    /// Lets go of the files' text once every record holds its own values (memory, issue 13:
    /// 340 MB at a million records, for the rest of a build). A problem found later is
    /// located by reading its file again; a file changed since is named without a line.
    pub fn release_texts(&mut self) {
        for f in self.files.iter_mut().filter(|f| f.released.is_none()) {
            let text = std::mem::take(&mut f.text);
            f.released = Some((text.len(), std::sync::OnceLock::new()));
        }
    }
    pub fn claim_count(&self) -> usize {
        self.records.iter().map(|r| r.fields.len()).sum()
    }
}

/// Reads raw/ and parses every `*.toml` file in it.
pub fn run(raw_dir: &Path, schema: &Schema) -> (Extraction, Vec<Problem>) {
    let (paths, mut problems) = match extraction_files(raw_dir) {
        Ok(found) => found,
        Err(p) => return (Extraction::default(), vec![p]),
    };
    // Read on all cores, like the parsing (performance, issue 13: reading and decoding a
    // million records' files on one core held the parsing back by a tenth of a second and more).
    let read = crate::parallel::map(&paths, |p| {
        let mut found = vec![];
        (read_file(raw_dir, p, &mut found), found)
    });
    let files: Vec<RawFile> = (read.into_iter())
        .map(|(f, found)| {
            problems.extend(found);
            f
        })
        .collect();
    // Parse in parallel: a file per job, results in file order.
    let indexed: Vec<(u32, &RawFile)> = (0u32..).zip(&files).collect();
    let parsed: Vec<FileParse> = crate::parallel::map(&indexed, |&(i, f)| parse_file(i, f, schema));
    let ex = assemble(raw_dir, files, parsed, &mut problems);
    (ex, problems)
}

/// The extraction files of raw/ (`*.toml`), with a problem for a directory without any and
/// for each file whose extension is not in lowercase.
fn extraction_files(raw_dir: &Path) -> Result<(Vec<PathBuf>, Vec<Problem>), Problem> {
    let mut problems = vec![];
    let files = read_dir(raw_dir)?;
    if files.is_empty() {
        problems.push(
            Problem::new(Code::EmptyRaw, "no extraction files found")
                .at(Loc::file(raw_dir.display().to_string()))
                .expected(
                    "one or more *.toml files, one per source document (see docs/ANNOTATING.md)",
                ),
        );
    }
    // `a.TOML` would otherwise be skipped without a word (or read on one system and not on
    // another): only the lowercase extension is an extraction file.
    let (files, misnamed): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|p| p.extension().is_some_and(|x| x == "toml"));
    for p in misnamed {
        problems.push(
            Problem::new(
                Code::BadExtension,
                "an extraction file's extension must be `.toml` in lowercase",
            )
            .at(Loc::file(p.display().to_string()))
            .expected("rename the file to end in `.toml`"),
        );
    }
    Ok((files, problems))
}

/// The files' parses joined in file order into one extraction; their problems, located,
/// into `problems`.
fn assemble(
    raw_dir: &Path,
    files: Vec<RawFile>,
    parsed: Vec<FileParse>,
    problems: &mut Vec<Problem>,
) -> Extraction {
    let mut ex = Extraction {
        raw_dir: raw_dir.to_path_buf(),
        files,
        records: Vec::with_capacity(parsed.iter().map(|p| p.records.len()).sum()),
        ..Default::default()
    };
    for p in parsed {
        let source = ex.sources.len() as u32;
        if let Some(id) = p.source_id {
            ex.sources.push(SourceRef { id, file: p.file });
        }
        for mut r in p.records {
            r.source = source;
            ex.records.push(r);
        }
        ex.resolutions.extend(p.resolutions);
        ex.links
            .extend(p.links.into_iter().map(|l| RawLink { source, ..l }));
        problems.extend(p.problems.into_iter().map(|(pr, pos)| match pos {
            Some(pos) => {
                let loc = ex.loc(pos);
                pr.at(loc)
            }
            None => pr,
        }));
    }
    ex
}

fn read_dir(raw_dir: &Path) -> Result<Vec<PathBuf>, Problem> {
    let rd = std::fs::read_dir(raw_dir).map_err(|e| {
        Problem::new(Code::Io, format!("cannot read the raw directory: {e}"))
            .at(Loc::file(raw_dir.display().to_string()))
            .expected("a directory of extraction files (--raw DIR)")
    })?;
    let mut files: Vec<_> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("toml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn read_file(raw_dir: &Path, path: &Path, problems: &mut Vec<Problem>) -> RawFile {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let display = path.display().to_string();
    let mut f = RawFile {
        path: display.clone(),
        name,
        bytes: vec![],
        text: String::new(),
        readable: false,
        released: None,
    };
    // Regular files only (a FIFO would block the build, a device never ends), and a link
    // only when it stays inside raw/; see `fsio`.
    let problem = match read_raw(raw_dir, &f.name) {
        Ok(b) => {
            f.bytes = b;
            None
        }
        Err(fsio::ReadError::TooLarge { size, .. }) => Some(
            Problem::new(Code::FileTooLarge, format!("file is {size} bytes")).expected(format!(
                "an extraction file under {} MiB; split the document's annotations",
                MAX_FILE_BYTES / 1024 / 1024
            )),
        ),
        Err(e @ fsio::ReadError::Outside(_)) => Some(
            Problem::new(Code::OutsideTree, format!("cannot read file: it {e}"))
                .expected("an extraction file inside the raw directory (not a link out of it)"),
        ),
        Err(e) => Some(
            Problem::new(Code::Io, format!("cannot read file: {e}"))
                .expected("a readable regular file; remove or rename the entry"),
        ),
    };
    if let Some(p) = problem {
        problems.push(p.at(Loc::file(&display)));
        return f;
    }
    f.readable = true;
    decode(&mut f, problems);
    f
}

/// The bytes of the extraction file `name` in `raw_dir`, read as every read of raw/ is.
fn read_raw(raw_dir: &Path, name: &str) -> Result<Vec<u8>, fsio::ReadError> {
    fsio::read_in_tree(raw_dir, Path::new(name), MAX_FILE_BYTES as u64)
}

/// A file's text: its bytes as UTF-8, any byte-order mark removed (the bytes become the
/// text, not a copy of it).
fn utf8_text(mut bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes)
}

/// Sets `f.text` from `f.bytes` (`utf8_text`), or reports a located encoding problem.
/// Memory (issue 13): the bytes stay in `f.bytes` only when they are not UTF-8.
fn decode(f: &mut RawFile, problems: &mut Vec<Problem>) {
    let display = f.path.clone();
    match utf8_text(std::mem::take(&mut f.bytes)) {
        Ok(t) => f.text = t,
        Err(e) => {
            let (e, body) = (e.utf8_error(), e.into_bytes());
            let good = String::from_utf8_lossy(&body[..e.valid_up_to()]).into_owned();
            f.bytes = body;
            let line = good.matches('\n').count() + 1;
            let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            problems.push(
                Problem::new(
                    Code::Encoding,
                    format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                )
                .at(Loc {
                    file: display,
                    line,
                    col,
                    line_text: good.rsplit('\n').next().unwrap_or_default().to_string(),
                    width: 1,
                })
                .expected("UTF-8 text (re-save the file as UTF-8)"),
            );
        }
    }
}

/// Parses the bytes of one extraction file named `name` (as if read from raw/) without
/// touching the disk: decoding, TOML parsing and the schema checks of this stage. Returns the
/// records and every problem, located in the text. The fuzz target `parse_extraction`
/// drives the parser through this.
pub fn parse_bytes(
    name: &str,
    bytes: &[u8],
    schema: &Schema,
) -> (Vec<Record<RawValue>>, Vec<Problem>) {
    let mut problems = vec![];
    let mut f = RawFile {
        path: format!("raw/{name}"),
        name: name.to_string(),
        bytes: bytes.to_vec(),
        text: String::new(),
        readable: true,
        released: None,
    };
    decode(&mut f, &mut problems);
    let parsed = parse_file(0, &f, schema);
    let ex = Extraction {
        files: vec![f],
        ..Default::default()
    };
    problems.extend(parsed.problems.into_iter().map(|(p, pos)| match pos {
        Some(pos) => p.at(ex.loc(pos)),
        None => p,
    }));
    (parsed.records, problems)
}

struct FileParse {
    file: u32,
    source_id: Option<String>,
    records: Vec<Record<RawValue>>,
    resolutions: Vec<Resolution<RawValue>>,
    links: Vec<RawLink>,
    problems: Vec<(Problem, Option<Pos>)>,
}

pub(crate) fn pos(file: u32, span: std::ops::Range<usize>) -> Pos {
    Pos {
        file,
        start: span.start as u32,
        end: span.end as u32,
    }
}

fn parse_file(fi: u32, f: &RawFile, schema: &Schema) -> FileParse {
    let mut out = FileParse {
        file: fi,
        source_id: None,
        records: vec![],
        resolutions: vec![],
        links: vec![],
        problems: vec![],
    };
    let Some(doc) = parse_toml(fi, f, &mut out.problems) else {
        return out;
    };
    let mut seen = Seen::default();
    for (key, value) in doc.get_ref().iter() {
        top_level(fi, key, value, schema, &mut out, &mut seen);
    }
    check_source(fi, f, schema, &seen, &mut out);
    out
}

/// The file's TOML document, or None with the problems that stop its parsing.
fn parse_toml<'t>(
    fi: u32,
    f: &'t RawFile,
    problems: &mut Vec<(Problem, Option<Pos>)>,
) -> Option<Spanned<DeTable<'t>>> {
    // Unreadable or not UTF-8: already reported (not also as an empty file).
    let body = f.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&f.bytes);
    if !f.readable || (f.text.is_empty() && !body.is_empty()) {
        return None;
    }
    // Empty, or only a byte-order mark (which used to pass silently as a file with nothing).
    if f.text.is_empty() {
        problems.push((
            Problem::new(Code::MissingSource, "the file is empty")
                .expected("a [source] table and the records the document reports"),
            Some(pos(fi, 0..0)),
        ));
        return None;
    }
    let (doc, errors) = DeTable::parse_recoverable(&f.text);
    for e in &errors {
        problems.push((
            Problem::new(
                Code::TomlSyntax,
                format!("TOML syntax: {}", e.message().trim()),
            )
            .expected("valid TOML (see docs/ANNOTATING.md)"),
            Some(pos(fi, e.span().unwrap_or(0..0))),
        ));
    }
    errors.is_empty().then_some(doc)
}

/// What the top level of a file held, for the checks made once it is read.
#[derive(Default)]
struct Seen {
    /// Where `[source]` is.
    source: Option<Pos>,
    /// Any record or link.
    records: bool,
    /// `[[resolution]]` entries, even ones that failed to parse: such a file
    /// (raw/resolutions.toml) needs no `[source]`, and a broken resolution must not also be
    /// reported as a missing source.
    resolutions: bool,
}

/// One top-level entry of a file: `[source]`, `[[resolution]]`, `[[link]]` or a table's
/// records.
fn top_level(
    fi: u32,
    key: &Spanned<std::borrow::Cow<str>>,
    value: &Spanned<DeValue>,
    schema: &Schema,
    out: &mut FileParse,
    seen: &mut Seen,
) {
    let k = key.get_ref().as_ref();
    let table_of = |k: &str| (schema.tables.iter()).position(|t| t.raw_table.as_deref() == Some(k));
    if k == "source" {
        seen.source = Some(pos(fi, key.span()));
        source_table(fi, key.span(), value, schema, out);
    } else if k == "resolution" {
        seen.resolutions = true;
        for item in array_of_tables(fi, k, value, &mut out.problems) {
            if let Some(r) = parse_resolution(fi, item, schema, &mut out.problems) {
                out.resolutions.push(r);
            }
        }
    } else if k == "link" {
        seen.records = true;
        for item in array_of_tables(fi, k, value, &mut out.problems) {
            out.links
                .extend(crate::meaning::links::parse(fi, item, &mut out.problems));
        }
    } else if let Some(ti) = table_of(k) {
        for item in array_of_tables(fi, k, value, &mut out.problems) {
            seen.records = true;
            if let DeValue::Table(t) = item.get_ref()
                && let Some(r) =
                    parse_record(fi, ti, "id", t, item.span(), schema, &mut out.problems)
            {
                out.records.push(r);
            }
        }
    } else {
        out.problems
            .push((unknown_table(k, schema), Some(pos(fi, key.span()))));
    }
}

/// The file's `[source]` table, a record of the sources table.
fn source_table(
    fi: u32,
    span: std::ops::Range<usize>,
    value: &Spanned<DeValue>,
    schema: &Schema,
    out: &mut FileParse,
) {
    let DeValue::Table(t) = value.get_ref() else {
        out.problems.push((
            Problem::new(Code::WrongType, "`source` must be a table").expected("a [source] table"),
            Some(pos(fi, value.span())),
        ));
        return;
    };
    let table = schema
        .raw_table("source")
        .expect("schema has a sources table");
    let ti = (schema.tables.iter())
        .position(|x| x.name == table.name)
        .unwrap();
    if let Some(r) = parse_record(fi, ti, "source_id", t, span, schema, &mut out.problems) {
        out.source_id = Some(r.id.clone());
        out.records.push(r);
    }
}

fn unknown_table(k: &str, schema: &Schema) -> Problem {
    let raw_tables = || schema.tables.iter().filter_map(|t| t.raw_table.as_deref());
    let known: Vec<String> = raw_tables()
        .filter(|t| *t != "source")
        .map(|t| format!("[[{t}]]"))
        .collect();
    Problem::new(Code::UnknownTable, format!("unknown table `{k}`")).expected(format!(
        "[source], {}, [[link]] or [[resolution]]{}",
        known.join(", "),
        suggest(k, raw_tables().chain(["resolution"]))
    ))
}

/// A file of records has a `[source]`, and its source id is the file's name: one file per
/// document, no ambiguity.
fn check_source(fi: u32, f: &RawFile, schema: &Schema, seen: &Seen, out: &mut FileParse) {
    if seen.source.is_none() && (seen.records || !seen.resolutions) {
        out.problems.push((
            Problem::new(Code::MissingSource, "the file has no [source] table").expected(
                "a [source] table naming the document (source_id, file, title, year, kind)",
            ),
            Some(pos(fi, 0..0)),
        ));
    }
    // One `.toml` only: `a.toml.toml` is source `a.toml`, never a second source `a`.
    let stem = f.name.strip_suffix(".toml").unwrap_or(&f.name);
    let source_record = out
        .records
        .iter()
        .find(|r| schema.tables[r.table].raw_table.as_deref() == Some("source"));
    let (Some(id), Some(r)) = (&out.source_id, source_record) else {
        return;
    };
    if id == stem {
        return;
    }
    let p = r
        .fields
        .iter()
        .find(|(fi_, _, _)| schema.tables[r.table].fields[*fi_].name == "source_id")
        .map_or(r.pos, |x| x.2);
    out.problems.push((
        Problem::new(
            Code::UnknownSource,
            format!("source_id `{id}` does not match the file name `{}`", f.name),
        )
        .field("source_id")
        .expected(format!(
            "source_id = \"{stem}\" (the file is named after its source)"
        )),
        Some(p),
    ));
}

pub(crate) fn array_of_tables<'a, 'i>(
    fi: u32,
    k: &str,
    value: &'a Spanned<DeValue<'i>>,
    problems: &mut Vec<(Problem, Option<Pos>)>,
) -> Vec<&'a Spanned<DeValue<'i>>> {
    match value.get_ref() {
        DeValue::Array(items) => {
            let mut out = vec![];
            for item in items.iter() {
                if matches!(item.get_ref(), DeValue::Table(_)) {
                    out.push(item);
                } else {
                    problems.push((
                        Problem::new(Code::WrongType, format!("`{k}` entries must be tables"))
                            .expected(format!("[[{k}]] tables")),
                        Some(pos(fi, item.span())),
                    ));
                }
            }
            out
        }
        _ => {
            problems.push((
                Problem::new(Code::WrongType, format!("`{k}` must be an array of tables"))
                    .expected(format!("[[{k}]] (double brackets)")),
                Some(pos(fi, value.span())),
            ));
            vec![]
        }
    }
}

/// Converts one TOML value; nested tables and mixed arrays are wrong types.
fn raw_value(
    fi: u32,
    v: &Spanned<DeValue>,
    problems: &mut Vec<(Problem, Option<Pos>)>,
) -> Option<RawValue> {
    Some(match v.get_ref() {
        DeValue::String(s) => RawValue::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
            Ok(n) => RawValue::Int(n),
            Err(_) => {
                problems.push((
                    Problem::new(
                        Code::WrongType,
                        format!("integer `{}` is out of range", i.as_str()),
                    )
                    .expected("an integer between -2^63 and 2^63-1"),
                    Some(pos(fi, v.span())),
                ));
                return None;
            }
        },
        DeValue::Float(x) => {
            RawValue::Float(x.as_str().replace('_', "").parse().unwrap_or(f64::NAN))
        }
        DeValue::Boolean(b) => RawValue::Bool(*b),
        DeValue::Datetime(d) => RawValue::Datetime(d.to_string()),
        DeValue::Array(items) => {
            let mut list = vec![];
            for item in items.iter() {
                match item.get_ref() {
                    DeValue::String(s) => list.push(s.to_string()),
                    _ => {
                        problems.push((
                            Problem::new(Code::WrongType, "list items must be strings")
                                .expected("an array of strings, e.g. [\"xi-jinping\"]"),
                            Some(pos(fi, item.span())),
                        ));
                        return None;
                    }
                }
            }
            RawValue::List(list)
        }
        DeValue::Table(_) => {
            problems.push((
                Problem::new(Code::WrongType, "a nested table is not allowed here")
                    .expected("a string, number, boolean or array of strings"),
                Some(pos(fi, v.span())),
            ));
            return None;
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn parse_record(
    fi: u32,
    ti: usize,
    id_key: &str,
    t: &DeTable,
    span: std::ops::Range<usize>,
    schema: &Schema,
    problems: &mut Vec<(Problem, Option<Pos>)>,
) -> Option<Record<RawValue>> {
    let table = &schema.tables[ti];
    let header = pos(fi, span);
    let id = record_id(fi, table, id_key, t, header, problems)?;
    let mut rec = Record {
        table: ti,
        id,
        source: 0,
        locator: String::new(),
        pos: t.get(id_key).map_or(header, |v| pos(fi, v.span())),
        fields: vec![],
        derived: vec![],
    };
    for (key, v) in t.iter() {
        match key.get_ref().as_ref() {
            "locator" => match v.get_ref() {
                DeValue::String(s) => rec.locator = s.to_string(),
                _ => problems.push((
                    Problem::new(Code::WrongType, "`locator` must be a string")
                        .record(&table.name, &rec.id)
                        .field("locator")
                        .expected("a section and paragraph, e.g. \"Introduction, para 2\""),
                    Some(pos(fi, v.span())),
                )),
            },
            "derived" => derived_reasons(fi, table, v, &mut rec, problems),
            k if k == id_key => {}
            k => match (table.fields.iter()).position(|f| f.raw.as_deref() == Some(k)) {
                Some(idx) => {
                    if let Some(val) = raw_value(fi, v, problems) {
                        rec.fields.push((idx, val, pos(fi, v.span())));
                    }
                }
                None => problems.push((
                    unknown_field(table, id_key, k, &rec.id),
                    Some(pos(fi, key.span())),
                )),
            },
        }
    }
    // Keep the schema's field order: deterministic and readable.
    rec.fields.sort_by_key(|f| f.0);
    Some(rec)
}

/// A record's id (`id_key`), which must be a string.
fn record_id(
    fi: u32,
    table: &TableSchema,
    id_key: &str,
    t: &DeTable,
    header: Pos,
    problems: &mut Vec<(Problem, Option<Pos>)>,
) -> Option<String> {
    let raw_name = table.raw_table.as_deref().unwrap_or(&table.name);
    let (problem, at) = match t.get(id_key).map(|v| (v.get_ref(), v.span())) {
        Some((DeValue::String(s), _)) => return Some(s.to_string()),
        Some((_, sp)) => (
            Problem::new(Code::WrongType, format!("`{id_key}` must be a string"))
                .expected("a lowercase slug such as \"fk-3-air-defence-purchase\""),
            pos(fi, sp),
        ),
        None => (
            Problem::new(
                Code::MissingId,
                format!("a [[{raw_name}]] entry has no `{id_key}`"),
            )
            .expected(format!("{id_key} = \"a-lowercase-slug\"")),
            header,
        ),
    };
    problems.push((problem.field(id_key), Some(at)));
    None
}

/// `derived = { field = "reason" }`: why a value is not stated as such in the document.
fn derived_reasons(
    fi: u32,
    table: &TableSchema,
    v: &Spanned<DeValue>,
    rec: &mut Record<RawValue>,
    problems: &mut Vec<(Problem, Option<Pos>)>,
) {
    let DeValue::Table(d) = v.get_ref() else {
        problems.push((
            Problem::new(Code::WrongType, "`derived` must be a table")
                .record(&table.name, &rec.id)
                .expected("derived = { amount = \"sum of ...\" }"),
            Some(pos(fi, v.span())),
        ));
        return;
    };
    for (dk, dv) in d.iter() {
        let field =
            (table.fields.iter()).position(|f| f.raw.as_deref() == Some(dk.get_ref().as_ref()));
        match (field, dv.get_ref()) {
            (Some(f), DeValue::String(reason)) => rec.derived.push((f, reason.to_string())),
            (None, _) => problems.push((
                Problem::new(
                    Code::UnknownField,
                    format!("`derived` names unknown field `{}`", dk.get_ref()),
                )
                .record(&table.name, &rec.id),
                Some(pos(fi, dk.span())),
            )),
            (_, _) => problems.push((
                Problem::new(Code::WrongType, "a `derived` reason must be a string")
                    .record(&table.name, &rec.id),
                Some(pos(fi, dv.span())),
            )),
        }
    }
}

fn unknown_field(table: &TableSchema, id_key: &str, k: &str, id: &str) -> Problem {
    let raw_name = table.raw_table.as_deref().unwrap_or(&table.name);
    let keys = (table.fields.iter())
        .filter_map(|f| f.raw.as_deref())
        .filter(|r| *r != id_key)
        .chain(["locator", "derived"]);
    Problem::new(
        Code::UnknownField,
        format!("unknown field `{k}` in [[{raw_name}]]"),
    )
    .record(&table.name, id)
    .field(k)
    .expected(format!(
        "one of the {raw_name} fields listed in docs/CODEBOOK.md{}",
        suggest(k, keys)
    ))
}

fn parse_resolution(
    fi: u32,
    item: &Spanned<DeValue>,
    schema: &Schema,
    problems: &mut Vec<(Problem, Option<Pos>)>,
) -> Option<Resolution<RawValue>> {
    let DeValue::Table(t) = item.get_ref() else {
        return None;
    };
    let here = pos(fi, item.span());
    let mut get = |k: &str| required_str(fi, t, k, here, problems);
    let (table, tpos) = get("table")?;
    let (id, _) = get("id")?;
    let (field, fpos) = get("field")?;
    let (reason, _) = get("reason")?;
    for (k, _) in t.iter() {
        if !["table", "id", "field", "value", "merged", "reason"].contains(&k.get_ref().as_ref()) {
            problems.push((
                Problem::new(
                    Code::UnknownField,
                    format!("unknown field `{}` in [[resolution]]", k.get_ref()),
                )
                .expected("table, id, field, value (or merged), reason"),
                Some(pos(fi, k.span())),
            ));
        }
    }
    let (ti, field_idx) = resolution_target(schema, (&table, tpos), &id, (&field, fpos))
        .map_err(|p| problems.push(p))
        .ok()?;
    let target = crate::resolution::Target {
        file: fi,
        table: ti,
        id: &id,
        field: field_idx,
        raw_field: &field,
        here,
    };
    let (v, merged) = crate::resolution::kept_value(t, &target, schema, problems)?;
    let value = raw_value(fi, v, problems)?;
    Some(Resolution {
        table: ti,
        id,
        field: field_idx,
        value,
        merged,
        reason,
        pos: pos(fi, v.span()),
    })
}

/// The string `k` of a `[[resolution]]` and where it is, or a problem at the entry.
fn required_str(
    fi: u32,
    t: &DeTable,
    k: &str,
    here: Pos,
    problems: &mut Vec<(Problem, Option<Pos>)>,
) -> Option<(String, Pos)> {
    match t.get(k).map(|v| (v.get_ref(), v.span())) {
        Some((DeValue::String(s), sp)) => Some((s.to_string(), pos(fi, sp))),
        _ => {
            problems.push((
                Problem::new(
                    Code::Required,
                    format!("a [[resolution]] needs `{k}` as a string"),
                )
                .field(k)
                .expected("table, id, field, value and reason"),
                Some(here),
            ));
            None
        }
    }
}

/// The (table, field) a resolution names, by their names in raw/.
fn resolution_target(
    schema: &Schema,
    (table, tpos): (&str, Pos),
    id: &str,
    (field, fpos): (&str, Pos),
) -> Result<(usize, usize), (Problem, Option<Pos>)> {
    let Some(ti) = (schema.tables.iter()).position(|x| x.raw_table.as_deref() == Some(table))
    else {
        let p = Problem::new(
            Code::UnknownResolutionTarget,
            format!("resolution names unknown table `{table}`"),
        )
        .expected("event, deal, visit, indicator, actor or source");
        return Err((p, Some(tpos)));
    };
    let fields = &schema.tables[ti].fields;
    let raw_fields = || fields.iter().filter_map(|f| f.raw.as_deref());
    let Some(field_idx) = fields.iter().position(|f| f.raw.as_deref() == Some(field)) else {
        let p = Problem::new(
            Code::UnknownResolutionTarget,
            format!("resolution names unknown field `{field}` of [[{table}]]"),
        )
        .record(&schema.tables[ti].name, id)
        .expected(format!(
            "one of the [[{table}]] fields{}",
            suggest(field, raw_fields())
        ));
        return Err((p, Some(fpos)));
    };
    Ok((ti, field_idx))
}

/// "; did you mean `x`?" when a known name is within edit distance 2.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")).unwrap()
    }

    fn parse(text: &str) -> FileParse {
        let f = RawFile {
            path: "raw/x.toml".into(),
            name: "x.toml".into(),
            bytes: text.as_bytes().to_vec(),
            text: text.into(),
            readable: true,
            released: None,
        };
        parse_file(0, &f, &schema())
    }

    #[test]
    fn parses_records_with_positions() {
        let p = parse(
            "[source]\nsource_id = \"x\"\nfile = \"x.txt\"\ntitle = \"T\"\nyear = 2020\nkind = \"news\"\n\n[[event]]\nid = \"e-1\"\ndate = \"2019-09\"\nlocator = \"para 1\"\n",
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.source_id.as_deref(), Some("x"));
        // Tables come out of the parser in key order, not file order: look the event up.
        let e = p.records.iter().find(|r| r.id == "e-1").unwrap();
        assert_eq!(e.id, "e-1");
        assert_eq!(e.locator, "para 1");
        assert_eq!(e.fields[0].1, RawValue::Str("2019-09".into()));
    }

    #[test]
    fn unknown_field_suggests_the_right_one() {
        let p = parse("[source]\nsource_id = \"x\"\n[[event]]\nid = \"e\"\npartnr = \"CN\"\n");
        let (pr, _) = p
            .problems
            .iter()
            .find(|(p, _)| p.code == Code::UnknownField)
            .unwrap();
        assert!(
            pr.expected
                .as_ref()
                .unwrap()
                .contains("did you mean `partner`"),
            "{pr:?}"
        );
    }

    #[test]
    fn syntax_error_has_a_position() {
        let p = parse("[source\nsource_id = 1\n");
        assert_eq!(p.problems[0].0.code, Code::TomlSyntax);
        assert!(p.problems[0].1.is_some());
    }

    /// After the text is let go, a location is found in the file read again, the same as
    /// before; a file that changed length since is named without a line.
    #[test]
    fn released_text_is_read_again_for_locations() {
        let dir = std::env::temp_dir().join(format!("pillars-release-text-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let text = "\u{feff}[source]\nsource_id = \"x\"\nfile = \"x.txt\"\ntitle = \"T\"\nyear = 2020\nkind = \"news\"\n";
        std::fs::write(dir.join("x.toml"), text).unwrap();
        let (mut ex, problems) = run(&dir, &schema());
        assert!(problems.is_empty(), "{problems:?}");
        let pos = Pos {
            file: 0,
            start: 9,
            end: 18,
        };
        let before = ex.loc(pos);
        assert_eq!((before.line, before.col), (2, 1));
        assert_eq!(before.line_text, "source_id = \"x\"");
        ex.release_texts();
        assert!(ex.files[0].text.is_empty());
        let after = ex.loc(pos);
        assert_eq!(
            (after.line, after.col, &after.line_text),
            (2, 1, &before.line_text)
        );
        // Changed on disk: a fresh extraction's released text no longer matches it.
        let (mut ex, _) = run(&dir, &schema());
        ex.release_texts();
        std::fs::write(dir.join("x.toml"), format!("{text}# added\n")).unwrap();
        let changed = ex.loc(pos);
        assert_eq!((changed.line, changed.line_text.as_str()), (0, ""));
        assert_eq!(changed.file, before.file);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("partnr", "partner"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}

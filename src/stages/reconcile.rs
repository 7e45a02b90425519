//! Stage 4 — reconcile: merge what several sources say about the same (table, id) into one
//! row. Free text takes the first source's words; lists are united; structured values that
//! disagree are conflicts, which a `[[resolution]]` must settle. A more precise date that
//! lies inside a less precise one (2019-09 within 2019) refines it and is not a conflict.
//! Every claimed value, kept or not, becomes a provenance row.

use crate::diagnostic::{Code, Problem};
use crate::extract::Extraction;
use crate::model::{Record, Resolution, Value};
use crate::provenance::{self, Cell, Provenance};
use crate::schema::{DatePart, Derive, Merge, Schema, TableSchema};
use ahash::AHashSet;
use chrono::Datelike;

/// One output table: rows aligned with the table schema's fields, ordered by id. The
/// provenance table keeps its rows in `claims` instead (columns: `crate::provenance`).
#[derive(Debug, Clone)]
pub struct Table {
    pub schema: usize,
    pub rows: Vec<Vec<Value>>,
    pub claims: Option<Provenance>,
}

impl Table {
    pub fn len(&self) -> usize {
        self.rows.len() + self.claims.as_ref().map_or(0, Provenance::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i` as borrowed cells, in schema order, into `out`.
    pub fn cells<'a>(&'a self, i: usize, out: &mut Vec<Cell<'a>>) {
        match &self.claims {
            Some(p) => p.cells(i, out),
            None => {
                out.clear();
                out.extend(self.rows[i].iter().map(Cell::Value));
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Dataset {
    /// In schema order (tables sorted by name), provenance included.
    pub tables: Vec<Table>,
}

impl Dataset {
    /// A copy with the provenance rows as `Value` rows, for a reader of small data that
    /// indexes rows (the site; the workbook reads borrowed cells).
    pub fn with_rows(&self) -> Dataset {
        let table = |t: &Table| Table {
            schema: t.schema,
            rows: match &t.claims {
                Some(p) => (0..p.len()).map(|i| p.row(i)).collect(),
                None => t.rows.clone(),
            },
            claims: None,
        };
        Dataset {
            tables: self.tables.iter().map(table).collect(),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub records_in: usize,
    pub records_out: usize,
    pub resolved: usize,
    pub unresolved: usize,
}

/// (table, id) of a record, and (table, id, field) of one of its fields.
type RecordKey<'a> = (usize, &'a str);

struct Claim<'a> {
    rec: &'a Record<Value>,
    /// The record's place in its group.
    nth: usize,
    value: &'a Value,
    pos: crate::model::Pos,
}

/// Merges the records into rows and provenance. Memory (issue 13): each record keeps only
/// its table, id, source and position once merged (its values, derived marks and locator
/// are freed as the merge goes), so the records and the rows made of them are not all held
/// at once.
pub fn run(
    ex: &Extraction,
    records: &mut [Record<Value>],
    resolutions: &[Resolution<Value>],
    schema: &Schema,
) -> (Dataset, Stats, Vec<Problem>) {
    let mut problems = vec![];
    let records_in = records.len();
    let mut sorted = sorted(ex, records);
    let mut groups: Vec<&mut [&mut Record<Value>]> = sorted
        .chunk_by_mut(|a, b| a.table == b.table && a.id == b.id)
        .collect();
    let res_index = crate::resolution::index(ex, resolutions, schema, &mut problems);
    let prov_schema = schema.tables.iter().position(|t| t.name == "provenance");
    let empty_provenance = prov_schema.map(|pi| empty_provenance(&schema.tables[pi], schema));
    let resolved: AHashSet<(usize, &str)> = res_index.keys().map(|k| (k.0, k.1)).collect();
    // Performance (issue 13): records are merged on all cores, each thread a contiguous run
    // of (table, id) keys; the runs are joined in key order, so the result does not depend
    // on the number of threads.
    let ctx = Ctx {
        ex,
        schema,
        res: &res_index,
        resolved: &resolved,
    };
    let parts = crate::parallel::chunks_mut(&mut groups, |chunk| {
        let prov = claim_writer(empty_provenance.as_ref(), chunk, ex, schema);
        merge_groups(&ctx, chunk, prov)
    });
    drop(groups);
    let mut tables: Vec<Table> = (0..schema.tables.len())
        .map(|i| Table {
            schema: i,
            rows: vec![],
            claims: None,
        })
        .collect();
    let mut stats = Stats {
        records_in,
        ..Default::default()
    };
    let (provenance, used) = join(parts, &mut tables, &mut stats, &mut problems);
    problems.extend(unused_resolutions(ex, schema, &res_index, (&sorted, &used)));
    if let Some(pi) = prov_schema {
        tables[pi].claims = Provenance::concat(provenance).or(empty_provenance);
    }
    stats.records_out = tables
        .iter()
        .filter(|t| Some(t.schema) != prov_schema)
        .map(|t| t.rows.len())
        .sum();
    (Dataset { tables }, stats, problems)
}

/// One merging thread's provenance writer (None when the schema has no provenance table).
fn claim_writer(
    empty: Option<&Provenance>,
    chunk: &[&mut [&mut Record<Value>]],
    ex: &Extraction,
    schema: &Schema,
) -> Option<ClaimWriter> {
    empty.cloned().map(|mut p| {
        // Memory (issue 13): room for every row up front, not a copy at every doubling.
        // (A row per claim; a text per claim, record id and locator, at most.)
        let records: usize = chunk.iter().map(|g| g.len()).sum();
        let claims: usize = (chunk.iter().flat_map(|g| g.iter()))
            .map(|r| r.fields.len())
            .sum();
        p.reserve(claims, claims + chunk.len() + records);
        ClaimWriter::new(p, ex, schema)
    })
}

/// The threads' parts joined in key order: rows into `tables`, counts into `stats`,
/// problems into `problems`; returns provenance's parts and the resolutions used, by
/// identity (the records' ids are not borrowed past the merge).
fn join(
    parts: Vec<Part>,
    tables: &mut [Table],
    stats: &mut Stats,
    problems: &mut Vec<Problem>,
) -> (Vec<Provenance>, AHashSet<*const Resolution<Value>>) {
    let mut provenance = vec![];
    let mut used = AHashSet::new();
    for part in parts {
        for (ti, row) in part.rows {
            tables[ti].rows.push(row);
        }
        provenance.extend(part.prov.map(|w| w.prov));
        problems.extend(part.problems);
        stats.resolved += part.stats.resolved;
        stats.unresolved += part.stats.unresolved;
        used.extend(part.used.into_iter().map(|r| r as *const _));
    }
    (provenance, used)
}

/// The records sorted by (table, id, source id); each (table, id) is then one run of it.
/// Validation leaves one record per (source, table, id), so no two keys are equal and an
/// unstable sort gives the one order. Performance (issue 13): the keys are laid out beside
/// the records (the source as its rank among the source ids), and each core sorts a run;
/// the standard (merge) sort then merges the sorted runs in one pass.
fn sorted<'a>(ex: &Extraction, records: &'a mut [Record<Value>]) -> Vec<&'a mut Record<Value>> {
    let mut by_id: Vec<usize> = (0..ex.sources.len()).collect();
    by_id.sort_by_key(|&s| ex.sources[s].id.as_str());
    let mut rank = vec![0u32; by_id.len()];
    for (n, s) in by_id.into_iter().enumerate() {
        rank[s] = n as u32;
    }
    let order: Vec<usize> = {
        let records = &*records;
        type Keyed<'a> = ((usize, &'a str, u32), usize);
        let key = |i: usize| {
            let r = &records[i];
            ((r.table, r.id.as_str(), rank[r.source as usize]), i)
        };
        let runs = crate::parallel::ranges(records.len(), |range| {
            let mut run: Vec<Keyed> = range.map(key).collect();
            run.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            run
        });
        let mut all = runs.concat();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.into_iter().map(|(_, i)| i).collect()
    };
    // Each record handed out once, in key order (the merge frees what it has merged).
    let mut slots: Vec<Option<&mut Record<Value>>> = records.iter_mut().map(Some).collect();
    (order.into_iter())
        .map(|i| slots[i].take().expect("each index once"))
        .collect()
}

/// What every merging thread reads.
struct Ctx<'a> {
    ex: &'a Extraction,
    schema: &'a Schema,
    res: &'a crate::resolution::Index<'a>,
    /// The (table, id) of every resolution: most records have none, and one lookup per
    /// record is cheaper than one per field.
    resolved: &'a AHashSet<(usize, &'a str)>,
}

/// One thread's provenance rows, with the texts every row repeats (table, field and source
/// names) added once.
struct ClaimWriter {
    prov: Provenance,
    tables: Vec<u32>,
    fields: Vec<Vec<u32>>,
    sources: Vec<u32>,
}

impl ClaimWriter {
    fn new(mut prov: Provenance, ex: &Extraction, schema: &Schema) -> ClaimWriter {
        let tables = schema.tables.iter().map(|t| prov.text(&t.name)).collect();
        let fields = (schema.tables.iter())
            .map(|t| t.fields.iter().map(|f| prov.text(&f.name)).collect())
            .collect();
        let sources = ex.sources.iter().map(|s| prov.text(&s.id)).collect();
        ClaimWriter {
            prov,
            tables,
            fields,
            sources,
        }
    }
}

/// What one thread merged: rows (with their table) and provenance rows in key order, the
/// problems found and the resolutions used.
struct Part<'a> {
    repeated: Repeated,
    rows: Vec<(usize, Vec<Value>)>,
    prov: Option<ClaimWriter>,
    problems: Vec<Problem>,
    stats: Stats,
    used: Vec<&'a Resolution<Value>>,
}

/// A claim's provenance row, keyed by (field name, source id) for sorting within its record.
type ClaimRow<'a> = (&'a str, &'a str, [u32; 9]);

fn merge_groups<'a>(
    ctx: &Ctx<'a>,
    groups: &mut [&mut [&mut Record<Value>]],
    prov: Option<ClaimWriter>,
) -> Part<'a> {
    let mut out = Part {
        repeated: Repeated::new(ctx.schema),
        rows: vec![],
        prov,
        problems: vec![],
        stats: Stats::default(),
        used: vec![],
    };
    // Performance: provenance rows are built directly in their final shape, one record at a
    // time, and sorted within the record (by field name, then source id). Records are visited
    // in (table, id) order and tables are in name order, so this gives exactly the order of
    // one global sort by (table, record_id, field, source_id), without sorting millions of
    // rows by four strings (which dominated reconcile at 100k records).
    let mut group_prov: Vec<ClaimRow> = vec![];
    for group in groups {
        let row = merge_group(ctx, group, &mut out, &mut group_prov);
        out.rows.push((group[0].table, row));
        // Stable, like the global sort it replaces: equal keys keep their claim order.
        group_prov.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        if let Some(w) = &mut out.prov {
            group_prov
                .drain(..)
                .for_each(|(_, _, ids)| w.prov.push(ids));
        }
        for r in group.iter_mut() {
            r.fields = vec![];
            r.derived = vec![];
            r.locator = String::new();
        }
    }
    out
}

impl<'a> Ctx<'a> {
    fn source_id(&self, r: &Record<Value>) -> &'a str {
        self.ex.sources[r.source as usize].id.as_str()
    }
}

/// One row from the records of one (table, id), sorted by source id; its claims go to
/// `group_prov`.
fn merge_group<'a>(
    ctx: &Ctx<'a>,
    group: &[&mut Record<Value>],
    out: &mut Part<'a>,
    group_prov: &mut Vec<ClaimRow<'a>>,
) -> Vec<Value> {
    let key = (group[0].table, group[0].id.as_str());
    let t = &ctx.schema.tables[key.0];
    let mut row = vec![Value::Null; t.fields.len()];
    row[t.field_index(&t.id_field().name).unwrap()] = Value::Str(key.1.into());
    // The record's id and each record's locator, added to provenance's texts once.
    let (id, locators) = match &mut out.prov {
        Some(w) => (
            w.prov.text(key.1),
            group.iter().map(|r| w.prov.text(&r.locator)).collect(),
        ),
        None => (provenance::NONE, vec![]),
    };
    let has_resolutions = ctx.resolved.contains(&key);
    // One buffer for every field's claims (performance: not an allocation per field).
    let mut claims: Vec<Claim> = vec![];
    for (fi, f) in t.fields.iter().enumerate().filter(|(_, f)| f.raw.is_some()) {
        claims.clear();
        claims.extend(claims_of(group, fi));
        if claims.is_empty() {
            continue;
        }
        let at = FieldAt { t, key, fi, f };
        let resolution = has_resolutions
            .then(|| resolution_for(ctx, &at, &claims, out))
            .flatten();
        let kept = kept_value(ctx, &at, &claims, resolution, out);
        if let Some(w) = &mut out.prov {
            let kept = Kept {
                value: kept.as_ref(),
                resolution,
            };
            let texts = (id, locators.as_slice());
            w.claims(ctx, (key.0, fi, f), &claims, kept, texts, group_prov);
        }
        out.problems
            .extend(too_long(ctx, &at, &claims, kept.as_ref()));
        row[fi] = match kept {
            // The row's text copied, not shared with the record it came from (performance,
            // issue 13): normalise made it in the order of the files, and the export jobs
            // read it three times in the order of the rows. Copied here, on the thread that
            // merges these rows in order, it sits in that order in memory. (1M records in
            // 5000 files, seven interleaved pairs: export 6.95 s against 7.34 s, medians.)
            Some(Value::Str(s)) => Value::Str(std::sync::Arc::from(&*s)),
            other => other.unwrap_or(Value::Null),
        };
    }
    let mut sources: Vec<&str> = group.iter().map(|r| ctx.source_id(r)).collect();
    sources.dedup();
    derive(t, &mut row, &sources, &out.repeated);
    row
}

/// The claims of field `fi` in a group's records, in record order.
fn claims_of<'g>(group: &'g [&mut Record<Value>], fi: usize) -> impl Iterator<Item = Claim<'g>> {
    group.iter().enumerate().flat_map(move |(nth, r)| {
        (r.fields.iter())
            .filter(move |(i, _, _)| *i == fi)
            .map(move |(_, v, p)| Claim {
                rec: r,
                nth,
                value: v,
                pos: *p,
            })
    })
}

/// A union of lists can outgrow a cell that each source's list fits.
fn too_long(ctx: &Ctx, at: &FieldAt, claims: &[Claim], kept: Option<&Value>) -> Option<Problem> {
    let Some(Value::List(l)) = kept else {
        return None;
    };
    let (code, msg, expected) = crate::limits::list(l)?;
    Some(
        Problem::new(code, format!("the merged list: {msg}"))
            .at(ctx.ex.loc(claims[0].pos))
            .record(&at.t.name, at.key.1)
            .field(at.f.raw.as_deref().unwrap())
            .expected(expected),
    )
}

/// What a field of a merged record keeps, and the resolution that decided it.
#[derive(Clone, Copy)]
struct Kept<'v> {
    value: Option<&'v Value>,
    resolution: Option<&'v Resolution<Value>>,
}

impl ClaimWriter {
    /// The provenance rows of one field's claims, into `group_prov`: which claim is kept,
    /// the resolution's note, the annotator's reason for a derived value.
    fn claims<'a>(
        &mut self,
        ctx: &Ctx<'a>,
        (t, fi, f): (usize, usize, &'a crate::schema::Field),
        claims: &[Claim],
        kept: Kept,
        (id, locators): (u32, &[u32]),
        group_prov: &mut Vec<ClaimRow<'a>>,
    ) {
        for c in claims {
            let is_kept = match (kept.value, f.merge) {
                _ if kept.resolution.is_some_and(|r| r.merged) => false,
                (_, Merge::Union) if kept.resolution.is_none() => true,
                (Some(k), _) => c.value == k,
                (None, _) => false,
            };
            let note = crate::resolution::note(kept.resolution, is_kept);
            // A reason the annotator gives for a derived value (`meaning::derived`).
            let derived = c.rec.derived.iter().find(|(i, _)| *i == fi);
            let derived = derived.map_or(provenance::NONE, |(_, why)| self.prov.text(why));
            let ids = [
                self.tables[t],
                id,
                self.fields[t][fi],
                self.prov.value(c.value),
                self.sources[c.rec.source as usize],
                locators[c.nth],
                Provenance::bool(is_kept),
                self.prov.value(&note),
                derived,
            ];
            group_prov.push((&f.name, ctx.source_id(c.rec), ids));
        }
    }
}

/// One field of one merged record.
struct FieldAt<'a> {
    t: &'a TableSchema,
    key: RecordKey<'a>,
    fi: usize,
    f: &'a crate::schema::Field,
}

/// The field's `[[resolution]]`, marked used; None (and a problem) when it keeps a value no
/// source claims.
fn resolution_for<'a>(
    ctx: &Ctx<'a>,
    at: &FieldAt<'_>,
    claims: &[Claim],
    out: &mut Part<'a>,
) -> Option<&'a Resolution<Value>> {
    let (key, fi) = (at.key, at.fi);
    let r = *ctx.res.get(&(key.0, key.1, fi))?;
    out.used.push(r);
    if r.merged || claims.iter().any(|c| c.value == &r.value) {
        return Some(r);
    }
    let claimed: Vec<String> = claims
        .iter()
        .map(|c| format!("`{}` ({})", c.value, ctx.source_id(c.rec)))
        .collect();
    out.problems.push(
        Problem::new(
            Code::UnclaimedResolution,
            format!("the resolution keeps `{}`, which no source claims", r.value),
        )
        .at(ctx.ex.loc(r.pos))
        .record(&at.t.name, key.1)
        .field(at.f.raw.as_deref().unwrap())
        .expected(format!("one of the claimed values: {}", claimed.join(", "))),
    );
    None
}

/// The value the merged row keeps, by the field's merge rule; None (and a problem) for a
/// conflict no resolution settles.
fn kept_value(
    ctx: &Ctx,
    at: &FieldAt,
    claims: &[Claim],
    resolution: Option<&Resolution<Value>>,
    out: &mut Part,
) -> Option<Value> {
    // A resolution on free text or a list chooses its value outright (a `merged` wording,
    // or one source's claim); on structured values it settles a conflict.
    let chosen = resolution.filter(|r| r.merged || at.f.merge != Merge::Strict);
    match at.f.merge {
        _ if chosen.is_some() => chosen.map(|r| r.value.clone()),
        Merge::First => Some(claims[0].value.clone()),
        Merge::Union => Some(Value::List(
            union(claims.iter().filter_map(|c| match c.value {
                Value::List(l) => Some(&l[..]),
                _ => None,
            }))
            .into(),
        )),
        Merge::Strict => {
            let first = claims[0].value;
            if claims.iter().all(|c| c.value == first) {
                Some(first.clone())
            } else if let Some(refined) = most_precise_nested(claims) {
                Some(refined.clone())
            } else if let Some(r) = resolution {
                out.stats.resolved += 1;
                Some(r.value.clone())
            } else {
                out.stats.unresolved += 1;
                out.problems.push(conflict(ctx, at, claims));
                None
            }
        }
    }
}

/// Sources disagree on a structured value and no resolution settles it.
fn conflict(ctx: &Ctx, at: &FieldAt, claims: &[Claim]) -> Problem {
    let (t, id) = (at.t, at.key.1);
    let field = at.f.raw.as_deref().unwrap();
    let raw_table = t.raw_table.as_deref().unwrap_or(&t.name);
    let first = claims[0].value;
    let first_diff = claims.iter().find(|c| c.value != first).unwrap();
    let source_id = |c: &Claim| ctx.source_id(c.rec);
    let mut p = Problem::new(
        Code::Conflict,
        format!(
            "sources disagree on `{field}` of {raw_table} `{id}`: {} says `{first}`, {} says `{}`",
            source_id(&claims[0]),
            source_id(first_diff),
            first_diff.value
        ),
    )
    .at(ctx.ex.loc(claims[0].pos))
    .record(&t.name, id)
    .field(field)
    .expected(format!(
        "a [[resolution]] with table = \"{raw_table}\", id = \"{id}\", field = \"{field}\", the value to keep and the reason"
    ));
    for c in claims.iter().skip(1) {
        p = p.note(
            ctx.ex.loc(c.pos),
            format!("{} says `{}`", source_id(c), c.value),
        );
    }
    p
}

/// Resolutions that no record used: for a record no file defines, or a field no source
/// claims.
fn unused_resolutions(
    ex: &Extraction,
    schema: &Schema,
    res_index: &crate::resolution::Index,
    (sorted, used): (&[&mut Record<Value>], &AHashSet<*const Resolution<Value>>),
) -> Vec<Problem> {
    // Whether some file defines (table, id): the records are in (table, id) order.
    let defined =
        |key: RecordKey| (sorted.binary_search_by(|r| (r.table, r.id.as_str()).cmp(&key))).is_ok();
    let mut problems = vec![];
    for (&(ti, id, fi), &r) in res_index {
        if !used.contains(&(r as *const _)) {
            let t = &schema.tables[ti];
            let what = if defined((ti, id)) {
                format!(
                    "no source claims `{}` for {} `{id}`",
                    t.fields[fi].raw.as_deref().unwrap_or_default(),
                    t.raw_table.as_deref().unwrap_or_default()
                )
            } else {
                format!(
                    "the resolution names {} `{id}`, which no file defines",
                    t.raw_table.as_deref().unwrap_or_default()
                )
            };
            problems.push(
                Problem::new(Code::UnknownResolutionTarget, what)
                    .at(ex.loc(r.pos))
                    .record(&t.name, id)
                    .expected("a resolution for a record and field that sources actually claim"),
            );
        }
    }
    problems
}

/// An empty provenance table: the computed columns (the schema version) are the same in every
/// row, so they are computed once, as `derive` fills them.
fn empty_provenance(ts: &TableSchema, schema: &Schema) -> Provenance {
    let mut template = vec![Value::Null; ts.fields.len()];
    derive(ts, &mut template, &[], &Repeated::new(schema));
    Provenance::new(ts, template)
}

/// The claim whose date lies inside every other claimed date, if the dates nest.
fn most_precise_nested<'a>(claims: &'a [Claim]) -> Option<&'a Value> {
    let dates: Vec<&crate::model::PartialDate> = claims
        .iter()
        .map(|c| {
            if let Value::PDate(d) = c.value {
                Some(&**d)
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    let inner = dates.iter().min_by_key(|d| d.end - d.start)?;
    dates.iter().all(|d| d.contains(inner)).then(|| {
        claims
            .iter()
            .find(|c| matches!(c.value, Value::PDate(d) if **d == **inner))
            .unwrap()
            .value
    })
}

/// Texts that computed columns repeat row after row, made once (performance: not an
/// allocation in each of a large build's rows). One per thread: reference counts that two
/// threads update on one cache line would make them take turns.
struct Repeated {
    version: Value,
    /// By `Precision`, in its order (year, month, day).
    precision: [Value; 3],
}

impl Repeated {
    fn new(schema: &Schema) -> Repeated {
        use crate::model::Precision::{Day, Month, Year};
        Repeated {
            version: Value::Str(schema.version.as_str().into()),
            precision: [Year, Month, Day].map(|p| Value::Str(p.as_str().into())),
        }
    }
}

/// Fills the columns that are computed, not read: date parts, ASCII names, source ids, the
/// schema version, and rule-based defaults.
fn derive(t: &TableSchema, row: &mut [Value], sources: &[&str], repeated: &Repeated) {
    for (i, f) in t.fields.iter().enumerate() {
        if let Some(d) = &f.derive {
            row[i] = match d {
                Derive::DatePart { from, part } => match &row[t.field_index(from).unwrap()] {
                    Value::PDate(p) => match part {
                        DatePart::Start => Value::Date(p.start),
                        DatePart::End => Value::Date(p.end),
                        DatePart::Precision => repeated.precision[p.precision as usize].clone(),
                        DatePart::Year => Value::Int(p.start.year() as i64),
                    },
                    _ => Value::Null,
                },
                Derive::Ascii { from } => match &row[t.field_index(from).unwrap()] {
                    Value::Str(s) => Value::Str(deunicode::deunicode(s).into()),
                    _ => Value::Null,
                },
                Derive::SourceIds => Value::List(sources.iter().map(|s| s.to_string()).collect()),
                Derive::SchemaVersion => repeated.version.clone(),
                Derive::Meaning(_) => Value::Null, // filled by crate::meaning::enrich
            };
        }
    }
    for (i, f) in t.fields.iter().enumerate() {
        if let (Some(d), Value::Null) = (&f.default, &row[i]) {
            let off = d.false_when.iter().any(|(col, vals)| {
                t.field_index(col)
                    .and_then(|c| row[c].as_str())
                    .is_some_and(|v| vals.iter().any(|x| x == v))
            });
            row[i] = Value::Bool(!off && d.otherwise);
        }
    }
}

/// The union of lists, each item once, in first-seen order. Linear: a hash set answers
/// membership (a scan of the result made 200,000 aliases take 31 s).
fn union<'a>(lists: impl Iterator<Item = &'a [String]>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut all = vec![];
    for x in lists.flatten() {
        if seen.insert(x.as_str()) {
            all.push(x.clone());
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::parse_partial_date;

    fn claim_values(dates: &[&str]) -> Vec<Value> {
        dates
            .iter()
            .map(|d| Value::PDate(Box::new(parse_partial_date(d).unwrap())))
            .collect()
    }

    fn nested(dates: &[&str]) -> Option<String> {
        let values = claim_values(dates);
        let rec = Record {
            table: 0,
            id: String::new(),
            source: 0,
            locator: String::new(),
            pos: Default::default(),
            fields: vec![],
            derived: vec![],
        };
        let claims: Vec<Claim> = values
            .iter()
            .map(|v| Claim {
                rec: &rec,
                nth: 0,
                value: v,
                pos: Default::default(),
            })
            .collect();
        most_precise_nested(&claims).map(|v| v.to_string())
    }

    #[test]
    fn nested_dates_keep_the_most_precise() {
        assert_eq!(
            nested(&["2019", "2019-09", "2019-09-07"]),
            Some("2019-09-07".into())
        );
        assert_eq!(nested(&["2019-09", "2019"]), Some("2019-09".into()));
    }

    #[test]
    fn disjoint_dates_do_not_nest() {
        assert_eq!(nested(&["2019", "2020"]), None);
        assert_eq!(nested(&["2019-08", "2019-09"]), None);
        assert_eq!(nested(&["2019-09-07", "2019-10"]), None);
    }

    #[test]
    fn union_keeps_first_seen_order_and_each_item_once_for_large_lists() {
        let a: Vec<String> = (0..200_000).map(|i| format!("alias {i}")).collect();
        let b: Vec<String> = (0..200_000)
            .rev()
            .map(|i| format!("alias {}", i * 2))
            .collect();
        let u = union([a.as_slice(), b.as_slice()].into_iter());
        assert_eq!(u.len(), 300_000);
        assert_eq!(u[..200_000], a[..]);
        // b's new items (200,000..400,000, even) come after, in b's order.
        assert_eq!(u[200_000], "alias 399998");
        assert_eq!(u[299_999], "alias 200000");
        let dup = vec!["x".to_string(), "y".to_string(), "x".to_string()];
        assert_eq!(union([dup.as_slice()].into_iter()), ["x", "y"]);
    }
}

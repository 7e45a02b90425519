//! The provenance table, stored by column (issue 13). A million records make about 8.5
//! million provenance rows; as rows of `Value`s they took ~360 bytes each (3 GB). Here a row
//! is nine text ids (36 bytes) and each text is kept once, in one buffer: the ids, locators
//! and names that every claim of a record repeats are shared, and a claim's own value is
//! written into the buffer once.
//!
//! The table's other columns (the schema version) are the same in every row: schema_check
//! refuses a provenance column computed from the row. The writers read rows as borrowed
//! [`Cell`]s; the small-data readers (the workbook, the site) make `Value` rows.

use crate::model::Value;
use crate::schema::{Derive, TableSchema};
use std::borrow::Cow;
use std::ops::Range;

/// The claim columns, in the order of [`Provenance`]'s columns.
pub const COLUMNS: [&str; 9] = [
    "table",
    "record_id",
    "field",
    "value",
    "source_id",
    "locator",
    "kept",
    "resolution",
    "derived_reason",
];

/// Column numbers, as [`COLUMNS`] lists them.
pub const TABLE: usize = 0;
pub const RECORD_ID: usize = 1;
pub const FIELD: usize = 2;
pub const KEPT: usize = 6;
pub const DERIVED_REASON: usize = 8;

/// A cell of one row, borrowed from the table: what the CSV, Parquet and hash writers read.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Null,
    Bool(bool),
    Text(&'a str),
    Value(&'a Value),
}

impl<'a> Cell<'a> {
    /// The cell as a value of its own.
    pub fn to_value(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Text(s) => Value::Str(s.into()),
            Cell::Value(v) => v.clone(),
        }
    }

    /// The items of the cell: each list item, or its text; nothing for null or "".
    pub fn items(self) -> Vec<String> {
        match self {
            Cell::Value(Value::List(l)) => l.to_vec(),
            other => match other.text() {
                s if s.is_empty() => vec![],
                s => vec![s.into_owned()],
            },
        }
    }

    /// The canonical text (`Value`'s Display), borrowed where it is already text.
    pub fn text(self) -> Cow<'a, str> {
        match self {
            Cell::Null => Cow::Borrowed(""),
            Cell::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Value(Value::Str(s)) => Cow::Borrowed(s),
            Cell::Value(Value::PDate(p)) => Cow::Borrowed(&p.text),
            Cell::Value(v) => Cow::Owned(v.to_string()),
        }
    }
}

/// A text id that names no text: the claim has no value (or no note).
pub const NONE: u32 = u32::MAX;
const FALSE: u32 = u32::MAX - 1;
const TRUE: u32 = u32::MAX - 2;

/// Texts in one buffer, each named by the order it was added in.
#[derive(Debug, Clone, Default)]
struct Texts {
    buf: String,
    ends: Vec<usize>,
}

impl Texts {
    fn push(&mut self, s: &str) -> u32 {
        self.buf.push_str(s);
        self.ends.push(self.buf.len());
        u32::try_from(self.ends.len() - 1)
            .ok()
            .filter(|&i| i < TRUE)
            .expect("fewer than 4 billion provenance texts")
    }

    fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }
}

/// Rows as columns of text ids, with the texts they name.
#[derive(Debug, Clone, Default)]
struct Store {
    /// One column per entry of [`COLUMNS`], a text id (or `NONE`, `TRUE`, `FALSE`) per row.
    cols: [Vec<u32>; 9],
    texts: Texts,
}

impl Store {
    fn cell(&self, id: u32) -> Cell<'_> {
        match id {
            NONE => Cell::Null,
            TRUE => Cell::Bool(true),
            FALSE => Cell::Bool(false),
            id => Cell::Text(self.texts.get(id)),
        }
    }

    /// Row `j`'s cell in a table schema column filled as `slot` (`fixed` when no claim fills
    /// it).
    fn slot_cell<'a>(&'a self, j: usize, slot: Slot, fixed: &'a Value) -> Cell<'a> {
        match slot {
            Slot::Claim(col) => self.cell(self.cols[col][j]),
            Slot::Fixed => Cell::Value(fixed),
        }
    }
}

/// Rows `start..end` of one store, the table's rows from `first` on.
#[derive(Debug, Clone, Copy)]
struct Run {
    store: usize,
    start: usize,
    end: usize,
    first: usize,
}

impl Run {
    /// The table's row just after the run.
    fn table_end(&self) -> usize {
        self.first + (self.end - self.start)
    }

    /// The store's row that holds the table's row `i` (one of the run's).
    fn store_row(&self, i: usize) -> usize {
        self.start + (i - self.first)
    }
}

/// The provenance rows of a build, in provenance order.
///
/// Memory (issue 13): each merging thread fills a store of its own, and the table is the
/// stores' rows in order (runs), never copied into one: joining them, and inserting the
/// links' rows, moves no row. (A copy needed a second table's worth of memory at the build's
/// peak.) Rows are added to a table of one store, before it is joined or spliced.
#[derive(Debug, Clone)]
pub struct Provenance {
    stores: Vec<Store>,
    runs: Vec<Run>,
    len: usize,
    /// The columns no claim fills, the same in every row.
    template: Vec<Value>,
    /// What fills each column of the schema, in order.
    layout: Vec<Slot>,
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    /// One of [`COLUMNS`].
    Claim(usize),
    /// The template's value.
    Fixed,
}

impl Provenance {
    /// An empty table for the provenance schema `ts`; `template` is a row with the computed
    /// columns filled.
    pub fn new(ts: &TableSchema, template: Vec<Value>) -> Provenance {
        let claim = |f: &crate::schema::Field| COLUMNS.iter().position(|n| *n == f.name);
        Provenance {
            stores: vec![Store::default()],
            runs: vec![],
            len: 0,
            template,
            layout: (ts.fields.iter())
                .map(|f| claim(f).map_or(Slot::Fixed, Slot::Claim))
                .collect(),
        }
    }

    /// The columns of the provenance schema `ts` that this store cannot hold: any computed
    /// from the row, and any computed part but `derived_reason` (a claim column here).
    pub fn unsupported(ts: &TableSchema) -> impl Iterator<Item = &crate::schema::Field> {
        ts.fields.iter().filter(|f| {
            let part = |p: &String| p == COLUMNS[DERIVED_REASON] && f.name == *p;
            f.default.is_some()
                || !match &f.derive {
                    None | Some(Derive::SchemaVersion) => true,
                    Some(Derive::Meaning(p)) => part(p),
                    Some(_) => false,
                }
        })
    }

    /// A table for the same schema, without rows.
    pub fn empty(&self) -> Provenance {
        Provenance {
            stores: vec![Store::default()],
            runs: vec![],
            len: 0,
            template: self.template.clone(),
            layout: self.layout.clone(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The one store of a table being filled.
    fn filling(&mut self) -> &mut Store {
        assert_eq!(self.stores.len(), 1, "rows are added before a join");
        &mut self.stores[0]
    }

    /// Room for `rows` more rows and `texts` more texts.
    pub fn reserve(&mut self, rows: usize, texts: usize) {
        let store = self.filling();
        store.cols.iter_mut().for_each(|c| c.reserve_exact(rows));
        store.texts.ends.reserve_exact(texts);
    }

    /// Adds a text to the table's buffer; its id can be used in any later row.
    pub fn text(&mut self, s: &str) -> u32 {
        self.filling().texts.push(s)
    }

    /// The id of a cell's value: a value's canonical text, or none for a missing value.
    pub fn value(&mut self, v: &Value) -> u32 {
        match v {
            Value::Null => NONE,
            Value::Bool(b) => Self::bool(*b),
            Value::Str(s) => self.text(s),
            other => self.text(&other.to_string()),
        }
    }

    pub fn bool(b: bool) -> u32 {
        if b { TRUE } else { FALSE }
    }

    /// Appends a row of text ids, in the order of [`COLUMNS`].
    pub fn push(&mut self, row: [u32; 9]) {
        let store = self.filling();
        for (col, id) in store.cols.iter_mut().zip(row) {
            col.push(id);
        }
        let end = store.cols[0].len();
        match self.runs.last_mut() {
            Some(run) => run.end = end,
            None => self.runs.push(Run {
                store: 0,
                start: 0,
                end,
                first: 0,
            }),
        }
        self.len += 1;
    }

    /// Appends a row given as `Value`s in the table schema's column order.
    pub fn push_values(&mut self, row: &[Value]) {
        let mut ids = [NONE; 9];
        for (pos, v) in row.iter().enumerate() {
            if let Slot::Claim(col) = self.layout[pos] {
                ids[col] = self.value(v);
            }
        }
        self.push(ids);
    }

    /// The index of the run that holds row `i` (the number of runs past the last row).
    fn run_of(&self, i: usize) -> usize {
        self.runs.partition_point(|r| r.table_end() <= i)
    }

    /// The store and the store's row that hold row `i`.
    fn locate(&self, i: usize) -> (&Store, usize) {
        let r = &self.runs[self.run_of(i)];
        (&self.stores[r.store], r.store_row(i))
    }

    /// The cell of column `col` (one of [`COLUMNS`]) in row `i`.
    pub fn claim(&self, i: usize, col: usize) -> Cell<'_> {
        let (store, j) = self.locate(i);
        store.cell(store.cols[col][j])
    }

    /// The first row whose cell in column `col` fails `pred`, when the rows that pass come
    /// first (a binary search).
    pub fn partition_point(&self, col: usize, pred: impl Fn(Cell) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.claim(mid, col)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The text of column `col` in row `i` ("" when it has none).
    pub fn claim_text(&self, i: usize, col: usize) -> &str {
        match self.claim(i, col) {
            Cell::Text(s) => s,
            _ => "",
        }
    }

    /// The rows whose column `col` is not missing.
    pub fn rows_with(&self, col: usize) -> impl Iterator<Item = usize> + '_ {
        self.runs.iter().flat_map(move |r| {
            let ids = &self.stores[r.store].cols[col][r.start..r.end];
            (ids.iter().enumerate())
                .filter(|(_, id)| **id != NONE)
                .map(move |(j, _)| r.first + j)
        })
    }

    /// Row `i` as cells in the table schema's column order, into `out`.
    pub fn cells<'a>(&'a self, i: usize, out: &mut Vec<Cell<'a>>) {
        let (store, j) = self.locate(i);
        out.clear();
        out.extend(
            (self.layout.iter().zip(&self.template)).map(|(s, v)| store.slot_cell(j, *s, v)),
        );
    }

    /// The parts of rows `rows` that each run holds, in row order: the run's store and the
    /// store's rows (empty where a run holds none of them).
    fn pieces(&self, rows: Range<usize>) -> impl Iterator<Item = (&Store, Range<usize>)> {
        self.runs.iter().map(move |r| {
            let (from, to) = (rows.start.max(r.first), rows.end.min(r.table_end()));
            let store_rows = match from < to {
                true => r.store_row(from)..r.store_row(to),
                false => 0..0,
            };
            (&self.stores[r.store], store_rows)
        })
    }

    /// The cells of rows `rows` in column `pos` of the table schema, in row order: a column
    /// read without assembling rows (performance, issue 13: the Parquet columns).
    pub fn column(&self, pos: usize, rows: Range<usize>) -> impl Iterator<Item = Cell<'_>> {
        let (slot, fixed) = (self.layout[pos], &self.template[pos]);
        (self.pieces(rows))
            .flat_map(move |(store, js)| js.map(move |j| store.slot_cell(j, slot, fixed)))
    }

    /// The texts of rows `rows` in column `pos` of the table schema, in row order, when it
    /// is a claim column (not a fixed one): None where a row has none, else [`Cell::text`]
    /// (borrowed). Performance (issue 13): the Parquet writer's text columns, appended
    /// without the generic builder's dispatch on each cell's kind.
    pub fn texts(
        &self,
        pos: usize,
        rows: Range<usize>,
    ) -> Option<impl Iterator<Item = Option<Cow<'_, str>>>> {
        let Slot::Claim(col) = self.layout[pos] else {
            return None;
        };
        Some(self.pieces(rows).flat_map(move |(store, js)| {
            store.cols[col][js]
                .iter()
                .map(move |&id| match store.cell(id) {
                    Cell::Null => None,
                    cell => Some(cell.text()),
                })
        }))
    }

    /// Row `i` as values, in the table schema's column order.
    pub fn row(&self, i: usize) -> Vec<Value> {
        let mut cells = vec![];
        self.cells(i, &mut cells);
        cells.into_iter().map(Cell::to_value).collect()
    }

    /// The rows of `parts` (made for the same schema) one after the other; None for none.
    pub fn concat(parts: Vec<Provenance>) -> Option<Provenance> {
        let mut parts = parts.into_iter();
        let mut all = parts.next()?;
        for p in parts {
            all.splice(all.len(), p);
        }
        Some(all)
    }

    /// Inserts the rows of `other` (made for the same schema) before row `at`.
    pub fn splice(&mut self, at: usize, other: Provenance) {
        // The run that holds row `at` is cut in two there, and `other`'s runs go between.
        let i = self.run_of(at);
        if let Some(r) = self.runs.get(i).copied().filter(|r| r.first < at) {
            let cut = r.store_row(at);
            self.runs[i].end = cut;
            let rest = Run {
                start: cut,
                first: at,
                ..r
            };
            self.runs.insert(i + 1, rest);
        }
        let i = self.runs.partition_point(|r| r.first < at);
        let shift = self.stores.len();
        let moved = other.runs.iter().map(|r| Run {
            store: r.store + shift,
            ..*r
        });
        self.runs.splice(i..i, moved);
        self.stores.extend(other.stores);
        self.len += other.len;
        // Each run's first row, from the start.
        let mut first = 0;
        for r in &mut self.runs {
            r.first = first;
            first += r.end - r.start;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> crate::schema::Schema {
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/schema"));
        crate::schema::Schema::load(dir).unwrap()
    }

    /// A row of the provenance schema: each claim column's value from `claim`, the schema
    /// version from the template.
    fn row(ts: &TableSchema, claim: &[(&str, Value)]) -> Vec<Value> {
        (ts.fields.iter())
            .map(|f| match claim.iter().find(|(n, _)| *n == f.name) {
                Some((_, v)) => v.clone(),
                None if f.name == "schema_version" => Value::Str("2.0.0".into()),
                None => Value::Null,
            })
            .collect()
    }

    fn table(ts: &TableSchema) -> Provenance {
        Provenance::new(ts, row(ts, &[]))
    }

    #[test]
    fn rows_come_back_as_they_went_in() {
        let schema = schema();
        let ts = schema.table("provenance").unwrap();
        let mut p = table(ts);
        let a = row(
            ts,
            &[
                ("table", Value::Str("deals".into())),
                ("record_id", Value::Str("d1".into())),
                ("value", Value::Str("".into())),
                ("kept", Value::Bool(false)),
            ],
        );
        let b = row(
            ts,
            &[
                ("table", Value::Str("events".into())),
                ("value", Value::Bool(true)),
                ("kept", Value::Bool(true)),
                ("resolution", Value::Str("the later source".into())),
                ("derived_reason", Value::Str("inferred".into())),
            ],
        );
        p.push_values(&a);
        p.push_values(&b);
        assert_eq!(p.len(), 2);
        assert_eq!((p.row(0), p.row(1)), (a, b.clone()));
        // Values of other types become their text.
        let c = row(
            ts,
            &[("value", Value::Int(42)), ("kept", Value::Bool(true))],
        );
        p.push_values(&c);
        assert_eq!(p.claim_text(2, 3), "42");
        // A column read as texts is its cells' text: a boolean value as `true`.
        let value = ts.field_index("value").unwrap();
        let texts: Vec<Option<Cow<str>>> = p.texts(value, 0..3).unwrap().collect();
        assert_eq!(
            texts,
            [Some("".into()), Some("true".into()), Some("42".into())]
        );
        assert!(matches!(p.claim(2, RECORD_ID), Cell::Null));
        assert_eq!(p.rows_with(DERIVED_REASON).collect::<Vec<_>>(), [1]);
        assert_eq!(p.claim_text(1, DERIVED_REASON), "inferred");
        assert_eq!(p.claim_text(1, TABLE), "events");
    }

    /// Joined tables keep each part's rows and texts; a splice inside a part cuts it, and
    /// every reader (cells, binary search, rows with a value) sees one table.
    #[test]
    fn joined_and_spliced_parts_read_as_one_table() {
        let schema = schema();
        let ts = schema.table("provenance").unwrap();
        let named = |id: &str, derived: Option<&str>| {
            let v = |s: &str| Value::Str(s.into());
            let mut claim = vec![("table", v("t")), ("record_id", v(id))];
            claim.extend(derived.map(|d| ("derived_reason", v(d))));
            row(ts, &claim)
        };
        let part = |ids: &[&str]| {
            let mut p = table(ts);
            ids.iter().for_each(|id| p.push_values(&named(id, None)));
            p
        };
        let mut all =
            Provenance::concat(vec![part(&["a", "b", "c"]), part(&[]), part(&["e"])]).unwrap();
        let mut middle = table(ts);
        middle.push_values(&named("x", Some("why")));
        all.splice(2, middle);
        all.splice(0, part(&["0"]));
        all.splice(all.len(), part(&["z"]));
        let ids: Vec<&str> = (0..all.len())
            .map(|i| all.claim_text(i, RECORD_ID))
            .collect();
        assert_eq!(ids, ["0", "a", "b", "x", "c", "e", "z"]);
        assert_eq!(all.row(3), named("x", Some("why")));
        assert_eq!(all.row(4), named("c", None));
        assert_eq!(all.rows_with(DERIVED_REASON).collect::<Vec<_>>(), [3]);
        // A column, over any rows, is the rows' cells in that column.
        for pos in 0..ts.fields.len() {
            for rows in [0..all.len(), 2..5, 3..3, 6..7, 0..1, 5..7] {
                let column: Vec<Value> =
                    all.column(pos, rows.clone()).map(Cell::to_value).collect();
                let cells: Vec<Value> = rows.clone().map(|i| all.row(i)[pos].clone()).collect();
                assert_eq!(column, cells, "column {pos}");
                // A claim column read as texts: each cell's text, None for a missing one.
                if let Some(texts) = all.texts(pos, rows.clone()) {
                    let want: Vec<Option<String>> = (cells.iter())
                        .map(|v| (!v.is_null()).then(|| v.to_string()))
                        .collect();
                    let texts: Vec<Option<String>> =
                        texts.map(|t| t.map(Cow::into_owned)).collect();
                    assert_eq!(texts, want, "texts of column {pos}");
                }
            }
        }
        let at = all.partition_point(RECORD_ID, |c| matches!(c, Cell::Text(t) if t < "c"));
        assert_eq!(at, 3);
        assert!(Provenance::concat(vec![]).is_none());
    }

    #[test]
    fn spliced_rows_keep_their_texts_and_place() {
        let schema = schema();
        let ts = schema.table("provenance").unwrap();
        let named = |t: &str, id: &str| {
            let v = |s: &str| Value::Str(s.into());
            row(
                ts,
                &[
                    ("table", v(t)),
                    ("record_id", v(id)),
                    ("kept", Value::Bool(true)),
                ],
            )
        };
        let mut p = table(ts);
        for (t, id) in [("deals", "a"), ("events", "b"), ("visits", "c")] {
            p.push_values(&named(t, id));
        }
        let mut links = p.empty();
        links.push_values(&named("links", "x"));
        links.push_values(&named("links", "y"));
        let at = p.partition_point(TABLE, |c| matches!(c, Cell::Text(t) if t <= "links"));
        assert_eq!(at, 2);
        p.splice(at, links);
        let ids: Vec<&str> = (0..p.len()).map(|i| p.claim_text(i, RECORD_ID)).collect();
        assert_eq!(ids, ["a", "b", "x", "y", "c"]);
        assert_eq!(p.claim_text(3, TABLE), "links");
        assert!(matches!(p.claim(4, KEPT), Cell::Bool(true)));
        assert_eq!(p.row(4), named("visits", "c"));
    }
}

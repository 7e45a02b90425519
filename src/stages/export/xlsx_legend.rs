//! The workbook's legend (issue 12): an "About" sheet (what the dataset is, version, licence,
//! how to cite, where the provenance is), a "Codebook" sheet (every column), and helper
//! columns beside every reference — the referenced actor's name, the source's title and URL —
//! so a spreadsheet user need not look ids up in another sheet. Helper columns are only in
//! the workbook (the CSV and Parquet files keep ids only); the Codebook marks them.

use crate::provenance::Cell;
use crate::reconcile::Dataset;
use crate::schema::{Field, Schema, TableSchema};
use rust_xlsxwriter::{Format, Worksheet, XlsxError};
use std::collections::HashMap;

/// A workbook-only column after data column `after`: for each id in that column, the
/// referenced record's `part` (`name`, `title` or `url`).
pub struct Extra {
    pub after: usize,
    pub header: String,
    pub target: String,
    pub part: String,
}

/// The helper columns of a table, in column order.
pub fn extras(ts: &TableSchema, schema: &Schema) -> Vec<Extra> {
    let mut out = vec![];
    for (i, f) in ts.fields.iter().enumerate() {
        let Some(target) = &f.reference else { continue };
        let Some(tt) = schema.table(target) else {
            continue;
        };
        let base = f.name.trim_end_matches("_ids").trim_end_matches("_id");
        let plural = if f.ftype == crate::schema::FieldType::List {
            "s"
        } else {
            ""
        };
        for part in PARTS {
            let header = format!("{base}_{part}{plural}");
            if tt.field(part).is_some() && ts.field(&header).is_none() {
                out.push(Extra {
                    after: i,
                    header,
                    target: target.clone(),
                    part: part.to_string(),
                });
            }
        }
    }
    out
}

/// The sheet column of data column `c` once the helper columns are inserted.
pub fn position(extras: &[Extra], c: usize) -> u16 {
    (c + extras.iter().filter(|e| e.after < c).count()) as u16
}

/// The parts a helper column can show of the record an id refers to.
const PARTS: [&str; 3] = ["name", "title", "url"];

/// Texts by id: what one helper column shows for each id it may meet.
pub type Texts = HashMap<String, String>;

/// table → part → id → text, for every record table.
pub struct Lookup(HashMap<String, HashMap<&'static str, Texts>>);

impl Lookup {
    pub fn new(ds: &Dataset, schema: &Schema) -> Lookup {
        let mut m: HashMap<String, HashMap<&'static str, Texts>> = HashMap::new();
        let mut cells = vec![];
        for t in &ds.tables {
            let ts = &schema.tables[t.schema];
            let Some(id) = ts.field_index(&ts.primary_key[0]) else {
                continue;
            };
            let parts: Vec<(&str, usize)> = (PARTS.iter())
                .filter_map(|&part| Some((part, ts.field_index(part)?)))
                .collect();
            if parts.is_empty() {
                continue;
            }
            let by_part = m.entry(ts.name.clone()).or_default();
            for i in 0..t.len() {
                t.cells(i, &mut cells);
                for &(part, p) in &parts {
                    let texts = by_part.entry(part).or_default();
                    texts.insert(cells[id].text().into_owned(), cells[p].text().into_owned());
                }
            }
        }
        Lookup(m)
    }

    /// The texts helper column `e` shows (None: its table has no such part).
    pub fn column(&self, e: &Extra) -> Option<&Texts> {
        self.0.get(&e.target)?.get(e.part.as_str())
    }
}

/// The helper cell for a reference cell: each id's text, joined like lists with `;`; an
/// unknown id shows as empty text.
fn helper_text(cell: Cell, texts: Option<&Texts>) -> String {
    let text = |id: &String| texts.and_then(|m| m.get(id)).map_or("", String::as_str);
    cell.items().iter().map(text).collect::<Vec<_>>().join(";")
}

/// Writes the helper cells of one row (and returns their widths); `texts` is
/// `Lookup::column` of each of `extras`.
pub fn write_extras(
    ws: &mut Worksheet,
    r: u32,
    row: &[Cell],
    extras: &[Extra],
    texts: &[Option<&Texts>],
) -> Result<Vec<usize>, XlsxError> {
    let mut widths = vec![];
    for (k, (e, texts)) in extras.iter().zip(texts).enumerate() {
        let s = helper_text(row[e.after], *texts);
        if !s.is_empty() {
            ws.write_string(r, extra_column(extras, k), &s)?;
        }
        widths.push(s.chars().count());
    }
    Ok(widths)
}

/// How many helper columns of the same data column come before helper `k`.
fn k_before(extras: &[Extra], k: usize) -> u16 {
    extras[..k]
        .iter()
        .filter(|e| e.after == extras[k].after)
        .count() as u16
}

/// The sheet column of helper `k`.
pub fn extra_column(extras: &[Extra], k: usize) -> u16 {
    position(extras, extras[k].after) + 1 + k_before(extras, k)
}

const TITLE: &str = "Pillars: Serbia's relations with China, the EU, Russia and the US";

/// The "About" sheet: what, version, licence, how to cite, where the provenance is.
pub fn about(
    ws: &mut Worksheet,
    ds: &Dataset,
    schema: &Schema,
    version: &str,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    ws.set_name("About")?;
    let mut rows: Vec<(String, String)> = vec![
        ("Dataset".into(), TITLE.into()),
        ("What it is".into(), "Events, deals, visits and economic indicators of Serbia's four-pillar foreign policy (China, the EU, Russia, the US), every row traced to the documents that report it.".into()),
        ("Dataset version".into(), version.into()),
        ("Schema version".into(), schema.version.clone()),
        ("Licence".into(), "Data: Creative Commons Attribution 4.0 International (CC BY 4.0), https://creativecommons.org/licenses/by/4.0/. The code is MIT-licensed; raw/, schema/ and docs/ are CC BY 4.0 (see LICENSE-DATA).".into()),
        ("How to cite".into(), format!("The pillars authors. {TITLE}. Dataset version {version}. CC BY 4.0. (CITATION.cff in the repository has the release date.)")),
        ("Provenance".into(), "The provenance sheet (and provenance.csv / provenance.parquet) lists every value every source claims, kept or not, with its locator and the reason a disagreement was resolved. The static site (pillars site) shows it record by record.".into()),
        ("Codebook".into(), "The Codebook sheet describes every column: meaning, type, unit and allowed values. Columns ending in _name, _title or _url are added in this workbook only: the name, title or URL of the record an id column refers to.".into()),
        ("Filters".into(), "Every sheet has an autofilter on its header row.".into()),
    ];
    for t in &ds.tables {
        let ts = &schema.tables[t.schema];
        rows.push((
            format!("Sheet {}", ts.name),
            format!(
                "{} rows. {}",
                t.len(),
                ts.json["description"].as_str().unwrap_or("")
            ),
        ));
    }
    ws.write_string_with_format(0, 0, "Item", &bold)?;
    ws.write_string_with_format(0, 1, "Value", &bold)?;
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string_with_format(i as u32 + 1, 0, k, &bold)?;
        ws.write_string_with_format(i as u32 + 1, 1, v, &wrap)?;
    }
    ws.set_column_width(0, 18)?;
    ws.set_column_width(1, 100)?;
    ws.autofilter(0, 0, rows.len() as u32, 1)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The "Codebook" sheet: one row per column of every table, helper columns included.
pub fn codebook(ws: &mut Worksheet, schema: &Schema) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    ws.set_name("Codebook")?;
    let head = [
        "table",
        "column",
        "type",
        "unit",
        "required",
        "meaning",
        "allowed values",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let mut r = 1u32;
    for ts in &schema.tables {
        let extras = extras(ts, schema);
        for (i, f) in ts.fields.iter().enumerate() {
            write_row(ws, r, &column_row(ts, f, schema))?;
            r += 1;
            for e in extras.iter().filter(|e| e.after == i) {
                let meaning = format!(
                    "Workbook only: the {} of each {} record in {} (not in the CSV or Parquet files).",
                    e.part, e.target, f.name
                );
                let cells = [&ts.name, &e.header, "string", "", "no", &meaning, ""];
                write_row(ws, r, &cells)?;
                r += 1;
            }
        }
    }
    for (c, w) in [12, 22, 9, 8, 9, 70, 60].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.autofilter(0, 0, r - 1, head.len() as u16 - 1)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A column's Codebook row: table, column, type, unit, required, meaning, allowed values.
fn column_row(ts: &TableSchema, f: &Field, schema: &Schema) -> [String; 7] {
    let allowed = match (&f.vocabulary, &f.reference) {
        (Some(v), _) => schema.vocabularies[v]
            .values
            .iter()
            .map(|(k, d)| format!("{k} ({d})"))
            .collect::<Vec<_>>()
            .join("; "),
        (_, Some(t)) => format!("ids of the {t} sheet"),
        _ => String::new(),
    };
    [
        ts.name.clone(),
        f.name.clone(),
        f.json["type"].as_str().unwrap_or("").to_string(),
        f.json["x-unit"].as_str().unwrap_or("").to_string(),
        if f.required { "yes" } else { "no" }.to_string(),
        f.description.clone(),
        allowed,
    ]
}

fn write_row(ws: &mut Worksheet, r: u32, cells: &[impl AsRef<str>]) -> Result<(), XlsxError> {
    for (c, s) in cells.iter().map(AsRef::as_ref).enumerate() {
        if !s.is_empty() {
            ws.write_string(r, c as u16, s)?;
        }
    }
    Ok(())
}

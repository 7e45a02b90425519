//! `output/pillars.xlsx`: every table as one worksheet, for spreadsheet users who want a
//! workbook rather than CSV files. Header row frozen and bold; dates are date cells
//! (`yyyy-mm-dd`), integers and amounts are number cells, booleans are boolean cells, lists are
//! text joined with `;`. Text is always written as a text cell, so nothing is evaluated as a
//! formula here; it still gets the formula guard of the CSV (`guard.rs`), so that a sheet
//! saved as CSV or pasted elsewhere stays safe, and one rule undoes both. Column widths fit
//! the longest cell, capped so that long descriptions do not make a sheet unreadable.
//!
//! Dates before 1900, which Excel cannot represent, are written as `YYYY-MM-DD` text.
//!
//! The bytes are deterministic: the document's creation time is fixed (2000-01-01) instead of
//! the time of the build, so two builds of the same inputs give the same file.

use super::xlsx_legend::{self, Extra};
use crate::model::Value;
use crate::provenance::Cell;
use crate::reconcile::{Dataset, Table};
use crate::schema::{FieldType, Schema, TableSchema};
use chrono::Datelike;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// The workbook is written only when all tables together, provenance included, hold at most
/// this many rows. A workbook of hundreds of thousands of rows serves no spreadsheet user
/// (the CSV and Parquet files do), and building one cost most of a large build's time and
/// memory (issue 13). The real dataset holds about 5,300 rows; above the limit the export
/// stage says that the workbook was skipped, and manifest.json does not list it.
pub const MAX_WORKBOOK_ROWS: usize = 50_000;

// Every sheet fits Excel's 1,048,576 rows (header included) because the whole workbook does.
const _: () = assert!(MAX_WORKBOOK_ROWS < 1_048_576);

/// Why the workbook of `ds` is not written, or None when it is.
pub fn skipped(ds: &Dataset) -> Option<String> {
    let rows: usize = ds.tables.iter().map(|t| t.len()).sum();
    (rows > MAX_WORKBOOK_ROWS).then(|| {
        format!(
            "workbook skipped: the tables hold {rows} rows, above the workbook's limit of {MAX_WORKBOOK_ROWS} (use the CSV or Parquet files)"
        )
    })
}

/// Widest column, in characters; longer cells wrap nowhere and are cut off on screen only.
const MAX_WIDTH: usize = 60;

/// The workbook for a built dataset: one sheet per table, in schema order. The dataset
/// version is asked for once the tables' sheets are written (performance, issue 13: the
/// content hash that gives it is computed meanwhile).
pub fn workbook(ds: &Dataset, schema: &Schema, dataset_version: &dyn Fn() -> String) -> Vec<u8> {
    build(ds, schema, dataset_version).expect("the workbook is built from checked values")
}

fn build(
    ds: &Dataset,
    schema: &Schema,
    dataset_version: &dyn Fn() -> String,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    // The legend (issue 12): About first, then the Codebook, then the tables. About names
    // the version, so it is filled last (sheets and strings are numbered at save, in sheet
    // order: the bytes are the same).
    wb.add_worksheet();
    xlsx_legend::codebook(wb.add_worksheet(), schema)?;
    let lookup = xlsx_legend::Lookup::new(ds, schema);
    for t in &ds.tables {
        let ts = &schema.tables[t.schema];
        let extras = xlsx_legend::extras(ts, schema);
        sheet(wb.add_worksheet(), ts, t, (&extras, &lookup))?;
    }
    let version = dataset_version();
    xlsx_legend::about(wb.worksheet_from_index(0)?, ds, schema, &version)?;
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("Pillars: Serbia's relations with China, the EU, Russia and the US")
            .set_comment(format!("Dataset version {version}; licence CC BY 4.0"))
            .set_creation_datetime(&created),
    );
    // Zip level 1 (the library's default is 6): saving is most of the workbook's time, and
    // level 1 halves it for a file about 1.6 times as large (issue 13, the real build).
    wb.set_zip_compression_level(1);
    let bytes = wb.save_to_buffer();
    // Freeing the workbook's cells takes a few ms that the build need not wait for.
    crate::pipeline::drop_in_background(wb);
    bytes
}

fn sheet(
    ws: &mut Worksheet,
    ts: &TableSchema,
    t: &Table,
    (extras, lookup): (&[Extra], &xlsx_legend::Lookup),
) -> Result<(), XlsxError> {
    let texts: Vec<_> = extras.iter().map(|e| lookup.column(e)).collect();
    let header = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    ws.set_name(&ts.name)?;
    let mut widths: Vec<usize> = ts.fields.iter().map(|f| f.name.chars().count()).collect();
    for (c, f) in ts.fields.iter().enumerate() {
        ws.write_string_with_format(0, xlsx_legend::position(extras, c), &f.name, &header)?;
    }
    let mut extra_widths: Vec<usize> = extras.iter().map(|e| e.header.chars().count()).collect();
    for (k, e) in extras.iter().enumerate() {
        ws.write_string_with_format(0, xlsx_legend::extra_column(extras, k), &e.header, &header)?;
    }
    // Performance (issue 13): the cells are read borrowed, as the CSV writer reads them, so
    // provenance is never turned into rows of values for the workbook.
    let mut row = vec![];
    for i in 0..t.len() {
        t.cells(i, &mut row);
        let r = i as u32 + 1;
        for (c, (f, cell)) in ts.fields.iter().zip(&row).enumerate() {
            let at = (r, xlsx_legend::position(extras, c));
            widths[c] = widths[c].max(write_cell(ws, at, f.ftype, *cell, &date)?);
        }
        let ew = xlsx_legend::write_extras(ws, r, &row, extras, &texts)?;
        extra_widths
            .iter_mut()
            .zip(ew)
            .for_each(|(w, n)| *w = (*w).max(n));
    }
    let columns = widths
        .iter()
        .enumerate()
        .map(|(c, w)| (xlsx_legend::position(extras, c), w))
        .chain(
            extra_widths
                .iter()
                .enumerate()
                .map(|(k, w)| (xlsx_legend::extra_column(extras, k), w)),
        );
    for (c, w) in columns {
        // Two characters of padding; the bold header is a little wider than plain text.
        ws.set_column_width(c, (w.min(&MAX_WIDTH) + 2) as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    let last = (ts.fields.len() + extras.len()).max(1) as u16 - 1;
    ws.autofilter(0, 0, t.len() as u32, last)?;
    Ok(())
}

/// Writes one data cell and returns its width in characters (0 for an empty cell).
fn write_cell(
    ws: &mut Worksheet,
    (r, col): (u32, u16),
    ftype: FieldType,
    cell: Cell,
    date: &Format,
) -> Result<usize, XlsxError> {
    let text = matches!(ftype, FieldType::String | FieldType::List);
    Ok(match cell {
        Cell::Null | Cell::Value(Value::Null) => 0,
        // Text columns hold text, whatever the value looks like (provenance `value`).
        _ if text => {
            let s = cell.text();
            if !s.is_empty() {
                ws.write_string(r, col, crate::guard::guard(&s))?;
            }
            s.chars().count()
        }
        // Excel's dates start in 1900: earlier ones (the 1774 treaty) are ISO text.
        Cell::Value(Value::Date(d)) if ftype == FieldType::Date && d.year() >= 1900 => {
            let x = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            ws.write_datetime_with_format(r, col, &x, date)?;
            10
        }
        Cell::Value(Value::Int(i)) => {
            ws.write_number(r, col, *i as f64)?;
            i.to_string().len()
        }
        Cell::Value(Value::Num(n)) => {
            ws.write_number(r, col, *n)?;
            n.to_string().len()
        }
        Cell::Bool(b) | Cell::Value(&Value::Bool(b)) => {
            ws.write_boolean(r, col, b)?;
            if b { 4 } else { 5 }
        }
        other => {
            let s = other.text();
            ws.write_string(r, col, &*s)?;
            s.chars().count()
        }
    })
}

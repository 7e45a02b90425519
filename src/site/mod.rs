//! `pillars site`: a self-contained static site from the built dataset and schema/ — an
//! index (what, version, counts, coverage, downloads, how to cite, charts), one page per
//! table, and one page per record (every field, references as links, and field by field
//! what each source claims). Sources and actors are records too: their pages add everything
//! that names them. Every page is generic over the schema: a new table or column appears by
//! itself. Bytes are deterministic (ordered maps, no clock), so rebuilds are identical.
//!
//! Layout: `index.html`, `tables/TABLE.html`, `records/TABLE/ID.html`, `charts/*.svg`,
//! `assets/`, `download/` (the output files, so the site works without the repository), and
//! `manifest.json` (sha256 of every file).

mod charts;
pub mod html;
mod index;
mod record;
mod table;

use crate::export::Files;
use crate::model::Value;
use crate::reconcile::Dataset;
use crate::schema::{Schema, TableSchema};
use std::collections::{BTreeMap, HashMap};

/// One table of the dataset with its schema.
pub struct Tab<'a> {
    pub ts: &'a TableSchema,
    pub rows: &'a [Vec<Value>],
}

impl Tab<'_> {
    /// Value of column `name` in `row`, if the table has that column.
    pub fn get<'r>(&self, row: &'r [Value], name: &str) -> Option<&'r Value> {
        self.ts.field_index(name).map(|i| &row[i])
    }
    /// Tables keyed by one column get one page per record.
    pub fn has_pages(&self) -> bool {
        self.ts.primary_key.len() == 1
    }
    pub fn id(&self, row: &[Value]) -> String {
        self.get(row, &self.ts.primary_key[0])
            .map(|v| v.to_string())
            .unwrap_or_default()
    }
}

/// A reference from a record: (its table, its id, the column that refers).
pub type Ref = (String, String, String);

/// Everything the pages need, indexed once.
pub struct Ctx<'a> {
    pub schema: &'a Schema,
    pub tabs: Vec<Tab<'a>>,
    pub version: String,
    /// The output files, copied to download/ and listed on the index.
    pub files: &'a Files,
    /// (table, id) → row, for record tables.
    rows: HashMap<(String, String), &'a [Value]>,
    /// (table, record id) → its provenance rows, in provenance order.
    pub claims: HashMap<(String, String), Vec<&'a [Value]>>,
    /// (table, id) → every (table, id, column) that refers to it.
    pub backrefs: BTreeMap<(String, String), Vec<Ref>>,
}

impl<'a> Ctx<'a> {
    pub fn new(schema: &'a Schema, ds: &'a Dataset, files: &'a Files, version: &str) -> Ctx<'a> {
        let tabs: Vec<Tab> = ds
            .tables
            .iter()
            .map(|t| Tab {
                ts: &schema.tables[t.schema],
                rows: &t.rows,
            })
            .collect();
        let mut ctx = Ctx {
            schema,
            tabs: vec![],
            version: version.to_string(),
            files,
            rows: HashMap::new(),
            claims: HashMap::new(),
            backrefs: BTreeMap::new(),
        };
        for tab in &tabs {
            if tab.has_pages() {
                for row in tab.rows {
                    ctx.rows.insert((tab.ts.name.clone(), tab.id(row)), row);
                }
            }
            if tab.ts.name == "provenance" {
                for row in tab.rows {
                    let key = (
                        tab.get(row, "table")
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                        tab.get(row, "record_id")
                            .map(|v| v.to_string())
                            .unwrap_or_default(),
                    );
                    ctx.claims.entry(key).or_default().push(row);
                }
            } else if tab.has_pages() {
                for row in tab.rows {
                    for (target, tid, col) in ctx_refs(schema, tab, row) {
                        ctx.backrefs.entry((target, tid)).or_default().push((
                            tab.ts.name.clone(),
                            tab.id(row),
                            col,
                        ));
                    }
                }
            }
        }
        ctx.tabs = tabs;
        ctx
    }

    pub fn tab(&self, name: &str) -> Option<&Tab<'a>> {
        self.tabs.iter().find(|t| t.ts.name == name)
    }

    /// True when (table, id) has a record page, so a link to it is not broken.
    pub fn has_page(&self, table: &str, id: &str) -> bool {
        self.rows.contains_key(&(table.to_string(), id.to_string()))
    }

    /// A readable name for a record: its `name` or `title`, else its id.
    pub fn label(&self, table: &str, id: &str) -> String {
        let (Some(tab), Some(row)) = (
            self.tab(table),
            self.rows.get(&(table.to_string(), id.to_string())),
        ) else {
            return id.to_string();
        };
        ["name", "title"]
            .iter()
            .filter_map(|c| tab.get(row, c))
            .map(|v| v.to_string())
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| id.to_string())
    }

    /// A link to a record page when there is one, else the plain id.
    pub fn record_link(&self, depth: usize, table: &str, id: &str) -> String {
        if self.has_page(table, id) {
            html::link(&html::record_href(depth, table, id), &self.label(table, id))
        } else {
            html::esc(id)
        }
    }
}

/// Every reference a row makes: (target table, target id, column). References are columns
/// with `x-ref`, and pairs of columns `table`/`record_id` or `X_table`/`X_id` (provenance, a
/// links table) whose first names a table.
pub fn ctx_refs(schema: &Schema, tab: &Tab, row: &[Value]) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for (i, f) in tab.ts.fields.iter().enumerate() {
        if let Some(target) = &f.reference {
            for id in values(&row[i]) {
                out.push((target.clone(), id, f.name.clone()));
            }
        }
        if let Some(id_col) = paired_id(tab.ts, &f.name) {
            let target = row[i].to_string();
            if schema.table(&target).is_some()
                && let Some(id) = tab.get(row, &id_col)
            {
                out.push((target, id.to_string(), id_col));
            }
        }
    }
    out
}

/// The id column paired with a table-naming column, if any.
pub fn paired_id(ts: &TableSchema, col: &str) -> Option<String> {
    let id = match col {
        "table" => "record_id".to_string(),
        c => format!("{}_id", c.strip_suffix("_table")?),
    };
    ts.field(&id).map(|_| id)
}

/// The items of a value: each list item, or the value itself; nothing for null or "".
pub fn values(v: &Value) -> Vec<String> {
    crate::provenance::Cell::Value(v).items()
}

/// Written into the site's manifest.json; `pillars site` replaces only a directory that has it.
pub const GENERATOR: &str = "pillars site";

/// The site's files, relative path → bytes.
pub fn render(schema: &Schema, ds: &Dataset, files: &Files, version: &str) -> Files {
    // Provenance as rows: the site indexes them record by record (the real data is small).
    let ds = &ds.with_rows();
    let ctx = Ctx::new(schema, ds, files, version);
    let mut out = Files::new();
    out.insert("assets/site.css".into(), html::CSS.as_bytes().to_vec());
    out.insert("assets/table.js".into(), html::JS.as_bytes().to_vec());
    out.insert(".nojekyll".into(), vec![]);
    for (path, bytes) in files {
        out.insert(format!("download/{path}"), bytes.clone());
    }
    let charts = charts::render(&ctx);
    out.insert("index.html".into(), index::page(&ctx, &charts));
    for c in charts {
        out.insert(format!("charts/{}.svg", c.name), c.svg.into_bytes());
    }
    for tab in &ctx.tabs {
        out.insert(
            format!("tables/{}.html", html::slug(&tab.ts.name)),
            table::page(&ctx, tab),
        );
        if tab.has_pages() {
            for row in tab.rows {
                let id = tab.id(row);
                out.insert(
                    format!(
                        "records/{}/{}.html",
                        html::slug(&tab.ts.name),
                        html::slug(&id)
                    ),
                    record::page(&ctx, tab, row),
                );
            }
        }
    }
    let list: Vec<serde_json::Value> = out
        .iter()
        .map(|(p, b)| serde_json::json!({ "path": p, "bytes": b.len(), "sha256": crate::export::sha256(b) }))
        .collect();
    out.insert(
        "manifest.json".into(),
        crate::export::pretty(
            &serde_json::json!({ "generator": GENERATOR, "dataset_version": version, "files": list }),
        ),
    );
    out
}

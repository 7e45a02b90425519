//! End-to-end: the real binary on fixture raw/ directories.

mod common;
use common::Workdir;
use polars::prelude::*;

const TABLES: [&str; 8] = [
    "actors",
    "deals",
    "events",
    "exchange_rates",
    "indicators",
    "provenance",
    "sources",
    "visits",
];

fn read_parquet(wd: &Workdir, table: &str) -> DataFrame {
    let f = std::fs::File::open(wd.path(&format!("output/parquet/{table}.parquet"))).unwrap();
    ParquetReader::new(f).finish().unwrap()
}

fn read_csv_as_text(wd: &Workdir, table: &str) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(wd.path(&format!("output/csv/{table}.csv"))))
        .unwrap()
        .finish()
        .unwrap()
}

/// One Parquet cell as the CSV writes it.
fn cell_text(s: &Series, i: usize) -> Option<String> {
    match s.dtype() {
        DataType::List(_) => {
            let l = s.list().unwrap().get_as_series(i)?;
            let items = l.cast(&DataType::String).unwrap();
            Some(
                items
                    .str()
                    .unwrap()
                    .iter()
                    .map(|x| x.unwrap_or_default().to_string())
                    .collect::<Vec<_>>()
                    .join(";"),
            )
        }
        DataType::Float64 => s.f64().unwrap().get(i).map(|x| format!("{x}")),
        _ => s
            .cast(&DataType::String)
            .unwrap()
            .str()
            .unwrap()
            .get(i)
            .map(String::from),
    }
}

#[test]
fn build_writes_every_table_in_both_formats_and_parquet_equals_csv() {
    let wd = Workdir::fixture("e2e", "mini");
    let err = wd.ok(&["build"]);
    for stage in ["extract", "normalise", "validate", "reconcile", "export"] {
        assert!(
            err.lines().any(|l| l.starts_with(stage)),
            "no `{stage}` line in:\n{err}"
        );
    }
    for t in TABLES {
        let pq = read_parquet(&wd, t);
        let csv = read_csv_as_text(&wd, t);
        assert_eq!(
            pq.get_column_names(),
            csv.get_column_names(),
            "{t}: columns"
        );
        assert_eq!(pq.height(), csv.height(), "{t}: rows");
        for (p, c) in pq.columns().iter().zip(csv.columns()) {
            let (p, c) = (p.as_materialized_series(), c.as_materialized_series());
            for i in 0..pq.height() {
                let want = c
                    .str()
                    .unwrap()
                    .get(i)
                    .map(|s| s.strip_prefix('\'').unwrap_or(s).to_string())
                    .filter(|s| !s.is_empty());
                let got = cell_text(p, i).filter(|s| !s.is_empty());
                assert_eq!(got, want, "{t}.{} row {i}", p.name());
            }
        }
    }
    // Typed columns, as data scientists get them.
    let deals = read_parquet(&wd, "deals");
    assert_eq!(deals.column("date_start").unwrap().dtype(), &DataType::Date);
    assert_eq!(deals.column("amount").unwrap().dtype(), &DataType::Float64);
    assert_eq!(deals.column("year").unwrap().dtype(), &DataType::Int64);
    assert!(matches!(
        deals.column("source_ids").unwrap().dtype(),
        DataType::List(_)
    ));
    assert!(
        matches!(
            deals.column("partner").unwrap().dtype(),
            DataType::Categorical(..) | DataType::Enum(..)
        ),
        "{:?}",
        deals.column("partner").unwrap().dtype()
    );
    assert_eq!(
        deals.column("amount").unwrap().f64().unwrap().get(0),
        Some(46_000_000.0)
    );
    let ind = read_parquet(&wd, "indicators");
    let values: Vec<Option<f64>> = ind.column("value").unwrap().f64().unwrap().iter().collect();
    assert_eq!(values, vec![Some(4.0), Some(5_130_000_000.0)]);
}

#[test]
fn merges_records_across_sources_and_keeps_the_most_precise_date() {
    let wd = Workdir::fixture("merge", "mini");
    wd.ok(&["build"]);
    let events = wd.read_string("output/csv/events.csv");
    let row = events
        .lines()
        .find(|l| l.starts_with("comprehensive-strategic-partnership-2016,"))
        .unwrap();
    assert!(
        row.contains(",2016-06,2016-06-01,2016-06-30,month,2016,CN,"),
        "{row}"
    );
    assert!(row.contains("alpha;beta"), "both sources cited: {row}");
    assert!(row.contains("xi-jinping"), "actor list kept: {row}");
    // Free text: the first source's title is kept; the other stays in provenance.
    assert!(row.contains("Relations upgraded to a comprehensive strategic partnership"));
    let prov = wd.read_string("output/csv/provenance.csv");
    assert!(prov.contains("events,comprehensive-strategic-partnership-2016,title,Partnership upgraded during Xi's visit,beta,para 2,false,"), "{prov}");
    assert!(
        prov.contains("events,comprehensive-strategic-partnership-2016,date,2016,alpha,p1,false,")
    );
    assert!(prov.contains(
        "events,comprehensive-strategic-partnership-2016,date,2016-06,beta,para 2,true,"
    ));
}

#[test]
fn derived_columns_and_schema_version_are_filled() {
    let wd = Workdir::fixture("derived", "mini");
    wd.ok(&["build"]);
    let actors = wd.read_string("output/csv/actors.csv");
    assert!(
        actors.contains("aleksandar-vucic,Aleksandar Vučić,Aleksandar Vucic,Vucic,person,RS,"),
        "{actors}"
    );
    let deals = wd.read_string("output/csv/deals.csv");
    assert!(
        deals.lines().nth(1).unwrap().ends_with(&format!(
            ",completed,true,,,counted: no exclusion rule applies,alpha;beta,{}",
            common::schema_version()
        )),
        "{deals}"
    );
    let f = std::fs::File::open(wd.path("output/parquet/deals.parquet")).unwrap();
    let meta = parquet::file::reader::FileReader::metadata(
        &parquet::file::serialized_reader::SerializedFileReader::new(f).unwrap(),
    )
    .file_metadata()
    .key_value_metadata()
    .cloned()
    .unwrap();
    let get = |k: &str| {
        meta.iter()
            .find(|kv| kv.key == k)
            .and_then(|kv| kv.value.clone())
            .unwrap()
    };
    assert_eq!(get("schema_version"), common::schema_version());
    assert_eq!(get("table"), "deals");
    assert!(
        get("dataset_version").starts_with("0.0.0+dev."),
        "no release yet"
    );
}

#[test]
fn csv_neutralises_formulas() {
    let wd = Workdir::fixture("formula", "mini");
    wd.ok(&["build"]);
    let events = wd.read_string("output/csv/events.csv");
    assert!(
        events.contains("\"'=HYPERLINK(\"\"http://example.invalid\"\",\"\"click\"\")\""),
        "{events}"
    );
    // Parquet keeps the exact value.
    let pq = read_parquet(&wd, "events");
    let titles: Vec<String> = pq
        .column("title")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    assert!(titles.contains(&"=HYPERLINK(\"http://example.invalid\",\"click\")".to_string()));
}

#[test]
fn builds_are_byte_identical() {
    let wd = Workdir::fixture("determinism", "mini");
    wd.ok(&["build"]);
    let first = wd.snapshot("output");
    wd.ok(&["build", "--out", "output2"]);
    assert_eq!(first, wd.snapshot("output2"));
    assert_eq!(
        first.len(),
        21,
        "9 CSV, 9 Parquet, pillars.xlsx, datapackage, manifest"
    );
}

#[test]
fn failed_build_leaves_previous_output_untouched() {
    let wd = Workdir::fixture("atomic", "mini");
    wd.ok(&["build"]);
    let before = wd.snapshot("output");
    wd.write(
        "raw/gamma.toml",
        "[source]\nsource_id = \"gamma\"\n[[event]]\nid = \"x\"\ndate = \"2019-13\"\n",
    );
    wd.fails(&["build"]);
    assert_eq!(before, wd.snapshot("output"));
    // No temporary directories left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(&wd.dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".output"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn check_passes_on_fresh_output_and_names_stale_files() {
    let wd = Workdir::fixture("check", "mini");
    wd.ok(&["build"]);
    wd.ok(&["check"]);
    wd.write("output/csv/deals.csv", "tampered");
    let err = wd.fails(&["check"]);
    assert!(
        err.contains("error[E0701]") && err.contains("output/csv/deals.csv: differs"),
        "{err}"
    );
    assert!(
        !err.contains("events.csv"),
        "only the changed file is named: {err}"
    );
}

#[test]
fn validate_writes_nothing() {
    let wd = Workdir::fixture("validate", "mini");
    wd.ok(&["validate"]);
    assert!(!wd.path("output").exists());
}

#[test]
fn manifest_lists_rows_and_hashes() {
    let wd = Workdir::fixture("manifest", "mini");
    wd.ok(&["build"]);
    let m: serde_json::Value = serde_json::from_slice(&wd.read("output/manifest.json")).unwrap();
    assert_eq!(m["schema_version"], common::schema_version());
    let files = m["files"].as_array().unwrap();
    let deals = files.iter().find(|f| f["path"] == "csv/deals.csv").unwrap();
    assert_eq!(deals["rows"], 1);
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(wd.read("output/csv/deals.csv"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(deals["sha256"], hash);
    let dp: serde_json::Value =
        serde_json::from_slice(&wd.read("output/datapackage.json")).unwrap();
    assert_eq!(dp["licenses"][0]["name"], "CC-BY-4.0");
    assert_eq!(dp["resources"].as_array().unwrap().len(), 9);
    // The two source documents, and the ECB rate snapshot.
    assert_eq!(dp["sources"].as_array().unwrap().len(), 3);
}

//! Records at each limit of the output formats build in every format (CSV, Parquet, the
//! workbook) and read back as written; one step past a limit is a located error (the cases
//! of tests/bad/: `text-too-long-for-a-cell`, `integer-above-2-pow-53`…). Also: `-0`, text
//! from the inputs in error messages, and the README's sources block.

mod common;
use common::Workdir;
use polars::prelude::*;

/// Excel's cell limit, and 2^53.
const CELL: usize = 32_767;
const EXACT: i64 = 9_007_199_254_740_992;

fn source(id: &str, title: &str) -> String {
    format!(
        "[source]\nsource_id = \"{id}\"\nfile = \"{id}.txt\"\ntitle = {}\nyear = 2024\nkind = \"news\"\n",
        toml_string(title)
    )
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap() // JSON string escapes are valid TOML basic strings
}

/// tests/fixtures/limits: a guarded title and a list cell of exactly 32,767 characters, a
/// count and an amount of 2^53, an amount written `-0`, free text with a tab and a line break.
fn at_the_limits() -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/limits/raw/s.toml", common::ROOT)).unwrap()
}

fn csv_column(wd: &Workdir, table: &str, column: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(std::io::Cursor::new(
        wd.read(&format!("output/csv/{table}.csv")),
    ));
    let h = r.headers().unwrap().clone();
    let i = h
        .iter()
        .position(|c| c.trim_start_matches('\u{feff}') == column)
        .unwrap();
    r.records().map(|x| x.unwrap()[i].to_string()).collect()
}

fn parquet(wd: &Workdir, table: &str) -> DataFrame {
    let f = std::fs::File::open(wd.path(&format!("output/parquet/{table}.parquet"))).unwrap();
    ParquetReader::new(f).finish().unwrap()
}

#[test]
fn records_at_every_limit_are_published_exactly_in_every_format() {
    let wd = Workdir::fixture("limits-at", "limits");
    wd.ok(&["build"]);
    // The workbook was written (text cells at 32,767 characters are within Excel's limit).
    assert!(wd.read("output/pillars.xlsx").len() > 1000);

    let aliases = csv_column(&wd, "actors", "aliases");
    assert_eq!(aliases[0].chars().count(), CELL);
    let titles = csv_column(&wd, "events", "title");
    assert_eq!(
        titles[0].chars().count(),
        CELL,
        "guarded title at the limit"
    );
    let descriptions = csv_column(&wd, "events", "description");
    assert!(descriptions[0].starts_with("Tab\there,\nnew line; "));

    let ids = csv_column(&wd, "deals", "deal_id");
    let amounts = csv_column(&wd, "deals", "amount");
    let counts = csv_column(&wd, "deals", "quantity_ordered");
    let big = ids.iter().position(|i| i == "d-big").unwrap();
    let zero = ids.iter().position(|i| i == "d-zero").unwrap();
    assert_eq!(counts[big], EXACT.to_string());
    assert_eq!(amounts[big], EXACT.to_string());
    assert_eq!(amounts[zero], "0", "-0 is published as 0");

    let deals = parquet(&wd, "deals");
    let amount = deals.column("amount").unwrap().f64().unwrap().clone();
    assert_eq!(amount.get(big), Some(EXACT as f64));
    assert!(
        amount.get(zero).unwrap().is_sign_positive(),
        "no -0 in Parquet"
    );
    let q = deals
        .column("quantity_ordered")
        .unwrap()
        .i64()
        .unwrap()
        .clone();
    assert_eq!(q.get(big), Some(EXACT));
    let events = parquet(&wd, "events");
    let title = events
        .column("title")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert_eq!(
        title.chars().count(),
        CELL - 1,
        "Parquet keeps the exact text"
    );
    let actors = parquet(&wd, "actors");
    let items = actors
        .column("aliases")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(0)
        .unwrap();
    assert_eq!(items.len(), 1_001);
    wd.ok(&["check"]);
}

#[test]
fn one_character_past_the_cell_limit_is_an_error_before_anything_is_written() {
    let wd = Workdir::new("limits-past");
    let raw = at_the_limits().replace("title = \"=", "title = \"==");
    wd.write("raw/s.toml", raw);
    let err = wd.fails(&["build"]);
    assert!(
        err.contains("error[E0309]: the text is 32768 characters long"),
        "{err}"
    );
    assert!(err.contains("--> raw/s.toml:"), "{err}");
    assert!(!wd.path("output").exists());
}

#[test]
fn two_sources_lists_that_fit_can_make_a_union_that_does_not() {
    let wd = Workdir::new("limits-union");
    let half = |from: usize| {
        serde_json::to_string(
            &(from..from + 700)
                .map(|i| format!("{i:030}"))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    };
    for (id, from) in [("a", 0), ("b", 700)] {
        wd.write(
            &format!("raw/{id}.toml"),
            source(id, "S")
                + &format!("\n[[actor]]\nid = \"x\"\nname = \"X\"\nactor_type = \"person\"\naliases = {}\nlocator = \"p1\"\n", half(from)),
        );
    }
    let err = wd.fails(&["build"]);
    assert!(
        err.contains("error[E0309]: the merged list: the text is 43399 characters long"),
        "{err}"
    );
    assert!(err.contains("--> raw/a.toml:12:11"), "{err}");
}

#[test]
fn error_messages_do_not_pass_control_characters_to_the_terminal() {
    let wd = Workdir::new("limits-escape");
    let raw = source("s", "S")
        + "\n[[event]]\nid = \"e\"\ndate = \"2020\"\npartner = \"C\\u001b[2JN\"\nevent_type = \"agree\\u202ement\"\ntitle = \"T\"\nlocator = \"p\"\n";
    wd.write("raw/s.toml", raw);
    for format in ["text", "json"] {
        let o = wd.run(&["build", "--format", format]);
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(
            !err.contains('\u{1b}'),
            "{format}: ESC reached the terminal:\n{err}"
        );
        if format == "text" {
            assert!(
                err.contains("`C\\u{1b}[2JN` is not in the `partners` vocabulary"),
                "{err}"
            );
            assert!(!err.contains('\u{202e}'), "{err}");
        }
    }
}

#[test]
fn a_source_title_holding_the_readme_markers_does_not_grow_the_readme() {
    let wd = Workdir::new("limits-readme");
    wd.write(
        "raw/s.toml",
        source(
            "s",
            "A <!-- sources:end --> title <!-- sources:start --> | pipe",
        ),
    );
    wd.write(
        "README.md",
        "# x\n\n<!-- sources:start -->\n<!-- sources:end -->\n\nend\n",
    );
    wd.ok(&["codebook"]);
    let first = wd.read_string("README.md");
    wd.ok(&["codebook"]);
    assert_eq!(
        first,
        wd.read_string("README.md"),
        "the README changed on a second run"
    );
    assert_eq!(first.matches("<!-- sources:end -->").count(), 1, "{first}");
    assert!(
        first.contains("A &lt;!-- sources:end --&gt; title"),
        "{first}"
    );
    assert!(first.trim_end().ends_with("end"), "{first}");
}

//! CSV formula injection: every text cell a spreadsheet could run as a formula gets one leading
//! `'` in the CSV (the formula guard of docs/CSV.md: `=`, `+`, `-`, `@` and their full-width
//! forms after any whitespace, and a first `'`, tab, CR or LF); numeric cells stay numbers,
//! even negative ones, also as text in provenance; removing one leading `'` gives back the
//! exact text; Parquet keeps the exact text (checked in tests/pipeline.rs).

mod common;
use common::Workdir;

#[test]
fn every_formula_start_is_neutralised_and_numbers_stay_numbers() {
    let wd = Workdir::new("csv-safety");
    let starts = [
        ("eq", "=1+1"),
        ("plus", "+1 cmd"),
        ("minus", "-2+3"),
        ("at", "@SUM(A1)"),
        ("tab", "\tTabbed"),
        ("cr", "\rReturn"),
        ("lf", "\nNewline"),
        ("plain", "Plain title"),
    ];
    let mut raw = String::from(
        "[source]\nsource_id = \"s\"\nfile = \"s.txt\"\ntitle = \"S\"\nyear = 2024\nkind = \"news\"\n",
    );
    for (id, title) in starts {
        raw.push_str(&format!(
            "\n[[event]]\nid = \"e-{id}\"\ndate = \"2020\"\npartner = \"CN\"\nevent_type = \"agreement\"\ncameo = \"057\"\ntitle = {}\nlocator = \"p1\"\n",
            toml_string(title)
        ));
    }
    raw.push_str("\n[[indicator]]\nid = \"balance\"\nindicator = \"trade_balance\"\npartner = \"CN\"\nperiod = \"2024\"\nvalue = \"-3.5 billion\"\nunit = \"EUR\"\ndescription = \"-Deficit with China\"\nlocator = \"p2\"\n");
    wd.write("raw/s.toml", raw);
    wd.ok(&["build"]);

    let mut rdr = csv::Reader::from_path(wd.path("output/csv/events.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let (id_col, title_col) = (
        headers.iter().position(|h| h == "event_id").unwrap(),
        headers.iter().position(|h| h == "title").unwrap(),
    );
    let titles: std::collections::BTreeMap<String, String> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[id_col].to_string(), r[title_col].to_string())
        })
        .collect();
    for (id, title) in starts {
        let got = &titles[&format!("e-{id}")];
        if id == "plain" {
            assert_eq!(got, title, "plain text is untouched");
        } else {
            assert_eq!(got, &format!("'{title}"), "{id}: not neutralised");
        }
    }

    let mut rdr = csv::Reader::from_path(wd.path("output/csv/indicators.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let row = rdr.records().next().unwrap().unwrap();
    let col = |name: &str| row[headers.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(
        col("value"),
        "-3500000000",
        "a negative number stays a number"
    );
    assert_eq!(col("description"), "'-Deficit with China");
}

/// What a reader does (docs/CSV.md): remove one leading `'`.
fn unguard(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

fn column(wd: &Workdir, table: &str, name: &str) -> Vec<String> {
    let mut rdr = csv::Reader::from_path(wd.path(&format!("output/csv/{table}.csv"))).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let i = headers
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}') == name)
        .unwrap();
    rdr.records().map(|r| r.unwrap()[i].to_string()).collect()
}

#[test]
fn the_guard_covers_whitespace_full_width_dde_and_quotes_and_round_trips() {
    let wd = Workdir::new("csv-guard");
    // (title, guarded?) — ids are e-00, e-01… in this order.
    let cases = [
        ("  =1+1", true),
        ("\u{3000}=1+1", true),
        ("\u{a0}@SUM(A1)", true),
        ("＝1+1", true),
        ("＋1", true),
        ("－1", true),
        ("＠SUM(A1)", true),
        ("=cmd|' /C calc'!A0", true),
        ("-2+3+cmd|' /C calc'!A0", true),
        ("'quoted from the start", true),
        ("''twice", true),
        ("It's fine", false),
        (" leading space only", false),
        ("a=b", false),
    ];
    let mut raw = String::from(
        "[source]\nsource_id = \"s\"\nfile = \"s.txt\"\ntitle = \"S\"\nyear = 2024\nkind = \"news\"\n",
    );
    for (i, (title, _)) in cases.iter().enumerate() {
        raw.push_str(&format!(
            // One year each: look-alike titles in one year would be probable duplicates.
            "\n[[event]]\nid = \"e-{i:02}\"\ndate = \"{}\"\npartner = \"CN\"\nevent_type = \"agreement\"\ncameo = \"057\"\ntitle = {}\nlocator = {}\n",
            2000 + i,
            toml_string(title),
            toml_string(&format!("@{i}"))
        ));
    }
    raw.push_str("\n[[indicator]]\nid = \"balance\"\nindicator = \"trade_balance\"\npartner = \"CN\"\nperiod = \"2024\"\nvalue = \"-3.9 billion\"\nunit = \"EUR\"\ndescription = \"Deficit\"\nlocator = \"p2\"\n");
    wd.write("raw/s.toml", raw);
    wd.ok(&["build"]);

    let titles = column(&wd, "events", "title");
    for ((title, guarded), got) in cases.iter().zip(&titles) {
        assert_eq!(unguard(got), *title, "the guard is undone exactly");
        assert_eq!(got != title, *guarded, "{title:?} published as {got:?}");
        if *guarded {
            assert_eq!(got, &format!("'{title}"));
        }
    }
    // Every text column: provenance locators too; the number stays a number.
    let values = column(&wd, "provenance", "value");
    assert!(values.contains(&"-3900000000".to_string()), "{values:?}");
    assert!(!values.iter().any(|v| v == "'-3900000000"), "{values:?}");
    assert!(values.contains(&"'  =1+1".to_string()), "{values:?}");
    let locators = column(&wd, "provenance", "locator");
    assert!(locators.iter().any(|l| l == "'@0"), "{locators:?}");
    assert!(
        locators
            .iter()
            .all(|l| l.starts_with("'@") || l == "p2" || l.is_empty()),
        "{locators:?}"
    );
    assert_eq!(column(&wd, "indicators", "value"), ["-3900000000"]);
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap() // JSON string escapes are valid TOML basic strings
}

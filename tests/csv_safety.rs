//! CSV formula injection: every text cell a spreadsheet could run as a formula (starting with
//! `=`, `+`, `-`, `@`, tab, CR or LF) gets a leading `'` in the CSV; numeric cells stay
//! numbers, even negative ones; Parquet keeps the exact text (checked in tests/pipeline.rs).

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

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap() // JSON string escapes are valid TOML basic strings
}

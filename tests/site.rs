//! `pillars site`: deterministic bytes, every column and record on its pages, provenance
//! made readable, and a directory it did not write is never replaced (E0503). The browser
//! test and the link checker over the repository's site are in tests/python/test_site.py.

mod common;
use common::Workdir;

#[test]
fn site_rebuilds_are_byte_identical() {
    let wd = Workdir::fixture("site-determinism", "mini");
    wd.ok(&["site", "--dir", "one"]);
    wd.ok(&["site", "--dir", "two"]);
    let (one, two) = (wd.snapshot("one"), wd.snapshot("two"));
    assert!(one.len() > 20, "{} files", one.len());
    assert_eq!(one, two);
    // Rebuilding into a directory `pillars site` wrote replaces it.
    wd.ok(&["site", "--dir", "one"]);
    assert_eq!(wd.snapshot("one"), two);
}

#[test]
fn site_refuses_a_directory_it_did_not_write() {
    let wd = Workdir::fixture("site-foreign", "mini");
    wd.write("notes/todo.txt", "mine");
    let err = wd.fails(&["site", "--dir", "notes"]);
    assert!(err.contains("E0503"), "{err}");
    assert_eq!(wd.read_string("notes/todo.txt"), "mine");
    // An empty directory is fine.
    std::fs::create_dir_all(wd.path("empty")).unwrap();
    wd.ok(&["site", "--dir", "empty"]);
    assert!(wd.path("empty/index.html").exists());
}

fn schema_fields(table: &str) -> Vec<String> {
    let j: serde_json::Value = serde_json::from_slice(
        &std::fs::read(format!("{}/schema/tables/{table}.json", common::ROOT)).unwrap(),
    )
    .unwrap();
    j["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_column_is_on_its_table_page_and_record_pages() {
    let wd = Workdir::fixture("site-columns", "mini");
    wd.ok(&["site", "--dir", "site"]);
    for table in [
        "events",
        "deals",
        "visits",
        "actors",
        "sources",
        "indicators",
    ] {
        let page = wd.read_string(&format!("site/tables/{table}.html"));
        for f in schema_fields(table) {
            assert!(
                page.contains(&format!("<th scope=\"col\">{f}</th>")),
                "{table}: column {f} missing"
            );
        }
    }
    let rec = wd.read_string("site/records/deals/hbis-smederevo.html");
    for f in schema_fields("deals") {
        assert!(rec.contains(&format!("<th scope=\"row\">{f}</th>")), "{f}");
    }
    // References are links to the referenced record, shown by name.
    assert!(
        rec.contains("<a href=\"../../records/actors/hbis-group.html\">HBIS Group</a>"),
        "{rec}"
    );
}

#[test]
fn record_pages_show_each_source_claim_and_why() {
    let wd = Workdir::fixture("site-provenance", "mini");
    wd.ok(&["site", "--dir", "site"]);
    let p = wd.read_string("site/records/events/comprehensive-strategic-partnership-2016.html");
    // Both sources' dates, with their locators; the more precise one kept.
    assert!(p.contains("<caption>date</caption>"), "{p}");
    for needle in [
        ">2016<",
        ">2016-06<",
        ">p1<",
        ">para 2<",
        "not kept",
        "more precise",
    ] {
        assert!(p.contains(needle), "{needle} missing");
    }
    // Free text: the first source's wording is kept, and the page says so.
    assert!(p.contains("first source"));
}

#[test]
fn actor_and_source_pages_list_what_names_them() {
    let wd = Workdir::fixture("site-backrefs", "mini");
    wd.ok(&["site", "--dir", "site"]);
    let xi = wd.read_string("site/records/actors/xi-jinping.html");
    assert!(xi.contains("records/events/comprehensive-strategic-partnership-2016.html"));
    assert!(xi.contains("records/visits/xi-visit-2016.html"));
    let alpha = wd.read_string("site/records/sources/alpha.html");
    assert!(alpha.contains("What it contributed"));
    assert!(alpha.contains("records/deals/hbis-smederevo.html"));
}

#[test]
fn charts_are_svg_with_text_alternatives() {
    let wd = Workdir::fixture("site-charts", "mini");
    wd.ok(&["site", "--dir", "site"]);
    let index = wd.read_string("site/index.html");
    let svg = wd.read_string("site/charts/events-by-partner.svg");
    assert!(svg.starts_with("<svg") && svg.contains("<title id=") && svg.contains("<desc"));
    assert!(index.contains("<img src=\"charts/events-by-partner.svg\" alt=\"Line chart"));
    // Deals are summed in one currency (amount_usd), counted in aggregates only.
    assert!(
        index.contains("Sum of amount_usd of deals counted in aggregates"),
        "{index}"
    );
    assert!(!index.contains("mixed currencies"), "{index}");
    assert!(wd.path("site/charts/deals-by-sector.svg").exists());
    assert!(wd.path("site/charts/indicator-imports-EUR.svg").exists());
}

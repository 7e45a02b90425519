//! `pillars diff OLD NEW`: records added, removed and changed per table, as text and JSON.

mod common;
use common::{Workdir, schema_version};
use serde_json::{Value, json};

/// Replaces `from` by `to` in a file of the workdir, asserting `from` is there.
fn replace(wd: &Workdir, rel: &str, from: &str, to: &str) {
    let s = wd.read_string(rel);
    assert!(s.contains(from), "{rel} has no {from:?}");
    wd.write(rel, s.replacen(from, to, 1));
}

/// The mini fixture built into old/, then edited — a value changed (visit location, deal
/// stake), a record added (an event), a record removed (an indicator) — and built into new/.
fn two_builds(name: &str) -> Workdir {
    let wd = Workdir::fixture(name, "mini");
    wd.ok(&["build", "-q", "--out", "old"]);
    let alpha = "raw/alpha.toml";
    replace(
        &wd,
        alpha,
        "location = \"Belgrade\"",
        "location = \"Novi Sad\"",
    );
    replace(&wd, alpha, "stake_pct = 100", "stake_pct = 51");
    replace(
        &wd,
        alpha,
        "[[visit]]",
        "[[event]]\nid = \"new-event-2020\"\ndate = \"2020-05\"\npartner = \"RU\"\n\
         event_type = \"other\"\ncameo = \"010\"\ntitle = \"A new event\"\nlocator = \"p4\"\n\n[[visit]]",
    );
    let s = wd.read_string(alpha);
    let cut = s.find("[[indicator]]\nid = \"cn-imports-2024\"").unwrap();
    wd.write(alpha, &s[..cut]);
    wd.ok(&["build", "-q", "--out", "new"]);
    wd
}

fn dataset_version(wd: &Workdir, dir: &str) -> String {
    let dp: Value = serde_json::from_slice(&wd.read(&format!("{dir}/datapackage.json"))).unwrap();
    dp["version"].as_str().unwrap().to_string()
}

#[test]
fn text_report_lists_added_removed_and_changed_records() {
    let wd = two_builds("diff-text");
    let (old, new) = (dataset_version(&wd, "old"), dataset_version(&wd, "new"));
    assert_ne!(old, new);
    let v = common::schema_version();
    let expected = format!(
        r#"pillars diff old → new
schema version: {v} (unchanged)
dataset version: {old} → {new}

actors: no changes

deals: 0 added, 0 removed, 1 changed
  ~ hbis-smederevo
      stake_pct: "100" → "51"

events: 1 added, 0 removed, 0 changed
  + new-event-2020

exchange_rates: no changes

indicators: 0 added, 1 removed, 0 changed
  - cn-imports-2024

links: no changes

provenance: 5 added, 6 removed, 2 changed
  + events/new-event-2020/cameo/alpha
  + events/new-event-2020/date/alpha
  + events/new-event-2020/event_type/alpha
  + events/new-event-2020/partner/alpha
  + events/new-event-2020/title/alpha
  - indicators/cn-imports-2024/description/alpha
  - indicators/cn-imports-2024/indicator/alpha
  - indicators/cn-imports-2024/partner/alpha
  - indicators/cn-imports-2024/period/alpha
  - indicators/cn-imports-2024/unit/alpha
  - indicators/cn-imports-2024/value/alpha
  ~ deals/hbis-smederevo/stake_pct/alpha
      value: "100" → "51"
  ~ visits/xi-visit-2016/location/alpha
      value: "Belgrade" → "Novi Sad"

sources: no changes

visits: 0 added, 0 removed, 1 changed
  ~ xi-visit-2016
      location: "Belgrade" → "Novi Sad"

total: 6 added, 7 removed, 4 changed; 5 of 9 tables differ
"#
    )
    .replace(
        "1.0.0 (unchanged)",
        &format!("{} (unchanged)", schema_version()),
    );
    assert_eq!(wd.stdout(&["diff", "old", "new"]), expected);
}

fn prov(table: &str, id: &str, field: &str, value: &str, locator: &str) -> Value {
    json!({
        "key": { "table": table, "record_id": id, "field": field, "source_id": "alpha" },
        "record": {
            "table": table, "record_id": id, "field": field, "value": value,
            "source_id": "alpha", "locator": locator, "kept": "true", "resolution": "",
            "derived_reason": "", "schema_version": common::schema_version(),
        },
    })
}

fn unchanged(table: &str, key: &[&str]) -> Value {
    json!({
        "table": table, "status": "unchanged", "primary_key": key,
        "columns_added": [], "columns_removed": [], "added": [], "removed": [], "changed": [],
    })
}

#[test]
fn json_report_has_keys_records_and_field_changes() {
    let wd = two_builds("diff-json");
    let (old, new) = (dataset_version(&wd, "old"), dataset_version(&wd, "new"));
    let got: Value =
        serde_json::from_str(&wd.stdout(&["diff", "old", "new", "--format", "json"])).unwrap();
    let expected = json!({
        "old": { "path": "old", "schema_version": common::schema_version(), "dataset_version": old },
        "new": { "path": "new", "schema_version": common::schema_version(), "dataset_version": new },
        "summary": { "added": 6, "removed": 7, "changed": 4, "tables_differing": 5 },
        "tables": [
            unchanged("actors", &["actor_id"]),
            {
                "table": "deals", "status": "changed", "primary_key": ["deal_id"],
                "columns_added": [], "columns_removed": [], "added": [], "removed": [],
                "changed": [{ "key": { "deal_id": "hbis-smederevo" },
                              "fields": [{ "field": "stake_pct", "old": "100", "new": "51" }] }],
            },
            events_diff(),
            unchanged("exchange_rates", &["year", "currency"]),
            {
                "table": "indicators", "status": "changed", "primary_key": ["indicator_id"],
                "columns_added": [], "columns_removed": [], "added": [], "changed": [],
                "removed": [{
                    "key": { "indicator_id": "cn-imports-2024" },
                    "record": serde_json::from_str::<Value>(&removed_indicator(&wd)).unwrap(),
                }],
            },
            unchanged("links", &["from_table", "from_id", "relation", "to_table", "to_id"]),
            provenance_diff(),
            unchanged("sources", &["source_id"]),
            {
                "table": "visits", "status": "changed", "primary_key": ["visit_id"],
                "columns_added": [], "columns_removed": [], "added": [], "removed": [],
                "changed": [{ "key": { "visit_id": "xi-visit-2016" },
                              "fields": [{ "field": "location", "old": "Belgrade", "new": "Novi Sad" }] }],
            },
        ],
    });
    assert_eq!(
        got,
        expected,
        "{}",
        serde_json::to_string_pretty(&got).unwrap()
    );
}

/// The events table in the JSON report: one event added.
fn events_diff() -> Value {
    json!({
        "table": "events", "status": "changed", "primary_key": ["event_id"],
        "columns_added": [], "columns_removed": [], "removed": [], "changed": [],
        "added": [{
            "key": { "event_id": "new-event-2020" },
            "record": {
                "event_id": "new-event-2020", "date": "2020-05", "date_start": "2020-05-01",
                "date_end": "2020-05-31", "date_precision": "month", "year": "2020",
                "partner": "RU", "event_type": "other", "cameo": "010",
                "cameo_label": "Make a statement, not specified below", "sector": "",
                "title": "A new event", "description": "", "location": "",
                "actor_ids": "", "derived_fields": "", "source_ids": "alpha",
                "schema_version": common::schema_version(),
            },
        }],
    })
}

/// The provenance table in the JSON report: the claims of the added event and the removed
/// indicator, and the two changed values.
fn provenance_diff() -> Value {
    let pk = ["table", "record_id", "field", "source_id"];
    json!({
        "table": "provenance", "status": "changed", "primary_key": pk,
        "columns_added": [], "columns_removed": [],
        "added": [
            prov("events", "new-event-2020", "cameo", "010", "p4"),
            prov("events", "new-event-2020", "date", "2020-05", "p4"),
            prov("events", "new-event-2020", "event_type", "other", "p4"),
            prov("events", "new-event-2020", "partner", "RU", "p4"),
            prov("events", "new-event-2020", "title", "A new event", "p4"),
        ],
        "removed": [
            prov("indicators", "cn-imports-2024", "description", "Imports from China", "p3"),
            prov("indicators", "cn-imports-2024", "indicator", "imports", "p3"),
            prov("indicators", "cn-imports-2024", "partner", "CN", "p3"),
            prov("indicators", "cn-imports-2024", "period", "2024", "p3"),
            prov("indicators", "cn-imports-2024", "unit", "EUR", "p3"),
            prov("indicators", "cn-imports-2024", "value", "5130000000", "p3"),
        ],
        "changed": [
            { "key": { "table": "deals", "record_id": "hbis-smederevo", "field": "stake_pct", "source_id": "alpha" },
              "fields": [{ "field": "value", "old": "100", "new": "51" }] },
            { "key": { "table": "visits", "record_id": "xi-visit-2016", "field": "location", "source_id": "alpha" },
              "fields": [{ "field": "value", "old": "Belgrade", "new": "Novi Sad" }] },
        ],
    })
}

/// The cn-imports-2024 row of old/csv/indicators.csv as a JSON object, read with the csv
/// crate independently of `pillars diff`.
fn removed_indicator(wd: &Workdir) -> String {
    let mut r = csv::Reader::from_path(wd.path("old/csv/indicators.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let row = r
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == "cn-imports-2024")
        .unwrap();
    let obj: serde_json::Map<String, Value> = header
        .iter()
        .zip(row.iter())
        .map(|(h, v)| (h.to_string(), json!(v)))
        .collect();
    assert_eq!(obj["value"], json!("5130000000"));
    assert_eq!(obj["unit"], json!("EUR"));
    Value::Object(obj).to_string()
}

#[test]
fn identical_outputs_report_no_changes_and_exit_zero() {
    let wd = Workdir::fixture("diff-same", "mini");
    wd.ok(&["build", "-q", "--out", "a"]);
    wd.ok(&["build", "-q", "--out", "b"]);
    let out = wd.stdout(&["diff", "a", "b"]);
    assert_eq!(
        out.lines().filter(|l| l.ends_with(": no changes")).count(),
        9,
        "{out}"
    );
    assert!(
        out.ends_with("\ntotal: 0 added, 0 removed, 0 changed; 0 of 9 tables differ\n"),
        "{out}"
    );
}

#[test]
fn missing_directory_or_file_is_a_clear_error() {
    let wd = Workdir::fixture("diff-missing", "mini");
    wd.ok(&["build", "-q", "--out", "a"]);
    let err = wd.fails(&["diff", "a", "nope"]);
    assert!(
        err.starts_with("error[E0101]: directory not found\n  --> nope\n"),
        "{err}"
    );
    assert!(
        err.ends_with("error: 1 problem found; no diff produced\n"),
        "{err}"
    );
    let o = wd.run(&["diff", "nope", "a", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let j: Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(j["errors"][0]["code"], json!("E0101"));
    assert_eq!(j["errors"][0]["file"], json!("nope"));

    wd.ok(&["build", "-q", "--out", "b"]);
    std::fs::remove_file(wd.path("b/csv/deals.csv")).unwrap();
    let err = wd.fails(&["diff", "a", "b"]);
    assert!(
        err.starts_with("error[E0101]: cannot read: ") && err.contains("--> b/csv/deals.csv\n"),
        "{err}"
    );
    std::fs::remove_file(wd.path("b/datapackage.json")).unwrap();
    let err = wd.fails(&["diff", "a", "b"]);
    assert!(err.contains("--> b/datapackage.json\n"), "{err}");
}

#[test]
fn duplicate_primary_key_is_located() {
    let wd = Workdir::fixture("diff-dup", "mini");
    wd.ok(&["build", "-q", "--out", "a"]);
    wd.ok(&["build", "-q", "--out", "b"]);
    let csv = wd.read_string("b/csv/deals.csv");
    let row = csv.lines().nth(1).unwrap().to_string();
    wd.write("b/csv/deals.csv", format!("{csv}{row}\r\n"));
    let err = wd.fails(&["diff", "a", "b"]);
    assert!(
        err.starts_with(
            "error[E0901]: table `deals`: duplicate primary key `hbis-smederevo`\n  --> b/csv/deals.csv:3:1\n"
        ),
        "{err}"
    );
}

//! `[[resolution]]`s on every kind of field: free text can be given a new wording
//! (`merged`) or one source's words (`value`), lists one source's list; a resolution is never
//! silently ignored, and two resolutions for one field are an error.

mod common;
use common::Workdir;

const A: &str = r#"[source]
source_id = "a"
file = "a.txt"
title = "A"
year = 2024
kind = "news"

[[actor]]
id = "x"
name = "X"
actor_type = "person"
locator = "para 1"

[[actor]]
id = "y"
name = "Y"
actor_type = "person"
locator = "para 1"

[[event]]
id = "e-one"
date = "2020"
partner = "CN"
event_type = "other"
cameo = "010"
title = "Drones bought"
actor_ids = ["x"]
locator = "para 4"
"#;

fn workdir(name: &str, resolutions: &str) -> Workdir {
    let wd = Workdir::new(name);
    wd.write("raw/a.toml", A);
    let b = A
        .replace("source_id = \"a\"", "source_id = \"b\"")
        .replace("Drones bought", "Armed drones purchased from China")
        .replace("[\"x\"]", "[\"x\", \"y\"]");
    wd.write("raw/b.toml", b);
    wd.write("raw/resolutions.toml", resolutions);
    wd
}

fn resolution(field: &str, keep: &str) -> String {
    format!(
        "[[resolution]]\ntable = \"event\"\nid = \"e-one\"\nfield = \"{field}\"\n{keep}\nreason = \"Both halves matter.\"\n"
    )
}

/// The provenance rows of the event's `field`, as (source, value, kept, resolution).
fn provenance(wd: &Workdir, field: &str) -> Vec<Vec<String>> {
    let mut r =
        csv::Reader::from_reader(std::io::Cursor::new(wd.read("output/csv/provenance.csv")));
    r.records()
        .map(|x| x.unwrap())
        .filter(|x| &x[0] == "events" && &x[2] == field)
        .map(|x| vec![x[4].into(), x[3].into(), x[6].into(), x[7].into()])
        .collect()
}

fn event_cell(wd: &Workdir, column: &str) -> String {
    let mut r = csv::Reader::from_reader(std::io::Cursor::new(wd.read("output/csv/events.csv")));
    let h = r.headers().unwrap().clone();
    let i = h
        .iter()
        .position(|c| c.trim_start_matches('\u{feff}') == column)
        .unwrap();
    r.records().next().unwrap().unwrap()[i].to_string()
}

#[test]
fn merged_wording_is_published_and_every_claim_stays_unkept() {
    let wd = workdir(
        "res-merged",
        &resolution("title", "merged = \"Armed drones bought from China\""),
    );
    wd.ok(&["build"]);
    assert_eq!(event_cell(&wd, "title"), "Armed drones bought from China");
    let rows = provenance(&wd, "title");
    assert_eq!(rows.len(), 2, "{rows:?}");
    for r in &rows {
        assert_eq!(r[2], "false", "{rows:?}");
        assert_eq!(r[3], "merged: Both halves matter.", "{rows:?}");
    }
    assert_eq!(rows[1][1], "Armed drones purchased from China");
}

#[test]
fn a_value_on_free_text_picks_that_sources_words() {
    let wd = workdir(
        "res-free-text-value",
        &resolution("title", "value = \"Armed drones purchased from China\""),
    );
    wd.ok(&["build"]);
    assert_eq!(
        event_cell(&wd, "title"),
        "Armed drones purchased from China"
    );
    let rows = provenance(&wd, "title");
    assert_eq!(rows[0][..3], ["a", "Drones bought", "false"], "{rows:?}");
    assert_eq!(rows[1][2..], ["true", "Both halves matter."], "{rows:?}");
}

#[test]
fn a_value_on_a_list_picks_that_sources_list() {
    let wd = workdir(
        "res-list-value",
        &resolution("actor_ids", "value = [\"x\"]"),
    );
    wd.ok(&["build"]);
    assert_eq!(event_cell(&wd, "actor_ids"), "x");
    let rows = provenance(&wd, "actor_ids");
    assert_eq!(rows[0][2..], ["true", "Both halves matter."], "{rows:?}");
    assert_eq!(rows[1][1..3], ["x;y", "false"], "{rows:?}");
}

#[test]
fn an_unclaimed_value_on_free_text_is_an_error() {
    let wd = workdir(
        "res-free-text-unclaimed",
        &resolution("title", "value = \"Nobody wrote this\""),
    );
    let err = wd.fails(&["build"]);
    assert!(err.contains("error[E0402]"), "{err}");
    assert!(err.contains("raw/resolutions.toml:5:9"), "{err}");
}

#[test]
fn two_resolutions_for_one_field_are_an_error_naming_both() {
    let two = resolution("title", "value = \"Drones bought\"")
        + "\n"
        + &resolution("title", "merged = \"Drones\"");
    let wd = workdir("res-duplicate", &two);
    let err = wd.fails(&["build"]);
    assert!(
        err.contains("error[E0404]: a second [[resolution]] for `title` of event `e-one`"),
        "{err}"
    );
    assert!(err.contains("--> raw/resolutions.toml:12:10\n"), "{err}");
    assert!(
        err.contains("--> raw/resolutions.toml:5:9  (the first resolution)"),
        "{err}"
    );
}

#[test]
fn merged_is_refused_on_structured_and_list_fields_and_with_a_value() {
    for (name, keep, msg) in [
        (
            "res-merged-date",
            "merged = \"2020\"",
            "`date` is a structured field",
        ),
        (
            "res-merged-list",
            "merged = \"x\"",
            "`actor_ids` is a list field",
        ),
    ] {
        let field = if name.ends_with("list") {
            "actor_ids"
        } else {
            "date"
        };
        let wd = workdir(name, &resolution(field, keep));
        let err = wd.fails(&["build"]);
        assert!(
            err.contains(&format!(
                "error[E0405]: `merged` is only for free-text fields; {msg}"
            )),
            "{err}"
        );
        assert!(err.contains("raw/resolutions.toml:5:10"), "{err}");
    }
    let both = resolution("title", "value = \"Drones bought\"\nmerged = \"Drones\"");
    let err = workdir("res-merged-and-value", &both).fails(&["build"]);
    assert!(
        err.contains("error[E0405]: a [[resolution]] gives both `value` and `merged`"),
        "{err}"
    );
    let empty = resolution("title", "merged = \"  \"");
    let err = workdir("res-merged-empty", &empty).fails(&["build"]);
    assert!(
        err.contains("error[E0405]: `merged` must be non-empty text"),
        "{err}"
    );
}

//! Schema versions follow semver: `pillars check` fails when schema/ changed without a large
//! enough bump of schema/VERSION, and `pillars schema-lock` records a release.

mod common;
use common::Workdir;
use serde_json::{Value, json};

/// A workdir with the mini fixture, built, so `pillars check` passes before any edit. Its
/// schema/ is recorded afresh as the only release, 1.0.0, so the expectations below do not
/// depend on the repository's current version.
fn built(name: &str) -> Workdir {
    let wd = Workdir::fixture(name, "mini");
    std::fs::remove_file(wd.path("schema/versions.lock.json")).unwrap();
    set_version(&wd, "1.0.0");
    wd.ok(&["schema-lock"]);
    wd.ok(&["build", "-q"]);
    wd
}

fn edit_json(wd: &Workdir, rel: &str, f: impl FnOnce(&mut Value)) {
    let mut j: Value = serde_json::from_slice(&wd.read(rel)).unwrap();
    f(&mut j);
    wd.write(rel, serde_json::to_string_pretty(&j).unwrap() + "\n");
}

fn field<'a>(table: &'a mut Value, name: &str) -> &'a mut Value {
    table["fields"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn set_version(wd: &Workdir, v: &str) {
    wd.write("schema/VERSION", format!("{v}\n"));
}

/// Schema-version error lines (`error[E06xx]: message`) of a failed run. (A schema edit that
/// changes what is published also makes the committed output stale, E0701.)
fn errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("error[E06"))
        .collect()
}

/// After a large enough bump: `check` asks for the release to be recorded (and nothing else
/// about the schema), `schema-lock` records it, and after a rebuild `check` passes.
fn bump_passes(wd: &Workdir, version: &str) {
    set_version(wd, version);
    let err = wd.fails(&["check", "-q"]);
    assert_eq!(
        errors(&err),
        vec![format!(
            "error[E0603]: schema version {version} is not recorded in the schema lock (latest release: 1.0.0)"
        )],
        "{err}"
    );
    let out = wd.ok(&["schema-lock"]);
    assert!(out.contains(&format!("recorded schema {version}")), "{out}");
    wd.ok(&["build", "-q"]);
    wd.ok(&["check", "-q"]);
    let lock: Value = serde_json::from_slice(&wd.read("schema/versions.lock.json")).unwrap();
    let versions: Vec<&str> = lock["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, vec!["1.0.0", version]);
    assert_eq!(lock["latest"]["version"], json!(version));
}

#[test]
fn unchanged_schema_passes() {
    let wd = built("semver-unchanged");
    let err = wd.ok(&["check"]);
    assert!(
        err.contains("schema 1.0.0 is released in schema/versions.lock.json"),
        "{err}"
    );
    // Reformatting (key order, whitespace) is not a schema change, and the output does not
    // change either: the dataset's identity is its content, not the bytes of schema/.
    edit_json(&wd, "schema/tables/deals.json", |_| {});
    wd.ok(&["check", "-q"]);
    let out = wd.ok(&["schema-lock"]);
    assert!(out.contains("already recorded"), "{out}");
}

#[test]
fn description_only_change_needs_a_patch_bump() {
    let wd = built("semver-patch");
    edit_json(&wd, "schema/tables/deals.json", |t| {
        field(t, "title")["description"] = json!("Short title of the deal, in our words.");
    });
    let err = wd.fails(&["check", "-q"]);
    assert_eq!(
        errors(&err),
        vec![
            "error[E0602]: schema changed without a version bump: column `deals.title`: description changed needs a patch bump, but schema/VERSION is still 1.0.0"
        ],
        "{err}"
    );
    assert!(
        err.contains("--> schema/tables/deals.json:"),
        "located: {err}"
    );
    assert!(
        err.contains(
            "expected: schema/VERSION 1.0.1 or later; run `pillars schema-lock --bump patch`"
        ),
        "{err}"
    );
    bump_passes(&wd, "1.0.1");
}

#[test]
fn added_column_needs_a_minor_bump() {
    let wd = built("semver-column");
    edit_json(&wd, "schema/tables/deals.json", |t| {
        t["fields"].as_array_mut().unwrap().insert(
            14,
            json!({ "name": "notes", "type": "string", "description": "Free notes.", "x-raw": "notes" }),
        );
    });
    let err = wd.fails(&["check", "-q"]);
    assert!(
        errors(&err).contains(&"error[E0602]: schema changed without a version bump: column `deals.notes` added needs a minor bump, but schema/VERSION is still 1.0.0"),
        "{err}"
    );
    // A patch bump is too small, and the error names the change and the bump it needs.
    set_version(&wd, "1.0.1");
    let err = wd.fails(&["check", "-q"]);
    assert_eq!(
        errors(&err),
        vec![
            "error[E0602]: schema version bump too small: column `deals.notes` added needs a minor bump, but 1.0.0 → 1.0.1 is a patch bump"
        ],
        "{err}"
    );
    assert!(
        err.contains("expected: schema/VERSION 1.1.0 or later"),
        "{err}"
    );
    // schema-lock refuses too, and writes nothing.
    let lock_before = wd.read("schema/versions.lock.json");
    let err = wd.fails(&["schema-lock"]);
    assert!(
        err.contains("column `deals.notes` added needs a minor bump"),
        "{err}"
    );
    assert_eq!(wd.read("schema/versions.lock.json"), lock_before);
    bump_passes(&wd, "1.1.0");
}

#[test]
fn added_vocabulary_value_needs_a_minor_bump() {
    let wd = built("semver-vocab-add");
    edit_json(&wd, "schema/vocabularies.json", |v| {
        v["partners"]["values"]["NZ"] = json!("New Zealand");
    });
    set_version(&wd, "1.0.1");
    let err = wd.fails(&["check", "-q"]);
    assert!(
        errors(&err).contains(&"error[E0602]: schema version bump too small: vocabulary `partners`: value `NZ` added needs a minor bump, but 1.0.0 → 1.0.1 is a patch bump"),
        "{err}"
    );
    // The location points at the new value.
    assert!(err.contains(r#""NZ": "New Zealand""#), "{err}");
    bump_passes(&wd, "1.1.0");
}

/// Applies `edit`, then checks that a minor bump is refused naming `change` as major, and
/// that 2.0.0 passes.
fn needs_major(name: &str, rel: &str, edit: impl FnOnce(&mut Value), change: &str) {
    let wd = built(name);
    edit_json(&wd, rel, edit);
    let err = wd.fails(&["check", "-q"]);
    assert!(
        errors(&err).contains(&format!("error[E0602]: schema changed without a version bump: {change} needs a major bump, but schema/VERSION is still 1.0.0").as_str()),
        "{err}"
    );
    set_version(&wd, "1.1.0");
    let err = wd.fails(&["check", "-q"]);
    assert!(
        errors(&err).contains(&format!("error[E0602]: schema version bump too small: {change} needs a major bump, but 1.0.0 → 1.1.0 is a minor bump").as_str()),
        "{err}"
    );
    assert!(
        err.contains("expected: schema/VERSION 2.0.0 or later"),
        "{err}"
    );
    bump_passes(&wd, "2.0.0");
}

#[test]
fn removed_column_needs_a_major_bump() {
    needs_major(
        "semver-remove-column",
        "schema/tables/deals.json",
        |t| {
            t["fields"]
                .as_array_mut()
                .unwrap()
                .retain(|f| f["name"] != "item")
        },
        "column `deals.item` removed (a rename counts as a removal and an addition)",
    );
}

#[test]
fn type_change_needs_a_major_bump() {
    needs_major(
        "semver-type",
        "schema/tables/deals.json",
        |t| field(t, "quantity_delivered")["type"] = json!("number"),
        "column `deals.quantity_delivered`: type changed from `integer` to `number`",
    );
}

#[test]
fn tightened_constraint_needs_a_major_bump() {
    needs_major(
        "semver-tighten",
        "schema/tables/deals.json",
        |t| field(t, "year")["constraints"]["minimum"] = json!(1950),
        "column `deals.year`: constraint `minimum` raised from `1900` to `1950` (tightens)",
    );
}

#[test]
fn new_pattern_needs_a_major_bump() {
    needs_major(
        "semver-pattern",
        "schema/tables/deals.json",
        |t| field(t, "item")["constraints"] = json!({ "pattern": "^[A-Z].*$" }),
        "column `deals.item`: constraint `pattern` added: `^[A-Z].*$` (tightens)",
    );
}

#[test]
fn removed_vocabulary_value_needs_a_major_bump() {
    needs_major(
        "semver-vocab-remove",
        "schema/vocabularies.json",
        |v| {
            v["partners"]["values"]
                .as_object_mut()
                .unwrap()
                .remove("DJ");
        },
        "vocabulary `partners`: value `DJ` removed",
    );
}

#[test]
fn loosened_constraint_needs_only_a_minor_bump() {
    let wd = built("semver-loosen");
    edit_json(&wd, "schema/tables/deals.json", |t| {
        field(t, "stake_pct")["constraints"]
            .as_object_mut()
            .unwrap()
            .remove("minimum");
    });
    set_version(&wd, "1.0.1");
    let err = wd.fails(&["check", "-q"]);
    assert!(
        errors(&err).contains(&"error[E0602]: schema version bump too small: column `deals.stake_pct`: constraint `minimum` removed, was `0` (loosens) needs a minor bump, but 1.0.0 → 1.0.1 is a patch bump"),
        "{err}"
    );
    bump_passes(&wd, "1.1.0");
}

#[test]
fn schema_lock_bump_auto_writes_the_version_the_changes_need() {
    let wd = built("semver-auto");
    edit_json(&wd, "schema/vocabularies.json", |v| {
        v["partners"]["values"]["NZ"] = json!("New Zealand");
    });
    edit_json(&wd, "schema/tables/deals.json", |t| {
        field(t, "title")["description"] = json!("Changed.");
    });
    let out = wd.ok(&["schema-lock", "--bump", "auto"]);
    assert_eq!(wd.read_string("schema/VERSION"), "1.1.0\n");
    assert!(
        out.contains("minor  vocabulary `partners`: value `NZ` added"),
        "{out}"
    );
    assert!(
        out.contains("patch  column `deals.title`: description changed"),
        "{out}"
    );
    wd.ok(&["build", "-q"]);
    wd.ok(&["check", "-q"]);
    // An explicit bump that is too small is refused and leaves VERSION alone.
    edit_json(&wd, "schema/vocabularies.json", |v| {
        v["partners"]["values"]
            .as_object_mut()
            .unwrap()
            .remove("NZ");
    });
    let err = wd.fails(&["schema-lock", "--bump", "minor"]);
    assert!(
        err.contains("vocabulary `partners`: value `NZ` removed needs a major bump, but 1.1.0 → 1.2.0 is a minor bump"),
        "{err}"
    );
    assert_eq!(wd.read_string("schema/VERSION"), "1.1.0\n");
}

#[test]
fn missing_or_damaged_lock_fails_check() {
    let wd = built("semver-lock-missing");
    let lock = wd.read("schema/versions.lock.json");
    std::fs::remove_file(wd.path("schema/versions.lock.json")).unwrap();
    let err = wd.fails(&["check", "-q"]);
    assert!(
        err.contains("error[E0603]: the schema lock schema/versions.lock.json is missing"),
        "{err}"
    );
    wd.write("schema/versions.lock.json", &lock[..lock.len() / 2]);
    let err = wd.fails(&["check", "-q"]);
    assert!(
        err.contains("error[E0603]: the schema lock is not valid"),
        "{err}"
    );
}

#[test]
fn version_going_backwards_fails() {
    let wd = built("semver-backwards");
    set_version(&wd, "0.9.0");
    let err = wd.fails(&["check", "-q"]);
    assert!(
        err.contains(
            "error[E0602]: schema/VERSION is 0.9.0, which is not after the latest release 1.0.0"
        ),
        "{err}"
    );
}

#[test]
fn repository_lock_matches_the_committed_schema() {
    // The committed schema/ is the latest release recorded in the committed lock.
    let root = std::path::Path::new(common::ROOT);
    let schema = pillars::schema::Schema::load(&root.join("schema")).unwrap();
    assert!(pillars::schema_lock::check(&root.join("schema"), &schema).is_empty());
}

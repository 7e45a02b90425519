//! Reconcile: disagreements between sources fail the build until resolved, and every claim
//! stays in provenance.

mod common;
use common::Workdir;

const A: &str = r#"[source]
source_id = "a"
file = "a.txt"
title = "A"
year = 2024
kind = "news"

[[deal]]
id = "ch-92a-drone-purchase"
date = "2020"
partner = "CN"
deal_type = "arms_purchase"
title = "CH-92A drones"
quantity_delivered = 6
status = "delivered"
locator = "para 4"
"#;

const B: &str = r#"[source]
source_id = "b"
file = "b.txt"
title = "B"
year = 2020
kind = "policy_paper"

[[deal]]
id = "ch-92a-drone-purchase"
date = "2020"
partner = "CN"
deal_type = "arms_purchase"
title = "Armed drones from China"
quantity_delivered = 9
status = "delivered"
locator = "Defence, para 2"
"#;

fn workdir(name: &str) -> Workdir {
    let wd = Workdir::new(name);
    wd.write("raw/a.toml", A);
    wd.write("raw/b.toml", B);
    wd
}

#[test]
fn unresolved_conflict_fails_naming_both_sources_and_locations() {
    let wd = workdir("conflict-unresolved");
    let err = wd.fails(&["build"]);
    assert!(err.contains("error[E0401]: sources disagree on `quantity_delivered` of deal `ch-92a-drone-purchase`: a says `6`, b says `9`"), "{err}");
    assert!(err.contains("raw/a.toml:14:22"), "{err}");
    assert!(err.contains("raw/b.toml:14:22  (b says `9`)"), "{err}");
    assert!(err.contains("[[resolution]] with table = \"deal\", id = \"ch-92a-drone-purchase\", field = \"quantity_delivered\""), "{err}");
    assert!(!wd.path("output").exists());
}

#[test]
fn resolved_conflict_builds_and_keeps_both_claims_in_provenance() {
    let wd = workdir("conflict-resolved");
    wd.write("raw/resolutions.toml", "[[resolution]]\ntable = \"deal\"\nid = \"ch-92a-drone-purchase\"\nfield = \"quantity_delivered\"\nvalue = 6\nreason = \"The later source counts six.\"\n");
    let err = wd.ok(&["build"]);
    assert!(err.contains("conflicts: 1 resolved, 0 unresolved"), "{err}");
    let deals = wd.read_string("output/csv/deals.csv");
    assert!(deals.lines().nth(1).unwrap().contains(",6,"), "{deals}");
    let prov = wd.read_string("output/csv/provenance.csv");
    assert!(prov.contains("deals,ch-92a-drone-purchase,quantity_delivered,6,a,para 4,true,The later source counts six.,"), "{prov}");
    assert!(
        prov.contains(
            "deals,ch-92a-drone-purchase,quantity_delivered,9,b,\"Defence, para 2\",false,,"
        ),
        "{prov}"
    );
}

#[test]
fn resolution_must_name_a_claimed_value() {
    let wd = workdir("conflict-unclaimed");
    wd.write("raw/resolutions.toml", "[[resolution]]\ntable = \"deal\"\nid = \"ch-92a-drone-purchase\"\nfield = \"quantity_delivered\"\nvalue = 7\nreason = \"Nobody says seven.\"\n");
    let err = wd.fails(&["build"]);
    assert!(
        err.contains("error[E0402]: the resolution keeps `7`, which no source claims"),
        "{err}"
    );
    assert!(err.contains("raw/resolutions.toml:5:9"), "{err}");
}

#[test]
fn resolution_of_an_unknown_record_is_an_error() {
    let wd = workdir("conflict-unknown-target");
    wd.write("raw/resolutions.toml", "[[resolution]]\ntable = \"deal\"\nid = \"no-such-deal\"\nfield = \"status\"\nvalue = \"signed\"\nreason = \"x\"\n");
    let err = wd.fails(&["build"]);
    assert!(
        err.contains("error[E0403]") && err.contains("no-such-deal"),
        "{err}"
    );
}

#[test]
fn nested_dates_refine_instead_of_conflicting() {
    let wd = workdir("conflict-nested-dates");
    wd.write(
        "raw/b.toml",
        B.replace("date = \"2020\"", "date = \"2020-06\"")
            .replace("quantity_delivered = 9", "quantity_delivered = 6"),
    );
    wd.ok(&["build"]);
    let deals = wd.read_string("output/csv/deals.csv");
    assert!(
        deals.contains(",2020-06,2020-06-01,2020-06-30,month,2020,"),
        "{deals}"
    );
}

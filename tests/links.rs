//! Issue 10 on the real data: links, the duplicate check and the aggregation rules, run with
//! the real binary on a copy of the repository's raw/ and schema/.

mod common;
use common::{ROOT, Workdir, copy_dir};
use std::collections::HashMap;
use std::path::Path;

fn real(name: &str) -> Workdir {
    let wd = Workdir::new(name);
    copy_dir(&Path::new(ROOT).join("raw"), &wd.path("raw"));
    wd
}

/// The rows of output/csv/TABLE.csv as maps column → text.
fn rows(wd: &Workdir, table: &str) -> Vec<HashMap<String, String>> {
    let bytes = wd.read(&format!("output/csv/{table}.csv"));
    let text = String::from_utf8(bytes).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn deal<'a>(deals: &'a [HashMap<String, String>], id: &str) -> &'a HashMap<String, String> {
    deals
        .iter()
        .find(|d| d["deal_id"] == id)
        .unwrap_or_else(|| panic!("no deal {id}"))
}

#[test]
fn real_sums_count_each_amount_once() {
    let wd = real("meaning-sums");
    wd.ok(&["build"]);
    let deals = rows(&wd, "deals");
    let counted = |id: &str| deal(&deals, id)["for_aggregates"] == "true";
    // EUR 230m: the loan pledge and the contract it finances are one amount.
    let eur_230m: Vec<&str> = deals
        .iter()
        .filter(|d| d["amount"] == "230000000" && d["currency"] == "EUR")
        .filter(|d| d["for_aggregates"] == "true")
        .map(|d| d["deal_id"].as_str())
        .collect();
    assert_eq!(eur_230m, vec!["rzd-railway-contract"]);
    assert!(!counted("ru-railway-loan-2010"));
    // Linglong's ~USD 1bn is counted (no file may drop it without a reason).
    assert!(counted("linglong-zrenjanin-tyre-factory"));
    assert_eq!(
        deal(&deals, "linglong-zrenjanin-tyre-factory")["amount"],
        "1000000000"
    );
    // The CNY swap line is not money transferred.
    let swap = deal(&deals, "pboc-currency-swap-2016");
    assert_eq!(swap["for_aggregates"], "false");
    assert!(swap["aggregate_note"].contains("swap"), "{swap:?}");
    // Nine drones, on two deals that are one order: counted once.
    let drones: i64 = ["ch-92a-drone-purchase", "wing-loong-drone-order"]
        .iter()
        .filter(|id| counted(id))
        .map(|id| deal(&deals, id)["quantity_ordered"].parse::<i64>().unwrap())
        .sum();
    assert_eq!(drones, 9);
    // Every row says which rule decided.
    assert!(deals.iter().all(|d| !d["aggregate_note"].is_empty()));
}

#[test]
fn real_links_are_published_with_provenance() {
    let wd = real("meaning-links");
    wd.ok(&["build"]);
    let links = rows(&wd, "links");
    let finances = links
        .iter()
        .find(|l| l["relation"] == "finances" && l["from_id"] == "ru-railway-loan-2010")
        .expect("the railway loan finances the contract");
    assert_eq!(finances["to_deal_id"], "rzd-railway-contract");
    assert_eq!(finances["from_event_id"], "");
    let prov = rows(&wd, "provenance");
    let key = "deals:ru-railway-loan-2010 finances deals:rzd-railway-contract";
    let claim = prov
        .iter()
        .find(|p| p["table"] == "links" && p["record_id"] == key && p["field"] == "relation")
        .expect("a provenance row for the link");
    assert_eq!(claim["source_id"], "003_39f81d55a00b7705");
    assert!(!claim["locator"].is_empty());
    // datapackage.json declares the foreign keys of the links table.
    let dp: serde_json::Value =
        serde_json::from_slice(&wd.read("output/datapackage.json")).unwrap();
    let res = dp["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "links")
        .unwrap();
    let fks = res["schema"]["foreignKeys"].as_array().unwrap();
    assert!(
        fks.iter()
            .any(|f| f["fields"] == "to_deal_id" && f["reference"]["resource"] == "deals")
    );
}

/// Undoes one merge in the work directory's raw/ and expects the duplicate check to name
/// both records.
fn unmerged(name: &str, file: &str, from: &str, to: &str, drop_from_resolutions: &str) -> String {
    let wd = real(name);
    let path = format!("raw/{file}");
    let text = wd.read_string(&path);
    let needle = format!("id = \"{from}\"");
    assert!(text.contains(&needle), "{needle} not in {file}");
    wd.write(&path, text.replacen(&needle, &format!("id = \"{to}\""), 1));
    if !drop_from_resolutions.is_empty() {
        let res = wd.read_string("raw/resolutions.toml");
        let kept: Vec<&str> = res
            .split("\n[[resolution]]")
            .filter(|b| !b.contains(drop_from_resolutions))
            .collect();
        wd.write("raw/resolutions.toml", kept.join("\n[[resolution]]"));
    }
    let err = wd.fails(&["build"]);
    assert!(err.contains("E0410"), "{err}");
    err
}

#[test]
fn real_duplicate_check_finds_the_two_known_pairs() {
    let err = unmerged(
        "meaning-dup-vucic",
        "002_6946051a0f3755e6.toml",
        "vucic-university-lecture-china-rise-2017",
        "vucic-faculty-of-security-speech-2017",
        "",
    );
    assert!(
        err.contains("`vucic-faculty-of-security-speech-2017` and event `vucic-university-lecture-china-rise-2017`")
            || err.contains("`vucic-university-lecture-china-rise-2017` and event `vucic-faculty-of-security-speech-2017`"),
        "{err}"
    );
    let err = unmerged(
        "meaning-dup-huawei",
        "003_39f81d55a00b7705.toml",
        "huawei-smart-city-serbia",
        "huawei-smart-city-mou",
        "id = \"huawei-smart-city-serbia\"",
    );
    assert!(
        err.contains("`huawei-smart-city-mou` and deal `huawei-smart-city-serbia`"),
        "{err}"
    );
}

/// A small file: a completed loan and the contract it finances, both EUR 46m, and a
/// programme with a counted part.
fn linked_deals(extra: &str) -> String {
    let base =
        std::fs::read_to_string(Path::new(ROOT).join("tests/bad/link-cycle/raw/a.toml")).unwrap();
    let base = &base[..base.find("\n[[link]]").unwrap()];
    let base = base.replace(
        "title = \"A builder erects the bridge\"",
        "title = \"A builder erects the bridge\"\namount = \"46 million\"\ncurrency = \"EUR\"",
    );
    format!(
        "{base}\n[[deal]]\nid = \"d-programme\"\ndate = \"2016\"\npartner = \"CN\"\ndeal_type = \"other\"\ntitle = \"Umbrella programme for transport\"\namount = \"500 million\"\ncurrency = \"EUR\"\nstatus = \"in_progress\"\nlocator = \"p6\"\n{extra}"
    )
}

#[test]
fn link_rules_count_the_same_money_once() {
    let wd = Workdir::new("meaning-link-rules");
    let links = "\n[[link]]\nfrom = \"deal:d-one\"\nrelation = \"finances\"\nto = \"deal:d-two\"\nlocator = \"p5\"\n\n[[link]]\nfrom = \"deal:d-two\"\nrelation = \"part_of\"\nto = \"deal:d-programme\"\nlocator = \"p6\"\n";
    wd.write("raw/a.toml", linked_deals(links));
    wd.ok(&["build"]);
    let deals = rows(&wd, "deals");
    let loan = deal(&deals, "d-one");
    assert_eq!(loan["for_aggregates"], "false", "{loan:?}");
    assert!(
        loan["aggregate_note"].contains("finances d-two"),
        "{loan:?}"
    );
    assert_eq!(deal(&deals, "d-two")["for_aggregates"], "true");
    let umbrella = deal(&deals, "d-programme");
    assert_eq!(umbrella["for_aggregates"], "false", "{umbrella:?}");
    assert!(umbrella["aggregate_note"].contains("umbrella of d-two"));
    // Declared distinct instead of linked by finances: both are counted.
    wd.write(
        "raw/a.toml",
        linked_deals(&links[..links.find("\n\n[[link]]\nfrom = \"deal:d-two\"").unwrap()]).replace(
            "relation = \"finances\"",
            "relation = \"distinct_from\"\nreason = \"test\"",
        ),
    );
    wd.ok(&["build"]);
    assert_eq!(deal(&rows(&wd, "deals"), "d-one")["for_aggregates"], "true");
}

#[test]
fn hand_set_flag_with_reason_wins_and_is_explained() {
    let wd = Workdir::new("meaning-hand-set");
    let text = linked_deals("").replacen(
        "status = \"completed\"",
        "status = \"completed\"\nfor_aggregates = false\nfor_aggregates_reason = \"Counted elsewhere.\"",
        1,
    );
    wd.write(
        "raw/a.toml",
        format!("{text}\n[[link]]\nfrom = \"deal:d-one\"\nrelation = \"distinct_from\"\nto = \"deal:d-two\"\nreason = \"Two deals.\"\nlocator = \"p5\"\n"),
    );
    wd.ok(&["build"]);
    let loan = deal(&rows(&wd, "deals"), "d-one").clone();
    assert_eq!(loan["for_aggregates"], "false");
    assert_eq!(
        loan["aggregate_note"],
        "set by hand in a: Counted elsewhere."
    );
}

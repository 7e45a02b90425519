//! Issue 10, meaning: amounts converted at ECB annual average rates (with the reason when
//! they cannot be), the exchange_rates table, CAMEO labels, and derived values marked.
//! Expected rates are recomputed here from the committed snapshot, independently of the
//! pipeline, and checked against the ECB's published annual averages.

mod common;
use common::{ROOT, Workdir};
use std::collections::HashMap;

const RAW: &str = r#"[source]
source_id = "a"
file = "a.txt"
title = "Source A"
year = 2024
kind = "news"

[[actor]]
id = "xi-jinping"
name = "Xi Jinping"
actor_type = "person"
country = "CN"
locator = "p1"

[[event]]
id = "e-agree"
date = "2019"
partner = "CN"
event_type = "agreement"
cameo = "057"
title = "An agreement is signed"
locator = "p2"
derived = { date = "the source says 'last year' and is dated 2020" }

[[event]]
id = "e-plain"
date = "2019-09"
partner = "CN"
event_type = "delivery"
cameo = "062"
title = "Goods arrive"
locator = "p3"

[[deal]]
id = "d-eur"
date = "2019-05"
partner = "CN"
deal_type = "contract"
title = "A contract in euros"
amount = "46 million"
currency = "EUR"
status = "signed"
locator = "p4"

[[deal]]
id = "d-usd"
date = "2019"
partner = "US"
deal_type = "contract"
title = "A contract in dollars"
amount = "100 million"
currency = "USD"
status = "signed"
locator = "p5"

[[deal]]
id = "d-cny"
date = "2019/2021"
partner = "CN"
deal_type = "loan"
title = "A loan in yuan"
amount = "7 billion"
currency = "CNY"
status = "signed"
locator = "p6"

[[deal]]
id = "d-rsd"
date = "2019"
partner = "CN"
deal_type = "contract"
title = "A contract in dinars"
amount = 1000
currency = "RSD"
status = "signed"
locator = "p7"

[[deal]]
id = "d-rub-2022"
date = "2022-06"
partner = "RU"
deal_type = "contract"
title = "A contract in roubles after March 2022"
amount = 1000
currency = "RUB"
status = "signed"
locator = "p8"

[[deal]]
id = "d-no-date"
partner = "CN"
deal_type = "contract"
title = "An undated contract"
amount = 5000
currency = "EUR"
status = "signed"
locator = "p9"

[[deal]]
id = "d-1998"
date = "1998"
partner = "US"
deal_type = "contract"
title = "A contract before the euro"
amount = 10
currency = "USD"
status = "signed"
locator = "p10"

[[deal]]
id = "d-year-override"
date = "2021"
partner = "CN"
deal_type = "contract"
title = "A price quoted two years earlier"
amount = 1000000
currency = "EUR"
amount_year = 2019
status = "signed"
locator = "p11"

[[deal]]
id = "d-no-amount"
date = "2019"
partner = "CN"
deal_type = "contract"
title = "A contract without a figure"
status = "signed"
locator = "p12"

[[indicator]]
id = "i-percent"
indicator = "import_share"
partner = "CN"
period = "2019"
value = 20
unit = "percent"
description = "A share"
locator = "p13"

[[indicator]]
id = "i-multi-year"
indicator = "loans_total"
partner = "CN"
period = "2009/2021"
value = "1 billion"
unit = "USD"
description = "Loans over twelve years"
locator = "p14"

[[indicator]]
id = "i-eur"
indicator = "imports"
partner = "CN"
period = "2019"
value = "5 billion"
unit = "EUR"
description = "Imports in a year"
locator = "p15"
"#;

/// Rows of an output CSV by id column, as column → text.
fn rows(wd: &Workdir, table: &str, id: &str) -> HashMap<String, HashMap<String, String>> {
    let text = wd.read_string(&format!("output/csv/{table}.csv"));
    let mut rd = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            let row: HashMap<String, String> = header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect();
            (row[id].clone(), row)
        })
        .collect()
}

/// Mean of the snapshot's daily rates of `cur` in `year`, and the number of days.
fn snapshot_mean(cur: &str, year: &str) -> (f64, usize) {
    let path = format!("{ROOT}/schema/snapshots/ecb-eurofxref-hist/eurofxref-hist.csv");
    let mut rd = csv::Reader::from_path(path).unwrap();
    let col = rd.headers().unwrap().iter().position(|h| h == cur).unwrap();
    let v: Vec<f64> = rd
        .records()
        .map(Result::unwrap)
        .filter(|r| r[0].starts_with(year) && &r[col] != "N/A")
        .map(|r| r[col].parse().unwrap())
        .collect();
    (v.iter().sum::<f64>() / v.len() as f64, v.len())
}

/// Converted amounts are rounded to whole units: equal within one unit.
fn close(got: f64, want: f64) {
    assert!((got - want.round()).abs() <= 1.0, "{got} vs {want}");
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} = `{}` is not a number", row[col]))
}

fn built(name: &str) -> Workdir {
    let wd = Workdir::new(name);
    wd.write("raw/a.toml", RAW);
    wd.ok(&["build"]);
    wd
}

#[test]
fn exchange_rates_are_the_ecb_annual_averages() {
    let wd = built("meaning-rates");
    let text = wd.read_string("output/csv/exchange_rates.csv");
    let mut rd = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let rates: HashMap<(String, String), HashMap<String, String>> = rd
        .records()
        .map(|r| {
            let row: HashMap<String, String> = header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect();
            ((row["year"].clone(), row["currency"].clone()), row)
        })
        .collect();
    let r = |y: &str, c: &str| &rates[&(y.to_string(), c.to_string())];
    // The ECB's published annual averages (4 decimals) for 2019 and 2021.
    for (y, c, published) in [
        ("2019", "USD", 1.1195),
        ("2019", "CNY", 7.7355),
        ("2021", "RUB", 87.1527),
    ] {
        let per_eur = num(r(y, c), "per_eur");
        assert!((per_eur - published).abs() < 5e-5, "{y} {c}: {per_eur}");
        assert_eq!(r(y, c)["days_averaged"], snapshot_mean(c, y).1.to_string());
    }
    assert_eq!(r("2019", "EUR")["per_eur"], "1");
    assert_eq!(r("2019", "USD")["per_usd"], "1");
    let cross = num(r("2019", "CNY"), "per_eur") / num(r("2019", "USD"), "per_eur");
    assert!((num(r("2019", "CNY"), "per_usd") - cross).abs() < 1e-12);
    assert!((num(r("2019", "CNY"), "per_eur") - snapshot_mean("CNY", "2019").0).abs() < 1e-12);
    // No rate, with the reason: RSD is not published; RUB stops in March 2022.
    assert_eq!(r("2019", "RSD")["per_eur"], "");
    assert!(r("2019", "RSD")["note"].contains("does not publish RSD"));
    assert_eq!(r("2022", "RUB")["per_eur"], "");
    assert!(
        r("2022", "RUB")["note"].contains("42 of 257 days"),
        "{:?}",
        r("2022", "RUB")
    );
    assert_eq!(r("2021", "RUB")["note"], "");
    // The ECB is acknowledged among the datapackage's sources, as its reuse policy asks.
    let dp: serde_json::Value =
        serde_json::from_slice(&wd.read("output/datapackage.json")).unwrap();
    let titles: Vec<&str> = dp["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("Source: ECB statistics")),
        "{titles:?}"
    );
}

#[test]
fn amounts_are_converted_at_the_annual_average_or_say_why_not() {
    let wd = built("meaning-conversion");
    let deals = rows(&wd, "deals", "deal_id");
    let (usd19, _) = snapshot_mean("USD", "2019");
    let (cny19, _) = snapshot_mean("CNY", "2019");
    let d = |id: &str| &deals[id];

    assert_eq!(num(d("d-eur"), "amount_eur"), 46e6);
    close(num(d("d-eur"), "amount_usd"), 46e6 * usd19);
    assert_eq!(d("d-eur")["conversion_note"], "");
    assert_eq!(num(d("d-usd"), "amount_usd"), 100e6);
    close(num(d("d-usd"), "amount_eur"), 100e6 / usd19);
    // A range: the year of date_start.
    close(num(d("d-cny"), "amount_eur"), 7e9 / cny19);
    close(num(d("d-cny"), "amount_usd"), 7e9 / cny19 * usd19);
    // amount_year overrides the date.
    close(num(d("d-year-override"), "amount_usd"), 1e6 * usd19);

    for (id, why) in [
        ("d-rsd", "no ECB reference rate for RSD in 2019"),
        ("d-rub-2022", "no ECB reference rate for RUB in 2022"),
        ("d-no-date", "no date"),
        ("d-no-amount", "no amount"),
        ("d-1998", "no ECB reference rate for 1998"),
    ] {
        assert!(d(id)["conversion_note"].contains(why), "{id}: {:?}", d(id));
        let empty = |c: &str| d(id)[c].is_empty();
        assert!(
            empty("amount_usd") || empty("amount_eur"),
            "{id}: {:?}",
            d(id)
        );
    }
    assert_eq!(d("d-rsd")["amount_usd"], "");
    assert_eq!(d("d-rsd")["amount_eur"], "");
    // Same currency needs no rate: 1998 dollars stay dollars, undated euros stay euros.
    assert_eq!(d("d-1998")["amount_usd"], "10");
    assert_eq!(d("d-1998")["amount_eur"], "");
    assert_eq!(d("d-no-date")["amount_eur"], "5000");
    assert_eq!(d("d-no-date")["amount_usd"], "");

    let ind = rows(&wd, "indicators", "indicator_id");
    close(num(&ind["i-eur"], "value_usd"), 5e9 * usd19);
    assert!(ind["i-percent"]["conversion_note"].contains("not a currency"));
    assert_eq!(ind["i-percent"]["value_usd"], "");
    assert!(ind["i-multi-year"]["conversion_note"].contains("spans several years"));
    assert_eq!(ind["i-multi-year"]["value_eur"], "");
}

#[test]
fn cameo_label_and_derived_marks_reach_the_output() {
    let wd = built("meaning-marks");
    let events = rows(&wd, "events", "event_id");
    assert_eq!(events["e-agree"]["cameo_label"], "Sign a formal agreement");
    assert_eq!(events["e-plain"]["cameo_label"], "Cooperate militarily");
    assert_eq!(events["e-agree"]["derived_fields"], "date");
    assert_eq!(events["e-plain"]["derived_fields"], "");

    let text = wd.read_string("output/csv/provenance.csv");
    let mut rd = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (rid, field, why) = (col("record_id"), col("field"), col("derived_reason"));
    let marked: Vec<(String, String, String)> = rd
        .records()
        .map(Result::unwrap)
        .filter(|r| !r[why].is_empty())
        .map(|r| (r[rid].to_string(), r[field].to_string(), r[why].to_string()))
        .collect();
    assert_eq!(
        marked,
        vec![(
            "e-agree".to_string(),
            "date".to_string(),
            "the source says 'last year' and is dated 2020".to_string()
        )]
    );
}

/// The real dataset: every event has a code its type allows (the build checks it), no event
/// keeps the leadership-change codes, and every EUR or USD deal with a date and an amount is
/// converted both ways; any other has its reason.
#[test]
fn real_dataset_codes_and_conversions() {
    let wd = Workdir::new("meaning-real");
    common::copy_dir(&std::path::Path::new(ROOT).join("raw"), &wd.path("raw"));
    wd.ok(&["build"]);
    let events = rows(&wd, "events", "event_id");
    assert!(
        events.len() >= 137,
        "the real data has every event of the first reading"
    );
    for (id, e) in &events {
        assert!(
            !e["cameo"].is_empty() && !e["cameo_label"].is_empty(),
            "{id}"
        );
        assert!(!e["cameo"].starts_with("083"), "{id}: {}", e["cameo"]);
    }
    let deals = rows(&wd, "deals", "deal_id");
    for (id, d) in &deals {
        let both = !d["amount_usd"].is_empty() && !d["amount_eur"].is_empty();
        assert_eq!(both, d["conversion_note"].is_empty(), "{id}: {d:?}");
        let dated = !d["date"].is_empty() && d["date"].as_str() >= "1999";
        if !d["amount"].is_empty() && dated && ["EUR", "USD"].contains(&d["currency"].as_str()) {
            assert!(both, "{id}: {d:?}");
        }
    }
    // The CNY swap of 2016 is converted at the 2016 average (whether it is summed is a
    // for_aggregates matter).
    let swap = &deals["pboc-currency-swap-2016"];
    let (cny16, _) = snapshot_mean("CNY", "2016");
    close(num(swap, "amount_eur"), 1.5e9 / cny16);
}

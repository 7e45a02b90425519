//! `pillars verify --sources DIR` on small fixtures written here.

mod common;
use common::Workdir;

const DOC: &str = "Serbia and China\n\
In 2016 HBIS bought the Smederevo steel mill for €46-million.\n\
Zijin took a 63% stake in RTB Bor in December 2018, pledging $1.26 billion.\n\
Some 1,000 cameras were installed, and nine drones were delivered.\n\
Two-thirds of exports went to the EU; over 70 per cent of people approve.\n\
The FK-3 air-defence system arrived.\n";

fn raw(deals: &str) -> String {
    format!(
        "[source]\nsource_id = \"doc\"\nfile = \"doc.txt\"\ntitle = \"T\"\nyear = 2020\nkind = \"news\"\n\n\
[[actor]]\nid = \"hbis\"\nname = \"HBIS Group\"\nactor_type = \"company\"\ncountry = \"CN\"\nlocator = \"para 1\"\n\n{deals}"
    )
}

const GOOD: &str = "[[deal]]\nid = \"smederevo\"\ndate = \"2016\"\npartner = \"CN\"\ndeal_type = \"acquisition\"\ntitle = \"HBIS buys the Smederevo mill for €46 million\"\ndescription = \"About 1,000 cameras and the FK-3 system; end-2018 pledge\"\nitem = \"Steel mill\"\namount = \"46 million\"\ncurrency = \"EUR\"\nlocator = \"para 1\"\n\n\
[[deal]]\nid = \"bor\"\ndate = \"2018-12\"\npartner = \"CN\"\ndeal_type = \"acquisition\"\ntitle = \"Zijin takes over RTB Bor\"\namount = \"1.26 billion\"\ncurrency = \"USD\"\nstake_pct = 63\nlocator = \"para 2\"\n\n\
[[deal]]\nid = \"drones\"\ndate = \"2016/2018\"\npartner = \"CN\"\ndeal_type = \"arms_purchase\"\ntitle = \"Drones\"\nquantity_delivered = 9\nlocator = \"para 3\"\n\n\
[[indicator]]\nid = \"eu-export-share\"\nindicator = \"export_share\"\npartner = \"EU\"\nperiod = \"2018\"\nvalue = 66.7\nunit = \"percent\"\nlocator = \"para 4\"\n\n\
[[indicator]]\nid = \"approval\"\nindicator = \"public_opinion\"\npartner = \"CN\"\nperiod = \"2016\"\nvalue = 70\nunit = \"percent\"\nlocator = \"para 4\"\n";

fn workdir(name: &str, deals: &str) -> Workdir {
    let wd = Workdir::new(name);
    wd.write("raw/doc.toml", raw(deals));
    wd.write("sources/doc.txt", DOC);
    wd
}

#[test]
fn figures_in_several_written_forms_pass() {
    let wd = workdir("verify-ok", GOOD);
    let err = wd.ok(&["verify", "--sources", "sources"]);
    assert!(err.contains("0 mismatches"), "{err}");
    assert!(err.contains("0 derived fields accepted"), "{err}");
    assert!(err.contains("ok: every figure is in its document"), "{err}");
}

#[test]
fn a_wrong_figure_fails_with_code_location_record_and_field() {
    let bad = GOOD.replace("amount = \"46 million\"", "amount = \"48 million\"");
    let wd = workdir("verify-mismatch", &bad);
    let err = wd.fails(&["verify", "--sources", "sources"]);
    assert!(err.contains("error[E0801]"), "{err}");
    let line = raw(&bad)
        .lines()
        .position(|l| l == "amount = \"48 million\"")
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("raw/doc.toml:{line}:10")),
        "no file:line:col in:\n{err}"
    );
    assert!(
        err.contains("record: deals `smederevo`, field `amount`"),
        "{err}"
    );
    assert!(err.contains("`46-million`"), "no hint in:\n{err}");
    assert!(err.contains("1 mismatch,"), "{err}");
}

#[test]
fn wrong_years_and_numbers_in_free_text_fail() {
    let bad = GOOD
        .replace("date = \"2016/2018\"", "date = \"2016/2019\"")
        .replace("the FK-3 system", "the FK-4 system")
        .replace("About 1,000 cameras", "About 1,200 cameras");
    let wd = workdir("verify-text", &bad);
    let err = wd.fails(&["verify", "--sources", "sources"]);
    assert!(err.contains("year 2019 is not in"), "{err}");
    assert!(err.contains("name `FK-4` in the text"), "{err}");
    assert!(err.contains("`1,200` in the text"), "{err}");
    assert!(err.contains("3 mismatches"), "{err}");
}

#[test]
fn a_derived_figure_is_accepted_and_counted() {
    let derived = GOOD.replace(
        "amount = \"46 million\"",
        "amount = \"50 million\"\nderived = { amount = \"converted from the euro figure\" }",
    );
    let wd = workdir("verify-derived", &derived);
    let err = wd.ok(&["verify", "--sources", "sources", "--show-derived"]);
    assert!(err.contains("1 derived fields accepted"), "{err}");
    assert!(err.contains("converted from the euro figure"), "{err}");
    // The same figure without the mark fails.
    let wd = workdir(
        "verify-underived",
        &GOOD.replace("amount = \"46 million\"", "amount = \"50 million\""),
    );
    wd.fails(&["verify", "--sources", "sources"]);
}

#[test]
fn a_missing_sources_dir_or_document_is_a_clear_error() {
    let wd = workdir("verify-nodir", GOOD);
    let err = wd.fails(&["verify", "--sources", "nowhere"]);
    assert!(err.contains("error[E0101]"), "{err}");
    assert!(
        err.contains("the sources directory nowhere does not exist"),
        "{err}"
    );
    std::fs::remove_file(wd.path("sources/doc.txt")).unwrap();
    let err = wd.fails(&["verify", "--sources", "sources"]);
    assert!(err.contains("error[E0802]"), "{err}");
    assert!(err.contains("cannot read the cited document"), "{err}");
    assert!(err.contains("raw/doc.toml:3:"), "{err}");
}

#[test]
fn free_text_copied_from_the_document_fails() {
    // Ten consecutive words of DOC, line 4, reused in a description.
    let copied = GOOD.replace(
        "description = \"About 1,000 cameras and the FK-3 system; end-2018 pledge\"",
        "description = \"Some 1,000 cameras were installed, and nine drones were delivered.\"",
    );
    let wd = workdir("verify-copied", &copied);
    let err = wd.fails(&["verify", "--sources", "sources"]);
    assert!(
        err.contains("error[E0803]: `description` repeats 10 or more consecutive words of doc.txt"),
        "{err}"
    );
    assert!(
        err.contains("record: deals `smederevo`, field `description`"),
        "{err}"
    );
    assert!(err.contains("1 copied text,"), "{err}");
    // Names and official titles may be quoted in full.
    let wd = workdir("verify-copied-name", GOOD);
    wd.write(
        "raw/doc.toml",
        raw(GOOD).replace(
            "name = \"HBIS Group\"",
            "name = \"Some 1,000 cameras were installed, and nine drones were delivered\"",
        ),
    );
    wd.ok(&["verify", "--sources", "sources"]);
}

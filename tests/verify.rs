//! `pillars verify --sources DIR` on small fixtures written here.

mod common;
use common::Workdir;

/// Six paragraphs (runs of non-blank lines): ¶1 the heading, ¶2–¶6 one fact each.
const DOC: &str = "Serbia and China\n\n\
In 2016 HBIS bought the Smederevo steel mill for €46-million.\n\n\
Zijin took a 63% stake in RTB Bor in December 2018, pledging $1.26 billion.\n\n\
Some 1,000 cameras were installed, and nine drones were delivered.\n\n\
Two-thirds of exports went to the EU; over 70 per cent of people approve.\n\n\
The FK-3 air-defence system arrived.\n";

fn raw(deals: &str) -> String {
    format!(
        "[source]\nsource_id = \"doc\"\nfile = \"doc.txt\"\ntitle = \"T\"\nyear = 2020\nkind = \"news\"\n\n\
[[actor]]\nid = \"hbis\"\nname = \"HBIS Group\"\nactor_type = \"company\"\ncountry = \"CN\"\nlocator = \"¶2\"\n\n{deals}"
    )
}

const GOOD: &str = "[[deal]]\nid = \"smederevo\"\ndate = \"2016\"\npartner = \"CN\"\ndeal_type = \"acquisition\"\ntitle = \"HBIS buys the Smederevo mill for €46 million\"\ndescription = \"About 1,000 cameras and the FK-3 system; end-2018 pledge\"\nitem = \"Steel mill\"\namount = \"46 million\"\ncurrency = \"EUR\"\nlocator = \"Serbia and China, ¶2; ¶5\"\n\n\
[[deal]]\nid = \"bor\"\ndate = \"2018-12\"\npartner = \"CN\"\ndeal_type = \"acquisition\"\ntitle = \"Zijin takes over RTB Bor\"\namount = \"1.26 billion\"\ncurrency = \"USD\"\nstake_pct = 63\nlocator = \"¶3\"\n\n\
[[deal]]\nid = \"drones\"\ndate = \"2016/2018\"\npartner = \"CN\"\ndeal_type = \"arms_purchase\"\ntitle = \"Drones\"\nquantity_delivered = 9\nlocator = \"¶3\"\n\n\
[[indicator]]\nid = \"eu-export-share\"\nindicator = \"export_share\"\npartner = \"EU\"\nperiod = \"2018\"\nvalue = 66.7\nunit = \"percent\"\nlocator = \"¶4\"\n\n\
[[indicator]]\nid = \"approval\"\nindicator = \"public_opinion\"\npartner = \"CN\"\nperiod = \"2016\"\nvalue = 70\nunit = \"percent\"\nlocator = \"¶2; ¶5\"\n";

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
    // Eight consecutive words of DOC, ¶4, reused in a description (ten in a title).
    let copied = GOOD.replace(
        "description = \"About 1,000 cameras and the FK-3 system; end-2018 pledge\"",
        "description = \"Some 1,000 cameras were installed, and nine drones arrived.\"",
    );
    let wd = workdir("verify-copied", &copied);
    let err = wd.fails(&["verify", "--sources", "sources"]);
    assert!(
        err.contains("error[E0803]: `description` repeats 8 or more consecutive words of doc.txt"),
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
        raw(GOOD)
            .replace(
                "name = \"HBIS Group\"",
                "name = \"Some 1,000 cameras were installed, and nine drones were delivered\"",
            )
            .replace(
                "country = \"CN\"\nlocator = \"¶2\"",
                "country = \"CN\"\nlocator = \"¶4\"",
            ),
    );
    wd.ok(&["verify", "--sources", "sources"]);
}

#[test]
fn a_locator_must_name_paragraphs_the_document_has() {
    let none = GOOD.replace(
        "locator = \"¶3\"\n\n[[deal]]\nid = \"drones\"",
        "locator = \"Zijin paragraph\"\n\n[[deal]]\nid = \"drones\"",
    );
    let wd = workdir("verify-loc-none", &none);
    let err = wd.fails(&["verify", "--sources", "sources"]);
    assert!(
        err.contains("error[E0804]: the locator `Zijin paragraph` names no paragraph"),
        "{err}"
    );
    assert!(
        err.contains("record: deals `bor`, field `locator`"),
        "{err}"
    );
    let zero = GOOD.replace(
        "locator = \"¶3\"\n\n[[deal]]\nid = \"drones\"",
        "locator = \"¶0\"\n\n[[deal]]\nid = \"drones\"",
    );
    let err = workdir("verify-loc-zero", &zero).fails(&["verify", "--sources", "sources"]);
    assert!(err.contains("error[E0804]"), "{err}");
    let past = GOOD.replace(
        "locator = \"¶3\"\n\n[[deal]]\nid = \"drones\"",
        "locator = \"¶7-9\"\n\n[[deal]]\nid = \"drones\"",
    );
    let err = workdir("verify-loc-past", &past).fails(&["verify", "--sources", "sources"]);
    assert!(
        err.contains("error[E0805]: the locator names ¶7-9 but doc.txt has 6 paragraphs"),
        "{err}"
    );
}

#[test]
fn a_figure_outside_the_named_passage_fails_and_says_where_it_is() {
    // 63 and $1.26 billion stand in ¶3; ¶6 ± 1 is ¶5-6.
    let moved = GOOD.replace(
        "locator = \"¶3\"\n\n[[deal]]\nid = \"drones\"",
        "locator = \"¶6\"\n\n[[deal]]\nid = \"drones\"",
    );
    let wd = workdir("verify-outside", &moved);
    let err = wd.fails(&["verify", "--sources", "sources"]);
    assert!(
        err.contains(
            "error[E0806]: `63` is in doc.txt but not in the passage the locator names (`¶6`)"
        ),
        "{err}"
    );
    assert!(err.contains("doc.txt states it in ¶3"), "{err}");
    assert!(
        err.contains("record: deals `bor`, field `stake_pct`"),
        "{err}"
    );
    // One paragraph of slack: ¶4 reaches ¶3.
    let near = GOOD.replace(
        "locator = \"¶3\"\n\n[[deal]]\nid = \"drones\"",
        "locator = \"¶4\"\n\n[[deal]]\nid = \"drones\"",
    );
    workdir("verify-slack", &near).ok(&["verify", "--sources", "sources"]);
}

#[test]
fn a_near_copied_description_fails() {
    // No run of 8 words is copied, but most 4-word runs are.
    let near = GOOD.replace(
        "description = \"About 1,000 cameras and the FK-3 system; end-2018 pledge\"",
        "description = \"In 2016 HBIS bought the Smederevo plant; the steel mill for 46 million\"",
    );
    let err = workdir("verify-near-copy", &near).fails(&["verify", "--sources", "sources"]);
    assert!(
        err.contains("error[E0803]: `description` nearly copies doc.txt"),
        "{err}"
    );
}

#[test]
fn the_source_year_cannot_predate_what_the_document_accessed() {
    let wd = workdir("verify-source-year", GOOD);
    wd.write(
        "sources/doc.txt",
        format!("{DOC}\nReferences: retrieved from the ministry site. Accessed 1 July 2024.\n"),
    );
    let err = wd.fails(&["verify", "--sources", "sources"]);
    assert!(
        err.contains(
            "error[E0807]: [source] year 2020, but doc.txt cites a page it accessed in 2024"
        ),
        "{err}"
    );
    wd.write(
        "raw/doc.toml",
        raw(GOOD).replace("year = 2020", "year = 2024"),
    );
    wd.ok(&["verify", "--sources", "sources"]);
}

#[test]
fn paragraphs_lists_and_prints_them() {
    let wd = workdir("paragraphs", GOOD);
    let out = wd.stdout(&["paragraphs", "sources/doc.txt"]);
    assert!(
        out.starts_with("¶1 (line 1): Serbia and China\n¶2 (line 3): In 2016 HBIS"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 6, "{out}");
    let one = wd.stdout(&["paragraphs", "sources/doc.txt", "6"]);
    assert_eq!(one, "¶6 (line 11)\nThe FK-3 air-defence system arrived.\n");
    let err = wd.fails(&["paragraphs", "sources/doc.txt", "7"]);
    assert!(err.contains("has 6 paragraphs, not ¶7"), "{err}");
}

//! `pillars codebook` and the staleness checks `pillars check` runs on what it writes.

mod common;
use common::Workdir;

const README: &str =
    "# test\n\n## Sources\n\n<!-- sources:start -->\nold\n<!-- sources:end -->\n\nafter\n";

fn built(name: &str) -> Workdir {
    let wd = Workdir::fixture(name, "mini");
    wd.write("README.md", README);
    wd.ok(&["build"]);
    wd
}

#[test]
fn codebook_describes_every_column_and_vocabulary() {
    let wd = built("codebook");
    wd.ok(&["codebook"]);
    let cb = wd.read_string("docs/CODEBOOK.md");
    assert!(cb.contains("## deals"), "{cb}");
    assert!(
        cb.contains("| `amount` | number | `currency` | ≥ 0 | Amount in full units of `currency` (46 million = 46000000). | `46000000` |"),
        "{cb}"
    );
    assert!(
        cb.contains("| `stake_pct` | number | percent | 0–100 |"),
        "{cb}"
    );
    assert!(
        cb.contains("| `date_precision` | code |  | `day`, `month`, `year` |"),
        "{cb}"
    );
    assert!(cb.contains("codes, see [`partners`](#vocabulary-partners)"));
    assert!(cb.contains("| `CN` | China |"));
    // Every column of every table is there.
    for t in std::fs::read_dir(wd.path("schema/tables"))
        .unwrap()
        .flatten()
    {
        let j: serde_json::Value =
            serde_json::from_slice(&std::fs::read(t.path()).unwrap()).unwrap();
        for f in j["fields"].as_array().unwrap() {
            let row = format!("| `{}` |", f["name"].as_str().unwrap());
            assert!(cb.contains(&row), "{row} missing");
        }
    }
}

#[test]
fn readme_block_counts_rows_per_source() {
    let wd = built("codebook-readme");
    wd.ok(&["codebook"]);
    let readme = wd.read_string("README.md");
    assert!(readme.starts_with("# test\n\n## Sources\n\n<!-- sources:start -->\n| file |"));
    assert!(
        readme.ends_with("<!-- sources:end -->\n\nafter\n"),
        "{readme}"
    );
    assert!(!readme.contains("\nold\n"));
    assert!(
        readme.contains(
            "| file | title | year | kind | actors | deals | events | indicators | links | visits |"
        ),
        "{readme}"
    );
    // alpha: 4 actors, 1 deal, 2 events (one with the formula title), 1 visit, 1 indicator;
    // beta has the one link.
    let alpha = readme
        .lines()
        .find(|l| l.starts_with("| `alpha.txt` |"))
        .unwrap();
    let beta = readme
        .lines()
        .find(|l| l.starts_with("| `beta.txt` |"))
        .unwrap();
    let counts = |l: &str| -> Vec<usize> {
        l.split('|')
            .skip(5)
            .filter_map(|c| c.trim().parse().ok())
            .collect()
    };
    let total = readme
        .lines()
        .find(|l| l.starts_with("| **rows in the table** |"))
        .unwrap();
    let (a, b, t) = (counts(alpha), counts(beta), counts(total));
    assert_eq!(a.len(), 6, "{alpha}");
    // Every row cites at least one source, and no table has more citations than rows × 2.
    for k in 0..6 {
        assert!(
            a[k] + b[k] >= t[k] && a[k] <= t[k] && b[k] <= t[k],
            "{readme}"
        );
    }
    let actors = wd.read_string("output/csv/actors.csv");
    let cites = |s: &str| {
        actors
            .lines()
            .skip(1)
            .filter(|l| l.split(',').any(|c| c.split(';').any(|x| x == s)))
            .count()
    };
    assert_eq!(a[0], cites("alpha"), "{readme}");
    assert_eq!(b[0], cites("beta"), "{readme}");
}

#[test]
fn check_fails_when_the_codebook_or_readme_block_is_stale() {
    let wd = built("codebook-check");
    let err = wd.fails(&["check"]);
    assert!(
        err.contains("docs/CODEBOOK.md: missing") && err.contains("README.md: the sources block"),
        "{err}"
    );
    wd.ok(&["codebook"]);
    wd.ok(&["check"]);
    let cb = wd.read_string("docs/CODEBOOK.md");
    wd.write("docs/CODEBOOK.md", cb.replace("China", "Chna"));
    let err = wd.fails(&["check"]);
    assert!(
        err.contains("error[E0701]") && err.contains("docs/CODEBOOK.md: differs from schema/"),
        "{err}"
    );
    assert!(!err.contains("README.md"), "{err}");
    wd.ok(&["codebook"]);
    let readme = wd.read_string("README.md");
    wd.write("README.md", readme.replace("| 1 |", "| 2 |"));
    let err = wd.fails(&["check"]);
    assert!(
        err.contains("README.md: the sources block differs"),
        "{err}"
    );
    wd.write("README.md", "no markers\n");
    let err = wd.fails(&["codebook"]);
    assert!(err.contains("no `<!-- sources:start -->` marker"), "{err}");
}

#[test]
fn check_says_when_there_is_no_readme_to_check() {
    let wd = Workdir::fixture("codebook-none", "mini");
    wd.ok(&["build"]);
    let err = wd.ok(&["check"]);
    assert!(err.contains("note: no README.md here"), "{err}");
}

#[test]
fn workbook_is_in_the_manifest() {
    let wd = built("codebook-xlsx");
    let m: serde_json::Value = serde_json::from_slice(&wd.read("output/manifest.json")).unwrap();
    let files = m["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f["path"] == "pillars.xlsx"));
    // An xlsx file is a zip archive.
    assert!(wd.read("output/pillars.xlsx").starts_with(b"PK\x03\x04"));
}

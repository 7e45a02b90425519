//! `pillars synth`: its output is a valid raw/ that builds cleanly with the current schema,
//! with the row counts it announces, and the same arguments give the same files.

mod common;
use common::Workdir;

/// The numbers in synth's summary line: `N files`, `N entries`, `(N shared`, `actors N`…,
/// `N resolutions`.
fn summary(stderr: &str) -> std::collections::HashMap<String, usize> {
    let line = stderr.lines().find(|l| l.starts_with("synth")).unwrap();
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || ",;:()".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    let mut m = std::collections::HashMap::new();
    for w in words.windows(2) {
        let (a, b) = (w[0], w[1]);
        match (a.parse::<usize>(), b.parse::<usize>()) {
            (Ok(n), _) if ["files", "entries", "shared", "resolutions"].contains(&b) => {
                m.insert(b.to_string(), n);
            }
            (_, Ok(n)) if ["actors", "events", "deals", "visits", "indicators"].contains(&a) => {
                m.insert(a.to_string(), n);
            }
            _ => {}
        }
    }
    assert_eq!(m.len(), 9, "cannot read the summary line: {line}");
    m
}

fn manifest_rows(wd: &Workdir, table: &str) -> u64 {
    let m: serde_json::Value = serde_json::from_slice(&wd.read("output/manifest.json")).unwrap();
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == format!("csv/{table}.csv"))
        .unwrap()["rows"]
        .as_u64()
        .unwrap()
}

#[test]
fn synthetic_raw_builds_with_the_announced_row_counts() {
    let wd = Workdir::new("synth-build");
    let err = wd.ok(&[
        "synth",
        "--records",
        "3000",
        "--files",
        "12",
        "--out",
        "raw",
    ]);
    let s = summary(&err);
    assert_eq!(s["entries"], 3000, "{err}");
    // 12 documents plus resolutions.toml and the manifest.json that marks the directory
    // as synth's (so that only synth replaces it).
    assert_eq!(std::fs::read_dir(wd.path("raw")).unwrap().count(), 14);
    assert!(wd.path("raw/manifest.json").is_file());
    let build = wd.ok(&["build"]);
    for table in ["actors", "events", "deals", "visits", "indicators"] {
        assert_eq!(
            manifest_rows(&wd, table),
            s[table] as u64,
            "{table}: synth said {}, build wrote another count\n{err}\n{build}",
            s[table]
        );
    }
    assert_eq!(manifest_rows(&wd, "sources"), 12);
    // Records shared across files were merged: fewer rows than entries.
    let shared = s["shared"];
    assert!(shared > 100, "too few shared records: {err}");
    let rows: usize = ["actors", "events", "deals", "visits", "indicators"]
        .iter()
        .map(|t| s[*t])
        .sum();
    assert_eq!(rows + shared, 3000, "{err}");
    // Every disagreement was settled by its resolution, and there are some.
    let resolutions = s["resolutions"];
    assert!(resolutions > 0, "{err}");
    assert!(
        build.contains(&format!("conflicts: {resolutions} resolved, 0 unresolved")),
        "{build}"
    );
    // A realistic mix: every date precision, ranges, scale words, refinements kept.
    let events = wd.read_string("output/csv/events.csv");
    for p in [",year,", ",month,", ",day,"] {
        assert!(events.contains(p), "no {p} dates in events");
    }
    let raw: String = std::fs::read_dir(wd.path("raw"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    for needle in [" million\"", " billion\"", "/", "[[resolution]]", "Vučić"] {
        assert!(raw.contains(needle), "synthetic raw/ has no {needle:?}");
    }
    let prov = wd.read_string("output/csv/provenance.csv");
    assert!(prov.contains(",false,"), "some claims were not kept");
    assert!(prov.contains("The first synthetic source is the more reliable one."));
}

#[test]
fn same_arguments_same_files_other_seed_other_files() {
    let wd = Workdir::new("synth-determinism");
    wd.ok(&["synth", "--records", "500", "--files", "5", "--out", "a"]);
    wd.ok(&["synth", "--records", "500", "--files", "5", "--out", "b"]);
    wd.ok(&[
        "synth",
        "--records",
        "500",
        "--files",
        "5",
        "--seed",
        "2",
        "--out",
        "c",
    ]);
    assert_eq!(wd.snapshot("a"), wd.snapshot("b"));
    assert_ne!(wd.snapshot("a"), wd.snapshot("c"));
}

#[test]
fn one_file_and_tiny_counts_still_build() {
    for (records, files) in [("1", "1"), ("7", "1"), ("40", "3")] {
        let wd = Workdir::new(&format!("synth-tiny-{records}-{files}"));
        let err = wd.ok(&[
            "synth",
            "--records",
            records,
            "--files",
            files,
            "--out",
            "raw",
        ]);
        assert_eq!(summary(&err)["entries"], records.parse::<usize>().unwrap());
        wd.ok(&["build"]);
    }
}

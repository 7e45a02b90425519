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

/// The stages that use several cores (normalise, validate, reconcile, export) report the
/// same problems in the same order, and write the same bytes, on 1 thread and on several.
#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let wd = Workdir::new("synth-threads");
    wd.ok(&["synth", "--records", "9000", "--files", "2", "--out", "raw"]);
    let run = |threads: &str, args: &[&str]| {
        let out = wd
            .command(args)
            .env("PILLARS_THREADS", threads)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Same bytes: a clean build on 1 and on 3 threads.
    for threads in ["1", "3"] {
        let (code, err) = run(
            threads,
            &["build", "--raw", "raw", "--out", &format!("out{threads}")],
        );
        assert_eq!(code, Some(0), "{err}");
    }
    assert_eq!(wd.snapshot("out1"), wd.snapshot("out3"));
    // Same problems: ids defined twice and bad ids, at the end of both files and between
    // their records, so that problems of several threads' runs interleave with them.
    for file in ["raw/synth-0000.toml", "raw/synth-0001.toml"] {
        let text = wd.read_string(file);
        let start = text.find("[[event]]").unwrap();
        let end = start + 9 + text[start + 9..].find("\n[[").unwrap();
        let block = &text[start..end];
        let bad = block.replacen("id = \"event-", "id = \"Event-", 1);
        let middle = text.len() / 2 + text[text.len() / 2..].find("\n[[").unwrap();
        let edited = format!(
            "{}\n{block}\n{bad}\n{}\n{block}\n",
            &text[..middle],
            &text[middle..]
        );
        wd.write(file, edited);
    }
    let one = run("1", &["validate", "--raw", "raw", "--quiet"]);
    assert_ne!(one.0, Some(0));
    assert!(
        one.1.matches("is defined twice in this file").count() >= 4,
        "{}",
        one.1
    );
    assert!(one.1.contains("is not a lowercase slug"), "{}", one.1);
    for threads in ["2", "5"] {
        let many = run(threads, &["validate", "--raw", "raw", "--quiet"]);
        assert_eq!(many, one, "{threads} threads");
    }
}

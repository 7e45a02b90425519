//! The error corpus: every directory of tests/bad/ is one broken input (a raw/, and a schema/
//! overlay where the case is about the schema) with the error it must produce in
//! `expect.toml`. For each case the real binary runs on a work directory where a good
//! output/ was built first, and the test asserts: exit code 1, the stable error code, the
//! file and line (and column where given) in the text report and in `--format json`, and that
//! output/ is byte-for-byte unchanged.
//!
//! expect.toml keys: `code`, `file`, `line` (0 = the whole file), `column`, `message` (a
//! fragment of the message), `setup` (a broken input made at test time: see `setup`),
//! `args` (extra arguments), `file_prefix` (the file is only a prefix: a temporary path),
//! `accepted` (the input is valid: the build must succeed), `count` (exactly this many errors).

mod common;
use common::{ROOT, Snapshot, Workdir, copy_dir};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// One #[test] per case directory; `CASES` lists them for the completeness test.
macro_rules! bad_cases {
    ($($test:ident: $dir:literal,)*) => {
        $( #[test] fn $test() { run_case($dir); } )*
        const CASES: &[&str] = &[$($dir),*];
    };
}

bad_cases! {
    aggregate_hand_set_without_reason: "aggregate-hand-set-without-reason",
    aggregate_sources_disagree: "aggregate-sources-disagree",
    amount_above_2_pow_53: "amount-above-2-pow-53",
    amount_malformed: "amount-malformed",
    amount_overflows_when_scaled: "amount-overflows-when-scaled",
    bom_only_file: "bom-only-file",
    cameo_missing: "cameo-missing",
    cameo_not_allowed: "cameo-not-allowed",
    cameo_pattern: "cameo-pattern",
    cameo_rules_missing_type: "cameo-rules-missing-type",
    cameo_unknown_code: "cameo-unknown-code",
    conflict_without_resolution: "conflict-without-resolution",
    dangling_actor_reference: "dangling-actor-reference",
    dangling_counterparty: "dangling-counterparty",
    date_as_toml_integer: "date-as-toml-integer",
    date_february_30: "date-february-30",
    date_future: "date-future",
    date_in_words: "date-in-words",
    date_month_13: "date-month-13",
    date_period_quarter: "date-period-quarter",
    date_range_reversed: "date-range-reversed",
    date_two_digit_year: "date-two-digit-year",
    deeply_nested_arrays: "deeply-nested-arrays",
    duplicate_event_visit: "duplicate-event-visit",
    duplicate_id_in_file: "duplicate-id-in-file",
    duplicate_resolved_by_link: "duplicate-resolved-by-link",
    duplicate_same_table: "duplicate-same-table",
    empty_file: "empty-file",
    file_50mb: "file-50mb",
    file_extension_uppercase: "file-extension-uppercase",
    id_not_a_slug: "id-not-a-slug",
    id_too_long_for_a_cell: "id-too-long-for-a-cell",
    indicator_percent_over_100: "indicator-percent-over-100",
    integer_above_2_pow_53: "integer-above-2-pow-53",
    integer_too_large: "integer-too-large",
    link_conflict: "link-conflict",
    link_cycle: "link-cycle",
    link_distinct_without_reason: "link-distinct-without-reason",
    link_missing_to: "link-missing-to",
    link_to_self: "link-to-self",
    link_two_relations: "link-two-relations",
    link_unknown_relation: "link-unknown-relation",
    link_unknown_target: "link-unknown-target",
    link_wrong_tables: "link-wrong-tables",
    list_item_with_separator: "list-item-with-separator",
    list_too_long_for_a_cell: "list-too-long-for-a-cell",
    missing_id: "missing-id",
    missing_required_field: "missing-required-field",
    missing_source: "missing-source",
    negative_amount: "negative-amount",
    non_utf8_latin1: "non-utf8-latin1",
    not_toml_json: "not-toml-json",
    not_toml_prose: "not-toml-prose",
    out_dotdot_raw: "out-dotdot-raw",
    out_extra_file_in_output: "out-extra-file-in-output",
    out_inside_raw: "out-inside-raw",
    out_inside_schema: "out-inside-schema",
    out_is_a_file: "out-is-a-file",
    out_is_current_directory: "out-is-current-directory",
    out_is_raw: "out-is-raw",
    out_is_root: "out-is-root",
    out_user_directory: "out-user-directory",
    output_parent_is_a_file: "output-parent-is-a-file",
    percent_over_100: "percent-over-100",
    quantity_not_integer: "quantity-not-integer",
    raw_empty: "raw-empty",
    raw_link_outside: "raw-link-outside",
    raw_missing: "raw-missing",
    required_text_empty: "required-text-empty",
    resolution_duplicate: "resolution-duplicate",
    resolution_merged_on_structured_field: "resolution-merged-on-structured-field",
    resolution_missing_value: "resolution-missing-value",
    resolution_unclaimed_value: "resolution-unclaimed-value",
    resolution_unknown_field: "resolution-unknown-field",
    resolution_unknown_table: "resolution-unknown-table",
    schema_constraint_wrong_type: "schema-constraint-wrong-type",
    schema_derive_type_mismatch: "schema-derive-type-mismatch",
    schema_duplicate_field: "schema-duplicate-field",
    schema_duplicate_json_key: "schema-duplicate-json-key",
    schema_duplicate_table_name: "schema-duplicate-table-name",
    schema_invalid_json: "schema-invalid-json",
    schema_json_error_crlf_non_ascii: "schema-json-error-crlf-non-ascii",
    schema_primary_key_empty: "schema-primary-key-empty",
    schema_provenance_computed_column: "schema-provenance-computed-column",
    schema_primary_key_unknown_field: "schema-primary-key-unknown-field",
    schema_reference_unknown_table: "schema-reference-unknown-table",
    schema_required_column_unfilled: "schema-required-column-unfilled",
    schema_sources_table_missing: "schema-sources-table-missing",
    schema_table_name_not_a_slug: "schema-table-name-not-a-slug",
    schema_two_tables_read_one_raw_table: "schema-two-tables-read-one-raw-table",
    schema_unknown_pipeline_property: "schema-unknown-pipeline-property",
    schema_unknown_type: "schema-unknown-type",
    schema_version_huge: "schema-version-huge",
    schema_vocabulary_missing: "schema-vocabulary-missing",
    snapshot_hash_mismatch: "snapshot-hash-mismatch",
    snapshot_malformed: "snapshot-malformed",
    source_file_double_extension: "source-file-double-extension",
    source_id_mismatch: "source-id-mismatch",
    source_file_path: "source-file-path",
    source_table_not_table: "source-table-not-table",
    source_url_not_http: "source-url-not-http",
    source_year_in_future: "source-year-in-future",
    text_nul_character: "text-nul-character",
    text_terminal_escape: "text-terminal-escape",
    text_too_long_for_a_cell: "text-too-long-for-a-cell",
    toml_datetime_as_title: "toml-datetime-as-title",
    toml_duplicate_key: "toml-duplicate-key",
    toml_missing_equals: "toml-missing-equals",
    toml_unclosed_header: "toml-unclosed-header",
    toml_unterminated_string: "toml-unterminated-string",
    unknown_currency: "unknown-currency",
    unknown_event_type: "unknown-event-type",
    unknown_field: "unknown-field",
    unknown_field_in_resolution: "unknown-field-in-resolution",
    unknown_field_in_source: "unknown-field-in-source",
    unknown_partner: "unknown-partner",
    unknown_sector: "unknown-sector",
    unknown_source_kind: "unknown-source-kind",
    unknown_table: "unknown-table",
    unreadable_dangling_symlink: "unreadable-dangling-symlink",
    unreadable_entry_is_directory: "unreadable-entry-is-directory",
    unreadable_fifo: "unreadable-fifo",
    utf8_bom_accepted: "utf8-bom-accepted",
    whitespace_only_file: "whitespace-only-file",
    wrong_type_boolean_as_string: "wrong-type-boolean-as-string",
    wrong_type_id_integer: "wrong-type-id-integer",
    wrong_type_list_as_string: "wrong-type-list-as-string",
    wrong_type_list_of_integers: "wrong-type-list-of-integers",
    wrong_type_nested_table: "wrong-type-nested-table",
    wrong_type_single_brackets: "wrong-type-single-brackets",
    wrong_type_year_string: "wrong-type-year-string",
    year_out_of_range: "year-out-of-range",
}

#[derive(Debug, Default)]
struct Expect {
    code: String,
    file: String,
    line: Option<i64>,
    column: Option<i64>,
    message: String,
    setup: Option<String>,
    args: Vec<String>,
    file_prefix: bool,
    accepted: bool,
    count: Option<i64>,
}

fn load_expect(dir: &Path) -> Expect {
    let text = std::fs::read_to_string(dir.join("expect.toml"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let t: toml::Table = text.parse().unwrap();
    let s = |k: &str| t.get(k).and_then(|v| v.as_str()).map(String::from);
    Expect {
        code: s("code").unwrap_or_default(),
        file: s("file").unwrap_or_default(),
        line: t.get("line").and_then(|v| v.as_integer()),
        column: t.get("column").and_then(|v| v.as_integer()),
        message: s("message").unwrap_or_default(),
        setup: s("setup"),
        args: t
            .get("args")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default(),
        file_prefix: t.get("file_prefix").and_then(|v| v.as_bool()) == Some(true),
        accepted: t.get("accepted").and_then(|v| v.as_bool()) == Some(true),
        count: t.get("count").and_then(|v| v.as_integer()),
    }
}

/// Broken inputs that cannot (or should not) be committed, made in the work directory.
/// The unreadable-input cases fail for root too (CI runs as root, where chmod 000 does not
/// stop reads): a directory, a dangling symlink and a FIFO named *.toml.
fn setup(wd: &Workdir, what: &str) {
    match what {
        "deep-nesting" => {
            let n = 100_000;
            wd.write(
                "raw/deep.toml",
                format!(
                    "[source]\nsource_id = \"deep\"\nx = {}{}\n",
                    "[".repeat(n),
                    "]".repeat(n)
                ),
            );
        }
        "big-file" => {
            // 50 MB of valid TOML: a source table followed by comment lines.
            let mut s = String::from(
                "[source]\nsource_id = \"big\"\nfile = \"big.txt\"\ntitle = \"Big\"\nyear = 2024\nkind = \"news\"\n",
            );
            let line = format!("# {}\n", "x".repeat(97));
            while s.len() < 50 * 1024 * 1024 {
                s.push_str(&line);
            }
            wd.write("raw/big.toml", s);
        }
        "raw-empty" => std::fs::create_dir_all(wd.path("raw")).unwrap(),
        "raw-missing" => assert!(!wd.path("raw").exists()),
        "toml-directory" => std::fs::create_dir_all(wd.path("raw/b.toml")).unwrap(),
        "dangling-symlink" => {
            std::os::unix::fs::symlink("does-not-exist.toml", wd.path("raw/b.toml")).unwrap()
        }
        "fifo" => {
            let ok = Command::new("mkfifo")
                .arg(wd.path("raw/b.toml"))
                .status()
                .unwrap();
            assert!(ok.success(), "mkfifo failed");
        }
        "out-parent-is-file" => wd.write(
            "blocker",
            "a regular file, so blocker/output cannot be created\n",
        ),
        // Outputs that are not pillars': each must be refused and left exactly as it was
        // (checked by `user_data_untouched` after the case).
        "user-file" => wd.write("notes.txt", "the user's notes\n"),
        "user-directory" => wd.write("mydata/thesis.txt", "chapter one\n"),
        "output-with-extra-file" => {
            copy_dir(&wd.path("output"), &wd.path("prev"));
            wd.write("prev/notes.txt", "the user's notes\n");
        }
        "raw-link-outside" => {
            wd.write(
                "elsewhere.toml",
                "[source]\nsource_id = \"b\"\nfile = \"b.txt\"\ntitle = \"B\"\nyear = 2024\nkind = \"news\"\n",
            );
            std::os::unix::fs::symlink("../elsewhere.toml", wd.path("raw/b.toml")).unwrap()
        }
        "no-sources-schema" => std::fs::remove_file(wd.path("schema/tables/sources.json")).unwrap(),
        other => panic!("unknown setup `{other}`"),
    }
}

/// Everything in the work directory but output/ (a failed build must change none of it):
/// file contents, link targets, and what any other entry is. Never reads through a link or
/// a FIFO.
fn user_data(wd: &Workdir) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, rel: &str, all: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = format!("{rel}{}", e.file_name().to_string_lossy());
            if name == "output" {
                continue;
            }
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            let t = m.file_type();
            let v = if t.is_symlink() {
                let target = std::fs::read_link(e.path()).unwrap();
                format!("link to {}", target.display()).into_bytes()
            } else if t.is_dir() {
                walk(&e.path(), &format!("{name}/"), all);
                b"directory".to_vec()
            } else if t.is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                b"special".to_vec()
            };
            all.insert(name, v);
        }
    }
    let mut all = BTreeMap::new();
    walk(&wd.dir, "", &mut all);
    all
}

/// The blocks of a text report, one per problem.
fn blocks(stderr: &str) -> Vec<String> {
    stderr
        .split("\n\n")
        // The first block follows the progress lines.
        .filter_map(|b| b.find("error[").map(|i| format!("{}\n", &b[i..])))
        .collect()
}

fn run_case(case: &str) {
    let dir = Path::new(ROOT).join("tests/bad").join(case);
    let exp = load_expect(&dir);
    let wd = Workdir::fixture(&format!("bad-{case}"), "mini");
    wd.ok(&["build"]);
    let before = wd.snapshot("output");
    assert_eq!(before.len(), 21, "the good build wrote output/");

    std::fs::remove_dir_all(wd.path("raw")).unwrap();
    if dir.join("raw").is_dir() {
        copy_dir(&dir.join("raw"), &wd.path("raw"));
    }
    if dir.join("schema").is_dir() {
        copy_dir(&dir.join("schema"), &wd.path("schema"));
    }
    if let Some(s) = &exp.setup {
        setup(&wd, s);
    }
    let user = user_data(&wd);
    let mut args = vec!["build".to_string()];
    args.extend(exp.args.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    if exp.accepted {
        accepted(&wd, case, &args);
        return;
    }
    text_report(&wd, case, &exp, &args, &before);
    json_report(&wd, case, &exp, &args, &before);
    assert_eq!(
        user,
        user_data(&wd),
        "{case}: raw/, schema/ or the user's files changed"
    );
    // No temporary directories left beside output/.
    let leftovers: Vec<_> = std::fs::read_dir(&wd.dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".output"))
        .collect();
    assert!(leftovers.is_empty(), "{case}: {leftovers:?}");
}

/// A case the build accepts: it builds, the data is right, and `check` agrees.
fn accepted(wd: &Workdir, case: &str, args: &[&str]) {
    let o = common::run_timed(wd.command(args), 120);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{case}: should build:\n{err}");
    let sources = wd.read_string("output/csv/sources.csv");
    assert!(sources.contains("\na,"), "{case}: {sources}");
    // The CSV starts with its own BOM (docs/CSV.md); the raw file's BOM must not reach a cell.
    let body = sources.strip_prefix('\u{feff}').unwrap_or(&sources);
    assert!(
        !body.contains('\u{feff}'),
        "{case}: the raw file's BOM leaked into the data"
    );
    wd.ok(&["check"]);
}

/// The text report: exit 1, the expected code at the expected place, rustc-style, and
/// output/ unchanged.
fn text_report(wd: &Workdir, case: &str, exp: &Expect, args: &[&str], before: &Snapshot) {
    let o = common::run_timed(wd.command(args), 120);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{case}: exit code\n{err}");
    let header = match (exp.line, exp.column) {
        (Some(0) | None, _) if exp.file_prefix => format!("--> {}", exp.file),
        (Some(0), _) => format!("--> {}\n", exp.file),
        (Some(l), Some(c)) => format!("--> {}:{l}:{c}\n", exp.file),
        (Some(l), None) => format!("--> {}:{l}:", exp.file),
        (None, _) => format!("--> {}", exp.file),
    };
    let code = format!("error[{}]: ", exp.code);
    let block = blocks(&err)
        .into_iter()
        .find(|b| b.starts_with(&code) && b.contains(&header))
        .unwrap_or_else(|| panic!("{case}: no `{code}` at `{}` in:\n{err}", header.trim()));
    let first = block.lines().next().unwrap();
    assert!(
        first.contains(&exp.message),
        "{case}: message `{first}` lacks `{}`",
        exp.message
    );
    if let Some(l) = exp.line.filter(|l| *l > 0) {
        // rustc-style: the offending line and a caret under it.
        assert!(
            block.contains(&format!("\n {l} | ")),
            "{case}: no source line:\n{block}"
        );
        assert!(block.contains('^'), "{case}: no caret:\n{block}");
    }
    if exp.file.starts_with("raw/") {
        assert!(
            block.contains("= expected: "),
            "{case}: no `expected:`\n{block}"
        );
    }
    assert!(err.contains("nothing was written"), "{case}:\n{err}");
    // Readable by a person: a runaway line (deep nesting) is shown as a window, not whole.
    let longest = err.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(
        longest < 300,
        "{case}: a {longest}-character line in the report"
    );
    assert_eq!(*before, wd.snapshot("output"), "{case}: output/ changed");
}

/// The JSON report: alone on stderr, parseable, with the same location; output/ unchanged.
fn json_report(wd: &Workdir, case: &str, exp: &Expect, args: &[&str], before: &Snapshot) {
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let o = common::run_timed(wd.command(&json_args), 120);
    assert_eq!(o.status.code(), Some(1), "{case}: exit code (json)");
    let j: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap_or_else(|e| {
        panic!(
            "{case}: stderr is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let errors = j["errors"].as_array().unwrap();
    assert_eq!(j["count"].as_u64(), Some(errors.len() as u64));
    if let Some(n) = exp.count {
        assert_eq!(errors.len() as i64, n, "{case}: number of errors\n{j:#}");
    }
    let hit = errors.iter().find(|e| {
        let file = e["file"].as_str().unwrap_or_default();
        e["code"] == exp.code.as_str()
            && (file == exp.file || (exp.file_prefix && file.starts_with(&exp.file)))
            && exp.line.is_none_or(|l| e["line"].as_i64() == Some(l))
            && exp.column.is_none_or(|c| e["column"].as_i64() == Some(c))
            && e["message"].as_str().unwrap().contains(&exp.message)
    });
    assert!(
        hit.is_some(),
        "{case}: no matching JSON error for {exp:?} in\n{j:#}"
    );
    assert_eq!(
        *before,
        wd.snapshot("output"),
        "{case}: output/ changed (json)"
    );
}

#[test]
fn every_case_directory_has_a_test_and_an_expectation() {
    let mut dirs: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("tests/bad"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        dirs, listed,
        "tests/bad/ directories and the bad_cases! list differ"
    );
    assert!(dirs.len() >= 40, "only {} cases", dirs.len());
    for d in &dirs {
        let e = load_expect(&Path::new(ROOT).join("tests/bad").join(d));
        assert!(
            e.accepted || (e.code.len() == 5 && !e.file.is_empty()),
            "{d}: {e:?}"
        );
    }
}

/// raw/a.toml (an impossible date and an unknown currency), b.toml (a malformed date) and
/// c.toml (an impossible date), written in reverse order: the report order must not depend on
/// it.
fn write_three_bad_files(wd: &Workdir) {
    let a = std::fs::read_to_string(Path::new(ROOT).join("tests/bad/date-month-13/raw/a.toml"))
        .unwrap()
        .replace("currency = \"EUR\"", "currency = \"EURO\"");
    let b = a
        .replace("source_id = \"a\"", "source_id = \"b\"")
        .replace("date = \"2019-13\"", "date = \"19-09\"")
        .replace("currency = \"EURO\"", "currency = \"EUR\"");
    let c = a
        .replace("source_id = \"a\"", "source_id = \"c\"")
        .replace("date = \"2019-13\"", "date = \"2019-02-30\"")
        .replace("currency = \"EURO\"", "currency = \"EUR\"");
    std::fs::remove_dir_all(wd.path("raw")).unwrap();
    wd.write("raw/c.toml", c);
    wd.write("raw/b.toml", b);
    wd.write("raw/a.toml", a);
}

/// An error block's code and its `file:line:column`.
fn code_and_place(block: &str) -> (String, String) {
    let code = block[6..11].to_string();
    let at = block.lines().nth(1).unwrap().trim();
    (code, at.trim_start_matches("--> ").to_string())
}

/// Errors in several files, found by the same stage, all come in one run, sorted by file and
/// line, identically on every run.
#[test]
fn several_errors_in_several_files_are_reported_together_in_a_stable_order() {
    let wd = Workdir::fixture("bad-several", "mini");
    wd.ok(&["build"]);
    let before = wd.snapshot("output");
    write_three_bad_files(&wd);
    let first = wd.fails(&["build", "--quiet"]);
    let second = wd.fails(&["build", "--quiet"]);
    assert_eq!(first, second, "the report is stable");
    let got: BTreeMap<usize, (String, String)> = blocks(&first)
        .iter()
        .map(|b| code_and_place(b))
        .enumerate()
        .collect();
    let want = [
        ("E0202", "raw/a.toml:17:8"),
        ("E0205", "raw/a.toml:34:12"),
        ("E0201", "raw/b.toml:17:8"),
        ("E0202", "raw/c.toml:17:8"),
    ];
    let got: Vec<(&str, &str)> = got
        .values()
        .map(|(c, a)| (c.as_str(), a.as_str()))
        .collect();
    assert_eq!(got, want, "{first}");
    for b in blocks(&first) {
        assert!(
            b.contains("\n 17 | date = ") || b.contains("\n 34 | currency = "),
            "{b}"
        );
        assert!(b.contains("^") && b.contains("= expected: "), "{b}");
    }
    assert!(
        first.ends_with("error: 4 problems found; nothing was written\n"),
        "{first}"
    );
    let o = wd.run(&["build", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(j["count"], 4);
    let lines: Vec<(String, i64)> = j["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("raw/a.toml", 17),
            ("raw/a.toml", 34),
            ("raw/b.toml", 17),
            ("raw/c.toml", 17)
        ]
        .map(|(f, l)| (f.to_string(), l))
    );
    assert_eq!(before, wd.snapshot("output"));
}

//! Numbered releases: the data's identity is its normalised content (a comment in raw/
//! changes nothing), `pillars release` bumps the version and writes releases.json,
//! CITATION.cff and the changelog entry from the diff; E1002–E1005.

mod common;
use common::Workdir;
use serde_json::Value;

fn manifest(wd: &Workdir, dir: &str) -> Value {
    serde_json::from_slice(&wd.read(&format!("{dir}/manifest.json"))).unwrap()
}

#[test]
fn a_comment_only_edit_changes_nothing_in_output() {
    let wd = Workdir::fixture("release-comment", "mini");
    wd.ok(&["build"]);
    let before = wd.snapshot("output");
    let raw = wd.read_string("raw/alpha.toml");
    let commented = format!(
        "# A note for annotators.\n\n{}\n# trailing comment\n",
        raw.replace("\n[[deal]]", "\n# the deal\n\n[[deal]]")
    );
    wd.write("raw/alpha.toml", commented);
    wd.ok(&["build"]);
    assert_eq!(
        wd.snapshot("output"),
        before,
        "identical bytes after a comment-only edit"
    );
    let v = manifest(&wd, "output");
    assert!(
        v["dataset_version"]
            .as_str()
            .unwrap()
            .starts_with("0.0.0+dev."),
        "{v}"
    );
    assert_eq!(v["content_sha256"].as_str().unwrap().len(), 64);
    assert!(v.get("inputs_sha256").is_none());
    // A change to the data changes its identity.
    wd.write(
        "raw/alpha.toml",
        raw.replace("Alpha paper", "Alpha paper, revised"),
    );
    wd.ok(&["build"]);
    assert_ne!(
        manifest(&wd, "output")["content_sha256"],
        v["content_sha256"]
    );
}

fn release_workdir(name: &str) -> Workdir {
    let wd = Workdir::fixture(name, "mini");
    wd.write(
        "CITATION.cff",
        "cff-version: 1.2.0\ntitle: \"Pillars\"\nversion: 0.1.0\n",
    );
    wd.write(
        "docs/CHANGELOG.md",
        "# Changelog\n\n## Conventions for new entries\n\nNewest first.\n",
    );
    wd
}

#[test]
fn release_cuts_numbered_versions_with_changelog_and_citation() {
    let wd = release_workdir("release-flow");
    let o = wd.run(&["release"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "git tag -a dataset-v1.0.0 -m \"pillars dataset 1.0.0\"\n"
    );
    let rel: Value = serde_json::from_slice(&wd.read("releases.json")).unwrap();
    assert_eq!(rel["releases"][0]["version"], "1.0.0");
    assert_eq!(rel["releases"][0]["date"], "2026-01-01");
    let m = manifest(&wd, "output");
    assert_eq!(m["dataset_version"], "1.0.0");
    assert_eq!(m["content_sha256"], rel["releases"][0]["content_sha256"]);
    let dp: Value = serde_json::from_slice(&wd.read("output/datapackage.json")).unwrap();
    assert_eq!(dp["version"], "1.0.0");
    let cff = wd.read_string("CITATION.cff");
    assert!(
        cff.contains("version: \"1.0.0\"\ndate-released: \"2026-01-01\""),
        "{cff}"
    );
    assert!(!cff.contains("0.1.0"));
    let log = wd.read_string("docs/CHANGELOG.md");
    assert!(log.contains("## 1.0.0 — 2026-01-01"), "{log}");
    assert!(log.find("## Conventions") < log.find("## 1.0.0"));
    // The build now carries the release's version, and nothing is left to release.
    wd.ok(&["build"]);
    assert_eq!(manifest(&wd, "output")["dataset_version"], "1.0.0");
    assert!(wd.fails(&["release"]).contains("E1003"));

    // Add a record; the next release diffs against the first one's output.
    std::fs::rename(wd.path("output"), wd.path("v1")).unwrap();
    let mut raw = wd.read_string("raw/beta.toml");
    raw += "\n[[event]]\nid = \"new-event\"\ndate = \"2024\"\npartner = \"EU\"\nevent_type = \"statement\"\ncameo = \"010\"\ntitle = \"A new statement\"\nlocator = \"para 9\"\n";
    wd.write("raw/beta.toml", raw);
    wd.ok(&["build"]);
    assert!(
        manifest(&wd, "output")["dataset_version"]
            .as_str()
            .unwrap()
            .starts_with("1.0.0+dev.")
    );
    let o = wd.run(&["release", "--previous", "v1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("dataset-v1.1.0"),
        "records added: minor"
    );
    let log = wd.read_string("docs/CHANGELOG.md");
    assert!(log.find("## 1.1.0") < log.find("## 1.0.0 "), "newest first");
    assert!(
        log.contains("new-event"),
        "the diff is in the entry:\n{log}"
    );
    assert!(log.contains("dataset version: 1.0.0 → 1.1.0"), "{log}");
    assert!(!log.contains("+dev."), "no scratch version in the entry");
    assert!(
        wd.read_string("CITATION.cff")
            .contains("version: \"1.1.0\"")
    );
}

#[test]
fn release_needs_the_previous_release_output() {
    let wd = release_workdir("release-no-tag");
    wd.ok(&["release"]);
    wd.write(
        "raw/alpha.toml",
        wd.read_string("raw/alpha.toml")
            .replace("Alpha paper", "Alpha"),
    );
    // No git tag dataset-v1.0.0 here (not a repository), and no --previous.
    let err = wd.fails(&["release"]);
    assert!(
        err.contains("E1004") && err.contains("dataset-v1.0.0"),
        "{err}"
    );
    let rel: Value = serde_json::from_slice(&wd.read("releases.json")).unwrap();
    assert_eq!(
        rel["releases"].as_array().unwrap().len(),
        1,
        "nothing recorded"
    );
}

#[test]
fn a_malformed_release_record_is_a_located_error() {
    let wd = Workdir::fixture("release-bad-record", "mini");
    wd.write("releases.json", "{\"releases\": [{\"version\": \"one\"}]}");
    let err = wd.fails(&["build"]);
    assert!(
        err.contains("E1002") && err.contains("releases.json"),
        "{err}"
    );
    wd.write(
        "releases.json",
        format!("{{\"releases\": [{{\"version\": \"v1\", \"date\": \"2026-01-01\", \"content_sha256\": \"{}\", \"schema_version\": \"1.0.0\"}}]}}", "0".repeat(64)),
    );
    assert!(wd.fails(&["build"]).contains("E1002"));
}

#[test]
fn check_fails_when_citation_is_not_the_latest_release() {
    let wd = release_workdir("release-citation");
    wd.ok(&["release"]);
    wd.ok(&["check"]);
    wd.write(
        "CITATION.cff",
        "cff-version: 1.2.0\nversion: \"0.9.0\"\ndate-released: \"2026-01-01\"\n",
    );
    let err = wd.fails(&["check"]);
    assert!(
        err.contains("E1005") && err.contains("CITATION.cff"),
        "{err}"
    );
}

fn git(wd: &Workdir, args: &[&str]) {
    let o = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(&wd.dir)
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn release_reads_the_previous_release_from_its_git_tag() {
    let wd = release_workdir("release-git-tag");
    git(&wd, &["init", "-q"]);
    wd.ok(&["release"]);
    git(&wd, &["add", "-A"]);
    git(&wd, &["commit", "-qm", "release 1.0.0"]);
    git(
        &wd,
        &["tag", "-a", "dataset-v1.0.0", "-m", "pillars dataset 1.0.0"],
    );
    wd.write(
        "raw/alpha.toml",
        wd.read_string("raw/alpha.toml")
            .replace("Alpha paper", "Alpha paper, revised"),
    );
    let o = wd.run(&["release"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("dataset-v1.0.1"),
        "a changed value: patch"
    );
    let log = wd.read_string("docs/CHANGELOG.md");
    assert!(
        log.contains("title: \"Alpha paper\" → \"Alpha paper, revised\""),
        "{log}"
    );
}

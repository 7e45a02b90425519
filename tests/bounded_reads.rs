//! Issue 9, section 3: every read is bounded. `check`, `diff` and `verify` read regular files
//! only, never follow a link out of the tree they were given, and refuse what is too large,
//! each with a located error and within a time limit (a hang fails the test, not CI).

mod common;
use common::Workdir;
use std::process::Command;
use std::time::Duration;

/// Runs, expects exit 1 and `code`; returns (stdout, stderr).
fn refused(wd: &Workdir, args: &[&str], code: &str) -> (String, String) {
    let o = common::run_timed(wd.command(args), 60);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert_eq!(o.status.code(), Some(1), "{args:?}:\n{err}");
    assert!(
        err.contains(&format!("error[{code}]")),
        "{args:?}: no {code}:\n{err}"
    );
    (out, err)
}

fn mkfifo(path: &std::path::Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

#[test]
fn check_does_not_follow_links_in_the_output() {
    let wd = Workdir::fixture("reads-check", "mini");
    wd.ok(&["build"]);
    // A link to the directory itself, a link to a file outside, a FIFO in place of a file.
    std::os::unix::fs::symlink(".", wd.path("output/csv/loop")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", wd.path("output/passwd")).unwrap();
    std::fs::remove_file(wd.path("output/csv/visits.csv")).unwrap();
    mkfifo(&wd.path("output/csv/visits.csv"));
    let (_, err) = refused(&wd, &["check"], "E0701");
    assert!(
        err.contains("output/csv/loop: not produced by the build"),
        "{err}"
    );
    assert!(
        err.contains("output/passwd: not produced by the build"),
        "{err}"
    );
    assert!(err.contains("visits.csv: not a regular file"), "{err}");
    assert!(!err.contains("root:"), "{err}");
}

#[test]
fn check_reads_no_more_of_a_file_than_the_build_writes() {
    let wd = Workdir::fixture("reads-check-big", "mini");
    wd.ok(&["build"]);
    // 2 GiB, sparse: reading it whole would take the time and memory of the audit's case.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(wd.path("output/csv/actors.csv"))
        .unwrap();
    f.set_len(2 << 30).unwrap();
    let (_, err) = refused(&wd, &["check"], "E0701");
    assert!(
        err.contains("actors.csv: differs from a fresh build"),
        "{err}"
    );
}

/// Two outputs to compare, with datapackage.json of `new` pointing `actors` at `path`.
fn diff_dirs(name: &str, path: &str) -> Workdir {
    let wd = Workdir::fixture(name, "mini");
    wd.ok(&["build", "-q", "--out", "old"]);
    wd.ok(&["build", "-q", "--out", "new"]);
    let dp = wd
        .read_string("new/datapackage.json")
        .replace("\"csv/actors.csv\"", &format!("\"{path}\""));
    wd.write("new/datapackage.json", dp);
    wd
}

#[test]
fn diff_refuses_paths_out_of_the_directory_fifos_and_devices() {
    for (path, code) in [
        ("/etc/passwd", "E0904"),
        ("../../../../../../etc/passwd", "E0904"),
        ("csv/../../old/csv/actors.csv", "E0904"),
        ("/dev/zero", "E0904"),
        ("csv/link.csv", "E0904"),
        ("csv/fifo.csv", "E0902"),
        ("csv/zero.csv", "E0904"),
    ] {
        let wd = diff_dirs(&format!("reads-diff-{code}-{}", path.len()), path);
        std::os::unix::fs::symlink("/etc/passwd", wd.path("new/csv/link.csv")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", wd.path("new/csv/zero.csv")).unwrap();
        mkfifo(&wd.path("new/csv/fifo.csv"));
        let (out, err) = refused(&wd, &["diff", "old", "new"], code);
        assert!(
            !out.contains("root:") && !err.contains("root:"),
            "{path}: {out}{err}"
        );
        assert!(
            err.contains("new/"),
            "{path}: the error names the file:\n{err}"
        );
    }
}

#[test]
fn diff_refuses_a_datapackage_that_is_a_link_out_or_a_fifo() {
    let wd = diff_dirs("reads-diff-dp", "csv/actors.csv");
    std::fs::remove_file(wd.path("new/datapackage.json")).unwrap();
    mkfifo(&wd.path("new/datapackage.json"));
    refused(&wd, &["diff", "old", "new"], "E0902");
    std::fs::remove_file(wd.path("new/datapackage.json")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", wd.path("new/datapackage.json")).unwrap();
    refused(&wd, &["diff", "old", "new"], "E0904");
}

#[test]
fn diff_refuses_a_table_over_the_size_limit() {
    let wd = diff_dirs("reads-diff-big", "csv/actors.csv");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(wd.path("new/csv/actors.csv"))
        .unwrap();
    f.set_len((1 << 30) + 1).unwrap();
    let (_, err) = refused(&wd, &["diff", "old", "new"], "E0903");
    assert!(err.contains("over the limit"), "{err}");
}

const RAW: &str = "[source]\nsource_id = \"doc\"\nfile = \"FILE\"\ntitle = \"T\"\nyear = 2020\nkind = \"news\"\n\n\
[[actor]]\nid = \"hbis\"\nname = \"HBIS Group\"\nactor_type = \"company\"\ncountry = \"CN\"\nlocator = \"para 1\"\n";

#[test]
fn verify_reads_only_plain_file_names_inside_the_sources_directory() {
    let wd = Workdir::new("reads-verify");
    wd.write("sources/doc.txt", "HBIS Group\n");
    std::os::unix::fs::symlink("/etc/passwd", wd.path("sources/link.txt")).unwrap();
    mkfifo(&wd.path("sources/fifo.txt"));
    for (file, code) in [
        ("../raw/doc.toml", "E0111"),
        ("/etc/passwd", "E0111"),
        ("link.txt", "E0904"),
        ("fifo.txt", "E0902"),
    ] {
        wd.write("raw/doc.toml", RAW.replace("FILE", file));
        let (_, err) = refused(&wd, &["verify", "--sources", "sources"], code);
        assert!(
            err.contains("--> raw/doc.toml:3:8"),
            "{file}: located:\n{err}"
        );
        assert!(!err.contains("root:"), "{err}");
    }
    // The build refuses the path too (E0111), and a `url` that is not http(s) (E0112).
    wd.write("raw/doc.toml", RAW.replace("FILE", "../x.txt"));
    let err = wd.fails(&["build"]);
    assert!(err.contains("error[E0111]"), "{err}");
    wd.write(
        "raw/doc.toml",
        RAW.replace("FILE", "doc.txt").replace(
            "title = \"T\"",
            "title = \"T\"\nurl = \"file:///etc/passwd\"",
        ),
    );
    let err = wd.fails(&["build"]);
    assert!(err.contains("error[E0112]"), "{err}");
}

#[test]
fn verify_refuses_a_document_over_the_size_limit_at_once() {
    let wd = Workdir::new("reads-verify-big");
    wd.write("raw/doc.toml", RAW.replace("FILE", "doc.txt"));
    wd.write("sources/doc.txt", "");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(wd.path("sources/doc.txt"))
        .unwrap();
    f.set_len(200 << 20).unwrap(); // 200 MiB, sparse
    let t = std::time::Instant::now();
    let (_, err) = refused(&wd, &["verify", "--sources", "sources"], "E0903");
    assert!(err.contains("--> raw/doc.toml:3:8"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

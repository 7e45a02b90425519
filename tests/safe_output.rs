//! Issue 9, section 1: pillars deletes or replaces only what pillars wrote. Each test runs the
//! real binary in a fresh directory and checks the user's files byte for byte afterwards.
//! (The refusals that are bad inputs of `build` are also cases of tests/bad/.)

mod common;
use common::Workdir;
use std::path::Path;

fn code(stderr: &str, code: &str) {
    assert!(
        stderr.contains(&format!("error[{code}]")),
        "expected {code} in:\n{stderr}"
    );
}

/// A work directory with the mini fixture built into output/.
fn built(name: &str) -> Workdir {
    let wd = Workdir::fixture(name, "mini");
    wd.ok(&["build"]);
    wd
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-") || n.contains(".old-"))
        .collect()
}

#[test]
fn a_directory_of_the_users_is_refused_and_left_as_it_was() {
    let wd = built("safe-user-dir");
    wd.write("mine/thesis.txt", "chapter one\n");
    wd.write("mine/sub/data.csv", "a,b\n1,2\n");
    let before = wd.snapshot("mine");
    let err = wd.fails(&["build", "--out", "mine"]);
    code(&err, "E0503");
    assert!(err.contains("--> mine\n"), "{err}");
    assert_eq!(before, wd.snapshot("mine"));
    assert!(leftovers(&wd.dir).is_empty());
}

#[test]
fn the_annotations_are_never_an_output() {
    let wd = built("safe-raw");
    let raw = wd.snapshot("raw");
    let schema = wd.snapshot("schema");
    for out in [
        "raw",
        "raw/../raw",
        "./raw",
        "raw/new",
        "schema",
        "schema/tables",
        ".",
        "..",
    ] {
        let err = wd.fails(&["build", "--out", out]);
        code(&err, "E0502");
        assert_eq!(raw, wd.snapshot("raw"), "--out {out}");
        assert_eq!(schema, wd.snapshot("schema"), "--out {out}");
    }
    // Through a link too: the canonical paths are compared.
    std::os::unix::fs::symlink("raw", wd.path("alias")).unwrap();
    code(&wd.fails(&["build", "--out", "alias"]), "E0502");
    // The same rule for synth: the real annotations are not replaced by synthetic ones.
    code(
        &wd.fails(&["synth", "--records", "10", "--out", "raw"]),
        "E0503",
    );
    assert_eq!(raw, wd.snapshot("raw"));
    assert!(!wd.path("raw/new").exists());
}

#[test]
fn the_home_directory_and_its_parents_are_never_an_output() {
    let wd = built("safe-home");
    std::fs::create_dir_all(wd.path("home/me")).unwrap();
    wd.write("home/me/letter.txt", "dear\n");
    for out in ["home/me", "home"] {
        let o = wd
            .command(&["build", "--out", out])
            .env("HOME", wd.path("home/me"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        code(&err, "E0502");
        assert!(err.contains("home directory"), "{err}");
    }
    assert_eq!(wd.read_string("home/me/letter.txt"), "dear\n");
}

#[test]
fn a_regular_file_is_not_hidden_or_replaced() {
    let wd = built("safe-file");
    wd.write("notes.txt", "keep me\n");
    code(&wd.fails(&["build", "--out", "notes.txt"]), "E0503");
    assert_eq!(wd.read_string("notes.txt"), "keep me\n");
    assert!(leftovers(&wd.dir).is_empty(), "{:?}", leftovers(&wd.dir));
}

/// A change a user makes to a previous output.
type Change = fn(&Workdir);

#[test]
fn a_previous_output_with_anything_added_or_changed_is_refused() {
    let wd = built("safe-prev");
    let good = wd.snapshot("output");
    // An extra file, an extra directory, a changed file, a link: each is refused.
    let cases: [(&str, Change); 5] = [
        ("extra file", |wd| wd.write("output/csv/mine.csv", "x\n")),
        // Same size: only the SHA-256 tells (the quick check before the build compares
        // sizes; the one before writing compares hashes).
        ("changed file, same size", |wd| {
            let mut b = wd.read("output/csv/actors.csv");
            let last = b.len() - 3;
            b[last] = if b[last] == b'x' { b'y' } else { b'x' };
            wd.write("output/csv/actors.csv", b);
        }),
        ("extra directory", |wd| {
            std::fs::create_dir(wd.path("output/drafts")).unwrap()
        }),
        ("changed file", |wd| {
            let mut b = wd.read("output/csv/actors.csv");
            b.extend_from_slice(b"my,own,row\n");
            wd.write("output/csv/actors.csv", b);
        }),
        ("link", |wd| {
            std::os::unix::fs::symlink("/etc/hostname", wd.path("output/host")).unwrap()
        }),
    ];
    for (what, make) in cases {
        make(&wd);
        let before = wd.snapshot("output");
        let err = wd.fails(&["build"]);
        code(&err, "E0503");
        assert_eq!(before, wd.snapshot("output"), "{what}");
        // Put the good output back for the next case.
        std::fs::remove_dir_all(wd.path("output")).unwrap();
        for (rel, bytes) in &good {
            wd.write(&format!("output/{rel}"), bytes);
        }
        wd.ok(&["build"]);
    }
    // A manifest.json that is not pillars' does not make a directory pillars'.
    wd.write("other/manifest.json", "{\"files\": []}\n");
    wd.write("other/data.txt", "x\n");
    code(&wd.fails(&["build", "--out", "other"]), "E0503");
    assert_eq!(wd.read_string("other/data.txt"), "x\n");
}

#[test]
fn absent_empty_and_previous_outputs_are_written() {
    let wd = built("safe-ok");
    let first = wd.snapshot("output");
    std::fs::create_dir(wd.path("empty")).unwrap();
    wd.ok(&["build", "--out", "empty"]);
    assert_eq!(first, wd.snapshot("empty"));
    wd.ok(&["build", "--out", "new/nested/out"]);
    assert_eq!(first, wd.snapshot("new/nested/out"));
    // `output/../output` names output/: replaced, never lost.
    wd.ok(&["build", "--out", "output/../output"]);
    assert_eq!(first, wd.snapshot("output"));
    wd.ok(&["check"]);
    assert!(leftovers(&wd.dir).is_empty());
}

#[test]
fn a_linked_output_keeps_its_link_and_replaces_the_target() {
    let wd = built("safe-link");
    std::fs::rename(wd.path("output"), wd.path("real")).unwrap();
    std::os::unix::fs::symlink("real", wd.path("output")).unwrap();
    wd.ok(&["build"]);
    let m = std::fs::symlink_metadata(wd.path("output")).unwrap();
    assert!(m.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        std::fs::read_link(wd.path("output")).unwrap(),
        Path::new("real")
    );
    assert!(wd.path("real/manifest.json").is_file());
    assert!(leftovers(&wd.dir).is_empty());
    // A link to nowhere is refused, and stays.
    std::os::unix::fs::symlink("nowhere", wd.path("dangling")).unwrap();
    code(&wd.fails(&["build", "--out", "dangling"]), "E0503");
    assert!(!wd.path("nowhere").exists());
}

#[test]
fn leftovers_of_a_dead_build_are_removed_and_reported() {
    let wd = built("safe-leftovers");
    // Process numbers above the kernel's limit (4,194,304) are never alive.
    wd.write(".output.tmp-99999999/csv/half.csv", "a,b\n");
    wd.write(".output.old-99999998/manifest.json", "{}\n");
    // Not ours: a user's file with a similar name stays.
    wd.write(".output.tmp-notes", "mine\n");
    let err = wd.ok(&["build"]);
    assert!(
        err.contains("removed") && err.contains(".output.tmp-99999999"),
        "{err}"
    );
    assert!(err.contains(".output.old-99999998"), "{err}");
    assert!(!wd.path(".output.tmp-99999999").exists());
    assert!(!wd.path(".output.old-99999998").exists());
    assert_eq!(wd.read_string(".output.tmp-notes"), "mine\n");
    wd.ok(&["check"]);
}

#[test]
fn an_old_output_left_by_a_crash_between_two_renames_is_restored() {
    // The fallback without RENAME_EXCHANGE: killed after moving output/ aside.
    let wd = built("safe-restore");
    let good = wd.snapshot("output");
    std::fs::rename(wd.path("output"), wd.path(".output.old-99999999")).unwrap();
    // A failing build still restores the previous output first.
    wd.write("raw/zz.toml", "not toml");
    let err = wd.fails(&["build"]);
    assert!(err.contains("E0103"), "{err}");
    assert!(err.contains("note: restored the previous output"), "{err}");
    assert_eq!(good, wd.snapshot("output"));
    assert!(leftovers(&wd.dir).is_empty());
    std::fs::remove_file(wd.path("raw/zz.toml")).unwrap();
    wd.ok(&["build"]);
    assert_eq!(good, wd.snapshot("output"));
}

#[test]
fn synth_replaces_only_its_own_directory() {
    let wd = Workdir::new("safe-synth");
    wd.ok(&["synth", "--records", "50", "--files", "2", "--out", "syn"]);
    wd.ok(&["synth", "--records", "60", "--files", "3", "--out", "syn"]);
    assert!(wd.path("syn/manifest.json").is_file());
    wd.write("syn/mine.toml", "# mine\n");
    code(
        &wd.fails(&["synth", "--records", "60", "--out", "syn"]),
        "E0503",
    );
    assert_eq!(wd.read_string("syn/mine.toml"), "# mine\n");
    // A build output is not a synth output, and the other way round.
    std::fs::remove_file(wd.path("syn/mine.toml")).unwrap();
    wd.ok(&["build", "--raw", "syn", "--out", "built"]);
    code(
        &wd.fails(&["synth", "--records", "5", "--out", "built"]),
        "E0503",
    );
    code(&wd.fails(&["build", "--out", "syn"]), "E0503");
    assert!(wd.path("syn/manifest.json").is_file());
}

#[test]
fn schema_lock_writes_version_and_lock_together_or_nothing_on_a_full_disk() {
    let wd = Workdir::new("safe-schema-lock");
    let rel = "schema/tables/sources.json";
    let text = wd.read_string(rel);
    assert!(text.contains("Title of the document."));
    wd.write(
        rel,
        text.replace(
            "Title of the document.",
            "Title of the document, as printed.",
        ),
    );
    let before = wd.snapshot("schema");
    let version = wd.read_string("schema/VERSION");
    // A file size limit (SIGXFSZ ignored, so writes fail with EFBIG as on a full disk): the
    // small VERSION fits, the lock does not. Neither may change.
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 16; trap '' XFSZ; exec \"$0\" schema-lock --bump auto")
        .arg(env!("CARGO_BIN_EXE_pillars"))
        .current_dir(&wd.dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    code(&err, "E0501");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(err.contains("--> schema/versions.lock.json"), "{err}");
    assert_eq!(before, wd.snapshot("schema"), "schema/ changed: {err}");
    // Without the limit both are written, and check accepts the pair.
    wd.ok(&["schema-lock", "--bump", "auto"]);
    let bumped = wd.read_string("schema/VERSION");
    assert_ne!(bumped, version);
    let lock = wd.read_string("schema/versions.lock.json");
    assert!(lock.contains(&format!("\"{}\"", bumped.trim())), "{lock}");
    assert!(leftovers(&wd.path("schema")).is_empty());
}

#[test]
fn codebook_keeps_a_linked_readme_and_refuses_a_directory() {
    let wd = Workdir::fixture("safe-codebook", "mini");
    wd.write(
        "README.real.md",
        "# T\n<!-- sources:start -->\nold\n<!-- sources:end -->\nend\n",
    );
    std::os::unix::fs::symlink("README.real.md", wd.path("README.md")).unwrap();
    // A temporary file of a codebook run that was killed is removed, and said so.
    wd.write("docs/.CODEBOOK.md.tmp-99999999", "half a codebook");
    let err = wd.ok(&["codebook"]);
    assert!(
        err.contains("note: removed") && err.contains(".CODEBOOK.md.tmp-99999999"),
        "{err}"
    );
    assert!(!wd.path("docs/.CODEBOOK.md.tmp-99999999").exists());
    assert!(
        std::fs::symlink_metadata(wd.path("README.md"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let readme = wd.read_string("README.real.md");
    assert!(
        readme.contains("alpha") && !readme.contains("\nold\n"),
        "{readme}"
    );
    // docs/CODEBOOK.md a directory: refused, and README is not half-updated either.
    std::fs::remove_file(wd.path("docs/CODEBOOK.md")).unwrap();
    wd.write("docs/CODEBOOK.md/mine.txt", "x\n");
    wd.write(
        "README.real.md",
        "# T\n<!-- sources:start -->\nold\n<!-- sources:end -->\nend\n",
    );
    code(&wd.fails(&["codebook"]), "E0503");
    assert!(wd.read_string("README.real.md").contains("\nold\n"));
    assert_eq!(wd.read_string("docs/CODEBOOK.md/mine.txt"), "x\n");
    // A codebook the user wrote is not replaced either.
    std::fs::remove_dir_all(wd.path("docs/CODEBOOK.md")).unwrap();
    wd.write("docs/CODEBOOK.md", "# My own codebook\n");
    code(&wd.fails(&["codebook"]), "E0503");
    assert_eq!(wd.read_string("docs/CODEBOOK.md"), "# My own codebook\n");
    assert!(wd.read_string("README.real.md").contains("\nold\n"));
}

/// Clears the immutable attribute again, whatever happens in the test.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn set(path: std::path::PathBuf) -> Immutable {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(&path)
            .status()
            .expect("chattr (e2fsprogs) is needed to make a file that cannot be removed");
        assert!(ok.success(), "chattr +i {} failed", path.display());
        Immutable(path)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn an_old_output_that_cannot_be_removed_is_an_error() {
    let wd = built("safe-unremovable");
    // Root removes anything but an immutable file.
    let pin = Immutable::set(wd.path("output/csv/actors.csv"));
    wd.write(
        "raw/alpha.toml",
        wd.read_string("raw/alpha.toml")
            .replace("Alpha paper", "Alpha paper, revised"),
    );
    let err = wd.fails(&["build"]);
    code(&err, "E0504");
    assert!(err.contains("the new output is in place"), "{err}");
    // The new output is complete; the old one is kept beside it, named in the message.
    assert!(
        wd.read_string("output/csv/sources.csv")
            .contains("Alpha paper, revised")
    );
    let left = leftovers(&wd.dir);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(err.contains(&left[0]), "{err}");
    wd.ok(&["check"]);
    // Once it can be removed, the next build removes it and says so.
    let moved = wd.path(&format!("{}/csv/actors.csv", left[0]));
    drop(pin);
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(&moved)
        .status();
    let err = wd.ok(&["build"]);
    assert!(
        err.contains("note: removed") && err.contains(&left[0]),
        "{err}"
    );
    assert!(leftovers(&wd.dir).is_empty());
}

#[test]
fn synth_refuses_the_schema_directory_and_the_current_one() {
    let wd = Workdir::new("safe-synth-schema");
    code(
        &wd.fails(&["synth", "--records", "5", "--out", "schema/raw"]),
        "E0502",
    );
    assert!(!wd.path("schema/raw").exists());
    code(
        &wd.fails(&["synth", "--records", "5", "--out", "."]),
        "E0502",
    );
}

#[test]
fn the_fallback_without_rename_exchange_replaces_the_output_too() {
    // (PILLARS_TEST_NO_RENAME_EXCHANGE makes the writer take the path of a filesystem
    // without RENAME_EXCHANGE: two renames.)
    let wd = built("safe-fallback");
    let first = wd.snapshot("output");
    wd.write(
        "raw/alpha.toml",
        wd.read_string("raw/alpha.toml")
            .replace("Alpha paper", "Alpha paper, revised"),
    );
    let o = wd
        .command(&["build"])
        .env("PILLARS_TEST_NO_RENAME_EXCHANGE", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_ne!(first, wd.snapshot("output"));
    assert!(wd.read_string("output/csv/sources.csv").contains("revised"));
    assert!(leftovers(&wd.dir).is_empty());
    wd.ok(&["check"]);
}

//! `Workdir`: runs the real `pillars` binary in a fresh directory (after xsv's test helper).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The repository's schema version (schema/VERSION), which test workdirs copy.
pub fn schema_version() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("schema/VERSION"))
        .unwrap()
        .trim()
        .to_string()
}

pub struct Workdir {
    pub dir: PathBuf,
}

/// Every file under a directory, by relative path (`Workdir::snapshot`).
pub type Snapshot = std::collections::BTreeMap<String, Vec<u8>>;

impl Workdir {
    /// A fresh directory holding a copy of the repository's schema/ and an empty raw/.
    pub fn new(name: &str) -> Workdir {
        let dir = Path::new(ROOT)
            .join("target")
            .join("test-workdirs")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("raw")).unwrap();
        copy_dir(&Path::new(ROOT).join("schema"), &dir.join("schema"));
        Workdir { dir }
    }

    /// Like `new`, with the raw files of a fixture in tests/fixtures/NAME/raw.
    pub fn fixture(name: &str, fixture: &str) -> Workdir {
        let wd = Workdir::new(name);
        copy_dir(
            &Path::new(ROOT)
                .join("tests/fixtures")
                .join(fixture)
                .join("raw"),
            &wd.dir.join("raw"),
        );
        wd
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn read_string(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pillars"));
        c.args(args)
            .current_dir(&self.dir)
            .env("PILLARS_TODAY", "2026-01-01");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    #[allow(dead_code)]
    pub fn stdout(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "pillars {args:?} failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    /// Runs and asserts success; returns stderr.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "pillars {args:?} failed:\n{err}");
        err
    }

    /// Runs and asserts failure with exit code 1; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let o = self.run(args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(
            o.status.code(),
            Some(1),
            "pillars {args:?} should fail with 1:\n{err}"
        );
        err
    }

    /// Every file under `rel`, path → bytes, for byte-for-byte comparisons.
    pub fn snapshot(&self, rel: &str) -> Snapshot {
        let mut out = std::collections::BTreeMap::new();
        snapshot(&self.path(rel), &self.path(rel), &mut out);
        out
    }
}

fn snapshot(dir: &Path, base: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            snapshot(&p, base, out);
        } else {
            out.insert(
                p.strip_prefix(base).unwrap().display().to_string(),
                std::fs::read(&p).unwrap(),
            );
        }
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Runs `cmd` with a time limit, so a hang (e.g. reading a FIFO) fails the test instead of
/// blocking CI: the process is killed after `secs` seconds.
#[allow(dead_code)]
pub fn run_timed(mut cmd: Command, secs: u64) -> Output {
    use std::process::Stdio;
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(o) => o.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("pillars did not finish within {secs} s (killed)");
        }
    }
}

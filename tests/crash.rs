//! Issue 9, section 1: a build killed at any instant leaves the old output or the new one,
//! complete, and the next run removes what it left behind and says so; two builds into one
//! output directory at once both succeed, one after the other.

mod common;
use common::Workdir;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Snapshot = BTreeMap<String, Vec<u8>>;

fn leftovers(wd: &Workdir) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(&wd.dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".output."))
        .collect();
    v.sort();
    v
}

/// Which complete build output/ is: "old", "new", or a panic naming the difference.
fn which(wd: &Workdir, old: &Snapshot, new: &Snapshot, when: &str) -> &'static str {
    let now = wd.snapshot("output");
    if &now == old {
        return "old";
    }
    if &now == new {
        return "new";
    }
    let diff: Vec<&String> = now
        .keys()
        .chain(new.keys())
        .filter(|k| now.get(*k) != new.get(*k) && now.get(*k) != old.get(*k))
        .collect();
    panic!("{when}: output/ is neither the old nor the new build; differing: {diff:?}");
}

fn synth(wd: &Workdir, seed: &str, out: &str, records: &str) {
    wd.ok(&[
        "synth",
        "--records",
        records,
        "--files",
        "20",
        "--seed",
        seed,
        "--out",
        out,
    ]);
}

#[test]
fn a_build_killed_at_any_instant_leaves_the_old_or_the_new_output() {
    let wd = Workdir::new("crash-kill");
    std::fs::create_dir(wd.path("empty")).unwrap();
    // Two different inputs: A (built first, the "old" output) and B (the "new").
    synth(&wd, "1", "a", "20000");
    synth(&wd, "2", "b", "20000");
    wd.ok(&["build", "--raw", "b", "--quiet"]);
    let new = wd.snapshot("output");
    let t = Instant::now();
    wd.ok(&["build", "--raw", "a", "--quiet"]);
    let took = t.elapsed();
    let old = wd.snapshot("output");
    assert_ne!(old, new);

    // Kill builds of B at instants spread over a build's duration (more near the end,
    // where the files are written and swapped), each time from the old output.
    let fractions = [
        0.05, 0.2, 0.35, 0.5, 0.6, 0.7, 0.78, 0.84, 0.88, 0.91, 0.94, 0.96, 0.98, 1.0, 1.03, 1.08,
    ];
    let (mut saw_old, mut saw_new, mut saw_leftover) = (0, 0, 0);
    for f in fractions {
        let delay = took.mul_f64(f);
        let mut child = wd
            .command(&["build", "--raw", "b", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let when = format!("killed after {delay:?} ({f} of a build)");
        let state = which(&wd, &old, &new, &when);
        let left = leftovers(&wd);
        // The next run (here one that fails fast: no extraction files) cleans up first and
        // says so, leaving output/ as it was.
        let o = wd.command(&["build", "--raw", "empty"]).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{when}: {err}");
        for l in &left {
            assert!(
                err.contains(&format!("removed {}", wd.path(l).display())),
                "{when}: leftover {l} not reported:\n{err}"
            );
        }
        assert!(leftovers(&wd).is_empty(), "{when}: {:?}", leftovers(&wd));
        assert_eq!(state, which(&wd, &old, &new, &when), "{when}");
        saw_leftover += usize::from(!left.is_empty());
        match state {
            "old" => saw_old += 1,
            _ => {
                saw_new += 1;
                // Back to the old output for the next kill.
                wd.ok(&["build", "--raw", "a", "--quiet"]);
            }
        }
    }
    eprintln!(
        "build {took:?}; kills: {saw_old} left the old output, {saw_new} the new, {saw_leftover} left leftovers"
    );
    // The kills hit both sides of the swap and the writing phase.
    assert!(saw_old > 0 && saw_new > 0, "old {saw_old}, new {saw_new}");
    assert!(saw_leftover > 0, "no kill landed while files were written");
}

#[test]
fn two_builds_into_one_output_at_once_both_succeed_one_after_the_other() {
    let wd = Workdir::new("crash-concurrent");
    synth(&wd, "1", "a", "3000");
    synth(&wd, "2", "b", "3000");
    wd.ok(&["build", "--raw", "a", "--out", "ref-a", "--quiet"]);
    wd.ok(&["build", "--raw", "b", "--out", "ref-b", "--quiet"]);
    let (a, b) = (wd.snapshot("ref-a"), wd.snapshot("ref-b"));
    for round in 0..3 {
        let spawn = |raw: &str| -> std::process::Child {
            wd.command(&["build", "--raw", raw, "--quiet"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (first, second) = (spawn("a"), spawn("b"));
        let deadline = Duration::from_secs(120);
        for c in [first, second] {
            let o = wait(c, deadline);
            assert!(
                o.status.success(),
                "round {round}: a concurrent build failed:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let now = wd.snapshot("output");
        assert!(now == a || now == b, "round {round}: output/ is a mix");
        assert!(
            leftovers(&wd).is_empty(),
            "round {round}: {:?}",
            leftovers(&wd)
        );
        // Whichever won, the directory is a valid pillars output the next build replaces.
        wd.ok(&["build", "--raw", "a", "--quiet"]);
        assert_eq!(wd.snapshot("output"), a);
    }
}

fn wait(c: std::process::Child, limit: Duration) -> std::process::Output {
    let pid = c.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(c.wait_with_output());
    });
    rx.recv_timeout(limit)
        .map(Result::unwrap)
        .unwrap_or_else(|_| {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("a build did not finish within {limit:?}")
        })
}

//! Issue 9, section 1: a build killed at any instant leaves the old output or the new one,
//! complete, and the next run removes what it left behind and says so; two builds into one
//! output directory at once both succeed, one after the other.

mod common;
use common::{Snapshot, Workdir};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

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

/// Starts `pillars build --raw RAW`; returns the child and a channel of its stderr lines,
/// each with the instant it was read.
fn start(wd: &Workdir, raw: &str) -> (Child, Receiver<(String, Instant)>) {
    let mut child = wd
        .command(&["build", "--raw", raw])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send((line, Instant::now()));
        }
    });
    (child, rx)
}

/// Waits for the stage line `export …` (printed just before the output is written).
fn export_line(rx: &Receiver<(String, Instant)>) -> Instant {
    loop {
        let (line, at) = rx
            .recv_timeout(Duration::from_secs(300))
            .expect("no `export` line from the build");
        if line.starts_with("export") {
            return at;
        }
    }
}

/// Starts a build of `raw` and kills it (SIGKILL) `f` of the way through the reference build
/// (`took`) or, `from_export`, through its writing (`writing`, from the `export` line).
/// Returns when the kill came, from the start or from the export line.
fn build_killed(
    wd: &Workdir,
    raw: &str,
    from_export: bool,
    f: f64,
    (took, writing): (Duration, Duration),
) -> Duration {
    let started = Instant::now();
    let (mut child, rx) = start(wd, raw);
    let delay = if from_export {
        let at = export_line(&rx);
        std::thread::sleep(writing.mul_f64(f));
        at.elapsed()
    } else {
        std::thread::sleep(took.mul_f64(f));
        started.elapsed()
    };
    let _ = child.kill(); // nothing happens if it has finished
    child.wait().unwrap();
    delay
}

/// The next run (here one that fails fast: no extraction files) cleans up first and says so,
/// naming every leftover.
fn next_run_cleans_up(wd: &Workdir, left: &[String], when: &str) {
    let o = wd.command(&["build", "--raw", "empty"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{when}: {err}");
    assert!(err.contains("error[E0108]"), "{when}: {err}");
    for l in left {
        assert!(
            err.lines()
                .any(|x| x.starts_with("note: removed") && x.contains(l.as_str())),
            "{when}: leftover {l} not reported:\n{err}"
        );
    }
    assert!(leftovers(wd).is_empty(), "{when}: {:?}", leftovers(wd));
}

#[test]
fn a_build_killed_at_any_instant_leaves_the_old_or_the_new_output() {
    let wd = Workdir::new("crash-kill");
    std::fs::create_dir(wd.path("empty")).unwrap();
    // Two different inputs, A and B, of 20,000 records each.
    synth(&wd, "1", "a", "20000");
    synth(&wd, "2", "b", "20000");
    wd.ok(&["build", "--raw", "a", "--quiet"]);
    let snap_a = wd.snapshot("output");
    // A reference build of B over A: how long it takes, and how long the writing takes
    // (from the `export` line to the exit).
    let t = Instant::now();
    let (mut child, rx) = start(&wd, "b");
    let export = export_line(&rx);
    assert!(child.wait().unwrap().success());
    let (took, writing) = (t.elapsed(), export.elapsed());
    let snap_b = wd.snapshot("output");
    assert_ne!(snap_a, snap_b);

    // Kills at instants spread over a whole build, then over the writing and the swap,
    // timed from the `export` line. Each kill is of a build of the other input than the one
    // output/ holds, so "old" and "new" are always different.
    // (Few enough to keep the test near a minute on a 2-core machine: each kill from the
    // export line costs most of a build.)
    let mut kills: Vec<(bool, f64)> = [0.2, 0.5, 0.8].map(|f| (false, f)).to_vec();
    kills.extend([0.0, 0.15, 0.3, 0.5, 0.7, 0.9, 3.0].map(|f| (true, f)));
    let mut holds = ("a", snap_a, "b", snap_b);
    let (mut saw_old, mut saw_new, mut saw_leftover) = (0, 0, 0);
    // Should no kill land while files are written (timing on a loaded machine), more are
    // made in the middle of the writing, up to six.
    let mut queue: std::collections::VecDeque<(bool, f64)> = kills.into();
    let mut extra = vec![0.75, 0.25, 0.65, 0.45, 0.55, 0.35];
    let mut count = 0;
    while let Some((from_export, f)) = queue.pop_front() {
        count += 1;
        let (old_raw, old, new_raw, new) = &holds;
        let delay = build_killed(&wd, new_raw, from_export, f, (took, writing));
        let when = format!(
            "build of {new_raw} over {old_raw} killed {delay:?} after {}",
            if from_export {
                "the export line"
            } else {
                "its start"
            }
        );
        let state = which(&wd, old, new, &when);
        let left = leftovers(&wd);
        next_run_cleans_up(&wd, &left, &when);
        assert_eq!(state, which(&wd, old, new, &when), "{when}");
        saw_leftover += usize::from(!left.is_empty());
        if state == "old" {
            saw_old += 1;
        } else {
            saw_new += 1;
            let (a, sa, b, sb) = holds;
            holds = (b, sb, a, sa);
        }
        if queue.is_empty()
            && saw_leftover == 0
            && let Some(f) = extra.pop()
        {
            queue.push_back((true, f));
        }
    }
    eprintln!(
        "build {took:?} (writing {writing:?}); {count} kills: {saw_old} left the old output, {saw_new} the new, {saw_leftover} left leftovers"
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

//! Writing outputs without ever losing a user's file (issue 9, section 1), and comparing a
//! build with the committed output/. Every command that writes goes through here: `build`
//! and `synth` replace a directory ([`write_dir`]); `codebook` and `schema-lock` replace
//! files ([`write_files`]).
//!
//! A directory is written in full to `.NAME.tmp-PID` beside it, every file and directory
//! fsynced, then swapped in with one atomic `renameat2(RENAME_EXCHANGE)`: a process killed at
//! any instant leaves the old output or the new one, complete. Where the exchange is not
//! available (not Linux, or a filesystem without it) the fallback is two renames (old →
//! `.NAME.old-PID`, new → NAME); a crash between them leaves the old output complete under
//! `.NAME.old-PID`, and the next write puts it back first. Writers of one directory hold an
//! advisory lock (`flock`) on its parent, so concurrent builds take turns; under the lock,
//! any `.NAME.tmp-PID` / `.NAME.old-PID` of a process that is gone is a leftover, removed
//! (and said so). What may be replaced is decided by [`crate::output_guard`].

use crate::diagnostic::{Code, Loc, Problem};
use crate::export::Files;
pub use crate::export::sink::DirSink;
use crate::export::sink::Sink;
use crate::fsio::{self, MAX_OUTPUT_FILE_BYTES};
use crate::output_guard::{self, Check, State};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn fail(code: Code, path: &Path, what: String, expected: &str) -> Problem {
    Problem::new(code, what)
        .at(Loc::file(path.display().to_string()))
        .expected(expected)
}

fn write_fail(path: &Path, what: String) -> Problem {
    fail(
        Code::OutputWrite,
        path,
        what,
        "a writable output directory (--out DIR); the previous output is unchanged",
    )
}

/// `.NAME.TAG-PID` beside `real`.
fn sibling(real: &Path, tag: &str) -> PathBuf {
    let name = real.file_name().unwrap_or_default().to_string_lossy();
    real.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// The checks every directory writer makes, under the lock: `out` is not an input or a place
/// that holds the user's work, any leftover of a dead writer is cleaned up (an `.old` put
/// back), and what is there is empty or a previous output of `generator`. Returns the
/// canonical target, the lock (held while it lives), what was found and notes for stderr.
/// Without `create`, a missing parent directory is not created (nothing to check there).
fn prepare(
    out: &Path,
    generator: &str,
    inputs: &[&Path],
    create: bool,
) -> Result<(PathBuf, Option<File>, State, Vec<String>), Problem> {
    let real = output_guard::resolve(out)?;
    output_guard::protect(out, &real, inputs)?;
    let parent = real
        .parent()
        .ok_or_else(|| write_fail(out, "the root directory has no parent".into()))?;
    let mut notes = vec![];
    if !create && !parent.is_dir() {
        return Ok((real, None, State::Absent, notes));
    }
    std::fs::create_dir_all(parent)
        .map_err(|e| write_fail(out, format!("cannot create {}: {e}", parent.display())))?;
    let lock = Some(lock(parent, out, &mut notes)?);
    recover(&real, true, &mut notes)?;
    // The quick check (before a build's work) compares sizes; the one before writing, hashes.
    let check = if create { Check::Hashes } else { Check::Sizes };
    let state = output_guard::state(out, &real, generator, check)?;
    Ok((real, lock, state, notes))
}

/// [`write_dir`]'s checks alone, made before the work of a build so that a wrong `--out` is
/// refused at once (they are made again when writing). Returns notes for stderr.
pub fn check_target(out: &Path, generator: &str, inputs: &[&Path]) -> Result<Vec<String>, Problem> {
    prepare(out, generator, inputs, false).map(|(_, _, _, notes)| notes)
}

/// Replaces the directory `out` with `files` (which must include a manifest.json naming
/// `generator` and listing every other file). Returns notes for stderr (leftovers removed).
pub fn write_dir(
    out: &Path,
    files: &Files,
    generator: &str,
    inputs: &[&Path],
) -> Result<Vec<String>, Problem> {
    debug_assert!(files.contains_key("manifest.json"));
    let write_all = |sink: &DirSink| {
        for (rel, bytes) in files {
            sink.file(rel, &mut |w| w.write_all(bytes))?;
        }
        Ok(())
    };
    write_dir_with(out, generator, inputs, write_all).map(|((), notes)| notes)
}

/// Replaces the directory `out` with what `render` writes into a new directory through the
/// sink (it must write a manifest.json naming `generator` and listing every other file).
/// Returns what `render` returned and notes for stderr (leftovers removed).
pub fn write_dir_with<T>(
    out: &Path,
    generator: &str,
    inputs: &[&Path],
    render: impl FnOnce(&DirSink) -> std::io::Result<T>,
) -> Result<(T, Vec<String>), Problem> {
    let (real, _lock, state, notes) = prepare(out, generator, inputs, true)?;
    let tmp = sibling(&real, "tmp");
    let written = std::fs::create_dir(&tmp).and_then(|()| {
        let sink = DirSink::new(&tmp);
        let result = render(&sink)?;
        // Deepest first, so each directory's entry is durable before its parent's.
        let mut dirs = sink.dirs();
        dirs.sort();
        for d in dirs.iter().rev() {
            sync_dir(d)?;
        }
        Ok(result)
    });
    let result = match written {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(write_fail(
                out,
                format!("cannot write {}: {e}", tmp.display()),
            ));
        }
    };
    swap(out, &real, &tmp, state)?;
    Ok((result, notes))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Swaps the complete `tmp` in at `real` and removes what was there.
fn swap(out: &Path, real: &Path, tmp: &Path, state: State) -> Result<(), Problem> {
    let parent = real.parent().unwrap_or(Path::new("/"));
    let undo = |e: String| {
        let _ = std::fs::remove_dir_all(tmp);
        write_fail(out, e)
    };
    let known = match state {
        State::Absent => {
            std::fs::rename(tmp, real)
                .map_err(|e| undo(format!("cannot move the new output into place: {e}")))?;
            return sync_dir(parent).map_err(|e| write_fail(out, format!("cannot sync: {e}")));
        }
        State::Empty => BTreeSet::new(),
        State::Previous(known) => known,
    };
    // After the exchange, `old` holds the previous output.
    let old = match exchange(tmp, real) {
        Ok(()) => tmp.to_path_buf(),
        Err(e) if exchange_unsupported(&e) => {
            let old = sibling(real, "old");
            std::fs::rename(real, &old)
                .map_err(|e| undo(format!("cannot move the previous output aside: {e}")))?;
            if let Err(e) = std::fs::rename(tmp, real) {
                let _ = std::fs::rename(&old, real);
                return Err(undo(format!("cannot move the new output into place: {e}")));
            }
            old
        }
        Err(e) => return Err(undo(format!("cannot swap the new output in: {e}"))),
    };
    sync_dir(parent).map_err(|e| write_fail(out, format!("cannot sync: {e}")))?;
    let kept = |why: String| {
        fail(
            Code::OutputCleanup,
            out,
            format!(
                "the new output is in place, but the previous one, now at {}, was not removed: {why}",
                old.display()
            ),
            "a previous output that can be removed; look at it, then remove it by hand",
        )
    };
    output_guard::only_known(&old, &known).map_err(kept)?;
    std::fs::remove_dir_all(&old).map_err(|e| kept(e.to_string()))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    // Lets the tests take the fallback path of filesystems without the exchange.
    if std::env::var_os("PILLARS_TEST_NO_RENAME_EXCHANGE").is_some() {
        return Err(std::io::Error::from(std::io::ErrorKind::Unsupported));
    }
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths; renameat2 reads them only.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// The filesystem (or kernel) cannot exchange: use the two-rename fallback.
fn exchange_unsupported(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Unsupported
        || matches!(
            e.raw_os_error(),
            Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
        )
}

/// Takes the advisory lock of the directory `dir` (held until the returned file is dropped),
/// waiting for another pillars process that holds it.
fn lock(dir: &Path, out: &Path, notes: &mut Vec<String>) -> Result<File, Problem> {
    let f = File::open(dir).map_err(|e| {
        write_fail(
            out,
            format!("cannot open {} to lock it: {e}", dir.display()),
        )
    })?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            eprintln!(
                "note: waiting for another pillars process writing in {}",
                dir.display()
            );
            f.lock()
                .map_err(|e| write_fail(out, format!("cannot lock {}: {e}", dir.display())))?;
            notes.push("waited for another pillars process to finish".into());
        }
        // A filesystem without flock (some network filesystems): write unlocked, and say so.
        Err(std::fs::TryLockError::Error(e))
            if matches!(
                e.raw_os_error(),
                Some(libc::EBADF | libc::ENOLCK | libc::EOPNOTSUPP | libc::EINVAL)
            ) =>
        {
            notes.push(format!(
                "{} cannot be locked ({e}); concurrent writers are not kept apart there",
                dir.display()
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(write_fail(
                out,
                format!("cannot lock {}: {e}", dir.display()),
            ));
        }
    }
    Ok(f)
}

fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false; // an earlier process with our number: certainly gone
    }
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Leftovers of dead writers of `real`: `.NAME.tmp-PID` and `.NAME.old-PID` (directories
/// when `dirs`, files otherwise). Called under the lock, so no live pillars is writing them.
/// An `.old` whose output is missing is put back (a crash between the fallback's renames).
fn recover(real: &Path, dirs: bool, notes: &mut Vec<String>) -> Result<(), Problem> {
    let Some(parent) = real.parent() else {
        return Ok(());
    };
    let name = real.file_name().unwrap_or_default().to_string_lossy();
    let Ok(rd) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    let mut found: Vec<(PathBuf, bool, u32)> = rd
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            let rest = n.strip_prefix(&format!(".{name}."))?;
            let (is_old, pid) = match rest.split_once('-')? {
                ("tmp", p) => (false, p),
                ("old", p) => (true, p),
                _ => return None,
            };
            let pid: u32 = pid
                .parse()
                .ok()
                .filter(|_| pid.bytes().all(|b| b.is_ascii_digit()))?;
            let m = std::fs::symlink_metadata(e.path()).ok()?;
            (if dirs { m.is_dir() } else { m.is_file() }).then(|| (e.path(), is_old, pid))
        })
        .collect();
    found.sort();
    for (path, is_old, pid) in found {
        if alive(pid) {
            notes.push(format!(
                "kept {}: process {pid} that wrote it is still running",
                path.display()
            ));
            continue;
        }
        if is_old && std::fs::symlink_metadata(real).is_err() {
            std::fs::rename(&path, real).map_err(|e| cleanup_fail(real, &path, e))?;
            notes.push(format!(
                "restored the previous output from {}, left by a process ({pid}) killed while swapping",
                path.display()
            ));
            continue;
        }
        let r = if dirs {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        r.map_err(|e| cleanup_fail(real, &path, e))?;
        notes.push(format!(
            "removed {}, left by a pillars process ({pid}) that did not finish",
            path.display()
        ));
    }
    Ok(())
}

fn cleanup_fail(real: &Path, path: &Path, e: std::io::Error) -> Problem {
    fail(
        Code::OutputCleanup,
        path,
        format!(
            "cannot remove {}, left by an earlier pillars process that did not finish: {e}",
            path.display()
        ),
        &format!(
            "leftovers beside {} that can be removed; remove it by hand",
            real.display()
        ),
    )
}

/// Replaces each file with its new contents, all or nothing as far as a failure to write
/// (a full disk) goes: every new file is written and fsynced beside its target first, then
/// they are renamed in over the old ones, in the order given. A link keeps its link; its
/// target is replaced. A directory, FIFO or device where a file should be is refused.
pub fn write_files(files: &[(&Path, &[u8])]) -> Result<Vec<String>, Problem> {
    let reals = files
        .iter()
        .map(|(path, _)| regular_target(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut notes = vec![];
    let parents: BTreeSet<&Path> = reals.iter().filter_map(|r| r.parent()).collect();
    let mut locks = vec![];
    for p in &parents {
        std::fs::create_dir_all(p).map_err(|e| write_fail(p, format!("cannot create: {e}")))?;
        locks.push(lock(p, p, &mut notes)?);
    }
    for r in &reals {
        recover(r, false, &mut notes)?;
    }
    let tmps: Vec<PathBuf> = reals.iter().map(|r| sibling(r, "tmp")).collect();
    if let Err((i, e)) = write_temps(files, &reals, &tmps) {
        for t in &tmps {
            let _ = std::fs::remove_file(t);
        }
        return Err(fail(
            Code::OutputWrite,
            files[i].0,
            format!("cannot write: {e}"),
            "a writable directory with free space; nothing was written",
        ));
    }
    for ((tmp, real), (path, _)) in tmps.iter().zip(&reals).zip(files) {
        std::fs::rename(tmp, real)
            .map_err(|e| write_fail(path, format!("cannot move the new file into place: {e}")))?;
    }
    for p in parents {
        sync_dir(p).map_err(|e| write_fail(p, format!("cannot sync: {e}")))?;
    }
    Ok(notes)
}

/// The canonical path of the file `path` names, unless something other than a regular file
/// is there.
fn regular_target(path: &Path) -> Result<PathBuf, Problem> {
    let real = output_guard::resolve(path)?;
    match std::fs::symlink_metadata(&real) {
        Ok(m) if !m.is_file() => Err(fail(
            Code::OutputNotOurs,
            path,
            format!(
                "refusing to replace {}: it is a {}",
                path.display(),
                fsio::kind(&m)
            ),
            "a regular file (or none); nothing was written",
        )),
        _ => Ok(real),
    }
}

/// Writes and fsyncs each new file at its temporary path (with the old file's permissions);
/// on failure, the index of the file that failed.
fn write_temps(
    files: &[(&Path, &[u8])],
    reals: &[PathBuf],
    tmps: &[PathBuf],
) -> Result<(), (usize, std::io::Error)> {
    for (i, (((_, bytes), real), tmp)) in files.iter().zip(reals).zip(tmps).enumerate() {
        let write = || -> std::io::Result<()> {
            let mut f = File::create(tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            if let Ok(m) = std::fs::metadata(real) {
                std::fs::set_permissions(tmp, m.permissions())?;
            }
            Ok(())
        };
        write().map_err(|e| (i, e))?;
    }
    Ok(())
}

/// Differences between `files` and the directory `out`, one line each, in path order.
/// Nothing is followed or read beyond what the build would write: links, FIFOs and devices
/// are reported, and a file is read up to one byte more than the build's.
pub fn compare(out: &Path, files: &Files) -> Vec<String> {
    let mut diffs = vec![];
    // The directory given may be a link (a linked --out); nothing under it is followed.
    let on_disk = match std::fs::metadata(out) {
        Ok(m) if m.is_dir() => fsio::walk(out).unwrap_or_else(|e| {
            diffs.push(format!("{}: cannot be listed: {e}", out.display()));
            vec![]
        }),
        Ok(m) => {
            diffs.push(format!(
                "{}: is a {}, not a directory",
                out.display(),
                fsio::kind(&m)
            ));
            vec![]
        }
        Err(_) => vec![],
    };
    for (rel, bytes) in files {
        let path = out.join(rel);
        let limit = (bytes.len() as u64).min(MAX_OUTPUT_FILE_BYTES);
        match fsio::read_regular(&path, limit) {
            Ok(b) if &b == bytes => {}
            Ok(_) | Err(fsio::ReadError::TooLarge { .. }) => {
                diffs.push(format!("{}: differs from a fresh build", path.display()))
            }
            Err(fsio::ReadError::Io(_)) => diffs.push(format!("{}: missing", path.display())),
            Err(e) => diffs.push(format!("{}: {e}", path.display())),
        }
    }
    // Every directory the build's files lie in (a file of the build that is a link or FIFO
    // on disk was reported above, as not a regular file).
    let dirs: BTreeSet<&Path> = files
        .keys()
        .flat_map(|k| Path::new(k).ancestors().skip(1))
        .filter(|d| !d.as_os_str().is_empty())
        .collect();
    for e in on_disk {
        let known = if e.is_dir {
            dirs.contains(Path::new(&e.rel))
        } else {
            files.contains_key(&e.rel)
        };
        if !known {
            diffs.push(format!(
                "{}: not produced by the build",
                out.join(&e.rel).display()
            ));
        }
    }
    diffs
}

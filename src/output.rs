//! Writing output/ atomically, and comparing a build with the committed output/.
//!
//! A build is written to a temporary directory beside output/, then swapped in with two
//! renames. Any failure before the swap removes the temporary directory and leaves the
//! previous output/ exactly as it was.

use crate::diagnostic::{Code, Loc, Problem};
use crate::export::Files;
use std::path::{Path, PathBuf};

fn sibling(out: &Path, tag: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    out.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

pub fn write_atomic(out: &Path, files: &Files) -> Result<(), Problem> {
    let fail = |what: String, path: &Path| {
        Problem::new(Code::OutputWrite, what)
            .at(Loc::file(path.display().to_string()))
            .expected("a writable output directory (--out DIR); the previous output is unchanged")
    };
    let tmp = sibling(out, "tmp");
    let write_all = || -> Result<(), Problem> {
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)
                .map_err(|e| fail(format!("cannot clear {}: {e}", tmp.display()), &tmp))?;
        }
        for (rel, bytes) in files {
            let path = tmp.join(rel);
            std::fs::create_dir_all(path.parent().unwrap())
                .map_err(|e| fail(format!("cannot create directory: {e}"), &path))?;
            std::fs::write(&path, bytes)
                .map_err(|e| fail(format!("cannot write file: {e}"), &path))?;
        }
        Ok(())
    };
    if let Err(p) = write_all() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(p);
    }
    let old = sibling(out, "old");
    let had_old = out.exists();
    if had_old && let Err(e) = std::fs::rename(out, &old) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(fail(
            format!("cannot move the previous output aside: {e}"),
            out,
        ));
    }
    if let Err(e) = std::fs::rename(&tmp, out) {
        if had_old {
            let _ = std::fs::rename(&old, out);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(fail(
            format!("cannot move the new output into place: {e}"),
            out,
        ));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

fn list(dir: &Path, base: &Path, out: &mut Vec<String>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                list(&p, base, out);
            } else if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
}

/// Differences between `files` and the directory `out`, one line each, in path order.
pub fn compare(out: &Path, files: &Files) -> Vec<String> {
    let mut on_disk = vec![];
    list(out, out, &mut on_disk);
    on_disk.sort();
    let mut diffs = vec![];
    for (rel, bytes) in files {
        match std::fs::read(out.join(rel)) {
            Ok(b) if &b == bytes => {}
            Ok(_) => diffs.push(format!(
                "{}: differs from a fresh build",
                out.join(rel).display()
            )),
            Err(_) => diffs.push(format!("{}: missing", out.join(rel).display())),
        }
    }
    for rel in on_disk.iter().filter(|r| !files.contains_key(*r)) {
        diffs.push(format!(
            "{}: not produced by the build",
            out.join(rel).display()
        ));
    }
    diffs
}

//! What pillars may replace (issue 9, section 1): an output path is resolved to its canonical
//! target (a symbolic link keeps its link; the target is replaced), refused when it is, holds
//! or lies inside an input, and an existing directory there is replaced only when it is
//! empty or recognisably a previous pillars output: its manifest.json names pillars as the
//! writer and lists every file in it, each unchanged since (size and SHA-256).

use crate::diagnostic::{Code, Loc, Problem};
use crate::fsio::{self, MAX_OUTPUT_FILE_BYTES};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// What is at the output path now.
#[derive(Debug, PartialEq, Eq)]
pub enum State {
    Absent,
    Empty,
    /// A previous output: the files and directories its manifest accounts for.
    Previous(BTreeSet<String>),
}

fn at(code: Code, path: &Path, msg: String, expected: &str) -> Problem {
    Problem::new(code, msg)
        .at(Loc::file(path.display().to_string()))
        .expected(expected)
}

/// The canonical path `out` names: the target of a link, or (when `out` does not exist yet)
/// its nearest existing ancestor, canonical, with the missing names appended.
pub fn resolve(out: &Path) -> Result<PathBuf, Problem> {
    if out.as_os_str().is_empty() {
        return Err(at(
            Code::OutputProtected,
            out,
            "refusing to write the output to an empty path".into(),
            "a directory name, e.g. `--out output`",
        ));
    }
    let Ok(m) = std::fs::symlink_metadata(out) else {
        return resolve_missing(out);
    };
    out.canonicalize().map_err(|e| {
        let what = if m.file_type().is_symlink() {
            "a symbolic link whose target cannot be resolved"
        } else {
            "a path that cannot be resolved"
        };
        at(
            Code::OutputNotOurs,
            out,
            format!("cannot replace {}: {what} ({e})", out.display()),
            "a directory, or a symbolic link to one",
        )
    })
}

/// [`resolve`] for an `out` that does not exist yet: its nearest existing ancestor, which must
/// be a directory, canonical, with the missing names appended.
fn resolve_missing(out: &Path) -> Result<PathBuf, Problem> {
    let cannot = |msg: String| {
        at(
            Code::OutputWrite,
            out,
            msg,
            "an output directory whose parent exists as a directory or can be created",
        )
    };
    // Walk up to the nearest existing ancestor, collecting the names to create.
    let mut missing = vec![];
    let mut base = out;
    let base = loop {
        match base.components().next_back() {
            Some(Component::Normal(n)) => missing.push(n),
            _ => {
                return Err(cannot(format!(
                    "cannot create {}: `..` or `.` after a missing directory",
                    out.display()
                )));
            }
        }
        base = base.parent().unwrap_or(Path::new(""));
        if base.as_os_str().is_empty() {
            break Path::new(".");
        }
        if std::fs::symlink_metadata(base).is_ok() {
            break base;
        }
    };
    let mut real = base
        .canonicalize()
        .map_err(|e| cannot(format!("cannot create {}: {e}", out.display())))?;
    if !real.is_dir() {
        return Err(cannot(format!(
            "cannot create {}: {} is not a directory",
            out.display(),
            base.display()
        )));
    }
    real.extend(missing.into_iter().rev());
    Ok(real)
}

fn canonical(p: &Path) -> Option<PathBuf> {
    p.canonicalize().ok()
}

/// The nearest ancestor of the current directory holding `.git`: the project root.
fn project_root(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Refuses an output `real` (canonical) that is, holds or lies inside one of `inputs`, or that
/// is or holds the current directory, the project root, the home directory or `/`.
pub fn protect(out: &Path, real: &Path, inputs: &[&Path]) -> Result<(), Problem> {
    let refuse = |what: String| {
        at(
            Code::OutputProtected,
            out,
            format!("refusing to write the output to {}: {what}", out.display()),
            "an output directory apart from the inputs (--raw, --schema, --sources), \
             inside the project but not the project itself, e.g. `--out output`",
        )
    };
    for input in inputs {
        let Some(c) = canonical(input) else { continue };
        if real == c.as_path() || c.starts_with(real) || real.starts_with(&c) {
            let how = if real == c.as_path() {
                "it is"
            } else if c.starts_with(real) {
                "it holds"
            } else {
                "it lies inside"
            };
            return Err(refuse(format!("{how} the input {}", input.display())));
        }
    }
    let cwd = std::env::current_dir().ok().and_then(|d| canonical(&d));
    let mut places: Vec<(&str, Option<PathBuf>)> = vec![
        ("the root directory /", Some(PathBuf::from("/"))),
        (
            "the home directory",
            std::env::var_os("HOME").and_then(|h| canonical(Path::new(&h))),
        ),
    ];
    if let Some(cwd) = &cwd {
        places.push(("the project root", project_root(cwd)));
        places.push(("the current directory", Some(cwd.clone())));
    }
    for (name, place) in places {
        if let Some(p) = place
            && p.starts_with(real)
        {
            let how = if p.as_path() == real {
                "it is"
            } else {
                "it holds"
            };
            return Err(refuse(format!("{how} {name} ({})", p.display())));
        }
    }
    Ok(())
}

/// What is at `real` now, or why it may not be replaced.
/// With `Check::Sizes`, files are compared with the manifest by size only (the quick check
/// before a build's work; the full one, with SHA-256, is made under the lock before writing).
pub fn state(out: &Path, real: &Path, generator: &str, check: Check) -> Result<State, Problem> {
    let refuse = |msg: String| {
        at(
            Code::OutputNotOurs,
            out,
            format!("refusing to replace {}: {msg}", out.display()),
            &format!(
                "an absent or empty directory, or a previous output of `{generator}` \
                 (its manifest.json lists every file, unchanged); move the other files \
                 away or choose another --out. Nothing was changed"
            ),
        )
    };
    let m = match std::fs::symlink_metadata(real) {
        Err(_) => return Ok(State::Absent),
        Ok(m) => m,
    };
    if !m.is_dir() {
        return Err(refuse(format!(
            "it is a {}, not a directory",
            fsio::kind(&m)
        )));
    }
    let entries = fsio::walk(real).map_err(refuse)?;
    if entries.is_empty() {
        return Ok(State::Empty);
    }
    let manifest = fsio::read_regular(&real.join("manifest.json"), fsio::MAX_METADATA_BYTES)
        .map_err(|e| {
            refuse(format!(
                "it is not empty and has no readable manifest.json of pillars ({e})"
            ))
        })?;
    let listed = listed(&manifest, generator).map_err(refuse)?;
    let known = accounted(&entries, &listed).map_err(refuse)?;
    unchanged(real, &entries, &listed, check).map_err(refuse)?;
    Ok(State::Previous(known))
}

/// The paths a manifest accounts for (its files, their directories, itself), when every
/// entry on disk is one of them and none is a link, FIFO or device.
fn accounted(entries: &[fsio::Entry], listed: &[Listed]) -> Result<BTreeSet<String>, String> {
    let mut known: BTreeSet<String> = BTreeSet::from(["manifest.json".to_string()]);
    for (rel, _, _) in listed {
        known.insert(rel.clone());
        let dirs = Path::new(rel.as_str()).ancestors().skip(1);
        known.extend(
            dirs.filter(|d| !d.as_os_str().is_empty())
                .map(|d| d.to_string_lossy().into_owned()),
        );
    }
    for e in entries {
        if let Some(kind) = e.odd {
            return Err(format!("{} is a {kind}", e.rel));
        }
        if !known.contains(&e.rel) {
            return Err(format!(
                "{} is not listed in its manifest.json (not written by pillars)",
                e.rel
            ));
        }
    }
    Ok(known)
}

/// How closely [`state`] compares a previous output's files with its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Sizes,
    Hashes,
}

/// Every listed file still there has the size (and, with `Check::Hashes`, the SHA-256) its
/// manifest gives (a listed file already gone holds nothing of the user's).
fn unchanged(
    real: &Path,
    entries: &[fsio::Entry],
    listed: &[Listed],
    check: Check,
) -> Result<(), String> {
    let is_file: BTreeSet<&str> = entries
        .iter()
        .filter(|e| !e.is_dir)
        .map(|e| e.rel.as_str())
        .collect();
    for (rel, bytes, sha) in listed.iter().filter(|l| is_file.contains(l.0.as_str())) {
        let path = real.join(rel);
        let cannot = |e: fsio::ReadError| format!("{rel} cannot be read ({e})");
        let same = match check {
            Check::Hashes => {
                let (size, hash) =
                    fsio::hash_regular(&path, MAX_OUTPUT_FILE_BYTES).map_err(cannot)?;
                size == *bytes && hash == *sha
            }
            Check::Sizes => {
                let meta = std::fs::symlink_metadata(&path).map_err(|e| cannot(e.into()))?;
                meta.len() == *bytes
            }
        };
        if !same {
            return Err(format!(
                "{rel} was changed after pillars wrote it (its size or SHA-256 differs from manifest.json)"
            ));
        }
    }
    Ok(())
}

/// A file a manifest lists: path, size in bytes, SHA-256 (hex).
type Listed = (String, u64, String);

/// The files a manifest lists: (path, bytes, sha256). The manifest must name `generator`
/// (or, for `pillars`, be a manifest of the earlier format, without `generator`).
fn listed(manifest: &[u8], generator: &str) -> Result<Vec<Listed>, String> {
    let j: Json = serde_json::from_slice(manifest)
        .map_err(|e| format!("its manifest.json is not valid JSON ({e})"))?;
    let legacy = generator == "pillars"
        && j.get("generator").is_none()
        && j["inputs_sha256"].is_string()
        && j["dataset_version"].is_string();
    if j["generator"].as_str() != Some(generator) && !legacy {
        return Err(format!(
            "its manifest.json does not name `{generator}` as its writer"
        ));
    }
    let files = j["files"]
        .as_array()
        .ok_or("its manifest.json has no `files` list")?;
    files
        .iter()
        .map(|f| {
            let (Some(p), Some(b), Some(h)) = (
                f["path"].as_str(),
                f["bytes"].as_u64(),
                f["sha256"].as_str(),
            ) else {
                return Err("an entry of its manifest.json lacks path, bytes or sha256".into());
            };
            if !fsio::is_plain_relative(Path::new(p)) || p == "manifest.json" {
                return Err(format!("its manifest.json lists an odd path `{p}`"));
            }
            Ok((p.to_string(), b, h.to_string()))
        })
        .collect()
}

/// A manifest.json for files written by `generator` (used where the writer has no richer
/// manifest of its own, e.g. `pillars synth`).
pub fn manifest(files: &crate::export::Files, generator: &str) -> Vec<u8> {
    let entries: Vec<Json> = files
        .iter()
        .map(|(p, b)| serde_json::json!({ "path": p, "bytes": b.len(), "sha256": crate::export::sha256(b) }))
        .collect();
    crate::export::pretty(&serde_json::json!({ "generator": generator, "files": entries }))
}

/// True when the directory at `dir` holds nothing outside `known` (checked again after the
/// swap, so a file added meanwhile is kept, not deleted).
pub fn only_known(dir: &Path, known: &BTreeSet<String>) -> Result<(), String> {
    let entries = fsio::walk(dir)?;
    match entries.iter().find(|e| !known.contains(&e.rel)) {
        Some(e) => Err(format!("{} appeared in it during the build", e.rel)),
        None => Ok(()),
    }
}

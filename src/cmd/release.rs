//! `pillars release`: cut a numbered release of the dataset (see `crate::release`).
//!
//! 1. Build in memory; refuse (E1003) when the content is already a release.
//! 2. Diff against the previous release's output: --previous DIR, or the output/ of git tag
//!    `dataset-vX.Y.Z` (read with `git show`, nothing checked out). No previous release: none.
//! 3. Bump the version (--bump, or automatic from the diff), append to releases.json,
//!    rebuild --out with the new version, set `version`/`date-released` in CITATION.cff, and
//!    put the entry at the top of docs/CHANGELOG.md.
//! 4. Print the git tag to make once the release is committed.

use super::Common;
use crate::diagnostic::{Code, Loc, Problem};
use crate::release::{self, Bump, Release, Releases};
use crate::{output, pipeline};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

#[derive(Args, Debug, Clone)]
pub struct ReleaseArgs {
    /// Which part of the version to bump; default: from the diff (major when records were
    /// removed or the schema's major grew, minor when records were added, else patch).
    #[arg(long, value_enum)]
    pub bump: Option<Bump>,
    /// The previous release's output directory (default: its git tag's output/).
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,
    /// The changelog to write the entry into.
    #[arg(long, default_value = "docs/CHANGELOG.md")]
    pub changelog: PathBuf,
    /// The citation file whose version and date-released are updated.
    #[arg(long, default_value = "CITATION.cff")]
    pub citation: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

pub const TAG_PREFIX: &str = "dataset-v";

pub fn run(a: &ReleaseArgs) -> Result<ExitCode, ExitCode> {
    let c = &a.common;
    let schema = c.load_schema()?;
    let mut r = pipeline::reconcile(&schema, &c.options()).map_err(|p| c.fail(p))?;
    let hash = release::content_hash(&r.dataset, &schema);
    refuse_unchanged(c, &r.releases, &hash)?;
    let prev = r.releases.latest().cloned();
    let files = pipeline::export(&schema, &r, &c.options());
    let mut diff = match &prev {
        Some(p) => Some(diff_with(a, p, &files).map_err(|p| c.fail(vec![p]))?),
        None => None,
    };
    let part = a.bump.unwrap_or_else(|| match (&prev, &diff) {
        (Some(p), Some(d)) => {
            release::auto_bump(d.removed, d.added, &p.schema_version, &schema.version)
        }
        _ => Bump::Major,
    });
    let version = release::bump(prev.as_ref().map_or("0.0.0", |p| &p.version), part);
    let date = crate::validate::today().format("%Y-%m-%d").to_string();
    r.releases.releases.push(Release {
        version: version.clone(),
        date: date.clone(),
        content_sha256: hash.clone(),
        schema_version: schema.version.clone(),
    });
    let dev = release::version_of(&files);
    let files = pipeline::export(&schema, &r, &c.options());
    if let Some(d) = diff.as_mut() {
        d.name_release(&dev, &version);
    }
    let entry = entry(
        &version,
        &date,
        &hash,
        &schema.version,
        prev.as_ref(),
        diff.as_ref(),
        &files,
    );
    write_release(a, &files, &r.releases, &entry, &version, &date)?;
    println!("git tag -a {TAG_PREFIX}{version} -m \"pillars dataset {version}\"");
    Ok(ExitCode::SUCCESS)
}

/// E1003 when the content is already a release.
fn refuse_unchanged(c: &Common, releases: &Releases, hash: &str) -> Result<(), ExitCode> {
    let Some(done) = releases.releases.iter().find(|x| x.content_sha256 == hash) else {
        return Ok(());
    };
    Err(c.fail(vec![
        Problem::new(
            Code::NothingToRelease,
            format!("the data is unchanged since release {}", done.version),
        )
        .at(Loc::file(c.releases.display().to_string()))
        .expected("a change to the data (raw/ or schema/) since the latest release"),
    ]))
}

/// Writes the release: the output directory, releases.json, the citation's version and date,
/// and the changelog's new entry. Each file is written beside its target and renamed in (the
/// shared writer).
fn write_release(
    a: &ReleaseArgs,
    files: &crate::export::Files,
    releases: &Releases,
    entry: &str,
    version: &str,
    date: &str,
) -> Result<(), ExitCode> {
    let c = &a.common;
    let write = |path: &Path, bytes: Vec<u8>| {
        output::write_files(&[(path, &bytes)])
            .map(|notes| c.notes(&notes))
            .map_err(|p| c.fail(vec![p]))
    };
    let inputs = [c.raw.as_path(), c.schema.as_path()];
    let notes = output::write_dir(&c.out, files, crate::export::GENERATOR, &inputs)
        .map_err(|p| c.fail(vec![p]))?;
    c.notes(&notes);
    write(&c.releases, releases.to_bytes())?;
    // No CITATION.cff: none is invented (it needs a title, authors...); say so.
    match std::fs::read_to_string(&a.citation) {
        Ok(cff) => write(&a.citation, citation(&cff, version, date).into_bytes())?,
        Err(_) => eprintln!(
            "note: no {}, so no citation was updated",
            a.citation.display()
        ),
    }
    let log = std::fs::read_to_string(&a.changelog).unwrap_or_default();
    write(&a.changelog, changelog(&log, entry).into_bytes())?;
    eprintln!(
        "released   dataset {version} ({date}); wrote {}, {}, {}, {}",
        c.out.display(),
        c.releases.display(),
        a.citation.display(),
        a.changelog.display()
    );
    Ok(())
}

struct Diff {
    text: String,
    added: usize,
    removed: usize,
}

impl Diff {
    /// The report was made before the version existed: name the release, not scratch paths.
    fn name_release(&mut self, dev: &str, version: &str) {
        let body: Vec<&str> = self.text.lines().skip(1).collect();
        self.text = body.join("\n").replace(dev, version) + "\n";
    }
}

/// The diff report of the previous release's output against this build's.
fn diff_with(
    a: &ReleaseArgs,
    prev: &Release,
    files: &crate::export::Files,
) -> Result<Diff, Problem> {
    let scratch = std::env::temp_dir().join(format!("pillars-release-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let result: Result<Diff, Problem> = (|| {
        let old = match &a.previous {
            Some(d) => d.clone(),
            None => {
                let dir = scratch.join("previous");
                from_tag(
                    &format!("{TAG_PREFIX}{}", prev.version),
                    &a.common.out,
                    &dir,
                )?;
                dir
            }
        };
        let new = scratch.join("new");
        output::write_dir(&new, files, crate::export::GENERATOR, &[])?;
        let (text, (added, removed, _)) =
            super::diff::report(&old, &new).map_err(|mut p| p.remove(0))?;
        Ok(Diff {
            text,
            added,
            removed,
        })
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Writes the output directory `out` as of git tag `tag` into `dir`.
fn from_tag(tag: &str, out: &Path, dir: &Path) -> Result<(), Problem> {
    let fail = |msg: String| {
        Problem::new(Code::PreviousRelease, msg)
            .at(Loc::file(out.display().to_string()))
            .expected(format!(
                "the git tag {tag} (made when that release was cut), or --previous DIR holding its output"
            ))
    };
    let git = |args: &[&str]| -> Result<Vec<u8>, Problem> {
        let o = Command::new("git")
            .args(args)
            .output()
            .map_err(|e| fail(format!("cannot run git: {e}")))?;
        if !o.status.success() {
            return Err(fail(format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr).trim()
            )));
        }
        Ok(o.stdout)
    };
    let prefix = out.to_string_lossy().trim_end_matches('/').to_string();
    let list = git(&["ls-tree", "-r", "--name-only", tag, "--", &prefix])?;
    for path in String::from_utf8_lossy(&list).lines() {
        let rel = path.strip_prefix(&format!("{prefix}/")).unwrap_or(path);
        if rel == "datapackage.json" || rel.starts_with("csv/") {
            let bytes = git(&["show", &format!("{tag}:{path}")])?;
            let dest = dir.join(rel);
            std::fs::create_dir_all(dest.parent().unwrap_or(dir))
                .and_then(|_| std::fs::write(&dest, bytes))
                .map_err(|e| fail(format!("cannot write {}: {e}", dest.display())))?;
        }
    }
    if !dir.join("datapackage.json").exists() {
        return Err(fail(format!("tag {tag} has no {prefix}/datapackage.json")));
    }
    Ok(())
}

/// CITATION.cff with `version` and `date-released` set (other lines kept as written).
fn citation(cff: &str, version: &str, date: &str) -> String {
    let mut lines: Vec<String> = cff
        .lines()
        .filter(|l| !l.starts_with("version:") && !l.starts_with("date-released:"))
        .map(str::to_string)
        .collect();
    lines.push(format!("version: \"{version}\""));
    lines.push(format!("date-released: \"{date}\""));
    lines.join("\n") + "\n"
}

#[allow(clippy::too_many_arguments)]
fn entry(
    version: &str,
    date: &str,
    hash: &str,
    schema_version: &str,
    prev: Option<&Release>,
    diff: Option<&Diff>,
    files: &crate::export::Files,
) -> String {
    let mut e = format!(
        "## {version} — {date}\n\nDataset {version}, content SHA-256 `{hash}`, schema {schema_version}. "
    );
    e += &match prev {
        Some(p) => format!("Previous release: {} ({}).\n\n", p.version, p.date),
        None => "First numbered release.\n\n".to_string(),
    };
    e += "| table | rows |\n|---|---|\n";
    let manifest: serde_json::Value = files
        .get("manifest.json")
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    for f in manifest["files"].as_array().into_iter().flatten() {
        if let (Some(p), Some(n)) = (f["path"].as_str(), f["rows"].as_u64())
            && let Some(t) = p.strip_prefix("csv/").and_then(|p| p.strip_suffix(".csv"))
        {
            e += &format!("| {t} | {n} |\n");
        }
    }
    if let Some(d) = diff {
        e += &format!(
            "\nChanges since {} (`pillars diff`):\n\n```text\n{}```\n",
            prev.map_or("", |p| p.version.as_str()),
            d.text
        );
    }
    e + "\n"
}

/// The changelog with `entry` before the first release heading (newest first).
fn changelog(log: &str, entry: &str) -> String {
    let mut at = None;
    let mut pos = 0;
    for line in log.split_inclusive('\n') {
        if line.starts_with("## ") && !line.starts_with("## Conventions") {
            at = Some(pos);
            break;
        }
        pos += line.len();
    }
    match at {
        Some(i) => format!("{}{entry}{}", &log[..i], &log[i..]),
        None if log.is_empty() => format!("# Changelog of the pillars dataset\n\n{entry}"),
        None => format!("{}\n{entry}", log.trim_end()),
    }
}

//! Numbered releases of the dataset, distinct from the schema version.
//!
//! The dataset's identity is the SHA-256 of its normalised content (`content_hash`): every
//! table's values, row by row, as the pipeline holds them after reconcile — not the bytes of
//! raw/, so a comment, blank line or reordering in raw/ changes nothing. Releases are listed
//! in `releases.json` (version, date, content hash, schema version), written by
//! `pillars release`. A build whose content is a release's gets that version (`1.2.0`);
//! otherwise it is `LATEST+dev.HASH12` (semver build metadata: the latest release plus
//! unreleased changes), or `0.0.0+dev.HASH12` before the first release.

use crate::diagnostic::{Code, Loc, Problem};
use crate::export::{Files, hex};
use crate::model::Value;
use crate::provenance::Cell;
use crate::reconcile::Dataset;
use crate::schema::Schema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::Path;

/// The release record, at the repository root beside raw/ and schema/.
pub const RELEASES: &str = "releases.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Release {
    pub version: String,
    pub date: String,
    pub content_sha256: String,
    pub schema_version: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Releases {
    pub releases: Vec<Release>,
}

impl Releases {
    /// The record at `path`; no file means no release yet.
    pub fn load(path: &Path) -> Result<Releases, Problem> {
        let bytes = match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Releases::default()),
            Err(e) => return Err(record_problem(path, format!("cannot read: {e}"))),
            Ok(b) => b,
        };
        let r: Releases = serde_json::from_slice(&bytes)
            .map_err(|e| record_problem(path, format!("invalid (line {}): {e}", e.line())))?;
        for rel in &r.releases {
            if !crate::schema::is_semver(&rel.version) || rel.content_sha256.len() != 64 {
                return Err(record_problem(
                    path,
                    format!(
                        "release `{}` has a malformed version or content_sha256",
                        rel.version
                    ),
                ));
            }
        }
        Ok(r)
    }

    pub fn latest(&self) -> Option<&Release> {
        self.releases.last()
    }

    /// The dataset version of content with hash `content`.
    pub fn version_for(&self, content: &str) -> String {
        if let Some(r) = self
            .releases
            .iter()
            .rev()
            .find(|r| r.content_sha256 == content)
        {
            return r.version.clone();
        }
        let base = self.latest().map_or("0.0.0", |r| r.version.as_str());
        format!("{base}+dev.{}", &content[..12])
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        crate::export::pretty(&serde_json::to_value(self).expect("serialisable"))
    }
}

fn record_problem(path: &Path, msg: String) -> Problem {
    Problem::new(Code::ReleaseRecord, msg)
        .at(Loc::file(path.display().to_string()))
        .expected(
            "{\"releases\": [{\"version\": \"1.0.0\", \"date\": \"YYYY-MM-DD\", \"content_sha256\": \"<64 hex>\", \"schema_version\": \"1.1.0\"}]}, as `pillars release` writes it",
        )
}

/// SHA-256 of the normalised content: table names, column names and every value, with
/// separators that cannot occur in a value's text form ambiguously (lengths are hashed).
pub fn content_hash(ds: &Dataset, schema: &Schema) -> String {
    let mut h = Sha256::new();
    // Performance: the hash is fed in 64 KiB blocks (two small updates per value cost more
    // than the hashing), and each value's text goes through one reused buffer (text values
    // are borrowed). SHA-256 over the same bytes in any blocking is the same hash.
    let mut pending: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut put = |s: &str| {
        pending.extend_from_slice(&(s.len() as u64).to_le_bytes());
        pending.extend_from_slice(s.as_bytes());
        if pending.len() >= 1 << 16 {
            h.update(&pending);
            pending.clear();
        }
    };
    let mut buf = String::new();
    for t in &ds.tables {
        let ts = &schema.tables[t.schema];
        put(&ts.name);
        ts.fields.iter().for_each(|f| put(&f.name));
        let mut cells = vec![];
        for i in 0..t.len() {
            t.cells(i, &mut cells);
            for c in &cells {
                // The text form of `Value`'s Display, without the formatter where the text
                // is already there.
                match c {
                    Cell::Text(s) => put(s),
                    Cell::Value(Value::List(items)) if items.len() == 1 => put(&items[0]),
                    Cell::Value(
                        v @ (Value::Int(_) | Value::Num(_) | Value::Date(_) | Value::List(_)),
                    ) => {
                        buf.clear();
                        let _ = write!(buf, "{v}");
                        put(&buf);
                    }
                    other => put(&other.text()),
                }
            }
        }
    }
    h.update(&pending);
    hex(&h.finalize())
}

/// The dataset version written in a build's manifest.json.
pub fn version_of(files: &Files) -> String {
    files
        .get("manifest.json")
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|j| j["dataset_version"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The next version after `v` for a bump of `part` (major, minor or patch).
pub fn bump(v: &str, part: Bump) -> String {
    let n: Vec<u64> = v
        .split(['.', '+', '-'])
        .take(3)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let (a, b, c) = (
        n[0],
        n.get(1).copied().unwrap_or(0),
        n.get(2).copied().unwrap_or(0),
    );
    match part {
        Bump::Major => format!("{}.0.0", a + 1),
        Bump::Minor => format!("{a}.{}.0", b + 1),
        Bump::Patch => format!("{a}.{b}.{}", c + 1),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Bump {
    Major,
    Minor,
    Patch,
}

/// The bump a release needs: major when records or columns were removed or the schema's
/// major version grew; minor when records were added or the schema's minor grew; else patch.
pub fn auto_bump(removed: usize, added: usize, old_schema: &str, new_schema: &str) -> Bump {
    let part = |v: &str, i: usize| v.split('.').nth(i).and_then(|x| x.parse::<u64>().ok());
    if removed > 0 || part(new_schema, 0) > part(old_schema, 0) {
        Bump::Major
    } else if added > 0 || part(new_schema, 1) > part(old_schema, 1) {
        Bump::Minor
    } else {
        Bump::Patch
    }
}

/// The citation file `pillars check` compares with the latest release.
pub const CITATION: &str = "CITATION.cff";

/// CITATION.cff must give the latest release's version and date (when both exist).
pub fn citation_problems(path: &Path, releases: &Releases) -> Vec<Problem> {
    let (Some(latest), Ok(text)) = (releases.latest(), std::fs::read_to_string(path)) else {
        return vec![];
    };
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
    };
    let mut problems = vec![];
    for (key, want) in [
        ("version:", &latest.version),
        ("date-released:", &latest.date),
    ] {
        let got = value(key);
        if got.as_deref() != Some(want.as_str()) {
            let line = text.lines().position(|l| l.starts_with(key));
            let loc = match line {
                Some(i) => {
                    let start: usize = text.lines().take(i).map(|l| l.len() + 1).sum();
                    Loc::at(&path.display().to_string(), &text, start..start + key.len())
                }
                None => Loc::file(path.display().to_string()),
            };
            problems.push(
                Problem::new(
                    Code::CitationStale,
                    format!(
                        "`{key}` is {:?}, not the latest release's",
                        got.unwrap_or_default()
                    ),
                )
                .at(loc)
                .expected(format!(
                    "{key} \"{want}\" (release {} in {RELEASES}; `pillars release` writes both)",
                    latest.version
                )),
            );
        }
    }
    problems
}

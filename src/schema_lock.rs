//! Schema versions follow semver, enforced by a lock file.
//!
//! `schema/versions.lock.json` records, for every released schema version, a fingerprint
//! (SHA-256 of a canonical form of `tables/*.json` and `vocabularies.json`, so whitespace and
//! key order do not count), and for the latest release a snapshot of the schema itself. The
//! snapshot lets [`classify`] say what changed since that release and which bump each change
//! needs:
//!
//! - **major**: a table or column removed (a rename is a removal), a column's type changed, a
//!   constraint tightened (new `required`/`unique`, higher minimum, lower maximum, new or
//!   changed pattern, enum narrowed, new vocabulary or reference), a vocabulary value or a
//!   vocabulary removed, a primary key changed, columns reordered, a new required column, or
//!   any other property changed (the `x-` pipeline properties change what the data means);
//! - **minor**: a table, an optional column, a vocabulary or a vocabulary value added, a
//!   constraint loosened;
//! - **patch**: only descriptions, titles and examples (and vocabulary value labels).
//!
//! `pillars check` runs [`check`]; `pillars schema-lock` runs [`record`].

use crate::diagnostic::{Code, Loc, Problem};
use crate::schema::{Schema, is_semver};
use regex::Regex;
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// The lock file, in the schema directory.
pub const LOCK_FILE: &str = "versions.lock.json";

/// How much a change breaks users of the dataset (and annotators of raw/).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Level {
    Patch,
    Minor,
    Major,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        })
    }
}

/// One difference between the latest release and the current schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub level: Level,
    pub what: String,
    /// Schema file the change is in (relative to the schema directory).
    pub file: String,
    /// Regexes found one after the other in `file` to point at the changed line.
    pub path: Vec<String>,
}

/// A semantic version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u64, pub u64, pub u64);

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        if !is_semver(s) {
            return None;
        }
        let mut it = s.split('.').map(|p| p.parse::<u64>().ok());
        Some(Version(it.next()??, it.next()??, it.next()??))
    }
    /// The smallest version after `self` with a bump of `level`.
    pub fn bump(self, level: Level) -> Version {
        match level {
            Level::Major => Version(self.0 + 1, 0, 0),
            Level::Minor => Version(self.0, self.1 + 1, 0),
            Level::Patch => Version(self.0, self.1, self.2 + 1),
        }
    }
    /// The bump from `self` to a later `to`; None when `to` is not later.
    pub fn bump_to(self, to: Version) -> Option<Level> {
        if to <= self {
            None
        } else if to.0 > self.0 {
            Some(Level::Major)
        } else if to.1 > self.1 {
            Some(Level::Minor)
        } else {
            Some(Level::Patch)
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// JSON with every object's keys in sorted order, whatever serde_json's map order is.
fn sorted(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let keys: BTreeMap<&String, &Json> = m.iter().collect();
            Json::Object(
                keys.into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The schema as the lock records it: `{"tables": {name: table JSON}, "vocabularies": …}`.
/// Built from the bytes `Schema::load` read, so it is exactly what the build used.
pub fn snapshot(schema: &Schema) -> Json {
    let mut tables = Map::new();
    let mut vocabularies = Json::Null;
    for (rel, bytes) in &schema.files {
        let Ok(j) = serde_json::from_slice::<Json>(bytes) else {
            continue; // VERSION; the JSON files parsed when the schema loaded
        };
        if rel == "vocabularies.json" {
            vocabularies = j;
        } else if rel.starts_with("tables/") {
            let name = j["name"].as_str().unwrap_or(rel).to_string();
            tables.insert(name, j);
        }
    }
    sorted(&json!({ "tables": tables, "vocabularies": vocabularies }))
}

/// SHA-256 (hex) of the canonical form of a snapshot: compact JSON, keys sorted.
pub fn fingerprint(snapshot: &Json) -> String {
    let canonical = serde_json::to_string(&sorted(snapshot)).expect("JSON serialises");
    crate::export::sha256(canonical.as_bytes())
}

fn render(v: &Json) -> String {
    match v {
        Json::Null => "none".into(),
        Json::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", regex::escape(s))
}

/// A table's `fields` array as (name, field JSON) pairs, in order.
fn named_fields(fields: &Json) -> Vec<(String, Json)> {
    let named = |f: &Json| {
        (
            f["name"].as_str().unwrap_or_default().to_string(),
            f.clone(),
        )
    };
    fields.as_array().into_iter().flatten().map(named).collect()
}

fn key_re(k: &str) -> String {
    format!("{}\\s*:", quoted(k))
}
fn name_re(n: &str) -> String {
    format!("\"name\"\\s*:\\s*{}", quoted(n))
}

struct Classifier {
    changes: Vec<Change>,
}

impl Classifier {
    fn push(&mut self, level: Level, what: String, file: &str, path: Vec<String>) {
        self.changes.push(Change {
            level,
            what,
            file: file.to_string(),
            path,
        });
    }

    fn table(&mut self, name: &str, old: &Json, new: &Json) {
        let file = format!("tables/{name}.json");
        for (k, a, b) in changed_keys(old, new) {
            let at = vec![key_re(k)];
            match k.as_str() {
                "fields" => self.fields(name, &file, a, b),
                "title" | "description" | "example" | "examples" => self.push(
                    Level::Patch,
                    format!("table `{name}`: {k} changed"),
                    &file,
                    at,
                ),
                "primaryKey" => self.push(
                    Level::Major,
                    format!(
                        "table `{name}`: primary key changed from {} to {}",
                        render(a),
                        render(b)
                    ),
                    &file,
                    at,
                ),
                _ => self.push(
                    Level::Major,
                    format!(
                        "table `{name}`: property `{k}` changed from {} to {}",
                        render(a),
                        render(b)
                    ),
                    &file,
                    at,
                ),
            }
        }
    }

    fn fields(&mut self, table: &str, file: &str, old: &Json, new: &Json) {
        let (old, new) = (named_fields(old), named_fields(new));
        let old_map: BTreeMap<&str, &Json> = old.iter().map(|(n, f)| (n.as_str(), f)).collect();
        let new_map: BTreeMap<&str, &Json> = new.iter().map(|(n, f)| (n.as_str(), f)).collect();
        for (name, _) in &old {
            if !new_map.contains_key(name.as_str()) {
                self.push(
                    Level::Major,
                    format!(
                        "column `{table}.{name}` removed (a rename counts as a removal and an addition)"
                    ),
                    file,
                    vec![key_re("fields")],
                );
            }
        }
        for (name, f) in &new {
            match old_map.get(name.as_str()) {
                None => self.added(table, name, file, f),
                Some(o) => self.field(table, name, file, o, f),
            }
        }
        let common = |list: &[(String, Json)], other: &BTreeMap<&str, &Json>| -> Vec<String> {
            let kept = list.iter().filter(|(n, _)| other.contains_key(n.as_str()));
            kept.map(|(n, _)| n.clone()).collect()
        };
        if common(&old, &new_map) != common(&new, &old_map) {
            self.push(
                Level::Major,
                format!("table `{table}`: columns reordered"),
                file,
                vec![key_re("fields")],
            );
        }
    }

    /// A new column: major if rows written before it cannot satisfy it (required), else minor.
    fn added(&mut self, table: &str, name: &str, file: &str, f: &Json) {
        let required = f["constraints"]["required"] == json!(true);
        self.push(
            if required { Level::Major } else { Level::Minor },
            if required {
                format!("required column `{table}.{name}` added")
            } else {
                format!("column `{table}.{name}` added")
            },
            file,
            vec![name_re(name)],
        );
    }

    fn field(&mut self, table: &str, name: &str, file: &str, old: &Json, new: &Json) {
        let col = format!("column `{table}.{name}`");
        for (k, a, b) in changed_keys(old, new) {
            let at = vec![name_re(name), key_re(k)];
            let (level, what) = match k.as_str() {
                "constraints" => {
                    self.constraints(&col, file, name, a, b);
                    continue;
                }
                "description" | "title" | "example" | "examples" => {
                    (Level::Patch, format!("{col}: {k} changed"))
                }
                "type" => (
                    Level::Major,
                    format!("{col}: type changed from {} to {}", render(a), render(b)),
                ),
                "x-vocabulary" | "x-ref" => {
                    let what = if k == "x-vocabulary" {
                        "vocabulary"
                    } else {
                        "reference"
                    };
                    match (a, b) {
                        (Json::Null, _) => (
                            Level::Major,
                            format!("{col}: {what} {} added (tightens)", render(b)),
                        ),
                        (_, Json::Null) => (
                            Level::Minor,
                            format!("{col}: {what} {} removed (loosens)", render(a)),
                        ),
                        _ => (
                            Level::Major,
                            format!("{col}: {what} changed from {} to {}", render(a), render(b)),
                        ),
                    }
                }
                "name" => continue,
                _ => (
                    Level::Major,
                    format!(
                        "{col}: property `{k}` changed from {} to {}",
                        render(a),
                        render(b)
                    ),
                ),
            };
            self.push(level, what, file, at);
        }
    }

    fn constraints(&mut self, col: &str, file: &str, name: &str, old: &Json, new: &Json) {
        for (k, a, b) in changed_keys(old, new) {
            let tighter = |why: &str| (Level::Major, format!("{col}: constraint `{k}` {why}"));
            let looser = |why: &str| (Level::Minor, format!("{col}: constraint `{k}` {why}"));
            let change = format!("from {} to {}", render(a), render(b));
            let (level, what) = match (k.as_str(), a, b) {
                ("required" | "unique", _, _) => {
                    if b == &json!(true) {
                        tighter("set (tightens)")
                    } else {
                        looser("dropped (loosens)")
                    }
                }
                ("minimum" | "exclusiveMinimum" | "minLength", _, _) => {
                    match (a.as_f64(), b.as_f64()) {
                        (_, None) => looser(&format!("removed, was {} (loosens)", render(a))),
                        (None, Some(_)) => tighter(&format!("added: {} (tightens)", render(b))),
                        (Some(x), Some(y)) if y > x => {
                            tighter(&format!("raised {change} (tightens)"))
                        }
                        _ => looser(&format!("lowered {change} (loosens)")),
                    }
                }
                ("maximum" | "exclusiveMaximum" | "maxLength", _, _) => {
                    match (a.as_f64(), b.as_f64()) {
                        (_, None) => looser(&format!("removed, was {} (loosens)", render(a))),
                        (None, Some(_)) => tighter(&format!("added: {} (tightens)", render(b))),
                        (Some(x), Some(y)) if y < x => {
                            tighter(&format!("lowered {change} (tightens)"))
                        }
                        _ => looser(&format!("raised {change} (loosens)")),
                    }
                }
                ("enum", _, Json::Null) => looser("removed (loosens)"),
                ("enum", Json::Array(x), Json::Array(y)) => {
                    let gone: Vec<String> =
                        x.iter().filter(|v| !y.contains(v)).map(render).collect();
                    if gone.is_empty() {
                        looser("widened (loosens)")
                    } else {
                        tighter(&format!("narrowed: {} no longer allowed", gone.join(", ")))
                    }
                }
                (_, Json::Null, _) => tighter(&format!("added: {} (tightens)", render(b))),
                (_, _, Json::Null) => looser(&format!("removed, was {} (loosens)", render(a))),
                _ => tighter(&format!("changed {change}")),
            };
            self.push(
                level,
                what,
                file,
                vec![name_re(name), key_re("constraints"), key_re(k)],
            );
        }
    }

    fn vocabularies(&mut self, old: &Json, new: &Json) {
        let file = "vocabularies.json";
        let empty = Map::new();
        let (o, n) = (
            old.as_object().unwrap_or(&empty),
            new.as_object().unwrap_or(&empty),
        );
        let names: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
        for v in names {
            match (o.get(v), n.get(v)) {
                (Some(_), None) => self.push(
                    Level::Major,
                    format!("vocabulary `{v}` removed"),
                    file,
                    vec![],
                ),
                (None, Some(_)) => self.push(
                    Level::Minor,
                    format!("vocabulary `{v}` added"),
                    file,
                    vec![key_re(v)],
                ),
                (Some(a), Some(b)) if a != b => self.vocabulary(v, a, b),
                _ => {}
            }
        }
    }

    fn vocabulary(&mut self, v: &str, old: &Json, new: &Json) {
        let file = "vocabularies.json";
        let empty = Map::new();
        for (k, a, b) in changed_keys(old, new) {
            match k.as_str() {
                "values" => {
                    let (va, vb) = (
                        a.as_object().unwrap_or(&empty),
                        b.as_object().unwrap_or(&empty),
                    );
                    let values: BTreeSet<&String> = va.keys().chain(vb.keys()).collect();
                    for x in values {
                        match (va.get(x), vb.get(x)) {
                            (Some(_), None) => self.push(
                                Level::Major,
                                format!("vocabulary `{v}`: value `{x}` removed"),
                                file,
                                vec![key_re(v), key_re("values")],
                            ),
                            (None, Some(_)) => self.push(
                                Level::Minor,
                                format!("vocabulary `{v}`: value `{x}` added"),
                                file,
                                vec![key_re(v), key_re("values"), key_re(x)],
                            ),
                            (Some(p), Some(q)) if p != q => self.push(
                                Level::Patch,
                                format!("vocabulary `{v}`: label of `{x}` changed"),
                                file,
                                vec![key_re(v), key_re("values"), key_re(x)],
                            ),
                            _ => {}
                        }
                    }
                }
                "description" | "title" => self.push(
                    Level::Patch,
                    format!("vocabulary `{v}`: {k} changed"),
                    file,
                    vec![key_re(v), key_re(k)],
                ),
                _ => self.push(
                    Level::Major,
                    format!(
                        "vocabulary `{v}`: property `{k}` changed from {} to {}",
                        render(a),
                        render(b)
                    ),
                    file,
                    vec![key_re(v)],
                ),
            }
        }
    }
}

/// The keys whose values differ between two JSON objects (a missing key counts as null),
/// in key order, with the old and new value.
fn changed_keys<'a>(old: &'a Json, new: &'a Json) -> Vec<(&'a String, &'a Json, &'a Json)> {
    let (o, n) = (old.as_object(), new.as_object());
    let keys: BTreeSet<&String> = o
        .into_iter()
        .flat_map(|m| m.keys())
        .chain(n.into_iter().flat_map(|m| m.keys()))
        .collect();
    keys.into_iter()
        .map(|k| {
            (
                k,
                o.and_then(|m| m.get(k)).unwrap_or(&Json::Null),
                n.and_then(|m| m.get(k)).unwrap_or(&Json::Null),
            )
        })
        .filter(|(_, a, b)| a != b)
        .collect()
}

/// Every change from snapshot `old` to snapshot `new`, with the bump each needs, in a stable
/// order (tables by name, then vocabularies).
pub fn classify(old: &Json, new: &Json) -> Vec<Change> {
    let mut c = Classifier { changes: vec![] };
    let empty = Map::new();
    let (ot, nt) = (
        old["tables"].as_object().unwrap_or(&empty),
        new["tables"].as_object().unwrap_or(&empty),
    );
    let names: BTreeSet<&String> = ot.keys().chain(nt.keys()).collect();
    for t in names {
        match (ot.get(t), nt.get(t)) {
            (Some(_), None) => c.push(
                Level::Major,
                format!("table `{t}` removed"),
                "tables",
                vec![],
            ),
            (None, Some(_)) => c.push(
                Level::Minor,
                format!("table `{t}` added"),
                &format!("tables/{t}.json"),
                vec![],
            ),
            (Some(a), Some(b)) if a != b => c.table(t, a, b),
            _ => {}
        }
    }
    c.vocabularies(&old["vocabularies"], &new["vocabularies"]);
    c.changes
}

/// The bump a list of changes needs (None when there are none).
pub fn required(changes: &[Change]) -> Option<Level> {
    changes.iter().map(|c| c.level).max()
}

/// One released version in the lock.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Release {
    pub version: String,
    pub fingerprint: String,
}

/// `schema/versions.lock.json`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Lock {
    /// What the file is, for a person who opens it.
    pub about: String,
    /// Every released schema version, oldest first.
    pub releases: Vec<Release>,
    /// The latest release's version and snapshot.
    pub latest: Latest,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Latest {
    pub version: String,
    pub snapshot: Json,
}

const ABOUT: &str = "Released schema versions. Written by `pillars schema-lock`; checked by `pillars check`. Do not edit by hand.";

fn lock_problem(path: &Path, msg: String) -> Problem {
    Problem::new(Code::SchemaLock, msg)
        .at(Loc::file(path.display().to_string()))
        .expected(format!(
            "a lock written by `pillars schema-lock` (see README, \"Changing the schema\"); \
             restore {LOCK_FILE} from git if it was damaged"
        ))
}

/// Reads the lock; Ok(None) when the file does not exist.
pub fn read(schema_dir: &Path) -> Result<Option<Lock>, Problem> {
    let path = schema_dir.join(LOCK_FILE);
    let bytes = match crate::fsio::read_regular(&path, crate::fsio::MAX_METADATA_BYTES) {
        Ok(b) => b,
        Err(crate::fsio::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => {
            return Err(lock_problem(
                &path,
                format!("cannot read the schema lock: {e}"),
            ));
        }
    };
    let lock: Lock = serde_json::from_slice(&bytes).map_err(|e| {
        lock_problem(
            &path,
            format!("the schema lock is not valid (line {}): {e}", e.line()),
        )
    })?;
    if lock.releases.last().map(|r| &r.version) != Some(&lock.latest.version) {
        return Err(lock_problem(
            &path,
            format!(
                "the schema lock's latest snapshot is {} but its last release is {}",
                lock.latest.version,
                lock.releases.last().map_or("none", |r| r.version.as_str())
            ),
        ));
    }
    Ok(Some(lock))
}

/// The line of a change in the current schema files, when it can be found.
fn locate(schema_dir: &Path, schema: &Schema, c: &Change) -> Loc {
    let path = schema_dir.join(&c.file).display().to_string();
    let Some(bytes) = schema.file(&c.file) else {
        return Loc::file(path);
    };
    let text = String::from_utf8_lossy(bytes);
    let mut pos = 0;
    let mut span = None;
    for re in &c.path {
        let Ok(re) = Regex::new(re) else { break };
        match re.find_at(&text, pos) {
            Some(m) => {
                span = Some(m.start()..m.end());
                pos = m.end();
            }
            None => break,
        }
    }
    match span {
        Some(s) => Loc::at(&path, &text, s),
        None => Loc::file(path),
    }
}

/// What `pillars check` asks of the schema: unchanged since its version was released, or a
/// new version whose bump is at least what the changes need, recorded in the lock.
pub fn check(schema_dir: &Path, schema: &Schema) -> Vec<Problem> {
    let lock_path = schema_dir.join(LOCK_FILE);
    let lock = match read(schema_dir) {
        Ok(Some(l)) => l,
        Ok(None) => {
            return vec![lock_problem(
                &lock_path,
                format!("the schema lock {} is missing", lock_path.display()),
            )];
        }
        Err(p) => return vec![p],
    };
    let mut out = evaluate(schema_dir, schema, &lock);
    if out.is_empty() && !lock.releases.iter().any(|r| r.version == schema.version) {
        out.push(
            Problem::new(
                Code::SchemaLock,
                format!(
                    "schema version {} is not recorded in the schema lock (latest release: {})",
                    schema.version, lock.latest.version
                ),
            )
            .at(Loc::file(lock_path.display().to_string()))
            .expected("run `pillars schema-lock` to record the release, then `make` and commit schema/ and output/"),
        );
    }
    out
}

/// Everything [`check`] reports except "the new version is not recorded yet".
fn evaluate(schema_dir: &Path, schema: &Schema, lock: &Lock) -> Vec<Problem> {
    let snap = snapshot(schema);
    let released = lock.releases.iter().find(|r| r.version == schema.version);
    if released.is_some_and(|r| r.fingerprint == fingerprint(&snap)) {
        return vec![];
    }
    // Classified only when something differs (`pillars check` on a released schema stops above).
    let changes = classify(&lock.latest.snapshot, &snap);
    let against = Against {
        schema_dir,
        schema,
        changes: &changes,
        latest: &lock.latest.version,
    };
    if released.is_some() {
        against.released_but_changed()
    } else {
        against.new_version()
    }
}

/// The current schema against the latest release: what [`evaluate`]'s two cases read.
struct Against<'a> {
    schema_dir: &'a Path,
    schema: &'a Schema,
    /// From the latest release to the current schema.
    changes: &'a [Change],
    latest: &'a str,
}

impl Against<'_> {
    /// The current version was released: the schema must be exactly what was released.
    fn released_but_changed(&self) -> Vec<Problem> {
        let (current, latest) = (self.schema.version.as_str(), self.latest);
        if current != latest {
            return vec![not_after_latest(
                self.schema_dir,
                latest,
                format!(
                    "schema/VERSION is {current}, an older release than the latest ({latest}), and schema/ differs from it"
                ),
            )];
        }
        let need = required(self.changes).unwrap_or(Level::Patch);
        let next = Version::parse(latest).map(|v| v.bump(need).to_string());
        let mut out: Vec<Problem> = self.changes
            .iter()
            .map(|c| {
                let why = format!(
                    "schema changed without a version bump: {} needs a {} bump, but schema/VERSION is still {current}",
                    c.what, c.level
                );
                let next = next.as_deref().unwrap_or_default();
                let fix = format!("schema/VERSION {next} or later; run `pillars schema-lock --bump {need}`");
                bump_too_small(self.schema_dir, self.schema, c, why, fix)
            })
            .collect();
        if out.is_empty() {
            // Same structure, different fingerprint: only possible if the lock was edited.
            out.push(lock_problem(
                &self.schema_dir.join(LOCK_FILE),
                format!("schema {current} does not match its recorded fingerprint"),
            ));
        }
        out
    }

    /// A new version: it must be after the latest release, by a large enough bump.
    fn new_version(&self) -> Vec<Problem> {
        let (current, latest) = (self.schema.version.as_str(), self.latest);
        let (Some(from), Some(to)) = (Version::parse(latest), Version::parse(current)) else {
            return vec![lock_problem(
                &self.schema_dir.join(LOCK_FILE),
                format!("the latest release `{latest}` is not a semantic version"),
            )];
        };
        let Some(bump) = from.bump_to(to) else {
            return vec![not_after_latest(
                self.schema_dir,
                latest,
                format!(
                    "schema/VERSION is {current}, which is not after the latest release {latest}"
                ),
            )];
        };
        self.changes
            .iter()
            .filter(|c| c.level > bump)
            .map(|c| {
                let why = format!(
                    "schema version bump too small: {} needs a {} bump, but {latest} → {current} is a {bump} bump",
                    c.what, c.level
                );
                let fix = format!("schema/VERSION {} or later", from.bump(c.level));
                bump_too_small(self.schema_dir, self.schema, c, why, fix)
            })
            .collect()
    }
}

/// schema/VERSION names a release before the latest, or the latest itself changed.
fn not_after_latest(schema_dir: &Path, latest: &str, why: String) -> Problem {
    let version = Loc::file(schema_dir.join("VERSION").display().to_string());
    Problem::new(Code::SchemaVersion, why)
        .at(version)
        .expected(format!("a version after {latest}"))
}

/// A change that needs a larger version bump than schema/VERSION makes, at its line.
fn bump_too_small(
    schema_dir: &Path,
    schema: &Schema,
    c: &Change,
    why: String,
    fix: String,
) -> Problem {
    Problem::new(Code::SchemaVersion, why)
        .at(locate(schema_dir, schema, c))
        .expected(fix)
}

/// What [`record`] did.
pub struct Recorded {
    pub version: String,
    pub previous: Option<String>,
    pub changes: Vec<Change>,
    /// The version was already recorded with this exact schema; nothing written.
    pub unchanged: bool,
}

/// `pillars schema-lock`: records the current schema as a release. With `bump`, first writes
/// the next version of that size to schema/VERSION (`auto`: the size the changes need). Refuses
/// (writing nothing) when the version's bump is too small for the changes.
pub fn record(schema_dir: &Path, bump: Option<Bump>) -> Result<Recorded, Vec<Problem>> {
    let mut schema = Schema::load(schema_dir)?;
    let lock = read(schema_dir).map_err(|p| vec![p])?;
    let snap = snapshot(&schema);
    let fp = fingerprint(&snap);
    let Some(mut lock) = lock else {
        return first_release(schema_dir, schema, bump, snap, fp);
    };
    let changes = classify(&lock.latest.snapshot, &snap);
    // Written with the lock, below: both or (on a failed write) neither.
    let mut new_version = None;
    if let Some(b) = bump {
        bump_version(schema_dir, &mut schema, &lock, &changes, b)?;
        new_version = Some(format!("{}\n", schema.version));
    }
    if let Some(r) = lock.releases.iter().find(|r| r.version == schema.version) {
        if r.fingerprint != fp {
            return Err(check(schema_dir, &schema));
        }
        if let Some(v) = &new_version {
            write(schema_dir, None, Some(v.as_str()))?;
        }
        return Ok(Recorded {
            version: schema.version,
            previous: Some(lock.latest.version),
            changes,
            unchanged: true,
        });
    }
    let problems = evaluate(schema_dir, &schema, &lock);
    if !problems.is_empty() {
        return Err(problems);
    }
    let previous = lock.latest.version.clone();
    lock.releases.push(Release {
        version: schema.version.clone(),
        fingerprint: fp,
    });
    lock.latest = Latest {
        version: schema.version.clone(),
        snapshot: snap,
    };
    write(schema_dir, Some(&lock), new_version.as_deref())?;
    Ok(Recorded {
        version: schema.version,
        previous: Some(previous),
        changes,
        unchanged: false,
    })
}

/// The first release: nothing to compare with, so nothing to bump from.
fn first_release(
    schema_dir: &Path,
    schema: Schema,
    bump: Option<Bump>,
    snap: Json,
    fp: String,
) -> Result<Recorded, Vec<Problem>> {
    if bump.is_some() {
        return Err(vec![lock_problem(
            &schema_dir.join(LOCK_FILE),
            "there is no schema lock yet, so there is no release to bump from".into(),
        )]);
    }
    let lock = Lock {
        about: ABOUT.into(),
        releases: vec![Release {
            version: schema.version.clone(),
            fingerprint: fp,
        }],
        latest: Latest {
            version: schema.version.clone(),
            snapshot: snap,
        },
    };
    write(schema_dir, Some(&lock), None)?;
    Ok(Recorded {
        version: schema.version,
        previous: None,
        changes: vec![],
        unchanged: false,
    })
}

/// Sets `schema.version` to the version `bump` makes of the latest release, checked (before
/// anything is written, so a refused bump leaves schema/ untouched) to be large enough.
fn bump_version(
    schema_dir: &Path,
    schema: &mut Schema,
    lock: &Lock,
    changes: &[Change],
    bump: Bump,
) -> Result<(), Vec<Problem>> {
    let latest = &lock.latest.version;
    let from = Version::parse(latest).ok_or_else(|| {
        vec![lock_problem(
            &schema_dir.join(LOCK_FILE),
            format!("the latest release `{latest}` is not a semantic version"),
        )]
    })?;
    let level = match bump {
        Bump::Auto => required(changes).ok_or_else(|| {
            vec![
                Problem::new(
                    Code::SchemaVersion,
                    format!(
                        "schema/ has not changed since release {latest}; there is nothing to bump"
                    ),
                )
                .at(Loc::file(schema_dir.display().to_string())),
            ]
        })?,
        Bump::Major => Level::Major,
        Bump::Minor => Level::Minor,
        Bump::Patch => Level::Patch,
    };
    schema.version = from.bump(level).to_string();
    let problems = evaluate(schema_dir, schema, lock);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(())
}

/// Writes schema/VERSION (when bumped) and the lock together through `output::write_files`:
/// both new files are written and fsynced before either replaces its old one, so a failed
/// write (a full disk) leaves both unchanged. VERSION is renamed in first: a crash between
/// the two renames leaves an unrecorded version, which `pillars check` reports and
/// `pillars schema-lock` then records.
fn write(
    schema_dir: &Path,
    lock: Option<&Lock>,
    version: Option<&str>,
) -> Result<(), Vec<Problem>> {
    let lock_text = lock.map(|lock| {
        let mut text = serde_json::to_string_pretty(&sorted(
            &serde_json::to_value(lock).expect("lock serialises"),
        ))
        .expect("JSON serialises");
        text.push('\n');
        text
    });
    let (vpath, lpath) = (schema_dir.join("VERSION"), schema_dir.join(LOCK_FILE));
    let mut files: Vec<(&Path, &[u8])> = vec![];
    if let Some(v) = version {
        files.push((&vpath, v.as_bytes()));
    }
    if let Some(t) = &lock_text {
        files.push((&lpath, t.as_bytes()));
    }
    crate::output::write_files(&files)
        .map(drop)
        .map_err(|p| vec![p])
}

/// `--bump` of `pillars schema-lock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Bump {
    /// The smallest bump the changes since the latest release need.
    Auto,
    Major,
    Minor,
    Patch,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(fields: Json, vocab: Json) -> Json {
        json!({
            "tables": { "t": { "name": "t", "description": "T", "primaryKey": ["id"], "fields": fields } },
            "vocabularies": vocab,
        })
    }

    fn levels(old: &Json, new: &Json) -> Vec<(Level, String)> {
        classify(old, new)
            .into_iter()
            .map(|c| (c.level, c.what))
            .collect()
    }

    #[test]
    fn versions() {
        let v = Version::parse("1.2.3").unwrap();
        assert_eq!(v.bump(Level::Major).to_string(), "2.0.0");
        assert_eq!(v.bump(Level::Minor).to_string(), "1.3.0");
        assert_eq!(v.bump(Level::Patch).to_string(), "1.2.4");
        assert_eq!(v.bump_to(Version(1, 2, 3)), None);
        assert_eq!(v.bump_to(Version(1, 1, 9)), None);
        assert_eq!(v.bump_to(Version(1, 2, 9)), Some(Level::Patch));
        assert_eq!(v.bump_to(Version(1, 4, 0)), Some(Level::Minor));
        assert_eq!(v.bump_to(Version(3, 0, 0)), Some(Level::Major));
        assert_eq!(Version::parse("1.2"), None);
    }

    #[test]
    fn fingerprint_ignores_key_order_and_whitespace() {
        let a: Json = serde_json::from_str(r#"{"b": 1, "a": [1, {"y": 2, "x": 3}]}"#).unwrap();
        let b: Json = serde_json::from_str(r#"{"a":[1,{"x":3,"y":2}],"b":1}"#).unwrap();
        let c: Json = serde_json::from_str(r#"{"a":[{"x":3,"y":2},1],"b":1}"#).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn constraint_directions() {
        let f = |c: Json| {
            snap(
                json!([{ "name": "x", "type": "integer", "constraints": c }]),
                json!({}),
            )
        };
        let base = f(json!({ "minimum": 0, "maximum": 10, "enum": [1, 2] }));
        let cases = [
            (
                json!({ "minimum": 1, "maximum": 10, "enum": [1, 2] }),
                Level::Major,
            ),
            (
                json!({ "minimum": -1, "maximum": 10, "enum": [1, 2] }),
                Level::Minor,
            ),
            (json!({ "maximum": 10, "enum": [1, 2] }), Level::Minor),
            (
                json!({ "minimum": 0, "maximum": 9, "enum": [1, 2] }),
                Level::Major,
            ),
            (
                json!({ "minimum": 0, "maximum": 11, "enum": [1, 2] }),
                Level::Minor,
            ),
            (
                json!({ "minimum": 0, "maximum": 10, "enum": [1] }),
                Level::Major,
            ),
            (
                json!({ "minimum": 0, "maximum": 10, "enum": [1, 2, 3] }),
                Level::Minor,
            ),
            (
                json!({ "minimum": 0, "maximum": 10, "enum": [1, 2], "required": true }),
                Level::Major,
            ),
            (
                json!({ "minimum": 0, "maximum": 10, "enum": [1, 2], "pattern": "^1$" }),
                Level::Major,
            ),
        ];
        for (c, want) in cases {
            let got = levels(&base, &f(c.clone()));
            assert_eq!(got.len(), 1, "{c}: {got:?}");
            assert_eq!(got[0].0, want, "{c}: {got:?}");
        }
        assert!(levels(&base, &base).is_empty());
    }

    #[test]
    fn columns_and_vocabularies() {
        let base = snap(
            json!([{ "name": "id", "type": "string" }, { "name": "x", "type": "string", "description": "X" }]),
            json!({ "v": { "description": "V", "values": { "a": "A", "b": "B" } } }),
        );
        let added = snap(
            json!([{ "name": "id", "type": "string" }, { "name": "x", "type": "string", "description": "X" }, { "name": "y", "type": "string" }]),
            json!({ "v": { "description": "V2", "values": { "a": "A", "b": "B", "c": "C" } } }),
        );
        assert_eq!(
            levels(&base, &added),
            vec![
                (Level::Minor, "column `t.y` added".to_string()),
                (
                    Level::Patch,
                    "vocabulary `v`: description changed".to_string()
                ),
                (Level::Minor, "vocabulary `v`: value `c` added".to_string()),
            ]
        );
        let broke = snap(
            json!([{ "name": "x", "type": "integer", "description": "X" }, { "name": "id", "type": "string" }]),
            json!({ "v": { "description": "V", "values": { "a": "A" } } }),
        );
        assert_eq!(
            levels(&base, &broke),
            vec![
                (
                    Level::Major,
                    "column `t.x`: type changed from `string` to `integer`".to_string()
                ),
                (Level::Major, "table `t`: columns reordered".to_string()),
                (
                    Level::Major,
                    "vocabulary `v`: value `b` removed".to_string()
                ),
            ]
        );
        assert_eq!(required(&classify(&base, &broke)), Some(Level::Major));
    }
}

//! The command line: one module per subcommand. The usage text is the documentation.

use crate::diagnostic::{self, Format, Problem};
use crate::schema::Schema;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod build;
mod check;
mod codebook;
mod coverage;
mod diff;
mod paragraphs;
mod release;
mod schema_lock;
mod site;
pub mod synth;
mod validate;
mod verify;

/// Build the pillars dataset from hand-annotated extraction files.
///
/// Stages: extract → normalise → validate → reconcile → export. Each prints one line on
/// stderr (records in/out, conflicts, problems, time). Problems are printed rustc-style
/// (file:line:col, the offending line, what was expected), or as JSON with --format json;
/// any problem means a non-zero exit and nothing written.
#[derive(Parser, Debug)]
#[command(name = "pillars", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run all stages and replace the output directory atomically.
    ///
    /// The build is written to a temporary directory beside --out and swapped in; a failed
    /// build leaves the previous output untouched.
    Build(Common),
    /// Run stages 1-4 (extract, normalise, validate, reconcile) and write nothing.
    Validate(Common),
    /// Rebuild in memory and fail, naming the files, if the output directory differs.
    Check(Common),
    /// Compare two output directories: per table, records added, removed and changed.
    ///
    /// Records are matched by the table's primary key (from each directory's
    /// datapackage.json) and compared field by field from the CSV files. The report is the
    /// dataset's changelog; the exit code is 0 whether or not there are differences.
    Diff(diff::DiffArgs),
    /// Record the current schema as a release in schema/versions.lock.json.
    ///
    /// Refuses when schema/VERSION's bump is too small for the changes since the latest
    /// release (major: removals, type changes, tightened constraints; minor: additions,
    /// loosened constraints; patch: descriptions only). `--bump auto` writes the right version.
    SchemaLock(schema_lock::SchemaLockArgs),
    /// Write docs/CODEBOOK.md from schema/ and the sources table of README.md from raw/.
    ///
    /// Run from the repository root. The README block between `<!-- sources:start -->` and
    /// `<!-- sources:end -->` is replaced; `pillars check` fails when either is stale.
    Codebook(Common),
    /// Check that every number and year of every record is in the document it cites.
    ///
    /// Reads each extraction file's [source] `file` from --sources DIR and looks for every
    /// numeric field, every year of a date or period, and every number written in free text
    /// (title, description, location, occasion, item, role, name) among the figures the
    /// document states ("$1.26 billion", "€46-million", "1,000", "nine", "4%", "two-thirds").
    /// Fields marked `derived = { field = "reason" }` are accepted and counted. Any other
    /// mismatch is printed with file:line:col, record and field, and the exit code is 1.
    Verify(VerifyArgs),
    /// List the paragraphs of a source document, numbered as locators name them (`¶N`).
    ///
    /// A paragraph is a maximal run of non-blank lines (a line of only whitespace is blank),
    /// numbered from 1 at the top of the file. With N, print paragraph N whole.
    Paragraphs(paragraphs::ParagraphsArgs),
    /// Write the static site (index, charts, one page per table and per record) to --dir.
    /// Self-contained (no server, no external file): open DIR/index.html from disk or publish
    /// DIR as is. The directory is replaced atomically, and only if `pillars site` wrote it.
    Site(site::SiteArgs),
    /// Cut a numbered release of the dataset.
    /// Bumps the dataset version (--bump, or automatically from `pillars diff` against the
    /// previous release), records it in releases.json, rebuilds --out with it, updates
    /// CITATION.cff, writes the docs/CHANGELOG.md entry from the diff, and prints the git tag
    /// to make. The previous release's output is read from its git tag (`dataset-vX.Y.Z`) or
    /// from --previous DIR.
    Release(release::ReleaseArgs),
    /// Write a synthetic raw/ directory (for benchmarks and scale tests).
    ///
    /// Deterministic: the same arguments give byte-identical files. The result validates and
    /// builds with the current schema.
    Synth(synth::SynthArgs),
}

/// Options of `pillars verify`.
#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// Directory holding the source documents (e.g. ../shared/sources).
    #[arg(long, value_name = "DIR")]
    pub sources: PathBuf,
    /// Also list every derived figure the check accepted, with its reason.
    #[arg(long)]
    pub show_derived: bool,
    #[command(flatten)]
    pub common: Common,
}

/// Options shared by every command that reads the inputs.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Directory of extraction files (one TOML file per source document).
    #[arg(long, default_value = "raw")]
    pub raw: PathBuf,
    /// Directory holding the schema (tables/*.json, vocabularies.json, VERSION).
    #[arg(long, default_value = "schema")]
    pub schema: PathBuf,
    /// Output directory.
    #[arg(long, default_value = "output")]
    pub out: PathBuf,
    /// The release record (dataset versions; see `pillars release`). Missing: no release yet.
    #[arg(long, default_value = crate::release::RELEASES)]
    pub releases: PathBuf,
    /// Print no progress lines, only problems.
    #[arg(long, short)]
    pub quiet: bool,
    /// How to print problems.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

impl Common {
    pub fn options(&self) -> crate::pipeline::Options<'_> {
        crate::pipeline::Options {
            raw: &self.raw,
            releases: &self.releases,
            // JSON on stderr must be the only thing there for a machine to parse it.
            quiet: self.quiet || self.format == Format::Json,
        }
    }
    pub fn load_schema(&self) -> Result<Schema, ExitCode> {
        Schema::load(&self.schema).map_err(|p| self.fail(p))
    }
    /// Prints what the output writer did besides writing (leftovers removed), unless stderr
    /// is reserved for JSON.
    pub fn notes(&self, notes: &[String]) {
        if self.format != Format::Json {
            for n in notes {
                eprintln!("note: {n}");
            }
        }
    }
    /// Prints problems and returns the failing exit code.
    pub fn fail(&self, problems: Vec<Problem>) -> ExitCode {
        eprint!("{}", diagnostic::report(&problems, self.format));
        ExitCode::from(1)
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Build(c) => build::run(&c),
        Command::Validate(c) => validate::run(&c),
        Command::Check(c) => check::run(&c),
        Command::Verify(v) => verify::run(&v),
        Command::Paragraphs(a) => paragraphs::run(&a),
        Command::Diff(a) => diff::run(&a),
        Command::SchemaLock(a) => schema_lock::run(&a),
        Command::Codebook(c) => codebook::run(&c),
        Command::Synth(a) => synth::run(&a),
        Command::Site(a) => site::run(&a),
        Command::Release(a) => release::run(&a),
    };
    result.unwrap_or_else(|code| code)
}

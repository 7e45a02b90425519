//! The command line: one module per subcommand. The usage text is the documentation.

use crate::diagnostic::{self, Format, Problem};
use crate::schema::Schema;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod build;
mod check;
pub mod synth;
mod validate;

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
    /// Write a synthetic raw/ directory (for benchmarks and scale tests).
    ///
    /// Deterministic: the same arguments give byte-identical files. The result validates and
    /// builds with the current schema.
    Synth(synth::SynthArgs),
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
            quiet: self.quiet,
        }
    }
    pub fn load_schema(&self) -> Result<Schema, ExitCode> {
        Schema::load(&self.schema).map_err(|p| self.fail(p))
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
        Command::Synth(a) => synth::run(&a),
    };
    result.unwrap_or_else(|code| code)
}

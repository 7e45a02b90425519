//! `pillars schema-lock`: records the current schema as a release in
//! schema/versions.lock.json, optionally bumping schema/VERSION first.

use crate::diagnostic::{self, Format};
use crate::schema_lock::{self, Bump, LOCK_FILE};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug, Clone)]
pub struct SchemaLockArgs {
    /// Directory holding the schema (tables/*.json, vocabularies.json, VERSION, the lock).
    #[arg(long, default_value = "schema")]
    pub schema: PathBuf,
    /// Write the next version to schema/VERSION first: `auto` picks the smallest bump the
    /// changes since the latest release need.
    #[arg(long, value_enum)]
    pub bump: Option<Bump>,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
    /// How to print problems.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

pub fn run(a: &SchemaLockArgs) -> Result<ExitCode, ExitCode> {
    let r = schema_lock::record(&a.schema, a.bump).map_err(|p| {
        eprint!("{}", diagnostic::report(&p, a.format));
        ExitCode::from(1)
    })?;
    if !a.quiet {
        let lock = a.schema.join(LOCK_FILE);
        if r.unchanged {
            eprintln!(
                "ok: schema {} is already recorded in {}; nothing to do",
                r.version,
                lock.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        match &r.previous {
            None => eprintln!(
                "recorded schema {} as the first release in {}",
                r.version,
                lock.display()
            ),
            Some(p) => {
                eprintln!(
                    "recorded schema {} in {} (previous release {p}); changes:",
                    r.version,
                    lock.display()
                );
                for c in &r.changes {
                    eprintln!("  {:<5}  {}", c.level, c.what);
                }
                eprintln!("next: `make` to rebuild output/, then commit schema/ and output/");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

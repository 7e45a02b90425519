//! `pillars build`: all stages, then an atomic swap of the output directory.

use super::Common;
use crate::{output, pipeline};
use std::process::ExitCode;

pub fn run(c: &Common) -> Result<ExitCode, ExitCode> {
    let schema = c.load_schema()?;
    let files = pipeline::build(&schema, &c.options()).map_err(|p| c.fail(p))?;
    output::write_atomic(&c.out, &files).map_err(|p| c.fail(vec![p]))?;
    if !c.quiet {
        eprintln!("wrote      {} files to {}", files.len(), c.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

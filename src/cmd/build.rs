//! `pillars build`: all stages, then an atomic swap of the output directory.

use super::Common;
use crate::{export, output, pipeline};
use std::process::ExitCode;

pub fn run(c: &Common) -> Result<ExitCode, ExitCode> {
    let inputs = [c.raw.as_path(), c.schema.as_path()];
    // Refuse a wrong --out before the work of a build (checked again under the lock).
    let notes =
        output::check_target(&c.out, export::GENERATOR, &inputs).map_err(|p| c.fail(vec![p]))?;
    c.notes(&notes);
    let schema = c.load_schema()?;
    let files = pipeline::build(&schema, &c.options()).map_err(|p| c.fail(p))?;
    let notes = output::write_dir(&c.out, &files, export::GENERATOR, &inputs)
        .map_err(|p| c.fail(vec![p]))?;
    c.notes(&notes);
    if !c.quiet {
        eprintln!("wrote      {} files to {}", files.len(), c.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

//! `pillars validate`: stages 1-4, nothing written.

use super::Common;
use crate::pipeline;
use std::process::ExitCode;

pub fn run(c: &Common) -> Result<ExitCode, ExitCode> {
    let schema = c.load_schema()?;
    pipeline::validate(&schema, &c.options()).map_err(|p| c.fail(p))?;
    if !c.quiet {
        eprintln!("ok: no problems");
    }
    Ok(ExitCode::SUCCESS)
}

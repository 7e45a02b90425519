//! `pillars check`: the committed output must be exactly what the inputs build.

use super::Common;
use crate::diagnostic::{Code, Loc, Problem};
use crate::{output, pipeline};
use std::process::ExitCode;

pub fn run(c: &Common) -> Result<ExitCode, ExitCode> {
    let schema = c.load_schema()?;
    let files = pipeline::build(&schema, &c.options()).map_err(|p| c.fail(p))?;
    let diffs = output::compare(&c.out, &files);
    if !diffs.is_empty() {
        let problems = diffs.into_iter().map(|d| Problem::new(Code::OutputStale, d).at(Loc::file(c.out.display().to_string())).expected("output/ as `pillars build` writes it; run `make` (or `pillars build`) and commit output/")).collect();
        return Err(c.fail(problems));
    }
    if !c.quiet {
        eprintln!(
            "ok: {} is up to date ({} files)",
            c.out.display(),
            files.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

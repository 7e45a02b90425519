//! `pillars check`: the committed output must be exactly what the inputs build.

use super::Common;
use crate::diagnostic::{Code, Loc, Problem};
use crate::{output, pipeline};
use std::process::ExitCode;

pub fn run(c: &Common) -> Result<ExitCode, ExitCode> {
    let schema = c.load_schema()?;
    let files = pipeline::build(&schema, &c.options()).map_err(|p| c.fail(p))?;
    let diffs = output::compare(&c.out, &files);
    let mut problems: Vec<Problem> = diffs.into_iter().map(|d| Problem::new(Code::OutputStale, d).at(Loc::file(c.out.display().to_string())).expected("output/ as `pillars build` writes it; run `make` (or `pillars build`) and commit output/")).collect();
    problems.extend(docs(c, &schema)?);
    if !problems.is_empty() {
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

/// docs/CODEBOOK.md and README.md's sources block must be what `pillars codebook` writes.
fn docs(c: &Common, schema: &crate::schema::Schema) -> Result<Vec<Problem>, ExitCode> {
    let quiet = pipeline::Options {
        quiet: true,
        ..c.options()
    };
    let r = pipeline::reconcile(schema, &quiet).map_err(|p| c.fail(p))?;
    match super::codebook::stale(schema, &r.dataset) {
        Some(problems) => Ok(problems),
        None => {
            eprintln!(
                "note: no {} here, so {} and the README sources block were not checked",
                super::codebook::README,
                super::codebook::CODEBOOK
            );
            Ok(vec![])
        }
    }
}

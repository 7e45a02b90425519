//! `pillars check`: the committed output must be exactly what the inputs build, and the
//! schema must be a released version (or a large enough bump of one; see `schema_lock`).

use super::Common;
use crate::diagnostic::{Code, Loc, Problem};
use crate::{output, pipeline, schema_lock};
use std::process::ExitCode;

pub fn run(c: &Common) -> Result<ExitCode, ExitCode> {
    let schema = c.load_schema()?;
    let mut problems = schema_lock::check(&c.schema, &schema);
    match pipeline::reconcile(&schema, &c.options()) {
        Err(p) => problems.extend(p),
        Ok(r) => {
            let files = pipeline::export(&schema, &r, &c.options());
            let diffs = output::compare(&c.out, &files);
            problems.extend(diffs.into_iter().map(|d| Problem::new(Code::OutputStale, d).at(Loc::file(c.out.display().to_string())).expected("output/ as `pillars build` writes it; run `make` (or `pillars build`) and commit output/")));
            problems.extend(docs(&r.dataset, &schema));
            problems.extend(crate::release::citation_problems(
                std::path::Path::new(crate::release::CITATION),
                &r.releases,
            ));
            if problems.is_empty() {
                if !c.quiet {
                    eprintln!(
                        "ok: {} is up to date ({} files); schema {} is released in {}",
                        c.out.display(),
                        files.len(),
                        schema.version,
                        c.schema.join(schema_lock::LOCK_FILE).display()
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    Err(c.fail(problems))
}

/// docs/CODEBOOK.md and README.md's sources block must be what `pillars codebook` writes.
fn docs(dataset: &crate::reconcile::Dataset, schema: &crate::schema::Schema) -> Vec<Problem> {
    match super::codebook::stale(schema, dataset) {
        Some(problems) => problems,
        None => {
            eprintln!(
                "note: no {} here, so {} and the README sources block were not checked",
                super::codebook::README,
                super::codebook::CODEBOOK
            );
            vec![]
        }
    }
}

//! `pillars verify --sources DIR`: every number and year is in the document it cites.

use super::VerifyArgs;
use crate::{pipeline, verify};
use std::process::ExitCode;
use std::time::Instant;

pub fn run(v: &VerifyArgs) -> Result<ExitCode, ExitCode> {
    let c = &v.common;
    let schema = c.load_schema()?;
    let t = Instant::now();
    // Stages 1-2 as every command runs them; constraints are `validate`'s business, so a
    // figure can be checked against its document before the record is complete.
    let (ex, norm, mut problems) =
        pipeline::normalised(&schema, &c.options()).map_err(|p| c.fail(p))?;
    if !problems.is_empty() {
        crate::diagnostic::sort(&mut problems);
        return Err(c.fail(problems));
    }
    let out = verify::run(&ex, &norm.records, &schema, &v.sources).map_err(|p| c.fail(p))?;
    let s = out.stats;
    if v.show_derived {
        for a in &out.accepted {
            eprintln!(
                "derived    {}: {} `{}`, field `{}`: {}",
                a.loc, a.table, a.record, a.field, a.reason
            );
        }
    }
    if !c.quiet {
        eprintln!(
            "verify     {} documents, {} records: {} figures checked ({} numbers, {} years, {} in free text), {} derived fields accepted, {} mismatch{}, {} copied text{}, {} problem{} ({:.1} ms)",
            s.documents,
            s.records,
            s.numbers + s.years + s.in_text,
            s.numbers,
            s.years,
            s.in_text,
            s.derived,
            s.mismatches,
            if s.mismatches == 1 { "" } else { "es" },
            s.copied,
            if s.copied == 1 { "" } else { "s" },
            out.problems.len(),
            if out.problems.len() == 1 { "" } else { "s" },
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    if !out.problems.is_empty() {
        return Err(c.fail(out.problems));
    }
    if !c.quiet {
        eprintln!("ok: every figure is in its document, and no free text copies the document");
    }
    Ok(ExitCode::SUCCESS)
}

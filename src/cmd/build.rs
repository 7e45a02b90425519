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
    let opts = c.options();
    let mut r = pipeline::reconcile(&schema, &opts).map_err(|p| c.fail(p))?;
    // Export needs only the dataset: the extraction is freed meanwhile.
    pipeline::drop_in_background(std::mem::take(&mut r.extraction));
    let export = |sink: &output::DirSink| pipeline::export_to(&schema, &r, &opts, sink);
    let (listing, notes) = output::write_dir_with(&c.out, export::GENERATOR, &inputs, export)
        .map_err(|p| c.fail(vec![p]))?;
    c.notes(&notes);
    if !c.quiet {
        eprintln!("wrote      {} files to {}", listing.len(), c.out.display());
    }
    pipeline::drop_in_background(r);
    Ok(ExitCode::SUCCESS)
}

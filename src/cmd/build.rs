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
    // Performance (issue 6): freeing millions of small allocations is slow, and export needs
    // only the dataset: the extraction is freed on another thread meanwhile.
    let extraction = std::mem::take(&mut r.extraction);
    std::thread::spawn(move || drop(extraction));
    let export = |sink: &output::DirSink| pipeline::export_to(&schema, &r, &opts, sink);
    let (listing, notes) = output::write_dir_with(&c.out, export::GENERATOR, &inputs, export)
        .map_err(|p| c.fail(vec![p]))?;
    c.notes(&notes);
    if !c.quiet {
        eprintln!("wrote      {} files to {}", listing.len(), c.out.display());
    }
    std::thread::spawn(move || drop(r));
    Ok(ExitCode::SUCCESS)
}

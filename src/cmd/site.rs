//! `pillars site`: builds the dataset in memory (as `pillars check` does) and writes the
//! static site (see `crate::site`) to --dir, atomically. A directory that exists must be one
//! `pillars site` wrote (its manifest.json says so): anything else is refused, not replaced.

use super::Common;
use crate::{output, pipeline, site};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `pillars site`.
#[derive(Args, Debug, Clone)]
pub struct SiteArgs {
    /// Directory to write the site to (replaced as a whole).
    #[arg(long, default_value = "site")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(a: &SiteArgs) -> Result<ExitCode, ExitCode> {
    let c = &a.common;
    let schema = c.load_schema()?;
    let inputs = [c.raw.as_path(), c.schema.as_path(), c.out.as_path()];
    // The same rule as every writer: refuse a wrong --dir before the work (again under the lock).
    let notes =
        output::check_target(&a.dir, site::GENERATOR, &inputs).map_err(|p| c.fail(vec![p]))?;
    c.notes(&notes);
    let r = pipeline::reconcile(&schema, &c.options()).map_err(|p| c.fail(p))?;
    let files = pipeline::export(&schema, &r, &c.options());
    let version = crate::release::version_of(&files);
    let pages = site::render(&schema, &r.dataset, &files, &version);
    let notes =
        output::write_dir(&a.dir, &pages, site::GENERATOR, &inputs).map_err(|p| c.fail(vec![p]))?;
    c.notes(&notes);
    if !c.quiet {
        eprintln!("site       {} files to {}", pages.len(), a.dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

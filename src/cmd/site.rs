//! `pillars site`: builds the dataset in memory (as `pillars check` does) and writes the
//! static site (see `crate::site`) to --dir, atomically. A directory that exists must be one
//! `pillars site` wrote (its manifest.json says so): anything else is refused, not replaced.

use super::Common;
use crate::diagnostic::{Code, Loc, Problem};
use crate::{output, pipeline, site};
use clap::Args;
use std::path::{Path, PathBuf};
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
    if let Some(p) = foreign(&a.dir) {
        return Err(c.fail(vec![p]));
    }
    let r = pipeline::reconcile(&schema, &c.options()).map_err(|p| c.fail(p))?;
    let files = pipeline::export(&schema, &r, &c.options());
    let version = crate::release::version_of(&files);
    let pages = site::render(&schema, &r.dataset, &files, &version);
    output::write_atomic(&a.dir, &pages).map_err(|p| c.fail(vec![p]))?;
    if !c.quiet {
        eprintln!("site       {} files to {}", pages.len(), a.dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A problem when `dir` holds something other than a site this command wrote.
fn foreign(dir: &Path) -> Option<Problem> {
    let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none());
    match empty {
        Err(_) if !dir.exists() => return None,
        Ok(true) => return None,
        _ => {}
    }
    let manifest = std::fs::read(dir.join("manifest.json")).ok();
    let ours = manifest
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|j| j["generator"] == site::GENERATOR);
    (!ours).then(|| {
        Problem::new(
            Code::SiteDirForeign,
            "the site directory holds files that `pillars site` did not write",
        )
        .at(Loc::file(dir.display().to_string()))
        .expected(format!(
            "a new or empty directory, or one written by `pillars site` (its manifest.json has \"generator\": \"{}\"); nothing was changed",
            site::GENERATOR
        ))
    })
}

//! `pillars`: the pipeline that builds the dataset of Serbia's relations with the four pillars
//! of its foreign policy. Data flows one way through one module per stage, in [`stages`]:
//!
//! raw/*.toml → [`extract`] → [`normalise`] → [`validate`] → [`reconcile`] → [`export`] → output/
//!
//! (The stages are re-exported here, so `crate::extract` is `crate::stages::extract`.)
//! [`schema`] (read from schema/ at run time) drives every stage; [`pipeline`] runs them in
//! order; [`meaning`] checks CAMEO codes and fills the columns computed after reconcile
//! (conversions, CAMEO labels, derived marks); [`output`] writes output/ atomically; [`cmd`] holds one module per subcommand.

// Problems travel on the error path only (a failed build), so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod cmd;
pub mod diagnostic;
pub mod fsio;
pub mod guard;
pub mod json_pos;
pub mod limits;
pub mod locator;
pub mod meaning;
pub mod model;
pub mod output;
pub mod output_guard;
pub mod parallel;
pub mod pipeline;
pub mod provenance;
pub mod release;
pub mod resolution;
pub mod schema;
pub mod schema_check;
pub mod schema_lock;
pub mod site;
pub mod source_ref;
pub mod stages;
pub mod verify;

pub use stages::{export, extract, normalise, reconcile, validate};

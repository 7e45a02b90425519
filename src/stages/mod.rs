//! The build's stages, one module each, in the order data flows through them:
//!
//! raw/*.toml → [`extract`] → [`normalise`] → [`validate`] → [`reconcile`] → [`export`] → output/
//!
//! Each stage works on what the stages before it returned, with the schema; `crate::pipeline`
//! calls them in this order (and the meaning checks of `crate::meaning` between them).

pub mod export;
pub mod extract;
pub mod normalise;
pub mod reconcile;
pub mod validate;

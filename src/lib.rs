//! postpix makes Markdown blogs fast.
//!
//! The pipeline runs one way: **scan** the posts for image references ([`scan`]), **resolve** each
//! one to a file inside the site ([`resolve`], [`probe`]), **plan** the variants every source
//! needs ([`plan`]), **encode** them in parallel ([`encode`]), **write** them atomically
//! ([`write`], remembered in the [`cache`]) and **rewrite** the posts' image spans into responsive
//! `<picture>` markup ([`rewrite`], recognised later through [`marker`]). [`pipeline`] ties the
//! stages together; `build`, `check`, `restore` and `watch` are thin drivers over it, and
//! [`report`] carries what happened back to the user.
#![cfg_attr(test, allow(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod cache;
pub mod config;
pub mod encode;
pub mod error;
pub mod format;
pub mod marker;
pub mod pipeline;
pub mod plan;
pub mod probe;
pub mod report;
pub mod resolve;
pub mod rewrite;
pub mod scan;
pub mod timings;
pub mod watch;
pub mod write;

pub use config::Config;
pub use error::{Error, Result};
pub use pipeline::{run, Mode};

//! postpix makes Markdown blogs fast.
//!
//! The pipeline runs one way. The [`survey`] **scans** the posts for image references
//! ([`scan`]), **resolves** each one to a file inside the site ([`resolve`]) and reads the
//! sources' headers ([`probe`], through the byte-level walkers of [`container`]). The [`plan`]
//! then decides everything as one value: per unique source, the variants, names and folders,
//! and whether it is fresh, needs a repair or a full encode (with the exact [`encode::Request`]).
//! The [`pipeline`] **encodes** the jobs in parallel ([`encode`], whose size guard picks what is
//! worth serving), **writes** them atomically ([`write`](mod@write), remembered in the [`cache`]) and
//! **rewrites** the posts' image spans into responsive `<picture>` markup ([`rewrite`],
//! recognised later through [`marker`]); [`lint`] finds the links that will 404 on the
//! published site. `build`, `build --dry-run` and `check` consume the
//! same plan; `watch` keeps a pipeline session and refreshes only what changed. [`report`]
//! carries what happened back to the user, typed, and renders it; [`error`] says whose fault a
//! failure is.
#![cfg_attr(test, allow(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod cache;
pub mod config;
pub mod config_file;
pub mod container;
pub mod encode;
pub mod error;
pub mod fence;
pub mod format;
pub mod fuzzing;
pub mod init;
pub mod lint;
pub mod liquid;
pub mod marker;
pub mod memory;
pub mod paths;
pub mod pipeline;
pub mod plan;
pub mod probe;
pub mod report;
pub mod resolve;
pub mod rewrite;
pub mod scan;
pub mod store;
pub mod survey;
#[cfg(test)]
mod testutil;
pub mod timings;
pub mod units;
pub mod watch;
pub mod write;

pub use config::Config;
pub use error::{Error, Result};
pub use pipeline::{run, Mode};

//! postpix makes Markdown blogs fast.
//!
//! The pipeline runs one way: **scan** the posts for image references ([`scan`]), **resolve** each
//! one to a file inside the site ([`resolve`]), **plan** the variants every source needs ([`plan`]),
//! **encode** them in parallel ([`encode`]), **write** them atomically ([`write`]) and **rewrite**
//! the posts' image spans into responsive `<picture>` markup ([`rewrite`]). [`pipeline`] ties the
//! stages together; `build`, `check`, `restore` and `watch` are thin drivers over it.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod encode;
pub mod format;
pub mod scan;

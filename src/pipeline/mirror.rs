//! Mirror: with `--out`, keep a copy of the site beside the rewritten posts.
//!
//! In: the site and the posts the rewrite will write itself. Out: every other regular file
//! Jekyll would see copied into `--out` when it is missing there or older, atomically and in
//! parallel (each copy waits on two fsyncs). Build output, dependencies, dot-folders, excluded
//! paths and postpix's own folders are left out; symlinks are not followed. A file the mirror
//! put into `--out` (a copy or a rewritten post, recorded in the manifest) is deleted there once
//! it is gone from the site; a file the user put into `--out` is never touched.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::execute::write_pool;
use crate::cache;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::paths;
use crate::scan::{self, site::JekyllConfig};
use crate::survey;
use crate::write;

/// Copy what changed of the site into `out`, except `posts`, and delete from `out` what an
/// earlier sync put there (`mirrored`, updated here) and the site no longer has. A source file
/// that cannot be read stops the build; a copy that cannot be written is returned as an error of
/// the run.
pub fn sync(
    cfg: &Config,
    jekyll: &JekyllConfig,
    out: &Path,
    posts: &BTreeSet<&str>,
    mirrored: &mut BTreeSet<String>,
) -> Result<Vec<Error>> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let skip = survey::own_dirs(cfg);
    let files = scan::site::site_files(&cfg.site, jekyll, &cfg.variant_dir, &skip);
    let mut errors = remove_gone(out, &files, posts, mirrored);
    let copies: Vec<(PathBuf, PathBuf)> = files
        .iter()
        .filter(|rel| !posts.contains(rel.as_str()))
        .map(|rel| (paths::abs(&cfg.site, rel), paths::abs(out, rel)))
        .filter(|(src, dst)| match (cache::stat(src), cache::stat(dst)) {
            (Some((s1, m1)), Some((s2, m2))) => !(s1 == s2 && m2 >= m1),
            _ => true,
        })
        .collect();
    type Copied = Result<std::result::Result<(), Error>>;
    let copy = |(src, dst): &(PathBuf, PathBuf)| -> Copied {
        let bytes = std::fs::read(src).map_err(|e| Error::io(src, e))?;
        Ok(write::write_atomic(out, dst, &bytes, write::mode_of(src)))
    };
    let results: Vec<Copied> = match write_pool() {
        Some(pool) => pool.install(|| copies.par_iter().map(copy).collect()),
        None => copies.iter().map(copy).collect(),
    };
    for r in results {
        if let Err(e) = r? {
            errors.push(e);
        }
    }
    Ok(errors)
}

/// Delete from `out` what `mirrored` says an earlier sync put there and the site no longer has
/// (neither as a file nor as a post); then record what the mirror is responsible for now.
fn remove_gone(
    out: &Path,
    files: &[String],
    posts: &BTreeSet<&str>,
    mirrored: &mut BTreeSet<String>,
) -> Vec<Error> {
    let now: BTreeSet<String> = files
        .iter()
        .cloned()
        .chain(posts.iter().map(|p| p.to_string()))
        .collect();
    let mut errors = Vec::new();
    for gone in mirrored.difference(&now) {
        if let Err(e) = write::remove_output(out, &paths::abs(out, gone)) {
            errors.push(e);
        }
    }
    *mirrored = now;
    errors
}

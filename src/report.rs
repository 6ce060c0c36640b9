//! Report: what a run did, per image and per post, as data; rendered as a human summary or as
//! JSON for CI. Nothing here decides anything; the pipeline fills it in.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::encode::OutFormat;
use crate::format::Format;
use crate::resolve::Status;
use crate::scan::RefKind;

/// One reference, as `postpix scan` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct RefReport {
    /// 1-based line.
    pub line: usize,
    /// Syntax.
    pub kind: RefKind,
    /// URL as written.
    pub url: String,
    /// Resolution status.
    pub status: Status,
    /// Site-relative source path.
    pub source: Option<String>,
    /// Real format.
    pub format: Option<Format>,
    /// The extension names another format.
    pub extension_mismatch: bool,
    /// The reference is currently shown as postpix markup.
    pub rewritten: bool,
}

/// One post in `postpix scan`.
#[derive(Clone, Debug, Serialize)]
pub struct PostScanReport {
    /// Site-relative path.
    pub path: String,
    /// Its references.
    pub refs: Vec<RefReport>,
    /// Why it could not be read, if it couldn't.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One source image in `postpix scan`.
#[derive(Clone, Debug, Serialize)]
pub struct ImageScanReport {
    /// Site-relative path.
    pub source: String,
    /// Real format.
    pub format: Option<Format>,
    /// Upright width.
    pub width: Option<u32>,
    /// Upright height.
    pub height: Option<u32>,
    /// Frames.
    pub frames: Option<u32>,
    /// File size.
    pub bytes: u64,
    /// `post:line` of every reference to it.
    pub referenced_by: Vec<String>,
    /// Why its header could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Counts of `postpix scan`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanSummary {
    /// Markdown files read.
    pub posts: usize,
    /// References found.
    pub refs: usize,
    /// References per status.
    pub ok: usize,
    /// Missing files.
    pub missing: usize,
    /// Escaping the site.
    pub outside: usize,
    /// Remote.
    pub external: usize,
    /// Not images.
    pub not_image: usize,
    /// Unsupported formats.
    pub unsupported: usize,
    /// Unresolved Liquid.
    pub unresolved: usize,
    /// Unique source images.
    pub images: usize,
    /// Images no post uses.
    pub orphans: usize,
    /// Files whose extension lies.
    pub extension_mismatches: usize,
}

/// The whole `postpix scan` answer.
#[derive(Clone, Debug, Serialize)]
pub struct ScanReport {
    /// Per post.
    pub posts: Vec<PostScanReport>,
    /// Per source image.
    pub images: Vec<ImageScanReport>,
    /// Image files in the referenced folders that no post uses.
    pub orphans: Vec<String>,
    /// Counts.
    pub summary: ScanSummary,
}

/// Outcome of one source image in a build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    /// Encoded in this run.
    Encoded,
    /// Already up to date.
    Cached,
    /// Failed; its references are left as they are.
    Failed,
    /// Not processed (animated, or not needed).
    Skipped,
}

/// One variant file.
#[derive(Clone, Debug, Serialize)]
pub struct VariantReport {
    /// Path relative to the destination root.
    pub path: String,
    /// Format.
    pub format: OutFormat,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Size.
    pub bytes: u64,
}

/// A variant not kept.
#[derive(Clone, Debug, Serialize)]
pub struct DroppedReport {
    /// Format.
    pub format: OutFormat,
    /// Width.
    pub width: u32,
    /// Why.
    pub reason: String,
}

/// One source image in a build.
#[derive(Clone, Debug, Serialize)]
pub struct ImageReport {
    /// Site-relative path (the first, when identical bytes live under several names).
    pub source: String,
    /// Other names with identical bytes, encoded once with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_as: Vec<String>,
    /// Outcome.
    pub status: ImageStatus,
    /// Why it failed or was skipped.
    pub error: Option<String>,
    /// Non-fatal remarks (lying extension, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// WebP was lossless.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lossless: Option<bool>,
    /// Its variant files.
    pub variants: Vec<VariantReport>,
    /// Variants not kept.
    pub dropped: Vec<DroppedReport>,
    /// What was done to the source on the way, one line each: colour conversion
    /// (`"Adobe RGB (1998) → sRGB"`, `"YCCK (CMYK) → sRGB"`), EXIF orientation applied, frames
    /// (`"56 frames → animated WebP"`), metadata removed (`"metadata removed: EXIF (with GPS)"`).
    #[serde(default)]
    pub conversions: Vec<String>,
    /// Source size.
    pub bytes_before: u64,
    /// What a WebP-capable desktop reader downloads instead (see [`BuildSummary`]).
    pub bytes_after: u64,
}

impl ImageReport {
    /// A report for `source` with the given status and nothing else known yet.
    pub fn new(source: &str, status: ImageStatus, bytes: u64) -> Self {
        ImageReport {
            source: source.to_string(),
            same_as: vec![],
            status,
            error: None,
            warnings: vec![],
            lossless: None,
            variants: vec![],
            dropped: vec![],
            conversions: vec![],
            bytes_before: bytes,
            bytes_after: bytes,
        }
    }
}

/// A reference left as it is, or a problem found by `check`.
#[derive(Clone, Debug, Serialize)]
pub struct Note {
    /// Post, site-relative.
    pub post: String,
    /// 1-based line.
    pub line: usize,
    /// What and why.
    pub message: String,
}

/// One post in a build.
#[derive(Clone, Debug, Serialize)]
pub struct PostReport {
    /// Site-relative path.
    pub path: String,
    /// Its bytes changed in this run (or would, in a dry run).
    pub changed: bool,
    /// References shown as `<picture>` after the run.
    pub rewritten: usize,
}

/// Counts of a build.
///
/// `bytes_before`/`bytes_after` are what one reader downloads for all referenced images: the
/// source files, against the variant a WebP-capable browser picks for the content width at
/// DPR 1 (the smallest WebP at least that wide, else the largest; the fallback where no WebP).
#[derive(Clone, Debug, Default, Serialize)]
pub struct BuildSummary {
    /// Images encoded in this run.
    pub encoded: usize,
    /// Images already up to date.
    pub cached: usize,
    /// Images that failed.
    pub failed: usize,
    /// Images skipped.
    pub skipped: usize,
    /// Variant files written.
    pub variants_written: usize,
    /// Variant files deleted because nothing needs them any more.
    pub variants_pruned: usize,
    /// Posts whose bytes changed.
    pub posts_changed: usize,
    /// References shown as `<picture>`.
    pub refs_rewritten: usize,
    /// References left as they are.
    pub refs_left: usize,
    /// Bytes before.
    pub bytes_before: u64,
    /// Bytes after.
    pub bytes_after: u64,
    /// Posts or files that could not be handled.
    pub errors: usize,
}

/// The whole answer of `build`, `check` or a dry run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BuildReport {
    /// Per source image.
    pub images: Vec<ImageReport>,
    /// Per post.
    pub posts: Vec<PostReport>,
    /// References left as they are, with the reason.
    pub left: Vec<Note>,
    /// Problems (`check`), or errors that concern no single image.
    pub problems: Vec<Note>,
    /// Errors that concern no single image (unreadable posts, writes that failed, …).
    pub errors: Vec<String>,
    /// Warnings (a corrupt cache rebuilt, stale temp files removed, …).
    pub warnings: Vec<String>,
    /// Unified diff of the posts (dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Counts.
    pub summary: BuildSummary,
    /// The dependency index: every image path a post names (found on disk or not) → the posts
    /// that name it. `watch` uses it to know which posts an image change touches. Not in JSON.
    #[serde(skip)]
    pub uses: BTreeMap<String, BTreeSet<String>>,
    /// Posts this run wrote, by destination-relative path → blake3 of the bytes written, so that
    /// `watch` can tell its own writes from the author's. Not in JSON.
    #[serde(skip)]
    pub written: BTreeMap<String, String>,
}

impl BuildReport {
    /// True when something failed: the exit code is then 1.
    pub fn failed(&self) -> bool {
        self.summary.failed > 0 || !self.errors.is_empty()
    }
}

/// Human-readable byte count.
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MB", n / 1024.0 / 1024.0)
    } else if n >= 1024.0 {
        format!("{:.1} KB", n / 1024.0)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_naturally() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(2048), "2.0 KB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MB");
    }
}

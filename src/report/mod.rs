//! Report: what a run did, per image and per post, as typed data; and its renderings.
//!
//! The pipeline fills these values in and decides nothing here. `--json` serialises them
//! (errors, warnings and notes as the sentences they display as); [`human`] renders the
//! summaries a person reads, [`lines`] the one line per change `watch` prints and [`progress`]
//! the bar on a terminal. The binary only picks a rendering and prints it.

pub mod human;
pub mod lines;
pub mod progress;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use serde::{Serialize, Serializer};

use crate::cache::ManifestProblem;
use crate::container::Truncation;
use crate::encode::Conversion;
use crate::error::Error;
use crate::format::{Format, OutFormat};
use crate::plan::Refusal;
use crate::resolve::Status;
use crate::scan::RefKind;

pub use crate::units::human_bytes;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Serialise a value as the sentence it displays as.
fn as_text<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Serialise a list of values as the sentences they display as.
fn all_as_text<T: Display, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|x| x.to_string()))
}

/// Serialise an optional value as its sentence, or null.
fn opt_as_text<T: Display, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => s.collect_str(x),
        None => s.serialize_none(),
    }
}

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
    /// A raw `<img>` with no `alt` attribute at all (screen readers then read the file name).
    pub no_alt: bool,
    /// A Markdown image whose alt text is empty (`![](x.png)`): the page calls it decorative.
    pub empty_alt: bool,
    /// It names a file of the site but will 404 on the published site: why, and the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub will_404: Option<LinkReport>,
    /// It will be served as it is, without variants: why (an animated PNG, a format postpix
    /// does not re-encode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_variants: Option<String>,
}

/// A link that will 404 on the published site, as `postpix scan` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct LinkReport {
    /// Why, in a sentence.
    pub why: String,
    /// The path the browser will request.
    pub requested: String,
    /// The path the file is published at.
    pub served: String,
    /// The URL that reaches it (what `postpix build --fix-links` serves).
    pub fix: String,
}

/// One post in `postpix scan`.
#[derive(Debug, Serialize)]
pub struct PostScanReport {
    /// Site-relative path.
    pub path: String,
    /// Its references.
    pub refs: Vec<RefReport>,
    /// Why it could not be read, if it couldn't.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "opt_as_text")]
    pub error: Option<crate::error::PostFault>,
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
    #[serde(serialize_with = "opt_as_text")]
    pub error: Option<crate::error::ImageFault>,
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
    /// References that will 404 on the published site.
    pub will_404: usize,
    /// Images without alt text (a raw `<img>` without `alt`, a Markdown image with an empty one).
    pub no_alt: usize,
    /// References served as they are, without variants.
    pub without_variants: usize,
}

impl ScanSummary {
    /// Count one reference of status `status`.
    pub fn count(&mut self, status: Status) {
        self.refs += 1;
        let slot = match status {
            Status::Ok => &mut self.ok,
            Status::Missing => &mut self.missing,
            Status::Outside => &mut self.outside,
            Status::External => &mut self.external,
            Status::NotImage => &mut self.not_image,
            Status::Unsupported => &mut self.unsupported,
            Status::Unresolved => &mut self.unresolved,
        };
        *slot += 1;
    }
}

/// Where an effective setting came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Source {
    /// Nobody set it: the built-in default.
    #[serde(rename = "default")]
    Default,
    /// The `postpix:` block of the site's `_config.yml`.
    #[serde(rename = "_config.yml")]
    ConfigFile,
    /// A flag on the command line (it beats `_config.yml`).
    #[serde(rename = "flag")]
    Flag,
}

impl Source {
    /// `default`, `_config.yml` or `flag`.
    pub fn name(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::ConfigFile => "_config.yml",
            Source::Flag => "flag",
        }
    }
}

/// One effective setting, as `postpix config` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct SettingReport {
    /// The key of the `postpix:` block (`content_width`).
    pub key: String,
    /// The flag that sets it (`--content-width`).
    pub flag: String,
    /// The value, as a flag would take it (lists comma-separated); `None` when unset (the
    /// setting then follows another: `sizes` follows `content_width`).
    pub value: Option<String>,
    /// Where it came from.
    pub source: Source,
    /// False for flag-only settings (`jobs`), which `_config.yml` may not hold.
    pub in_file: bool,
    /// What an unset value means, for the settings whose default is no value.
    pub when_unset: Option<&'static str>,
}

/// The whole `postpix config` answer.
#[derive(Clone, Debug, Serialize)]
pub struct ConfigReport {
    /// The site's `_config.yml`.
    pub file: String,
    /// Whether it exists.
    pub found: bool,
    /// Every setting, in `--help` order.
    pub settings: Vec<SettingReport>,
    /// A key for a CI cache of the cache folder (`postpix config --cache-key`): postpix's
    /// version and a hash of the codec versions and of every setting but the machine's
    /// (`cache_dir`, `jobs`, `shard`, `memory_budget`), so a changed setting or version misses.
    pub ci_cache_key: String,
}

/// The whole `postpix scan` answer.
#[derive(Debug, Serialize)]
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
    /// Bits per pixel: `bytes × 8 / (width × height)`.
    pub bits_per_pixel: f64,
    /// Encoder quality of a lossy variant (null: lossless, or the source's own bytes).
    pub quality: Option<f32>,
    /// SSIMULACRA2 against the source resized to this size, where it was measured: the width
    /// the quality search ran on (and lossless variants, exact by construction: 100). Null
    /// where not measured (the other widths of a lossy variant, and the source's own bytes).
    pub ssimulacra2: Option<f32>,
}

impl VariantReport {
    /// `bytes × 8 / (width × height)`, 0 for an empty size.
    pub fn bpp(bytes: u64, width: u32, height: u32) -> f64 {
        let px = u64::from(width) * u64::from(height);
        if px == 0 {
            0.0
        } else {
            bytes as f64 * 8.0 / px as f64
        }
    }
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

/// A remark about one image that does not stop it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageWarning {
    /// The file's extension names another format than its bytes.
    #[error("the extension says otherwise, but the bytes are {}", .0.name().to_uppercase())]
    ExtensionMismatch(Format),
    /// The file is cut short and was encoded anyway (`--lenient`).
    #[error("{0}; encoded anyway (--lenient)")]
    Truncated(Truncation),
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
    #[serde(serialize_with = "opt_as_text")]
    pub error: Option<Refusal>,
    /// Whose fault a failure is: `input` (the file), `encoder` or `environment`; `skipped`
    /// for a source left alone on purpose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<&'static str>,
    /// Non-fatal remarks (lying extension, …).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "all_as_text")]
    pub warnings: Vec<ImageWarning>,
    /// WebP was lossless.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lossless: Option<bool>,
    /// Trial encodes the quality search made for this image in this run (0: none ran).
    #[serde(skip_serializing_if = "is_zero")]
    pub search_encodes: u32,
    /// Its variant files.
    pub variants: Vec<VariantReport>,
    /// Variants not kept.
    pub dropped: Vec<DroppedReport>,
    /// What was done to the source on the way, one line each: colour conversion
    /// (`"Adobe RGB (1998) → sRGB"`, `"YCCK (CMYK) → sRGB"`), EXIF orientation applied, frames
    /// (`"56 frames → animated WebP"`), metadata removed (`"metadata removed: EXIF (with GPS)"`).
    #[serde(default)]
    pub conversions: Vec<Conversion>,
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
            error_kind: None,
            warnings: vec![],
            lossless: None,
            search_encodes: 0,
            variants: vec![],
            dropped: vec![],
            conversions: vec![],
            bytes_before: bytes,
            bytes_after: bytes,
        }
    }

    /// Mark it failed or skipped, for `why`.
    pub fn refuse(&mut self, why: Refusal) {
        let (status, kind) = match &why {
            Refusal::Failed(f) => (ImageStatus::Failed, f.kind()),
            Refusal::Skipped(_) => (ImageStatus::Skipped, "skipped"),
        };
        self.status = status;
        self.error_kind = Some(kind);
        self.error = Some(why);
    }

    /// Whether this report stands for the source at `rel` (its own path or an identical copy).
    pub fn is_for(&self, rel: &str) -> bool {
        self.source == rel || self.same_as.iter().any(|s| s == rel)
    }
}

/// Why a reference is left as it is, or what `check` found stale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoteKind {
    /// The reference does not resolve to an image postpix encodes.
    Unresolved {
        /// How it resolved.
        status: Status,
        /// The URL as written.
        url: String,
    },
    /// Its image failed, was skipped, or has no variants yet.
    Image {
        /// The source, site-relative.
        source: String,
        /// Why, in the report's words.
        why: String,
    },
    /// Its kramdown IAL cannot be carried over.
    Ial,
    /// A front-matter image under a key that is no hero key (a social card, a thumbnail):
    /// left as it is.
    FrontMatter {
        /// The key (`og_image`).
        key: String,
        /// The URL as written.
        url: String,
    },
    /// The image has no variant to offer.
    NoVariants,
    /// `check`: this reference is not rewritten, or its markup is stale.
    StaleRef,
    /// `check`: the post holds markup a build would change.
    StalePost,
    /// `check`: the image's variants are missing or altered.
    VariantsMissing,
    /// `check`: the image was never built with these settings.
    NotBuilt,
    /// `check`: a file postpix keeps in the site (`_data/postpix.json`, the include) is
    /// missing or differs from what a build writes.
    StaleSiteFile,
}

impl Display for NoteKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoteKind::Unresolved { status, url } => {
                write!(f, "{} {url}: {}", status.name(), status.hint())
            }
            NoteKind::Image { source, why } => write!(f, "{source}: {why}"),
            NoteKind::Ial => {
                f.write_str("its kramdown IAL names an attribute list postpix can't carry over")
            }
            NoteKind::NoVariants => f.write_str("no variants to offer"),
            NoteKind::FrontMatter { key, url } => write!(
                f,
                "{url}: a front-matter image under `{key}:`, served as it is (postpix encodes the hero keys: {})",
                crate::scan::HERO_KEYS.join(", ")
            ),
            NoteKind::StaleRef => {
                f.write_str("not rewritten, or its markup is stale; run `postpix build`")
            }
            NoteKind::StalePost => {
                f.write_str("holds postpix markup that a build would change; run `postpix build`")
            }
            NoteKind::VariantsMissing => {
                f.write_str("variants missing or altered; run `postpix build`")
            }
            NoteKind::NotBuilt => f.write_str("not built yet; run `postpix build`"),
            NoteKind::StaleSiteFile => {
                f.write_str("missing or out of date; run `postpix build`")
            }
        }
    }
}

/// A reference left as it is, or a problem found by `check`.
#[derive(Clone, Debug, Serialize)]
pub struct Note {
    /// Post (or, for an image problem, the image), site-relative.
    pub post: String,
    /// 1-based line; 0 when the note is about a whole file.
    pub line: usize,
    /// What and why.
    #[serde(rename = "message", serialize_with = "as_text")]
    pub kind: NoteKind,
}

/// A file postpix keeps in the site for its theme: `_data/postpix.json` (the front-matter
/// images' variants) or the include that renders them.
#[derive(Clone, Debug, Serialize)]
pub struct SiteFileReport {
    /// Destination-relative path.
    pub path: String,
    /// Its bytes changed in this run (or would, in a dry run; or are stale, for `check`).
    pub changed: bool,
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
    /// Images whose quality was searched in this run (`--quality auto`; a cached image or a
    /// repair never searches: the manifest remembers the choice).
    pub quality_searches: usize,
    /// Trial encodes those searches made.
    pub search_encodes: u64,
    /// Mean SSIMULACRA2 of the WebP variants where measured (see [`VariantReport`]).
    pub ssimulacra2_mean: Option<f64>,
    /// Lowest such score.
    pub ssimulacra2_min: Option<f64>,
    /// Mean SSIMULACRA2 of the AVIF variants where measured (null without AVIF).
    pub avif_ssimulacra2_mean: Option<f64>,
    /// Lowest such score.
    pub avif_ssimulacra2_min: Option<f64>,
    /// What a reader with a 1440 px slot and an AVIF-capable browser downloads, summed over
    /// the images: the narrowest AVIF at least 1440 px wide (else the widest), or WebP where
    /// the image has no AVIF, else the fallback. Equals `bytes_at_1440_webp` without AVIF.
    pub bytes_at_1440_avif: u64,
    /// The same for a browser with WebP but not AVIF: the narrowest WebP at least 1440 px
    /// wide (else the widest), or the fallback where the image has no WebP.
    pub bytes_at_1440_webp: u64,
    /// The same for a reader without WebP: the fallbacks.
    pub bytes_at_1440_fallback: u64,
    /// Front-matter (hero) images listed in `_data/postpix.json`.
    pub heroes: usize,
    /// References that would have 404ed, served from `{{ site.baseurl }}/…` (`--fix-links`).
    pub links_fixed: usize,
}

/// A remark about the run that does not fail it.
#[derive(Debug, thiserror::Error)]
pub enum Warning {
    /// The manifest could not be used; it is rebuilt.
    #[error(transparent)]
    Manifest(#[from] ManifestProblem),
    /// Temp files of an interrupted run were removed.
    #[error("{}removed {count} stale temp file(s) of an interrupted run", .folder.as_ref().map(|f| format!("{f}: ")).unwrap_or_default())]
    StaleTemps {
        /// The variant folder they were in, when there is one to name.
        folder: Option<String>,
        /// How many.
        count: usize,
    },
    /// A variant nothing needs any more could not be deleted.
    #[error(transparent)]
    Prune(Error),
    /// What an image's job made could not be kept in the cache's shared store (the site is
    /// whole; other sites and shards will encode it themselves).
    #[error("the cache's store: {0}")]
    Store(Error),
}

/// The whole answer of `build`, `check` or a dry run.
#[derive(Debug, Default, Serialize)]
pub struct BuildReport {
    /// Per source image.
    pub images: Vec<ImageReport>,
    /// Per post.
    pub posts: Vec<PostReport>,
    /// The files postpix keeps in the site for the theme (in place: commit them).
    pub site_files: Vec<SiteFileReport>,
    /// References left as they are, with the reason.
    pub left: Vec<Note>,
    /// Problems (`check`).
    pub problems: Vec<Note>,
    /// Errors that concern no single image (unreadable posts, writes that failed, …).
    #[serde(serialize_with = "all_as_text")]
    pub errors: Vec<Error>,
    /// Warnings (a corrupt cache rebuilt, stale temp files removed, …).
    #[serde(serialize_with = "all_as_text")]
    pub warnings: Vec<Warning>,
    /// Unified diff of the posts (dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Counts.
    pub summary: BuildSummary,
    /// The dependency index: every image path a post names (found on disk or not) → the posts
    /// that name it. `watch` fills it in from the session's survey ([`crate::survey::Survey::uses`])
    /// to know which posts an image change touches; a pipeline run leaves it empty. Not in JSON.
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

    /// The report of the image at `rel` (its own or one it shares bytes with).
    pub fn image(&self, rel: &str) -> Option<&ImageReport> {
        self.images.iter().find(|i| i.is_for(rel))
    }

    /// `check` found something stale, or something failed: the exit code is then 1.
    pub fn stale(&self) -> bool {
        !self.problems.is_empty() || self.failed()
    }
}

/// What `postpix restore` did.
#[derive(Debug, Default, Serialize)]
pub struct RestoreReport {
    /// Posts given back their original text (or that would be, in a dry run).
    pub restored: Vec<String>,
    /// Files postpix had written into the site for the theme, removed (or that would be).
    pub removed: Vec<String>,
    /// Posts that could not be read or written.
    #[serde(serialize_with = "all_as_text")]
    pub errors: Vec<Error>,
    /// Nothing was written.
    pub dry_run: bool,
}

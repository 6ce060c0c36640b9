//! Plan: every decision of a run, made before touching a pixel, as one value.
//!
//! In: the [`Survey`], the manifest of the last run, the [`Config`] and a way to ask whether a
//! variant file on disk is the one the manifest remembers ([`FileCheck`]). Out: a [`Plan`]: for
//! each unique source content one [`Job`] with its cache key, variant names and folders, and
//! its [`Work`] (fresh, a copy of missing files from the cache's shared store, a repair of the
//! files that went missing, or a full encode with the exact [`Request`] for the encoder); and
//! for every other referenced source why it is not encoded. Widths, animation, lossless mode
//! and the variants too large for WebP are decided here, once, and `--shard` keeps only its
//! share of the jobs. No pixel is read and nothing is written: build, dry run and check all
//! consume the same plan.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::cache::{self, Digest, Entry, FileCheck, Manifest};
use crate::config::{Config, PlaceholderMode};
use crate::encode::{avif, webp, Dropped, Op, Origin, Pinned, Quality, Request, Shape, WebpMode};
use crate::encode::{pixels::scaled_height, LosslessMode};
use crate::error::{EnvFault, ImageFault, InputFault};
use crate::format::{Format, OutFormat};
use crate::paths;
use crate::probe::ImageInfo;
use crate::resolve::Status;
use crate::survey::{Source, Survey};

/// Most frames an animation may have (a GIF of tiny frames can still take minutes to encode).
pub const MAX_FRAMES: u32 = 10_000;
/// Longest slug taken from a source's file stem.
pub const MAX_SLUG: usize = 40;
/// Hex digits of the cache key in a variant's name.
pub const HASH_LEN: usize = 8;

/// Every decision of one run.
#[derive(Debug, Default)]
pub struct Plan {
    /// One job per unique source content, by content hash.
    pub jobs: Vec<Job>,
    /// Site-relative source path → index of its job in `jobs`.
    pub job_of: BTreeMap<String, usize>,
    /// Referenced sources that get no job, and why (by site-relative path).
    pub refused: BTreeMap<String, Refusal>,
}

/// Why a referenced source is not encoded.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// It cannot be: the file is broken, too large, unreadable. The run fails.
    Failed(ImageFault),
    /// It is left as it is on purpose.
    Skipped(Skip),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Failed(fault) => fault.fmt(f),
            Refusal::Skipped(skip) => skip.fmt(f),
        }
    }
}

/// A source postpix leaves alone on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// An animated PNG: a still variant would freeze it.
    #[error("animated PNG ({0} frames): left as it is; a still variant would freeze it")]
    AnimatedPng(u32),
}

/// One unique source content and everything to do with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// blake3 of the source bytes.
    pub hash: Digest,
    /// Cache key: the content, every setting that shapes the outputs and the codec versions.
    pub key: String,
    /// Every source path with these bytes, sorted; the first is the one reported.
    pub rels: Vec<String>,
    /// Header facts.
    pub info: ImageInfo,
    /// One variant folder per folder the sources live in.
    pub sets: Vec<VariantSet>,
    /// What has to be done.
    pub work: Work,
}

/// What a job needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Work {
    /// Every variant is on disk as the manifest remembers it.
    Fresh(Arc<Entry>),
    /// The manifest knows the outputs, but some files are missing or altered: re-make exactly
    /// those.
    Repair {
        /// The remembered outputs.
        entry: Arc<Entry>,
        /// The ops of the outputs to re-make.
        request: Request,
        /// The destination-relative files to write.
        missing: BTreeSet<String>,
    },
    /// The outputs are known (from this site's manifest or from the cache's shared store) and
    /// every missing file is in the store: copy those, encode nothing.
    Fetch {
        /// The remembered outputs.
        entry: Arc<Entry>,
        /// Destination-relative file → the hash of its bytes in the store.
        files: BTreeMap<String, Digest>,
    },
    /// Nothing is known: encode, then let the size guard choose.
    Encode {
        /// What to ask the encoder for.
        request: Request,
        /// Variants left out already (too large for WebP).
        dropped: Vec<Dropped>,
    },
}

impl Work {
    /// True when the encoder must run (a repair or a fresh encode).
    pub fn encodes(&self) -> bool {
        matches!(self, Work::Repair { .. } | Work::Encode { .. })
    }
}

impl Job {
    /// The source that stands for the job (its first path).
    pub fn rel(&self) -> &str {
        &self.rels[0]
    }

    /// Every variant file of `entry` in every folder of the job (see [`files`]).
    pub fn files<'a>(&'a self, entry: &'a Entry) -> impl Iterator<Item = (String, usize)> + 'a {
        files(&self.sets, &self.key, entry)
    }
}

/// Every variant file of `entry` in every set: (destination-relative path, index of the output
/// in `entry.outputs`).
pub fn files<'a>(
    sets: &'a [VariantSet],
    key: &'a str,
    entry: &'a Entry,
) -> impl Iterator<Item = (String, usize)> + 'a {
    sets.iter().flat_map(move |set| {
        entry.outputs.iter().enumerate().map(move |(i, o)| {
            let name = variant_name(&set.slug, o.width, key, o.format);
            (format!("{}/{name}", set.folder), i)
        })
    })
}

/// The variant files of one job in one folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantSet {
    /// Site-relative variant folder (`postimg/responsive`).
    pub folder: String,
    /// Slug of the first source name in that folder.
    pub slug: String,
}

/// Decide everything for the sources of `survey` that a post may rewrite.
///
/// Under `--shard I/N` the plan holds only this shard's share: the jobs whose content hash it
/// owns, and the refusals of the sources it owns. Under `--merge` a job that would need the
/// encoder is refused instead ([`EnvFault::NotMerged`]): a merge only copies.
pub fn plan(survey: &Survey, manifest: &Manifest, cfg: &Config, disk: &dyn FileCheck) -> Plan {
    let fingerprint = settings_fingerprint(cfg);
    let mut plan = Plan::default();
    let mut by_hash: BTreeMap<Digest, (ImageInfo, Vec<String>)> = BTreeMap::new();
    for (rel, src) in survey.sources.iter().filter(|(_, s)| s.rewritable) {
        match admit(src, cfg) {
            Ok((info, hash)) => by_hash
                .entry(hash)
                .or_insert((info, vec![]))
                .1
                .push(rel.clone()),
            Err(why) => {
                plan.refused.insert(rel.clone(), why);
            }
        }
    }
    // A referenced file that exists but is no image (text named .jpeg, a folder named x.png, a
    // FIFO) is a broken image, not a broken link: it fails the run.
    for x in survey.resolutions.iter().flatten() {
        if let (Status::NotImage, Some(rel)) = (x.status, &x.source) {
            plan.refused
                .entry(rel.clone())
                .or_insert(Refusal::Failed(InputFault::NotAnImage.into()));
        }
    }
    let owned = |id: &str| cfg.shard.is_none_or(|s| s.owns(id));
    let mine: Vec<(Digest, (ImageInfo, Vec<String>))> = by_hash
        .into_iter()
        .filter(|(h, _)| owned(&h.hex()))
        .collect();
    // Each job's files are checked on disk: in parallel, kept in content-hash order.
    let decided: Vec<_> = mine
        .into_par_iter()
        .map(|(hash, (info, rels))| {
            let key = cache::entry_key(&hash, &fingerprint);
            let sets = variant_sets(&rels, &cfg.variant_dir);
            let work = work(&key, &info, &sets, manifest, cfg, disk);
            (hash, info, rels, key, sets, work)
        })
        .collect();
    for (hash, info, rels, key, sets, work) in decided {
        if !cfg.merge.is_empty() && work.encodes() {
            for rel in rels {
                plan.refused
                    .insert(rel, Refusal::Failed(EnvFault::NotMerged.into()));
            }
            continue;
        }
        for rel in &rels {
            plan.job_of.insert(rel.clone(), plan.jobs.len());
        }
        plan.jobs.push(Job {
            hash,
            key,
            rels,
            info,
            sets,
            work,
        });
    }
    if cfg.shard.is_some() {
        let id = |rel: &String| {
            let hash = survey.sources.get(rel).and_then(|s| s.hash);
            owned(&hash.map_or_else(|| rel.clone(), |h| h.to_string()))
        };
        plan.refused.retain(|rel, _| id(rel));
    }
    plan
}

/// A source's facts and hash if it may be encoded, or why not.
fn admit(src: &Source, cfg: &Config) -> Result<(ImageInfo, Digest), Refusal> {
    let info = src.info.clone().map_err(Refusal::Failed)?;
    let fail = |f: InputFault| Err(Refusal::Failed(f.into()));
    let pixels = u64::from(info.width) * u64::from(info.height);
    if pixels > cfg.limits.max_pixels {
        return fail(InputFault::TooManyPixels {
            width: info.width,
            height: info.height,
            max_pixels: cfg.limits.max_pixels,
        });
    }
    if info.frames > MAX_FRAMES {
        return fail(InputFault::TooManyFrames {
            frames: info.frames,
            max: MAX_FRAMES,
        });
    }
    if info.frames > 1 && pixels * u64::from(info.frames) > cfg.max_animation_pixels {
        return fail(InputFault::AnimationTooLarge {
            frames: info.frames,
            width: info.width,
            height: info.height,
            max: cfg.max_animation_pixels,
        });
    }
    if let Some(skip) = skip_of(&info) {
        return Err(Refusal::Skipped(skip));
    }
    match &src.hash {
        Some(hash) => Ok((info, *hash)),
        None => Err(Refusal::Failed(EnvFault::Unread.into())),
    }
}

/// Why a source with these facts is left as it is on purpose, if it is.
pub fn skip_of(info: &ImageInfo) -> Option<Skip> {
    (info.frames > 1 && info.format != Format::Gif).then_some(Skip::AnimatedPng(info.frames))
}

/// Per folder the job's sources live in, one variant set; its slug comes from the first name in
/// that folder.
fn variant_sets(rels: &[String], variant_dir: &str) -> Vec<VariantSet> {
    let mut by_folder: BTreeMap<String, String> = BTreeMap::new();
    for rel in rels {
        by_folder
            .entry(variant_folder(rel, variant_dir))
            .or_insert_with(|| slug(paths::stem(rel)));
    }
    by_folder
        .into_iter()
        .map(|(folder, slug)| VariantSet { folder, slug })
        .collect()
}

/// Fresh, repair or encode: what the manifest and the files on disk say.
fn work(
    key: &str,
    info: &ImageInfo,
    sets: &[VariantSet],
    manifest: &Manifest,
    cfg: &Config,
    disk: &dyn FileCheck,
) -> Work {
    // An entry from before placeholders has none: encode it again (once) when they are wanted.
    let wanted =
        |e: &Entry| !(cfg.placeholder == PlaceholderMode::Color && e.placeholder.is_unknown());
    // This site's manifest first; else what the shared store holds for the key.
    let stored;
    let entry = match manifest.entries.get(key).filter(|e| wanted(e)) {
        Some(e) => e,
        None => {
            stored = disk.stored_entry(key).filter(wanted).map(Arc::new);
            match &stored {
                Some(e) => e,
                None => {
                    let (request, dropped) = request_for(
                        info,
                        &cfg.widths,
                        cfg.encode.lossless,
                        &cfg.formats,
                        cfg.encode.quality(),
                    );
                    return Work::Encode { request, dropped };
                }
            }
        }
    };
    let mut missing = BTreeMap::new();
    for (path, i) in files(sets, key, entry) {
        if !disk.is_fresh(&path, &entry.outputs[i].hash) {
            missing.insert(path, i);
        }
    }
    if missing.is_empty() {
        return Work::Fresh(Arc::clone(entry));
    }
    let mut in_store = BTreeMap::new();
    let fetch = missing.iter().all(|(_, &i)| {
        *in_store
            .entry(i)
            .or_insert_with(|| disk.stored(&entry.outputs[i].hash))
    });
    if fetch {
        let files = missing
            .into_iter()
            .map(|(path, i)| (path, entry.outputs[i].hash))
            .collect();
        return Work::Fetch {
            entry: Arc::clone(entry),
            files,
        };
    }
    let redo: BTreeSet<usize> = missing.values().copied().collect();
    let missing: BTreeSet<String> = missing.into_keys().collect();
    let ops = redo
        .into_iter()
        .map(|i| {
            let o = &entry.outputs[i];
            Op {
                width: o.width,
                height: o.height,
                format: o.format,
                origin: if o.source_bytes {
                    Origin::SourceBytes
                } else {
                    Origin::Encoded
                },
            }
        })
        .collect();
    Work::Repair {
        entry: entry.clone(),
        request: Request {
            shape: shape(info),
            webp: if entry.lossless {
                WebpMode::Lossless
            } else {
                WebpMode::Lossy
            },
            // A repair re-makes the remembered choice; it never searches again.
            quality: Quality::Fixed {
                webp: entry.webp_quality.unwrap_or(cfg.encode.webp_quality),
                jpeg: entry.jpeg_quality.unwrap_or(cfg.encode.jpeg_quality),
                avif: entry.avif_quality.unwrap_or(cfg.encode.avif_quality),
            },
            ops,
            pinned: pinned(entry),
            offer_source: false,
        },
        missing,
    }
}

/// The variants of `entry` that got their own quality (the check on the widths above the
/// probe width), for a repair to re-make at it: a lossy quality other than the image's for
/// the format, or lossless WebP (scored 100) in an image whose WebP is lossy.
fn pinned(entry: &Entry) -> Vec<Pinned> {
    entry
        .outputs
        .iter()
        .filter(|o| !o.source_bytes)
        .filter_map(|o| {
            let image = match o.format {
                OutFormat::Webp if entry.lossless => return None,
                OutFormat::Webp => entry.webp_quality,
                OutFormat::Avif => entry.avif_quality,
                OutFormat::Jpeg => entry.jpeg_quality.map(f32::from),
                OutFormat::Png | OutFormat::Gif => return None,
            };
            let own = match o.quality {
                Some(q) => Some(q),
                // Lossless at this width only.
                None if o.format == OutFormat::Webp && o.ssimulacra2 == Some(100.0) => None,
                None => return None,
            };
            (own != image && image.is_some()).then_some(Pinned {
                width: o.width,
                format: o.format,
                quality: own,
            })
        })
        .collect()
}

/// Still or animated.
fn shape(info: &ImageInfo) -> Shape {
    if info.format == Format::Gif && info.frames > 1 {
        Shape::Animated
    } else {
        Shape::Still
    }
}

/// What to ask the encoder for a source never encoded with these settings (the configured
/// `widths`, `lossless` mode and `quality`), WebP and the fallback only, and the variants left
/// out up front because WebP cannot hold them.
pub fn request(
    info: &ImageInfo,
    widths: &[u32],
    lossless: LosslessMode,
    quality: Quality,
) -> (Request, Vec<Dropped>) {
    request_for(info, widths, lossless, &[OutFormat::Webp], quality)
}

/// [`request`] for the `<source>` formats `formats` (`[Webp]`, `[Avif, Webp]` or `[Avif]`): per
/// width, each format in that order, then the fallback. An animation gets no AVIF (postpix makes
/// still AVIF only); that is recorded as a dropped variant with its reason.
pub fn request_for(
    info: &ImageInfo,
    widths: &[u32],
    lossless: LosslessMode,
    formats: &[OutFormat],
    quality: Quality,
) -> (Request, Vec<Dropped>) {
    let widths = plan_widths(info.width, widths);
    let mut ops = Vec::new();
    let mut dropped = Vec::new();
    for &width in &widths {
        let height = scaled_height(info.width, info.height, width);
        for &format in formats {
            let (fits, limit) = match format {
                OutFormat::Avif if shape(info) == Shape::Animated => continue,
                OutFormat::Avif => (
                    avif::fits(width, height),
                    "the 16384×16384 px decoders accept".to_string(),
                ),
                _ => (
                    webp::fits(width, height),
                    format!("WebP's {} px limit per side", webp::MAX_SIDE),
                ),
            };
            if fits {
                ops.push(Op {
                    width,
                    height,
                    format,
                    origin: Origin::Encoded,
                });
            } else {
                dropped.push(Dropped {
                    width,
                    format,
                    reason: format!("{width}×{height} exceeds {limit}"),
                });
            }
        }
        if shape(info) == Shape::Still {
            ops.push(Op {
                width,
                height,
                format: OutFormat::fallback_for(info.format),
                origin: Origin::Encoded,
            });
        }
    }
    if shape(info) == Shape::Animated && formats.contains(&OutFormat::Avif) {
        dropped.push(Dropped {
            width: info.width,
            format: OutFormat::Avif,
            reason: ANIMATED_AVIF.into(),
        });
    }
    let request = match shape(info) {
        Shape::Animated => {
            ops.push(Op {
                width: info.width,
                height: info.height,
                format: OutFormat::Gif,
                origin: Origin::SourceBytes,
            });
            Request {
                shape: Shape::Animated,
                webp: WebpMode::Lossy,
                quality,
                ops,
                pinned: Vec::new(),
                offer_source: false,
            }
        }
        Shape::Still => Request {
            shape: Shape::Still,
            quality,
            webp: match lossless {
                LosslessMode::Always => WebpMode::Lossless,
                LosslessMode::Never => WebpMode::Lossy,
                // Under auto quality a JPEG too may need lossless WebP: when no lossy quality
                // reaches the target (tiny logos), which only the encoder can measure.
                LosslessMode::Auto
                    if info.format == Format::Jpeg && matches!(quality, Quality::Fixed { .. }) =>
                {
                    WebpMode::Lossy
                }
                LosslessMode::Auto => WebpMode::Decide,
            },
            ops,
            pinned: Vec::new(),
            // The source may stand in for a fallback that came out larger than it.
            offer_source: true,
        },
    };
    (request, dropped)
}

/// Why an animated GIF gets no AVIF variant.
pub const ANIMATED_AVIF: &str =
    "no animated AVIF: postpix encodes still AVIF only; the animated WebP and the GIF serve it";

/// The settings string behind every cache key.
///
/// A run that makes AVIF adds its formats and AVIF settings (and libavif's version); a
/// WebP-only run keeps the keys it always had.
pub fn settings_fingerprint(cfg: &Config) -> String {
    let mut fp = format!(
        "{}|widths={:?}|{}",
        cfg.encode.fingerprint(),
        cfg.widths,
        cfg.limits.fingerprint()
    );
    if cfg.formats != [OutFormat::Webp] {
        let names: Vec<&str> = cfg.formats.iter().map(|f| f.extension()).collect();
        fp += &format!(
            "|formats={}|{}|{}",
            names.join(","),
            cfg.encode.avif_fingerprint(),
            crate::encode::avif::versions()
        );
    }
    fp
}

/// The widths to produce for a source `source_width` px wide, ascending.
///
/// Never upscales: configured widths above the source are dropped, and when the source is
/// narrower than the largest configured width its own width becomes the top variant. Widths
/// within 10 % of each other are not worth a file: walking down from the largest, a width is kept
/// only if it is at most 0.9 × the last kept one. An empty `configured` list means "the source
/// width only".
pub fn plan_widths(source_width: u32, configured: &[u32]) -> Vec<u32> {
    if source_width == 0 {
        return Vec::new();
    }
    let mut candidates: Vec<u32> = configured
        .iter()
        .copied()
        .filter(|&w| w > 0 && w <= source_width)
        .collect();
    let largest = configured.iter().copied().max().unwrap_or(0);
    if source_width < largest || configured.is_empty() {
        candidates.push(source_width);
    }
    candidates.sort_unstable_by(|a, b| b.cmp(a));
    candidates.dedup();
    let mut kept: Vec<u32> = Vec::with_capacity(candidates.len());
    for w in candidates {
        // Integer form of `w <= 0.9 * last`, exact for every u32.
        if kept
            .last()
            .is_none_or(|&last| u64::from(w) * 10 <= u64::from(last) * 9)
        {
            kept.push(w);
        }
    }
    kept.reverse();
    kept
}

/// An ASCII, URL-safe slug of a file stem: lower-case letters and digits joined by `-`.
///
/// WeChat exports have 90-character random stems; the slug keeps the first [`MAX_SLUG`]
/// characters, which are still unique enough to read, while the hash makes the name unique.
pub fn slug(stem: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
            if out.len() >= MAX_SLUG {
                break;
            }
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        "img".to_string()
    } else {
        out
    }
}

/// File name of one variant: `<slug>-<width>.<hash>.<ext>`, e.g. `abc-480.1f3a9c2e.webp`.
///
/// The hash is the start of the cache key, which covers the source bytes and every setting, so
/// a name never changes meaning: a server may cache it forever, and two different sources (or
/// one source under two settings) can never share a name, even when their stems are equal or
/// differ only in case.
pub fn variant_name(stem_slug: &str, width: u32, key: &str, format: OutFormat) -> String {
    let short = &key[..key.len().min(HASH_LEN)];
    format!("{stem_slug}-{width}.{short}.{}", format.extension())
}

/// The site-relative folder that holds the variants of a source at `rel`.
pub fn variant_folder(rel: &str, variant_dir: &str) -> String {
    let f = paths::folder(rel);
    if f.is_empty() {
        variant_dir.to_string()
    } else {
        format!("{f}/{variant_dir}")
    }
}

#[cfg(test)]
mod tests;

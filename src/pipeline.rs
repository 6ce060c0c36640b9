//! Pipeline: one way through, scan → resolve → plan → encode → write → rewrite.
//!
//! In: a [`Config`] and a [`Mode`]. Out: a [`BuildReport`] (or a [`ScanReport`] for `scan`).
//! `build`, `build --dry-run`, `check` and `restore` are the same flow stopped at different
//! points or with writing switched off; `watch` calls [`run`] again for each change. Only this
//! room sequences I/O; the rooms it calls are pure or do one kind of I/O each.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::cache::{self, Entry, FileRecord, Manifest, OutputRecord, SourceRecord};
use crate::config::Config;
use crate::encode::{self, Encoded, OutFormat};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::marker;
use crate::plan;
use crate::probe::{self, ImageInfo};
use crate::report::*;
use crate::resolve::{Resolution, Resolver, Status};
use crate::rewrite::{self, Skip, VariantLink};
use crate::scan::{self, site::JekyllConfig, Post, PostError, RefKind};
use crate::timings;
use crate::write;

/// Most frames an animation may have (a GIF of tiny frames can still take minutes to encode).
pub const MAX_FRAMES: u32 = 10_000;

/// What a run may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Encode what is missing, write variants, rewrite posts, prune, save the manifest.
    Build,
    /// Like `Build`, but write nothing at all and return a diff of the posts.
    DryRun,
    /// Encode nothing, write nothing: report what a build would still have to do.
    Check,
}

/// Receives progress while images are encoded (the binary draws a bar with it).
pub trait Progress: Sync {
    /// `total` images are about to be encoded.
    fn begin(&self, _total: usize) {}
    /// One image is done.
    fn tick(&self, _source: &str) {}
    /// Encoding is over.
    fn end(&self) {}
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// A source image as the survey found it.
#[derive(Clone, Debug)]
pub struct Source {
    /// Absolute path.
    pub abs: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// mtime, ns.
    pub mtime_ns: u128,
    /// blake3 of the bytes, when known.
    pub hash: Option<String>,
    /// Header facts, or why they could not be read.
    pub info: std::result::Result<ImageInfo, String>,
    /// `post:line` of each reference.
    pub referenced_by: Vec<String>,
    /// The extension names another format.
    pub extension_mismatch: bool,
    /// At least one reference to it is one postpix may rewrite (not only front matter).
    pub rewritable: bool,
}

/// Everything known about the site before any encoder runs.
#[derive(Debug)]
pub struct Survey {
    /// The site's `_config.yml` settings.
    pub jekyll: JekyllConfig,
    /// Readable posts.
    pub posts: Vec<Post>,
    /// Unreadable posts.
    pub post_errors: Vec<PostError>,
    /// `resolutions[i][j]` resolves `posts[i].refs[j]`.
    pub resolutions: Vec<Vec<Resolution>>,
    /// Sources with status ok, by site-relative path.
    pub sources: BTreeMap<String, Source>,
    /// Image files in referenced folders that no post uses.
    pub orphans: Vec<String>,
}

impl Survey {
    /// The dependency index: every image path a post names → the posts naming it. Includes
    /// paths whose file is missing, so that adding that file later is known to matter.
    pub fn uses(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (post, res) in self.posts.iter().zip(&self.resolutions) {
            for x in res {
                if let Some(src) = &x.source {
                    uses.entry(src.clone())
                        .or_default()
                        .insert(post.path.clone());
                }
            }
        }
        uses
    }
}

/// Folders never copied into `--out` nor scanned for orphans.
fn skip_dirs(cfg: &Config) -> Vec<PathBuf> {
    let mut v = vec![cfg.cache_dir.clone()];
    if let Some(o) = &cfg.out {
        v.push(o.clone());
    }
    v
}

/// Scan and resolve the whole site. With a manifest, sources whose size and mtime match are not
/// read at all; `want_hash` reads and hashes the others.
pub fn survey(cfg: &Config, manifest: Option<&Manifest>, want_hash: bool) -> Result<Survey> {
    let jekyll = JekyllConfig::load(&cfg.site);
    let resolver = Resolver::new(&cfg.site, &jekyll.baseurl).map_err(|e| Error::Site {
        path: cfg.site.clone(),
        reason: e.to_string(),
    })?;
    let (posts, post_errors) =
        scan::read_posts(&cfg.site, &jekyll, &cfg.variant_dir, &skip_dirs(cfg));
    let mut resolutions = Vec::with_capacity(posts.len());
    let mut sources: BTreeMap<String, Source> = BTreeMap::new();
    let mut referenced: BTreeSet<String> = BTreeSet::new();
    let mut folders: BTreeSet<String> = BTreeSet::new();
    for post in &posts {
        let mut res = Vec::with_capacity(post.refs.len());
        for r in &post.refs {
            let x = resolver.resolve(&r.url, &post.path, r.kind == RefKind::FrontMatter);
            if let Some(src) = &x.source {
                referenced.insert(src.clone());
                if matches!(
                    x.status,
                    Status::Ok | Status::Unsupported | Status::NotImage
                ) {
                    folders.insert(plan::folder(src).to_string());
                }
            }
            if x.status == Status::Ok {
                if let Some(src) = &x.source {
                    let entry = sources.entry(src.clone()).or_insert_with(|| {
                        let abs = resolver.abs(src);
                        let (size, mtime_ns) = cache::stat(&abs).unwrap_or((0, 0));
                        Source {
                            abs,
                            size,
                            mtime_ns,
                            hash: None,
                            info: Err(String::new()),
                            referenced_by: Vec::new(),
                            extension_mismatch: x.extension_mismatch,
                            rewritable: false,
                        }
                    });
                    entry
                        .referenced_by
                        .push(format!("{}:{}", post.path, r.line));
                    entry.rewritable |= r.kind != RefKind::FrontMatter;
                }
            }
            res.push(x);
        }
        resolutions.push(res);
    }
    let cached = |rel: &str, s: &Source| -> Option<SourceRecord> {
        let rec = manifest?.sources.get(rel)?;
        (rec.size == s.size && rec.mtime_ns == s.mtime_ns).then(|| rec.clone())
    };
    let max = cfg.max_file_bytes;
    let filled: Vec<(String, Source)> = sources
        .into_par_iter()
        .map(|(rel, mut s)| {
            if let Some(rec) = cached(&rel, &s) {
                s.hash = Some(rec.hash);
                s.info = Ok(rec.info);
                return (rel, s);
            }
            if s.size > max {
                s.info = Err(format!(
                    "file is {}, over the {} limit (raise it with --max-file-size)",
                    human_bytes(s.size),
                    human_bytes(max)
                ));
                return (rel, s);
            }
            match std::fs::read(&s.abs) {
                Ok(bytes) => {
                    s.info = probe::probe(&bytes);
                    if want_hash {
                        s.hash = Some(cache::hash_bytes(&bytes));
                    }
                }
                Err(e) => s.info = Err(e.to_string()),
            }
            (rel, s)
        })
        .collect();
    let sources: BTreeMap<String, Source> = filled.into_iter().collect();
    let orphans = find_orphans(&cfg.site, &folders, &referenced);
    Ok(Survey {
        jekyll,
        posts,
        post_errors,
        resolutions,
        sources,
        orphans,
    })
}

fn find_orphans(
    root: &Path,
    folders: &BTreeSet<String>,
    referenced: &BTreeSet<String>,
) -> Vec<String> {
    const EXT: &[&str] = &[
        "jpg", "jpeg", "jpe", "png", "gif", "webp", "svg", "avif", "bmp", "tif", "tiff",
    ];
    let mut out = Vec::new();
    for f in folders {
        let dir = if f.is_empty() {
            root.to_path_buf()
        } else {
            root.join(f)
        };
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .flatten()
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .filter(|n| {
                n.rsplit_once('.')
                    .is_some_and(|(_, e)| EXT.contains(&e.to_ascii_lowercase().as_str()))
            })
            .collect();
        names.sort();
        for n in names {
            let rel = if f.is_empty() { n } else { format!("{f}/{n}") };
            if !referenced.contains(&rel) {
                out.push(rel);
            }
        }
    }
    out
}

/// `postpix scan`: the survey as a report. Reads headers, writes nothing.
pub fn scan_report(cfg: &Config) -> Result<ScanReport> {
    let s = survey(cfg, None, false)?;
    let mut summary = ScanSummary {
        posts: s.posts.len() + s.post_errors.len(),
        ..Default::default()
    };
    let mut posts = Vec::new();
    for (post, res) in s.posts.iter().zip(&s.resolutions) {
        let generated = generated_offsets(post);
        let mut refs = Vec::new();
        for (r, x) in post.refs.iter().zip(res) {
            summary.refs += 1;
            match x.status {
                Status::Ok => summary.ok += 1,
                Status::Missing => summary.missing += 1,
                Status::Outside => summary.outside += 1,
                Status::External => summary.external += 1,
                Status::NotImage => summary.not_image += 1,
                Status::Unsupported => summary.unsupported += 1,
                Status::Unresolved => summary.unresolved += 1,
            }
            if x.extension_mismatch {
                summary.extension_mismatches += 1;
            }
            let rewritten = r.kind != RefKind::FrontMatter
                && x.status == Status::Ok
                && generated.contains(&r.span.start);
            refs.push(RefReport {
                line: r.line,
                kind: r.kind,
                url: r.url.clone(),
                status: x.status,
                source: x.source.clone(),
                format: x.format,
                extension_mismatch: x.extension_mismatch,
                rewritten,
            });
        }
        posts.push(PostScanReport {
            path: post.path.clone(),
            refs,
            error: None,
        });
    }
    for e in &s.post_errors {
        posts.push(PostScanReport {
            path: e.path.clone(),
            refs: Vec::new(),
            error: Some(e.reason.clone()),
        });
    }
    posts.sort_by(|a, b| a.path.cmp(&b.path));
    let images: Vec<ImageScanReport> = s
        .sources
        .iter()
        .map(|(rel, src)| {
            let (info, error) = match &src.info {
                Ok(i) => (Some(i), None),
                Err(e) => (None, Some(e.clone())),
            };
            ImageScanReport {
                source: rel.clone(),
                format: info.map(|i| i.format),
                width: info.map(|i| i.width),
                height: info.map(|i| i.height),
                frames: info.map(|i| i.frames),
                bytes: src.size,
                referenced_by: src.referenced_by.clone(),
                error,
            }
        })
        .collect();
    summary.images = images.len();
    summary.orphans = s.orphans.len();
    Ok(ScanReport {
        posts,
        images,
        orphans: s.orphans,
        summary,
    })
}

/// Offsets in the author's original text of the spans that the current text shows as postpix
/// markup. The two texts differ in length, so each generated span is mapped back through the
/// lengths of the ones before it.
fn generated_offsets(post: &Post) -> BTreeSet<usize> {
    let mut shift: isize = 0;
    let mut out = BTreeSet::new();
    for g in marker::find_generated(&post.current) {
        out.insert((g.span.start as isize - shift) as usize);
        shift += g.span.len() as isize - g.original.len() as isize;
    }
    out
}

/// One unit of encoding work: one unique content, decoded once for all its outputs.
#[derive(Debug)]
struct Job {
    key: String,
    /// Every source path with these bytes, sorted.
    rels: Vec<String>,
    info: ImageInfo,
    widths: Vec<u32>,
}

/// Variant files of one job in one folder.
#[derive(Debug, Clone)]
struct VariantSet {
    folder: String,
    slug: String,
}

/// Files of an entry in a folder: (dest-relative path, output record).
fn set_files(set: &VariantSet, key: &str, entry: &Entry) -> Vec<(String, OutputRecord)> {
    entry
        .outputs
        .iter()
        .map(|o| {
            let name = plan::variant_name(&set.slug, o.width, key, o.format);
            (format!("{}/{name}", set.folder), o.clone())
        })
        .collect()
}

fn abs_in(root: &Path, rel: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    for s in rel.split('/') {
        p.push(s);
    }
    p
}

/// Is the file at `rel` (under `root`) the one the manifest says we wrote? Hashes it only when
/// its size and mtime no longer match.
fn file_is_fresh(root: &Path, rel: &str, want_hash: &str, manifest: &mut Manifest) -> bool {
    let abs = abs_in(root, rel);
    let Ok(meta) = std::fs::symlink_metadata(&abs) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let Some((size, mtime)) = cache::stat(&abs) else {
        return false;
    };
    if let Some(rec) = manifest.files.get(rel) {
        if rec.size == size && rec.mtime_ns == mtime && rec.hash == want_hash {
            return true;
        }
    }
    match std::fs::read(&abs) {
        Ok(bytes) if cache::hash_bytes(&bytes) == want_hash => {
            manifest.files.insert(
                rel.to_string(),
                FileRecord {
                    size,
                    mtime_ns: mtime,
                    hash: want_hash.to_string(),
                },
            );
            true
        }
        _ => false,
    }
}

fn entry_from(enc: &Encoded) -> Entry {
    Entry {
        width: enc.width,
        height: enc.height,
        lossless: enc.lossless,
        outputs: enc
            .outputs
            .iter()
            .map(|o| OutputRecord {
                width: o.width,
                height: o.height,
                format: o.format,
                bytes: o.bytes.len() as u64,
                hash: cache::hash_bytes(&o.bytes),
                source_bytes: o.origin == encode::Origin::SourceBytes,
            })
            .collect(),
        dropped: enc
            .dropped
            .iter()
            .map(|d| cache::DroppedRecord {
                width: d.width,
                format: d.format,
                reason: d.reason.clone(),
            })
            .collect(),
        conversions: enc.conversions.clone(),
    }
}

/// The settings string behind every cache key.
fn settings_fingerprint(cfg: &Config) -> String {
    format!(
        "{}|widths={:?}|limits={}",
        cfg.encode.fingerprint(),
        cfg.widths,
        cfg.limits.max_pixels
    )
}

/// What a WebP-capable desktop reader downloads for an entry (see [`BuildSummary`]).
fn bytes_for_reader(entry: &Entry, content_width: u32) -> u64 {
    let pick = |webp: bool| -> Option<u64> {
        let mut v: Vec<&OutputRecord> = entry
            .outputs
            .iter()
            .filter(|o| (o.format == OutFormat::Webp) == webp)
            .collect();
        v.sort_by_key(|o| o.width);
        v.iter()
            .find(|o| o.width >= content_width)
            .or(v.last())
            .map(|o| o.bytes)
    };
    pick(true).or_else(|| pick(false)).unwrap_or(0)
}

fn content_width_of(sizes: &str) -> u32 {
    // The last candidate of `sizes` is the slot on wide screens: "…, 800px".
    sizes
        .rsplit(',')
        .next()
        .and_then(|s| s.trim().strip_suffix("px"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(800)
}

/// Run the build flow. See [`Mode`].
pub fn run(cfg: &Config, mode: Mode, progress: &dyn Progress) -> Result<BuildReport> {
    let writing = mode == Mode::Build;
    let _lock = if writing {
        Some(write::Lock::acquire(&cfg.cache_dir.join("lock"))?)
    } else {
        None
    };
    let mut report = BuildReport::default();
    let (mut manifest, why) = cache::load(&cfg.cache_dir);
    if let Some(w) = why {
        report.warnings.push(w);
    }
    let dest = cfg.dest_root().to_path_buf();
    let s = survey(cfg, Some(&manifest), true)?;
    report.uses = s.uses();
    for e in &s.post_errors {
        report.errors.push(format!("{}: {}", e.path, e.reason));
    }
    if writing {
        if let Some(out) = &cfg.out {
            let posts: BTreeSet<String> = s.posts.iter().map(|p| p.path.clone()).collect();
            sync_tree(cfg, &s.jekyll, out, &posts, &mut report)?;
        }
    }

    // Plan: group sources by content; one job per content.
    let fingerprint = settings_fingerprint(cfg);
    let mut jobs: BTreeMap<String, Job> = BTreeMap::new(); // by hash
    let mut image_reports: BTreeMap<String, ImageReport> = BTreeMap::new(); // by first rel
    let mut job_of_source: BTreeMap<String, String> = BTreeMap::new(); // rel -> hash
    for (rel, src) in s.sources.iter().filter(|(_, s)| s.rewritable) {
        let mut warnings = Vec::new();
        if src.extension_mismatch {
            if let Ok(i) = &src.info {
                warnings.push(format!(
                    "the extension says otherwise, but the bytes are {}",
                    i.format.name().to_uppercase()
                ));
            }
        }
        let fail = |status, error: String, warnings: Vec<String>| ImageReport {
            error: Some(error),
            warnings,
            ..ImageReport::new(rel, status, src.size)
        };
        let info = match &src.info {
            Ok(i) => i.clone(),
            Err(e) => {
                image_reports.insert(rel.clone(), fail(ImageStatus::Failed, e.clone(), warnings));
                continue;
            }
        };
        if (info.width as u64) * (info.height as u64) > cfg.limits.max_pixels {
            let e = format!(
                "{}×{} is {:.1} MP, over the {:.0} MP limit (raise it with --max-pixels)",
                info.width,
                info.height,
                (info.width as f64 * info.height as f64) / 1e6,
                cfg.limits.max_pixels as f64 / 1e6
            );
            image_reports.insert(rel.clone(), fail(ImageStatus::Failed, e, warnings));
            continue;
        }
        if info.frames > MAX_FRAMES {
            let e = format!(
                "{} frames, over the limit of {MAX_FRAMES} frames per animation",
                info.frames
            );
            image_reports.insert(rel.clone(), fail(ImageStatus::Failed, e, warnings));
            continue;
        }
        let total = (info.width as u64) * (info.height as u64) * u64::from(info.frames);
        if info.frames > 1 && total > cfg.max_animation_pixels {
            let e = format!(
                "{} frames of {}×{} are {:.0} MP in all, over the {:.0} MP animation limit (raise it with --max-animation-pixels)",
                info.frames,
                info.width,
                info.height,
                total as f64 / 1e6,
                cfg.max_animation_pixels as f64 / 1e6
            );
            image_reports.insert(rel.clone(), fail(ImageStatus::Failed, e, warnings));
            continue;
        }
        if info.frames > 1 && info.format != Format::Gif {
            let e = format!(
                "animated PNG ({} frames): left as it is; a still variant would freeze it",
                info.frames
            );
            image_reports.insert(rel.clone(), fail(ImageStatus::Skipped, e, warnings));
            continue;
        }
        let Some(hash) = src.hash.clone() else {
            image_reports.insert(
                rel.clone(),
                fail(ImageStatus::Failed, "could not be read".into(), warnings),
            );
            continue;
        };
        job_of_source.insert(rel.clone(), hash.clone());
        let job = jobs.entry(hash.clone()).or_insert_with(|| Job {
            key: cache::entry_key(&hash, &fingerprint),
            rels: Vec::new(),
            widths: encode::plan_widths(info.width, &cfg.widths),
            info: info.clone(),
        });
        job.rels.push(rel.clone());
        if job.rels.len() == 1 {
            image_reports.insert(
                rel.clone(),
                ImageReport {
                    warnings,
                    ..ImageReport::new(rel, ImageStatus::Cached, src.size)
                },
            );
        } else if let Some(r) = image_reports.get_mut(&job.rels[0]) {
            r.same_as.push(rel.clone());
        }
    }

    // A referenced file that exists but is no image (text named .jpeg, a folder named x.png,
    // a FIFO) is a broken image, not a broken link: it fails the run.
    for res in &s.resolutions {
        for x in res {
            if let (Status::NotImage, Some(rel)) = (x.status, &x.source) {
                image_reports
                    .entry(rel.clone())
                    .or_insert_with(|| ImageReport {
                        error: Some(
                            "not an image: not a regular file, or its bytes are not GIF, PNG or JPEG"
                                .into(),
                        ),
                        ..ImageReport::new(rel, ImageStatus::Failed, 0)
                    });
            }
        }
    }

    // Variant sets: per job, one per folder; the slug comes from the first name in that folder.
    let mut sets: BTreeMap<String, Vec<VariantSet>> = BTreeMap::new();
    for (hash, job) in &jobs {
        let mut by_folder: BTreeMap<String, String> = BTreeMap::new();
        for rel in &job.rels {
            by_folder
                .entry(plan::variant_folder(rel, &cfg.variant_dir))
                .or_insert_with(|| plan::slug(plan::stem(rel)));
        }
        sets.insert(
            hash.clone(),
            by_folder
                .into_iter()
                .map(|(folder, slug)| VariantSet { folder, slug })
                .collect(),
        );
    }

    // Freshness: which jobs need the encoder at all.
    let mut to_encode: Vec<String> = Vec::new();
    let mut missing_files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (hash, job) in &jobs {
        match manifest.entries.get(&job.key).cloned() {
            Some(entry) => {
                let mut missing = BTreeSet::new();
                for set in &sets[hash] {
                    for (path, o) in set_files(set, &job.key, &entry) {
                        if !file_is_fresh(&dest, &path, &o.hash, &mut manifest) {
                            missing.insert(path);
                        }
                    }
                }
                if !missing.is_empty() {
                    to_encode.push(hash.clone());
                    missing_files.insert(hash.clone(), missing);
                }
            }
            None => to_encode.push(hash.clone()),
        }
    }

    // Encode, and write each image's variants as soon as they exist, so that memory holds at
    // most the images in flight, never the whole site's outputs.
    let mut fresh_entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut encoded_now: BTreeMap<String, Encoded> = BTreeMap::new();
    let mut done_entries: BTreeMap<String, Entry> = BTreeMap::new();
    if mode == Mode::Check {
        for hash in &to_encode {
            let job = &jobs[hash];
            let what = if missing_files.contains_key(hash) {
                "variants missing or altered"
            } else {
                "not built yet"
            };
            for rel in &job.rels {
                report.problems.push(Note {
                    post: rel.clone(),
                    line: 0,
                    message: format!("{what}; run `postpix build`"),
                });
            }
        }
    } else if !to_encode.is_empty() {
        if writing {
            let mut cleaned: BTreeSet<String> = BTreeSet::new();
            for hash in &to_encode {
                for set in &sets[hash] {
                    if cleaned.insert(set.folder.clone()) {
                        let n = write::clean_stale_temps(&abs_in(&dest, &set.folder));
                        if n > 0 {
                            report.warnings.push(format!(
                                "{}: removed {n} stale temp file(s) of an interrupted run",
                                set.folder
                            ));
                        }
                    }
                }
            }
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.jobs.max(1))
            .build()
            .map_err(|e| Error::Config(format!("cannot start {} worker threads: {e}", cfg.jobs)))?;
        // Largest first, so the pool does not idle on one big image at the end.
        let mut order = to_encode.clone();
        order.sort_by_key(|h| std::cmp::Reverse(memory_estimate(&jobs[h].info)));
        progress.begin(order.len());
        let budget = Budget::new(cfg.memory_budget);
        let (tx, rx) = std::sync::mpsc::channel::<(String, std::result::Result<Done, String>)>();
        pool.in_place_scope(|scope| {
            // This loop runs on the calling thread, never in the pool, so waiting for memory
            // here cannot block a worker that oxipng is spinning on.
            for hash in &order {
                let job = &jobs[hash];
                let need = budget.acquire(memory_estimate(&job.info));
                let tx = tx.clone();
                let (budget, s, sets, missing, dest) = (&budget, &s, &sets, &missing_files, &dest);
                scope.spawn(move |_| {
                    let src = &s.sources[&job.rels[0]];
                    let r = encode_and_write(
                        src,
                        job,
                        &sets[hash],
                        missing.get(hash),
                        dest,
                        writing,
                        cfg,
                    );
                    budget.release(need);
                    progress.tick(&job.rels[0]);
                    let _ = tx.send((hash.clone(), r));
                });
            }
        });
        drop(tx);
        progress.end();
        for (hash, r) in rx {
            let rel0 = jobs[&hash].rels[0].clone();
            match r {
                Ok(done) => {
                    if let Some(ir) = image_reports.get_mut(&rel0) {
                        ir.warnings.extend(done.warnings);
                    }
                    report.summary.variants_written += done.written;
                    report.errors.extend(done.errors);
                    manifest.files.extend(done.files);
                    done_entries.insert(hash.clone(), done.entry);
                    encoded_now.insert(hash, done.enc);
                }
                Err(e) => {
                    if let Some(ir) = image_reports.get_mut(&rel0) {
                        ir.status = ImageStatus::Failed;
                        ir.error = Some(e);
                    }
                }
            }
        }
    }

    // Report the variants of every job and collect the files still needed.
    let mut needed_files: BTreeSet<String> = BTreeSet::new();
    for (hash, job) in &jobs {
        let entry = if let Some(entry) = done_entries.remove(hash) {
            manifest.entries.insert(job.key.clone(), entry.clone());
            entry
        } else if let Some(e) = manifest.entries.get(&job.key) {
            if to_encode.contains(hash) && mode != Mode::Check {
                // Its encode failed this run: keep its old files, but don't offer them.
                for set in &sets[hash] {
                    for (path, _) in set_files(set, &job.key, e) {
                        needed_files.insert(path);
                    }
                }
                continue;
            }
            e.clone()
        } else {
            continue;
        };
        let rel0 = &job.rels[0];
        let mut variants_report = Vec::new();
        for set in &sets[hash] {
            for (path, o) in set_files(set, &job.key, &entry) {
                needed_files.insert(path.clone());
                variants_report.push(VariantReport {
                    path,
                    format: o.format,
                    width: o.width,
                    height: o.height,
                    bytes: o.bytes,
                });
            }
        }
        if let Some(ir) = image_reports.get_mut(rel0) {
            if ir.status != ImageStatus::Failed {
                ir.status = if encoded_now.contains_key(hash) {
                    ImageStatus::Encoded
                } else {
                    ImageStatus::Cached
                };
            }
            ir.lossless = Some(entry.lossless);
            // Report one folder's files, and the drops once.
            let first_folder = &sets[hash][0].folder;
            ir.variants = variants_report
                .into_iter()
                .filter(|v| v.path.starts_with(&format!("{first_folder}/")))
                .collect();
            ir.dropped = entry
                .dropped
                .iter()
                .map(|d| DroppedReport {
                    format: d.format,
                    width: d.width,
                    reason: d.reason.clone(),
                })
                .collect();
            ir.conversions = entry.conversions.clone();
            ir.bytes_after = bytes_for_reader(&entry, content_width_of(&cfg.sizes));
        }
        fresh_entries.insert(hash.clone(), entry);
    }

    // Rewrite posts.
    if writing {
        let mut dirs: BTreeSet<String> = s
            .posts
            .iter()
            .map(|p| plan::folder(&p.path).to_string())
            .collect();
        dirs.insert(String::new());
        let mut n: usize = dirs
            .iter()
            .map(|d| write::clean_stale_temps(&abs_in(&dest, d)))
            .sum();
        n += write::clean_stale_temps(&cfg.cache_dir);
        if n > 0 {
            report.warnings.push(format!(
                "removed {n} stale temp file(s) of an interrupted run"
            ));
        }
    }
    let mut diff = String::new();
    for (post, res) in s.posts.iter().zip(&s.resolutions) {
        let mut edits = Vec::new();
        let mut eager_done = false;
        let mut rewritten = 0;
        for (r, x) in post.refs.iter().zip(res) {
            if r.kind == RefKind::FrontMatter {
                continue;
            }
            let note = |message: String| Note {
                post: post.path.clone(),
                line: r.line,
                message,
            };
            match x.status {
                Status::Ok => {}
                Status::External => continue,
                other => {
                    let hint = match other {
                        Status::Missing => "file not found in the site; upload it or fix the path",
                        Status::Outside => {
                            "the path leaves the site folder; postpix never reads it"
                        }
                        Status::NotImage => "not an image file",
                        Status::Unsupported => {
                            "this format is not re-encoded (only GIF, PNG, JPEG)"
                        }
                        Status::Unresolved => "Liquid expression postpix cannot evaluate",
                        _ => "",
                    };
                    report
                        .left
                        .push(note(format!("{} {}: {hint}", other.name(), r.url)));
                    continue;
                }
            }
            let Some(rel) = &x.source else { continue };
            let entry = job_of_source
                .get(rel)
                .and_then(|h| fresh_entries.get(h).map(|e| (h, e)));
            let Some((hash, entry)) = entry else {
                let why = image_reports
                    .get(rel)
                    .or_else(|| {
                        image_reports
                            .values()
                            .find(|ir| ir.same_as.iter().any(|o| o == rel))
                    })
                    .and_then(|ir| ir.error.clone())
                    .unwrap_or_else(|| "not built yet".into());
                report.left.push(note(format!("{rel}: {why}")));
                continue;
            };
            let job = &jobs[hash];
            let folder = plan::variant_folder(rel, &cfg.variant_dir);
            let Some(set) = sets[hash].iter().find(|s| s.folder == folder) else {
                continue;
            };
            let links: Vec<VariantLink> = entry
                .outputs
                .iter()
                .map(|o| VariantLink {
                    file_name: plan::variant_name(&set.slug, o.width, &job.key, o.format),
                    width: o.width,
                    height: o.height,
                    format: o.format,
                })
                .collect();
            let original = &post.original[r.span.clone()];
            match rewrite::picture(
                r,
                original,
                &links,
                &cfg.variant_dir,
                &cfg.sizes,
                !eager_done,
            ) {
                Ok(p) => {
                    eager_done = true;
                    rewritten += 1;
                    edits.push((r.span.clone(), p.to_html()));
                }
                Err(Skip::Ial) => report.left.push(note(
                    "its kramdown IAL names an attribute list postpix can't carry over".into(),
                )),
                Err(_) => report.left.push(note("no variants to offer".into())),
            }
        }
        let new_text = if cfg.rewrite {
            rewrite::splice(&post.original, &edits)
        } else {
            post.current.clone()
        };
        let target = abs_in(&dest, &post.path);
        let on_disk = if cfg.out.is_some() {
            std::fs::read_to_string(&target).ok()
        } else {
            Some(post.current.clone())
        };
        let changed = on_disk.as_deref() != Some(new_text.as_str());
        report.summary.refs_rewritten += if cfg.rewrite { rewritten } else { 0 };
        if changed {
            report.summary.posts_changed += 1;
            match mode {
                Mode::Check => {
                    for r in &post.refs {
                        if r.kind != RefKind::FrontMatter {
                            // A ref whose desired markup is not in the file is stale.
                            let line = r.line;
                            let stale = edits
                                .iter()
                                .find(|(sp, _)| sp.start == r.span.start)
                                .is_some_and(|(_, html)| !post.current.contains(html.as_str()));
                            if stale {
                                report.problems.push(Note {
                                    post: post.path.clone(),
                                    line,
                                    message:
                                        "not rewritten, or its markup is stale; run `postpix build`"
                                            .into(),
                                });
                            }
                        }
                    }
                    if !report.problems.iter().any(|n| n.post == post.path) {
                        report.problems.push(Note {
                            post: post.path.clone(),
                            line: 0,
                            message: "holds postpix markup that a build would change; run `postpix build`".into(),
                        });
                    }
                }
                Mode::DryRun => {
                    let old = on_disk.unwrap_or_default();
                    diff.push_str(
                        &similar::TextDiff::from_lines(&old, &new_text)
                            .unified_diff()
                            .context_radius(1)
                            .header(&format!("a/{}", post.path), &format!("b/{}", post.path))
                            .to_string(),
                    );
                }
                Mode::Build => match write_post(cfg, post, &target, &new_text) {
                    Ok(()) => {
                        report
                            .written
                            .insert(post.path.clone(), cache::hash_bytes(new_text.as_bytes()));
                    }
                    Err(e) => report.errors.push(e.to_string()),
                },
            }
        }
        report.posts.push(PostReport {
            path: post.path.clone(),
            changed,
            rewritten,
        });
    }
    if mode == Mode::DryRun {
        report.diff = Some(diff);
    }

    // Prune variants nothing needs any more: only files the manifest says we wrote.
    let stale: Vec<String> = manifest
        .files
        .keys()
        .filter(|p| !needed_files.contains(*p))
        .cloned()
        .collect();
    for p in stale {
        match mode {
            Mode::Build => match write::remove_output(&abs_in(&dest, &p)) {
                Ok(_) => {
                    report.summary.variants_pruned += 1;
                    manifest.files.remove(&p);
                }
                Err(e) => report.warnings.push(e.to_string()),
            },
            Mode::DryRun => report.summary.variants_pruned += 1,
            Mode::Check => {}
        }
    }
    let live_keys: BTreeSet<&String> = jobs.values().map(|j| &j.key).collect();
    manifest.entries.retain(|k, _| live_keys.contains(k));

    if writing {
        for (rel, src) in &s.sources {
            if let (Some(hash), Ok(info)) = (&src.hash, &src.info) {
                manifest.sources.insert(
                    rel.clone(),
                    SourceRecord {
                        size: src.size,
                        mtime_ns: src.mtime_ns,
                        hash: hash.clone(),
                        info: info.clone(),
                    },
                );
            }
        }
        manifest.sources.retain(|k, _| s.sources.contains_key(k));
        if let Err(e) = cache::save(&cfg.cache_dir, &manifest) {
            report.errors.push(e.to_string());
        }
    }

    report.images = image_reports.into_values().collect();
    let sm = &mut report.summary;
    for ir in &report.images {
        match ir.status {
            ImageStatus::Encoded => sm.encoded += 1,
            ImageStatus::Cached => sm.cached += 1,
            ImageStatus::Failed => sm.failed += 1,
            ImageStatus::Skipped => sm.skipped += 1,
        }
        sm.bytes_before += ir.bytes_before;
        sm.bytes_after += ir.bytes_after;
    }
    sm.refs_left = report.left.len();
    sm.errors = report.errors.len();
    Ok(report)
}

/// What one encode task hands back: the facts, not the bytes (those are on disk already).
struct Done {
    /// The encoder's result with every output's bytes released.
    enc: Encoded,
    entry: Entry,
    files: Vec<(String, FileRecord)>,
    written: usize,
    errors: Vec<String>,
    warnings: Vec<String>,
}

/// Bytes of memory one image may need while it is decoded, resized and encoded: the decoded
/// canvas as RGBA, a converted copy and the encoders' working buffers, about three canvases.
pub fn memory_estimate(info: &ImageInfo) -> u64 {
    let canvas = u64::from(info.width) * u64::from(info.height) * 4;
    canvas * 3 + (8 << 20)
}

/// A memory budget shared by the scheduler and the tasks: the scheduler waits until an image's
/// estimate fits before starting it, so peak memory follows the decoded sizes in flight, not the
/// number of cores. An image larger than the whole budget runs alone.
struct Budget {
    total: u64,
    used: std::sync::Mutex<u64>,
    freed: std::sync::Condvar,
}

impl Budget {
    fn new(total: u64) -> Self {
        Budget {
            total: total.max(1),
            used: std::sync::Mutex::new(0),
            freed: std::sync::Condvar::new(),
        }
    }

    /// Wait for room for `want` bytes; returns what was taken (capped at the whole budget).
    fn acquire(&self, want: u64) -> u64 {
        let want = want.min(self.total);
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        while *used + want > self.total {
            used = self.freed.wait(used).unwrap_or_else(|p| p.into_inner());
        }
        *used += want;
        want
    }

    fn release(&self, n: u64) {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        *used = used.saturating_sub(n);
        self.freed.notify_all();
    }
}

/// The manifest's record of a file postpix wrote (none if it could not be stat'ed).
fn record(path: String, hash: String, stat: Option<(u64, u128)>) -> Option<(String, FileRecord)> {
    stat.map(|(size, mtime_ns)| {
        (
            path,
            FileRecord {
                size,
                mtime_ns,
                hash,
            },
        )
    })
}

/// Encode one job and write its variant files into every folder that needs them.
fn encode_and_write(
    src: &Source,
    job: &Job,
    sets: &[VariantSet],
    missing: Option<&BTreeSet<String>>,
    dest: &Path,
    writing: bool,
    cfg: &Config,
) -> std::result::Result<Done, String> {
    let (mut enc, warnings) = encode_job(src, job, cfg)?;
    let entry = entry_from(&enc);
    let mut files = Vec::new();
    let mut written = 0;
    let mut errors = Vec::new();
    let mut pending: Vec<(String, String, &[u8])> = Vec::new();
    for set in sets {
        for (i, (path, o)) in set_files(set, &job.key, &entry).into_iter().enumerate() {
            if missing.is_some_and(|m| !m.contains(&path)) {
                continue; // repair: only the missing or altered files
            }
            if !writing {
                written += 1;
                continue;
            }
            // A lost manifest must not cost a rewrite of identical files.
            let abs = abs_in(dest, &path);
            let same = missing.is_none()
                && std::fs::read(&abs).is_ok_and(|b| cache::hash_bytes(&b) == o.hash);
            if same {
                files.extend(record(path, o.hash.clone(), cache::stat(&abs)));
                continue;
            }
            pending.push((path, o.hash.clone(), &enc.outputs[i].bytes[..]));
        }
    }
    let results = timings::time(timings::Stage::Write, || write_variants(dest, &pending));
    for ((path, hash, _), result) in pending.into_iter().zip(results) {
        match result {
            Ok(stat) => {
                written += 1;
                files.extend(record(path, hash, stat));
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    // The bytes are on disk now; keep only the facts.
    for o in &mut enc.outputs {
        o.bytes = Vec::new();
    }
    Ok(Done {
        enc,
        entry,
        files,
        written,
        errors,
        warnings,
    })
}

/// Threads that write variants. Each atomic write waits on two fsyncs (≈4 ms each on the
/// benchmark machine's ext4, 2.7 s for 235 variants one after the other); that is waiting, not
/// work, so more writers than cores overlap it.
const WRITE_THREADS: usize = 8;

/// The one pool of writer threads, made on first use.
fn write_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(WRITE_THREADS)
            .thread_name(|i| format!("postpix-write-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Write every `(path, hash, bytes)` atomically under `dest`, in parallel; for each, in order,
/// the file's `(size, mtime_ns)` once written (`None` if it cannot be stat'ed) or the error.
fn write_variants(
    dest: &Path,
    pending: &[(String, String, &[u8])],
) -> Vec<Result<Option<(u64, u128)>>> {
    let write = |(path, _, bytes): &(String, String, &[u8])| {
        let abs = abs_in(dest, path);
        write::write_atomic(&abs, bytes, None).map(|()| cache::stat(&abs))
    };
    match write_pool() {
        Some(pool) => pool.install(|| pending.par_iter().map(write).collect()),
        None => pending.iter().map(write).collect(),
    }
}

fn encode_job(
    src: &Source,
    job: &Job,
    cfg: &Config,
) -> std::result::Result<(Encoded, Vec<String>), String> {
    let (bytes, hash) = timings::time(timings::Stage::Read, || {
        let bytes = std::fs::read(&src.abs).map_err(|e| e.to_string())?;
        let hash = cache::hash_bytes(&bytes);
        Ok::<_, String>((bytes, hash))
    })?;
    if hash != *src.hash.as_ref().unwrap_or(&String::new()) {
        return Err("changed on disk during the run; run again".into());
    }
    let mut warnings = Vec::new();
    if let Err(why) = encode::decode::check_complete(&bytes, job.info.format) {
        if cfg.lenient {
            warnings.push(format!("{why}; encoded anyway (--lenient)"));
        } else {
            return Err(format!("{why} (pass --lenient to encode what is there)"));
        }
    }
    let animated = job.info.format == Format::Gif && job.info.frames > 1;
    let result = catch_unwind(AssertUnwindSafe(|| {
        if animated {
            encode::encode_animated(&bytes, &job.widths, &cfg.encode, &cfg.limits)
        } else {
            encode::encode_source(&bytes, &job.widths, &cfg.encode, &cfg.limits)
        }
    }));
    match result {
        Ok(Ok(enc)) => Ok((enc, warnings)),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!(
                "the encoder crashed on this file ({msg}); please report it"
            ))
        }
    }
}

/// Write `text` over a post of the site in place, unless the author changed the file since
/// `post` was read (then [`Error::ChangedDuringRun`], and the author's edit stays).
pub fn write_post_checked(cfg: &Config, post: &Post, text: &str) -> Result<()> {
    write_post(cfg, post, &abs_in(&cfg.site, &post.path), text)
}

/// Write a rewritten post: only if the author has not changed it since it was read, with its
/// mode kept.
fn write_post(cfg: &Config, post: &Post, target: &Path, text: &str) -> Result<()> {
    let site_file = abs_in(&cfg.site, &post.path);
    let now = std::fs::read(&site_file).map_err(|e| Error::io(&site_file, e))?;
    if now != post.current.as_bytes() {
        return Err(Error::ChangedDuringRun { path: site_file });
    }
    if let Ok(m) = std::fs::symlink_metadata(target) {
        if m.file_type().is_symlink() {
            return Err(Error::UnsafeWrite {
                path: target.to_path_buf(),
                reason: "the post is a symlink; postpix does not replace links (rewrite its target, or use --out)".into(),
            });
        }
    }
    let mode = write::mode_of(&site_file);
    write::write_atomic(target, text.as_bytes(), mode)
}

/// Mirror the site into `--out`: regular files only, copied when missing or older; posts are
/// left to the rewriter and build output, dependencies and dot-folders are skipped.
fn sync_tree(
    cfg: &Config,
    jekyll: &JekyllConfig,
    out: &Path,
    posts: &BTreeSet<String>,
    report: &mut BuildReport,
) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let files = scan::site::site_files(&cfg.site, jekyll, &cfg.variant_dir, &skip_dirs(cfg));
    let mut copies: Vec<(PathBuf, PathBuf)> = Vec::new();
    for rel in files {
        if posts.contains(&rel) {
            continue;
        }
        let src = abs_in(&cfg.site, &rel);
        let dst = abs_in(out, &rel);
        let up_to_date = match (cache::stat(&src), cache::stat(&dst)) {
            (Some((s1, m1)), Some((s2, m2))) => s1 == s2 && m2 >= m1,
            _ => false,
        };
        if up_to_date {
            continue;
        }
        copies.push((src, dst));
    }
    // In parallel: each copy waits on two fsyncs (see WRITE_THREADS). A source that cannot be
    // read stops the build; a copy that cannot be written is reported.
    type Copied = Result<std::result::Result<(), Error>>;
    let copy = |(src, dst): &(PathBuf, PathBuf)| -> Copied {
        let bytes = std::fs::read(src).map_err(|e| Error::io(src, e))?;
        Ok(write::write_atomic(dst, &bytes, write::mode_of(src)))
    };
    let results: Vec<Copied> = match write_pool() {
        Some(pool) => pool.install(|| copies.par_iter().map(copy).collect()),
        None => copies.iter().map(copy).collect(),
    };
    for r in results {
        if let Err(e) = r? {
            report.errors.push(e.to_string());
        }
    }
    Ok(())
}

/// `postpix restore`: give every post back its original text. Returns the posts changed.
pub fn restore(cfg: &Config, dry_run: bool) -> Result<(Vec<String>, Vec<String>)> {
    let jekyll = JekyllConfig::load(&cfg.site);
    let (posts, errors) = scan::read_posts(&cfg.site, &jekyll, &cfg.variant_dir, &skip_dirs(cfg));
    let mut changed = Vec::new();
    let mut errs: Vec<String> = errors
        .into_iter()
        .map(|e| format!("{}: {}", e.path, e.reason))
        .collect();
    for post in posts {
        if post.original != post.current {
            if !dry_run {
                let target = abs_in(&cfg.site, &post.path);
                if let Err(e) = write_post(cfg, &post, &target, &post.original) {
                    errs.push(e.to_string());
                    continue;
                }
            }
            changed.push(post.path);
        }
    }
    Ok((changed, errs))
}

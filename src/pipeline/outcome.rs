//! Outcome: the plan and the executed jobs in, the manifest brought up to date and one report
//! per image out.
//!
//! For every job it settles which entry the rewrite may offer (the fresh one, the one just
//! encoded, or none when the encode failed), which variant files are still needed (so pruning
//! never deletes the files of an image that failed this time) and how the image is reported.

use std::collections::{BTreeMap, BTreeSet};

use super::execute::Outcome;
use super::Mode;
use crate::cache::{Entry, Manifest, OutputRecord};
use crate::format::OutFormat;
use crate::plan::{Job, Plan, Refusal, Work};
use crate::report::{
    BuildReport, DroppedReport, ImageReport, ImageStatus, ImageWarning, Note, NoteKind,
    VariantReport, Warning,
};
use crate::survey::{Source, Survey};

/// What the rest of the run needs from the jobs.
#[derive(Debug, Default)]
pub struct Settled {
    /// Per job of the plan, the entry whose variants the rewrite may offer.
    pub entries: Vec<Option<Entry>>,
    /// Destination-relative variant files still needed; every other file the manifest lists is
    /// stale.
    pub needed: BTreeSet<String>,
    /// One report per image, by path.
    pub images: Vec<ImageReport>,
}

/// Fold the outcomes of `plan`'s jobs into `manifest` and `report`.
pub fn settle(
    plan: &Plan,
    outcomes: Vec<Outcome>,
    survey: &Survey,
    manifest: &mut Manifest,
    report: &mut BuildReport,
    mode: Mode,
    content_width: u32,
) -> Settled {
    let mut settled = Settled::default();
    let mut images: BTreeMap<String, ImageReport> = BTreeMap::new();
    let mut outcomes = outcomes.into_iter().peekable();
    for (i, job) in plan.jobs.iter().enumerate() {
        let src = &survey.sources[job.rel()];
        let mut ir = ImageReport::new(job.rel(), ImageStatus::Cached, src.size);
        ir.same_as = job.rels[1..].to_vec();
        ir.warnings = warnings_of(src);
        let outcome = outcomes.next_if(|o| o.job == i).map(|o| o.result);
        let entry = match (&job.work, outcome) {
            (Work::Fresh(e), _) => {
                // Known from the store only (another site's, a shard's): this site keeps it now.
                if !manifest.entries.contains_key(&job.key) {
                    manifest.entries.insert(job.key.clone(), e.clone());
                }
                Some(e.clone())
            }
            (_, Some(Ok(done))) => {
                if done.encoded {
                    ir.status = ImageStatus::Encoded;
                }
                report.warnings.extend(done.store_error.map(Warning::Store));
                ir.search_encodes = done.search_encodes;
                ir.warnings.extend(done.warnings);
                report.summary.variants_written += done.written;
                // A post never points at a variant that could not be written.
                let whole = done.errors.is_empty();
                report.errors.extend(done.errors);
                manifest.files.extend(done.files);
                manifest.entries.insert(job.key.clone(), done.entry.clone());
                whole.then_some(done.entry)
            }
            (work, Some(Err(fault))) => {
                ir.refuse(Refusal::Failed(fault));
                // Keep its old files (they may serve again), but don't offer them.
                if let Work::Repair { entry, .. } | Work::Fetch { entry, .. } = work {
                    settled.needed.extend(job.files(entry).map(|(p, _)| p));
                }
                None
            }
            (work, None) => {
                if mode == Mode::Check {
                    report.problems.extend(needs_build(job));
                }
                match work {
                    Work::Repair { entry, .. } | Work::Fetch { entry, .. } => Some(entry.clone()),
                    _ => None,
                }
            }
        };
        if let Some(e) = &entry {
            describe(&mut ir, job, e, content_width);
            settled.needed.extend(job.files(e).map(|(p, _)| p));
        }
        images.insert(job.rel().to_string(), ir);
        settled.entries.push(entry);
    }
    for (rel, why) in &plan.refused {
        let src = survey.sources.get(rel);
        let mut ir = ImageReport::new(rel, ImageStatus::Failed, src.map_or(0, |s| s.size));
        ir.warnings = src.map(warnings_of).unwrap_or_default();
        ir.refuse(why.clone());
        images.entry(rel.clone()).or_insert(ir);
    }
    let live: BTreeSet<&String> = plan.jobs.iter().map(|j| &j.key).collect();
    manifest.entries.retain(|k, _| live.contains(k));
    settled.images = images.into_values().collect();
    settled
}

/// `check`: a problem per source of a job that still needs the encoder.
fn needs_build(job: &Job) -> Vec<Note> {
    let kind = match job.work {
        Work::Repair { .. } | Work::Fetch { .. } => NoteKind::VariantsMissing,
        _ => NoteKind::NotBuilt,
    };
    job.rels
        .iter()
        .map(|rel| Note {
            post: rel.clone(),
            line: 0,
            kind: kind.clone(),
        })
        .collect()
}

/// The survey's remarks about a source: a lying extension.
fn warnings_of(src: &Source) -> Vec<ImageWarning> {
    match &src.info {
        Ok(i) if src.extension_mismatch => vec![ImageWarning::ExtensionMismatch(i.format)],
        _ => Vec::new(),
    }
}

/// Fill in an image's report from the entry it offers: one folder's files, the drops once.
fn describe(ir: &mut ImageReport, job: &Job, entry: &Entry, content_width: u32) {
    let first_folder = format!("{}/", job.sets[0].folder);
    ir.lossless = Some(entry.lossless);
    ir.variants = job
        .files(entry)
        .filter(|(path, _)| path.starts_with(&first_folder))
        .map(|(path, i)| {
            let o = &entry.outputs[i];
            VariantReport {
                path,
                format: o.format,
                width: o.width,
                height: o.height,
                bytes: o.bytes,
                bits_per_pixel: VariantReport::bpp(o.bytes, o.width, o.height),
                quality: o.quality,
                ssimulacra2: o.ssimulacra2,
            }
        })
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
    ir.bytes_after = bytes_for_reader(entry, content_width);
}

/// What a WebP-capable desktop reader downloads for an entry (see
/// [`BuildSummary`](crate::report::BuildSummary)).
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

/// What a reader with a `slot` px wide slot downloads of one image: (with WebP, without). The
/// narrowest candidate at least `slot` wide, else the widest; a reader with WebP takes the
/// fallback when no WebP was kept.
fn at_width(ir: &ImageReport, slot: u32) -> (u64, u64) {
    let pick = |webp: bool| -> Option<u64> {
        let mut v: Vec<&VariantReport> = ir
            .variants
            .iter()
            .filter(|o| (o.format == OutFormat::Webp) == webp)
            .collect();
        v.sort_by_key(|o| o.width);
        v.iter()
            .find(|o| o.width >= slot)
            .or(v.last())
            .map(|o| o.bytes)
    };
    let fallback = pick(false).unwrap_or(0);
    (pick(true).unwrap_or(fallback), fallback)
}

/// The slot width on wide screens: the last candidate of `sizes` ("…, 800px").
pub fn content_width_of(sizes: &str) -> u32 {
    sizes
        .rsplit(',')
        .next()
        .and_then(|s| s.trim().strip_suffix("px"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(800)
}

/// Count the images' outcomes and bytes into the summary.
pub fn summarise(report: &mut BuildReport) {
    let sm = &mut report.summary;
    let mut scores: Vec<f64> = Vec::new();
    for ir in &report.images {
        match ir.status {
            ImageStatus::Encoded => sm.encoded += 1,
            ImageStatus::Cached => sm.cached += 1,
            ImageStatus::Failed => sm.failed += 1,
            ImageStatus::Skipped => sm.skipped += 1,
        }
        sm.bytes_before += ir.bytes_before;
        sm.bytes_after += ir.bytes_after;
        if ir.search_encodes > 0 {
            sm.quality_searches += 1;
            sm.search_encodes += u64::from(ir.search_encodes);
        }
        let (webp, fallback) = at_width(ir, 1440);
        sm.bytes_at_1440_webp += webp;
        sm.bytes_at_1440_fallback += fallback;
        scores.extend(
            ir.variants
                .iter()
                .filter(|v| v.format == OutFormat::Webp)
                .filter_map(|v| v.ssimulacra2.map(f64::from)),
        );
    }
    if !scores.is_empty() {
        sm.ssimulacra2_mean = Some(scores.iter().sum::<f64>() / scores.len() as f64);
        sm.ssimulacra2_min = scores.iter().copied().reduce(f64::min);
    }
    sm.refs_left = report.left.len();
    sm.errors = report.errors.len();
}

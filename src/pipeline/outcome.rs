//! Outcome: the plan and the executed jobs in, the manifest brought up to date and one report
//! per image out.
//!
//! For every job it settles which entry the rewrite may offer (the fresh one, the one just
//! encoded, or none when the encode failed), which variant files are still needed (so pruning
//! never deletes the files of an image that failed this time) and how the image is reported.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::execute::Outcome;
use super::Mode;
use crate::cache::{Entry, Manifest};
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
    pub entries: Vec<Option<Arc<Entry>>>,
    /// Destination-relative variant files still needed, by [`path_id`]; every other file the
    /// manifest lists is stale.
    pub needed: HashSet<u64>,
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
    let mut outcomes = outcomes.into_iter().peekable();
    let mut pending = Vec::with_capacity(plan.jobs.len());
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
                    manifest.entries.insert(job.key.clone(), Arc::clone(e));
                }
                Some(Arc::clone(e))
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
                let entry = Arc::new(done.entry);
                manifest.entries.insert(job.key.clone(), Arc::clone(&entry));
                whole.then_some(entry)
            }
            (work, Some(Err(fault))) => {
                ir.refuse(Refusal::Failed(fault));
                // Keep its old files (they may serve again), but don't offer them.
                if let Work::Repair { entry, .. } | Work::Fetch { entry, .. } = work {
                    settled
                        .needed
                        .extend(job.files(entry).map(|(p, _)| path_id(&p)));
                }
                None
            }
            (work, None) => {
                if mode == Mode::Check {
                    report.problems.extend(needs_build(job));
                }
                match work {
                    Work::Repair { entry, .. } | Work::Fetch { entry, .. } => {
                        Some(Arc::clone(entry))
                    }
                    _ => None,
                }
            }
        };
        pending.push(ir);
        settled.entries.push(entry);
    }
    // Every outcome has moved into the manifest: give back their list (a large site's, 344
    // bytes a job) before the reports' variants are allocated.
    drop(outcomes);
    // Each image's variants are named and described in parallel, in place (on a no-op of a
    // large site, this is all the work there is). In place: moving every report into a second
    // list, then a map, then a third list held two or three copies of a large site's reports
    // (224 bytes each, inline) at the peak of a cold build.
    let described = (pending.par_iter_mut())
        .zip(&plan.jobs)
        .zip(&settled.entries)
        .flat_map_iter(|((ir, job), entry)| {
            if let Some(e) = entry {
                describe(ir, job, e, content_width);
            }
            let files = entry.iter().flat_map(move |e| job.files(e));
            files.map(|(p, _)| path_id(&p))
        });
    settled.needed.par_extend(described);
    for (rel, why) in &plan.refused {
        let src = survey.sources.get(rel);
        let mut ir = ImageReport::new(rel, ImageStatus::Failed, src.map_or(0, |s| s.size));
        ir.warnings = src.map(warnings_of).unwrap_or_default();
        ir.refuse(why.clone());
        pending.push(ir);
    }
    // By path; a job's report wins over a refusal of the same path (stable sort, first kept).
    pending.sort_by(|a, b| a.source.cmp(&b.source));
    pending.dedup_by(|later, first| later.source == first.source);
    let live: BTreeSet<&String> = plan.jobs.iter().map(|j| &j.key).collect();
    manifest.entries.retain(|k, _| live.contains(k));
    settled.images = pending;
    settled
}

/// The 64-bit fingerprint that stands for a variant path in [`Settled::needed`]: a large site's
/// set of every needed path as strings (about 100 bytes a file) was one of the largest records
/// held at the peak of a cold build; eight bytes do. Two paths that collide can only keep a
/// stale file from being pruned, never delete a needed one. SipHash with fixed keys
/// (`DefaultHasher::new`): the same path gives the same id in every run.
pub fn path_id(path: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    path.hash(&mut h);
    h.finish()
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
    let items = entry.outputs.iter().map(|o| (o.format, o.width, o.bytes));
    fetched(items, Reader::Webp, content_width)
}

/// Which modern formats a reader's browser decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    /// AVIF and WebP: it takes AVIF where there is one, else WebP, else the fallback.
    Avif,
    /// WebP only: WebP, else the fallback.
    Webp,
    /// Neither: the fallback (JPEG, PNG, GIF).
    Neither,
}

impl Reader {
    /// Formats the reader takes, most preferred first (the fallback family last).
    fn takes(self) -> &'static [OutFormat] {
        match self {
            Reader::Avif => &[OutFormat::Avif, OutFormat::Webp],
            Reader::Webp => &[OutFormat::Webp],
            Reader::Neither => &[],
        }
    }
}

/// The bytes `reader` fetches of one image for a `slot` px wide slot, from its variants
/// (format, width, bytes): the first format it takes that has variants (else the fallback),
/// and of those the narrowest at least `slot` wide, else the widest.
fn fetched(
    variants: impl Iterator<Item = (OutFormat, u32, u64)> + Clone,
    reader: Reader,
    slot: u32,
) -> u64 {
    let of = |keep: &dyn Fn(OutFormat) -> bool| -> Option<u64> {
        let mut v: Vec<(u32, u64)> = variants
            .clone()
            .filter(|(f, ..)| keep(*f))
            .map(|(_, w, b)| (w, b))
            .collect();
        v.sort_unstable();
        v.iter().find(|(w, _)| *w >= slot).or(v.last()).map(|x| x.1)
    };
    reader
        .takes()
        .iter()
        .find_map(|&f| of(&|g| g == f))
        .or_else(|| of(&|g: OutFormat| !g.is_modern()))
        .unwrap_or(0)
}

/// What readers with a `slot` px wide slot download of one image: (with AVIF, with WebP only,
/// with neither).
fn at_width(ir: &ImageReport, slot: u32) -> (u64, u64, u64) {
    let items = ir.variants.iter().map(|o| (o.format, o.width, o.bytes));
    (
        fetched(items.clone(), Reader::Avif, slot),
        fetched(items.clone(), Reader::Webp, slot),
        fetched(items, Reader::Neither, slot),
    )
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

/// Mean and minimum of `scores` (none when empty).
fn mean_min(scores: &[f64]) -> (Option<f64>, Option<f64>) {
    if scores.is_empty() {
        return (None, None);
    }
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    (Some(mean), scores.iter().copied().reduce(f64::min))
}

/// Count the images' outcomes and bytes into the summary.
pub fn summarise(report: &mut BuildReport) {
    let sm = &mut report.summary;
    let (mut scores, mut avif_scores) = (Vec::new(), Vec::new());
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
        let (avif, webp, fallback) = at_width(ir, 1440);
        sm.bytes_at_1440_avif += avif;
        sm.bytes_at_1440_webp += webp;
        sm.bytes_at_1440_fallback += fallback;
        for v in &ir.variants {
            match (v.format, v.ssimulacra2) {
                (OutFormat::Webp, Some(x)) => scores.push(f64::from(x)),
                (OutFormat::Avif, Some(x)) => avif_scores.push(f64::from(x)),
                _ => {}
            }
        }
    }
    (sm.ssimulacra2_mean, sm.ssimulacra2_min) = mean_min(&scores);
    (sm.avif_ssimulacra2_mean, sm.avif_ssimulacra2_min) = mean_min(&avif_scores);
    sm.refs_left = report.left.len();
    sm.errors = report.errors.len();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pruning compares a path's id from the manifest's string with the id made while settling:
    /// the id must be a pure function of the path, and the paths of one image's variants must
    /// not share one.
    #[test]
    fn path_ids_are_stable_and_tell_variants_apart() {
        let a = "postimg/responsive/cat-480.0a1b2c3d.webp";
        let made = format!("{}/{}", "postimg/responsive", "cat-480.0a1b2c3d.webp");
        assert_eq!(path_id(a), path_id(&made));
        let names = [
            "cat-480.0a1b2c3d.webp",
            "cat-480.0a1b2c3d.jpg",
            "cat-960.0a1b2c3d.webp",
        ];
        let ids: HashSet<u64> = names.iter().map(|n| path_id(n)).collect();
        assert_eq!(ids.len(), names.len());
    }

    /// (format, width, bytes) of an image with AVIF, WebP and a JPEG fallback at 480 and 1440.
    const ALL: [(OutFormat, u32, u64); 6] = [
        (OutFormat::Avif, 480, 10),
        (OutFormat::Avif, 1440, 30),
        (OutFormat::Webp, 480, 20),
        (OutFormat::Webp, 1440, 50),
        (OutFormat::Jpeg, 480, 40),
        (OutFormat::Jpeg, 1440, 100),
    ];

    #[test]
    fn each_reader_fetches_its_best_format_at_the_slot() {
        let all = ALL.iter().copied();
        assert_eq!(fetched(all.clone(), Reader::Avif, 1440), 30);
        assert_eq!(fetched(all.clone(), Reader::Webp, 1440), 50);
        // A browser without WebP never takes the AVIF (the old picker counted AVIF as a
        // fallback and reported 30 here).
        assert_eq!(fetched(all.clone(), Reader::Neither, 1440), 100);
        assert_eq!(fetched(all.clone(), Reader::Avif, 400), 10);
        // Wider than every candidate: the widest.
        assert_eq!(fetched(all, Reader::Webp, 2000), 50);
    }

    #[test]
    fn a_missing_format_falls_back_to_the_next_the_reader_takes() {
        let no_avif = ALL.iter().copied().filter(|v| v.0 != OutFormat::Avif);
        assert_eq!(fetched(no_avif.clone(), Reader::Avif, 1440), 50);
        let only_fallback = no_avif.filter(|v| v.0 == OutFormat::Jpeg);
        assert_eq!(fetched(only_fallback, Reader::Avif, 1440), 100);
        assert_eq!(fetched(std::iter::empty(), Reader::Webp, 1440), 0);
    }
}

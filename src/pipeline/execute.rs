//! Execute: the plan's jobs in, encoded variants on disk and one [`Outcome`] per job out.
//!
//! Jobs that need work (a repair or a full encode) run in parallel on one rayon pool, largest
//! first, each starting only when its estimated memory fits the memory budget. A task
//! reads its source, checks it is the file the plan hashed and that it is whole, asks the
//! encoder for the plan's [`Request`](crate::encode::Request), lets the size guard choose (a fresh encode) and writes
//! its files atomically as soon as they exist, so memory holds the images in flight, never the
//! whole site's outputs. A dry run does all of it but the writes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::Progress;
use crate::cache::{self, Digest, Entry, FileRecord};
use crate::config::Config;
use crate::container;
use crate::encode::{self, guard, DecodeLimits, EncodeSettings, Encoded, Output};
use crate::error::{EnvFault, Error, ImageFault, InputFault, Result};
use crate::format::OutFormat;
use crate::memory::{self, Budget};
use crate::paths;
use crate::plan::{self, Job, Plan, Work};
use crate::report::{ImageWarning, Warning};
use crate::store::{self, Store};
use crate::survey::Survey;
use crate::timings::{self, Stage};
use crate::write;

/// What one job's task hands back: the facts, not the bytes (those are on disk already).
#[derive(Debug)]
pub struct Done {
    /// The outputs as the manifest records them.
    pub entry: Entry,
    /// Records of the files written (or found identical on disk).
    pub files: Vec<(String, FileRecord)>,
    /// Files written.
    pub written: usize,
    /// Writes that failed.
    pub errors: Vec<Error>,
    /// Remarks (a truncated file encoded with `--lenient`).
    pub warnings: Vec<ImageWarning>,
    /// Trial encodes the quality search made (0 for a repair or fixed qualities).
    pub search_encodes: u32,
    /// The encoder ran (false: every file was copied from the cache's store).
    pub encoded: bool,
    /// Keeping the results in the cache's store failed (the site is whole regardless).
    pub store_error: Option<Error>,
}

/// The result of one job that needed work, by its index in the plan.
#[derive(Debug)]
pub struct Outcome {
    /// Index in [`Plan::jobs`].
    pub job: usize,
    /// What came of it.
    pub result: std::result::Result<Done, ImageFault>,
}

/// Run every job of `plan` that needs work. `writing` is false for a dry run: everything is
/// encoded, nothing written. Returns the outcomes and the warnings of the clean-up.
pub fn run(
    plan: &Plan,
    survey: &Survey,
    cfg: &Config,
    writing: bool,
    progress: &dyn Progress,
) -> Result<(Vec<Outcome>, Vec<Warning>)> {
    let mut order: Vec<usize> = (0..plan.jobs.len())
        .filter(|&i| !matches!(plan.jobs[i].work, Work::Fresh(_)))
        .collect();
    if order.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let dest = cfg.dest_root();
    let store = Store::of(cfg);
    let mut warnings = Vec::new();
    if writing {
        warnings = clean_variant_folders(plan, &order, dest);
        let count = store.clean();
        if count > 0 {
            let folder = Some(cfg.store_dir().display().to_string());
            warnings.push(Warning::StaleTemps { folder, count });
        }
    }
    let store = &store;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs.max(1))
        .build()
        .map_err(|e| {
            Error::setting(
                "--jobs",
                format!("{}: cannot start the threads: {e}", cfg.jobs),
            )
        })?;
    // Largest first, so the pool does not idle on one big image at the end.
    order.sort_by_key(|&i| std::cmp::Reverse(memory_estimate(&plan.jobs[i], survey)));
    progress.begin(order.len());
    let budget = Budget::new(cfg.memory_budget);
    let (tx, rx) = std::sync::mpsc::channel::<Outcome>();
    pool.in_place_scope(|scope| {
        // This loop runs on the calling thread, never in the pool, so waiting for memory here
        // cannot block a worker that oxipng is spinning on.
        for (n, &i) in order.iter().enumerate() {
            let job = &plan.jobs[i];
            if n > 0 && n % memory::TRIM_EVERY == 0 {
                memory::release_free_pages();
            }
            let held = budget.take(memory_estimate(job, survey));
            let tx = tx.clone();
            scope.spawn(move |_| {
                let src = &survey.sources[job.rel()];
                let result = match &job.work {
                    Work::Fetch { entry, files } => fetch(entry, files, store, dest, writing),
                    _ => process(job, &src.abs, cfg, dest, writing),
                };
                let result = result.map(|mut done| {
                    if writing {
                        let (key, files) = (&job.key, &done.files);
                        let kept = store::publish(store, dest, key, &done.entry, files);
                        done.store_error = kept.err();
                    }
                    done
                });
                drop(held);
                progress.tick(job.rel());
                let _ = tx.send(Outcome { job: i, result });
            });
        }
    });
    drop(tx);
    progress.end();
    let mut outcomes: Vec<Outcome> = rx.into_iter().collect();
    outcomes.sort_by_key(|o| o.job);
    Ok((outcomes, warnings))
}

/// One source in memory, as a build treats a new image, without a site: its header facts, the
/// plan's request for `widths` under `settings`, the encoder and the size guard. For tests,
/// benchmarks and fuzzing.
pub fn encode_bytes(
    bytes: &[u8],
    widths: &[u32],
    settings: &EncodeSettings,
    limits: &DecodeLimits,
) -> std::result::Result<Encoded, ImageFault> {
    encode_bytes_as(bytes, widths, &[OutFormat::Webp], settings, limits)
}

/// [`encode_bytes`] with the `<source>` formats `formats` (e.g. `[Avif, Webp]`).
pub fn encode_bytes_as(
    bytes: &[u8],
    widths: &[u32],
    formats: &[OutFormat],
    settings: &EncodeSettings,
    limits: &DecodeLimits,
) -> std::result::Result<Encoded, ImageFault> {
    let info = crate::probe::probe(bytes)?;
    let (request, dropped) = plan::request_for(
        &info,
        widths,
        settings.lossless,
        formats,
        settings.quality(),
    );
    let enc = encode::run(bytes, &request, settings, limits)?;
    Ok(guard::select(enc, bytes.len(), dropped))
}

/// Remove the temp files an interrupted run left in the variant folders about to be written.
fn clean_variant_folders(plan: &Plan, order: &[usize], dest: &Path) -> Vec<Warning> {
    let mut cleaned: BTreeSet<&str> = BTreeSet::new();
    let mut warnings = Vec::new();
    for &i in order {
        for set in &plan.jobs[i].sets {
            if cleaned.insert(&set.folder) {
                let count = write::clean_stale_temps(dest, &paths::abs(dest, &set.folder));
                if count > 0 {
                    warnings.push(Warning::StaleTemps {
                        folder: Some(set.folder.clone()),
                        count,
                    });
                }
            }
        }
    }
    warnings
}

/// One job: read and check the source, encode what the plan asks, write the files.
fn process(
    job: &Job,
    abs: &Path,
    cfg: &Config,
    dest: &Path,
    writing: bool,
) -> std::result::Result<Done, ImageFault> {
    let bytes = timings::time(Stage::Read, || std::fs::read(abs))
        .map_err(|e| EnvFault::Read(e.to_string()))?;
    if timings::time(Stage::Read, || Digest::of(&bytes)) != job.hash {
        return Err(InputFault::ChangedDuringRun.into());
    }
    // The decoder refuses a cut-short file unless lenient; when lenient the run still says so.
    let mut warnings = Vec::new();
    if cfg.limits.lenient {
        if let Err(why) = container::check_complete(&bytes, job.info.format) {
            warnings.push(ImageWarning::Truncated(why));
        }
    }
    // The outputs live here until they are written; only their records leave this task.
    let outputs: Vec<Output>;
    let mut search_encodes = 0;
    let (entry, files) = match &job.work {
        Work::Fresh(entry) | Work::Fetch { entry, .. } => (Entry::clone(entry), Vec::new()),
        Work::Encode { request, dropped } => {
            let enc = encode::run(&bytes, request, &cfg.encode, &cfg.limits)?;
            let chosen = guard::select(enc, bytes.len(), dropped.clone());
            let entry = Entry::of(&chosen);
            search_encodes = chosen.search_encodes;
            outputs = chosen.outputs;
            let files = fresh_files(job, &entry, &outputs, writing.then_some(dest));
            (entry, files)
        }
        Work::Repair {
            entry,
            request,
            missing,
        } => {
            outputs = encode::run(&bytes, request, &cfg.encode, &cfg.limits)?.outputs;
            repaired_files(job, entry, &outputs, missing)
        }
    };
    let mut done = Done {
        entry,
        files: Vec::new(),
        written: 0,
        errors: Vec::new(),
        warnings,
        search_encodes,
        encoded: true,
        store_error: None,
    };
    write_files(dest, files, writing, &mut done);
    Ok(done)
}

/// A job whose missing files are all in the cache's store: copy them (checked against their
/// hashes once more), encode nothing, leave the source unread.
fn fetch(
    entry: &Entry,
    files: &BTreeMap<String, Digest>,
    store: &Store,
    dest: &Path,
    writing: bool,
) -> std::result::Result<Done, ImageFault> {
    let mut fetched = Vec::with_capacity(files.len());
    for (path, hash) in files {
        let bytes = timings::time(Stage::Read, || store.object(hash))
            .ok_or_else(|| EnvFault::StoreChanged(path.clone()))?;
        fetched.push((path, hash, bytes));
    }
    let pending = fetched
        .iter()
        .map(|(path, hash, bytes)| (path.to_string(), **hash, &bytes[..], false))
        .collect();
    let mut done = Done {
        entry: entry.clone(),
        files: Vec::new(),
        written: 0,
        errors: Vec::new(),
        warnings: Vec::new(),
        search_encodes: 0,
        encoded: false,
        store_error: None,
    };
    write_files(dest, pending, writing, &mut done);
    Ok(done)
}

/// A file to write: destination-relative path, its hash and bytes, and whether it is already
/// on disk with exactly these bytes (then it is only recorded).
type Pending<'a> = (String, Digest, &'a [u8], bool);

/// The files of a fresh encode, in every folder of the job. A lost manifest must not cost a
/// rewrite of identical files: one already on disk under `dest` with the same bytes is only
/// recorded.
fn fresh_files<'a>(
    job: &Job,
    entry: &Entry,
    outputs: &'a [Output],
    dest: Option<&Path>,
) -> Vec<Pending<'a>> {
    job.files(entry)
        .map(|(path, i)| {
            let hash = entry.outputs[i].hash;
            let same = dest.is_some_and(|d| {
                std::fs::read(paths::abs(d, &path)).is_ok_and(|b| Digest::of(&b) == hash)
            });
            (path, hash, &outputs[i].bytes[..], same)
        })
        .collect()
}

/// The missing files of a repair, re-made from the ops the plan asked for. The entry is kept,
/// with each re-made output's record refreshed (a deterministic encoder gives the same bytes).
fn repaired_files<'a>(
    job: &Job,
    entry: &Entry,
    outputs: &'a [Output],
    missing: &BTreeSet<String>,
) -> (Entry, Vec<Pending<'a>>) {
    let mut entry = entry.clone();
    let mut files = Vec::new();
    for out in outputs {
        let Some(i) = entry
            .outputs
            .iter()
            .position(|o| o.width == out.width && o.format == out.format)
        else {
            continue;
        };
        let hash = Digest::of(&out.bytes);
        entry.outputs[i].hash = hash;
        entry.outputs[i].bytes = out.bytes.len() as u64;
        for set in &job.sets {
            let name = plan::variant_name(&set.slug, out.width, &job.key, out.format);
            let path = format!("{}/{name}", set.folder);
            if missing.contains(&path) {
                files.push((path, hash, &out.bytes[..], false));
            }
        }
    }
    (entry, files)
}

/// Write the pending files (unless this is a dry run) and record them in `done`.
fn write_files(dest: &Path, files: Vec<Pending<'_>>, writing: bool, done: &mut Done) {
    let (same, pending): (Vec<Pending<'_>>, Vec<Pending<'_>>) =
        files.into_iter().partition(|p| p.3);
    if !writing {
        done.written += same.len() + pending.len();
        return;
    }
    for (path, hash, _, _) in same {
        done.files
            .extend(cache::file_record(&paths::abs(dest, &path), hash).map(|r| (path, r)));
    }
    let results = timings::time(Stage::Write, || write_variants(dest, &pending));
    for ((path, _, _, _), result) in pending.into_iter().zip(results) {
        match result {
            Ok(rec) => {
                done.written += 1;
                done.files.extend(rec.map(|r| (path, r)));
            }
            Err(e) => done.errors.push(e),
        }
    }
}

/// Threads that write variants. Each atomic write waits on two fsyncs (≈4 ms each on the
/// benchmark machine's ext4, 2.7 s for 235 variants one after the other); that is waiting, not
/// work, so more writers than cores overlap it.
const WRITE_THREADS: usize = 8;

/// The one pool of writer threads, made on first use.
pub fn write_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(WRITE_THREADS)
            .thread_name(|i| format!("postpix-write-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Write every pending file atomically under `dest`, in parallel; for each, in order, its
/// record once written (`None` if it cannot be stat'ed) or the error.
fn write_variants(dest: &Path, pending: &[Pending<'_>]) -> Vec<Result<Option<FileRecord>>> {
    let write = |(path, hash, bytes, _): &Pending<'_>| {
        let abs = paths::abs(dest, path);
        write::write_atomic(dest, &abs, bytes, None).map(|()| cache::file_record(&abs, *hash))
    };
    match write_pool() {
        Some(pool) => pool.install(|| pending.par_iter().map(write).collect()),
        None => pending.iter().map(write).collect(),
    }
}

/// Bytes of memory `job` may need while it runs: its file and its canvases
/// ([`memory::encode_estimate`]), or for a copy from the store the files it copies.
pub fn memory_estimate(job: &Job, survey: &Survey) -> u64 {
    if let Work::Fetch { entry, files } = &job.work {
        let largest = entry.outputs.iter().map(|o| o.bytes).max().unwrap_or(0);
        return largest.saturating_mul(files.len() as u64);
    }
    let file = survey.sources.get(job.rel()).map_or(0, |s| s.size);
    memory::encode_estimate(job.info.width, job.info.height, file)
}

//! Pipeline: one way through, survey → plan → execute → settle → rewrite → prune → save.
//!
//! In: a [`Config`] and a [`Mode`]. Out: a [`BuildReport`]. A [`Session`] holds what one run
//! learns (the survey and the manifest) so that `watch` can keep it and refresh only what
//! changed; [`run`] is one session used once. Build, dry run and check are the same pass over
//! the same [`Plan`]: a check executes nothing, a dry run writes nothing.
//! Only this room sequences I/O; the rooms it calls are pure or do one kind of I/O each:
//! [`execute`] encodes and writes variants, [`outcome`] folds the results into the manifest and
//! the report, [`posts`] rewrites the posts, [`hero`] writes the front-matter images' data for
//! the theme, [`mirror`] copies the site for `--out`, [`scan`]
//! answers `postpix scan`.

pub mod execute;
pub mod hero;
pub mod mirror;
pub mod outcome;
pub mod posts;
pub mod render;
pub mod scan;

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use crate::cache::{self, DiskFiles, Manifest, SourceRecord};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lint::Linter;
use crate::paths;
use crate::plan::{self, Plan};
use crate::report::{BuildReport, RestoreReport, Warning};
use crate::scan::site::JekyllConfig;
use crate::store::{Checked, Store};
use crate::survey::{self as survey_room, Change, Survey};
use crate::write;

pub use posts::write_post_checked;
pub use scan::scan_report;

/// Posts whose markup is made at once, in parallel, before being applied in order.
const MARKUP_CHUNK: usize = 256;

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

/// Run the build flow once. See [`Mode`].
pub fn run(cfg: &Config, mode: Mode, progress: &dyn Progress) -> Result<BuildReport> {
    let _lock = lock(cfg, mode)?;
    let mut session = Session::open(cfg)?;
    session.once = true;
    session.pass(mode, progress)
}

/// Open a session and run one pass, under the site's lock from before the first read when the
/// pass writes; the session is kept for more passes.
pub fn open_and_run(
    cfg: &Config,
    mode: Mode,
    progress: &dyn Progress,
) -> Result<(Session, BuildReport)> {
    let _lock = lock(cfg, mode)?;
    let mut session = Session::open(cfg)?;
    let report = session.pass(mode, progress)?;
    Ok((session, report))
}

/// A build takes the site's lock before it reads anything, so two runs never interleave.
fn lock(cfg: &Config, mode: Mode) -> Result<Option<write::Lock>> {
    match mode {
        Mode::Build => lock_for_writing(cfg).map(Some),
        Mode::DryRun | Mode::Check => Ok(None),
    }
}

/// The lock every command that writes holds: one OS file lock on the site folder and one on
/// `--out`, wherever the cache is ([`write::Lock`]). `watch` holds it for its whole life; this
/// process may take it again for each pass.
pub fn lock_for_writing(cfg: &Config) -> Result<write::Lock> {
    write::Lock::acquire(&cfg.lock_folders())
}

/// What one run knows about the site, kept between runs by `watch`.
#[derive(Debug)]
pub struct Session {
    cfg: Config,
    manifest: Manifest,
    survey: Survey,
    /// Remarks from opening (a corrupt manifest), reported by the next pass.
    warnings: Vec<Warning>,
    /// With `Config::render`: each post's markup, by site-relative path, as the last pass
    /// computed it (never written).
    rendered: BTreeMap<String, posts::Markup>,
    /// With `Config::render`: the front-matter images' data, as `_data/postpix.json` holds it.
    hero_data: Option<hero::Data>,
    /// The session ends with its one pass ([`run`]): a post's new text is dropped once written,
    /// not kept as the survey's `current` for a next pass that never comes (a large site's
    /// rewritten posts, all held to the end, were the largest per-image holder of a cold build).
    once: bool,
}

impl Session {
    /// Load the manifest and survey the whole site; refuse a site whose generator would drop
    /// the markup a rewrite writes ([`crate::scan::layout::check_raw_html`]).
    pub fn open(cfg: &Config) -> Result<Session> {
        let (manifest, problem) = cache::load(&cfg.manifest_dir());
        let survey = Survey::take(cfg, Some(&manifest), true)?;
        if cfg.rewrite {
            crate::scan::layout::check_raw_html(&cfg.site, survey.jekyll.layout)?;
        }
        Ok(Session {
            cfg: cfg.clone(),
            manifest,
            survey,
            warnings: problem.map(Warning::Manifest).into_iter().collect(),
            rendered: BTreeMap::new(),
            hero_data: None,
            once: false,
        })
    }

    /// The survey as the last pass (or [`Session::refresh`]) left it.
    pub fn survey(&self) -> &Survey {
        &self.survey
    }

    /// The manifest as the last pass left it.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// With `Config::render`: the markup of the post at `path` (site-relative) from the last
    /// pass, and the front-matter images' data.
    pub fn rendered(&self, path: &str) -> Option<&posts::Markup> {
        self.rendered.get(path)
    }

    /// With `Config::render`: the front-matter images' data from the last pass.
    pub fn hero_data(&self) -> Option<&hero::Data> {
        self.hero_data.as_ref()
    }

    /// Bring the survey up to date after `changes`, reading only what they touch.
    pub fn refresh(&mut self, changes: &[Change]) -> Result<()> {
        self.survey.refresh(&self.cfg, &self.manifest, changes)
    }

    /// One pass in `mode`, under the site's lock when it writes.
    pub fn run(&mut self, mode: Mode, progress: &dyn Progress) -> Result<BuildReport> {
        let _lock = lock(&self.cfg, mode)?;
        self.pass(mode, progress)
    }

    fn pass(&mut self, mode: Mode, progress: &dyn Progress) -> Result<BuildReport> {
        let writing = mode == Mode::Build;
        let mut report = BuildReport {
            warnings: std::mem::take(&mut self.warnings),
            ..BuildReport::default()
        };
        let post_errors = self.survey.post_errors.iter().cloned();
        report.errors.extend(post_errors.map(Error::Post));
        // `render` writes only variants into the generator's output: no copy of the site.
        if let (true, Some(out), false) = (writing, &self.cfg.out, self.cfg.render) {
            let posts: BTreeSet<&str> = self.survey.posts.iter().map(|p| p.path.as_str()).collect();
            let jekyll = &self.survey.jekyll;
            report.errors.extend(mirror::sync(
                &self.cfg,
                jekyll,
                out,
                &posts,
                &mut self.manifest.mirrored,
            )?);
        }
        let plan = self.plan();
        let (outcomes, warnings) = match mode {
            Mode::Check => Default::default(),
            _ => execute::run(&plan, &self.survey, &self.cfg, writing, progress)?,
        };
        report.warnings.extend(warnings);
        let content_width = outcome::content_width_of(&self.cfg.sizes);
        let settled = outcome::settle(
            &plan,
            outcomes,
            &self.survey,
            &mut self.manifest,
            &mut report,
            mode,
            content_width,
        );
        if writing {
            report.warnings.extend(self.clean_post_temps());
        }
        report.images = settled.images;
        // A shard knows only its share of the images: the posts, the hero data and the pruning
        // wait for the merge.
        if self.cfg.shard.is_none() {
            self.rewrite_posts(&plan, &settled.entries, mode, &mut report);
            self.heroes(&plan, &settled.entries, mode, &mut report);
            self.prune(&settled.needed, mode, &mut report);
        }
        // Not held while the manifest is saved: the peak of a large cold build is there.
        drop((plan, settled.entries, settled.needed));
        if writing {
            self.save(&mut report);
        }
        // `report.uses` is left empty: only `watch` reads it, and fills it from the survey
        // (`Survey::uses`); a one-off build of a large site would hold a map of every image's
        // posts at its peak for nothing (about 450 bytes per image).
        outcome::summarise(&mut report);
        Ok(report)
    }

    /// The plan, with the variant files on disk checked against the manifest (a file whose stat
    /// changed but whose bytes did not gets a fresh record) and the store asked for the rest.
    fn plan(&mut self) -> Plan {
        let store = Store::of(&self.cfg);
        let checked = Checked {
            disk: DiskFiles::new(self.cfg.dest_root(), &self.manifest.files),
            store: &store,
        };
        let plan = plan::plan(&self.survey, &self.manifest, &self.cfg, &checked);
        let rehashed = checked.disk.rehashed();
        self.manifest.files.extend(rehashed);
        plan
    }

    /// Rewrite every post as `mode` says; a post written in place is remembered as it now is.
    fn rewrite_posts(
        &mut self,
        plan: &Plan,
        entries: &[Option<std::sync::Arc<cache::Entry>>],
        mode: Mode,
        report: &mut BuildReport,
    ) {
        let images = std::mem::take(&mut report.images);
        let offer = posts::Offer {
            plan,
            entries,
            images: &images,
        };
        let mut diff = String::new();
        let mut written = Vec::new();
        let eager = posts::eager_first(&self.survey.posts, &self.survey.jekyll);
        let resolver = (self.cfg.fix_links)
            .then(|| survey_room::resolver(&self.cfg, &self.survey.jekyll).ok())
            .flatten();
        let linter = resolver
            .as_ref()
            .map(|r| Linter::new(&self.cfg.site, &self.survey.jekyll, r));
        if self.cfg.render {
            self.rendered.clear();
        }
        // The markup of a chunk of posts is made in parallel, then applied in order (a chunk,
        // not all posts at once, so the new texts of a large site are not all held together).
        let (all, resolutions) = (&self.survey.posts, &self.survey.resolutions);
        for start in (0..all.len()).step_by(MARKUP_CHUNK) {
            let end = (start + MARKUP_CHUNK).min(all.len());
            let made: Vec<posts::Markup> = (start..end)
                .into_par_iter()
                .map(|i| {
                    let (post, res) = (&all[i], &resolutions[i]);
                    posts::markup(post, res, &offer, &self.cfg, eager[i], linter.as_ref())
                })
                .collect();
            for (i, mut m) in (start..end).zip(made) {
                if self.cfg.render {
                    report.summary.refs_rewritten += m.edits.len();
                    report.summary.links_fixed += m.fixed;
                    report.left.append(&mut m.left);
                    self.rendered.insert(all[i].path.clone(), m);
                    continue;
                }
                let text = posts::apply(&all[i], m, mode, &self.cfg, report, &mut diff);
                if let (Some(text), false) = (text, self.once) {
                    written.push((i, text));
                }
            }
        }
        if self.cfg.out.is_none() {
            for (i, text) in written {
                self.survey.posts[i].current = text.into();
            }
        }
        if mode == Mode::DryRun {
            report.diff = Some(diff);
        }
        report.images = images;
    }

    /// Write the front-matter images' data and the include that renders them (not with
    /// `--no-rewrite`, which only encodes).
    fn heroes(
        &mut self,
        plan: &Plan,
        entries: &[Option<std::sync::Arc<cache::Entry>>],
        mode: Mode,
        report: &mut BuildReport,
    ) {
        if !self.cfg.rewrite {
            return;
        }
        let images = std::mem::take(&mut report.images);
        let offer = posts::Offer {
            plan,
            entries,
            images: &images,
        };
        if self.cfg.render {
            let data = hero::data(&self.survey, &offer, &self.cfg);
            report.summary.heroes = data.images.len();
            self.hero_data = Some(data);
        } else {
            hero::sync(&self.survey, &offer, &self.cfg, mode, report);
        }
        report.images = images;
    }

    /// Remove the temp files an interrupted run left beside the posts and in the cache.
    fn clean_post_temps(&self) -> Option<Warning> {
        let dest = self.cfg.dest_root();
        let mut dirs: BTreeSet<&str> = self
            .survey
            .posts
            .iter()
            .map(|p| paths::folder(&p.path))
            .collect();
        dirs.insert("");
        dirs.insert(paths::folder(hero::DATA_FILE));
        dirs.insert(paths::folder(hero::INCLUDE_FILE));
        let mut count: usize = dirs
            .iter()
            .map(|d| write::clean_stale_temps(dest, &paths::abs(dest, d)))
            .sum();
        count += write::clean_stale_temps(self.cfg.cache_root(), &self.cfg.manifest_dir());
        (count > 0).then_some(Warning::StaleTemps {
            folder: None,
            count,
        })
    }

    /// Delete the variants nothing needs any more: only files the manifest says we wrote.
    fn prune(
        &mut self,
        needed: &std::collections::HashSet<u64>,
        mode: Mode,
        report: &mut BuildReport,
    ) {
        let stale: Vec<String> = self
            .manifest
            .files
            .keys()
            .filter(|p| !needed.contains(&outcome::path_id(p)))
            .cloned()
            .collect();
        for p in stale {
            match mode {
                Mode::Build => match write::remove_output(
                    self.cfg.dest_root(),
                    &paths::abs(self.cfg.dest_root(), &p),
                ) {
                    Ok(_) => {
                        report.summary.variants_pruned += 1;
                        self.manifest.files.remove(&p);
                    }
                    Err(e) => report.warnings.push(Warning::Prune(e)),
                },
                Mode::DryRun => report.summary.variants_pruned += 1,
                Mode::Check => {}
            }
        }
    }

    /// Remember every source's facts and save the manifest.
    fn save(&mut self, report: &mut BuildReport) {
        let sources = &self.survey.sources;
        self.manifest.sources.retain(|k, _| sources.contains_key(k));
        // Nothing reads the survey's sources after the save of a one-pass session: they move
        // into the manifest. A session kept for more passes (`watch`) keeps its own copy.
        let sources = if self.once {
            std::mem::take(&mut self.survey.sources)
        } else {
            self.survey.sources.clone()
        };
        for (rel, src) in sources {
            if let (Some(hash), Ok(info)) = (src.hash, src.info) {
                let (size, mtime_ns) = (src.size, src.mtime_ns);
                let record = SourceRecord {
                    size,
                    mtime_ns,
                    hash,
                    info,
                };
                self.manifest.sources.insert(rel, record);
            }
        }
        self.manifest.version = cache::MANIFEST_VERSION;
        let dir = self.cfg.manifest_dir();
        if let Err(e) = cache::save(self.cfg.cache_root(), &dir, &self.manifest) {
            report.errors.push(e);
        }
    }
}

/// `postpix restore`: give every post back its original text.
pub fn restore(cfg: &Config, dry_run: bool) -> Result<RestoreReport> {
    let _lock = match dry_run {
        false => Some(lock_for_writing(cfg)?),
        true => None,
    };
    let jekyll = JekyllConfig::load_as(&cfg.site, cfg.layout)?;
    let skip = survey_room::own_dirs(cfg);
    let (posts, errors) =
        crate::scan::read_all_markdown(&cfg.site, &jekyll, &cfg.variant_dir, &skip);
    let mut report = RestoreReport {
        errors: errors.into_iter().map(Error::Post).collect(),
        dry_run,
        ..RestoreReport::default()
    };
    let (removed, errors) = hero::remove(&cfg.site, dry_run);
    report.removed = removed;
    report.errors.extend(errors);
    for post in posts.into_iter().filter(|p| p.original != p.current) {
        if !dry_run {
            let target = paths::abs(&cfg.site, &post.path);
            if let Err(e) = posts::write_post(cfg, &post, &target, &post.original) {
                report.errors.push(e);
                continue;
            }
        }
        report.restored.push(post.path);
    }
    Ok(report)
}

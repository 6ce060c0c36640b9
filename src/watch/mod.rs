//! Watch: keep a site built while its author writes.
//!
//! In: a [`Config`] and the file system's events (notify, debounced). Out: the site kept up to
//! date and one [`Event`] per batch of changes, for the binary to print. What an event means is
//! decided by the pure functions of [`events`]; each remaining batch is applied to one long-lived
//! pipeline [`Session`]: only the changed posts are re-read, only the touched sources re-checked,
//! the manifest stays in memory, and the same plan → encode → rewrite pass runs (incremental:
//! only changed images are encoded, only posts whose text changes are written, unused variants
//! are pruned). This room never encodes anything by itself.

pub mod events;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

pub use events::{changes_of, classify, coalesce, is_scratch, settle, Known, Rules, DEBOUNCE};

use crate::cache;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::paths;
use crate::pipeline::{self, Mode, NoProgress, Progress, Session};
use crate::report::lines::Event;
use crate::report::BuildReport;
use crate::scan::site::JekyllConfig;
use crate::survey::Change;

/// A running watch: the notify watcher, the pipeline session and what is known about the site.
pub struct Watcher {
    cfg: Config,
    rules: Rules,
    session: Option<Session>,
    uses: BTreeMap<String, BTreeSet<String>>,
    known: Known,
    /// Changes to handle before waiting for new events (posts a pass had to leave alone).
    retry: Vec<Change>,
    rx: mpsc::Receiver<DebounceEventResult>,
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    watched: BTreeSet<PathBuf>,
}

fn cannot_watch(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Site {
        path: path.to_path_buf(),
        reason: format!("cannot watch it: {e}"),
    }
}

fn hash_file(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|b| cache::hash_bytes(&b))
}

impl Watcher {
    /// Start watching `cfg.site`: the root's own entries, and every top-level folder except
    /// dot-folders, build output, dependencies and postpix's own folders (so that a busy
    /// `_site` or `node_modules` costs nothing). Events that arrive from now on are kept.
    pub fn start(cfg: &Config) -> Result<Watcher> {
        if cfg.shard.is_some() {
            return Err(crate::error::Error::setting(
                "--shard",
                "is for one CI job's share of a build; watch builds the whole site",
            ));
        }
        let (tx, rx) = mpsc::channel();
        let debouncer =
            new_debouncer(DEBOUNCE, None, tx).map_err(|e| cannot_watch(&cfg.site, e))?;
        let mut w = Watcher {
            cfg: cfg.clone(),
            rules: Rules::new(cfg)?,
            session: None,
            uses: BTreeMap::new(),
            known: Known::default(),
            retry: Vec::new(),
            rx,
            debouncer,
            watched: BTreeSet::new(),
        };
        w.add_watch(&cfg.site.clone(), RecursiveMode::NonRecursive)?;
        let entries = std::fs::read_dir(&cfg.site).map_err(|e| Error::io(&cfg.site, e))?;
        let mut dirs: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        dirs.sort();
        for d in dirs {
            w.watch_top_dir(&d)?;
        }
        Ok(w)
    }

    fn add_watch(&mut self, dir: &Path, mode: RecursiveMode) -> Result<()> {
        if !self.watched.insert(dir.to_path_buf()) {
            return Ok(());
        }
        self.debouncer
            .watch(dir, mode)
            .map_err(|e| cannot_watch(dir, e))
    }

    /// Watch a top-level folder recursively, unless it is one postpix ignores.
    fn watch_top_dir(&mut self, dir: &Path) -> Result<()> {
        if dir.parent() != Some(self.cfg.site.as_path()) || !dir.is_dir() {
            return Ok(());
        }
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if self.rules.skips_dir(&name) || self.rules.own_dirs.iter().any(|o| o == dir) {
            return Ok(());
        }
        self.add_watch(dir, RecursiveMode::Recursive)
    }

    /// The first build, as `postpix build` runs it; afterwards the watch knows the dependency
    /// index and the bytes of every post and image the build read or wrote. Saves made while
    /// it ran stay queued, and posts it left alone for that reason are retried first.
    pub fn build(&mut self, progress: &dyn Progress) -> Result<BuildReport> {
        let (session, mut report) = pipeline::open_and_run(&self.cfg, Mode::Build, progress)?;
        report.uses = session.survey().uses();
        self.learn(&session, &report);
        self.uses = report.uses.clone();
        self.session = Some(session);
        Ok(report)
    }

    /// Know what a pass read and wrote (never the disk as it is now: a save made during the
    /// pass must stay news), and queue the posts it had to leave alone.
    fn learn(&mut self, session: &Session, report: &BuildReport) {
        let survey = session.survey();
        let posts = survey
            .posts
            .iter()
            .map(|p| (p.path.as_str(), cache::hash_bytes(p.current.as_bytes())));
        let sources = survey
            .sources
            .iter()
            .filter_map(|(rel, s)| s.hash.map(|h| (rel.as_str(), h.to_string())));
        let empty = BTreeMap::new();
        // In --out mode the writes land outside the site: the site's posts keep their bytes.
        let written = if self.cfg.out.is_none() {
            &report.written
        } else {
            &empty
        };
        let fresh = Known::after_pass(posts.chain(sources), written);
        self.known.merge(fresh);
        for c in events::retries(&self.cfg.site, &report.errors) {
            if let Some(rel) = c.rel() {
                self.known.forget(rel);
            }
            self.retry.push(c);
        }
    }

    /// Handle events until `stop` is set (checked between batches: a batch in progress
    /// finishes, so nothing is left half-written and the manifest is saved). Each event is
    /// handed to `tell`. Fails only when the watcher itself dies.
    pub fn run(&mut self, stop: &AtomicBool, tell: &mut dyn FnMut(Event)) -> Result<()> {
        while !stop.load(Ordering::SeqCst) {
            if !self.retry.is_empty() {
                let mut raw = std::mem::take(&mut self.retry);
                let batches: Vec<DebounceEventResult> = self.rx.try_iter().collect();
                raw.extend(self.changes_in(batches, tell));
                self.handle(coalesce(raw), tell);
                continue;
            }
            let first = match self.rx.recv_timeout(Duration::from_millis(100)) {
                Ok(b) => b,
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Error::Site {
                        path: self.cfg.site.clone(),
                        reason: "the file watcher stopped".into(),
                    })
                }
            };
            let mut batches = vec![first];
            batches.extend(self.rx.try_iter());
            let raw = self.changes_in(batches, tell);
            self.handle(coalesce(raw), tell);
        }
        Ok(())
    }

    /// The changes a few debounced batches stand for; new top-level folders start being watched.
    fn changes_in(
        &mut self,
        batches: Vec<DebounceEventResult>,
        tell: &mut dyn FnMut(Event),
    ) -> Vec<Change> {
        let mut raw = Vec::new();
        for b in batches {
            match b {
                Ok(events) => {
                    for ev in events {
                        if matches!(ev.kind, EventKind::Create(_)) {
                            for p in &ev.paths {
                                if let Err(e) = self.watch_top_dir(p) {
                                    tell(Event::Watcher(e.to_string()));
                                }
                            }
                        }
                        raw.extend(changes_of(&ev.kind, &ev.paths, &self.rules));
                    }
                }
                Err(errors) => {
                    for e in errors {
                        tell(Event::Watcher(format!("file watcher: {e}")));
                    }
                }
            }
        }
        raw
    }

    /// One batch: wait for the files to be still, drop what is known, refresh the session and
    /// run one pass.
    fn handle(&mut self, changes: Vec<Change>, tell: &mut dyn FnMut(Event)) {
        if changes.is_empty() {
            return;
        }
        let t0 = Instant::now();
        let site = self.cfg.site.clone();
        let paths: Vec<PathBuf> = changes
            .iter()
            .filter_map(|c| c.rel())
            .map(|r| paths::abs(&site, r))
            .collect();
        events::wait_until_still(&paths);
        let changes: Vec<Change> = changes
            .into_iter()
            .map(|c| {
                let exists = c.rel().is_some_and(|r| paths::abs(&site, r).is_file());
                settle(c, exists)
            })
            .collect();
        let changes = self
            .known
            .drop_unchanged(changes, &mut |rel| hash_file(&paths::abs(&site, rel)));
        if changes.is_empty() {
            return;
        }
        // The dependency index decides whether an image matters at all: one no post names
        // (not even as a missing file) needs no run.
        let idle = |c: &Change| match c {
            Change::ImageChanged(r) | Change::ImageRemoved(r) => !self.uses.contains_key(r),
            _ => false,
        };
        if changes.iter().all(idle) {
            tell(Event::Idle { changes });
            return;
        }
        if changes.contains(&Change::Config) {
            match JekyllConfig::load_as(&site, self.cfg.layout) {
                Ok(jekyll) => self.rules.jekyll = jekyll,
                Err(error) => {
                    tell(Event::Failed { changes, error });
                    return;
                }
            }
        }
        match self.pass(&changes) {
            Ok(report) => {
                if let Some(session) = self.session.take() {
                    self.learn(&session, &report);
                    self.session = Some(session);
                }
                let before = std::mem::replace(&mut self.uses, report.uses.clone());
                let secs = t0.elapsed().as_secs_f64();
                tell(Event::Built {
                    changes,
                    before,
                    report: Box::new(report),
                    secs,
                });
            }
            Err(error) => tell(Event::Failed { changes, error }),
        }
    }

    /// Refresh the session for `changes` and run one build pass (opening the session first if
    /// the first build never did).
    fn pass(&mut self, changes: &[Change]) -> Result<BuildReport> {
        match &mut self.session {
            Some(session) => {
                session.refresh(changes)?;
                let mut report = session.run(Mode::Build, &NoProgress)?;
                report.uses = session.survey().uses();
                Ok(report)
            }
            None => {
                let (session, mut report) =
                    pipeline::open_and_run(&self.cfg, Mode::Build, &NoProgress)?;
                report.uses = session.survey().uses();
                self.session = Some(session);
                Ok(report)
            }
        }
    }
}

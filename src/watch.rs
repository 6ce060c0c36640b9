//! Watch: keep a site built while its author writes.
//!
//! In: a [`Config`] and the file system's events (notify, debounced). Out: the site kept up to
//! date and one [`Line`] per change. Pure functions decide what an event means: [`changes_of`]
//! maps an event to a [`Change`] (ignoring postpix's own folders and temp files, editor swap and
//! backup files, dot-folders and build output), [`coalesce`] keeps one change per path,
//! [`settle`] trusts the file system over the event kind, [`Known::drop_unchanged`] drops saves
//! whose bytes are the ones already known (postpix's own rewrites of posts included) and
//! [`describe`] turns a run's report into the lines shown. Each remaining batch then runs the
//! one pipeline ([`pipeline::run`]) again: it is incremental, so only changed images are
//! encoded, only posts whose text changes are written and unused variants are pruned. This
//! module never encodes anything by itself.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::event::{ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

use crate::cache;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::pipeline::{self, Mode, NoProgress, Progress};
use crate::report::{BuildReport, ImageStatus};
use crate::scan::site::{self, JekyllConfig};
use crate::write::TEMP_MARK;

/// How long the debouncer holds an event before releasing it. It does not wait for quiet (see
/// the crate notes), so [`wait_until_still`] and [`coalesce`] do the rest.
pub const DEBOUNCE: Duration = Duration::from_millis(150);
/// Interval between two looks at a file that may still be being written.
const SETTLE_STEP: Duration = Duration::from_millis(100);
/// Give up waiting for a file to stop changing after this long; a half-written image then fails
/// its decode and is retried on its next event.
const SETTLE_MAX: Duration = Duration::from_secs(3);

/// Extensions of files treated as images (whether postpix re-encodes them or not).
const IMAGE_EXT: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "gif", "webp", "svg", "avif", "bmp", "tif", "tiff",
];

/// What one file event means for the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A post (Markdown file) was written or created; site-relative path.
    PostSaved(String),
    /// A post is gone.
    PostRemoved(String),
    /// An image was written, created or replaced.
    ImageChanged(String),
    /// An image is gone.
    ImageRemoved(String),
    /// `_config.yml` changed (`baseurl`, `exclude:`): everything may resolve differently.
    Config,
    /// Any other site file; it matters only with `--out`, which mirrors the site.
    SiteFile(String),
    /// Nothing postpix cares about.
    Ignore,
}

impl Change {
    /// The site-relative path the change is about (`_config.yml` for [`Change::Config`]).
    pub fn rel(&self) -> Option<&str> {
        match self {
            Change::PostSaved(r)
            | Change::PostRemoved(r)
            | Change::ImageChanged(r)
            | Change::ImageRemoved(r)
            | Change::SiteFile(r) => Some(r),
            Change::Config => Some("_config.yml"),
            Change::Ignore => None,
        }
    }
}

/// What [`changes_of`] needs to know about the site to classify a path.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Site root, absolute.
    pub site: PathBuf,
    /// Absolute folders postpix writes into and never reacts to (`--out`, the cache).
    pub own_dirs: Vec<PathBuf>,
    /// Name of the variant folders.
    pub variant_dir: String,
    /// `_config.yml`'s `exclude:`.
    pub jekyll: JekyllConfig,
    /// `--out` mode: every site file is mirrored, so every site file matters.
    pub mirror: bool,
}

impl Rules {
    /// The rules for a configuration.
    pub fn new(cfg: &Config) -> Rules {
        let mut own_dirs = vec![cfg.cache_dir.clone()];
        own_dirs.extend(cfg.out.clone());
        Rules {
            site: cfg.site.clone(),
            own_dirs,
            variant_dir: cfg.variant_dir.clone(),
            jekyll: JekyllConfig::load(&cfg.site),
            mirror: cfg.out.is_some(),
        }
    }

    /// A folder name postpix neither watches nor reacts to: dot-folders (`.git`, the cache),
    /// build output and dependencies, and the variant folders postpix writes itself.
    fn skips_dir(&self, name: &str) -> bool {
        name.starts_with('.') || site::SKIP_DIRS.contains(&name) || name == self.variant_dir
    }
}

/// True for names editors and tools use for swap, backup, lock and temp files, and for
/// postpix's own temp files: never a post or an image the author saved.
pub fn is_scratch(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        ".swp",
        ".swx",
        ".swo",
        ".swn",
        ".kate-swp",
        ".tmp",
        ".temp",
        ".part",
        ".crdownload",
        ".bak",
        ".orig",
        "___jb_tmp___",
        "___jb_old___",
    ];
    let lower = name.to_ascii_lowercase();
    name.starts_with('.') // vim .x.swp, emacs .#x, gedit .goutputstream-*, postpix temps
        || name.starts_with('#') // emacs autosave #x#
        || name.ends_with('~') // backups
        || name == "4913" // vim's "can I write here" probe
        || name.contains(TEMP_MARK)
        || SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// Classify one path. `gone` says the event reported the path as removed (or renamed away).
pub fn classify(path: &Path, gone: bool, rules: &Rules) -> Change {
    if rules.own_dirs.iter().any(|d| path.starts_with(d)) {
        return Change::Ignore;
    }
    let Ok(rel_path) = path.strip_prefix(&rules.site) else {
        return Change::Ignore;
    };
    let parts: Vec<String> = rel_path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let Some((name, dirs)) = parts.split_last() else {
        return Change::Ignore;
    };
    if dirs.iter().any(|d| rules.skips_dir(d)) || is_scratch(name) {
        return Change::Ignore;
    }
    let rel = parts.join("/");
    if rel == "_config.yml" {
        return Change::Config;
    }
    if rules.jekyll.is_excluded(&rel) {
        return Change::Ignore;
    }
    if site::is_markdown(name) {
        return if gone {
            Change::PostRemoved(rel)
        } else {
            Change::PostSaved(rel)
        };
    }
    let is_image = name
        .rsplit_once('.')
        .is_some_and(|(_, e)| IMAGE_EXT.contains(&e.to_ascii_lowercase().as_str()));
    if is_image {
        return if gone {
            Change::ImageRemoved(rel)
        } else {
            Change::ImageChanged(rel)
        };
    }
    if rules.mirror && !rules.skips_dir(name) {
        Change::SiteFile(rel)
    } else {
        Change::Ignore
    }
}

/// The changes one notify event stands for. Reads (`Access`) mean nothing; a rename stands for
/// the removal of its old name and the creation of its new one.
pub fn changes_of(kind: &EventKind, paths: &[PathBuf], rules: &Rules) -> Vec<Change> {
    let gone = |i: usize| match kind {
        EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => true,
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => i == 0 && paths.len() > 1,
        _ => false,
    };
    if matches!(kind, EventKind::Access(_)) {
        return Vec::new();
    }
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| classify(p, gone(i), rules))
        .filter(|c| *c != Change::Ignore)
        .collect()
}

/// One change per path, the last one winning (a delete followed by a create is a save), in
/// path order.
pub fn coalesce(changes: impl IntoIterator<Item = Change>) -> Vec<Change> {
    let mut by_path: BTreeMap<String, Change> = BTreeMap::new();
    for c in changes {
        if let Some(rel) = c.rel() {
            by_path.insert(rel.to_string(), c);
        }
    }
    by_path.into_values().collect()
}

/// Trust the file system over the event: an editor's rename-save may come out as a removal of
/// the post, and a file created then deleted within one batch is gone.
pub fn settle(change: Change, exists: bool) -> Change {
    match (change, exists) {
        (Change::PostRemoved(r), true) => Change::PostSaved(r),
        (Change::PostSaved(r), false) => Change::PostRemoved(r),
        (Change::ImageRemoved(r), true) => Change::ImageChanged(r),
        (Change::ImageChanged(r), false) => Change::ImageRemoved(r),
        (c, _) => c,
    }
}

/// The last known bytes (as blake3 hashes) of the site's files: what postpix itself wrote into
/// a post, and what each watched file held when it was last handled.
#[derive(Clone, Debug, Default)]
pub struct Known {
    hashes: HashMap<String, String>,
}

impl Known {
    /// Remember that `rel` holds bytes hashing to `hash`.
    pub fn set(&mut self, rel: &str, hash: String) {
        self.hashes.insert(rel.to_string(), hash);
    }

    /// Keep the changes whose bytes differ from the known ones, and remember the new bytes.
    /// `hash_of` hashes a site-relative file (`None` when it can't be read: kept, so the
    /// pipeline reports why). A removal is always kept and forgotten.
    pub fn drop_unchanged(
        &mut self,
        changes: Vec<Change>,
        hash_of: &mut dyn FnMut(&str) -> Option<String>,
    ) -> Vec<Change> {
        let mut keep = Vec::new();
        for c in changes {
            let Some(rel) = c.rel().map(str::to_string) else {
                continue;
            };
            if matches!(c, Change::PostRemoved(_) | Change::ImageRemoved(_)) {
                self.hashes.remove(&rel);
                keep.push(c);
                continue;
            }
            match hash_of(&rel) {
                Some(h) if self.hashes.get(&rel) == Some(&h) => {}
                Some(h) => {
                    self.hashes.insert(rel, h);
                    keep.push(c);
                }
                None => keep.push(c),
            }
        }
        keep
    }
}

/// How a [`Line`] should be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Work done, or nothing to do.
    Info,
    /// Done, but the author should look (a reference went back to its original text).
    Warn,
    /// Something failed; the watch goes on.
    Error,
}

/// One line of output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// How to show it.
    pub level: Level,
    /// What changed, what was done, how long it took.
    pub text: String,
}

impl Line {
    fn new(level: Level, text: String) -> Line {
        Line { level, text }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The lines for a batch of `changes` that one run handled: per change, what was done; then
/// the run's errors. `before` is the dependency index before the run (a removed image is in it
/// only there); `secs` is how long the batch took.
pub fn describe(
    changes: &[Change],
    before: &BTreeMap<String, BTreeSet<String>>,
    r: &BuildReport,
    secs: f64,
) -> Vec<Line> {
    let took = format!("({secs:.2} s)");
    let changed: BTreeSet<&str> = r
        .posts
        .iter()
        .filter(|p| p.changed)
        .map(|p| p.path.as_str())
        .collect();
    let image_of = |rel: &str| {
        r.images
            .iter()
            .find(|i| i.source == rel || i.same_as.iter().any(|s| s == rel))
    };
    let users = |rel: &str| -> BTreeSet<String> {
        let mut u = before.get(rel).cloned().unwrap_or_default();
        u.extend(r.uses.get(rel).cloned().unwrap_or_default());
        u
    };
    let rewritten = |posts: &BTreeSet<String>| -> Vec<String> {
        posts
            .iter()
            .filter(|p| changed.contains(p.as_str()))
            .cloned()
            .collect()
    };
    let files = {
        let s = &r.summary;
        let mut v = Vec::new();
        if s.variants_written > 0 {
            v.push(format!(
                "{} written",
                plural(s.variants_written, "variant", "variants")
            ));
        }
        if s.variants_pruned > 0 {
            v.push(format!(
                "{} pruned",
                plural(s.variants_pruned, "variant", "variants")
            ));
        }
        v
    };
    let mut lines = Vec::new();
    for c in changes {
        let mut level = Level::Info;
        let mut did: Vec<String> = Vec::new();
        let what = match c {
            Change::PostSaved(rel) => {
                let mine: Vec<&String> = r
                    .uses
                    .iter()
                    .filter(|(_, posts)| posts.contains(rel))
                    .map(|(img, _)| img)
                    .collect();
                let encoded = r
                    .images
                    .iter()
                    .filter(|i| i.status == ImageStatus::Encoded)
                    .filter(|i| {
                        mine.contains(&&i.source) || i.same_as.iter().any(|s| mine.contains(&s))
                    })
                    .count();
                if encoded > 0 {
                    did.push(format!("{} encoded", plural(encoded, "image", "images")));
                }
                did.push(if changed.contains(rel.as_str()) {
                    "post rewritten".into()
                } else {
                    "post already up to date".into()
                });
                for n in r.left.iter().filter(|n| &n.post == rel) {
                    level = Level::Warn;
                    did.push(format!("line {} left as written: {}", n.line, n.message));
                }
                format!("{rel} saved")
            }
            Change::PostRemoved(rel) => format!("{rel} removed"),
            Change::ImageChanged(rel) => {
                match image_of(rel) {
                    Some(i) if i.status == ImageStatus::Encoded => did.push("encoded".into()),
                    Some(i) if i.status == ImageStatus::Failed => {
                        level = Level::Error;
                        did.push(format!(
                            "failed: {} (fix it and save again)",
                            i.error.as_deref().unwrap_or("unknown error")
                        ));
                    }
                    Some(i) if i.status == ImageStatus::Skipped => did.push(format!(
                        "skipped: {}",
                        i.error.as_deref().unwrap_or("not re-encoded")
                    )),
                    Some(_) => did.push("variants already fresh".into()),
                    None => did.push("not re-encoded".into()),
                }
                let posts = rewritten(&users(rel));
                if !posts.is_empty() {
                    did.push(format!(
                        "{} rewritten ({})",
                        plural(posts.len(), "post", "posts"),
                        posts.join(", ")
                    ));
                }
                format!("{rel} changed")
            }
            Change::ImageRemoved(rel) => {
                let posts = users(rel);
                if !posts.is_empty() {
                    level = Level::Warn;
                    did.push(format!(
                        "its references are back to their original text in {}",
                        posts.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
                format!("{rel} removed")
            }
            Change::Config => {
                did.push(format!(
                    "rebuilt: {} encoded, {} rewritten",
                    plural(r.summary.encoded, "image", "images"),
                    plural(changed.len(), "post", "posts")
                ));
                "_config.yml changed".into()
            }
            Change::SiteFile(rel) => {
                did.push("mirrored".into());
                format!("{rel} changed")
            }
            Change::Ignore => continue,
        };
        did.extend(files.iter().cloned());
        if did.is_empty() {
            did.push("nothing to do".into());
        }
        lines.push(Line::new(
            level,
            format!("{what} → {} {took}", did.join(", ")),
        ));
    }
    for e in &r.errors {
        lines.push(Line::new(Level::Error, e.clone()));
    }
    for w in &r.warnings {
        lines.push(Line::new(Level::Warn, w.clone()));
    }
    lines
}

/// Wait until none of `paths` changes size or mtime between two looks [`SETTLE_STEP`] apart,
/// for at most [`SETTLE_MAX`]: a file being copied in or written by a slow tool is read whole.
pub fn wait_until_still(paths: &[PathBuf]) {
    if paths.is_empty() {
        return;
    }
    let deadline = Instant::now() + SETTLE_MAX;
    let look = || -> Vec<Option<(u64, u128)>> { paths.iter().map(|p| cache::stat(p)).collect() };
    let mut last = look();
    loop {
        std::thread::sleep(SETTLE_STEP);
        let now = look();
        if now == last || Instant::now() >= deadline {
            return;
        }
        last = now;
    }
}

fn hash_file(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|b| cache::hash_bytes(&b))
}

fn abs_of(site: &Path, rel: &str) -> PathBuf {
    let mut p = site.to_path_buf();
    p.extend(rel.split('/'));
    p
}

/// A running watch: the notify watcher, what is known about the site, and the dependency index.
pub struct Watcher {
    cfg: Config,
    rules: Rules,
    uses: BTreeMap<String, BTreeSet<String>>,
    known: Known,
    rx: mpsc::Receiver<DebounceEventResult>,
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    watched: BTreeSet<PathBuf>,
}

impl Watcher {
    /// Start watching `cfg.site`: the root's own entries, and every top-level folder except
    /// dot-folders, build output, dependencies and postpix's own folders (so that a busy
    /// `_site` or `node_modules` costs nothing). Events that arrive from now on are kept.
    pub fn start(cfg: &Config) -> Result<Watcher> {
        let (tx, rx) = mpsc::channel();
        let debouncer = new_debouncer(DEBOUNCE, None, tx).map_err(|e| Error::Site {
            path: cfg.site.clone(),
            reason: format!("cannot watch it: {e}"),
        })?;
        let mut w = Watcher {
            cfg: cfg.clone(),
            rules: Rules::new(cfg),
            uses: BTreeMap::new(),
            known: Known::default(),
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
        self.debouncer.watch(dir, mode).map_err(|e| Error::Site {
            path: dir.to_path_buf(),
            reason: format!("cannot watch it: {e}"),
        })
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
    /// index and the bytes of every post and image.
    pub fn build(&mut self, progress: &dyn Progress) -> Result<BuildReport> {
        let report = pipeline::run(&self.cfg, Mode::Build, progress)?;
        for p in &report.posts {
            if let Some(h) = hash_file(&abs_of(&self.cfg.site, &p.path)) {
                self.known.set(&p.path, h);
            }
        }
        // Sources: the manifest already holds their hashes; no need to read them again.
        let (manifest, _) = cache::load(&self.cfg.cache_dir);
        for (rel, rec) in manifest.sources {
            self.known.set(&rel, rec.hash);
        }
        self.uses = report.uses.clone();
        Ok(report)
    }

    /// Handle events until `stop` is set (checked between batches: a batch in progress
    /// finishes, so nothing is left half-written and the manifest is saved). Each line is
    /// handed to `log`. Fails only when the watcher itself dies.
    pub fn run(&mut self, stop: &AtomicBool, log: &mut dyn FnMut(Line)) -> Result<()> {
        while !stop.load(Ordering::SeqCst) {
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
            let mut raw = Vec::new();
            for b in batches {
                match b {
                    Ok(events) => {
                        for ev in events {
                            if matches!(ev.kind, EventKind::Create(_)) {
                                for p in &ev.paths {
                                    if let Err(e) = self.watch_top_dir(p) {
                                        log(Line::new(Level::Error, e.to_string()));
                                    }
                                }
                            }
                            raw.extend(changes_of(&ev.kind, &ev.paths, &self.rules));
                        }
                    }
                    Err(errors) => {
                        for e in errors {
                            log(Line::new(Level::Error, format!("file watcher: {e}")));
                        }
                    }
                }
            }
            self.handle(coalesce(raw), log);
        }
        Ok(())
    }

    /// One batch: wait for the files to be still, drop what is known, run the pipeline once.
    fn handle(&mut self, changes: Vec<Change>, log: &mut dyn FnMut(Line)) {
        if changes.is_empty() {
            return;
        }
        let t0 = Instant::now();
        let site = self.cfg.site.clone();
        let paths: Vec<PathBuf> = changes
            .iter()
            .filter_map(|c| c.rel())
            .map(|r| abs_of(&site, r))
            .collect();
        wait_until_still(&paths);
        let changes: Vec<Change> = changes
            .into_iter()
            .map(|c| {
                let exists = c.rel().is_some_and(|r| abs_of(&site, r).is_file());
                settle(c, exists)
            })
            .collect();
        let changes = self
            .known
            .drop_unchanged(changes, &mut |rel| hash_file(&abs_of(&site, rel)));
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
            for c in &changes {
                let what = match c {
                    Change::ImageRemoved(rel) => format!("{rel} removed"),
                    other => format!("{} changed", other.rel().unwrap_or_default()),
                };
                log(Line::new(
                    Level::Info,
                    format!("{what} → used by no post, nothing to do"),
                ));
            }
            return;
        }
        if changes.contains(&Change::Config) {
            self.rules.jekyll = JekyllConfig::load(&site);
        }
        match pipeline::run(&self.cfg, Mode::Build, &NoProgress) {
            Ok(report) => {
                let secs = t0.elapsed().as_secs_f64();
                if self.cfg.out.is_none() {
                    // Our own rewrites of posts: their events must find these bytes known.
                    for (rel, h) in &report.written {
                        self.known.set(rel, h.clone());
                    }
                }
                for line in describe(&changes, &self.uses, &report, secs) {
                    log(line);
                }
                self.uses = report.uses;
            }
            Err(e) => {
                let what: Vec<&str> = changes.iter().filter_map(|c| c.rel()).collect();
                log(Line::new(
                    Level::Error,
                    format!("{} changed → {e}", what.join(", ")),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, RemoveKind};

    fn rules(mirror: bool) -> Rules {
        Rules {
            site: PathBuf::from("/s"),
            own_dirs: vec![PathBuf::from("/s/.postpix"), PathBuf::from("/s/_build")],
            variant_dir: "responsive".into(),
            jekyll: JekyllConfig::parse("exclude: [drafts-private]"),
            mirror,
        }
    }

    fn one(path: &str, kind: EventKind) -> Vec<Change> {
        changes_of(&kind, &[PathBuf::from(path)], &rules(false))
    }

    const WRITE: EventKind = EventKind::Modify(ModifyKind::Data(DataChange::Content));
    const CREATE: EventKind = EventKind::Create(CreateKind::File);

    #[test]
    fn posts_and_images_are_recognised() {
        assert_eq!(
            one("/s/_posts/a.md", WRITE),
            vec![Change::PostSaved("_posts/a.md".into())]
        );
        assert_eq!(
            one("/s/postimg/A.JPG", CREATE),
            vec![Change::ImageChanged("postimg/A.JPG".into())]
        );
        assert_eq!(
            one("/s/postimg/a.png", EventKind::Remove(RemoveKind::File)),
            vec![Change::ImageRemoved("postimg/a.png".into())]
        );
        assert_eq!(one("/s/_config.yml", WRITE), vec![Change::Config]);
    }

    #[test]
    fn editor_swap_backup_and_temp_files_are_ignored() {
        for p in [
            "/s/_posts/.a.md.swp",
            "/s/_posts/.a.md.swx",
            "/s/_posts/a.md~",
            "/s/_posts/4913",
            "/s/_posts/.#a.md",
            "/s/_posts/#a.md#",
            "/s/_posts/a.md.kate-swp",
            "/s/_posts/a.md___jb_tmp___",
            "/s/postimg/photo.jpg.part",
            "/s/postimg/.goutputstream-XYZ",
        ] {
            assert_eq!(one(p, WRITE), vec![], "{p}");
            assert_eq!(one(p, CREATE), vec![], "{p}");
        }
    }

    #[test]
    fn own_writes_are_ignored_by_path() {
        for p in [
            "/s/postimg/responsive/a-480-0123456789.webp",
            "/s/postimg/.a-480.webp.postpix-tmp-12-3",
            "/s/_posts/.a.md.postpix-tmp-12-4",
            "/s/.postpix/manifest.json",
            "/s/.postpix/lock",
            "/s/_build/_posts/a.md",
            "/s/_build/postimg/a.jpg",
        ] {
            assert_eq!(one(p, CREATE), vec![], "{p}");
        }
    }

    #[test]
    fn dot_folders_build_output_and_outside_paths_are_ignored() {
        for p in [
            "/s/.git/index",
            "/s/.jekyll-cache/x.md",
            "/s/_site/postimg/a.jpg",
            "/s/_site/2021/a.md",
            "/s/node_modules/x/readme.md",
            "/s/drafts-private/a.md",
            "/elsewhere/a.md",
        ] {
            assert_eq!(one(p, WRITE), vec![], "{p}");
        }
    }

    #[test]
    fn reads_are_not_changes() {
        assert_eq!(
            one(
                "/s/_posts/a.md",
                EventKind::Access(AccessKind::Close(AccessMode::Write))
            ),
            vec![]
        );
        assert_eq!(
            one(
                "/s/_posts/a.md",
                EventKind::Access(AccessKind::Open(AccessMode::Any))
            ),
            vec![]
        );
    }

    #[test]
    fn a_rename_save_is_a_save_of_the_target() {
        // vim: write .a.md.swp, rename it over a.md; notify reports both names.
        let ev = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        let got = changes_of(
            &ev,
            &[
                PathBuf::from("/s/_posts/.a.md.swp"),
                PathBuf::from("/s/_posts/a.md"),
            ],
            &rules(false),
        );
        assert_eq!(got, vec![Change::PostSaved("_posts/a.md".into())]);
        // As observed with the debouncer: the rename arrives as Create of the target.
        assert_eq!(
            one("/s/_posts/a.md", CREATE),
            vec![Change::PostSaved("_posts/a.md".into())]
        );
        // Delete then create in one batch: the last word wins, and the disk has the final say.
        let c = coalesce([
            Change::PostRemoved("_posts/a.md".into()),
            Change::PostSaved("_posts/a.md".into()),
        ]);
        assert_eq!(c, vec![Change::PostSaved("_posts/a.md".into())]);
        assert_eq!(
            settle(Change::PostRemoved("_posts/a.md".into()), true),
            Change::PostSaved("_posts/a.md".into())
        );
        assert_eq!(
            settle(Change::ImageChanged("p/a.png".into()), false),
            Change::ImageRemoved("p/a.png".into())
        );
    }

    #[test]
    fn coalesce_keeps_one_change_per_path() {
        let c = coalesce([
            Change::ImageChanged("p/b.png".into()),
            Change::PostSaved("_posts/a.md".into()),
            Change::ImageChanged("p/b.png".into()),
            Change::Ignore,
        ]);
        assert_eq!(
            c,
            vec![
                Change::PostSaved("_posts/a.md".into()),
                Change::ImageChanged("p/b.png".into())
            ]
        );
    }

    #[test]
    fn other_files_matter_only_when_mirroring() {
        let r = rules(true);
        let p = [PathBuf::from("/s/_layouts/post.html")];
        assert_eq!(
            changes_of(&WRITE, &p, &r),
            vec![Change::SiteFile("_layouts/post.html".into())]
        );
        assert_eq!(changes_of(&WRITE, &p, &rules(false)), vec![]);
        // Even when mirroring, the variant folders and the out dir stay postpix's own.
        assert_eq!(
            changes_of(&CREATE, &[PathBuf::from("/s/_build/index.html")], &r),
            vec![]
        );
    }

    #[test]
    fn known_bytes_are_dropped_own_rewrites_included() {
        let mut k = Known::default();
        k.set("_posts/a.md", "written-by-postpix".into());
        k.set("p/a.png", "h1".into());
        let disk: HashMap<&str, &str> = [
            ("_posts/a.md", "written-by-postpix"),
            ("_posts/b.md", "new"),
            ("p/a.png", "h1"),
        ]
        .into();
        let mut hash_of = |rel: &str| disk.get(rel).map(|h| h.to_string());
        let changes = vec![
            Change::PostSaved("_posts/a.md".into()),
            Change::PostSaved("_posts/b.md".into()),
            Change::ImageChanged("p/a.png".into()),
        ];
        let kept = k.drop_unchanged(changes.clone(), &mut hash_of);
        assert_eq!(kept, vec![Change::PostSaved("_posts/b.md".into())]);
        // A second save of the same bytes does nothing.
        assert_eq!(k.drop_unchanged(changes, &mut hash_of), vec![]);
        // A removal is kept and forgotten, so the file coming back counts again.
        let gone = vec![Change::ImageRemoved("p/a.png".into())];
        assert_eq!(k.drop_unchanged(gone.clone(), &mut hash_of), gone);
        assert_eq!(
            k.drop_unchanged(vec![Change::ImageChanged("p/a.png".into())], &mut hash_of),
            vec![Change::ImageChanged("p/a.png".into())]
        );
    }

    #[test]
    fn an_unreadable_file_is_kept_for_the_pipeline_to_report() {
        let mut k = Known::default();
        let kept = k.drop_unchanged(vec![Change::ImageChanged("p/x.png".into())], &mut |_| None);
        assert_eq!(kept.len(), 1);
    }

    #[test]
    fn describe_says_what_was_done() {
        use crate::report::{ImageReport, PostReport};
        let mut r = BuildReport::default();
        r.uses
            .insert("p/a.png".into(), ["_posts/a.md".to_string()].into());
        r.posts.push(PostReport {
            path: "_posts/a.md".into(),
            changed: true,
            rewritten: 1,
        });
        r.images
            .push(ImageReport::new("p/a.png", ImageStatus::Encoded, 0));
        r.summary.variants_written = 6;
        let lines = describe(
            &[Change::PostSaved("_posts/a.md".into())],
            &BTreeMap::new(),
            &r,
            0.414,
        );
        assert_eq!(
            lines,
            vec![Line::new(
                Level::Info,
                "_posts/a.md saved → 1 image encoded, post rewritten, 6 variants written (0.41 s)"
                    .into()
            )]
        );
        let before: BTreeMap<String, BTreeSet<String>> =
            [("p/old.png".to_string(), ["_posts/a.md".to_string()].into())].into();
        let lines = describe(
            &[Change::ImageRemoved("p/old.png".into())],
            &before,
            &r,
            0.1,
        );
        assert_eq!(lines[0].level, Level::Warn);
        assert!(
            lines[0]
                .text
                .contains("back to their original text in _posts/a.md"),
            "{}",
            lines[0].text
        );
    }
}

//! Survey: everything known about a site before any encoder runs.
//!
//! In: a [`Config`] and, when there is one, the manifest of the last run. Out: a [`Survey`]:
//! every post with its references ([`crate::scan`]), each reference resolved to a file inside
//! the site ([`crate::resolve`]) and each referenced source's header facts and content hash
//! ([`crate::probe`]). A source whose size and mtime match the manifest is not read at all.
//! [`Survey::refresh`] brings a survey up to date after a few [`Change`]s by re-reading only
//! the changed posts and re-checking only the sources they touch, which is how `watch` keeps
//! one survey alive instead of re-surveying the site on every save.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::cache::{self, Digest, Manifest, SourceRecord};
use crate::config::Config;
use crate::error::{EnvFault, Error, ImageFault, InputFault, PostError, Result};
use crate::lint::Linter;
use crate::memory::{self, Budget};
use crate::probe::{self, ImageInfo};
use crate::resolve::{Known, Resolution, Resolver, Status};
use crate::scan::{self, site::JekyllConfig, Post, RefKind};

/// Extensions of files treated as images (whether postpix re-encodes them or not).
pub const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "gif", "webp", "svg", "avif", "bmp", "tif", "tiff",
];

/// True when a file name's extension is one of [`IMAGE_EXTENSIONS`] (any case).
pub fn has_image_extension(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, e)| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// What one file event means for the site, as `watch` reports it and [`Survey::refresh`]
/// applies it.
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
    pub hash: Option<Digest>,
    /// Header facts, or why they could not be read.
    pub info: std::result::Result<ImageInfo, ImageFault>,
    /// The extension names another format.
    pub extension_mismatch: bool,
    /// postpix encodes it: at least one reference to it is one postpix may rewrite, or a hero
    /// key of a front matter ([`crate::scan::HERO_KEYS`], served through `_data/postpix.json`).
    pub rewritable: bool,
}

/// Everything known about the site before any encoder runs.
#[derive(Debug)]
pub struct Survey {
    /// The site's `_config.yml` settings.
    pub jekyll: JekyllConfig,
    /// Readable posts, by path.
    pub posts: Vec<Post>,
    /// Unreadable posts.
    pub post_errors: Vec<PostError>,
    /// `resolutions[i][j]` resolves `posts[i].refs[j]`.
    pub resolutions: Vec<Vec<Resolution>>,
    /// Sources with status ok, by site-relative path.
    pub sources: BTreeMap<String, Source>,
}

/// Folders never copied into `--out` nor scanned: the cache, `--out` itself and the cache
/// folders a merge reads.
pub fn own_dirs(cfg: &Config) -> Vec<PathBuf> {
    let mut v = vec![cfg.cache_dir.clone()];
    v.extend(cfg.out.clone());
    v.extend(cfg.merge.iter().cloned());
    v
}

impl Survey {
    /// Scan and resolve the whole site. With a manifest, sources whose size and mtime match are
    /// not read at all; `want_hash` reads and hashes the others (a build needs the hashes, a
    /// scan only the headers).
    pub fn take(cfg: &Config, manifest: Option<&Manifest>, want_hash: bool) -> Result<Survey> {
        let jekyll = JekyllConfig::load_as(&cfg.site, cfg.layout)?;
        let resolver = resolver(cfg, &jekyll)?.knowing(known(manifest));
        let (posts, post_errors) =
            scan::read_posts(&cfg.site, &jekyll, &cfg.variant_dir, &own_dirs(cfg));
        let fix = fixer(cfg, &jekyll, &resolver);
        let resolutions = posts
            .par_iter()
            .map(|p| resolve_post(&resolver, p, &fix))
            .collect();
        let mut s = Survey {
            jekyll,
            posts,
            post_errors,
            resolutions,
            sources: BTreeMap::new(),
        };
        let fresh = BTreeMap::new();
        s.sources = s.fill_sources(fresh, &BTreeSet::new(), cfg, manifest, want_hash, true);
        Ok(s)
    }

    /// Bring the survey up to date after `changes`: saved posts are re-read, removed ones
    /// dropped, posts naming a changed image re-resolve their references, and only sources
    /// that changed (or whose size or mtime did) are read again. A `_config.yml` change
    /// re-surveys everything.
    pub fn refresh(&mut self, cfg: &Config, manifest: &Manifest, changes: &[Change]) -> Result<()> {
        if changes.contains(&Change::Config) {
            *self = Survey::take(cfg, Some(manifest), true)?;
            return Ok(());
        }
        let resolver = resolver(cfg, &self.jekyll)?;
        let jekyll = self.jekyll.clone();
        let fix = fixer(cfg, &jekyll, &resolver);
        let mut touched: BTreeSet<String> = BTreeSet::new();
        for c in changes {
            match c {
                Change::PostSaved(rel) | Change::PostRemoved(rel) => {
                    self.reload_post(cfg, &resolver, &fix, rel)
                }
                Change::ImageChanged(rel) | Change::ImageRemoved(rel) => {
                    touched.insert(rel.clone());
                }
                Change::Config | Change::SiteFile(_) | Change::Ignore => {}
            }
        }
        for (post, res) in self.posts.iter().zip(self.resolutions.iter_mut()) {
            let names_one = res
                .iter()
                .any(|x| x.source.as_ref().is_some_and(|s| touched.contains(s)));
            if names_one {
                *res = resolve_post(&resolver, post, &fix);
            }
        }
        let previous = std::mem::take(&mut self.sources);
        self.sources = self.fill_sources(previous, &touched, cfg, Some(manifest), true, false);
        Ok(())
    }

    /// Re-read one post (or forget it, when it is gone or unreadable), keeping the order by path.
    fn reload_post(&mut self, cfg: &Config, resolver: &Resolver, fix: &Fix<'_>, rel: &str) {
        if let Some(i) = self.posts.iter().position(|p| p.path == rel) {
            self.posts.remove(i);
            self.resolutions.remove(i);
        }
        self.post_errors.retain(|e| e.path != rel);
        if !cfg.site.join(rel).is_file() {
            return;
        }
        match scan::read_post(&cfg.site, rel) {
            // A post Jekyll does not render (any more) is forgotten, as in a full survey.
            Ok(post) if !self.jekyll.renders(&post.path, &post.current) => {}
            Ok(post) => {
                let i = self.posts.partition_point(|p| p.path.as_str() < rel);
                self.resolutions
                    .insert(i, resolve_post(resolver, &post, fix));
                self.posts.insert(i, post);
            }
            Err(e) => self.post_errors.push(e),
        }
    }

    /// The sources the posts reference, with their facts: taken from `previous` when the file's
    /// size and mtime are unchanged and it is not in `touched`, else from the manifest's stat
    /// fast path, else read from disk: in parallel, each read waiting for its file's size (plus
    /// what the probe may allocate) to fit in `--memory-budget`, so a site of big files cannot
    /// hold one per core in memory at once. `resolved_now`: every resolution was just made, so
    /// its stat is current (a refresh keeps the resolutions of the posts it did not re-read).
    fn fill_sources(
        &self,
        mut previous: BTreeMap<String, Source>,
        touched: &BTreeSet<String>,
        cfg: &Config,
        manifest: Option<&Manifest>,
        want_hash: bool,
        resolved_now: bool,
    ) -> BTreeMap<String, Source> {
        let mut sources = self.collect_sources(&cfg.site, resolved_now);
        let todo: Vec<(&String, &mut Source)> = sources
            .iter_mut()
            .filter_map(|(rel, s)| {
                let old = previous.remove(rel).filter(|_| !touched.contains(rel));
                match old {
                    Some(o) if o.size == s.size && o.mtime_ns == s.mtime_ns && o.hash.is_some() => {
                        (s.hash, s.info) = (o.hash, o.info);
                        None
                    }
                    _ => Some((rel, s)),
                }
            })
            .collect();
        let budget = Budget::new(cfg.memory_budget);
        todo.into_par_iter().for_each(|(rel, s)| {
            let record = manifest.and_then(|m| m.sources.get(rel.as_str()));
            fill_facts(s, record, cfg.max_file_bytes, want_hash, &budget);
        });
        sources
    }

    /// Every referenced source with status ok, stat'ed, with whether it is rewritable. With
    /// `resolved_now`, the resolutions were made by this survey and their stats are taken as
    /// they are; else every source is stat'ed again.
    fn collect_sources(&self, site: &Path, resolved_now: bool) -> BTreeMap<String, Source> {
        let mut sources: BTreeMap<String, Source> = BTreeMap::new();
        let mut stats: BTreeMap<&str, (u64, u128)> = BTreeMap::new();
        // A hero image is encoded only where its variants are served (`_data/postpix.json`).
        let heroes_served = self.jekyll.layout.has_jekyll_data();
        for (post, res) in self.posts.iter().zip(&self.resolutions) {
            for (r, x) in post.refs.iter().zip(res) {
                let (Status::Ok, Some(src)) = (x.status, &x.source) else {
                    continue;
                };
                if let (true, Some(stat)) = (resolved_now, x.stat) {
                    stats.entry(src).or_insert(stat);
                }
                let entry = sources.entry(src.clone()).or_insert_with(|| Source {
                    abs: crate::paths::abs(site, src),
                    size: 0,
                    mtime_ns: 0,
                    hash: None,
                    info: Err(EnvFault::Unread.into()),
                    extension_mismatch: x.extension_mismatch,
                    rewritable: false,
                });
                entry.rewritable |=
                    r.kind != RefKind::FrontMatter || (heroes_served && r.is_hero());
            }
        }
        sources.par_iter_mut().for_each(|(rel, s)| {
            let known = stats.get(rel.as_str()).copied();
            (s.size, s.mtime_ns) = known.or_else(|| cache::stat(&s.abs)).unwrap_or((0, 0));
        });
        sources
    }

    /// `post:line` of every reference to each source with status ok, in post order: what
    /// `postpix scan` lists per image. Made on demand, not kept per source: a build never
    /// prints it, and on a large site a string per reference is held to the end for nothing.
    pub fn references(&self) -> BTreeMap<String, Vec<String>> {
        let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (post, res) in self.posts.iter().zip(&self.resolutions) {
            for (r, x) in post.refs.iter().zip(res) {
                if let (Status::Ok, Some(src)) = (x.status, &x.source) {
                    let at = format!("{}:{}", post.path, r.line);
                    by.entry(src.clone()).or_default().push(at);
                }
            }
        }
        by
    }

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

    /// Image files in the folders the posts reference that no file of the site names: not a
    /// post's image link, and not a layout, include, stylesheet, `_config.yml` or page either
    /// (a user may delete what we call unused). Site-relative, sorted by folder, then name.
    pub fn orphans(&self, cfg: &Config) -> Vec<String> {
        let candidates = self.unreferenced(&cfg.site);
        let names: Vec<String> = candidates
            .iter()
            .map(|rel| rel.rsplit('/').next().unwrap_or(rel).to_string())
            .collect();
        if names.is_empty() {
            return candidates;
        }
        // Everything Jekyll reads: layouts, includes, data, styles, pages, posts, a 404 page.
        let mut texts: Vec<String> =
            scan::site::site_files(&cfg.site, &self.jekyll, &cfg.variant_dir, &own_dirs(cfg))
                .into_iter()
                .filter(|rel| !has_image_extension(rel))
                .collect();
        texts.push("_config.yml".to_string());
        let named = scan::site::named_in(&cfg.site, &texts, &names);
        candidates
            .into_iter()
            .zip(names)
            .filter(|(_, name)| !named.contains(name))
            .map(|(rel, _)| rel)
            .collect()
    }

    /// Image files in the folders the posts reference that no post's image reference uses.
    fn unreferenced(&self, root: &Path) -> Vec<String> {
        let mut referenced: BTreeSet<&str> = BTreeSet::new();
        let mut folders: BTreeSet<&str> = BTreeSet::new();
        for x in self.resolutions.iter().flatten() {
            let Some(src) = &x.source else { continue };
            referenced.insert(src);
            if matches!(
                x.status,
                Status::Ok | Status::Unsupported | Status::NotImage
            ) {
                folders.insert(crate::paths::folder(src));
            }
        }
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
                .filter(|n| !n.starts_with('.') && has_image_extension(n))
                .collect();
            names.sort();
            for n in names {
                let rel = if f.is_empty() { n } else { format!("{f}/{n}") };
                if !referenced.contains(rel.as_str()) {
                    out.push(rel);
                }
            }
        }
        out
    }
}

/// The resolver for the site's root and `baseurl`.
pub fn resolver(cfg: &Config, jekyll: &JekyllConfig) -> Result<Resolver> {
    Resolver::new(&cfg.site, &jekyll.baseurl)
        .map(|r| r.with_mounts(jekyll.layout.mounts()))
        .map_err(|e| Error::Site {
            path: cfg.site.clone(),
            reason: e.to_string(),
        })
}

/// The formats the manifest recorded for its sources, for the resolver's stat fast path.
fn known(manifest: Option<&Manifest>) -> Known {
    let sources = manifest.map(|m| &m.sources).into_iter().flatten();
    sources
        .map(|(rel, r)| (rel.clone(), (r.size, r.mtime_ns, r.info.format)))
        .collect()
}

/// The lint that `--fix-links` applies while resolving, or none.
type Fix<'a> = Option<Linter<'a>>;

/// The lint of `--fix-links`, when it is on.
fn fixer<'a>(cfg: &'a Config, jekyll: &'a JekyllConfig, resolver: &'a Resolver) -> Fix<'a> {
    cfg.fix_links
        .then(|| Linter::new(&cfg.site, jekyll, resolver))
}

/// Resolve every reference of a post; with `--fix-links` (`fix`), a reference that will 404
/// resolves as its fixed URL (the file it reaches), so it is encoded and served from there.
fn resolve_post(resolver: &Resolver, post: &Post, fix: &Fix<'_>) -> Vec<Resolution> {
    post.refs
        .iter()
        .map(|r| {
            let res = resolver.resolve(&r.url, &post.path, r.kind == RefKind::FrontMatter);
            match fix.as_ref().and_then(|l| l.check(post, r, &res)) {
                Some(f) => resolver.resolve(&f.url, &post.path, false),
                None => res,
            }
        })
        .collect()
}

/// A source's hash and header facts: from the manifest's record when its size and mtime match,
/// else from the file (never read when it is over `max_file_bytes`; read once its share of
/// `budget` is free).
fn fill_facts(
    s: &mut Source,
    record: Option<&SourceRecord>,
    max_file_bytes: u64,
    want_hash: bool,
    budget: &Budget,
) {
    if let Some(rec) = record.filter(|r| r.size == s.size && r.mtime_ns == s.mtime_ns) {
        s.hash = Some(rec.hash);
        s.info = Ok(rec.info.clone());
        return;
    }
    if s.size > max_file_bytes {
        s.info = Err(InputFault::FileTooLarge {
            size: s.size,
            max: max_file_bytes,
        }
        .into());
        return;
    }
    let _held = budget.take(memory::survey_estimate(s.size, probe::PROBE_MAX_ALLOC));
    match std::fs::read(&s.abs) {
        Ok(bytes) => {
            s.info = probe::probe(&bytes).map_err(ImageFault::from);
            if want_hash {
                s.hash = Some(Digest::of(&bytes));
            }
        }
        Err(e) => s.info = Err(EnvFault::Read(e.to_string()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempfile::TempDir, Config) {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("_posts")).unwrap();
        std::fs::create_dir_all(r.join("img")).unwrap();
        let icon = crate::testutil::corpus("icon-16-go-home.png");
        std::fs::write(r.join("img/a.png"), &icon).unwrap();
        std::fs::write(r.join("_posts/a.md"), "![a](/img/a.png)\n").unwrap();
        std::fs::write(r.join("_posts/b.md"), "![b](/img/b.png)\n").unwrap();
        let cfg = Config::new(r).unwrap();
        (d, cfg)
    }

    #[test]
    fn refresh_rereads_only_the_changed_posts() {
        let (d, cfg) = site();
        let mut s = Survey::take(&cfg, None, true).unwrap();
        assert_eq!(s.posts.len(), 2);
        // Both posts change on disk, but only a.md is reported: b.md must not be re-read.
        std::fs::write(
            d.path().join("_posts/a.md"),
            "![a](/img/a.png)\n![x](/img/a.png)\n",
        )
        .unwrap();
        std::fs::write(d.path().join("_posts/b.md"), "no images any more\n").unwrap();
        s.refresh(
            &cfg,
            &Manifest::default(),
            &[Change::PostSaved("_posts/a.md".into())],
        )
        .unwrap();
        assert_eq!(s.posts[0].refs.len(), 2, "a.md was re-read");
        assert_eq!(s.posts[1].refs.len(), 1, "b.md was not");
        assert_eq!(s.references()["img/a.png"].len(), 2);
        // A new post appears in path order; a removed one goes.
        std::fs::write(d.path().join("_posts/0.md"), "![z](/img/a.png)\n").unwrap();
        std::fs::remove_file(d.path().join("_posts/b.md")).unwrap();
        let changes = [
            Change::PostSaved("_posts/0.md".into()),
            Change::PostRemoved("_posts/b.md".into()),
        ];
        s.refresh(&cfg, &Manifest::default(), &changes).unwrap();
        let paths: Vec<&str> = s.posts.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["_posts/0.md", "_posts/a.md"]);
        assert_eq!(s.resolutions.len(), 2);
    }

    #[test]
    fn refresh_resolves_a_new_image_and_rereads_a_replaced_one() {
        let (d, cfg) = site();
        let mut s = Survey::take(&cfg, None, true).unwrap();
        assert!(!s.sources.contains_key("img/b.png"), "b.png is missing");
        let old = s.sources["img/a.png"].hash;
        std::fs::write(
            d.path().join("img/b.png"),
            crate::testutil::corpus("icon-32-save.png"),
        )
        .unwrap();
        std::fs::write(
            d.path().join("img/a.png"),
            crate::testutil::corpus("icon-24-palette-folder.png"),
        )
        .unwrap();
        let changes = [
            Change::ImageChanged("img/b.png".into()),
            Change::ImageChanged("img/a.png".into()),
        ];
        s.refresh(&cfg, &Manifest::default(), &changes).unwrap();
        assert_eq!(s.sources["img/b.png"].info.as_ref().unwrap().width, 32);
        assert_eq!(s.sources["img/a.png"].info.as_ref().unwrap().width, 24);
        assert_ne!(s.sources["img/a.png"].hash, old);
    }
}

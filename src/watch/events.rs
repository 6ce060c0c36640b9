//! Events: what a file system event means for the site, decided by pure functions.
//!
//! In: notify's event kinds and paths, and the site's [`Rules`]. Out: [`Change`]s.
//! [`changes_of`] maps an event to changes (ignoring postpix's own folders and temp files,
//! editor swap and backup files, dot-folders and build output), [`coalesce`] keeps one change
//! per path, [`settle`] trusts the file system over the event kind, and
//! [`Known::drop_unchanged`] drops saves whose bytes are the ones already known (postpix's own
//! rewrites of posts included). [`wait_until_still`] is the one helper that looks at the disk.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::event::{ModifyKind, RenameMode};
use notify::EventKind;

use crate::cache;
use crate::config::Config;
use crate::error::Error;
use crate::scan::site::{self, JekyllConfig};
use crate::survey::{has_image_extension, Change};
use crate::write::TEMP_MARK;

/// How long the debouncer holds an event before releasing it. It does not wait for quiet (see
/// the crate notes), so [`wait_until_still`] and [`coalesce`] do the rest.
pub const DEBOUNCE: Duration = Duration::from_millis(150);
/// Interval between two looks at a file that may still be being written.
const SETTLE_STEP: Duration = Duration::from_millis(100);
/// Give up waiting for a file to stop changing after this long; a half-written image then fails
/// its decode and is retried on its next event.
const SETTLE_MAX: Duration = Duration::from_secs(3);

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
    /// The rules for a configuration; fails when `_config.yml` cannot be read.
    pub fn new(cfg: &Config) -> crate::error::Result<Rules> {
        Ok(Rules {
            site: cfg.site.clone(),
            own_dirs: crate::survey::own_dirs(cfg),
            variant_dir: cfg.variant_dir.clone(),
            jekyll: JekyllConfig::load_as(&cfg.site, cfg.layout)?,
            mirror: cfg.out.is_some(),
        })
    }

    /// A folder name postpix neither watches nor reacts to: dot-folders (`.git`, the cache),
    /// build output and dependencies, and the variant folders postpix writes itself.
    pub fn skips_dir(&self, name: &str) -> bool {
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

/// The posts a pass left alone because their author changed them while it ran (its
/// [`Error::ChangedDuringRun`] errors), as saves to run again: the author's edit wins, and
/// is then rewritten in turn. Site-relative, in the order of `errors`.
pub fn retries(site: &Path, errors: &[Error]) -> Vec<Change> {
    errors
        .iter()
        .filter_map(|e| match e {
            Error::ChangedDuringRun { path } if path.starts_with(site) => {
                Some(Change::PostSaved(crate::paths::rel(site, path)))
            }
            _ => None,
        })
        .collect()
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
        if rules.jekyll.role(&rel) == site::Role::Never {
            return Change::Ignore;
        }
        return if gone {
            Change::PostRemoved(rel)
        } else {
            Change::PostSaved(rel)
        };
    }
    if has_image_extension(name) {
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

    /// Take over what `other` knows, keeping what it does not mention.
    pub fn merge(&mut self, other: Known) {
        self.hashes.extend(other.hashes);
    }

    /// Forget what `rel` held: its next change is kept whatever its bytes.
    pub fn forget(&mut self, rel: &str) {
        self.hashes.remove(rel);
    }

    /// What a pass leaves known: the bytes it read (`read`, the hashes of the posts and
    /// sources as the survey saw them), overridden by the bytes it wrote itself (`written`).
    /// Never the disk as it is after the pass: an author's save during the pass is neither
    /// read nor written by it, so its event must not find it known (it would be lost).
    pub fn after_pass<'a>(
        read: impl IntoIterator<Item = (&'a str, String)>,
        written: &BTreeMap<String, String>,
    ) -> Known {
        let mut k = Known::default();
        for (rel, h) in read {
            k.set(rel, h);
        }
        for (rel, h) in written {
            k.set(rel, h.clone());
        }
        k
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

/// Wait until none of `paths` changes size or mtime between two looks 100 ms apart,
/// for at most 3 s: a file being copied in or written by a slow tool is read whole.
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

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, RemoveKind};

    fn rules(mirror: bool) -> Rules {
        Rules {
            site: PathBuf::from("/s"),
            own_dirs: vec![PathBuf::from("/s/.postpix"), PathBuf::from("/s/_build")],
            variant_dir: "responsive".into(),
            jekyll: JekyllConfig::parse("exclude: [drafts-private]").expect("valid YAML"),
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
    fn markdown_jekyll_never_renders_is_ignored() {
        assert_eq!(one("/s/_doc/notes.md", WRITE), vec![]);
        assert_eq!(one("/s/_layouts/x.md", WRITE), vec![]);
        assert_eq!(
            one("/s/_includes/f.md", WRITE),
            vec![Change::PostSaved("_includes/f.md".into())]
        );
    }

    #[test]
    fn a_save_during_a_pass_stays_news() {
        // Regression: the first build recorded the disk as it was after the build (the author's
        // edit included), so the queued save was dropped as unchanged and never rewritten.
        let written = BTreeMap::from([("_posts/a.md".to_string(), "W".to_string())]);
        let read = vec![
            ("_posts/a.md", "R".to_string()),
            ("_posts/b.md", "B".to_string()),
            ("postimg/x.jpg", "X".to_string()),
        ];
        let mut known = Known::after_pass(read, &written);
        let disk: HashMap<&str, &str> = HashMap::from([
            ("_posts/a.md", "E"), // the author appended after postpix wrote W
            ("_posts/b.md", "B"), // untouched
            ("postimg/x.jpg", "X"),
            ("postimg/new.jpg", "N"), // added during the pass
        ]);
        let changes = vec![
            Change::PostSaved("_posts/a.md".into()),
            Change::PostSaved("_posts/b.md".into()),
            Change::ImageChanged("postimg/x.jpg".into()),
            Change::ImageChanged("postimg/new.jpg".into()),
        ];
        let kept = known.drop_unchanged(changes, &mut |rel| disk.get(rel).map(|h| h.to_string()));
        assert_eq!(
            kept,
            vec![
                Change::PostSaved("_posts/a.md".into()),
                Change::ImageChanged("postimg/new.jpg".into()),
            ]
        );
        // postpix's own write is known: its event is dropped.
        let mut known = Known::after_pass(Vec::new(), &written);
        let kept = known.drop_unchanged(vec![Change::PostSaved("_posts/a.md".into())], &mut |_| {
            Some("W".to_string())
        });
        assert!(kept.is_empty(), "{kept:?}");
    }

    #[test]
    fn posts_left_alone_during_a_pass_are_retried() {
        let site = Path::new("/s");
        let errors = vec![
            Error::ChangedDuringRun {
                path: PathBuf::from("/s/_posts/a.md"),
            },
            Error::Site {
                path: PathBuf::from("/s"),
                reason: "other".into(),
            },
            Error::ChangedDuringRun {
                path: PathBuf::from("/elsewhere/b.md"),
            },
        ];
        assert_eq!(
            retries(site, &errors),
            vec![Change::PostSaved("_posts/a.md".into())]
        );
        // A retried post is kept even when its bytes are the known ones.
        let mut known = Known::default();
        known.set("_posts/a.md", "R".into());
        known.forget("_posts/a.md");
        let kept = known.drop_unchanged(vec![Change::PostSaved("_posts/a.md".into())], &mut |_| {
            Some("R".to_string())
        });
        assert_eq!(kept.len(), 1);
    }
}

//! Posts: the markup every post should hold, and what each mode does with it.
//!
//! In: the survey's posts and resolutions, and for each job the entry whose variants may be
//! offered. Out: per post, the author's text with each rewritable reference replaced by its
//! `<picture>` markup ([`markup`]), and the references left as they are, with why. Then one
//! small consumer per mode: a build writes the posts whose bytes change ([`write_post`]), a dry
//! run diffs them, a check lists what is stale.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::Mode;
use crate::cache::{self, Entry};
use crate::config::{Config, PlaceholderMode};
use crate::error::{Error, Result};
use crate::lint::Linter;
use crate::paths;
use crate::plan::{self, Plan};
use crate::report::{BuildReport, ImageReport, Note, NoteKind, PostReport};
use crate::resolve::{Resolution, Status};
use crate::rewrite::{self, Skip, VariantLink};
use crate::scan::site::{JekyllConfig, Role};
use crate::scan::{self, ImageRef, Post, RefKind};
use crate::write;

/// The markup one post should hold.
#[derive(Debug)]
pub struct Markup {
    /// The author's text with the pictures spliced in.
    pub text: String,
    /// The replaced spans and their markup.
    pub edits: Vec<(Range<usize>, String)>,
    /// References left as they are.
    pub left: Vec<Note>,
    /// References that would have 404ed, served from their fixed URL (`--fix-links`).
    pub fixed: usize,
}

/// What the rewrite may offer: per job of the plan, the entry whose variants exist, if any.
pub struct Offer<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// `entries[i]` for `plan.jobs[i]`.
    pub entries: &'a [Option<Arc<Entry>>],
    /// The image reports, for why a source has nothing to offer.
    pub images: &'a [ImageReport],
}

/// For each post, whether its first picture may be eager: only the first image of a rendered
/// page is the likely LCP element. A post that begins with an include of a fragment holding
/// images leaves that to the fragment; a fragment (`_includes/`) is eager only when some page
/// begins with it, so a page that includes both language versions and hides one gets one eager
/// image, not two.
pub fn eager_first(posts: &[Post], jekyll: &JekyllConfig) -> Vec<bool> {
    let fragment = |p: &Post| jekyll.role(&p.path) == Role::Fragment;
    let with_images: Vec<&str> = posts
        .iter()
        .filter(|p| fragment(p) && !p.refs.is_empty())
        .map(|p| p.path.as_str())
        .collect();
    let leads: Vec<String> = posts
        .iter()
        .filter(|p| !fragment(p))
        .filter_map(|p| scan::leading_include(p).map(|f| format!("_includes/{f}")))
        .collect();
    posts
        .iter()
        .map(|p| {
            if fragment(p) {
                leads.contains(&p.path)
            } else {
                scan::leading_include(p)
                    .is_none_or(|f| !with_images.contains(&format!("_includes/{f}").as_str()))
            }
        })
        .collect()
}

/// The markup of one post: every reference that resolves to a source with variants becomes a
/// picture; the first picture is eager (usually the LCP element) when `eager` allows it (see
/// [`eager_first`]), the rest lazy. With `fix` (`--fix-links`), a reference that will 404 is
/// served from its fixed URL; the markup's record keeps the author's text as it is.
pub fn markup(
    post: &Post,
    res: &[Resolution],
    offer: &Offer<'_>,
    cfg: &Config,
    eager: bool,
    fix: Option<&Linter<'_>>,
) -> Markup {
    let mut edits = Vec::new();
    let mut left = Vec::new();
    let mut fixed = 0;
    for (r, x) in post.refs.iter().zip(res) {
        if x.status == Status::External {
            continue;
        }
        let note = |kind| Note {
            post: post.path.clone(),
            line: r.line,
            kind,
        };
        if r.kind == RefKind::FrontMatter {
            // A hero is served through _data/postpix.json and the include, never rewritten.
            if x.status == Status::Ok && !r.is_hero() {
                left.push(note(NoteKind::FrontMatter {
                    key: r.key.clone().unwrap_or_default(),
                    url: r.url.clone(),
                }));
            }
            continue;
        }
        let (Status::Ok, Some(rel)) = (x.status, &x.source) else {
            left.push(note(NoteKind::Unresolved {
                status: x.status,
                url: r.url.clone(),
            }));
            continue;
        };
        let Some(Linked {
            links,
            natural,
            placeholder,
        }) = links(rel, offer, cfg)
        else {
            let why = offer
                .images
                .iter()
                .find(|i| i.is_for(rel))
                .and_then(|i| i.error.as_ref().map(|e| e.to_string()))
                .unwrap_or_else(|| "not built yet".into());
            left.push(note(NoteKind::Image {
                source: rel.clone(),
                why,
            }));
            continue;
        };
        let original = &post.original[r.span.clone()];
        let eager = eager && edits.is_empty();
        let (dir, sizes) = (&cfg.variant_dir, &cfg.sizes);
        let link_fix = fix.and_then(|l| l.check(post, r, x));
        let fixed_ref = link_fix.map(|f| ImageRef {
            url: f.url,
            ..r.clone()
        });
        let r = fixed_ref.as_ref().unwrap_or(r);
        match rewrite::picture(r, original, &links, dir, sizes, natural, eager) {
            Ok(p) => {
                fixed += usize::from(fixed_ref.is_some());
                let p = match (&placeholder, cfg.placeholder) {
                    (Some(c), PlaceholderMode::Color) => rewrite::with_placeholder(p, c),
                    _ => p,
                };
                edits.push((r.span.clone(), p.to_html()));
            }
            Err(Skip::Ial) => left.push(note(NoteKind::Ial)),
            Err(_) => left.push(note(NoteKind::NoVariants)),
        }
    }
    let text = if cfg.rewrite {
        rewrite::splice(&post.original, &edits)
    } else {
        post.current.to_string()
    };
    Markup {
        text,
        edits,
        left,
        fixed,
    }
}

/// What the markup of one source needs from its entry.
#[derive(Clone, Debug)]
pub struct Linked {
    /// The variants as the markup names them.
    pub links: Vec<VariantLink>,
    /// The source's upright size.
    pub natural: (u32, u32),
    /// Its placeholder colour, if it has one.
    pub placeholder: Option<String>,
}

/// The variants of the source at `rel` as the markup names them, from its folder's set, the
/// source's upright size and its placeholder colour.
pub fn links(rel: &str, offer: &Offer<'_>, cfg: &Config) -> Option<Linked> {
    let i = *offer.plan.job_of.get(rel)?;
    let job = &offer.plan.jobs[i];
    let entry = offer.entries[i].as_ref()?;
    let folder = plan::variant_folder(rel, &cfg.variant_dir);
    let set = job.sets.iter().find(|s| s.folder == folder)?;
    let links = entry
        .outputs
        .iter()
        .map(|o| VariantLink {
            file_name: plan::variant_name(&set.slug, o.width, &job.key, o.format),
            width: o.width,
            height: o.height,
            format: o.format,
        })
        .collect();
    Some(Linked {
        links,
        natural: (entry.width, entry.height),
        placeholder: entry.placeholder.color().map(String::from),
    })
}

/// Apply one post's markup as `mode` says, and report it. Returns the text now on disk when
/// a build wrote it.
pub fn apply(
    post: &Post,
    m: Markup,
    mode: Mode,
    cfg: &Config,
    report: &mut BuildReport,
    diff: &mut String,
) -> Option<String> {
    let target = paths::abs(cfg.dest_root(), &post.path);
    let on_disk = match cfg.out {
        Some(_) => std::fs::read_to_string(&target).ok(),
        None => Some(post.current.to_string()),
    };
    let changed = on_disk.as_deref() != Some(m.text.as_str());
    let rewritten = if cfg.rewrite { m.edits.len() } else { 0 };
    report.summary.refs_rewritten += rewritten;
    report.summary.links_fixed += if cfg.rewrite { m.fixed } else { 0 };
    report.left.extend(m.left);
    report.posts.push(PostReport {
        path: post.path.clone(),
        changed,
        rewritten: m.edits.len(),
    });
    if !changed {
        return None;
    }
    // Under --out a post copied as it is was not changed by postpix.
    if *m.text != *post.current {
        report.summary.posts_changed += 1;
    }
    match mode {
        Mode::Check => report.problems.extend(stale_notes(post, &m.edits)),
        Mode::DryRun => diff.push_str(
            &similar::TextDiff::from_lines(on_disk.as_deref().unwrap_or_default(), &m.text)
                .unified_diff()
                .context_radius(1)
                .header(&format!("a/{}", post.path), &format!("b/{}", post.path))
                .to_string(),
        ),
        Mode::Build => match write_post(cfg, post, &target, &m.text) {
            Ok(()) => {
                let hash = cache::hash_bytes(m.text.as_bytes());
                report.written.insert(post.path.clone(), hash);
                return Some(m.text);
            }
            Err(e) => report.errors.push(e),
        },
    }
    None
}

/// `check`: the references whose desired markup the file does not hold, or, when none is, the
/// post itself.
fn stale_notes(post: &Post, edits: &[(Range<usize>, String)]) -> Vec<Note> {
    let mut notes: Vec<Note> = post
        .refs
        .iter()
        .filter(|r| r.kind != RefKind::FrontMatter)
        .filter(|r| {
            edits
                .iter()
                .find(|(sp, _)| sp.start == r.span.start)
                .is_some_and(|(_, html)| !post.current.contains(html.as_str()))
        })
        .map(|r| Note {
            post: post.path.clone(),
            line: r.line,
            kind: NoteKind::StaleRef,
        })
        .collect();
    if notes.is_empty() {
        notes.push(Note {
            post: post.path.clone(),
            line: 0,
            kind: NoteKind::StalePost,
        });
    }
    notes
}

/// Write `text` over a post of the site in place, unless the author changed the file since
/// `post` was read (then [`Error::ChangedDuringRun`], and the author's edit stays).
pub fn write_post_checked(cfg: &Config, post: &Post, text: &str) -> Result<()> {
    write_post(cfg, post, &paths::abs(&cfg.site, &post.path), text)
}

/// Write a rewritten post to `target` (the site's file, or its copy under `--out`): only if the
/// author has not changed the site's file since it was read, with its mode kept.
pub fn write_post(cfg: &Config, post: &Post, target: &Path, text: &str) -> Result<()> {
    let site_file = paths::abs(&cfg.site, &post.path);
    if let Ok(m) = std::fs::symlink_metadata(target) {
        if m.file_type().is_symlink() {
            return Err(Error::UnsafeWrite {
                path: target.to_path_buf(),
                reason: "the post is a symlink; postpix does not replace links (rewrite its target, or use --out)".into(),
            });
        }
    }
    let mode = write::mode_of(&site_file);
    // Stage first, check last: the author's save can only be missed in the microseconds between
    // the final read and the rename, and an in-place exchange catches even that.
    write::stage(cfg.dest_root(), target, text.as_bytes(), mode)?
        .commit_if_unchanged(&site_file, post.current.as_bytes())
}

//! Scan: walk a site, read its Markdown files and find every image reference in them.
//!
//! In: a site root and the walk settings. Out: one [`Post`] per Markdown file, each holding the
//! [`ImageRef`]s found in it with exact byte spans into the original text. Nothing is resolved
//! here (that is `resolve`'s job) and nothing is written.
//!
//! The finder itself ([`find_refs`]) is pure: it takes the text of one post and answers what
//! kramdown would render as an image, so almost all of its tests need no disk.

mod frontmatter;
mod html;
pub mod layout;
mod markdown;

use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

pub use frontmatter::{is_hero_key, HERO_KEYS};
pub use markdown::find_refs;

/// The syntax an image reference was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// Inline Markdown image: `![alt](url "title")`.
    Markdown,
    /// Reference-style image: `![alt][label]`, `![label][]` or `![label]`.
    Reference,
    /// Raw HTML `<img src=...>`, in an HTML block or inline.
    Html,
    /// A front-matter key such as `header-img:`. Reported, never rewritten.
    FrontMatter,
}

/// One image reference as the post writes it: what the author said, before any file is looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// The syntax it was written in.
    pub kind: RefKind,
    /// Byte range in the post of the text a rewrite replaces.
    ///
    /// - Markdown: the whole `![alt](url "title")`, plus a kramdown IAL such as `{: .center}` that
    ///   follows it directly.
    /// - Reference: the use site `![alt][label]` (including a collapsed `[]`), plus a following IAL.
    /// - Html: the `<img ...>` tag from `<` to `>`.
    /// - FrontMatter: the value after `key:` (never rewritten).
    pub span: Range<usize>,
    /// 1-based line of `span.start`.
    pub line: usize,
    /// The URL exactly as written in the original bytes: Liquid unexpanded, angle brackets removed,
    /// quotes of an HTML attribute removed, HTML entities and backslash escapes left as written.
    pub url: String,
    /// Alt text: for Markdown the plain text of the image description, for HTML the `alt`
    /// attribute with entities decoded. Empty when absent.
    pub alt: String,
    /// Title, if any (Markdown title or HTML `title` attribute, decoded).
    pub title: Option<String>,
    /// Inner text of a kramdown IAL that directly follows a Markdown or reference image, e.g.
    /// `.center width="300"` for `{: .center width="300"}`. Included in `span`.
    pub ial: Option<String>,
    /// Raw HTML only: every attribute of the `<img>` tag in source order, names lower-cased,
    /// values with entities decoded (`None` for a bare attribute such as `hidden`).
    pub attrs: Vec<(String, Option<String>)>,
    /// The image sits inside a link (`[![a](x)](y)` or `<a>...<img>...</a>`).
    pub in_link: bool,
    /// The image sits inside a table cell.
    pub in_table: bool,
    /// For front matter only: the key that held it (`header-img`, `image`, ...).
    pub key: Option<String>,
}

impl ImageRef {
    /// A reference of `kind` to `url` at `span` (on `line`) that carries nothing else: no alt,
    /// title, attributes or context. Front-matter images are such references, and so is the
    /// stand-in the hero stage renders a `<picture>` for.
    pub fn bare(kind: RefKind, url: String, span: Range<usize>, line: usize) -> ImageRef {
        ImageRef {
            kind,
            span,
            line,
            url,
            alt: String::new(),
            title: None,
            ial: None,
            attrs: Vec::new(),
            in_link: false,
            in_table: false,
            key: None,
        }
    }

    /// A front-matter reference under one of the [`HERO_KEYS`]: encoded, and listed in
    /// `_data/postpix.json`.
    pub fn is_hero(&self) -> bool {
        self.kind == RefKind::FrontMatter && self.key.as_deref().is_some_and(is_hero_key)
    }
}

/// Byte offset to 1-based line number.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub mod site;

use std::path::{Path, PathBuf};

use crate::error::{PostError, PostFault};

/// One Markdown file as read from disk, with the references its author wrote.
#[derive(Clone, Debug)]
pub struct Post {
    /// Site-relative path with `/`.
    pub path: String,
    /// The file's text as it is on disk now (possibly holding postpix markup from a past run).
    pub current: Arc<str>,
    /// The author's text: `current` with every postpix element given back (see [`crate::marker`]).
    /// The same allocation as `current` when the post holds no postpix markup (a first build,
    /// or after `restore`): every post's text is held until the markup stage, once is enough.
    pub original: Arc<str>,
    /// The references in `original`.
    pub refs: Vec<ImageRef>,
}

/// The include file (as named under `_includes/`) that `post`'s content begins with, if any.
pub fn leading_include(post: &Post) -> Option<&str> {
    let text = &post.original;
    crate::liquid::leading_include(&text[crate::fence::content_start(text)..])
}

/// Read and scan every Markdown file of the site that Jekyll renders (see
/// [`site::JekyllConfig::renders`]); unreadable ones are reported.
pub fn read_posts(
    root: &Path,
    jekyll: &site::JekyllConfig,
    variant_dir: &str,
    extra_skip: &[PathBuf],
) -> (Vec<Post>, Vec<PostError>) {
    let files = site::markdown_files(root, jekyll, variant_dir, extra_skip);
    read_each(root, files, |p| jekyll.renders(&p.path, &p.current))
}

/// Read and scan every Markdown file of the site, rendered or not (for `restore`, which gives
/// back postpix markup wherever an earlier run left it).
pub fn read_all_markdown(
    root: &Path,
    jekyll: &site::JekyllConfig,
    variant_dir: &str,
    extra_skip: &[PathBuf],
) -> (Vec<Post>, Vec<PostError>) {
    let files = site::site_files(root, jekyll, variant_dir, extra_skip)
        .into_iter()
        .filter(|rel| site::is_markdown(rel.rsplit('/').next().unwrap_or(rel)));
    read_each(root, files, |_| true)
}

/// Read and scan each file (in parallel, results in the files' order), keeping the posts `keep`
/// accepts; unreadable ones are reported.
fn read_each(
    root: &Path,
    files: impl IntoIterator<Item = String>,
    keep: impl Fn(&Post) -> bool + Sync,
) -> (Vec<Post>, Vec<PostError>) {
    use rayon::prelude::*;
    let files: Vec<String> = files.into_iter().collect();
    // `keep` (a front matter parse per post) runs in parallel with the reads.
    let read: Vec<Result<(bool, Post), PostError>> = files
        .par_iter()
        .map(|rel| read_post(root, rel).map(|p| (keep(&p), p)))
        .collect();
    let mut posts = Vec::new();
    let mut errors = Vec::new();
    for r in read {
        match r {
            Ok((true, p)) => posts.push(p),
            Ok((false, _)) => {}
            Err(e) => errors.push(e),
        }
    }
    (posts, errors)
}

/// Read and scan one post.
pub fn read_post(root: &Path, rel: &str) -> Result<Post, PostError> {
    let fail = |fault| PostError {
        path: rel.to_string(),
        fault,
    };
    let bytes = std::fs::read(root.join(rel)).map_err(|e| fail(PostFault::Io(e.into())))?;
    let current = String::from_utf8(bytes)
        .map_err(|e| fail(PostFault::NotUtf8(e.utf8_error().valid_up_to())))?;
    Ok(scan_text(rel, current))
}

/// Scan a post's text (pure).
pub fn scan_text(rel: &str, current: String) -> Post {
    let current: Arc<str> = current.into();
    let found = crate::marker::find_generated(&current);
    let original = if found.is_empty() {
        Arc::clone(&current)
    } else {
        crate::marker::restore_found(&current, &found).into()
    };
    let refs = find_refs(&original);
    Post {
        path: rel.to_string(),
        current,
        original,
        refs,
    }
}

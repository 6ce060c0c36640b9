//! Render: postpix as a step of the site generator's own build (`postpix render`, which the
//! Jekyll plugin `jekyll/postpix.rb` runs once per build).
//!
//! In: a [`Config`] made by `Config::for_render` (variants into the generator's output folder,
//! nothing written in the site but the cache) and the generator's documents as it holds them
//! ([`Request`]: the site-relative path and the content after the front matter). Out: a
//! [`RenderReport`]: per document the content with every rewritable image reference replaced by
//! the same `<picture>` markup `postpix build` writes (the markup comes from
//! [`super::posts::markup`], the one rewrite), the variant folders the generator must keep when
//! it cleans its output, the front-matter images' data, and the run's [`BuildReport`]. The
//! encoding is the ordinary incremental pass: with a warm cache an unchanged site encodes
//! nothing.

use std::collections::BTreeSet;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

use super::{hero, Mode, Progress};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::paths;
use crate::report::BuildReport;

/// One document of the generator: a line of `postpix render`'s input.
#[derive(Clone, Debug, Deserialize)]
pub struct Request {
    /// Site-relative path with `/` (Jekyll's `relative_path`).
    pub path: String,
    /// The document's content as the generator holds it: the file's text after the front matter.
    pub content: String,
}

/// One document's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// The request's path.
    pub path: String,
    /// The new content, or `None`: keep the content as it is (see `why`).
    pub content: Option<String>,
    /// Image references replaced by pictures.
    pub rewritten: usize,
    /// Why the content is kept, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<Kept>,
}

/// Why a document's content is kept as the generator holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kept {
    /// No reference in it has variants to offer.
    NothingToRewrite,
    /// postpix does not read this file (not Markdown Jekyll renders, or not in the site).
    NotAPost,
    /// The content is not the file's text after its front matter (another plugin changed it):
    /// postpix rewrites only text whose byte spans it knows.
    ChangedByTheGenerator,
}

/// What `postpix render` prints: one JSON object.
#[derive(Debug, Serialize)]
pub struct RenderReport {
    /// Per request, in its order.
    pub documents: Vec<Rendered>,
    /// Destination-relative folders holding postpix's variants: the generator must keep them
    /// when it cleans its output (Jekyll: `keep_files`).
    pub keep: Vec<String>,
    /// The front-matter images' data (what `postpix build` writes as `_data/postpix.json`).
    pub data: Option<hero::Data>,
    /// The include that renders a front-matter image (`_includes/postpix/picture.html`).
    pub include: &'static str,
    /// The pass that encoded the variants.
    pub report: BuildReport,
}

impl RenderReport {
    /// True when something failed (exit code 1; the documents are still answered).
    pub fn failed(&self) -> bool {
        self.report.failed()
    }
}

/// Read the requests, one JSON object per line (blank lines are skipped).
pub fn read_requests(input: impl BufRead) -> Result<Vec<Request>> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(|e| Error::io("<stdin>", e))?;
        if line.trim().is_empty() {
            continue;
        }
        let r = serde_json::from_str(&line).map_err(|e| Error::RenderInput {
            line: i + 1,
            problem: e.to_string(),
        })?;
        out.push(r);
    }
    Ok(out)
}

/// Encode what the site needs into the destination, then answer every request.
pub fn run(cfg: &Config, requests: &[Request], progress: &dyn Progress) -> Result<RenderReport> {
    debug_assert!(cfg.render, "render needs Config::for_render");
    let (session, report) = super::open_and_run(cfg, Mode::Build, progress)?;
    let posts = &session.survey().posts;
    let documents = requests
        .iter()
        .map(|r| {
            let found = posts.iter().find(|p| p.path == r.path).and_then(|p| {
                let m = session.rendered(&p.path)?;
                Some((p, m))
            });
            let Some((post, m)) = found else {
                return kept(r, Kept::NotAPost);
            };
            if *m.text == *post.current {
                return kept(r, Kept::NothingToRewrite);
            }
            match body(&post.current, &m.text, &r.content) {
                Some(content) => Rendered {
                    path: r.path.clone(),
                    content: Some(content),
                    rewritten: m.edits.len(),
                    why: None,
                },
                None => kept(r, Kept::ChangedByTheGenerator),
            }
        })
        .collect();
    let keep: BTreeSet<String> = session
        .manifest()
        .files
        .keys()
        .map(|f| paths::folder(f).to_string())
        .filter(|f| !f.is_empty())
        .collect();
    Ok(RenderReport {
        documents,
        keep: keep.into_iter().collect(),
        data: session
            .hero_data()
            .filter(|d| !d.images.is_empty())
            .cloned(),
        include: hero::INCLUDE,
        report,
    })
}

fn kept(r: &Request, why: Kept) -> Rendered {
    Rendered {
        path: r.path.clone(),
        content: None,
        rewritten: 0,
        why: Some(why),
    }
}

/// The rewritten `text` of a file, cut where the generator's `content` of it begins: `content`
/// must be the end of the file's `current` text, and what comes before it (the front matter,
/// which the rewrite never touches) the start of `text`. `None` when it is not.
pub fn body(current: &str, text: &str, content: &str) -> Option<String> {
    let start = current.len().checked_sub(content.len())?;
    let (head, tail) = (current.get(..start)?, current.get(start..)?);
    if tail != content {
        return None;
    }
    text.strip_prefix(head).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_cut_after_the_front_matter() {
        let current = "---\ntitle: x\n---\nHi ![](a.jpg) there\n";
        let text = "---\ntitle: x\n---\nHi <picture/> there\n";
        assert_eq!(
            body(current, text, "Hi ![](a.jpg) there\n").as_deref(),
            Some("Hi <picture/> there\n")
        );
        // A BOM Jekyll dropped on reading stays with the head.
        let current = format!("\u{feff}{current}");
        let text = format!("\u{feff}{text}");
        assert_eq!(
            body(&current, &text, "Hi ![](a.jpg) there\n").as_deref(),
            Some("Hi <picture/> there\n")
        );
    }

    #[test]
    fn content_another_plugin_changed_is_not_cut() {
        let current = "---\n---\nHi ![](a.jpg)\n";
        let text = "---\n---\nHi <picture/>\n";
        assert_eq!(body(current, text, "Hello ![](a.jpg)\n"), None);
        assert_eq!(
            body(current, text, "a much longer content than the file itself"),
            None
        );
        assert_eq!(body("é", "é", "\u{a9}"), None);
    }

    #[test]
    fn requests_are_json_lines_and_a_bad_one_names_its_line() {
        let input = "{\"path\":\"_posts/a.md\",\"content\":\"x\"}\n\n{\"path\":\"b.md\",\"content\":\"\"}\n";
        let r = read_requests(input.as_bytes()).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].path, "b.md");
        match read_requests("{\"path\":1}\n".as_bytes()) {
            Err(Error::RenderInput { line: 1, .. }) => {}
            other => panic!("{other:?}"),
        }
    }
}

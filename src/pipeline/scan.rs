//! Scan: the survey as `postpix scan` reports it. Reads headers, writes nothing.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::error::Result;
use crate::format::Format;
use crate::lint::Linter;
use crate::marker;
use crate::plan;
use crate::report::{
    ImageScanReport, LinkReport, PostScanReport, RefReport, ScanReport, ScanSummary,
};
use crate::resolve::{Resolution, Status};
use crate::scan::{ImageRef, Post, RefKind};
use crate::survey::{self, Survey};

/// `postpix scan`: every post's references with their status, every source's header facts,
/// the links that will 404 on the published site, the images without alt text or served
/// without variants, and the image files no post uses.
pub fn scan_report(cfg: &Config) -> Result<ScanReport> {
    let s = Survey::take(cfg, None, false)?;
    let resolver = survey::resolver(cfg, &s.jekyll)?;
    let linter = Linter::new(&cfg.site, &s.jekyll, &resolver);
    let mut summary = ScanSummary {
        posts: s.posts.len() + s.post_errors.len(),
        ..Default::default()
    };
    let mut posts = Vec::new();
    for (post, res) in s.posts.iter().zip(&s.resolutions) {
        let generated = generated_offsets(post);
        let mut refs = Vec::new();
        for (r, x) in post.refs.iter().zip(res) {
            summary.count(x.status);
            summary.extension_mismatches += usize::from(x.extension_mismatch);
            let no_alt = r.kind == RefKind::Html && !r.attrs.iter().any(|(k, _)| k == "alt");
            let empty_alt =
                matches!(r.kind, RefKind::Markdown | RefKind::Reference) && r.alt.trim().is_empty();
            let will_404 = linter.check(post, r, x).map(|f| LinkReport {
                why: f.to_string(),
                requested: f.requested.clone(),
                served: f.served.clone(),
                fix: f.url,
            });
            let without_variants = without_variants(r, x, &s);
            summary.no_alt += usize::from(no_alt || empty_alt);
            summary.will_404 += usize::from(will_404.is_some());
            summary.without_variants += usize::from(without_variants.is_some());
            refs.push(RefReport {
                line: r.line,
                kind: r.kind,
                url: r.url.clone(),
                status: x.status,
                source: x.source.clone(),
                format: x.format,
                extension_mismatch: x.extension_mismatch,
                rewritten: r.kind != RefKind::FrontMatter
                    && x.status == Status::Ok
                    && generated.contains(&r.span.start),
                no_alt,
                empty_alt,
                will_404,
                without_variants,
            });
        }
        posts.push(PostScanReport {
            path: post.path.clone(),
            refs,
            error: None,
        });
    }
    let orphans = s.orphans(cfg);
    let mut references = s.references();
    for e in s.post_errors {
        posts.push(PostScanReport {
            path: e.path,
            refs: Vec::new(),
            error: Some(e.fault),
        });
    }
    posts.sort_by(|a, b| a.path.cmp(&b.path));
    let images: Vec<ImageScanReport> = s
        .sources
        .into_iter()
        .map(|(rel, src)| {
            let referenced_by = references.remove(&rel).unwrap_or_default();
            let (info, error) = match src.info {
                Ok(i) => (Some(i), None),
                Err(e) => (None, Some(e)),
            };
            ImageScanReport {
                source: rel,
                format: info.as_ref().map(|i| i.format),
                width: info.as_ref().map(|i| i.width),
                height: info.as_ref().map(|i| i.height),
                frames: info.as_ref().map(|i| i.frames),
                bytes: src.size,
                referenced_by,
                error,
            }
        })
        .collect();
    summary.images = images.len();
    summary.orphans = orphans.len();
    Ok(ScanReport {
        posts,
        images,
        orphans,
        summary,
    })
}

/// Why the image of `r` will be served as it is, without variants: a format postpix does not
/// re-encode (an SVG, which needs none, is not counted), or a source the plan skips.
fn without_variants(r: &ImageRef, x: &Resolution, s: &Survey) -> Option<String> {
    if r.kind == RefKind::FrontMatter && !r.is_hero() {
        return None;
    }
    match (x.status, x.format) {
        (Status::Unsupported, Some(f)) if f != Format::Svg => Some(format!(
            "{} is not re-encoded (only GIF, PNG and JPEG are)",
            f.name().to_uppercase()
        )),
        (Status::Ok, _) => {
            let info = s.sources.get(x.source.as_deref()?)?.info.as_ref().ok()?;
            plan::skip_of(info).map(|skip| skip.to_string())
        }
        _ => None,
    }
}

/// Offsets in the author's original text of the spans that the current text shows as postpix
/// markup. The two texts differ in length, so each generated span is mapped back through the
/// lengths of the ones before it.
fn generated_offsets(post: &Post) -> BTreeSet<usize> {
    let mut shift: isize = 0;
    let mut out = BTreeSet::new();
    for g in marker::find_generated(&post.current) {
        out.insert((g.span.start as isize - shift) as usize);
        shift += g.span.len() as isize - g.original.len() as isize;
    }
    out
}

//! Scan: the survey as `postpix scan` reports it. Reads headers, writes nothing.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::error::Result;
use crate::marker;
use crate::report::{ImageScanReport, PostScanReport, RefReport, ScanReport, ScanSummary};
use crate::resolve::Status;
use crate::scan::{Post, RefKind};
use crate::survey::Survey;

/// `postpix scan`: every post's references with their status, every source's header facts,
/// and the image files no post uses.
pub fn scan_report(cfg: &Config) -> Result<ScanReport> {
    let s = Survey::take(cfg, None, false)?;
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
                no_alt: r.kind == RefKind::Html && !r.attrs.iter().any(|(k, _)| k == "alt"),
            });
        }
        posts.push(PostScanReport {
            path: post.path.clone(),
            refs,
            error: None,
        });
    }
    let orphans = s.orphans(cfg);
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
                referenced_by: src.referenced_by,
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

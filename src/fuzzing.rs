//! Fuzzing: the properties that the cargo-fuzz targets (`fuzz/`) and the bounded property tests
//! (`tests/proptest_fuzz.rs`) check on arbitrary input, in one place so both check the same.
//!
//! In: arbitrary bytes or text. Out: `Ok(())`, or the [`Violation`] of a property; a panic
//! inside is a finding too. Each checker drives the library exactly as a build does: the
//! reference finder, the rewrite and `restore`; the header probe and the decode + encode of one
//! source under the default limits; the container walkers; the manifest loader; the
//! `_config.yml` loader.

use crate::container::{self, exif, gif, jfif, png, riff};
use crate::encode::{DecodeLimits, EncodeSettings};
use crate::error::{EncoderFault, ImageFault};
use crate::format::{Format, OutFormat};
use crate::rewrite::{picture, splice, VariantLink};
use crate::scan::{find_refs, site::JekyllConfig, RefKind};

/// A property that did not hold, in words (with the input's facts that show it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Violation(pub String);

fn fail<T>(what: String) -> Result<T, Violation> {
    Err(Violation(what))
}

/// Made-up variants for reference `seed`, as the pipeline would offer them.
fn variants(seed: usize) -> Vec<VariantLink> {
    [480u32, 960]
        .iter()
        .flat_map(|&w| {
            [OutFormat::Webp, OutFormat::Jpeg].map(|f| VariantLink {
                file_name: format!("img{seed}-{w}.0123abcd.{}", f.extension()),
                width: w,
                height: w / 2,
                format: f,
            })
        })
        .collect()
}

/// The finder, rewrite and restore on `text`: every span is a range of `text` on character
/// boundaries, rewritable spans do not overlap, and, for a text holding no postpix markup yet,
/// `restore` of the rewritten text is `text` and the text between the rewritten spans is the
/// text between the references.
pub fn check_rewrite_properties(text: &str) -> Result<(), Violation> {
    let refs = find_refs(text);
    let mut last_end = 0;
    for r in &refs {
        let s = &r.span;
        if s.start > s.end || s.end > text.len() {
            return fail(format!("span {s:?} outside a text of {} bytes", text.len()));
        }
        if !text.is_char_boundary(s.start) || !text.is_char_boundary(s.end) {
            return fail(format!("span {s:?} splits a character"));
        }
        if r.kind != RefKind::FrontMatter {
            if s.start < last_end {
                return fail(format!(
                    "span {s:?} overlaps the one before (ends {last_end})"
                ));
            }
            last_end = s.end;
        }
    }
    if !crate::marker::find_generated(text).is_empty() {
        // Already holds postpix markup: restore would rightly change it.
        return Ok(());
    }
    let mut edits = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        if r.kind == RefKind::FrontMatter {
            continue;
        }
        let original = &text[r.span.clone()];
        if let Ok(p) = picture(
            r,
            original,
            &variants(i),
            "responsive",
            "100vw",
            (1440, 960),
            i == 0,
        ) {
            edits.push((r.span.clone(), p.to_html()));
        }
    }
    let new = splice(text, &edits);
    let back = crate::marker::restore(&new);
    if back != text {
        return fail(format!(
            "restore did not give back the input\n input: {text:?}\nrewritten: {new:?}\nrestored: {back:?}"
        ));
    }
    let generated = crate::marker::find_generated(&new);
    if generated.len() != edits.len() {
        return fail(format!(
            "{} rewrites but {} generated elements found in {new:?}",
            edits.len(),
            generated.len()
        ));
    }
    let (mut orig_pos, mut new_pos) = (0, 0);
    for (g, (span, _)) in generated.iter().zip(&edits) {
        if new.get(new_pos..g.span.start) != text.get(orig_pos..span.start) {
            return fail(format!("bytes before {span:?} changed in {new:?}"));
        }
        orig_pos = span.end;
        new_pos = g.span.end;
    }
    if new.get(new_pos..) != text.get(orig_pos..) {
        return fail(format!("bytes after the last rewrite changed in {new:?}"));
    }
    Ok(())
}

/// Fast encoder settings: the properties are about decoding and never panicking, not bytes.
fn fast_settings() -> EncodeSettings {
    EncodeSettings {
        webp_method: 0,
        png_preset: 0,
        ..EncodeSettings::default()
    }
}

/// The header probe and one source's decode + encode under the default limits: any bytes give
/// an answer, and no codec panics (caught panics come back as [`EncoderFault::Crashed`]).
pub fn check_decode(bytes: &[u8]) -> Result<(), Violation> {
    let _ = crate::probe::probe(bytes);
    let limits = DecodeLimits::default();
    match crate::pipeline::execute::encode_bytes(bytes, &[16, 40], &fast_settings(), &limits) {
        Err(ImageFault::Encoder(EncoderFault::Crashed(why))) => {
            fail(format!("a codec panicked on {} bytes: {why}", bytes.len()))
        }
        _ => Ok(()),
    }
}

fn within(what: &str, r: &std::ops::Range<usize>, len: usize) -> Result<(), Violation> {
    if r.start <= r.end && r.end <= len {
        Ok(())
    } else {
        fail(format!("{what} {r:?} outside {len} bytes"))
    }
}

/// Every container walker on `bytes`: no panic, and every range it reports lies inside.
pub fn check_containers(bytes: &[u8]) -> Result<(), Violation> {
    let len = bytes.len();
    if let Some(w) = gif::walk(bytes) {
        for (_, r) in &w.blocks {
            within("GIF block", r, len)?;
        }
    }
    let _ = gif::info(bytes);
    let _ = gif::screen_size(bytes);
    if let Some((segments, _)) = jfif::segments(bytes) {
        for s in &segments {
            within("JPEG segment", &s.range, len)?;
        }
    }
    let _ = jfif::colour_model(bytes);
    if let Some(w) = png::walk(bytes) {
        for c in &w.chunks {
            within("PNG chunk", &c.range, len)?;
        }
    }
    let _ = png::ihdr_size(bytes);
    let _ = png::frames(bytes);
    let _ = riff::webp_timing(bytes);
    let _ = exif::orientation(bytes);
    let _ = exif::has_gps(bytes);
    let _ = exif::has_thumbnail(bytes);
    for f in [Format::Jpeg, Format::Png, Format::Gif, Format::Webp] {
        let _ = container::check_complete(bytes, f);
    }
    Ok(())
}

/// The manifest loader on `bytes` as `manifest.json`: no panic; what it rejects comes back
/// empty, with the reason.
pub fn check_manifest(bytes: &[u8]) -> Result<(), Violation> {
    let dir = tempfile_dir()?;
    let path = crate::cache::manifest_path(dir.path());
    std::fs::write(&path, bytes).map_err(|e| Violation(format!("cannot write {path:?}: {e}")))?;
    let (manifest, problem) = crate::cache::load(dir.path());
    if problem.is_some() && !manifest.sources.is_empty() {
        return fail("a rejected manifest came back non-empty".into());
    }
    Ok(())
}

/// A fresh temp folder (std only: the library has no tempfile dependency).
fn tempfile_dir() -> Result<TempDir, Violation> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let p = std::env::temp_dir().join(format!(
        "postpix-fuzz-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&p).map_err(|e| Violation(format!("cannot make {p:?}: {e}")))?;
    Ok(TempDir(p))
}

/// A temp folder removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `_config.yml` loader and the render rules on arbitrary text: never a panic.
pub fn check_jekyll_config(text: &str) {
    if let Ok(cfg) = JekyllConfig::parse(text) {
        for rel in [
            "_posts/a.md",
            "about.md",
            "_doc/x.md",
            "a/b/c.md",
            "_includes/x.md",
        ] {
            let _ = cfg.is_excluded(rel);
            let _ = cfg.renders(rel, text);
        }
    }
}

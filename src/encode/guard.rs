//! Size guard: the encoder's candidates in, the outputs worth serving out.
//!
//! A reader must never download more than the file postpix replaces: no variant of any format is
//! larger than the source file. Per width, a WebP that is not smaller than the fallback it sits
//! beside, or larger than the source, is dropped; when the widest WebP goes, every WebP goes (a
//! `<source>` without its widest candidate would hand a wide slot a narrow picture). A fallback
//! larger than the source is dropped below the widest width (the browser takes the next wider
//! candidate); at the widest width the source's own bytes (metadata stripped, offered by the
//! encoder only when they may be served as is) take its place, at the source's own width. Every
//! drop and swap is reported. For an animation, an animated WebP not smaller than the GIF is
//! dropped. Pure: no codec runs here.

use super::output::{Conversion, Dropped, Encoded, Origin, Output};
use crate::format::OutFormat;
use crate::units::guard_size;

/// Choose what to serve of `enc`, a fresh encode of a source of `source_len` bytes; `planned`
/// are the variants the plan already left out (too large for WebP).
pub fn select(mut enc: Encoded, source_len: usize, planned: Vec<Dropped>) -> Encoded {
    let mut dropped = planned;
    let candidates = std::mem::take(&mut enc.outputs);
    enc.outputs = match enc.frames {
        Some(frames) => {
            let outputs = select_animated(candidates, &mut dropped);
            let webp = outputs.iter().any(|o| o.format == OutFormat::Webp);
            enc.conversions
                .insert(0, Conversion::Animation { frames, webp });
            outputs
        }
        None => select_still(candidates, source_len, &mut dropped),
    };
    dropped.sort_by_key(|d| d.width);
    enc.dropped = dropped;
    enc
}

fn select_still(
    candidates: Vec<Output>,
    source_len: usize,
    dropped: &mut Vec<Dropped>,
) -> Vec<Output> {
    let (mut source, encoded): (Vec<Output>, Vec<Output>) = candidates
        .into_iter()
        .partition(|o| o.origin == Origin::SourceBytes);
    let mut widths: Vec<u32> = encoded.iter().map(|o| o.width).collect();
    widths.sort_unstable();
    widths.dedup();
    let top = widths.last().copied();
    let mut encoded = encoded.into_iter().peekable();
    let mut kept = Vec::new();
    let mut top_dropped: Vec<OutFormat> = Vec::new();
    for width in widths {
        let mut modern: Vec<Output> = Vec::new();
        let mut fallback = None;
        while let Some(o) = encoded.next_if(|o| o.width == width) {
            if o.format.is_modern() {
                modern.push(o);
            } else {
                fallback = Some(o);
            }
        }
        let fallback = fallback.and_then(|f| {
            let within = |f: &Output| f.bytes.len() <= source_len;
            if within(&f) {
                return Some(f);
            }
            let what = format!(
                "{} {} > the source's {}",
                f.format,
                guard_size(f.bytes.len()),
                guard_size(source_len)
            );
            // At the widest width the source itself (metadata stripped) takes the fallback's
            // place, at its own width; below it the browser takes the next wider candidate.
            let i = source.iter().position(|s| {
                Some(width) == top && s.width >= width && s.bytes.len() < f.bytes.len()
            });
            let (reason, chosen) = match i {
                Some(i) => (
                    format!("{what}: the source is served instead"),
                    Some(source.swap_remove(i)),
                ),
                None if Some(width) == top => (format!("{what}: not served"), None),
                None => (format!("{what}: a wider candidate serves this width"), None),
            };
            dropped.push(Dropped {
                width,
                format: f.format,
                reason,
            });
            chosen
        });
        // WebP first: an AVIF must also be smaller than the WebP beside it.
        modern.sort_by_key(|o| o.format != OutFormat::Webp);
        let mut webp_len = None;
        for m in modern {
            match not_worth(&m, fallback.as_ref(), webp_len, source_len) {
                Some(reason) => {
                    if Some(width) == top {
                        top_dropped.push(m.format);
                    }
                    dropped.push(Dropped {
                        width,
                        format: m.format,
                        reason,
                    });
                }
                None => {
                    if m.format == OutFormat::Webp {
                        webp_len = Some(m.bytes.len());
                    }
                    kept.push(m);
                }
            }
        }
        kept.extend(fallback);
    }
    for format in top_dropped {
        // Without its widest candidate a `<source>` would hand a wide slot a narrow picture:
        // offer none of that format, and the next format (or the fallbacks) serve every width.
        for w in kept.iter().filter(|o| o.format == format) {
            dropped.push(Dropped {
                width: w.width,
                format,
                reason: format!(
                    "the widest {} was not kept, so no {} is offered",
                    name(format),
                    name(format)
                ),
            });
        }
        kept.retain(|o| o.format != format);
    }
    // The order the outputs are documented in: by width, the `<source>` formats before the
    // fallback (AVIF, then WebP).
    kept.sort_by_key(|o| (o.width, !o.format.is_modern(), o.format != OutFormat::Avif));
    kept
}

/// Why a `<source>` candidate `m` is not worth serving, if it is not: not smaller than the
/// fallback beside it, larger than the source, or (AVIF) not smaller than the kept WebP.
fn not_worth(
    m: &Output,
    fallback: Option<&Output>,
    webp_len: Option<usize>,
    source_len: usize,
) -> Option<String> {
    let len = m.bytes.len();
    if let Some(f) = fallback.filter(|f| len >= f.bytes.len()) {
        return Some(format!(
            "{} {} ≥ {} {}",
            m.format,
            guard_size(len),
            f.format,
            guard_size(f.bytes.len())
        ));
    }
    if len > source_len {
        return Some(format!(
            "{} {} > the source's {}",
            m.format,
            guard_size(len),
            guard_size(source_len)
        ));
    }
    match webp_len {
        Some(w) if m.format == OutFormat::Avif && len >= w => {
            Some(format!("avif {} ≥ webp {}", guard_size(len), guard_size(w)))
        }
        _ => None,
    }
}

/// How the report names a format in a sentence: `WebP`, `AVIF`.
fn name(format: OutFormat) -> &'static str {
    match format {
        OutFormat::Webp => "WebP",
        OutFormat::Avif => "AVIF",
        _ => "fallback",
    }
}

fn select_animated(candidates: Vec<Output>, dropped: &mut Vec<Dropped>) -> Vec<Output> {
    let gif_len = candidates
        .iter()
        .find(|o| o.origin == Origin::SourceBytes)
        .map(|o| o.bytes.len());
    let mut kept = Vec::with_capacity(candidates.len());
    for o in candidates {
        match gif_len {
            Some(gif) if o.origin == Origin::Encoded && o.bytes.len() >= gif => {
                dropped.push(Dropped {
                    width: o.width,
                    format: OutFormat::Webp,
                    reason: format!("animated webp {} B ≥ gif {gif} B", o.bytes.len()),
                })
            }
            _ => kept.push(o),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(width: u32, format: OutFormat, len: usize, origin: Origin) -> Output {
        Output {
            width,
            height: width / 2,
            format,
            bytes: vec![0; len],
            origin,
            quality: None,
            score: None,
        }
    }

    fn encoded(outputs: Vec<Output>, frames: Option<usize>) -> Encoded {
        Encoded {
            width: 960,
            height: 480,
            lossless: false,
            webp_quality: None,
            jpeg_quality: None,
            avif_quality: None,
            search_encodes: 0,
            orientation: 1,
            frames,
            outputs,
            dropped: vec![],
            conversions: vec![],
            placeholder: None,
        }
    }

    #[test]
    fn webp_not_smaller_than_its_fallback_is_dropped() {
        use OutFormat::*;
        let e = encoded(
            vec![
                out(480, Webp, 100, Origin::Encoded),
                out(480, Jpeg, 100, Origin::Encoded),
                out(960, Webp, 150, Origin::Encoded),
                out(960, Jpeg, 300, Origin::Encoded),
            ],
            None,
        );
        let c = select(e, 10_000, vec![]);
        let kept: Vec<(u32, OutFormat)> = c.outputs.iter().map(|o| (o.width, o.format)).collect();
        assert_eq!(kept, vec![(480, Jpeg), (960, Webp), (960, Jpeg)]);
        assert_eq!(c.dropped.len(), 1);
        assert_eq!(c.dropped[0].reason, "webp 100 B ≥ jpeg 100 B");
    }

    #[test]
    fn no_fallback_is_ever_larger_than_the_source() {
        // issue 17 item 10: a 101 KB PNG became a 440 KB fallback.
        use OutFormat::*;
        let e = encoded(
            vec![
                out(480, Png, 900, Origin::Encoded),
                out(960, Png, 900, Origin::Encoded),
                out(1200, Png, 700, Origin::SourceBytes),
            ],
            None,
        );
        let c = select(e, 800, vec![]);
        let kept: Vec<(u32, Origin)> = c.outputs.iter().map(|o| (o.width, o.origin)).collect();
        // The source is wider than the widest variant and still takes its place.
        assert_eq!(kept, vec![(1200, Origin::SourceBytes)]);
        assert_eq!(c.dropped.len(), 2);
        assert!(
            c.dropped[0].reason.contains("a wider candidate"),
            "{:?}",
            c.dropped
        );
        assert!(c.dropped[1].reason.contains("the source is served instead"));
        // A fallback within the source's size keeps its own encode.
        let e = encoded(
            vec![
                out(960, Jpeg, 700, Origin::Encoded),
                out(960, Jpeg, 600, Origin::SourceBytes),
            ],
            None,
        );
        assert_eq!(select(e, 800, vec![]).outputs[0].origin, Origin::Encoded);
        // No source to serve: the oversized fallback is dropped, and says so.
        let e = encoded(vec![out(960, Jpeg, 900, Origin::Encoded)], None);
        let c = select(e, 800, vec![]);
        assert!(c.outputs.is_empty());
        assert!(
            c.dropped[0].reason.ends_with("not served"),
            "{:?}",
            c.dropped
        );
    }

    #[test]
    fn no_webp_is_larger_than_the_source_nor_missing_at_the_top() {
        use OutFormat::*;
        let e = encoded(
            vec![
                out(480, Webp, 100, Origin::Encoded),
                out(480, Jpeg, 200, Origin::Encoded),
                out(960, Webp, 650, Origin::Encoded),
                out(960, Jpeg, 450, Origin::Encoded),
            ],
            None,
        );
        // webp 650 > source 500 at the widest width: no WebP at all.
        let c = select(e, 500, vec![]);
        let kept: Vec<(u32, OutFormat)> = c.outputs.iter().map(|o| (o.width, o.format)).collect();
        assert_eq!(kept, vec![(480, Jpeg), (960, Jpeg)]);
        assert!(c.outputs.iter().all(|o| o.bytes.len() <= 500));
        assert_eq!(c.dropped.len(), 2, "{:?}", c.dropped);
    }

    #[test]
    fn an_animated_webp_must_beat_the_gif() {
        use OutFormat::*;
        let e = encoded(
            vec![
                out(88, Webp, 3000, Origin::Encoded),
                out(88, Gif, 2533, Origin::SourceBytes),
            ],
            Some(4),
        );
        let c = select(e, 2533, vec![]);
        assert_eq!(c.outputs.len(), 1);
        assert_eq!(c.dropped[0].reason, "animated webp 3000 B ≥ gif 2533 B");
        assert_eq!(
            c.conversions,
            vec![Conversion::Animation {
                frames: 4,
                webp: false
            }]
        );
    }

    #[test]
    fn avif_must_beat_the_webp_beside_it_and_its_widest_must_stay() {
        use OutFormat::*;
        let e = encoded(
            vec![
                out(480, Avif, 90, Origin::Encoded),
                out(480, Webp, 100, Origin::Encoded),
                out(480, Jpeg, 200, Origin::Encoded),
                out(960, Avif, 150, Origin::Encoded),
                out(960, Webp, 300, Origin::Encoded),
                out(960, Jpeg, 450, Origin::Encoded),
            ],
            None,
        );
        let c = select(e, 10_000, vec![]);
        let kept: Vec<(u32, OutFormat)> = c.outputs.iter().map(|o| (o.width, o.format)).collect();
        assert_eq!(
            kept,
            vec![
                (480, Avif),
                (480, Webp),
                (480, Jpeg),
                (960, Avif),
                (960, Webp),
                (960, Jpeg)
            ]
        );
        // The widest AVIF is not smaller than its WebP: no AVIF at all, WebP untouched.
        let e = encoded(
            vec![
                out(480, Avif, 90, Origin::Encoded),
                out(480, Webp, 100, Origin::Encoded),
                out(480, Jpeg, 200, Origin::Encoded),
                out(960, Avif, 300, Origin::Encoded),
                out(960, Webp, 300, Origin::Encoded),
                out(960, Jpeg, 450, Origin::Encoded),
            ],
            None,
        );
        let c = select(e, 10_000, vec![]);
        let kept: Vec<(u32, OutFormat)> = c.outputs.iter().map(|o| (o.width, o.format)).collect();
        assert_eq!(
            kept,
            vec![(480, Webp), (480, Jpeg), (960, Webp), (960, Jpeg)]
        );
        let reasons: Vec<&str> = c.dropped.iter().map(|d| d.reason.as_str()).collect();
        assert_eq!(
            reasons,
            vec![
                "the widest AVIF was not kept, so no AVIF is offered",
                "avif 300 B ≥ webp 300 B"
            ]
        );
    }

    #[test]
    fn no_avif_is_larger_than_the_source_or_the_fallback() {
        use OutFormat::*;
        // Without a WebP (`--formats avif`), AVIF answers to the fallback and the source alone.
        let e = encoded(
            vec![
                out(480, Avif, 250, Origin::Encoded),
                out(480, Jpeg, 200, Origin::Encoded),
                out(960, Avif, 600, Origin::Encoded),
                out(960, Jpeg, 700, Origin::Encoded),
            ],
            None,
        );
        let c = select(e, 500, vec![]);
        assert!(
            c.outputs.iter().all(|o| o.format != Avif),
            "{:?}",
            c.dropped
        );
        assert!(c
            .dropped
            .iter()
            .any(|d| d.reason == "avif 250 B ≥ jpeg 200 B"));
        assert!(c
            .dropped
            .iter()
            .any(|d| d.reason == "avif 600 B > the source's 500 B"));
    }
}

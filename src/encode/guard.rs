//! Size guard: the encoder's candidates in, the outputs worth serving out.
//!
//! A reader must never download more than the file postpix replaces. Per width, a WebP that is
//! not smaller than the fallback it sits beside is dropped; at the source's own width, when the
//! re-encoded fallback came out larger than the source file, the source's own bytes (metadata
//! stripped, offered by the encoder only when they may be served as is) take its place. For an
//! animation, an animated WebP not smaller than the GIF is dropped. Pure: no codec runs here.

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
    widths.dedup();
    let mut encoded = encoded.into_iter().peekable();
    let mut kept = Vec::new();
    for width in widths {
        let mut webp = None;
        let mut fallback = None;
        while let Some(o) = encoded.next_if(|o| o.width == width) {
            if o.format == OutFormat::Webp {
                webp = Some(o);
            } else {
                fallback = Some(o);
            }
        }
        let Some(mut fallback) = fallback else {
            kept.extend(webp);
            continue;
        };
        if fallback.bytes.len() > source_len {
            if let Some(i) = source.iter().position(|s| {
                s.width == width
                    && s.height == fallback.height
                    && s.bytes.len() < fallback.bytes.len()
            }) {
                fallback = source.swap_remove(i);
            }
        }
        match webp {
            Some(w) if w.bytes.len() >= fallback.bytes.len() => dropped.push(Dropped {
                width,
                format: OutFormat::Webp,
                reason: format!(
                    "webp {} ≥ {} {}",
                    guard_size(w.bytes.len()),
                    fallback.format,
                    guard_size(fallback.bytes.len())
                ),
            }),
            Some(w) => kept.push(w),
            None => {}
        }
        kept.push(fallback);
    }
    kept
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
        }
    }

    fn encoded(outputs: Vec<Output>, frames: Option<usize>) -> Encoded {
        Encoded {
            width: 960,
            height: 480,
            lossless: false,
            orientation: 1,
            frames,
            outputs,
            dropped: vec![],
            conversions: vec![],
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
    fn the_source_replaces_a_bigger_fallback_at_its_own_width_only() {
        use OutFormat::*;
        let e = encoded(
            vec![
                out(480, Jpeg, 900, Origin::Encoded),
                out(960, Jpeg, 900, Origin::Encoded),
                out(960, Jpeg, 700, Origin::SourceBytes),
            ],
            None,
        );
        let c = select(e, 800, vec![]);
        let origins: Vec<Origin> = c.outputs.iter().map(|o| o.origin).collect();
        assert_eq!(origins, vec![Origin::Encoded, Origin::SourceBytes]);
        // A fallback within the source's size keeps its own encode.
        let e = encoded(
            vec![
                out(960, Jpeg, 700, Origin::Encoded),
                out(960, Jpeg, 600, Origin::SourceBytes),
            ],
            None,
        );
        assert_eq!(select(e, 800, vec![]).outputs[0].origin, Origin::Encoded);
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
}

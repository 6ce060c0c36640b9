//! Still images: source bytes and a [`Request`] in, one candidate per requested op out.
//!
//! The source is decoded **once**; each requested width is resized once and encoded as the ops
//! ask: WebP ([`webp`]), AVIF ([`avif`]; 4:4:4 for a graphic, 4:2:0 for a photo), a progressive JPEG ([`jpeg`]) or an
//! oxipng PNG ([`png`]), or the source's own bytes with metadata stripped. The one
//! decision left to this room is [`WebpMode::Decide`]: lossless WebP for a graphic only where it
//! is not larger than lossy, which needs the pixels to measure.

use std::borrow::Cow;

use super::avif::Chroma;
use super::decode::{self, Decoded};
use super::output::{Conversion, Encoded, Origin, Output};
use super::pixels::Pixels;
use super::request::{Op, Request, WebpMode};
use super::resize::Resizer;
use super::settings::{DecodeLimits, EncodeSettings};
use super::{avif, classify, jpeg, metadata, placeholder, png, webp};
use crate::error::{EncoderFault, ImageFault, InputFault};
use crate::format::{Format, OutFormat};
use crate::timings::{time, Stage};

/// Width at which [`WebpMode::Decide`] tries both WebP modes on a graphic.
pub const LOSSLESS_PROBE_WIDTH: u32 = 480;

/// Decode `bytes` once and make every op of `req`, in order; then, when `req.offer_source`
/// and the source may be served as is (upright, already sRGB), its stripped bytes.
pub fn encode(
    bytes: &[u8],
    req: &Request,
    settings: &EncodeSettings,
    limits: &DecodeLimits,
) -> Result<Encoded, ImageFault> {
    let src = time(Stage::Decode, || decode::decode(bytes, limits))?;
    if let Some(op) = req.ops.iter().find(|op| !makes_sense(op, &src)) {
        return Err(EncoderFault::Failed {
            format: op.format,
            width: op.width,
            reason: format!(
                "not a variant of this {}×{} {} source (postpix never upscales, and serves {} \
                 fallbacks for it)",
                src.pixels.width,
                src.pixels.height,
                src.format.name(),
                OutFormat::fallback_for(src.format)
            ),
        }
        .into());
    }
    let mut resizer = Resizer::new();
    let (lossless, mut probe) = match req.webp {
        WebpMode::Lossy => (false, None),
        WebpMode::Lossless => (true, None),
        WebpMode::Decide => choose_lossless(&src, settings, &mut resizer)?,
    };
    let chroma = if req.ops.iter().any(|op| op.format == OutFormat::Avif) {
        avif_chroma(&src)
    } else {
        Chroma::Half
    };
    let mut outputs = Vec::with_capacity(req.ops.len() + 1);
    let mut resized: Option<Cow<'_, Pixels>> = None;
    for op in &req.ops {
        if op.origin == Origin::SourceBytes {
            outputs.push(source_output(bytes, &src, op.format)?);
            continue;
        }
        if resized.as_ref().is_none_or(|px| px.width != op.width) {
            resized = Some(time(Stage::Resize, || {
                resizer.to_width(&src.pixels, op.width)
            })?);
        }
        let Some(px) = resized.as_deref() else {
            continue;
        };
        // The lossless decision already encoded this width both ways: reuse the winner.
        let reused = match probe.take() {
            Some((a, b)) if op.format == OutFormat::Webp && a.width == op.width => {
                Some(if lossless { a } else { b })
            }
            other => {
                probe = other;
                None
            }
        };
        let out = match reused {
            Some(out) => out,
            None => encode_op(px, op, lossless, chroma, settings)?,
        };
        outputs.push(out);
    }
    let servable = src.orientation == 1 && src.colour.is_none();
    if req.offer_source && servable {
        if let Some(stripped) = metadata::strip_metadata(bytes, src.format) {
            outputs.push(Output {
                width: src.pixels.width,
                height: src.pixels.height,
                format: OutFormat::of_source(src.format),
                bytes: stripped,
                origin: Origin::SourceBytes,
            });
        }
    }
    let mut conversions: Vec<Conversion> =
        src.colour.iter().cloned().map(Conversion::Colour).collect();
    if src.orientation != 1 {
        conversions.push(Conversion::Orientation(src.orientation));
    }
    conversions.extend(metadata::removed(bytes, src.format));
    Ok(Encoded {
        width: src.pixels.width,
        height: src.pixels.height,
        lossless,
        orientation: src.orientation,
        frames: None,
        outputs,
        dropped: Vec::new(),
        conversions,
        placeholder: placeholder::dominant(&src.pixels),
    })
}

/// Whether `op` is something this source can become: no wider than it, and either WebP, its
/// fallback family or its own bytes.
fn makes_sense(op: &Op, src: &Decoded) -> bool {
    let format_ok = match op.origin {
        Origin::Encoded => {
            op.format.is_modern() || op.format == OutFormat::fallback_for(src.format)
        }
        Origin::SourceBytes => op.format == OutFormat::of_source(src.format),
    };
    op.width > 0 && op.width <= src.pixels.width && format_ok
}

/// AVIF's chroma for this source: full for a graphic (sharp coloured edges), half for a photo.
fn avif_chroma(src: &Decoded) -> Chroma {
    if src.format != Format::Jpeg && classify::is_graphic(&src.pixels) {
        Chroma::Full
    } else {
        Chroma::Half
    }
}

/// One encoded output at `px`'s size (`chroma` applies to AVIF only).
fn encode_op(
    px: &Pixels,
    op: &Op,
    lossless: bool,
    chroma: Chroma,
    settings: &EncodeSettings,
) -> Result<Output, EncoderFault> {
    let bytes = match op.format {
        OutFormat::Webp => time(Stage::Webp, || webp::encode(px, lossless, settings))?,
        OutFormat::Avif => time(Stage::Avif, || avif::encode(px, chroma, settings))?,
        OutFormat::Jpeg => time(Stage::Fallback, || jpeg::encode(px, settings.jpeg_quality))?,
        OutFormat::Png => time(Stage::Fallback, || png::encode(px, settings.png_preset))?,
        OutFormat::Gif => {
            return Err(EncoderFault::Failed {
                format: OutFormat::Gif,
                width: px.width,
                reason: "postpix never encodes GIF; a GIF source is served as is".into(),
            })
        }
    };
    Ok(Output {
        width: px.width,
        height: px.height,
        format: op.format,
        bytes,
        origin: Origin::Encoded,
    })
}

/// The source's own bytes, metadata stripped, at its own size.
fn source_output(bytes: &[u8], src: &Decoded, format: OutFormat) -> Result<Output, InputFault> {
    let stripped = metadata::strip_metadata(bytes, src.format)
        .ok_or(InputFault::Unstrippable(src.format.name()))?;
    Ok(Output {
        width: src.pixels.width,
        height: src.pixels.height,
        format,
        bytes: stripped,
        origin: Origin::SourceBytes,
    })
}

/// Lossless or lossy WebP for this source, and the probe encodes that decided it (lossless,
/// lossy), to reuse when the probe width is also a variant width.
///
/// JPEGs never come here (the plan makes them lossy). A PNG or GIF that
/// [`classify::is_graphic`] calls a graphic gets lossless WebP only if, at
/// [`LOSSLESS_PROBE_WIDTH`] (or its own width when narrower), lossless is no larger than lossy:
/// flat diagrams, icons and pixel art usually are, and then lossless is both sharper and
/// smaller; a busy screenshot or a photo-like drawing is not, and then a reader should not pay
/// for exactness. Deciding once at one fixed width keeps every width of an image in one mode
/// and makes the decision independent of `--widths`.
fn choose_lossless(
    src: &Decoded,
    settings: &EncodeSettings,
    resizer: &mut Resizer,
) -> Result<(bool, Option<(Output, Output)>), EncoderFault> {
    if src.format == Format::Jpeg || !classify::is_graphic(&src.pixels) {
        return Ok((false, None));
    }
    let width = src.pixels.width.min(LOSSLESS_PROBE_WIDTH);
    let px = time(Stage::Resize, || resizer.to_width(&src.pixels, width))?;
    if !webp::fits(px.width, px.height) {
        // Too large for WebP at the probe width: nothing to compare, the rule's first answer.
        return Ok((true, None));
    }
    let op = |format| Op {
        width,
        height: px.height,
        format,
        origin: Origin::Encoded,
    };
    let lossy = encode_op(&px, &op(OutFormat::Webp), false, Chroma::Half, settings)?;
    // Lossless WebP is the expensive encode, so skip it where it cannot win: on the corpus's
    // graphics it is never below 0.58× a fast (preset 0) PNG of the same pixels, so a lossy
    // WebP under half that PNG is the smaller one for sure.
    let png = time(Stage::Fallback, || png::encode(&px, 0))?;
    if lossy.bytes.len() * 2 < png.len() {
        return Ok((false, None));
    }
    let lossless = encode_op(&px, &op(OutFormat::Webp), true, Chroma::Half, settings)?;
    Ok((
        lossless.bytes.len() <= lossy.bytes.len(),
        Some((lossless, lossy)),
    ))
}

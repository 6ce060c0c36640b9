//! Still images: source bytes and a [`Request`] in, one candidate per requested op out.
//!
//! The source is decoded **once**; each requested width is resized once and encoded as the ops
//! ask: WebP ([`webp`]), AVIF ([`avif`]; 4:4:4 for a graphic, 4:2:0 for a photo), a
//! progressive JPEG ([`jpeg`]) or an oxipng PNG ([`png`]), or the source's own bytes with metadata stripped. The decisions that
//! need pixels (lossless or lossy WebP for [`WebpMode::Decide`], and the qualities of
//! [`Quality::Auto`](super::request::Quality)) are made once per image by [`quality::choose`];
//! this room encodes every width at what it chose and reports it.

use std::borrow::Cow;

use super::avif::Chroma;
use super::decode::{self, Decoded};
use super::output::{Conversion, Encoded, Origin, Output};
use super::pixels::Pixels;
use super::request::{Op, Pinned, Request, WebpMode};
use super::resize::Resizer;
use super::settings::{DecodeLimits, EncodeSettings};
use super::{avif, classify, jpeg, metadata, placeholder, png, quality, webp};
use crate::error::{EncoderFault, ImageFault, InputFault};
use crate::format::{Format, OutFormat};
use crate::timings::{time, Stage};

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
    let graphic = is_graphic(&src, req);
    let chroma = Chroma::for_content(graphic);
    let choice = quality::choose(&src, req, settings, graphic, &mut resizer)?;
    let lossless = choice.lossless;
    let chosen = EncodeSettings {
        jpeg_quality: choice.jpeg,
        avif_quality: choice.avif,
        ..settings.with_webp_quality(choice.webp)
    };
    let mut made = choice.made;
    let mut outputs = Vec::with_capacity(req.ops.len() + 1);
    let mut resized: Option<Cow<'_, Pixels>> = None;
    for op in &req.ops {
        if op.origin == Origin::SourceBytes {
            outputs.push(source_output(bytes, &src, op.format)?);
            continue;
        }
        // The search already encoded this width at the chosen settings: reuse it, and don't
        // resize for it (the probe width is often wholly made by the search).
        if let Some(i) = made
            .iter()
            .position(|m| m.format == op.format && m.width == op.width)
        {
            outputs.push(made.swap_remove(i));
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
        let pin = req
            .pinned
            .iter()
            .find(|p| p.width == op.width && p.format == op.format);
        let out = match pin {
            Some(pin) => {
                let own = pinned(&chosen, pin);
                encode_op(px, op, pin.quality.is_none(), chroma, &own)?
            }
            None => encode_op(px, op, lossless, chroma, &chosen)?,
        };
        outputs.push(out);
    }
    let servable = src.orientation == 1 && src.colour.is_none();
    if req.offer_source && servable {
        if let Some(stripped) = metadata::strip_metadata(bytes, src.format) {
            outputs.push(Output::new(
                src.pixels.width,
                src.pixels.height,
                OutFormat::of_source(src.format),
                stripped,
                Origin::SourceBytes,
            ));
        }
    }
    let has = |f: OutFormat| {
        req.ops
            .iter()
            .any(|o| o.format == f && o.origin == Origin::Encoded)
    };
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
        webp_quality: (!lossless && has(OutFormat::Webp)).then_some(choice.webp),
        jpeg_quality: has(OutFormat::Jpeg).then_some(choice.jpeg),
        avif_quality: has(OutFormat::Avif).then_some(choice.avif),
        search_encodes: choice.encodes,
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

/// Whether the source is a graphic, measured once, and only where a decision needs it: the
/// lossless-or-lossy question of [`WebpMode::Decide`] and AVIF's chroma. A JPEG never is.
fn is_graphic(src: &Decoded, req: &Request) -> bool {
    let needed =
        req.webp == WebpMode::Decide || req.ops.iter().any(|op| op.format == OutFormat::Avif);
    needed && src.format != Format::Jpeg && classify::is_graphic(&src.pixels)
}

/// `settings` with a pinned variant's own quality for its format.
fn pinned(settings: &EncodeSettings, pin: &Pinned) -> EncodeSettings {
    let Some(q) = pin.quality else {
        return settings.clone();
    };
    match pin.format {
        OutFormat::Avif => settings.with_avif_quality(q),
        OutFormat::Jpeg => EncodeSettings {
            jpeg_quality: q.round().clamp(0.0, 100.0) as u8,
            ..settings.clone()
        },
        _ => settings.with_webp_quality(q),
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
    let mut out = Output::new(px.width, px.height, op.format, bytes, Origin::Encoded);
    match op.format {
        OutFormat::Webp if !lossless => out.quality = Some(settings.webp_quality),
        OutFormat::Jpeg => out.quality = Some(f32::from(settings.jpeg_quality)),
        OutFormat::Avif => out.quality = Some(settings.avif_quality),
        // Lossless: the resized pixels exactly.
        _ => out.score = Some(100.0),
    }
    Ok(out)
}

/// The source's own bytes, metadata stripped, at its own size.
fn source_output(bytes: &[u8], src: &Decoded, format: OutFormat) -> Result<Output, InputFault> {
    let stripped = metadata::strip_metadata(bytes, src.format)
        .ok_or(InputFault::Unstrippable(src.format.name()))?;
    Ok(Output::new(
        src.pixels.width,
        src.pixels.height,
        format,
        stripped,
        Origin::SourceBytes,
    ))
}

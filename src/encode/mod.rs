//! Encode: one source file's bytes in, every variant's bytes out.
//!
//! A source is decoded **once** ([`decode`]), turned upright, reduced to 8-bit Luma/RGB/RGBA,
//! then for each planned width ([`plan_widths`]) resized ([`resize`]) and written as WebP
//! ([`webp`]) plus a fallback in the source's own family: progressive JPEG ([`jpeg`]) for JPEG
//! sources, oxipng-optimised PNG ([`png`]) for PNG and still-GIF sources. Lossless vs lossy WebP
//! follows [`classify::is_graphic`]. A size guard drops WebP variants that do not beat their
//! fallback, and serves the (metadata-stripped, [`metadata`]) source file itself when re-encoding
//! at its own width would only make it bigger. Animated GIFs take their own path
//! ([`encode_animated`]: animated WebP per width, the GIF itself as fallback). Nothing here
//! touches the file system.

pub mod animated;
pub mod classify;
pub mod colour;
pub mod decode;
pub mod gif;
pub mod jfif;
pub mod jpeg;
pub mod metadata;
pub mod png;
pub mod resize;
pub mod webp;

pub use animated::encode_animated;
use serde::Serialize;

use crate::format::Format;
use crate::timings::{time, Stage};
pub use decode::{Decoded, Layout, Pixels};

/// Encoder settings; everything that changes output bytes, so [`EncodeSettings::fingerprint`]
/// can key a cache on it.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodeSettings {
    /// Lossy WebP quality, 0–100. Default 80.
    pub webp_quality: f32,
    /// WebP effort, 0 (fast) – 6 (small). Default 4; 2 is ≈3× faster for ≈+4 % bytes.
    pub webp_method: i32,
    /// JPEG fallback quality, 1–100. Default 80.
    pub jpeg_quality: u8,
    /// oxipng preset for PNG fallbacks, 0–6. Default 0: the fallback only reaches browsers
    /// without WebP, and presets 1 and 2 cost 1.6× and 2.2× the CPU for PNGs 7 % and 8 % smaller
    /// (benches/compare).
    pub png_preset: u8,
    /// Whether WebP variants are lossless. Default [`LosslessMode::Auto`].
    pub lossless: LosslessMode,
}

impl Default for EncodeSettings {
    fn default() -> Self {
        Self {
            webp_quality: 80.0,
            webp_method: 4,
            jpeg_quality: 80,
            png_preset: 0,
            lossless: LosslessMode::Auto,
        }
    }
}

impl EncodeSettings {
    /// Canonical string of every setting (and of this module's encoding scheme version), for
    /// cache keys: equal fingerprints promise byte-identical outputs for the same source.
    pub fn fingerprint(&self) -> String {
        format!(
            "encode-v4;webp_q={};webp_m={};jpeg_q={};png_o={};lossless={}",
            self.webp_quality,
            self.webp_method,
            self.jpeg_quality,
            self.png_preset,
            match self.lossless {
                LosslessMode::Auto => "auto",
                LosslessMode::Always => "always",
                LosslessMode::Never => "never",
            }
        )
    }
}

/// How to choose between lossy and lossless WebP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LosslessMode {
    /// JPEG sources lossy; PNG/GIF sources lossless when [`classify::is_graphic`] says so.
    Auto,
    /// Always lossless WebP.
    Always,
    /// Always lossy WebP.
    Never,
}

/// Limits applied before and during decoding, against decompression bombs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted width × height, checked from the header before any pixel is decoded.
    /// Default 100 000 000 (100 MP).
    pub max_pixels: u64,
    /// Largest allocation the decoder may make, in bytes. Default 1 GiB, which holds a 100 MP
    /// RGBA8 image (400 MB) with room for the decoder's own buffers.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
            max_alloc: 1 << 30,
        }
    }
}

/// Format of one output file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutFormat {
    /// WebP, lossy or lossless.
    Webp,
    /// Progressive baseline-compatible JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// GIF (only ever the source's own bytes).
    Gif,
}

impl OutFormat {
    /// File extension without the dot.
    pub fn extension(&self) -> &'static str {
        match self {
            OutFormat::Webp => "webp",
            OutFormat::Jpeg => "jpg",
            OutFormat::Png => "png",
            OutFormat::Gif => "gif",
        }
    }

    /// MIME type, as used in `<source type=…>`.
    pub fn mime(&self) -> &'static str {
        match self {
            OutFormat::Webp => "image/webp",
            OutFormat::Jpeg => "image/jpeg",
            OutFormat::Png => "image/png",
            OutFormat::Gif => "image/gif",
        }
    }

    fn name(self) -> &'static str {
        match self {
            OutFormat::Jpeg => "jpeg",
            other => other.extension(),
        }
    }
}

impl std::fmt::Display for OutFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where an output's bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Produced by an encoder.
    Encoded,
    /// The source file's own bytes (metadata stripped), served as the fallback at its own width
    /// because re-encoding made it larger.
    SourceBytes,
}

/// One written variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// File format.
    pub format: OutFormat,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Encoded, or the source file's own bytes.
    pub origin: Origin,
}

/// A variant that was planned but not kept, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// Pixel width of the variant.
    pub width: u32,
    /// Its format.
    pub format: OutFormat,
    /// Human-readable reason, e.g. `webp 41.0 KB ≥ jpeg 39.2 KB`.
    pub reason: String,
}

/// Everything produced for one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// Upright source width (after EXIF orientation).
    pub width: u32,
    /// Upright source height.
    pub height: u32,
    /// Whether the WebP variants are lossless.
    pub lossless: bool,
    /// EXIF orientation (1–8) that was applied to the pixels.
    pub orientation: u8,
    /// Kept variants, by ascending width, WebP before the fallback.
    pub outputs: Vec<Output>,
    /// Variants left out, with the reason.
    pub dropped: Vec<Dropped>,
    /// What was done to the source on the way, one line each, for the report: colour
    /// conversion (`"Display P3 → sRGB"`), orientation applied, frames, metadata removed.
    pub conversions: Vec<String>,
}

/// Why a source could not be encoded. Messages say what is wrong and what to do; the caller
/// adds the file name.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The bytes are not a JPEG, PNG or GIF.
    #[error("not a JPEG, PNG or GIF image ({found}); postpix leaves it as it is")]
    Unsupported {
        /// What the bytes look like instead.
        found: String,
    },
    /// The decoder rejected the file (truncated, corrupt, ...).
    #[error("cannot decode the image: {0}; re-export it from an image editor")]
    Decode(String),
    /// The header announces more pixels than allowed.
    #[error(
        "image is {width}×{height} = {pixels} pixels, over the limit of {max_pixels}; \
         downscale it or raise the pixel limit"
    )]
    TooLarge {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// width × height.
        pixels: u64,
        /// The configured limit.
        max_pixels: u64,
    },
    /// An encoder failed.
    #[error("cannot encode {format} at {width} px: {reason}")]
    Encode {
        /// Output format.
        format: OutFormat,
        /// Output width.
        width: u32,
        /// What the encoder said.
        reason: String,
    },
    /// Animated GIFs go through [`encode_animated`], not [`encode_source`].
    #[error("animated GIF with {frames} frames; it needs the animated encoder (encode_animated)")]
    Animated {
        /// Number of frames.
        frames: usize,
    },
}

/// The fallback format served next to WebP for a source format: JPEG stays JPEG, PNG and still
/// GIF become PNG (GIF's 256-colour palette only loses against PNG).
pub fn fallback_format(src: Format) -> OutFormat {
    match src {
        Format::Jpeg => OutFormat::Jpeg,
        _ => OutFormat::Png,
    }
}

/// The widths to produce for a source `source_width` px wide, ascending.
///
/// Never upscales: configured widths above the source are dropped, and when the source is
/// narrower than the largest configured width its own width becomes the top variant. Widths
/// within 10 % of each other are not worth a file: walking down from the largest, a width is kept
/// only if it is at most 0.9 × the last kept one. An empty `configured` list means "the source
/// width only".
pub fn plan_widths(source_width: u32, configured: &[u32]) -> Vec<u32> {
    if source_width == 0 {
        return Vec::new();
    }
    let mut candidates: Vec<u32> = configured
        .iter()
        .copied()
        .filter(|&w| w > 0 && w <= source_width)
        .collect();
    let largest = configured.iter().copied().max().unwrap_or(0);
    if source_width < largest || configured.is_empty() {
        candidates.push(source_width);
    }
    candidates.sort_unstable_by(|a, b| b.cmp(a));
    candidates.dedup();
    let mut kept: Vec<u32> = Vec::with_capacity(candidates.len());
    for w in candidates {
        // Integer form of `w <= 0.9 * last`, exact for every u32.
        if kept
            .last()
            .is_none_or(|&last| u64::from(w) * 10 <= u64::from(last) * 9)
        {
            kept.push(w);
        }
    }
    kept.reverse();
    kept
}

/// Height for `width` keeping the aspect ratio of `src_w`×`src_h`: round(H·w/W), at least 1.
pub fn scaled_height(src_w: u32, src_h: u32, width: u32) -> u32 {
    if src_w == 0 {
        return 1;
    }
    let h = (u64::from(src_h) * u64::from(width) * 2 + u64::from(src_w)) / (u64::from(src_w) * 2);
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

/// Decode `bytes` once and produce WebP + fallback variants at the planned widths.
///
/// `widths` are the configured widths; [`plan_widths`] decides which are made. Animated GIFs
/// return [`EncodeError::Animated`].
pub fn encode_source(
    bytes: &[u8],
    widths: &[u32],
    settings: &EncodeSettings,
    limits: &DecodeLimits,
) -> Result<Encoded, EncodeError> {
    let src = time(Stage::Decode, || decode::decode(bytes, limits))?;
    let mut resizer = resize::Resizer::new();
    let (lossless, mut probe) = choose_lossless(&src, settings, &mut resizer)?;
    let fb_format = fallback_format(src.format);
    let mut outputs = Vec::new();
    let mut dropped = Vec::new();
    for width in plan_widths(src.pixels.width, widths) {
        let px = time(Stage::Resize, || resizer.to_width(&src.pixels, width))?;
        let fallback = time(Stage::Fallback, || {
            fallback_variant(bytes, &src, &px, fb_format, settings)
        })?;
        // The lossless decision already encoded this width both ways: reuse the winner.
        let reused = match probe.take() {
            Some((a, b)) if a.width == width => Some(if lossless { a } else { b }),
            other => {
                probe = other;
                None
            }
        };
        let webp = match reused {
            Some(out) => Ok(out),
            None => time(Stage::Webp, || webp_variant(&px, lossless, settings)),
        };
        match webp {
            Ok(webp) => {
                if webp.bytes.len() >= fallback.bytes.len() {
                    dropped.push(Dropped {
                        width,
                        format: OutFormat::Webp,
                        reason: format!(
                            "webp {} ≥ {} {}",
                            human_size(webp.bytes.len()),
                            fallback.format,
                            human_size(fallback.bytes.len())
                        ),
                    });
                } else {
                    outputs.push(webp);
                }
            }
            Err(WebpOutcome::Drop(reason)) => dropped.push(Dropped {
                width,
                format: OutFormat::Webp,
                reason,
            }),
            Err(WebpOutcome::Fail(e)) => return Err(e),
        }
        outputs.push(fallback);
    }
    let mut conversions: Vec<String> = src.colour.iter().cloned().collect();
    if let Some(o) = orientation_note(src.orientation) {
        conversions.push(o);
    }
    if let Some(m) = metadata::removed_note(bytes, src.format) {
        conversions.push(m);
    }
    Ok(Encoded {
        width: src.pixels.width,
        height: src.pixels.height,
        lossless,
        orientation: src.orientation,
        outputs,
        dropped,
        conversions,
    })
}

/// Re-create exactly one variant (cache repair). Gives the same bytes as [`encode_source`] did
/// for that width and format, including the source-bytes substitution for the fallback at the
/// source's own width. The WebP size guard is not re-checked: the caller asks for a variant it
/// knows was kept.
pub fn encode_one(
    bytes: &[u8],
    width: u32,
    format: OutFormat,
    settings: &EncodeSettings,
    limits: &DecodeLimits,
) -> Result<Output, EncodeError> {
    let src = decode::decode(bytes, limits)?;
    if width == 0 || width > src.pixels.width {
        return Err(EncodeError::Encode {
            format,
            width,
            reason: format!(
                "the upright source is only {} px wide; postpix never upscales",
                src.pixels.width
            ),
        });
    }
    let px = resize::Resizer::new().to_width(&src.pixels, width)?;
    match format {
        OutFormat::Webp => {
            webp_variant(&px, is_lossless(&src, settings), settings).map_err(|e| match e {
                WebpOutcome::Fail(e) => e,
                WebpOutcome::Drop(reason) => EncodeError::Encode {
                    format,
                    width,
                    reason,
                },
            })
        }
        f if f == fallback_format(src.format) => fallback_variant(bytes, &src, &px, f, settings),
        f => Err(EncodeError::Encode {
            format: f,
            width,
            reason: format!(
                "postpix makes {} fallbacks for {} sources, not {f}",
                fallback_format(src.format),
                src.format.name()
            ),
        }),
    }
}

/// `"EXIF orientation 6 applied (rotated 90° clockwise)"`; `None` for 1 (nothing to do).
pub fn orientation_note(orientation: u8) -> Option<String> {
    let what = match orientation {
        2 => "mirrored left-right",
        3 => "rotated 180°",
        4 => "mirrored top-bottom",
        5 => "transposed",
        6 => "rotated 90° clockwise",
        7 => "transversed",
        8 => "rotated 90° counter-clockwise",
        _ => return None,
    };
    Some(format!("EXIF orientation {orientation} applied ({what})"))
}

/// Width at which `LosslessMode::Auto` tries both WebP modes on a graphic.
pub const LOSSLESS_PROBE_WIDTH: u32 = 480;

/// Lossless or lossy WebP for this source, and the probe encodes that decided it (to reuse when
/// the probe width is also a variant width).
///
/// `Auto`: JPEGs are photos, so lossy. A PNG or GIF that [`classify::is_graphic`] calls a
/// graphic gets lossless WebP only if, at [`LOSSLESS_PROBE_WIDTH`] (or its own width when
/// narrower), lossless is no larger than lossy (q80): flat diagrams, icons and pixel art usually are,
/// and then lossless is both sharper and smaller; a busy screenshot or a photo-like drawing is
/// not, and then a reader should not pay for exactness. Deciding once at one fixed width keeps
/// every width of an image in one mode and makes the decision independent of `--widths`.
fn choose_lossless(
    src: &Decoded,
    settings: &EncodeSettings,
    resizer: &mut resize::Resizer,
) -> Result<(bool, Option<(Output, Output)>), EncodeError> {
    match settings.lossless {
        LosslessMode::Always => return Ok((true, None)),
        LosslessMode::Never => return Ok((false, None)),
        LosslessMode::Auto => {}
    }
    if src.format == Format::Jpeg || !classify::is_graphic(&src.pixels) {
        return Ok((false, None));
    }
    let width = src.pixels.width.min(LOSSLESS_PROBE_WIDTH);
    let px = time(Stage::Resize, || resizer.to_width(&src.pixels, width))?;
    let lossy = match time(Stage::Webp, || webp_variant(&px, false, settings)) {
        Ok(o) => o,
        Err(WebpOutcome::Fail(e)) => return Err(e),
        // Too large for WebP at the probe width: nothing to compare, the rule's first answer.
        Err(WebpOutcome::Drop(_)) => return Ok((true, None)),
    };
    // Lossless WebP is the expensive encode, so skip it where it cannot win: on the corpus's
    // graphics it is never below 0.58× a fast (preset 0) PNG of the same pixels, so a lossy
    // WebP under half that PNG is the smaller one for sure.
    let png =
        time(Stage::Fallback, || png::encode(&px, 0)).map_err(|reason| EncodeError::Encode {
            format: OutFormat::Png,
            width,
            reason,
        })?;
    if lossy.bytes.len() * 2 < png.len() {
        return Ok((false, None));
    }
    match time(Stage::Webp, || webp_variant(&px, true, settings)) {
        Ok(lossless) => Ok((
            lossless.bytes.len() <= lossy.bytes.len(),
            Some((lossless, lossy)),
        )),
        Err(WebpOutcome::Fail(e)) => Err(e),
        Err(WebpOutcome::Drop(_)) => Ok((false, None)),
    }
}

fn is_lossless(src: &Decoded, settings: &EncodeSettings) -> bool {
    choose_lossless(src, settings, &mut resize::Resizer::new())
        .map(|(l, _)| l)
        .unwrap_or(false)
}

enum WebpOutcome {
    /// Not an error of the file: the variant is simply left out.
    Drop(String),
    Fail(EncodeError),
}

fn webp_variant(
    px: &Pixels,
    lossless: bool,
    settings: &EncodeSettings,
) -> Result<Output, WebpOutcome> {
    if px.width > webp::MAX_SIDE || px.height > webp::MAX_SIDE {
        return Err(WebpOutcome::Drop(format!(
            "{}×{} exceeds WebP's {} px limit per side",
            px.width,
            px.height,
            webp::MAX_SIDE
        )));
    }
    let bytes = webp::encode(px, lossless, settings).map_err(|reason| {
        WebpOutcome::Fail(EncodeError::Encode {
            format: OutFormat::Webp,
            width: px.width,
            reason,
        })
    })?;
    Ok(Output {
        width: px.width,
        height: px.height,
        format: OutFormat::Webp,
        bytes,
        origin: Origin::Encoded,
    })
}

/// The fallback at `px`'s width; at the source's own width, the stripped source file instead
/// when that is smaller and safe (no orientation to apply, no colour conversion, metadata
/// removable).
fn fallback_variant(
    source_bytes: &[u8],
    src: &Decoded,
    px: &Pixels,
    format: OutFormat,
    settings: &EncodeSettings,
) -> Result<Output, EncodeError> {
    let encoded = match format {
        OutFormat::Jpeg => jpeg::encode(px, settings.jpeg_quality),
        _ => png::encode(px, settings.png_preset),
    }
    .map_err(|reason| EncodeError::Encode {
        format,
        width: px.width,
        reason,
    })?;
    let at_source_width = px.width == src.pixels.width && px.height == src.pixels.height;
    // The source file is served as is only when its pixels are exactly what we decoded: upright
    // and already sRGB (a converted source would show different colours than its variants).
    if at_source_width
        && src.orientation == 1
        && src.colour.is_none()
        && encoded.len() > source_bytes.len()
    {
        if let Some(stripped) = metadata::strip_metadata(source_bytes, src.format) {
            if stripped.len() < encoded.len() {
                let format = match src.format {
                    Format::Jpeg => OutFormat::Jpeg,
                    Format::Gif => OutFormat::Gif,
                    _ => OutFormat::Png,
                };
                return Ok(Output {
                    width: px.width,
                    height: px.height,
                    format,
                    bytes: stripped,
                    origin: Origin::SourceBytes,
                });
            }
        }
    }
    Ok(Output {
        width: px.width,
        height: px.height,
        format,
        bytes: encoded,
        origin: Origin::Encoded,
    })
}

fn human_size(n: usize) -> String {
    if n < 10 * 1024 {
        format!("{n} B")
    } else {
        format!("{:.1} KB", n as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests;

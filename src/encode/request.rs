//! Request: what the plan asks the encoder to make of one source, decided before any pixel is
//! read.
//!
//! A [`Request`] lists the exact outputs ([`Op`]s) wanted, in order, and the decisions that
//! apply to all of them: still or animated, lossy or lossless WebP (or "decide by measuring").
//! The encoder makes exactly these; it decides nothing the plan could have decided.

use super::output::Origin;
use crate::format::OutFormat;

/// Still image or animation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One frame: decoded once, resized per width.
    Still,
    /// An animated GIF: every frame, to animated WebP; the GIF itself is the fallback.
    Animated,
}

/// How still WebP variants are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebpMode {
    /// Lossy at the configured quality.
    Lossy,
    /// Lossless.
    Lossless,
    /// A graphic gets lossless only if, at the probe width, lossless is no larger than lossy;
    /// the encoder measures and the result records what it chose. Needs pixels, so it is the
    /// one choice the plan leaves to the encoder (and then remembers, in the manifest).
    Decide,
}

/// How lossy still variants (WebP and the JPEG fallback) get their quality.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quality {
    /// The lowest quality whose SSIMULACRA2 reaches `target`, searched per image and format on
    /// one width and carried to the others, with a check on the wider ones (which may get their
    /// own quality, recorded per output); the encoder returns what it chose (and the
    /// manifest remembers it, like [`WebpMode::Decide`]'s answer).
    Auto {
        /// SSIMULACRA2 score to reach.
        target: f32,
    },
    /// These qualities, as they are (`--quality N`, or a repair re-making a remembered choice).
    Fixed {
        /// Lossy WebP quality.
        webp: f32,
        /// JPEG quality.
        jpeg: u8,
        /// AVIF quality (libavif's 0–100 scale).
        avif: f32,
    },
}

/// One output file to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// Pixel width (never above the upright source width).
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// File format.
    pub format: OutFormat,
    /// Encoded, or the source file's own bytes with metadata stripped.
    pub origin: Origin,
}

/// Everything the encoder is asked to make of one source.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Still or animated.
    pub shape: Shape,
    /// Lossy, lossless or measured, for still WebP ops.
    pub webp: WebpMode,
    /// Searched or fixed quality for the lossy still ops (animations use the configured WebP
    /// quality).
    pub quality: Quality,
    /// The outputs, in the order they are returned.
    pub ops: Vec<Op>,
    /// Variants that got their own quality (the check on the widths above the probe width),
    /// to be re-made at it; empty for a fresh encode.
    pub pinned: Vec<Pinned>,
    /// Also offer the stripped source file at its own width when it may be served as is
    /// (upright, already sRGB), for the size guard to choose against the re-encoded fallback.
    pub offer_source: bool,
}

/// One variant's own quality, remembered from the encode that chose it (a repair re-makes the
/// variant at it instead of at the image's quality for the format).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pinned {
    /// Pixel width of the variant.
    pub width: u32,
    /// Its format (lossy WebP, AVIF or JPEG).
    pub format: OutFormat,
    /// Its quality; `None`: lossless WebP.
    pub quality: Option<f32>,
}

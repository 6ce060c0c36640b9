//! Settings: everything that shapes the encoders' output bytes ([`EncodeSettings`]) and the
//! limits the decoder works under ([`DecodeLimits`]). Plain values, validated by `config`;
//! [`EncodeSettings::fingerprint`] keys the cache on them.

use serde::Serialize;

/// Default lossy WebP quality.
pub const DEFAULT_WEBP_QUALITY: f32 = 80.0;
/// Default WebP effort (libwebp's own default).
pub const DEFAULT_WEBP_METHOD: i32 = 4;
/// Default SSIMULACRA2 target of `--quality auto` (see the README for how it was chosen).
pub const DEFAULT_TARGET: f32 = 72.0;
/// Default AVIF quality, 0–100 (libavif's scale: quantizer = (100 − q) × 63 / 100).
pub const DEFAULT_AVIF_QUALITY: f32 = 60.0;
/// Default AVIF speed, 0 (slow, small) – 10 (fast), libavif's scale over libaom.
pub const DEFAULT_AVIF_SPEED: i32 = 8;
/// Default JPEG fallback quality.
pub const DEFAULT_JPEG_QUALITY: u8 = 80;
/// Default oxipng preset for PNG fallbacks.
pub const DEFAULT_PNG_PRESET: u8 = 0;
/// Default pixel limit (100 MP).
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;
/// Default decoder allocation cap (1 GiB).
pub const DEFAULT_MAX_ALLOC: u64 = 1 << 30;

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
    /// `--quality auto`: the SSIMULACRA2 score each still image's lossy WebP and JPEG must
    /// reach, at the lowest quality that reaches it. `None`: `webp_quality` and `jpeg_quality`
    /// are used as they are. Default `Some(`[`DEFAULT_TARGET`]`)`.
    pub target: Option<f32>,
    /// AVIF quality, 0–100. Default [`DEFAULT_AVIF_QUALITY`].
    pub avif_quality: f32,
    /// AVIF speed, 0–10. Default [`DEFAULT_AVIF_SPEED`].
    pub avif_speed: i32,
}

impl Default for EncodeSettings {
    fn default() -> Self {
        Self {
            webp_quality: DEFAULT_WEBP_QUALITY,
            webp_method: DEFAULT_WEBP_METHOD,
            jpeg_quality: DEFAULT_JPEG_QUALITY,
            png_preset: DEFAULT_PNG_PRESET,
            lossless: LosslessMode::Auto,
            target: Some(DEFAULT_TARGET),
            avif_quality: DEFAULT_AVIF_QUALITY,
            avif_speed: DEFAULT_AVIF_SPEED,
        }
    }
}

impl EncodeSettings {
    /// Canonical string of every setting (and of the encoding scheme's version), for cache
    /// keys: equal fingerprints promise byte-identical outputs for the same source.
    /// A fixed quality keeps the fingerprint it always had (so `--quality 80` finds the caches
    /// of earlier versions); auto quality names its target instead of the qualities.
    pub fn fingerprint(&self) -> String {
        let base = format!(
            "encode-v4;webp_q={};webp_m={};jpeg_q={};png_o={};lossless={}",
            self.webp_quality,
            self.webp_method,
            self.jpeg_quality,
            self.png_preset,
            self.lossless.name()
        );
        match self.target {
            None => base,
            Some(t) => format!("{base};auto-quality-v3;target={t}"),
        }
    }

    /// Whether lossy WebP goes through libwebp's sharp RGB→YUV conversion (`use_sharp_yuv`),
    /// which keeps coloured edges from bleeding when chroma is halved: on the corpus's still
    /// images at 960 px it reaches the same SSIMULACRA2 in 0.88× the bytes
    /// (`examples/webp_tuning.rs`, README "Quality"). On with `--quality auto`, whose search
    /// then finds the lower quality; off with a fixed quality, which keeps the bytes and cache
    /// keys of earlier versions.
    pub fn webp_sharp_yuv(&self) -> bool {
        self.target.is_some()
    }

    /// What the plan asks of a fresh encode: the target, or the fixed qualities.
    pub fn quality(&self) -> super::request::Quality {
        match self.target {
            Some(target) => super::request::Quality::Auto { target },
            None => super::request::Quality::Fixed {
                webp: self.webp_quality,
                jpeg: self.jpeg_quality,
                avif: self.avif_quality,
            },
        }
    }

    /// The same settings with the AVIF quality `q` (for one step of a search).
    pub fn with_avif_quality(&self, q: f32) -> EncodeSettings {
        EncodeSettings {
            avif_quality: q,
            ..self.clone()
        }
    }

    /// The same settings with the lossy WebP quality `q` (for one step of a search).
    pub fn with_webp_quality(&self, q: f32) -> EncodeSettings {
        EncodeSettings {
            webp_quality: q,
            ..self.clone()
        }
    }

    /// The AVIF settings, for cache keys of runs that make AVIF (kept apart from
    /// [`EncodeSettings::fingerprint`] so a WebP-only run keeps its keys; the plan adds
    /// libavif's version).
    pub fn avif_fingerprint(&self) -> String {
        format!(
            "avif-v1;avif_q={};avif_s={}",
            self.avif_quality, self.avif_speed
        )
    }
}

/// How to choose between lossy and lossless WebP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LosslessMode {
    /// Lossless for graphics (screenshots, diagrams, icons) where that is not larger than
    /// lossy; lossy for photos.
    Auto,
    /// Always lossless WebP.
    Always,
    /// Always lossy WebP.
    Never,
}

impl LosslessMode {
    /// The name used on the command line and in fingerprints.
    pub fn name(self) -> &'static str {
        match self {
            LosslessMode::Auto => "auto",
            LosslessMode::Always => "always",
            LosslessMode::Never => "never",
        }
    }
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
    /// Decode what is there of a file cut short (`--lenient`) instead of refusing it. Strict by
    /// default: a truncated file is [`crate::error::InputFault::Truncated`] whoever calls the
    /// decoder, the CLI or the library.
    pub lenient: bool,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_pixels: DEFAULT_MAX_PIXELS,
            max_alloc: DEFAULT_MAX_ALLOC,
            lenient: false,
        }
    }
}

impl DecodeLimits {
    /// The part of these options that can change output bytes, for the cache key. The limits
    /// only decide whether an image is refused, never what a decoded image looks like, so they
    /// are left out; leniency decides whether a cut-short file is encoded (grey or partial
    /// rows), so it is in.
    pub fn fingerprint(&self) -> String {
        format!("lenient={}", self.lenient)
    }
}

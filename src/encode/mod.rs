//! Encode (temporary stub with the agreed API; the real room lands from the `encode` branch).
#![allow(missing_docs, unused_variables)]

use serde::Serialize;

use crate::format::Format;

#[derive(Clone, Debug, PartialEq)]
pub struct EncodeSettings {
    pub webp_quality: f32,
    pub webp_method: i32,
    pub jpeg_quality: u8,
    pub png_preset: u8,
    pub lossless: LosslessMode,
}
impl Default for EncodeSettings {
    fn default() -> Self {
        EncodeSettings {
            webp_quality: 80.0,
            webp_method: 4,
            jpeg_quality: 80,
            png_preset: 2,
            lossless: LosslessMode::Auto,
        }
    }
}
impl EncodeSettings {
    pub fn fingerprint(&self) -> String {
        format!("{self:?}")
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LosslessMode {
    Auto,
    Always,
    Never,
}
#[derive(Clone, Debug)]
pub struct DecodeLimits {
    pub max_pixels: u64,
    pub max_alloc: u64,
}
impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_pixels: 100_000_000,
            max_alloc: 1 << 30,
        }
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutFormat {
    Webp,
    Jpeg,
    Png,
    Gif,
}
impl OutFormat {
    pub fn extension(&self) -> &'static str {
        match self {
            OutFormat::Webp => "webp",
            OutFormat::Jpeg => "jpg",
            OutFormat::Png => "png",
            OutFormat::Gif => "gif",
        }
    }
    pub fn mime(&self) -> &'static str {
        match self {
            OutFormat::Webp => "image/webp",
            OutFormat::Jpeg => "image/jpeg",
            OutFormat::Png => "image/png",
            OutFormat::Gif => "image/gif",
        }
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Encoded,
    SourceBytes,
}
#[derive(Clone, Debug)]
pub struct Output {
    pub width: u32,
    pub height: u32,
    pub format: OutFormat,
    pub bytes: Vec<u8>,
    pub origin: Origin,
}
#[derive(Clone, Debug)]
pub struct Dropped {
    pub width: u32,
    pub format: OutFormat,
    pub reason: String,
}
#[derive(Clone, Debug)]
pub struct Encoded {
    pub width: u32,
    pub height: u32,
    pub lossless: bool,
    pub orientation: u8,
    pub outputs: Vec<Output>,
    pub dropped: Vec<Dropped>,
}
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("cannot decode: {0}")]
    Decode(String),
    #[error("animated ({frames} frames)")]
    Animated { frames: u32 },
}
pub fn fallback_format(src: Format) -> OutFormat {
    if src == Format::Jpeg {
        OutFormat::Jpeg
    } else {
        OutFormat::Png
    }
}
pub fn plan_widths(source_width: u32, configured: &[u32]) -> Vec<u32> {
    let max = configured.iter().copied().max().unwrap_or(source_width);
    let mut c: Vec<u32> = configured
        .iter()
        .copied()
        .filter(|&w| w <= source_width)
        .collect();
    if source_width < max {
        c.push(source_width);
    }
    c.sort_unstable();
    c.dedup();
    let mut kept: Vec<u32> = Vec::new();
    for &w in c.iter().rev() {
        if kept.last().map_or(true, |&k| (w as f64) <= 0.9 * k as f64) {
            kept.push(w);
        }
    }
    kept.reverse();
    kept
}
pub fn encode_source(
    bytes: &[u8],
    widths: &[u32],
    settings: &EncodeSettings,
    limits: &DecodeLimits,
) -> Result<Encoded, EncodeError> {
    let img = image::load_from_memory(bytes).map_err(|e| EncodeError::Decode(e.to_string()))?;
    let mut outputs = Vec::new();
    let fmt = if image::guess_format(bytes).ok() == Some(image::ImageFormat::Jpeg) {
        OutFormat::Jpeg
    } else {
        OutFormat::Png
    };
    for &w in widths {
        let h = ((img.height() as f64) * w as f64 / img.width() as f64)
            .round()
            .max(1.0) as u32;
        let r = img.resize_exact(w, h, image::imageops::FilterType::Triangle);
        let mut buf = std::io::Cursor::new(Vec::new());
        r.write_to(&mut buf, image::ImageFormat::WebP)
            .map_err(|e| EncodeError::Decode(e.to_string()))?;
        outputs.push(Output {
            width: w,
            height: h,
            format: OutFormat::Webp,
            bytes: buf.into_inner(),
            origin: Origin::Encoded,
        });
        let mut buf = std::io::Cursor::new(Vec::new());
        let f = if fmt == OutFormat::Jpeg {
            image::ImageFormat::Jpeg
        } else {
            image::ImageFormat::Png
        };
        let r = if fmt == OutFormat::Jpeg {
            image::DynamicImage::ImageRgb8(r.to_rgb8())
        } else {
            r
        };
        r.write_to(&mut buf, f)
            .map_err(|e| EncodeError::Decode(e.to_string()))?;
        outputs.push(Output {
            width: w,
            height: h,
            format: fmt,
            bytes: buf.into_inner(),
            origin: Origin::Encoded,
        });
    }
    Ok(Encoded {
        width: img.width(),
        height: img.height(),
        lossless: false,
        orientation: 1,
        outputs,
        dropped: vec![],
    })
}

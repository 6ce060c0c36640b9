//! WebP: 8-bit pixels in, a still WebP file out, lossy or lossless.
//!
//! Always `encode_advanced`: the `webp` crate's `encode()`/`encode_lossless()` unwrap encoder
//! errors and would panic on e.g. a 16384 px side. No metadata is written.

use std::borrow::Cow;

use super::pixels::{Layout, Pixels};
use super::settings::EncodeSettings;
use crate::error::EncoderFault;
use crate::format::OutFormat;

/// Largest side WebP can store.
pub const MAX_SIDE: u32 = 16383;

/// True when a `width`×`height` image fits in WebP.
pub fn fits(width: u32, height: u32) -> bool {
    width <= MAX_SIDE && height <= MAX_SIDE
}

/// Encode `px` as WebP. Lossless uses quality 75 (libwebp's effort knob in lossless mode) and
/// the configured method; lossy uses the configured quality and method, and sharp RGB→YUV when the settings ask for it. Gray input is expanded
/// to RGB because libwebp takes only RGB(A).
pub fn encode(
    px: &Pixels,
    lossless: bool,
    settings: &EncodeSettings,
) -> Result<Vec<u8>, EncoderFault> {
    let fail = |reason: String| EncoderFault::Failed {
        format: OutFormat::Webp,
        width: px.width,
        reason,
    };
    let mut config = webp::WebPConfig::new()
        .map_err(|()| fail("libwebp rejected its default config".to_string()))?;
    config.method = settings.webp_method.clamp(0, 6);
    if lossless {
        config.lossless = 1;
        config.quality = 75.0;
    } else {
        config.lossless = 0;
        config.quality = settings.webp_quality.clamp(0.0, 100.0);
        config.use_sharp_yuv = i32::from(settings.webp_sharp_yuv());
    }
    let data: Cow<'_, [u8]> = match px.layout {
        Layout::Luma => Cow::Owned(px.data.iter().flat_map(|&g| [g, g, g]).collect()),
        _ => Cow::Borrowed(&px.data),
    };
    let encoder = match px.layout {
        Layout::Rgba => webp::Encoder::from_rgba(&data, px.width, px.height),
        _ => webp::Encoder::from_rgb(&data, px.width, px.height),
    };
    let mem = encoder
        .encode_advanced(&config)
        .map_err(|e| fail(format!("libwebp error {e:?}")))?;
    Ok(mem.to_vec())
}

/// Decode a still WebP file (as [`encode`] makes them) back to pixels, RGBA when it has alpha,
/// for the quality judge.
pub fn decode(bytes: &[u8]) -> Result<Pixels, EncoderFault> {
    let fail = |reason: &str| EncoderFault::Failed {
        format: OutFormat::Webp,
        width: 0,
        reason: reason.to_string(),
    };
    let img = webp::Decoder::new(bytes)
        .decode()
        .ok_or_else(|| fail("libwebp could not decode its own output"))?;
    Ok(Pixels {
        width: img.width(),
        height: img.height(),
        layout: if img.is_alpha() {
            Layout::Rgba
        } else {
            Layout::Rgb
        },
        data: img.to_vec(),
    })
}

//! PNG fallback: 8-bit pixels in, an oxipng-optimised PNG out.
//!
//! Built straight from raw pixels (`oxipng::RawImage`), so no intermediate PNG is written and
//! no ancillary chunk exists to leak; `StripChunks::All` makes that explicit. oxipng itself picks
//! the smallest colour type (palette, gray, RGB without alpha, ...).

use oxipng::{BitDepth, ColorType, Options, RawImage, StripChunks};

use super::pixels::{Layout, Pixels};
use crate::error::EncoderFault;
use crate::format::OutFormat;

/// Encode `px` with oxipng preset `preset` (0–6; above 6 behaves as 6).
pub fn encode(px: &Pixels, preset: u8) -> Result<Vec<u8>, EncoderFault> {
    let fail = |e: oxipng::PngError| EncoderFault::Failed {
        format: OutFormat::Png,
        width: px.width,
        reason: e.to_string(),
    };
    let color = match px.layout {
        Layout::Luma => ColorType::Grayscale {
            transparent_shade: None,
        },
        Layout::Rgb => ColorType::RGB {
            transparent_color: None,
        },
        Layout::Rgba => ColorType::RGBA,
    };
    let raw = RawImage::new(px.width, px.height, color, BitDepth::Eight, px.data.clone())
        .map_err(fail)?;
    let mut options = Options::from_preset(preset.min(6));
    options.strip = StripChunks::All;
    raw.create_optimized_png(&options).map_err(fail)
}

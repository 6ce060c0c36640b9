//! JPEG fallback: 8-bit pixels in, a progressive JPEG with optimised Huffman tables out.
//!
//! 4:2:0 chroma subsampling for colour, a single channel for gray sources (a third of the data
//! of gray-as-RGB). jpeg-encoder writes a JFIF APP0 header and no metadata.
//!
//! Quantisation uses N. Robidoux's tables (ImageMagick's, and mozjpeg's default) rather than the
//! IJG example tables: measured on the corpus's 68 colour JPEG fallbacks at q80, 6.4 % fewer
//! bytes (5.75 MB against 6.15 MB) at a slightly higher mean PSNR (37.81 dB against 37.56 dB).

use jpeg_encoder::{ColorType, Encoder, QuantizationTableType, SamplingFactor};

use super::pixels::{Layout, Pixels};
use crate::error::EncoderFault;
use crate::format::OutFormat;

/// Encode `px` at `quality` (1–100). Alpha, which JPEG sources never have, would be ignored.
pub fn encode(px: &Pixels, quality: u8) -> Result<Vec<u8>, EncoderFault> {
    let fail = |reason: String| EncoderFault::Failed {
        format: OutFormat::Jpeg,
        width: px.width,
        reason,
    };
    let too_big = || {
        fail(format!(
            "{}×{} exceeds JPEG's 65535 px per side",
            px.width, px.height
        ))
    };
    let w = u16::try_from(px.width).map_err(|_| too_big())?;
    let h = u16::try_from(px.height).map_err(|_| too_big())?;
    let color = match px.layout {
        Layout::Luma => ColorType::Luma,
        Layout::Rgb => ColorType::Rgb,
        Layout::Rgba => ColorType::Rgba,
    };
    let mut out = Vec::with_capacity(px.data.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality.clamp(1, 100));
    encoder.set_progressive(true);
    encoder.set_optimized_huffman_tables(true);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.set_quantization_tables(
        QuantizationTableType::ImageMagick,
        QuantizationTableType::ImageMagick,
    );
    encoder
        .encode(&px.data, w, h, color)
        .map_err(|e| fail(e.to_string()))?;
    Ok(out)
}

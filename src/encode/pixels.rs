//! Pixels: the one in-memory image every codec reads and writes, and the arithmetic of sizes.
//!
//! A [`Pixels`] buffer is upright, sRGB and 8 bits per channel, in one of three [`Layout`]s.
//! Every codec module depends on this room and on nothing else of the encoder.

/// Channel layout of a [`Pixels`] buffer; always 8 bits per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One gray byte per pixel.
    Luma,
    /// R, G, B.
    Rgb,
    /// R, G, B, A (straight alpha); only used when some pixel is not opaque.
    Rgba,
}

impl Layout {
    /// Bytes per pixel.
    pub fn channels(self) -> usize {
        match self {
            Layout::Luma => 1,
            Layout::Rgb => 3,
            Layout::Rgba => 4,
        }
    }
}

/// A tightly packed 8-bit image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Channel layout.
    pub layout: Layout,
    /// `width × height × channels` bytes, row-major.
    pub data: Vec<u8>,
}

/// Height for `width` keeping the aspect ratio of `src_w`×`src_h`: round(H·w/W), at least 1.
pub fn scaled_height(src_w: u32, src_h: u32, width: u32) -> u32 {
    if src_w == 0 {
        return 1;
    }
    let h = (u64::from(src_h) * u64::from(width) * 2 + u64::from(src_w)) / (u64::from(src_w) * 2);
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

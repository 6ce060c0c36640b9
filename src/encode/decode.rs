//! Decode: file bytes in, one upright 8-bit pixel buffer (Luma, RGB or RGBA) out.
//!
//! The format is sniffed from the bytes (never the name), the header size is checked against
//! [`DecodeLimits::max_pixels`] before any pixel is decoded, `image`'s own [`image::Limits`] cap
//! allocations, and the EXIF orientation is applied first so every later step sees the picture
//! the way a browser shows it. Pixels leave in sRGB: an embedded non-sRGB ICC profile is
//! applied here ([`colour`]).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder};

use super::{colour, DecodeLimits, EncodeError};
use crate::format::{sniff, Format};

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

/// A decoded, upright source.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// True format, from the magic bytes.
    pub format: Format,
    /// EXIF orientation (1–8) that was applied.
    pub orientation: u8,
    /// Upright pixels, in sRGB.
    pub pixels: Pixels,
    /// The colour conversion applied to reach sRGB (`"Adobe RGB (1998) → sRGB"`,
    /// `"CMYK → sRGB"`), or a note on a profile that could not be applied; `None` when the
    /// source already was sRGB.
    pub colour: Option<String>,
}

/// Decode a still JPEG, PNG or GIF. Animated GIFs give [`EncodeError::Animated`].
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Decoded, EncodeError> {
    let format = match sniff(bytes) {
        Some(f) if f.is_supported() => f,
        Some(f) => {
            return Err(EncodeError::Unsupported {
                found: f.name().to_string(),
            })
        }
        None if bytes.is_empty() => {
            return Err(EncodeError::Unsupported {
                found: "empty file".to_string(),
            })
        }
        None => {
            return Err(EncodeError::Unsupported {
                found: "unknown bytes".to_string(),
            })
        }
    };
    if format == Format::Gif {
        if let Some(frames) = gif_frame_count(bytes) {
            if frames > 1 {
                return Err(EncodeError::Animated { frames });
            }
        }
    }

    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| EncodeError::Decode(e.to_string()))?;
    reader.limits(image_limits(limits));
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, limits)?;
    // Our own lenient reader, not `decoder.orientation()`: image only accepts the tag typed
    // SHORT, but real cameras/editors also write LONG/SLONG (corpus: exif-orientation-6-real).
    // A malformed EXIF block is no reason to reject the pixels: show them as stored.
    let orientation = decoder
        .exif_metadata()
        .ok()
        .flatten()
        .and_then(|exif| exif_orientation(&exif))
        .and_then(image::metadata::Orientation::from_exif)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    // An unreadable profile chunk is no reason to reject the pixels either.
    let icc = decoder.icc_profile().ok().flatten();
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    img.apply_orientation(orientation);
    let mut pixels = to_pixels(img);
    let cmyk = match colour::jpeg_colour_model(bytes) {
        Some(colour::JpegColourModel::Cmyk) if format == Format::Jpeg => Some("CMYK → sRGB"),
        Some(colour::JpegColourModel::Ycck) if format == Format::Jpeg => Some("YCCK (CMYK) → sRGB"),
        _ => None,
    };
    let profile = icc.and_then(|icc| colour::to_srgb(&mut pixels, &icc));
    let colour = match (cmyk, profile) {
        (Some(c), Some(p)) => Some(format!("{c}; {p}")),
        (Some(c), None) => Some(c.to_string()),
        (None, p) => p,
    };
    Ok(Decoded {
        format,
        orientation: orientation.to_exif(),
        pixels,
        colour,
    })
}

/// `image`'s limits for a [`DecodeLimits`]: no side may exceed the whole pixel budget, and the
/// allocation cap is passed through.
pub fn image_limits(limits: &DecodeLimits) -> image::Limits {
    let side = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
    let mut l = image::Limits::default();
    l.max_image_width = Some(side);
    l.max_image_height = Some(side);
    l.max_alloc = Some(limits.max_alloc);
    l
}

/// [`EncodeError::TooLarge`] when `width × height` exceeds the pixel budget.
pub fn check_pixels(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), EncodeError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(EncodeError::TooLarge {
            width,
            height,
            pixels,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

fn decode_error(e: image::ImageError) -> EncodeError {
    match e {
        image::ImageError::Limits(l) => EncodeError::Decode(format!(
            "{l} (the decode memory limit protects against decompression bombs)"
        )),
        other => EncodeError::Decode(other.to_string()),
    }
}

/// Reduce to 8-bit Luma / RGB / RGBA; alpha survives only if some pixel is not fully opaque.
fn to_pixels(img: DynamicImage) -> Pixels {
    let (width, height) = (img.width(), img.height());
    let color = img.color();
    if color.has_alpha() {
        let rgba = img.to_rgba8().into_raw();
        if rgba.chunks_exact(4).any(|p| p[3] < 255) {
            return Pixels {
                width,
                height,
                layout: Layout::Rgba,
                data: rgba,
            };
        }
        // Opaque after all: drop the alpha bytes, and the colour too if every pixel is gray.
        if !color.has_color() {
            let data = rgba.chunks_exact(4).map(|p| p[0]).collect();
            return Pixels {
                width,
                height,
                layout: Layout::Luma,
                data,
            };
        }
        let data = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        return Pixels {
            width,
            height,
            layout: Layout::Rgb,
            data,
        };
    }
    if !color.has_color() {
        return Pixels {
            width,
            height,
            layout: Layout::Luma,
            data: img.to_luma8().into_raw(),
        };
    }
    let data = match img {
        DynamicImage::ImageRgb8(b) => b.into_raw(),
        other => other.to_rgb8().into_raw(),
    };
    Pixels {
        width,
        height,
        layout: Layout::Rgb,
        data,
    }
}

/// Number of frames (image descriptors) in a GIF, by walking its block structure without
/// decompressing anything (see [`gif_info`](super::animated::gif_info)); `None` if not a GIF.
pub fn gif_frame_count(bytes: &[u8]) -> Option<usize> {
    super::animated::gif_info(bytes).map(|i| i.frames)
}

/// The Orientation tag (0x0112) of IFD0 in a raw EXIF block (TIFF header first; an `Exif\0\0`
/// prefix is tolerated). Accepts SHORT, LONG, SSHORT and SLONG types; only 1–8 is returned.
pub fn exif_orientation(exif: &[u8]) -> Option<u8> {
    let t = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
    let little = match t.get(0..4)? {
        [0x49, 0x49, 42, 0] => true,
        [0x4D, 0x4D, 0, 42] => false,
        _ => return None,
    };
    let u16_at = |p: usize| -> Option<u16> {
        let b = [*t.get(p)?, *t.get(p + 1)?];
        Some(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |p: usize| -> Option<u32> {
        let b = [*t.get(p)?, *t.get(p + 1)?, *t.get(p + 2)?, *t.get(p + 3)?];
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    for i in 0..entries {
        let e = ifd.checked_add(2 + 12 * i)?;
        if u16_at(e)? != 0x0112 {
            continue;
        }
        let value = match u16_at(e + 2)? {
            3 | 8 => u32::from(u16_at(e + 8)?),
            4 | 9 => u32_at(e + 8)?,
            _ => return None,
        };
        return u8::try_from(value).ok().filter(|v| (1..=8).contains(v));
    }
    None
}

/// Is the file complete? Decoders happily fill a truncated upload with grey; postpix is strict
/// by default (the caller turns this into an error, or a warning with `--lenient`).
///
/// - JPEG: an EOI marker (`FF D9`) must follow the last start-of-scan (`FF DA`). Entropy-coded
///   data stuffs every `FF` byte, so neither marker can appear by accident inside it, and an EXIF
///   thumbnail's own EOI sits before the main image's scans.
/// - PNG: the chunks must walk cleanly to `IEND`.
/// - GIF: the block structure must not end inside a block.
pub fn check_complete(bytes: &[u8], format: Format) -> Result<(), String> {
    match format {
        Format::Jpeg => {
            let last_sos = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
            let Some(sos) = last_sos else {
                return Err("truncated JPEG: no image data (no start of scan)".into());
            };
            if bytes[sos..].windows(2).any(|w| w == [0xFF, 0xD9]) {
                Ok(())
            } else {
                Err("truncated JPEG: the image data ends before its end marker (an incomplete upload?)".into())
            }
        }
        Format::Png => {
            let mut pos = 8usize;
            loop {
                let Some(head) = bytes.get(pos..pos + 8) else {
                    return Err("truncated PNG: the file ends before its IEND chunk".into());
                };
                let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
                let end = pos.saturating_add(12).saturating_add(len);
                if end > bytes.len() {
                    return Err(format!(
                        "truncated PNG: chunk {} is cut short",
                        String::from_utf8_lossy(&head[4..8])
                    ));
                }
                if &head[4..8] == b"IEND" {
                    return Ok(());
                }
                pos = end;
            }
        }
        Format::Gif => match super::gif::walk(bytes).map(|w| w.end) {
            Some(super::gif::End::Trailer | super::gif::End::Eof) => Ok(()),
            Some(super::gif::End::Corrupt) => Err("corrupt GIF: unknown block".into()),
            _ => Err("truncated GIF: the file ends inside a frame".into()),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod complete_tests {
    use super::*;

    fn corpus(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/corpus/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn whole_corpus_files_are_complete() {
        for (f, fmt) in [
            ("photo-storm.jpg", Format::Jpeg),
            ("photo-bridge-progressive.jpg", Format::Jpeg),
            ("exif-orientation-6-real.jpg", Format::Jpeg),
            ("screenshot-gnome.png", Format::Png),
            ("anim-emote-133-frames.gif", Format::Gif),
            ("earth.gif", Format::Gif),
        ] {
            assert_eq!(check_complete(&corpus(f), fmt), Ok(()), "{f}");
        }
    }

    #[test]
    fn truncations_are_caught() {
        for (f, fmt) in [
            ("photo-storm.jpg", Format::Jpeg),
            ("photo-bridge-progressive.jpg", Format::Jpeg),
            ("screenshot-gnome.png", Format::Png),
            ("anim-emote-133-frames.gif", Format::Gif),
        ] {
            let b = corpus(f);
            for cut in [b.len() / 3, b.len() / 2, b.len() - 3] {
                assert!(check_complete(&b[..cut], fmt).is_err(), "{f} cut at {cut}");
            }
        }
    }
}

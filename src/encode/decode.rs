//! Decode: file bytes in, upright 8-bit pixels out (Luma, RGB or RGBA), in sRGB.
//!
//! The format is sniffed from the bytes (never the name), the header size is checked against
//! [`DecodeLimits::max_pixels`] before any pixel is decoded, `image`'s own [`image::Limits`] cap
//! allocations, and the EXIF orientation is applied first so every later step sees the picture
//! the way a browser shows it. An embedded non-sRGB ICC profile is applied here ([`colour`]).
//! Still images come out whole ([`decode`]); animations frame by frame ([`gif_frames`]).

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::{AnimationDecoder, DynamicImage, ImageDecoder};

use super::colour;
use super::pixels::{Layout, Pixels};
use super::settings::DecodeLimits;
use crate::container::{exif, gif, png};
use crate::error::InputFault;
use crate::format::{sniff, Format};

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

/// The format of bytes postpix can decode.
fn decodable(bytes: &[u8]) -> Result<Format, InputFault> {
    let found = match sniff(bytes) {
        Some(f) if f.is_supported() => return Ok(f),
        Some(f) => f.name(),
        None if bytes.is_empty() => "empty file",
        None => "unknown bytes",
    };
    Err(InputFault::NotDecodable {
        found: found.to_string(),
    })
}

/// Refuse a file cut short unless the options are lenient: `image` decodes what is there and
/// fills the rest grey, which would pass for a good image.
fn strict(bytes: &[u8], format: Format, limits: &DecodeLimits) -> Result<(), InputFault> {
    match crate::container::check_complete(bytes, format) {
        Err(why) if !limits.lenient => Err(InputFault::Truncated(why)),
        _ => Ok(()),
    }
}

/// Decode a still JPEG, PNG or GIF. An animated GIF gives [`InputFault::UnexpectedAnimation`]:
/// the plan sends animations to [`gif_frames`].
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Decoded, InputFault> {
    let format = decodable(bytes)?;
    strict(bytes, format, limits)?;
    if format == Format::Gif {
        if let Some(frames) = gif::info(bytes).map(|i| i.frames).filter(|&n| n > 1) {
            return Err(InputFault::UnexpectedAnimation { frames });
        }
    }

    if format == Format::Png {
        if let Some(block) = png::metadata_bomb(bytes, png::MAX_METADATA_BLOCK) {
            return Err(InputFault::MetadataTooLarge {
                block,
                max: png::MAX_METADATA_BLOCK,
            });
        }
    }
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| InputFault::Decode(e.to_string()))?;
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
        .and_then(|exif| exif::orientation(&exif))
        .and_then(image::metadata::Orientation::from_exif)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    // An unreadable profile chunk is no reason to reject the pixels either.
    let icc = decoder.icc_profile().ok().flatten();
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    img.apply_orientation(orientation);
    let mut pixels = to_pixels(img);
    let cmyk = colour::cmyk_note(bytes);
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

/// [`InputFault::DecodeTooLarge`] when `width × height` exceeds the pixel budget.
pub fn check_pixels(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), InputFault> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(InputFault::DecodeTooLarge {
            width,
            height,
            pixels,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

fn decode_error(e: image::ImageError) -> InputFault {
    match e {
        image::ImageError::Limits(l) => InputFault::Decode(format!(
            "{l} (the decode memory limit protects against decompression bombs)"
        )),
        other => InputFault::Decode(other.to_string()),
    }
}

/// One decoded frame of an animation: full-canvas RGBA and its delay in ms.
pub type Frame = Result<(Pixels, u32), InputFault>;

/// The frames of an animated GIF, decoded one at a time (with limits) and composited to
/// full-canvas RGBA, each with its delay in ms; and the canvas size, checked against the pixel
/// budget before any frame is decoded.
pub fn gif_frames<'a>(
    bytes: &'a [u8],
    limits: &DecodeLimits,
) -> Result<(u32, u32, impl Iterator<Item = Frame> + 'a), InputFault> {
    let gif_error = |e: image::ImageError| InputFault::Decode(e.to_string());
    strict(bytes, Format::Gif, limits)?;
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(gif_error)?;
    decoder
        .set_limits(image_limits(limits))
        .map_err(gif_error)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, limits)?;
    let frames = decoder.into_frames().map(move |frame| {
        let frame = frame.map_err(gif_error)?;
        let (num, den) = frame.delay().numer_denom_ms();
        let delay = num.checked_div(den).unwrap_or(0);
        let px = Pixels {
            width,
            height,
            layout: Layout::Rgba,
            data: frame.into_buffer().into_raw(),
        };
        Ok((px, delay))
    });
    Ok((width, height, frames))
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

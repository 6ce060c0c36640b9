//! Probe: the header facts of an image file (size, frames, orientation) without decoding pixels.
//!
//! In: the bytes of a GIF, PNG or JPEG. Out: [`ImageInfo`]. Used by `scan` for the report and by
//! the planner to choose widths and the animation path before any encoder runs. Headers are
//! read through `image`'s decoders and [`crate::container`]; nothing of the encoder is used.

use std::io::Cursor;

use image::ImageDecoder;
use serde::{Deserialize, Serialize};

use crate::container::{exif, gif, png};
use crate::error::InputFault;
use crate::format::{sniff, Format};

/// What the headers say about an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// Real format.
    pub format: Format,
    /// Width after EXIF orientation is applied (upright).
    pub width: u32,
    /// Height after EXIF orientation is applied (upright).
    pub height: u32,
    /// Frames: GIF image descriptors or APNG `acTL` frames; 1 for a still image.
    pub frames: u32,
    /// EXIF orientation, 1 to 8 (1 when absent).
    pub orientation: u8,
}

/// Most a header read may allocate: far above any real header (a JPEG's ICC profile spread
/// over 255 segments is 16 MiB), far below what a bomb would take.
pub const PROBE_MAX_ALLOC: u64 = 64 << 20;

/// Read the header facts. Errors say what is wrong in words a user can act on.
pub fn probe(bytes: &[u8]) -> Result<ImageInfo, InputFault> {
    let format = match sniff(bytes) {
        Some(f) if f.is_supported() => f,
        Some(f) => return Err(InputFault::Unsupported(f.name())),
        None => return Err(InputFault::UnknownBytes),
    };
    let frames = match format {
        Format::Gif => match gif::info(bytes) {
            Some(i) if i.frames > 0 => u32::try_from(i.frames).unwrap_or(u32::MAX),
            // A GIF cut short before its first image says so, rather than "no image".
            _ => {
                return Err(match crate::container::check_complete(bytes, format) {
                    Err(why) => InputFault::Truncated(why),
                    Ok(()) => InputFault::GifWithoutImage,
                })
            }
        },
        Format::Png => png::frames(bytes),
        _ => 1,
    };
    metadata_within_caps(bytes, format)?;
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| InputFault::Header(e.to_string()))?;
    // Only headers are read here, never pixels: the size limits are applied by the caller with a
    // message that names the option, and by the decoder's own `Limits` when it really decodes.
    // What a header read may inflate (PNG's iCCP) was capped above; JPEG ICC and EXIF segments
    // and GIF extensions are stored, not compressed, so they are bounded by the file size
    // (`--max-file-size`) and each JPEG segment by 64 KiB. The allocation cap is the backstop
    // for whatever a decoder's header read holds that we did not foresee.
    let mut limits = image::Limits::no_limits();
    limits.max_alloc = Some(PROBE_MAX_ALLOC);
    reader.limits(limits);
    let (w, h, orientation) = match reader.into_decoder() {
        Ok(mut decoder) => {
            let (w, h) = decoder.dimensions();
            (w, h, orientation_of(&mut decoder))
        }
        // Some decoders refuse absurd headers on their own terms ("Memory limit exceeded");
        // the raw header still says how big the file claims to be, which is what the caller's
        // limit check needs in order to name the option that raises it.
        Err(e) => match raw_dimensions(bytes, format) {
            Some((w, h)) => (w, h, 1),
            None => return Err(InputFault::Header(e.to_string())),
        },
    };
    let (width, height) = if orientation >= 5 { (h, w) } else { (w, h) };
    Ok(ImageInfo {
        format,
        width,
        height,
        frames,
        orientation,
    })
}

/// Refuse a file whose compressed metadata would inflate past [`png::MAX_METADATA_BLOCK`],
/// before any decoder inflates it.
pub fn metadata_within_caps(bytes: &[u8], format: Format) -> Result<(), InputFault> {
    match format {
        Format::Png => match png::metadata_bomb(bytes, png::MAX_METADATA_BLOCK) {
            Some(block) => Err(InputFault::MetadataTooLarge {
                block,
                max: png::MAX_METADATA_BLOCK,
            }),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// EXIF orientation (1–8) of a decoder's image; 1 when absent or unreadable.
///
/// Reads the raw EXIF block and parses tag 0x0112 itself: real cameras write it as LONG or
/// SLONG as well as SHORT (gdk-pixbuf bug 725582 is such a file), and `image` only accepts
/// SHORT.
pub fn orientation_of(decoder: &mut impl ImageDecoder) -> u8 {
    match decoder.exif_metadata() {
        Ok(Some(exif)) => exif::orientation(&exif).unwrap_or(1),
        _ => decoder.orientation().map(orientation_number).unwrap_or(1),
    }
}

fn orientation_number(o: image::metadata::Orientation) -> u8 {
    use image::metadata::Orientation::*;
    match o {
        NoTransforms => 1,
        FlipHorizontal => 2,
        Rotate180 => 3,
        FlipVertical => 4,
        Rotate90FlipH => 5,
        Rotate90 => 6,
        Rotate270FlipH => 7,
        Rotate270 => 8,
    }
}

/// Width and height straight from a PNG's IHDR or a GIF's logical screen descriptor.
fn raw_dimensions(b: &[u8], format: Format) -> Option<(u32, u32)> {
    match format {
        Format::Png => png::ihdr_size(b),
        Format::Gif => gif::screen_size(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::corpus;

    #[test]
    fn counts_gif_frames_without_decoding() {
        assert_eq!(probe(&corpus("anim-banner-88x31.gif")).unwrap().frames, 4);
        assert_eq!(
            probe(&corpus("anim-emote-133-frames.gif")).unwrap().frames,
            133
        );
        assert_eq!(probe(&corpus("earth.gif")).unwrap().frames, 1);
    }

    #[test]
    fn orientation_6_reports_upright_size() {
        let i = probe(&corpus("exif-orientation-6-real.jpg")).unwrap();
        assert_eq!(i.orientation, 6);
        assert!(i.height > i.width, "{i:?}");
    }

    #[test]
    fn reads_sizes_from_headers() {
        let i = probe(&corpus("banner-wide.gif")).unwrap();
        assert_eq!((i.width, i.height), (1278, 65));
        let i = probe(&corpus("photo-wine-portrait.jpg")).unwrap();
        assert_eq!((i.width, i.height, i.format), (2560, 3837, Format::Jpeg));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(probe(b"").is_err());
        assert!(probe(b"GIF89a").is_err());
        assert!(probe(b"\x89PNG\r\n\x1a\n").is_err());
        assert!(probe(&[0xFF, 0xD8, 0xFF]).is_err());
    }
}

//! Probe: the header facts of an image file (size, frames, orientation) without decoding pixels.
//!
//! In: the bytes of a GIF, PNG or JPEG. Out: [`ImageInfo`]. Used by `scan` for the report and by
//! the planner to choose widths before any encoder runs.

use std::io::Cursor;

use image::ImageDecoder;
use serde::{Deserialize, Serialize};

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

/// Read the header facts. Errors say what is wrong in words a user can act on.
pub fn probe(bytes: &[u8]) -> Result<ImageInfo, String> {
    let format = match sniff(bytes) {
        Some(f) if f.is_supported() => f,
        Some(f) => return Err(format!("{} images are not supported", f.name())),
        None => return Err("not a GIF, PNG or JPEG file".to_string()),
    };
    let frames = match format {
        Format::Gif => gif_frames(bytes)?,
        Format::Png => png_frames(bytes),
        _ => 1,
    };
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let (w, h) = decoder.dimensions();
    let orientation = orientation_of(&mut decoder);
    let (width, height) = if orientation >= 5 { (h, w) } else { (w, h) };
    Ok(ImageInfo {
        format,
        width,
        height,
        frames,
        orientation,
    })
}

/// EXIF orientation (1–8) of a decoder's image; 1 when absent or unreadable.
///
/// Reads the raw EXIF block and parses tag 0x0112 itself: real cameras write it as LONG or
/// SLONG as well as SHORT (gdk-pixbuf bug 725582 is such a file), and `image` only accepts
/// SHORT.
pub fn orientation_of(decoder: &mut impl ImageDecoder) -> u8 {
    match decoder.exif_metadata() {
        Ok(Some(exif)) => exif_orientation(&exif).unwrap_or(1),
        _ => decoder.orientation().map(orientation_number).unwrap_or(1),
    }
}

/// Orientation tag of a TIFF-structured EXIF block (with or without the `Exif\0\0` prefix).
pub fn exif_orientation(exif: &[u8]) -> Option<u8> {
    let t = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
    let le = match t.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let b = t.get(o..o + 2)?;
        Some(if le {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let b = t.get(o..o + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)? as usize;
    for i in 0..count.min(512) {
        let e = ifd + 2 + i * 12;
        if u16_at(e)? != 0x0112 {
            continue;
        }
        let value = match u16_at(e + 2)? {
            3 | 8 => u16_at(e + 8)? as u32,     // SHORT, SSHORT
            4 | 9 => u32_at(e + 8)?,            // LONG, SLONG
            1 | 6 | 7 => *t.get(e + 8)? as u32, // BYTE, SBYTE, UNDEFINED
            _ => return None,
        };
        return (1..=8).contains(&value).then_some(value as u8);
    }
    None
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

/// Count the image descriptors of a GIF by walking its blocks; no LZW data is decoded.
pub fn gif_frames(b: &[u8]) -> Result<u32, String> {
    let bad = || "truncated or corrupt GIF".to_string();
    if b.len() < 13 {
        return Err(bad());
    }
    let mut pos = 13;
    let flags = b[10];
    if flags & 0x80 != 0 {
        pos += 3 * (1usize << ((flags & 7) + 1));
    }
    let skip_sub_blocks = |mut p: usize| -> Option<usize> {
        loop {
            let len = *b.get(p)? as usize;
            p += 1;
            if len == 0 {
                return Some(p);
            }
            p += len;
        }
    };
    let mut frames = 0u32;
    loop {
        match b.get(pos) {
            Some(0x3B) => break,
            Some(0x21) => {
                pos = skip_sub_blocks(pos + 2).ok_or_else(bad)?;
            }
            Some(0x2C) => {
                let desc = b.get(pos + 1..pos + 10).ok_or_else(bad)?;
                pos += 10;
                if desc[8] & 0x80 != 0 {
                    pos += 3 * (1usize << ((desc[8] & 7) + 1));
                }
                pos += 1; // LZW minimum code size
                pos = skip_sub_blocks(pos).ok_or_else(bad)?;
                frames += 1;
            }
            // A missing trailer after at least one frame is common and harmless.
            None if frames > 0 => break,
            _ => return Err(bad()),
        }
    }
    if frames == 0 {
        return Err("GIF has no image".to_string());
    }
    Ok(frames)
}

/// Frames of an APNG (`acTL` before `IDAT`), or 1.
pub fn png_frames(b: &[u8]) -> u32 {
    let mut pos = 8;
    while pos + 8 <= b.len() {
        let len = u32::from_be_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]]) as usize;
        let kind = &b[pos + 4..pos + 8];
        if kind == b"IDAT" {
            break;
        }
        if kind == b"acTL" && pos + 12 <= b.len() {
            let n = u32::from_be_bytes([b[pos + 8], b[pos + 9], b[pos + 10], b[pos + 11]]);
            return n.max(1);
        }
        pos = pos.saturating_add(12).saturating_add(len);
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/corpus/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

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
    fn orientation_tag_in_any_integer_type() {
        // II, IFD at 8, one entry: 0x0112, type SLONG (9), count 1, value 8.
        let mut t = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x09\0\x01\0\0\0\x08\0\0\0".to_vec();
        assert_eq!(exif_orientation(&t), Some(8));
        t[18] = 3; // SHORT
        assert_eq!(exif_orientation(&t), Some(8));
        assert_eq!(exif_orientation(b"garbage"), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(probe(b"").is_err());
        assert!(probe(b"GIF89a").is_err());
        assert!(probe(b"\x89PNG\r\n\x1a\n").is_err());
        assert!(probe(&[0xFF, 0xD8, 0xFF]).is_err());
    }
}

//! Metadata stripping: a source file's bytes in, the same image without privacy-relevant or
//! useless metadata out. Used when the source file itself is served as a fallback
//! ([`Origin::SourceBytes`](super::output::Origin::SourceBytes)): a still JPEG or PNG at its
//! own width, and an animated GIF's fallback. Also [`removed`], which names what a source
//! carried, for the report. Files are walked through [`crate::container`].
//!
//! A source is only served as is when it needed no colour conversion, so an embedded ICC
//! profile there is sRGB-equivalent and is dropped like the rest: every output is sRGB by
//! definition and carries no profile.
//!
//! **JPEG** keeps every segment the decoder needs plus APP0 (JFIF: density, harmless) and APP14
//! (Adobe: tells decoders whether the data is RGB/YCbCr/YCCK). It drops APP1 (EXIF incl. GPS,
//! camera serials and the EXIF thumbnail; XMP), APP2 (ICC, FlashPix), APP3–APP13 (IPTC lives in
//! APP13), APP15 and COM. Entropy-coded data after SOS is copied verbatim.
//!
//! **PNG** keeps the critical chunks (IHDR, PLTE, IDAT, IEND) and the ancillary chunks that
//! affect rendering without naming a profile: tRNS, gAMA, cHRM, sRGB, pHYs, plus APNG's acTL,
//! fcTL and fdAT; drops everything else (iCCP, tEXt, iTXt incl. XMP, zTXt, eXIf, tIME, ...).
//! Chunk CRCs are copied, not recomputed: kept chunks are unchanged.
//!
//! **GIF** keeps the header, palettes, frames, Graphic Control (delays, transparency, disposal)
//! and the NETSCAPE2.0/ANIMEXTS1.0 loop extension; drops comment extensions and every other
//! application extension (XMP's `XMP DataXMP`, ICC's `ICCRGBG1`, editors' private data).

use super::output::Conversion;
use crate::container::jfif::{self, Stop};
use crate::container::{exif, gif, png};
use crate::format::Format;

/// `bytes` without removable metadata, or `None` if the format is not handled or the structure
/// is malformed (then the caller must not serve the source).
pub fn strip_metadata(bytes: &[u8], format: Format) -> Option<Vec<u8>> {
    match format {
        Format::Jpeg => strip_jpeg(bytes),
        Format::Png => strip_png(bytes),
        Format::Gif => strip_gif(bytes),
        _ => None,
    }
}

/// [`Conversion::MetadataRemoved`] naming what `bytes` carries that no output does
/// (`metadata removed: EXIF (with GPS), XMP, comment`); `None` when there is nothing (or the
/// format is not walked).
pub fn removed(bytes: &[u8], format: Format) -> Option<Conversion> {
    let found = match format {
        Format::Jpeg => jpeg_metadata(bytes),
        Format::Png => png_metadata(bytes),
        Format::Gif => gif_metadata(bytes),
        _ => Vec::new(),
    };
    (!found.is_empty()).then_some(Conversion::MetadataRemoved(found))
}

fn push_once(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

/// The segments before the first SOS, as (marker, body without the length field).
fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    jfif::segments(bytes)
        .map(|(segs, _)| {
            segs.into_iter()
                .filter(|s| !matches!(s.marker, 0xDA | 0xD9 | 0x01 | 0xD0..=0xD7))
                .map(|s| (s.marker, s.body))
                .collect()
        })
        .unwrap_or_default()
}

fn jpeg_metadata(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for (marker, body) in jpeg_segments(bytes) {
        match marker {
            0xE1 if body.starts_with(b"Exif\0") => {
                let mut what = Vec::new();
                let tiff = body.get(6..).unwrap_or_default();
                if exif::has_gps(tiff) {
                    what.push("GPS");
                }
                if exif::has_thumbnail(tiff) {
                    what.push("thumbnail");
                }
                if what.is_empty() {
                    push_once(&mut found, "EXIF");
                } else {
                    push_once(&mut found, &format!("EXIF (with {})", what.join(", ")));
                }
            }
            0xE1 if body.starts_with(b"http://ns.adobe.com/xap/") => push_once(&mut found, "XMP"),
            0xE2 if body.starts_with(b"ICC_PROFILE") => push_once(&mut found, "ICC profile"),
            0xED => push_once(&mut found, "IPTC/Photoshop"),
            0xFE => push_once(&mut found, "comment"),
            0xE1..=0xED | 0xEF => push_once(&mut found, "application data"),
            _ => {}
        }
    }
    found
}

fn png_metadata(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let Some(walk) = png::walk(bytes) else {
        return found;
    };
    // A chunk cut short still names what it is.
    let cut = match walk.end {
        png::End::Cut(kind) => Some((kind, &[][..])),
        _ => None,
    };
    let chunks = walk.chunks.iter().map(|c| (c.kind, c.data)).chain(cut);
    for (kind, data) in chunks {
        match &kind {
            b"eXIf" => push_once(&mut found, "EXIF"),
            b"iTXt" if data.starts_with(b"XML:com.adobe.xmp\0") => push_once(&mut found, "XMP"),
            b"tEXt" | b"zTXt" | b"iTXt" => push_once(&mut found, "text chunks"),
            b"iCCP" => push_once(&mut found, "ICC profile"),
            b"tIME" => push_once(&mut found, "timestamp"),
            _ => {}
        }
    }
    found
}

fn gif_metadata(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    gif_walk(bytes, |block| match block {
        GifBlock::Comment => push_once(&mut found, "comment"),
        GifBlock::App(id) if id.starts_with(b"XMP Data") => push_once(&mut found, "XMP"),
        GifBlock::App(id) if id.starts_with(b"ICCRGBG1") => push_once(&mut found, "ICC profile"),
        GifBlock::App(_) => push_once(&mut found, "application data"),
        _ => {}
    });
    found
}

/// What [`gif_walk`] reports for each block.
enum GifBlock<'a> {
    /// Comment extension.
    Comment,
    /// Application extension other than the loop count, with its 11-byte identifier.
    App(&'a [u8]),
    /// Anything needed to show the image.
    Keep,
}

/// Walk a GIF's blocks (see [`gif::walk`]), calling `seen` for each and returning, per
/// block, its byte range and whether it is kept; `None` unless the file is whole up to its
/// trailer.
fn gif_walk<'a>(
    bytes: &'a [u8],
    mut seen: impl FnMut(&GifBlock<'a>),
) -> Option<Vec<(std::ops::Range<usize>, bool)>> {
    let walk = gif::walk(bytes)?;
    if walk.end != gif::End::Trailer {
        return None;
    }
    let mut blocks = Vec::with_capacity(walk.blocks.len());
    for (block, range) in walk.blocks {
        let kind = match block {
            gif::Block::Extension(0xFE) => GifBlock::Comment,
            gif::Block::Extension(0xFF) => {
                let id = gif::app_id(bytes, range.start)?;
                if gif::is_loop_id(id) {
                    GifBlock::Keep
                } else {
                    GifBlock::App(id)
                }
            }
            _ => GifBlock::Keep,
        };
        seen(&kind);
        blocks.push((range, matches!(kind, GifBlock::Keep)));
    }
    Some(blocks)
}

fn strip_gif(bytes: &[u8]) -> Option<Vec<u8>> {
    let blocks = gif_walk(bytes, |_| {})?;
    let mut out = Vec::with_capacity(bytes.len());
    for (range, keep) in blocks {
        if keep {
            out.extend_from_slice(bytes.get(range)?);
        }
    }
    Some(out)
}

fn strip_jpeg(bytes: &[u8]) -> Option<Vec<u8>> {
    let (segments, stop) = jfif::segments(bytes)?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    for seg in &segments {
        // APP1–APP13, APP15 and COM: EXIF (GPS, thumbnail), XMP, IPTC/Photoshop, comments…
        // APP2 (ICC) goes too: outputs are sRGB. APP0 (JFIF) and APP14 (Adobe) stay.
        let drop = matches!(seg.marker, 0xE1..=0xED | 0xEF | 0xFE);
        if !drop {
            out.extend_from_slice(bytes.get(seg.range.clone())?);
        }
    }
    match stop {
        // The scans, later tables and EOI carry no metadata segments worth parsing for.
        Stop::Scan => out.extend_from_slice(bytes.get(segments.last()?.range.end..)?),
        Stop::End => {}
        Stop::Malformed => return None,
    }
    Some(out)
}

fn strip_png(bytes: &[u8]) -> Option<Vec<u8>> {
    const KEEP: [&[u8; 4]; 12] = [
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"pHYs", b"acTL",
        b"fcTL", b"fdAT",
    ];
    let walk = png::walk(bytes)?;
    if walk.end != png::End::Iend {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(png::SIGNATURE);
    for c in &walk.chunks {
        if KEEP.contains(&&c.kind) {
            out.extend_from_slice(bytes.get(c.range.clone())?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_loses_app1_and_com_keeps_the_rest() {
        let jpeg = [
            0xFF, 0xD8, // SOI
            0xFF, 0xE0, 0, 4, b'J', b'F', // APP0
            0xFF, 0xE1, 0, 6, b'E', b'x', b'i', b'f', // APP1
            0xFF, 0xFE, 0, 3, b'c', // COM
            0xFF, 0xDA, 0, 2, 1, 2, 3, // SOS + data
            0xFF, 0xD9,
        ];
        let out = strip_jpeg(&jpeg).unwrap();
        assert_eq!(
            out,
            [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, b'J', b'F', 0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]
        );
    }

    #[test]
    fn truncated_or_foreign_bytes_give_none() {
        assert_eq!(strip_jpeg(&[0xFF, 0xD8, 0xFF, 0xE1, 0, 40, 1]), None);
        assert_eq!(strip_png(b"\x89PNG\r\n\x1a\n\0\0"), None);
        assert_eq!(strip_metadata(b"GIF89a", Format::Gif), None);
    }

    #[test]
    fn gif_loses_comments_and_xmp_keeps_frames_and_loop() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus/");
        let gif = std::fs::read(format!("{dir}anim-banner-88x31.gif")).unwrap();
        // Insert a comment and an XMP application extension after the header + palette.
        let head = 13 + (3 << ((gif[10] & 7) + 1));
        let mut dirty = gif[..head].to_vec();
        dirty.extend_from_slice(b"\x21\xFE\x05hello\x00");
        dirty.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP\x04<x/>\x00");
        dirty.extend_from_slice(&gif[head..]);
        assert_eq!(
            removed(&dirty, Format::Gif)
                .map(|c| c.to_string())
                .as_deref(),
            Some("metadata removed: comment, XMP")
        );
        let clean = strip_metadata(&dirty, Format::Gif).unwrap();
        assert_eq!(removed(&clean, Format::Gif), None);
        let before = gif::info(&dirty).unwrap();
        let after = gif::info(&clean).unwrap();
        assert_eq!(before, after);
        assert_eq!(after.frames, 4);
    }
}

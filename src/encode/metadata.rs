//! Metadata stripping: a source file's bytes in, the same image without privacy-relevant or
//! useless metadata out. Used when the source file itself is served as the fallback
//! ([`Origin::SourceBytes`](super::Origin::SourceBytes)).
//!
//! **JPEG** keeps every segment the decoder needs plus the ones that change how the pixels look:
//! APP0 (JFIF: density, harmless), APP2 (ICC profile: dropping it would shift colours, since the
//! source is served as is, not converted) and APP14 (Adobe: tells decoders whether the data is
//! RGB/YCbCr/YCCK). It drops APP1 (EXIF incl. GPS and camera serials, XMP), APP3–APP13, APP15
//! and COM. Entropy-coded data after SOS is copied verbatim.
//!
//! **PNG** keeps the critical chunks (IHDR, PLTE, IDAT, IEND) and the ancillary chunks that affect
//! rendering: tRNS, gAMA, cHRM, sRGB, iCCP, pHYs; drops everything else (tEXt, iTXt, zTXt, eXIf,
//! tIME, ...). Chunk CRCs are copied, not recomputed: kept chunks are unchanged.
//!
//! **GIF** is not stripped (`None`): its comment and application extensions are rare and not
//! privacy-sensitive, but we do not rewrite it either, so a still GIF is never served as-is.

use crate::format::Format;

/// `bytes` without removable metadata, or `None` if the format is not handled or the structure
/// is malformed (then the caller must not serve the source).
pub fn strip_metadata(bytes: &[u8], format: Format) -> Option<Vec<u8>> {
    match format {
        Format::Jpeg => strip_jpeg(bytes),
        Format::Png => strip_png(bytes),
        _ => None,
    }
}

fn strip_jpeg(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut pos = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        while *bytes.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = *bytes.get(pos)?;
        pos += 1;
        match marker {
            // Standalone markers without a length field.
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Some(out);
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*bytes.get(pos)?, *bytes.get(pos + 1)?]));
        if len < 2 {
            return None;
        }
        let end = pos.checked_add(len)?;
        let segment = bytes.get(pos..end)?;
        let drop = matches!(marker, 0xE1 | 0xE3..=0xED | 0xEF | 0xFE);
        if !drop {
            out.extend_from_slice(&[0xFF, marker]);
            out.extend_from_slice(segment);
        }
        pos = end;
        if marker == 0xDA {
            // Start of scan: the rest (scans, later tables, EOI) carries no metadata segments
            // worth parsing for; copy it as is.
            out.extend_from_slice(&bytes[pos..]);
            return Some(out);
        }
    }
}

fn strip_png(bytes: &[u8]) -> Option<Vec<u8>> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    const KEEP: [&[u8; 4]; 10] = [
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"pHYs",
    ];
    if !bytes.starts_with(SIGNATURE) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(SIGNATURE);
    let mut pos = SIGNATURE.len();
    loop {
        let header = bytes.get(pos..pos + 8)?;
        let len = usize::try_from(u32::from_be_bytes([
            header[0], header[1], header[2], header[3],
        ]))
        .ok()?;
        let kind = &header[4..8];
        let end = pos.checked_add(12)?.checked_add(len)?;
        let chunk = bytes.get(pos..end)?;
        if KEEP.iter().any(|k| k.as_slice() == kind) {
            out.extend_from_slice(chunk);
        }
        pos = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
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
}

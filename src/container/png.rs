//! PNG structure: the chunks of a PNG file, walked without inflating anything.
//!
//! In: bytes. Out: each whole chunk's type, byte range and data, and how the walk ended
//! ([`walk`]); the size in the IHDR ([`ihdr_size`]); the APNG frame count ([`frames`]); whether
//! the file reaches its IEND ([`check_complete`]). The probe, the truncation check, the
//! metadata report and the metadata stripper all read PNGs through this one walker. The one
//! inflation here is [`metadata_bomb`]'s, bounded by [`MAX_METADATA_BLOCK`].

use std::ops::Range;

/// The eight bytes every PNG starts with.
pub const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// One whole chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// The four-letter type (`IHDR`, `IDAT`, `iCCP`, ...).
    pub kind: [u8; 4],
    /// The whole chunk in the file: length, type, data and CRC.
    pub range: Range<usize>,
    /// The chunk's data.
    pub data: &'a [u8],
}

/// How a walk ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// At the IEND chunk (the last one in the list).
    Iend,
    /// The bytes ran out between two chunks, before any IEND.
    Eof,
    /// The chunk of this type runs past the end of the file.
    Cut([u8; 4]),
}

/// The chunks seen, in order, and how the walk ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walk<'a> {
    /// Whole chunks.
    pub chunks: Vec<Chunk<'a>>,
    /// How the walk ended.
    pub end: End,
}

/// Walk a PNG's chunks up to IEND; `None` if the bytes don't start with the PNG signature.
pub fn walk(bytes: &[u8]) -> Option<Walk<'_>> {
    if !bytes.starts_with(SIGNATURE) {
        return None;
    }
    let mut chunks = Vec::new();
    let mut pos = SIGNATURE.len();
    let end = loop {
        let Some(head) = bytes.get(pos..pos + 8) else {
            break End::Eof;
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = [head[4], head[5], head[6], head[7]];
        let end = pos.saturating_add(12).saturating_add(len);
        let Some(data) = bytes.get(pos + 8..end - 4).filter(|_| end <= bytes.len()) else {
            break End::Cut(kind);
        };
        chunks.push(Chunk {
            kind,
            range: pos..end,
            data,
        });
        if &kind == b"IEND" {
            break End::Iend;
        }
        pos = end;
    };
    Some(Walk { chunks, end })
}

/// Width and height straight from the IHDR, read from the raw header bytes (the chunk need not
/// be whole): what the file claims, even when a decoder refuses it.
pub fn ihdr_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(bytes.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

/// Frames of an APNG (an `acTL` before the first `IDAT`), or 1.
pub fn frames(bytes: &[u8]) -> u32 {
    let Some(walk) = walk(bytes) else {
        return 1;
    };
    for c in &walk.chunks {
        match &c.kind {
            b"IDAT" => break,
            b"acTL" if c.data.len() >= 4 => {
                let n = u32::from_be_bytes([c.data[0], c.data[1], c.data[2], c.data[3]]);
                return n.max(1);
            }
            _ => {}
        }
    }
    1
}

/// Is the PNG whole? Its chunks must walk cleanly to IEND.
pub fn check_complete(bytes: &[u8]) -> Result<(), super::Truncation> {
    match walk(bytes).map(|w| w.end) {
        Some(End::Iend) => Ok(()),
        Some(End::Cut(kind)) => Err(super::Truncation::PngChunkCut(kind)),
        _ => Err(super::Truncation::PngNoIend),
    }
}

/// Largest inflated metadata block (an ICC profile, a compressed text or XMP chunk) postpix lets
/// a decoder inflate. Real ICC profiles are a few kB to about 1 MB.
pub const MAX_METADATA_BLOCK: usize = 16 << 20;

/// The zlib stream of a compressed metadata chunk, if `c` is one.
fn compressed_payload<'a>(c: &Chunk<'a>) -> Option<&'a [u8]> {
    let after_keyword = |d: &'a [u8]| d.iter().position(|&b| b == 0).map(|i| &d[i + 1..]);
    match &c.kind {
        // name\0, method, zlib
        b"iCCP" | b"zTXt" => after_keyword(c.data).and_then(|d| d.get(1..)),
        // keyword\0, flag, method, language\0, translated keyword\0, text (zlib when flagged)
        b"iTXt" => {
            let d = after_keyword(c.data)?;
            let (&flag, d) = d.split_first()?;
            let d = after_keyword(d.get(1..)?)?;
            let d = after_keyword(d)?;
            (flag == 1).then_some(d)
        }
        _ => None,
    }
}

/// The type of the first compressed metadata chunk that inflates to more than `cap` bytes (a
/// decompression bomb), found by inflating each into at most `cap` bytes and no more. A stream
/// that is merely corrupt is left to the decoder, which ignores or reports it.
pub fn metadata_bomb(bytes: &[u8], cap: usize) -> Option<&'static str> {
    walk(bytes)?.chunks.iter().find_map(|c| {
        let z = compressed_payload(c)?;
        match fdeflate::decompress_to_vec_bounded(z, cap) {
            Err(fdeflate::BoundedDecompressionError::OutputTooLarge { .. }) => {
                Some(match &c.kind {
                    b"iCCP" => "ICC profile (iCCP)",
                    b"zTXt" => "compressed text (zTXt)",
                    _ => "compressed text or XMP (iTXt)",
                })
            }
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(data);
        v.extend_from_slice(&[0, 0, 0, 0]);
        v
    }

    #[test]
    fn walks_whole_chunks_to_iend() {
        let mut png = SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0, 0, 0, 2, 0, 0, 0, 3, 8, 2, 0, 0, 0]));
        png.extend(chunk(b"acTL", &[0, 0, 0, 5, 0, 0, 0, 0]));
        png.extend(chunk(b"IDAT", b"xx"));
        png.extend(chunk(b"IEND", b""));
        let w = walk(&png).unwrap();
        assert_eq!(w.end, End::Iend);
        assert_eq!(w.chunks.len(), 4);
        assert_eq!(w.chunks[2].data, b"xx");
        assert_eq!(ihdr_size(&png), Some((2, 3)));
        assert_eq!(frames(&png), 5);
        assert_eq!(check_complete(&png), Ok(()));
        let cut = &png[..png.len() - 14];
        assert_eq!(walk(cut).unwrap().end, End::Cut(*b"IDAT"));
        assert!(check_complete(cut).is_err());
        assert_eq!(walk(&png[..33]).unwrap().end, End::Eof);
        assert_eq!(walk(b"GIF89a"), None);
    }
}

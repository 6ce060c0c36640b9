//! GIF structure: the blocks of a GIF file, walked without decoding any LZW data.
//!
//! In: bytes. Out: each block's kind and byte range, and how the walk ended ([`walk`]); the
//! frames, delays and loop count ([`info`]); whether the file is whole ([`check_complete`]).
//! The probe, the metadata stripper and the animated encoder all read GIFs through this walker.

use std::ops::Range;

/// One block of a GIF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// Signature, logical screen descriptor and global colour table.
    Header,
    /// An extension (`0x21`) with its label: `0xF9` graphic control, `0xFE` comment,
    /// `0xFF` application, `0x01` plain text.
    Extension(u8),
    /// An image descriptor with its local colour table and image data.
    Image,
    /// The trailer byte `0x3B`.
    Trailer,
}

/// How a walk ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// At the trailer.
    Trailer,
    /// The bytes ran out between two blocks (a missing trailer: common and harmless).
    Eof,
    /// The bytes ran out inside a block: a truncated file.
    Truncated,
    /// A byte that starts no known block.
    Corrupt,
}

/// The blocks seen, in order, with their byte ranges, and how the walk ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walk {
    /// Blocks that were whole.
    pub blocks: Vec<(Block, Range<usize>)>,
    /// How the walk ended.
    pub end: End,
}

/// Walk a GIF's blocks; `None` if the bytes don't start with a GIF signature and screen
/// descriptor.
pub fn walk(bytes: &[u8]) -> Option<Walk> {
    if !(bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) || bytes.len() < 13 {
        return None;
    }
    let mut blocks = Vec::new();
    let flags = bytes[10];
    let mut pos = 13usize;
    if flags & 0x80 != 0 {
        pos += 3 << ((flags & 7) + 1);
    }
    if pos > bytes.len() {
        return Some(Walk {
            blocks,
            end: End::Truncated,
        });
    }
    blocks.push((Block::Header, 0..pos));
    let end = loop {
        match bytes.get(pos) {
            None => break End::Eof,
            Some(0x3B) => {
                blocks.push((Block::Trailer, pos..pos + 1));
                break End::Trailer;
            }
            Some(0x21) => {
                let Some(&label) = bytes.get(pos + 1) else {
                    break End::Truncated;
                };
                let Some(end) = skip_sub_blocks(bytes, pos + 2) else {
                    break End::Truncated;
                };
                blocks.push((Block::Extension(label), pos..end));
                pos = end;
            }
            Some(0x2C) => {
                let Some(&local) = bytes.get(pos + 9) else {
                    break End::Truncated;
                };
                let mut p = pos + 10;
                if local & 0x80 != 0 {
                    p += 3 << ((local & 7) + 1);
                }
                // One byte of LZW minimum code size, then the data sub-blocks.
                let Some(end) = skip_sub_blocks(bytes, p + 1) else {
                    break End::Truncated;
                };
                blocks.push((Block::Image, pos..end));
                pos = end;
            }
            Some(_) => break End::Corrupt,
        }
    };
    Some(Walk { blocks, end })
}

/// What a cheap walk over a GIF's blocks tells (no LZW decoding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GifInfo {
    /// Number of frames (image descriptors).
    pub frames: usize,
    /// Per-frame delay in centiseconds from the Graphic Control Extension (0 when absent).
    pub delays_cs: Vec<u16>,
    /// NETSCAPE2.0 loop count (0 = forever); `None` when the extension is absent (plays once).
    pub loop_count: Option<u16>,
}

/// Frames, delays and loop count from a GIF's block structure. A truncated file reports what
/// was seen so far; `None` if the bytes are not a GIF.
pub fn info(bytes: &[u8]) -> Option<GifInfo> {
    let walk = walk(bytes)?;
    let mut info = GifInfo {
        frames: 0,
        delays_cs: Vec::new(),
        loop_count: None,
    };
    let mut pending_delay = 0u16;
    for (block, range) in &walk.blocks {
        let body = range.start + 2;
        match block {
            Block::Extension(0xF9) if bytes.get(body) == Some(&4) => {
                if let (Some(&lo), Some(&hi)) = (bytes.get(body + 2), bytes.get(body + 3)) {
                    pending_delay = u16::from_le_bytes([lo, hi]);
                }
            }
            Block::Extension(0xFF) => {
                if let Some(n) = loop_count(bytes, range.start) {
                    info.loop_count = Some(n);
                }
            }
            Block::Image => {
                info.frames += 1;
                info.delays_cs.push(pending_delay);
                pending_delay = 0;
            }
            _ => {}
        }
    }
    Some(info)
}

/// The loop count of the application extension starting at `start`, when it is a well-formed
/// NETSCAPE2.0 / ANIMEXTS1.0 loop extension.
fn loop_count(bytes: &[u8], start: usize) -> Option<u16> {
    let body = start + 2;
    if bytes.get(body) != Some(&11) || !is_loop_id(app_id(bytes, start)?) {
        return None;
    }
    match bytes.get(body + 12..body + 16)? {
        &[3, 1, lo, hi] => Some(u16::from_le_bytes([lo, hi])),
        _ => None,
    }
}

/// True for the identifiers of the loop-count application extension.
pub fn is_loop_id(id: &[u8]) -> bool {
    id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0"
}

/// The 11-byte identifier of the application extension starting at `start`.
pub fn app_id(bytes: &[u8], start: usize) -> Option<&[u8]> {
    bytes.get(start + 3..start + 14)
}

/// Width and height of the logical screen, from the header alone.
pub fn screen_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let w = u16::from_le_bytes(bytes.get(6..8)?.try_into().ok()?);
    let h = u16::from_le_bytes(bytes.get(8..10)?.try_into().ok()?);
    Some((w.into(), h.into()))
}

/// Is the GIF whole? Its block structure must not end inside a block (a missing trailer is
/// common and harmless).
pub fn check_complete(bytes: &[u8]) -> Result<(), super::Truncation> {
    match walk(bytes).map(|w| w.end) {
        Some(End::Trailer | End::Eof) => Ok(()),
        Some(End::Corrupt) => Err(super::Truncation::GifCorrupt),
        _ => Err(super::Truncation::GifCut),
    }
}

/// The position after a chain of data sub-blocks starting at `p`, or `None` if it is cut off.
fn skip_sub_blocks(bytes: &[u8], mut p: usize) -> Option<usize> {
    loop {
        let len = usize::from(*bytes.get(p)?);
        p += 1;
        if len == 0 {
            return Some(p);
        }
        p += len;
        if p > bytes.len() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_PIXEL: &[u8] = &[
        b'G', b'I', b'F', b'8', b'9', b'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF,
        0x21, 0xFE, 2, b'h', b'i', 0, // comment
        0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, // image
        0x3B,
    ];

    #[test]
    fn walks_every_block_to_the_trailer() {
        let w = walk(ONE_PIXEL).unwrap();
        let kinds: Vec<Block> = w.blocks.iter().map(|(b, _)| b.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                Block::Header,
                Block::Extension(0xFE),
                Block::Image,
                Block::Trailer
            ]
        );
        assert_eq!(w.end, End::Trailer);
        assert_eq!(w.blocks.last().unwrap().1.end, ONE_PIXEL.len());
    }

    #[test]
    fn tells_a_missing_trailer_from_a_cut_block() {
        let no_trailer = &ONE_PIXEL[..ONE_PIXEL.len() - 1];
        assert_eq!(walk(no_trailer).unwrap().end, End::Eof);
        let cut = &ONE_PIXEL[..ONE_PIXEL.len() - 4];
        let w = walk(cut).unwrap();
        assert_eq!(w.end, End::Truncated);
        assert!(!w.blocks.iter().any(|(b, _)| *b == Block::Image));
        assert_eq!(walk(b"GIF89a").map(|w| w.end), None);
        assert_eq!(walk(b"not a gif at all").map(|w| w.end), None);
    }
}

//! JPEG structure: the marker segments of a JPEG up to its image data, read without decoding.
//!
//! In: bytes. Out: each segment's marker, byte range and body, and where the walk stopped.
//! The colour-model probe (`colour`), the metadata report and the metadata stripper
//! (`metadata`) all read JPEG headers through this one walker.

use std::ops::Range;

/// One marker segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The marker byte (`0xE1` for APP1, `0xDA` for SOS, …).
    pub marker: u8,
    /// The whole segment in the file, from its `FF` (after any fill bytes) to the end of its body.
    pub range: Range<usize>,
    /// The body after the two length bytes (empty for markers that stand alone).
    pub body: &'a [u8],
}

/// Where a walk stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// At a start-of-scan segment (the last one in the list): entropy-coded data follows.
    Scan,
    /// At the end-of-image marker.
    End,
    /// The bytes ran out, or a length or marker made no sense.
    Malformed,
}

/// The segments of a JPEG from after SOI up to and including the first SOS (or EOI); `None` if
/// the bytes don't start with SOI.
pub fn segments(bytes: &[u8]) -> Option<(Vec<Segment<'_>>, Stop)> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = Vec::new();
    let mut pos = 2usize;
    let stop = loop {
        if bytes.get(pos) != Some(&0xFF) {
            break Stop::Malformed;
        }
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let start = pos;
        let Some(&marker) = bytes.get(pos + 1) else {
            break Stop::Malformed;
        };
        pos += 2;
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            out.push(Segment {
                marker,
                range: start..pos,
                body: &[],
            });
            continue;
        }
        if marker == 0xD9 {
            out.push(Segment {
                marker,
                range: start..pos,
                body: &[],
            });
            break Stop::End;
        }
        let Some(len) = bytes
            .get(pos..pos + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            break Stop::Malformed;
        };
        if len < 2 {
            break Stop::Malformed;
        }
        let Some(body) = bytes.get(pos + 2..pos + len) else {
            break Stop::Malformed;
        };
        pos += len;
        out.push(Segment {
            marker,
            range: start..pos,
            body,
        });
        if marker == 0xDA {
            break Stop::Scan;
        }
    };
    Some((out, stop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_to_the_first_scan() {
        let b = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/corpus/photo-storm.jpg"
        ))
        .unwrap();
        let (segs, stop) = segments(&b).unwrap();
        assert_eq!(stop, Stop::Scan);
        assert_eq!(segs.last().unwrap().marker, 0xDA);
        assert!(segs.iter().any(|s| s.marker == 0xE1), "the photo has EXIF");
        assert_eq!(segs[0].range.start, 2);
        for w in segs.windows(2) {
            assert!(w[0].range.end <= w[1].range.start);
        }
    }

    #[test]
    fn malformed_headers_stop_cleanly() {
        assert_eq!(segments(b"not a jpeg"), None);
        let (_, stop) = segments(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00]).unwrap();
        assert_eq!(stop, Stop::Malformed);
        let (_, stop) = segments(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01]).unwrap();
        assert_eq!(stop, Stop::Malformed);
        let (segs, stop) = segments(&[0xFF, 0xD8, 0xFF, 0xFF, 0xD9]).unwrap();
        assert_eq!((segs.len(), stop), (1, Stop::End));
    }
}

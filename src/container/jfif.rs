//! JPEG structure: the marker segments of a JPEG up to its image data, read without decoding.
//!
//! In: bytes. Out: each segment's marker, byte range and body, and where the walk stopped
//! ([`segments`]); the colour model the headers announce ([`colour_model`]); whether the
//! entropy-coded data reaches its end marker ([`check_complete`]). The decoder, the metadata
//! report and the metadata stripper all read JPEG headers through this one walker.

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

/// The colour model a JPEG's frame header and Adobe APP14 marker announce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColourModel {
    /// One component.
    Gray,
    /// Three components (YCbCr or, rarely, RGB).
    Colour,
    /// Four components stored as CMYK (Adobe transform 0, or no APP14).
    Cmyk,
    /// Four components stored as YCCK (Adobe transform 2).
    Ycck,
}

/// Read a JPEG's component count (first SOF) and Adobe APP14 transform flag, without decoding.
/// `None` if the bytes are not a JPEG or end before a frame header.
pub fn colour_model(bytes: &[u8]) -> Option<ColourModel> {
    let (segments, _) = segments(bytes)?;
    let mut adobe_transform: Option<u8> = None;
    for seg in segments {
        match seg.marker {
            0xEE if seg.body.starts_with(b"Adobe") => adobe_transform = seg.body.get(11).copied(),
            // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(seg.marker, 0xC4 | 0xC8 | 0xCC) => {
                return Some(match seg.body.get(5)? {
                    1 => ColourModel::Gray,
                    4 if adobe_transform == Some(2) => ColourModel::Ycck,
                    4 => ColourModel::Cmyk,
                    _ => ColourModel::Colour,
                });
            }
            _ => {}
        }
    }
    None
}

/// Is the JPEG whole? An EOI marker (`FF D9`) must follow the last start-of-scan (`FF DA`).
/// Entropy-coded data stuffs every `FF` byte, so neither marker can appear by accident inside
/// it, and an EXIF thumbnail's own EOI sits before the main image's scans.
pub fn check_complete(bytes: &[u8]) -> Result<(), super::Truncation> {
    let Some(sos) = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]) else {
        return Err(super::Truncation::JpegNoScan);
    };
    if bytes[sos..].windows(2).any(|w| w == [0xFF, 0xD9]) {
        Ok(())
    } else {
        Err(super::Truncation::JpegCut)
    }
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
    fn jpeg_models_are_told_apart() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus/");
        let model = |f: &str| colour_model(&std::fs::read(format!("{dir}{f}")).unwrap());
        assert_eq!(model("cmyk-logo.jpg"), Some(ColourModel::Ycck));
        assert_eq!(model("gray-cat.jpg"), Some(ColourModel::Gray));
        assert_eq!(model("rocket.jpg"), Some(ColourModel::Colour));
        assert_eq!(
            model("photo-bridge-progressive.jpg"),
            Some(ColourModel::Colour)
        );
        assert_eq!(colour_model(b"\x89PNG"), None);
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

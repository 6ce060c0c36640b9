//! Output: what the encoder hands back for one source, as data.
//!
//! The candidate files ([`Output`]), the facts about the source the report needs (size,
//! orientation, lossless or not) and what was done to it on the way ([`Conversion`]). The size
//! guard ([`super::guard`]) turns candidates into the kept outputs and the [`Dropped`] ones.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::format::OutFormat;

/// Where an output's bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Produced by an encoder.
    Encoded,
    /// The source file's own bytes (metadata stripped), served as the fallback at its own width
    /// because re-encoding made it larger (or, for an animation, always).
    SourceBytes,
}

/// One candidate or kept output file.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// File format.
    pub format: OutFormat,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Encoded, or the source file's own bytes.
    pub origin: Origin,
    /// Encoder quality of a lossy output (`None`: lossless, or the source's own bytes).
    pub quality: Option<f32>,
    /// SSIMULACRA2 against the resized source, where it was measured.
    pub score: Option<f32>,
}

impl Output {
    /// An output as it came out of a codec, before any quality is recorded.
    pub fn new(width: u32, height: u32, format: OutFormat, bytes: Vec<u8>, origin: Origin) -> Self {
        Output {
            width,
            height,
            format,
            bytes,
            origin,
            quality: None,
            score: None,
        }
    }
}

/// A variant that was planned but not kept, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// Pixel width of the variant.
    pub width: u32,
    /// Its format.
    pub format: OutFormat,
    /// Human-readable reason, e.g. `webp 41.0 KB ≥ jpeg 39.2 KB`.
    pub reason: String,
}

/// What encoding did to a source on the way, one item each, for the report and the manifest.
/// Serialised as the sentence it displays as, so the manifest and `--json` read naturally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conversion {
    /// A colour conversion to sRGB (`Adobe RGB (1998) → sRGB`, `YCCK (CMYK) → sRGB`) or a note
    /// on a profile that could not be applied, as the colour room words it.
    Colour(String),
    /// An EXIF orientation (2–8) applied to the pixels.
    Orientation(u8),
    /// An animation: its frame count, and whether animated WebP was kept or the GIF serves
    /// alone.
    Animation {
        /// Frames.
        frames: usize,
        /// At least one animated WebP variant was kept.
        webp: bool,
    },
    /// Metadata the source carried that no output does (`EXIF (with GPS)`, `XMP`, `comment`).
    MetadataRemoved(Vec<String>),
}

const METADATA: &str = "metadata removed: ";
const ANIMATED: &str = " frames → animated WebP (delays and loop count kept)";
const GIF_ONLY: &str = " frames; served as the GIF only";

impl Conversion {
    /// Metadata was removed (privacy), rather than pixels changed.
    pub fn is_metadata(&self) -> bool {
        matches!(self, Conversion::MetadataRemoved(_))
    }

    /// Parse the sentence [`Conversion`] displays as; anything unknown is a colour note.
    pub fn parse(s: &str) -> Conversion {
        if let Some(items) = s.strip_prefix(METADATA) {
            return Conversion::MetadataRemoved(split_items(items));
        }
        if let Some(o) = s
            .strip_prefix("EXIF orientation ")
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|o| orientation_words(*o).is_some())
        {
            return Conversion::Orientation(o);
        }
        for (suffix, webp) in [(ANIMATED, true), (GIF_ONLY, false)] {
            if let Some(frames) = s.strip_suffix(suffix).and_then(|n| n.parse().ok()) {
                return Conversion::Animation { frames, webp };
            }
        }
        Conversion::Colour(s.to_string())
    }
}

/// Split `a, b (c, d), e` at the commas outside parentheses.
fn split_items(s: &str) -> Vec<String> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(s[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(s[start..].trim().to_string());
    items
}

/// What an EXIF orientation does, in words; `None` for 1 (nothing) and invalid values.
pub fn orientation_words(orientation: u8) -> Option<&'static str> {
    Some(match orientation {
        2 => "mirrored left-right",
        3 => "rotated 180°",
        4 => "mirrored top-bottom",
        5 => "transposed",
        6 => "rotated 90° clockwise",
        7 => "transversed",
        8 => "rotated 90° counter-clockwise",
        _ => return None,
    })
}

impl std::fmt::Display for Conversion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conversion::Colour(s) => f.write_str(s),
            Conversion::Orientation(o) => write!(
                f,
                "EXIF orientation {o} applied ({})",
                orientation_words(*o).unwrap_or("?")
            ),
            Conversion::Animation { frames, webp: true } => write!(f, "{frames}{ANIMATED}"),
            Conversion::Animation { frames, .. } => write!(f, "{frames}{GIF_ONLY}"),
            Conversion::MetadataRemoved(items) => write!(f, "{METADATA}{}", items.join(", ")),
        }
    }
}

impl Serialize for Conversion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Conversion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Conversion::parse(&String::deserialize(d)?))
    }
}

/// Everything the encoder produced for one source: its candidates, and after the size guard
/// ([`super::guard::select`]) the outputs worth serving and the ones dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoded {
    /// Upright source width (after EXIF orientation).
    pub width: u32,
    /// Upright source height.
    pub height: u32,
    /// Whether the WebP variants are lossless.
    pub lossless: bool,
    /// The lossy WebP quality used for still variants (`None` when none is lossy).
    pub webp_quality: Option<f32>,
    /// The JPEG fallback quality used (`None` when there is no JPEG fallback).
    pub jpeg_quality: Option<u8>,
    /// The AVIF quality used (`None` when no AVIF was asked for).
    pub avif_quality: Option<f32>,
    /// Encodes the quality search tried for this source (0: no search ran).
    pub search_encodes: u32,
    /// EXIF orientation (1–8) that was applied to the pixels.
    pub orientation: u8,
    /// Frames of an animation; `None` for a still image.
    pub frames: Option<usize>,
    /// Before the guard: one candidate per requested op, in order, then the offered source, if
    /// any. After: the kept variants by ascending width, WebP before the fallback (for an
    /// animation, the animated WebPs and then the GIF).
    pub outputs: Vec<Output>,
    /// Variants left out, by width, with the reason (empty until the guard has chosen).
    pub dropped: Vec<Dropped>,
    /// What was done to the source on the way (the animation's outcome first, once chosen;
    /// then colour, orientation, metadata).
    pub conversions: Vec<Conversion>,
    /// The dominant colour, shown while the image loads (`None`: the image has transparency).
    pub placeholder: Option<[u8; 3]>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_read_back_what_they_say() {
        for c in [
            Conversion::Colour("Adobe RGB (1998) → sRGB".into()),
            Conversion::Orientation(6),
            Conversion::Animation {
                frames: 56,
                webp: true,
            },
            Conversion::Animation {
                frames: 4,
                webp: false,
            },
            Conversion::MetadataRemoved(vec!["EXIF (with GPS, thumbnail)".into(), "XMP".into()]),
        ] {
            assert_eq!(Conversion::parse(&c.to_string()), c, "{c}");
        }
        assert_eq!(
            Conversion::Orientation(6).to_string(),
            "EXIF orientation 6 applied (rotated 90° clockwise)"
        );
    }
}

//! Format: what an image file really is, decided from its first bytes, never from its name
//! ([`Format`], [`sniff`]), and the formats postpix writes ([`OutFormat`]).

use serde::Serialize;

/// An image format postpix recognises by its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// GIF87a / GIF89a.
    Gif,
    /// WebP (`RIFF....WEBP`): recognised, not re-encoded.
    Webp,
    /// SVG (`<svg`, or an XML prolog): vector, served as it is.
    Svg,
    /// Another raster format we recognise but do not process (BMP, TIFF, AVIF, ICO, ...).
    Other,
}

impl Format {
    /// True for the formats postpix re-encodes.
    pub fn is_supported(self) -> bool {
        matches!(self, Format::Jpeg | Format::Png | Format::Gif)
    }

    /// Lower-case name as used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::Webp => "webp",
            Format::Svg => "svg",
            Format::Other => "other",
        }
    }

    /// True when a file extension (without the dot, any case) is a usual name for this format.
    pub fn matches_extension(self, ext: &str) -> bool {
        let ext = ext.to_ascii_lowercase();
        match self {
            Format::Jpeg => matches!(ext.as_str(), "jpg" | "jpeg" | "jpe" | "jfif"),
            Format::Png => ext == "png",
            Format::Gif => ext == "gif",
            Format::Webp => ext == "webp",
            Format::Svg => ext == "svg",
            Format::Other => false,
        }
    }
}

/// Format of one output file.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum OutFormat {
    /// WebP, lossy or lossless.
    Webp,
    /// Progressive baseline-compatible JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// GIF (only ever the source's own bytes).
    Gif,
    /// AVIF (AV1 in HEIF), lossy; offered before WebP when `--formats` asks for it.
    Avif,
}

impl OutFormat {
    /// File extension without the dot.
    pub fn extension(&self) -> &'static str {
        match self {
            OutFormat::Webp => "webp",
            OutFormat::Jpeg => "jpg",
            OutFormat::Png => "png",
            OutFormat::Gif => "gif",
            OutFormat::Avif => "avif",
        }
    }

    /// MIME type, as used in `<source type=…>`.
    pub fn mime(&self) -> &'static str {
        match self {
            OutFormat::Webp => "image/webp",
            OutFormat::Jpeg => "image/jpeg",
            OutFormat::Png => "image/png",
            OutFormat::Gif => "image/gif",
            OutFormat::Avif => "image/avif",
        }
    }

    /// True for the formats offered in a `<source>` (the browser may not decode them), false for
    /// the fallbacks every browser takes in the `<img>`.
    pub fn is_modern(self) -> bool {
        matches!(self, OutFormat::Webp | OutFormat::Avif)
    }

    /// The fallback served next to WebP for a source format: JPEG stays JPEG, PNG and still
    /// GIF become PNG (GIF's 256-colour palette only loses against PNG).
    pub fn fallback_for(src: Format) -> OutFormat {
        match src {
            Format::Jpeg => OutFormat::Jpeg,
            _ => OutFormat::Png,
        }
    }

    /// The format a source file is served in as is (its own bytes, metadata stripped).
    pub fn of_source(src: Format) -> OutFormat {
        match src {
            Format::Jpeg => OutFormat::Jpeg,
            Format::Gif => OutFormat::Gif,
            _ => OutFormat::Png,
        }
    }
}

impl std::fmt::Display for OutFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OutFormat::Jpeg => "jpeg",
            other => other.extension(),
        })
    }
}

/// How many leading bytes [`sniff`] needs at most.
pub const SNIFF_LEN: usize = 32;

/// Decide the format from the first bytes of a file. `None` means "not an image we know".
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some(Format::Webp)
    } else if head.starts_with(b"BM")
        || head.starts_with(b"II*\0")
        || head.starts_with(b"MM\0*")
        || (head.len() >= 12 && &head[4..8] == b"ftyp")
        || head.starts_with(&[0, 0, 1, 0])
    {
        Some(Format::Other)
    } else if starts_with_svg(head) {
        Some(Format::Svg)
    } else {
        None
    }
}

fn starts_with_svg(head: &[u8]) -> bool {
    let trimmed: &[u8] = {
        let mut h = head;
        if h.starts_with(&[0xEF, 0xBB, 0xBF]) {
            h = &h[3..];
        }
        let n = h.iter().take_while(|b| b.is_ascii_whitespace()).count();
        &h[n..]
    };
    let lower = trimmed.to_ascii_lowercase();
    lower.starts_with(b"<svg") || lower.starts_with(b"<?xml") || lower.starts_with(b"<!doctype svg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_three_supported_formats() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some(Format::Png));
        assert_eq!(sniff(b"GIF89a.."), Some(Format::Gif));
        assert_eq!(sniff(b"GIF87a.."), Some(Format::Gif));
    }

    #[test]
    fn recognises_but_does_not_support_others() {
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(sniff(b"<svg xmlns="), Some(Format::Svg));
        assert_eq!(
            sniff(b"\xEF\xBB\xBF\n<!DOCTYPE svg PUBLIC"),
            Some(Format::Svg)
        );
        // issue 17 item 9: a valid SVG named .svg is not a liar.
        assert!(Format::Svg.matches_extension("SVG"));
        assert!(!Format::Webp.is_supported());
    }

    #[test]
    fn text_and_empty_files_are_not_images() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"hello, I am text"), None);
    }

    #[test]
    fn extension_check_is_case_insensitive() {
        assert!(Format::Jpeg.matches_extension("JPG"));
        assert!(!Format::Png.matches_extension("jpeg"));
    }
}

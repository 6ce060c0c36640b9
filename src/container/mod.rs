//! Containers: the byte-level structure of the files postpix reads, walked without decoding
//! any pixel data.
//!
//! One walker per container: GIF blocks ([`gif`]), JPEG marker segments ([`jfif`]), PNG chunks
//! ([`png`]), the EXIF/TIFF block ([`exif`]) and WebP's RIFF chunks ([`riff`]). The probe, the
//! decoder, the metadata stripper and the tests all read headers through these, so each format
//! is walked in exactly one place. Everything here is a pure function of bytes; nothing
//! allocates more than a list of ranges, and nothing is inflated.

pub mod exif;
pub mod gif;
pub mod jfif;
pub mod png;
pub mod riff;

use crate::format::Format;

/// Why a file looks cut short or broken, found by walking its structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Truncation {
    /// A JPEG without any start of scan.
    #[error("truncated JPEG: no image data (no start of scan)")]
    JpegNoScan,
    /// A JPEG whose image data ends before its end marker.
    #[error("truncated JPEG: the image data ends before its end marker (an incomplete upload?)")]
    JpegCut,
    /// A PNG that ends before its IEND chunk.
    #[error("truncated PNG: the file ends before its IEND chunk")]
    PngNoIend,
    /// A PNG chunk that runs past the end of the file.
    #[error("truncated PNG: chunk {} is cut short", String::from_utf8_lossy(.0))]
    PngChunkCut([u8; 4]),
    /// A GIF that ends inside a frame.
    #[error("truncated GIF: the file ends inside a frame")]
    GifCut,
    /// A GIF with a byte that starts no known block.
    #[error("corrupt GIF: unknown block")]
    GifCorrupt,
}

/// Is the file complete? Decoders happily fill a truncated upload with grey; postpix is strict
/// by default (the decoder turns this into an error, or a warning when lenient). Formats
/// postpix does not decode are always "complete".
pub fn check_complete(bytes: &[u8], format: Format) -> Result<(), Truncation> {
    match format {
        Format::Jpeg => jfif::check_complete(bytes),
        Format::Png => png::check_complete(bytes),
        Format::Gif => gif::check_complete(bytes),
        _ => Ok(()),
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::corpus;

    #[test]
    fn whole_corpus_files_are_complete() {
        for (f, fmt) in [
            ("photo-storm.jpg", Format::Jpeg),
            ("photo-bridge-progressive.jpg", Format::Jpeg),
            ("exif-orientation-6-real.jpg", Format::Jpeg),
            ("screenshot-gnome.png", Format::Png),
            ("anim-emote-133-frames.gif", Format::Gif),
            ("earth.gif", Format::Gif),
        ] {
            assert_eq!(check_complete(&corpus(f), fmt), Ok(()), "{f}");
        }
    }

    #[test]
    fn truncations_are_caught() {
        for (f, fmt) in [
            ("photo-storm.jpg", Format::Jpeg),
            ("photo-bridge-progressive.jpg", Format::Jpeg),
            ("screenshot-gnome.png", Format::Png),
            ("anim-emote-133-frames.gif", Format::Gif),
        ] {
            let b = corpus(f);
            for cut in [b.len() / 3, b.len() / 2, b.len() - 3] {
                assert!(check_complete(&b[..cut], fmt).is_err(), "{f} cut at {cut}");
            }
        }
    }
}

//! Plan: decide, before touching a pixel, which variants each source needs and what they are
//! called.
//!
//! In: resolved sources with their header facts and content hashes, the configured widths and
//! the cache key. Out: [`VariantName`]s (URL-safe, immutable, collision-free) and the folder they
//! live in. Pure functions; the pipeline does the I/O.

use crate::encode::OutFormat;

/// Longest slug taken from a source's file stem.
pub const MAX_SLUG: usize = 40;
/// Hex digits of the cache key in a variant's name.
pub const HASH_LEN: usize = 8;

/// An ASCII, URL-safe slug of a file stem: lower-case letters and digits joined by `-`.
///
/// WeChat exports have 90-character random stems; the slug keeps the first [`MAX_SLUG`]
/// characters, which are still unique enough to read, while the hash makes the name unique.
pub fn slug(stem: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
            if out.len() >= MAX_SLUG {
                break;
            }
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        "img".to_string()
    } else {
        out
    }
}

/// File name of one variant: `<slug>-<width>.<hash>.<ext>`, e.g. `abc-480.1f3a9c2e.webp`.
///
/// The hash is the start of the cache key, which covers the source bytes and every setting, so
/// a name never changes meaning: a server may cache it forever, and two different sources (or
/// one source under two settings) can never share a name, even when their stems are equal or
/// differ only in case.
pub fn variant_name(stem_slug: &str, width: u32, key: &str, format: OutFormat) -> String {
    let short = &key[..key.len().min(HASH_LEN)];
    format!("{stem_slug}-{width}.{short}.{}", format.extension())
}

/// The stem of a site-relative path (`postimg/My Photo.JPG` gives `My Photo`).
pub fn stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match name.rfind('.') {
        Some(0) | None => name,
        Some(i) => &name[..i],
    }
}

/// Folder (site-relative, `/`, no trailing slash; empty for the root) of a site-relative path.
pub fn folder(rel: &str) -> &str {
    match rel.rfind('/') {
        Some(i) => &rel[..i],
        None => "",
    }
}

/// The site-relative folder that holds the variants of a source at `rel`.
pub fn variant_folder(rel: &str, variant_dir: &str) -> String {
    let f = folder(rel);
    if f.is_empty() {
        variant_dir.to_string()
    } else {
        format!("{f}/{variant_dir}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_lowercase_and_bounded() {
        assert_eq!(slug("My Photo"), "my-photo");
        assert_eq!(slug("café menu"), "caf-menu");
        assert_eq!(slug("IMG_0001"), "img-0001");
        assert_eq!(slug("日本"), "img");
        assert_eq!(
            slug("P9ficrEVSdibbSahGAohhYfky53ffm6ZicV85b7MehiabwzaImg4owaDavFA7gMkpkdtKYCnVMpz4KVYyYvE9IFKFQ").len(),
            MAX_SLUG
        );
    }

    #[test]
    fn names_carry_width_hash_and_extension() {
        let key = "1f3a9c2e99999999";
        assert_eq!(
            variant_name("abc", 480, key, OutFormat::Webp),
            "abc-480.1f3a9c2e.webp"
        );
        assert_eq!(
            variant_name("abc", 960, key, OutFormat::Jpeg),
            "abc-960.1f3a9c2e.jpg"
        );
    }

    #[test]
    fn same_stem_different_sources_do_not_collide() {
        let a = variant_name(&slug("Abc"), 480, "aaaaaaaa", OutFormat::Webp);
        let b = variant_name(&slug("abc"), 480, "bbbbbbbb", OutFormat::Webp);
        assert_ne!(a, b);
    }

    #[test]
    fn folders_and_stems() {
        assert_eq!(stem("postimg/My Photo.JPG"), "My Photo");
        assert_eq!(stem(".hidden"), ".hidden");
        assert_eq!(
            variant_folder("postimg/a.png", "responsive"),
            "postimg/responsive"
        );
        assert_eq!(variant_folder("a.png", "responsive"), "responsive");
    }
}

//! Front matter: find the YAML front matter of a post and the image-valued keys in it.
//!
//! In: the whole post. Out: the byte range of the front matter block (so the Markdown finder can
//! blank it before parsing) and one [`RefKind::FrontMatter`] ref per image-valued top-level key.
//! This is a line scanner, not a YAML parser: layouts read a handful of flat keys, and a real YAML
//! parser would not give us byte spans anyway.

use std::ops::Range;

use super::{line_of, ImageRef, RefKind};
use crate::fence::{block, trim_end, Lines};

/// Keys that themes commonly read as an image path, whatever the value looks like.
const IMAGE_KEYS: &[&str] = &[
    "header-img",
    "header-image",
    "image",
    "og_image",
    "og-image",
    "cover",
    "cover-img",
    "thumbnail",
    "feature",
    "featured_image",
    "teaser",
    "banner",
    "background",
    "share-img",
];

/// The keys themes read as the page's hero (header) image: postpix encodes the images they name
/// like body images and lists them in `_data/postpix.json` for the `postpix/picture.html`
/// include. The other image keys (`og_image`, `thumbnail`, `share-img`, …) are social cards and
/// listing thumbnails, which crawlers fetch as they are: reported, not encoded.
pub const HERO_KEYS: &[&str] = &[
    "header-img",
    "header-image",
    "image",
    "cover",
    "cover-img",
    "feature",
    "featured_image",
    "banner",
];

/// True when a front-matter `key` names a hero image (see [`HERO_KEYS`]).
pub fn is_hero_key(key: &str) -> bool {
    HERO_KEYS.contains(&key)
}

/// Extensions that make any top-level value an image reference.
const IMAGE_EXTS: &[&str] = &[".jpg", ".jpeg", ".png", ".gif", ".webp"];

/// The front matter of `text` and the image refs it holds.
///
/// The range runs from the start of the text (BOM included) to the end of the closing `---` or
/// `...` line, without its line break. `None` when the post has no complete front matter: Jekyll
/// only treats a block as front matter when both fences are there.
pub(super) fn extract(text: &str) -> (Option<Range<usize>>, Vec<ImageRef>) {
    let Some((body, end)) = block(text) else {
        return (None, Vec::new());
    };
    (Some(0..end), image_keys(text, body))
}

/// The YAML text between the fences of `text`'s front matter, or `None` when it has none.
pub(super) fn yaml_body(text: &str) -> Option<&str> {
    block(text).and_then(|(body, _)| text.get(body))
}

/// The refs of the top-level keys in `body`.
fn image_keys(text: &str, body: Range<usize>) -> Vec<ImageRef> {
    let mut refs = Vec::new();
    // A key with an empty value whose indented `path:` child holds the image (jekyll-seo-tag).
    let mut parent: Option<String> = None;
    for (line, _) in Lines::new(&text[..body.end], body.start) {
        let raw = &text[line.clone()];
        let indented = raw.starts_with([' ', '\t']);
        let Some((key, value)) = key_value(raw) else {
            if !indented {
                parent = None;
            }
            continue;
        };
        let key_text = &raw[key.clone()];
        if indented {
            if key_text.trim_start() == "path" {
                if let Some(p) = &parent {
                    if let Some(r) = make_ref(text, line.start, value, p.clone()) {
                        refs.push(r);
                    }
                }
            }
            continue;
        }
        parent = None;
        if value.is_empty() {
            if key_text == "image" {
                parent = Some(key_text.to_owned());
            }
            continue;
        }
        let known = IMAGE_KEYS.contains(&key_text);
        let unquoted = unquote(&raw[value.clone()]);
        if known && !looks_like_scalar_path(unquoted) {
            continue;
        }
        if known || has_image_ext(unquoted) {
            if let Some(r) = make_ref(text, line.start, value, key_text.to_owned()) {
                refs.push(r);
            }
        }
    }
    refs
}

/// Splits `key: value` into the key range and the value range (both relative to `line`).
/// The value is trimmed, and an unquoted value loses a trailing ` # comment`.
fn key_value(line: &str) -> Option<(Range<usize>, Range<usize>)> {
    let line = trim_end(line);
    let bytes = line.as_bytes();
    let content_start = line.len() - line.trim_start_matches([' ', '\t']).len();
    if bytes
        .get(content_start)
        .is_none_or(|&b| b == b'#' || b == b'-')
    {
        return None;
    }
    // YAML keys may contain ':' (`og:image`); the separator is a ':' followed by a blank or EOL.
    let colon = (content_start..bytes.len())
        .find(|&i| bytes[i] == b':' && bytes.get(i + 1).is_none_or(|&b| b == b' ' || b == b'\t'))?;
    let key = content_start..colon;
    let after = colon + 1;
    let value_start = after + (line.len() - after - line[after..].trim_start().len());
    let mut value_end = line.len();
    let value = &line[value_start..];
    if !value.starts_with(['"', '\'']) {
        if let Some(hash) = value.find(" #").or_else(|| value.find("\t#")) {
            value_end = value_start + trim_end(&value[..hash]).len();
        }
    }
    Some((key, value_start..value_end))
}

/// The value without one pair of surrounding quotes.
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// False for YAML values that cannot be a path: booleans, nulls, flow collections, block scalars.
fn looks_like_scalar_path(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    !(value.is_empty()
        || matches!(
            lower.as_str(),
            "~" | "null" | "true" | "false" | "yes" | "no"
        )
        || value.starts_with(['[', '{', '|', '>', '&', '*', '!']))
}

fn has_image_ext(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    IMAGE_EXTS.iter().any(|ext| lower.ends_with(ext))
}

/// A front-matter ref for the value at `value` (relative to the line starting at `line_start`).
fn make_ref(text: &str, line_start: usize, value: Range<usize>, key: String) -> Option<ImageRef> {
    let span = line_start + value.start..line_start + value.end;
    let url = unquote(&text[span.clone()]);
    if url.trim().is_empty() {
        return None;
    }
    let line = line_of(text, span.start);
    Some(ImageRef {
        key: Some(key),
        ..ImageRef::bare(RefKind::FrontMatter, url.to_owned(), span, line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(usize, String, String, String)> {
        extract(text)
            .1
            .into_iter()
            .map(|r| {
                let span = text[r.span.clone()].to_owned();
                (r.line, r.key.unwrap(), r.url, span)
            })
            .collect()
    }

    #[test]
    fn header_img_is_reported_with_its_value_span() {
        let text = "---\nlayout: post\nheader-img: img/the-first.png\n---\nbody\n";
        let (range, _) = extract(text);
        assert_eq!(
            &text[range.unwrap()],
            "---\nlayout: post\nheader-img: img/the-first.png\n---"
        );
        assert_eq!(
            keys(text),
            vec![(
                3,
                "header-img".into(),
                "img/the-first.png".into(),
                "img/the-first.png".into()
            )]
        );
    }

    #[test]
    fn known_keys_quoted_values_and_image_extensions() {
        let text = "---\n\
            image: \"/img/a b.jpg\"\n\
            cover: 'x/cover'\n\
            og:image: /og.PNG\n\
            title: not an image\n\
            thumbnail: \n\
            feature: true\n\
            logo: /logo.webp # site logo\n\
            ---\n";
        assert_eq!(
            keys(text),
            vec![
                (
                    2,
                    "image".into(),
                    "/img/a b.jpg".into(),
                    "\"/img/a b.jpg\"".into()
                ),
                (3, "cover".into(), "x/cover".into(), "'x/cover'".into()),
                (4, "og:image".into(), "/og.PNG".into(), "/og.PNG".into()),
                (8, "logo".into(), "/logo.webp".into(), "/logo.webp".into()),
            ]
        );
    }

    #[test]
    fn seo_tag_image_path() {
        let text = "---\nimage:\n  path: /img/card.png\n  height: 100\ntags:\n  - a.png\n---\n";
        assert_eq!(
            keys(text),
            vec![(
                3,
                "image".into(),
                "/img/card.png".into(),
                "/img/card.png".into()
            )]
        );
    }

    #[test]
    fn bom_crlf_and_dots_fence() {
        let text = "\u{feff}---\r\nheader-img: img/x.jpg\r\n...\r\nbody";
        let (range, _) = extract(text);
        assert_eq!(range, Some(0..text.find("...").unwrap() + 3));
        assert_eq!(
            keys(text),
            vec![(
                2,
                "header-img".into(),
                "img/x.jpg".into(),
                "img/x.jpg".into()
            )]
        );
    }

    #[test]
    fn no_front_matter_without_both_fences() {
        assert_eq!(extract("---\nimage: a.png\n").0, None);
        assert_eq!(extract("text\n---\nimage: a.png\n---\n").0, None);
        assert_eq!(extract("").0, None);
    }
}

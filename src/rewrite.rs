//! Rewrite: turn an image reference into responsive `<picture>` markup and splice it into the
//! post, changing no byte outside the image spans.
//!
//! In: the author's text, its [`ImageRef`]s and, for each, the variants to offer. Out: the new
//! text. The markup is built as data ([`Picture`]) and then serialised on one line, wrapped in a
//! `<span>` that keeps it inline for kramdown (a line that *begins* with `<picture>` would start
//! an HTML block and split the paragraph) and that records the original text for `restore`.

use std::ops::Range;

use crate::format::OutFormat;
use crate::marker;
use crate::resolve::liquid_base_len;
use crate::scan::{ImageRef, RefKind};

/// One variant as the markup names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantLink {
    /// File name inside the variant folder.
    pub file_name: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Format.
    pub format: OutFormat,
}

/// Everything the generated element says, before serialisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    /// AVIF candidates, ascending width: (url, width); offered before WebP.
    pub avif: Vec<(String, u32)>,
    /// WebP candidates, ascending width: (url, width).
    pub webp: Vec<(String, u32)>,
    /// Fallback candidates, ascending width.
    pub fallback: Vec<(String, u32)>,
    /// `sizes`.
    pub sizes: String,
    /// Attributes of the `<img>`, in order, values unescaped.
    pub img_attrs: Vec<(String, Option<String>)>,
    /// The author's original text.
    pub original: String,
}

impl Picture {
    /// Serialise on one line. Every value is double-quoted and escaped: kramdown turns an `<img>`
    /// with an unquoted attribute into visible text.
    pub fn to_html(&self) -> String {
        let mut s = String::with_capacity(512);
        s.push_str(marker::OPEN);
        s.push_str(&marker::escape_attr(&self.original));
        s.push_str("\"><picture>");
        // A browser takes the first <source> it decodes: AVIF (smaller) before WebP.
        for (mime, set) in [("image/avif", &self.avif), ("image/webp", &self.webp)] {
            if !set.is_empty() {
                s.push_str("<source type=\"");
                s.push_str(mime);
                s.push_str("\" srcset=\"");
                s.push_str(&marker::escape_attr(&srcset(set)));
                s.push_str("\" sizes=\"");
                s.push_str(&marker::escape_attr(&self.sizes));
                s.push_str("\">");
            }
        }
        s.push_str("<img");
        for (name, value) in &self.img_attrs {
            s.push(' ');
            s.push_str(name);
            if let Some(v) = value {
                s.push_str("=\"");
                s.push_str(&marker::escape_attr(v));
                s.push('"');
            }
        }
        s.push('>');
        s.push_str(marker::CLOSE);
        s
    }
}

fn srcset(c: &[(String, u32)]) -> String {
    c.iter()
        .map(|(u, w)| format!("{u} {w}w"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Percent-encode a URL path for use in `src`/`srcset`: spaces, commas, quotes, angle brackets,
/// control and non-ASCII characters are encoded; existing `%XX` escapes and Liquid `{{ … }}`
/// are left as written.
pub fn encode_url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while !rest.is_empty() {
        if rest.starts_with("{{") {
            if let Some(end) = rest.find("}}") {
                out.push_str(&rest[..end + 2]);
                rest = &rest[end + 2..];
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        let keep = c.is_ascii_alphanumeric() || "/-._~!$&'()*+;=:@%".contains(c);
        if keep {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The URL of a variant, in the reference's own base form: only the last path segment of the
/// reference is replaced by `<variant_dir>/<file_name>`, so `{{site.baseurl}}`, root-relative
/// and document-relative references keep working. Query and fragment are dropped.
pub fn variant_url(ref_url: &str, variant_dir: &str, file_name: &str) -> String {
    let url = &crate::resolve::url_standard_clean(ref_url);
    // `{{ "/p/a.png" | relative_url }}`: the path lives inside the quotes.
    if url.starts_with("{{") && url.contains('|') {
        if let (Some(q1), Some(end)) = (url.find(['"', '\'']), url.find("}}")) {
            let quote = &url[q1..q1 + 1];
            if let Some(q2) = url[q1 + 1..end].find(quote) {
                let inner = &url[q1 + 1..q1 + 1 + q2];
                let replaced = variant_url(inner, variant_dir, file_name);
                return format!(
                    "{}{}{}",
                    &url[..q1 + 1],
                    replaced,
                    &url[q1 + 1 + q2..end + 2]
                );
            }
        }
    }
    let base_len = liquid_base_len(url);
    let (base, path) = url.split_at(base_len);
    let cut = path.find(['?', '#']).unwrap_or(path.len());
    let path = &path[..cut];
    let prefix = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    };
    format!(
        "{base}{}{}/{}",
        encode_url_path(prefix),
        encode_url_path(variant_dir),
        encode_url_path(file_name)
    )
}

/// Attributes from a kramdown IAL body (`.a #b key="v" key='v' key=v`). `None` when it holds
/// something postpix can't carry over (an ALD reference), so the image is left alone.
pub fn parse_ial(ial: &str) -> Option<Vec<(String, String)>> {
    let mut classes: Vec<String> = Vec::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let b = ial.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_whitespace() => i += 1,
            b'.' | b'#' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && !b[j].is_ascii_whitespace() {
                    j += 1;
                }
                let v = ial[start..j].to_string();
                if b[i] == b'.' {
                    classes.push(v);
                } else {
                    attrs.push(("id".into(), v));
                }
                i = j;
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i >= b.len() || b[i] != b'=' {
                    return None;
                }
                let name = ial[start..i].to_ascii_lowercase();
                i += 1;
                let value = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i];
                    let vs = i + 1;
                    let mut j = vs;
                    while j < b.len() && b[j] != q {
                        if b[j] == b'\\' {
                            j += 1;
                        }
                        j += 1;
                    }
                    let v = ial[vs..j.min(b.len())]
                        .replace("\\\"", "\"")
                        .replace("\\'", "'");
                    i = j + 1;
                    v
                } else {
                    let vs = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    ial[vs..i].to_string()
                };
                if name.is_empty() {
                    return None;
                }
                attrs.push((name, value));
            }
        }
    }
    if !classes.is_empty() {
        attrs.insert(0, ("class".into(), classes.join(" ")));
    }
    Some(attrs)
}

/// Why a reference was left as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Its IAL can't be carried over.
    Ial,
    /// Front matter is never rewritten.
    FrontMatter,
    /// No variants to offer.
    NoVariants,
}

/// What the author's own markup says about the image's size: `width`/`height` attributes and
/// the `width`, `max-width` and `height` of an inline style.
#[derive(Clone, Debug, Default, PartialEq)]
struct AuthorSize {
    width_attr: Option<String>,
    height_attr: Option<String>,
    style_width: Option<String>,
    style_max_width: Option<String>,
    style_height: Option<String>,
}

impl AuthorSize {
    fn of(own: &[(String, Option<String>)]) -> Self {
        let get = |n: &str| {
            own.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone().unwrap_or_default())
        };
        let mut s = AuthorSize {
            width_attr: get("width"),
            height_attr: get("height"),
            ..AuthorSize::default()
        };
        for decl in get("style").unwrap_or_default().split(';') {
            let Some((prop, value)) = decl.split_once(':') else {
                continue;
            };
            let value = value.trim().trim_end_matches("!important").trim();
            let value = Some(value.to_ascii_lowercase()).filter(|v| !v.is_empty() && v != "auto");
            match prop.trim().to_ascii_lowercase().as_str() {
                "width" => s.style_width = value,
                "max-width" => s.style_max_width = value,
                "height" => s.style_height = value,
                _ => {}
            }
        }
        s
    }

    /// Whether postpix may add the source's `width`/`height` (with `height:auto`): only when
    /// the author fixed neither attribute nor a height in the style.
    fn adds_intrinsic_size(&self) -> bool {
        self.width_attr.is_none() && self.height_attr.is_none() && self.style_height.is_none()
    }

    /// How wide the author's markup lets the image be: a width in pixels or a share of the
    /// column (style first, then the attribute), else at most the source's own width, a
    /// `max-width` in pixels, or the width a height in the style gives it (the style beats the
    /// theme's stylesheet, so that height holds and the width follows the source's aspect
    /// ratio). A `height` attribute alone says nothing: a theme's `img { height: auto }`
    /// overrides it, and the image is then as wide as its column.
    fn slot(&self, natural: (u32, u32)) -> Slot {
        let width = self
            .style_width
            .as_deref()
            .or(self.width_attr.as_deref())
            .map(|w| w.trim().to_ascii_lowercase());
        if let Some(w) = &width {
            if let Some(px) = css_px(w) {
                return Slot::Exactly(px);
            }
            return match w.strip_suffix('%').map(|p| p.trim().parse::<f64>()) {
                Some(Ok(p)) if p > 0.0 && p <= 100.0 => Slot::Share(p),
                _ => Slot::Column,
            };
        }
        let cap = self.style_max_width.as_deref().and_then(css_px);
        let from_height = self
            .style_height
            .as_deref()
            .and_then(css_px)
            .filter(|_| natural.1 > 0)
            .map(|h| (f64::from(h) * f64::from(natural.0) / f64::from(natural.1)).ceil() as u32);
        [Some(natural.0).filter(|&w| w > 0), cap, from_height]
            .into_iter()
            .flatten()
            .min()
            .map_or(Slot::Column, Slot::AtMost)
    }

    /// `sizes` for this image, given the site's `default` list: postpix's own column form
    /// (`(max-width: Npx) 100vw, Npx`) is narrowed to the slot; a list the author configured
    /// verbatim keeps its conditions, each length scaled to the share or capped at the slot
    /// with `calc()` / `min()` (a browser that can't read them falls back to `100vw`: it
    /// fetches more, never less).
    fn sizes(&self, natural: (u32, u32), default: &str) -> String {
        let column = column_width(default);
        match (self.slot(natural), column) {
            (Slot::Exactly(px), _) => crate::config::sizes_for(px),
            (Slot::Share(p), Some(col)) => {
                let slot = (f64::from(col) * p / 100.0).ceil();
                format!("(max-width: {col}px) {p}vw, {slot}px")
            }
            (Slot::Share(p), None) => {
                each_length(default, |len| format!("calc({len} * {})", p / 100.0))
            }
            (Slot::AtMost(w), Some(col)) if w < col => crate::config::sizes_for(w),
            (Slot::AtMost(w), None) => each_length(default, |len| format!("min({len}, {w}px)")),
            _ => default.to_string(),
        }
    }
}

/// What [`AuthorSize::slot`] found.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    /// The author gave a width in pixels.
    Exactly(u32),
    /// The author gave a width as a percentage of the column.
    Share(f64),
    /// At most this many pixels wide (and as wide as the column allows).
    AtMost(u32),
    /// As wide as the column, or a width postpix can't read.
    Column,
}

/// A `sizes` list with each entry's length replaced by `f(length)`; an `auto` entry, or one
/// whose length can't be found or read as a CSS length, stays as it is.
fn each_length(list: &str, f: impl Fn(&str) -> String) -> String {
    top_level(list, ',')
        .into_iter()
        .map(|entry| {
            let entry = entry.trim();
            match split_length(entry) {
                Some((_, len)) if !is_length(len) => entry.to_string(),
                Some(("", len)) => f(len),
                Some((cond, len)) => format!("{cond} {}", f(len)),
                None => entry.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A CSS length or math function as a `sizes` entry ends with: `800px`, `50vw`, `calc(…)`.
fn is_length(v: &str) -> bool {
    let number = v.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
    v.ends_with(')') || (number.len() < v.len() && number.parse::<f64>().is_ok())
}

/// `text` split at each `sep` outside parentheses.
fn top_level(text: &str, sep: char) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if c == sep && depth == 0 => {
                out.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// One `sizes` entry as (media condition, length): the length is its last component, a
/// plain token (`800px`, `100vw`) or a function (`calc(100vw - 2rem)`).
fn split_length(entry: &str) -> Option<(&str, &str)> {
    let start = if entry.ends_with(')') {
        let mut depth = 0usize;
        let open = entry.char_indices().rev().find_map(|(i, c)| {
            match c {
                ')' => depth += 1,
                '(' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            None
        })?;
        let name = entry[..open]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .map_or(0, |i| i + 1);
        // A bare parenthesis is a media condition with no length after it.
        (name < open).then_some(name)?
    } else {
        entry.rfind(char::is_whitespace).map_or(0, |i| i + 1)
    };
    Some((entry[..start].trim_end(), &entry[start..]))
}

/// A CSS or attribute length in whole pixels: `300`, `300px`, `299.5px`.
fn css_px(v: &str) -> Option<u32> {
    let n = v.trim().trim_end_matches("px").trim();
    let f: f64 = n.parse().ok()?;
    (1.0..100_000.0).contains(&f).then(|| f.ceil() as u32)
}

/// The column width of a `sizes` postpix wrote itself (`(max-width: Npx) 100vw, Npx`).
fn column_width(sizes: &str) -> Option<u32> {
    let n = sizes.rsplit(',').next()?.trim().strip_suffix("px")?;
    let w: u32 = n.trim().parse().ok()?;
    (crate::config::sizes_for(w) == sizes).then_some(w)
}

/// `sizes` as the markup writes it: `auto, <list>` for a lazy image whose box never depends on
/// the image's own size, else the list.
fn auto_sizes(
    own: &[(String, Option<String>)],
    size: &AuthorSize,
    eager: bool,
    sizes: String,
) -> String {
    // A lazy image is laid out before it is fetched, so the browser knows its real width:
    // `auto` (the HTML standard's auto sizes) lets it use that; browsers without auto sizes
    // read the list after it. An eager image is fetched before layout and needs the list.
    // Only where the box never depends on the image's own size: browsers give an auto-sized
    // image `contain: size` with a 300×150 stand-in (the HTML standard's UA style), so it
    // needs both a width and a height (ours, or both of the author's attributes).
    let lazy = match own.iter().find(|(k, _)| k == "loading") {
        Some((_, v)) => v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("lazy")),
        None => !eager,
    };
    let boxed =
        size.adds_intrinsic_size() || (size.width_attr.is_some() && size.height_attr.is_some());
    if lazy && boxed {
        format!("auto, {sizes}")
    } else {
        sizes
    }
}

/// Build the element for one reference. `original` is the exact text of `r.span`; `natural`
/// is the source's upright size in pixels, the box the original `<img>` had before CSS.
pub fn picture(
    r: &ImageRef,
    original: &str,
    variants: &[VariantLink],
    variant_dir: &str,
    sizes: &str,
    natural: (u32, u32),
    eager: bool,
) -> Result<Picture, Skip> {
    if r.kind == RefKind::FrontMatter {
        return Err(Skip::FrontMatter);
    }
    let of = |format: OutFormat| -> Vec<&VariantLink> {
        let mut v: Vec<&VariantLink> = variants.iter().filter(|v| v.format == format).collect();
        v.sort_by_key(|v| v.width);
        v
    };
    let (avif, webp) = (of(OutFormat::Avif), of(OutFormat::Webp));
    let mut fallback: Vec<&VariantLink> =
        variants.iter().filter(|v| !v.format.is_modern()).collect();
    fallback.sort_by_key(|v| v.width);
    let Some(top) = fallback.last().copied() else {
        return Err(Skip::NoVariants);
    };
    let url = |v: &VariantLink| variant_url(&r.url, variant_dir, &v.file_name);
    let ial = match &r.ial {
        Some(text) => parse_ial(text).ok_or(Skip::Ial)?,
        None => Vec::new(),
    };

    // The author's own attributes win: a raw <img> keeps its class, style, width…; an IAL
    // applies on top. Ours fill in what they don't say.
    let mut own: Vec<(String, Option<String>)> = Vec::new();
    if r.kind == RefKind::Html {
        for (k, v) in &r.attrs {
            if !matches!(k.as_str(), "src" | "srcset" | "sizes") {
                own.push((k.clone(), v.clone()));
            }
        }
    } else {
        own.push(("alt".into(), Some(r.alt.clone())));
        if let Some(t) = &r.title {
            own.push(("title".into(), Some(t.clone())));
        }
    }
    for (k, v) in ial {
        match own.iter_mut().find(|(n, _)| *n == k) {
            Some(slot) if k == "class" => {
                let old = slot.1.clone().unwrap_or_default();
                slot.1 = Some(if old.is_empty() {
                    v
                } else {
                    format!("{old} {v}")
                });
            }
            Some(slot) => slot.1 = Some(v),
            None => own.push((k, Some(v))),
        }
    }
    let has = |own: &[(String, Option<String>)], n: &str| own.iter().any(|(k, _)| k == n);
    let size = AuthorSize::of(&own);
    let sizes = size.sizes(natural, sizes);
    let sizes = auto_sizes(&own, &size, eager, sizes);
    let mut img: Vec<(String, Option<String>)> = vec![("src".into(), Some(url(top)))];
    if fallback.len() > 1 {
        let set: Vec<(String, u32)> = fallback.iter().map(|v| (url(v), v.width)).collect();
        img.push(("srcset".into(), Some(srcset(&set))));
        img.push(("sizes".into(), Some(sizes.clone())));
    }
    // The box must be the one the author's markup gave: the source's own size reserves the
    // space (as the source itself did once loaded), and `height:auto` keeps the `height`
    // attribute from fixing a height whenever CSS changes the width. An author who sized the
    // image (attributes, or a height in the style) keeps exactly that, and nothing is added.
    if size.adds_intrinsic_size() {
        img.push(("width".into(), Some(natural.0.to_string())));
        img.push(("height".into(), Some(natural.1.to_string())));
        match own.iter_mut().find(|(k, _)| k == "style") {
            Some(slot) => {
                let old = slot.1.clone().unwrap_or_default();
                let old = old.trim_end().trim_end_matches(';').trim_end();
                slot.1 = Some(if old.is_empty() {
                    "height:auto".into()
                } else {
                    format!("{old};height:auto")
                });
            }
            None => img.push(("style".into(), Some("height:auto".into()))),
        }
    }
    img.extend(own.iter().cloned());
    if !has(&own, "loading") {
        img.push((
            "loading".into(),
            Some(if eager { "eager" } else { "lazy" }.into()),
        ));
    }
    if eager && !has(&own, "fetchpriority") {
        img.push(("fetchpriority".into(), Some("high".into())));
    }
    if !has(&own, "decoding") {
        img.push(("decoding".into(), Some("async".into())));
    }
    Ok(Picture {
        avif: avif.iter().map(|v| (url(v), v.width)).collect(),
        webp: webp.iter().map(|v| (url(v), v.width)).collect(),
        fallback: fallback.iter().map(|v| (url(v), v.width)).collect(),
        sizes,
        img_attrs: img,
        original: original.to_string(),
    })
}

/// `p` with `color` (CSS `#rrggbb`) as the `<img>`'s background while it loads. The colour
/// goes first in the style, so an author's own `background` still wins, and it paints the
/// content box only: a theme's padding or border around images stays as it was, and nothing
/// of the author's box changes (a background never sizes anything).
pub fn with_placeholder(mut p: Picture, color: &str) -> Picture {
    let ours = format!("background:{color} content-box");
    match p.img_attrs.iter_mut().find(|(k, _)| k == "style") {
        Some(slot) => {
            let old = slot.1.take().unwrap_or_default();
            let old = old.trim();
            slot.1 = Some(if old.is_empty() {
                ours
            } else {
                format!("{ours};{old}")
            });
        }
        None => p.img_attrs.push(("style".into(), Some(ours))),
    }
    p
}

/// Replace `edits` (non-overlapping spans) in `text`; every other byte is copied as it is.
pub fn splice(text: &str, edits: &[(Range<usize>, String)]) -> String {
    let mut sorted: Vec<&(Range<usize>, String)> = edits.iter().collect();
    sorted.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len() + edits.len() * 400);
    let mut last = 0;
    for (r, s) in sorted {
        if r.start < last || r.end > text.len() {
            continue; // overlapping or out of range: never mangle, skip
        }
        out.push_str(&text[last..r.start]);
        out.push_str(s);
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md_ref(url: &str) -> ImageRef {
        ImageRef {
            kind: RefKind::Markdown,
            span: 0..0,
            line: 1,
            url: url.into(),
            alt: "A \"quoted\" <alt> & more".into(),
            title: None,
            ial: None,
            attrs: vec![],
            in_link: false,
            in_table: false,
            key: None,
        }
    }

    fn variants() -> Vec<VariantLink> {
        let v = |w, h, f: OutFormat| VariantLink {
            file_name: format!("a-{w}.12345678.{}", f.extension()),
            width: w,
            height: h,
            format: f,
        };
        vec![
            v(480, 320, OutFormat::Webp),
            v(480, 320, OutFormat::Jpeg),
            v(960, 640, OutFormat::Webp),
            v(960, 640, OutFormat::Jpeg),
        ]
    }

    #[test]
    fn variant_urls_keep_the_base_form() {
        let f = "a-480.1.webp";
        assert_eq!(
            variant_url("{{site.baseurl}}/postimg/a.jpg", "r", f),
            "{{site.baseurl}}/postimg/r/a-480.1.webp"
        );
        assert_eq!(
            variant_url("{{ site.baseurl }}/postimg/a.jpg?x=1#y", "r", f),
            "{{ site.baseurl }}/postimg/r/a-480.1.webp"
        );
        assert_eq!(
            variant_url("/postimg/a.jpg", "r", f),
            "/postimg/r/a-480.1.webp"
        );
        assert_eq!(
            variant_url("../postimg/a.jpg", "r", f),
            "../postimg/r/a-480.1.webp"
        );
        assert_eq!(variant_url("a.jpg", "r", f), "r/a-480.1.webp");
        assert_eq!(
            variant_url("/images/x/\n2464.png", "r", f),
            "/images/x/r/a-480.1.webp"
        );
        assert_eq!(
            variant_url("/post img/a,b.jpg", "r", f),
            "/post%20img/r/a-480.1.webp"
        );
        assert_eq!(
            variant_url("{{ '/p/a.png' | relative_url }}", "r", f),
            "{{ '/p/r/a-480.1.webp' | relative_url }}"
        );
    }

    #[test]
    fn url_encoding_protects_srcset() {
        assert_eq!(encode_url_path("/a b,c/é/%20/"), "/a%20b%2Cc/%C3%A9/%20/");
        assert_eq!(
            encode_url_path("{{ site.baseurl }}/x"),
            "{{ site.baseurl }}/x"
        );
    }

    #[test]
    fn avif_source_comes_first_and_webp_still_follows() {
        let r = md_ref("/postimg/a.jpg");
        let mut links = variants();
        for (w, h) in [(960, 640), (480, 320)] {
            links.insert(
                0,
                VariantLink {
                    file_name: format!("a-{w}.12345678.avif"),
                    width: w,
                    height: h,
                    format: OutFormat::Avif,
                },
            );
        }
        let html = picture(&r, "![x](y)", &links, "r", "S", (960, 640), false)
            .unwrap()
            .to_html();
        let avif = html
            .find("<source type=\"image/avif\" srcset=\"/postimg/r/a-480.12345678.avif 480w, /postimg/r/a-960.12345678.avif 960w\" sizes=\"auto, S\">")
            .expect(&html);
        // A browser without AVIF skips that <source> and still gets the WebP one, then the
        // <img> (which never names an AVIF).
        let webp = html.find("<source type=\"image/webp\"").expect(&html);
        let img = html.find("<img").expect(&html);
        assert!(avif < webp && webp < img, "{html}");
        assert!(!html[img..].contains(".avif"), "{html}");
        assert!(!html[webp..img].contains(".avif"), "{html}");
    }

    #[test]
    fn markup_is_one_line_quoted_and_escaped() {
        let r = md_ref("{{site.baseurl}}/postimg/a.jpg");
        let p = picture(
            &r,
            "![x](y)\r\n",
            &variants(),
            "responsive",
            "S",
            (960, 640),
            false,
        )
        .unwrap();
        let html = p.to_html();
        assert!(!html.contains('\n') && !html.contains('\r'));
        assert!(html.starts_with(marker::OPEN));
        assert!(html.contains("<source type=\"image/webp\" srcset=\"{{site.baseurl}}/postimg/responsive/a-480.12345678.webp 480w, {{site.baseurl}}/postimg/responsive/a-960.12345678.webp 960w\" sizes=\"auto, S\">"));
        assert!(
            html.contains("<img src=\"{{site.baseurl}}/postimg/responsive/a-960.12345678.jpg\"")
        );
        assert!(html.contains("width=\"960\" height=\"640\""));
        assert!(html.contains("alt=\"A &quot;quoted&quot; &lt;alt&gt; &amp; more\""));
        assert!(html.contains("loading=\"lazy\" decoding=\"async\""));
        assert_eq!(marker::restore(&html), "![x](y)\r\n");
    }

    #[test]
    fn first_image_is_eager_with_high_priority() {
        let r = md_ref("/a.jpg");
        let html = picture(&r, "o", &variants(), "r", "S", (960, 640), true)
            .unwrap()
            .to_html();
        assert!(html.contains("loading=\"eager\" fetchpriority=\"high\""));
    }

    #[test]
    fn raw_img_keeps_its_attributes_and_its_size() {
        let mut r = md_ref("/a.png");
        r.kind = RefKind::Html;
        r.attrs = vec![
            ("alt".into(), Some("x".into())),
            ("src".into(), Some("/a.png".into())),
            ("width".into(), Some("256".into())),
            ("class".into(), Some("wide".into())),
            ("loading".into(), Some("eager".into())),
        ];
        let html = picture(&r, "o", &variants(), "r", "S", (960, 640), false)
            .unwrap()
            .to_html();
        assert!(html.contains("width=\"256\""));
        assert!(html.contains("sizes=\"(max-width: 256px) 100vw, 256px\""));
        assert!(!html.contains("height="));
        assert!(html.contains("class=\"wide\""));
        assert!(html.contains("loading=\"eager\""));
        assert!(!html.contains("loading=\"lazy\""));
    }

    #[test]
    fn ial_attributes_land_on_the_img() {
        let mut r = md_ref("/a.png");
        r.ial = Some(".center .shadow #hero width=\"300\"".into());
        let html = picture(&r, "o", &variants(), "r", "S", (960, 640), false)
            .unwrap()
            .to_html();
        assert!(html.contains("class=\"center shadow\""));
        assert!(html.contains("id=\"hero\""));
        assert!(html.contains("width=\"300\""));
        assert!(!html.contains("height=\"640\""));
        r.ial = Some("refname".into());
        assert_eq!(
            picture(&r, "o", &variants(), "r", "S", (960, 640), false),
            Err(Skip::Ial)
        );
    }

    #[test]
    fn title_is_kept() {
        let mut r = md_ref("/a.png");
        r.title = Some("T \"1\"".into());
        let html = picture(&r, "o", &variants(), "r", "S", (960, 640), false)
            .unwrap()
            .to_html();
        assert!(html.contains("title=\"T &quot;1&quot;\""));
    }

    fn html_ref(attrs: &[(&str, Option<&str>)]) -> ImageRef {
        let mut r = md_ref("/a.png");
        r.kind = RefKind::Html;
        r.attrs = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect();
        r
    }

    fn html_of(r: &ImageRef, sizes: &str) -> String {
        picture(r, "o", &variants(), "r", sizes, (1000, 667), false)
            .unwrap()
            .to_html()
    }

    #[test]
    fn lazy_images_get_auto_sizes_and_the_eager_one_the_list() {
        let r = html_ref(&[("src", Some("/a.png"))]);
        let lazy = picture(&r, "o", &variants(), "r", "S", (1000, 667), false).unwrap();
        assert_eq!(lazy.sizes, "auto, S");
        assert_eq!(lazy.to_html().matches("sizes=\"auto, S\"").count(), 2);
        let eager = picture(&r, "o", &variants(), "r", "S", (1000, 667), true).unwrap();
        assert_eq!(eager.sizes, "S");
        assert!(
            !eager.to_html().contains("sizes=\"auto"),
            "{}",
            eager.to_html()
        );
        // The author's own loading decides: auto sizes only work on a lazy image.
        let own = html_ref(&[("src", Some("/a.png")), ("loading", Some("eager"))]);
        let p = picture(&own, "o", &variants(), "r", "S", (1000, 667), false).unwrap();
        assert_eq!(p.sizes, "S");
        let own = html_ref(&[("src", Some("/a.png")), ("loading", Some("LAZY"))]);
        let p = picture(&own, "o", &variants(), "r", "S", (1000, 667), true).unwrap();
        assert_eq!(p.sizes, "auto, S");
        // A box that depends on the image's own size (a height alone) gets no auto: the
        // browser would lay it out as 300 px wide (found by tests/e2e.rs at 375 px).
        let half = html_ref(&[("src", Some("/a.png")), ("height", Some("206"))]);
        let p = picture(&half, "o", &variants(), "r", "S", (1000, 667), false).unwrap();
        assert_eq!(p.sizes, "S");
        let both = html_ref(&[
            ("src", Some("/a.png")),
            ("width", Some("300")),
            ("height", Some("206")),
        ]);
        let p = picture(&both, "o", &variants(), "r", "S", (1000, 667), false).unwrap();
        assert_eq!(p.sizes, "auto, (max-width: 300px) 100vw, 300px");
    }

    #[test]
    fn the_placeholder_goes_first_in_the_style_and_keeps_the_authors_box() {
        let r = html_ref(&[
            ("src", Some("/a.png")),
            ("style", Some("border:none; width:100%;")),
            ("alt", Some("A")),
        ]);
        let p = picture(&r, "o", &variants(), "r", "S", (1000, 667), false).unwrap();
        let html = with_placeholder(p, "#102030").to_html();
        assert!(
            html.contains(
                "style=\"background:#102030 content-box;border:none; width:100%;height:auto\""
            ),
            "{html}"
        );
        assert!(html.contains("width=\"1000\" height=\"667\""), "{html}");
        assert!(html.contains("alt=\"A\""), "{html}");
        // Sized by the author: no style of ours but the colour, their attributes as they were.
        let r = html_ref(&[("src", Some("/a.png")), ("width", Some("300"))]);
        let p = picture(&r, "o", &variants(), "r", "S", (1000, 667), false).unwrap();
        let html = with_placeholder(p, "#102030").to_html();
        assert!(html.contains("width=\"300\""), "{html}");
        assert!(!html.contains("height="), "{html}");
        assert_eq!(html.matches("style=").count(), 1, "{html}");
        assert!(
            html.contains("style=\"background:#102030 content-box\""),
            "{html}"
        );
    }

    #[test]
    fn an_author_style_gets_height_auto_beside_the_intrinsic_size() {
        // issue 17 item 1: `width:100%` with a fixed height attribute stretched the image.
        let r = html_ref(&[
            ("src", Some("/a.png")),
            ("style", Some("border:none; width:100%;")),
        ]);
        let html = html_of(&r, "S");
        assert!(html.contains("width=\"1000\" height=\"667\""), "{html}");
        assert!(
            html.contains("style=\"border:none; width:100%;height:auto\""),
            "{html}"
        );
        let r = html_ref(&[("src", Some("/a.png"))]);
        let html = html_of(&r, "S");
        assert!(html.contains("style=\"height:auto\""), "{html}");
        assert!(!html.contains("max-width"), "{html}");
    }

    #[test]
    fn an_author_height_keeps_its_effect() {
        // issue 17 item 2: `height="206"` was overridden by our `height:auto`.
        for attrs in [
            vec![("src", Some("/a.png")), ("height", Some("206"))],
            vec![("src", Some("/a.png")), ("style", Some("height: 206px"))],
        ] {
            let html = html_of(&html_ref(&attrs), "S");
            assert!(!html.contains("height:auto"), "{html}");
            assert!(!html.contains("width=\""), "{html}");
        }
    }

    #[test]
    fn sizes_follow_the_author_width_and_the_source_width() {
        let col = crate::config::sizes_for(800);
        let r = html_ref(&[("src", Some("/a.png")), ("style", Some("width:45%"))]);
        assert!(
            html_of(&r, &col).contains("sizes=\"auto, (max-width: 800px) 45vw, 360px\""),
            "{}",
            html_of(&r, &col)
        );
        let r = html_ref(&[("src", Some("/a.png")), ("style", Some("max-width:220px"))]);
        assert!(html_of(&r, &col).contains("sizes=\"auto, (max-width: 220px) 100vw, 220px\""));
        // A width alone leaves the height to the image's own ratio: no auto (see above).
        let r = html_ref(&[("src", Some("/a.png")), ("width", Some("292"))]);
        assert!(html_of(&r, &col).contains("sizes=\"(max-width: 292px) 100vw, 292px\""));
        // No width from the author: a source narrower than the column fills only its width.
        let html = picture(
            &md_ref("/a.png"),
            "o",
            &variants(),
            "r",
            &col,
            (500, 300),
            false,
        )
        .unwrap()
        .to_html();
        assert!(
            html.contains("sizes=\"auto, (max-width: 500px) 100vw, 500px\""),
            "{html}"
        );
    }

    #[test]
    fn a_height_in_the_style_sizes_the_slot_by_the_aspect_ratio() {
        // issue 14 item 3: `style="height:150px"` on a 1600×1203 photo renders 199.5 px wide,
        // but got the column's list and fetched 960 px at 375 px × DPR 2 (tests/e2e.rs).
        let col = crate::config::sizes_for(800);
        let r = html_ref(&[("src", Some("/a.png")), ("style", Some("height:150px"))]);
        let p = picture(&r, "o", &variants(), "r", &col, (1600, 1203), false).unwrap();
        assert_eq!(p.sizes, "(max-width: 200px) 100vw, 200px");
        // A height attribute alone is not enough: a theme's `img { height: auto }` overrides
        // it, and the image is then as wide as its column.
        let r = html_ref(&[("src", Some("/a.png")), ("height", Some("150"))]);
        let p = picture(&r, "o", &variants(), "r", &col, (1600, 1203), false).unwrap();
        assert_eq!(p.sizes, col);
    }

    #[test]
    fn a_verbatim_sizes_list_is_narrowed_to_the_slot_too() {
        // issue 14 item 2: with `sizes: 100vw` configured, a `height:150px` photo (199.5 px
        // wide) and a source narrower than the screen kept `100vw` and fetched 960-1440 px
        // files for a 200-400 px slot (tests/e2e.rs, full-width layout).
        let full = "100vw";
        let r = html_ref(&[("src", Some("/a.png")), ("style", Some("height:150px"))]);
        let p = picture(&r, "o", &variants(), "r", full, (1600, 1203), false).unwrap();
        assert_eq!(p.sizes, "min(100vw, 200px)");
        let p = picture(
            &md_ref("/a.png"),
            "o",
            &variants(),
            "r",
            full,
            (500, 300),
            false,
        );
        assert_eq!(p.unwrap().sizes, "auto, min(100vw, 500px)");
        let r = html_ref(&[("src", Some("/a.png")), ("style", Some("width:45%"))]);
        let p = picture(&r, "o", &variants(), "r", full, (1600, 1203), false).unwrap();
        assert_eq!(p.sizes, "auto, calc(100vw * 0.45)");
        // Conditions stay; each length is capped, functions and all.
        let list = "(min-width: 60em) calc(50vw - 2rem), (max-width: 30em) 100vw, 700px";
        let r = html_ref(&[("src", Some("/a.png")), ("style", Some("max-width:220px"))]);
        let p = picture(&r, "o", &variants(), "r", list, (1600, 1203), false).unwrap();
        assert_eq!(
            p.sizes,
            "auto, (min-width: 60em) min(calc(50vw - 2rem), 220px), \
             (max-width: 30em) min(100vw, 220px), min(700px, 220px)"
        );
        // A pixel width is exact whatever the list; a source wider than the slot keeps it.
        let r = html_ref(&[("src", Some("/a.png")), ("width", Some("292"))]);
        let p = picture(&r, "o", &variants(), "r", list, (1600, 1203), false).unwrap();
        assert_eq!(p.sizes, "(max-width: 292px) 100vw, 292px");
    }

    #[test]
    fn sizes_lists_split_into_conditions_and_lengths() {
        assert_eq!(split_length("100vw"), Some(("", "100vw")));
        assert_eq!(
            split_length("(max-width: 800px) 100vw"),
            Some(("(max-width: 800px)", "100vw"))
        );
        assert_eq!(
            split_length("(min-width: 1px) calc(100vw - 2rem)"),
            Some(("(min-width: 1px)", "calc(100vw - 2rem)"))
        );
        assert_eq!(split_length("(max-width: 800px)"), None);
        assert_eq!(
            each_length("auto, 50vw", |l| format!("[{l}]")),
            "auto, [50vw]"
        );
        assert_eq!(each_length("(a) b)", |l| format!("[{l}]")), "(a) b)");
        assert_eq!(
            each_length("S, 1.5em, x9", |l| format!("[{l}]")),
            "S, [1.5em], x9"
        );
        assert_eq!(top_level("min(a, b), c", ','), vec!["min(a, b)", " c"]);
    }

    #[test]
    fn a_raw_img_without_alt_gets_none() {
        // issue 17 item 3: an added `alt=""` calls the image decorative.
        let html = html_of(&html_ref(&[("src", Some("/a.png"))]), "S");
        assert!(!html.contains("alt="), "{html}");
        let html = html_of(&md_ref("/a.png"), "S");
        assert!(html.contains("alt=\"A &quot;"), "{html}");
    }

    #[test]
    fn splice_changes_only_the_spans() {
        let t = "ab CD ef GH ij";
        assert_eq!(
            splice(t, &[(9..11, "x".into()), (3..5, "yy".into())]),
            "ab yy ef x ij"
        );
    }
}

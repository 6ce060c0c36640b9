//! HTML: find the `<img>` tags in the raw HTML of a post.
//!
//! In: the post, its masked copy (same length, Liquid without blanks, see `markdown::mask`) and
//! the byte ranges that the Markdown parser reported as raw HTML (block or inline), in source
//! order. Tags are read from the masked copy, so `src={{ site.baseurl }}/x.png` stays one value
//! as it is for kramdown after Liquid, and every value is then sliced from the original. Out: one [`RefKind::Html`] ref per `<img>` that a rewrite may turn
//! into responsive markup. A small hand-written tokenizer is enough here: we only need tag names,
//! attributes and the few constructs (comments, `<script>`, `<style>`, `<picture>`, `<a>`) that
//! change whether an `<img>` counts.

use std::ops::Range;

use super::{line_of, ImageRef, RefKind};

/// A stretch of raw HTML as the Markdown parser reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Segment {
    /// Byte range in the post.
    pub range: Range<usize>,
    /// The HTML sits inside a Markdown link.
    pub in_link: bool,
    /// The HTML sits inside a Markdown table.
    pub in_table: bool,
}

/// One parsed start or end tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HtmlTag<'a> {
    /// Lower-cased tag name.
    pub name: String,
    /// `</name>`.
    pub closing: bool,
    /// Ends in `/>`.
    pub self_closing: bool,
    /// Attributes in source order: lower-cased name, raw value (quotes removed, not decoded).
    pub attrs: Vec<(String, Option<&'a str>)>,
    /// Offset just past the `>` in the string that was parsed.
    pub end: usize,
}

impl<'a> HtmlTag<'a> {
    /// The raw value of the first attribute called `name` (HTML ignores later duplicates).
    pub fn attr(&self, name: &str) -> Option<&'a str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| *v)
    }

    fn has_attr(&self, name: &str) -> bool {
        self.attrs.iter().any(|(n, _)| n == name)
    }
}

/// Parses the tag starting at `s[at]` (which must be `<`). `None` if it is not a well-formed
/// start or end tag, e.g. `a < b` or an unterminated quote.
#[cfg(test)]
pub(super) fn parse_tag(s: &str, at: usize) -> Option<HtmlTag<'_>> {
    TagReader::new(s).tag_at(at)
}

/// Reads tags out of one string, remembering failed searches: a long run of `<a b="` with no
/// closing quote (or no `>` at all) would otherwise make every `<` rescan to the end.
pub(super) struct TagReader<'a> {
    s: &'a str,
    /// No closing `"` (index 0) or `'` (index 1) exists at or after this offset.
    no_quote_from: [usize; 2],
    /// Offset of the last `>`: no tag can start after it.
    last_gt: Option<usize>,
}

impl<'a> TagReader<'a> {
    /// A reader over `s`.
    pub fn new(s: &'a str) -> Self {
        Self {
            s,
            no_quote_from: [usize::MAX; 2],
            last_gt: s.rfind('>'),
        }
    }

    /// The tag starting at `at`, as [`parse_tag`] would read it.
    pub fn tag_at(&mut self, at: usize) -> Option<HtmlTag<'a>> {
        if self.last_gt.is_none_or(|gt| gt < at) {
            return None;
        }
        self.read(at)
    }

    fn read(&mut self, at: usize) -> Option<HtmlTag<'a>> {
        let s = self.s;
        let b = s.as_bytes();
        if b.get(at) != Some(&b'<') {
            return None;
        }
        let mut k = at + 1;
        let closing = b.get(k) == Some(&b'/');
        if closing {
            k += 1;
        }
        if !b.get(k)?.is_ascii_alphabetic() {
            return None;
        }
        let name_start = k;
        while b
            .get(k)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b':')
        {
            k += 1;
        }
        let name = s[name_start..k].to_ascii_lowercase();
        let mut tag = HtmlTag {
            name,
            closing,
            self_closing: false,
            attrs: Vec::new(),
            end: 0,
        };
        // A tag name must end at a blank, '/' or '>': `<img,` is text.
        if !matches!(b.get(k), Some(b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>')) {
            return None;
        }
        loop {
            while b.get(k).is_some_and(u8::is_ascii_whitespace) {
                k += 1;
            }
            match *b.get(k)? {
                b'>' => {
                    tag.end = k + 1;
                    return Some(tag);
                }
                b'/' if b.get(k + 1) == Some(&b'>') => {
                    tag.self_closing = true;
                    tag.end = k + 2;
                    return Some(tag);
                }
                b'/' | b'"' | b'\'' | b'=' | b'<' => {
                    k += 1;
                    continue;
                }
                _ => {}
            }
            let an_start = k;
            while b.get(k).is_some_and(|c| {
                !c.is_ascii_whitespace() && !matches!(c, b'=' | b'>' | b'/' | b'"' | b'\'' | b'<')
            }) {
                k += 1;
            }
            let attr_name = s[an_start..k].to_ascii_lowercase();
            let mut j = k;
            while b.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            let mut value = None;
            if b.get(j) == Some(&b'=') {
                j += 1;
                while b.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                match *b.get(j)? {
                    q @ (b'"' | b'\'') => {
                        let qi = usize::from(q == b'\'');
                        if j + 1 >= self.no_quote_from[qi] {
                            return None;
                        }
                        let Some(p) = s[j + 1..].find(q as char) else {
                            self.no_quote_from[qi] = j + 1;
                            return None;
                        };
                        let close = p + j + 1;
                        value = Some(&s[j + 1..close]);
                        k = close + 1;
                    }
                    _ => {
                        let v_start = j;
                        while b
                            .get(j)
                            .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'>')
                        {
                            j += 1;
                        }
                        value = Some(&s[v_start..j]);
                        k = j;
                    }
                }
            }
            if !closing {
                tag.attrs.push((attr_name, value));
            }
        }
    }
}

/// Tokenizer state that carries over from one HTML segment to the next within a post.
#[derive(Default)]
struct State {
    in_comment: bool,
    /// Inside `<script>` or `<style>`: the lower-cased end tag that closes it.
    raw_until: Option<&'static str>,
    picture_depth: usize,
    anchor_depth: usize,
    /// Inside `<svg>`, where `<image>` is SVG's own element, not an `<img>`.
    svg_depth: usize,
}

/// The post and its masked copy, of the same length.
struct Texts<'a> {
    text: &'a str,
    masked: &'a str,
}

impl Texts<'_> {
    /// The original text behind a slice of the masked copy.
    fn original(&self, s: &str) -> String {
        let start = (s.as_ptr() as usize).wrapping_sub(self.masked.as_ptr() as usize);
        start
            .checked_add(s.len())
            .filter(|&end| end <= self.masked.len())
            .and_then(|end| self.text.get(start..end))
            .unwrap_or(s)
            .to_owned()
    }
}

/// Every `<img>` worth rewriting in `segments`, in source order. `masked` must have the same
/// length as `text` (pass `text` twice when nothing is masked).
pub(super) fn find_imgs(text: &str, masked: &str, segments: &[Segment]) -> Vec<ImageRef> {
    let texts = Texts { text, masked };
    let mut state = State::default();
    let mut refs = Vec::new();
    for seg in segments {
        let Some(s) = masked.get(seg.range.clone()) else {
            continue;
        };
        scan_segment(&texts, s, seg, &mut state, &mut refs);
    }
    refs
}

fn scan_segment(
    texts: &Texts<'_>,
    s: &str,
    seg: &Segment,
    st: &mut State,
    refs: &mut Vec<ImageRef>,
) {
    // ASCII lower-casing keeps byte offsets, so searches in `lower` index `s` directly.
    let lower = s.to_ascii_lowercase();
    let mut reader = TagReader::new(s);
    let mut i = 0;
    while i < s.len() {
        if st.in_comment {
            match s[i..].find("-->") {
                Some(p) => {
                    i += p + 3;
                    st.in_comment = false;
                }
                None => return,
            }
            continue;
        }
        if let Some(end_tag) = st.raw_until {
            match lower[i..].find(end_tag) {
                Some(p) => {
                    i += p;
                    st.raw_until = None;
                }
                None => return,
            }
        }
        let Some(p) = s[i..].find('<') else {
            return;
        };
        let j = i + p;
        let rest = &s[j..];
        if rest.starts_with("<!--") {
            st.in_comment = true;
            i = j + 4;
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = rest.find('>').map_or(s.len(), |q| j + q + 1);
            continue;
        }
        let Some(tag) = reader.tag_at(j) else {
            i = j + 1;
            continue;
        };
        i = tag.end;
        match (tag.name.as_str(), tag.closing) {
            ("picture", true) => st.picture_depth = st.picture_depth.saturating_sub(1),
            ("picture", false) if !tag.self_closing => st.picture_depth += 1,
            ("a", true) => st.anchor_depth = st.anchor_depth.saturating_sub(1),
            ("a", false) if !tag.self_closing => st.anchor_depth += 1,
            ("script", false) if !tag.self_closing => st.raw_until = Some("</script"),
            ("style", false) if !tag.self_closing => st.raw_until = Some("</style"),
            ("svg", true) => st.svg_depth = st.svg_depth.saturating_sub(1),
            ("svg", false) if !tag.self_closing => st.svg_depth += 1,
            // HTML parsers read `<image>` as `<img>` (outside SVG).
            ("img", false) | ("image", false)
                if st.picture_depth == 0 && (tag.name == "img" || st.svg_depth == 0) =>
            {
                let start = seg.range.start + j;
                let span = start..seg.range.start + tag.end;
                let in_link = seg.in_link || st.anchor_depth > 0;
                if let Some(r) = img_ref(texts, span, &tag, in_link, seg) {
                    refs.push(r);
                }
            }
            _ => {}
        }
    }
}

fn img_ref(
    texts: &Texts<'_>,
    span: Range<usize>,
    tag: &HtmlTag<'_>,
    in_link: bool,
    seg: &Segment,
) -> Option<ImageRef> {
    let src = texts.original(tag.attr("src")?);
    // An <img> with srcset is already responsive: rewriting it would fight the author.
    if src.trim().is_empty() || tag.has_attr("srcset") {
        return None;
    }
    let decoded = |v: &str| decode_entities(&texts.original(v));
    Some(ImageRef {
        kind: RefKind::Html,
        line: line_of(texts.text, span.start),
        span,
        url: src,
        alt: tag.attr("alt").map(decoded).unwrap_or_default(),
        title: tag.attr("title").map(decoded),
        ial: None,
        attrs: tag
            .attrs
            .iter()
            .map(|(n, v)| (n.clone(), v.map(decoded)))
            .collect(),
        in_link,
        in_table: seg.in_table,
        key: None,
    })
}

/// Decodes the character references an attribute value is likely to hold (see
/// [`crate::marker::unescape_attr`]).
pub(super) fn decode_entities(s: &str) -> String {
    crate::marker::unescape_attr(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(text: &str) -> Vec<ImageRef> {
        let seg = Segment {
            range: 0..text.len(),
            in_link: false,
            in_table: false,
        };
        find_imgs(text, text, &[seg])
    }

    #[test]
    fn tag_parser_handles_quotes_order_and_self_closing() {
        let s = "<IMG ALT='a &amp; b' data-x=1 hidden\n src=\"/x.png\"/>tail";
        let tag = parse_tag(s, 0).unwrap();
        assert_eq!(tag.name, "img");
        assert!(tag.self_closing);
        assert_eq!(&s[tag.end..], "tail");
        assert_eq!(
            tag.attrs,
            vec![
                ("alt".to_owned(), Some("a &amp; b")),
                ("data-x".to_owned(), Some("1")),
                ("hidden".to_owned(), None),
                ("src".to_owned(), Some("/x.png")),
            ]
        );
    }

    #[test]
    fn not_tags() {
        assert_eq!(parse_tag("a < b", 2), None);
        assert_eq!(parse_tag("<img src=\"x", 0), None);
        assert_eq!(parse_tag("<3", 0), None);
    }

    #[test]
    fn entities_decode() {
        assert_eq!(
            decode_entities("&amp;&lt;&gt;&quot;&#39;&#233;&#xE9;&bogus; & &#0;"),
            "&<>\"'éé&bogus; & &#0;"
        );
    }

    #[test]
    fn img_attrs_decoded_url_raw() {
        let text = "<p><img title=\"T&amp;T\" src=\"/a.png?x=1&amp;y=2\" alt='&lt;hi&gt;'></p>";
        let refs = whole(text);
        assert_eq!(refs.len(), 1);
        let r = &refs[0];
        assert_eq!(
            &text[r.span.clone()],
            "<img title=\"T&amp;T\" src=\"/a.png?x=1&amp;y=2\" alt='&lt;hi&gt;'>"
        );
        assert_eq!(r.url, "/a.png?x=1&amp;y=2");
        assert_eq!(r.alt, "<hi>");
        assert_eq!(r.title.as_deref(), Some("T&T"));
        assert_eq!(
            r.attrs[1],
            ("src".to_owned(), Some("/a.png?x=1&y=2".to_owned()))
        );
    }

    #[test]
    fn skipped_imgs() {
        let text = "<img alt=x>\n<img src=\"\">\n<img src=a.png srcset=\"a.png 1x\">\n\
            <picture><source srcset=b.webp><img src=b.png></picture>\n\
            <!-- <img src=c.png> -->\n<script>var s = '<img src=d.png>';</script>\n\
            <style>/* <img src=e.png> */</style>\n<img src=f.png>";
        let refs = whole(text);
        assert_eq!(
            refs.iter().map(|r| r.url.as_str()).collect::<Vec<_>>(),
            vec!["f.png"]
        );
    }

    #[test]
    fn an_image_tag_is_an_img_outside_svg() {
        // issue 17 item 5: one blog had 219 `<image src>` tags, neither rewritten nor reported.
        let text = "<image src=\"/a.png\" alt=\"x\">\n<svg><image href=\"/b.png\" src=\"/b.png\"/></svg>\n<image src=c.png>";
        let refs = whole(text);
        assert_eq!(
            refs.iter().map(|r| r.url.as_str()).collect::<Vec<_>>(),
            vec!["/a.png", "c.png"]
        );
    }

    #[test]
    fn state_carries_across_segments() {
        let text = "<a href=x><!-- a\n<img src=no.png>\n--><img src=yes.png></a><img src=out.png>";
        let cut = text.find('\n').unwrap() + 1;
        let segs = [
            Segment {
                range: 0..cut,
                in_link: false,
                in_table: false,
            },
            Segment {
                range: cut..text.len(),
                in_link: false,
                in_table: true,
            },
        ];
        let refs = find_imgs(text, text, &segs);
        let got: Vec<_> = refs
            .iter()
            .map(|r| (r.url.as_str(), r.in_link, r.in_table))
            .collect();
        assert_eq!(got, vec![("yes.png", true, true), ("out.png", false, true)]);
    }
}

//! Marker: how postpix recognises its own markup in a post and gives back the author's text.
//!
//! Every `<picture>` postpix writes is wrapped in `<span class="postpix" data-postpix-orig="…">`,
//! whose attribute holds the exact original text of the image span, HTML-escaped. Restoring a
//! post replaces each such span by that text, so `restore(rewrite(x)) == x` byte for byte. Both
//! the scanner (to read what the author wrote) and the rewriter (to rebuild markup from it) use
//! this room; neither parses the other's output.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser};

/// The opening of every element postpix generates, up to the escaped original text.
pub const OPEN: &str = "<span class=\"postpix\" data-postpix-orig=\"";
/// The end of every element postpix generates.
pub const CLOSE: &str = "</picture></span>";

/// One element postpix generated earlier, found in a post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// Byte range of the whole element, `<span …>` to `</span>`.
    pub span: Range<usize>,
    /// The author's original text that the element replaced.
    pub original: String,
}

/// Escape text for a double-quoted HTML attribute, keeping it on one line.
///
/// Line breaks and tabs become character references because the markup must stay on one line
/// (kramdown, tables, list items); `{`/`}` stay as they are so Liquid in the original still
/// reads naturally.
pub fn escape_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            _ => out.push(c),
        }
    }
    out
}

/// Undo [`escape_attr`]; more generally, decode the character references an attribute value is
/// likely to hold: the five XML ones, `&nbsp;` and numeric references (never NUL). Anything else
/// stays as written, so the round trip through [`escape_attr`] is exact.
pub fn unescape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&semi| semi <= 12).and_then(|semi| {
            let name = &rest[1..semi];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse::<u32>().ok()?,
                    };
                    char::from_u32(code).filter(|&c| c != '\0')
                }
            };
            c.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every element postpix generated in `text`, in order.
///
/// Only raw HTML counts: a marker quoted inside a code span or code block is the author's text,
/// not ours, so it is left alone.
pub fn find_generated(text: &str) -> Vec<Generated> {
    if !text.contains(OPEN) {
        return Vec::new();
    }
    let mut html_ranges: Vec<Range<usize>> = Vec::new();
    let opts = Options::ENABLE_TABLES;
    // Read the text as the finder does: an opaque Liquid block (`{% raw %}`…) is no Markdown,
    // so a backtick inside one opens no code span around our markup (the finder, which masks
    // those blocks, may have put an element there); and the front matter is Jekyll's, not
    // pulldown-cmark's (which skips an empty `---\n---` block and then reads a later `---` line
    // as the end of a metadata block that swallows our markup).
    let mut view = crate::liquid::blank_opaque(text);
    let body = crate::fence::content_start(text);
    if body > 0 && view.len() == text.len() {
        // One space per byte, so every offset after the front matter stays where it was (a
        // space per char made the view shorter wherever the front matter held non-ASCII, and
        // the front matter was then left for pulldown-cmark to read as Markdown).
        let blank: String = text.as_bytes()[..body]
            .iter()
            .map(|&b| {
                if b == b'\n' || b == b'\r' {
                    b as char
                } else {
                    ' '
                }
            })
            .collect();
        view.replace_range(..body, &blank);
    }
    for (ev, range) in Parser::new_ext(&view, opts).into_offset_iter() {
        if matches!(ev, Event::Html(_) | Event::InlineHtml(_)) {
            match html_ranges.last_mut() {
                Some(last) if last.end >= range.start => last.end = last.end.max(range.end),
                _ => html_ranges.push(range),
            }
        }
    }
    let mut found = Vec::new();
    for r in html_ranges {
        let mut pos = r.start;
        while let Some(i) = text[pos..r.end].find(OPEN) {
            let start = pos + i;
            let value_start = start + OPEN.len();
            let Some(q) = text[value_start..].find('"') else {
                break;
            };
            let value_end = value_start + q;
            let Some(c) = text[value_end..].find(CLOSE) else {
                break;
            };
            let end = value_end + c + CLOSE.len();
            found.push(Generated {
                span: start..end,
                original: unescape_attr(&text[value_start..value_end]),
            });
            pos = end.min(r.end);
            if end > r.end {
                break;
            }
        }
    }
    found
}

/// The text with every generated element replaced by the author's original.
pub fn restore(text: &str) -> String {
    restore_found(text, &find_generated(text))
}

/// [`restore`] with the elements [`find_generated`] already found in `text` (so a caller that
/// needs both parses the post once).
pub fn restore_found(text: &str, found: &[Generated]) -> String {
    if found.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for g in found {
        out.push_str(&text[last..g.span.start]);
        out.push_str(&g.original);
        last = g.span.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_round_trips_awkward_text() {
        let s = "![a \"q\" <b> & c](x y.png \"t\")\r\n\tnext {{ site.baseurl }} &amp;";
        assert_eq!(unescape_attr(&escape_attr(s)), s);
        assert!(!escape_attr(s).contains('\n'));
    }

    #[test]
    fn finds_and_restores_generated_element() {
        let orig = "![a](/x.png)";
        let text = format!(
            "Before {OPEN}{}\"><picture><img src=\"/y.png\"></picture></span> after\n",
            escape_attr(orig)
        );
        let g = find_generated(&text);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].original, orig);
        assert_eq!(restore(&text), "Before ![a](/x.png) after\n");
    }

    #[test]
    fn markup_after_front_matter_with_non_ascii_and_a_fence_line_is_found() {
        // Found by `cargo fuzz run refs_rewrite_restore` (minimised): the front matter holds a
        // `~~~` line and an `é`; it was not blanked (see find_generated), pulldown-cmark read
        // `~~~` as a code fence and the markup after it as code, so restore left it in.
        let el = "<span class=\"postpix\" data-postpix-orig=\"&lt;img src=s&gt;\"><picture><img src=x></picture></span>";
        let text = format!("---\n\n~~~g)\u{e9}e\n---\n  {el}\n<t");
        assert_eq!(find_generated(&text).len(), 1, "{text}");
        assert_eq!(
            restore(&text),
            "---\n\n~~~g)\u{e9}e\n---\n  <img src=s>\n<t"
        );
    }

    #[test]
    fn markup_after_an_empty_front_matter_is_found() {
        // Found by tests/proptest_fuzz.rs: pulldown-cmark's metadata blocks ran from the first
        // `---` to a later one and hid the element; restore then gave back the markup.
        let el = "<span class=\"postpix\" data-postpix-orig=\"![c](/c.gif)\"><picture><img src=x></picture></span>";
        let text = format!("---\n---\n{{% endcomment %}}{el}---\n---\n");
        assert_eq!(find_generated(&text).len(), 1);
        assert_eq!(
            restore(&text),
            "---\n---\n{% endcomment %}![c](/c.gif)---\n---\n"
        );
    }

    #[test]
    fn marker_inside_code_is_not_ours() {
        let text = format!("```\n{OPEN}x\"><picture></picture></span>\n```\n");
        assert!(find_generated(&text).is_empty());
        assert_eq!(restore(&text), text);
    }

    #[test]
    fn unknown_entities_are_kept() {
        assert_eq!(unescape_attr("a &bogus; b & c"), "a &bogus; b & c");
        assert_eq!(unescape_attr(&escape_attr("x &nbsp; y")), "x &nbsp; y");
    }
}

//! Mask: turn a post into a same-length copy that a CommonMark parser reads the way kramdown
//! (after Jekyll's Liquid pass) would.
//!
//! In: the post and its front matter range. Out: a `String` of exactly the same byte length, so
//! every range the parser reports on the copy is also a range of the original. Only ASCII bytes
//! are written, and multi-byte characters are either kept whole or blanked byte by byte, so the
//! copy stays valid UTF-8.

use std::ops::Range;

use crate::liquid::{opaque_block_end, tag as liquid_tag, OPAQUE_BLOCKS};
use crate::scan::html::TagReader;

/// The masked copy of `text`.
pub(super) fn mask(text: &str, front_matter: Option<Range<usize>>) -> String {
    let mut out = text.as_bytes().to_vec();
    if let Some(fm) = front_matter {
        blank(&mut out, fm);
    }
    mask_liquid(text, &mut out);
    open_markdown_blocks(&mut out);
    // Only ASCII bytes replaced whole characters or ASCII bytes, so this cannot fail; the
    // fallback (unmasked text, same length) keeps the function total anyway.
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// Spaces over `range`, keeping line breaks so line structure (and line numbers) survive.
fn blank(out: &mut [u8], range: Range<usize>) {
    let end = range.end.min(out.len());
    for b in &mut out[range.start.min(end)..end] {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

/// Liquid `{{ … }}` loses its blanks, and opaque `{% raw %}`-style blocks are blanked.
fn mask_liquid(text: &str, out: &mut [u8]) {
    let b = text.as_bytes();
    // Remember failed searches so that a long run of unmatched `{{` or `{%` stays linear.
    let mut no_output_close_before = 0;
    let mut no_tag_close = false;
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        match b[i + 1] {
            b'{' if i < no_output_close_before => i += 2,
            b'{' => {
                // Only a one-line output tag: an unmatched `{{` must not eat the line structure.
                let mut k = i + 2;
                let mut found = None;
                while k < b.len() && b[k] != b'\n' {
                    if b[k] == b'}' && b.get(k + 1) == Some(&b'}') {
                        found = Some(k);
                        break;
                    }
                    k += 1;
                }
                let line_end = k;
                match found {
                    Some(close) => {
                        for k in i + 2..close {
                            if b[k] == b' ' || b[k] == b'\t' {
                                out[k] = b'_';
                            }
                        }
                        i = close + 2;
                    }
                    None => {
                        no_output_close_before = line_end;
                        i += 2;
                    }
                }
            }
            b'%' if no_tag_close => i += 2,
            b'%' => {
                let Some((name, tag_end)) = liquid_tag(text, i) else {
                    no_tag_close = true;
                    i += 2;
                    continue;
                };
                if !OPAQUE_BLOCKS.contains(&name) {
                    i = tag_end;
                    continue;
                }
                let block_end = opaque_block_end(text, name, tag_end);
                blank(out, i..block_end);
                i = block_end;
            }
            _ => i += 1,
        }
    }
}

/// Blanks the tags of `<div markdown="1">…</div>` (any block tag, `block`/`span` too) so that
/// their content parses as Markdown, as kramdown does.
fn open_markdown_blocks(out: &mut [u8]) {
    // Work on an owned view of the current mask so that earlier blanking (front matter, raw
    // blocks) hides tags in those regions.
    let Ok(view) = String::from_utf8(out.to_vec()) else {
        return;
    };
    let mut reader = TagReader::new(&view);
    let mut line_start = 0;
    while line_start < view.len() {
        let line_end = view[line_start..]
            .find('\n')
            .map_or(view.len(), |p| line_start + p);
        let indent = view[line_start..line_end].len()
            - view[line_start..line_end].trim_start_matches(' ').len();
        let at = line_start + indent;
        if indent <= 3 {
            if let Some(tag) = reader.tag_at(at) {
                let wants_md = tag.attr("markdown").is_some_and(|v| {
                    matches!(
                        v.trim().to_ascii_lowercase().as_str(),
                        "1" | "block" | "span"
                    )
                });
                if !tag.closing && !tag.self_closing && wants_md {
                    let open_end = tag.end;
                    // The last byte becomes a line break so content on the same line starts a
                    // fresh, unindented line instead of an indented code block.
                    blank(out, at..open_end);
                    out[open_end - 1] = b'\n';
                    if let Some(close) = matching_close(&mut reader, &view, open_end, &tag.name) {
                        blank(out, close.clone());
                        out[close.start] = b'\n';
                    }
                }
            }
        }
        line_start = line_end + 1;
    }
}

/// The range of the end tag matching an open `name` element whose content starts at `from`.
fn matching_close(
    reader: &mut TagReader<'_>,
    view: &str,
    from: usize,
    name: &str,
) -> Option<Range<usize>> {
    let mut depth = 1usize;
    let mut k = from;
    while let Some(p) = view[k..].find('<') {
        let at = k + p;
        match reader.tag_at(at) {
            Some(tag) if tag.name == name => {
                let end = tag.end;
                if tag.closing {
                    depth -= 1;
                    if depth == 0 {
                        return Some(at..end);
                    }
                } else if !tag.self_closing {
                    depth += 1;
                }
                k = end;
            }
            Some(tag) => k = tag.end,
            None => k = at + 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_length_and_liquid_blanks_masked() {
        let text = "a {{ site.baseurl }}/x é {% raw %}![r](x){% endraw %} b";
        let m = mask(text, None);
        assert_eq!(m.len(), text.len());
        assert!(m.starts_with("a {{_site.baseurl_}}/x é "));
        assert!(m.ends_with(" b"));
        assert!(!m.contains("![r]"));
    }

    #[test]
    fn dash_variants_and_highlight() {
        let text = "{%- highlight md -%}\n![a](b)\n{%- endhighlight -%}\nafter";
        let m = mask(text, None);
        assert_eq!(m.trim_start(), "after");
        assert_eq!(m.matches('\n').count(), 3);
    }

    #[test]
    fn markdown_div_tags_become_blank_lines() {
        let text = "<div class=\"x\" markdown=\"1\">![a](b.png)</div>\nend";
        let m = mask(text, None);
        assert_eq!(m.len(), text.len());
        assert!(m.contains("\n![a](b.png)\n"), "{m:?}");
        assert!(!m.contains("div"));
    }
}

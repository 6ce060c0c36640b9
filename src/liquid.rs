//! Liquid: the facts about Liquid tags that both the finder's mask (`scan::markdown::mask`) and
//! the recogniser of postpix's own markup (`marker`) rely on, so that both read a post alike.
//!
//! In: a post's text. Out: where a tag ends, where an opaque block (`{% raw %}`,
//! `{% comment %}`, `{% highlight %}`) ends, a same-length copy with those blocks blanked, and
//! the include a page begins with (whose images are then the page's first).

/// Liquid block tags whose whole body never renders as Markdown images.
pub const OPAQUE_BLOCKS: &[&str] = &["raw", "comment", "highlight"];

/// The name and end offset of the Liquid tag `{% name … %}` (or `{%- … -%}`) starting at `at`.
pub fn tag(text: &str, at: usize) -> Option<(&str, usize)> {
    let rest = text.get(at..)?.strip_prefix("{%")?;
    let close = rest.find("%}")?;
    let inner = rest[..close].trim_start_matches('-').trim_start();
    let name_len = inner
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(inner.len());
    Some((&inner[..name_len], at + 2 + close + 2))
}

/// The file of `{% include FILE … %}` when `text` (a page's content) begins with that tag,
/// blank lines aside: the include is then the page's first content. Quotes around the name
/// are dropped; a name built from a variable (`{{ … }}`) gives `None`.
pub fn leading_include(text: &str) -> Option<&str> {
    let at = text.len() - text.trim_start().len();
    let (name, end) = tag(text, at)?;
    if name != "include" {
        return None;
    }
    let inner = text[at + 2..end - 2].trim_matches('-').trim();
    let file = inner.strip_prefix("include")?.split_whitespace().next()?;
    let file = file.trim_matches(|c| c == '"' || c == '\'');
    (!file.is_empty() && !file.contains("{{")).then_some(file)
}

/// The end of the opaque block `name` whose opening tag ends at `tag_end`: the end of its
/// `{% endname %}`, or the end of the text when it is never closed.
pub fn opaque_block_end(text: &str, name: &str, tag_end: usize) -> usize {
    let end_name = format!("end{name}");
    let mut k = tag_end;
    while let Some(p) = text.get(k..).and_then(|t| t.find("{%")) {
        let at = k + p;
        match tag(text, at) {
            Some((n, e)) if n == end_name => return e,
            Some((_, e)) => k = e,
            None => break,
        }
    }
    text.len()
}

/// A copy of `text` of the same length with every opaque block blanked (line breaks kept).
/// Tags are read as the finder's mask reads them: a one-line `{{ … }}` is skipped whole, so a
/// `{%` quoted inside one opens nothing.
pub fn blank_opaque(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    // Remember failed searches so that long runs of unmatched `{{` or `{%` stay linear.
    let mut no_output_close_before = 0;
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        match b[i + 1] {
            b'{' if i < no_output_close_before => i += 2,
            b'{' => {
                let line_end = text[i..].find('\n').map_or(b.len(), |p| i + p);
                match text[i + 2..line_end].find("}}") {
                    Some(p) => i = i + 2 + p + 2,
                    None => {
                        no_output_close_before = line_end;
                        i += 2;
                    }
                }
            }
            b'%' => {
                let Some((name, tag_end)) = tag(text, i) else {
                    break; // no `%}` anywhere after: no more tags
                };
                if OPAQUE_BLOCKS.contains(&name) {
                    let end = opaque_block_end(text, name, tag_end);
                    for c in &mut out[i..end] {
                        if *c != b'\n' && *c != b'\r' {
                            *c = b' ';
                        }
                    }
                    i = end;
                } else {
                    i = tag_end;
                }
            }
            _ => i += 1,
        }
    }
    // Whole characters (or ASCII bytes) were replaced by ASCII spaces: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_raw_comment_and_unclosed_blocks_keeping_length() {
        let t = "a {% raw %}`x{% endraw %} b\n{%- comment -%}\nc é\n{% endcomment %} d {% if x %}e";
        let b = blank_opaque(t);
        assert_eq!(b.len(), t.len());
        assert!(b.starts_with("a ") && b.contains(" b\n") && b.ends_with(" d {% if x %}e"));
        assert!(!b.contains('`') && !b.contains('é'));
        assert_eq!(b.matches('\n').count(), t.matches('\n').count());
        assert_eq!(blank_opaque("x {% raw %} y").trim(), "x");
        // As the mask: a `{%` inside a one-line output tag opens nothing.
        let t = "{{ \"{% raw %}\" }} `a`";
        assert_eq!(blank_opaque(t), t);
    }

    #[test]
    fn the_include_a_page_begins_with() {
        assert_eq!(leading_include("\n\n{% include en.md %}\n"), Some("en.md"));
        assert_eq!(
            leading_include("{%- include \"lang/fr.html\" x=1 -%}"),
            Some("lang/fr.html")
        );
        assert_eq!(leading_include("Text first.\n{% include en.md %}"), None);
        assert_eq!(leading_include("{% include_relative en.md %}"), None);
        assert_eq!(leading_include("{% include {{ page.lang }}.md %}"), None);
        assert_eq!(leading_include("{% raw %}{% include a.md %}"), None);
        assert_eq!(leading_include(""), None);
    }
}

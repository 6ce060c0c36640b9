//! Markdown: find every image reference kramdown would render in one post.
//!
//! In: the text of one post. Out: its [`ImageRef`]s (Markdown, reference-style, raw HTML and
//! front matter) in source order, with exact byte spans into that text.
//!
//! pulldown-cmark does the parsing, on a masked copy of the post of the same byte length (see
//! [`mask`]) so that Liquid, opaque Liquid blocks and `markdown="1"` HTML read the way kramdown
//! sees them after Jekyll's Liquid pass. Every string we report is sliced from the *original*
//! text by the parser's ranges; then the few places where CommonMark and kramdown disagree are
//! fixed up: collapsed references, IALs and spaces in bare destinations.

mod mask;

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use super::html::{self, Segment};
use super::{frontmatter, line_of, ImageRef, RefKind};

/// Every image reference in `text`, in source order.
///
/// Pure and total: any input gives an answer, never a panic. External URLs are included;
/// classifying them is `resolve`'s job.
pub fn find_refs(text: &str) -> Vec<ImageRef> {
    let (front_matter, mut refs) = frontmatter::extract(text);
    let masked = mask::mask(text, front_matter);
    let finder = Finder {
        text,
        masked: &masked,
    };
    refs.extend(finder.markdown_and_html());
    refs.sort_by_key(|r| r.span.start);
    refs.dedup_by_key(|r| r.span.start);
    refs
}

/// GFM as Jekyll's kramdown (GFM input) understands it. Footnotes are on so that `[^1]` is
/// not taken for a reference label.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// An image whose `Start` event has been seen, waiting for its `End` to complete the alt text.
struct Pending {
    kind: RefKind,
    range: Range<usize>,
    collapsed: bool,
    url: String,
    title: Option<String>,
    alt: String,
    /// Images nested in this one's description: their text is alt text, not images.
    nested: usize,
    in_link: bool,
    in_table: bool,
}

struct Finder<'a> {
    text: &'a str,
    masked: &'a str,
}

impl Finder<'_> {
    fn markdown_and_html(&self) -> Vec<ImageRef> {
        let mut parser = Parser::new_ext(self.masked, options()).into_offset_iter();
        let events: Vec<(Event<'_>, Range<usize>)> = parser.by_ref().collect();
        let defs = parser.reference_definitions();

        let mut refs = Vec::new();
        let mut segments: Vec<Segment> = Vec::new();
        let mut pending: Option<Pending> = None;
        // Adjacent text outside code and images, scanned for kramdown-only images at a break.
        let mut run: Option<Range<usize>> = None;
        let (mut links, mut tables, mut code_blocks) = (0usize, 0usize, 0usize);
        // Depth inside an image we do not report (empty destination): its description is alt
        // text, never an image of its own.
        let mut skipped = 0usize;

        for (event, range) in events {
            let in_link = links > 0;
            let in_table = tables > 0;
            if skipped > 0 {
                match event {
                    Event::Start(Tag::Image { .. }) => skipped += 1,
                    Event::End(TagEnd::Image) => skipped -= 1,
                    _ => {}
                }
                continue;
            }
            if let Some(p) = pending.as_mut() {
                match event {
                    Event::Start(Tag::Image { .. }) => p.nested += 1,
                    Event::End(TagEnd::Image) if p.nested > 0 => p.nested -= 1,
                    Event::End(TagEnd::Image) => {
                        if let Some(p) = pending.take() {
                            refs.extend(self.finish(p));
                        }
                    }
                    Event::Text(t) | Event::Code(t) => p.alt.push_str(&self.original(&t)),
                    _ => {}
                }
                continue;
            }
            match event {
                Event::Text(_) if code_blocks == 0 => {
                    run = Some(match run {
                        Some(r) if range.start >= r.start => r.start..range.end.max(r.end),
                        _ => range,
                    });
                    continue;
                }
                // Emphasis inside an alt text must not break the run it belongs to.
                Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough)
                | Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => continue,
                _ => {}
            }
            if let Some(r) = run.take() {
                refs.extend(self.fallback(r, in_link, in_table));
            }
            match event {
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    pending = self.start_image(link_type, &dest_url, &title, &id, defs, range);
                    match pending.as_mut() {
                        Some(p) => {
                            p.in_link = in_link;
                            p.in_table = in_table;
                        }
                        None => skipped = 1,
                    }
                }
                Event::Start(Tag::Link { .. }) => links += 1,
                Event::End(TagEnd::Link) => links = links.saturating_sub(1),
                Event::Start(Tag::Table(_)) => tables += 1,
                Event::End(TagEnd::Table) => tables = tables.saturating_sub(1),
                Event::Start(Tag::CodeBlock(_)) => code_blocks += 1,
                Event::End(TagEnd::CodeBlock) => code_blocks = code_blocks.saturating_sub(1),
                Event::Html(_) | Event::InlineHtml(_) => {
                    // Block HTML arrives line by line: one segment per contiguous stretch.
                    match segments.last_mut() {
                        Some(s)
                            if s.range.end == range.start
                                && s.in_link == in_link
                                && s.in_table == in_table =>
                        {
                            s.range.end = range.end;
                        }
                        _ => segments.push(Segment {
                            range,
                            in_link,
                            in_table,
                        }),
                    }
                }
                _ => {}
            }
        }
        if let Some(r) = run.take() {
            refs.extend(self.fallback(r, links > 0, tables > 0));
        }
        refs.extend(html::find_imgs(self.text, self.masked, &segments));
        refs
    }

    /// The original text behind a string the parser borrowed from the masked copy; an owned
    /// string (escapes or entities were decoded) is returned as it is.
    fn original(&self, s: &CowStr<'_>) -> String {
        self.borrowed_range(s)
            .and_then(|r| self.text.get(r))
            .map_or_else(|| s.to_string(), str::to_owned)
    }

    /// Where a borrowed parser string sits in the masked copy (and so in the original).
    fn borrowed_range(&self, s: &CowStr<'_>) -> Option<Range<usize>> {
        let CowStr::Borrowed(b) = s else {
            return None;
        };
        let base = self.masked.as_ptr() as usize;
        let start = (b.as_ptr() as usize).checked_sub(base)?;
        let end = start.checked_add(b.len())?;
        (end <= self.masked.len()).then_some(start..end)
    }

    /// The original text at `rel` (relative to `base`), a range found by reading the masked copy
    /// (where Liquid has no blanks to stop a destination early).
    fn unmasked(&self, base: usize, rel: Option<Range<usize>>) -> Option<String> {
        let rel = rel?;
        self.text
            .get(base + rel.start..base + rel.end)
            .map(str::to_owned)
    }

    fn start_image(
        &self,
        link_type: LinkType,
        dest: &CowStr<'_>,
        title: &CowStr<'_>,
        id: &CowStr<'_>,
        defs: &pulldown_cmark::RefDefs<'_>,
        range: Range<usize>,
    ) -> Option<Pending> {
        let (kind, url) = match link_type {
            LinkType::Inline => {
                let url = match self.borrowed_range(dest) {
                    Some(r) => self.text.get(r).map(str::to_owned),
                    None => self.unmasked(
                        range.start,
                        inline_destination(self.masked.get(range.clone())?),
                    ),
                };
                (RefKind::Markdown, url?)
            }
            LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut => {
                let url = match self.borrowed_range(dest) {
                    Some(r) => self.text.get(r).map(str::to_owned),
                    None => defs.get(id).and_then(|d| {
                        let rel = definition_destination(self.masked.get(d.span.clone())?);
                        self.unmasked(d.span.start, rel)
                    }),
                };
                (RefKind::Reference, url?)
            }
            // Autolinks, e-mail links and unresolved references never make images.
            _ => return None,
        };
        if url.trim().is_empty() {
            return None;
        }
        Some(Pending {
            kind,
            range,
            collapsed: link_type == LinkType::Collapsed,
            url,
            title: (!title.is_empty()).then(|| self.original(title)),
            alt: String::new(),
            nested: 0,
            in_link: false,
            in_table: false,
        })
    }

    /// Applies the range fixups and builds the ref.
    fn finish(&self, p: Pending) -> Option<ImageRef> {
        let mut end = p.range.end;
        if p.collapsed
            && !self.text.get(..end)?.ends_with("[]")
            && self.text.get(end..)?.starts_with("[]")
        {
            end += 2;
        }
        let (end, ial) = self.ial_after(end);
        let span = p.range.start..end;
        Some(ImageRef {
            kind: p.kind,
            line: line_of(self.text, span.start),
            span,
            url: p.url,
            alt: p.alt,
            title: p.title,
            ial,
            attrs: Vec::new(),
            in_link: p.in_link,
            in_table: p.in_table,
            key: None,
        })
    }

    /// A kramdown span IAL (`{: .center}`) right after an image, on the same line: the new end
    /// of the span and the IAL's inner text.
    fn ial_after(&self, end: usize) -> (usize, Option<String>) {
        let Some(rest) = self.text.get(end..) else {
            return (end, None);
        };
        let Some(body) = rest.strip_prefix("{:") else {
            return (end, None);
        };
        let line = body.split(['\n', '\r']).next().unwrap_or("");
        match line.find('}') {
            Some(close) => (end + 2 + close + 1, Some(line[..close].trim().to_owned())),
            None => (end, None),
        }
    }

    /// kramdown accepts `![alt](/a b.png)` (a blank in a bare destination), CommonMark leaves it
    /// as text: find such images, on one line, in a run of text.
    fn fallback(&self, run: Range<usize>, in_link: bool, in_table: bool) -> Vec<ImageRef> {
        let mut refs = Vec::new();
        let (Some(s), Some(m)) = (self.text.get(run.clone()), self.masked.get(run.clone())) else {
            return refs;
        };
        let mut from = 0;
        // Candidates are looked for in the masked copy (a run may hold an inline `{% raw %}`
        // stretch, blank there) and read from the original.
        while let Some(p) = m[from..].find("![") {
            let at = from + p;
            from = at + 2;
            if escaped(self.text, run.start + at) {
                continue;
            }
            let Some(parsed) = parse_inline(&s[at..]) else {
                continue;
            };
            // The span must end where the masked copy still has its closing `)`: an image that
            // runs into a blanked stretch is not one kramdown sees.
            let last = at + parsed.len.saturating_sub(1);
            if m.as_bytes().get(last) != s.as_bytes().get(last) {
                continue;
            }
            from = at + parsed.len;
            if parsed.url.trim().is_empty() {
                continue;
            }
            let alt = &s[at + 2..at + parsed.alt_end];
            let p = Pending {
                kind: RefKind::Markdown,
                range: run.start + at..run.start + at + parsed.len,
                collapsed: false,
                url: parsed.url.to_owned(),
                title: parsed.title.map(html::decode_entities),
                alt: alt.to_owned(),
                nested: 0,
                in_link,
                in_table,
            };
            refs.extend(self.finish(p));
        }
        refs
    }
}

/// An odd number of backslashes before `at` escapes the character there.
fn escaped(text: &str, at: usize) -> bool {
    let before = &text.as_bytes()[..at.min(text.len())];
    before.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// Longest description or destination the kramdown-only fallback looks at, in bytes.
const FALLBACK_LIMIT: usize = 2048;

/// An inline image as a lenient (kramdown-like) reader sees it.
struct Inline<'s> {
    /// Offset of the `]` that ends the description.
    alt_end: usize,
    url: &'s str,
    title: Option<&'s str>,
    /// Length of the whole `![…](…)`.
    len: usize,
}

/// Reads `![alt](url "title")`, all on one line, at the start of `s`.
fn parse_inline(s: &str) -> Option<Inline<'_>> {
    let b = s.as_bytes();
    if !s.starts_with("![") {
        return None;
    }
    let alt_end = matching(b, 1, b'[', b']', false, FALLBACK_LIMIT)?;
    if b.get(alt_end + 1) != Some(&b'(') {
        return None;
    }
    let close = matching(b, alt_end + 1, b'(', b')', false, FALLBACK_LIMIT)?;
    let inner = s[alt_end + 2..close].trim();
    let (url, title) = split_title(inner);
    let url = url.trim();
    let url = url
        .strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(url);
    Some(Inline {
        alt_end,
        url,
        title,
        len: close + 1,
    })
}

/// Offset of the bracket closing the one at `open`, skipping backslash escapes.
/// Gives up after `limit` bytes, which keeps the one-line fallback linear on hostile input.
fn matching(b: &[u8], open: usize, o: u8, c: u8, multiline: bool, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut k = open;
    let stop = open.saturating_add(limit);
    while let Some(&ch) = b.get(k) {
        if k >= stop {
            return None;
        }
        match ch {
            b'\\' => k += 1,
            b'\n' | b'\r' if !multiline => return None,
            _ if ch == o => depth += 1,
            _ if ch == c => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// Splits a trailing `"title"`, `'title'` or `(title)` (after a blank) off a destination.
fn split_title(inner: &str) -> (&str, Option<&str>) {
    let pairs = [('"', '"'), ('\'', '\''), ('(', ')')];
    for (o, c) in pairs {
        if inner.len() >= 2 && inner.ends_with(c) {
            let body = &inner[..inner.len() - 1];
            if let Some(open) = body.rfind(o) {
                let before = &inner[..open];
                if before.ends_with([' ', '\t', '\n', '\r']) {
                    return (before.trim_end(), Some(&body[open + 1..]));
                }
            }
        }
    }
    (inner, None)
}

/// Where the destination of an inline image sits in its span, read from the masked bytes when
/// the parser's URL is not a plain slice of the text (escapes or entities were decoded).
fn inline_destination(span: &str) -> Option<Range<usize>> {
    let b = span.as_bytes();
    let alt_end = matching(b, 1, b'[', b']', true, usize::MAX)?;
    if b.get(alt_end + 1) != Some(&b'(') {
        return None;
    }
    Some(read_destination(span, alt_end + 2))
}

/// Where the destination of a `[label]: dest "title"` definition sits in its text.
fn definition_destination(def: &str) -> Option<Range<usize>> {
    let b = def.as_bytes();
    let open = def.find('[')?;
    let close = matching(b, open, b'[', b']', true, usize::MAX)?;
    if b.get(close + 1) != Some(&b':') {
        return None;
    }
    Some(read_destination(def, close + 2))
}

/// The destination starting at `s[from..]` (after blanks): `<…>` without its brackets, or a
/// bare run up to a blank or an unbalanced `)`.
fn read_destination(s: &str, from: usize) -> Range<usize> {
    let b = s.as_bytes();
    let mut k = from;
    while b.get(k).is_some_and(u8::is_ascii_whitespace) {
        k += 1;
    }
    if b.get(k) == Some(&b'<') {
        let start = k + 1;
        let mut end = start;
        while b.get(end).is_some_and(|&c| c != b'>' && c != b'\n') {
            end += 1;
        }
        return start..end;
    }
    let start = k;
    let mut depth = 0usize;
    while let Some(&ch) = b.get(k) {
        match ch {
            b'\\' if b.get(k + 1).is_some_and(u8::is_ascii_punctuation) => k += 1,
            b' ' | b'\t' | b'\n' | b'\r' => break,
            b'(' => depth += 1,
            b')' if depth == 0 => break,
            b')' => depth -= 1,
            _ => {}
        }
        k += 1;
    }
    start..k.min(s.len())
}

#[cfg(test)]
mod tests;

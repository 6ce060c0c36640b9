//! Fence: where a page's front matter block begins and ends, as Jekyll reads it (a `---` first
//! line, a closing `---` or `...` line). The one rule shared by the reference finder
//! (`scan::frontmatter`) and the recogniser of postpix's own markup (`marker`), so both read a
//! post alike; a leaf, so neither depends on the other.

use std::ops::Range;

const BOM: &str = "\u{feff}";

/// Where the content after `text`'s front matter starts (0 when it has none).
pub fn content_start(text: &str) -> usize {
    block(text).map_or(0, |(_, end)| end)
}

/// The range of the YAML lines between the fences, and the end of the closing fence line.
pub fn block(text: &str) -> Option<(Range<usize>, usize)> {
    let start = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let mut lines = Lines::new(text, start);
    let (first, _) = lines.next()?;
    if trim_end(&text[first.clone()]) != "---" {
        return None;
    }
    let body_start = lines.pos;
    for (line, _) in lines {
        let fence = trim_end(&text[line.clone()]);
        if fence == "---" || fence == "..." {
            return Some((body_start..line.start, line.start + fence.len()));
        }
    }
    None
}

/// Lines of `text` from `pos`: each item is the line without its `\n` (a `\r` stays) and the
/// offset of the next line.
pub struct Lines<'a> {
    text: &'a str,
    /// Offset of the next line.
    pub pos: usize,
}

impl<'a> Lines<'a> {
    /// Lines from byte `pos` on.
    pub fn new(text: &'a str, pos: usize) -> Self {
        Self { text, pos }
    }
}

impl Iterator for Lines<'_> {
    type Item = (Range<usize>, usize);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        self.pos = if end < self.text.len() { end + 1 } else { end };
        Some((start..end, self.pos))
    }
}

/// A line without its trailing blanks and `\r`.
pub fn trim_end(s: &str) -> &str {
    s.trim_end_matches([' ', '\t', '\r'])
}

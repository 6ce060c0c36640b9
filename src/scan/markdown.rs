//! Markdown: find the image references kramdown would render in one post (stub).

use super::ImageRef;

/// Every image reference in `text`, in source order.
pub fn find_refs(_text: &str) -> Vec<ImageRef> {
    Vec::new()
}

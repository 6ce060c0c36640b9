//! HTML: find `<img>` tags in raw HTML (stub).

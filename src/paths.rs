//! Paths: site-relative paths (always `/`-separated, no leading `/`) and their absolute forms.
//!
//! Every room names files relative to the site root (or the `--out` root) and turns them into
//! absolute paths only at the moment of I/O, here, one way.

use std::path::{Path, PathBuf};

/// The absolute path of the site-relative `rel` under `root`.
pub fn abs(root: &Path, rel: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    p.extend(rel.split('/').filter(|s| !s.is_empty()));
    p
}

/// The site-relative form (with `/`) of `path` under `root`.
pub fn rel(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Folder (site-relative, no trailing slash; empty for the root) of a site-relative path.
pub fn folder(rel: &str) -> &str {
    match rel.rfind('/') {
        Some(i) => &rel[..i],
        None => "",
    }
}

/// The stem of a site-relative path (`postimg/My Photo.JPG` gives `My Photo`).
pub fn stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match name.rfind('.') {
        Some(0) | None => name,
        Some(i) => &name[..i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_forms_round_trip() {
        let root = Path::new("/site");
        assert_eq!(
            abs(root, "postimg/a b.png"),
            Path::new("/site/postimg/a b.png")
        );
        assert_eq!(abs(root, ""), Path::new("/site"));
        assert_eq!(rel(root, Path::new("/site/postimg/a.png")), "postimg/a.png");
        assert_eq!(folder("postimg/a.png"), "postimg");
        assert_eq!(folder("a.png"), "");
        assert_eq!(stem("postimg/My Photo.JPG"), "My Photo");
        assert_eq!(stem(".hidden"), ".hidden");
    }
}

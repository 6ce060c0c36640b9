//! Resolve: turn the URL a post writes into a file inside the site, safely.
//!
//! In: an [`ImageRef`](crate::scan::ImageRef)'s URL, the post's folder and the site's base URL.
//! Out: a [`Resolution`]: the status (ok, missing, outside, external, …), the site-relative path
//! and the real format from the magic bytes. Anything that would leave the site root, lexically
//! or through a symlink, is `outside` and is never opened; remote URLs are never fetched.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::format::{sniff, Format, SNIFF_LEN};

/// What became of one reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A GIF, PNG or JPEG file inside the site.
    Ok,
    /// No such file in the site.
    Missing,
    /// The path escapes the site root (`..`, encoded dots, a symlink pointing out).
    Outside,
    /// A remote or non-file URL (`http:`, `//host`, `data:`, `mailto:`, …).
    External,
    /// Not a regular file, or a file whose bytes are no image format postpix knows.
    NotImage,
    /// An image, but not one postpix re-encodes (WebP, SVG, BMP, …).
    Unsupported,
    /// A Liquid expression postpix can't evaluate.
    Unresolved,
}

impl Status {
    /// Name as used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Outside => "outside",
            Status::External => "external",
            Status::NotImage => "not_image",
            Status::Unsupported => "unsupported",
            Status::Unresolved => "unresolved",
        }
    }

    /// What to do about a reference with this status, in a few words; empty for ok and
    /// external references, which need nothing.
    pub fn hint(self) -> &'static str {
        match self {
            Status::Ok | Status::External => "",
            Status::Missing => "file not found in the site; upload it or fix the path",
            Status::Outside => "the path leaves the site folder; postpix never reads it",
            Status::NotImage => "not an image file",
            Status::Unsupported => "this format is not re-encoded (only GIF, PNG, JPEG)",
            Status::Unresolved => "Liquid expression postpix cannot evaluate",
        }
    }
}

/// The outcome of resolving one URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// What became of it.
    pub status: Status,
    /// Site-relative path with `/` (set when the URL named a path inside the site).
    pub source: Option<String>,
    /// The real format, from the magic bytes (set when the file was read).
    pub format: Option<Format>,
    /// The file's extension names another format than its bytes.
    pub extension_mismatch: bool,
    /// Size and mtime (ns) of the regular file reached, as resolving saw it (set when its
    /// format was read), so the survey need not stat it again.
    pub stat: Option<(u64, u128)>,
}

impl Resolution {
    fn status(status: Status) -> Self {
        Resolution {
            status,
            source: None,
            format: None,
            extension_mismatch: false,
            stat: None,
        }
    }
}

/// How the path part of a URL is anchored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlPath {
    /// Relative to the site root (after a Liquid base or a leading `/`).
    Root(String),
    /// Relative to the post's folder.
    Relative(String),
    /// Remote or not a file.
    External,
    /// Liquid postpix can't evaluate.
    Unresolved,
}

/// The Liquid base prefixes postpix understands, as the number of bytes of `url` they cover.
///
/// `{{site.baseurl}}`, `{{ site.baseurl }}`, `{{ site.url }}{{ site.baseurl }}` and
/// `{{ site.url }}` alone. Returns 0 when the URL has none of them.
pub fn liquid_base_len(url: &str) -> usize {
    let mut pos = 0;
    let mut saw_url = false;
    while let Some((name, len)) = liquid_var(&url[pos..]) {
        match name {
            "site.baseurl" => return pos + len,
            "site.url" if !saw_url => {
                saw_url = true;
                pos += len;
            }
            _ => break,
        }
    }
    if saw_url {
        pos
    } else {
        0
    }
}

/// `{{ name }}` at the start of `s`: the trimmed expression and the bytes it covers.
fn liquid_var(s: &str) -> Option<(&str, usize)> {
    let rest = s.strip_prefix("{{")?;
    let end = rest.find("}}")?;
    Some((rest[..end].trim(), 2 + end + 2))
}

/// `{{ "/p" | relative_url }}` (or `absolute_url`, single or double quotes): the quoted path.
fn liquid_filter_path(s: &str) -> Option<(String, usize)> {
    let rest = s.strip_prefix("{{")?;
    let end = rest.find("}}")?;
    let expr = rest[..end].trim();
    let (lit, filter) = expr.split_once('|')?;
    let filter = filter.trim();
    if filter != "relative_url" && filter != "absolute_url" {
        return None;
    }
    let lit = lit.trim();
    let quoted = (lit.len() >= 2)
        && ((lit.starts_with('"') && lit.ends_with('"'))
            || (lit.starts_with('\'') && lit.ends_with('\'')));
    if !quoted {
        return None;
    }
    Some((lit[1..lit.len() - 1].to_string(), 2 + end + 2))
}

fn has_scheme(s: &str) -> bool {
    let Some(colon) = s.find(':') else {
        return false;
    };
    let scheme = &s[..colon];
    !scheme.is_empty()
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
}

/// Classify a URL as written and strip its Liquid base, query and fragment. No I/O.
pub fn url_path(url: &str) -> UrlPath {
    let url = url.trim();
    let (path, rooted) = if let Some((p, len)) = liquid_filter_path(url) {
        (format!("{p}{}", &url[len..]), true)
    } else {
        let base = liquid_base_len(url);
        (url[base..].to_string(), base > 0)
    };
    if path.contains("{{") || path.contains("{%") {
        return UrlPath::Unresolved;
    }
    if path.starts_with("//") || path.starts_with("\\\\") || has_scheme(&path) {
        return UrlPath::External;
    }
    let cut = path.find(['?', '#']).unwrap_or(path.len());
    let path = path[..cut].to_string();
    if rooted || path.starts_with('/') || path.starts_with('\\') {
        UrlPath::Root(path)
    } else {
        UrlPath::Relative(path)
    }
}

/// Join `path` (URL form, percent-encoded) onto `base` segments, lexically.
///
/// Decodes once, treats `\` as `/` as browsers do, and answers `None` when the result would climb
/// above the site root or contains a NUL.
pub fn join_lexically(base: &[String], path: &str) -> Option<Vec<String>> {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    if decoded.contains('\0') {
        return None;
    }
    let mut segs: Vec<String> = base.to_vec();
    for seg in decoded.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                segs.pop()?;
            }
            s => segs.push(s.to_string()),
        }
    }
    Some(segs)
}

/// What the last run learnt of a source file: by site-relative path, its size, mtime (ns) and
/// the format its bytes had then. A regular file whose size and mtime still match is not opened
/// again to sniff its format (the manifest's stat fast path, applied to the resolver).
pub type Known = HashMap<String, (u64, u128, Format)>;

/// Resolves URLs of one site.
#[derive(Clone, Debug)]
pub struct Resolver {
    root: PathBuf,
    canonical_root: PathBuf,
    baseurl: String,
    /// Site folders published at the root URL, in the order they win (the layout's mounts).
    mounts: Vec<Vec<String>>,
    known: Known,
    /// Canonical form of each folder met so far (`None`: it could not be canonicalised), so a
    /// folder of a thousand images is canonicalised once, not once per image.
    folders: Folders,
}

/// The resolver's cache of canonical folders, shared by the threads resolving posts.
#[derive(Debug, Default)]
struct Folders(Mutex<HashMap<PathBuf, Option<PathBuf>>>);

impl Clone for Folders {
    fn clone(&self) -> Self {
        Folders(Mutex::new(self.lock().clone()))
    }
}

impl Folders {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Option<PathBuf>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The canonical path of `dir`, computed once per folder.
    fn canonical(&self, dir: &Path) -> Option<PathBuf> {
        if let Some(c) = self.lock().get(dir) {
            return c.clone();
        }
        let c = dir.canonicalize().ok();
        self.lock().insert(dir.to_path_buf(), c.clone());
        c
    }
}

impl Resolver {
    /// A resolver for the site at `root`, whose `_config.yml` says `baseurl`.
    pub fn new(root: &Path, baseurl: &str) -> std::io::Result<Self> {
        Ok(Resolver {
            root: root.to_path_buf(),
            canonical_root: root.canonicalize()?,
            baseurl: baseurl.trim_end_matches('/').to_string(),
            mounts: vec![Vec::new()],
            known: Known::new(),
            folders: Folders::default(),
        })
    }

    /// The same resolver, trusting `known` formats of files whose size and mtime match.
    pub fn knowing(self, known: Known) -> Self {
        Resolver { known, ..self }
    }

    /// The same resolver for a site whose generator publishes these folders (site-relative,
    /// `""` for the root) at the root URL, the first that holds a path winning.
    pub fn with_mounts(mut self, mounts: &[&str]) -> Self {
        self.mounts = mounts
            .iter()
            .map(|m| {
                m.split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        self
    }

    /// Look up root-relative segments under each mount: the first found wins, else the first
    /// mount's answer (naming the file the author most likely meant).
    fn locate_rooted(&self, segs: &[String]) -> Resolution {
        let mut first = None;
        for mount in &self.mounts {
            let full: Vec<String> = mount.iter().chain(segs).cloned().collect();
            let res = self.locate(&full);
            if res.status != Status::Missing {
                return res;
            }
            first.get_or_insert(res);
        }
        first.unwrap_or_else(|| self.locate(segs))
    }

    /// Resolve `url`, written in the post at site-relative `post` (or in the front matter, which
    /// Jekyll themes resolve against the site root, when `from_root`).
    pub fn resolve(&self, url: &str, post: &str, from_root: bool) -> Resolution {
        let url = &url_standard_clean(url);
        if url.trim().is_empty() {
            return Resolution::status(Status::Missing);
        }
        let (path, rooted) = match url_path(url) {
            UrlPath::External => return Resolution::status(Status::External),
            UrlPath::Unresolved => return Resolution::status(Status::Unresolved),
            UrlPath::Root(p) => (p, true),
            UrlPath::Relative(p) => (p, from_root),
        };
        let base: Vec<String> = if rooted {
            Vec::new()
        } else {
            let mut segs: Vec<String> = post.split('/').map(str::to_string).collect();
            segs.pop();
            segs
        };
        let Some(segs) = join_lexically(&base, &path) else {
            return Resolution::status(Status::Outside);
        };
        let mut res = if rooted {
            self.locate_rooted(&segs)
        } else {
            self.locate(&segs)
        };
        // A root-relative path that already carries the baseurl (`/blog/postimg/x.png`) still
        // names a file of this site.
        if res.status == Status::Missing && rooted && !self.baseurl.is_empty() {
            let prefix: Vec<&str> = self.baseurl.split('/').filter(|s| !s.is_empty()).collect();
            if segs.len() > prefix.len() && segs.iter().zip(&prefix).all(|(a, b)| a == b) {
                let other = self.locate_rooted(&segs[prefix.len()..]);
                if other.status != Status::Missing {
                    res = other;
                }
            }
        }
        // `/etc/passwd` is a root-relative URL, but if the author meant a host path, say so
        // rather than "missing" (only stat'ed, never opened).
        if res.status == Status::Missing && rooted && Path::new(path.as_str()).is_absolute() {
            let host = PathBuf::from(percent_decode_str(&path).decode_utf8_lossy().as_ref());
            if !host.starts_with(&self.root) && std::fs::symlink_metadata(&host).is_ok() {
                res.status = Status::Outside;
            }
        }
        res
    }

    /// Look up site-relative segments on disk.
    fn locate(&self, segs: &[String]) -> Resolution {
        let rel = segs.join("/");
        let mut path = self.root.clone();
        for s in segs {
            path.push(s);
        }
        let with_source = |status| Resolution {
            status,
            source: Some(rel.clone()),
            format: None,
            extension_mismatch: false,
            stat: None,
        };
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return with_source(Status::Missing);
        };
        // A regular file (not a symlink) is where its folder's canonical path says; else the
        // whole path is canonicalised.
        let in_folder = meta
            .is_file()
            .then(|| path.parent().and_then(|dir| self.folders.canonical(dir)))
            .flatten();
        let canonical = match (in_folder, path.file_name()) {
            (Some(dir), Some(name)) => dir.join(name),
            _ => match path.canonicalize() {
                Ok(c) => c,
                // A dangling symlink: it points somewhere that does not exist.
                Err(_) => return with_source(Status::Missing),
            },
        };
        if !canonical.starts_with(&self.canonical_root) {
            return with_source(Status::Outside);
        }
        // Only regular files are opened: a FIFO would block, a device would never end.
        let meta = match meta.is_file() {
            true => meta,
            false => match std::fs::metadata(&canonical) {
                Ok(m) if m.is_file() => m,
                _ => return with_source(Status::NotImage),
            },
        };
        let stat = crate::cache::stat_of(&meta);
        let known = stat
            .and_then(|(size, mtime)| self.known.get(&rel).filter(|k| (k.0, k.1) == (size, mtime)));
        let format = match known {
            Some(&(_, _, format)) => Some(format),
            None => {
                let mut head = [0u8; SNIFF_LEN];
                match File::open(&canonical).and_then(|mut f| read_up_to(&mut f, &mut head)) {
                    Ok(n) => sniff(&head[..n]),
                    Err(_) => return with_source(Status::NotImage),
                }
            }
        };
        let mut res = with_source(Status::NotImage);
        res.stat = stat;
        if let Some(format) = format {
            res.status = if format.is_supported() {
                Status::Ok
            } else {
                Status::Unsupported
            };
            res.format = Some(format);
            let ext = Path::new(&rel)
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default();
            res.extension_mismatch = !ext.is_empty() && !format.matches_extension(&ext);
        }
        res
    }
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A URL as the URL standard reads it before parsing: leading and trailing C0 controls and
/// spaces removed, and every ASCII tab, newline and carriage return removed wherever it is
/// (`src="/images/x/\n2464.png"` loads `/images/x/2464.png` in every browser).
pub fn url_standard_clean(url: &str) -> String {
    url.trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

#[test]
fn urls_lose_the_whitespace_browsers_strip() {
    // issue 17 item 6.
    assert_eq!(
        url_standard_clean(" \u{1}/images/x/\n2464.png\t "),
        "/images/x/2464.png"
    );
    assert_eq!(url_standard_clean("/a b.png"), "/a b.png");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liquid_bases_are_stripped() {
        assert_eq!(
            url_path("{{site.baseurl}}/p/a.png"),
            UrlPath::Root("/p/a.png".into())
        );
        assert_eq!(
            url_path("{{ site.baseurl }}/p/a.png"),
            UrlPath::Root("/p/a.png".into())
        );
        assert_eq!(
            url_path("{{ site.url }}{{ site.baseurl }}/p/a.png"),
            UrlPath::Root("/p/a.png".into())
        );
        assert_eq!(
            url_path("{{ \"/p/a.png\" | relative_url }}"),
            UrlPath::Root("/p/a.png".into())
        );
        assert_eq!(
            url_path("{{ '/p/a.png' | absolute_url }}"),
            UrlPath::Root("/p/a.png".into())
        );
        assert_eq!(url_path("{{ page.image }}"), UrlPath::Unresolved);
        assert_eq!(
            url_path("{{site.baseurl}}/{{ page.x }}"),
            UrlPath::Unresolved
        );
    }

    #[test]
    fn query_and_fragment_are_dropped() {
        assert_eq!(
            url_path("/a.png?wx_fmt=png#x"),
            UrlPath::Root("/a.png".into())
        );
        assert_eq!(
            url_path("../a.png#center"),
            UrlPath::Relative("../a.png".into())
        );
    }

    #[test]
    fn remote_and_non_file_urls_are_external() {
        for u in [
            "http://x/a.png",
            "https://x/a.png",
            "//cdn/a.png",
            "data:image/gif;base64,AA",
            "file:///etc/passwd",
            "mailto:a@b",
            "HTTPS://X/A.PNG",
        ] {
            assert_eq!(url_path(u), UrlPath::External, "{u}");
        }
    }

    #[test]
    fn lexical_join_refuses_to_climb_out() {
        let base = vec!["_posts".to_string()];
        assert_eq!(
            join_lexically(&base, "../postimg/a.png"),
            Some(vec!["postimg".into(), "a.png".into()])
        );
        assert_eq!(join_lexically(&base, "../../etc/passwd"), None);
        assert_eq!(join_lexically(&[], "%2e%2e/x"), None);
        assert_eq!(join_lexically(&[], "..%2fx"), None);
        assert_eq!(join_lexically(&[], "..\\..\\x"), None);
        assert_eq!(join_lexically(&[], "a%00.png"), None);
        assert_eq!(
            join_lexically(&[], "./././a%20b.png"),
            Some(vec!["a b.png".into()])
        );
    }

    fn site() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("postimg")).unwrap();
        std::fs::create_dir_all(r.join("_posts")).unwrap();
        std::fs::write(r.join("postimg/a.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        std::fs::write(r.join("postimg/liar.jpeg"), b"GIF89a\x01\0\x01\0").unwrap();
        std::fs::write(r.join("postimg/text.png"), b"hello").unwrap();
        std::fs::write(r.join("postimg/pic.webp"), b"RIFF\0\0\0\0WEBPVP8 ").unwrap();
        std::fs::create_dir_all(r.join("postimg/dir.png")).unwrap();
        std::fs::write(r.join("postimg/café menu.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        d
    }

    #[test]
    fn resolves_each_status() {
        let d = site();
        let r = Resolver::new(d.path(), "/blog").unwrap();
        let p = "_posts/x.md";
        let st = |u: &str| r.resolve(u, p, false).status;
        assert_eq!(st("{{site.baseurl}}/postimg/a.png"), Status::Ok);
        assert_eq!(st("../postimg/a.png"), Status::Ok);
        assert_eq!(st("/blog/postimg/a.png"), Status::Ok);
        assert_eq!(st("/postimg/caf%C3%A9%20menu.png"), Status::Ok);
        assert_eq!(st("/postimg/nope.png"), Status::Missing);
        assert_eq!(st("../../etc/passwd"), Status::Outside);
        assert_eq!(st("/etc/passwd"), Status::Outside);
        assert_eq!(st("https://x/a.png"), Status::External);
        assert_eq!(st("/postimg/text.png"), Status::NotImage);
        assert_eq!(st("/postimg/dir.png"), Status::NotImage);
        assert_eq!(st("/postimg/pic.webp"), Status::Unsupported);
        assert_eq!(st("{{ page.x }}"), Status::Unresolved);
        let liar = r.resolve("/postimg/liar.jpeg", p, false);
        assert_eq!(liar.format, Some(Format::Gif));
        assert!(liar.extension_mismatch);
        assert_eq!(liar.source.as_deref(), Some("postimg/liar.jpeg"));
    }

    #[test]
    fn front_matter_paths_resolve_from_the_root() {
        let d = site();
        let r = Resolver::new(d.path(), "").unwrap();
        assert_eq!(
            r.resolve("postimg/a.png", "_posts/x.md", true).status,
            Status::Ok
        );
        assert_eq!(
            r.resolve("postimg/a.png", "_posts/x.md", false).status,
            Status::Missing
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_pointing_out_are_outside_and_never_opened() {
        let d = site();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.png"),
            d.path().join("postimg/evil.png"),
        )
        .unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("linkdir")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("postimg/passwd.jpeg")).unwrap();
        let r = Resolver::new(d.path(), "").unwrap();
        for u in [
            "/postimg/evil.png",
            "/linkdir/secret.png",
            "/postimg/passwd.jpeg",
        ] {
            let res = r.resolve(u, "_posts/x.md", false);
            assert_eq!(res.status, Status::Outside, "{u}");
            assert_eq!(res.format, None, "{u} must not have been read");
        }
    }

    /// The stat fast path: a file whose size and mtime match what the last run knew is not
    /// opened again (the known format wins over the bytes, which only a rewrite with the same
    /// size and mtime could make differ); any other stat is sniffed again.
    #[test]
    fn a_known_file_with_the_same_stat_is_not_sniffed_again() {
        let d = site();
        let meta = std::fs::metadata(d.path().join("postimg/liar.jpeg")).unwrap();
        let (size, mtime) = crate::cache::stat_of(&meta).unwrap();
        let known = |mtime| Known::from([("postimg/liar.jpeg".into(), (size, mtime, Format::Png))]);
        let r = Resolver::new(d.path(), "").unwrap().knowing(known(mtime));
        let trusted = r.resolve("/postimg/liar.jpeg", "a.md", false);
        assert_eq!(trusted.format, Some(Format::Png), "{trusted:?}");
        let r = Resolver::new(d.path(), "")
            .unwrap()
            .knowing(known(mtime + 1));
        let sniffed = r.resolve("/postimg/liar.jpeg", "a.md", false);
        assert_eq!(sniffed.format, Some(Format::Gif), "{sniffed:?}");
    }

    /// What the last run knew never lets a path out of the site: symlinks are resolved first.
    #[cfg(unix)]
    #[test]
    fn a_known_path_through_a_symlink_out_is_still_outside() {
        let d = site();
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret.png");
        std::fs::write(&secret, b"\x89PNG\r\n\x1a\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("linkdir")).unwrap();
        std::os::unix::fs::symlink(&secret, d.path().join("postimg/evil.png")).unwrap();
        let (size, mtime) = crate::cache::stat(&secret).unwrap();
        let known = Known::from([
            ("linkdir/secret.png".into(), (size, mtime, Format::Png)),
            ("postimg/evil.png".into(), (size, mtime, Format::Png)),
        ]);
        let r = Resolver::new(d.path(), "").unwrap().knowing(known);
        for u in ["/linkdir/secret.png", "/postimg/evil.png"] {
            let res = r.resolve(u, "a.md", false);
            assert_eq!(res.status, Status::Outside, "{u}: {res:?}");
        }
        // The folder's canonical form is remembered per resolver, not across them: a folder
        // that becomes a symlink out is caught by the next run.
        std::fs::create_dir_all(d.path().join("real")).unwrap();
        std::fs::write(d.path().join("real/secret.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        let r = Resolver::new(d.path(), "").unwrap();
        assert_eq!(
            r.resolve("/real/secret.png", "a.md", false).status,
            Status::Ok
        );
        std::fs::remove_dir_all(d.path().join("real")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("real")).unwrap();
        let r = Resolver::new(d.path(), "").unwrap();
        assert_eq!(
            r.resolve("/real/secret.png", "a.md", false).status,
            Status::Outside
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_not_an_image_and_does_not_block() {
        let d = site();
        let fifo = d.path().join("postimg/fifo.png");
        let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        let rc = unsafe { libc_mkfifo(c.as_ptr(), 0o644) };
        assert_eq!(rc, 0);
        let r = Resolver::new(d.path(), "").unwrap();
        assert_eq!(
            r.resolve("/postimg/fifo.png", "a.md", false).status,
            Status::NotImage
        );
    }

    #[cfg(unix)]
    extern "C" {
        #[link_name = "mkfifo"]
        fn libc_mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
    }
}

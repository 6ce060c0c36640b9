//! Site: which files of a site are posts, and the few `_config.yml` settings that matter.
//!
//! In: the site root. Out: the sorted, site-relative paths of every Markdown file Jekyll would
//! render, skipping build output, dependencies, dot-folders, `exclude:`d paths and postpix's own
//! folders. Reads folder listings and `_config.yml`, nothing else.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// Folders never scanned, whatever the configuration says.
pub const SKIP_DIRS: &[&str] = &["_site", "vendor", "node_modules", "target", "_build"];

/// The Jekyll settings postpix reads from `_config.yml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JekyllConfig {
    /// `baseurl:`, e.g. `/blog`, or empty.
    pub baseurl: String,
    /// `url:`, e.g. `https://blog.example.org`, or empty.
    pub url: String,
    /// `exclude:` entries, as written.
    pub exclude: Vec<String>,
}

impl JekyllConfig {
    /// Read `_config.yml` from the site root; a missing file gives the defaults.
    ///
    /// Only top-level scalar keys and the `exclude` list (block or flow style) are understood;
    /// that is all postpix needs, and it avoids a YAML dependency.
    pub fn load(root: &Path) -> Self {
        match std::fs::read_to_string(root.join("_config.yml")) {
            Ok(text) => Self::parse(&text),
            Err(_) => Self::default(),
        }
    }

    /// Parse the subset described in [`JekyllConfig::load`].
    pub fn parse(text: &str) -> Self {
        let mut cfg = JekyllConfig::default();
        let mut in_exclude = false;
        for raw in text.lines() {
            let line = strip_comment(raw);
            if line.trim().is_empty() {
                continue;
            }
            let indented = line.starts_with(' ') || line.starts_with('\t');
            if in_exclude {
                let t = line.trim();
                if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix('-')) {
                    if indented || t.starts_with('-') {
                        cfg.exclude.push(unquote(item.trim()).to_string());
                        continue;
                    }
                }
                if indented {
                    continue;
                }
                in_exclude = false;
            }
            if indented {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "baseurl" => cfg.baseurl = unquote(value).to_string(),
                "url" => cfg.url = unquote(value).to_string(),
                "exclude" => {
                    if let Some(list) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                        cfg.exclude.extend(
                            list.split(',')
                                .map(|s| unquote(s.trim()).to_string())
                                .filter(|s| !s.is_empty()),
                        );
                    } else {
                        in_exclude = true;
                    }
                }
                _ => {}
            }
        }
        cfg
    }

    /// True when the site-relative path (with `/`) is excluded by `exclude:`.
    pub fn is_excluded(&self, rel: &str) -> bool {
        self.exclude.iter().any(|e| {
            let e = e.trim_end_matches('/').trim_start_matches("./");
            !e.is_empty() && (rel == e || rel.starts_with(&format!("{e}/")))
        })
    }
}

fn strip_comment(line: &str) -> &str {
    // A `#` starts a comment only at the line start or after whitespace, as in YAML.
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
            return &line[..i];
        }
    }
    line
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// True for a file name postpix treats as a post.
pub fn is_markdown(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

/// Every regular file of the site that Jekyll would see, site-relative, sorted: build output,
/// dependencies, dot-folders, `exclude:`d paths, postpix's variant folders and `extra_skip`
/// (absolute folders: `--out` and the cache when they sit inside the site) are left out, and
/// symlinks are not followed.
pub fn site_files(
    root: &Path,
    cfg: &JekyllConfig,
    variant_dir: &str,
    extra_skip: &[PathBuf],
) -> Vec<String> {
    let mut out = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            if e.file_type().is_dir() {
                if name.starts_with('.')
                    || SKIP_DIRS.contains(&name.as_ref())
                    || name == variant_dir
                {
                    return false;
                }
                if extra_skip.iter().any(|s| s == e.path()) {
                    return false;
                }
                // A folder holding its own `.postpix` cache is a site postpix wrote with
                // `--out`: its posts are rewritten copies, not the author's.
                if e.path().join(".postpix").is_dir() {
                    return false;
                }
            }
            !cfg.is_excluded(&crate::paths::rel(root, e.path()))
        });
    for entry in walker.flatten() {
        if entry.file_type().is_file() {
            out.push(crate::paths::rel(root, entry.path()));
        }
    }
    out
}

/// Every Markdown file of the site (see [`site_files`]), site-relative, sorted.
pub fn markdown_files(
    root: &Path,
    cfg: &JekyllConfig,
    variant_dir: &str,
    extra_skip: &[PathBuf],
) -> Vec<String> {
    site_files(root, cfg, variant_dir, extra_skip)
        .into_iter()
        .filter(|rel| is_markdown(rel.rsplit('/').next().unwrap_or(rel)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_baseurl_url_and_both_exclude_styles() {
        let c = JekyllConfig::parse(
            "title: X # c\nurl: \"https://e.org\"\nbaseurl: \"/blog\"\nexclude:\n  - README.md\n  - vendor/\nfoo: 1\n",
        );
        assert_eq!(c.baseurl, "/blog");
        assert_eq!(c.url, "https://e.org");
        assert_eq!(c.exclude, vec!["README.md", "vendor/"]);
        let c = JekyllConfig::parse("exclude: [a.md, 'b']\n");
        assert_eq!(c.exclude, vec!["a.md", "b"]);
    }

    #[test]
    fn exclusion_matches_whole_segments() {
        let c = JekyllConfig::parse("exclude:\n- tests\n");
        assert!(c.is_excluded("tests"));
        assert!(c.is_excluded("tests/a.md"));
        assert!(!c.is_excluded("tests2/a.md"));
    }

    #[test]
    fn walks_markdown_skipping_build_output_and_dot_folders() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        for f in [
            "_posts/a.md",
            "_posts/sub/b.markdown",
            "about.md",
            "_site/c.md",
            ".git/d.md",
            "node_modules/e.md",
            "postimg/responsive/f.md",
            "notes.txt",
            "README.md",
            "public/_posts/a.md",
            "public/.postpix/manifest.json",
        ] {
            let p = r.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let cfg = JekyllConfig::parse("exclude: [README.md]");
        let files = markdown_files(r, &cfg, "responsive", &[]);
        assert_eq!(
            files,
            vec!["_posts/a.md", "_posts/sub/b.markdown", "about.md"]
        );
    }
}

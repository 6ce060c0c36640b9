//! Site: which files of a site Jekyll renders, and the `_config.yml` settings that decide it.
//!
//! In: the site root. Out: the parsed `_config.yml` ([`JekyllConfig`], read with a YAML parser)
//! and the sorted, site-relative paths of every Markdown file Jekyll may render, skipping build
//! output, dependencies, dot-folders, `exclude:`d paths (matched as Jekyll's `EntryFilter`
//! does) and postpix's own folders; [`JekyllConfig::renders`] then applies Jekyll's rules for
//! posts, drafts, includes, collections, pages and `published: false`. Reads folder listings
//! and `_config.yml`, nothing else.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

pub use super::layout::Layout;
pub use crate::error::ConfigFault;
use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};
use walkdir::WalkDir;

/// Folders never scanned, whatever the configuration says.
pub const SKIP_DIRS: &[&str] = &["_site", "vendor", "node_modules", "target", "_build"];

/// The Jekyll settings postpix reads from `_config.yml`.
///
/// Parsed with a real YAML parser ([`saphyr`]); the whole document stays in [`JekyllConfig::yaml`]
/// so that settings beyond these can be read from the same parse.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JekyllConfig {
    /// `baseurl:`, e.g. `/blog`, or empty.
    pub baseurl: String,
    /// `url:`, e.g. `https://blog.example.org`, or empty.
    pub url: String,
    /// `exclude:` entries, as written (Jekyll's `File.fnmatch` patterns or path prefixes).
    pub exclude: Vec<String>,
    /// `include:` entries: names Jekyll reads although they start with `_`, `.` or `#`, and
    /// patterns taken back out of `exclude:`.
    pub include: Vec<String>,
    /// The names of the configured `collections:` (without the leading `_` of their folder).
    pub collections: Vec<String>,
    /// `collections_dir:`, the folder holding the collections' `_name` folders, or empty.
    pub collections_dir: String,
    /// `unpublished: true`: posts and pages with `published: false` are rendered too.
    pub unpublished: bool,
    /// `permalink:`, the URL style of posts and pages (`date`, `pretty`, a template such as
    /// `/:year/:month/:day/:title/`), or empty (Jekyll's default, `date`).
    pub permalink: String,
    /// The whole parsed document (`None` when there is no `_config.yml`).
    pub yaml: Option<YamlOwned>,
    /// The generator the site is laid out for: Jekyll's rules above apply to Jekyll only.
    pub layout: Layout,
    /// `exclude` less `include`, compiled.
    excluded: Patterns,
    /// `include`, compiled.
    included: Patterns,
}

/// How Jekyll treats a Markdown file, judged by its path alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// In a `_posts` folder: rendered (front matter optional).
    Post,
    /// In a `_drafts` folder: rendered with `jekyll serve --drafts`, published later.
    Draft,
    /// In `_includes`: pasted into the pages that include it, then rendered with them.
    Fragment,
    /// In a configured collection's folder: rendered when it has front matter.
    Document,
    /// Anywhere else Jekyll reads: a page when it has front matter, else copied as it is.
    Page,
    /// Never rendered: other `_`, `.` or `#` folders and names (`_doc/`, `_data/`, `_layouts/`),
    /// names ending in `~`.
    Never,
    /// Rendered by a generator other than Jekyll ([`Layout`]): front matter optional, left out
    /// when it says `draft: true`.
    Content,
}

/// Compiled `File.fnmatch` patterns (no flags: `*` crosses `/`, braces are literal).
#[derive(Clone, Debug, Default)]
struct Patterns {
    written: Vec<String>,
    globs: Vec<Option<GlobMatcher>>,
}

impl PartialEq for Patterns {
    fn eq(&self, other: &Self) -> bool {
        self.written == other.written
    }
}
impl Eq for Patterns {}

impl Patterns {
    fn new(written: Vec<String>) -> Self {
        let globs = written.iter().map(|p| fnmatch_glob(p)).collect();
        Patterns { written, globs }
    }

    /// Jekyll's `EntryFilter#glob_include?` for the site-relative `rel`: the pattern matches as
    /// a glob, or is a plain prefix of the path, or names the folder with a trailing `/`.
    fn matches(&self, rel: &str, is_dir: bool) -> bool {
        self.written.iter().zip(&self.globs).any(|(p, g)| {
            let p = p.strip_prefix('/').unwrap_or(p);
            !p.is_empty()
                && (g.as_ref().is_some_and(|g| g.is_match(rel))
                    || rel.starts_with(p)
                    || (is_dir && p.strip_suffix('/') == Some(rel)))
        })
    }
}

/// A glob that matches the way Ruby's `File.fnmatch(pattern, path)` does without flags: `*` and
/// `?` cross `/`, `\` escapes, `{` and `}` are plain characters. `None` for a pattern globset
/// refuses (an unclosed `[`), which Ruby then compares literally, as the prefix rule still does.
fn fnmatch_glob(pattern: &str) -> Option<GlobMatcher> {
    let p = pattern.strip_prefix('/').unwrap_or(pattern);
    let escaped = p.replace('{', "[{]").replace('}', "[}]");
    GlobBuilder::new(&escaped)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

/// The strings of a list-valued key (a single string counts as a list of one).
fn strings(doc: &YamlOwned, key: &str) -> Result<Vec<String>, ConfigFault> {
    let shape = || ConfigFault::Shape {
        key: key.to_string(),
        wanted: "a list of strings",
    };
    match doc.as_mapping_get(key) {
        None => Ok(Vec::new()),
        Some(v) if v.is_null() => Ok(Vec::new()),
        Some(v) => match v.as_vec() {
            Some(items) => items.iter().map(|i| scalar(i).ok_or_else(shape)).collect(),
            None => scalar(v).map(|s| vec![s]).ok_or_else(shape),
        },
    }
}

/// A scalar as Jekyll's Ruby would see it in a string context (`1` → `"1"`).
pub(crate) fn scalar(v: &YamlOwned) -> Option<String> {
    match v {
        YamlOwned::Value(ScalarOwned::String(s)) => Some(s.clone()),
        YamlOwned::Value(ScalarOwned::Integer(i)) => Some(i.to_string()),
        YamlOwned::Value(ScalarOwned::FloatingPoint(f)) => Some(f.to_string()),
        YamlOwned::Value(ScalarOwned::Boolean(b)) => Some(b.to_string()),
        YamlOwned::Tagged(_, inner) => scalar(inner),
        _ => None,
    }
}

/// A string-valued key; missing or null gives the empty string.
fn string(doc: &YamlOwned, key: &str) -> Result<String, ConfigFault> {
    match doc.as_mapping_get(key) {
        None => Ok(String::new()),
        Some(v) if v.is_null() => Ok(String::new()),
        Some(v) => scalar(v).ok_or_else(|| ConfigFault::Shape {
            key: key.to_string(),
            wanted: "a string",
        }),
    }
}

/// A YAML 1.1 boolean the way Ruby's Psych reads it (`true`, `yes`, `on`, and their opposites);
/// `None` for anything else.
pub fn yaml_bool(v: &YamlOwned) -> Option<bool> {
    match v {
        YamlOwned::Value(ScalarOwned::Boolean(b)) => Some(*b),
        YamlOwned::Value(ScalarOwned::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "y" => Some(true),
            "false" | "no" | "off" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The first document of `text`, or `None` for an empty stream.
fn parse_yaml(text: &str) -> Result<Option<YamlOwned>, ConfigFault> {
    let mut docs = YamlOwned::load_from_str(text).map_err(|e| ConfigFault::Yaml(e.to_string()))?;
    Ok((!docs.is_empty()).then(|| docs.swap_remove(0)))
}

impl JekyllConfig {
    /// Read `_config.yml` from the site root; a missing file gives the defaults, a broken one
    /// (not YAML, or a known key of the wrong shape) an error naming the file: Jekyll would
    /// refuse it too, and guessing would scan the wrong files.
    pub fn load(root: &Path) -> crate::error::Result<Self> {
        Self::load_as(root, None)
    }

    /// [`JekyllConfig::load`] for a site of the given layout (`None`: as its files say,
    /// [`Layout::detect`]). Other generators' settings are not read: only the layout is kept.
    pub fn load_as(root: &Path, layout: Option<Layout>) -> crate::error::Result<Self> {
        let layout = layout.unwrap_or_else(|| Layout::detect(root));
        if layout != Layout::Jekyll {
            return Ok(JekyllConfig {
                layout,
                ..Self::default()
            });
        }
        let path = root.join("_config.yml");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(crate::error::Error::io(&path, e)),
        };
        Self::parse(&text).map_err(|fault| crate::error::Error::JekyllConfig { path, fault })
    }

    /// Parse the text of a `_config.yml`. Unknown keys are ignored (themes add many).
    pub fn parse(text: &str) -> Result<Self, ConfigFault> {
        let Some(doc) = parse_yaml(text)? else {
            return Ok(Self::default());
        };
        if doc.is_null() {
            return Ok(Self::default());
        }
        if doc.as_mapping().is_none() {
            return Err(ConfigFault::Shape {
                key: "(document)".into(),
                wanted: "a mapping of settings",
            });
        }
        let exclude = strings(&doc, "exclude")?;
        let include = strings(&doc, "include")?;
        let collections = match doc.as_mapping_get("collections") {
            Some(YamlOwned::Mapping(m)) => m.keys().filter_map(scalar).collect(),
            Some(_) => strings(&doc, "collections")?,
            None => Vec::new(),
        };
        let unpublished = doc
            .as_mapping_get("unpublished")
            .and_then(yaml_bool)
            .unwrap_or(false);
        let kept: Vec<String> = exclude
            .iter()
            .filter(|e| !include.contains(e))
            .cloned()
            .collect();
        Ok(JekyllConfig {
            baseurl: string(&doc, "baseurl")?,
            url: string(&doc, "url")?,
            collections_dir: string(&doc, "collections_dir")?
                .trim_matches('/')
                .to_string(),
            excluded: Patterns::new(kept),
            included: Patterns::new(include.clone()),
            exclude,
            include,
            collections,
            unpublished,
            permalink: string(&doc, "permalink")?,
            yaml: Some(doc),
            layout: Layout::Jekyll,
        })
    }

    /// True when the site-relative file path (with `/`) is excluded by `exclude:`, matched the
    /// way Jekyll's `EntryFilter` does (see [`JekyllConfig::is_excluded_entry`]).
    pub fn is_excluded(&self, rel: &str) -> bool {
        self.is_excluded_entry(rel, false)
    }

    /// True when the site-relative entry is excluded: a pattern matches it as a glob
    /// (`File.fnmatch`, where `*` also crosses `/`), is a prefix of it (a plain string prefix,
    /// as in Jekyll: `exclude: [test]` also leaves out `tests/`), or names the folder with a
    /// trailing `/`. Patterns also listed in `include:` do not count.
    pub fn is_excluded_entry(&self, rel: &str, is_dir: bool) -> bool {
        self.excluded.matches(rel, is_dir)
    }

    /// True when a name that starts with `_`, `.` or `#` is read anyway (`include:`).
    fn is_included(&self, rel: &str, name: &str) -> bool {
        self.included.matches(rel, false) || self.included.matches(name, false)
    }

    /// How Jekyll treats the Markdown file at site-relative `rel`, by its path alone.
    pub fn role(&self, rel: &str) -> Role {
        if self.layout != Layout::Jekyll {
            let hidden = rel.split('/').any(|seg| seg.starts_with('.'));
            return if self.layout.renders_path(rel) && !hidden {
                Role::Content
            } else {
                Role::Never
            };
        }
        let parts: Vec<&str> = rel.split('/').collect();
        let in_collections = if self.collections_dir.is_empty() {
            Some(0)
        } else {
            let dir: Vec<&str> = self.collections_dir.split('/').collect();
            parts.starts_with(&dir).then_some(dir.len())
        };
        let mut role = Role::Page;
        for (i, seg) in parts.iter().enumerate() {
            let prefix = parts[..=i].join("/");
            if !is_special(seg) || self.is_included(&prefix, seg) {
                continue;
            }
            if role != Role::Page || i + 1 == parts.len() {
                // A special name inside `_posts` (or a special file name): filtered out.
                return Role::Never;
            }
            let name = seg.trim_start_matches('_');
            role = match *seg {
                "_posts" => Role::Post,
                "_drafts" => Role::Draft,
                "_includes" if i == 0 => Role::Fragment,
                _ if seg.starts_with('_')
                    && in_collections == Some(i)
                    && self.collections.iter().any(|c| c == name) =>
                {
                    Role::Document
                }
                _ => return Role::Never,
            };
        }
        role
    }

    /// True when Jekyll renders the Markdown file at `rel` whose text is `text`: its [`Role`]
    /// allows it, a page or collection document has front matter, and the front matter does
    /// not say `published: false` (unless `unpublished: true`).
    pub fn renders(&self, rel: &str, text: &str) -> bool {
        let role = self.role(rel);
        let front = super::frontmatter::yaml_body(text);
        match role {
            Role::Never => return false,
            Role::Fragment => return true,
            Role::Content => return front.is_none_or(|f| !draft(f)),
            Role::Page | Role::Document if front.is_none() => return false,
            _ => {}
        }
        self.unpublished || front.is_none_or(published)
    }
}

/// The front matter of a post's `text`, parsed; `None` without one, or when it is no YAML
/// mapping (Jekyll then warns and uses none of it).
pub fn front_matter(text: &str) -> Option<YamlOwned> {
    let body = super::frontmatter::yaml_body(text)?;
    parse_yaml(body)
        .ok()
        .flatten()
        .filter(|d| d.as_mapping().is_some())
}

/// The `published:` flag of a front matter body; broken YAML counts as published (Jekyll warns
/// and renders it).
fn published(body: &str) -> bool {
    let Ok(Some(doc)) = parse_yaml(body) else {
        return true;
    };
    doc.as_mapping_get("published")
        .and_then(yaml_bool)
        .unwrap_or(true)
}

/// `draft: true` in a YAML front matter (Hugo, Zola and Eleventy leave such a page out of a
/// build by default).
fn draft(body: &str) -> bool {
    let Ok(Some(doc)) = parse_yaml(body) else {
        return false;
    };
    doc.as_mapping_get("draft")
        .and_then(yaml_bool)
        .unwrap_or(false)
}

/// A name Jekyll's `EntryFilter` leaves out unless `include:`d.
fn is_special(name: &str) -> bool {
    name.starts_with(['_', '.', '#']) || name.ends_with('~')
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
    files_named(root, cfg, variant_dir, extra_skip, |_| true)
}

/// [`site_files`] whose file name `wanted` accepts: any other file is passed over before its
/// path is matched against `exclude:` (on a large site, most files are images).
fn files_named(
    root: &Path,
    cfg: &JekyllConfig,
    variant_dir: &str,
    extra_skip: &[PathBuf],
    wanted: impl Fn(&str) -> bool,
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
                    || (e.depth() == 1 && cfg.layout.skip_dirs().contains(&name.as_ref()))
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
            } else if !wanted(&name) {
                return false;
            }
            !cfg.is_excluded_entry(&crate::paths::rel(root, e.path()), e.file_type().is_dir())
        });
    for entry in walker.flatten() {
        if entry.file_type().is_file() {
            out.push(crate::paths::rel(root, entry.path()));
        }
    }
    out
}

/// Largest file searched for image names; a text file Jekyll renders is far smaller.
const MAX_SEARCHED_BYTES: u64 = 8 << 20;

/// Of `names` (file names such as `logo.png`), those that one of the site-relative `files`
/// names in its text. A name counts in its raw and its percent-encoded spelling. One pass per
/// file, whatever the number of names; files larger than any page are skipped.
pub fn named_in(
    root: &Path,
    files: &[String],
    names: &[String],
) -> std::collections::BTreeSet<String> {
    let mut found = std::collections::BTreeSet::new();
    let mut patterns: Vec<String> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let encoded = percent_encoding::utf8_percent_encode(n, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2E", ".")
            .replace("%2D", "-")
            .replace("%5F", "_");
        for p in [n.clone(), encoded] {
            if !patterns.contains(&p) {
                patterns.push(p);
                owner.push(i);
            }
        }
    }
    let Ok(matcher) = aho_corasick::AhoCorasick::new(&patterns) else {
        return found;
    };
    for rel in files {
        let path = root.join(rel);
        let small = std::fs::symlink_metadata(&path)
            .is_ok_and(|m| m.is_file() && m.len() <= MAX_SEARCHED_BYTES);
        let Some(text) = small.then(|| std::fs::read(&path).ok()).flatten() else {
            continue;
        };
        for m in matcher.find_overlapping_iter(&text) {
            found.insert(names[owner[m.pattern().as_usize()]].clone());
        }
        if found.len() == names.len() {
            break;
        }
    }
    found
}

/// Every Markdown file of the site (see [`site_files`]) that Jekyll may render by its path
/// ([`JekyllConfig::role`] is not [`Role::Never`]), site-relative, sorted.
pub fn markdown_files(
    root: &Path,
    cfg: &JekyllConfig,
    variant_dir: &str,
    extra_skip: &[PathBuf],
) -> Vec<String> {
    files_named(root, cfg, variant_dir, extra_skip, is_markdown)
        .into_iter()
        .filter(|rel| cfg.role(rel) != Role::Never)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> JekyllConfig {
        JekyllConfig::parse(text).expect("valid _config.yml")
    }

    #[test]
    fn parses_baseurl_url_and_both_exclude_styles() {
        let c = parse(
            "title: X # c\nurl: \"https://e.org\"\nbaseurl: \"/blog\"\nexclude:\n  - README.md\n  - vendor/\nfoo: 1\n",
        );
        assert_eq!(c.baseurl, "/blog");
        assert_eq!(c.url, "https://e.org");
        assert_eq!(c.exclude, vec!["README.md", "vendor/"]);
        let c = parse("exclude: [a.md, 'b']\n");
        assert_eq!(c.exclude, vec!["a.md", "b"]);
        assert_eq!(parse(""), JekyllConfig::default());
        assert_eq!(parse("# only a comment\n"), JekyllConfig::default());
    }

    #[test]
    fn multi_line_flow_list_is_read() {
        // Regression: the line scanner ignored a flow list spread over several lines.
        let c = parse("exclude: [\n  Gemfile,\n  \"drafts-private\",\n  '*.txt'\n]\ntitle: x\n");
        assert_eq!(c.exclude, vec!["Gemfile", "drafts-private", "*.txt"]);
        assert!(c.is_excluded("drafts-private/a.md"));
    }

    #[test]
    fn broken_or_misshapen_config_is_an_error() {
        assert!(matches!(
            JekyllConfig::parse("exclude: [a, b\ntitle: x\n"),
            Err(ConfigFault::Yaml(_))
        ));
        assert!(matches!(
            JekyllConfig::parse("- a\n- b\n"),
            Err(ConfigFault::Shape { .. })
        ));
        assert!(matches!(
            JekyllConfig::parse("exclude: {a: 1}\n"),
            Err(ConfigFault::Shape { .. })
        ));
        assert!(matches!(
            JekyllConfig::parse("baseurl: [a]\n"),
            Err(ConfigFault::Shape { .. })
        ));
    }

    #[test]
    fn load_names_the_file_of_a_broken_config() {
        let d = tempfile::tempdir().expect("temp dir");
        std::fs::write(d.path().join("_config.yml"), "exclude: [a\n").expect("write");
        let e = JekyllConfig::load(d.path()).expect_err("broken YAML");
        assert!(e.to_string().contains("_config.yml"), "{e}");
        let none = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            JekyllConfig::load(none.path()).expect("no file: defaults"),
            JekyllConfig::default()
        );
    }

    #[test]
    fn exclusion_matches_as_jekyll_entry_filter() {
        let c = parse("exclude:\n- tests\n- '*.txt'\n- 'docs/**/*.md'\n- vendor/\n- '/abs.md'\n");
        // A plain prefix, as Jekyll's `start_with?` (so `tests2/` too).
        assert!(c.is_excluded("tests"));
        assert!(c.is_excluded("tests/a.md"));
        assert!(c.is_excluded("tests2/a.md"));
        // Globs: `*` crosses `/` (File.fnmatch without FNM_PATHNAME).
        assert!(c.is_excluded("notes.txt"));
        assert!(c.is_excluded("a/b/notes.txt"));
        assert!(c.is_excluded("docs/x/y/z.md"));
        assert!(!c.is_excluded("docs.md"));
        // A trailing slash names the folder.
        assert!(c.is_excluded_entry("vendor", true));
        assert!(c.is_excluded("vendor/x.md"));
        assert!(c.is_excluded("abs.md"));
        assert!(!c.is_excluded("about.md"));
        // Braces are literal, as in fnmatch without FNM_EXTGLOB.
        let c = parse("exclude: ['{a,b}.md']\n");
        assert!(!c.is_excluded("a.md"));
        assert!(c.is_excluded("{a,b}.md"));
        // include: takes a pattern back.
        let c = parse("exclude: [a.md, b.md]\ninclude: [a.md]\n");
        assert!(!c.is_excluded("a.md"));
        assert!(c.is_excluded("b.md"));
    }

    #[test]
    fn roles_follow_jekyll() {
        let c = parse("collections:\n  recipes:\n    output: true\ninclude: [_pages]\n");
        let cases = [
            ("_posts/a.md", Role::Post),
            ("blog/_posts/2020-01-01-a.md", Role::Post),
            ("_drafts/a.md", Role::Draft),
            ("_includes/fragment.md", Role::Fragment),
            ("_recipes/soup.md", Role::Document),
            ("_pages/about.md", Role::Page),
            ("about.md", Role::Page),
            ("docs/guide.md", Role::Page),
            ("_doc/notes.md", Role::Never),
            ("_layouts/x.md", Role::Never),
            ("_data/x.md", Role::Never),
            ("docs/_partial.md", Role::Never),
            ("_posts/_hidden/a.md", Role::Never),
            ("notes.md~", Role::Never),
            ("sub/_recipes/x.md", Role::Never),
        ];
        for (rel, want) in cases {
            assert_eq!(c.role(rel), want, "{rel}");
        }
        let c = parse("collections: [recipes]\ncollections_dir: my\n");
        assert_eq!(c.role("my/_recipes/a.md"), Role::Document);
        assert_eq!(c.role("_recipes/a.md"), Role::Never);
    }

    #[test]
    fn renders_needs_front_matter_for_pages_and_honours_published() {
        let c = JekyllConfig::default();
        let fm = "---\ntitle: x\n---\nbody\n";
        let unpublished = "---\ntitle: x\npublished: false\n---\nbody\n";
        assert!(c.renders("_posts/a.md", "no front matter\n"));
        assert!(c.renders("_posts/a.md", fm));
        assert!(!c.renders("_posts/a.md", unpublished));
        assert!(!c.renders("_posts/a.md", "---\npublished: no\n---\n"));
        assert!(c.renders("about.md", fm));
        assert!(!c.renders("README.md", "# Read me\n"));
        assert!(!c.renders("about.md", unpublished));
        assert!(c.renders("_includes/x.md", "plain fragment\n"));
        assert!(!c.renders("_doc/x.md", fm));
        // Broken front matter: Jekyll warns and renders it.
        assert!(c.renders("_posts/a.md", "---\nbad: [\n---\nbody\n"));
        let c = parse("unpublished: true\n");
        assert!(c.renders("_posts/a.md", unpublished));
    }

    #[test]
    fn walks_markdown_skipping_build_output_and_dot_folders() {
        let d = tempfile::tempdir().expect("temp dir");
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
            "_doc/g.md",
        ] {
            let p = r.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, "x").expect("write");
        }
        let cfg = parse("exclude: [README.md]");
        let files = markdown_files(r, &cfg, "responsive", &[]);
        assert_eq!(
            files,
            vec!["_posts/a.md", "_posts/sub/b.markdown", "about.md"]
        );
    }
}

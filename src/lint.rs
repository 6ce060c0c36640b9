//! Lint: image references that name a file of the site but will 404 on the published site,
//! why, and the `{{ site.baseurl }}/…` URL that reaches the file.
//!
//! In: a post (its path and text), one of its references with its [`Resolution`], and the
//! site's `_config.yml` ([`JekyllConfig`]: `baseurl`, `permalink`). Out: a [`LinkFix`] when the
//! URL the browser will request is not where Jekyll publishes the file:
//! - a root-relative `/postimg/x.jpg` (or `{{ site.url }}/postimg/x.jpg`) on a site whose
//!   `baseurl` is not empty: the browser asks the host's root, the site lives under `/blog/`;
//! - a document-relative `postimg/x.jpg` or `../postimg/x.jpg` in a page published under a
//!   folder URL (a post at `/2020/01/02/title/`): the browser resolves it against that URL.
//!
//! The page's URL is computed as Jekyll does for posts and pages (the `permalink` style or
//! template, the post's date, slug and categories, a `permalink:` in the front matter);
//! collection documents and includes, whose URL depends on settings postpix does not model,
//! are never linted. Only `stat` touches the disk (is there a file at the requested path?).

use std::path::Path;

use saphyr::YamlOwned;

use crate::paths;
use crate::resolve::{liquid_base_len, url_path, url_standard_clean, Resolution, Resolver};
use crate::resolve::{Status, UrlPath};
use crate::rewrite::encode_url_path;
use crate::scan::site::{front_matter, scalar, JekyllConfig, Role};
use crate::scan::{ImageRef, Post, RefKind};

/// Why a reference will 404.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// A root-relative URL (or `{{ site.url }}` without `{{ site.baseurl }}`) on a site
    /// served under a `baseurl`.
    BaseurlBypassed {
        /// The site's `baseurl`.
        baseurl: String,
    },
    /// A document-relative URL, resolved by the browser against the page's own URL.
    RelativeToPage {
        /// The page's URL, with the `baseurl`.
        page: String,
    },
}

/// A reference that will 404, and the URL that reaches its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkFix {
    /// Why.
    pub why: Why,
    /// The path the browser will request (from the host's root).
    pub requested: String,
    /// The path the file is published at (from the host's root).
    pub served: String,
    /// The file, site-relative.
    pub source: String,
    /// The reference's URL rewritten as `{{ site.baseurl }}/<path>` (query and fragment kept).
    pub url: String,
}

impl std::fmt::Display for LinkFix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.why {
            Why::BaseurlBypassed { baseurl } => write!(
                f,
                "root-relative, but the site is served under baseurl {baseurl}: the browser requests {}, the file is at {}",
                self.requested, self.served
            ),
            Why::RelativeToPage { page } => write!(
                f,
                "document-relative, so the browser resolves it against the page's URL {page}: it requests {}, the file is at {}",
                self.requested, self.served
            ),
        }
    }
}

/// What the lint needs to know about the site.
#[derive(Clone, Debug)]
pub struct Linter<'a> {
    site: &'a Path,
    jekyll: &'a JekyllConfig,
    resolver: &'a Resolver,
}

impl<'a> Linter<'a> {
    /// A linter for the site at `site` with its `_config.yml` and resolver.
    pub fn new(site: &'a Path, jekyll: &'a JekyllConfig, resolver: &'a Resolver) -> Self {
        Linter {
            site,
            jekyll,
            resolver,
        }
    }

    /// The fix for reference `r` of `post` (resolved as `res`), when it will 404. Front
    /// matter is never linted: themes, not browsers, turn it into URLs.
    pub fn check(&self, post: &Post, r: &ImageRef, res: &Resolution) -> Option<LinkFix> {
        if r.kind == RefKind::FrontMatter {
            return None;
        }
        let url = url_standard_clean(&r.url);
        let baseurl = self.jekyll.baseurl.trim_end_matches('/');
        let found = |x: &Resolution| {
            matches!(x.status, Status::Ok | Status::Unsupported)
                .then(|| x.source.clone())
                .flatten()
        };
        match url_path(&url) {
            UrlPath::Root(path) => {
                let source = found(res)?;
                let with_base = url.contains("site.baseurl")
                    || url.contains("relative_url")
                    || url.contains("absolute_url");
                let carries = is_under(&decode(&path), baseurl);
                if baseurl.is_empty() || with_base || carries {
                    return None;
                }
                Some(LinkFix {
                    why: Why::BaseurlBypassed {
                        baseurl: baseurl.to_string(),
                    },
                    requested: decode(&path),
                    served: format!("{baseurl}/{source}"),
                    url: fixed_url(&url, &source),
                    source,
                })
            }
            UrlPath::Relative(path) => {
                let page = page_url(&post.path, &post.original, self.jekyll)?;
                let folder = &page[..page.rfind('/').map_or(0, |i| i + 1)];
                let requested = join_clamped(folder, &decode(&path));
                if self.site.join(&requested).is_file() {
                    return None;
                }
                let source = found(res).or_else(|| {
                    let from_root = self.resolver.resolve(&url, &post.path, true);
                    found(&from_root)
                })?;
                Some(LinkFix {
                    why: Why::RelativeToPage {
                        page: format!("{baseurl}{page}"),
                    },
                    requested: format!("{baseurl}/{requested}"),
                    served: format!("{baseurl}/{source}"),
                    url: fixed_url(&url, &source),
                    source,
                })
            }
            UrlPath::External | UrlPath::Unresolved => None,
        }
    }
}

/// `{{ site.baseurl }}/<source>`, percent-encoded, with the query and fragment of `url`.
fn fixed_url(url: &str, source: &str) -> String {
    let rest = &url[liquid_base_len(url)..];
    let suffix = rest.find(['?', '#']).map_or("", |i| &rest[i..]);
    format!("{{{{ site.baseurl }}}}/{}{suffix}", encode_url_path(source))
}

/// True when the path `p` (from the host's root) lies under `baseurl`.
fn is_under(p: &str, baseurl: &str) -> bool {
    !baseurl.is_empty()
        && p.strip_prefix(baseurl)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .replace('\\', "/")
}

/// `path` resolved against the URL folder `folder` (`/2020/01/02/`), as a browser does (`..`
/// stops at the root): site-relative, without a leading `/`.
fn join_clamped(folder: &str, path: &str) -> String {
    let mut segs: Vec<&str> = folder.split('/').filter(|s| !s.is_empty()).collect();
    let parts: Vec<&str> = path.split('/').collect();
    for (i, seg) in parts.iter().enumerate() {
        match *seg {
            "." => {}
            "" if i + 1 < parts.len() => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    segs.join("/")
}

/// The URL (from the site's root, without `baseurl`) at which Jekyll publishes the Markdown
/// file at site-relative `rel` with text `text`: posts and pages; `None` for the others (and
/// for a permalink placeholder postpix does not know).
pub fn page_url(rel: &str, text: &str, jekyll: &JekyllConfig) -> Option<String> {
    let fm = front_matter(text);
    let get = |k: &str| {
        fm.as_ref()
            .and_then(|d| d.as_mapping_get(k))
            .and_then(scalar)
    };
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let style = jekyll.permalink.trim();
    match jekyll.role(rel) {
        Role::Post => {
            let (file_date, title) = split_date(stem)?;
            let date = get("date")
                .and_then(|d| parse_date(d.trim()))
                .unwrap_or(file_date);
            let slug = slugify(&get("slug").unwrap_or_else(|| title.to_string()));
            let template = get("permalink").unwrap_or_else(|| post_template(style).to_string());
            let cats = categories(rel, fm.as_ref());
            let fill = |name: &str| -> Option<String> {
                let (y, m, d) = date;
                Some(match name {
                    "year" => format!("{y:04}"),
                    "short_year" => format!("{:02}", y % 100),
                    "month" => format!("{m:02}"),
                    "i_month" => m.to_string(),
                    "day" => format!("{d:02}"),
                    "i_day" => d.to_string(),
                    "y_day" => format!("{:03}", day_of_year(date)),
                    "hour" | "minute" | "second" => "00".into(),
                    "title" | "slug" => slug.clone(),
                    "name" => slugify(title),
                    "categories" => cats.join("/"),
                    "output_ext" => ".html".into(),
                    _ => return None,
                })
            };
            Some(clean_url(&expand(&template, &fill)?))
        }
        Role::Page => {
            let folder = paths::folder(rel);
            let template = get("permalink").unwrap_or_else(|| {
                if stem == "index" {
                    "/:path/".to_string()
                } else {
                    format!("/:path/:basename{}", page_suffix(style))
                }
            });
            let fill = |name: &str| -> Option<String> {
                Some(match name {
                    "path" => folder.to_string(),
                    "basename" => stem.to_string(),
                    "output_ext" => ".html".into(),
                    _ => return None,
                })
            };
            Some(clean_url(&expand(&template, &fill)?))
        }
        _ => None,
    }
}

/// The template of a post under the `permalink` style (Jekyll's built-in styles by name).
fn post_template(style: &str) -> &str {
    match style {
        "" | "date" => "/:categories/:year/:month/:day/:title:output_ext",
        "pretty" => "/:categories/:year/:month/:day/:title/",
        "ordinal" => "/:categories/:year/:y_day/:title:output_ext",
        "none" => "/:categories/:title:output_ext",
        // `weekdate` needs the weekday: a placeholder postpix does not fill, so no lint.
        "weekdate" => "/:categories/:year/W:week/:short_day/:title:output_ext",
        custom => custom,
    }
}

/// What Jekyll puts after `/:path/:basename` for a page under the `permalink` style
/// (`Utils.add_permalink_suffix`).
fn page_suffix(style: &str) -> &'static str {
    match style {
        "pretty" => "/",
        "" | "date" | "ordinal" | "none" | "weekdate" => ":output_ext",
        t if t.ends_with('/') => "/",
        t if t.ends_with(":output_ext") => ":output_ext",
        _ => "",
    }
}

/// `template` with every `:name` placeholder replaced by `fill(name)`; `None` when one is
/// unknown.
fn expand(template: &str, fill: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find(':') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        if len == 0 {
            out.push(':');
        } else {
            out.push_str(&fill(&after[..len])?);
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    Some(out)
}

/// Jekyll's `URL#sanitize_url`: one leading `/`, no empty, `.` or `..` segments.
fn clean_url(url: &str) -> String {
    let trailing = url.ends_with('/');
    let segs: Vec<&str> = url
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    let mut out = format!("/{}", segs.join("/"));
    if trailing && !segs.is_empty() {
        out.push('/');
    }
    out
}

/// `YYYY-MM-DD-title` → the date and the title.
fn split_date(stem: &str) -> Option<((u32, u32, u32), &str)> {
    let date = parse_date(stem.get(..10)?)?;
    let title = stem.get(10..)?.strip_prefix('-')?;
    (!title.is_empty()).then_some((date, title))
}

/// The date at the start of a `date:` value (`2020-11-23 10:00:00 +0800`) or a file name.
fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

fn day_of_year((y, m, d): (u32, u32, u32)) -> u32 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    days.iter().take((m - 1) as usize).sum::<u32>() + d
}

/// Jekyll's `Utils.slugify(s, mode: "pretty", cased: true)`: runs of characters outside
/// `[[:alnum:]._~!$&'()+,;=@]` become `-`, without a `-` at either end.
fn slugify(s: &str) -> String {
    let keep = |c: char| c.is_alphanumeric() || "._~!$&'()+,;=@".contains(c);
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars() {
        if keep(c) {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// A post's categories, as its URL names them: the folders above `_posts`, then the front
/// matter's `category` and `categories` (a list, or words separated by spaces), lower-cased,
/// each once.
fn categories(rel: &str, fm: Option<&YamlOwned>) -> Vec<String> {
    let mut cats: Vec<String> = Vec::new();
    let dirs: Vec<&str> = rel.split('/').collect();
    if let Some(i) = dirs.iter().position(|d| *d == "_posts") {
        cats.extend(dirs[..i].iter().map(|d| d.to_string()));
    }
    for key in ["category", "categories"] {
        let Some(v) = fm.and_then(|d| d.as_mapping_get(key)) else {
            continue;
        };
        match v.as_vec() {
            Some(items) => cats.extend(items.iter().filter_map(scalar)),
            None => cats.extend(
                scalar(v)
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string),
            ),
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for c in cats {
        let c = c.to_lowercase();
        if !c.is_empty() && !seen.contains(&c) {
            seen.push(c);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jekyll(yaml: &str) -> JekyllConfig {
        JekyllConfig::parse(yaml).unwrap()
    }

    #[test]
    fn post_urls_follow_the_permalink_style() {
        let post = "_posts/2020-11-23-nanning-anti-fraud.md";
        let text = "---\ntitle: x\n---\nbody\n";
        let url = |yaml: &str| page_url(post, text, &jekyll(yaml));
        assert_eq!(
            url("").as_deref(),
            Some("/2020/11/23/nanning-anti-fraud.html")
        );
        assert_eq!(
            url("permalink: pretty").as_deref(),
            Some("/2020/11/23/nanning-anti-fraud/")
        );
        assert_eq!(
            url("permalink: /:year/:month/:day/:title/").as_deref(),
            Some("/2020/11/23/nanning-anti-fraud/")
        );
        assert_eq!(
            url("permalink: none").as_deref(),
            Some("/nanning-anti-fraud.html")
        );
        assert_eq!(
            url("permalink: ordinal").as_deref(),
            Some("/2020/328/nanning-anti-fraud.html")
        );
        assert_eq!(url("permalink: weekdate"), None, "no weekday placeholder");
    }

    #[test]
    fn a_posts_front_matter_sets_date_slug_categories_and_permalink() {
        let j = jekyll("permalink: pretty");
        let text = "---\ndate: 2021-02-03 10:00:00 +0800\nslug: Hello World\ncategories: [Travel, notes]\n---\n";
        assert_eq!(
            page_url("blog/_posts/2020-01-01-a.md", text, &j).as_deref(),
            Some("/blog/travel/notes/2021/02/03/Hello-World/")
        );
        let text = "---\npermalink: /about-me/\n---\n";
        assert_eq!(
            page_url("_posts/2020-01-01-a.md", text, &j).as_deref(),
            Some("/about-me/")
        );
        assert_eq!(page_url("_posts/notes.md", text, &j), None, "no date");
    }

    #[test]
    fn page_urls_follow_the_path_and_the_style() {
        let text = "---\ntitle: x\n---\n";
        assert_eq!(
            page_url("docs/guide.md", text, &jekyll("")).as_deref(),
            Some("/docs/guide.html")
        );
        assert_eq!(
            page_url("docs/guide.md", text, &jekyll("permalink: pretty")).as_deref(),
            Some("/docs/guide/")
        );
        assert_eq!(
            page_url("docs/index.md", text, &jekyll("")).as_deref(),
            Some("/docs/")
        );
        assert_eq!(
            page_url("about.md", "---\npermalink: /me/\n---\n", &jekyll("")).as_deref(),
            Some("/me/")
        );
        assert_eq!(page_url("_includes/a.md", text, &jekyll("")), None);
    }

    #[test]
    fn relative_joins_stop_at_the_root() {
        assert_eq!(
            join_clamped("/2020/01/02/", "postimg/x.jpg"),
            "2020/01/02/postimg/x.jpg"
        );
        assert_eq!(
            join_clamped("/2020/", "../../../postimg/x.jpg"),
            "postimg/x.jpg"
        );
        assert_eq!(join_clamped("/", "./a/./b.png"), "a/b.png");
    }

    #[test]
    fn fixed_urls_keep_query_and_fragment_and_encode_the_path() {
        assert_eq!(
            fixed_url("/postimg/a b.jpg?x=1#f", "postimg/a b.jpg"),
            "{{ site.baseurl }}/postimg/a%20b.jpg?x=1#f"
        );
        assert_eq!(
            fixed_url("{{ site.url }}/p.png", "p.png"),
            "{{ site.baseurl }}/p.png"
        );
    }

    fn site() -> (tempfile::TempDir, Resolver) {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("postimg")).unwrap();
        std::fs::create_dir_all(d.path().join("_posts")).unwrap();
        std::fs::write(
            d.path().join("postimg/a.png"),
            crate::testutil::corpus("icon-16-go-home.png"),
        )
        .unwrap();
        let r = Resolver::new(d.path(), "/blog").unwrap();
        (d, r)
    }

    fn lint(d: &Path, r: &Resolver, yaml: &str, post: &str, body: &str) -> Vec<Option<LinkFix>> {
        let j = jekyll(yaml);
        let p = crate::scan::scan_text(post, body.to_string());
        let l = Linter::new(d, &j, r);
        p.refs
            .iter()
            .map(|x| l.check(&p, x, &r.resolve(&x.url, &p.path, false)))
            .collect()
    }

    #[test]
    fn a_root_relative_link_under_a_baseurl_will_404() {
        let (d, r) = site();
        let body = "![a](/postimg/a.png)\n\n![b]({{ site.baseurl }}/postimg/a.png)\n\n![c](/blog/postimg/a.png)\n\n![d](/postimg/nope.png)\n\n<img src=\"{{ site.url }}/postimg/a.png\" alt=\"e\">\n";
        let got = lint(
            d.path(),
            &r,
            "baseurl: /blog\n",
            "_posts/2020-01-02-x.md",
            body,
        );
        let fix = got[0].clone().expect("a is bypassing the baseurl");
        assert_eq!(fix.url, "{{ site.baseurl }}/postimg/a.png");
        assert_eq!(fix.requested, "/postimg/a.png");
        assert_eq!(fix.served, "/blog/postimg/a.png");
        assert!(fix.to_string().contains("baseurl /blog"), "{fix}");
        assert_eq!(got[1], None, "carries the baseurl");
        assert_eq!(got[2], None, "names it already");
        assert_eq!(got[3], None, "missing: reported as missing, nothing to fix");
        assert_eq!(
            got[4].as_ref().map(|f| f.url.as_str()),
            Some("{{ site.baseurl }}/postimg/a.png")
        );
        // Without a baseurl, a root-relative link is fine.
        let got = lint(
            d.path(),
            &r,
            "",
            "_posts/2020-01-02-x.md",
            "![a](/postimg/a.png)\n",
        );
        assert_eq!(got, vec![None]);
    }

    #[test]
    fn a_document_relative_link_under_a_date_permalink_will_404() {
        let (d, r) = site();
        let body = "![a](postimg/a.png)\n\n![b](../postimg/a.png)\n";
        let got = lint(
            d.path(),
            &r,
            "baseurl: /blog\n",
            "_posts/2020-01-02-x.md",
            body,
        );
        let a = got[0].clone().expect("relative to the post's URL");
        assert_eq!(a.requested, "/blog/2020/01/02/postimg/a.png");
        assert_eq!(a.served, "/blog/postimg/a.png");
        assert_eq!(a.url, "{{ site.baseurl }}/postimg/a.png");
        assert!(a.to_string().contains("/blog/2020/01/02/x.html"), "{a}");
        assert_eq!(
            got[1].as_ref().map(|f| f.source.as_str()),
            Some("postimg/a.png")
        );
        // A page at the root resolves it where the file is.
        let got = lint(
            d.path(),
            &r,
            "",
            "index.md",
            "---\n---\n![a](postimg/a.png)\n",
        );
        assert_eq!(got, vec![None]);
        // With `permalink: none` the post is published at the root too.
        let got = lint(
            d.path(),
            &r,
            "permalink: none",
            "_posts/2020-01-02-x.md",
            "![a](postimg/a.png)\n",
        );
        assert_eq!(got, vec![None]);
    }
}

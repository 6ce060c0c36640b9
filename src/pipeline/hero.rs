//! Hero: the images a theme shows from front matter (`header-img:`, `image:`, `cover:`, …),
//! handed to Jekyll as data, since front matter is never rewritten.
//!
//! In: the survey's hero references ([`crate::scan::HERO_KEYS`]) and the entries the build
//! settled, encoded like every body image by the same plan. Out: `_data/postpix.json` (for each
//! path as the front matter writes it: its variants with format, width and URL, its intrinsic
//! size, its placeholder and the `<source>`/`srcset` lists the markup offers) and the include
//! `_includes/postpix/picture.html` that renders it as the same `<picture>` postpix writes into
//! posts (`{% include postpix/picture.html src=page.header-img alt=page.title %}`). Both are
//! written atomically into the destination (the site, or `--out`), only when a front matter
//! names a hero or postpix wrote them before; [`remove`] takes them back out for `restore`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::posts::{links, Linked, Offer};
use super::Mode;
use crate::config::{Config, PlaceholderMode};
use crate::error::Error;
use crate::format::OutFormat;
use crate::paths;
use crate::report::{BuildReport, Note, NoteKind, SiteFileReport};
use crate::resolve::Status;
use crate::rewrite::{self, VariantLink};
use crate::scan::{ImageRef, RefKind};
use crate::survey::Survey;
use crate::write;

/// The data file, destination-relative (Jekyll reads it as `site.data.postpix`).
pub const DATA_FILE: &str = "_data/postpix.json";
/// The include, destination-relative.
pub const INCLUDE_FILE: &str = "_includes/postpix/picture.html";
/// The include's text (kept in the repository as `jekyll/_includes/postpix/picture.html`).
pub const INCLUDE: &str = include_str!("../../jekyll/_includes/postpix/picture.html");
/// What the data file says made it, so that `restore` removes only its own.
pub const GENERATOR: &str = "postpix";
/// The version of the data file's shape.
pub const DATA_VERSION: u32 = 1;
/// The words that mark an include as postpix's own (in its opening comment).
const INCLUDE_MARK: &str = "postpix/picture.html: written by postpix";

/// `_data/postpix.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Data {
    /// Always [`GENERATOR`].
    pub generator: &'static str,
    /// [`DATA_VERSION`].
    pub version: u32,
    /// Per path exactly as a front matter writes it (`img/hero.jpg`, `/img/hero.jpg`).
    pub images: BTreeMap<String, Image>,
}

/// One hero image, as the include reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Image {
    /// The source, site-relative.
    pub source: String,
    /// Intrinsic (upright) width in pixels.
    pub width: u32,
    /// Intrinsic height in pixels.
    pub height: u32,
    /// The dominant colour painted while it loads (`#rrggbb`), or null.
    pub placeholder: Option<String>,
    /// `sizes` for an eager image, as postpix writes it into posts (the include prefixes
    /// `auto, ` for a lazy one, or takes the theme's own).
    pub sizes: String,
    /// The `<img src>`: the widest fallback.
    pub src: String,
    /// The `<img srcset>` candidates, ascending width.
    pub fallback: Vec<Candidate>,
    /// The `<source>` elements, in the order the markup offers them (AVIF, then WebP).
    pub sources: Vec<SourceSet>,
    /// Every variant: format, size and URL.
    pub variants: Vec<Variant>,
}

/// One `srcset` candidate. URLs are root-relative, percent-encoded and without the site's
/// `baseurl` (the include puts `{{ site.baseurl }}` before them, as posts do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// URL.
    pub url: String,
    /// Width descriptor.
    pub width: u32,
}

/// One `<source>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceSet {
    /// MIME type (`image/webp`).
    #[serde(rename = "type")]
    pub mime: &'static str,
    /// Its candidates, ascending width.
    pub candidates: Vec<Candidate>,
}

/// One variant file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// `webp`, `avif`, `jpeg`, `png` or `gif`.
    pub format: OutFormat,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// URL, as in [`Candidate`].
    pub url: String,
}

impl Data {
    /// The file's text: pretty JSON, keys sorted, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The hero image of the source at `rel` from its variants, built by the same markup code as a
/// body image (an eager Markdown image without alt), so the include renders what a post shows.
/// `None` when there is nothing to offer.
pub fn image(rel: &str, linked: &Linked, cfg: &Config) -> Option<Image> {
    let r = ImageRef::bare(RefKind::Markdown, format!("/{rel}"), 0..0, 0);
    let (dir, sizes) = (&cfg.variant_dir, &cfg.sizes);
    let p = rewrite::picture(&r, "", &linked.links, dir, sizes, linked.natural, true).ok()?;
    let cands = |set: &[(String, u32)]| -> Vec<Candidate> {
        set.iter()
            .map(|(url, width)| Candidate {
                url: url.clone(),
                width: *width,
            })
            .collect()
    };
    let sources = [("image/avif", &p.avif), ("image/webp", &p.webp)]
        .into_iter()
        .filter(|(_, set)| !set.is_empty())
        .map(|(mime, set)| SourceSet {
            mime,
            candidates: cands(set),
        })
        .collect();
    let mut variants: Vec<&VariantLink> = linked.links.iter().collect();
    variants.sort_by_key(|v| (v.format.is_modern(), v.format != OutFormat::Avif, v.width));
    let placeholder = match cfg.placeholder {
        PlaceholderMode::Color => linked.placeholder.clone(),
        PlaceholderMode::None => None,
    };
    Some(Image {
        source: rel.to_string(),
        width: linked.natural.0,
        height: linked.natural.1,
        placeholder,
        sizes: p.sizes,
        src: p.fallback.last()?.0.clone(),
        fallback: cands(&p.fallback),
        sources,
        variants: variants
            .into_iter()
            .map(|v| Variant {
                format: v.format,
                width: v.width,
                height: v.height,
                url: rewrite::variant_url(&r.url, dir, &v.file_name),
            })
            .collect(),
    })
}

/// The data of every hero reference of the survey whose source has variants to offer.
pub fn data(survey: &Survey, offer: &Offer<'_>, cfg: &Config) -> Data {
    let mut images = BTreeMap::new();
    for (post, res) in survey.posts.iter().zip(&survey.resolutions) {
        for (r, x) in post.refs.iter().zip(res) {
            let (true, Status::Ok, Some(rel)) = (r.is_hero(), x.status, &x.source) else {
                continue;
            };
            if images.contains_key(&r.url) {
                continue;
            }
            if let Some(img) = links(rel, offer, cfg).and_then(|l| image(rel, &l, cfg)) {
                images.insert(r.url.clone(), img);
            }
        }
    }
    Data {
        generator: GENERATOR,
        version: DATA_VERSION,
        images,
    }
}

/// Whether `survey` names any hero image that resolves.
fn names_heroes(survey: &Survey) -> bool {
    survey
        .posts
        .iter()
        .zip(&survey.resolutions)
        .any(|(p, res)| {
            p.refs
                .iter()
                .zip(res)
                .any(|(r, x)| r.is_hero() && x.status == Status::Ok)
        })
}

/// True when `text` is a data file postpix wrote.
pub fn is_our_data(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .is_ok_and(|v| v.get("generator").and_then(|g| g.as_str()) == Some(GENERATOR))
}

/// True when `text` is an include postpix wrote (any version).
pub fn is_our_include(text: &str) -> bool {
    text.lines().take(3).any(|l| l.contains(INCLUDE_MARK))
}

/// Bring the data file and the include up to date in the destination as `mode` says: a build
/// writes what differs, a dry run reports it, a check calls it stale. Nothing happens when no
/// front matter names a hero and postpix never wrote the files.
pub fn sync(
    survey: &Survey,
    offer: &Offer<'_>,
    cfg: &Config,
    mode: Mode,
    report: &mut BuildReport,
) {
    if !survey.jekyll.layout.has_jekyll_data() {
        // `_data/` and `_includes/` are Jekyll's: another generator would publish them as files.
        return;
    }
    let dest = cfg.dest_root();
    let read = |rel: &str| std::fs::read_to_string(paths::abs(dest, rel)).ok();
    let old_data = read(DATA_FILE);
    let ours_before = old_data.as_deref().is_some_and(is_our_data);
    if !names_heroes(survey) && !ours_before {
        return;
    }
    let data = data(survey, offer, cfg);
    report.summary.heroes = data.images.len();
    let files = [
        (DATA_FILE, data.to_json(), old_data),
        (INCLUDE_FILE, INCLUDE.to_string(), read(INCLUDE_FILE)),
    ];
    for (rel, text, old) in files {
        let changed = old.as_deref() != Some(text.as_str());
        report.site_files.push(SiteFileReport {
            path: rel.to_string(),
            changed,
        });
        if !changed {
            continue;
        }
        match mode {
            Mode::Build => {
                let target = paths::abs(dest, rel);
                if let Err(e) = write::write_atomic(dest, &target, text.as_bytes(), None) {
                    report.errors.push(e);
                }
            }
            Mode::DryRun => {}
            Mode::Check => report.problems.push(Note {
                post: rel.to_string(),
                line: 0,
                kind: NoteKind::StaleSiteFile,
            }),
        }
    }
}

/// Whether a file's text is one postpix wrote.
type Ours = fn(&str) -> bool;

/// `restore`: remove the data file and the include from the site when postpix wrote them (an
/// author's own file of that name stays), and their folders when that leaves them empty.
/// Returns the site-relative paths removed (or that would be, in a dry run).
pub fn remove(site: &Path, dry_run: bool) -> (Vec<String>, Vec<Error>) {
    let mut removed = Vec::new();
    let mut errors = Vec::new();
    let checks: [(&str, Ours); 2] = [(DATA_FILE, is_our_data), (INCLUDE_FILE, is_our_include)];
    for (rel, ours) in checks {
        let abs = paths::abs(site, rel);
        let Ok(text) = std::fs::read_to_string(&abs) else {
            continue;
        };
        if !ours(&text) {
            continue;
        }
        if !dry_run {
            if let Err(e) = write::remove_output(site, &abs) {
                errors.push(e);
                continue;
            }
        }
        removed.push(rel.to_string());
    }
    if !dry_run && !removed.is_empty() {
        // The folders the files were written into go only when that left them empty (git
        // keeps no empty folder either); anything else the author put there stays.
        for dir in ["_includes/postpix", "_includes", "_data"] {
            let _ = std::fs::remove_dir(paths::abs(site, dir));
        }
    }
    (removed, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(w: u32, h: u32, format: OutFormat) -> VariantLink {
        VariantLink {
            file_name: format!("hero-{w}.0123abcd.{}", format.extension()),
            width: w,
            height: h,
            format,
        }
    }

    fn linked() -> Linked {
        Linked {
            links: vec![
                link(480, 320, OutFormat::Webp),
                link(480, 320, OutFormat::Jpeg),
                link(960, 640, OutFormat::Webp),
                link(960, 640, OutFormat::Jpeg),
            ],
            natural: (2048, 1365),
            placeholder: Some("#5d6b74".into()),
        }
    }

    fn cfg() -> (tempfile::TempDir, Config) {
        let d = tempfile::tempdir().unwrap();
        let cfg = Config::new(d.path()).unwrap();
        (d, cfg)
    }

    #[test]
    fn an_image_holds_its_variants_size_placeholder_and_the_markup_lists() {
        let (_d, cfg) = cfg();
        let img = image("img/a b/hero.jpg", &linked(), &cfg).unwrap();
        assert_eq!((img.width, img.height), (2048, 1365));
        assert_eq!(img.placeholder.as_deref(), Some("#5d6b74"));
        assert_eq!(
            img.sizes, "(max-width: 800px) 100vw, 800px",
            "eager: no auto"
        );
        assert_eq!(img.src, "/img/a%20b/responsive/hero-960.0123abcd.jpg");
        let urls: Vec<(&str, u32)> = img
            .fallback
            .iter()
            .map(|c| (c.url.as_str(), c.width))
            .collect();
        assert_eq!(
            urls,
            vec![
                ("/img/a%20b/responsive/hero-480.0123abcd.jpg", 480),
                ("/img/a%20b/responsive/hero-960.0123abcd.jpg", 960)
            ]
        );
        assert_eq!(img.sources.len(), 1);
        assert_eq!(img.sources[0].mime, "image/webp");
        assert_eq!(img.sources[0].candidates[1].width, 960);
        // Every variant, fallbacks first, then the modern formats, each by width.
        let v: Vec<(OutFormat, u32)> = img.variants.iter().map(|v| (v.format, v.width)).collect();
        assert_eq!(
            v,
            vec![
                (OutFormat::Jpeg, 480),
                (OutFormat::Jpeg, 960),
                (OutFormat::Webp, 480),
                (OutFormat::Webp, 960)
            ]
        );
        assert_eq!(
            img.variants[2].url,
            "/img/a%20b/responsive/hero-480.0123abcd.webp"
        );
    }

    #[test]
    fn a_narrow_source_gets_its_own_width_as_sizes_and_no_placeholder_when_off() {
        let (_d, mut cfg) = cfg();
        cfg.placeholder = PlaceholderMode::None;
        let mut l = linked();
        l.natural = (500, 300);
        let img = image("hero.png", &l, &cfg).unwrap();
        assert_eq!(img.sizes, "(max-width: 500px) 100vw, 500px");
        assert_eq!(img.placeholder, None);
        assert_eq!(img.src, "/responsive/hero-960.0123abcd.jpg");
    }

    #[test]
    fn no_fallback_no_image() {
        let (_d, cfg) = cfg();
        let mut l = linked();
        l.links.retain(|v| v.format.is_modern());
        assert_eq!(image("hero.png", &l, &cfg), None);
    }

    #[test]
    fn the_data_file_is_marked_sorted_and_read_back_as_ours() {
        let (_d, cfg) = cfg();
        let mut data = Data {
            generator: GENERATOR,
            version: DATA_VERSION,
            images: BTreeMap::new(),
        };
        for key in ["img/z.jpg", "/img/a.jpg"] {
            data.images
                .insert(key.into(), image("img/a.jpg", &linked(), &cfg).unwrap());
        }
        let text = data.to_json();
        assert!(text.ends_with("}\n"));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["generator"], "postpix");
        assert_eq!(v["version"], 1);
        let img = &v["images"]["img/z.jpg"];
        assert_eq!(img["width"], 2048);
        assert_eq!(img["placeholder"], "#5d6b74");
        assert_eq!(img["sources"][0]["type"], "image/webp");
        assert_eq!(img["variants"][0]["format"], "jpeg");
        assert_eq!(img["variants"][0]["width"], 480);
        assert!(text.find("\"/img/a.jpg\"").unwrap() < text.find("\"img/z.jpg\"").unwrap());
        assert!(is_our_data(&text));
        assert!(!is_our_data("{\"images\": {}}"));
        assert!(!is_our_data("not json"));
        assert!(is_our_include(INCLUDE));
        assert!(!is_our_include("<picture>{{ include.src }}</picture>"));
    }

    #[test]
    fn remove_takes_only_what_postpix_wrote() {
        let d = tempfile::tempdir().unwrap();
        let site = d.path();
        std::fs::create_dir_all(site.join("_data")).unwrap();
        std::fs::create_dir_all(site.join("_includes/postpix")).unwrap();
        let data = Data {
            generator: GENERATOR,
            version: DATA_VERSION,
            images: BTreeMap::new(),
        };
        std::fs::write(site.join(DATA_FILE), data.to_json()).unwrap();
        std::fs::write(site.join(INCLUDE_FILE), "the author's own\n").unwrap();
        let (removed, errors) = remove(site, true);
        assert_eq!(removed, vec![DATA_FILE.to_string()]);
        assert!(
            errors.is_empty() && site.join(DATA_FILE).exists(),
            "dry run"
        );
        let (removed, _) = remove(site, false);
        assert_eq!(removed, vec![DATA_FILE.to_string()]);
        assert!(!site.join(DATA_FILE).exists());
        assert!(site.join(INCLUDE_FILE).exists(), "not ours: kept");
        std::fs::write(site.join(INCLUDE_FILE), INCLUDE).unwrap();
        assert_eq!(remove(site, false).0, vec![INCLUDE_FILE.to_string()]);
        assert!(
            !site.join("_includes/postpix").exists(),
            "empty folder gone"
        );
    }
}

//! Layout: which static site generator a site is written for, and what that means for postpix.
//!
//! In: the site root (its marker files) or the `--layout` setting. Out: a [`Layout`], which
//! says where the Markdown a generator renders lives and which folders it publishes at the
//! site's root URL, so that a root-relative `/img/x.png` is found on disk where the generator
//! copies it from. Reads nothing but the names of a few files.
//!
//! | layout | Markdown it renders | published at `/` |
//! | --- | --- | --- |
//! | Jekyll | `_posts/`, pages, collections (see [`super::site`]) | the site root |
//! | Hugo | `content/` (page bundles: images beside `index.md`) | `static/`, then `content/` |
//! | Zola | `content/` (co-located assets beside `index.md`) | `static/`, then `content/` |
//! | Eleventy | the input folder, less `_includes/`, `_data/` | the input folder (passthrough copies keep their paths) |
//!
//! Document-relative links (`![](dune.jpg)` in a page bundle) resolve against the Markdown
//! file's own folder in every layout, which is where Hugo and Zola publish a bundle's files.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};

/// The static site generator a site is laid out for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Jekyll: `_config.yml`, `_posts/`.
    #[default]
    Jekyll,
    /// Hugo: `hugo.toml` (or `.yaml`/`.json`, or a `config.*` with `content/`), `content/`,
    /// `static/`.
    Hugo,
    /// Zola: `config.toml` with `base_url`, `content/`, `static/`.
    Zola,
    /// Eleventy: `eleventy.config.js` / `.eleventy.js`, Markdown anywhere in the input folder.
    Eleventy,
}

/// Hugo's own configuration file names (any of them marks a Hugo site).
const HUGO_CONFIGS: &[&str] = &["hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json"];

/// Eleventy's configuration file names.
const ELEVENTY_CONFIGS: &[&str] = &[
    "eleventy.config.js",
    "eleventy.config.mjs",
    "eleventy.config.cjs",
    ".eleventy.js",
];

impl Layout {
    /// The layout the files at `root` say: a Jekyll `_config.yml` or `_posts/` wins, then
    /// Hugo's and Eleventy's configuration files, then a `config.toml` beside `content/`
    /// (Zola's when it sets `base_url`, else Hugo's older name); Jekyll otherwise.
    pub fn detect(root: &Path) -> Layout {
        let has = |name: &str| root.join(name).exists();
        if has("_config.yml") || has("_config.yaml") || root.join("_posts").is_dir() {
            return Layout::Jekyll;
        }
        if HUGO_CONFIGS.iter().any(|n| has(n)) {
            return Layout::Hugo;
        }
        if ELEVENTY_CONFIGS.iter().any(|n| has(n)) {
            return Layout::Eleventy;
        }
        if root.join("content").is_dir() {
            if let Ok(text) = std::fs::read_to_string(root.join("config.toml")) {
                let zola = text.lines().any(|l| l.trim_start().starts_with("base_url"));
                return if zola { Layout::Zola } else { Layout::Hugo };
            }
            if has("config.yaml") || has("config.yml") || has("config.json") {
                return Layout::Hugo;
            }
        }
        Layout::Jekyll
    }

    /// The layout's name, as `--layout` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Jekyll => "jekyll",
            Layout::Hugo => "hugo",
            Layout::Zola => "zola",
            Layout::Eleventy => "eleventy",
        }
    }

    /// The site folders the generator publishes at the root URL, in the order it lets them
    /// win (`""` is the site root).
    pub fn mounts(self) -> &'static [&'static str] {
        match self {
            Layout::Jekyll | Layout::Eleventy => &[""],
            Layout::Hugo | Layout::Zola => &["static", "content"],
        }
    }

    /// The folder holding the Markdown the generator renders (`""`: anywhere in the site).
    pub fn content_dir(self) -> &'static str {
        match self {
            Layout::Jekyll | Layout::Eleventy => "",
            Layout::Hugo | Layout::Zola => "content",
        }
    }

    /// True for a Markdown file at site-relative `rel` that the generator renders by its path
    /// (not Jekyll: its rules are [`super::site::JekyllConfig::role`]).
    pub fn renders_path(self, rel: &str) -> bool {
        match self {
            Layout::Jekyll => true,
            Layout::Hugo | Layout::Zola => rel.starts_with("content/"),
            Layout::Eleventy => !rel
                .split('/')
                .next()
                .is_some_and(|top| top == "_includes" || top == "_data"),
        }
    }

    /// Folders of the generator's own output and caches, never scanned.
    pub fn skip_dirs(self) -> &'static [&'static str] {
        match self {
            Layout::Jekyll => &[],
            Layout::Hugo => &["public", "resources", "themes"],
            Layout::Zola => &["public", "themes"],
            Layout::Eleventy => &["_site"],
        }
    }

    /// True when the generator has Jekyll's `_data/` and `_includes/` (front-matter images get
    /// `_data/postpix.json` and the include; other layouts keep their hero images as they are).
    pub fn has_jekyll_data(self) -> bool {
        self == Layout::Jekyll
    }
}

/// Where Hugo may read its settings from, in the order it looks (the first found is read).
const HUGO_SETTINGS: &[&str] = &[
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "config.yml",
    "config.json",
    "config/_default/markup.toml",
    "config/_default/hugo.toml",
    "config/_default/config.toml",
];

/// A Hugo site renders the raw HTML postpix writes into Markdown only when its settings say
/// `markup.goldmark.renderer.unsafe = true` (else Goldmark replaces every `<picture>` with
/// `<!-- raw HTML omitted -->` and the images vanish from the page). Ok for the other layouts
/// (Jekyll's kramdown, Zola's pulldown-cmark and Eleventy's markdown-it keep raw HTML by
/// default); for Hugo, an error naming the settings file and the line to add.
pub fn check_raw_html(root: &Path, layout: Layout) -> Result<()> {
    if layout != Layout::Hugo {
        return Ok(());
    }
    let found = HUGO_SETTINGS
        .iter()
        .map(|n| root.join(n))
        .find(|p| p.is_file());
    let allowed = match &found {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            let doc = parse_settings(path, &text)?;
            let key = if path.ends_with("markup.toml") {
                &["goldmark", "renderer", "unsafe"][..]
            } else {
                &["markup", "goldmark", "renderer", "unsafe"][..]
            };
            lookup(&doc, key).and_then(serde_json::Value::as_bool) == Some(true)
        }
        None => false,
    };
    if allowed {
        return Ok(());
    }
    Err(Error::RawHtmlDropped {
        path: found.unwrap_or_else(|| root.join("hugo.toml")),
    })
}

/// A Hugo settings file as a JSON value (TOML, YAML and JSON are all read), or an error naming
/// the file: Hugo would refuse it too.
fn parse_settings(path: &Path, text: &str) -> Result<serde_json::Value> {
    let bad = |reason: String| Error::Site {
        path: path.to_path_buf(),
        reason: format!("not a settings file Hugo can read: {reason}"),
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "toml" => toml::from_str(text).map_err(|e| bad(e.message().to_string())),
        "json" => serde_json::from_str(text).map_err(|e| bad(e.to_string())),
        _ => {
            use saphyr::LoadableYamlNode;
            let docs = saphyr::YamlOwned::load_from_str(text).map_err(|e| bad(e.to_string()))?;
            Ok(docs.first().map(yaml_to_json).unwrap_or_default())
        }
    }
}

/// The parts of a YAML document a settings lookup needs: mappings with string keys, and
/// booleans (anything else is null).
fn yaml_to_json(v: &saphyr::YamlOwned) -> serde_json::Value {
    use saphyr::{ScalarOwned, YamlOwned};
    match v {
        YamlOwned::Mapping(m) => m
            .iter()
            .filter_map(|(k, v)| match k {
                YamlOwned::Value(ScalarOwned::String(k)) => Some((k.clone(), yaml_to_json(v))),
                _ => None,
            })
            .collect::<serde_json::Map<_, _>>()
            .into(),
        YamlOwned::Value(ScalarOwned::Boolean(b)) => (*b).into(),
        YamlOwned::Tagged(_, inner) => yaml_to_json(inner),
        _ => serde_json::Value::Null,
    }
}

/// `doc[keys…]`, each key matched without regard to case, as Hugo's settings are.
fn lookup<'a>(doc: &'a serde_json::Value, keys: &[&str]) -> Option<&'a serde_json::Value> {
    keys.iter().try_fold(doc, |v, k| {
        v.as_object()?
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            let p = d.path().join(f);
            if let Some(dir) = f.strip_suffix('/') {
                std::fs::create_dir_all(d.path().join(dir)).unwrap();
            } else {
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, "").unwrap();
            }
        }
        d
    }

    #[test]
    fn each_generator_is_told_by_its_files() {
        let cases: &[(&[&str], Layout)] = &[
            (&["_config.yml"], Layout::Jekyll),
            (&["_posts/"], Layout::Jekyll),
            (&["hugo.toml", "content/"], Layout::Hugo),
            (&["hugo.yaml"], Layout::Hugo),
            (&["config.yaml", "content/"], Layout::Hugo),
            (&["eleventy.config.js"], Layout::Eleventy),
            (&[".eleventy.js", "posts/"], Layout::Eleventy),
            (&[], Layout::Jekyll),
            // Jekyll's own file wins over a stray one.
            (&["_config.yml", "hugo.toml"], Layout::Jekyll),
        ];
        for (files, want) in cases {
            assert_eq!(Layout::detect(site(files).path()), *want, "{files:?}");
        }
        let zola = site(&["content/"]);
        std::fs::write(
            zola.path().join("config.toml"),
            "base_url = \"https://x\"\n",
        )
        .unwrap();
        assert_eq!(Layout::detect(zola.path()), Layout::Zola);
        std::fs::write(zola.path().join("config.toml"), "baseURL = \"https://x\"\n").unwrap();
        assert_eq!(Layout::detect(zola.path()), Layout::Hugo);
    }

    #[test]
    fn hugo_must_allow_raw_html_in_markdown() {
        let d = site(&["content/"]);
        let root = d.path();
        let refused = |root: &Path| match check_raw_html(root, Layout::Hugo) {
            Err(Error::RawHtmlDropped { path }) => Some(path),
            Err(e) => panic!("{e}"),
            Ok(()) => None,
        };
        assert_eq!(refused(root), Some(root.join("hugo.toml")));
        std::fs::write(root.join("hugo.toml"), "title = \"t\"\n").unwrap();
        assert_eq!(refused(root), Some(root.join("hugo.toml")));
        let on = "[markup.goldmark.renderer]\nunsafe = true\n";
        std::fs::write(root.join("hugo.toml"), on).unwrap();
        assert_eq!(refused(root), None);
        std::fs::remove_file(root.join("hugo.toml")).unwrap();
        let yaml = "Markup:\n  goldmark:\n    renderer:\n      unsafe: true\n";
        std::fs::write(root.join("hugo.yaml"), yaml).unwrap();
        assert_eq!(refused(root), None);
        std::fs::write(root.join("hugo.yaml"), "markup: [1\n").unwrap();
        assert!(matches!(
            check_raw_html(root, Layout::Hugo),
            Err(Error::Site { .. })
        ));
        assert!(check_raw_html(root, Layout::Zola).is_ok());
    }

    #[test]
    fn only_the_content_folder_renders_in_hugo_and_zola() {
        assert!(Layout::Hugo.renders_path("content/posts/a/index.md"));
        assert!(!Layout::Hugo.renders_path("themes/x/exampleSite/content/a.md"));
        assert!(!Layout::Zola.renders_path("README.md"));
        assert!(Layout::Eleventy.renders_path("posts/a.md"));
        assert!(!Layout::Eleventy.renders_path("_includes/a.md"));
    }
}

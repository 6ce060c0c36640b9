//! Other generators' layouts (issue 15 item 2): a Hugo, a Zola and an Eleventy site, each told
//! by its own files (or `--layout`), are read where that generator keeps its Markdown, their
//! images are found where it publishes them from, and nothing outside its content is touched.
//! (Debian's real hugo renders the rewritten Hugo fixture in tests/e2e.rs.)
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

/// Every Markdown file under `root`, with its bytes.
fn markdown(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    snapshot(root)
        .into_iter()
        .filter(|(rel, _)| rel.ends_with(".md"))
        .map(|(rel, (bytes, _))| (rel, bytes))
        .collect()
}

#[test]
fn a_hugo_site_is_read_from_content_and_static_and_restored_byte_for_byte() {
    let site = TestSite::copy_of("site-hugo");
    let before = markdown(&site.root);
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v["summary"]["posts_changed"], 2, "{v}");
    // The bundle's own images get variants beside them, static/'s beside theirs.
    for dir in ["content/posts/bundle/responsive", "static/img/responsive"] {
        let n = std::fs::read_dir(site.path(dir)).map_or(0, |d| d.count());
        assert!(n >= 4, "{dir}: {n} variants");
    }
    let bundle = site.read("content/posts/bundle/index.md");
    assert!(
        bundle.contains("srcset=\"responsive/dune-480."),
        "a document-relative link stays document-relative: {bundle}"
    );
    assert!(site
        .read("content/posts/plain.md")
        .contains("/img/responsive/toucan-"));
    // A draft, a theme's example site and the code spans stay as written.
    let after = markdown(&site.root);
    for (rel, bytes) in &before {
        let now = &after.iter().find(|(r, _)| r == rel).unwrap().1;
        if rel.ends_with("draft.md") || rel.starts_with("themes/") {
            assert_eq!(now, bytes, "{rel} changed");
        }
    }
    let plain = site.read("content/posts/plain.md");
    assert!(plain.contains("`![x](/img/meadow.jpg)`") && plain.contains("+++\ntitle ="));
    let out = site.run(&["restore", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(
        markdown(&site.root),
        before,
        "restore gave back other bytes"
    );
}

#[test]
fn a_hugo_site_that_drops_raw_html_is_refused_with_the_setting_to_add() {
    let site = TestSite::copy_of("site-hugo");
    let config = site.read("hugo.toml");
    let cut = config.find("[markup.goldmark.renderer]").unwrap();
    std::fs::write(site.path("hugo.toml"), &config[..cut]).unwrap();
    let before = snapshot(&site.root);
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 2, "a configuration error: {}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("hugo.toml") && err.contains("unsafe = true"),
        "the error names the file and the setting: {err}"
    );
    assert!(
        changes(&before, &snapshot(&site.root)).is_empty(),
        "it wrote something"
    );
    // Listing the images needs no rewrite, so it still works.
    let out = site.run(&["scan", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
}

/// A site made in a temp folder from `(path, text)` pairs, with one PNG at each of `pngs`.
fn made(files: &[(&str, &str)], pngs: &[&str]) -> TestSite {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let png = std::fs::read(fixture("site-example").join("postimg/toucan.png")).unwrap();
    for (rel, text) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    for rel in pngs {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &png).unwrap();
    }
    TestSite::at(dir, root)
}

#[test]
fn a_zola_site_uses_its_co_located_assets_and_static() {
    let site = made(
        &[
            ("config.toml", "base_url = \"https://example.org\"\n"),
            (
                "content/blog/one/index.md",
                "+++\ntitle = \"One\"\n+++\n![A](a.png)\n\n![S](/s.png)\n",
            ),
            ("templates/page.html", "{{ page.content | safe }}\n"),
            ("README.md", "![not content](static/s.png)\n"),
        ],
        &["content/blog/one/a.png", "static/s.png"],
    );
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v["summary"]["posts_changed"], 1, "{v}");
    let post = site.read("content/blog/one/index.md");
    assert!(post.contains("srcset=\"responsive/a-162."), "{post}");
    assert!(post.contains("/responsive/s-162."), "{post}");
    assert!(site.path("static/responsive").is_dir());
    assert_eq!(site.read("README.md"), "![not content](static/s.png)\n");
}

#[test]
fn an_eleventy_site_is_read_from_its_input_folder_less_includes_and_data() {
    let site = made(
        &[
            (
                ".eleventy.js",
                "module.exports = c => { c.addPassthroughCopy(\"img\"); };\n",
            ),
            ("posts/a.md", "---\ntitle: A\n---\n![A](/img/x.png)\n"),
            ("_includes/note.md", "![inc](/img/x.png)\n"),
            ("_site/posts/a.md", "![built](/img/x.png)\n"),
        ],
        &["img/x.png"],
    );
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v["summary"]["posts_changed"], 1, "{v}");
    assert!(site.read("posts/a.md").contains("/img/responsive/x-162."));
    assert_eq!(site.read("_includes/note.md"), "![inc](/img/x.png)\n");
    assert_eq!(site.read("_site/posts/a.md"), "![built](/img/x.png)\n");
}

#[test]
fn layout_on_the_command_line_beats_what_the_files_say() {
    // A Hugo-shaped site without any settings file: told by `--layout hugo`, its `content/` is
    // read and `static/` serves `/`; and Hugo's raw-HTML rule then applies (no settings file:
    // refused, naming the hugo.toml to write).
    let site = made(&[("content/p.md", "![S](/s.png)\n")], &["static/s.png"]);
    let (v, out) = site.json(&["scan", "--json", "--layout", "hugo", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(v.to_string().contains("\"static/s.png\""), "{v}");
    let out = site.run(&["build", "--layout", "hugo", "."]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hugo.toml"));
    // As Jekyll (what the files say), `content/p.md` is a page without front matter: not
    // rendered, so not rewritten.
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v["summary"]["posts_changed"], 0, "{v}");
}

#[test]
fn init_writes_no_jekyll_config_into_another_generators_site() {
    // A `_config.yml` would make a Hugo site look like a Jekyll one to the next run.
    let site = TestSite::copy_of("site-hugo");
    let before = snapshot(&site.root);
    let out = site.run(&["init", "."]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a hugo site"),
        "{}",
        show(&out)
    );
    assert!(changes(&before, &snapshot(&site.root)).is_empty());
}

#[test]
fn a_hugo_sites_front_matter_image_is_not_encoded_for_nothing() {
    // Hero images are served through Jekyll's `_data/postpix.json`; another generator gets no
    // such file, so their variants would be written and never used.
    let site = made(
        &[
            ("hugo.toml", "[markup.goldmark.renderer]\nunsafe = true\n"),
            (
                "content/p.md",
                "---\ntitle: P\nimage: /hero.png\n---\n![S](/s.png)\n",
            ),
        ],
        &["static/s.png"],
    );
    let logo = std::fs::read(fixture("site-example").join("postimg/logo.png")).unwrap();
    std::fs::write(site.path("static/hero.png"), logo).unwrap();
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v["summary"]["posts_changed"], 1, "{v}");
    let names: Vec<String> = std::fs::read_dir(site.path("static/responsive"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("s-")), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("hero-")), "{names:?}");
    assert!(!site.path("_data").exists());
}

//! Hero images: a front-matter `header-img:` is encoded like a body image and listed in
//! `_data/postpix.json`, with `_includes/postpix/picture.html` beside it; front matter is never
//! rewritten; `--out` puts both into the output only; `restore` takes them back out.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;

const POST: &str = "_posts/2021-01-01-pictures.md";

fn include_in_repo() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("jekyll/_includes/postpix/picture.html"),
    )
    .unwrap()
}

/// The data file under `root`, parsed.
fn data(root: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root.join("_data/postpix.json")).unwrap())
        .unwrap()
}

#[test]
fn a_hero_is_encoded_and_listed_with_its_variants_size_and_placeholder() {
    let site = TestSite::copy_of("site-report");
    let front_before = site.read(POST);
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let d = data(&site.root);
    assert_eq!(d["generator"], "postpix");
    let hero = &d["images"]["postimg/toucan.png"];
    assert_eq!(hero["source"], "postimg/toucan.png", "{d}");
    let report = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"] == "postimg/toucan.png")
        .unwrap();
    let (scan, _) = site.json(&["scan", "--json", "."]);
    let facts = &scan["images"][0];
    assert_eq!(facts["source"], "postimg/toucan.png");
    assert_eq!(
        (&hero["width"], &hero["height"]),
        (&facts["width"], &facts["height"])
    );
    let variants = hero["variants"].as_array().unwrap();
    assert_eq!(
        variants.len(),
        report["variants"].as_array().unwrap().len(),
        "the same variants as the build made: {hero}"
    );
    for var in variants {
        let url = var["url"].as_str().unwrap();
        assert!(url.starts_with("/postimg/responsive/toucan-"), "{url}");
        assert!(
            site.path(url.trim_start_matches('/')).is_file(),
            "{url} is on disk"
        );
        assert!(var["format"].is_string() && var["width"].as_u64().unwrap() > 0);
    }
    assert!(hero.get("placeholder").is_some(), "{hero}");
    assert_eq!(
        hero["src"],
        hero["fallback"].as_array().unwrap().last().unwrap()["url"]
    );
    // The include is the repository's, and both files are in the report for the author to
    // commit.
    assert_eq!(
        site.read("_includes/postpix/picture.html"),
        include_in_repo()
    );
    let files: Vec<&str> = v["site_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["_data/postpix.json", "_includes/postpix/picture.html"]
    );
    assert_eq!(v["summary"]["heroes"], 1);
    // Front matter is never rewritten.
    let fm = |t: &str| t.split("---").nth(1).unwrap().to_string();
    assert_eq!(fm(&site.read(POST)), fm(&front_before));
    // The hero is no longer "left as it is".
    let left = v["left"].to_string();
    assert!(!left.contains("front-matter"), "{left}");
    // A second build writes neither file again.
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(
        v["site_files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["changed"] == false),
        "{}",
        v["site_files"]
    );
}

#[test]
fn the_human_report_lists_the_files_to_commit() {
    let site = TestSite::copy_of("site-report");
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Front-matter images: 1 listed for the theme")
            && text.contains("  _data/postpix.json (wrote)")
            && text.contains("  _includes/postpix/picture.html (wrote)")
            && text
                .contains("{% include postpix/picture.html src=page.header-img alt=page.title %}"),
        "{text}"
    );
}

#[test]
fn with_out_both_files_go_into_the_output_and_the_site_is_untouched() {
    let site = TestSite::copy_of("site-report");
    let out_dir = tempfile::tempdir().unwrap();
    let out_path = out_dir.path().join("built");
    let before = snapshot(&site.root);
    let out = site.run(&["build", "--out", out_path.to_str().unwrap(), "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(
        changes(&before, &snapshot(&site.root)),
        Vec::<String>::new()
    );
    let d = data(&out_path);
    let url = d["images"]["postimg/toucan.png"]["src"].as_str().unwrap();
    assert!(
        out_path.join(url.trim_start_matches('/')).is_file(),
        "{url}"
    );
    assert_eq!(
        std::fs::read_to_string(out_path.join("_includes/postpix/picture.html")).unwrap(),
        include_in_repo()
    );
}

#[test]
fn restore_removes_what_postpix_wrote_and_gives_back_every_post() {
    let site = TestSite::copy_of("site-report");
    let before = snapshot(&site.root);
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(site.path("_data/postpix.json").is_file());
    let (v, out) = site.json(&["restore", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(
        v["removed"],
        serde_json::json!(["_data/postpix.json", "_includes/postpix/picture.html"])
    );
    let after = snapshot(&site.root);
    // Only postpix's own cache and variants remain beside the author's files, whose bytes are
    // back (the post was written twice, so its mtime is new).
    let left: Vec<String> = changes(&before, &after)
        .into_iter()
        .filter(|c| !c.contains("/responsive/") && !c.contains(".postpix/"))
        .filter(|c| !c.starts_with("mtime "))
        .collect();
    assert_eq!(left, Vec::<String>::new());
    assert!(!site.path("_includes").exists() && !site.path("_data").exists());
}

#[test]
fn an_authors_own_include_of_that_name_is_kept_by_restore() {
    let site = TestSite::copy_of("site-report");
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    std::fs::write(site.path("_includes/postpix/picture.html"), "mine\n").unwrap();
    let (v, _) = site.json(&["restore", "--json", "."]);
    assert_eq!(v["removed"], serde_json::json!(["_data/postpix.json"]));
    assert_eq!(site.read("_includes/postpix/picture.html"), "mine\n");
}

#[test]
fn check_calls_a_missing_data_file_stale_and_a_site_without_heroes_gets_no_files() {
    let site = TestSite::copy_of("site-report");
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(code(&site.run(&["check", "."])), 0);
    std::fs::remove_file(site.path("_data/postpix.json")).unwrap();
    let out = site.run(&["check", "."]);
    assert_eq!(code(&out), 1, "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("_data/postpix.json  missing or out of date"),
        "{}",
        show(&out)
    );
    // No front matter names a hero: nothing is written into the site.
    let plain = TestSite::copy_of("site-report");
    let post = plain
        .read(POST)
        .replace("header-img: postimg/toucan.png\n", "");
    std::fs::write(plain.path(POST), post).unwrap();
    let out = plain.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(!plain.path("_data").exists() && !plain.path("_includes").exists());
}

//! `postpix init`: appends a commented `postpix:` block to `_config.yml` (the file's bytes stay
//! as they were before it) that reads back as the defaults, adds the cache folders to
//! `.gitignore` once, and never changes a site that already has a `postpix:` block.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

#[test]
fn init_appends_the_block_and_the_ignores_and_never_runs_twice() {
    let site = TestSite::copy_of("site-example");
    let before = site.read("_config.yml");
    let out = site.run(&["init", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Next:"), "{text}");
    let after = site.read("_config.yml");
    assert!(after.starts_with(&before), "the old bytes changed");
    assert!(after[before.len()..].contains("\npostpix:\n  widths: [480, 960, 1440]"));
    assert_eq!(site.read(".gitignore"), ".postpix/\n.jekyll-cache/\n");

    // Every setting now comes from the file, at its default.
    let (cfg, _) = site.json(&["config", ".", "--json"]);
    for s in cfg["settings"].as_array().unwrap() {
        if s["in_file"].as_bool().unwrap() {
            assert_eq!(s["source"], "_config.yml", "{s}");
        }
    }
    let fresh = TestSite::copy_of("site-example");
    let (defaults, _) = fresh.json(&["config", ".", "--json"]);
    let values = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["settings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["value"].clone())
            .collect()
    };
    assert_eq!(values(&cfg), values(&defaults));
    assert_eq!(cfg["ci_cache_key"], defaults["ci_cache_key"]);

    // A second run changes nothing, and says so.
    let snap = snapshot(&site.root);
    let out = site.run(&["init", "."]);
    assert_eq!(code(&out), 1, "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("already has a postpix: block"));
    assert!(changes(&snap, &snapshot(&site.root)).is_empty());
}

#[test]
fn init_keeps_an_existing_gitignore_and_a_file_without_a_final_newline() {
    let site = TestSite::copy_of("site-example");
    std::fs::write(site.path("_config.yml"), "title: t").unwrap();
    std::fs::write(site.path(".gitignore"), "_site\n.jekyll-cache").unwrap();
    let out = site.run(&["init", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(site
        .read("_config.yml")
        .starts_with("title: t\n\n# postpix"));
    assert_eq!(site.read(".gitignore"), "_site\n.jekyll-cache\n.postpix/\n");
    let out = site.run(&["build", ".", "--dry-run"]);
    assert_eq!(
        code(&out),
        0,
        "the written block must be valid: {}",
        show(&out)
    );
}

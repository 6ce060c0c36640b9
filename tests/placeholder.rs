//! Placeholders, through the real binary: an opaque image's `<img>` gets its dominant colour as
//! an inline background (first in its style, the author's box untouched), a transparent one
//! gets none, `--placeholder none` and `placeholder: none` in `_config.yml` turn it off, and a
//! manifest written before placeholders existed still loads: its entries are encoded once
//! more, with no error and no warning.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;

const POST: &str = "_posts/2020-01-01-a.md";

/// One post with an opaque JPEG and a PNG with transparency; `config` is the `_config.yml`.
fn site(config: &str) -> TestSite {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::create_dir_all(root.join("postimg")).unwrap();
    for name in ["rocket.jpg", "alpha-wizard-clipart.png"] {
        std::fs::copy(
            fixture("corpus").join(name),
            root.join("postimg").join(name),
        )
        .unwrap();
    }
    std::fs::write(
        root.join(POST),
        "---\ntitle: a\n---\n![rocket](/postimg/rocket.jpg)\n\n\
         <img src=\"/postimg/rocket.jpg\" alt=\"r\" width=\"300\" style=\"border: 2px solid\">\n\n\
         ![wizard](/postimg/alpha-wizard-clipart.png)\n",
    )
    .unwrap();
    std::fs::write(root.join("_config.yml"), config).unwrap();
    TestSite::at(dir, root)
}

fn build(site: &TestSite, flags: &[&str]) -> Value {
    let mut args = vec!["build", "--json", "."];
    args.extend_from_slice(flags);
    let (v, out) = site.json(&args);
    assert_eq!(code(&out), 0, "{}", show(&out));
    v
}

/// The `<img ...>` tags of the post, in order.
fn imgs(site: &TestSite) -> Vec<String> {
    let text = site.read(POST);
    text.split("<img ")
        .skip(1)
        .map(|t| t.split('>').next().unwrap().to_string())
        .collect()
}

#[test]
fn opaque_images_get_their_colour_and_transparent_ones_nothing() {
    let site = site("title: t\n");
    build(&site, &[]);
    let imgs = imgs(&site);
    assert_eq!(imgs.len(), 3, "{imgs:?}");
    let colour = |img: &str| {
        let at = img
            .find("background:#")
            .unwrap_or_else(|| panic!("no colour: {img}"));
        img[at + 11..at + 18].to_string()
    };
    assert!(imgs[0].contains("style=\"background:#"), "{}", imgs[0]);
    assert!(
        imgs[0].contains(" content-box;height:auto\""),
        "{}",
        imgs[0]
    );
    // The author's own style and width stay, after the colour; nothing else is added.
    assert!(
        imgs[1].contains(&format!(
            "style=\"background:{} content-box;border: 2px solid\"",
            colour(&imgs[0])
        )),
        "{}",
        imgs[1]
    );
    assert!(imgs[1].contains("width=\"300\"") && !imgs[1].contains("height="));
    assert!(!imgs[2].contains("background"), "{}", imgs[2]);
    // The same colour is in the manifest, for the next run.
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(site.path(".postpix/manifest.json")).unwrap(),
    )
    .unwrap();
    let cached: Vec<String> = m["entries"]
        .as_object()
        .unwrap()
        .values()
        .map(|e| e["placeholder"].to_string())
        .collect();
    assert!(
        cached.contains(&format!("{{\"color\":\"{}\"}}", colour(&imgs[0]))),
        "{cached:?}"
    );
    assert!(cached.contains(&"\"none\"".to_string()), "{cached:?}");
}

#[test]
fn the_flag_and_the_config_turn_it_off() {
    let site = site("title: t\npostpix:\n  placeholder: none\n");
    build(&site, &[]);
    assert!(!site.read(POST).contains("background"));
    build(&site, &["--placeholder", "color"]);
    assert!(site.read(POST).contains("background:#"));
    let site = self::site("title: t\n");
    build(&site, &["--placeholder", "none"]);
    assert!(!site.read(POST).contains("background"));
}

#[test]
fn a_manifest_from_before_placeholders_is_a_cache_miss_not_an_error() {
    let site = site("title: t\n");
    build(&site, &["--placeholder", "none"]);
    // What an older postpix wrote: entries without a placeholder.
    let path = site.path(".postpix/manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for e in m["entries"].as_object_mut().unwrap().values_mut() {
        e.as_object_mut().unwrap().remove("placeholder");
    }
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    // An older postpix had no shared store either (it would answer with the placeholder).
    std::fs::remove_dir_all(site.path(".postpix/store")).unwrap();
    // With placeholders off, the old entries are fresh as they are.
    let v = build(&site, &["--placeholder", "none"]);
    assert_eq!(v["summary"]["encoded"], 0, "{v}");
    let v = build(&site, &[]);
    assert!(v["warnings"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["summary"]["encoded"], 2, "{v}");
    assert!(site.read(POST).contains("background:#"));
    let again = build(&site, &[]);
    assert_eq!(again["summary"]["encoded"], 0, "{again}");
    let out = site.run(&["check", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
}

//! The lint of `postpix scan` (links that will 404 on the published site, images without alt
//! text, images served without variants) and `postpix build --fix-links`, through the binary.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;

const POST: &str = "_posts/2020-01-02-links.md";

/// Line 1 root-relative under a baseurl, line 3 document-relative under a date permalink,
/// line 5 right, line 7 right with an empty alt, line 9 a raw `<img>` without alt, line 11 a
/// WebP (not re-encoded), line 13 an animated PNG (skipped).
const TEXT: &str = "![a](/postimg/a.png)\n\n\
![b](postimg/a.png \"t\") and text after\n\n\
![c]({{ site.baseurl }}/postimg/a.png)\n\n\
![](/blog/postimg/a.png)\n\n\
<img src=\"{{ site.baseurl }}/postimg/a.png\">\n\n\
![w]({{ site.baseurl }}/postimg/w.webp)\n\n\
![s]({{ site.baseurl }}/postimg/spin.png)\n";

fn apng() -> Vec<u8> {
    let mut apng = Vec::new();
    let mut enc = png::Encoder::new(&mut apng, 16, 16);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_animated(2, 0).unwrap();
    enc.set_frame_delay(1, 10).unwrap();
    let mut w = enc.write_header().unwrap();
    for f in 0..2u8 {
        let frame: Vec<u8> = (0..256).flat_map(|i| [f * 80, i as u8, 0, 255]).collect();
        w.write_image_data(&frame).unwrap();
    }
    drop(w);
    apng
}

fn site() -> TestSite {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::create_dir_all(root.join("postimg")).unwrap();
    std::fs::copy(
        fixture("corpus/photo-chelsea-cat.png"),
        root.join("postimg/a.png"),
    )
    .unwrap();
    std::fs::write(
        root.join("postimg/w.webp"),
        b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10\x07\x10\x11\x11\x88\x88\xfe\x07\0",
    )
    .unwrap();
    std::fs::write(root.join("postimg/spin.png"), apng()).unwrap();
    std::fs::write(root.join("_config.yml"), "baseurl: /blog\n").unwrap();
    std::fs::write(root.join(POST), format!("---\ntitle: links\n---\n{TEXT}")).unwrap();
    TestSite::at(dir, root)
}

/// The scan's reference on line `line` of the post (front matter is 3 lines).
fn at(v: &Value, line: u64) -> Value {
    v["posts"][0]["refs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["line"] == line + 3)
        .unwrap_or_else(|| panic!("no ref on line {line}: {v}"))
        .clone()
}

#[test]
fn scan_lists_links_that_will_404_with_why_and_the_fix() {
    let site = site();
    let (v, out) = site.json(&["scan", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let a = at(&v, 1);
    assert_eq!(a["will_404"]["requested"], "/postimg/a.png", "{a}");
    assert_eq!(a["will_404"]["served"], "/blog/postimg/a.png", "{a}");
    assert_eq!(a["will_404"]["fix"], "{{ site.baseurl }}/postimg/a.png");
    let b = at(&v, 3);
    assert_eq!(
        b["status"], "missing",
        "beside the post there is no postimg/: {b}"
    );
    assert_eq!(
        b["will_404"]["requested"], "/blog/2020/01/02/postimg/a.png",
        "{b}"
    );
    assert_eq!(b["will_404"]["fix"], "{{ site.baseurl }}/postimg/a.png");
    for line in [5, 7, 9, 11, 13] {
        assert!(at(&v, line).get("will_404").is_none(), "line {line}: {v}");
    }
    assert_eq!(v["summary"]["will_404"], 2);
    let text = String::from_utf8_lossy(&site.run(&["scan", "."]).stdout).into_owned();
    assert!(
        text.contains(&format!("{POST}:4  /postimg/a.png\n      root-relative, but the site is served under baseurl /blog"))
            && text.contains(&format!("{POST}:6  postimg/a.png\n      document-relative, so the browser resolves it against the page's URL /blog/2020/01/02/links.html"))
            && text.contains("fix: {{ site.baseurl }}/postimg/a.png"),
        "{text}"
    );
    // Lint, not a missing file: the problem list does not repeat it.
    assert!(!text.contains("missing postimg/a.png"), "{text}");
}

#[test]
fn scan_lists_images_without_alt_and_images_served_without_variants() {
    let site = site();
    let (v, _) = site.json(&["scan", "--json", "."]);
    assert_eq!(at(&v, 7)["empty_alt"], true);
    assert_eq!(at(&v, 9)["no_alt"], true);
    assert_eq!(at(&v, 5)["empty_alt"], false);
    assert_eq!(v["summary"]["no_alt"], 2);
    let w = at(&v, 11);
    assert!(
        w["without_variants"]
            .as_str()
            .unwrap()
            .contains("WEBP is not re-encoded"),
        "{w}"
    );
    let s = at(&v, 13);
    assert!(
        s["without_variants"]
            .as_str()
            .unwrap()
            .contains("animated PNG (2 frames)"),
        "{s}"
    );
    assert_eq!(v["summary"]["without_variants"], 2);
    let text = String::from_utf8_lossy(&site.run(&["scan", "."]).stdout).into_owned();
    assert!(
        text.contains(&format!(
            "{POST}:10  /blog/postimg/a.png  (empty alt: read as decorative)"
        )) && text.contains(&format!(
            "{POST}:12  {{{{ site.baseurl }}}}/postimg/a.png\n"
        )) && text.contains("Served as they are, without variants:")
            && text.contains(&format!(
                "{POST}:16  {{{{ site.baseurl }}}}/postimg/spin.png: animated PNG"
            )),
        "{text}"
    );
}

#[test]
fn fix_links_serves_them_from_the_baseurl_and_restore_gives_the_post_back() {
    let site = site();
    let original = site.read(POST);
    // Without the flag the links stay as the author wrote them (and still 404).
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let plain = site.read(POST);
    assert!(plain.contains("srcset=\"/postimg/responsive/a-"), "{plain}");
    assert!(
        plain.contains("![b](postimg/a.png \"t\") and text after"),
        "left: missing: {plain}"
    );
    let (v, out) = site.json(&["build", "--fix-links", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v["summary"]["links_fixed"], 2, "{}", v["summary"]);
    let fixed = site.read(POST);
    let lines: Vec<&str> = fixed.lines().collect();
    for line in [4, 6] {
        let l = lines[line - 1];
        assert!(
            l.contains("srcset=\"{{ site.baseurl }}/postimg/responsive/a-")
                && l.contains("src=\"{{ site.baseurl }}/postimg/responsive/a-"),
            "line {line}: {l}"
        );
        assert!(
            !l.contains("\"/postimg/responsive") && !l.contains("\"postimg/"),
            "{l}"
        );
    }
    assert!(
        lines[5].ends_with("</picture></span> and text after"),
        "{}",
        lines[5]
    );
    assert!(lines[5].contains("title=\"t\""), "{}", lines[5]);
    // `check` with the same flag finds nothing stale; without it, the markup differs.
    assert_eq!(code(&site.run(&["check", "--fix-links", "."])), 0);
    assert_eq!(code(&site.run(&["check", "."])), 1);
    // The markup's record holds the author's text: restore gives it back byte for byte.
    let out = site.run(&["restore", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(site.read(POST), original);
}

#[test]
fn fix_links_is_a_config_key_too() {
    let site = site();
    std::fs::write(
        site.path("_config.yml"),
        "baseurl: /blog\npostpix:\n  fix_links: true\n",
    )
    .unwrap();
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v["summary"]["links_fixed"], 2, "{}", v["summary"]);
}

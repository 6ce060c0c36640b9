//! `postpix scan` on a copy of the site-example fixture: every reference its README marks
//! REWRITE is found with status ok on the right line, KEEP text yields no candidate, missing and
//! outside references are reported, the orphan is listed, and nothing is modified.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;

/// (post, line, kind, status, source) for every reference the README describes.
const EXPECTED: &[(&str, usize, &str, &str, Option<&str>)] = &[
    ("2020-11-23-nanning-anti-fraud.md", 6, "front_matter", "ok", Some("img/the-first.png")),
    ("2020-11-23-nanning-anti-fraud.md", 21, "markdown", "ok", Some("postimg/P9ficrEVSdibbSahGAohhYfky53ffm6ZicV85b7MehiabwzaImg4owaDavFA7gMkpkdtKYCnVMpz4KVYyYvE9IFKFQ.gif")),
    ("2020-11-23-nanning-anti-fraud.md", 22, "markdown", "ok", Some("postimg/Ljib4So7yuWhJF8QxoaE7NPJOV1uzE2O17KbnglaJWAhj1g4z2BcfIrTManIadMgZdzbVSqG6WqzW6VAl1e7vRw.png")),
    ("2020-11-23-nanning-anti-fraud.md", 28, "markdown", "ok", Some("postimg/P9ficrEVSdiba4HQLRflFMrMVOdt4LTiaujOumHZibN6AK1Y2FnWO5xcFzDMAlGTckbf5d3DnfIKQ5v4xZV10raIHg.jpeg")),
    ("2020-11-23-nanning-anti-fraud.md", 39, "markdown", "ok", Some("postimg/P9ficrEVSdibZV1p2cibeb6AnIYGXO37YK5BAPuI5sLwcgYXnQ2S7icD1Qh7SiccxElPpcJgTXah93821c4aL7cQlMw.jpeg")),
    ("2020-11-23-nanning-anti-fraud.md", 41, "markdown", "ok", Some("postimg/H9hmcrcqXVibHrSWQUzksAILzeewmsHHfiaW7aka6C1LRQhiadjtRG13icAZRnUTrJDmjicXZvuxAJ2t5zRSf0Lcctw.jpeg")),
    ("2020-11-23-nanning-anti-fraud.md", 49, "markdown", "ok", Some("postimg/P9ficrEVSdibZV1p2cibeb6AnIYGXO37YK5jgzliao0Y1iaYvpFV8ovUYyaKmOIV8Vpa99TATPM75JiaDRaibLlNxf0Jw.jpeg")),
    ("2020-11-23-nanning-anti-fraud.md", 51, "markdown", "ok", Some("postimg/P9ficrEVSdibZ2kMT8JQaS985Hr0k5rRaBMGfQTStibcOwpEYzuAbg0SbdCia6rFic8TTHz9SfOs0Hppib95VL6ADBMg.jpeg")),
    ("2020-11-23-nanning-anti-fraud.md", 53, "markdown", "ok", Some("postimg/P9ficrEVSdibZ2kMT8JQaS985Hr0k5rRaBIDw8bojIicFvXjOfvtjqbGDw8hb0WBNnJqbejgicL6mH5yH8ibxNpHvow.gif")),
    ("2020-11-23-nanning-anti-fraud.md", 60, "markdown", "ok", Some("postimg/m6vdLvvo6W6aCCOVM3fc1JRVjG0nwA9leMqJRjJp77nDaFqjYo2GLq5iauUdrachH8zrlxkdKrrr5mhMTX7fXwQ.jpeg")),
    ("2020-11-23-nanning-anti-fraud.md", 65, "markdown", "ok", Some("postimg/m6vdLvvo6W4tBmkSw7BynPAZ4dpgGzH6gPSKpMSPibm3ZZdwYARicAqYI6iaLTicawgZUezTc6lgHXWGaSqHwiav3qA.jpeg")),
    ("2020-11-23-nanning-anti-fraud.md", 66, "markdown", "ok", Some("postimg/m6vdLvvo6W4tBmkSw7BynPAZ4dpgGzH6dmhqpDKgZf4VOiaaxr6LcaFfRCPDEHukjOhPlt2iaH3NnVwoVk1xjWLw.jpeg")),
    ("2020-11-23-nanning-anti-fraud.md", 67, "markdown", "ok", Some("postimg/m6vdLvvo6W4tBmkSw7BynPAZ4dpgGzH62EZZ3JuBHMHzWr2pWjUukPSqx9WsRt3S4RWQicPNzhvt1LNVX5mbTSw.jpeg")),
    ("2021-01-05-inline-image-styles.md", 12, "markdown", "ok", Some("postimg/wood.jpg")),
    ("2021-01-05-inline-image-styles.md", 16, "markdown", "ok", Some("postimg/julia-16bit.png")),
    ("2021-01-05-inline-image-styles.md", 21, "markdown", "ok", Some("postimg/earth.gif")),
    ("2021-01-05-inline-image-styles.md", 25, "markdown", "ok", Some("postimg/toucan.png")),
    ("2021-01-05-inline-image-styles.md", 27, "markdown", "ok", Some("postimg/spinner.gif")),
    ("2021-01-05-inline-image-styles.md", 27, "markdown", "ok", Some("postimg/tiny-animation.gif")),
    ("2021-01-05-inline-image-styles.md", 31, "markdown", "ok", Some("postimg/meadow.jpg")),
    ("2021-01-05-inline-image-styles.md", 33, "markdown", "ok", Some("postimg/debian-emblem.png")),
    ("2021-02-14-reference-and-linked-images.md", 10, "reference", "ok", Some("postimg/bird-lamp.jpg")),
    ("2021-02-14-reference-and-linked-images.md", 14, "reference", "ok", Some("postimg/chelsea.png")),
    ("2021-02-14-reference-and-linked-images.md", 18, "reference", "ok", Some("postimg/logo.png")),
    ("2021-02-14-reference-and-linked-images.md", 22, "reference", "ok", Some("postimg/rocket.jpg")),
    ("2021-02-14-reference-and-linked-images.md", 28, "markdown", "ok", Some("postimg/freshflower.jpg")),
    ("2021-02-14-reference-and-linked-images.md", 32, "markdown", "ok", Some("postimg/dune.jpg")),
    ("2021-03-20-html-and-external-images.md", 10, "html", "ok", Some("postimg/astronaut.png")),
    ("2021-03-20-html-and-external-images.md", 12, "html", "ok", Some("postimg/horse.gif")),
    ("2021-03-20-html-and-external-images.md", 15, "html", "ok", Some("postimg/screenshot-wireshark.png")),
    ("2021-03-20-html-and-external-images.md", 18, "html", "ok", Some("postimg/banner.gif")),
    ("2021-03-20-html-and-external-images.md", 22, "markdown", "external", None),
    ("2021-03-20-html-and-external-images.md", 24, "markdown", "external", None),
    ("2021-03-20-html-and-external-images.md", 26, "markdown", "external", None),
    ("2021-03-20-html-and-external-images.md", 28, "html", "external", None),
    ("2021-03-20-html-and-external-images.md", 32, "html", "external", None),
    ("2021-04-02-writing-image-markdown.md", 44, "markdown", "ok", Some("postimg/hubble.jpg")),
    ("2021-05-18-odd-paths.md", 10, "markdown", "missing", Some("postimg/does-not-exist.jpg")),
    ("2021-05-18-odd-paths.md", 14, "markdown", "ok", Some("postimg/wood.jpg")),
    ("2021-05-18-odd-paths.md", 19, "markdown", "ok", Some("postimg/my photo.jpg")),
    ("2021-05-18-odd-paths.md", 21, "markdown", "ok", Some("postimg/my photo.jpg")),
    ("2021-05-18-odd-paths.md", 26, "markdown", "ok", Some("postimg/café menu.png")),
    ("2021-05-18-odd-paths.md", 30, "markdown", "ok", Some("postimg/qr.png")),
    ("2021-05-18-odd-paths.md", 32, "markdown", "ok", Some("postimg/emote.jpeg")),
    ("2021-05-18-odd-paths.md", 36, "markdown", "ok", Some("postimg/IMG_0001.JPG")),
    ("2021-05-18-odd-paths.md", 40, "markdown", "ok", Some("postimg/earthrise.gif")),
    ("2021-06-30-front-matter-images.md", 7, "front_matter", "ok", Some("img/post-bg-dune.jpg")),
    ("2021-06-30-front-matter-images.md", 19, "markdown", "ok", Some("postimg/banner-88x31.gif")),
    ("2021-06-30-front-matter-images.md", 21, "markdown", "ok", Some("postimg/emote-133.gif")),
    ("2021-07-15-format-zoo.md", 6, "front_matter", "ok", Some("img/post-bg-wood.png")),
    ("2021-07-15-format-zoo.md", 13, "markdown", "ok", Some("postimg/cmyk.jpg")),
    ("2021-07-15-format-zoo.md", 17, "markdown", "ok", Some("postimg/piechart-16bit.png")),
    ("2021-07-15-format-zoo.md", 19, "markdown", "ok", Some("postimg/palette-diagram.png")),
    ("2021-07-15-format-zoo.md", 23, "markdown", "ok", Some("postimg/wine-portrait.jpg")),
    ("2021-07-15-format-zoo.md", 27, "markdown", "ok", Some("postimg/rocket-upside-down.jpg")),
    ("2021-07-15-format-zoo.md", 31, "markdown", "ok", Some("postimg/rocket.gif")),
    ("2021-07-15-format-zoo.md", 33, "markdown", "ok", Some("postimg/spinner.png")),
    ("2021-07-15-format-zoo.md", 37, "markdown", "ok", Some("postimg/banner.gif")),
    ("2021-07-15-format-zoo.md", 39, "markdown", "ok", Some("postimg/cat.gif")),
    ("2021-07-15-format-zoo.md", 43, "markdown", "ok", Some("postimg/icon-home.png")),    ("2021-08-01-author-layout.md", 13, "html", "ok", Some("postimg/hubble.jpg")),
    ("2021-08-01-author-layout.md", 17, "html", "ok", Some("postimg/meadow.jpg")),
    ("2021-08-01-author-layout.md", 21, "html", "ok", Some("postimg/wood.jpg")),
    ("2021-08-01-author-layout.md", 25, "html", "ok", Some("postimg/dune.jpg")),
    ("2021-08-01-author-layout.md", 25, "html", "ok", Some("postimg/rocket.jpg")),
    ("2021-08-01-author-layout.md", 29, "html", "ok", Some("postimg/wine-portrait.jpg")),
    ("2021-08-01-author-layout.md", 29, "html", "ok", Some("postimg/bird-lamp.jpg")),
    ("2021-08-01-author-layout.md", 33, "html", "ok", Some("postimg/freshflower.jpg")),
    ("2021-08-01-author-layout.md", 37, "html", "ok", Some("postimg/toucan.png")),
    ("2021-08-01-author-layout.md", 41, "markdown", "ok", Some("postimg/toucan.png")),
    ("2021-08-01-author-layout.md", 43, "markdown", "ok", Some("postimg/hubble.jpg")),
    ("2021-08-02-missed-images.md", 10, "html", "ok", Some("postimg/palette-diagram.png")),
    ("2021-08-02-missed-images.md", 15, "html", "ok", Some("postimg/qr.png")),
    ("2021-08-02-missed-images.md", 21, "markdown", "unsupported", Some("postimg/diagram.svg")),
];

fn refs(v: &Value) -> Vec<(String, usize, String, String, Option<String>)> {
    let mut out = Vec::new();
    for p in v["posts"].as_array().unwrap() {
        let path = p["path"]
            .as_str()
            .unwrap()
            .trim_start_matches("_posts/")
            .to_string();
        for r in p["refs"].as_array().unwrap() {
            out.push((
                path.clone(),
                r["line"].as_u64().unwrap() as usize,
                r["kind"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["source"].as_str().map(str::to_string),
            ));
        }
    }
    out
}

#[test]
fn site_example_references_match_its_readme() {
    let site = TestSite::copy_of("site-example");
    let (v, out) = site.json(&["scan", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let got = refs(&v);
    let want: Vec<_> = EXPECTED
        .iter()
        .map(|(p, l, k, s, src)| {
            (
                p.to_string(),
                *l,
                k.to_string(),
                s.to_string(),
                src.map(str::to_string),
            )
        })
        .collect();
    for w in &want {
        assert!(
            got.contains(w),
            "expected reference not found: {w:?}\n got: {got:#?}"
        );
    }
    for g in &got {
        // External refs carry no source; every other ref found must be one the README describes.
        assert!(
            want.contains(g),
            "unexpected candidate (KEEP text must yield none): {g:?}"
        );
    }
}

#[test]
fn orphans_lies_and_image_facts_are_reported() {
    let site = TestSite::copy_of("site-example");
    let (v, _) = site.json(&["scan", "--json"]);
    assert_eq!(
        v["orphans"],
        serde_json::json!(["postimg/orphan-unreferenced.png"])
    );
    let images = v["images"].as_array().unwrap();
    let find = |s: &str| {
        images
            .iter()
            .find(|i| i["source"] == s)
            .unwrap_or_else(|| panic!("{s} missing"))
    };
    let emote = find("postimg/emote.jpeg");
    assert_eq!(emote["format"], "gif");
    assert_eq!(emote["frames"], 133);
    let rotated = find("postimg/H9hmcrcqXVibHrSWQUzksAILzeewmsHHfiaW7aka6C1LRQhiadjtRG13icAZRnUTrJDmjicXZvuxAJ2t5zRSf0Lcctw.jpeg");
    assert!(
        rotated["height"].as_u64() > rotated["width"].as_u64(),
        "EXIF 6 should report upright size: {rotated}"
    );
    let wood = find("postimg/wood.jpg");
    assert_eq!(wood["referenced_by"].as_array().unwrap().len(), 3);
    let liar = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["refs"].as_array().unwrap().iter())
        .find(|r| r["source"] == "postimg/rocket.gif")
        .unwrap();
    assert_eq!(liar["format"], "jpeg");
    assert_eq!(liar["extension_mismatch"], true);
    assert_eq!(v["summary"]["missing"], 1);
}

#[test]
fn scan_writes_nothing_and_changes_no_mtime() {
    let site = TestSite::copy_of("site-example");
    let before = snapshot(&site.root);
    let out = site.run(&["scan", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("does-not-exist.jpg"),
        "human report names the missing file:\n{text}"
    );
    assert!(text.contains("orphan-unreferenced.png"), "{text}");
    assert_eq!(
        changes(&before, &snapshot(&site.root)),
        Vec::<String>::new()
    );
}

#[cfg(unix)]
#[test]
fn traversal_and_symlinks_out_are_outside_and_never_read() {
    let site = TestSite::copy_of("site-example");
    std::os::unix::fs::symlink("/etc/passwd", site.path("postimg/passwd.jpeg")).unwrap();
    std::fs::write(
        site.path("_posts/2022-01-01-hostile.md"),
        "---\ntitle: x\n---\n\n![a](../../../etc/passwd)\n\n![b]({{site.baseurl}}/../../etc/passwd)\n\n![c](/postimg/passwd.jpeg)\n\n![d](%2e%2e/%2e%2e/etc/passwd)\n",
    )
    .unwrap();
    let (v, out) = site.json(&["scan", "--json"]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let post = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == "_posts/2022-01-01-hostile.md")
        .unwrap();
    let statuses: Vec<&str> = post["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["outside"; 4], "{post}");
}

#[test]
fn missing_site_is_a_usage_error() {
    let site = TestSite::copy_of("site-example");
    let out = site.run(&["scan", "no/such/folder"]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/folder"));
}

#[test]
fn an_svg_is_recognised_and_served_as_is() {
    // issue 17 item 9: a valid SVG was "an extension that lies".
    let site = TestSite::copy_of("site-example");
    let (v, _) = site.json(&["scan", "--json", "."]);
    let svg = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["refs"].as_array().unwrap().iter())
        .find(|r| r["source"] == "postimg/diagram.svg")
        .unwrap();
    assert_eq!(svg["format"], "svg");
    assert_eq!(svg["extension_mismatch"], false);
    let text = String::from_utf8_lossy(&site.run(&["scan", "."]).stdout).into_owned();
    assert!(
        text.contains("SVG: 1 reference(s), served as is."),
        "{text}"
    );
    assert!(!text.contains("diagram.svg"), "{text}");
}

#[test]
fn an_image_tag_and_a_url_with_a_newline_are_found() {
    // issue 17 items 5 and 6: `<image src>` and `src="/x/\n2464.png"`.
    let site = TestSite::copy_of("site-example");
    let out = site.run(&["build", "."]);
    assert!(matches!(code(&out), 0 | 1), "{}", show(&out));
    let post = site.read("_posts/2021-08-02-missed-images.md");
    assert_eq!(post.matches("<picture>").count(), 2, "{post}");
    // qr.png holds the same bytes as palette-diagram.png: one set of variants serves both.
    assert!(
        post.contains("data-postpix-orig=\"&lt;img src=&quot;{{site.baseurl}}/postimg/&#10;qr.png"),
        "{post}"
    );
}

#[test]
fn jekyll_rules_decide_which_files_are_posts() {
    // Regression (issue 17.8): `_doc/*.md`, `published: false` posts, pages without front
    // matter and a multi-line `exclude: [...]` flow list were all scanned as posts.
    let site = TestSite::copy_of("site-jekyll-rules");
    let (v, out) = site.json(&["scan", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let mut got: Vec<&str> = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(
        got,
        vec![
            "_drafts/coming.md",
            "_includes/fragment.md",
            "_posts/2024-01-01-published.md",
            "_recipes/soup.md",
            "about.md",
        ]
    );
    for rel in &got {
        assert!(site.read(rel).contains("RENDERED:"), "{rel}");
        assert!(!site.read(rel).contains("NOT RENDERED"), "{rel}");
    }
    // `unpublished: true` brings the unpublished post back.
    let cfg = site.read("_config.yml") + "unpublished: true\n";
    std::fs::write(site.path("_config.yml"), cfg).unwrap();
    let (v, _) = site.json(&["scan", "--json", "."]);
    let paths: Vec<&str> = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"_posts/2024-01-02-unpublished.md"),
        "{paths:?}"
    );
}

#[test]
fn a_broken_config_is_an_error_naming_the_file() {
    let site = TestSite::copy_of("site-jekyll-rules");
    std::fs::write(site.path("_config.yml"), "exclude: [a,\n  b\ntitle: x\n").unwrap();
    let out = site.run(&["scan", "."]);
    assert_ne!(code(&out), 0, "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("_config.yml") && err.contains("YAML"), "{err}");
}

/// An image the site uses outside posts is not "unused": a user might delete it on our word.
/// Named by `_config.yml`, a layout, an include, a stylesheet, a 404 page or a percent-encoded
/// URL, it is left out of the list; the one nobody names stays in it.
#[test]
fn images_used_by_layouts_config_css_or_pages_are_not_called_unused() {
    let site = TestSite::copy_of("site-example");
    let png = std::fs::read(site.path("postimg/orphan-unreferenced.png")).unwrap();
    let uses = [
        ("og-card.png", "_config.yml", "logo: /postimg/og-card.png\n"),
        (
            "header.png",
            "_layouts/default.html",
            "<img src=\"{{ '/postimg/header.png' | relative_url }}\">\n{{ content }}\n",
        ),
        (
            "avatar.png",
            "_includes/author.html",
            "<img src=\"/postimg/avatar.png\" alt=\"me\">\n",
        ),
        (
            "paper.png",
            "assets/css/site.scss",
            "---\n---\nbody { background: url(/postimg/paper.png); }\n",
        ),
        (
            "lost.png",
            "404.html",
            "---\n---\n<img src=\"/postimg/lost.png\" alt=\"\">\n",
        ),
        (
            "two words.png",
            "about.html",
            "<img src=\"/postimg/two%20words.png\" alt=\"\">\n",
        ),
    ];
    for (image, file, text) in uses {
        std::fs::write(site.path(&format!("postimg/{image}")), &png).unwrap();
        let path = site.path(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut old = std::fs::read_to_string(&path).unwrap_or_default();
        old.push_str(text);
        std::fs::write(&path, old).unwrap();
    }
    let (v, out) = site.json(&["scan", "--json"]);
    assert_eq!(
        v["orphans"],
        serde_json::json!(["postimg/orphan-unreferenced.png"]),
        "{}",
        show(&out)
    );
    let human = site.run(&["scan"]);
    let text = String::from_utf8_lossy(&human.stdout);
    for (image, _, _) in uses {
        assert!(
            !text.contains(&format!("postimg/{image}")),
            "{image} in\n{text}"
        );
    }
}

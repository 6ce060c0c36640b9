//! Rewriting posts into `<picture>` markup on a copy of the site-example fixture: every REWRITE
//! reference becomes markup, KEEP text stays byte-identical, a rerun is a no-op, `restore` gives
//! the original tree back, `--dry-run` writes nothing, `check` tells stale from fresh and `--out`
//! leaves the site untouched.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

const POSTS: &str = "_posts";

fn post_texts(site: &TestSite) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(site.path(POSTS))
        .unwrap()
        .map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            let t = site.read(&format!("{POSTS}/{n}"));
            (n, t)
        })
        .collect();
    v.sort();
    v
}

/// Text of the post with every generated element taken out: what must equal the original
/// outside the image spans.
fn outside_spans(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(postpix::marker::OPEN) {
        parts.push(rest[..i].to_string());
        let after = &rest[i..];
        let end = after.find(postpix::marker::CLOSE).unwrap() + postpix::marker::CLOSE.len();
        rest = &after[end..];
    }
    parts.push(rest.to_string());
    parts
}

#[test]
fn rewrite_is_exact_idempotent_and_reversible() {
    let site = TestSite::copy_of("site-example");
    let originals = post_texts(&site);
    let out = site.run(&["build", "."]);
    assert!(matches!(code(&out), 0 | 1), "{}", show(&out));
    let rewritten = post_texts(&site);

    // Every byte outside the generated elements is the author's, in order.
    for ((name, orig), (_, new)) in originals.iter().zip(&rewritten) {
        let mut pos = 0;
        for part in outside_spans(new) {
            let found = orig[pos..].find(&part).unwrap_or_else(|| {
                panic!("{name}: text outside image spans changed near {part:?}")
            });
            pos += found + part.len();
        }
        assert_eq!(
            postpix::marker::restore(new),
            *orig,
            "{name}: restore(markup) differs"
        );
    }

    // KEEP text from the fixture README.
    let html = site.read("_posts/2021-03-20-html-and-external-images.md");
    for keep in [
        "![Build status](https://img.shields.io/badge/build-passing-green.png)",
        "![Protocol-relative](//cdn.example.org/img/logo.png)",
        "<img src=\"data:image/gif;base64,",
        "[mail me](mailto:someone@example.org)",
    ] {
        assert!(html.contains(keep), "KEEP text lost: {keep}");
    }
    let code_post = site.read("_posts/2021-04-02-writing-image-markdown.md");
    let code_orig = &originals
        .iter()
        .find(|(n, _)| n.starts_with("2021-04-02"))
        .unwrap()
        .1;
    let cut = code_orig.find("And the one real image").unwrap();
    assert_eq!(
        &code_post[..cut],
        &code_orig[..cut],
        "code samples must be untouched"
    );
    assert!(code_post[cut..].contains("<picture>"));
    let odd = site.read("_posts/2021-05-18-odd-paths.md");
    assert!(odd
        .contains("![This photo was never uploaded]({{site.baseurl}}/postimg/does-not-exist.jpg)"));
    let refs = site.read("_posts/2021-02-14-reference-and-linked-images.md");
    assert!(refs.contains("[download the wood photo]({{site.baseurl}}/postimg/wood.jpg)"));
    assert!(
        refs.contains("](https://en.wikipedia.org/wiki/Dune)"),
        "outer link target kept"
    );
    assert!(
        refs.contains("]({{site.baseurl}}/postimg/freshflower.jpg)"),
        "outer link target kept"
    );
    let fm = site.read("_posts/2021-07-15-format-zoo.md");
    assert!(
        fm.contains("header-img: img/post-bg-wood.png\n"),
        "front matter untouched"
    );

    // Markup details.
    let styles = site.read("_posts/2021-01-05-inline-image-styles.md");
    assert!(
        styles.contains("{{ site.baseurl }}/postimg/responsive/julia-16bit-"),
        "base form kept"
    );
    assert!(styles.contains("title=\"Julia set, 16 bits per channel\""));
    assert!(
        styles.contains("src=\"/postimg/responsive/earth-"),
        "root-relative kept"
    );
    assert!(
        styles.contains("src=\"../postimg/responsive/toucan-"),
        "document-relative kept"
    );
    assert_eq!(
        styles.matches("fetchpriority=\"high\"").count(),
        1,
        "one eager image per post"
    );
    assert!(odd.contains("/postimg/responsive/my-photo-"));

    // A rerun is a no-op: same bytes, same mtimes.
    let before = snapshot(&site.root);
    let out = site.run(&["build", "."]);
    assert!(matches!(code(&out), 0 | 1), "{}", show(&out));
    assert_eq!(
        changes(&before, &snapshot(&site.root)),
        Vec::<String>::new()
    );

    // scan still reports what the author wrote, on the same lines, now marked as rewritten.
    let (v, _) = site.json(&["scan", "--json", "."]);
    let post = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == "_posts/2021-04-02-writing-image-markdown.md")
        .unwrap();
    let refs = post["refs"].as_array().unwrap();
    assert_eq!(refs.len(), 1, "{post}");
    assert_eq!(refs[0]["line"], 44);
    assert_eq!(refs[0]["rewritten"], true);
    assert_eq!(refs[0]["url"], "{{site.baseurl}}/postimg/hubble.jpg");

    // check agrees.
    let out = site.run(&["check", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));

    // restore gives every post back, byte for byte.
    let out = site.run(&["restore", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(post_texts(&site), originals);

    // …and now check says stale, naming post:line.
    let out = site.run(&["check", "."]);
    assert_eq!(code(&out), 1, "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("_posts/2021-04-02-writing-image-markdown.md:44"));
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let site = TestSite::copy_of("site-example");
    let before = snapshot(&site.root);
    let out = site.run(&["build", "--dry-run", "."]);
    assert!(matches!(code(&out), 0 | 1), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--- a/_posts/2021-04-02-writing-image-markdown.md"),
        "{text}"
    );
    assert!(text.contains("\n-![The Hubble deep field]"), "{text}");
    assert!(text.contains("\n+<span class=\"postpix\""), "{text}");
    assert_eq!(
        changes(&before, &snapshot(&site.root)),
        Vec::<String>::new()
    );
    assert!(!site.path(".postpix").exists());
}

#[test]
fn out_writes_a_whole_site_and_leaves_the_source_untouched() {
    let site = TestSite::copy_of("site-example");
    let before = snapshot(&site.root);
    let out_dir = site.root.parent().unwrap().join("built");
    let out = site.run(&["build", ".", "--out", out_dir.to_str().unwrap()]);
    assert!(matches!(code(&out), 0 | 1), "{}", show(&out));
    assert_eq!(
        changes(&before, &snapshot(&site.root)),
        Vec::<String>::new()
    );
    let post = std::fs::read_to_string(out_dir.join("_posts/2021-04-02-writing-image-markdown.md"))
        .unwrap();
    assert!(post.contains("<picture>"));
    assert!(out_dir.join("_config.yml").exists());
    assert!(out_dir.join("postimg/orphan-unreferenced.png").exists());
    assert!(out_dir.join("postimg/responsive").is_dir());
    // A second --out build is a no-op there too.
    let built = snapshot(&out_dir);
    let out = site.run(&["build", ".", "--out", out_dir.to_str().unwrap()]);
    assert!(matches!(code(&out), 0 | 1), "{}", show(&out));
    assert_eq!(changes(&built, &snapshot(&out_dir)), Vec::<String>::new());
    let out = site.run(&["check", ".", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", show(&out));
}

#[test]
fn line_endings_bom_final_newline_and_mode_are_preserved() {
    let site = TestSite::copy_of("site-example");
    let p = site.path("_posts/2022-02-02-crlf.md");
    let text = "\u{feff}---\r\ntitle: crlf\r\n---\r\n\r\nText ![a]({{site.baseurl}}/postimg/wood.jpg) more.\r\n\r\n- item ![b](/postimg/dune.jpg)\r\n\r\n| a | b |\r\n|---|---|\r\n| ![c](/postimg/hubble.jpg) | x |";
    std::fs::write(&p, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let out = site.run(&["build", "."]);
    assert!(matches!(code(&out), 0 | 1), "{}", show(&out));
    let new = std::fs::read_to_string(&p).unwrap();
    assert!(new.starts_with('\u{feff}'));
    assert!(!new.ends_with('\n'));
    assert_eq!(new.matches("\r\n").count(), text.matches("\r\n").count());
    assert_eq!(
        new.matches('\n').count(),
        text.matches('\n').count(),
        "markup added a line"
    );
    assert_eq!(new.matches("<picture>").count(), 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    site.run(&["restore", "."]);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), text);
}

/// Only the first image of the rendered page is eager. A bilingual post includes both language
/// fragments and hides one: the fragment the page begins with gets the eager image, the other
/// fragment's images are lazy, and the post's own later image is lazy too. A fragment no page
/// begins with is lazy throughout.
#[test]
fn only_the_first_image_of_the_rendered_page_is_eager() {
    let site = TestSite::copy_of("site-report");
    let png = std::fs::read(site.path("postimg/toucan.png")).unwrap();
    for n in ["en.png", "fr.png", "own.png", "aside.png"] {
        std::fs::write(site.path(&format!("postimg/{n}")), &png).unwrap();
    }
    std::fs::create_dir_all(site.path("_includes")).unwrap();
    std::fs::write(
        site.path("_includes/en.md"),
        "![English](/postimg/en.png)\n",
    )
    .unwrap();
    std::fs::write(
        site.path("_includes/fr.md"),
        "![Français](/postimg/fr.png)\n",
    )
    .unwrap();
    std::fs::write(
        site.path("_includes/aside.md"),
        "![aside](/postimg/aside.png)\n",
    )
    .unwrap();
    std::fs::write(
        site.path("_posts/2021-02-01-bilingual.md"),
        "---\ntitle: Both\n---\n\n{% include en.md %}\n\n<div hidden>\n{% include fr.md %}\n</div>\n\n![own](/postimg/own.png)\n\n{% include aside.md %}\n",
    )
    .unwrap();
    let out = site.run(&["build"]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let eager = |rel: &str| {
        let t = site.read(rel);
        assert!(t.contains("<picture"), "{rel} was not rewritten:\n{t}");
        t.matches("loading=\"eager\"").count()
    };
    assert_eq!(
        eager("_includes/en.md"),
        1,
        "{}",
        site.read("_includes/en.md")
    );
    assert_eq!(
        eager("_includes/fr.md"),
        0,
        "{}",
        site.read("_includes/fr.md")
    );
    assert_eq!(eager("_includes/aside.md"), 0);
    assert_eq!(eager("_posts/2021-02-01-bilingual.md"), 0);
    // A post that begins with its own image keeps it eager.
    assert_eq!(eager("_posts/2021-01-01-pictures.md"), 1);
}

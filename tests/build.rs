//! `postpix build` on a copy of the site-example fixture, checked against issue 3's "done when":
//! variants for every still image, outputs that decode at the right size and upright, no EXIF,
//! sources untouched, a no-op second build, and a repair that rewrites only what was deleted.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

fn build(site: &TestSite, extra: &[&str]) -> Value {
    let mut args = vec!["build", "--json", "."];
    args.extend_from_slice(extra);
    let (v, out) = site.json(&args);
    assert!(matches!(code(&out), 0 | 1), "{}", show(&out));
    v
}

fn has_exif(bytes: &[u8]) -> bool {
    let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    find(b"Exif\0\0") || find(b"eXIf") || find(b"EXIF") || find(b"http://ns.adobe.com/xap")
}

/// Every image report by source, and by each name that shares its bytes (`same_as`: a hero
/// `img/post-bg-dune.jpg` is the same file as the body's `postimg/dune.jpg`, encoded once).
fn images_by_source(v: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for i in v["images"].as_array().unwrap() {
        out.insert(i["source"].as_str().unwrap().to_string(), i.clone());
        for twin in i["same_as"].as_array().into_iter().flatten() {
            out.insert(twin.as_str().unwrap().to_string(), i.clone());
        }
    }
    out
}

/// The `--json` report's fields: later work may add fields, never rename or drop one (CI
/// scripts read them).
fn assert_report_keeps_its_fields(v: &Value) {
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let has_all = |v: &Value, want: &[&str], what: &str| {
        let got = keys(v);
        for w in want {
            assert!(
                got.iter().any(|g| g == w),
                "{what} lost its field {w:?}: {got:?}"
            );
        }
    };
    has_all(
        v,
        &[
            "images", "posts", "left", "problems", "errors", "warnings", "summary",
        ],
        "the report",
    );
    has_all(
        &v["summary"],
        &[
            "encoded",
            "cached",
            "failed",
            "skipped",
            "variants_written",
            "variants_pruned",
            "posts_changed",
            "refs_rewritten",
            "refs_left",
            "bytes_before",
            "bytes_after",
            "errors",
        ],
        "the summary",
    );
    let image = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["variants"].as_array().is_some_and(|a| !a.is_empty()))
        .unwrap();
    has_all(
        image,
        &[
            "source",
            "status",
            "error",
            "variants",
            "dropped",
            "conversions",
            "bytes_before",
            "bytes_after",
        ],
        "an image",
    );
    has_all(
        &image["variants"][0],
        &["path", "format", "width", "height", "bytes"],
        "a variant",
    );
    has_all(&v["posts"][0], &["path", "changed", "rewritten"], "a post");
    if let Some(note) = v["left"].as_array().and_then(|a| a.first()) {
        has_all(note, &["post", "line", "message"], "a note");
    }
}

#[test]
fn site_example_build_meets_the_issue() {
    let site = TestSite::copy_of("site-example");
    let sources_before: BTreeMap<String, Vec<u8>> = snapshot(&site.root)
        .into_iter()
        .filter(|(k, _)| k.starts_with("postimg/") || k.starts_with("img/"))
        .map(|(k, (b, _))| (k, b))
        .collect();

    let v = build(&site, &[]);
    assert_report_keeps_its_fields(&v);
    let images = images_by_source(&v);
    assert!(!images.is_empty());
    for (src, img) in &images {
        let status = img["status"].as_str().unwrap();
        if status == "skipped" {
            // Only animations may be skipped, and they must say so.
            assert!(
                img["error"].as_str().unwrap().contains("animated"),
                "{src}: {img}"
            );
            continue;
        }
        assert_eq!(status, "encoded", "{src}: {img}");
        let variants = img["variants"].as_array().unwrap();
        let webp = variants.iter().filter(|x| x["format"] == "webp").count();
        let drops = img["dropped"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["format"] == "webp")
            .count();
        assert!(
            webp > 0 || drops > 0,
            "{src}: no WebP and no drop reason: {img}"
        );

        let src_img = image::ImageReader::open(site.path(src))
            .unwrap()
            .with_guessed_format()
            .unwrap();
        let (sw, sh) = src_img.into_dimensions().unwrap();
        let probe = postpix::probe::probe(&std::fs::read(site.path(src)).unwrap()).unwrap();
        let (uw, uh) = (probe.width, probe.height);
        assert!(
            (uw, uh) == (sw, sh) || (uw, uh) == (sh, sw),
            "{src}: upright size {uw}x{uh} vs stored {sw}x{sh}"
        );
        for var in variants {
            let path = var["path"].as_str().unwrap();
            let bytes = std::fs::read(site.path(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(bytes.len() as u64, var["bytes"].as_u64().unwrap(), "{path}");
            assert!(!has_exif(&bytes), "{path} carries EXIF/XMP");
            let dec = image::load_from_memory(&bytes)
                .unwrap_or_else(|e| panic!("{path} does not decode: {e}"));
            let (w, h) = (dec.width(), dec.height());
            assert_eq!(
                (w, h),
                (
                    var["width"].as_u64().unwrap() as u32,
                    var["height"].as_u64().unwrap() as u32
                ),
                "{path}"
            );
            assert!(w <= uw, "{path}: {w} px is wider than the source ({uw} px)");
            let expect_h = uh as f64 * w as f64 / uw as f64;
            assert!(
                (h as f64 - expect_h).abs() <= 1.0,
                "{path}: {w}x{h}, expected height {expect_h:.1}"
            );
        }
    }

    // EXIF orientation 6 and 8 sources come out portrait.
    for src in [
        "postimg/H9hmcrcqXVibHrSWQUzksAILzeewmsHHfiaW7aka6C1LRQhiadjtRG13icAZRnUTrJDmjicXZvuxAJ2t5zRSf0Lcctw.jpeg",
        "postimg/my photo.jpg",
    ] {
        let stored = image::image_dimensions(site.path(src)).unwrap();
        assert!(stored.0 > stored.1, "{src} is stored landscape");
        for var in images[src]["variants"].as_array().unwrap() {
            assert!(var["height"].as_u64() > var["width"].as_u64(), "{src}: {var} is not upright");
        }
    }

    // Sources are byte-identical.
    for (k, b) in &sources_before {
        assert_eq!(&std::fs::read(site.path(k)).unwrap(), b, "{k} was modified");
    }

    // A second build encodes nothing and changes no file (bytes or mtime).
    let before = snapshot(&site.root);
    let v2 = build(&site, &[]);
    assert_eq!(v2["summary"]["encoded"], 0, "{}", v2["summary"]);
    assert_eq!(v2["summary"]["variants_written"], 0);
    assert_eq!(
        changes(&before, &snapshot(&site.root)),
        Vec::<String>::new()
    );

    // Deleting one variant makes the next build rewrite only that one.
    let victim = images["postimg/wood.jpg"]["variants"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_file(site.path(&victim)).unwrap();
    let before = snapshot(&site.root);
    let v3 = build(&site, &[]);
    assert_eq!(v3["summary"]["variants_written"], 1, "{}", v3["summary"]);
    let diff = changes(&before, &snapshot(&site.root));
    let non_cache: Vec<_> = diff.iter().filter(|c| !c.contains(".postpix/")).collect();
    assert_eq!(non_cache, vec![&format!("added {victim}")]);

    // An altered variant is repaired too.
    std::fs::write(site.path(&victim), b"not what postpix wrote").unwrap();
    let v4 = build(&site, &[]);
    assert_eq!(v4["summary"]["variants_written"], 1, "{}", v4["summary"]);
    assert!(image::load_from_memory(&std::fs::read(site.path(&victim)).unwrap()).is_ok());
}

#[test]
fn identical_bytes_are_encoded_once_and_orphans_untouched() {
    let site = TestSite::copy_of("site-example");
    let orphan = std::fs::read(site.path("postimg/orphan-unreferenced.png")).unwrap();
    let v = build(&site, &[]);
    let images = images_by_source(&v);
    // freshflower.jpg and IMG_0001.JPG hold the same bytes; so do rocket.jpg and rocket.gif.
    let ff = &images["postimg/IMG_0001.JPG"];
    assert_eq!(
        ff["same_as"],
        serde_json::json!(["postimg/freshflower.jpg"]),
        "{ff}"
    );
    let sources: Vec<&Value> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["source"])
        .collect();
    assert!(
        !sources.contains(&&serde_json::json!("postimg/freshflower.jpg")),
        "{sources:?}"
    );
    assert_eq!(
        std::fs::read(site.path("postimg/orphan-unreferenced.png")).unwrap(),
        orphan
    );
    let listing: Vec<String> = std::fs::read_dir(site.path("postimg/responsive"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !listing.iter().any(|n| n.starts_with("orphan")),
        "{listing:?}"
    );
    for n in &listing {
        assert!(
            n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
            "variant name is not URL-safe: {n}"
        );
    }
}

#[test]
fn changed_settings_prune_only_what_postpix_wrote() {
    let site = TestSite::copy_of("site-example");
    build(&site, &["--widths", "480,960"]);
    std::fs::write(site.path("postimg/responsive/user-file.txt"), b"mine").unwrap();
    let v = build(&site, &["--widths", "320"]);
    assert!(
        v["summary"]["variants_pruned"].as_u64().unwrap() > 0,
        "{}",
        v["summary"]
    );
    for e in std::fs::read_dir(site.path("postimg/responsive")).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            n == "user-file.txt" || n.contains("-320.") || !n.contains("-480."),
            "{n} survived pruning"
        );
    }
    assert!(site.path("postimg/responsive/user-file.txt").exists());
}

#[test]
fn a_broken_image_fails_alone_with_exit_1() {
    let site = TestSite::copy_of("site-example");
    let full = std::fs::read(site.path("postimg/wood.jpg")).unwrap();
    std::fs::write(site.path("postimg/wood.jpg"), &full[..full.len() / 3]).unwrap();
    std::fs::write(site.path("postimg/hubble.jpg"), b"this is not a jpeg").unwrap();
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 1, "{}", show(&out));
    let images = images_by_source(&v);
    assert_eq!(
        images["postimg/wood.jpg"]["status"], "failed",
        "{}",
        images["postimg/wood.jpg"]
    );
    assert!(images["postimg/dune.jpg"]["status"] == "encoded");
}

#[test]
fn colliding_names_never_overwrite_each_other() {
    let site = TestSite::copy_of("site-example");
    for e in std::fs::read_dir(site.path("_posts")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    let corpus = |n: &str| std::fs::read(fixture(&format!("corpus/{n}"))).unwrap();
    std::fs::write(site.path("postimg/a.jpeg"), corpus("photo-storm.jpg")).unwrap();
    std::fs::write(site.path("postimg/a.png"), corpus("screenshot-gnome.png")).unwrap();
    std::fs::write(site.path("postimg/Abc.jpeg"), corpus("rocket.jpg")).unwrap();
    std::fs::write(site.path("postimg/abc.jpeg"), corpus("photo-dune.jpg")).unwrap();
    std::fs::write(
        site.path("_posts/2024-01-01-names.md"),
        "![1](/postimg/a.jpeg)\n\n![2](/postimg/a.png)\n\n![3](/postimg/Abc.jpeg)\n\n![4](/postimg/abc.jpeg)\n",
    )
    .unwrap();
    let v = build(&site, &[]);
    let images = images_by_source(&v);
    let mut seen = std::collections::BTreeSet::new();
    for src in [
        "postimg/a.jpeg",
        "postimg/a.png",
        "postimg/Abc.jpeg",
        "postimg/abc.jpeg",
    ] {
        let img = &images[src];
        assert_eq!(img["status"], "encoded", "{src}: {img}");
        let (sw, sh) = image::image_dimensions(site.path(src)).unwrap();
        for var in img["variants"].as_array().unwrap() {
            let path = var["path"].as_str().unwrap().to_string();
            assert!(
                seen.insert(path.to_ascii_lowercase()),
                "{path} is shared by two sources"
            );
            let (w, h) = image::image_dimensions(site.path(&path)).unwrap();
            let ratio = |a: u32, b: u32| a as f64 / b as f64;
            assert!(
                (ratio(w, h) - ratio(sw, sh)).abs() < 0.02,
                "{path} holds another image than {src}"
            );
        }
    }
}

#[test]
fn out_mirrors_deletions_of_what_postpix_copied_and_nothing_else() {
    let site = TestSite::copy_of("site-example");
    let out_dir = site.root.parent().unwrap().join("_built");
    let out_s = out_dir.to_string_lossy().into_owned();
    build(&site, &["--out", &out_s]);
    let post = "_posts/2021-05-18-odd-paths.md";
    let image = "img/post-bg-dune.jpg";
    assert!(out_dir.join(post).exists() && out_dir.join(image).exists());
    // The user's own file in --out, and one beside a mirrored folder.
    std::fs::write(out_dir.join("CNAME"), "example.org\n").unwrap();
    std::fs::write(out_dir.join("img/mine.txt"), "mine\n").unwrap();
    std::fs::remove_file(site.path(post)).unwrap();
    std::fs::remove_file(site.path(image)).unwrap();
    build(&site, &["--out", &out_s]);
    assert!(
        !out_dir.join(post).exists(),
        "the deleted post is still published"
    );
    assert!(
        !out_dir.join(image).exists(),
        "the deleted image is still published"
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("CNAME")).unwrap(),
        "example.org\n"
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("img/mine.txt")).unwrap(),
        "mine\n"
    );
    assert!(out_dir.join("_posts/2021-07-15-format-zoo.md").exists());
}

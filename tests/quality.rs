//! `--quality auto`: every lossy variant's quality is searched per image and format so its
//! SSIMULACRA2 reaches `--target`; the report says what was chosen and measured; the choice is
//! remembered (a rebuild searches nothing, a repair re-makes the remembered quality); `--quality
//! N` keeps one fixed quality.
#![allow(clippy::unwrap_used)]

mod common;

use common::{code, fixture, show, TestSite};
use postpix::encode::{avif, decode, judge, resize::Resizer, DecodeLimits, Pixels};

/// A photo (JPEG), a photo PNG, a graphic, a transparent picture.
const IMAGES: &[&str] = &[
    "photo-dune.jpg",
    "photo-coffee.png",
    "diagram-release-cycle.png",
    "alpha-skimage-logo.png",
];

fn site() -> TestSite {
    site_of(IMAGES)
}

/// A site `q` with one post showing the corpus files `names`.
fn site_of(names: &[&str]) -> TestSite {
    let site = TestSite::copy_of("site-example");
    let root = site.root.join("q");
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::create_dir_all(root.join("img")).unwrap();
    let mut post = String::from("---\ntitle: q\n---\n");
    for name in names {
        std::fs::copy(fixture("corpus").join(name), root.join("img").join(name)).unwrap();
        post.push_str(&format!("![{name}](/img/{name})\n\n"));
    }
    std::fs::write(root.join("_posts/2020-01-01-q.md"), post).unwrap();
    std::fs::write(root.join("_config.yml"), "title: q\n").unwrap();
    site
}

fn build(site: &TestSite, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--json", "build", "q", "--no-rewrite", "--out", "out"];
    args.extend_from_slice(extra);
    let (v, out) = site.json(&args);
    assert_eq!(code(&out), 0, "{}", show(&out));
    v
}

fn decode_file(bytes: &[u8]) -> Pixels {
    if bytes.get(8..12) == Some(b"WEBP") {
        return postpix::encode::webp::decode(bytes).unwrap();
    }
    if bytes.get(4..12) == Some(b"ftypavif") {
        return avif::decode(bytes).unwrap();
    }
    decode::decode(bytes, &DecodeLimits::default())
        .unwrap()
        .pixels
}

/// Score a variant file on disk against the source resized to its size, independently of the
/// build's own numbers.
fn score_of(site: &TestSite, source: &str, variant: &str) -> f64 {
    let src = decode_file(&std::fs::read(site.root.join("q").join(source)).unwrap());
    let out = decode_file(&std::fs::read(site.root.join("out").join(variant)).unwrap());
    let reference = Resizer::new()
        .to_width(&src, out.width)
        .unwrap()
        .into_owned();
    // The decoder gives RGBA only where some pixel is not opaque; compare like with like.
    judge::score(&reference, &out).unwrap()
}

fn variants(v: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    v["images"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| {
            let src = i["source"].as_str().unwrap().to_string();
            i["variants"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |x| (src.clone(), x.clone()))
        })
        .collect()
}

#[test]
fn auto_quality_reaches_its_target_where_it_measured() {
    let site = site();
    let target = 70.0;
    let v = build(&site, &["--target", "70"]);
    let mut checked = 0;
    for (src, var) in variants(&v) {
        let path = var["path"].as_str().unwrap();
        // Every variant reports its format, bytes and bits per pixel; lossy ones their quality.
        for field in [
            "format",
            "bytes",
            "bits_per_pixel",
            "quality",
            "ssimulacra2",
        ] {
            assert!(var.get(field).is_some(), "{path}: no {field} in {var}");
        }
        let Some(reported) = var["ssimulacra2"].as_f64() else {
            continue;
        };
        let measured = score_of(&site, &src, path);
        assert!(
            (measured - reported).abs() < 0.5,
            "{path}: reported {reported}, measured {measured}"
        );
        assert!(
            measured >= target - 0.5,
            "{path}: {measured} below the target {target}"
        );
        checked += 1;
    }
    assert!(
        checked >= IMAGES.len(),
        "only {checked} variants were scored"
    );
    let sm = &v["summary"];
    assert_eq!(sm["quality_searches"], IMAGES.len(), "{sm}");
    assert!(sm["search_encodes"].as_u64().unwrap() >= IMAGES.len() as u64);
    assert!(
        sm["ssimulacra2_min"].as_f64().unwrap() >= target - 0.5,
        "{sm}"
    );
    for field in [
        "ssimulacra2_mean",
        "bytes_at_1440_avif",
        "bytes_at_1440_webp",
        "bytes_at_1440_fallback",
    ] {
        assert!(sm[field].is_number(), "{field} missing: {sm}");
    }
}

#[test]
fn a_higher_target_costs_more_bytes_and_scores_higher() {
    let (a, b) = (site(), site());
    let low = build(&a, &["--target", "60"]);
    let high = build(&b, &["--target", "85"]);
    let webp_bytes = |v: &serde_json::Value| -> u64 {
        variants(v)
            .iter()
            .filter(|(_, x)| x["format"] == "webp")
            .map(|(_, x)| x["bytes"].as_u64().unwrap())
            .sum()
    };
    let show = |v: &serde_json::Value| {
        variants(v)
            .iter()
            .map(|(_, x)| {
                format!(
                    "{} {} q{} s{}",
                    x["path"], x["bytes"], x["quality"], x["ssimulacra2"]
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        webp_bytes(&low) < webp_bytes(&high),
        "{}\n---\n{}",
        show(&low),
        show(&high)
    );
    let mean = |v: &serde_json::Value| v["summary"]["ssimulacra2_mean"].as_f64().unwrap();
    assert!(mean(&low) < mean(&high), "{} < {}", mean(&low), mean(&high));
}

#[test]
fn the_choice_is_cached_and_a_repair_reuses_it() {
    let site = site();
    let first = build(&site, &[]);
    assert_eq!(first["summary"]["quality_searches"], IMAGES.len());
    // A rebuild of an unchanged site searches (and encodes) nothing.
    let again = build(&site, &[]);
    assert_eq!(
        again["summary"]["quality_searches"], 0,
        "{}",
        again["summary"]
    );
    assert_eq!(again["summary"]["encoded"], 0);
    // Same numbers reported from the manifest.
    assert_eq!(variants(&first), variants(&again));
    // A missing variant is re-made at the remembered quality, byte for byte, without a search.
    let (_, lost) = variants(&first)
        .into_iter()
        .find(|(_, x)| x["format"] == "webp" && x["ssimulacra2"].is_null())
        .expect("a lossy WebP at a width that was not searched");
    let path = site.root.join("out").join(lost["path"].as_str().unwrap());
    let before = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let repaired = build(&site, &[]);
    assert_eq!(repaired["summary"]["quality_searches"], 0);
    assert_eq!(repaired["summary"]["variants_written"], 1);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_fixed_quality_searches_nothing_and_says_so() {
    let site = site();
    let v = build(&site, &["--quality", "80"]);
    assert_eq!(v["summary"]["quality_searches"], 0);
    for (src, var) in variants(&v) {
        match var["quality"].as_f64() {
            Some(q) => assert_eq!(q, 80.0, "{src}: {var}"),
            None => assert!(var["format"] != "jpeg", "{src}: {var}"),
        }
    }
    let bad = site.run(&["build", "q", "--quality", "best"]);
    assert_ne!(code(&bad), 0);
}

#[test]
fn the_avif_job_reports_avif_scores_and_what_an_avif_reader_downloads() {
    let site = site();
    let v = build(&site, &["--formats", "avif,webp"]);
    let target = 72.0;
    let mut scored = 0;
    for (src, var) in variants(&v) {
        if var["format"] != "avif" {
            continue;
        }
        let path = var["path"].as_str().unwrap();
        assert!(var["quality"].is_number(), "{path}: {var}");
        let Some(reported) = var["ssimulacra2"].as_f64() else {
            continue;
        };
        let measured = score_of(&site, &src, path);
        assert!(
            (measured - reported).abs() < 0.5,
            "{path}: {reported} vs {measured}"
        );
        assert!(measured >= target - 0.5, "{path}: {measured}");
        scored += 1;
    }
    assert!(scored >= 2, "only {scored} AVIF variants were scored");
    let sm = &v["summary"];
    let n = |k: &str| {
        sm[k]
            .as_f64()
            .unwrap_or_else(|| panic!("{k} missing: {sm}"))
    };
    assert!(n("avif_ssimulacra2_min") >= target - 0.5, "{sm}");
    assert!(
        n("avif_ssimulacra2_mean") >= n("avif_ssimulacra2_min"),
        "{sm}"
    );
    // AVIF is kept only where it beats WebP, so an AVIF reader never downloads more.
    assert!(n("bytes_at_1440_avif") < n("bytes_at_1440_webp"), "{sm}");
    assert!(
        n("bytes_at_1440_webp") < n("bytes_at_1440_fallback"),
        "{sm}"
    );
    // The human summary says the same.
    let out = site.run(&[
        "build",
        "q",
        "--no-rewrite",
        "--out",
        "out",
        "--formats",
        "avif,webp",
    ]);
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("with AVIF,") && text.contains("AVIF mean"),
        "{text}"
    );
}

/// The corpus images whose largest width scored 59.5 and 73.6 at the quality found at 480 px
/// before the check on the largest width existed (target 72): the wallpaper needs a higher
/// quality there, the flower photo can take a lower one.
#[test]
fn the_largest_width_gets_its_own_quality_and_reaches_the_target() {
    let names = ["wallpaper-rgb-icc.png", "photo-freshflower-progressive.jpg"];
    let site = site_of(&names);
    let v = build(&site, &[]);
    let (target, tolerance) = (72.0, 3.5);
    for (name, raised) in [(names[0], true), (names[1], false)] {
        let mut lossy: Vec<serde_json::Value> = variants(&v)
            .into_iter()
            .filter(|(src, x)| src.ends_with(name) && x["format"] == "webp")
            .map(|(_, x)| x)
            .filter(|x| x["quality"].is_number())
            .collect();
        lossy.sort_by_key(|x| x["width"].as_u64());
        let (probe, largest) = (&lossy[0], &lossy[lossy.len() - 1]);
        assert_eq!(probe["width"], 480, "{lossy:?}");
        assert_eq!(largest["width"], 1440, "{lossy:?}");
        let path = largest["path"].as_str().unwrap();
        let measured = score_of(&site, &format!("img/{name}"), path);
        assert!(
            (measured - target).abs() <= tolerance,
            "{path}: {measured:.1}, target {target} ± {tolerance}"
        );
        let (q480, q1440) = (probe["quality"].as_f64(), largest["quality"].as_f64());
        if raised {
            assert!(q1440 > q480, "{name}: q{q1440:?} at 1440, q{q480:?} at 480");
        } else {
            assert!(q1440 < q480, "{name}: q{q1440:?} at 1440, q{q480:?} at 480");
        }
    }
    // A repair re-makes the largest at its own quality, byte for byte, without a search.
    let (_, largest) = variants(&v)
        .into_iter()
        .filter(|(src, x)| src.ends_with(names[0]) && x["format"] == "webp")
        .max_by_key(|(_, x)| x["width"].as_u64())
        .unwrap();
    let path = site
        .root
        .join("out")
        .join(largest["path"].as_str().unwrap());
    let before = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let repaired = build(&site, &[]);
    assert_eq!(repaired["summary"]["quality_searches"], 0);
    assert_eq!(repaired["summary"]["variants_written"], 1);
    assert!(
        std::fs::read(&path).unwrap() == before,
        "repair changed {}",
        path.display()
    );
}

/// The floor: no kept still WebP of the fixture corpus scores below 60 (by the whole
/// picture against the resized source), in the default job. Before the check on the largest
/// width, a banner GIF at 1278 px scored 62.2 and a wallpaper PNG at 1440 px 59.5; a lossy WebP
/// that no quality brings to 60 becomes lossless (scored 100), which the size guard drops
/// where the fallback is smaller (and then the report names it among the dropped).
#[test]
fn no_kept_still_webp_of_the_corpus_scores_below_60() {
    let dir = fixture("corpus");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            let ext = n.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
            ["png", "jpg", "jpeg", "gif"].contains(&ext.as_str())
        })
        .filter(|n| {
            // Animations (more than one graphic control block) are not still images.
            let b = std::fs::read(dir.join(n)).unwrap();
            !b.starts_with(b"GIF") || b.windows(3).filter(|w| w == b"\x21\xf9\x04").count() <= 1
        })
        .collect();
    names.sort();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let site = site_of(&refs);
    let v = build(&site, &[]);
    let lossy: Vec<(String, String)> = variants(&v)
        .into_iter()
        .filter(|(_, x)| x["format"] == "webp" && x["quality"].is_number())
        .map(|(src, x)| (src, x["path"].as_str().unwrap().to_string()))
        .collect();
    assert!(lossy.len() > 80, "only {} lossy WebP variants", lossy.len());
    let (first, second) = lossy.split_at(lossy.len() / 2);
    let low: Vec<String> = std::thread::scope(|s| {
        let run = |part: &[(String, String)]| {
            part.iter()
                .map(|(src, path)| (path.clone(), score_of(&site, src, path)))
                .filter(|(_, score)| *score < 60.0)
                .map(|(path, score)| format!("{path}: {score:.1}"))
                .collect::<Vec<_>>()
        };
        let a = s.spawn(move || run(first));
        let mut low = run(second);
        low.extend(a.join().unwrap());
        low
    });
    assert!(low.is_empty(), "kept WebP below 60:\n{}", low.join("\n"));
}

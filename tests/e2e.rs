//! End to end: postpix rewrites a site, a real Jekyll (Debian's) renders it, a real Chromium
//! (Debian's, driven by playwright-core from `tests/e2e/`) loads every post at 375 px × DPR 2,
//! 768 px and 1440 px × DPR 1, and the test holds what the browser saw against the same site
//! rendered before postpix ran: every image that loaded before has the same rendered box after
//! (within a pixel), whatever the author's markup said about its size.
//!
//! The same check runs on a Hugo site (tests/fixtures/site-hugo) built by Debian's `hugo` and
//! on an Eleventy site (tests/fixtures/site-eleventy) built by npm's `@11ty/eleventy`.
//!
//! Needs `jekyll`, `hugo`, `/usr/bin/chromium`, `node` and `tests/e2e/node_modules` — `scripts/test.sh`
//! installs them all. Without them this test fails rather than skipping: CI must run it.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

fn require_tools() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let missing: Vec<&str> = [
        (
            "jekyll",
            Command::new("jekyll").arg("--version").output().is_ok(),
        ),
        ("hugo", Command::new("hugo").arg("version").output().is_ok()),
        ("/usr/bin/chromium", Path::new("/usr/bin/chromium").exists()),
        (
            "node",
            Command::new("node").arg("--version").output().is_ok(),
        ),
        (
            "tests/e2e/node_modules/playwright-core",
            repo.join("tests/e2e/node_modules/playwright-core").exists(),
        ),
        (
            "tests/e2e/node_modules/@11ty/eleventy",
            repo.join("tests/e2e/node_modules/@11ty/eleventy").exists(),
        ),
    ]
    .into_iter()
    .filter(|(_, ok)| !ok)
    .map(|(n, _)| n)
    .collect();
    assert!(
        missing.is_empty(),
        "the end-to-end test needs {missing:?}; run `bash scripts/test.sh`, which installs them"
    );
}

/// `jekyll build` of `site` into `dest/<baseurl>`; returns the post pages, relative to `dest`.
fn jekyll(site: &Path, dest: &Path, baseurl: &str) -> Vec<String> {
    jekyll_run(site, dest, baseurl);
    post_pages(dest)
}

/// `jekyll build` of `site` into `dest/<baseurl>`, with `POSTPIX_BIN` naming the binary under
/// test (for the plugin, `jekyll/postpix.rb`, when the site has it in `_plugins/`); its output.
fn jekyll_run(site: &Path, dest: &Path, baseurl: &str) -> std::process::Output {
    let out_dir = dest.join(baseurl.trim_start_matches('/'));
    let bin = std::env::var_os("POSTPIX_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_postpix").into());
    let out = Command::new("jekyll")
        .args(["build", "-s"])
        .arg(site)
        .arg("-d")
        .arg(&out_dir)
        .env("JEKYLL_ENV", "production")
        .env("POSTPIX_BIN", bin)
        .output()
        .unwrap();
    assert!(out.status.success(), "jekyll build failed:\n{}", show(&out));
    out
}

/// The post pages under `dest`, relative to it.
fn post_pages(dest: &Path) -> Vec<String> {
    let mut pages = Vec::new();
    for e in walkdir::WalkDir::new(dest).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e
            .path()
            .strip_prefix(dest)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let is_post = rel.split('/').any(|s| s.len() == 4 && s.starts_with("20"));
        if e.file_type().is_file() && rel.ends_with(".html") && is_post {
            pages.push(rel.trim_end_matches("index.html").to_string());
        }
    }
    assert!(
        !pages.is_empty(),
        "jekyll produced no post pages in {}",
        dest.display()
    );
    pages
}

/// The generator that renders a fixture site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Generator<'a> {
    /// Debian's `jekyll`, with this `baseurl`.
    Jekyll(&'a str),
    /// Debian's `hugo`.
    Hugo,
    /// npm's `@11ty/eleventy`, from `tests/e2e/node_modules`.
    Eleventy,
}

impl Generator<'_> {
    /// Build `site` into `dest`; returns the post pages, relative to `dest`.
    fn render(self, site: &Path, dest: &Path) -> Vec<String> {
        match self {
            Generator::Jekyll(baseurl) => jekyll(site, dest, baseurl),
            Generator::Hugo => hugo(site, dest),
            Generator::Eleventy => eleventy(site, dest),
        }
    }
}

/// `eleventy` of `site` into `dest`; returns the pages under `posts/`, relative to `dest`.
fn eleventy(site: &Path, dest: &Path) -> Vec<String> {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/node_modules/.bin/eleventy");
    let out = Command::new(bin)
        .args(["--quiet", "--input=."])
        .arg(format!("--output={}", dest.display()))
        .current_dir(site)
        .output()
        .unwrap();
    assert!(out.status.success(), "eleventy failed:\n{}", show(&out));
    posts_under(dest)
}

/// `hugo` of `site` into `dest`; returns the pages under `posts/`, relative to `dest`.
fn hugo(site: &Path, dest: &Path) -> Vec<String> {
    let out = Command::new("hugo")
        .args(["--quiet", "--source"])
        .arg(site)
        .arg("--destination")
        .arg(dest)
        .output()
        .unwrap();
    assert!(out.status.success(), "hugo failed:\n{}", show(&out));
    posts_under(dest)
}

/// The pages a generator wrote under `dest/posts/` (each `posts/<name>/index.html`).
fn posts_under(dest: &Path) -> Vec<String> {
    let mut pages = Vec::new();
    for e in walkdir::WalkDir::new(dest.join("posts")).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e
            .path()
            .strip_prefix(dest)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if e.file_type().is_file() && rel.ends_with("/index.html") && e.depth() > 1 {
            pages.push(rel.trim_end_matches("index.html").to_string());
        }
    }
    assert!(
        !pages.is_empty(),
        "hugo produced no pages in {}",
        dest.display()
    );
    pages
}

/// Load the pages in Chromium; the JSON that `tests/e2e/check.mjs` prints.
/// `viewports` (JSON, see check.mjs) replaces its default set.
fn browse(dest: &Path, pages: &[String], viewports: Option<&str>) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/check.mjs");
    let mut cmd = Command::new("node");
    cmd.arg(&script).arg(dest).args(pages);
    if let Some(v) = viewports {
        cmd.env("POSTPIX_E2E_VIEWPORTS", v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "browser run failed:\n{}", show(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The file under `dest` that a URL of the test server names.
fn file_of(dest: &Path, base: &str, url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix(base)?;
    let path = path.split(['?', '#']).next()?;
    let decoded = percent_decode(path);
    Some(dest.join(decoded.trim_start_matches('/')))
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A srcset's candidates as (width descriptor, URL).
fn candidates(srcset: &str) -> impl Iterator<Item = (u32, String)> + '_ {
    srcset.split(',').filter_map(|c| {
        let mut it = c.split_whitespace();
        let url = it.next()?;
        let w: u32 = it.next()?.trim_end_matches('w').parse().ok()?;
        Some((w, url.to_string()))
    })
}

fn largest_candidate(srcset: &str) -> Option<String> {
    candidates(srcset).max_by_key(|(w, _)| *w).map(|(_, u)| u)
}

fn smallest_candidate(srcset: &str) -> Option<String> {
    candidates(srcset).min_by_key(|(w, _)| *w).map(|(_, u)| u)
}

fn file_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// As `build_args` of [`check_site`]: no `postpix build`, the plugin renders the site instead.
const PLUGIN: &str = "<the jekyll plugin>";

fn check_site(site: &TestSite, baseurl: &str, build_args: &[&str]) -> usize {
    check_site_at(site, Generator::Jekyll(baseurl), build_args, None)
}

/// [`check_site`] at the `viewports` given (JSON, see check.mjs), or check.mjs's default set.
fn check_site_at(
    site: &TestSite,
    generator: Generator<'_>,
    build_args: &[&str],
    viewports: Option<&str>,
) -> usize {
    let work = tempfile::tempdir().unwrap();
    let before_dest = work.path().join("before");
    let after_dest = work.path().join("after");

    let pages = generator.render(&site.root, &before_dest);
    let before = browse(&before_dest, &pages, viewports);

    let pages_after = if build_args == [PLUGIN] {
        // The plugin: a plain `jekyll build` with jekyll/postpix.rb in _plugins/.
        let plugins = site.path("_plugins");
        std::fs::create_dir_all(&plugins).unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(repo.join("jekyll/postpix.rb"), plugins.join("postpix.rb")).unwrap();
        let Generator::Jekyll(baseurl) = generator else {
            panic!("the plugin is Jekyll's")
        };
        jekyll_run(&site.root, &after_dest, baseurl);
        post_pages(&after_dest)
    } else {
        let mut args = vec!["build", "."];
        args.extend_from_slice(build_args);
        let out = site.run(&args);
        assert_eq!(code(&out), 0, "{}", show(&out));
        generator.render(&site.root, &after_dest)
    };
    assert_eq!(pages, pages_after);
    let after = browse(&after_dest, &pages, viewports);
    let base = after["base"].as_str().unwrap().to_string();
    let before_base = before["base"].as_str().unwrap().to_string();

    let mut checked = 0;
    let mut animations = 0;
    let mut avifs = 0;
    let mut sized = 0;
    let b_results = before["results"].as_array().unwrap();
    let a_results = after["results"].as_array().unwrap();
    assert_eq!(b_results.len(), a_results.len());
    for (b, a) in b_results.iter().zip(a_results) {
        let page = a["page"].as_str().unwrap();
        let ctx = format!("{page} @ {} px × DPR {}", a["viewport"], a["dpr"]);
        assert!(
            a["escapedMarkup"].as_u64() <= b["escapedMarkup"].as_u64(),
            "{ctx}: markup or Liquid shows up as visible text ({} before, {} after)",
            b["escapedMarkup"],
            a["escapedMarkup"]
        );
        let bi = b["images"].as_array().unwrap();
        let ai = a["images"].as_array().unwrap();
        assert_eq!(bi.len(), ai.len(), "{ctx}: number of images changed");
        for (x, y) in bi.iter().zip(ai) {
            let was_ok = x["naturalWidth"].as_u64().unwrap_or(0) > 0;
            if was_ok && !orientation_disagrees(x) {
                same_box(&ctx, x, y);
            }
            if !y["rewritten"].as_bool().unwrap() {
                // Left as it was: same URL, same fate.
                assert_eq!(
                    x["src"], y["src"],
                    "{ctx}: a reference postpix did not rewrite changed"
                );
                assert_eq!(
                    was_ok,
                    y["naturalWidth"].as_u64().unwrap_or(0) > 0,
                    "{ctx}: {y}"
                );
                continue;
            }
            if !was_ok {
                // Already broken on the published site (baseurl bypassed, or a document-relative
                // path the browser resolves against the post URL): it stays broken, and says so.
                continue;
            }
            checked += 1;
            assert!(
                y["complete"].as_bool().unwrap() && y["naturalWidth"].as_u64().unwrap() > 0,
                "{ctx}: broken picture {y}"
            );
            check_candidates(&ctx, &after_dest, &base, y);
            let current = y["currentSrc"].as_str().unwrap();
            if y["hasAvifSource"].as_bool().unwrap() {
                // Chromium decodes AVIF: the first <source> wins.
                assert!(
                    current.ends_with(".avif"),
                    "{ctx}: served {current}, not the AVIF"
                );
                avifs += 1;
            } else if y["hasWebpSource"].as_bool().unwrap() {
                assert!(
                    current.ends_with(".webp"),
                    "{ctx}: served {current}, not the WebP"
                );
            }
            let source = file_of(
                &before_dest,
                &before_base,
                x["currentSrc"].as_str().unwrap(),
            );
            animations += check_animation(source.as_deref(), &ctx, y);
            let f = file_of(&after_dest, &base, current).unwrap();
            let real_w = if current.ends_with(".avif") {
                let bytes = std::fs::read(&f).unwrap();
                postpix::encode::avif::decode(&bytes)
                    .unwrap_or_else(|| panic!("{ctx}: {} unreadable", f.display()))
                    .width
            } else {
                image::image_dimensions(&f)
                    .unwrap_or_else(|e| panic!("{ctx}: {} unreadable: {e}", f.display()))
                    .0
            };
            let need = y["renderedWidth"].as_f64().unwrap() * a["dpr"].as_f64().unwrap();
            let set = if current.ends_with(".webp") {
                &y["webpSrcset"]
            } else if current.ends_with(".avif") {
                &y["avifSrcset"]
            } else {
                &y["imgSrcset"]
            };
            let largest = set
                .as_str()
                .and_then(largest_candidate)
                .map(|u| file_name(&u).to_string())
                .unwrap_or_else(|| file_name(current).to_string());
            assert!(
                real_w as f64 >= need.floor() || file_name(current) == largest,
                "{ctx}: chose {current} ({real_w} px) for a {need} px slot, and it is not the largest"
            );
            // At most twice what the slot needs (unless it is the smallest). The one exception
            // is an image the author sized by a `height` attribute alone: the theme's CSS
            // decides its width (see check.mjs), so postpix keeps the column's list, which may
            // be more than twice it, but never blurs; those are listed on stderr.
            let smallest = set
                .as_str()
                .and_then(smallest_candidate)
                .map(|u| file_name(&u).to_string())
                .unwrap_or_else(|| file_name(current).to_string());
            let over = need >= 1.0 && real_w as f64 > 2.0 * need.ceil();
            let why = format!(
                "{ctx}: chose {current} ({real_w} px) for a {need} px slot, over twice it \
                 (sizes={}, loading={})",
                y["sizes"], y["loading"]
            );
            if over && file_name(current) != smallest {
                if y["heightAttrOnly"].as_bool().unwrap() {
                    eprintln!("over 2x, sized by a height attribute alone: {why}");
                } else {
                    panic!("{why}");
                }
            }
            sized += 1;
        }
        let broken_before = |url: &str| {
            bi.iter().zip(ai).any(|(x, y)| {
                x["naturalWidth"] == 0
                    && y["candidates"].as_array().unwrap().iter().any(|c| c == url)
            })
        };
        for f in a["failed"].as_array().unwrap() {
            let url = f["url"].as_str().unwrap();
            assert!(broken_before(url), "{ctx}: request for {url} failed: {f}");
        }
        for r in a["responses"].as_array().unwrap() {
            let status = r["status"].as_u64().unwrap();
            let url = r["url"].as_str().unwrap();
            if status >= 400 && url.contains("/responsive/") {
                // Only the ones that were broken before may fail; they never load at all.
                assert!(broken_before(url), "{ctx}: {url} answered {status}");
            }
        }
    }
    assert!(
        sized >= checked,
        "{sized} chosen candidates were measured for {checked} pictures"
    );
    let placeholders: usize = a_results.iter().map(check_placeholders).sum();
    assert!(
        placeholders >= checked / 2,
        "only {placeholders} placeholders were seen before load, for {checked} pictures"
    );
    if build_args.contains(&"avif,webp") {
        assert!(avifs >= 20, "only {avifs} AVIFs were chosen by Chromium");
    } else {
        assert_eq!(avifs, 0, "AVIF is opt-in");
    }
    if generator == Generator::Jekyll("") {
        // The demo is the seed post: its animated GIFs must play as animated WebP.
        assert!(
            animations >= 4,
            "only {animations} animations were checked in the browser"
        );
    }
    checked
}

/// While the variants are held back (none has arrived), every `<img>` whose markup carries a
/// placeholder shows it: its computed background is that colour, painted in the content box
/// only. Returns how many were seen.
fn check_placeholders(a: &Value) -> usize {
    let ctx = format!("{} @ {} px × DPR {}", a["page"], a["viewport"], a["dpr"]);
    let mut seen = 0;
    for (img, after) in a["beforeLoad"]
        .as_array()
        .unwrap()
        .iter()
        .zip(a["images"].as_array().unwrap())
    {
        let style = img["style"].as_str().unwrap_or("");
        let Some(hex) = style.strip_prefix("background:#").map(|h| &h[..6]) else {
            assert!(
                !after["rewritten"].as_bool().unwrap() || !style.contains("background:#"),
                "{ctx}: placeholder not first in the style: {style}"
            );
            continue;
        };
        let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
        let want = format!("rgb({}, {}, {})", c(0), c(2), c(4));
        assert_eq!(img["background"], want.as_str(), "{ctx}: {style}");
        assert_eq!(img["clip"], "content-box", "{ctx}: {style}");
        assert_eq!(img["naturalWidth"], 0, "{ctx}: already loaded: {img}");
        seen += 1;
    }
    seen
}

/// Sources whose EXIF orientation Chromium ignores (the tag is stored as a SLONG, and Blink
/// only reads a SHORT) while postpix applies it: the browser showed them sideways before, so
/// their box turns. Known disagreement, reported to the coordinator; not a layout change of
/// the markup.
fn orientation_disagrees(x: &Value) -> bool {
    const SIDEWAYS: &[&str] = &["H9hmcrcqXVibHrSWQUzksAILzeewmsHHfiaW7aka6C1LRQhiadjtRG13icAZRnUTrJDmjicXZvuxAJ2t5zRSf0Lcctw.jpeg"];
    let src = x["src"].as_str().unwrap_or("");
    SIDEWAYS.iter().any(|s| src.ends_with(s))
}

/// The rendered box of an image before postpix (`x`) and after (`y`) agree within a pixel.
fn same_box(ctx: &str, x: &Value, y: &Value) {
    let dim = |v: &Value, k: &str| v[k].as_f64().unwrap();
    let (bw, bh) = (dim(x, "renderedWidth"), dim(x, "renderedHeight"));
    let (aw, ah) = (dim(y, "renderedWidth"), dim(y, "renderedHeight"));
    assert!(
        (bw - aw).abs() <= 1.0 && (bh - ah).abs() <= 1.0,
        "{ctx}: the box of {} was {bw:.1}x{bh:.1} before postpix and is {aw:.1}x{ah:.1} after ({})",
        x["src"],
        y["orig"]
    );
}

/// Every candidate of a picture, picked by the browser or not, is on the site and decodes to
/// the width its `srcset` descriptor promises (a browser at another width would fetch it).
fn check_candidates(ctx: &str, dest: &Path, base: &str, y: &Value) {
    let widths: Vec<(String, u32)> = y["candidateWidths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_u64().unwrap() as u32,
            )
        })
        .collect();
    let candidates = y["candidates"].as_array().unwrap();
    assert!(
        !widths.is_empty() || candidates.len() == 1,
        "{ctx}: several candidates without width descriptors: {y}"
    );
    for c in candidates {
        let c = c.as_str().unwrap();
        let f = file_of(dest, base, c).unwrap_or_else(|| panic!("{ctx}: {c} is not on this site"));
        assert!(
            f.is_file(),
            "{ctx}: candidate {c} would 404 ({} missing)",
            f.display()
        );
        let (width, height) = if c.ends_with(".avif") {
            let bytes = std::fs::read(&f).unwrap();
            let px = postpix::encode::avif::decode(&bytes)
                .unwrap_or_else(|| panic!("{ctx}: {c} does not decode"));
            (px.width, px.height)
        } else {
            let img = image::open(&f).unwrap_or_else(|e| panic!("{ctx}: {c} does not decode: {e}"));
            (img.width(), img.height())
        };
        assert!(width > 0 && height > 0, "{ctx}: {c} is empty");
        if let Some((_, w)) = widths.iter().find(|(u, _)| u == c) {
            assert_eq!(width, *w, "{ctx}: {c} is not as wide as its descriptor");
        }
    }
}

/// For a picture whose source (the file the page showed before postpix) is an animated GIF —
/// however the post referenced it: inline, reference-style or raw HTML — the WebP Chromium
/// chose has the GIF's frame count and per-frame delays. Returns 1 when it checked an animation.
fn check_animation(source: Option<&Path>, ctx: &str, y: &Value) -> usize {
    let Some(Ok(bytes)) = source.map(std::fs::read) else {
        return 0;
    };
    let rel = source.unwrap().display();
    let Some(gif) = postpix::container::gif::info(&bytes) else {
        return 0;
    };
    if gif.frames < 2 || !y["currentSrc"].as_str().unwrap_or("").ends_with(".webp") {
        return 0;
    }
    let anim = &y["anim"];
    assert!(
        anim["error"].is_null(),
        "{ctx}: Chromium could not decode {}: {anim}",
        y["currentSrc"]
    );
    assert_eq!(
        anim["frames"].as_u64(),
        Some(gif.frames as u64),
        "{ctx}: {rel}: frame count"
    );
    let durations: Vec<u64> = anim["durations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect();
    let want: Vec<u64> = gif.delays_cs.iter().map(|&cs| u64::from(cs) * 10).collect();
    assert_eq!(durations, want, "{ctx}: {rel}: per-frame delays in ms");
    1
}

#[test]
fn jekyll_and_chromium_render_every_rewritten_picture() {
    require_tools();
    let example = TestSite::copy_of("site-example");
    let n = check_site(&example, "/blog", &[]);
    assert!(n >= 40, "only {n} pictures were checked on site-example");
    let demo = TestSite::demo();
    let n = check_site(&demo, "", &[]);
    assert!(n >= 24, "only {n} pictures were checked on the demo site");
}

#[test]
fn hugo_renders_every_picture_postpix_wrote_into_a_hugo_site() {
    // issue 15 item 2: told by its `hugo.toml`, a Hugo site's `content/` is read (a page
    // bundle's document-relative images, `static/` ones by root-relative URLs) and the pages
    // Debian's hugo builds from the rewritten Markdown show every picture, WebP chosen, each
    // box as before.
    require_tools();
    let site = TestSite::copy_of("site-hugo");
    let n = check_site_at(&site, Generator::Hugo, &[], None);
    assert!(n >= 15, "only {n} pictures were checked on site-hugo");
}

#[test]
fn eleventy_renders_every_picture_postpix_wrote_into_an_eleventy_site() {
    // issue 15 item 2: told by its `eleventy.config.js`, the input folder's Markdown is read,
    // root-relative URLs find the passthrough-copied `img/` (and its `img/responsive/`), and
    // the pages npm's Eleventy 3 builds show every picture, WebP chosen, each box as before.
    require_tools();
    let site = TestSite::copy_of("site-eleventy");
    let n = check_site_at(&site, Generator::Eleventy, &[], None);
    assert!(n >= 15, "only {n} pictures were checked on site-eleventy");
}

#[test]
fn chromium_picks_the_avif_source_and_every_box_stays() {
    // `--formats avif,webp`: Chromium decodes AVIF, so every picture with an AVIF <source>
    // must show the .avif (the WebP <source> and the <img> are what other browsers take), and
    // every box is the one the author's markup gave, as without AVIF.
    require_tools();
    let example = TestSite::copy_of("site-example");
    let n = check_site(&example, "/blog", &["--formats", "avif,webp"]);
    assert!(n >= 40, "only {n} pictures were checked on site-example");
}

/// The sizing matrix: at 375, 768 and 1440 px, DPR 1 and 2, on the example site's layout (an
/// 800 px column, postpix's default `content_width`) and on a full-width layout (configured
/// with `sizes: 100vw` in `_config.yml`), Chromium's chosen candidate is at least the rendered
/// width × DPR (unless it is the largest): lazy images by `sizes="auto, …"`, the eager one by
/// the configured list; and at most twice it (unless it is the smallest), except for an image
/// sized by a `height` attribute alone (see check_site_at).
#[test]
fn every_chosen_candidate_is_wide_enough_at_every_viewport_and_dpr() {
    require_tools();
    let matrix = r#"[
        {"width": 375, "height": 800, "dpr": 1}, {"width": 375, "height": 800, "dpr": 2},
        {"width": 768, "height": 900, "dpr": 1}, {"width": 768, "height": 900, "dpr": 2},
        {"width": 1440, "height": 900, "dpr": 1}, {"width": 1440, "height": 900, "dpr": 2}
    ]"#;
    let example = TestSite::copy_of("site-example");
    let n = check_site_at(&example, Generator::Jekyll("/blog"), &[], Some(matrix));
    assert!(n >= 40, "only {n} pictures were checked on site-example");

    let full = TestSite::copy_of("site-example");
    let layout = full.path("_layouts/default.html");
    let column = "main { max-width: 800px; margin: 0 auto; padding: 0 16px; }";
    let html = std::fs::read_to_string(&layout).unwrap();
    assert!(html.contains(column), "the example layout changed");
    std::fs::write(&layout, html.replace(column, "main { padding: 0 8px; }")).unwrap();
    let config = full.path("_config.yml");
    let mut yml = std::fs::read_to_string(&config).unwrap();
    yml.push_str("postpix:\n  sizes: 100vw\n");
    std::fs::write(&config, yml).unwrap();
    let n = check_site_at(&full, Generator::Jekyll("/blog"), &[], Some(matrix));
    assert!(
        n >= 40,
        "only {n} pictures were checked on the full-width layout"
    );
}

/// The `<picture>` elements of a rendered page, in order.
fn pictures(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<picture>") {
        let Some(j) = rest[i..].find("</picture>") else {
            break;
        };
        out.push(&rest[i..i + j + "</picture>".len()]);
        rest = &rest[i + j..];
    }
    out
}

/// Issue 14, hero images: a theme whose layout calls
/// `{% include postpix/picture.html src=page.header-img alt=page.title %}` renders the hero as
/// a `<picture>`, the very markup postpix writes into a post for the same image (the post's
/// first image here, eager like a hero); a hero postpix does not encode stays a plain `<img>`.
#[test]
fn a_theme_that_uses_the_include_renders_the_hero_as_the_posts_own_picture() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    for d in ["_posts", "_layouts", "postimg"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::copy(fixture("corpus/rocket.jpg"), root.join("postimg/hero.jpg")).unwrap();
    std::fs::write(
        root.join("postimg/plain.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    std::fs::write(
        root.join("_config.yml"),
        "baseurl: \"/blog\"\npermalink: pretty\ndefaults:\n  - scope: {path: \"\"}\n    values: {layout: post}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("_layouts/post.html"),
        "<!DOCTYPE html>\n<html><body>\n<header>{% include postpix/picture.html src=page.header-img alt=page.title %}</header>\n<main>{{ content }}</main>\n</body></html>\n",
    )
    .unwrap();
    std::fs::write(
        root.join("_posts/2021-01-01-hero.md"),
        "---\ntitle: A hero\nheader-img: postimg/hero.jpg\n---\n![A hero]({{ site.baseurl }}/postimg/hero.jpg)\n\nText.\n",
    )
    .unwrap();
    std::fs::write(
        root.join("_posts/2021-01-02-plain.md"),
        "---\ntitle: Plain\nheader-img: postimg/plain.svg\n---\nNo body image.\n",
    )
    .unwrap();
    let site = TestSite::at(dir, root);
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let dest = tempfile::tempdir().unwrap();
    let pages = jekyll(&site.root, dest.path(), "/blog");
    assert_eq!(pages, ["blog/2021/01/01/hero/", "blog/2021/01/02/plain/"]);
    let html =
        std::fs::read_to_string(dest.path().join("blog/2021/01/01/hero/index.html")).unwrap();
    let header = &html[html.find("<header>").unwrap()..html.find("</header>").unwrap()];
    let main = &html[html.find("<main>").unwrap()..];
    let (hero, body) = (pictures(header), pictures(main));
    assert_eq!((hero.len(), body.len()), (1, 1), "{html}");
    // What postpix wrote into the post, with Jekyll's baseurl in place: the include renders
    // exactly that.
    let written = site.read("_posts/2021-01-01-hero.md");
    let written = pictures(&written)[0].replace("{{ site.baseurl }}", "/blog");
    assert_eq!(hero[0], written, "the include renders postpix's own markup");
    // And the post's body, as kramdown serialises it (void elements as `<img … />`).
    assert_eq!(
        hero[0],
        body[0].replace(" />", ">"),
        "the hero is the body's picture"
    );
    assert!(
        hero[0].contains("srcset=\"/blog/postimg/responsive/hero-480.")
            && hero[0].contains("type=\"image/webp\"")
            && hero[0].contains("fetchpriority=\"high\"")
            && hero[0].contains("alt=\"A hero\"")
            && hero[0].contains("style=\"background:#"),
        "{}",
        hero[0]
    );
    let srcset = &hero[0][hero[0].find("srcset=\"").unwrap() + 8..];
    for url in candidates(&srcset[..srcset.find('"').unwrap()]) {
        let file = dest.path().join(url.1.trim_start_matches('/'));
        assert!(file.is_file(), "{} is published", url.1);
    }
    let plain =
        std::fs::read_to_string(dest.path().join("blog/2021/01/02/plain/index.html")).unwrap();
    assert!(
        plain.contains("<header><img src=\"/blog/postimg/plain.svg\" alt=\"Plain\"></header>"),
        "{plain}"
    );
}

/// Every file of the site but Jekyll's own cache folder (where Jekyll writes its cache, and the
/// plugin keeps postpix's), with bytes and mtimes.
fn sources(site: &TestSite) -> Snapshot {
    let mut s = snapshot(&site.root);
    s.retain(|k, _| !k.starts_with(".jekyll-cache/"));
    s
}

/// The plugin (`jekyll/postpix.rb` copied into `_plugins/`) and a plain `jekyll build`: every
/// picture loads in Chromium, WebP is chosen and every box stays, as after `postpix build`, and
/// not one byte or mtime of the site's files changed (the variants are in the built site, the
/// cache in `.jekyll-cache/`).
#[test]
fn the_jekyll_plugin_renders_every_picture_and_leaves_the_sources_alone() {
    require_tools();
    let example = TestSite::copy_of("site-example");
    let before = sources(&example);
    let n = check_site(&example, "/blog", &[PLUGIN]);
    assert!(n >= 40, "only {n} pictures were checked on site-example");
    let changed = changes(&before, &sources(&example));
    assert_eq!(
        changed,
        ["added _plugins/postpix.rb"],
        "the sources changed"
    );
}

/// What `jekyll serve` runs on each change: a second build with the plugin after a post and a
/// new image were added picks them up (the new image is encoded, the others come from the
/// cache), the variants of the first build survive Jekyll's clean-up, and the new picture loads.
#[test]
fn a_second_plugin_build_picks_up_a_new_post_and_image() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = fixture("site-example");
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::create_dir_all(root.join("_plugins")).unwrap();
    copy_tree(&example.join("_layouts"), &root.join("_layouts"));
    std::fs::copy(
        repo.join("jekyll/postpix.rb"),
        root.join("_plugins/postpix.rb"),
    )
    .unwrap();
    std::fs::write(root.join("_config.yml"), "title: t\nbaseurl: /blog\n").unwrap();
    std::fs::create_dir_all(root.join("postimg")).unwrap();
    std::fs::copy(
        example.join("postimg/dune.jpg"),
        root.join("postimg/dune.jpg"),
    )
    .unwrap();
    let post = |name: &str, img: &str| {
        let text = format!("---\nlayout: post\ntitle: {name}\n---\n\n![a photo]({{{{site.baseurl}}}}/postimg/{img})\n");
        std::fs::write(root.join(format!("_posts/{name}.md")), text).unwrap();
    };
    post("2024-01-01-first", "dune.jpg");
    let site = TestSite::at(dir, root.clone());
    let work = tempfile::tempdir().unwrap();
    let dest = work.path().join("out");

    let first = jekyll_run(&site.root, &dest, "/blog");
    let log = String::from_utf8_lossy(&first.stdout);
    assert!(log.contains("1 encoded"), "{}", show(&first));
    let first_variants = snapshot(&dest.join("blog/postimg/responsive"));
    assert!(!first_variants.is_empty());

    std::fs::copy(
        example.join("postimg/meadow.jpg"),
        root.join("postimg/meadow.jpg"),
    )
    .unwrap();
    post("2024-01-02-second", "meadow.jpg");
    let before = sources(&site);
    let second = jekyll_run(&site.root, &dest, "/blog");
    let log = String::from_utf8_lossy(&second.stdout);
    assert!(log.contains("1 encoded, 1 cached"), "{}", show(&second));
    assert!(
        changes(&before, &sources(&site)).is_empty(),
        "the sources changed"
    );
    let now = snapshot(&dest.join("blog/postimg/responsive"));
    for k in first_variants.keys() {
        assert!(now.contains_key(k), "{k} of the first build is gone");
    }
    assert!(now.keys().any(|k| k.starts_with("meadow-")), "{now:?}");

    let pages = vec!["blog/2024/01/02/second.html".to_string()];
    let seen = browse(&dest, &pages, None);
    for r in seen["results"].as_array().unwrap() {
        let imgs = r["images"].as_array().unwrap();
        assert_eq!(imgs.len(), 1, "{r}");
        let y = &imgs[0];
        assert!(y["rewritten"].as_bool().unwrap(), "not a picture: {y}");
        assert!(y["naturalWidth"].as_u64().unwrap() > 0, "broken: {y}");
        assert!(y["currentSrc"].as_str().unwrap().ends_with(".webp"), "{y}");
    }
}

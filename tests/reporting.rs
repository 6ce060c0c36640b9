//! What the reports say, on `tests/fixtures/site-report` (see its README): a closed pipe,
//! dry-run wording, posts changed under `--out`, front-matter images, missing alt text.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};

use common::*;

/// `postpix ARGS | head -0`: the reader is gone before postpix writes a byte.
fn run_into_closed_pipe(site: &TestSite, args: &[&str]) -> std::process::Output {
    let bin = std::env::var_os("POSTPIX_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_postpix").into());
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(&site.root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    let site = TestSite::copy_of("site-report");
    for args in [
        &["scan", "."][..],
        &["build", "."],
        &["scan", "--json", "."][..],
    ] {
        let out = run_into_closed_pipe(&site, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn a_dry_run_says_would() {
    let site = TestSite::copy_of("site-report");
    let out = site.run(&["build", "--dry-run", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("variant file(s) would be written") && text.contains("post(s) would change"),
        "{text}"
    );
    assert!(!text.contains("file(s) written"), "{text}");
    assert!(!site.path("postimg/responsive").exists());
}

#[test]
fn posts_changed_under_out_counts_only_posts_postpix_changed() {
    let site = TestSite::copy_of("site-report");
    let (v, out) = site.json(&["build", "--json", "--out", "_site-out", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(v["summary"]["posts_changed"], 1, "{}", v["summary"]);
    let text = String::from_utf8_lossy(&site.run(&["build", "--out", "_site-out", "."]).stdout)
        .into_owned();
    assert!(
        text.contains("0 post(s) changed"),
        "a no-op rebuild: {text}"
    );
}

#[test]
fn a_front_matter_image_under_no_hero_key_is_listed_as_left_with_the_reason() {
    // `header-img:` is a hero: encoded and listed in _data/postpix.json (tests/hero.rs), not
    // left. A social card (`og_image:`) is served as it is, and the report says why.
    let site = TestSite::copy_of("site-report");
    let post = "_posts/2021-01-01-pictures.md";
    let text = site
        .read(post)
        .replace("header-img:", "og_image: postimg/toucan.png\nheader-img:");
    std::fs::write(site.path(post), text).unwrap();
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2 reference(s) as <picture>, 1 left as they are"),
        "{text}"
    );
    assert!(
        text.contains("_posts/2021-01-01-pictures.md:4  postimg/toucan.png: a front-matter image under `og_image:`, served as it is (postpix encodes the hero keys: header-img, "),
        "{text}"
    );
    assert!(
        !text.contains(":5  postimg/toucan.png"),
        "the hero is not left: {text}"
    );
}

#[test]
fn a_raw_img_without_alt_is_listed_by_scan_and_gets_no_alt() {
    let site = TestSite::copy_of("site-report");
    let out = site.run(&["scan", "."]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("No alt text")
            && text.contains("_posts/2021-01-01-pictures.md:9  /postimg/toucan.png"),
        "{text}"
    );
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let post = site.read("_posts/2021-01-01-pictures.md");
    let raw = post.lines().last().unwrap();
    assert!(raw.contains("<img src=") && !raw.contains("alt="), "{raw}");
}

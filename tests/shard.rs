//! `--shard I/N` and `build --merge`: N jobs, one after another as a CI matrix would run them,
//! each into its own `--out` and cache folder, then a merge of their cache folders, give the
//! same site byte for byte as one plain build: variants, rewritten posts, the shared store and
//! the manifest (whose file records differ only in their mtimes). Bad values are usage errors
//! (exit 2); a shard with nothing to do succeeds.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

/// Fast settings: the proof is about what goes where, not about quality.
const FAST: &[&str] = &["--quality", "80", "--widths", "320,640", "-j", "2"];

/// A build with `extra` flags: its report and exit code (1 when an image failed: site-example
/// holds broken images on purpose).
fn run(site: &TestSite, extra: &[&str]) -> (serde_json::Value, i32) {
    let mut args = vec!["--json", "build", "."];
    args.extend_from_slice(FAST);
    args.extend_from_slice(extra);
    let (v, out) = site.json(&args);
    assert!(
        matches!(code(&out), 0 | 1),
        "build {extra:?}: {}",
        show(&out)
    );
    (v, code(&out))
}

/// A build that must succeed.
fn build(site: &TestSite, extra: &[&str]) -> serde_json::Value {
    let (v, code) = run(site, extra);
    assert_eq!(code, 0, "build {extra:?}: {v}");
    v
}

/// Every file under `root`, with the manifests' file records stripped of their mtimes (the
/// only bytes two runs at different moments may differ in).
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    snapshot(root)
        .into_iter()
        .map(|(k, (bytes, _))| {
            if !k.ends_with("manifest.json") {
                return (k, bytes);
            }
            let mut m: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            for rec in m["files"].as_object_mut().unwrap().values_mut() {
                rec["mtime_ns"] = 0.into();
            }
            (k, serde_json::to_vec_pretty(&m).unwrap())
        })
        .collect()
}

fn summary(v: &serde_json::Value, field: &str) -> u64 {
    v["summary"][field].as_u64().unwrap()
}

#[test]
fn four_shards_then_a_merge_give_the_plain_build_byte_for_byte() {
    let site = TestSite::copy_of("site-example");
    let before = snapshot(&site.root);
    let (plain, plain_code) = run(&site, &["--out", "../plain"]);
    let images = summary(&plain, "encoded");
    assert!(images >= 20, "the fixture has many images: {images}");

    let mut encoded = 0;
    let mut caches = Vec::new();
    for i in 1..=4 {
        let out = format!("../shard-{i}");
        let (v, _) = run(&site, &["--out", &out, "--shard", &format!("{i}/4")]);
        let n = summary(&v, "encoded");
        assert!(n < images, "shard {i} encoded {n} of {images}");
        assert_eq!(summary(&v, "posts_changed"), 0, "a shard rewrites no post");
        encoded += n;
        caches.push(format!("{out}/.postpix"));
    }
    assert_eq!(
        encoded, images,
        "every image is encoded by exactly one shard"
    );

    let mut merge = vec!["--out", "../final", "--merge"];
    merge.extend(caches.iter().map(String::as_str));
    let (v, code) = run(&site, &merge);
    assert_eq!(summary(&v, "encoded"), 0, "a merge encodes nothing");
    assert_eq!(summary(&v, "cached"), images);
    assert_eq!(summary(&v, "failed"), summary(&plain, "failed"));
    assert_eq!(code, plain_code);

    let parent = site.root.parent().unwrap();
    let (want, got) = (tree(&parent.join("plain")), tree(&parent.join("final")));
    let listed = |t: &BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(listed(&got), listed(&want), "the same files");
    for (path, bytes) in &want {
        assert!(got[path] == *bytes, "{path} differs");
    }
    assert!(want.keys().any(|k| k.contains("/responsive/")));
    assert!(want
        .keys()
        .any(|k| k.starts_with(".postpix/store/objects/")));
    assert!(want.keys().any(|k| k == ".postpix/manifest.json"));
    // The sources were never touched.
    assert_eq!(
        changes(&before, &snapshot(&site.root)),
        Vec::<String>::new()
    );
}

/// A site of one image split three ways: two shards find nothing to do, and succeed.
#[test]
fn shards_with_no_work_succeed_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::create_dir_all(root.join("img")).unwrap();
    std::fs::write(root.join("_config.yml"), "title: one\n").unwrap();
    let dune = fixture("site-example/img/post-bg-dune.jpg");
    std::fs::copy(dune, root.join("img/dune.jpg")).unwrap();
    let text = "---\ntitle: one\n---\n\n![dune](/img/dune.jpg)\n";
    std::fs::write(root.join("_posts/2024-01-01-one.md"), text).unwrap();
    let site = TestSite::at(dir, root);
    let mut empty = 0;
    let mut caches = Vec::new();
    for i in 1..=3 {
        let cache = format!("../cache-{i}");
        let v = build(
            &site,
            &[
                "--no-rewrite",
                "--cache-dir",
                &cache,
                "--shard",
                &format!("{i}/3"),
            ],
        );
        if summary(&v, "encoded") == 0 {
            empty += 1;
        }
        caches.push(cache);
    }
    assert_eq!(empty, 2, "one image, one shard encodes it");
    let mut merge = vec!["--out", "../final", "--merge"];
    merge.extend(caches.iter().map(String::as_str));
    let v = build(&site, &merge);
    assert_eq!(summary(&v, "encoded"), 0);
    assert_eq!(summary(&v, "refs_rewritten"), 1);
}

/// A merge missing a shard fails the images it lacks, saying why; it encodes nothing.
#[test]
fn a_merge_without_every_shard_fails_the_missing_images() {
    let site = TestSite::copy_of("site-example");
    run(&site, &["--out", "../s1", "--shard", "1/2"]);
    let mut args = vec!["--json", "build", ".", "--out", "../final"];
    args.extend_from_slice(FAST);
    args.extend_from_slice(&["--merge", "../s1/.postpix"]);
    let (v, out) = site.json(&args);
    assert_eq!(code(&out), 1, "{}", show(&out));
    assert_eq!(summary(&v, "encoded"), 0);
    assert!(summary(&v, "failed") > 0);
    let text = v["images"].to_string();
    assert!(
        text.contains("not in the results of any merged shard"),
        "{text}"
    );
}

#[test]
fn bad_shard_values_are_usage_errors() {
    let site = TestSite::copy_of("site-example");
    for bad in ["0/4", "5/4", "1/0", "x", "1/4/2", "", "-1/4", "2"] {
        let out = site.run(&["build", ".", &format!("--shard={bad}")]);
        assert_eq!(code(&out), 2, "--shard {bad:?}: {}", show(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("I/N"), "--shard {bad:?}: {err}");
    }
    let out = site.run(&["watch", ".", "--shard", "1/2"]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("watch builds the whole site"));
    let out = site.run(&["build", ".", "--merge", "../nowhere"]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a folder"));
    let out = site.run(&["build", ".", "--shard", "1/2", "--merge", "."]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    // A machine's share of the work is no setting of the site.
    let cfg = site.read("_config.yml") + "\npostpix:\n  shard: 1/2\n";
    std::fs::write(site.path("_config.yml"), cfg).unwrap();
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --shard"));
}

//! The cache folder as a shared store: sites (or checkouts) pointed at one `--cache-dir` reuse
//! each other's variants (same source bytes, same settings: nothing is encoded twice), keep
//! their own manifests, and may run at the same time without corrupting it. A sound store is
//! one where every entry parses and names the key it is stored under, every object hashes to
//! its name, and no temp file is left.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

const FAST: &[&str] = &["--quality", "80", "--widths", "320,640"];

/// A site whose one post shows `images` (site-relative path → fixture under site-example/img).
fn site_with(images: &[(&str, &str)]) -> TestSite {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::write(root.join("_config.yml"), "title: shared\n").unwrap();
    let mut post = String::from("---\ntitle: t\n---\n\n");
    for (rel, fixture_name) in images {
        let to = root.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture(&format!("site-example/img/{fixture_name}")), &to).unwrap();
        post.push_str(&format!("![x](/{rel})\n\n"));
    }
    std::fs::write(root.join("_posts/2024-01-01-t.md"), post).unwrap();
    TestSite::at(dir, root)
}

fn build_args<'a>(cache: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--json", "build", ".", "--cache-dir", cache];
    args.extend_from_slice(FAST);
    args.extend_from_slice(extra);
    args
}

fn build(site: &TestSite, cache: &Path) -> serde_json::Value {
    let cache = cache.to_str().unwrap();
    let (v, out) = site.json(&build_args(cache, &[]));
    assert_eq!(code(&out), 0, "{}", show(&out));
    v
}

fn status_of<'a>(v: &'a serde_json::Value, path: &str) -> &'a str {
    v["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"] == path)
        .unwrap_or_else(|| panic!("{path} in {v}"))["status"]
        .as_str()
        .unwrap()
}

/// Every entry parses and names its key, every object hashes to its name, no temp file.
fn assert_sound(cache: &Path) {
    let store = cache.join("store");
    let mut entries = 0;
    for e in std::fs::read_dir(store.join("entries")).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.contains(postpix::write::TEMP_MARK),
            "temp left: {name}"
        );
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(format!("{}.json", v["key"].as_str().unwrap()), name);
        entries += 1;
    }
    let mut objects = 0;
    for e in std::fs::read_dir(store.join("objects")).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.contains(postpix::write::TEMP_MARK),
            "temp left: {name}"
        );
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(blake3::hash(&bytes).to_hex().to_string(), name);
        objects += 1;
    }
    assert!(
        entries > 0 && objects > 0,
        "{entries} entries, {objects} objects"
    );
    let temps: Vec<String> = snapshot(cache)
        .into_keys()
        .filter(|k| k.contains(postpix::write::TEMP_MARK))
        .collect();
    assert_eq!(temps, Vec::<String>::new());
}

/// The variant files of a site, by name, for comparing two builds.
fn variants(site: &TestSite) -> Vec<(String, Vec<u8>)> {
    snapshot(&site.root)
        .into_iter()
        .filter(|(k, _)| k.contains("/responsive/"))
        .map(|(k, (b, _))| (k, b))
        .collect()
}

#[test]
fn a_second_site_sharing_the_cache_encodes_nothing_for_the_shared_image() {
    let shared = tempfile::tempdir().unwrap();
    let first = site_with(&[
        ("img/dune.jpg", "post-bg-dune.jpg"),
        ("img/wood.png", "post-bg-wood.png"),
    ]);
    // The same bytes under another name and folder, beside an image of its own.
    let second = site_with(&[
        ("assets/photo.jpg", "post-bg-dune.jpg"),
        ("img/first.png", "the-first.png"),
    ]);
    let v = build(&first, shared.path());
    assert_eq!(v["summary"]["encoded"], 2, "{v}");

    let v = build(&second, shared.path());
    assert_eq!(status_of(&v, "assets/photo.jpg"), "cached", "{v}");
    assert_eq!(status_of(&v, "img/first.png"), "encoded");
    assert_eq!(v["summary"]["encoded"], 1);
    assert_eq!(v["summary"]["refs_rewritten"], 2);
    // Its variants are the first site's bytes, under its own names.
    let dune = |site: &TestSite, folder: &str| -> Vec<Vec<u8>> {
        variants(site)
            .into_iter()
            .filter(|(k, _)| k.starts_with(folder))
            .map(|(_, b)| b)
            .collect()
    };
    let theirs = dune(&first, "img/responsive/dune-");
    assert!(!theirs.is_empty());
    assert_eq!(dune(&second, "assets/responsive/photo-"), theirs);
    // Each site keeps its own manifest; a rerun of either is a no-op.
    let sites = std::fs::read_dir(shared.path().join("sites"))
        .unwrap()
        .count();
    assert_eq!(sites, 2);
    for site in [&first, &second] {
        let v = build(site, shared.path());
        assert_eq!(v["summary"]["encoded"], 0);
        assert_eq!(v["summary"]["variants_written"], 0);
    }
    assert_sound(shared.path());
}

fn spawn(site: &TestSite, cache: &Path, hold: Option<&Path>) -> std::process::Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_postpix"));
    c.args(build_args(cache.to_str().unwrap(), &["-j", "1"]))
        .current_dir(&site.root)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(marker) = hold {
        c.env("POSTPIX_TEST_HOLD_STORE", marker);
    }
    c.spawn().unwrap()
}

fn wait_for(marker: &Path, child: &mut std::process::Child) {
    while !marker.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "it ended before the store"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn two_builds_at_once_on_one_cache_both_succeed_and_leave_it_sound() {
    let images = [
        ("img/dune.jpg", "post-bg-dune.jpg"),
        ("img/wood.png", "post-bg-wood.png"),
    ];
    let shared = tempfile::tempdir().unwrap();
    let (a, b) = (site_with(&images), site_with(&images));
    // A stops in the middle of its store writes (objects kept, entry not yet); B runs whole on
    // the same cache meanwhile; then A goes on over what B stored.
    let marker = shared.path().join("hold");
    let mut first = spawn(&a, shared.path(), Some(&marker));
    wait_for(&marker, &mut first);
    let v = build(&b, shared.path());
    assert_eq!(v["summary"]["errors"], 0, "{v}");
    std::fs::remove_file(&marker).unwrap();
    assert!(first.wait().unwrap().success());
    assert_sound(shared.path());
    assert_eq!(variants(&a), variants(&b));

    // And two more started together, with nothing to hold them: both succeed, the store stays
    // sound, and each site ends as a build alone would leave it.
    let (c, d) = (site_with(&images), site_with(&images));
    let fresh = tempfile::tempdir().unwrap();
    let mut runs = [spawn(&c, fresh.path(), None), spawn(&d, fresh.path(), None)];
    for r in &mut runs {
        assert!(r.wait().unwrap().success());
    }
    assert_sound(fresh.path());
    assert_eq!(variants(&c), variants(&a));
    assert_eq!(variants(&d), variants(&a));
    for site in [&a, &b, &c, &d] {
        let v = build(site, shared.path());
        assert_eq!(v["summary"]["encoded"], 0, "{v}");
    }
}

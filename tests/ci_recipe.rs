//! The CI recipe (`examples/ci/`): the shell steps the GitHub Actions workflow and the GitLab
//! job call (`examples/ci/postpix-ci.sh`) run against a fixture site twice, each time from a
//! fresh checkout with the cache folder carried over as a CI cache would restore it: the
//! second run encodes nothing. The cache key changes with a setting.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// `bash examples/ci/postpix-ci.sh ARGS` in `site`, with the binary under test on PATH.
fn step(site: &Path, args: &[&str], flags: &str) -> Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = Path::new(env!("CARGO_BIN_EXE_postpix"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .arg(repo.join("examples/ci/postpix-ci.sh"))
        .args(args)
        .current_dir(site)
        .env("PATH", path)
        .env("POSTPIX_FLAGS", flags)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn summary(site: &TestSite) -> serde_json::Value {
    let report: serde_json::Value =
        serde_json::from_str(&site.read("postpix-report.json")).unwrap();
    report["summary"].clone()
}

#[test]
fn the_second_ci_run_with_the_restored_cache_encodes_nothing() {
    let carried = tempfile::tempdir().unwrap();
    let cache = carried.path().join(".postpix-cache");
    let mut keys = Vec::new();
    for run in 0..2 {
        // A fresh checkout (new mtimes), the cache folder restored into it.
        let site = TestSite::copy_of("site-example");
        if run > 0 {
            copy_tree(&cache, &site.path(".postpix-cache"));
        }
        let key = step(&site.root, &["key"], "");
        assert_eq!(code(&key), 0, "{}", show(&key));
        keys.push(String::from_utf8(key.stdout).unwrap());
        let before = snapshot(&site.root);
        let out = step(&site.root, &["build", "_build"], "");
        assert_eq!(code(&out), 0, "{}", show(&out));
        let s = summary(&site);
        if run == 0 {
            assert!(s["encoded"].as_u64().unwrap() >= 40, "{s}");
        } else {
            assert_eq!(s["encoded"], 0, "the second run encoded: {s}");
            assert!(s["cached"].as_u64().unwrap() >= 40, "{s}");
        }
        assert!(site.path("_build/postimg/responsive").is_dir());
        // The sources are untouched: only the cache (restored, then updated), the report and
        // _build changed.
        let changed: Vec<String> = changes(&before, &snapshot(&site.root))
            .into_iter()
            .filter(|c| {
                !c.contains(" .postpix-cache/")
                    && !c.starts_with("added _build/")
                    && c != "added postpix-report.json"
            })
            .collect();
        assert!(changed.is_empty(), "{changed:?}");
        let check = step(&site.root, &["check"], "");
        assert_eq!(code(&check), 0, "{}", show(&check));
        std::fs::remove_dir_all(&cache).ok();
        copy_tree(&site.path(".postpix-cache"), &cache);
    }
    assert_eq!(keys[0], keys[1]);
    let site = TestSite::copy_of("site-example");
    let other = step(&site.root, &["key"], "--widths 320,640");
    assert_ne!(
        String::from_utf8(other.stdout).unwrap(),
        keys[0],
        "a setting must change the key"
    );
    assert!(keys[0].starts_with(&format!("postpix-{}-", env!("CARGO_PKG_VERSION"))));
}

//! Crash injection: the process is aborted (as a `kill -9` would end it) right after its k-th
//! temp file is written, for every k until a run completes. After each crash every post is the
//! original or fully rewritten and every variant on disk decodes; the next normal run converges to
//! exactly what a clean run produces, with no temp file left. Also: two runs at once, and a post
//! edited while a run is going.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::*;

/// A small site: two posts, four small images (a photo, a screenshot, a GIF, an animation).
fn small_site() -> TestSite {
    let site = TestSite::copy_of("site-example");
    let keep = [
        "wood.jpg",
        "debian-emblem.png",
        "earthrise.gif",
        "banner-88x31.gif",
        "cat.gif",
    ];
    for e in std::fs::read_dir(site.path("postimg")).unwrap() {
        let e = e.unwrap();
        if !keep.contains(&e.file_name().to_string_lossy().as_ref()) {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    for e in std::fs::read_dir(site.path("_posts")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    std::fs::write(
        site.path("_posts/2021-01-01-a.md"),
        "# A\n\n![wood]({{site.baseurl}}/postimg/wood.jpg)\n\nText ![icon](/postimg/debian-emblem.png) text.\n",
    )
    .unwrap();
    std::fs::write(
        site.path("_posts/2021-01-02-b.md"),
        "# B\r\n\r\n![earth]({{ site.baseurl }}/postimg/earthrise.gif)\r\n\r\n- ![banner](/postimg/banner-88x31.gif)\r\n- ![cat](/postimg/cat.gif)\r\n",
    )
    .unwrap();
    site
}

/// Posts and variants (not the manifest, whose mtimes differ) of a site.
fn outputs(site: &TestSite) -> BTreeMap<String, Vec<u8>> {
    snapshot(&site.root)
        .into_iter()
        .filter(|(k, _)| k.starts_with("_posts/") || k.contains("/responsive/"))
        .map(|(k, (b, _))| (k, b))
        .collect()
}

fn temps(site: &TestSite) -> Vec<String> {
    snapshot(&site.root)
        .into_keys()
        .filter(|k| k.contains(postpix::write::TEMP_MARK))
        .collect()
}

#[test]
fn a_kill_at_any_write_leaves_whole_files_and_the_next_run_converges() {
    let clean = small_site();
    let originals: BTreeMap<String, String> = ["_posts/2021-01-01-a.md", "_posts/2021-01-02-b.md"]
        .iter()
        .map(|p| (p.to_string(), clean.read(p)))
        .collect();
    let out = clean.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let reference = outputs(&clean);
    assert!(reference.keys().any(|k| k.ends_with(".webp")));

    let mut crashes = 0;
    for k in 1..200 {
        // A fresh site each time, so crash point k is the k-th write of a full cold build.
        let site = small_site();
        let out = Command::new(env!("CARGO_BIN_EXE_postpix"))
            .args(["build", "--quiet", "."])
            .current_dir(&site.root)
            .env("POSTPIX_CRASH_AFTER_WRITES", k.to_string())
            .output()
            .unwrap();
        if out.status.success() {
            break; // a full build needs fewer than k writes
        }
        assert!(
            out.status.code().is_none(),
            "expected an abort at write {k}: {}",
            show(&out)
        );
        crashes += 1;
        // Every post is its original or a complete rewrite of it.
        for (p, orig) in &originals {
            let now = site.read(p);
            assert_eq!(
                &postpix::marker::restore(&now),
                orig,
                "after crash {k}: {p}"
            );
        }
        // Every variant under its final name is whole.
        for (path, bytes) in outputs(&site) {
            // Temp files may be cut short: that is what they are for (the next run removes them).
            if path.contains("/responsive/") && !path.contains(postpix::write::TEMP_MARK) {
                assert!(
                    ::image::load_from_memory(&bytes).is_ok(),
                    "after crash {k}: {path} is partial"
                );
            }
        }
        // The next run converges to the clean result and leaves no temp file…
        let out = site.run(&["build", "."]);
        assert_eq!(code(&out), 0, "after crash {k}: {}", show(&out));
        assert_eq!(outputs(&site), reference, "after crash {k}");
        assert_eq!(temps(&site), Vec::<String>::new(), "after crash {k}");
        // …and a further run is a no-op.
        let before = snapshot(&site.root);
        site.run(&["build", "."]);
        assert_eq!(
            changes(&before, &snapshot(&site.root)),
            Vec::<String>::new(),
            "after crash {k}"
        );
    }
    assert!(crashes >= 10, "only {crashes} crash points were exercised");
}

/// Start `postpix ARGS` on `site` holding its lock until `marker` is deleted (the test hook
/// `POSTPIX_TEST_HOLD_LOCK`); returns once it certainly holds the lock.
fn holder(site: &TestSite, args: &[&str], marker: &std::path::Path) -> std::process::Child {
    let child = Command::new(env!("CARGO_BIN_EXE_postpix"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("POSTPIX_TEST_HOLD_LOCK", marker)
        .current_dir(&site.root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !marker.exists() {
        assert!(
            t0.elapsed().as_secs() < 60,
            "the holder never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child
}

fn refused(out: &std::process::Output) {
    assert_eq!(code(out), 2, "{}", show(out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another postpix run"),
        "{}",
        show(out)
    );
}

#[test]
fn a_second_run_on_a_locked_site_refuses_with_a_clear_message() {
    let site = small_site();
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("held");
    let elsewhere = tmp.path().join("other-cache");
    let elsewhere = elsewhere.to_string_lossy().into_owned();
    let out_dir = tmp.path().join("out");
    let out_dir = out_dir.to_string_lossy().into_owned();
    let mut first = holder(&site, &["build", "."], &marker);
    // Every writing command refuses while the first run lives, wherever its cache is.
    refused(&site.run(&["build", "."]));
    refused(&site.run(&["build", ".", "--cache-dir", &elsewhere]));
    refused(&site.run(&["build", ".", "--out", &out_dir]));
    refused(&site.run(&["restore", "."]));
    // Reading commands don't need the lock.
    assert_eq!(code(&site.run(&["build", "--dry-run", "."])), 0);
    // A holder killed with SIGKILL leaves no lock behind: the kernel drops it.
    first.kill().unwrap();
    first.wait().unwrap();
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(!site.path(".postpix/lock").exists());

    // The lock on --out: a run writing into it blocks another site's run into the same folder.
    std::fs::remove_file(&marker).ok();
    let mut first = holder(&site, &["build", ".", "--out", &out_dir], &marker);
    let other = small_site();
    refused(&other.run(&["build", ".", "--out", &out_dir]));
    std::fs::remove_file(&marker).unwrap();
    assert!(first.wait().unwrap().success());
}

#[test]
fn a_corrupt_manifest_is_rebuilt_not_trusted() {
    let site = small_site();
    site.run(&["build", "."]);
    let reference = outputs(&site);
    let m = site.path(".postpix/manifest.json");
    let text = std::fs::read(&m).unwrap();
    std::fs::write(&m, &text[..text.len() / 2]).unwrap();
    let (v, out) = site.json(&["build", "--json", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(
        v["warnings"].to_string().contains("corrupt manifest"),
        "{}",
        v["warnings"]
    );
    assert_eq!(outputs(&site), reference);
    assert!(serde_json::from_slice::<serde_json::Value>(&std::fs::read(&m).unwrap()).is_ok());
}

#[test]
fn a_post_edited_during_the_run_keeps_the_authors_edit() {
    // The hook aborts after the first write; instead, simulate the race at the library level:
    // read the post, let the author save, then try to write.
    let site = small_site();
    let cfg = postpix::Config::new(&site.root).unwrap();
    let report_before = postpix::survey::Survey::take(&cfg, None, false).unwrap();
    let post = &report_before.posts[0];
    std::fs::write(site.path(&post.path), "the author's new text\n").unwrap();
    let err = postpix::pipeline::write_post_checked(&cfg, post, "rewritten").unwrap_err();
    assert!(err.to_string().contains("changed on disk"), "{err}");
    assert_eq!(site.read(&post.path), "the author's new text\n");
}

/// The race itself, through the real binary: the author saves the post at the worst moment —
/// after postpix's last check of the file and before its rename (the `POSTPIX_TEST_RACE` hook
/// pauses exactly there). Both ways editors save are tried: writing the file in place and
/// renaming a new file over it. The author's save must survive and the run must say so.
#[test]
fn a_save_inside_the_check_to_rename_window_is_not_lost() {
    for rename_save in [false, true] {
        let site = small_site();
        std::fs::remove_file(site.path("_posts/2021-01-02-b.md")).unwrap();
        let post = site.path("_posts/2021-01-01-a.md");
        let marker = site.root.join("race-marker");
        let child = Command::new(env!("CARGO_BIN_EXE_postpix"))
            .args(["build", "--json"])
            .env("NO_COLOR", "1")
            .env("POSTPIX_TEST_RACE", &marker)
            .current_dir(&site.root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let t0 = std::time::Instant::now();
        while !marker.exists() {
            assert!(
                t0.elapsed().as_secs() < 120,
                "the run never reached its rename"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let saved = "# A\n\nThe author's save, made inside the window.\n";
        if rename_save {
            let tmp = site.path("_posts/.a.md.swp");
            std::fs::write(&tmp, saved).unwrap();
            std::fs::rename(&tmp, &post).unwrap();
        } else {
            std::fs::write(&post, saved).unwrap();
        }
        std::fs::remove_file(&marker).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            std::fs::read_to_string(&post).unwrap(),
            saved,
            "rename_save={rename_save}: the save was lost\n{}",
            show(&out)
        );
        assert_ne!(
            code(&out),
            0,
            "the run must say it did not finish: {}",
            show(&out)
        );
        assert!(show(&out).contains("changed on disk"), "{}", show(&out));
        assert!(temps(&site).is_empty(), "{:?}", temps(&site));
        // The next run rewrites the author's new text.
        let again = site.run(&["build"]);
        assert_eq!(code(&again), 0, "{}", show(&again));
        assert!(site
            .read("_posts/2021-01-01-a.md")
            .contains("The author's save"));
    }
}

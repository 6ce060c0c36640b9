//! Settings in `_config.yml`'s `postpix:` block, driven through the real binary: the file beats
//! the defaults, a flag beats the file, unknown keys and bad values stop the command with exit
//! code 2 and a message naming `_config.yml`, the key and what it accepts, and `postpix config`
//! says where every setting came from.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;

/// A one-post site with one small JPEG and `postpix:` set to `block` (indented YAML lines).
fn site_with(block: &str) -> TestSite {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::create_dir_all(root.join("postimg")).unwrap();
    std::fs::copy(
        fixture("corpus").join("rocket.jpg"),
        root.join("postimg/rocket.jpg"),
    )
    .unwrap();
    std::fs::write(
        root.join("_posts/2020-01-01-a.md"),
        "---\ntitle: a\n---\n![rocket](/postimg/rocket.jpg)\n",
    )
    .unwrap();
    std::fs::write(
        root.join("_config.yml"),
        format!("title: t\npostpix:\n{block}"),
    )
    .unwrap();
    TestSite::at(dir, root)
}

/// `postpix config --json` as key → (value, source).
fn settings(site: &TestSite, flags: &[&str]) -> Vec<(String, Value, String)> {
    let mut args = vec!["config", "--json", "."];
    args.extend_from_slice(flags);
    let (v, out) = site.json(&args);
    assert_eq!(code(&out), 0, "{}", show(&out));
    v["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap().to_string(),
                s["value"].clone(),
                s["source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn setting(all: &[(String, Value, String)], key: &str) -> (Value, String) {
    let (_, v, s) = all.iter().find(|(k, _, _)| k == key).unwrap();
    (v.clone(), s.clone())
}

/// The widths of the variants a build wrote for rocket.jpg.
fn variant_widths(site: &TestSite) -> Vec<u32> {
    let mut w: Vec<u32> = std::fs::read_dir(site.path("postimg/responsive"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let rest = name.strip_prefix("rocket-")?.strip_suffix(".webp")?;
            rest.split('.').next()?.parse().ok()
        })
        .collect();
    w.sort_unstable();
    w
}

#[test]
fn config_reports_the_source_of_every_setting() {
    let site = site_with("  widths: [320, 640]\n  quality: 70\n  lenient: yes\n");
    let all = settings(&site, &["--quality", "90"]);
    assert_eq!(
        setting(&all, "widths"),
        (Value::from("320,640"), "_config.yml".into())
    );
    assert_eq!(setting(&all, "quality"), (Value::from("90"), "flag".into()));
    assert_eq!(
        setting(&all, "lenient"),
        (Value::from("true"), "_config.yml".into())
    );
    assert_eq!(
        setting(&all, "method"),
        (Value::from("4"), "default".into())
    );
    assert_eq!(setting(&all, "sizes"), (Value::Null, "default".into()));
    // The human table says the same.
    let out = site.run(&["config", ".", "--quality", "90"]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |key: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} line in:\n{text}"))
            .to_string()
    };
    assert!(line("widths").ends_with("_config.yml"), "{text}");
    assert!(line("quality").ends_with("--quality"), "{text}");
    assert!(line("method").ends_with("default"), "{text}");
}

#[test]
fn the_file_sets_the_build_and_a_flag_beats_it() {
    let site = site_with("  widths: [200, 300]\n");
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(variant_widths(&site), vec![200, 300]);
    assert!(site.read("_posts/2020-01-01-a.md").contains("rocket-300."));

    let site = site_with("  widths: [200, 300]\n");
    let out = site.run(&["build", ".", "--widths", "250"]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(variant_widths(&site), vec![250]);
}

#[test]
fn an_unknown_key_is_an_error_naming_the_file_and_the_key() {
    let site = site_with("  qualty: 70\n");
    for cmd in ["build", "check", "config", "scan"] {
        let out = site.run(&[cmd, "."]);
        assert_eq!(code(&out), 2, "{cmd}: {}", show(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("_config.yml"), "{cmd}: {err}");
        assert!(
            err.contains("`postpix.qualty` is not a postpix setting"),
            "{err}"
        );
        assert!(err.contains("widths, quality, target, formats"), "{err}");
    }
    // Nothing was written.
    assert!(!site.path("postimg/responsive").exists());
}

#[test]
fn a_bad_value_names_the_key_and_what_it_accepts() {
    let cases = [
        ("  lossless: sometimes\n", "auto, always or never"),
        ("  quality: 150\n", "must be between 0 and 100"),
        ("  quality: high\n", "a number from 0 to 100"),
        ("  formats: [webp, avif]\n", "must list avif before webp"),
        ("  lenient: maybe\n", "true or false"),
        ("  jobs: 4\n", "pass --jobs"),
    ];
    for (block, words) in cases {
        let site = site_with(block);
        let out = site.run(&["build", "."]);
        assert_eq!(code(&out), 2, "{block}: {}", show(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        let key = block.trim().split(':').next().unwrap();
        assert!(err.contains("_config.yml"), "{block}: {err}");
        assert!(err.contains(&format!("postpix.{key}")), "{block}: {err}");
        assert!(err.contains(words), "{block}: {err}");
    }
    // A flag's own bad value is still blamed on the flag.
    let site = site_with("  quality: 70\n");
    let out = site.run(&["build", ".", "--quality", "150"]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--quality must be between 0 and 100"), "{err}");
}

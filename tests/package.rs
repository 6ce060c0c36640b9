//! The repository root doubles as the demo site; none of it may ship in the published crate.
//! Cargo's `include` list decides what is packaged: every entry must be anchored at the root
//! (an unanchored `README.md` would also pick up every README under node_modules) and none may
//! name the demo site's files.

#[test]
fn the_demo_site_stays_out_of_the_published_crate() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.starts_with("include"))
        .expect("Cargo.toml must say what the crate includes");
    let entries: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
    assert!(!entries.is_empty(), "{line}");
    for e in &entries {
        assert!(
            e.starts_with('/'),
            "include entry {e:?} is not anchored at the root"
        );
        for demo in [
            "_posts",
            "postimg",
            "img",
            "_config.yml",
            "_layouts",
            "index.html",
            "tests",
        ] {
            assert!(
                !e.trim_start_matches('/').starts_with(demo),
                "{e:?} would ship the demo site"
            );
        }
        assert!(*e != "/**" && *e != "/*", "{e:?} would ship everything");
    }
}

//! Pins the exact bytes postpix produces for a small, varied fixture set: every variant file
//! (by path and blake3) and the rewritten post. A change to any encoder setting, codec version,
//! naming rule or markup shows up here as a failing diff, so work that claims "no change in
//! behaviour" can prove it and work that changes outputs on purpose says so by re-pinning:
//! `POSTPIX_REPIN=1 cargo test --release --test pinned`, then review and commit the new file.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

/// One of each kind the encoder treats differently: JPEG photo, EXIF orientation 6, CMYK/YCCK,
/// gray JPEG, tiny ICC JPEG, PNG graphic (lossless candidate), PNG photo, RGBA PNG, 16-bit RGBA
/// PNG, icon, still GIF, wide GIF banner, animated GIF.
const IMAGES: &[&str] = &[
    "rocket.jpg",
    "exif-orientation-6-real.jpg",
    "cmyk-logo.jpg",
    "gray-cat.jpg",
    "icc-profile-small.jpeg",
    "palette-diagram.png",
    "photo-chelsea-cat.png",
    "alpha-skimage-logo.png",
    "png16-rgba-piechart.png",
    "icon-32-save.png",
    "earth.gif",
    "banner-wide.gif",
    "anim-banner-88x31.gif",
];

const PINNED: &str = "tests/fixtures/pinned/variants.txt";

fn pinned_site() -> TestSite {
    let site = TestSite::copy_of("site-example");
    // Only this test's post and images: a fresh, small site inside the temp folder.
    let root = site.root.join("pinned");
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::create_dir_all(root.join("postimg")).unwrap();
    let mut post = String::from("---\ntitle: pinned\n---\n");
    for (i, name) in IMAGES.iter().enumerate() {
        std::fs::copy(
            fixture("corpus").join(name),
            root.join("postimg").join(name),
        )
        .unwrap();
        post.push_str(&format!(
            "Image {i}:\n\n![{name}]({{{{site.baseurl}}}}/postimg/{name})\n\n"
        ));
    }
    std::fs::write(root.join("_posts/2020-01-01-pinned.md"), post).unwrap();
    std::fs::write(root.join("_config.yml"), "baseurl: \"/blog\"\n").unwrap();
    site
}

#[test]
fn outputs_of_the_fixture_set_are_pinned() {
    let site = pinned_site();
    // `--quality 80` is the fixed quality every build used before `--quality auto`: these are
    // the same bytes as then (the pin was not changed by auto quality).
    let args = [
        "build",
        "--json",
        "pinned",
        "--out",
        "built",
        "--quality",
        "80",
    ];
    let out = site.run(&args);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let built = site.root.join("built");
    let mut lines: Vec<String> = snapshot(&built)
        .into_iter()
        .filter(|(k, _)| k.contains("/responsive/") || k.starts_with("_posts/"))
        .map(|(k, (bytes, _))| format!("{}  {k}", blake3::hash(&bytes).to_hex()))
        .collect();
    lines.sort();
    let got = lines.join("\n") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PINNED);
    if std::env::var_os("POSTPIX_REPIN").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap();
    if got != want {
        let diff = similar::TextDiff::from_lines(&want, &got)
            .unified_diff()
            .header("pinned", "now")
            .to_string();
        panic!(
            "outputs differ from {PINNED} (re-pin with POSTPIX_REPIN=1 only if the change is \
             intended):\n{diff}"
        );
    }
}

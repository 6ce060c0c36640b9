//! Build script: record the exact versions of the crates that shape postpix's output bytes, for
//! the cache key (`cache::codec_versions`). A hand-written list of versions goes stale the day
//! a dependency is bumped and then serves old variants under a new decoder; Cargo.lock is the
//! truth of what was compiled.

use std::path::Path;

/// Every crate whose version can change the bytes of a variant: decoders, colour management,
/// resizing, encoders and the deflaters behind them. Add a crate here when it joins that path.
const OUTPUT_CRATES: &[&str] = &[
    "image",
    "png",
    "gif",
    "zune-jpeg",
    "zune-core",
    "moxcms",
    "pxfm",
    "fast_image_resize",
    "jpeg-encoder",
    "webp",
    "libwebp-sys",
    "oxipng",
    "libdeflater",
    "libdeflate-sys",
    "zopfli",
    "ravif",
    "rav1e",
    "libavif-sys",
    "libavif",
    "ssimulacra2",
    "fast-ssim2",
];

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let lock = Path::new(&dir).join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    let versions = locked_versions(&text);
    // Without a lock file (postpix built as someone's dependency) the versions are unknown;
    // the key then says so and still carries postpix's own version.
    let line = if versions.is_empty() {
        "unlocked".to_string()
    } else {
        versions.join(" ")
    };
    println!("cargo:rustc-env=POSTPIX_OUTPUT_CRATES={line}");
}

/// `name version` for each output crate found in the lock file, in list order; a crate locked
/// at two versions lists both.
fn locked_versions(lock: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    let mut name: Option<&str> = None;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(v) = quoted(line, "name") {
            name = Some(v);
        } else if let (Some(n), Some(v)) = (name, quoted(line, "version")) {
            if let Some(rank) = OUTPUT_CRATES.iter().position(|c| *c == n) {
                found.push((rank, format!("{n} {v}")));
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, s)| s).collect()
}

/// The value of `key = "value"`.
fn quoted<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    rest.strip_prefix('"')?.strip_suffix('"')
}

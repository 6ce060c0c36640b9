//! Flat memory: a cold build of a few hundred generated images peaks within the memory budget
//! plus one image plus the program itself, however many images came before, and the peak grows
//! little with the number of images. The child's peak RSS is `getrusage(RUSAGE_CHILDREN)`
//! through `/usr/bin/time -f %M`. Before the allocator was tuned, glibc's sliding mmap threshold
//! let every image leave its canvases in the heap: 300 images of 320×240 peaked near 100 MB
//! under a 32 MiB budget.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const IMAGES: usize = 300;
const W: u16 = 320;
const H: u16 = 240;
const BUDGET_MIB: u64 = 32;
/// What the program needs besides images in flight: code, thread stacks, the survey, manifest
/// and report of a few hundred images (a no-op build of this site peaks at about 12 MB).
const PROGRAM_MIB: u64 = 16;

/// A 320×240 JPEG whose pixels depend only on `seed`: bands and a moving square.
fn jpeg(seed: usize) -> Vec<u8> {
    let (w, h) = (usize::from(W), usize::from(H));
    let mut px = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let inside = (x + seed * 7) % w < 60 && (y + seed * 3) % h < 60;
            let v = ((x * 3 + y * 5 + seed * 11) % 256) as u8;
            px.extend_from_slice(&[v, if inside { 255 } else { v / 2 }, (seed % 256) as u8]);
        }
    }
    encode_jpeg(&px, W, H)
}

/// A [`TINY`] JPEG whose 8×8 blocks spell `seed` in binary over a gradient, so no two seeds
/// (below 2^24) give the same bytes.
fn tiny_jpeg(seed: usize) -> Vec<u8> {
    let (w, h) = (usize::from(TINY.0), usize::from(TINY.1));
    let mut px = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let bit = (y / 8) * (w / 8) + x / 8;
            let on = (seed >> bit) & 1 == 1;
            let v = ((x * 5 + y * 3) % 128) as u8;
            px.extend_from_slice(&[v, if on { 240 } else { 16 }, v / 2]);
        }
    }
    encode_jpeg(&px, TINY.0, TINY.1)
}

fn encode_jpeg(rgb: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(rgb, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn generated_site(root: &Path) {
    generated_site_of(root, IMAGES, &jpeg);
}

/// `images` distinct JPEGs made by `make`, four to a post.
fn generated_site_of(root: &Path, images: usize, make: &dyn Fn(usize) -> Vec<u8>) {
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::create_dir_all(root.join("img")).unwrap();
    std::fs::write(root.join("_config.yml"), "title: memory\n").unwrap();
    for p in 0..images / 4 {
        let mut post = String::from("---\ntitle: t\n---\n\n");
        for i in p * 4..p * 4 + 4 {
            std::fs::write(root.join(format!("img/p{i:04}.jpg")), make(i)).unwrap();
            post.push_str(&format!("![{i}](/img/p{i:04}.jpg)\n\n"));
        }
        std::fs::write(root.join(format!("_posts/2024-01-01-p{p:04}.md")), post).unwrap();
    }
}

/// Peak RSS in KB of a cold `build -j 2 --memory-budget BUDGET_MIB` of `site` with `extra`
/// flags; asserts it succeeded and wrote `variants` files.
fn cold_peak(site: &Path, extra: &[&str], variants: usize) -> u64 {
    let rss = site.with_extension("rss");
    let bin = std::env::var_os("POSTPIX_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_postpix").into());
    let budget = BUDGET_MIB.to_string();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .arg(bin)
        .args(["build", "--quiet", "-j", "2", "--memory-budget", &budget])
        .args(extra)
        .arg(site)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", show(&out));
    let made = std::fs::read_dir(site.join("img/responsive"))
        .unwrap()
        .count();
    assert_eq!(made, variants, "one WebP and one JPEG per image");
    std::fs::read_to_string(&rss)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn cold_build_peak_rss_stays_within_the_budget_plus_one_image() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    generated_site(&site);
    let kb = cold_peak(&site, &[], IMAGES * 2);
    // The scheduler's own estimate of one image (three RGBA canvases and 8 MiB of encoder
    // buffers; memory::encode_estimate adds the file, a few hundred kB here).
    let one_image = u64::from(W) * u64::from(H) * 4 * 3 + (8 << 20);
    let bound = ((BUDGET_MIB + PROGRAM_MIB) << 20) + one_image;
    assert!(
        kb * 1024 <= bound,
        "peak RSS {} MiB for {IMAGES} images; bound {} MiB (budget {BUDGET_MIB} + one image + \
         {PROGRAM_MIB} for the program)",
        kb / 1024,
        bound >> 20
    );
}

/// The flatness test's sites: tiny images, so that the larger one encodes in seconds; what a
/// build keeps per image (its report, its manifest records, its paths) does not depend on the
/// pixels, and that is what would grow.
const TINY: (u16, u16) = (48, 32);
const FEW: usize = 200;
const MANY: usize = 1_600;
/// Bytes of peak RSS one more image may add: what is reached, not yet issue 16's "a few hundred
/// bytes". Measured on this test's sites (README "Large sites"): 9.1–10.7 KB per image before
/// the manifest was streamed and glibc kept to one arena, 4.3–4.9 KB after, 3.9 KB with content
/// hashes as 32-byte digests (session 11); what remains is
/// live data (the survey's sources and references, the plan's jobs, every image's report and
/// manifest records), which a lower bound here would need streamed.
const PER_IMAGE: u64 = 7 << 10;

#[test]
fn cold_build_peak_rss_hardly_grows_with_the_image_count() {
    let dir = tempfile::tempdir().unwrap();
    let peaks: Vec<u64> = [FEW, MANY]
        .iter()
        .map(|&n| {
            let site = dir.path().join(format!("site-{n}"));
            generated_site_of(&site, n, &tiny_jpeg);
            cold_peak(&site, &["--quality", "80"], n * 2) << 10
        })
        .collect();
    let (few, many) = (peaks[0], peaks[1]);
    let per_image = many.saturating_sub(few) / (MANY - FEW) as u64;
    eprintln!(
        "peak RSS: {FEW} images {} KiB, {MANY} images {} KiB: {per_image} B per image",
        few >> 10,
        many >> 10
    );
    // The few's peak (within the budget, as the test above shows for 300 larger images) plus
    // the allowance per image for the rest.
    let bound = few + PER_IMAGE * (MANY - FEW) as u64;
    assert!(
        many <= bound,
        "peak RSS {} KiB for {MANY} images, {} KiB for {FEW}: {per_image} B per image more \
         (allowed {PER_IMAGE})",
        many >> 10,
        few >> 10
    );
}

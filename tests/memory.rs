//! Flat memory: a cold build of a few hundred generated images peaks within the memory budget
//! plus one image plus the program itself, however many images came before. The child's peak
//! RSS is `getrusage(RUSAGE_CHILDREN)` through `/usr/bin/time -f %M`. Before the allocator was
//! tuned, glibc's sliding mmap threshold let every image leave its canvases in the heap: 300
//! images of 320×240 peaked near 100 MB under a 32 MiB budget.
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
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&px, W, H, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn generated_site(root: &Path) {
    std::fs::create_dir_all(root.join("_posts")).unwrap();
    std::fs::create_dir_all(root.join("img")).unwrap();
    std::fs::write(root.join("_config.yml"), "title: memory\n").unwrap();
    for p in 0..IMAGES / 4 {
        let mut post = String::from("---\ntitle: t\n---\n\n");
        for i in p * 4..p * 4 + 4 {
            std::fs::write(root.join(format!("img/p{i:04}.jpg")), jpeg(i)).unwrap();
            post.push_str(&format!("![{i}](/img/p{i:04}.jpg)\n\n"));
        }
        std::fs::write(root.join(format!("_posts/2024-01-01-p{p:04}.md")), post).unwrap();
    }
}

#[test]
fn cold_build_peak_rss_stays_within_the_budget_plus_one_image() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    generated_site(&site);
    let rss = dir.path().join("rss");
    let bin = std::env::var_os("POSTPIX_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_postpix").into());
    let budget = BUDGET_MIB.to_string();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .arg(bin)
        .args(["build", "--quiet", "-j", "2", "--memory-budget", &budget])
        .arg(&site)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", show(&out));
    let made = std::fs::read_dir(site.join("img/responsive"))
        .unwrap()
        .count();
    assert_eq!(made, IMAGES * 2, "one WebP and one JPEG per image");
    let kb: u64 = std::fs::read_to_string(&rss)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
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

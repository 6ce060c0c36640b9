//! Decompression bombs in metadata: a tiny image whose ICC profile, compressed text or XMP
//! inflates to 1 GiB, a JPEG with the longest ICC chain the format allows, a GIF with a giant
//! comment extension. Each runs through the real binary (`scan`, then `build -j 2
//! --memory-budget 64`); the child's peak RSS (`getrusage(RUSAGE_CHILDREN)` through
//! `/usr/bin/time -f %M`) stays under 300 MB, and a PNG bomb is refused, named, before any
//! decoder inflates it.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::*;

const GIB: usize = 1 << 30;
const RSS_LIMIT_KB: u64 = 300 * 1024;

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = (data.len() as u32).to_be_bytes().to_vec();
    let mut c = kind.to_vec();
    c.extend_from_slice(data);
    v.extend_from_slice(&c);
    v.extend_from_slice(&crc32(&c).to_be_bytes());
    v
}

/// A zlib stream of `n` zero bytes, compressed without holding them.
fn zlib_zeros(n: usize) -> Vec<u8> {
    let mut c = fdeflate::Compressor::new(Vec::new()).unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..n / block.len() {
        c.write_data(&block).unwrap();
    }
    c.finish().unwrap()
}

/// A 1×1 RGB PNG with `extra` chunks right after its IHDR.
fn png_with(extra: &[Vec<u8>]) -> Vec<u8> {
    let mut base = Vec::new();
    {
        let mut e = png::Encoder::new(&mut base, 1, 1);
        e.set_color(png::ColorType::Rgb);
        e.write_header()
            .unwrap()
            .write_image_data(&[200, 10, 10])
            .unwrap();
    }
    let mut v = base[..33].to_vec();
    for c in extra {
        v.extend_from_slice(c);
    }
    v.extend_from_slice(&base[33..]);
    v
}

/// A JPEG with 255 APP2 ICC_PROFILE segments of 64 KiB each (the format's maximum chain).
fn jpeg_with_huge_icc_chain() -> Vec<u8> {
    let base = std::fs::read(fixture("corpus/gray-cat.jpg")).unwrap();
    let mut v = base[..2].to_vec();
    for i in 1..=255u8 {
        let payload_len = 65533 - 2 - 14;
        let mut seg = vec![0xFF, 0xE2];
        seg.extend_from_slice(&(65533u16).to_be_bytes());
        seg.extend_from_slice(b"ICC_PROFILE\0");
        seg.extend_from_slice(&[i, 255]);
        seg.extend(std::iter::repeat_n(0x41u8, payload_len));
        v.extend_from_slice(&seg);
    }
    v.extend_from_slice(&base[2..]);
    v
}

/// A GIF with a 60 MB comment extension before its first image.
fn gif_with_giant_extension() -> Vec<u8> {
    let base = std::fs::read(fixture("corpus/earth.gif")).unwrap();
    let packed = base[10];
    let gct = if packed & 0x80 != 0 {
        3 << ((packed & 7) + 1)
    } else {
        0
    };
    let at = 13 + gct;
    let mut v = base[..at].to_vec();
    v.extend_from_slice(&[0x21, 0xFE]);
    let sub = [0x42u8; 255];
    for _ in 0..(60 << 20) / 255 {
        v.push(255);
        v.extend_from_slice(&sub);
    }
    v.push(0);
    v.extend_from_slice(&base[at..]);
    v
}

/// A site whose one post shows `name` holding `bytes`.
fn site_with(name: &str, bytes: &[u8]) -> TestSite {
    let site = TestSite::copy_of("site-example");
    for dir in ["_posts", "postimg"] {
        for e in std::fs::read_dir(site.path(dir)).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
    }
    std::fs::write(site.path(&format!("postimg/{name}")), bytes).unwrap();
    std::fs::write(
        site.path("_posts/2021-01-01-a.md"),
        format!("# A\n\n![x](/postimg/{name})\n"),
    )
    .unwrap();
    site
}

/// Run postpix under `/usr/bin/time -f %M`: (exit code, peak RSS in kB, output).
fn peak(site: &TestSite, args: &[&str]) -> (i32, u64, String) {
    let rss = site.root.parent().unwrap().join("rss");
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss)
        .arg(env!("CARGO_BIN_EXE_postpix"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(&site.root)
        .output()
        .unwrap();
    let kb = std::fs::read_to_string(&rss).unwrap();
    let kb = kb.lines().last().unwrap().trim().parse().unwrap();
    let text = show(&out);
    (out.status.code().unwrap_or(-1), kb, text)
}

fn assert_bounded(name: &str, bytes: &[u8], refused: Option<&str>) {
    let site = site_with(name, bytes);
    for args in [
        &["scan", "."][..],
        &["build", ".", "-j", "2", "--memory-budget", "64"],
    ] {
        let (code, kb, text) = peak(&site, args);
        eprintln!("{name} {args:?}: exit {code}, peak RSS {} MB", kb / 1024);
        assert!(
            code == 0 || code == 1,
            "{name} {args:?}: exit {code}\n{text}"
        );
        assert!(
            kb < RSS_LIMIT_KB,
            "{name} {args:?}: peak RSS {kb} kB\n{text}"
        );
        if let (Some(what), "build") = (refused, args[0]) {
            assert_eq!(code, 1, "{text}");
            assert!(
                text.contains(what) && text.contains("decompression bomb"),
                "{text}"
            );
        }
    }
}

#[test]
fn png_icc_profile_inflating_to_a_gib_is_refused_in_bounded_memory() {
    let mut data = b"bomb\0\0".to_vec();
    data.extend(zlib_zeros(GIB));
    let png = png_with(&[png_chunk(b"iCCP", &data)]);
    assert!(png.len() < 8 << 20, "{} bytes", png.len());
    assert_bounded("icc-bomb.png", &png, Some("iCCP"));
}

#[test]
fn png_compressed_text_and_xmp_inflating_to_a_gib_are_refused() {
    let mut z = b"Comment\0\0".to_vec();
    z.extend(zlib_zeros(GIB));
    assert_bounded(
        "ztxt-bomb.png",
        &png_with(&[png_chunk(b"zTXt", &z)]),
        Some("zTXt"),
    );
    let mut x = b"XML:com.adobe.xmp\0\x01\0\0\0".to_vec();
    x.extend(zlib_zeros(GIB));
    assert_bounded(
        "xmp-bomb.png",
        &png_with(&[png_chunk(b"iTXt", &x)]),
        Some("iTXt"),
    );
}

#[test]
fn jpeg_with_the_longest_icc_chain_stays_bounded() {
    assert_bounded("icc-chain.jpg", &jpeg_with_huge_icc_chain(), None);
}

#[test]
fn gif_with_a_giant_extension_stays_bounded() {
    assert_bounded("giant-extension.gif", &gif_with_giant_extension(), None);
}

/// Four 1×1 PNGs, each carrying a 40 MB private chunk: files big on disk, tiny in pixels.
/// Reading two of them at once already exceeds the budget below, so the survey's reads and the
/// encoder's tasks must count each file's bytes and take them one at a time (before, the survey
/// read one per core outside any budget and the encoder's estimate counted pixels only).
#[test]
fn big_files_are_read_inside_the_memory_budget() {
    const FILE_MB: usize = 40;
    let png = png_with(&[png_chunk(b"ruSt", &vec![7u8; FILE_MB << 20])]);
    let site = site_with("big-0.png", &png);
    let mut post = String::from("# A\n\n");
    for i in 0..4 {
        std::fs::write(site.path(&format!("postimg/big-{i}.png")), &png).unwrap();
        post.push_str(&format!("![x](/postimg/big-{i}.png)\n\n"));
    }
    std::fs::write(site.path("_posts/2021-01-01-a.md"), post).unwrap();
    // One file in flight plus the program (about 20 MB) fits; two files do not.
    let limit_kb = ((FILE_MB + FILE_MB * 3 / 4) << 10) as u64;
    for args in [
        &["scan", ".", "--memory-budget", "48"][..],
        &["build", ".", "-j", "2", "--memory-budget", "48"],
    ] {
        let (code, kb, text) = peak(&site, args);
        eprintln!("{args:?}: exit {code}, peak RSS {} MB", kb / 1024);
        assert_eq!(code, 0, "{args:?}\n{text}");
        assert!(kb < limit_kb, "{args:?}: peak RSS {kb} kB\n{text}");
    }
}

/// The reproduction from the review: four iCCP bombs in one site, `build -j 2 --memory-budget
/// 64` (it peaked at 2.1 GB and exited 0). Each is refused and named; the run fails.
#[test]
fn four_icc_bombs_in_one_site_are_each_refused_in_bounded_memory() {
    let mut data = b"bomb\0\0".to_vec();
    data.extend(zlib_zeros(GIB));
    let png = png_with(&[png_chunk(b"iCCP", &data)]);
    let site = site_with("bomb-0.png", &png);
    let mut post = String::from("# A\n\n");
    for i in 0..4 {
        std::fs::write(site.path(&format!("postimg/bomb-{i}.png")), &png).unwrap();
        post.push_str(&format!("![x](/postimg/bomb-{i}.png)\n\n"));
    }
    std::fs::write(site.path("_posts/2021-01-01-a.md"), post).unwrap();
    let (code, kb, text) = peak(&site, &["build", ".", "-j", "2", "--memory-budget", "64"]);
    eprintln!("four bombs: exit {code}, peak RSS {} MB", kb / 1024);
    assert_eq!(code, 1, "{text}");
    assert!(kb < RSS_LIMIT_KB, "peak RSS {kb} kB\n{text}");
    for i in 0..4 {
        assert!(text.contains(&format!("bomb-{i}.png")), "{text}");
    }
    assert!(text.matches("decompression bomb").count() >= 4, "{text}");
}

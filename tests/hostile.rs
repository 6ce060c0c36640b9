//! Hostile input: decompression bombs, truncated and corrupt files, things that are not images,
//! traversal links, symlinks out of the site (one to a FIFO, which would hang a reader that
//! opened it), and a symlink planted at a variant path. postpix must not panic, not hang, read
//! nothing outside the site, write nothing outside it, name every bad file with its reason, carry
//! on with the rest and exit 1.
#![allow(clippy::unwrap_used)]

mod common;

use postpix::encode::{Op, Origin, Request, Shape, WebpMode};
use postpix::error::{EncoderFault, ImageFault};
use postpix::format::OutFormat;

/// Whether a result is a codec panic the encoder caught.
fn crashed(r: &Result<(), ImageFault>) -> bool {
    matches!(r, Err(ImageFault::Encoder(EncoderFault::Crashed(_))))
}

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

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
    v.extend_from_slice(kind);
    v.extend_from_slice(data);
    let mut c = kind.to_vec();
    c.extend_from_slice(data);
    v.extend_from_slice(&crc32(&c).to_be_bytes());
    v
}

/// A PNG whose IHDR claims `w`×`h` (valid CRCs), with a tiny IDAT.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // 1-bit gray: the classic bomb
    v.extend(png_chunk(b"IHDR", &ihdr));
    // zlib stream of a few zero bytes
    v.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    ));
    v.extend(png_chunk(b"IEND", &[]));
    v
}

/// A real JPEG with its SOF patched to claim 65535×65535.
fn jpeg_claiming_huge() -> Vec<u8> {
    let mut b = std::fs::read(fixture("corpus/rocket.jpg")).unwrap();
    let sof = b
        .windows(2)
        .position(|w| w[0] == 0xFF && (0xC0..=0xC2).contains(&w[1]))
        .unwrap();
    b[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    b
}

/// A GIF with the given logical screen and `frames` 1×1 frames.
fn gif(screen_w: u16, screen_h: u16, frames: usize) -> Vec<u8> {
    let mut v = b"GIF89a".to_vec();
    v.extend_from_slice(&screen_w.to_le_bytes());
    v.extend_from_slice(&screen_h.to_le_bytes());
    v.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF]);
    for _ in 0..frames {
        v.extend_from_slice(&[0x21, 0xF9, 4, 0, 10, 0, 0, 0]);
        v.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0]);
    }
    v.push(0x3B);
    v
}

#[cfg(unix)]
fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().unwrap();
    assert!(st.success());
}

/// Run postpix with a hard time limit: a hang is a failure, not a stuck suite.
fn run_bounded(site: &TestSite, args: &[&str], limit: Duration) -> (Value, i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_postpix"))
        .args(args)
        .current_dir(&site.root)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain both pipes while waiting: a report larger than the pipe's buffer (64 KiB) would
    // otherwise block the child on its write, and the test would call that a hang.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("postpix {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = stdout.join().unwrap();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
    let v = serde_json::from_slice(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&stdout)
        )
    });
    (v, status.code().unwrap_or(-1), stderr)
}

fn image<'a>(v: &'a Value, src: &str) -> &'a Value {
    v["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"] == src)
        .unwrap_or_else(|| panic!("{src} not in the report: {}", v["images"]))
}

#[cfg(unix)]
#[test]
fn hostile_copy_of_site_example() {
    let site = TestSite::copy_of("site-example");
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    mkfifo(&outside.path().join("fifo"));
    let p = |n: &str| site.path(&format!("postimg/{n}"));

    std::fs::write(p("bomb.png"), png_claiming(100_000, 100_000)).unwrap();
    std::fs::write(p("bomb-max.png"), png_claiming(0x7FFF_FFFF, 0x7FFF_FFFF)).unwrap();
    std::fs::write(p("bomb.jpg"), jpeg_claiming_huge()).unwrap();
    std::fs::write(p("bomb-screen.gif"), gif(65535, 65535, 1)).unwrap();
    std::fs::write(p("many-frames.gif"), gif(1, 1, 20_000)).unwrap();
    let wood = std::fs::read(p("wood.jpg")).unwrap();
    std::fs::write(p("truncated.jpg"), &wood[..wood.len() / 3]).unwrap();
    let shot = std::fs::read(p("screenshot-wireshark.png")).unwrap();
    std::fs::write(p("truncated.png"), &shot[..shot.len() / 2]).unwrap();
    let mut flipped = std::fs::read(p("toucan.png")).unwrap();
    for i in (100..flipped.len()).step_by(997) {
        flipped[i] ^= 0x5A;
    }
    std::fs::write(p("flipped.png"), &flipped).unwrap();
    std::fs::write(p("empty.jpeg"), b"").unwrap();
    std::fs::write(p("seven.jpeg"), b"\xFF\xD8\xFF\xE0\x00\x10J").unwrap();
    std::fs::write(p("text.jpeg"), b"<html>not an image</html>").unwrap();
    std::fs::write(
        p("random.jpeg"),
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    std::fs::create_dir(p("folder.png")).unwrap();
    mkfifo(&p("fifo.gif"));
    std::os::unix::fs::symlink("/etc/passwd", p("passwd.jpeg")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("fifo"), p("outside-fifo.png")).unwrap();

    let post = "---\ntitle: hostile\n---\n\n".to_string()
        + &[
            "bomb.png", "bomb-max.png", "bomb.jpg", "bomb-screen.gif", "many-frames.gif",
            "truncated.jpg", "truncated.png", "flipped.png", "empty.jpeg", "seven.jpeg",
            "text.jpeg", "random.jpeg", "folder.png", "fifo.gif", "passwd.jpeg",
            "outside-fifo.png",
        ]
        .iter()
        .map(|n| format!("![{n}]({{{{site.baseurl}}}}/postimg/{n})\n\n"))
        .collect::<String>()
        + "![up](../../../etc/passwd)\n\n![up2]({{site.baseurl}}/../../etc/passwd)\n\n![abs](/etc/passwd)\n\n![enc](%2e%2e/%2e%2e/etc/passwd)\n\n![fine]({{site.baseurl}}/postimg/hubble.jpg)\n";
    std::fs::write(site.path("_posts/2030-01-01-hostile.md"), &post).unwrap();
    let posts_before: Vec<(String, String)> = std::fs::read_dir(site.path("_posts"))
        .unwrap()
        .map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            (n.clone(), site.read(&format!("_posts/{n}")))
        })
        .collect();
    let outside_before = snapshot(outside.path());

    let (v, code, stderr) = run_bounded(&site, &["build", "--json", "."], Duration::from_secs(600));
    assert_eq!(code, 1, "bad files must make the exit code 1\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    for (src, needle) in [
        ("postimg/bomb.png", "--max-pixels"),
        ("postimg/bomb-max.png", "--max-pixels"),
        ("postimg/bomb.jpg", "--max-pixels"),
        ("postimg/bomb-screen.gif", "--max-pixels"),
        ("postimg/many-frames.gif", "frames"),
        ("postimg/truncated.jpg", "truncated"),
        ("postimg/truncated.png", "truncated"),
        ("postimg/empty.jpeg", "not an image"),
        ("postimg/text.jpeg", "not an image"),
        ("postimg/random.jpeg", "not an image"),
        ("postimg/folder.png", "not an image"),
        ("postimg/fifo.gif", "not an image"),
    ] {
        let img = image(&v, src);
        assert_eq!(img["status"], "failed", "{src}: {img}");
        let err = img["error"].as_str().unwrap_or("");
        assert!(
            err.contains(needle),
            "{src}: error {err:?} should mention {needle:?}"
        );
    }
    for src in ["postimg/seven.jpeg", "postimg/flipped.png"] {
        assert_eq!(image(&v, src)["status"], "failed", "{src}");
    }
    // The good images still went through.
    assert_eq!(image(&v, "postimg/hubble.jpg")["status"], "encoded");
    assert!(
        v["summary"]["encoded"].as_u64().unwrap() > 30,
        "{}",
        v["summary"]
    );

    // Nothing outside was read (the FIFO would have hung) or written.
    assert_eq!(
        changes(&outside_before, &snapshot(outside.path())),
        Vec::<String>::new()
    );
    // Every post is byte-identical or correctly rewritten; bad references stay as written.
    for (name, before) in &posts_before {
        let now = site.read(&format!("_posts/{name}"));
        assert_eq!(&postpix::marker::restore(&now), before, "{name}");
    }
    let hostile = site.read("_posts/2030-01-01-hostile.md");
    for kept in [
        "![bomb.png]({{site.baseurl}}/postimg/bomb.png)",
        "![up](../../../etc/passwd)",
        "![abs](/etc/passwd)",
    ] {
        assert!(hostile.contains(kept), "{kept} must stay as written");
    }
    assert_eq!(
        hostile.matches("<picture>").count(),
        1,
        "only the fine image is rewritten"
    );

    // A symlink planted at a variant path is replaced, never written through.
    let var = image(&v, "postimg/hubble.jpg")["variants"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_file(site.path(&var)).unwrap();
    std::os::unix::fs::symlink(&victim, site.path(&var)).unwrap();
    let (_, _, stderr) = run_bounded(&site, &["build", "--json", "."], Duration::from_secs(600));
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    let meta = std::fs::symlink_metadata(site.path(&var)).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the planted link was replaced by a real file"
    );
    assert!(::image::load_from_memory(&std::fs::read(site.path(&var)).unwrap()).is_ok());
}

#[test]
fn lenient_turns_a_truncated_jpeg_into_a_warning() {
    let site = TestSite::copy_of("site-example");
    let wood = std::fs::read(site.path("postimg/wood.jpg")).unwrap();
    std::fs::write(site.path("postimg/wood.jpg"), &wood[..wood.len() * 2 / 3]).unwrap();
    std::fs::write(
        site.path("_posts/2021-05-18-odd-paths.md"),
        "![w]({{site.baseurl}}/postimg/wood.jpg)\n",
    )
    .unwrap();
    for f in std::fs::read_dir(site.path("_posts")).unwrap() {
        let f = f.unwrap().path();
        if !f.ends_with("2021-05-18-odd-paths.md") {
            std::fs::remove_file(f).unwrap();
        }
    }
    let (v, code, _) = run_bounded(&site, &["build", "--json", "."], Duration::from_secs(300));
    assert_eq!(code, 1);
    assert!(image(&v, "postimg/wood.jpg")["error"]
        .as_str()
        .unwrap()
        .contains("--lenient"));
    let (v, code, _) = run_bounded(
        &site,
        &["build", "--json", "--lenient", "."],
        Duration::from_secs(300),
    );
    assert_eq!(code, 0, "{v}");
    let img = image(&v, "postimg/wood.jpg");
    assert_eq!(img["status"], "encoded");
    assert!(img["warnings"].to_string().contains("truncated"), "{img}");
}

/// Every corpus image cut at several offsets, and with bytes flipped, through the decode and
/// encode path: an error or a result, never a panic, and each within a time bound.
#[test]
fn truncations_and_byte_flips_never_panic() {
    let corpus = fixture("corpus");
    let settings = postpix::encode::EncodeSettings::default();
    let limits = postpix::encode::DecodeLimits::default();
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md" && e != "tsv"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 70);
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let mut variants: Vec<Vec<u8>> = [7, bytes.len() / 4, bytes.len() / 2, bytes.len() - 1]
            .iter()
            .map(|&n| bytes[..n.min(bytes.len())].to_vec())
            .collect();
        let mut flipped = bytes.clone();
        for i in (64..flipped.len()).step_by(1 + flipped.len() / 16) {
            flipped[i] = !flipped[i];
        }
        variants.push(flipped);
        for (k, b) in variants.iter().enumerate() {
            let start = Instant::now();
            let r = std::panic::catch_unwind(|| {
                let fmt = postpix::format::sniff(b);
                if let Some(fmt) = fmt {
                    let _ = postpix::container::check_complete(b, fmt);
                }
                let _ = postpix::probe::probe(b);
                // As a build does (probe, plan, encode, guard)…
                let planned =
                    postpix::pipeline::execute::encode_bytes(b, &[32], &settings, &limits);
                // …and straight into both encoders, as if the header had said so. The encoder
                // turns a codec panic into an error; none may happen.
                let mut crashes = vec![crashed(&planned.map(|_| ()))];
                for shape in [Shape::Still, Shape::Animated] {
                    let req = Request {
                        shape,
                        webp: WebpMode::Decide,
                        quality: settings.quality(),
                        ops: vec![Op {
                            width: 32,
                            height: 32,
                            format: OutFormat::Webp,
                            origin: Origin::Encoded,
                        }],
                        pinned: Vec::new(),
                        offer_source: true,
                    };
                    let direct = postpix::encode::run(b, &req, &settings, &limits);
                    crashes.push(crashed(&direct.map(|_| ())));
                }
                crashes.iter().any(|&c| c)
            });
            assert!(r.is_ok(), "{} variant {k} panicked", f.display());
            assert!(
                r.is_ok_and(|c| !c),
                "{} variant {k} crashed a codec",
                f.display()
            );
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{} variant {k} took {:?}",
                f.display(),
                start.elapsed()
            );
        }
    }
}

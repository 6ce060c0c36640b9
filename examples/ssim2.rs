//! SSIMULACRA2 of image files (WebP, AVIF, PNG, JPEG, GIF) against their sources, for benches/compare/quality.py.
//!
//! stdin: one `SOURCE<TAB>VARIANT` per line; stdout: per line the score and the variant's width
//! and height (`nan 0 0` when either file cannot be read). The source is decoded as postpix decodes it (EXIF orientation applied,
//! ICC profiles converted to sRGB), resized with Lanczos3 to the variant's size; the variant is
//! decoded as is (8-bit sRGB both sides); a transparent picture is scored on white and on
//! black and the lower score kept (`postpix::encode::judge`).
#![allow(clippy::unwrap_used)]

use std::io::BufRead;

use postpix::encode::{avif, decode, judge, resize::Resizer, webp, DecodeLimits, Pixels};

fn pixels(bytes: &[u8]) -> Option<Pixels> {
    if bytes.get(8..12) == Some(b"WEBP") {
        return webp::decode(bytes).ok();
    }
    if bytes
        .get(4..12)
        .is_some_and(|b| b == b"ftypavif" || b == b"ftypavis")
    {
        return avif::decode(bytes);
    }
    decode::decode(bytes, &DecodeLimits::default())
        .ok()
        .map(|d| d.pixels)
}

fn score(src: &str, var: &str) -> Option<(f64, u32, u32)> {
    let s = pixels(&std::fs::read(src).ok()?)?;
    let v = pixels(&std::fs::read(var).ok()?)?;
    let r = Resizer::new().to_width(&s, v.width).ok()?.into_owned();
    if r.height != v.height {
        return None;
    }
    Some((judge::score(&r, &v).ok()?, v.width, v.height))
}

fn main() {
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let Some((src, var)) = line.split_once('\t') else {
            continue;
        };
        match score(src, var) {
            Some((s, w, h)) => println!("{s:.3} {w} {h}"),
            None => println!("nan 0 0"),
        }
    }
}

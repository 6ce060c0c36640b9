//! Bytes at equal SSIMULACRA2 for libwebp settings other than postpix's (method 4, libwebp's
//! defaults otherwise), to decide which WebP knobs pay: for every still image of a folder, at
//! 960 px (or its own width when narrower), each setting's lowest quality scoring at least the
//! target is found by bisection and its bytes summed.
//!
//! `cargo run --release --example webp_tuning -- tests/fixtures/corpus [TARGET]`
#![allow(clippy::unwrap_used)]

#[path = "common/stills.rs"]
mod stills;

use std::path::PathBuf;

use postpix::encode::{decode, judge, resize::Resizer, webp, DecodeLimits, Layout, Pixels};
use rayon::prelude::*;

type Knob = fn(&mut ::webp::WebPConfig);

/// Bytes, score, quality and seconds per encode of one setting on one picture.
type Found = (usize, f64, u8, f64);

const SETTINGS: &[(&str, Knob)] = &[
    ("m4 (postpix)", |_| {}),
    ("m6", |c| c.method = 6),
    ("sharp_yuv", |c| c.use_sharp_yuv = 1),
    ("sharp_yuv + m6", |c| {
        c.use_sharp_yuv = 1;
        c.method = 6
    }),
    ("sharp_yuv + m3", |c| {
        c.use_sharp_yuv = 1;
        c.method = 3
    }),
    ("sharp_yuv + autofilter", |c| {
        c.use_sharp_yuv = 1;
        c.autofilter = 1
    }),
];

fn encode(px: &Pixels, q: u8, knob: Knob) -> Vec<u8> {
    let mut c = ::webp::WebPConfig::new().unwrap();
    c.method = 4;
    c.quality = f32::from(q);
    knob(&mut c);
    let rgb: Vec<u8>;
    let enc = match px.layout {
        Layout::Rgba => ::webp::Encoder::from_rgba(&px.data, px.width, px.height),
        Layout::Rgb => ::webp::Encoder::from_rgb(&px.data, px.width, px.height),
        Layout::Luma => {
            rgb = px.data.iter().flat_map(|&g| [g, g, g]).collect();
            ::webp::Encoder::from_rgb(&rgb, px.width, px.height)
        }
    };
    enc.encode_advanced(&c).unwrap().to_vec()
}

/// Bytes and score of the lowest quality in 5..=100 scoring at least `target` (the highest
/// quality's when none does).
fn at_target(px: &Pixels, r: &judge::Reference, target: f64, knob: Knob) -> Found {
    let (b, s, q) = search(px, r, target, knob);
    let t = std::time::Instant::now();
    for _ in 0..3 {
        encode(px, q, knob);
    }
    (b, s, q, t.elapsed().as_secs_f64() / 3.0)
}

fn search(px: &Pixels, r: &judge::Reference, target: f64, knob: Knob) -> (usize, f64, u8) {
    let try_q = |q: u8| {
        let b = encode(px, q, knob);
        let s = r.score(&webp::decode(&b).unwrap()).unwrap_or(f64::NAN);
        (b.len(), s)
    };
    let (mut lo, mut hi) = (5u8, 100u8);
    let mut best = {
        let (b, s) = try_q(hi);
        if s.is_nan() || s < target {
            return (b, s, hi);
        }
        (b, s, hi)
    };
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        let (b, s) = try_q(mid);
        if s >= target {
            hi = mid;
            best = (b, s, mid);
        } else {
            lo = mid;
        }
    }
    best
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "tests/fixtures/corpus".into()),
    );
    let target: f64 = args.next().map_or(72.0, |t| t.parse().unwrap());
    let files = stills::still_images(&dir);
    let rows: Vec<(String, Vec<Found>)> = files
        .par_iter()
        .filter_map(|f| {
            let src = decode::decode(&std::fs::read(f).ok()?, &DecodeLimits::default()).ok()?;
            let w = src.pixels.width.min(960);
            let px = Resizer::new().to_width(&src.pixels, w).ok()?.into_owned();
            if px.width < 16 || px.height < 16 {
                return None;
            }
            let r = judge::Reference::new(&px).ok()?;
            let per = SETTINGS
                .iter()
                .map(|(_, k)| at_target(&px, &r, target, *k))
                .collect();
            Some((f.file_name()?.to_string_lossy().into_owned(), per))
        })
        .collect();
    println!("{} pictures, target {target}", rows.len());
    for (name, per) in &rows {
        let cells: Vec<String> = per
            .iter()
            .map(|(b, s, q, _)| format!("{b}/{s:.1}/q{q}"))
            .collect();
        println!("{name}\t{}", cells.join("\t"));
    }
    let base: usize = rows.iter().map(|r| r.1[0].0).sum();
    for (i, (label, _)) in SETTINGS.iter().enumerate() {
        let total: usize = rows.iter().map(|r| r.1[i].0).sum();
        let geo = (rows
            .iter()
            .map(|r| (r.1[i].0 as f64 / r.1[0].0 as f64).ln())
            .sum::<f64>()
            / rows.len() as f64)
            .exp();
        let mean: f64 = rows.iter().map(|r| r.1[i].1).sum::<f64>() / rows.len() as f64;
        let secs: f64 = rows.iter().map(|r| r.1[i].3).sum();
        println!(
            "{label:<24} bytes {total:>9} ({:.3}×, per-picture geomean {geo:.3}×), mean score {mean:.2}, one encode of each {secs:.2} s",
            total as f64 / base as f64
        );
    }
}

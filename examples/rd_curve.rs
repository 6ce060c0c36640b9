//! Rate-distortion curves: for every still image of a folder, at 960 px (or its own width),
//! lossy WebP (method 4, sharp YUV: postpix's settings) at qualities 30..=95 in steps of STEP (default 5), printed as
//! `name<TAB>pixels<TAB>q<TAB>bytes<TAB>score` rows, to test quality-allocation rules offline.
//!
//! `cargo run --release --example rd_curve -- tests/fixtures/corpus [WIDTH] [STEP] > curves.tsv`, then
//! `python3 benches/allocation/allocate.py curves.tsv`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use postpix::encode::{decode, judge, resize::Resizer, webp, DecodeLimits, Layout, Pixels};
use rayon::prelude::*;

fn encode(px: &Pixels, q: u8) -> Vec<u8> {
    let mut c = ::webp::WebPConfig::new().unwrap();
    c.method = 4;
    c.quality = f32::from(q);
    c.use_sharp_yuv = 1;
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

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/fixtures/corpus".into()),
    );
    let width: u32 = std::env::args().nth(2).map_or(960, |w| w.parse().unwrap());
    let step: usize = std::env::args().nth(3).map_or(5, |s| s.parse().unwrap());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_lowercase();
            !name.starts_with("anim-")
                && [".png", ".jpg", ".jpeg", ".gif"]
                    .iter()
                    .any(|x| name.ends_with(x))
        })
        .collect();
    files.sort();
    let rows: Vec<String> = files
        .par_iter()
        .filter_map(|f| {
            let src = decode::decode(&std::fs::read(f).ok()?, &DecodeLimits::default()).ok()?;
            let w = src.pixels.width.min(width);
            let px = Resizer::new().to_width(&src.pixels, w).ok()?.into_owned();
            if px.width < 16 || px.height < 16 {
                return None;
            }
            let r = judge::Reference::new(&px).ok()?;
            let name = f.file_name()?.to_string_lossy().into_owned();
            let mut out = String::new();
            for q in (30..=95).step_by(step) {
                let b = encode(&px, q);
                let s = r.score(&webp::decode(&b).unwrap()).unwrap_or(f64::NAN);
                out += &format!(
                    "{name}\t{}\t{q}\t{}\t{s:.2}\n",
                    px.width * px.height,
                    b.len()
                );
            }
            Some(out)
        })
        .collect();
    for r in rows {
        print!("{r}");
    }
}

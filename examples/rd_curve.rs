//! Rate-distortion curves: for every still image of a folder, at 960 px (or its own width),
//! lossy WebP made by postpix's own encoder under `--quality auto` settings (method 4, sharp
//! YUV) at qualities 30..=95 in steps of STEP (default 5), printed as
//! `name<TAB>pixels<TAB>q<TAB>bytes<TAB>score` rows, to test quality-allocation rules offline.
//!
//! `cargo run --release --example rd_curve -- tests/fixtures/corpus [WIDTH] [STEP] > curves.tsv`, then
//! `python3 benches/allocation/allocate.py curves.tsv`.
#![allow(clippy::unwrap_used)]

#[path = "common/stills.rs"]
mod stills;

use std::path::PathBuf;

use postpix::encode::{decode, judge, resize::Resizer, webp, DecodeLimits, EncodeSettings};
use rayon::prelude::*;

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/fixtures/corpus".into()),
    );
    let width: u32 = std::env::args().nth(2).map_or(960, |w| w.parse().unwrap());
    let step: usize = std::env::args().nth(3).map_or(5, |s| s.parse().unwrap());
    // The defaults are `--quality auto`'s: the settings postpix's search encodes with.
    let auto = EncodeSettings::default();
    assert!(auto.webp_sharp_yuv(), "the defaults are quality auto's");
    let rows: Vec<String> = stills::still_images(&dir)
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
            for q in (30u8..=95).step_by(step) {
                let b = webp::encode(&px, false, &auto.with_webp_quality(f32::from(q))).ok()?;
                let s = r.score(&webp::decode(&b).ok()?).unwrap_or(f64::NAN);
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

//! A generated Jekyll site of N distinct small JPEGs and N/4 posts, for `benches/large-site.sh`
//! and anyone who wants to see how postpix scales.
//!
//! ```sh
//! cargo run --release --example large_site -- site SITE N      # SITE/_posts, SITE/img/NNN/…
//! cargo run --release --example large_site -- replace FILE SEED # FILE gets other pixels
//! ```
//! Every image is 320×240, quality 90, a deterministic pattern of soft ellipses drawn from its
//! index, so no two share bytes and a rerun writes the same files. Images live in folders of
//! 1,000 (`img/000/`, `img/001/`, …), four to a post. Writing 10,000 images takes a few seconds:
//! no image tool runs per file.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;

const W: u16 = 320;
const H: u16 = 240;
const PER_POST: usize = 4;
const PER_FOLDER: usize = 1000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["site", dir, n] => site(Path::new(dir), n.parse().expect("N is a number")),
        ["replace", file, seed] => {
            std::fs::write(file, jpeg(seed.parse().expect("SEED is a number"))).unwrap()
        }
        _ => {
            eprintln!("usage: large_site site DIR N | large_site replace FILE SEED");
            std::process::exit(2);
        }
    }
}

/// Write the whole site: `_config.yml`, N images, N/4 posts.
fn site(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir.join("_posts")).unwrap();
    std::fs::write(dir.join("_config.yml"), "title: large site\n").unwrap();
    for i in 0..n {
        let folder = dir.join(format!("img/{:03}", i / PER_FOLDER));
        if i % PER_FOLDER == 0 {
            std::fs::create_dir_all(&folder).unwrap();
        }
        std::fs::write(folder.join(format!("photo-{i:06}.jpg")), jpeg(i as u64)).unwrap();
    }
    for p in 0..n.div_ceil(PER_POST) {
        let mut post = format!("---\ntitle: Post {p}\n---\n\nSome words about post {p}.\n\n");
        for i in p * PER_POST..((p + 1) * PER_POST).min(n) {
            post.push_str(&format!(
                "![photo {i}](/img/{:03}/photo-{i:06}.jpg)\n\n",
                i / PER_FOLDER
            ));
        }
        let day = p % 28 + 1;
        let name = format!("2024-01-{day:02}-post-{p:06}.md");
        let mut f = std::fs::File::create(dir.join("_posts").join(name)).unwrap();
        f.write_all(post.as_bytes()).unwrap();
    }
}

/// One 320×240 JPEG whose pixels depend only on `seed`.
fn jpeg(seed: u64) -> Vec<u8> {
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (w, h) = (usize::from(W), usize::from(H));
    let base = [next() as u8, next() as u8, next() as u8];
    let mut px: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            let g = ((x + y) * 255 / (w + h)) as u8;
            [
                base[0].wrapping_add(g / 2),
                base[1].wrapping_add(g / 3),
                base[2],
            ]
        })
        .collect();
    for _ in 0..12 {
        let (cx, cy) = ((next() % w as u64) as f32, (next() % h as u64) as f32);
        let (rx, ry) = ((next() % 90 + 10) as f32, (next() % 70 + 10) as f32);
        let colour = [next() as u8, next() as u8, next() as u8];
        let (y0, y1) = ((cy - ry).max(0.0) as usize, ((cy + ry) as usize).min(h));
        let (x0, x1) = ((cx - rx).max(0.0) as usize, ((cx + rx) as usize).min(w));
        for y in y0..y1 {
            for x in x0..x1 {
                let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
                let d = dx * dx + dy * dy;
                if d < 1.0 {
                    let a = 1.0 - d;
                    let p = &mut px[(y * w + x) * 3..][..3];
                    for c in 0..3 {
                        p[c] = (f32::from(p[c]) * (1.0 - a) + f32::from(colour[c]) * a) as u8;
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&px, W, H, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

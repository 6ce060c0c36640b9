//! AVIF encoders side by side on the still images of a corpus: bytes, SSIMULACRA2, CPU, wall and
//! peak memory per configuration, so the encoder postpix links is chosen by measurement.
//!
//! ```text
//! avif-encoders prep CORPUS WIDTH OUT      references: each still image resized (Lanczos3) to
//!                                          min(WIDTH, its width), as PNG, + OUT/classes.txt
//! avif-encoders encode CONFIG REF DST      encode every reference with CONFIG, one at a time,
//!                                          one thread (run under /usr/bin/time by run.sh)
//! avif-encoders score REF DST              decode DST/*.avif (avifdec), SSIMULACRA2 against REF
//!                                          (transparent images on white and on black, the lower)
//! ```
//! CONFIG is `ravif:SPEED:QUALITY` (rav1e through ravif 0.13, in-process, 8-bit, always 4:4:4),
//! or `aom|svt|aomcq|aomssim:SPEED:QUANTIZER:CHROMA` (aomcq: end-usage=q with cq-level=QUANTIZER,
//! aomssim: the same with tune=ssim) (libavif's avifenc over libaom / SVT-AV1; CHROMA 420, 444
//! or `auto` = 4:4:4 for graphics, 4:2:0 for photos).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let a = |i: usize| args.get(i).cloned().unwrap_or_else(|| usage());
    match a(1).as_str() {
        "prep" => prep(
            Path::new(&a(2)),
            a(3).parse().unwrap_or_else(|_| usage()),
            Path::new(&a(4)),
        ),
        "encode" => encode(&a(2), Path::new(&a(3)), Path::new(&a(4))),
        "score" => score(Path::new(&a(2)), Path::new(&a(3))),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: avif-encoders prep CORPUS WIDTH OUT | encode CONFIG REF DST | score REF DST");
    std::process::exit(2)
}

fn sorted(dir: &Path, ext: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ext.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    v.sort();
    v
}

fn is_animated_gif(path: &Path) -> bool {
    use image::AnimationDecoder;
    let Ok(f) = fs::File::open(path) else {
        return false;
    };
    let Ok(d) = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(f)) else {
        return false;
    };
    d.into_frames().take(2).count() > 1
}

/// postpix's rule (src/encode/classify.rs): flat areas, few colours, or tiny.
fn is_graphic(img: &image::RgbaImage, jpeg: bool) -> bool {
    if jpeg {
        return false;
    }
    let (w, h) = img.dimensions();
    if w <= 64 && h <= 64 {
        return true;
    }
    let px: Vec<[u8; 4]> = img.pixels().map(|p| p.0).collect();
    let same = px
        .chunks(w as usize)
        .map(|row| row.windows(2).filter(|p| p[0] == p[1]).count())
        .sum::<usize>();
    if same * 2 >= px.len() {
        return true;
    }
    let mut colours: Vec<[u8; 4]> = px;
    colours.sort_unstable();
    colours.dedup();
    colours.len() <= 192
}

fn prep(corpus: &Path, width: u32, out: &Path) {
    let refs = out.join("ref");
    fs::create_dir_all(&refs).expect("mkdir");
    let mut classes = String::new();
    for p in sorted(corpus, &["png", "jpg", "jpeg", "gif"]) {
        if p.extension().is_some_and(|e| e == "gif") && is_animated_gif(&p) {
            continue;
        }
        let Ok(img) = image::open(&p) else { continue };
        let jpeg = matches!(
            image::ImageFormat::from_path(&p),
            Ok(image::ImageFormat::Jpeg)
        );
        let img = img.to_rgba8();
        let graphic = is_graphic(&img, jpeg);
        let w = img.width().min(width);
        let h = ((u64::from(img.height()) * u64::from(w) * 2 + u64::from(img.width()))
            / (u64::from(img.width()) * 2))
            .max(1) as u32;
        let small = image::imageops::resize(&img, w, h, image::imageops::FilterType::Lanczos3);
        let opaque = small.pixels().all(|p| p.0[3] == 255);
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("x")
            .to_string();
        let dst = refs.join(format!("{name}.png"));
        if opaque {
            image::DynamicImage::ImageRgba8(small)
                .to_rgb8()
                .save(&dst)
                .expect("save");
        } else {
            small.save(&dst).expect("save");
        }
        classes += &format!("{name} {}\n", if graphic { "graphic" } else { "photo" });
    }
    fs::write(out.join("classes.txt"), classes).expect("write classes");
}

fn classes(refs: &Path) -> std::collections::HashMap<String, String> {
    let text =
        fs::read_to_string(refs.parent().unwrap_or(refs).join("classes.txt")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn encode(config: &str, refs: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("mkdir");
    let parts: Vec<&str> = config.split(':').collect();
    let classes = classes(refs);
    for p in sorted(refs, &["png"]) {
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("x")
            .to_string();
        let out = dst.join(format!("{name}.avif"));
        let graphic = classes.get(&name).is_some_and(|c| c == "graphic");
        match parts.as_slice() {
            ["ravif", speed, quality] => {
                let img = image::open(&p).expect("ref").to_rgba8();
                let (w, h) = img.dimensions();
                let px: Vec<rgb::RGBA8> = img
                    .pixels()
                    .map(|p| rgb::RGBA8::new(p[0], p[1], p[2], p[3]))
                    .collect();
                let q: f32 = quality.parse().expect("quality");
                let enc = ravif::Encoder::new()
                    .with_quality(q)
                    .with_alpha_quality(q)
                    .with_speed(speed.parse().expect("speed"))
                    .with_bit_depth(ravif::BitDepth::Eight)
                    .with_num_threads(Some(1));
                let res = enc
                    .encode_rgba(imgref::Img::new(&px[..], w as usize, h as usize))
                    .expect("ravif");
                fs::write(&out, res.avif_file).expect("write");
            }
            [codec @ ("aom" | "svt" | "aomcq" | "aomssim"), speed, q, chroma] => {
                let yuv = match *chroma {
                    "auto" if graphic && *codec != "svt" => "444",
                    "auto" => "420",
                    c => c,
                };
                let mut cmd = Command::new("avifenc");
                cmd.args(["-j", "1", "-s", speed, "-y", yuv, "-d", "8"]);
                if *codec == "svt" || *codec == "aom" {
                    cmd.args([
                        "-c",
                        codec,
                        "--min",
                        q,
                        "--max",
                        q,
                        "--minalpha",
                        q,
                        "--maxalpha",
                        q,
                    ]);
                } else {
                    // Constant quality with adaptive quantisation, as libavif >= 1.0's `quality`.
                    let cq = format!("cq-level={q}");
                    cmd.args(["-c", "aom", "--min", "0", "--max", "63", "--minalpha", "0"]);
                    cmd.args(["--maxalpha", "63", "-a", "end-usage=q", "-a", &cq]);
                    if *codec == "aomssim" {
                        cmd.args(["-a", "tune=ssim"]);
                    }
                }
                let st = cmd
                    .arg(&p)
                    .arg(&out)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .expect("avifenc");
                if !st.success() {
                    // SVT-AV1 1.4 refuses odd heights at 4:2:0; counted by `score` as failed.
                    eprintln!("{config}: avifenc failed on {}", p.display());
                }
            }
            _ => usage(),
        }
    }
}

fn planes(img: &image::RgbaImage, on: f32) -> Vec<[f32; 3]> {
    img.pixels()
        .map(|p| {
            let a = f32::from(p[3]) / 255.0;
            let c = |v: u8| (f32::from(v) / 255.0) * a + on * (1.0 - a);
            [c(p[0]), c(p[1]), c(p[2])]
        })
        .collect()
}

fn ssim2(a: &image::RgbaImage, b: &image::RgbaImage) -> Option<f64> {
    use ssimulacra2::{ColorPrimaries, Rgb, TransferCharacteristic};
    let (w, h) = a.dimensions();
    if (w, h) != b.dimensions() || w < 8 || h < 8 {
        return None;
    }
    let opaque = a.pixels().all(|p| p[3] == 255);
    let backgrounds: &[f32] = if opaque { &[1.0] } else { &[1.0, 0.0] };
    backgrounds
        .iter()
        .filter_map(|&on| {
            let mk = |img| {
                Rgb::new(
                    planes(img, on),
                    w as usize,
                    h as usize,
                    TransferCharacteristic::SRGB,
                    ColorPrimaries::BT709,
                )
                .ok()
            };
            ssimulacra2::compute_frame_ssimulacra2(mk(a)?, mk(b)?).ok()
        })
        .reduce(f64::min)
}

fn score(refs: &Path, dst: &Path) {
    let classes = classes(refs);
    let lines: Vec<String> = sorted(dst, &["avif"])
        .par_iter()
        .map(|avif| {
            let name = avif
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("x")
                .to_string();
            let png = dst.join(format!("{name}.dec.png"));
            let ok = Command::new("avifdec")
                .args(["-j", "1", "-d", "8"])
                .arg(avif)
                .arg(&png)
                .stdout(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            let reference = image::open(refs.join(format!("{name}.png")))
                .expect("ref")
                .to_rgba8();
            let s = ok
                .then(|| image::open(&png).ok())
                .flatten()
                .and_then(|d| ssim2(&reference, &d.to_rgba8()));
            let _ = fs::remove_file(&png);
            let bytes = fs::metadata(avif).map(|m| m.len()).unwrap_or(0);
            let (w, h) = reference.dimensions();
            format!(
                "{name} {} {bytes} {} {}",
                classes.get(&name).map_or("?", |c| c.as_str()),
                u64::from(w) * u64::from(h),
                s.map_or("-".to_string(), |s| format!("{s:.2}"))
            )
        })
        .collect();
    fs::write(dst.join("scores.txt"), lines.join("\n") + "\n").expect("write scores");
}

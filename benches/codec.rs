//! Codec benches: decode, resize and encode (WebP, fallback) for one photo and one screenshot,
//! driven by a table so a new case is one line. Run briefly, e.g.
//! `cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3`.
#![allow(clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use postpix::encode::{
    classify, decode, jpeg, png, resize::Resizer, webp, DecodeLimits, EncodeSettings,
};
use postpix::format::OutFormat;

/// (corpus file, output width used for resize/encode benches)
const CASES: &[(&str, u32)] = &[("photo-storm.jpg", 960), ("screenshot-gnome.png", 480)];

fn corpus(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn codec(c: &mut Criterion) {
    let settings = EncodeSettings::default();
    let limits = DecodeLimits::default();
    for &(name, width) in CASES {
        let bytes = corpus(name);
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.bench_function("decode", |b| {
            b.iter(|| decode::decode(black_box(&bytes), &limits).expect("decodes"))
        });
        let src = decode::decode(&bytes, &limits).expect("decodes");
        group.bench_function("classify", |b| {
            b.iter(|| classify::is_graphic(black_box(&src.pixels)))
        });
        let mut resizer = Resizer::new();
        group.bench_function(format!("resize {width}"), |b| {
            b.iter(|| {
                resizer
                    .to_width(black_box(&src.pixels), width)
                    .expect("resizes")
                    .into_owned()
            })
        });
        let px = resizer
            .to_width(&src.pixels, width)
            .expect("resizes")
            .into_owned();
        let lossless = classify::is_graphic(&src.pixels) && name.ends_with(".png");
        group.bench_function(format!("webp {width} lossless={lossless}"), |b| {
            b.iter(|| webp::encode(black_box(&px), lossless, &settings).expect("encodes"))
        });
        let fallback = OutFormat::fallback_for(src.format);
        group.bench_function(format!("{fallback} {width}"), |b| {
            b.iter(|| match fallback {
                OutFormat::Jpeg => jpeg::encode(black_box(&px), settings.jpeg_quality),
                _ => png::encode(black_box(&px), settings.png_preset),
            })
        });
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);

//! Tests of the encode room against real corpus files (`tests/fixtures/corpus`).

use super::*;
use crate::container::{exif, gif, riff};
use crate::error::{EncoderFault, ImageFault, InputFault};
use crate::format::{Format, OutFormat};
use crate::pipeline::execute::encode_bytes;
use crate::plan::plan_widths;
use pixels::scaled_height;

use crate::testutil::corpus;

/// The defaults with fixed qualities (`--quality 80`), as before `--quality auto`.
fn fixed() -> EncodeSettings {
    EncodeSettings {
        target: None,
        ..EncodeSettings::default()
    }
}

fn enc(name: &str, widths: &[u32]) -> Encoded {
    encode_bytes(
        &corpus(name),
        widths,
        &EncodeSettings::default(),
        &DecodeLimits::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Decode any output back to RGBA8, checking its size is what the Output claims.
fn decode_output(o: &Output) -> image::RgbaImage {
    let img = match o.format {
        OutFormat::Webp => {
            let d = ::webp::Decoder::new(&o.bytes)
                .decode()
                .expect("webp output decodes");
            let raw: Vec<u8> = if d.is_alpha() {
                d.to_vec()
            } else {
                d.chunks_exact(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect()
            };
            image::RgbaImage::from_raw(d.width(), d.height(), raw).expect("webp buffer size")
        }
        OutFormat::Avif => {
            let d = avif::decode(&o.bytes).expect("avif output decodes");
            let raw: Vec<u8> = match d.layout {
                Layout::Rgba => d.data,
                _ => d
                    .data
                    .chunks_exact(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect(),
            };
            image::RgbaImage::from_raw(d.width, d.height, raw).expect("avif buffer size")
        }
        _ => image::load_from_memory(&o.bytes)
            .expect("fallback decodes")
            .to_rgba8(),
    };
    assert_eq!(
        (img.width(), img.height()),
        (o.width, o.height),
        "decoded size of {:?} {}",
        o.format,
        o.width
    );
    img
}

/// Every output decodes, is no wider than the source and keeps its aspect ratio within 1 px.
fn check_outputs(name: &str, e: &Encoded) {
    assert!(!e.outputs.is_empty(), "{name}: no outputs");
    for o in &e.outputs {
        decode_output(o);
        assert!(
            o.width <= e.width,
            "{name}: {} wider than {}",
            o.width,
            e.width
        );
        let exact = f64::from(e.height) * f64::from(o.width) / f64::from(e.width);
        assert!(
            (f64::from(o.height) - exact).abs() <= 1.0,
            "{name}: {}×{} vs source {}×{}",
            o.width,
            o.height,
            e.width,
            e.height
        );
    }
}

#[test]
fn plan_widths_never_upscales_and_spaces_widths() {
    let cfg = [480, 960, 1440];
    assert_eq!(plan_widths(1000, &cfg), vec![480, 1000]);
    assert_eq!(plan_widths(16, &cfg), vec![16]);
    assert_eq!(plan_widths(3000, &cfg), vec![480, 960, 1440]);
    assert_eq!(plan_widths(1440, &cfg), vec![480, 960, 1440]);
    assert_eq!(plan_widths(1500, &cfg), vec![480, 960, 1440]);
    // 1066 is exactly 0.9 × 1184.4…: kept only if ≤ 0.9 × the last kept.
    assert_eq!(plan_widths(1067, &cfg), vec![480, 960, 1067]);
    assert_eq!(plan_widths(1066, &cfg), vec![480, 1066]);
    assert_eq!(plan_widths(500, &[480, 960]), vec![500]);
    assert_eq!(plan_widths(700, &[]), vec![700]);
    assert_eq!(plan_widths(0, &cfg), Vec::<u32>::new());
}

#[test]
fn scaled_height_rounds_and_is_at_least_one() {
    assert_eq!(scaled_height(640, 427, 320), 214); // 213.5 rounds up
    assert_eq!(scaled_height(1000, 1, 10), 1);
    assert_eq!(scaled_height(3, 2, 3), 2);
}

#[test]
fn fallback_family_follows_the_source() {
    assert_eq!(OutFormat::fallback_for(Format::Jpeg), OutFormat::Jpeg);
    assert_eq!(OutFormat::fallback_for(Format::Png), OutFormat::Png);
    assert_eq!(OutFormat::fallback_for(Format::Gif), OutFormat::Png);
    assert_eq!(OutFormat::Jpeg.extension(), "jpg");
    assert_eq!(OutFormat::Webp.mime(), "image/webp");
}

#[test]
fn fingerprint_covers_every_setting() {
    let base = EncodeSettings::default();
    let variants = [
        EncodeSettings {
            webp_quality: 81.0,
            ..base.clone()
        },
        EncodeSettings {
            webp_method: 2,
            ..base.clone()
        },
        EncodeSettings {
            jpeg_quality: 90,
            ..base.clone()
        },
        EncodeSettings {
            png_preset: 3,
            ..base.clone()
        },
        EncodeSettings {
            lossless: LosslessMode::Never,
            ..base.clone()
        },
        EncodeSettings {
            target: Some(80.0),
            ..base.clone()
        },
        EncodeSettings {
            target: None,
            ..base.clone()
        },
    ];
    for v in &variants {
        assert_ne!(v.fingerprint(), base.fingerprint());
    }
    assert_eq!(base.fingerprint(), EncodeSettings::default().fingerprint());
}

#[test]
fn classifier_separates_graphics_from_photos() {
    let graphics = [
        "screenshot-gnome.png",
        "screenshot-wireshark-rgba.png",
        "diagram-package-lifecycle.png",
        "diagram-release-cycle.png",
        "palette-diagram.png",
        "scan-text.png",
        "icon-16-go-home.png",
        "icon-24-palette-folder.png",
        "icon-32-save.png",
        "icon-32-weather.png",
        "icon-64-debian-emblem.png",
        "screenshot-as-gif.gif",
    ];
    let photos = [
        "photo-astronaut.png",
        "photo-coffee.png",
        "photo-chelsea-cat.png",
        "photo-as-gif-flowers.gif",
        "exif-orientation-6-expected.png",
    ];
    let mut wrong = Vec::new();
    for (names, want) in [(&graphics[..], true), (&photos[..], false)] {
        for name in names {
            let d = decode::decode(&corpus(name), &DecodeLimits::default()).unwrap();
            let stats = classify::measure(&d.pixels);
            let got = classify::is_graphic(&d.pixels);
            eprintln!("{name:40} {stats:?} graphic={got}");
            if got != want {
                wrong.push(format!(
                    "{name}: expected graphic={want}, got {got} ({stats:?})"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn gif_frames_are_counted_without_decoding() {
    let frames = |b: &[u8]| gif::info(b).map(|i| i.frames);
    assert_eq!(frames(&corpus("anim-banner-88x31.gif")), Some(4));
    assert_eq!(frames(&corpus("anim-emote-133-frames.gif")), Some(133));
    assert_eq!(frames(&corpus("earth.gif")), Some(1));
    assert_eq!(frames(b"GIF89a"), None);
    assert_eq!(frames(b"\x89PNG"), None);
}

#[test]
fn animated_gif_is_refused_with_its_frame_count() {
    // Asked for a still encode, an animation says how many frames it has.
    let still = |name: &str| {
        let req = Request {
            shape: Shape::Still,
            webp: WebpMode::Lossy,
            quality: EncodeSettings::default().quality(),
            ops: vec![],
            pinned: Vec::new(),
            offer_source: false,
        };
        run(
            &corpus(name),
            &req,
            &EncodeSettings::default(),
            &DecodeLimits::default(),
        )
        .unwrap_err()
    };
    let err = still("anim-banner-88x31.gif");
    let want = ImageFault::Input(InputFault::UnexpectedAnimation { frames: 4 });
    assert_eq!(err, want, "{err}");
    // A liar: animated GIF named .png is still recognised.
    let err = still("liar-animated-gif-content.png");
    let want = ImageFault::Input(InputFault::UnexpectedAnimation { frames: 36 });
    assert_eq!(err, want, "{err}");
}

/// What a file on disk is made of: size, format, bytes and origin.
fn file(o: &Output) -> (u32, u32, OutFormat, &[u8], Origin) {
    (o.width, o.height, o.format, &o.bytes, o.origin)
}

/// Re-make exactly one output, as a repair does.
fn one(bytes: &[u8], o: &Output, lossless: bool, s: &EncodeSettings) -> Result<Output, ImageFault> {
    let req = Request {
        shape: Shape::Still,
        webp: if lossless {
            WebpMode::Lossless
        } else {
            WebpMode::Lossy
        },
        // A repair re-makes the remembered quality; it never searches.
        quality: Quality::Fixed {
            webp: o.quality.unwrap_or(s.webp_quality),
            jpeg: o.quality.map_or(s.jpeg_quality, |q| q as u8),
            avif: o.quality.unwrap_or(s.avif_quality),
        },
        ops: vec![Op {
            width: o.width,
            height: o.height,
            format: o.format,
            origin: o.origin,
        }],
        pinned: Vec::new(),
        offer_source: false,
    };
    let mut e = run(bytes, &req, s, &DecodeLimits::default())?;
    assert_eq!(e.outputs.len(), 1);
    Ok(e.outputs.remove(0))
}

#[test]
fn tiny_icon_gets_one_width_only() {
    let e = enc("icon-16-go-home.png", &[480, 960, 1440]);
    check_outputs("icon-16", &e);
    assert!(e.outputs.iter().all(|o| o.width == 16), "{:?}", e.outputs);
    let src_len = corpus("icon-16-go-home.png").len();
    let fb = e
        .outputs
        .iter()
        .find(|o| o.format != OutFormat::Webp)
        .unwrap();
    assert!(
        fb.bytes.len() <= src_len,
        "fallback {} > source {src_len}",
        fb.bytes.len()
    );
}

#[test]
fn exif_orientation_6_comes_out_upright() {
    let e = enc("exif-orientation-6-real.jpg", &[107]);
    assert_eq!(e.orientation, 6);
    assert_eq!((e.width, e.height), (428, 640), "portrait after rotation");
    check_outputs("exif-6", &e);
    assert!(e.outputs.iter().all(|o| o.height > o.width));

    // Compare full-size upright pixels with the reference rotation.
    let real = decode::decode(
        &corpus("exif-orientation-6-real.jpg"),
        &DecodeLimits::default(),
    )
    .unwrap();
    let expected = image::load_from_memory(&corpus("exif-orientation-6-expected.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(real.pixels.layout, Layout::Rgb);
    assert_eq!(
        (real.pixels.width, real.pixels.height),
        expected.dimensions()
    );
    let diff: u64 = real
        .pixels
        .data
        .iter()
        .zip(expected.as_raw())
        .map(|(&a, &b)| u64::from(a.abs_diff(b)))
        .sum();
    let mean = diff as f64 / real.pixels.data.len() as f64;
    // Tolerance 8/255: same JPEG decoded by two decoders; a wrong rotation gives ≈40+.
    assert!(mean < 8.0, "mean abs diff {mean:.2}");
}

#[test]
fn odd_png_and_jpeg_flavours_decode_and_encode() {
    for (name, widths) in [
        ("png16-rgb-julia-set.png", &[100][..]),
        ("png16-rgba-piechart.png", &[120][..]),
        ("palette-trns-interlaced-toucan.png", &[80][..]),
        ("gray-alpha-stripes.png", &[160][..]),
        ("interlaced-horse.png", &[100][..]),
        ("photo-freshflower-progressive.jpg", &[200][..]),
        ("gray-objects.jpg", &[128][..]),
        ("cmyk-logo.jpg", &[100][..]),
        ("liar-png-content.jpeg", &[150][..]),
        ("liar-jpeg-content.gif", &[160][..]),
        ("screenshot-as-gif.gif", &[139][..]),
        ("transparent-cat.gif", &[480][..]),
    ] {
        let e = enc(name, widths);
        eprintln!(
            "{name:40} {}×{} lossless={} outputs={:?} dropped={:?}",
            e.width,
            e.height,
            e.lossless,
            e.outputs
                .iter()
                .map(|o| (o.width, o.format, o.bytes.len(), o.origin))
                .collect::<Vec<_>>(),
            e.dropped
        );
        check_outputs(name, &e);
    }
}

#[test]
fn gray_jpeg_gives_a_gray_jpeg_fallback() {
    let e = enc("gray-cat.jpg", &[128]);
    let fb = e
        .outputs
        .iter()
        .find(|o| o.format == OutFormat::Jpeg)
        .unwrap();
    let img = image::load_from_memory(&fb.bytes).unwrap();
    assert_eq!(img.color(), image::ColorType::L8);
}

#[test]
fn alpha_survives_in_webp_and_png() {
    for (name, width) in [
        ("alpha-wizard-clipart.png", 120),
        ("palette-trns-interlaced-toucan.png", 80),
    ] {
        let d = decode::decode(&corpus(name), &DecodeLimits::default()).unwrap();
        assert_eq!(d.pixels.layout, Layout::Rgba, "{name}");
        let e = enc(name, &[width]);
        for o in &e.outputs {
            let img = decode_output(o);
            assert!(
                img.pixels().any(|p| p[3] < 255),
                "{name}: alpha lost in {:?}",
                o.format
            );
        }
        assert!(
            e.outputs.iter().any(|o| o.format == OutFormat::Webp),
            "{name}: {:?}",
            e.dropped
        );
    }
}

#[test]
fn opaque_rgba_is_encoded_without_alpha() {
    // Despite its name, every pixel of this RGBA file has alpha 255.
    let d = decode::decode(&corpus("alpha-skimage-logo.png"), &DecodeLimits::default()).unwrap();
    assert_eq!(d.pixels.layout, Layout::Rgb);
    let e = enc("alpha-skimage-logo.png", &[100]);
    check_outputs("alpha-skimage-logo", &e);
}

#[test]
fn exif_orientation_reader_accepts_long_types_and_rejects_junk() {
    // Little-endian TIFF header, one IFD entry: 0x0112, SHORT, count 1, value 6.
    let le = [
        0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0,
    ];
    assert_eq!(exif::orientation(&le), Some(6));
    // Big-endian, SLONG (type 9) as some writers emit: value in all four bytes.
    let be = [
        0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 9, 0, 0, 0, 1, 0, 0, 0, 8,
    ];
    assert_eq!(exif::orientation(&be), Some(8));
    assert_eq!(exif::orientation(b"Exif\0\0II*\0\xff\xff\xff\xff"), None);
    assert_eq!(exif::orientation(b""), None);
}

/// True if `bytes` (any of our output formats) carries EXIF/XMP/text metadata.
fn has_metadata(o: &Output) -> bool {
    let b = &o.bytes;
    let contains = |needle: &[u8]| b.windows(needle.len()).any(|w| w == needle);
    match o.format {
        OutFormat::Jpeg => {
            // Walk the segments before the first scan looking for APP1 / COM.
            let mut pos = 2;
            while pos + 4 <= b.len() && b[pos] == 0xFF {
                let marker = b[pos + 1];
                if marker == 0xE1 || marker == 0xFE {
                    return true;
                }
                if marker == 0xDA {
                    break;
                }
                pos += 2 + usize::from(u16::from_be_bytes([b[pos + 2], b[pos + 3]]));
            }
            contains(b"Exif\0")
        }
        OutFormat::Png => [b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"]
            .iter()
            .any(|c| contains(&c[..])),
        OutFormat::Webp => contains(b"EXIF") || contains(b"XMP "),
        OutFormat::Gif => false,
        // libavif stores EXIF as an `Exif` item and XMP as a `mime` item.
        OutFormat::Avif => contains(b"Exif") || contains(b"mime"),
    }
}

#[test]
fn outputs_carry_no_metadata() {
    for (name, widths) in [
        ("photo-wood-exif.jpg", &[320][..]),
        ("photo-phone-night-exif.jpg", &[240][..]),
        ("scan-text.png", &[448][..]),
        ("icc-profile-small.jpeg", &[48][..]),
    ] {
        let source = corpus(name);
        let e = enc(name, widths);
        for o in &e.outputs {
            assert!(
                !has_metadata(o),
                "{name}: {:?} {} has metadata",
                o.format,
                o.width
            );
        }
        if name.ends_with("exif.jpg") {
            let src_out = Output {
                width: 0,
                height: 0,
                format: OutFormat::Jpeg,
                bytes: source,
                origin: Origin::SourceBytes,
                quality: None,
                score: None,
            };
            assert!(
                has_metadata(&src_out),
                "{name} should carry EXIF for this test"
            );
        }
    }
}

#[test]
fn size_guard_drops_webp_that_does_not_beat_the_fallback() {
    let settings = EncodeSettings {
        lossless: LosslessMode::Always,
        ..EncodeSettings::default()
    };
    let e = encode_bytes(
        &corpus("rocket.jpg"),
        &[160],
        &settings,
        &DecodeLimits::default(),
    )
    .unwrap();
    assert!(e.lossless);
    assert_eq!(e.dropped.len(), 1, "{:?}", e.dropped);
    let d = &e.dropped[0];
    assert_eq!((d.width, d.format), (160, OutFormat::Webp));
    assert!(
        d.reason.starts_with("webp ") && d.reason.contains("≥ jpeg"),
        "{}",
        d.reason
    );
    assert_eq!(e.outputs.len(), 1);
    assert_eq!(e.outputs[0].format, OutFormat::Jpeg);
}

#[test]
fn source_bytes_are_served_stripped_when_smaller() {
    // A 64 px icon is already tightly packed; re-encoding it rarely wins.
    for name in [
        "icon-64-debian-emblem.png",
        "icon-32-save.png",
        "gray-objects.jpg",
    ] {
        let source = corpus(name);
        let e = enc(name, &[480]);
        let fb = e
            .outputs
            .iter()
            .find(|o| o.format != OutFormat::Webp)
            .unwrap();
        eprintln!(
            "{name}: source {} fallback {} {:?}",
            source.len(),
            fb.bytes.len(),
            fb.origin
        );
        if fb.origin == Origin::SourceBytes {
            assert_eq!(
                Some(fb.bytes.clone()),
                metadata::strip_metadata(&source, crate::format::sniff(&source).unwrap())
            );
        }
        assert!(fb.bytes.len() <= source.len());
    }
}

#[test]
fn source_bytes_replace_a_bigger_reencode_only_when_upright() {
    // At q100 the re-encoded 3.5 KB JPEG grows, so the stripped source is served instead.
    let settings = EncodeSettings {
        jpeg_quality: 100,
        ..fixed()
    };
    let l = DecodeLimits::default();
    let source = corpus("gray-objects.jpg");
    let e = encode_bytes(&source, &[128, 480], &settings, &l).unwrap();
    let top = e
        .outputs
        .iter()
        .find(|o| o.width == 256 && o.format == OutFormat::Jpeg)
        .unwrap();
    assert_eq!(top.origin, Origin::SourceBytes);
    assert!(top.bytes.len() <= source.len());
    // A repair re-makes it identically.
    assert_eq!(
        file(&one(&source, top, e.lossless, &settings).unwrap()),
        file(top)
    );
    // Smaller widths are always encoded.
    assert!(e
        .outputs
        .iter()
        .filter(|o| o.width == 128)
        .all(|o| o.origin == Origin::Encoded));

    // Orientation 3 must be applied, so the source can never be served as is.
    let e = encode_bytes(&corpus("rocket-exif3-retagged.jpg"), &[480], &settings, &l).unwrap();
    assert_eq!(e.orientation, 3);
    assert!(e.outputs.iter().all(|o| o.origin == Origin::Encoded));
}

#[test]
fn outputs_are_deterministic_and_a_repair_remakes_them() {
    for (name, widths) in [
        ("palette-diagram.png", &[300, 910][..]),
        ("rocket.jpg", &[160, 640][..]),
    ] {
        let a = enc(name, widths);
        let b = enc(name, widths);
        assert_eq!(a, b, "{name}: two runs differ");
        let bytes = corpus(name);
        for o in &a.outputs {
            let again = one(&bytes, o, a.lossless, &EncodeSettings::default()).unwrap();
            // The same file (a repair does not score it again).
            assert_eq!(
                file(&again),
                file(o),
                "{name}: repair of {:?} {}",
                o.format,
                o.width
            );
            assert_eq!(
                again.quality, o.quality,
                "{name}: quality of {:?}",
                o.format
            );
        }
    }
}

#[test]
fn a_request_to_upscale_or_for_a_foreign_fallback_is_refused() {
    let bytes = corpus("icon-16-go-home.png");
    let s = EncodeSettings::default();
    let out = |width, format| Output {
        width,
        height: width,
        format,
        bytes: vec![],
        origin: Origin::Encoded,
        quality: None,
        score: None,
    };
    assert!(matches!(
        one(&bytes, &out(32, OutFormat::Webp), false, &s),
        Err(ImageFault::Encoder(EncoderFault::Failed { .. }))
    ));
    assert!(one(&bytes, &out(16, OutFormat::Jpeg), false, &s).is_err());
}

#[test]
fn pixel_limit_is_checked_before_decoding() {
    let limits = DecodeLimits {
        max_pixels: 1000,
        ..DecodeLimits::default()
    };
    let err = encode_bytes(
        &corpus("rocket.jpg"),
        &[480],
        &EncodeSettings::default(),
        &limits,
    )
    .unwrap_err();
    match err {
        ImageFault::Input(InputFault::DecodeTooLarge {
            width,
            height,
            max_pixels,
            ..
        }) => assert_eq!((width, height, max_pixels), (640, 427, 1000)),
        other => panic!("expected DecodeTooLarge, got {other}"),
    }
}

#[test]
fn bad_bytes_are_errors_not_panics() {
    let s = EncodeSettings::default();
    let l = DecodeLimits::default();
    assert!(matches!(
        encode_bytes(b"", &[480], &s, &l),
        Err(ImageFault::Input(InputFault::UnknownBytes))
    ));
    assert!(matches!(
        decode::decode(b"", &l),
        Err(InputFault::NotDecodable { .. })
    ));
    assert!(encode_bytes(b"hello, I am text", &[480], &s, &l).is_err());
    assert!(encode_bytes(b"\x89PNG\r\n\x1a\ngarbage", &[480], &s, &l).is_err());
    assert!(encode_bytes(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], &[480], &s, &l).is_err());
    assert!(encode_bytes(b"GIF89a\x01\x00", &[480], &s, &l).is_err());
    let png = corpus("scan-text.png");
    assert!(encode_bytes(&png[..png.len() / 2], &[64], &s, &l).is_err());
    // A truncated JPEG may decode partially (zune fills the rest): only "no panic" is required.
    let jpeg = corpus("rocket.jpg");
    let _ = encode_bytes(&jpeg[..jpeg.len() / 2], &[64], &s, &l);
    let _ = encode_bytes(&jpeg[..300], &[64], &s, &l);
    let gif = corpus("earth.gif");
    let _ = encode_bytes(&gif[..gif.len() / 2], &[64], &s, &l);
}

/// Strictness is a decode option, not a CLI check: the library refuses a cut-short file of every
/// format (a still GIF, an animated one through the frame decoder) unless told to be lenient.
#[test]
fn the_library_refuses_truncated_files_unless_lenient() {
    let s = EncodeSettings::default();
    let strict = DecodeLimits::default();
    let lenient = DecodeLimits {
        lenient: true,
        ..DecodeLimits::default()
    };
    for name in [
        "rocket.jpg",
        "photo-storm.jpg",
        "scan-text.png",
        "photo-as-gif-flowers.gif",
    ] {
        let whole = corpus(name);
        let cut = &whole[..whole.len() * 3 / 4];
        match encode_bytes(cut, &[64], &s, &strict) {
            Err(ImageFault::Input(InputFault::Truncated(_))) => {}
            other => panic!("{name}: expected Truncated, got {:?}", other.map(|_| ())),
        }
        assert!(
            matches!(decode::decode(cut, &strict), Err(InputFault::Truncated(_))),
            "{name}: decode must refuse it too"
        );
        if name == "rocket.jpg" {
            let e = encode_bytes(cut, &[64], &s, &lenient).expect("lenient encodes what is there");
            assert!(!e.outputs.is_empty());
        }
    }
    let anim = corpus("anim-paper-plane.gif");
    assert!(matches!(
        decode::gif_frames(&anim[..anim.len() / 2], &strict).map(|_| ()),
        Err(InputFault::Truncated(_))
    ));
}

/// (loop count, per-frame durations in ms) of an animated WebP.
fn webp_animation(bytes: &[u8]) -> (u16, Vec<u32>) {
    riff::webp_timing(bytes).expect("an animated WebP with an ANIM chunk")
}

#[test]
fn animated_gif_becomes_animated_webp_with_same_timing() {
    for (name, frames, widths) in [
        ("anim-banner-88x31.gif", 4, &[480][..]),
        ("anim-emote-133-frames.gif", 133, &[480][..]),
        ("anim-paper-plane.gif", 56, &[175, 480][..]),
    ] {
        let bytes = corpus(name);
        let info = gif::info(&bytes).unwrap();
        assert_eq!(info.frames, frames, "{name}");
        let e = encode_bytes(
            &bytes,
            widths,
            &EncodeSettings::default(),
            &DecodeLimits::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let gif = e.outputs.last().unwrap();
        assert_eq!(
            (gif.format, gif.origin),
            (OutFormat::Gif, Origin::SourceBytes)
        );
        // The GIF itself, minus comment and XMP extensions (the frames are untouched).
        assert_eq!(
            Some(gif.bytes.clone()),
            metadata::strip_metadata(&bytes, crate::format::Format::Gif)
        );
        assert_eq!(gif::info(&gif.bytes), Some(info.clone()));
        let webps: Vec<_> = e
            .outputs
            .iter()
            .filter(|o| o.format == OutFormat::Webp)
            .collect();
        eprintln!(
            "{name}: gif {} B, webp {:?}, dropped {:?}",
            bytes.len(),
            webps
                .iter()
                .map(|o| (o.width, o.bytes.len()))
                .collect::<Vec<_>>(),
            e.dropped
        );
        assert_eq!(
            webps.len() + e.dropped.len(),
            plan_widths(e.width, widths).len()
        );
        let want: Vec<u32> = info.delays_cs.iter().map(|&d| u32::from(d) * 10).collect();
        for o in webps {
            let (loops, durations) = webp_animation(&o.bytes);
            assert_eq!(
                i32::from(loops),
                animated::webp_loop_count(info.loop_count),
                "{name}"
            );
            assert_eq!(durations, want, "{name} at {} px", o.width);
            let guarded = e.dropped.iter().any(|d| d.width == o.width);
            assert_eq!(guarded, o.bytes.len() >= bytes.len(), "{name}: size guard");
        }
    }
}

#[test]
fn a_still_gif_gets_a_still_encode() {
    let e = encode_bytes(
        &corpus("earthrise.gif"),
        &[160],
        &EncodeSettings::default(),
        &DecodeLimits::default(),
    )
    .unwrap();
    check_outputs("earthrise", &e);
}

#[test]
fn gif_loop_counts_map_like_gif2webp() {
    assert_eq!(animated::webp_loop_count(None), 1);
    assert_eq!(animated::webp_loop_count(Some(0)), 0);
    assert_eq!(animated::webp_loop_count(Some(2)), 3);
}

/// `LosslessMode::Auto` with a fixed quality: a graphic gets lossless WebP only where lossless
/// is no larger than lossy at the probe width; photos and JPEGs are always lossy.
#[test]
fn auto_lossless_only_where_it_is_not_larger() {
    let enc = |name: &str, widths: &[u32]| {
        encode_bytes(&corpus(name), widths, &fixed(), &DecodeLimits::default()).unwrap()
    };
    for (name, graphic) in [
        ("palette-diagram.png", true),
        ("diagram-release-cycle.png", true),
        ("screenshot-gnome.png", true),
        ("photo-coffee.png", false),
        ("photo-storm.jpg", false),
    ] {
        let e = enc(name, &[480]);
        let webp = e.outputs.iter().find(|o| o.format == OutFormat::Webp);
        if !graphic {
            assert!(!e.lossless, "{name}: a photo must be lossy");
            continue;
        }
        let Some(webp) = webp else { continue };
        let d = decode::decode(&corpus(name), &DecodeLimits::default()).unwrap();
        let mut resizer = resize::Resizer::new();
        let px = resizer
            .to_width(&d.pixels, 480.min(d.pixels.width))
            .unwrap();
        // The same settings as the build above (fixed quality: no sharp RGB→YUV).
        let lossy = webp::encode(&px, false, &fixed()).unwrap().len();
        let lossless = webp::encode(&px, true, &fixed()).unwrap().len();
        assert_eq!(
            e.lossless,
            lossless <= lossy,
            "{name}: lossless {lossless} B, lossy {lossy} B"
        );
        assert_eq!(
            webp.bytes.len(),
            lossless.min(lossy),
            "{name}: the smaller one is served"
        );
    }
}

fn enc_avif(name: &str, widths: &[u32]) -> Encoded {
    enc_avif_with(name, widths, &EncodeSettings::default())
}

fn enc_avif_with(name: &str, widths: &[u32], settings: &EncodeSettings) -> Encoded {
    crate::pipeline::execute::encode_bytes_as(
        &corpus(name),
        widths,
        &[OutFormat::Avif, OutFormat::Webp],
        settings,
        &DecodeLimits::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn auto_quality_searches_avif_to_the_target_and_remembers_it() {
    let settings = EncodeSettings::default();
    let target = settings.target.expect("auto is the default");
    // 480 px is the probe width, where the search scored what it kept.
    let e = enc_avif_with("rocket.jpg", &[480], &settings);
    let avif = e
        .outputs
        .iter()
        .find(|o| o.format == OutFormat::Avif)
        .unwrap_or_else(|| panic!("{:?}", e.dropped));
    let chosen = e.avif_quality.expect("the chosen AVIF quality is reported");
    assert_eq!(avif.quality, Some(chosen));
    let score = avif.score.expect("the searched width carries its score");
    assert!(f64::from(score) >= f64::from(target), "{score} < {target}");
    // The same search with a higher target never picks a lower AVIF quality.
    let higher = EncodeSettings {
        target: Some(target + 10.0),
        ..EncodeSettings::default()
    };
    let h = enc_avif_with("rocket.jpg", &[480], &higher);
    assert!(
        h.avif_quality >= Some(chosen),
        "{:?} < {chosen}",
        h.avif_quality
    );
}

/// Mean of each channel (R, G, B, A) over an image.
fn channel_means(img: &image::RgbaImage) -> [f64; 4] {
    let mut sum = [0f64; 4];
    for p in img.pixels() {
        for (s, v) in sum.iter_mut().zip(p.0) {
            *s += f64::from(v);
        }
    }
    sum.map(|s| s / f64::from(img.width() * img.height()))
}

/// Mean absolute difference per channel value between two images of one size.
fn mean_abs_diff(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn avif_variants_decode_to_their_size_and_colours() {
    // A photo (4:2:0) and a graphic (4:4:4): each AVIF decodes to the size it claims, and its
    // pixels are the fallback's (the same resize, near-lossless) within a few levels.
    // Fixed qualities: which format the guard keeps under `auto` depends on the search (for
    // this graphic lossless WebP wins there), and this test is about what AVIF decodes to.
    let fixed = EncodeSettings {
        target: None,
        ..EncodeSettings::default()
    };
    for (name, width) in [("rocket.jpg", 320), ("diagram-release-cycle.png", 300)] {
        let e = enc_avif_with(name, &[width], &fixed);
        check_outputs(name, &e);
        let of = |f: OutFormat| e.outputs.iter().find(|o| o.format == f && o.width == width);
        let avif = of(OutFormat::Avif).unwrap_or_else(|| panic!("{name}: {:?}", e.dropped));
        let fallback = of(OutFormat::fallback_for(if name.ends_with("jpg") {
            Format::Jpeg
        } else {
            Format::Png
        }))
        .expect("fallback");
        let (a, f) = (decode_output(avif), decode_output(fallback));
        let (ma, mf) = (channel_means(&a), channel_means(&f));
        for c in 0..3 {
            assert!(
                (ma[c] - mf[c]).abs() < 2.0,
                "{name} channel {c}: {ma:?} vs {mf:?}"
            );
        }
        let d = mean_abs_diff(&a, &f);
        assert!(d < 4.0, "{name}: mean difference {d:.2} levels");
    }
}

#[test]
fn avif_keeps_alpha() {
    // Straight from the encoder: the size guard may rightly prefer a graphic's lossless WebP.
    let name = "palette-trns-interlaced-toucan.png";
    let bytes = corpus(name);
    let info = crate::probe::probe(&bytes).expect("probe");
    let formats = [OutFormat::Avif, OutFormat::Webp];
    let (req, _) = crate::plan::request_for(
        &info,
        &[80],
        LosslessMode::Auto,
        &formats,
        Quality::Fixed {
            webp: 80.0,
            jpeg: 80,
            avif: 60.0,
        },
    );
    let s = EncodeSettings::default();
    let e = run(&bytes, &req, &s, &DecodeLimits::default()).expect("encode");
    let avif = e
        .outputs
        .iter()
        .find(|o| o.format == OutFormat::Avif)
        .unwrap_or_else(|| panic!("{name}: {:?}", e.dropped));
    let png = e
        .outputs
        .iter()
        .find(|o| o.format == OutFormat::Png)
        .expect("png");
    let (a, p) = (decode_output(avif), decode_output(png));
    let min_alpha = |img: &image::RgbaImage| img.pixels().map(|px| px[3]).min();
    assert!(
        min_alpha(&a) < Some(8),
        "transparent pixels kept: avif {:?}, png {:?}",
        min_alpha(&a),
        min_alpha(&p)
    );
    let alpha_diff: u64 = a
        .pixels()
        .zip(p.pixels())
        .map(|(x, y)| u64::from(x[3].abs_diff(y[3])))
        .sum();
    let mean = alpha_diff as f64 / f64::from(a.width() * a.height());
    assert!(mean < 3.0, "alpha differs by {mean:.2} levels on average");
}

#[test]
fn avif_comes_before_webp_and_animations_get_none() {
    let e = enc_avif("photo-dune.jpg", &[200, 400]);
    let order: Vec<(u32, OutFormat)> = e.outputs.iter().map(|o| (o.width, o.format)).collect();
    use OutFormat::*;
    assert_eq!(
        order,
        vec![
            (200, Avif),
            (200, Webp),
            (200, Jpeg),
            (400, Avif),
            (400, Webp),
            (400, Jpeg)
        ],
        "{:?}",
        e.dropped
    );
    let e = enc_avif("anim-banner-88x31.gif", &[88]);
    assert!(e.outputs.iter().all(|o| o.format != Avif));
    assert!(
        e.dropped
            .iter()
            .any(|d| d.format == Avif && d.reason == crate::plan::ANIMATED_AVIF),
        "{:?}",
        e.dropped
    );
}

#[test]
fn avif_settings_are_in_the_cache_key_only_when_avif_is_made() {
    let site = tempfile::tempdir().expect("tempdir");
    let base = crate::config::Config::new(site.path()).expect("config");
    let webp_only = crate::plan::settings_fingerprint(&base);
    let mut avif = base.clone();
    avif.formats = vec![OutFormat::Avif, OutFormat::Webp];
    let with_avif = crate::plan::settings_fingerprint(&avif);
    assert!(!webp_only.contains("avif"), "{webp_only}");
    assert!(with_avif.contains("libavif"), "{with_avif}");
    let mut q = avif.clone();
    q.encode.avif_quality += 1.0;
    let mut s = avif.clone();
    s.encode.avif_speed -= 1;
    for other in [&q, &s] {
        assert_ne!(crate::plan::settings_fingerprint(other), with_avif);
    }
    // AVIF settings do not touch a WebP-only run's keys.
    let mut quiet = base.clone();
    quiet.encode.avif_quality = 10.0;
    assert_eq!(crate::plan::settings_fingerprint(&quiet), webp_only);
}

/// The placeholder comes from the decode the encoder already made: a colour for opaque stills
/// and animations (from the first frame), none where a background would show through.
#[test]
fn opaque_images_get_a_placeholder_colour_and_transparent_ones_none() {
    for name in [
        "rocket.jpg",
        "gray-cat.jpg",
        "photo-chelsea-cat.png",
        "earth.gif",
    ] {
        let e = enc(name, &[120]);
        let c = e
            .placeholder
            .unwrap_or_else(|| panic!("{name}: no placeholder"));
        if name.starts_with("gray") {
            assert!(c[0] == c[1] && c[1] == c[2], "{name}: {c:?} is not gray");
        }
    }
    for name in [
        "alpha-wizard-clipart.png",
        "palette-trns-interlaced-toucan.png",
    ] {
        assert_eq!(enc(name, &[80]).placeholder, None, "{name}");
    }
    let anim = encode_bytes(
        &corpus("anim-banner-88x31.gif"),
        &[88],
        &EncodeSettings::default(),
        &DecodeLimits::default(),
    )
    .unwrap();
    let gif_bytes = corpus("anim-banner-88x31.gif");
    let (_, _, mut frames) = decode::gif_frames(&gif_bytes, &DecodeLimits::default()).unwrap();
    let (first, _) = frames.next().unwrap().unwrap();
    assert_eq!(anim.placeholder, super::placeholder::dominant(&first));
    // The same pixels give the same colour, run after run (it is part of the markup).
    assert_eq!(
        enc("rocket.jpg", &[120]).placeholder,
        enc("rocket.jpg", &[240]).placeholder
    );
}

/// Quality auto encodes lossy WebP through sharp RGB→YUV, a fixed quality does not (its bytes
/// and cache keys stay those of earlier versions); the fingerprints tell them apart.
#[test]
fn sharp_yuv_is_on_with_auto_quality_only() {
    let d = decode::decode(&corpus("photo-dune.jpg"), &DecodeLimits::default()).unwrap();
    let px = resize::Resizer::new()
        .to_width(&d.pixels, 300)
        .unwrap()
        .into_owned();
    let auto = EncodeSettings::default().with_webp_quality(80.0);
    assert!(auto.webp_sharp_yuv() && !fixed().webp_sharp_yuv());
    let sharp = webp::encode(&px, false, &auto).unwrap();
    let plain = webp::encode(&px, false, &fixed()).unwrap();
    assert_ne!(sharp, plain, "sharp RGB→YUV changes the lossy bytes");
    assert!(!fixed().fingerprint().contains("auto-quality"));
    assert!(auto.fingerprint().contains("auto-quality-v3"));
}

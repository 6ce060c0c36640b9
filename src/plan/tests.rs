//! Tests of the plan: pure, from a survey built in memory and a fake disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::*;
use crate::cache::{OutputRecord, SourceRecord};
use crate::scan::site::JekyllConfig;

/// A stand-in digest, named for what it stands for.
fn h(label: &str) -> Digest {
    Digest::of(label.as_bytes())
}

/// Fixed qualities, as `--quality 80` asks.
const FIXED: Quality = Quality::Fixed {
    webp: 80.0,
    jpeg: 80,
    avif: 60.0,
};

/// A disk on which exactly these destination-relative files are fresh.
struct Disk(BTreeSet<String>);

impl FileCheck for Disk {
    fn is_fresh(&self, rel: &str, _hash: &Digest) -> bool {
        self.0.contains(rel)
    }
}

fn info(format: Format, width: u32, height: u32, frames: u32) -> ImageInfo {
    ImageInfo {
        format,
        width,
        height,
        frames,
        orientation: 1,
    }
}

fn source(info: ImageInfo, hash: &str) -> Source {
    Source {
        abs: PathBuf::from("/nowhere"),
        size: 1000,
        mtime_ns: 1,
        hash: Some(h(hash)),
        info: Ok(info),
        extension_mismatch: false,
        rewritable: true,
    }
}

fn survey(sources: Vec<(&str, Source)>) -> Survey {
    Survey {
        jekyll: JekyllConfig::default(),
        posts: vec![],
        post_errors: vec![],
        resolutions: vec![],
        sources: sources
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

fn config() -> Config {
    Config::new(&std::env::temp_dir()).unwrap()
}

fn ops(r: &Request) -> Vec<(u32, OutFormat, Origin)> {
    r.ops
        .iter()
        .map(|o| (o.width, o.format, o.origin))
        .collect()
}

#[test]
fn a_new_jpeg_gets_webp_and_a_jpeg_fallback_per_width() {
    let s = survey(vec![(
        "p/a.jpg",
        source(info(Format::Jpeg, 1000, 500, 1), "h1"),
    )]);
    let plan = plan(&s, &Manifest::default(), &config(), &Disk(BTreeSet::new()));
    assert_eq!(plan.jobs.len(), 1);
    let Work::Encode { request, dropped } = &plan.jobs[0].work else {
        panic!("{:?}", plan.jobs[0].work)
    };
    use OutFormat::*;
    assert_eq!(
        ops(request),
        vec![
            (480, Webp, Origin::Encoded),
            (480, Jpeg, Origin::Encoded),
            (1000, Webp, Origin::Encoded),
            (1000, Jpeg, Origin::Encoded),
        ]
    );
    assert_eq!(request.ops[0].height, 240);
    // Under auto quality even a JPEG may need lossless WebP (when no lossy quality reaches the
    // target); with a fixed quality JPEGs are photos.
    assert_eq!(request.webp, WebpMode::Decide);
    assert_eq!(request.quality, config().encode.quality());
    let (fixed, _) = super::request(&plan.jobs[0].info, &[480], LosslessMode::Auto, FIXED);
    assert_eq!(fixed.webp, WebpMode::Lossy, "JPEGs are photos");
    assert!(request.offer_source, "the source width is a variant width");
    assert!(dropped.is_empty());
    assert_eq!(
        plan.jobs[0].sets,
        vec![VariantSet {
            folder: "p/responsive".into(),
            slug: "a".into()
        }]
    );
}

#[test]
fn lossless_mode_is_decided_by_the_plan_where_it_can_be() {
    let png = info(Format::Png, 300, 200, 1);
    let mode = |m| request(&png, &[480], m, FIXED).0.webp;
    assert_eq!(mode(LosslessMode::Auto), WebpMode::Decide);
    assert_eq!(mode(LosslessMode::Always), WebpMode::Lossless);
    assert_eq!(mode(LosslessMode::Never), WebpMode::Lossy);
    let wide = info(Format::Png, 3000, 200, 1);
    // The source may stand in for a fallback larger than it, even above the widest width.
    assert!(
        request(&wide, &[480], LosslessMode::Auto, FIXED)
            .0
            .offer_source
    );
}

#[test]
fn an_animated_gif_gets_animated_webp_and_itself() {
    let gif = info(Format::Gif, 350, 189, 56);
    let (r, dropped) = request(&gif, &[175, 480], LosslessMode::Auto, FIXED);
    assert_eq!(r.shape, Shape::Animated);
    use OutFormat::*;
    assert_eq!(
        ops(&r),
        vec![
            (175, Webp, Origin::Encoded),
            (350, Webp, Origin::Encoded),
            (350, Gif, Origin::SourceBytes),
        ]
    );
    assert!(dropped.is_empty());
}

#[test]
fn webp_too_large_is_dropped_up_front_with_its_reason() {
    let tall = info(Format::Png, 600, 30000, 1);
    let (r, dropped) = request(&tall, &[480], LosslessMode::Never, FIXED);
    assert!(
        r.ops.iter().all(|o| o.format == OutFormat::Png),
        "{:?}",
        r.ops
    );
    assert_eq!(
        dropped.len(),
        1,
        "one width (480; the source is wider): {dropped:?}"
    );
    assert_eq!(
        dropped[0].reason,
        "480×24000 exceeds WebP's 16383 px limit per side"
    );
}

#[test]
fn identical_bytes_are_one_job_with_a_set_per_folder() {
    let i = info(Format::Png, 100, 100, 1);
    let s = survey(vec![
        ("a/Logo.png", source(i.clone(), "same")),
        ("a/logo-copy.png", source(i.clone(), "same")),
        ("b/x.png", source(i, "same")),
    ]);
    let plan = plan(&s, &Manifest::default(), &config(), &Disk(BTreeSet::new()));
    assert_eq!(plan.jobs.len(), 1);
    let job = &plan.jobs[0];
    assert_eq!(job.rels, vec!["a/Logo.png", "a/logo-copy.png", "b/x.png"]);
    let sets: Vec<(&str, &str)> = job
        .sets
        .iter()
        .map(|s| (s.folder.as_str(), s.slug.as_str()))
        .collect();
    assert_eq!(sets, vec![("a/responsive", "logo"), ("b/responsive", "x")]);
    assert_eq!(plan.job_of.len(), 3);
}

#[test]
fn sources_that_cannot_be_encoded_are_refused_with_the_reason() {
    let mut unread = source(info(Format::Png, 10, 10, 1), "x");
    unread.hash = None;
    let mut front_matter_only = source(info(Format::Png, 10, 10, 1), "fm");
    front_matter_only.rewritable = false;
    let s = survey(vec![
        ("huge.png", source(info(Format::Png, 20000, 10000, 1), "h")),
        ("apng.png", source(info(Format::Png, 10, 10, 5), "a")),
        ("frames.gif", source(info(Format::Gif, 1, 1, 20000), "f")),
        ("unread.png", unread),
        ("fm.png", front_matter_only),
    ]);
    let plan = plan(&s, &Manifest::default(), &config(), &Disk(BTreeSet::new()));
    assert!(plan.jobs.is_empty());
    let why = |rel: &str| plan.refused[rel].to_string();
    assert!(
        why("huge.png").contains("raise it with --max-pixels"),
        "{}",
        why("huge.png")
    );
    assert_eq!(
        plan.refused["apng.png"],
        Refusal::Skipped(Skip::AnimatedPng(5))
    );
    assert!(why("frames.gif").contains("frames per animation"));
    assert_eq!(why("unread.png"), "could not be read");
    assert!(
        !plan.refused.contains_key("fm.png"),
        "front matter is never encoded"
    );
}

/// Only what changes output bytes is in the key: a refusal limit is not, leniency is.
#[test]
fn the_key_holds_lenient_but_not_refusal_limits() {
    let base = config();
    let mut limit = base.clone();
    limit.limits.max_pixels /= 2;
    limit.limits.max_alloc /= 2;
    limit.max_file_bytes /= 2;
    assert_eq!(settings_fingerprint(&base), settings_fingerprint(&limit));
    let mut lenient = base.clone();
    lenient.limits.lenient = true;
    assert_ne!(settings_fingerprint(&base), settings_fingerprint(&lenient));
}

/// A manifest that knows `p/a.png` (100×50) with a WebP and a PNG at 100 px.
fn known(cfg: &Config) -> (Manifest, String) {
    let i = info(Format::Png, 100, 50, 1);
    let key = cache::entry_key(&h("h1"), &settings_fingerprint(cfg));
    let out = |format, source_bytes| OutputRecord {
        width: 100,
        height: 50,
        format,
        bytes: 10,
        hash: h(&format!("{format}")),
        source_bytes,
        quality: None,
        ssimulacra2: None,
    };
    let entry = Entry {
        width: 100,
        height: 50,
        lossless: true,
        webp_quality: None,
        jpeg_quality: None,
        avif_quality: None,
        outputs: vec![out(OutFormat::Webp, false), out(OutFormat::Png, true)],
        dropped: vec![],
        conversions: vec![],
        placeholder: cache::Placeholder::Color("#102030".into()),
    };
    let mut m = Manifest::default();
    m.entries.insert(key.clone(), std::sync::Arc::new(entry));
    m.sources.insert(
        "p/a.png".into(),
        SourceRecord {
            size: 1000,
            mtime_ns: 1,
            hash: h("h1"),
            info: i,
        },
    );
    (m, key)
}

#[test]
fn a_known_source_is_fresh_and_a_missing_file_is_the_only_thing_redone() {
    let cfg = config();
    let (m, key) = known(&cfg);
    let s = survey(vec![(
        "p/a.png",
        source(info(Format::Png, 100, 50, 1), "h1"),
    )]);
    let short = &key[..HASH_LEN];
    let webp = format!("p/responsive/a-100.{short}.webp");
    let png = format!("p/responsive/a-100.{short}.png");
    let all = Disk([webp.clone(), png.clone()].into());
    let p = plan(&s, &m, &cfg, &all);
    assert!(
        matches!(p.jobs[0].work, Work::Fresh(_)),
        "{:?}",
        p.jobs[0].work
    );

    let p = plan(&s, &m, &cfg, &Disk([webp].into()));
    let Work::Repair {
        request, missing, ..
    } = &p.jobs[0].work
    else {
        panic!("{:?}", p.jobs[0].work)
    };
    assert_eq!(missing, &BTreeSet::from([png]));
    assert_eq!(
        ops(request),
        vec![(100, OutFormat::Png, Origin::SourceBytes)]
    );
    assert_eq!(request.webp, WebpMode::Lossless, "the remembered mode");
    let other: BTreeMap<String, usize> = p.job_of.clone();
    assert_eq!(other.len(), 1);
}

#[test]
fn a_changed_setting_is_a_new_key() {
    let cfg = config();
    let (m, key) = known(&cfg);
    let s = survey(vec![(
        "p/a.png",
        source(info(Format::Png, 100, 50, 1), "h1"),
    )]);
    let mut q81 = config();
    q81.encode.webp_quality = 81.0;
    let p = plan(&s, &m, &q81, &Disk(BTreeSet::new()));
    assert_ne!(p.jobs[0].key, key);
    assert!(matches!(p.jobs[0].work, Work::Encode { .. }));
}

#[test]
fn slugs_are_ascii_lowercase_and_bounded() {
    assert_eq!(slug("My Photo"), "my-photo");
    assert_eq!(slug("café menu"), "caf-menu");
    assert_eq!(slug("IMG_0001"), "img-0001");
    assert_eq!(slug("日本"), "img");
    assert_eq!(
        slug("P9ficrEVSdibbSahGAohhYfky53ffm6ZicV85b7MehiabwzaImg4owaDavFA7gMkpkdtKYCnVMpz4KVYyYvE9IFKFQ").len(),
        MAX_SLUG
    );
}

#[test]
fn names_carry_width_hash_and_extension() {
    let key = "1f3a9c2e99999999";
    assert_eq!(
        variant_name("abc", 480, key, OutFormat::Webp),
        "abc-480.1f3a9c2e.webp"
    );
    assert_eq!(
        variant_name("abc", 960, key, OutFormat::Jpeg),
        "abc-960.1f3a9c2e.jpg"
    );
}

#[test]
fn same_stem_different_sources_do_not_collide() {
    let a = variant_name(&slug("Abc"), 480, "aaaaaaaa", OutFormat::Webp);
    let b = variant_name(&slug("abc"), 480, "bbbbbbbb", OutFormat::Webp);
    assert_ne!(a, b);
}

#[test]
fn variant_folders_sit_beside_the_source() {
    assert_eq!(
        variant_folder("postimg/a.png", "responsive"),
        "postimg/responsive"
    );
    assert_eq!(variant_folder("a.png", "responsive"), "responsive");
}

/// A manifest from before placeholders loads, and its entries are encoded once more (a cache
/// miss, not an error) only when placeholders are wanted.
#[test]
fn an_entry_without_a_placeholder_is_encoded_again_when_one_is_wanted() {
    let cfg = config();
    let (mut m, key) = known(&cfg);
    if let Some(e) = m.entries.get_mut(&key) {
        std::sync::Arc::make_mut(e).placeholder = cache::Placeholder::Unknown;
    }
    let s = survey(vec![(
        "p/a.png",
        source(info(Format::Png, 100, 50, 1), "h1"),
    )]);
    let short = &key[..HASH_LEN];
    let all = Disk(
        [
            format!("p/responsive/a-100.{short}.webp"),
            format!("p/responsive/a-100.{short}.png"),
        ]
        .into(),
    );
    let p = plan(&s, &m, &cfg, &all);
    assert_eq!(p.jobs[0].key, key, "the key is the same");
    assert!(
        matches!(p.jobs[0].work, Work::Encode { .. }),
        "{:?}",
        p.jobs[0].work
    );
    let mut none = cfg.clone();
    none.placeholder = crate::config::PlaceholderMode::None;
    let p = plan(&s, &m, &none, &all);
    assert!(
        matches!(p.jobs[0].work, Work::Fresh(_)),
        "{:?}",
        p.jobs[0].work
    );
}

/// A disk with these fresh files, beside a store holding these entries and object hashes.
struct WithStore {
    disk: Disk,
    entries: BTreeMap<String, Entry>,
    objects: BTreeSet<Digest>,
}

impl FileCheck for WithStore {
    fn is_fresh(&self, rel: &str, hash: &Digest) -> bool {
        self.disk.is_fresh(rel, hash)
    }
    fn stored_entry(&self, key: &str) -> Option<Entry> {
        self.entries.get(key).cloned()
    }
    fn stored(&self, hash: &Digest) -> bool {
        self.objects.contains(hash)
    }
}

#[test]
fn an_entry_another_site_stored_is_copied_not_encoded() {
    let cfg = config();
    let (m, key) = known(&cfg);
    let s = survey(vec![(
        "p/a.png",
        source(info(Format::Png, 100, 50, 1), "h1"),
    )]);
    let store = WithStore {
        disk: Disk(BTreeSet::new()),
        entries: m
            .entries
            .iter()
            .map(|(k, e)| (k.clone(), Entry::clone(e)))
            .collect(),
        objects: [h("webp"), h("png")].into(),
    };
    // This site's manifest knows nothing; the store has the entry and both files.
    let p = plan(&s, &Manifest::default(), &cfg, &store);
    let Work::Fetch { files, entry } = &p.jobs[0].work else {
        panic!("{:?}", p.jobs[0].work)
    };
    assert_eq!(entry, &m.entries[&key]);
    let short = &key[..HASH_LEN];
    let want: BTreeMap<String, Digest> = [
        (format!("p/responsive/a-100.{short}.webp"), h("webp")),
        (format!("p/responsive/a-100.{short}.png"), h("png")),
    ]
    .into();
    assert_eq!(files, &want);
    // One file the store lacks: the missing ones are re-made by the encoder instead.
    let partial = WithStore {
        objects: [h("webp")].into(),
        ..store
    };
    let p = plan(&s, &Manifest::default(), &cfg, &partial);
    assert!(
        matches!(p.jobs[0].work, Work::Repair { .. }),
        "{:?}",
        p.jobs[0].work
    );
}

#[test]
fn a_merge_refuses_what_it_would_have_to_encode() {
    let mut cfg = config();
    cfg.merge = vec![PathBuf::from("/shards/1")];
    let s = survey(vec![(
        "p/a.jpg",
        source(info(Format::Jpeg, 1000, 500, 1), "h1"),
    )]);
    let p = plan(&s, &Manifest::default(), &cfg, &Disk(BTreeSet::new()));
    assert!(p.jobs.is_empty());
    assert_eq!(
        p.refused["p/a.jpg"],
        Refusal::Failed(EnvFault::NotMerged.into())
    );
}

#[test]
fn the_shards_split_the_jobs_by_content_and_cover_them_once() {
    let hashes: Vec<String> = (0..40)
        .map(|i: u32| blake3::hash(&i.to_le_bytes()).to_hex().to_string())
        .collect();
    let mut sources: Vec<(String, Source)> = hashes
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                format!("p/{i}.jpg"),
                source(info(Format::Jpeg, 100, 50, 1), h),
            )
        })
        .collect();
    // The same bytes under another name go with their twin; an unreadable source by its path.
    sources.push((
        "q/twin.jpg".into(),
        source(info(Format::Jpeg, 100, 50, 1), &hashes[0]),
    ));
    let mut broken = source(info(Format::Jpeg, 100, 50, 1), "x");
    broken.hash = None;
    sources.push(("p/broken.jpg".into(), broken));
    let s = survey(
        sources
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect(),
    );
    let whole = plan(&s, &Manifest::default(), &config(), &Disk(BTreeSet::new()));
    let mut seen: Vec<Digest> = Vec::new();
    let mut refused = 0;
    for index in 1..=3 {
        let mut cfg = config();
        cfg.shard = Some(crate::config::Shard { index, count: 3 });
        let p = plan(&s, &Manifest::default(), &cfg, &Disk(BTreeSet::new()));
        assert!(
            p.jobs.len() < whole.jobs.len(),
            "shard {index}: {}",
            p.jobs.len()
        );
        seen.extend(p.jobs.iter().map(|j| j.hash));
        refused += p.refused.len();
        for job in &p.jobs {
            assert_eq!(p.jobs[p.job_of[job.rel()]].hash, job.hash);
        }
    }
    seen.sort();
    let mut all: Vec<Digest> = whole.jobs.iter().map(|j| j.hash).collect();
    all.sort();
    assert_eq!(seen, all, "every job in exactly one shard");
    assert_eq!(refused, 1, "the broken source is reported by one shard");
}

/// A repair re-makes a variant that got its own quality (the check on the widths above the
/// probe) at that quality, and one made lossless at its width alone as lossless; variants at
/// the image's quality, the source's bytes and an older record without a quality pin nothing.
#[test]
fn a_repair_pins_the_variants_that_got_their_own_quality() {
    let rec = |width, format, quality, ssimulacra2| OutputRecord {
        width,
        height: width / 2,
        format,
        bytes: 10,
        hash: h(&format!("{format}{width}")),
        source_bytes: false,
        quality,
        ssimulacra2,
    };
    let entry = Entry {
        width: 1440,
        height: 720,
        lossless: false,
        webp_quality: Some(75.0),
        jpeg_quality: Some(80),
        avif_quality: None,
        outputs: vec![
            rec(480, OutFormat::Webp, Some(75.0), Some(72.5)),
            rec(960, OutFormat::Webp, None, Some(100.0)),
            rec(1200, OutFormat::Webp, None, None),
            rec(1440, OutFormat::Webp, Some(86.0), None),
            rec(1440, OutFormat::Jpeg, Some(80.0), None),
        ],
        dropped: vec![],
        conversions: vec![],
        placeholder: cache::Placeholder::None,
    };
    assert_eq!(
        pinned(&entry),
        vec![
            Pinned {
                width: 960,
                format: OutFormat::Webp,
                quality: None
            },
            Pinned {
                width: 1440,
                format: OutFormat::Webp,
                quality: Some(86.0)
            },
        ]
    );
    let lossless = Entry {
        lossless: true,
        webp_quality: None,
        ..entry
    };
    assert_eq!(pinned(&lossless), vec![]);
}

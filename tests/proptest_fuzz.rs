//! The fuzz targets' properties (`postpix::fuzzing`, also run by `fuzz/` under cargo-fuzz), as a
//! quick bounded run on stable so that every test run exercises them: the finder + rewrite +
//! restore on Markdown-ish text, the container walkers, the probe + decode + encode and the
//! manifest loader on mutated fixture files and random bytes, the `_config.yml` loader on
//! YAML-ish text.
#![allow(clippy::unwrap_used)]

mod common;

use postpix::fuzzing;
use proptest::prelude::*;

/// Markdown-ish text: the tokens the finder, the masker and the kramdown fallback react to.
fn markdownish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("![a](/p/a.png)".to_string()),
        Just("![b][r]".to_string()),
        Just("[r]: /p/r.jpg".to_string()),
        Just("<img src=\"/p/c.gif\" alt=\"c\">".to_string()),
        Just("{% raw %}".to_string()),
        Just("{% endraw %}".to_string()),
        Just("{% comment %}".to_string()),
        Just("{% endcomment %}".to_string()),
        Just("{{ site.baseurl }}".to_string()),
        Just("{{".to_string()),
        Just("{%".to_string()),
        Just("`".to_string()),
        Just("```\n".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        Just("<div markdown=\"1\">".to_string()),
        Just("</div>".to_string()),
        Just("{: .c}".to_string()),
        Just("| x |\n|---|\n".to_string()),
        Just("[".to_string()),
        Just("](".to_string()),
        Just(")".to_string()),
        Just("\\".to_string()),
        Just("---\n".to_string()),
        Just("\r\n".to_string()),
        Just("\n\n".to_string()),
        Just("    ".to_string()),
        Just("é".to_string()),
        Just("\u{feff}".to_string()),
        "[ -~]{0,6}",
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

/// A fixture image's bytes, mutated: truncated, bytes overwritten, bytes inserted.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        0..seeds.len(),
        any::<u32>(),
        prop::collection::vec((any::<u32>(), any::<u8>()), 0..8),
        any::<bool>(),
    )
        .prop_map(move |(i, cut, flips, insert)| {
            let mut b = seeds[i].clone();
            if b.is_empty() {
                return b;
            }
            let cut_at = cut as usize % (b.len() + 1);
            if cut % 3 == 0 {
                b.truncate(cut_at.max(1));
            }
            for (at, v) in flips {
                let at = at as usize % b.len();
                if insert {
                    b.insert(at, v);
                } else {
                    b[at] = v;
                }
            }
            b
        })
}

/// Small fixture images of every format, as seeds.
fn image_seeds() -> Vec<Vec<u8>> {
    [
        "icon-16-go-home.png",
        "icon-32-save.png",
        "anim-tiny-17px.gif",
        "anim-spinner-40px.gif",
        "icc-profile-small.jpeg",
        "rocket-exif3-retagged.jpg",
        "liar-jpeg-content.gif",
        "palette-trns-interlaced-toucan.png",
    ]
    .iter()
    .map(|n| std::fs::read(common::fixture("corpus").join(n)).unwrap())
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn rewrite_properties_hold_on_markdownish_text(text in markdownish()) {
        if let Err(v) = fuzzing::check_rewrite_properties(&text) {
            prop_assert!(false, "{}", v);
        }
    }

    #[test]
    fn rewrite_properties_hold_on_any_text(text in "\\PC{0,200}") {
        if let Err(v) = fuzzing::check_rewrite_properties(&text) {
            prop_assert!(false, "{}", v);
        }
    }

    #[test]
    fn container_walkers_stay_inside_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        prop_assert_eq!(fuzzing::check_containers(&bytes), Ok(()));
    }

    #[test]
    fn jekyll_config_never_panics(text in "[a-z_: \\[\\],{}'\"*#\\n-]{0,120}") {
        fuzzing::check_jekyll_config(&text);
    }

    #[test]
    fn manifest_loader_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        prop_assert_eq!(fuzzing::check_manifest(&bytes), Ok(()));
    }
}

proptest! {
    // Decoding and encoding cost milliseconds each: fewer cases.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mutated_images_decode_or_fail_cleanly(bytes in mutated(image_seeds())) {
        prop_assert_eq!(fuzzing::check_containers(&bytes), Ok(()));
        prop_assert_eq!(fuzzing::check_decode(&bytes), Ok(()));
    }
}

#[test]
fn manifest_loader_takes_mutated_json() {
    let good =
        br#"{"version":1,"sources":{"a.png":{"size":1,"mtime_ns":2,"hash":"x"}},"entries":{}}"#;
    for cut in 0..good.len() {
        assert_eq!(fuzzing::check_manifest(&good[..cut]), Ok(()));
    }
}

#[test]
fn restore_reads_opaque_liquid_blocks_as_the_finder_does() {
    // Found by rewrite_properties_hold_on_markdownish_text: the finder masks `{% raw %}` and
    // `{% comment %}` blocks, but the recogniser of postpix's markup read the text unmasked, so a
    // backtick inside such a block opened a code span around the generated element, which then
    // was never given back by `restore`.
    for text in [
        "![a](/p/a.png)```\n{% endcomment %}<img src=\"/p/c.gif\" alt=\"c\">![a](/p/a.png){% comment %}```\n",
        "` ![a](/p/a.png) {% raw %}`{% endraw %}\n",
    ] {
        assert_eq!(fuzzing::check_rewrite_properties(text), Ok(()), "{text:?}");
    }
}

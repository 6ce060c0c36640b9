//! Colour management: decoded 8-bit pixels plus the source's embedded ICC profile in, sRGB
//! pixels and a one-line description of the conversion out.
//!
//! Every output is sRGB and carries no profile, so a source whose profile is anything else
//! (Adobe RGB, Display P3, a gray profile with its own curve, ...) is converted here, with
//! moxcms (already in the tree through `image`; pure Rust, fast matrix-shaper paths, reads v2
//! and v4 profiles). A profile that maps every test colour to itself within one level is
//! sRGB in all but name and is left alone, so the common "sRGB IEC61966-2.1" tag costs nothing.
//!
//! CMYK and YCCK JPEGs are turned into RGB by the JPEG decoder (zune-jpeg, through `image`) with
//! the naive formula `R = (1 − C)(1 − K)` on Adobe-inverted data, the same one ImageMagick's
//! `-colorspace sRGB` uses; [`cmyk_note`] tells them apart (from the JPEG headers, through
//! [`crate::container::jfif`]) so the report can say so. An embedded CMYK profile is not applied
//! (the decoder gives no access to the raw inks).

use moxcms::{ColorProfile, DataColorSpace, Layout as CmsLayout, ProfileText, TransformOptions};

use super::pixels::{Layout, Pixels};
use crate::container::jfif::{self, ColourModel};

/// What the JPEG decoder did to reach RGB, when the file stores CMYK or YCCK.
pub fn cmyk_note(jpeg: &[u8]) -> Option<&'static str> {
    match jfif::colour_model(jpeg)? {
        ColourModel::Cmyk => Some("CMYK → sRGB"),
        ColourModel::Ycck => Some("YCCK (CMYK) → sRGB"),
        _ => None,
    }
}

/// Convert `px` from the colour space of `icc` to sRGB in place.
///
/// Returns a description such as `"Adobe RGB (1998) → sRGB"` when pixels changed, `None` when
/// the profile is sRGB-equivalent (or absent). A profile that cannot be read or whose model
/// does not match the pixels (an RGB profile on gray data, a CMYK profile, ...) leaves the
/// pixels alone and says why, so the report can show it: these are never errors of the file.
pub fn to_srgb(px: &mut Pixels, icc: &[u8]) -> Option<String> {
    let profile = match ColorProfile::new_from_slice(icc) {
        Ok(p) => p,
        Err(e) => {
            return Some(format!(
                "unreadable ICC profile ({e}); pixels taken as sRGB"
            ))
        }
    };
    let name = profile_name(&profile);
    match profile.color_space {
        DataColorSpace::Rgb => convert_rgb(px, &profile, &name),
        DataColorSpace::Gray => convert_gray(px, &profile, &name),
        DataColorSpace::Cmyk => Some(format!(
            "CMYK profile \"{name}\" not applied; CMYK converted with the naive formula"
        )),
        other => Some(format!(
            "{other:?} ICC profile \"{name}\" not supported; pixels taken as sRGB"
        )),
    }
}

fn convert_rgb(px: &mut Pixels, profile: &ColorProfile, name: &str) -> Option<String> {
    let layout = match px.layout {
        Layout::Rgb => CmsLayout::Rgb,
        Layout::Rgba => CmsLayout::Rgba,
        // Gray pixels with an RGB profile: the gray axis of a sane RGB profile is neutral, and
        // expanding to RGB to convert would triple the fallback for no visible gain.
        Layout::Luma => return None,
    };
    let srgb = ColorProfile::new_srgb();
    let transform =
        match profile.create_transform_8bit(layout, &srgb, layout, TransformOptions::default()) {
            Ok(t) => t,
            Err(e) => {
                return Some(format!(
                    "ICC profile \"{name}\" not usable ({e}); kept as sRGB"
                ))
            }
        };
    // Probe: a 9×9×9 grid of colours (with opaque alpha where needed).
    let ch = px.layout.channels();
    let levels: Vec<u8> = (0..9).map(|i| (i * 255 / 8) as u8).collect();
    let mut probe = Vec::with_capacity(729 * ch);
    for &r in &levels {
        for &g in &levels {
            for &b in &levels {
                probe.extend_from_slice(&[r, g, b]);
                if ch == 4 {
                    probe.push(255);
                }
            }
        }
    }
    let mut out = vec![0u8; probe.len()];
    if transform.transform(&probe, &mut out).is_err() {
        return Some(format!("ICC profile \"{name}\" not usable; kept as sRGB"));
    }
    if max_diff(&probe, &out) <= 1 {
        return None;
    }
    let mut converted = vec![0u8; px.data.len()];
    if let Err(e) = transform.transform(&px.data, &mut converted) {
        return Some(format!(
            "ICC conversion from \"{name}\" failed ({e}); kept as sRGB"
        ));
    }
    px.data = converted;
    Some(format!("{name} → sRGB"))
}

fn convert_gray(px: &mut Pixels, profile: &ColorProfile, name: &str) -> Option<String> {
    // Gray → RGB against sRGB; the result is neutral, so its R channel is the new gray level.
    let transform = match profile.create_transform_8bit(
        CmsLayout::Gray,
        &ColorProfile::new_srgb(),
        CmsLayout::Rgb,
        TransformOptions::default(),
    ) {
        Ok(t) => t,
        Err(e) => {
            return Some(format!(
                "gray ICC profile \"{name}\" not usable ({e}); kept"
            ))
        }
    };
    let ramp: Vec<u8> = (0..=255).collect();
    let mut rgb = vec![0u8; 256 * 3];
    if transform.transform(&ramp, &mut rgb).is_err() {
        return Some(format!("gray ICC profile \"{name}\" not usable; kept"));
    }
    let lut: Vec<u8> = rgb.chunks_exact(3).map(|p| p[1]).collect();
    if max_diff(&ramp, &lut) <= 1 {
        return None;
    }
    // Gray with alpha arrives as RGBA with R = G = B; map each colour channel the same way.
    let ch = px.layout.channels();
    for p in px.data.chunks_exact_mut(ch) {
        let colour = if ch == 4 { 3 } else { ch };
        for v in &mut p[..colour] {
            *v = lut[usize::from(*v)];
        }
    }
    Some(format!("{name} (gray) → sRGB gray"))
}

fn max_diff(a: &[u8], b: &[u8]) -> u8 {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

/// A profile's description for humans: English where the profile offers a choice.
fn profile_name(profile: &ColorProfile) -> String {
    let text = match &profile.description {
        Some(ProfileText::PlainString(s)) => s.clone(),
        Some(ProfileText::Localizable(list)) => list
            .iter()
            .find(|l| l.language.eq_ignore_ascii_case("en"))
            .or_else(|| list.first())
            .map(|l| l.value.clone())
            .unwrap_or_default(),
        Some(ProfileText::Description(d)) => {
            if d.ascii_string.trim().is_empty() {
                d.unicode_string.clone()
            } else {
                d.ascii_string.clone()
            }
        }
        None => String::new(),
    };
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if text.is_empty() {
        "ICC profile".to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(data: Vec<u8>) -> Pixels {
        Pixels {
            width: (data.len() / 3) as u32,
            height: 1,
            layout: Layout::Rgb,
            data,
        }
    }

    #[test]
    fn srgb_profile_is_left_alone() {
        let icc = ColorProfile::new_srgb().encode().unwrap();
        let mut px = rgb(vec![200, 30, 40, 10, 250, 90]);
        assert_eq!(to_srgb(&mut px, &icc), None);
        assert_eq!(px.data, vec![200, 30, 40, 10, 250, 90]);
    }

    #[test]
    fn display_p3_is_converted_and_named() {
        let icc = ColorProfile::new_display_p3().encode().unwrap();
        let mut px = rgb(vec![255, 0, 0, 128, 128, 128]);
        let what = to_srgb(&mut px, &icc).unwrap();
        assert!(what.ends_with("→ sRGB"), "{what}");
        // P3 red lies outside sRGB: it clips to pure red; gray stays gray.
        assert_eq!(&px.data[..3], &[255, 0, 0]);
        assert!(
            px.data[3..].iter().all(|&v| v.abs_diff(128) <= 1),
            "{:?}",
            px.data
        );
    }

    #[test]
    fn cmyk_and_ycck_jpegs_are_named() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/corpus/");
        let note = |f: &str| cmyk_note(&std::fs::read(format!("{dir}{f}")).unwrap());
        assert_eq!(note("cmyk-logo.jpg"), Some("YCCK (CMYK) → sRGB"));
        assert_eq!(note("rocket.jpg"), None);
    }
}

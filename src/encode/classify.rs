//! Classify: upright pixels in, "graphic or photo?" out, which picks lossless or lossy WebP for
//! PNG and GIF sources (JPEG sources are always treated as photos).
//!
//! See [`is_graphic`] for the rule and its thresholds.

use std::collections::HashSet;

use super::pixels::{Layout, Pixels};

/// At most this many rows are sampled, evenly spaced, so the cost stays under a few ms.
const SAMPLE_ROWS: u32 = 512;
/// Distinct colours are counted up to this cap; beyond it the exact number does not matter.
const COLOUR_CAP: usize = 4096;

/// Share of pixels equal to their right neighbour at or above which an image is a graphic.
pub const FLAT_SHARE: f64 = 0.5;
/// Distinct-colour count at or below which an image is a graphic.
pub const FEW_COLOURS: usize = 192;
/// Images at most this many pixels wide and high are graphics (icons).
pub const ICON_SIDE: u32 = 64;

/// What [`is_graphic`] measures on the sampled rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GraphicStats {
    /// Distinct colours (RGBA, fully transparent pixels count as one colour), capped at 4096.
    pub colours: usize,
    /// Share (0–1) of sampled pixels identical to their right-hand neighbour.
    pub flat: f64,
}

/// Measure [`GraphicStats`] on up to 512 evenly spaced full rows.
pub fn measure(px: &Pixels) -> GraphicStats {
    let ch = px.layout.channels();
    let (w, h) = (px.width as usize, px.height as usize);
    let step = (px.height.div_ceil(SAMPLE_ROWS)).max(1) as usize;
    let mut colours: HashSet<u32> = HashSet::new();
    let mut pairs = 0u64;
    let mut equal = 0u64;
    let key = |p: &[u8]| -> u32 {
        match px.layout {
            Layout::Luma => u32::from(p[0]),
            Layout::Rgb => u32::from_le_bytes([p[0], p[1], p[2], 255]),
            // All fully transparent pixels look the same, whatever RGB they store.
            Layout::Rgba if p[3] == 0 => 0,
            Layout::Rgba => u32::from_le_bytes([p[0], p[1], p[2], p[3]]),
        }
    };
    for y in (0..h).step_by(step) {
        let Some(row) = px.data.get(y * w * ch..(y + 1) * w * ch) else {
            break;
        };
        let mut prev: Option<u32> = None;
        for p in row.chunks_exact(ch) {
            let k = key(p);
            if colours.len() < COLOUR_CAP {
                colours.insert(k);
            }
            if let Some(q) = prev {
                pairs += 1;
                equal += u64::from(q == k);
            }
            prev = Some(k);
        }
    }
    GraphicStats {
        colours: colours.len(),
        flat: if pairs == 0 {
            1.0
        } else {
            equal as f64 / pairs as f64
        },
    }
}

/// True when the image looks like a graphic (screenshot, diagram, icon, text scan) rather than
/// a photo, so that lossless WebP will be both exact and small.
///
/// **Rule**, on up to 512 evenly spaced full rows:
/// - graphic if **at least 50 %** of pixels equal their right-hand neighbour (flat areas:
///   UI backgrounds, diagram fills, transparent margins), or
/// - graphic if the image has **at most 192 distinct colours** (palette art, diagrams, gray
///   text scans: made from few tones; a photo quantised to a GIF/PNG palette uses all 256
///   entries, so 192 leaves it on the photo side), or
/// - graphic if it is **at most 64×64 px** (icons: lossless costs nothing at that size).
///
/// Fully transparent pixels count as one colour whatever RGB they store. Known limit: a gray
/// photo with a narrow tonal range (≤ 192 levels) counts as a graphic.
pub fn is_graphic(px: &Pixels) -> bool {
    if px.width <= ICON_SIDE && px.height <= ICON_SIDE {
        return true;
    }
    let s = measure(px);
    s.flat >= FLAT_SHARE || s.colours <= FEW_COLOURS
}

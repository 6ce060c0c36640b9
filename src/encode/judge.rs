//! Judge: how close an encoded picture looks to the resized source, by SSIMULACRA2, and the
//! search for the lowest quality that reaches a target score.
//!
//! In: the resized source ([`Reference`], precomputed once per width, reused for every step)
//! and, per step, a codec's "encode at quality q, decode" ([`Trial`]); out: a score (100 =
//! identical, 90 visually lossless, 70 high quality, 50 medium) or the chosen quality
//! ([`search`]). Format-generic: WebP, JPEG and any later codec plug in as a closure.
//!
//! The metric is `fast-ssim2` (SIMD SSIMULACRA2 with a reusable reference precompute; measured
//! against `ssimulacra2` 0.5.1 in the README). Both sides are 8-bit sRGB. A picture with
//! transparency is scored composited on white and on black, and the lower score is kept, so
//! what hides under a transparent pixel on one background cannot hide on the other.

use fast_ssim2::{PixelDescriptor, PixelSlice, Ssimulacra2Reference};

use super::pixels::{Layout, Pixels};

/// Why a score could not be computed (a codec's own decode failed, or the metric refused the
/// size). The search treats it as a miss, never as a pass.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("SSIMULACRA2: {0}")]
pub struct JudgeError(pub String);

/// The resized source, precomputed for the metric: one reference per background (one for an
/// opaque picture, white and black for a transparent one), of the whole picture or, for a
/// [`Reference::sampled`] one, of a mosaic of its tiles.
pub struct Reference {
    width: u32,
    height: u32,
    refs: Vec<(Background, Ssimulacra2Reference)>,
    tiles: Option<Tiles>,
}

/// Side of a sampled reference's square tiles, in pixels.
pub const TILE: u32 = 128;

/// Tiles in a sampled reference: 9 × 128² = 147,456 pixels, about one 480 × 300 picture.
pub const TILES: usize = 9;

/// How far a mosaic of [`TILES`] tiles scores above its whole picture: the mosaic misses the
/// coarse scales of a large picture, where WebP loses in flat areas, so it scores higher the
/// smaller a share of the picture it holds. A sampled score is the mosaic's minus
/// `SAMPLE_BIAS × (1 − mosaic pixels / picture pixels)²`. Fitted on the corpus's 58 lossy WebP
/// variants from 489 to 1440 px wide at the quality found at 480 px: the estimate minus the
/// whole picture's score has mean −0.2, standard deviation 1.6, range −6.9 (a transparent
/// clip-art at 960 px: the estimate errs low, toward more bytes) to +2.3; the raw mosaic
/// scored +2.4 on average, +3.5 at 1440 px.
pub const SAMPLE_BIAS: f64 = 4.0;

/// Where a sampled reference's tiles sit in the full picture, and the mosaic's layout.
struct Tiles {
    /// What the mosaic's score is lowered by ([`SAMPLE_BIAS`]).
    bias: f64,
    /// Top-left corners of the tiles, in the full picture.
    at: Vec<(u32, u32)>,
    /// Tiles per row of the mosaic.
    cols: u32,
}

/// What a transparent picture is composited on before it is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Background {
    /// Opaque pictures: no compositing.
    None,
    White,
    Black,
}

impl Reference {
    /// Precompute the metric's reference for `px` (the source resized to the variant's size).
    pub fn new(px: &Pixels) -> Result<Reference, JudgeError> {
        Reference::build(px, px, None)
    }

    /// A cheap reference for a large picture: [`TILES`] tiles of [`TILE`]² spread evenly over
    /// `px` (every k-th of its tile grid, in reading order), scored as one mosaic; its
    /// [`Reference::score`] estimates the whole picture's from the mosaic's (see
    /// [`SAMPLE_BIAS`]). A picture no larger than the mosaic is referenced whole.
    pub fn sampled(px: &Pixels) -> Result<Reference, JudgeError> {
        let pixels = u64::from(px.width) * u64::from(px.height);
        let grid = (px.width / TILE, px.height / TILE);
        if pixels <= (TILES as u64) * u64::from(TILE * TILE) || grid.0 * grid.1 < TILES as u32 {
            return Reference::new(px);
        }
        let margin = (
            (px.width - grid.0 * TILE) / 2,
            (px.height - grid.1 * TILE) / 2,
        );
        let n = (grid.0 * grid.1) as usize;
        let at = (0..TILES)
            .map(|i| {
                let k = ((i * 2 + 1) * n / (2 * TILES)) as u32;
                (
                    margin.0 + (k % grid.0) * TILE,
                    margin.1 + (k / grid.0) * TILE,
                )
            })
            .collect();
        let share = (TILES as f64) * f64::from(TILE * TILE) / pixels as f64;
        let bias = SAMPLE_BIAS * (1.0 - share).powi(2);
        let tiles = Tiles { bias, at, cols: 3 };
        let mosaic = tiles.mosaic(px);
        Reference::build(px, &mosaic, Some(tiles))
    }

    /// Whether this reference scores a sample of the picture rather than all of it.
    pub fn is_sampled(&self) -> bool {
        self.tiles.is_some()
    }

    fn build(full: &Pixels, px: &Pixels, tiles: Option<Tiles>) -> Result<Reference, JudgeError> {
        let backgrounds: &[Background] = if has_alpha(px) {
            &[Background::White, Background::Black]
        } else {
            &[Background::None]
        };
        let mut refs = Vec::with_capacity(backgrounds.len());
        for &bg in backgrounds {
            let rgb = to_rgb(px, bg);
            let r = Ssimulacra2Reference::new(&slice(&rgb, px.width, px.height)?)
                .map_err(|e| JudgeError(format!("{e:?}")))?;
            refs.push((bg, r));
        }
        Ok(Reference {
            width: full.width,
            height: full.height,
            refs,
            tiles,
        })
    }

    /// SSIMULACRA2 of `distorted` (a decoded variant, same size) against this reference; for a
    /// transparent picture the lower of the white and black scores.
    pub fn score(&self, distorted: &Pixels) -> Result<f64, JudgeError> {
        if (distorted.width, distorted.height) != (self.width, self.height) {
            return Err(JudgeError(format!(
                "{}×{} is not the reference's {}×{}",
                distorted.width, distorted.height, self.width, self.height
            )));
        }
        let mosaic = self.tiles.as_ref().map(|t| t.mosaic(distorted));
        let px = mosaic.as_ref().unwrap_or(distorted);
        let mut worst = f64::INFINITY;
        for (bg, r) in &self.refs {
            let rgb = to_rgb(px, *bg);
            let s = r
                .compare(&slice(&rgb, px.width, px.height)?)
                .map_err(|e| JudgeError(format!("{e:?}")))?;
            worst = worst.min(s);
        }
        Ok(worst - self.tiles.as_ref().map_or(0.0, |t| t.bias))
    }
}

impl Tiles {
    /// The tiles of `px`, laid out [`Tiles::cols`] to a row.
    fn mosaic(&self, px: &Pixels) -> Pixels {
        let ch = px.layout.channels();
        let rows = (self.at.len() as u32).div_ceil(self.cols);
        let (w, h) = (self.cols * TILE, rows * TILE);
        let mut data = vec![0u8; (w * h) as usize * ch];
        let row = TILE as usize * ch;
        for (k, &(tx, ty)) in self.at.iter().enumerate() {
            let (ox, oy) = ((k as u32 % self.cols) * TILE, (k as u32 / self.cols) * TILE);
            for y in 0..TILE {
                let from = ((ty + y) as usize * px.width as usize + tx as usize) * ch;
                let to = ((oy + y) as usize * w as usize + ox as usize) * ch;
                data[to..to + row].copy_from_slice(&px.data[from..from + row]);
            }
        }
        Pixels {
            width: w,
            height: h,
            layout: px.layout,
            data,
        }
    }
}

/// SSIMULACRA2 of `distorted` against `reference`, both the same size (a one-off; a search
/// builds its [`Reference`] once).
pub fn score(reference: &Pixels, distorted: &Pixels) -> Result<f64, JudgeError> {
    Reference::new(reference)?.score(distorted)
}

fn has_alpha(px: &Pixels) -> bool {
    px.layout == Layout::Rgba && px.data.chunks_exact(4).any(|p| p[3] != 255)
}

fn slice(rgb: &[u8], width: u32, height: u32) -> Result<PixelSlice<'_>, JudgeError> {
    PixelSlice::new(
        rgb,
        width,
        height,
        width as usize * 3,
        PixelDescriptor::RGB8_SRGB,
    )
    .map_err(|e| JudgeError(format!("{e:?}")))
}

/// `px` as packed RGB8, composited on `bg` when it has alpha (in sRGB values, as a browser
/// without colour-managed blending does).
fn to_rgb(px: &Pixels, bg: Background) -> Vec<u8> {
    match px.layout {
        Layout::Rgb => px.data.clone(),
        Layout::Luma => px.data.iter().flat_map(|&g| [g, g, g]).collect(),
        Layout::Rgba => {
            let b: u32 = if bg == Background::Black { 0 } else { 255 };
            px.data
                .chunks_exact(4)
                .flat_map(|p| {
                    let a = u32::from(p[3]);
                    let mix = |c: u8| ((u32::from(c) * a + b * (255 - a) + 127) / 255) as u8;
                    [mix(p[0]), mix(p[1]), mix(p[2])]
                })
                .collect()
        }
    }
}

/// One step of a search: encode at quality `q` and decode the result.
pub struct Tried {
    /// The quality tried.
    pub quality: u8,
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// Its score against the reference (`None` when it could not be scored: a miss).
    pub score: Option<f64>,
}

/// One step of a search as logged: the quality tried and its score (`None`: not scored).
pub type Step = (u8, Option<f64>);

/// A codec's "encode at quality q → file bytes, decode → pixels".
pub type Trial<'a, E> = dyn FnMut(u8) -> Result<(Vec<u8>, Pixels), E> + 'a;

/// The bounds and first guess of a quality search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Search {
    /// Score to reach.
    pub target: f64,
    /// Lowest quality allowed.
    pub min: u8,
    /// Highest quality allowed.
    pub max: u8,
    /// First quality tried.
    pub start: u8,
    /// Most encodes.
    pub steps: u8,
    /// A pass scoring below `target + slack` is close enough: the search stops there.
    pub slack: f64,
}

/// The lowest quality in `[s.min, s.max]` whose score reaches `s.target`, found in at most
/// `s.steps` encodes: start at `s.start`, then secant steps on the score-vs-quality line
/// (scores rise roughly linearly with quality in the range that matters), kept inside the
/// bracket of the last pass and the last miss. Returns the best passing try (the lowest
/// quality that passed), or the highest tried when none passed, and every try in order.
pub fn search<E>(
    reference: &Reference,
    s: Search,
    trial: &mut Trial<'_, E>,
) -> Result<(Tried, Vec<Step>), E> {
    let mut log: Vec<(u8, Option<f64>)> = Vec::new();
    let mut pass: Option<Tried> = None;
    let mut miss: Option<Tried> = None;
    let mut q = s.start.clamp(s.min, s.max);
    for _ in 0..s.steps.max(1) {
        let (bytes, px) = trial(q)?;
        let score = reference.score(&px).ok();
        log.push((q, score));
        let t = Tried {
            quality: q,
            bytes,
            score,
        };
        let close = score.is_some_and(|v| v >= s.target && v < s.target + s.slack);
        if score.is_some_and(|v| v >= s.target) {
            pass = Some(t);
        } else {
            miss = Some(t);
        }
        if close {
            break;
        }
        let (lo, hi) = (
            miss.as_ref().map_or(s.min.saturating_sub(1), |m| m.quality),
            pass.as_ref().map_or(s.max + 1, |p| p.quality),
        );
        // Nothing left between the last miss and the last pass, or a bound reached.
        if hi <= lo + 1 || (pass.is_none() && q >= s.max) || (miss.is_none() && q <= s.min) {
            break;
        }
        q = next_quality(&log, s, lo, hi);
    }
    let chosen = match (pass, miss) {
        (Some(p), _) => p,
        (None, Some(m)) => m,
        (None, None) => unreachable_empty(),
    };
    Ok((chosen, log))
}

/// A search always tries at least once; this keeps the match total without a panic path that
/// user data could reach.
fn unreachable_empty() -> Tried {
    Tried {
        quality: 0,
        bytes: Vec::new(),
        score: None,
    }
}

/// Slope assumed before two scores are known: SSIMULACRA2 points per quality step (WebP photos
/// at q50–90 gain ≈ 0.3–0.7 per step; a low guess overshoots toward the safe side less).
pub const PRIOR_SLOPE: f64 = 0.45;

/// The next quality strictly inside (`lo`, `hi`): a secant step toward the target from the
/// last two scored tries (or the prior slope from one), clamped into the bracket.
fn next_quality(log: &[(u8, Option<f64>)], s: Search, lo: u8, hi: u8) -> u8 {
    let scored: Vec<(f64, f64)> = log
        .iter()
        .filter_map(|&(q, v)| v.map(|v| (f64::from(q), v)))
        .collect();
    let guess = match scored.as_slice() {
        [.., (q0, v0), (q1, v1)] if (v1 - v0).abs() > 1e-3 && (q1 - q0).abs() > 0.5 => {
            let slope = ((v1 - v0) / (q1 - q0)).clamp(0.05, 3.0);
            q1 + (s.target - v1) / slope
        }
        [.., (q1, v1)] => q1 + (s.target - v1) / PRIOR_SLOPE,
        [] => f64::from(lo) + f64::from(hi - lo) / 2.0,
    };
    // Round toward passing (up): a guess a hair below the target's quality would miss.
    let g = guess.ceil().clamp(f64::from(lo) + 1.0, f64::from(hi) - 1.0);
    g as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32, alpha: bool) -> Pixels {
        let ch = if alpha { 4 } else { 3 };
        let mut data = Vec::with_capacity((w * h) as usize * ch);
        for y in 0..h {
            for x in 0..w {
                data.extend([
                    (x * 255 / w) as u8,
                    (y * 255 / h) as u8,
                    ((x ^ y) & 0xff) as u8,
                ]);
                if alpha {
                    data.push(if x < w / 2 { 255 } else { (y * 255 / h) as u8 });
                }
            }
        }
        Pixels {
            width: w,
            height: h,
            layout: if alpha { Layout::Rgba } else { Layout::Rgb },
            data,
        }
    }

    fn noisy(px: &Pixels, amount: u8) -> Pixels {
        let mut out = px.clone();
        for (i, v) in out.data.iter_mut().enumerate() {
            if px.layout == Layout::Rgba && i % 4 == 3 {
                continue;
            }
            let n = ((i * 2_654_435_761) >> 7) as u8 % (amount.max(1));
            *v = v.saturating_add(n);
        }
        out
    }

    #[test]
    fn identical_scores_100_and_noise_scores_less() {
        let a = gradient(64, 48, false);
        let same = score(&a, &a).expect("score");
        assert!((same - 100.0).abs() < 0.01, "identical scored {same}");
        let little = score(&a, &noisy(&a, 4)).expect("score");
        let lots = score(&a, &noisy(&a, 40)).expect("score");
        assert!(lots < little && little < same, "{lots} < {little} < {same}");
    }

    #[test]
    fn transparent_keeps_the_lower_of_white_and_black() {
        let a = gradient(64, 48, true);
        // Change the colour under fully transparent pixels only: invisible on any background.
        let mut hidden = a.clone();
        for p in hidden.data.chunks_exact_mut(4) {
            if p[3] == 0 {
                p[0] = 255 - p[0];
            }
        }
        let s = score(&a, &hidden).expect("score");
        assert!(s > 99.0, "invisible change scored {s}");
        // A change in alpha shows on one background at least.
        let mut alpha = a.clone();
        for p in alpha.data.chunks_exact_mut(4) {
            p[3] = p[3].saturating_sub(60);
        }
        let s = score(&a, &alpha).expect("score");
        assert!(s < 90.0, "alpha change scored {s}");
    }

    /// A sampled reference scores a mosaic of the same tiles on both sides: an invisible change
    /// outside every tile costs nothing, noise everywhere scores about as the whole picture
    /// does, and a small picture is referenced whole.
    #[test]
    fn a_sampled_reference_estimates_the_whole_picture() {
        let a = gradient(1440, 900, false);
        let r = Reference::sampled(&a).expect("reference");
        assert!(r.is_sampled());
        let whole = Reference::new(&a).expect("reference");
        let b = noisy(&a, 12);
        let (estimate, truth) = (r.score(&b).expect("score"), whole.score(&b).expect("score"));
        assert!((estimate - truth).abs() < 6.0, "{estimate} vs {truth}");
        // The first row is outside every tile (the grid is centred, 900 = 7 × 128 + 4).
        let mut hidden = a.clone();
        hidden.data[..1440 * 3].fill(0);
        let same = r.score(&a).expect("score");
        assert_eq!(r.score(&hidden).expect("score"), same);
        assert!(r.score(&gradient(1440, 899, false)).is_err());
        let small = gradient(480, 300, false);
        assert!(!Reference::sampled(&small).expect("reference").is_sampled());
    }

    #[test]
    fn size_mismatch_is_an_error() {
        let a = gradient(32, 32, false);
        let b = gradient(32, 31, false);
        assert!(score(&a, &b).is_err());
    }

    /// A fake codec whose score is linear in q: the search must land on the lowest passing q.
    #[test]
    fn search_finds_the_lowest_passing_quality_in_few_steps() {
        let a = gradient(64, 48, false);
        let reference = Reference::new(&a).expect("reference");
        for target in [60.0, 70.0, 80.0, 90.0] {
            // Noise amount falls with q; measure each q's score once to know the truth.
            let px_at = |q: u8| noisy(&a, 101u8.saturating_sub(q).max(1));
            let truth: Vec<f64> = (0..=100u8)
                .map(|q| reference.score(&px_at(q)).expect("score"))
                .collect();
            let mut calls = 0;
            let mut trial = |q: u8| -> Result<(Vec<u8>, Pixels), ()> {
                calls += 1;
                Ok((vec![q], px_at(q)))
            };
            let s = Search {
                target,
                min: 20,
                max: 95,
                start: 80,
                steps: 6,
                slack: 0.0,
            };
            let (t, log) = search(&reference, s, &mut trial).expect("search");
            assert!(calls <= 6, "{calls} encodes: {log:?}");
            let passed = t.score.is_some_and(|v| v >= target);
            let lowest = (20..=95u8).find(|&q| truth[q as usize] >= target);
            match lowest {
                Some(_) => assert!(passed, "target {target}: chose {} {log:?}", t.quality),
                None => assert_eq!(t.quality, 95, "target {target}: {log:?}"),
            }
            // Never above the best passing try, and every try below it missed.
            for &(q, v) in &log {
                if q < t.quality {
                    assert!(v.is_none_or(|v| v < target), "{q} passed: {log:?}");
                }
            }
        }
    }
}

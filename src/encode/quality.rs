//! Quality: per still image, the WebP mode and the lossy qualities its variants are encoded at.
//!
//! In: the decoded source, the plan's [`Request`] (fixed qualities, or "auto, target T") and
//! the settings. Out: a [`Choice`]: lossless or lossy WebP, the WebP and JPEG qualities, and the
//! probe-width encodes already made, to reuse as variants. With [`Quality::Auto`] each lossy
//! format is searched on **one** width ([`PROBE_WIDTH`], or the source's own when narrower) by
//! [`judge::search`]; the quality found there is carried to every other width, with a check
//! on the widths above the probe (`Check`: the largest scored on a sample, by
//! [`Reference::sampled`]), where a width too far from the target gets its own quality. A graphic
//! (by [`super::classify::is_graphic`]) gets lossless WebP when that is no larger than lossy WebP at
//! the target; any source whose lossy WebP stays below [`FLOOR`] even at the highest quality
//! gets lossless (the size guard still drops it where the fallback is smaller).

use super::avif::{self, Chroma};
use super::decode::Decoded;
use super::judge::{self, Reference, Search, Tried};
use super::output::{Origin, Output};
use super::pixels::{Layout, Pixels};
use super::request::{Quality, Request, WebpMode};
use super::resize::Resizer;
use super::settings::EncodeSettings;
use super::{jpeg, png, webp};
use crate::error::EncoderFault;
use crate::format::OutFormat;
use crate::timings::{time, Stage};

/// Width at which the lossless decision and the quality search run (every width of an image
/// gets the same mode and qualities, whatever `--widths` says).
pub const PROBE_WIDTH: u32 = 480;

/// Lossy WebP search: bounds, first guess, most encodes, and "close enough" above the target.
pub const WEBP_SEARCH: (u8, u8, u8, u8, f64) = (20, 95, 75, 4, 1.5);
/// JPEG fallback search, likewise.
pub const JPEG_SEARCH: (u8, u8, u8, u8, f64) = (30, 95, 80, 3, 2.0);
/// AVIF search (libavif's quality scale), likewise: AVIF reaches a score at a lower quality
/// number than WebP, so it starts lower.
pub const AVIF_SEARCH: (u8, u8, u8, u8, f64) = (20, 95, 60, 4, 1.5);

/// The score below which no lossy WebP is kept when lossless is possible: a source whose lossy
/// WebP stays below it even at the highest quality (tiny logos) is tried lossless.
pub const FLOOR: f64 = 60.0;

/// What [`choose`] decided for one still image.
#[derive(Debug, Default)]
pub struct Choice {
    /// WebP variants are lossless.
    pub lossless: bool,
    /// Lossy WebP quality (also recorded when lossless won, as the quality lossy would need).
    pub webp: f32,
    /// JPEG fallback quality.
    pub jpeg: u8,
    /// AVIF quality (libavif's scale).
    pub avif: f32,
    /// Probe-width outputs already encoded at the chosen settings, to reuse as variants.
    pub made: Vec<Output>,
    /// Encodes the search tried (0 for fixed qualities).
    pub encodes: u32,
}

/// Decide the WebP mode and qualities of `src` for `req`. `graphic` is the caller's
/// [`super::classify::is_graphic`] of a non-JPEG source (measured once per image; it only matters for
/// [`WebpMode::Decide`] and for AVIF's chroma, so the caller may pass `false` otherwise).
pub fn choose(
    src: &Decoded,
    req: &Request,
    settings: &EncodeSettings,
    graphic: bool,
    resizer: &mut Resizer,
) -> Result<Choice, EncoderFault> {
    let chroma = Chroma::for_content(graphic);
    let wants = |f: OutFormat| {
        req.ops
            .iter()
            .any(|o| o.format == f && o.origin == Origin::Encoded)
    };
    let want = Wants {
        webp: wants(OutFormat::Webp),
        jpeg: wants(OutFormat::Jpeg),
        avif: wants(OutFormat::Avif),
    };
    match req.quality {
        Quality::Fixed { webp, jpeg, avif } => {
            let s = settings.with_webp_quality(webp);
            let (lossless, made) = match req.webp {
                WebpMode::Lossy => (false, Vec::new()),
                WebpMode::Lossless => (true, Vec::new()),
                WebpMode::Decide => fixed_lossless(src, graphic, &s, resizer)?,
            };
            Ok(Choice {
                lossless,
                webp,
                jpeg,
                avif,
                made,
                encodes: 0,
            })
        }
        Quality::Auto { target } => {
            let width = src.pixels.width.min(PROBE_WIDTH);
            let px = time(Stage::Resize, || resizer.to_width(&src.pixels, width))?;
            let fixed = Choice {
                lossless: req.webp == WebpMode::Lossless,
                webp: settings.webp_quality,
                jpeg: settings.jpeg_quality,
                avif: settings.avif_quality,
                ..Choice::default()
            };
            if !webp::fits(px.width, px.height) {
                // Nothing WebP can hold at the probe width: the fixed qualities, and lossless
                // where the plan left it open (the fixed rule's first answer).
                let lossless = req.webp != WebpMode::Lossy;
                return Ok(Choice { lossless, ..fixed });
            }
            let Ok(reference) = time(Stage::Judge, || Reference::new(&px)) else {
                return Ok(fixed);
            };
            let auto = Auto {
                px: &px,
                reference: &reference,
                target: f64::from(target),
                settings,
                chroma,
            };
            let mut choice = auto.run(graphic, req.webp, want)?;
            let check = Check {
                src,
                req,
                target: f64::from(target),
                settings,
                chroma,
                graphic,
            };
            check.run(px.width, want, resizer, &mut choice)?;
            Ok(choice)
        }
    }
}

/// Below the target by more than this, a checked width's quality is raised.
pub const CHECK_BELOW: f64 = 2.0;

/// Above the target by more than this, a checked width's quality is lowered (it saves the most
/// bytes there: the largest width holds most of an image's bytes).
pub const CHECK_ABOVE: f64 = 3.0;

/// Most encodes a check may add to raise, and to lower, one width's quality.
pub const CHECK_STEPS: (u8, u8) = (3, 2);

/// Score points per quality step assumed for a check's first step (steeper than the search's
/// prior: the checked widths sit at higher qualities, where WebP's score climbs faster; a
/// smaller first step overshoots into wasted bytes less).
pub const CHECK_SLOPE: f64 = 1.0;

/// The check on the widths above the probe width, for lossy WebP and AVIF (the JPEG fallback,
/// which reaches only browsers without WebP, keeps the probe's quality): the largest width,
/// and any other small enough to be scored whole for less than the sample costs. Each is
/// encoded at the probe's quality and scored (the largest by [`Reference::sampled`]); a width
/// more than [`CHECK_BELOW`] under the target or [`CHECK_ABOVE`] over it gets its own quality,
/// searched in at most [`CHECK_STEPS`] more encodes (and lossless WebP for a graphic, or for a
/// width no lossy quality brings to [`FLOOR`], where that wins). The encodes are kept as the
/// variants, each with its own quality.
struct Check<'a> {
    src: &'a Decoded,
    req: &'a Request,
    target: f64,
    settings: &'a EncodeSettings,
    chroma: Chroma,
    graphic: bool,
}

impl Check<'_> {
    fn run(
        &self,
        probe: u32,
        want: Wants,
        resizer: &mut Resizer,
        choice: &mut Choice,
    ) -> Result<(), EncoderFault> {
        let formats: Vec<OutFormat> = [
            (OutFormat::Webp, want.webp && !choice.lossless),
            (OutFormat::Avif, want.avif),
        ]
        .into_iter()
        .filter_map(|(f, on)| on.then_some(f))
        .collect();
        for width in self.widths(probe, &formats) {
            let px = time(Stage::Resize, || resizer.to_width(&self.src.pixels, width))?;
            let Ok(reference) = time(Stage::Judge, || Reference::sampled(&px)) else {
                continue;
            };
            let auto = Auto {
                px: &px,
                reference: &reference,
                target: self.target,
                settings: self.settings,
                chroma: self.chroma,
            };
            for &format in &formats {
                let fits = match format {
                    OutFormat::Avif => avif::fits(px.width, px.height),
                    _ => webp::fits(px.width, px.height),
                };
                let asked =
                    self.req.ops.iter().any(|o| {
                        o.format == format && o.width == width && o.origin == Origin::Encoded
                    });
                if !fits || !asked {
                    continue;
                }
                let q = match format {
                    OutFormat::Avif => choice.avif,
                    _ => choice.webp,
                };
                let (out, extra) =
                    auto.check(format, q.round().clamp(0.0, 100.0) as u8, self.graphic)?;
                choice.encodes += extra;
                choice.made.push(out);
            }
        }
        Ok(())
    }

    /// The widths above `probe` that `formats` are asked for and get checked, largest first.
    fn widths(&self, probe: u32, formats: &[OutFormat]) -> Vec<u32> {
        let mut widths: Vec<(u32, u32)> = self
            .req
            .ops
            .iter()
            .filter(|o| o.origin == Origin::Encoded && formats.contains(&o.format))
            .filter(|o| o.width > probe)
            .map(|o| (o.width, o.height))
            .collect();
        widths.sort_unstable();
        widths.dedup();
        let budget = judge::TILES as u64 * u64::from(judge::TILE * judge::TILE);
        let largest = widths.last().map(|w| w.0);
        widths
            .into_iter()
            .rev()
            .filter(|&(w, h)| Some(w) == largest || u64::from(w) * u64::from(h) <= budget)
            .map(|(w, _)| w)
            .collect()
    }
}

/// One image's search at the probe width (or a check at a wider one).
#[derive(Clone, Copy)]
struct Auto<'a> {
    px: &'a Pixels,
    reference: &'a Reference,
    target: f64,
    settings: &'a EncodeSettings,
    chroma: Chroma,
}

/// The lossy formats a request encodes.
#[derive(Clone, Copy, Debug)]
struct Wants {
    webp: bool,
    jpeg: bool,
    avif: bool,
}

impl Auto<'_> {
    fn run(&self, graphic: bool, mode: WebpMode, want: Wants) -> Result<Choice, EncoderFault> {
        let mut choice = Choice {
            lossless: mode == WebpMode::Lossless,
            webp: self.settings.webp_quality,
            jpeg: self.settings.jpeg_quality,
            avif: self.settings.avif_quality,
            ..Choice::default()
        };
        if want.webp && mode != WebpMode::Lossless {
            let (lossy, encodes) = self.webp_lossy()?;
            choice.encodes += encodes;
            choice.webp = f32::from(lossy.quality);
            // Lossless is tried for a graphic, and for anything lossy cannot bring to the floor.
            let missed = lossy.score.is_none_or(|v| v < FLOOR);
            let lossless = if mode == WebpMode::Decide && (graphic || missed) {
                choice.encodes += 1;
                self.webp_lossless(&lossy)?
            } else {
                None
            };
            choice.lossless = lossless.is_some();
            choice.made.push(match lossless {
                Some(exact) => exact,
                None => self.output(OutFormat::Webp, lossy, Some(choice.webp)),
            });
        }
        if want.avif {
            let (t, encodes) = self.avif()?;
            choice.encodes += encodes;
            choice.avif = f32::from(t.quality);
            choice
                .made
                .push(self.output(OutFormat::Avif, t, Some(choice.avif)));
        }
        if want.jpeg {
            let (t, encodes) = self.jpeg()?;
            choice.encodes += encodes;
            choice.jpeg = t.quality;
            let q = f32::from(t.quality);
            choice.made.push(self.output(OutFormat::Jpeg, t, Some(q)));
        }
        Ok(choice)
    }

    /// [`Check`] of one width: `format` at the probe's quality `q`, then its own quality where
    /// that one scores too far from the target. Returns the output and the encodes added.
    fn check(
        &self,
        format: OutFormat,
        q: u8,
        graphic: bool,
    ) -> Result<(Output, u32), EncoderFault> {
        let (first, _) = self.tried(format, (q, q, q, 1, f64::INFINITY))?;
        let Some(score) = first.score else {
            return Ok((self.output(format, first, Some(f32::from(q))), 0));
        };
        let (min, max, _, _, slack) = match format {
            OutFormat::Avif => AVIF_SEARCH,
            _ => WEBP_SEARCH,
        };
        let step = ((self.target - score).abs() / CHECK_SLOPE).ceil().max(1.0) as u8;
        let (chosen, mut extra) = if score < self.target - CHECK_BELOW && q < max {
            // Raised to within half the tolerance of the target.
            let aim = Auto {
                target: self.target - CHECK_BELOW / 2.0,
                ..*self
            };
            let start = q.saturating_add(step).min(max);
            let (t, n) = aim.tried(format, (q + 1, max, start, CHECK_STEPS.0, slack))?;
            let better = t.score.is_some_and(|v| v > score);
            (if better { t } else { first }, n)
        } else if score > self.target + CHECK_ABOVE && q > min {
            let start = q.saturating_sub(step).max(min);
            let (t, n) = self.tried(format, (min, q - 1, start, CHECK_STEPS.1, slack))?;
            let passed = t.score.is_some_and(|v| v >= self.target);
            (if passed { t } else { first }, n)
        } else {
            (first, 0)
        };
        // Lossless at this width: for a graphic whose quality had to rise, when no larger than
        // the lossy one; for any picture that lossy cannot bring to the floor.
        let missed = chosen.score.is_none_or(|v| v < FLOOR);
        if format == OutFormat::Webp && ((graphic && chosen.quality > q) || missed) {
            // Lossless WebP is never below 0.58× a fast PNG (see `webp_lossless`): skip the
            // slow lossless encode where the lossy one is under half that PNG.
            let png = time(Stage::Fallback, || png::encode(self.px, 0))?;
            if !missed && chosen.bytes.len() * 2 < png.len() {
                let quality = Some(f32::from(chosen.quality));
                return Ok((self.output(format, chosen, quality), extra));
            }
            extra += 1;
            let exact = time(Stage::Webp, || webp::encode(self.px, true, self.settings))?;
            if missed || exact.len() <= chosen.bytes.len() {
                let mut o = self.output(
                    format,
                    Tried {
                        quality: 0,
                        bytes: exact,
                        score: None,
                    },
                    None,
                );
                o.score = Some(100.0);
                return Ok((o, extra));
            }
        }
        let quality = Some(f32::from(chosen.quality));
        Ok((self.output(format, chosen, quality), extra))
    }

    fn output(&self, format: OutFormat, t: Tried, quality: Option<f32>) -> Output {
        let mut o = Output::new(
            self.px.width,
            self.px.height,
            format,
            t.bytes,
            Origin::Encoded,
        );
        o.quality = quality;
        // A sampled score is an estimate: the report gives measured scores only.
        if !self.reference.is_sampled() {
            o.score = t.score.map(|s| s as f32);
        }
        o
    }

    /// The lowest lossy WebP quality reaching the target, and the encodes it took.
    fn webp_lossy(&self) -> Result<(Tried, u32), EncoderFault> {
        self.tried(OutFormat::Webp, WEBP_SEARCH)
    }

    /// The lowest JPEG quality reaching the target, and the encodes it took.
    fn jpeg(&self) -> Result<(Tried, u32), EncoderFault> {
        self.tried(OutFormat::Jpeg, JPEG_SEARCH)
    }

    /// The lowest AVIF quality reaching the target, and the encodes it took.
    fn avif(&self) -> Result<(Tried, u32), EncoderFault> {
        self.tried(OutFormat::Avif, AVIF_SEARCH)
    }

    /// A search of `format`'s lossy quality within `bounds` (see [`WEBP_SEARCH`]).
    fn tried(
        &self,
        format: OutFormat,
        bounds: (u8, u8, u8, u8, f64),
    ) -> Result<(Tried, u32), EncoderFault> {
        let mut trial = |q: u8| -> Result<(Vec<u8>, Pixels), EncoderFault> {
            let bytes = self.encode_lossy(format, q)?;
            let px = match format {
                OutFormat::Webp => time(Stage::Judge, || webp::decode(&bytes))?,
                OutFormat::Jpeg => time(Stage::Judge, || decode_jpeg(&bytes))?,
                _ => time(Stage::Judge, || avif::decode(&bytes)).ok_or_else(|| {
                    EncoderFault::Failed {
                        format: OutFormat::Avif,
                        width: self.px.width,
                        reason: "libavif cannot decode the AVIF it made".into(),
                    }
                })?,
            };
            Ok((bytes, px))
        };
        self.search(bounds, &mut trial)
    }

    /// `self.px` as lossy `format` (WebP, JPEG or AVIF) at quality `q`.
    fn encode_lossy(&self, format: OutFormat, q: u8) -> Result<Vec<u8>, EncoderFault> {
        match format {
            OutFormat::Webp => {
                let s = self.settings.with_webp_quality(f32::from(q));
                time(Stage::Webp, || webp::encode(self.px, false, &s))
            }
            OutFormat::Jpeg => time(Stage::Fallback, || jpeg::encode(self.px, q)),
            _ => {
                let s = self.settings.with_avif_quality(f32::from(q));
                time(Stage::Avif, || avif::encode(self.px, self.chroma, &s))
            }
        }
    }

    fn search(
        &self,
        (min, max, start, steps, slack): (u8, u8, u8, u8, f64),
        trial: &mut judge::Trial<'_, EncoderFault>,
    ) -> Result<(Tried, u32), EncoderFault> {
        let s = Search {
            target: self.target,
            min,
            max,
            start,
            steps,
            slack,
        };
        let (t, log) = time(Stage::Judge, || judge::search(self.reference, s, trial))?;
        Ok((t, log.len() as u32))
    }

    /// Lossless WebP for a graphic, if it wins: when lossy WebP at the target is no smaller, or
    /// lossy cannot reach the target at all. Skipped where it cannot win: lossless WebP is never
    /// below 0.58× a fast (preset 0) PNG of the same pixels on the corpus's graphics, so a
    /// passing lossy WebP under half that PNG is the smaller one for sure.
    fn webp_lossless(&self, lossy: &Tried) -> Result<Option<Output>, EncoderFault> {
        let passed = lossy.score.is_some_and(|v| v >= self.target);
        if passed {
            let png = time(Stage::Fallback, || png::encode(self.px, 0))?;
            if lossy.bytes.len() * 2 < png.len() {
                return Ok(None);
            }
        }
        let exact = time(Stage::Webp, || webp::encode(self.px, true, self.settings))?;
        if passed && exact.len() > lossy.bytes.len() {
            return Ok(None);
        }
        let mut o = Output::new(
            self.px.width,
            self.px.height,
            OutFormat::Webp,
            exact,
            Origin::Encoded,
        );
        o.score = Some(100.0);
        Ok(Some(o))
    }
}

/// Decode a JPEG this module made, as RGB or gray pixels.
fn decode_jpeg(bytes: &[u8]) -> Result<Pixels, EncoderFault> {
    let img =
        image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg).map_err(|e| {
            EncoderFault::Failed {
                format: OutFormat::Jpeg,
                width: 0,
                reason: format!("cannot decode its own JPEG: {e}"),
            }
        })?;
    let (width, height) = (img.width(), img.height());
    let (layout, data) = match img {
        image::DynamicImage::ImageLuma8(g) => (Layout::Luma, g.into_raw()),
        other => (Layout::Rgb, other.to_rgb8().into_raw()),
    };
    Ok(Pixels {
        width,
        height,
        layout,
        data,
    })
}

/// `--quality N` with `--lossless auto`: lossless WebP for a graphic only if, at
/// [`PROBE_WIDTH`] (or its own width when narrower), lossless is no larger than lossy: flat
/// diagrams, icons and pixel art usually are; a busy screenshot or a photo-like drawing is not.
/// Returns the decision and the probe encode of the winner, to reuse as a variant.
fn fixed_lossless(
    src: &Decoded,
    graphic: bool,
    settings: &EncodeSettings,
    resizer: &mut Resizer,
) -> Result<(bool, Vec<Output>), EncoderFault> {
    if !graphic {
        return Ok((false, Vec::new()));
    }
    let width = src.pixels.width.min(PROBE_WIDTH);
    let px = time(Stage::Resize, || resizer.to_width(&src.pixels, width))?;
    if !webp::fits(px.width, px.height) {
        // Too large for WebP at the probe width: nothing to compare, the rule's first answer.
        return Ok((true, Vec::new()));
    }
    let made = |bytes: Vec<u8>, quality: Option<f32>| {
        let mut o = Output::new(px.width, px.height, OutFormat::Webp, bytes, Origin::Encoded);
        o.quality = quality;
        o
    };
    let lossy = time(Stage::Webp, || webp::encode(&px, false, settings))?;
    let png = time(Stage::Fallback, || png::encode(&px, 0))?;
    if lossy.len() * 2 < png.len() {
        return Ok((false, Vec::new()));
    }
    let lossless = time(Stage::Webp, || webp::encode(&px, true, settings))?;
    Ok(if lossless.len() <= lossy.len() {
        (true, vec![made(lossless, None)])
    } else {
        (false, vec![made(lossy, Some(settings.webp_quality))])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::decode;
    use crate::encode::settings::DecodeLimits;
    use crate::encode::Op;
    use crate::encode::Shape;
    use crate::testutil::corpus;

    fn request(src: &Decoded, quality: Quality, webp: WebpMode) -> Request {
        let op = |format| Op {
            width: src.pixels.width.min(PROBE_WIDTH),
            height: 1,
            format,
            origin: Origin::Encoded,
        };
        Request {
            shape: Shape::Still,
            webp,
            quality,
            ops: vec![op(OutFormat::Webp), op(OutFormat::fallback_for(src.format))],
            pinned: Vec::new(),
            offer_source: true,
        }
    }

    #[test]
    fn fixed_quality_searches_nothing() {
        let src = decode::decode(&corpus("photo-dune.jpg"), &DecodeLimits::default()).unwrap();
        let q = Quality::Fixed {
            webp: 80.0,
            jpeg: 80,
            avif: 60.0,
        };
        let c = choose(
            &src,
            &request(&src, q, WebpMode::Lossy),
            &EncodeSettings::default(),
            false,
            &mut Resizer::new(),
        )
        .unwrap();
        assert_eq!(
            (c.encodes, c.webp, c.jpeg, c.lossless),
            (0, 80.0, 80, false)
        );
        assert!(c.made.is_empty());
    }

    #[test]
    fn a_higher_target_never_chooses_a_lower_quality() {
        let src = decode::decode(&corpus("photo-dune.jpg"), &DecodeLimits::default()).unwrap();
        let run = |target| {
            let req = request(&src, Quality::Auto { target }, WebpMode::Lossy);
            let s = EncodeSettings::default();
            choose(&src, &req, &s, false, &mut Resizer::new()).unwrap()
        };
        let (low, high) = (run(60.0), run(85.0));
        assert!(low.webp < high.webp, "{} < {}", low.webp, high.webp);
        assert!(low.jpeg < high.jpeg, "{} < {}", low.jpeg, high.jpeg);
        for c in [&low, &high] {
            assert!(c.encodes >= 2 && c.encodes <= 7, "{} encodes", c.encodes);
            assert_eq!(c.made.len(), 2);
        }
    }
}

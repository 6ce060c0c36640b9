//! Animated GIF: GIF bytes in, animated WebP per width out, with the original GIF as fallback.
//!
//! Frames come from `image`'s `GifDecoder` (with limits), already composited to full-canvas
//! RGBA. Each is resized and fed, in order, to one libwebp `WebPAnimEncoder` per width; frames
//! are streamed so only one decoded frame is held at a time. We call libwebp-sys directly because
//! the `webp` crate's `AnimEncoder` passes an end timestamp of 0 and so gives the last frame the
//! average duration; here the real end timestamp is passed, keeping every delay.
//!
//! Loop count follows gif2webp: a GIF without a NETSCAPE2.0 extension plays once (WebP loop 1);
//! GIF 0 = forever (WebP 0); GIF n repeats n times *after* the first play (WebP n + 1 plays).

use std::ffi::CStr;
use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::{AnimationDecoder, ImageDecoder};
use libwebp_sys as sys;

use super::decode::{check_pixels, image_limits, Layout, Pixels};
use super::resize::Resizer;
use super::{
    plan_widths, DecodeLimits, Dropped, EncodeError, EncodeSettings, Encoded, LosslessMode, Origin,
    OutFormat, Output,
};
use crate::format::{sniff, Format};

/// What a cheap walk over a GIF's blocks tells (no LZW decoding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GifInfo {
    /// Number of frames (image descriptors).
    pub frames: usize,
    /// Per-frame delay in centiseconds from the Graphic Control Extension (0 when absent).
    pub delays_cs: Vec<u16>,
    /// NETSCAPE2.0 loop count (0 = forever); `None` when the extension is absent (plays once).
    pub loop_count: Option<u16>,
}

/// Frames, delays and loop count from a GIF's block structure (see [`super::gif::walk`]). A
/// truncated file reports what was seen so far; `None` if the bytes are not a GIF.
pub fn gif_info(bytes: &[u8]) -> Option<GifInfo> {
    let walk = super::gif::walk(bytes)?;
    let mut info = GifInfo {
        frames: 0,
        delays_cs: Vec::new(),
        loop_count: None,
    };
    let mut pending_delay = 0u16;
    for (block, range) in &walk.blocks {
        let body = range.start + 2;
        match block {
            super::gif::Block::Extension(0xF9) if bytes.get(body) == Some(&4) => {
                if let (Some(&lo), Some(&hi)) = (bytes.get(body + 2), bytes.get(body + 3)) {
                    pending_delay = u16::from_le_bytes([lo, hi]);
                }
            }
            super::gif::Block::Extension(0xFF) if bytes.get(body) == Some(&11) => {
                let id = bytes.get(body + 1..body + 12);
                let sub = bytes.get(body + 12..body + 16);
                if let (Some(id), Some(&[3, 1, lo, hi])) = (id, sub) {
                    if id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0" {
                        info.loop_count = Some(u16::from_le_bytes([lo, hi]));
                    }
                }
            }
            super::gif::Block::Image => {
                info.frames += 1;
                info.delays_cs.push(pending_delay);
                pending_delay = 0;
            }
            _ => {}
        }
    }
    Some(info)
}

/// WebP loop count for a GIF's NETSCAPE loop count (see the module doc).
pub fn webp_loop_count(gif_loop: Option<u16>) -> i32 {
    match gif_loop {
        None => 1,
        Some(0) => 0,
        Some(n) => (i32::from(n) + 1).min(65535),
    }
}

/// Encode an animated GIF to animated WebP at the planned widths, plus the GIF itself (its own
/// bytes without comment and XMP extensions) as the fallback at its own width. A WebP not smaller than the GIF is
/// dropped. Still images are passed on to [`encode_source`](super::encode_source).
///
/// `LosslessMode::Auto` uses the lossy config with libwebp's `allow_mixed`, which encodes each
/// frame both ways and keeps the smaller (pixel art stays exact, video-like GIFs shrink);
/// `Always` is lossless, `Never` lossy only.
pub fn encode_animated(
    bytes: &[u8],
    widths: &[u32],
    settings: &EncodeSettings,
    limits: &DecodeLimits,
) -> Result<Encoded, EncodeError> {
    encode_animated_inner(bytes, widths, settings, limits, false)
}

/// [`encode_animated`]; with `keep_all`, WebPs failing the size guard are still listed in
/// `outputs` (as well as in `dropped`) so tests can inspect them.
pub(crate) fn encode_animated_inner(
    bytes: &[u8],
    widths: &[u32],
    settings: &EncodeSettings,
    limits: &DecodeLimits,
    keep_all: bool,
) -> Result<Encoded, EncodeError> {
    let info = match sniff(bytes) {
        Some(Format::Gif) => gif_info(bytes),
        _ => None,
    };
    let Some(info) = info.filter(|i| i.frames > 1) else {
        return super::encode_source(bytes, widths, settings, limits);
    };
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(gif_error)?;
    decoder
        .set_limits(image_limits(limits))
        .map_err(gif_error)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, limits)?;
    let loop_count = webp_loop_count(info.loop_count);
    let planned: Vec<u32> = plan_widths(width, widths)
        .into_iter()
        .filter(|&w| w <= super::webp::MAX_SIDE && height <= super::webp::MAX_SIDE)
        .collect();
    let mut dropped: Vec<Dropped> = plan_widths(width, widths)
        .into_iter()
        .filter(|w| !planned.contains(w))
        .map(|w| Dropped {
            width: w,
            format: OutFormat::Webp,
            reason: format!("exceeds WebP's {} px limit per side", super::webp::MAX_SIDE),
        })
        .collect();
    let mut encoders = planned
        .iter()
        .map(|&w| {
            let h = super::scaled_height(width, height, w);
            AnimEncoder::new(w, h, loop_count, settings).map(|e| (w, h, e))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut resizer = Resizer::new();
    let mut timestamp_ms: i32 = 0;
    for frame in decoder.into_frames() {
        let frame = frame.map_err(gif_error)?;
        let (num, den) = frame.delay().numer_denom_ms();
        let delay = num.checked_div(den).unwrap_or(0);
        let full = Pixels {
            width,
            height,
            layout: Layout::Rgba,
            data: frame.into_buffer().into_raw(),
        };
        for (w, _, enc) in &mut encoders {
            let px = resizer.to_width(&full, *w)?;
            enc.add(&px, timestamp_ms)?;
        }
        timestamp_ms = timestamp_ms.saturating_add(i32::try_from(delay).unwrap_or(i32::MAX));
    }

    // The fallback is the GIF itself, without comments and XMP; a GIF whose structure cannot
    // be walked cleanly was already refused by the decoder, but never serve it unstripped.
    let gif = super::metadata::strip_metadata(bytes, Format::Gif)
        .ok_or_else(|| EncodeError::Decode("the GIF's block structure is malformed".to_string()))?;
    let mut outputs = Vec::new();
    for (w, h, enc) in encoders {
        let webp = enc.finish(timestamp_ms)?;
        // Size guard: a WebP that does not beat the GIF it replaces is not worth serving.
        let too_big = webp.len() >= gif.len();
        if too_big {
            dropped.push(Dropped {
                width: w,
                format: OutFormat::Webp,
                reason: format!("animated webp {} B ≥ gif {} B", webp.len(), gif.len()),
            });
        }
        if !too_big || keep_all {
            outputs.push(Output {
                width: w,
                height: h,
                format: OutFormat::Webp,
                bytes: webp,
                origin: Origin::Encoded,
            });
        }
    }
    let kept_webps = outputs
        .iter()
        .filter(|o| !dropped.iter().any(|d| d.width == o.width))
        .count();
    let mut conversions = vec![if kept_webps > 0 {
        format!(
            "{} frames → animated WebP (delays and loop count kept)",
            info.frames
        )
    } else {
        format!("{} frames; served as the GIF only", info.frames)
    }];
    if let Some(m) = super::metadata::removed_note(bytes, Format::Gif) {
        conversions.push(m);
    }
    outputs.push(Output {
        width,
        height,
        format: OutFormat::Gif,
        bytes: gif,
        origin: Origin::SourceBytes,
    });
    Ok(Encoded {
        width,
        height,
        lossless: settings.lossless == LosslessMode::Always,
        orientation: 1,
        outputs,
        dropped,
        conversions,
    })
}

fn gif_error(e: image::ImageError) -> EncodeError {
    EncodeError::Decode(e.to_string())
}

/// Owns one `WebPAnimEncoder` and the per-frame config; deleted on drop.
struct AnimEncoder {
    enc: *mut sys::WebPAnimEncoder,
    config: sys::WebPConfig,
    width: u32,
}

impl AnimEncoder {
    fn new(
        width: u32,
        height: u32,
        loop_count: i32,
        settings: &EncodeSettings,
    ) -> Result<Self, EncodeError> {
        let fail = |reason: &str| EncodeError::Encode {
            format: OutFormat::Webp,
            width,
            reason: reason.to_string(),
        };
        let mut config = sys::WebPConfig::new().map_err(|()| fail("libwebp config init"))?;
        config.method = settings.webp_method.clamp(0, 6);
        let lossless = settings.lossless == LosslessMode::Always;
        config.lossless = i32::from(lossless);
        config.quality = if lossless {
            75.0
        } else {
            settings.webp_quality.clamp(0.0, 100.0)
        };
        // SAFETY: WebPAnimEncoderOptions is a plain C struct; zeroed is a valid bit pattern and
        // the Init call below fills in every field before use.
        let mut options: sys::WebPAnimEncoderOptions = unsafe { std::mem::zeroed() };
        // SAFETY: `options` is a valid, writable struct; the ABI version is the one these
        // bindings were generated for.
        let ok = unsafe {
            sys::WebPAnimEncoderOptionsInitInternal(
                &mut options,
                sys::WEBP_MUX_ABI_VERSION as std::ffi::c_int,
            )
        };
        if ok == 0 {
            return Err(fail("libwebp anim options init (ABI mismatch)"));
        }
        options.anim_params.loop_count = loop_count;
        options.allow_mixed = i32::from(settings.lossless == LosslessMode::Auto);
        let (w, h) = (
            i32::try_from(width).map_err(|_| fail("width too large"))?,
            i32::try_from(height).map_err(|_| fail("height too large"))?,
        );
        // SAFETY: `options` was initialised above and outlives the call (libwebp copies it).
        let enc = unsafe {
            sys::WebPAnimEncoderNewInternal(
                w,
                h,
                &options,
                sys::WEBP_MUX_ABI_VERSION as std::ffi::c_int,
            )
        };
        if enc.is_null() {
            return Err(fail("libwebp could not create the animation encoder"));
        }
        Ok(Self { enc, config, width })
    }

    fn error(&self, what: &str) -> EncodeError {
        // SAFETY: `self.enc` is a live encoder; the returned string is owned by it, NUL
        // terminated, and copied before the encoder can change or free it.
        let msg = unsafe {
            let p = sys::WebPAnimEncoderGetError(self.enc);
            if p.is_null() {
                String::new()
            } else {
                CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        };
        EncodeError::Encode {
            format: OutFormat::Webp,
            width: self.width,
            reason: format!("{what}: {msg}"),
        }
    }

    /// Add one canvas-sized RGBA frame shown from `timestamp_ms`.
    fn add(&mut self, px: &Pixels, timestamp_ms: i32) -> Result<(), EncodeError> {
        let mut picture = sys::WebPPicture::new().map_err(|()| self.error("picture init"))?;
        picture.use_argb = 1;
        picture.width = i32::try_from(px.width).map_err(|_| self.error("frame width"))?;
        picture.height = i32::try_from(px.height).map_err(|_| self.error("frame height"))?;
        let stride = px
            .width
            .checked_mul(4)
            .and_then(|s| i32::try_from(s).ok())
            .ok_or_else(|| self.error("frame stride"))?;
        if px.layout != Layout::Rgba || px.data.len() != px.width as usize * px.height as usize * 4
        {
            return Err(self.error("frame buffer is not canvas-sized RGBA"));
        }
        // SAFETY: `picture` is initialised with width/height set; `px.data` holds exactly
        // height rows of `stride` bytes (checked above) and is only read. The picture owns the
        // ARGB copy it allocates, freed below on every path.
        let imported =
            unsafe { sys::WebPPictureImportRGBA(&mut picture, px.data.as_ptr(), stride) };
        if imported == 0 {
            // SAFETY: freeing a picture whose import failed is allowed (no-op or partial buffer).
            unsafe { sys::WebPPictureFree(&mut picture) };
            return Err(self.error("out of memory importing a frame"));
        }
        // SAFETY: `self.enc` is live, `picture` holds a valid ARGB frame of the canvas size, and
        // `self.config` is a valid config; libwebp copies what it keeps.
        let ok =
            unsafe { sys::WebPAnimEncoderAdd(self.enc, &mut picture, timestamp_ms, &self.config) };
        // SAFETY: `picture` was allocated by the import above and is not used afterwards.
        unsafe { sys::WebPPictureFree(&mut picture) };
        if ok == 0 {
            return Err(self.error("adding a frame failed"));
        }
        Ok(())
    }

    /// Close the animation at `end_ms` (so the last frame keeps its own delay) and assemble.
    fn finish(self, end_ms: i32) -> Result<Vec<u8>, EncodeError> {
        // SAFETY: a NULL frame with the end timestamp is libwebp's documented way to end the
        // animation; `self.enc` is live.
        let ok = unsafe {
            sys::WebPAnimEncoderAdd(self.enc, std::ptr::null_mut(), end_ms, std::ptr::null())
        };
        if ok == 0 {
            return Err(self.error("closing the animation failed"));
        }
        let mut data = sys::WebPData {
            bytes: std::ptr::null(),
            size: 0,
        };
        // SAFETY: `self.enc` is live and `data` is an empty WebPData that libwebp fills with a
        // buffer we copy and then release with WebPDataClear.
        unsafe {
            if sys::WebPAnimEncoderAssemble(self.enc, &mut data) == 0 {
                return Err(self.error("assembling the animation failed"));
            }
            let out = if data.bytes.is_null() {
                Vec::new()
            } else {
                std::slice::from_raw_parts(data.bytes, data.size).to_vec()
            };
            sys::WebPDataClear(&mut data);
            Ok(out)
        }
    }
}

impl Drop for AnimEncoder {
    fn drop(&mut self) {
        // SAFETY: `self.enc` came from WebPAnimEncoderNewInternal, is non-null and is deleted
        // exactly once, here.
        unsafe { sys::WebPAnimEncoderDelete(self.enc) };
    }
}

/// Loop count and per-frame durations (ms) of an animated WebP, read from its RIFF `ANIM` and
/// `ANMF` chunks without decoding; `None` if the bytes are not an animated WebP.
pub fn webp_timing(bytes: &[u8]) -> Option<(u16, Vec<u32>)> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WEBP" {
        return None;
    }
    let mut pos = 12usize;
    let mut loops = None;
    let mut durations = Vec::new();
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let body = bytes.get(pos + 8..pos.checked_add(8 + len)?)?;
        match &head[0..4] {
            b"ANIM" => loops = Some(u16::from_le_bytes([*body.get(4)?, *body.get(5)?])),
            b"ANMF" => durations.push(u32::from_le_bytes([
                *body.get(12)?,
                *body.get(13)?,
                *body.get(14)?,
                0,
            ])),
            _ => {}
        }
        pos += 8 + len + (len & 1);
    }
    Some((loops?, durations))
}

//! Animated GIF: GIF bytes and the requested [`Op`]s in, animated WebP per requested width out, and the
//! GIF itself (without comments and XMP) as the fallback.
//!
//! Frames come from [`decode::gif_frames`], already composited to full-canvas RGBA. Each is
//! resized and fed, in order, to one libwebp `WebPAnimEncoder` per width; frames are streamed so
//! only one decoded frame is held at a time. We call libwebp-sys directly because the `webp`
//! crate's `AnimEncoder` passes an end timestamp of 0 and so gives the last frame the average
//! duration; here the real end timestamp is passed, keeping every delay.
//!
//! Loop count follows gif2webp: a GIF without a NETSCAPE2.0 extension plays once (WebP loop 1);
//! GIF 0 = forever (WebP 0); GIF n repeats n times *after* the first play (WebP n + 1 plays).

use std::ffi::CStr;

use libwebp_sys as sys;

use super::decode;
use super::metadata;
use super::output::{Encoded, Origin, Output};
use super::pixels::{Layout, Pixels};
use super::placeholder;
use super::request::Op;
use super::resize::Resizer;
use super::settings::{DecodeLimits, EncodeSettings, LosslessMode};
use crate::container::gif;
use crate::error::{EncoderFault, ImageFault, InputFault};
use crate::format::{Format, OutFormat};

/// WebP loop count for a GIF's NETSCAPE loop count (see the module doc).
pub fn webp_loop_count(gif_loop: Option<u16>) -> i32 {
    match gif_loop {
        None => 1,
        Some(0) => 0,
        Some(n) => (i32::from(n) + 1).min(65535),
    }
}

/// Make every op for an animated GIF: animated WebP at the ops' widths, the stripped GIF for
/// its `SourceBytes` op. Outputs come back in the ops' order.
///
/// `LosslessMode::Auto` uses the lossy config with libwebp's `allow_mixed`, which encodes each
/// frame both ways and keeps the smaller (pixel art stays exact, video-like GIFs shrink);
/// `Always` is lossless, `Never` lossy only.
pub fn encode(
    bytes: &[u8],
    ops: &[Op],
    settings: &EncodeSettings,
    limits: &DecodeLimits,
) -> Result<Encoded, ImageFault> {
    let info = gif::info(bytes)
        .filter(|i| i.frames > 1)
        .ok_or(InputFault::UnexpectedStill)?;
    let (width, height, frames) = decode::gif_frames(bytes, limits)?;
    let loop_count = webp_loop_count(info.loop_count);
    let mut encoders = Vec::new();
    for op in ops.iter().filter(|o| o.origin == Origin::Encoded) {
        encoders.push((
            *op,
            AnimEncoder::new(op.width, op.height, loop_count, settings)?,
        ));
    }
    let mut resizer = Resizer::new();
    let mut timestamp_ms: i32 = 0;
    let mut first = None;
    for frame in frames {
        let (full, delay) = frame?;
        // The first frame is what shows first: its colour stands in while the file loads.
        first.get_or_insert_with(|| placeholder::dominant(&full));
        for (op, enc) in &mut encoders {
            let px = resizer.to_width(&full, op.width)?;
            enc.add(&px, timestamp_ms)?;
        }
        timestamp_ms = timestamp_ms.saturating_add(i32::try_from(delay).unwrap_or(i32::MAX));
    }
    let mut encoded = encoders.into_iter();
    let mut outputs = Vec::with_capacity(ops.len());
    for op in ops {
        let bytes = match op.origin {
            // The GIF itself, without comments and XMP; a GIF whose structure cannot be walked
            // cleanly was already refused by the decoder, but never serve it unstripped.
            Origin::SourceBytes => metadata::strip_metadata(bytes, Format::Gif)
                .ok_or(InputFault::Unstrippable("GIF"))?,
            Origin::Encoded => match encoded.next() {
                Some((_, enc)) => enc.finish(timestamp_ms)?,
                None => continue,
            },
        };
        outputs.push(Output::new(
            op.width, op.height, op.format, bytes, op.origin,
        ));
    }
    Ok(Encoded {
        width,
        height,
        lossless: settings.lossless == LosslessMode::Always,
        webp_quality: (settings.lossless != LosslessMode::Always).then_some(settings.webp_quality),
        jpeg_quality: None,
        avif_quality: None,
        search_encodes: 0,
        orientation: 1,
        frames: Some(info.frames),
        outputs,
        dropped: Vec::new(),
        conversions: metadata::removed(bytes, Format::Gif).into_iter().collect(),
        placeholder: first.flatten(),
    })
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
    ) -> Result<Self, EncoderFault> {
        let fail = |reason: &str| EncoderFault::Failed {
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

    fn error(&self, what: &str) -> EncoderFault {
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
        EncoderFault::Failed {
            format: OutFormat::Webp,
            width: self.width,
            reason: format!("{what}: {msg}"),
        }
    }

    /// Add one canvas-sized RGBA frame shown from `timestamp_ms`.
    fn add(&mut self, px: &Pixels, timestamp_ms: i32) -> Result<(), EncoderFault> {
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
    fn finish(self, end_ms: i32) -> Result<Vec<u8>, EncoderFault> {
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

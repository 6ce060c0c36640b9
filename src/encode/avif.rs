//! AVIF: 8-bit pixels in, a still AVIF file out (libavif over libaom), and back.
//!
//! The system's libavif (Debian's `libavif-dev`, 0.11.1, built over libaom 3.6.0 and dav1d) is
//! called directly through the few functions and struct fields below; ravif (rav1e) was measured
//! against it and lost on CPU (≈5× at equal speed settings), memory and bytes at equal
//! SSIMULACRA2, and it cannot write 4:2:0 (README, "AVIF"). The output is 8-bit, full range,
//! sRGB (primaries BT.709, sRGB transfer, BT.601 matrix, as avifenc writes from a PNG), with no
//! metadata; 4:4:4 for graphics, 4:2:0 for photos; alpha kept (coded at the same quantizer).
//! [`decode`] exists for tests and for scoring a variant against its source.

use std::borrow::Cow;

use super::pixels::{Layout, Pixels};
use super::settings::EncodeSettings;
use crate::error::EncoderFault;
use crate::format::OutFormat;

/// Largest pixel count libavif's decoder accepts by default (16384 × 16384).
pub const MAX_PIXELS: u64 = 16384 * 16384;

/// True when a `width`×`height` image fits in what decoders accept.
pub fn fits(width: u32, height: u32) -> bool {
    u64::from(width) * u64::from(height) <= MAX_PIXELS
}

/// Chroma resolution of the coded image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chroma {
    /// Full-resolution colour: sharp coloured edges of screenshots, diagrams, icons.
    Full,
    /// Half-resolution colour (4:2:0): photos, where the eye does not see the difference.
    Half,
}

impl Chroma {
    /// Full for a graphic (sharp coloured edges), half for a photo.
    pub fn for_content(graphic: bool) -> Chroma {
        if graphic {
            Chroma::Full
        } else {
            Chroma::Half
        }
    }
}

/// The AV1 quantizer (0 best … 63 worst) for a 0–100 quality, as libavif ≥ 1.0 maps its own
/// `quality` setting: `((100 − q) × 63 + 50) / 100`.
pub fn quantizer(quality: f32) -> i32 {
    let q = quality.clamp(0.0, 100.0).round() as i32;
    ((100 - q) * 63 + 50) / 100
}

/// libavif's version and the versions of the codecs it was built with, for cache keys.
pub fn versions() -> String {
    let mut buf = [0 as std::ffi::c_char; 256];
    // SAFETY: avifVersion returns a static NUL-terminated string; avifCodecVersions writes at
    // most 256 bytes (NUL included) into the buffer it is given.
    unsafe {
        let v = std::ffi::CStr::from_ptr(ffi::avifVersion())
            .to_string_lossy()
            .into_owned();
        ffi::avifCodecVersions(buf.as_mut_ptr());
        let codecs = std::ffi::CStr::from_ptr(buf.as_ptr())
            .to_string_lossy()
            .into_owned();
        format!("libavif {v} ({codecs})")
    }
}

/// Encode `px` as AVIF at the configured quality and speed. Gray input is expanded to RGB.
pub fn encode(
    px: &Pixels,
    chroma: Chroma,
    settings: &EncodeSettings,
) -> Result<Vec<u8>, EncoderFault> {
    let fail = |reason: String| EncoderFault::Failed {
        format: OutFormat::Avif,
        width: px.width,
        reason,
    };
    let data: Cow<'_, [u8]> = match px.layout {
        Layout::Luma => Cow::Owned(px.data.iter().flat_map(|&g| [g, g, g]).collect()),
        _ => Cow::Borrowed(&px.data),
    };
    let alpha = px.layout == Layout::Rgba;
    let channels: u32 = if alpha { 4 } else { 3 };
    let expected = u64::from(px.width) * u64::from(px.height) * u64::from(channels);
    if px.width == 0
        || px.height == 0
        || data.len() as u64 != expected
        || !fits(px.width, px.height)
    {
        return Err(fail(format!(
            "cannot encode a {}×{} image",
            px.width, px.height
        )));
    }
    let yuv = match chroma {
        Chroma::Full => ffi::AVIF_PIXEL_FORMAT_YUV444,
        Chroma::Half => ffi::AVIF_PIXEL_FORMAT_YUV420,
    };
    let q = quantizer(settings.avif_quality);
    // SAFETY: every pointer handed to libavif is either one it returned (checked for NULL and
    // owned by a guard that destroys it once) or points into `data`, which outlives the calls and
    // holds exactly width × height × channels bytes (checked above). Struct fields are read and
    // written only through the prefixes declared in `ffi`, which mirror libavif 0.11's headers.
    unsafe {
        let image = Owned::new(
            ffi::avifImageCreate(px.width, px.height, 8, yuv),
            ffi::avifImageDestroy,
        )
        .ok_or_else(|| fail("libavif could not create an image".into()))?;
        let im = image.0;
        (*im).yuv_range = ffi::AVIF_RANGE_FULL;
        (*im).color_primaries = ffi::AVIF_COLOR_PRIMARIES_BT709;
        (*im).transfer_characteristics = ffi::AVIF_TRANSFER_CHARACTERISTICS_SRGB;
        (*im).matrix_coefficients = ffi::AVIF_MATRIX_COEFFICIENTS_BT601;
        let mut rgb = rgb_view(im, alpha);
        rgb.pixels = data.as_ptr().cast_mut();
        rgb.row_bytes = px.width * channels;
        check(ffi::avifImageRGBToYUV(im, &rgb)).map_err(fail)?;
        let encoder = Owned::new(ffi::avifEncoderCreate(), ffi::avifEncoderDestroy)
            .ok_or_else(|| fail("libavif could not create an encoder".into()))?;
        let e = encoder.0;
        (*e).codec_choice = ffi::AVIF_CODEC_CHOICE_AOM;
        (*e).max_threads = 1;
        (*e).speed = settings.avif_speed.clamp(0, 10);
        (*e).min_quantizer = q;
        (*e).max_quantizer = q;
        (*e).min_quantizer_alpha = q;
        (*e).max_quantizer_alpha = q;
        let mut out = ffi::avifRWData {
            data: std::ptr::null_mut(),
            size: 0,
        };
        let written = check(ffi::avifEncoderWrite(e, im, &mut out));
        let bytes = if out.data.is_null() {
            Vec::new()
        } else {
            std::slice::from_raw_parts(out.data, out.size).to_vec()
        };
        ffi::avifRWDataFree(&mut out);
        written.map_err(fail)?;
        if bytes.is_empty() {
            return Err(fail("libavif wrote no bytes".into()));
        }
        Ok(bytes)
    }
}

/// libavif's description of 8-bit RGB (RGBA with `alpha`) pixels the size of `im`, with no
/// pixel buffer yet.
///
/// # Safety
/// `im` must point to a live `avifImage`.
unsafe fn rgb_view(im: *const ffi::avifImage, alpha: bool) -> ffi::avifRGBImage {
    let mut rgb = std::mem::MaybeUninit::<ffi::avifRGBImage>::zeroed();
    // SAFETY: avifRGBImageSetDefaults fills every field of the zeroed struct from `im`.
    unsafe {
        ffi::avifRGBImageSetDefaults(rgb.as_mut_ptr(), im);
        let mut rgb = rgb.assume_init();
        rgb.depth = 8;
        rgb.format = if alpha {
            ffi::AVIF_RGB_FORMAT_RGBA
        } else {
            ffi::AVIF_RGB_FORMAT_RGB
        };
        rgb
    }
}

/// Decode an AVIF file to 8-bit RGB (RGBA when it has an alpha plane). `None` when libavif
/// refuses the bytes.
pub fn decode(bytes: &[u8]) -> Option<Pixels> {
    // SAFETY: as in `encode`: libavif's own objects behind guards, and `rgb.pixels` allocated by
    // libavif for exactly `rowBytes × height` bytes, read before it is freed.
    unsafe {
        let decoder = Owned::new(ffi::avifDecoderCreate(), ffi::avifDecoderDestroy)?;
        let image = Owned::new(ffi::avifImageCreateEmpty(), ffi::avifImageDestroy)?;
        let im = image.0;
        check(ffi::avifDecoderReadMemory(
            decoder.0,
            im,
            bytes.as_ptr(),
            bytes.len(),
        ))
        .ok()?;
        let alpha = !(*im).alpha_plane.is_null();
        let mut rgb = rgb_view(im, alpha);
        ffi::avifRGBImageAllocatePixels(&mut rgb);
        if rgb.pixels.is_null() {
            return None;
        }
        let converted = check(ffi::avifImageYUVToRGB(im, &mut rgb));
        let channels = if alpha { 4 } else { 3 };
        let row = rgb.width as usize * channels;
        let mut data = Vec::with_capacity(row * rgb.height as usize);
        if converted.is_ok() {
            for y in 0..rgb.height as usize {
                let start = rgb.pixels.add(y * rgb.row_bytes as usize);
                data.extend_from_slice(std::slice::from_raw_parts(start, row));
            }
        }
        let (width, height) = (rgb.width, rgb.height);
        ffi::avifRGBImageFreePixels(&mut rgb);
        converted.ok()?;
        Some(Pixels {
            width,
            height,
            layout: if alpha { Layout::Rgba } else { Layout::Rgb },
            data,
        })
    }
}

/// `Ok` for `AVIF_RESULT_OK`, else libavif's own words for the error.
fn check(result: ffi::avifResult) -> Result<(), String> {
    if result == ffi::AVIF_RESULT_OK {
        return Ok(());
    }
    // SAFETY: avifResultToString returns a static NUL-terminated string for any value.
    let words = unsafe { std::ffi::CStr::from_ptr(ffi::avifResultToString(result)) };
    Err(format!("libavif: {}", words.to_string_lossy()))
}

/// A libavif object, destroyed once when dropped.
struct Owned<T>(*mut T, unsafe extern "C" fn(*mut T));

impl<T> Owned<T> {
    fn new(ptr: *mut T, destroy: unsafe extern "C" fn(*mut T)) -> Option<Self> {
        (!ptr.is_null()).then_some(Owned(ptr, destroy))
    }
}

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from the matching create function and is destroyed once.
        unsafe { (self.1)(self.0) }
    }
}

/// The part of libavif 0.11's C API postpix uses (`/usr/include/avif/avif.h`). Structs that
/// libavif allocates are declared up to the last field used: they are only ever touched
/// through pointers libavif returned, so the prefix is all that must match.
#[allow(non_camel_case_types, non_snake_case, dead_code)]
mod ffi {
    use std::ffi::{c_char, c_int};

    pub type avifResult = c_int;
    pub const AVIF_RESULT_OK: avifResult = 0;
    pub const AVIF_PIXEL_FORMAT_YUV444: c_int = 1;
    pub const AVIF_PIXEL_FORMAT_YUV420: c_int = 3;
    pub const AVIF_RANGE_FULL: c_int = 1;
    pub const AVIF_COLOR_PRIMARIES_BT709: u16 = 1;
    pub const AVIF_TRANSFER_CHARACTERISTICS_SRGB: u16 = 13;
    pub const AVIF_MATRIX_COEFFICIENTS_BT601: u16 = 6;
    pub const AVIF_RGB_FORMAT_RGB: c_int = 0;
    pub const AVIF_RGB_FORMAT_RGBA: c_int = 1;
    pub const AVIF_CODEC_CHOICE_AOM: c_int = 1;

    #[repr(C)]
    pub struct avifRWData {
        pub data: *mut u8,
        pub size: usize,
    }

    /// `avifImage`, up to `matrixCoefficients`.
    #[repr(C)]
    pub struct avifImage {
        pub width: u32,
        pub height: u32,
        pub depth: u32,
        pub yuv_format: c_int,
        pub yuv_range: c_int,
        pub yuv_chroma_sample_position: c_int,
        pub yuv_planes: [*mut u8; 3],
        pub yuv_row_bytes: [u32; 3],
        pub image_owns_yuv_planes: c_int,
        pub alpha_plane: *mut u8,
        pub alpha_row_bytes: u32,
        pub image_owns_alpha_plane: c_int,
        pub alpha_premultiplied: c_int,
        pub icc: avifRWData,
        pub color_primaries: u16,
        pub transfer_characteristics: u16,
        pub matrix_coefficients: u16,
    }

    /// `avifRGBImage`, whole (postpix allocates it).
    #[repr(C)]
    pub struct avifRGBImage {
        pub width: u32,
        pub height: u32,
        pub depth: u32,
        pub format: c_int,
        pub chroma_upsampling: c_int,
        pub chroma_downsampling: c_int,
        pub avoid_lib_yuv: c_int,
        pub ignore_alpha: c_int,
        pub alpha_premultiplied: c_int,
        pub is_float: c_int,
        pub pixels: *mut u8,
        pub row_bytes: u32,
    }

    /// `avifEncoder`, up to `maxQuantizerAlpha`.
    #[repr(C)]
    pub struct avifEncoder {
        pub codec_choice: c_int,
        pub max_threads: c_int,
        pub speed: c_int,
        pub keyframe_interval: c_int,
        pub timescale: u64,
        pub min_quantizer: c_int,
        pub max_quantizer: c_int,
        pub min_quantizer_alpha: c_int,
        pub max_quantizer_alpha: c_int,
    }

    /// `avifDecoder`: opaque here.
    #[repr(C)]
    pub struct avifDecoder {
        _private: [u8; 0],
    }

    #[link(name = "avif")]
    extern "C" {
        pub fn avifVersion() -> *const c_char;
        pub fn avifCodecVersions(out: *mut c_char);
        pub fn avifResultToString(result: avifResult) -> *const c_char;
        pub fn avifImageCreate(
            width: u32,
            height: u32,
            depth: u32,
            format: c_int,
        ) -> *mut avifImage;
        pub fn avifImageCreateEmpty() -> *mut avifImage;
        pub fn avifImageDestroy(image: *mut avifImage);
        pub fn avifRGBImageSetDefaults(rgb: *mut avifRGBImage, image: *const avifImage);
        pub fn avifRGBImageAllocatePixels(rgb: *mut avifRGBImage);
        pub fn avifRGBImageFreePixels(rgb: *mut avifRGBImage);
        pub fn avifImageRGBToYUV(image: *mut avifImage, rgb: *const avifRGBImage) -> avifResult;
        pub fn avifImageYUVToRGB(image: *const avifImage, rgb: *mut avifRGBImage) -> avifResult;
        pub fn avifEncoderCreate() -> *mut avifEncoder;
        pub fn avifEncoderWrite(
            encoder: *mut avifEncoder,
            image: *const avifImage,
            output: *mut avifRWData,
        ) -> avifResult;
        pub fn avifEncoderDestroy(encoder: *mut avifEncoder);
        pub fn avifRWDataFree(raw: *mut avifRWData);
        pub fn avifDecoderCreate() -> *mut avifDecoder;
        pub fn avifDecoderDestroy(decoder: *mut avifDecoder);
        pub fn avifDecoderReadMemory(
            decoder: *mut avifDecoder,
            image: *mut avifImage,
            data: *const u8,
            size: usize,
        ) -> avifResult;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(layout: Layout, w: u32, h: u32) -> Pixels {
        let ch = layout.channels();
        let mut data = Vec::with_capacity((w * h) as usize * ch);
        for y in 0..h {
            for x in 0..w {
                let px = [
                    (x * 255 / w) as u8,
                    (y * 255 / h) as u8,
                    128,
                    if x < w / 2 { 255 } else { 64 },
                ];
                data.extend_from_slice(&px[..ch]);
            }
        }
        Pixels {
            width: w,
            height: h,
            layout,
            data,
        }
    }

    #[test]
    fn quality_maps_to_libavifs_quantizer() {
        assert_eq!(quantizer(100.0), 0);
        assert_eq!(quantizer(50.0), 32);
        assert_eq!(quantizer(0.0), 63);
    }

    #[test]
    fn round_trips_size_colour_and_alpha() {
        let s = EncodeSettings::default();
        for (layout, chroma) in [(Layout::Rgb, Chroma::Half), (Layout::Rgba, Chroma::Full)] {
            let px = gradient(layout, 64, 40);
            let bytes = encode(&px, chroma, &s).expect("encode");
            assert_eq!(&bytes[4..8], b"ftyp");
            let back = decode(&bytes).expect("decode");
            assert_eq!((back.width, back.height, back.layout), (64, 40, layout));
            let ch = layout.channels();
            let worst = px
                .data
                .iter()
                .zip(&back.data)
                .map(|(a, b)| a.abs_diff(*b))
                .max();
            assert!(worst < Some(24), "{layout:?}: max channel error {worst:?}");
            if layout == Layout::Rgba {
                let alpha = |p: &Pixels, x: usize| p.data[x * ch + 3];
                assert!(alpha(&back, 2).abs_diff(255) <= 2 && alpha(&back, 60).abs_diff(64) <= 4);
            }
        }
    }

    #[test]
    fn refuses_a_buffer_of_the_wrong_size() {
        let mut px = gradient(Layout::Rgb, 8, 8);
        px.data.pop();
        assert!(encode(&px, Chroma::Half, &EncodeSettings::default()).is_err());
        assert!(decode(b"not an avif").is_none());
    }
}

//! Encode: one source file's bytes and the plan's [`Request`] in, candidate files out.
//!
//! Layered without circles: [`pixels`] is the one buffer type; the codecs ([`webp`], [`avif`], [`jpeg`],
//! [`png`], [`animated`]'s WebP animation encoder), [`resize`], [`classify`], [`colour`] and
//! [`placeholder`] depend only on it and on [`settings`]; [`decode`] turns bytes into pixels (through
//! [`crate::container`] for headers); [`still`] and [`animated`] run a request; [`guard`]
//! chooses, afterwards, which candidates are worth serving. [`run`] is the entry point: it
//! dispatches on the request's shape and turns a codec panic into this image's failure.
//! Nothing here touches the file system or decides what to make: that is the plan's job.

pub mod animated;
pub mod avif;
pub mod classify;
pub mod colour;
pub mod decode;
pub mod guard;
pub mod jpeg;
pub mod judge;
pub mod metadata;
pub mod output;
pub mod pixels;
pub mod placeholder;
pub mod png;
pub mod quality;
pub mod request;
pub mod resize;
pub mod settings;
pub mod still;
pub mod webp;

use std::panic::{catch_unwind, AssertUnwindSafe};

pub use output::{Conversion, Dropped, Encoded, Origin, Output};
pub use pixels::{Layout, Pixels};
pub use request::{Op, Pinned, Quality, Request, Shape, WebpMode};
pub use settings::{DecodeLimits, EncodeSettings, LosslessMode};

use crate::error::{EncoderFault, ImageFault};

/// Make every op of `req` from the source `bytes`. A panic inside a codec is caught and becomes
/// [`EncoderFault::Crashed`], so one bad file never takes the other images down.
pub fn run(
    bytes: &[u8],
    req: &Request,
    settings: &EncodeSettings,
    limits: &DecodeLimits,
) -> Result<Encoded, ImageFault> {
    let result = catch_unwind(AssertUnwindSafe(|| match req.shape {
        Shape::Still => still::encode(bytes, req, settings, limits),
        Shape::Animated => animated::encode(bytes, &req.ops, settings, limits),
    }));
    match result {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(EncoderFault::Crashed(msg).into())
        }
    }
}

#[cfg(test)]
mod tests;

//! Errors of the library, split by whose fault they are.
//!
//! [`Error`] stops a whole command: the site folder, the settings, the lock, a post or a write
//! that failed. [`ImageError`] concerns one image and never stops the run: the image's
//! references are left as they are, the report says why and the exit code says something
//! failed. Its [`ImageFault`] tells whose fault it is: the user's file ([`InputFault`]), the
//! encoder ([`EncoderFault`]) or the machine ([`EnvFault`]). Every error that concerns a file
//! names it, so a message printed at the edge already says which file and why.

use std::path::PathBuf;

use crate::container::Truncation;
use crate::format::OutFormat;
use crate::units::human_bytes;

/// What stopped a command, and with which file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The site root itself can't be used.
    #[error("site folder {path}: {reason}")]
    Site {
        /// The folder given as SITE.
        path: PathBuf,
        /// Why it can't be used.
        reason: String,
    },
    /// The site's generator would drop the markup postpix writes (Hugo's Goldmark omits raw
    /// HTML unless its settings allow it).
    #[error(
        "{path}: Hugo drops raw HTML from Markdown, so every <picture> postpix writes would \
         vanish from the page; allow it there with\n  [markup.goldmark.renderer]\n  unsafe = \
         true\n(or in YAML: markup: goldmark: renderer: unsafe: true), then run postpix again; \
         `postpix scan` works without it"
    )]
    RawHtmlDropped {
        /// The settings file that should say so (or would, when there is none).
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A post could not be read; it is left as it is.
    #[error(transparent)]
    Post(#[from] PostError),
    /// The site's `_config.yml` is not YAML, or a setting postpix reads has the wrong shape.
    #[error("{path}: {fault}")]
    JekyllConfig {
        /// The `_config.yml`.
        path: PathBuf,
        /// What is wrong with it.
        fault: ConfigFault,
    },
    /// A post changed on disk while postpix was rewriting it; the author's edit wins.
    #[error("{path}: changed on disk during the run; not rewritten (run again)")]
    ChangedDuringRun {
        /// The post.
        path: PathBuf,
    },
    /// A path postpix would write is not a plain file it may replace.
    #[error("{path}: refusing to write: {reason}")]
    UnsafeWrite {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A setting is out of range or malformed.
    #[error("{setting} {problem}")]
    Setting {
        /// The option, as the user writes it (`--quality`).
        setting: &'static str,
        /// What is wrong and what is accepted (`must be between 0 and 100`).
        problem: String,
    },
    /// `postpix render` read a line of input that is not a request.
    #[error("input line {line}: {problem} (each line must be one JSON object {{\"path\": …, \"content\": …}})")]
    RenderInput {
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// Another postpix run holds the lock on this site (or on `--out`).
    #[error(
        "another postpix run is working on {path}; wait for it to finish (its lock ends with it)"
    )]
    Locked {
        /// The locked folder.
        path: PathBuf,
    },
}

impl Error {
    /// An I/O error about `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A setting that is out of range.
    pub fn setting(setting: &'static str, problem: impl Into<String>) -> Self {
        Error::Setting {
            setting,
            problem: problem.into(),
        }
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A post that could not be read (and so is never rewritten).
#[derive(Clone, Debug, thiserror::Error)]
#[error("{path}: {fault}")]
pub struct PostError {
    /// The post, site-relative.
    pub path: String,
    /// Why it could not be read.
    pub fault: PostFault,
}

/// Why a post could not be read.
#[derive(Clone, Debug, thiserror::Error)]
pub enum PostFault {
    /// Not UTF-8 text; postpix never rewrites it.
    #[error("not valid UTF-8 (byte {0}); left as it is")]
    NotUtf8(usize),
    /// The OS refused.
    #[error("{0}")]
    Io(std::sync::Arc<std::io::Error>),
}

/// One image that could not be made into variants: which file, and whose fault.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{path}: {fault}")]
pub struct ImageError {
    /// The source image, site-relative.
    pub path: String,
    /// What went wrong.
    pub fault: ImageFault,
}

/// Why an image could not be made into variants, by whose fault.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ImageFault {
    /// The user's file: not an image, too large, truncated, corrupt. Fix the file or a limit.
    #[error(transparent)]
    Input(#[from] InputFault),
    /// The encoder failed on a file it accepted. Report it.
    #[error(transparent)]
    Encoder(#[from] EncoderFault),
    /// The machine: a read that failed.
    #[error(transparent)]
    Environment(#[from] EnvFault),
}

impl ImageFault {
    /// `input`, `encoder` or `environment`, for `--json`.
    pub fn kind(&self) -> &'static str {
        match self {
            ImageFault::Input(_) => "input",
            ImageFault::Encoder(_) => "encoder",
            ImageFault::Environment(_) => "environment",
        }
    }
}

/// Something wrong with the user's image file. Messages say what to do.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum InputFault {
    /// Not a regular file, or bytes of no format postpix knows.
    #[error("not an image: not a regular file, or its bytes are not GIF, PNG or JPEG")]
    NotAnImage,
    /// A recognised format postpix does not re-encode.
    #[error("{0} images are not supported")]
    Unsupported(&'static str),
    /// Bytes of no image format at all.
    #[error("not a GIF, PNG or JPEG file")]
    UnknownBytes,
    /// A compressed metadata block would inflate past the cap (a decompression bomb).
    #[error("its {block} inflates to more than {} (a decompression bomb?); refused before decoding", human_bytes(*.max as u64))]
    MetadataTooLarge {
        /// Which block.
        block: &'static str,
        /// The cap in bytes.
        max: usize,
    },
    /// A GIF whose blocks hold no frame.
    #[error("truncated or corrupt GIF: no image in it")]
    GifWithoutImage,
    /// The header could not be read; the decoder's words.
    #[error("{0}")]
    Header(String),
    /// The file is over `--max-file-size`.
    #[error("file is {}, over the {} limit (raise it with --max-file-size)", human_bytes(*.size), human_bytes(*.max))]
    FileTooLarge {
        /// File size in bytes.
        size: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// The header announces more pixels than `--max-pixels`.
    #[error("{width}×{height} is {:.1} MP, over the {:.0} MP limit (raise it with --max-pixels)", (*.width as f64 * *.height as f64) / 1e6, *.max_pixels as f64 / 1e6)]
    TooManyPixels {
        /// Upright width.
        width: u32,
        /// Upright height.
        height: u32,
        /// The limit.
        max_pixels: u64,
    },
    /// More frames than one animation may have.
    #[error("{frames} frames, over the limit of {max} frames per animation")]
    TooManyFrames {
        /// Frames in the file.
        frames: u32,
        /// The limit.
        max: u32,
    },
    /// Frames × pixels over `--max-animation-pixels`.
    #[error("{frames} frames of {width}×{height} are {:.0} MP in all, over the {:.0} MP animation limit (raise it with --max-animation-pixels)", *.frames as f64 * *.width as f64 * *.height as f64 / 1e6, *.max as f64 / 1e6)]
    AnimationTooLarge {
        /// Frames.
        frames: u32,
        /// Canvas width.
        width: u32,
        /// Canvas height.
        height: u32,
        /// The limit, frames × pixels.
        max: u64,
    },
    /// The structure is cut short (strict decoding).
    #[error("{0} (pass --lenient to encode what is there)")]
    Truncated(Truncation),
    /// The file changed between the survey and the encode.
    #[error("changed on disk during the run; run again")]
    ChangedDuringRun,
    /// The decoder found bytes that are no JPEG, PNG or GIF.
    #[error("not a JPEG, PNG or GIF image ({found}); postpix leaves it as it is")]
    NotDecodable {
        /// What the bytes look like instead.
        found: String,
    },
    /// The decoder rejected the file (corrupt, or over its memory limit).
    #[error("cannot decode the image: {0}; re-export it from an image editor")]
    Decode(String),
    /// The decoder saw more pixels than allowed.
    #[error(
        "image is {width}×{height} = {pixels} pixels, over the limit of {max_pixels}; \
         downscale it or raise the pixel limit"
    )]
    DecodeTooLarge {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// width × height.
        pixels: u64,
        /// The configured limit.
        max_pixels: u64,
    },
    /// The source cannot be served as is: its structure does not walk cleanly.
    #[error("the {0} file's structure is malformed, so it cannot be served as is")]
    Unstrippable(&'static str),
    /// The bytes hold a still image where the plan expected an animation.
    #[error("expected an animated GIF, found a still image; run again")]
    UnexpectedStill,
    /// The bytes hold an animation where the plan expected a still image (they changed).
    #[error("animated GIF with {frames} frames where a still image was expected; run again")]
    UnexpectedAnimation {
        /// Number of frames.
        frames: usize,
    },
}

/// The encoder failed on a file the decoder accepted.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EncoderFault {
    /// An encoder returned an error.
    #[error("cannot encode {format} at {width} px: {reason}")]
    Failed {
        /// Output format.
        format: OutFormat,
        /// Output width.
        width: u32,
        /// What the encoder said.
        reason: String,
    },
    /// Resizing failed.
    #[error("cannot resize to {width} px: {reason}")]
    Resize {
        /// Target width.
        width: u32,
        /// What the resizer said.
        reason: String,
    },
    /// An encoder or decoder panicked; caught, so the other images go on.
    #[error("the encoder crashed on this file ({0}); please report it")]
    Crashed(String),
}

/// The machine failed postpix: a source that could not be read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EnvFault {
    /// Reading the source failed; the OS's words.
    #[error("{0}")]
    Read(String),
    /// The survey could not read (and so not hash) the file.
    #[error("could not be read")]
    Unread,
    /// `build --merge`: no merged shard (nor this cache) holds its variants.
    #[error(
        "not in the results of any merged shard (did every --shard I/N job run, with these \
         settings, and is its cache folder among the --merge folders?); a merge encodes nothing"
    )]
    NotMerged,
    /// A variant the plan found in the cache's store was gone or altered when it was copied.
    #[error("the cache's store lost variant {0} during the run; run again to encode it")]
    StoreChanged(String),
}

/// Why `_config.yml` cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigFault {
    /// Not valid YAML.
    #[error("not valid YAML: {0}")]
    Yaml(String),
    /// Valid YAML of a shape Jekyll would refuse too.
    #[error("`{key}:` must be {wanted}")]
    Shape {
        /// The top-level key (or `(document)` for the whole file).
        key: String,
        /// What it must be, in words.
        wanted: &'static str,
    },
    /// A key under `postpix:` that is no postpix setting.
    #[error("`postpix.{key}` is not a postpix setting; the settings are: {accepted}")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Every key the block may hold.
        accepted: String,
    },
    /// A key under `postpix:` that only the command line may set.
    #[error("`postpix.{key}` cannot be set in _config.yml: {why}")]
    FlagOnly {
        /// The key.
        key: String,
        /// Why, and what to do instead.
        why: &'static str,
    },
    /// A value under `postpix:` that its setting does not accept.
    #[error("`postpix.{key}: {value}`: {problem}; {key} takes {accepted}")]
    Value {
        /// The key.
        key: String,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        problem: String,
        /// What the key accepts, in words.
        accepted: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_errors_name_the_file_and_keep_the_old_words() {
        let e = ImageError {
            path: "postimg/a.png".into(),
            fault: InputFault::TooManyPixels {
                width: 20000,
                height: 10000,
                max_pixels: 100_000_000,
            }
            .into(),
        };
        assert_eq!(
            e.to_string(),
            "postimg/a.png: 20000×10000 is 200.0 MP, over the 100 MP limit (raise it with --max-pixels)"
        );
        assert_eq!(e.fault.kind(), "input");
        let t = ImageFault::from(InputFault::Truncated(Truncation::PngNoIend));
        assert_eq!(
            t.to_string(),
            "truncated PNG: the file ends before its IEND chunk (pass --lenient to encode what is there)"
        );
    }
}

//! Errors of the library. Every variant that concerns a file names it, so a message printed at
//! the edge already says which file and why; the binary only adds the command's context.

use std::path::PathBuf;

/// What went wrong, and with which file.
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
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A post is not valid UTF-8; postpix never rewrites it.
    #[error("{path}: not valid UTF-8 text (byte {offset}); the post is left as it is")]
    NotUtf8 {
        /// The post.
        path: PathBuf,
        /// First invalid byte.
        offset: usize,
    },
    /// An image could not be decoded or encoded.
    #[error("{path}: {source}")]
    Image {
        /// The source image, site-relative.
        path: String,
        /// The codec's reason.
        #[source]
        source: crate::encode::EncodeError,
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
    /// Invalid settings.
    #[error("invalid setting: {0}")]
    Config(String),
    /// Another postpix run holds the lock on this site.
    #[error("another postpix run is working on this site (lock file {path}); wait for it to finish, or delete the file if no run is active")]
    Locked {
        /// The lock file.
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
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

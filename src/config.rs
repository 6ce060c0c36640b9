//! Config: the validated settings of one run, built once from the command line.
//!
//! In: raw options (see `cli.rs`). Out: a [`Config`] whose values have been checked, so the
//! pipeline never re-validates. Every default is stated here, where it is declared.

use std::path::{Path, PathBuf};

use crate::encode::{DecodeLimits, EncodeSettings};
use crate::error::{Error, Result};

/// Default widths of the variants, in pixels.
pub const DEFAULT_WIDTHS: &[u32] = &[480, 960, 1440];
/// Default name of the folder, beside each source image, that holds its variants.
pub const DEFAULT_VARIANT_DIR: &str = "responsive";
/// Default content width behind the `sizes` attribute.
pub const DEFAULT_CONTENT_WIDTH: u32 = 800;
/// Default memory budget for images in flight, in MiB.
pub const DEFAULT_MEMORY_BUDGET_MB: u64 = 2048;
/// Default cache folder, relative to the site root (or to `--out`).
pub const DEFAULT_CACHE_DIR: &str = ".postpix";

/// Everything one run needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    /// The site root, absolute.
    pub site: PathBuf,
    /// Where the whole rewritten site goes instead of in place (`--out`), absolute.
    pub out: Option<PathBuf>,
    /// Cache folder holding the manifest, absolute.
    pub cache_dir: PathBuf,
    /// Name of the variant folder beside each source image.
    pub variant_dir: String,
    /// Variant widths, ascending, de-duplicated.
    pub widths: Vec<u32>,
    /// Encoder settings.
    pub encode: EncodeSettings,
    /// Decoder limits.
    pub limits: DecodeLimits,
    /// Largest source file postpix will read, in bytes.
    pub max_file_bytes: u64,
    /// Worker threads.
    pub jobs: usize,
    /// The `sizes` attribute of the generated markup.
    pub sizes: String,
    /// Compute and print, write nothing.
    pub dry_run: bool,
    /// Rewrite posts (false: only encode variants).
    pub rewrite: bool,
    /// Accept truncated images with a warning instead of failing them.
    pub lenient: bool,
    /// Bytes of decoded image data allowed in flight at once (see `pipeline::memory_estimate`).
    pub memory_budget: u64,
    /// Largest animation, in frames × pixels per frame.
    pub max_animation_pixels: u64,
}

/// `sizes` for a content column `width` px wide.
pub fn sizes_for(width: u32) -> String {
    format!("(max-width: {width}px) 100vw, {width}px")
}

impl Config {
    /// Defaults for the site at `site`.
    pub fn new(site: &Path) -> Result<Self> {
        let site = absolute(site)?;
        if !site.is_dir() {
            return Err(Error::Site {
                path: site,
                reason: "not a folder (give the root of a Jekyll site, the folder with _posts/)"
                    .into(),
            });
        }
        Ok(Config {
            cache_dir: site.join(DEFAULT_CACHE_DIR),
            site,
            out: None,
            variant_dir: DEFAULT_VARIANT_DIR.to_string(),
            widths: DEFAULT_WIDTHS.to_vec(),
            encode: EncodeSettings::default(),
            limits: DecodeLimits::default(),
            max_file_bytes: 100 * 1024 * 1024,
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            sizes: sizes_for(DEFAULT_CONTENT_WIDTH),
            dry_run: false,
            rewrite: true,
            lenient: false,
            memory_budget: DEFAULT_MEMORY_BUDGET_MB << 20,
            max_animation_pixels: 1_000_000_000,
        })
    }

    /// Write into `out` instead of the site; the cache follows unless set explicitly.
    pub fn with_out(mut self, out: &Path, cache_explicit: bool) -> Result<Self> {
        let out = absolute(out)?;
        if out == self.site {
            return Err(Error::Config(
                "--out must not be the site folder itself".into(),
            ));
        }
        if self.site.starts_with(&out) {
            return Err(Error::Config(
                "--out must not contain the site folder".into(),
            ));
        }
        if !cache_explicit {
            self.cache_dir = out.join(DEFAULT_CACHE_DIR);
        }
        self.out = Some(out);
        Ok(self)
    }

    /// Set and check the widths.
    pub fn with_widths(mut self, widths: &[u32]) -> Result<Self> {
        let mut w: Vec<u32> = widths.to_vec();
        w.sort_unstable();
        w.dedup();
        if w.is_empty() || w.iter().any(|&x| x == 0 || x > 16383) {
            return Err(Error::Config(
                "--widths needs one or more widths between 1 and 16383".into(),
            ));
        }
        self.widths = w;
        Ok(self)
    }

    /// Set and check the variant folder name.
    pub fn with_variant_dir(mut self, name: &str) -> Result<Self> {
        let ok = !name.is_empty()
            && !name.starts_with('.')
            && !name.starts_with('_')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !ok {
            return Err(Error::Config(format!(
                "--variant-dir {name:?}: use a plain folder name of letters, digits, '-', '_' or '.', not starting with '.' or '_' (Jekyll does not publish those)"
            )));
        }
        self.variant_dir = name.to_string();
        Ok(self)
    }

    /// Root that receives variants and rewritten posts: `--out` or the site itself.
    pub fn dest_root(&self) -> &Path {
        self.out.as_deref().unwrap_or(&self.site)
    }
}

fn absolute(p: &Path) -> Result<PathBuf> {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io(p, e))?
            .join(p)
    };
    // Normalise `.` and `..` lexically so paths in messages stay readable.
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_dir_must_be_published_by_jekyll() {
        let d = tempfile::tempdir().unwrap();
        let c = Config::new(d.path()).unwrap();
        assert!(c.clone().with_variant_dir("_responsive").is_err());
        assert!(c.clone().with_variant_dir(".r").is_err());
        assert!(c.clone().with_variant_dir("a/b").is_err());
        assert!(c.with_variant_dir("img-sizes").is_ok());
    }

    #[test]
    fn widths_are_sorted_and_checked() {
        let d = tempfile::tempdir().unwrap();
        let c = Config::new(d.path()).unwrap();
        assert_eq!(
            c.clone().with_widths(&[960, 480, 960]).unwrap().widths,
            vec![480, 960]
        );
        assert!(c.clone().with_widths(&[]).is_err());
        assert!(c.with_widths(&[0]).is_err());
    }

    #[test]
    fn out_moves_the_cache_unless_it_was_given() {
        let d = tempfile::tempdir().unwrap();
        let c = Config::new(d.path()).unwrap();
        let o = c.clone().with_out(&d.path().join("_build"), false).unwrap();
        assert_eq!(o.cache_dir, d.path().join("_build/.postpix"));
        assert!(c.with_out(d.path(), false).is_err());
    }
}

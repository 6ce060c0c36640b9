//! Command line: clap types only. Every option says its default; `Config` validates them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  postpix scan                         # which images do my posts use? broken links? unused files?
  postpix build --dry-run | less       # show what would change, write nothing
  postpix build                        # convert in place (postpix restore undoes the posts)
  postpix build --out _build && jekyll build -s _build   # build step: the site stays untouched
  postpix check                        # CI: exit 1 if a post or variant is not up to date
  postpix watch --out _build & jekyll serve -s _build   # live preview while you write

Exit codes: 0 success, 1 something failed or is stale (see the report), 2 usage or fatal error.
Set NO_COLOR to turn colour off; --json prints a machine-readable report on stdout.";

/// Make a Markdown blog fast: every GIF, PNG and JPEG your posts use becomes WebP plus an
/// optimised fallback at several widths, and the posts' image links become responsive
/// <picture> markup.
#[derive(Debug, Parser)]
#[command(name = "postpix", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Print a JSON report on stdout instead of the human summary (no progress bar).
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every image reference of every post, with its status; find broken links and unused
    /// images. Reads only; writes nothing.
    Scan(ScanArgs),
    /// Encode every referenced image to WebP and an optimised fallback at several widths, and
    /// rewrite the posts' image links into <picture> markup. Incremental: a rerun on an unchanged
    /// site does nothing.
    Build(BuildArgs),
    /// Exit 0 when every post is rewritten and every variant is fresh, 1 otherwise (for CI).
    /// Writes nothing.
    Check(CheckArgs),
    /// Give every post back its original text, byte for byte. Variants stay on disk.
    Restore(RestoreArgs),
    /// Build, then keep the site built while you write: a saved post, an added, replaced or
    /// deleted image is handled within about a second. Stops cleanly on Ctrl-C or SIGTERM.
    Watch(WatchArgs),
}

/// `postpix watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Site root (the folder with _posts/ and _config.yml).
    #[arg(default_value = ".")]
    pub site: PathBuf,
    /// Keep the rewritten site in DIR and leave SITE untouched (then: jekyll serve -s DIR).
    /// Default: rewrite in place.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Encoder and markup settings (the same as build's, so the cache is shared).
    #[command(flatten)]
    pub settings: Settings,
}

/// `postpix scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Site root (the folder with _posts/ and _config.yml).
    #[arg(default_value = ".")]
    pub site: PathBuf,
    /// Name of postpix's variant folders, skipped while scanning.
    #[arg(long, default_value = "responsive", value_name = "NAME")]
    pub variant_dir: String,
}

/// `postpix build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Site root (the folder with _posts/ and _config.yml).
    #[arg(default_value = ".")]
    pub site: PathBuf,
    /// Write the whole site, rewritten, into DIR and leave SITE untouched
    /// (then: jekyll build -s DIR). Default: rewrite in place.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print a unified diff of the posts and write nothing at all.
    #[arg(long)]
    pub dry_run: bool,
    /// Only encode variants; leave the posts as they are.
    #[arg(long)]
    pub no_rewrite: bool,
    /// Encoder and markup settings.
    #[command(flatten)]
    pub settings: Settings,
}

/// `postpix check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Site root.
    #[arg(default_value = ".")]
    pub site: PathBuf,
    /// Check the site written by `build --out DIR`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The settings the build uses (they decide what "fresh" means).
    #[command(flatten)]
    pub settings: Settings,
}

/// `postpix restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Site root.
    #[arg(default_value = ".")]
    pub site: PathBuf,
    /// List the posts that would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// When WebP is lossless.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Lossless {
    /// Lossless for graphics (screenshots, diagrams, icons), lossy for photos.
    Auto,
    /// Always lossless.
    Always,
    /// Always lossy.
    Never,
}

/// Settings shared by `build`, `check` and `watch`.
#[derive(Debug, Args)]
pub struct Settings {
    /// Variant widths in pixels, comma-separated. Never upscaled; a narrower source gets its
    /// own width as the top variant.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "480,960,1440",
        value_name = "W,W,..."
    )]
    pub widths: Vec<u32>,
    /// WebP quality for photos, 0-100.
    #[arg(long, default_value_t = 80.0, value_name = "Q")]
    pub quality: f32,
    /// WebP effort, 0 (fast) to 6 (small). 4 is libwebp's default.
    #[arg(long, default_value_t = 4, value_name = "M")]
    pub method: i32,
    /// Quality of the progressive JPEG fallback, 1-100.
    #[arg(long, default_value_t = 80, value_name = "Q")]
    pub jpeg_quality: u8,
    /// oxipng preset for the PNG fallback, 0 (fast) to 6 (small). The fallback only reaches
    /// browsers without WebP, so the default is the fast one.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub png_preset: u8,
    /// When WebP is lossless.
    #[arg(long, value_enum, default_value_t = Lossless::Auto)]
    pub lossless: Lossless,
    /// Folder beside each image that receives its variants (must not start with '_' or '.',
    /// which Jekyll does not publish).
    #[arg(long, default_value = "responsive", value_name = "NAME")]
    pub variant_dir: String,
    /// Width of your content column in CSS px; sets `sizes` to
    /// "(max-width: Npx) 100vw, Npx".
    #[arg(long, default_value_t = 800, value_name = "PX")]
    pub content_width: u32,
    /// The `sizes` attribute verbatim (overrides --content-width).
    #[arg(long, value_name = "SIZES")]
    pub sizes: Option<String>,
    /// Cache folder (manifest). Default: .postpix/ in the site, or in --out DIR. Point CI's
    /// cache at it to make CI builds incremental.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Worker threads. Default: the number of cores.
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Refuse images larger than this many megapixels (checked from the header, before
    /// decoding).
    #[arg(long, default_value_t = 100.0, value_name = "MP")]
    pub max_pixels: f64,
    /// Refuse source files larger than this many megabytes.
    #[arg(long, default_value_t = 100, value_name = "MB")]
    pub max_file_size: u64,
    /// Refuse animations larger than this many megapixels in all (frames × pixels per frame).
    #[arg(long, default_value_t = 1000.0, value_name = "MP")]
    pub max_animation_pixels: f64,
    /// Decoded image data allowed in flight at once, in MiB. Images start only when their
    /// estimate fits, so peak memory follows image sizes, not the number of cores; an image
    /// larger than the budget runs alone.
    #[arg(long, default_value_t = 2048, value_name = "MIB")]
    pub memory_budget: u64,
    /// Accept truncated images with a warning instead of failing them.
    #[arg(long)]
    pub lenient: bool,
}

//! Command line: clap types only. Every option says its default; the encoder and markup
//! settings are the library's [`Settings`], which `Config::from_settings` validates.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use postpix::config::{Settings, DEFAULT_MEMORY_BUDGET_MB, DEFAULT_VARIANT_DIR};

const EXAMPLES: &str = "\
Examples:
  postpix scan                         # which images do my posts use? broken links? unused files?
  postpix build --dry-run | less       # show what would change, write nothing
  postpix build                        # convert in place (postpix restore undoes the posts)
  postpix build --out _build && jekyll build -s _build   # build step: the site stays untouched
  postpix check                        # CI: exit 1 if a post or variant is not up to date
  postpix watch --out _build & jekyll serve -s _build   # live preview while you write
  postpix config                       # the settings in effect: defaults, _config.yml's postpix:, flags

Exit codes: 0 success, 1 something failed or is stale (see the report), 2 usage, configuration
(_config.yml's postpix: block) or fatal error.
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
    Check(SiteArgs),
    /// Give every post back its original text, byte for byte. Variants stay on disk.
    Restore(RestoreArgs),
    /// Build, then keep the site built while you write: a saved post, an added, replaced or
    /// deleted image is handled within about a second. Stops cleanly on Ctrl-C or SIGTERM.
    Watch(SiteArgs),
    /// Print the effective settings and where each came from: the default, the `postpix:`
    /// block of _config.yml, or a flag (a flag beats the file). Takes the same options as
    /// build; writes nothing.
    Config(ConfigArgs),
    /// For a site generator's plugin (jekyll/postpix.rb): encode the variants into the
    /// generator's output folder (--dest), then read the generator's documents on stdin, one
    /// JSON object {"path", "content"} per line, and print one JSON object on stdout with each
    /// document's content rewritten as `build` would. Writes nothing in the site but the cache
    /// (default: .jekyll-cache/postpix); the summary goes to stderr.
    Render(RenderArgs),
    /// Set the site up: append a commented `postpix:` block (every setting at its default) to
    /// _config.yml and the cache folders to .gitignore, then print the next command. Only
    /// appends; exits 1 and changes nothing when _config.yml already has a `postpix:` key.
    Init(InitArgs),
}

/// The site and where its rewritten copy goes.
#[derive(Debug, Args)]
pub struct Target {
    /// Site root (the folder with _posts/ and _config.yml).
    #[arg(default_value = ".")]
    pub site: PathBuf,
    /// Write the rewritten site into DIR and leave SITE untouched (then
    /// `jekyll build -s DIR`, or `jekyll serve -s DIR` beside `watch`; for `check`, the DIR a
    /// `build --out` wrote). Default: rewrite in place.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `postpix check` and `postpix watch`: a site and the settings its builds use (they decide
/// what "fresh" means, and share the cache with `build`).
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// The site.
    #[command(flatten)]
    pub target: Target,
    /// Encoder and markup settings.
    #[command(flatten)]
    pub settings: Settings,
}

/// `postpix config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The site and the settings.
    #[command(flatten)]
    pub site: SiteArgs,
    /// Print only a key for a CI cache of the cache folder: postpix's version and a hash of the
    /// codec versions and the settings (not cache_dir, jobs, shard or memory_budget).
    #[arg(long)]
    pub cache_key: bool,
}

/// `postpix init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Site root (the folder with _config.yml).
    #[arg(default_value = ".")]
    pub site: PathBuf,
}

/// `postpix render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Site root (the folder with _posts/ and _config.yml).
    #[arg(default_value = ".")]
    pub site: PathBuf,
    /// The generator's output folder (Jekyll's `site.dest`, e.g. _site): the variants go there,
    /// at the paths they would have in the site.
    #[arg(long, value_name = "DIR")]
    pub dest: PathBuf,
    /// Encoder and markup settings.
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
    #[arg(long, default_value = DEFAULT_VARIANT_DIR, value_name = "NAME")]
    pub variant_dir: String,
    /// Image bytes held at once while hashing and probing, in MiB (as for `build`).
    #[arg(long, default_value_t = DEFAULT_MEMORY_BUDGET_MB, value_name = "MIB")]
    pub memory_budget: u64,
    /// The site generator whose layout to read (as for `build`). Default: told by the site's
    /// files.
    #[arg(long, value_enum)]
    pub layout: Option<postpix::scan::layout::Layout>,
}

/// `postpix build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The site.
    #[command(flatten)]
    pub target: Target,
    /// Print a unified diff of the posts and write nothing at all.
    #[arg(long)]
    pub dry_run: bool,
    /// Only encode variants; leave the posts as they are.
    #[arg(long)]
    pub no_rewrite: bool,
    /// Finish a sharded build: read the results of the `--shard I/N` jobs from their cache
    /// folders (each job's --cache-dir, or DIR/.postpix of its --out DIR), copy their variants
    /// in and rewrite the posts. Encodes nothing: an image no folder holds fails the build.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub merge: Vec<PathBuf>,
    /// Encoder and markup settings.
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

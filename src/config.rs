//! Config: the raw settings of a run as the user gives them ([`Settings`], which the binary's
//! command line parses), and the validated [`Config`] built from them once.
//!
//! In: the site, `--out` and the [`Settings`]. Out: a [`Config`] whose values have been checked,
//! so the pipeline never re-validates. Every default is a constant declared here (or beside the
//! encoder setting it is), and the command line's help shows the same constants.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::encode::settings::{
    DEFAULT_AVIF_QUALITY, DEFAULT_AVIF_SPEED, DEFAULT_JPEG_QUALITY, DEFAULT_PNG_PRESET,
    DEFAULT_TARGET, DEFAULT_WEBP_METHOD, DEFAULT_WEBP_QUALITY,
};
use crate::encode::{DecodeLimits, EncodeSettings, LosslessMode};
use crate::error::{Error, Result};
use crate::format::OutFormat;
use crate::scan::layout::Layout;

/// Default formats offered in `<source>`s, in the order of the markup (see README, "AVIF": AVIF
/// is opt-in because it costs more time than the speed target allows).
pub const DEFAULT_FORMATS: &[OutFormat] = &[OutFormat::Webp];
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
/// The cache folder of `postpix render` unless one is set: inside Jekyll's own cache folder.
pub const RENDER_CACHE_DIR: &str = ".jekyll-cache/postpix";
/// Folder of the shared store inside the cache folder.
pub const STORE_DIR: &str = "store";
/// Default largest image, in megapixels.
pub const DEFAULT_MAX_PIXELS_MP: f64 = 100.0;
/// Default largest source file, in MB.
pub const DEFAULT_MAX_FILE_MB: u64 = 100;
/// Default largest animation, frames × pixels, in megapixels.
pub const DEFAULT_MAX_ANIMATION_MP: f64 = 1000.0;

/// `--quality`: searched per image (`auto`) or one fixed WebP quality.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum QualityArg {
    /// The lowest quality reaching `--target`.
    Auto,
    /// This WebP quality.
    Fixed(f32),
}

impl std::str::FromStr for QualityArg {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(QualityArg::Auto);
        }
        s.parse::<f32>()
            .map(QualityArg::Fixed)
            .map_err(|_| format!("'{s}' is neither 'auto' nor a number from 0 to 100"))
    }
}

/// `--shard I/N`: this run is job `I` of `N` (1-based) and encodes only the sources whose content
/// hash falls in its share. The split is by content, so a source's bytes always land in the same
/// shard whatever the paths, and every shard's results can be merged with `build --merge`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which job this is, 1..=count.
    pub index: u32,
    /// How many jobs share the site.
    pub count: u32,
}

/// Most shards a site may be split into.
pub const MAX_SHARDS: u32 = 1024;

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || {
            format!(
                "'{s}' is not I/N: give this job's number I and the number of jobs N, \
                 1 <= I <= N <= {MAX_SHARDS} (e.g. 2/4)"
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = match (i.trim().parse::<u32>(), n.trim().parse::<u32>()) {
            (Ok(i), Ok(n)) => (i, n),
            _ => return Err(bad()),
        };
        if index == 0 || count == 0 || index > count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// True when the source (or other item) identified by `id` belongs to this shard. `id` is a
    /// content hash (hex) where there is one; anything else (the path of a source that could
    /// not be read) is hashed first, so every item lands in exactly one shard.
    pub fn owns(&self, id: &str) -> bool {
        let n = id
            .get(..16)
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .unwrap_or_else(|| {
                let h = blake3::hash(id.as_bytes());
                let mut b = [0u8; 8];
                b.copy_from_slice(&h.as_bytes()[..8]);
                u64::from_be_bytes(b)
            });
        n % u64::from(self.count) == u64::from(self.index - 1)
    }
}

/// What stands in for an image while it loads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PlaceholderMode {
    /// Nothing: a blank box until the image arrives.
    None,
    /// The image's dominant colour as the `<img>`'s inline background (not for images with
    /// transparency).
    #[default]
    Color,
}

/// The settings a user gives `build`, `check` and `watch`, before validation. The command line
/// parses them (each option's help states its default, from the constants above);
/// [`Config::from_settings`] checks them.
#[derive(Clone, Debug, Args)]
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
    /// Quality of lossy still variants: `auto` (the default) picks, per image and format, the
    /// lowest WebP and JPEG quality whose SSIMULACRA2 score reaches `--target`; a number
    /// (0-100) fixes the WebP quality (the JPEG fallback then uses `--jpeg-quality`).
    /// Animations always use a fixed WebP quality (this number, or 80 under `auto`).
    #[arg(long, default_value = "auto", value_name = "auto|Q")]
    pub quality: QualityArg,
    /// SSIMULACRA2 score `--quality auto` aims for (90: visually lossless, 70: high quality,
    /// 50: medium), 30-95.
    #[arg(long, default_value_t = DEFAULT_TARGET, value_name = "SCORE")]
    pub target: f32,
    /// Formats offered in <source>s before the fallback, in order of preference: webp, or
    /// avif,webp (AVIF first: every browser that decodes AVIF also decodes WebP), or avif.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "webp",
        value_name = "F,F"
    )]
    pub formats: Vec<String>,
    /// AVIF quality, 0-100 (libavif's scale).
    #[arg(long, default_value_t = DEFAULT_AVIF_QUALITY, value_name = "Q")]
    pub avif_quality: f32,
    /// AVIF speed, 0 (slow, smaller) to 10 (fast).
    #[arg(long, default_value_t = DEFAULT_AVIF_SPEED, value_name = "S")]
    pub avif_speed: i32,
    /// WebP effort, 0 (fast) to 6 (small). 4 is libwebp's default.
    #[arg(long, default_value_t = DEFAULT_WEBP_METHOD, value_name = "M")]
    pub method: i32,
    /// Quality of the progressive JPEG fallback, 1-100.
    #[arg(long, default_value_t = DEFAULT_JPEG_QUALITY, value_name = "Q")]
    pub jpeg_quality: u8,
    /// oxipng preset for the PNG fallback, 0 (fast) to 6 (small). The fallback only reaches
    /// browsers without WebP, so the default is the fast one.
    #[arg(long, default_value_t = DEFAULT_PNG_PRESET, value_name = "N")]
    pub png_preset: u8,
    /// When WebP is lossless.
    #[arg(long, value_enum, default_value_t = LosslessMode::Auto)]
    pub lossless: LosslessMode,
    /// Folder beside each image that receives its variants (must not start with '_' or '.',
    /// which Jekyll does not publish).
    #[arg(long, default_value = DEFAULT_VARIANT_DIR, value_name = "NAME")]
    pub variant_dir: String,
    /// Width of your content column in CSS px; sets `sizes` to
    /// "(max-width: Npx) 100vw, Npx".
    #[arg(long, default_value_t = DEFAULT_CONTENT_WIDTH, value_name = "PX")]
    pub content_width: u32,
    /// The `sizes` attribute verbatim (overrides --content-width).
    #[arg(long, value_name = "SIZES")]
    pub sizes: Option<String>,
    /// Cache folder (manifest). Default: .postpix/ in the site, or in --out DIR. Point CI's
    /// cache at it to make CI builds incremental.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub cache_dir: Option<PathBuf>,
    /// Worker threads. Default: the number of cores.
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Refuse images larger than this many megapixels (checked from the header, before
    /// decoding).
    #[arg(long, default_value_t = DEFAULT_MAX_PIXELS_MP, value_name = "MP")]
    pub max_pixels: f64,
    /// Refuse source files larger than this many megabytes.
    #[arg(long, default_value_t = DEFAULT_MAX_FILE_MB, value_name = "MB")]
    pub max_file_size: u64,
    /// Refuse animations larger than this many megapixels in all (frames × pixels per frame).
    #[arg(long, default_value_t = DEFAULT_MAX_ANIMATION_MP, value_name = "MP")]
    pub max_animation_pixels: f64,
    /// Decoded image data allowed in flight at once, in MiB. Images start only when their
    /// estimate fits, so peak memory follows image sizes, not the number of cores; an image
    /// larger than the budget runs alone.
    #[arg(long, default_value_t = DEFAULT_MEMORY_BUDGET_MB, value_name = "MIB")]
    pub memory_budget: u64,
    /// Accept truncated images with a warning instead of failing them. `--lenient=false`
    /// switches off a `lenient: true` in `_config.yml`.
    // The value name `BOOL` marks a switch for `config_file::is_switch` (YAML `yes` → `true`).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          default_value_t = false, action = clap::ArgAction::Set, value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub lenient: bool,
    /// What the <img> shows while the image loads: its dominant colour as an inline
    /// background (color), or nothing (none).
    #[arg(long, value_enum, default_value_t = PlaceholderMode::Color)]
    pub placeholder: PlaceholderMode,
    /// Serve image links that will 404 on the published site (a root-relative `/img/x.jpg`
    /// under a `baseurl`, a document-relative `img/x.jpg` under a post's folder URL; `postpix
    /// scan` lists them) from `{{ site.baseurl }}/…` in the generated markup. The post's text
    /// is kept in the markup's record, so `restore` gives it back as it was.
    /// `--fix-links=false` switches off a `fix_links: true` in `_config.yml`.
    // The value name `BOOL` marks a switch for `config_file::is_switch`.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          default_value_t = false, action = clap::ArgAction::Set, value_name = "BOOL",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub fix_links: bool,
    /// Be job I of N (e.g. `--shard 2/4` in a CI matrix): encode only the images whose content
    /// hash falls in this share, into this job's variants and cache; posts are not rewritten
    /// and nothing is pruned. A final `postpix build --merge DIR...` over the jobs' cache
    /// folders writes the site, encoding nothing. Default: no shard, the whole site.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// The site generator whose layout to read: where its Markdown lives and which folders it
    /// publishes at `/` (hugo, zola: `content/` and `static/`; eleventy: the input folder).
    /// Default: told by the site's files (`_config.yml`, `hugo.toml`, `eleventy.config.js`…).
    #[arg(long, value_enum)]
    pub layout: Option<Layout>,
}

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
    /// Formats offered in `<source>`s, in markup order: `[Webp]`, `[Avif, Webp]` or `[Avif]`.
    pub formats: Vec<OutFormat>,
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
    /// Rewrite posts (false: only encode variants).
    pub rewrite: bool,
    /// Bytes of decoded image data allowed in flight at once (see `pipeline::memory_estimate`).
    pub memory_budget: u64,
    /// Largest animation, in frames × pixels per frame.
    pub max_animation_pixels: u64,
    /// What the markup shows while an image loads.
    pub placeholder: PlaceholderMode,
    /// Serve links that will 404 from `{{ site.baseurl }}/…` (`--fix-links`).
    pub fix_links: bool,
    /// This run is one shard of a split build (`--shard`): only its share of the jobs.
    pub shard: Option<Shard>,
    /// Cache folders of shard jobs whose stores this run reads (`build --merge`); when any are
    /// given the run encodes nothing.
    pub merge: Vec<PathBuf>,
    /// The generator the site is laid out for (`--layout`); `None`: as its files say.
    pub layout: Option<Layout>,
    /// `postpix render` (the generator plugin): the variants go into `out`, the generator's
    /// output folder, and nothing else is written there or in the site (no copy of the site, no
    /// post, no hero file); the posts' markup is handed back instead.
    pub render: bool,
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
            formats: DEFAULT_FORMATS.to_vec(),
            encode: EncodeSettings::default(),
            limits: DecodeLimits::default(),
            max_file_bytes: DEFAULT_MAX_FILE_MB * 1024 * 1024,
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            sizes: sizes_for(DEFAULT_CONTENT_WIDTH),
            rewrite: true,
            memory_budget: DEFAULT_MEMORY_BUDGET_MB << 20,
            max_animation_pixels: (DEFAULT_MAX_ANIMATION_MP * 1e6) as u64,
            placeholder: PlaceholderMode::default(),
            fix_links: false,
            shard: None,
            merge: Vec::new(),
            layout: None,
            render: false,
        })
    }

    /// The configuration for the site at `site` (written into `out` when given) under
    /// `settings`, every value checked.
    pub fn from_settings(site: &Path, out: Option<&Path>, s: &Settings) -> Result<Self> {
        let mut cfg = Config::new(site)?
            .with_widths(&s.widths)?
            .with_variant_dir(&s.variant_dir)?;
        if let Some(dir) = &s.cache_dir {
            cfg.cache_dir = absolute(dir)?;
        }
        if let Some(o) = out {
            cfg = cfg.with_out(o, s.cache_dir.is_some())?;
        }
        let (webp_quality, target) = match s.quality {
            QualityArg::Auto => (
                DEFAULT_WEBP_QUALITY,
                Some(in_range("--target", s.target, 30.0, 95.0)?),
            ),
            QualityArg::Fixed(q) => (in_range("--quality", q, 0.0, 100.0)?, None),
        };
        cfg.encode = EncodeSettings {
            webp_quality,
            target,
            webp_method: in_range("--method", s.method, 0, 6)?,
            jpeg_quality: in_range("--jpeg-quality", s.jpeg_quality, 1, 100)?,
            png_preset: in_range("--png-preset", s.png_preset, 0, 6)?,
            lossless: s.lossless,
            avif_quality: in_range("--avif-quality", s.avif_quality, 0.0, 100.0)?,
            avif_speed: in_range("--avif-speed", s.avif_speed, 0, 10)?,
        };
        cfg.formats = formats(&s.formats)?;
        cfg.sizes = match &s.sizes {
            Some(sizes) => sizes.clone(),
            None => sizes_for(positive("--content-width", s.content_width)?),
        };
        if let Some(j) = s.jobs {
            cfg.jobs = positive("--jobs", j)?;
        }
        cfg.limits.max_pixels = (positive("--max-pixels", s.max_pixels)? * 1e6) as u64;
        cfg.max_file_bytes = s.max_file_size.saturating_mul(1024 * 1024);
        cfg.limits.lenient = s.lenient;
        let anim = positive("--max-animation-pixels", s.max_animation_pixels)?;
        cfg.max_animation_pixels = (anim * 1e6) as u64;
        cfg = cfg.with_memory_budget(s.memory_budget)?;
        cfg.placeholder = s.placeholder;
        cfg.fix_links = s.fix_links;
        cfg.layout = s.layout;
        cfg.shard = s.shard;
        Ok(cfg)
    }

    /// Write into `out` instead of the site; the cache follows unless set explicitly.
    pub fn with_out(mut self, out: &Path, cache_explicit: bool) -> Result<Self> {
        let out = absolute(out)?;
        if out == self.site {
            return Err(Error::setting(
                "--out",
                "must not be the site folder itself",
            ));
        }
        if self.site.starts_with(&out) {
            return Err(Error::setting("--out", "must not contain the site folder"));
        }
        if !cache_explicit {
            self.cache_dir = out.join(DEFAULT_CACHE_DIR);
        }
        self.out = Some(out);
        Ok(self)
    }

    /// The configuration of a `build`: posts rewritten or not (`--no-rewrite`), and the cache
    /// folders of the shard jobs to merge (`--merge`, see [`Config::with_merge`]).
    pub fn for_build(mut self, rewrite: bool, merge: &[PathBuf]) -> Result<Self> {
        self.rewrite = rewrite;
        self.with_merge(merge)
    }

    /// The configuration of `postpix render` into `dest` (the generator's output folder, e.g.
    /// Jekyll's `site.dest`): variants only, nothing written in the site but the cache, which
    /// unless set explicitly is [`RENDER_CACHE_DIR`] (Jekyll's own cache folder, which Jekyll
    /// neither publishes nor watches, and `jekyll new`'s `.gitignore` already lists).
    pub fn for_render(mut self, dest: &Path, cache_explicit: bool) -> Result<Self> {
        if self.shard.is_some() {
            return Err(Error::setting(
                "--shard",
                "is a build setting; render serves a whole site",
            ));
        }
        self = self.with_out(dest, true)?;
        if !cache_explicit {
            self.cache_dir = self.site.join(RENDER_CACHE_DIR);
        }
        self.render = true;
        self.rewrite = true;
        Ok(self)
    }

    /// Read the stores of these shard jobs' cache folders and encode nothing (`build --merge`).
    /// Each must be a folder; a shard that had no work may have left it without a store.
    pub fn with_merge(mut self, dirs: &[PathBuf]) -> Result<Self> {
        if !dirs.is_empty() && self.shard.is_some() {
            return Err(Error::setting(
                "--merge",
                "combines the shards' results; it cannot itself run as a --shard",
            ));
        }
        for d in dirs {
            let abs = absolute(d)?;
            if !abs.is_dir() {
                return Err(Error::setting(
                    "--merge",
                    format!(
                        "{}: not a folder (give the cache folder of each --shard job)",
                        abs.display()
                    ),
                ));
            }
            self.merge.push(abs);
        }
        Ok(self)
    }

    /// The folder of the shared, content-addressed store inside the cache folder.
    pub fn store_dir(&self) -> PathBuf {
        self.cache_dir.join(STORE_DIR)
    }

    /// The folder holding this site's own manifest: the cache folder itself when it lies in the
    /// site or in `--out` (the default), else `sites/<name>-<hash>/` in it, named from the
    /// destination's absolute path, so checkouts that share one `--cache-dir` never read or
    /// replace each other's manifests (what they share is the store).
    pub fn manifest_dir(&self) -> PathBuf {
        if self.cache_root() != self.cache_dir {
            return self.cache_dir.clone();
        }
        let dest = self.dest_root();
        let name: String = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        let id = blake3::hash(dest.as_os_str().as_encoded_bytes()).to_hex();
        self.cache_dir
            .join("sites")
            .join(format!("{name}-{}", &id[..16]))
    }

    /// Set and check the widths.
    pub fn with_widths(mut self, widths: &[u32]) -> Result<Self> {
        let mut w: Vec<u32> = widths.to_vec();
        w.sort_unstable();
        w.dedup();
        if w.is_empty() || w.iter().any(|&x| x == 0 || x > 16383) {
            return Err(Error::setting(
                "--widths",
                "needs one or more widths between 1 and 16383",
            ));
        }
        self.widths = w;
        Ok(self)
    }

    /// Set the memory budget, in MiB (`--memory-budget`; must be positive).
    pub fn with_memory_budget(mut self, mib: u64) -> Result<Self> {
        self.memory_budget = positive("--memory-budget", mib)?.saturating_mul(1 << 20);
        Ok(self)
    }

    /// What `scan` needs from `s` for the site at `site`: the walk (variant folder, layout)
    /// and the memory budget, nothing about encoding.
    pub fn for_scan(site: &Path, s: &Settings) -> Result<Self> {
        Ok(Config::new(site)?
            .with_variant_dir(&s.variant_dir)?
            .with_memory_budget(s.memory_budget)?
            .with_layout(s.layout))
    }

    /// The same configuration for a site of this layout (`None`: as its files say).
    pub fn with_layout(mut self, layout: Option<Layout>) -> Self {
        self.layout = layout;
        self
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
            return Err(Error::setting(
                "--variant-dir",
                format!("{name:?}: use a plain folder name of letters, digits, '-', '_' or '.', not starting with '.' or '_' (Jekyll does not publish those)"),
            ));
        }
        self.variant_dir = name.to_string();
        Ok(self)
    }

    /// Root that receives variants and rewritten posts: `--out` or the site itself.
    pub fn dest_root(&self) -> &Path {
        self.out.as_deref().unwrap_or(&self.site)
    }

    /// The root the cache folder is checked against before a write: the destination or the
    /// site when it lies inside one (so a planted symlink at `.postpix` is refused), else the
    /// cache folder itself (a `--cache-dir` elsewhere is the user's choice).
    pub fn cache_root(&self) -> &Path {
        [self.dest_root(), self.site.as_path()]
            .into_iter()
            .find(|r| self.cache_dir.starts_with(r))
            .unwrap_or(&self.cache_dir)
    }

    /// The folders a writing command locks: the site, and `--out` when given.
    pub fn lock_folders(&self) -> Vec<&Path> {
        std::iter::once(self.site.as_path())
            .chain(self.out.as_deref())
            .collect()
    }
}

/// `value` if it lies in `min..=max`, else an error naming the option and the range.
fn in_range<T: PartialOrd + std::fmt::Display>(
    setting: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<T> {
    if value >= min && value <= max {
        Ok(value)
    } else {
        Err(Error::setting(
            setting,
            format!("must be between {min} and {max}"),
        ))
    }
}

/// `value` if it is above zero, else an error naming the option.
/// `--formats`: webp, avif,webp or avif. AVIF must come before WebP: a browser takes the first
/// `<source>` it decodes, and every browser that decodes AVIF decodes WebP.
fn formats(names: &[String]) -> Result<Vec<OutFormat>> {
    let mut out = Vec::new();
    for n in names {
        let f = match n.trim().to_ascii_lowercase().as_str() {
            "webp" => OutFormat::Webp,
            "avif" => OutFormat::Avif,
            _ => return Err(Error::setting("--formats", "takes webp and avif only")),
        };
        if !out.contains(&f) {
            out.push(f);
        }
    }
    match out.as_slice() {
        [OutFormat::Webp] | [OutFormat::Avif, OutFormat::Webp] | [OutFormat::Avif] => Ok(out),
        [OutFormat::Webp, OutFormat::Avif] => Err(Error::setting(
            "--formats",
            "must list avif before webp (every browser that decodes AVIF decodes WebP, so a \
             WebP <source> first would hide the AVIF)",
        )),
        _ => Err(Error::setting("--formats", "needs webp, avif,webp or avif")),
    }
}

fn positive<T: PartialOrd + Default>(setting: &'static str, value: T) -> Result<T> {
    if value > T::default() {
        Ok(value)
    } else {
        Err(Error::setting(setting, "must be positive"))
    }
}

/// `p` made absolute against the working folder, `.` and `..` resolved lexically.
pub fn absolute(p: &Path) -> Result<PathBuf> {
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

    #[test]
    fn a_shard_is_i_of_n() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse::<Shard>(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/4", "5/4", "1/0", "x", "1/4/2", "", "2", "-1/4", "1/2000"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("I/N"), "{bad}: {e}");
        }
        let one = Shard { index: 1, count: 1 };
        assert!(one.owns("not a hash") && one.owns(&"f".repeat(64)));
    }

    #[test]
    fn formats_put_avif_before_webp() {
        let f = |s: &str| formats(&s.split(',').map(String::from).collect::<Vec<_>>());
        assert_eq!(f("webp").ok(), Some(vec![OutFormat::Webp]));
        assert_eq!(
            f("avif,webp").ok(),
            Some(vec![OutFormat::Avif, OutFormat::Webp])
        );
        assert_eq!(f("AVIF").ok(), Some(vec![OutFormat::Avif]));
        assert!(f("webp,avif").is_err());
        assert!(f("jpeg").is_err());
    }
}

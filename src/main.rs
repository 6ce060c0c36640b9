//! The `postpix` binary: parse arguments, build a `Config`, run the library, print the report,
//! exit with a code that says whether something failed. No image or Markdown logic lives here.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;

use cli::{Cli, Command, Lossless, Settings};
use postpix::encode::LosslessMode;
use postpix::pipeline::{self, Mode, Progress};
use postpix::report::{human_bytes, BuildReport, ImageStatus, ScanReport};
use postpix::resolve::Status;
use postpix::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            let mut msg = format!("{} {e}", paint("error:", "1;31"));
            for cause in e.chain().skip(1) {
                msg.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Scan(a) => {
            let cfg = Config::new(&a.site)?.with_variant_dir(&a.variant_dir)?;
            let report = pipeline::scan_report(&cfg).context("scan failed")?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if !cli.quiet {
                print_scan(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Build(a) => {
            let mut cfg = config(&a.site, a.out.as_deref(), &a.settings)?;
            cfg.dry_run = a.dry_run;
            cfg.rewrite = !a.no_rewrite;
            let mode = if a.dry_run { Mode::DryRun } else { Mode::Build };
            let bar = Bar::new(!cli.json && !cli.quiet && std::io::stderr().is_terminal());
            let report = pipeline::run(&cfg, mode, &bar).context("build failed")?;
            if let Some(t) = postpix::timings::report() {
                eprint!("{t}");
            }
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                if let Some(d) = &report.diff {
                    print!("{d}");
                }
                if !cli.quiet || report.failed() {
                    print_build(&report, mode, cli.quiet);
                }
            }
            Ok(code(report.failed()))
        }
        Command::Check(a) => {
            let cfg = config(&a.site, a.out.as_deref(), &a.settings)?;
            let report =
                pipeline::run(&cfg, Mode::Check, &pipeline::NoProgress).context("check failed")?;
            let stale = !report.problems.is_empty() || report.failed();
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if stale {
                println!(
                    "{} {} problem(s):",
                    paint("stale:", "1;33"),
                    report.problems.len()
                );
                for n in &report.problems {
                    if n.line > 0 {
                        println!("  {}:{}  {}", n.post, n.line, n.message);
                    } else {
                        println!("  {}  {}", n.post, n.message);
                    }
                }
                for e in &report.errors {
                    println!("  {e}");
                }
                println!(
                    "Run `postpix build` (with the same options) to bring the site up to date."
                );
            } else if !cli.quiet {
                println!(
                    "{} {} reference(s) rewritten, every variant fresh.",
                    paint("up to date:", "1;32"),
                    report.summary.refs_rewritten
                );
            }
            Ok(code(stale))
        }
        Command::Watch(a) => watch(cli, a),
        Command::Restore(a) => {
            let cfg = Config::new(&a.site)?;
            let (changed, errors) = pipeline::restore(&cfg, a.dry_run).context("restore failed")?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({"restored": changed, "errors": errors, "dry_run": a.dry_run})
                );
            } else {
                for e in &errors {
                    eprintln!("{} {e}", paint("error:", "1;31"));
                }
                if !cli.quiet {
                    let verb = if a.dry_run {
                        "would restore"
                    } else {
                        "restored"
                    };
                    for p in &changed {
                        println!("  {verb} {p}");
                    }
                    println!("{} post(s) {verb}.", changed.len());
                }
            }
            Ok(code(!errors.is_empty()))
        }
    }
}

/// `postpix watch`: build, then hand every change to the library's watcher until a signal.
fn watch(cli: &Cli, a: &cli::WatchArgs) -> Result<ExitCode> {
    // A stream of lines has no single JSON report to print.
    anyhow::ensure!(!cli.json, "--json is not available for watch");
    let cfg = config(&a.site, a.out.as_deref(), &a.settings)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    // First signal: finish the batch in progress, save, exit 0. A second one: leave now (the
    // pipeline's writes are atomic; a later run removes any temp file left).
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .context("cannot install the Ctrl-C handler")?;
    // Start watching before the first build, so nothing saved during it is missed.
    let mut watcher = postpix::watch::Watcher::start(&cfg).context("watch failed")?;
    let bar = Bar::new(!cli.quiet && std::io::stderr().is_terminal());
    let report = watcher.build(&bar).context("build failed")?;
    if !cli.quiet || report.failed() {
        print_build(&report, Mode::Build, cli.quiet);
    }
    if !cli.quiet {
        let dest = cfg.out.as_deref().unwrap_or(&cfg.site);
        println!(
            "\nWatching {} (writing to {}); Ctrl-C to stop.",
            cfg.site.display(),
            dest.display()
        );
    }
    let quiet = cli.quiet;
    watcher
        .run(&stop, &mut |line| {
            use postpix::watch::Level;
            let (tag, colour) = match line.level {
                Level::Info if quiet => return,
                Level::Info => ("", ""),
                Level::Warn => ("warning: ", "1;33"),
                Level::Error => ("error: ", "1;31"),
            };
            let tag = if tag.is_empty() {
                String::new()
            } else {
                paint(tag, colour)
            };
            println!("{} {tag}{}", clock(), line.text);
        })
        .context("watch failed")?;
    if !cli.quiet {
        println!("{} stopped.", clock());
    }
    Ok(ExitCode::SUCCESS)
}

/// Local wall-clock time, HH:MM:SS.
#[cfg(unix)]
fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as libc::time_t;
    // SAFETY: an all-zero `tm` is a valid value of this plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r reads `secs` and writes only into `tm`, both alive for the call.
    let ok = unsafe { !libc::localtime_r(&secs, &mut tm).is_null() };
    if ok {
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
    } else {
        utc_clock()
    }
}

#[cfg(not(unix))]
fn clock() -> String {
    utc_clock()
}

fn utc_clock() -> String {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{:02}:{:02}:{:02}Z", s / 3600 % 24, s / 60 % 60, s % 60)
}

fn code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn config(site: &std::path::Path, out: Option<&std::path::Path>, s: &Settings) -> Result<Config> {
    let mut cfg = Config::new(site)?
        .with_widths(&s.widths)?
        .with_variant_dir(&s.variant_dir)?;
    if let Some(dir) = &s.cache_dir {
        cfg.cache_dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
    }
    if let Some(o) = out {
        cfg = cfg.with_out(o, s.cache_dir.is_some())?;
    }
    anyhow::ensure!(
        (0.0..=100.0).contains(&s.quality),
        "--quality must be between 0 and 100"
    );
    anyhow::ensure!(
        (0..=6).contains(&s.method),
        "--method must be between 0 and 6"
    );
    anyhow::ensure!(
        (1..=100).contains(&s.jpeg_quality),
        "--jpeg-quality must be between 1 and 100"
    );
    anyhow::ensure!(s.png_preset <= 6, "--png-preset must be between 0 and 6");
    anyhow::ensure!(s.content_width > 0, "--content-width must be positive");
    anyhow::ensure!(s.max_pixels > 0.0, "--max-pixels must be positive");
    cfg.encode.webp_quality = s.quality;
    cfg.encode.webp_method = s.method;
    cfg.encode.jpeg_quality = s.jpeg_quality;
    cfg.encode.png_preset = s.png_preset;
    cfg.encode.lossless = match s.lossless {
        Lossless::Auto => LosslessMode::Auto,
        Lossless::Always => LosslessMode::Always,
        Lossless::Never => LosslessMode::Never,
    };
    cfg.sizes = s
        .sizes
        .clone()
        .unwrap_or_else(|| postpix::config::sizes_for(s.content_width));
    if let Some(j) = s.jobs {
        anyhow::ensure!(j > 0, "--jobs must be at least 1");
        cfg.jobs = j;
    }
    cfg.limits.max_pixels = (s.max_pixels * 1e6) as u64;
    cfg.max_file_bytes = s.max_file_size.saturating_mul(1024 * 1024);
    cfg.lenient = s.lenient;
    anyhow::ensure!(
        s.max_animation_pixels > 0.0,
        "--max-animation-pixels must be positive"
    );
    anyhow::ensure!(s.memory_budget > 0, "--memory-budget must be positive");
    cfg.max_animation_pixels = (s.max_animation_pixels * 1e6) as u64;
    cfg.memory_budget = s.memory_budget.saturating_mul(1 << 20);
    Ok(cfg)
}

/// ANSI colour, unless NO_COLOR is set or stdout is not a terminal.
fn paint(text: &str, code: &str) -> String {
    let on = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new(show: bool) -> Self {
        Bar(show.then(|| {
            let b = indicatif::ProgressBar::hidden();
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} encoding {pos}/{len} [{bar:30}] {elapsed} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        }))
    }
}

impl Progress for Bar {
    fn begin(&self, total: usize) {
        if let Some(b) = &self.0 {
            b.set_length(total as u64);
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }
    fn tick(&self, source: &str) {
        if let Some(b) = &self.0 {
            b.set_message(source.to_string());
            b.inc(1);
        }
    }
    fn end(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

fn print_scan(r: &ScanReport) {
    let s = &r.summary;
    println!(
        "Scanned {} post(s): {} image reference(s), {} unique image(s) ({}).",
        s.posts,
        s.refs,
        s.images,
        human_bytes(r.images.iter().map(|i| i.bytes).sum())
    );
    println!(
        "  {} ok, {} missing, {} outside the site, {} external, {} not images, {} unsupported, {} unresolved Liquid",
        s.ok, s.missing, s.outside, s.external, s.not_image, s.unsupported, s.unresolved
    );
    let mut problems = Vec::new();
    for p in &r.posts {
        if let Some(e) = &p.error {
            problems.push(format!("  {}  {e}", p.path));
        }
        for x in &p.refs {
            let hint = match x.status {
                Status::Ok | Status::External => continue,
                Status::Missing => "no such file in the site: upload it or fix the path",
                Status::Outside => "the path leaves the site folder: postpix never reads it",
                Status::NotImage => "not an image file",
                Status::Unsupported => "format not re-encoded (GIF, PNG and JPEG are)",
                Status::Unresolved => "Liquid postpix can't evaluate: the reference is left alone",
            };
            problems.push(format!(
                "  {}:{}  {} {}\n      {hint}",
                p.path,
                x.line,
                paint(x.status.name(), "33"),
                x.url
            ));
        }
    }
    if !problems.is_empty() {
        println!("\n{}", paint("Problems:", "1"));
        for p in problems {
            println!("{p}");
        }
    }
    let liars: Vec<_> = r
        .posts
        .iter()
        .flat_map(|p| p.refs.iter().map(move |x| (p, x)))
        .filter(|(_, x)| x.extension_mismatch)
        .collect();
    if !liars.is_empty() {
        println!(
            "\n{}",
            paint(
                "Extensions that lie (handled by content, but worth renaming):",
                "1"
            )
        );
        for (p, x) in liars {
            println!(
                "  {}:{}  {} is really {}",
                p.path,
                x.line,
                x.source.as_deref().unwrap_or(&x.url),
                x.format.map(|f| f.name()).unwrap_or("?")
            );
        }
    }
    let animated: Vec<_> = r
        .images
        .iter()
        .filter(|i| i.frames.unwrap_or(1) > 1)
        .collect();
    if !animated.is_empty() {
        println!(
            "\nAnimated: {} image(s) ({}).",
            animated.len(),
            animated
                .iter()
                .map(|i| i.source.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !r.orphans.is_empty() {
        println!(
            "\n{}",
            paint(
                "Unused images (in referenced folders, used by no post):",
                "1"
            )
        );
        for o in &r.orphans {
            println!("  {o}");
        }
    }
    println!("\nNext: `postpix build --dry-run` shows what a build would change.");
}

fn print_build(r: &BuildReport, mode: Mode, quiet: bool) {
    let s = &r.summary;
    if !quiet {
        let head = if mode == Mode::DryRun {
            "Dry run (nothing written):"
        } else {
            "Built:"
        };
        println!(
            "{} {} image(s): {} encoded, {} cached, {} failed, {} skipped",
            paint(head, "1"),
            r.images.len(),
            s.encoded,
            s.cached,
            s.failed,
            s.skipped
        );
        println!(
            "  {} variant file(s) written, {} pruned; {} post(s) changed, {} reference(s) as <picture>, {} left as they are",
            s.variants_written, s.variants_pruned, s.posts_changed, s.refs_rewritten, s.refs_left
        );
        if s.bytes_before > 0 {
            let pct = 100.0 * (1.0 - s.bytes_after as f64 / s.bytes_before as f64);
            println!(
                "  a reader downloads {} instead of {} ({pct:.0}% less)",
                human_bytes(s.bytes_after),
                human_bytes(s.bytes_before)
            );
        }
    }
    let failed: Vec<_> = r
        .images
        .iter()
        .filter(|i| i.status == ImageStatus::Failed)
        .collect();
    if !failed.is_empty() {
        println!("\n{}", paint("Failed:", "1;31"));
        for i in failed {
            println!("  {}: {}", i.source, i.error.as_deref().unwrap_or("?"));
        }
    }
    for e in &r.errors {
        println!("{} {e}", paint("error:", "1;31"));
    }
    if quiet {
        return;
    }
    let skipped: Vec<_> = r
        .images
        .iter()
        .filter(|i| i.status == ImageStatus::Skipped)
        .collect();
    if !skipped.is_empty() {
        println!("\nSkipped:");
        for i in skipped {
            println!("  {}: {}", i.source, i.error.as_deref().unwrap_or(""));
        }
    }
    if !r.left.is_empty() {
        println!("\nLeft as they are:");
        for n in &r.left {
            println!("  {}:{}  {}", n.post, n.line, n.message);
        }
    }
    let converted: Vec<String> = r
        .images
        .iter()
        .flat_map(|i| {
            i.conversions
                .iter()
                .filter(|c| !c.starts_with("metadata removed"))
                .map(move |c| format!("  {}: {c}", i.source))
        })
        .collect();
    if !converted.is_empty() {
        println!("\nConverted:");
        for c in converted {
            println!("{c}");
        }
    }
    let stripped = r
        .images
        .iter()
        .filter(|i| {
            i.conversions
                .iter()
                .any(|c| c.starts_with("metadata removed"))
        })
        .count();
    if stripped > 0 {
        println!(
            "  metadata (EXIF, GPS, XMP, comments, …) removed from {stripped} image(s); see --json"
        );
    }
    let dropped: Vec<String> = r
        .images
        .iter()
        .flat_map(|i| {
            i.dropped
                .iter()
                .map(move |d| format!("  {} {} {} px: {}", i.source, d.format, d.width, d.reason))
        })
        .collect();
    if !dropped.is_empty() {
        println!("\nVariants not kept (the size guard):");
        for d in dropped {
            println!("{d}");
        }
    }
    let mut warnings: Vec<String> = r.warnings.clone();
    for i in &r.images {
        for w in &i.warnings {
            warnings.push(format!("{}: {w}", i.source));
        }
    }
    if !warnings.is_empty() {
        println!("\n{}", paint("Warnings:", "1;33"));
        for w in warnings {
            println!("  {w}");
        }
    }
}

//! The binary's longer commands: `build`, `watch` and `render`, each a few calls into the
//! library between parsing and printing.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::ArgMatches;

use crate::cli::{BuildArgs, Cli, RenderArgs};
use crate::glue::{code, json, say};
use postpix::config_file;
use postpix::pipeline::{self, render, Mode, NoProgress};
use postpix::report::human::{self, Style};
use postpix::report::lines::{self, Level};
use postpix::report::progress::Bar;
use postpix::Config;

/// `postpix render`: JSON on stdout (it is a protocol), the summary on stderr.
pub fn render(cli: &Cli, a: &RenderArgs, flags: &ArgMatches, st: &Style) -> Result<ExitCode> {
    let layered = config_file::layer(&a.site, flags)?;
    let explicit = layered.settings.cache_dir.is_some();
    let cfg = layered
        .config(&a.site, None)?
        .for_render(&a.dest, explicit)?;
    let requests = render::read_requests(std::io::stdin().lock())?;
    let report = render::run(&cfg, &requests, &NoProgress).context("render failed")?;
    if !cli.quiet || report.failed() {
        eprint!("{}", human::build(&report.report, false, cli.quiet, st));
    }
    json(&report)?;
    Ok(code(report.failed()))
}

/// `postpix build`.
pub fn build(cli: &Cli, a: &BuildArgs, cfg: Config, st: &Style) -> Result<ExitCode> {
    let cfg = cfg.for_build(!a.no_rewrite, &a.merge)?;
    let mode = if a.dry_run { Mode::DryRun } else { Mode::Build };
    let bar = Bar::new(!cli.json && !cli.quiet && std::io::stderr().is_terminal());
    let (session, report) = pipeline::open_and_run(&cfg, mode, &bar).context("build failed")?;
    // The process ends right after: freeing the survey and the manifest of a large site one
    // allocation at a time costs a tenth of a no-op's time, for nothing.
    std::mem::forget(session);
    if let Some(t) = postpix::timings::report() {
        eprint!("{t}");
    }
    if cli.json {
        json(&report)?;
    } else {
        if let Some(d) = &report.diff {
            say(d);
        }
        if !cli.quiet || report.failed() {
            say(&human::build(&report, a.dry_run, cli.quiet, st));
        }
    }
    let failed = report.failed();
    std::mem::forget(report);
    Ok(code(failed))
}

/// `postpix watch`: build, then hand every change to the library's watcher until a signal.
pub fn watch(cli: &Cli, cfg: Config, st: &Style) -> Result<ExitCode> {
    // A stream of lines has no single JSON report to print.
    anyhow::ensure!(!cli.json, "--json is not available for watch");
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
    let _lock = pipeline::lock_for_writing(&cfg).context("watch failed")?;
    // Start watching before the first build, so nothing saved during it is missed.
    let mut watcher = postpix::watch::Watcher::start(&cfg).context("watch failed")?;
    let bar = Bar::new(!cli.quiet && std::io::stderr().is_terminal());
    let report = watcher.build(&bar).context("build failed")?;
    if !cli.quiet || report.failed() {
        say(&human::build(&report, false, cli.quiet, st));
    }
    if !cli.quiet {
        let dest = cfg.dest_root();
        say(&format!(
            "\nWatching {} (writing to {}); Ctrl-C to stop.\n",
            cfg.site.display(),
            dest.display()
        ));
    }
    watcher
        .run(&stop, &mut |event| {
            for line in lines::lines(&event) {
                let tag = match line.level {
                    Level::Info if cli.quiet => continue,
                    Level::Info => String::new(),
                    Level::Warn => st.paint("warning: ", "1;33"),
                    Level::Error => st.paint("error: ", "1;31"),
                };
                say(&format!("{} {tag}{}\n", lines::clock(), line.text));
            }
        })
        .context("watch failed")?;
    if !cli.quiet {
        say(&format!("{} stopped.\n", lines::clock()));
    }
    Ok(ExitCode::SUCCESS)
}

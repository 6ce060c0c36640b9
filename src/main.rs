//! The `postpix` binary: parse arguments, build a `Config`, run the library, print the report
//! the library renders, exit with a code that says whether something failed. No image or
//! Markdown logic lives here, and no wording of a report either.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use cli::{BuildArgs, Cli, Command, Target};
use postpix::config_file::{self, Layered};
use postpix::pipeline::{self, render, Mode, NoProgress};
use postpix::report::human::{self, Style};
use postpix::report::lines::{self, Level};
use postpix::report::progress::Bar;
use postpix::Config;

fn main() -> ExitCode {
    postpix::memory::tune_allocator();
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Which flags were given, for layering them over _config.yml's `postpix:` block.
    let sub = matches.subcommand().map_or(&matches, |(_, m)| m);
    match run(&cli, sub) {
        Ok(code) => code,
        Err(e) => {
            let mut msg = format!("{} {e}", style().paint("error:", "1;31"));
            for cause in e.chain().skip(1) {
                msg.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}

/// Colour only on a terminal, and never with `NO_COLOR`.
fn style() -> Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        colour: !no_color && std::io::stdout().is_terminal(),
    }
}

/// Print `text` to stdout. A reader that went away (`postpix scan | head -1`) ends the program
/// quietly with success, as ripgrep does; the work already done stays done.
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(2);
    }
}

/// Print `value` as pretty JSON.
fn json(value: &impl serde::Serialize) -> Result<()> {
    say(&format!("{}\n", serde_json::to_string_pretty(value)?));
    Ok(())
}

fn code(failed: bool) -> ExitCode {
    ExitCode::from(u8::from(failed))
}

/// The settings of `_config.yml` under the flags given, and the checked configuration.
fn config(t: &Target, flags: &ArgMatches) -> Result<(Layered, Config)> {
    let layered = config_file::layer(&t.site, flags)?;
    let cfg = layered.config(&t.site, t.out.as_deref())?;
    Ok((layered, cfg))
}

fn run(cli: &Cli, flags: &ArgMatches) -> Result<ExitCode> {
    let st = style();
    match &cli.command {
        Command::Scan(a) => {
            let layered = config_file::layer(&a.site, flags)?.settings;
            let cfg = Config::new(&a.site)?
                .with_variant_dir(&layered.variant_dir)?
                .with_memory_budget(layered.memory_budget)?;
            let report = pipeline::scan_report(&cfg).context("scan failed")?;
            if cli.json {
                json(&report)?;
            } else if !cli.quiet {
                say(&human::scan(&report, &st));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Build(a) => build(cli, a, config(&a.target, flags)?.1, &st),
        Command::Check(a) => {
            let cfg = config(&a.target, flags)?.1;
            let report = pipeline::run(&cfg, Mode::Check, &NoProgress).context("check failed")?;
            if cli.json {
                json(&report)?;
            } else {
                say(&human::check(&report, cli.quiet, &st));
            }
            Ok(code(report.stale()))
        }
        Command::Watch(a) => watch(cli, config(&a.target, flags)?.1, &st),
        Command::Config(a) => {
            let report = config(&a.target, flags)?.0.report();
            if cli.json {
                json(&report)?;
            } else {
                say(&human::config(&report, &st));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Render(a) => {
            let layered = config_file::layer(&a.site, flags)?;
            let explicit = layered.settings.cache_dir.is_some();
            let cfg = layered
                .config(&a.site, None)?
                .for_render(&a.dest, explicit)?;
            let requests = render::read_requests(std::io::stdin().lock())?;
            let report = render::run(&cfg, &requests, &NoProgress).context("render failed")?;
            if !cli.quiet || report.failed() {
                eprint!("{}", human::build(&report.report, false, cli.quiet, &st));
            }
            json(&report)?;
            Ok(code(report.failed()))
        }
        Command::Restore(a) => {
            let cfg = Config::new(&a.site)?;
            let report = pipeline::restore(&cfg, a.dry_run).context("restore failed")?;
            if cli.json {
                json(&report)?;
            } else {
                let (out, err) = human::restore(&report, cli.quiet, &st);
                eprint!("{err}");
                say(&out);
            }
            Ok(code(!report.errors.is_empty()))
        }
    }
}

fn build(cli: &Cli, a: &BuildArgs, cfg: Config, st: &Style) -> Result<ExitCode> {
    let cfg = cfg.for_build(!a.no_rewrite, &a.merge)?;
    let mode = if a.dry_run { Mode::DryRun } else { Mode::Build };
    let bar = Bar::new(!cli.json && !cli.quiet && std::io::stderr().is_terminal());
    let report = pipeline::run(&cfg, mode, &bar).context("build failed")?;
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
    Ok(code(report.failed()))
}

/// `postpix watch`: build, then hand every change to the library's watcher until a signal.
fn watch(cli: &Cli, cfg: Config, st: &Style) -> Result<ExitCode> {
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

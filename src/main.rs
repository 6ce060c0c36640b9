//! The `postpix` binary: parse arguments, build a `Config`, run the library, print the report
//! the library renders, exit with a code that says whether something failed. No image or
//! Markdown logic lives here, and no wording of a report either.

mod cli;
mod commands;
mod glue;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use cli::{Cli, Command};
use glue::{code, config, json, say, style};
use postpix::config_file;
use postpix::pipeline::{self, Mode, NoProgress};
use postpix::report::human;
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

fn run(cli: &Cli, flags: &ArgMatches) -> Result<ExitCode> {
    let st = style();
    match &cli.command {
        Command::Scan(a) => {
            let cfg = Config::for_scan(&a.site, &config_file::layer(&a.site, flags)?.settings)?;
            let report = pipeline::scan_report(&cfg).context("scan failed")?;
            if cli.json {
                json(&report)?;
            } else if !cli.quiet {
                say(&human::scan(&report, &st));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Build(a) => commands::build(cli, a, config(&a.target, flags)?.1, &st),
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
        Command::Watch(a) => commands::watch(cli, config(&a.target, flags)?.1, &st),
        Command::Config(a) => {
            let report = config(&a.site.target, flags)?.0.report();
            if a.cache_key {
                say(&format!("{}\n", report.ci_cache_key));
            } else if cli.json {
                json(&report)?;
            } else {
                say(&human::config(&report, &st));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Render(a) => commands::render(cli, a, flags, &st),
        Command::Init(a) => {
            let report = postpix::init::init(&a.site).context("init failed")?;
            if cli.json {
                json(&report)?;
            } else if !cli.quiet || report.had_block {
                say(&human::init(&report, &st));
            }
            Ok(code(report.had_block))
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

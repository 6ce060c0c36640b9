//! The binary's small helpers: colour, printing to stdout, JSON, exit codes, and the settings
//! of a command layered over `_config.yml`. No wording of a report lives here.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::ArgMatches;

use crate::cli::Target;
use postpix::config_file::{self, Layered};
use postpix::report::human::Style;
use postpix::Config;

/// Colour only on a terminal, and never with `NO_COLOR`.
pub fn style() -> Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        colour: !no_color && std::io::stdout().is_terminal(),
    }
}

/// Print `text` to stdout. A reader that went away (`postpix scan | head -1`) ends the program
/// quietly with success, as ripgrep does; the work already done stays done.
pub fn say(text: &str) {
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
pub fn json(value: &impl serde::Serialize) -> Result<()> {
    say(&format!("{}\n", serde_json::to_string_pretty(value)?));
    Ok(())
}

/// Exit code 1 when something failed, else 0.
pub fn code(failed: bool) -> ExitCode {
    ExitCode::from(u8::from(failed))
}

/// The settings of `_config.yml` under the flags given, and the checked configuration.
pub fn config(t: &Target, flags: &ArgMatches) -> Result<(Layered, Config)> {
    let layered = config_file::layer(&t.site, flags)?;
    let cfg = layered.config(&t.site, t.out.as_deref())?;
    Ok((layered, cfg))
}

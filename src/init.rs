//! Init: set a site up for postpix (`postpix init`) without changing anything that is there.
//!
//! In: the site root. Out: its `_config.yml` with a commented `postpix:` block appended (every
//! setting at its default: [`crate::config_file::readme_block`], the block the README shows, so
//! the keys cannot drift from the settings), its `.gitignore` with the cache folders added
//! (created when missing, no line twice), and an [`InitReport`] of what was done. Only appends:
//! the bytes already in both files stay as they are. A `_config.yml` that already has a
//! `postpix:` key is left alone, and so is everything else.

use std::path::Path;

use serde::Serialize;

use crate::config::{absolute, DEFAULT_CACHE_DIR};
use crate::config_file::readme_block;
use crate::error::{ConfigFault, Error, Result};
use crate::scan::site::JekyllConfig;
use crate::write;

/// The comment above the appended block.
pub const HEADER: &str = "\
# postpix: every setting at its default. Change what you need and delete the rest;
# `postpix config` shows the settings in effect (a command-line flag beats this block).
";

/// The lines `.gitignore` gets: postpix's cache folder, and Jekyll's, where the Jekyll plugin
/// keeps postpix's cache.
pub fn ignored() -> [String; 2] {
    [
        format!("{DEFAULT_CACHE_DIR}/"),
        ".jekyll-cache/".to_string(),
    ]
}

/// What `postpix init` did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// The site's `_config.yml`.
    pub config_file: String,
    /// The file had a `postpix:` key already: nothing was changed anywhere.
    pub had_block: bool,
    /// The block was appended (the file is created when missing).
    pub wrote_block: bool,
    /// The site's `.gitignore`.
    pub gitignore: String,
    /// The lines appended to it.
    pub ignored: Vec<String>,
}

/// Append the block to `site`'s `_config.yml` and the cache folders to its `.gitignore`, unless
/// `_config.yml` has a `postpix:` key already.
pub fn init(site: &Path) -> Result<InitReport> {
    let site = absolute(site)?;
    if !site.is_dir() {
        return Err(Error::Site {
            path: site,
            reason: "not a folder (give the root of a Jekyll site)".into(),
        });
    }
    let layout = crate::scan::layout::Layout::detect(&site);
    if layout != crate::scan::layout::Layout::Jekyll {
        // A `_config.yml` written here would make the site look like a Jekyll one.
        return Err(Error::Site {
            path: site,
            reason: format!(
                "a {} site: postpix takes its settings from flags there for now (see `postpix \
                 build --help`); init writes only a Jekyll _config.yml",
                layout.name()
            ),
        });
    }
    let config = site.join("_config.yml");
    let gitignore = site.join(".gitignore");
    let mut report = InitReport {
        config_file: config.display().to_string(),
        gitignore: gitignore.display().to_string(),
        ..InitReport::default()
    };
    let jekyll = JekyllConfig::load(&site)?;
    if jekyll
        .yaml
        .as_ref()
        .is_some_and(|d| d.as_mapping_get("postpix").is_some())
    {
        report.had_block = true;
        return Ok(report);
    }
    let old = read(&config)?;
    let new = format!("{old}{}", block_after(&old));
    // The appended block must extend the file's mapping (not, say, a second YAML document).
    let parsed = JekyllConfig::parse(&new).map_err(|fault| Error::JekyllConfig {
        path: config.clone(),
        fault,
    })?;
    if !parsed
        .yaml
        .is_some_and(|d| d.as_mapping_get("postpix").is_some_and(|b| b.is_mapping()))
    {
        return Err(Error::JekyllConfig {
            path: config,
            fault: ConfigFault::Shape {
                key: "(document)".into(),
                wanted: "one mapping of keys that a postpix: block can be appended to",
            },
        });
    }
    write::write_atomic(&site, &config, new.as_bytes(), write::mode_of(&config))?;
    report.wrote_block = true;

    let old = read(&gitignore)?;
    let have: Vec<&str> = old.lines().map(norm).collect();
    report.ignored = ignored()
        .into_iter()
        .filter(|l| !have.contains(&norm(l)))
        .collect();
    if !report.ignored.is_empty() {
        let sep = if old.is_empty() || old.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        let new = format!("{old}{sep}{}\n", report.ignored.join("\n"));
        write::write_atomic(
            &site,
            &gitignore,
            new.as_bytes(),
            write::mode_of(&gitignore),
        )?;
    }
    Ok(report)
}

/// What is appended to a `_config.yml` holding `old`: a line break if it lacks one, a blank
/// line, the header and the block.
pub fn block_after(old: &str) -> String {
    let sep = match (old.is_empty(), old.ends_with('\n')) {
        (true, _) => "",
        (false, true) => "\n",
        (false, false) => "\n\n",
    };
    format!("{sep}{HEADER}{}", readme_block())
}

/// A `.gitignore` line as it names a folder: `/.postpix`, `.postpix` and `.postpix/` alike.
fn norm(line: &str) -> &str {
    line.trim().trim_start_matches('/').trim_end_matches('/')
}

/// A file's text, or empty when it does not exist.
fn read(path: &Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_file::{self, keys};
    use crate::report::Source;

    #[test]
    fn the_written_block_reads_back_as_the_defaults() {
        let site = tempfile::tempdir().unwrap();
        std::fs::write(site.path().join("_config.yml"), "title: x").unwrap();
        let r = init(site.path()).unwrap();
        assert!(r.wrote_block && !r.had_block);
        let text = std::fs::read_to_string(site.path().join("_config.yml")).unwrap();
        assert!(text.starts_with("title: x\n\n# postpix:"), "{text}");
        let l = config_file::layer_file(site.path()).unwrap();
        let defaults = config_file::layer_file(tempfile::tempdir().unwrap().path()).unwrap();
        assert_eq!(
            format!("{:?}", l.settings),
            format!("{:?}", defaults.settings)
        );
        for key in keys() {
            assert_eq!(
                l.source(&key),
                Source::ConfigFile,
                "{key} is not in the block"
            );
        }
    }

    #[test]
    fn gitignore_lines_are_not_added_twice() {
        let site = tempfile::tempdir().unwrap();
        std::fs::write(site.path().join(".gitignore"), "_site\n/.postpix").unwrap();
        let r = init(site.path()).unwrap();
        assert_eq!(r.ignored, [".jekyll-cache/"]);
        let text = std::fs::read_to_string(site.path().join(".gitignore")).unwrap();
        assert_eq!(text, "_site\n/.postpix\n.jekyll-cache/\n");
    }

    #[test]
    fn a_file_a_block_cannot_extend_is_refused_and_kept() {
        let site = tempfile::tempdir().unwrap();
        let config = site.path().join("_config.yml");
        std::fs::write(&config, "title: x\n...\n").unwrap();
        let e = init(site.path()).unwrap_err();
        assert!(matches!(e, Error::JekyllConfig { .. }), "{e}");
        assert_eq!(std::fs::read_to_string(&config).unwrap(), "title: x\n...\n");
        assert!(!site.path().join(".gitignore").exists());
    }
}

//! Config file: the `postpix:` block of the site's `_config.yml`, layered between the defaults
//! and the command line.
//!
//! In: the site root (its `_config.yml`, parsed once by [`JekyllConfig`]) and the command
//! line's matches (which flags were given, and their raw values). Out: [`Layered`], the
//! effective [`Settings`] and where each one came from ([`Source`]: default, `_config.yml` or a
//! flag); a flag given on the command line beats the file, the file beats the default.
//!
//! The keys are the long flags' names with `_` for `-` (`content_width` for
//! `--content-width`), taken from [`Settings`] itself, and a value from the file goes through
//! the same clap parser as the flag: a key and its flag cannot drift apart. Unknown keys and bad
//! values are [`ConfigFault`]s that name the key and what it accepts.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches, ValueHint};
use saphyr::YamlOwned;

use crate::config::{absolute, Config, Settings};
use crate::error::{ConfigFault, Error, Result};
use crate::report::{ConfigReport, SettingReport, Source};
use crate::scan::site::{scalar, yaml_bool, JekyllConfig};

/// Settings that are flags only, with the reason: they belong to the machine, not the site.
pub const FLAG_ONLY: &[(&str, &str)] = &[
    (
        "jobs",
        "the number of threads belongs to the machine, not the site; pass --jobs",
    ),
    (
        "shard",
        "a shard is one CI job's share of the work, not a setting of the site; pass --shard",
    ),
    (
        "layout",
        "a _config.yml is Jekyll's, so the layout it sits in is Jekyll's; pass --layout to read \
         the site as another generator's",
    ),
];

/// The settings as a clap command of their own (no program name, no help flag): the parser
/// that values from the file go through.
fn command() -> Command {
    Settings::augment_args(
        Command::new("postpix")
            .no_binary_name(true)
            .disable_help_flag(true)
            .disable_version_flag(true),
    )
}

/// The keys a `postpix:` block may hold, in the order of `postpix build --help`.
pub fn keys() -> Vec<String> {
    command()
        .get_arguments()
        .map(|a| a.get_id().as_str().to_string())
        .filter(|k| !FLAG_ONLY.iter().any(|(f, _)| f == k))
        .collect()
}

/// What `key` accepts, in words, for error messages and the README block.
pub fn accepted(key: &str) -> String {
    let words = match key {
        "widths" => "a list of widths in pixels, each 1-16383, e.g. [480, 960, 1440]",
        "formats" => "webp, [avif, webp] or avif",
        "quality" => "auto, or a number from 0 to 100",
        "target" => "a SSIMULACRA2 score from 30 to 95",
        "avif_quality" => "a number from 0 to 100",
        "avif_speed" => "a whole number from 0 (slow, smaller) to 10 (fast)",
        "method" => "a whole number from 0 (fast) to 6 (small)",
        "jpeg_quality" => "a whole number from 1 to 100",
        "png_preset" => "a whole number from 0 (fast) to 6 (small)",
        "variant_dir" => "a folder name, not starting with '.' or '_'",
        "content_width" => "a whole number of CSS px above 0",
        "sizes" => "a sizes attribute, e.g. \"(max-width: 800px) 100vw, 800px\"",
        "cache_dir" => "a folder, relative to the site root",
        "max_pixels" | "max_animation_pixels" => "a number of megapixels above 0",
        "max_file_size" => "a whole number of MB",
        "memory_budget" => "a whole number of MiB above 0",
        "lenient" | "fix_links" => "true or false",
        _ => "",
    };
    if !words.is_empty() {
        return words.to_string();
    }
    let possible: Vec<String> = command()
        .get_arguments()
        .find(|a| a.get_id() == key)
        .map(|a| {
            a.get_possible_values()
                .iter()
                .map(|p| p.get_name().to_string())
                .collect()
        })
        .unwrap_or_default();
    match possible.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// What an unset `key` means (for the settings whose default is no value).
pub fn unset_means(key: &str) -> Option<&'static str> {
    match key {
        "sizes" => Some("follows content_width"),
        "cache_dir" => Some(".postpix in the site, or in --out"),
        "jobs" => Some("one per core"),
        "shard" => Some("no shard: the whole site"),
        "layout" => Some("told by the site's files"),
        _ => None,
    }
}

/// The effective settings of a run and where each came from.
#[derive(Clone, Debug)]
pub struct Layered {
    /// The effective settings.
    pub settings: Settings,
    /// The site's `_config.yml` (which may not exist).
    pub file: PathBuf,
    /// Per setting, in `--help` order: key, source, effective value as written (`None`: unset).
    entries: Vec<(String, Source, Option<String>)>,
    /// The values the file gave, as written there, for error messages.
    written: BTreeMap<String, String>,
}

/// Layer the `postpix:` block of `site`'s `_config.yml` under the command line `cli` (the
/// matches of a subcommand that flattens [`Settings`], or of one holding some of its flags).
pub fn layer(site: &Path, cli: &ArgMatches) -> Result<Layered> {
    let site = absolute(site)?;
    // A site that is no folder is `Config::new`'s error to give, with its own words.
    let jekyll = if site.is_dir() {
        JekyllConfig::load(&site)?
    } else {
        JekyllConfig::default()
    };
    layer_yaml(jekyll.yaml.as_ref(), &site, cli)
}

/// [`layer`] with no flags: the defaults under the `postpix:` block of `site`'s `_config.yml`.
pub fn layer_file(site: &Path) -> Result<Layered> {
    let none = command()
        .try_get_matches_from(Vec::<OsString>::new())
        .map_err(|e| Error::setting("(settings)", clap_problem(&e)))?;
    layer(site, &none)
}

/// [`layer`] over an already parsed `_config.yml` document of the site at `site` (absolute).
pub fn layer_yaml(doc: Option<&YamlOwned>, site: &Path, cli: &ArgMatches) -> Result<Layered> {
    let file = site.join("_config.yml");
    let (block, written) = from_file(doc, site).map_err(|fault| Error::JekyllConfig {
        path: file.clone(),
        fault,
    })?;
    let mut argv: Vec<OsString> = Vec::new();
    let mut sources = Vec::new();
    for arg in command().get_arguments() {
        let id = arg.get_id().as_str();
        let source = if cli.value_source(id) == Some(ValueSource::CommandLine) {
            argv.extend(from_cli(cli, arg));
            Source::Flag
        } else if let Some(pieces) = block.get(id) {
            argv.extend(pieces.iter().cloned());
            Source::ConfigFile
        } else {
            Source::Default
        };
        sources.push((id.to_string(), source));
    }
    // Every piece was parsed alone already; together they can only fail on a clap bug.
    let matches = command()
        .try_get_matches_from(argv)
        .map_err(|e| Error::setting("(settings)", clap_problem(&e)))?;
    let settings = Settings::from_arg_matches(&matches)
        .map_err(|e| Error::setting("(settings)", clap_problem(&e)))?;
    let entries = sources
        .into_iter()
        .map(|(id, source)| {
            let value = matches.get_raw(&id).map(|vals| {
                vals.map(|v| v.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(",")
            });
            (id, source, value)
        })
        .collect();
    Ok(Layered {
        settings,
        file,
        entries,
        written,
    })
}

/// The raw pieces (`--key=value` arguments) per key of the file's `postpix:` block, each
/// checked by the flag's own parser, and the values as written.
type Pieces = (BTreeMap<String, Vec<OsString>>, BTreeMap<String, String>);

fn from_file(doc: Option<&YamlOwned>, site: &Path) -> Result<Pieces, ConfigFault> {
    let mut pieces = BTreeMap::new();
    let mut written = BTreeMap::new();
    let Some(block) = doc.and_then(|d| d.as_mapping_get("postpix")) else {
        return Ok((pieces, written));
    };
    if block.is_null() {
        return Ok((pieces, written));
    }
    let Some(map) = block.as_mapping() else {
        return Err(ConfigFault::Shape {
            key: "postpix".into(),
            wanted: "a mapping of postpix settings (widths:, formats:, quality:, ...)",
        });
    };
    let cmd = command();
    for (k, v) in map {
        let key = scalar(k).unwrap_or_else(|| show(k));
        if let Some((_, why)) = FLAG_ONLY.iter().find(|(f, _)| *f == key) {
            return Err(ConfigFault::FlagOnly { key, why });
        }
        let Some(arg) = cmd.get_arguments().find(|a| a.get_id() == key.as_str()) else {
            return Err(ConfigFault::UnknownKey {
                key,
                accepted: keys().join(", "),
            });
        };
        let value = show(v);
        let bad = |problem: String| ConfigFault::Value {
            key: key.clone(),
            value: value.clone(),
            problem,
            accepted: accepted(&key),
        };
        let p = to_pieces(arg, v, site).map_err(|p| bad(p.to_string()))?;
        command()
            .try_get_matches_from(&p)
            .map_err(|e| bad(clap_problem(&e)))?;
        pieces.insert(key.clone(), p);
        written.insert(key, value);
    }
    Ok((pieces, written))
}

/// A YAML value as the arguments its flag would be given. Null means "unset" (the default).
fn to_pieces(arg: &Arg, v: &YamlOwned, site: &Path) -> Result<Vec<OsString>, &'static str> {
    let long = format!("--{}", arg.get_long().unwrap_or(arg.get_id().as_str()));
    if v.is_null() {
        return Ok(Vec::new());
    }
    if !arg.get_action().takes_values() {
        return match yaml_bool(v) {
            Some(true) => Ok(vec![long.into()]),
            Some(false) => Ok(Vec::new()),
            None => Err("not true or false"),
        };
    }
    if is_switch(arg) {
        // Given as written YAML would say it (`yes`), shown as what it means (`true`).
        return match yaml_bool(v) {
            Some(b) => Ok(vec![format!("{long}={b}").into()]),
            None => Err("not true or false"),
        };
    }
    let one = |s: String| -> OsString {
        let mut p = OsString::from(format!("{long}="));
        if arg.get_value_hint() == ValueHint::DirPath && !Path::new(&s).is_absolute() {
            p.push(site.join(s));
        } else {
            p.push(s);
        }
        p
    };
    if let Some(items) = v.as_vec() {
        if arg.get_value_delimiter().is_none() {
            return Err("takes one value, not a list");
        }
        if items.is_empty() {
            return Err("an empty list");
        }
        return items
            .iter()
            .map(|i| {
                scalar(i)
                    .map(one)
                    .ok_or("a list may hold only plain values")
            })
            .collect();
    }
    scalar(v)
        .map(|s| vec![one(s)])
        .ok_or("takes a plain value, not a mapping")
}

/// A flag that is on when given bare and takes `=false` to be switched off (`--lenient`):
/// the settings mark those with the value name `BOOL`.
fn is_switch(arg: &Arg) -> bool {
    arg.get_value_names()
        .is_some_and(|names| names.iter().any(|n| n.as_str() == "BOOL"))
}

/// A YAML value as a person wrote it, near enough for a message.
fn show(v: &YamlOwned) -> String {
    if let Some(s) = scalar(v) {
        return s;
    }
    match v.as_vec() {
        Some(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        None if v.is_null() => "~".into(),
        None => "{...}".into(),
    }
}

/// The arguments that give `arg` the values the command line gave it.
fn from_cli(cli: &ArgMatches, arg: &Arg) -> Vec<OsString> {
    let long = format!("--{}", arg.get_long().unwrap_or(arg.get_id().as_str()));
    if !arg.get_action().takes_values() {
        return vec![long.into()];
    }
    cli.get_raw(arg.get_id().as_str())
        .into_iter()
        .flatten()
        .map(|v| {
            let mut p = OsString::from(format!("{long}="));
            p.push(v);
            p
        })
        .collect()
}

/// What clap says is wrong with a value, without its command-line framing.
fn clap_problem(e: &clap::Error) -> String {
    if e.kind() == clap::error::ErrorKind::InvalidValue {
        return "not one of the accepted values".into();
    }
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.rsplit_once("': ") {
        Some((_, why)) => why.to_string(),
        None => first.to_string(),
    }
}

impl Layered {
    /// Where `key`'s value came from.
    pub fn source(&self, key: &str) -> Source {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map_or(Source::Default, |(_, s, _)| *s)
    }

    /// The validated [`Config`] for the site at `site` (written into `out` when given). A value
    /// out of range is reported against `_config.yml` when the file gave it, else against the flag.
    pub fn config(&self, site: &Path, out: Option<&Path>) -> Result<Config> {
        Config::from_settings(site, out, &self.settings).map_err(|e| match e {
            Error::Setting { setting, problem } => {
                let key = setting.trim_start_matches("--").replace('-', "_");
                if self.source(&key) == Source::ConfigFile {
                    Error::JekyllConfig {
                        path: self.file.clone(),
                        fault: ConfigFault::Value {
                            value: self.written.get(&key).cloned().unwrap_or_default(),
                            accepted: accepted(&key),
                            key,
                            problem,
                        },
                    }
                } else {
                    Error::Setting { setting, problem }
                }
            }
            other => other,
        })
    }

    /// What `postpix config` prints: every setting, its value and its source.
    pub fn report(&self) -> ConfigReport {
        ConfigReport {
            ci_cache_key: self.ci_cache_key(),
            file: self.file.display().to_string(),
            found: self.file.is_file(),
            settings: self
                .entries
                .iter()
                .map(|(key, source, value)| SettingReport {
                    key: key.clone(),
                    flag: format!("--{}", key.replace('_', "-")),
                    value: value.clone(),
                    source: *source,
                    in_file: !FLAG_ONLY.iter().any(|(f, _)| f == key),
                    when_unset: unset_means(key),
                })
                .collect(),
        }
    }
}

/// Settings that belong to the machine or the run, not to what the variants are: left out of
/// [`Layered::ci_cache_key`].
const NOT_IN_CI_KEY: &[&str] = &["cache_dir", "jobs", "shard", "memory_budget"];

impl Layered {
    /// `postpix-<version>-<16 hex digits>`: the hash covers the codec versions and every
    /// setting's effective value but [`NOT_IN_CI_KEY`]'s.
    pub fn ci_cache_key(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(crate::cache::codec_versions().as_bytes());
        for (key, _, value) in &self.entries {
            if NOT_IN_CI_KEY.contains(&key.as_str()) {
                continue;
            }
            h.update(format!("\0{key}={}", value.as_deref().unwrap_or("~")).as_bytes());
        }
        let hex = h.finalize().to_hex();
        format!("postpix-{}-{}", env!("CARGO_PKG_VERSION"), &hex[..16])
    }
}

/// The complete `postpix:` block with every key at its default, as the README shows it.
pub fn readme_block() -> String {
    let cmd = command();
    let mut lines = vec!["postpix:".to_string()];
    for key in keys() {
        let Some(arg) = cmd.get_arguments().find(|a| a.get_id() == key.as_str()) else {
            continue;
        };
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|d| d.to_string_lossy().into_owned())
            .collect();
        let value = if !arg.get_action().takes_values() {
            "false".to_string()
        } else if defaults.is_empty() {
            "~".to_string()
        } else if arg.get_value_delimiter().is_some() {
            let items: Vec<&str> = defaults.iter().flat_map(|d| d.split(',')).collect();
            format!("[{}]", items.join(", "))
        } else {
            defaults.join(",")
        };
        let entry = format!("  {key}: {value}");
        let words = match unset_means(&key) {
            Some(unset) => format!("~: {unset}; else {}", accepted(&key)),
            None => accepted(&key),
        };
        lines.push(format!("{entry:<30}# {words}"));
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::site::JekyllConfig;

    fn doc(yaml: &str) -> Option<YamlOwned> {
        JekyllConfig::parse(yaml).unwrap().yaml
    }

    fn layered(yaml: &str, flags: &[&str]) -> Result<Layered> {
        let cli = command().try_get_matches_from(flags).unwrap();
        layer_yaml(doc(yaml).as_ref(), Path::new("/site"), &cli)
    }

    fn fault(r: Result<Layered>) -> ConfigFault {
        match r {
            Err(Error::JekyllConfig { fault, .. }) => fault,
            other => panic!("expected a _config.yml error, got {other:?}"),
        }
    }

    /// A switch the file turns on can be turned off for one run (it could not: a bare flag
    /// has no "off").
    #[test]
    fn a_flag_can_switch_off_what_the_file_switched_on() {
        let file = "postpix:\n  lenient: true\n  fix_links: yes\n";
        let l = layered(file, &[]).unwrap();
        assert!(l.settings.lenient && l.settings.fix_links);
        let l = layered(file, &["--lenient=false", "--fix-links=false"]).unwrap();
        assert!(!l.settings.lenient && !l.settings.fix_links);
        assert_eq!(l.source("lenient"), Source::Flag);
        let l = layered("", &["--lenient", "--fix-links"]).unwrap();
        assert!(l.settings.lenient && l.settings.fix_links);
        let l = layered("postpix:\n  lenient: false\n", &[]).unwrap();
        assert!(!l.settings.lenient);
        assert!(command().try_get_matches_from(["--lenient=maybe"]).is_err());
    }

    #[test]
    fn the_file_beats_the_default_and_a_flag_beats_the_file() {
        let l = layered(
            "postpix:\n  quality: 70\n  widths: [320, 640]\n  lenient: true\n",
            &["--quality=90"],
        )
        .unwrap();
        assert_eq!(l.settings.quality, crate::config::QualityArg::Fixed(90.0));
        assert_eq!(l.settings.widths, vec![320, 640]);
        assert!(l.settings.lenient);
        assert_eq!(l.source("quality"), Source::Flag);
        assert_eq!(l.source("widths"), Source::ConfigFile);
        assert_eq!(l.source("method"), Source::Default);
    }

    #[test]
    fn a_comma_list_and_a_relative_cache_dir_read_as_the_flags_do() {
        let l = layered("postpix:\n  widths: 480,960\n  cache_dir: .cache\n", &[]).unwrap();
        assert_eq!(l.settings.widths, vec![480, 960]);
        assert_eq!(l.settings.cache_dir, Some(PathBuf::from("/site/.cache")));
    }

    #[test]
    fn unknown_keys_name_the_key_and_the_settings() {
        let f = fault(layered("postpix:\n  qualty: 70\n", &[]));
        assert!(matches!(&f, ConfigFault::UnknownKey { key, .. } if key == "qualty"));
        let text = f.to_string();
        assert!(text.contains("postpix.qualty"), "{text}");
        assert!(text.contains("quality, target"), "{text}");
        let f = fault(layered("postpix:\n  jobs: 4\n", &[]));
        assert!(f.to_string().contains("pass --jobs"), "{f}");
    }

    #[test]
    fn bad_values_name_the_key_and_what_it_accepts() {
        let f = fault(layered("postpix:\n  lossless: sometimes\n", &[]));
        let text = f.to_string();
        assert!(text.contains("postpix.lossless: sometimes"), "{text}");
        assert!(text.contains("auto, always or never"), "{text}");
        let f = fault(layered("postpix:\n  quality: high\n", &[]));
        assert!(f.to_string().contains("a number from 0 to 100"), "{f}");
        for bad in [
            "lenient: maybe",
            "quality: [1, 2]",
            "widths: []",
            "sizes: {a: 1}",
        ] {
            let f = fault(layered(&format!("postpix:\n  {bad}\n"), &[]));
            assert!(matches!(f, ConfigFault::Value { .. }), "{bad}: {f}");
        }
        assert!(matches!(
            fault(layered("postpix: [a]\n", &[])),
            ConfigFault::Shape { .. }
        ));
    }

    #[test]
    fn range_errors_are_blamed_on_whoever_gave_the_value() {
        let site = tempfile::tempdir().unwrap();
        let cli = command().try_get_matches_from(["--method=9"]).unwrap();
        let l = layer_yaml(
            doc("postpix:\n  quality: 150\n").as_ref(),
            site.path(),
            &cli,
        );
        match l.unwrap().config(site.path(), None) {
            Err(Error::JekyllConfig { fault, .. }) => {
                let text = fault.to_string();
                assert!(text.contains("postpix.quality: 150"), "{text}");
                assert!(text.contains("between 0 and 100"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        let l = layer_yaml(None, site.path(), &cli).unwrap();
        assert!(matches!(
            l.config(site.path(), None),
            Err(Error::Setting {
                setting: "--method",
                ..
            })
        ));
    }

    #[test]
    fn every_key_says_what_it_accepts() {
        for key in keys() {
            assert!(
                !accepted(&key).is_empty(),
                "{key} has no words in accepted()"
            );
        }
    }

    #[test]
    fn the_readme_block_is_complete_and_reads_back_as_the_defaults() {
        let block = readme_block();
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&block),
            "README.md must show this block verbatim (regenerate it from readme_block()):\n{block}"
        );
        let l = layered(&block, &[]).unwrap();
        let defaults = layered("", &[]).unwrap();
        assert_eq!(
            format!("{:?}", l.settings),
            format!("{:?}", defaults.settings)
        );
        for key in keys() {
            assert_eq!(l.source(&key), Source::ConfigFile, "{key}");
        }
    }
}

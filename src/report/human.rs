//! Human: the summaries a person reads after `scan`, `build`, `check` and `restore`.
//!
//! In: a report and a [`Style`] (colour on or off). Out: the text to print, ending in a newline;
//! the binary only prints it. Every summary says what happened, what went wrong with the file
//! and line, and what to do next.

use std::fmt::Write;

use super::{
    BuildReport, ConfigReport, ImageReport, ImageStatus, RestoreReport, ScanReport, Source,
};
use crate::init::InitReport;
use crate::units::human_bytes;

/// How text is decorated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours (off with `NO_COLOR` or when the output is not a terminal).
    pub colour: bool,
}

impl Style {
    /// `text` in the ANSI style `code` (`"1;31"`: bold red), or plain.
    pub fn paint(&self, text: &str, code: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Append a headed list when it is not empty.
fn section(out: &mut String, head: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{head}");
    for i in items {
        let _ = writeln!(out, "{i}");
    }
}

/// `postpix scan`'s summary.
pub fn scan(r: &ScanReport, st: &Style) -> String {
    let s = &r.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scanned {} post(s): {} image reference(s), {} unique image(s) ({}).",
        s.posts,
        s.refs,
        s.images,
        human_bytes(r.images.iter().map(|i| i.bytes).sum())
    );
    let _ = writeln!(
        out,
        "  {} ok, {} missing, {} outside the site, {} external, {} not images, {} unsupported, {} unresolved Liquid",
        s.ok, s.missing, s.outside, s.external, s.not_image, s.unsupported, s.unresolved
    );
    section(&mut out, &st.paint("Problems:", "1"), &scan_problems(r, st));
    let liars: Vec<String> = r
        .posts
        .iter()
        .flat_map(|p| p.refs.iter().map(move |x| (p, x)))
        .filter(|(_, x)| x.extension_mismatch)
        .map(|(p, x)| {
            format!(
                "  {}:{}  {} is really {}",
                p.path,
                x.line,
                x.source.as_deref().unwrap_or(&x.url),
                x.format.map(|f| f.name()).unwrap_or("?")
            )
        })
        .collect();
    let head = "Extensions that lie (handled by content, but worth renaming):";
    section(&mut out, &st.paint(head, "1"), &liars);
    let animated: Vec<&str> = r
        .images
        .iter()
        .filter(|i| i.frames.unwrap_or(1) > 1)
        .map(|i| i.source.as_str())
        .collect();
    if !animated.is_empty() {
        let _ = writeln!(
            out,
            "\nAnimated: {} image(s) ({}).",
            animated.len(),
            animated.join(", ")
        );
    }
    let svgs = r
        .posts
        .iter()
        .flat_map(|p| p.refs.iter())
        .filter(|x| is_svg(x))
        .count();
    if svgs > 0 {
        let _ = writeln!(out, "\nSVG: {svgs} reference(s), served as is.");
    }
    let will_404: Vec<String> = refs(r)
        .filter_map(|(p, x)| {
            let l = x.will_404.as_ref()?;
            Some(format!(
                "  {}:{}  {}\n      {}\n      fix: {}",
                p.path, x.line, x.url, l.why, l.fix
            ))
        })
        .collect();
    let head = "Links that will 404 on the published site (`postpix build --fix-links` serves them from the fix):";
    section(&mut out, &st.paint(head, "1"), &will_404);
    let no_alt: Vec<String> = refs(r)
        .filter(|(_, x)| x.no_alt || x.empty_alt)
        .map(|(p, x)| {
            let empty = if x.empty_alt {
                "  (empty alt: read as decorative)"
            } else {
                ""
            };
            format!("  {}:{}  {}{empty}", p.path, x.line, x.url)
        })
        .collect();
    let head = "No alt text (add alt=\"...\", or alt=\"\" if the image is decorative):";
    section(&mut out, &st.paint(head, "1"), &no_alt);
    let plain: Vec<String> = refs(r)
        .filter_map(|(p, x)| {
            let why = x.without_variants.as_ref()?;
            Some(format!("  {}:{}  {}: {why}", p.path, x.line, x.url))
        })
        .collect();
    let head = "Served as they are, without variants:";
    section(&mut out, &st.paint(head, "1"), &plain);
    let orphans: Vec<String> = r.orphans.iter().map(|o| format!("  {o}")).collect();
    let head = "Unused images (in referenced folders; no post, layout, include, style, page or _config.yml names them):";
    section(&mut out, &st.paint(head, "1"), &orphans);
    out.push_str("\nNext: `postpix build --dry-run` shows what a build would change.\n");
    out
}

/// Every reference of the scan with its post.
fn refs(r: &ScanReport) -> impl Iterator<Item = (&super::PostScanReport, &super::RefReport)> + '_ {
    r.posts
        .iter()
        .flat_map(|p| p.refs.iter().map(move |x| (p, x)))
}

/// An SVG: served as it is, nothing to do.
fn is_svg(x: &super::RefReport) -> bool {
    x.format == Some(crate::format::Format::Svg)
}

/// Unreadable posts and references that are not ok, with what to do.
fn scan_problems(r: &ScanReport, st: &Style) -> Vec<String> {
    let mut problems = Vec::new();
    for p in &r.posts {
        if let Some(e) = &p.error {
            problems.push(format!("  {}  {e}", p.path));
        }
        for x in p
            .refs
            .iter()
            .filter(|x| !x.status.hint().is_empty() && !is_svg(x) && x.will_404.is_none())
        {
            problems.push(format!(
                "  {}:{}  {} {}\n      {}",
                p.path,
                x.line,
                st.paint(x.status.name(), "33"),
                x.url,
                x.status.hint()
            ));
        }
    }
    problems
}

/// A build's (or dry run's) summary. `quiet` keeps only what failed.
pub fn build(r: &BuildReport, dry_run: bool, quiet: bool, st: &Style) -> String {
    let mut out = String::new();
    if !quiet {
        out.push_str(&headline(r, dry_run, st));
    }
    let failed = with_status(r, ImageStatus::Failed);
    section(&mut out, &st.paint("Failed:", "1;31"), &failed);
    for e in &r.errors {
        let _ = writeln!(out, "{} {e}", st.paint("error:", "1;31"));
    }
    if quiet {
        return out;
    }
    section(&mut out, "Skipped:", &with_status(r, ImageStatus::Skipped));
    let left: Vec<String> = r
        .left
        .iter()
        .map(|n| format!("  {}:{}  {}", n.post, n.line, n.kind))
        .collect();
    section(&mut out, "Left as they are:", &left);
    out.push_str(&site_files(r, dry_run));
    out.push_str(&conversions(r));
    let dropped: Vec<String> = r
        .images
        .iter()
        .flat_map(|i| {
            i.dropped
                .iter()
                .map(move |d| format!("  {} {} {} px: {}", i.source, d.format, d.width, d.reason))
        })
        .collect();
    section(&mut out, "Variants not kept (the size guard):", &dropped);
    let mut warnings: Vec<String> = r.warnings.iter().map(|w| format!("  {w}")).collect();
    for i in &r.images {
        warnings.extend(i.warnings.iter().map(|w| format!("  {}: {w}", i.source)));
    }
    section(&mut out, &st.paint("Warnings:", "1;33"), &warnings);
    out
}

/// `  source: why` for each image with `status`.
fn with_status(r: &BuildReport, status: ImageStatus) -> Vec<String> {
    r.images
        .iter()
        .filter(|i| i.status == status)
        .map(|i| format!("  {}: {}", i.source, reason(i)))
        .collect()
}

fn reason(i: &ImageReport) -> String {
    i.error.as_ref().map(|e| e.to_string()).unwrap_or_default()
}

/// The first lines: counts, and what a reader downloads now.
fn headline(r: &BuildReport, dry_run: bool, st: &Style) -> String {
    let s = &r.summary;
    let head = if dry_run {
        "Dry run (nothing written):"
    } else {
        "Built:"
    };
    let mut out = format!(
        "{} {} image(s): {} encoded, {} cached, {} failed, {} skipped\n",
        st.paint(head, "1"),
        r.images.len(),
        s.encoded,
        s.cached,
        s.failed,
        s.skipped
    );
    let (written, pruned, changed) = if dry_run {
        ("would be written", "would be pruned", "would change")
    } else {
        ("written", "pruned", "changed")
    };
    let _ = writeln!(
        out,
        "  {} variant file(s) {written}, {} {pruned}; {} post(s) {changed}, {} reference(s) as <picture>, {} left as they are",
        s.variants_written, s.variants_pruned, s.posts_changed, s.refs_rewritten, s.refs_left
    );
    if s.bytes_before > 0 {
        let pct = 100.0 * (1.0 - s.bytes_after as f64 / s.bytes_before as f64);
        let _ = writeln!(
            out,
            "  a reader downloads {} instead of {} ({pct:.0}% less)",
            human_bytes(s.bytes_after),
            human_bytes(s.bytes_before)
        );
        let avif = if s.bytes_at_1440_avif != s.bytes_at_1440_webp {
            format!("{} with AVIF, ", human_bytes(s.bytes_at_1440_avif))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  at 1440 px a reader downloads {avif}{} with WebP{}, {} with neither",
            human_bytes(s.bytes_at_1440_webp),
            if avif.is_empty() { "" } else { " only" },
            human_bytes(s.bytes_at_1440_fallback)
        );
    }
    if let (Some(mean), Some(min)) = (s.ssimulacra2_mean, s.ssimulacra2_min) {
        let searched = if s.quality_searches > 0 {
            format!(
                "; quality searched for {} image(s), {} trial encode(s)",
                s.quality_searches, s.search_encodes
            )
        } else {
            String::new()
        };
        let avif = match (s.avif_ssimulacra2_mean, s.avif_ssimulacra2_min) {
            (Some(mean), Some(min)) => format!("; AVIF mean {mean:.1}, min {min:.1}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  SSIMULACRA2 where measured: WebP mean {mean:.1}, min {min:.1}{avif}{searched}"
        );
    }
    out
}

/// The files postpix keeps in the site for the theme, and how to use them.
fn site_files(r: &BuildReport, dry_run: bool) -> String {
    let mut out = String::new();
    if r.site_files.is_empty() {
        return out;
    }
    let verb = if dry_run { "would write" } else { "wrote" };
    let files: Vec<String> = r
        .site_files
        .iter()
        .map(|f| {
            let what = if f.changed { verb } else { "unchanged" };
            format!("  {} ({what})", f.path)
        })
        .collect();
    let head = format!(
        "Front-matter images: {} listed for the theme (commit these files; a layout renders one with {{% include postpix/picture.html src=page.header-img alt=page.title %}}):",
        r.summary.heroes
    );
    section(&mut out, &head, &files);
    out
}

/// What was done to the pixels, one line each, then how many images lost their metadata.
fn conversions(r: &BuildReport) -> String {
    let mut out = String::new();
    let converted: Vec<String> = r
        .images
        .iter()
        .flat_map(|i| {
            i.conversions
                .iter()
                .filter(|c| !c.is_metadata())
                .map(move |c| format!("  {}: {c}", i.source))
        })
        .collect();
    section(&mut out, "Converted:", &converted);
    let stripped = r
        .images
        .iter()
        .filter(|i| i.conversions.iter().any(|c| c.is_metadata()))
        .count();
    if stripped > 0 {
        let _ = writeln!(
            out,
            "  metadata (EXIF, GPS, XMP, comments, …) removed from {stripped} image(s); see --json"
        );
    }
    out
}

/// `postpix check`'s answer: what is stale and what to run, or that all is fresh.
pub fn check(r: &BuildReport, quiet: bool, st: &Style) -> String {
    let mut out = String::new();
    if !r.stale() {
        if !quiet {
            let _ = writeln!(
                out,
                "{} {} reference(s) rewritten, every variant fresh.",
                st.paint("up to date:", "1;32"),
                r.summary.refs_rewritten
            );
        }
        return out;
    }
    let _ = writeln!(
        out,
        "{} {} problem(s):",
        st.paint("stale:", "1;33"),
        r.problems.len()
    );
    for n in &r.problems {
        if n.line > 0 {
            let _ = writeln!(out, "  {}:{}  {}", n.post, n.line, n.kind);
        } else {
            let _ = writeln!(out, "  {}  {}", n.post, n.kind);
        }
    }
    for e in &r.errors {
        let _ = writeln!(out, "  {e}");
    }
    out.push_str("Run `postpix build` (with the same options) to bring the site up to date.\n");
    out
}

/// `postpix restore`'s answer: (what goes to stdout, the errors for stderr).
pub fn restore(r: &RestoreReport, quiet: bool, st: &Style) -> (String, String) {
    let mut err = String::new();
    for e in &r.errors {
        let _ = writeln!(err, "{} {e}", st.paint("error:", "1;31"));
    }
    let mut out = String::new();
    if !quiet {
        let verb = if r.dry_run {
            "would restore"
        } else {
            "restored"
        };
        for p in &r.restored {
            let _ = writeln!(out, "  {verb} {p}");
        }
        let removed = if r.dry_run { "would remove" } else { "removed" };
        for p in &r.removed {
            let _ = writeln!(out, "  {removed} {p} (written by postpix for the theme)");
        }
        let _ = writeln!(out, "{} post(s) {verb}.", r.restored.len());
    }
    (out, err)
}

/// `postpix config`'s table: every setting, its value and where it came from.
pub fn config(r: &ConfigReport, st: &Style) -> String {
    let mut out = String::new();
    let found = if r.found { "" } else { " (not found)" };
    let _ = writeln!(out, "Settings for {}{found}:", r.file);
    let width = r.settings.iter().map(|s| s.key.len()).max().unwrap_or(0);
    for s in &r.settings {
        let value = match (&s.value, s.when_unset) {
            (Some(v), _) => v.clone(),
            (None, Some(means)) => format!("({means})"),
            (None, None) => "(unset)".into(),
        };
        let source = match s.source {
            Source::Default => st.paint("default", "2"),
            Source::ConfigFile => st.paint("_config.yml", "1;36"),
            Source::Flag => st.paint(&s.flag, "1;33"),
        };
        let only = if s.in_file { "" } else { "  (flag only)" };
        let _ = writeln!(out, "  {:<width$}  {value:<24}  {source}{only}", s.key);
    }
    out.push_str(
        "Set them under `postpix:` in _config.yml with these names; a flag beats the file.\n",
    );
    let _ = writeln!(out, "CI cache key: {}", r.ci_cache_key);
    out
}

/// `postpix init`: what was written, or why nothing was; then the next commands.
pub fn init(r: &InitReport, st: &Style) -> String {
    let mut out = String::new();
    if r.had_block {
        let _ = writeln!(
            out,
            "{} already has a postpix: block; nothing changed (`postpix config` shows the settings in effect).",
            r.config_file
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{} {}: a postpix: block with every setting at its default",
        st.paint("appended to", "1;32"),
        r.config_file
    );
    match r.ignored.as_slice() {
        [] => {
            let _ = writeln!(out, "{} already ignores the cache folders", r.gitignore);
        }
        lines => {
            let _ = writeln!(
                out,
                "{} {}: {}",
                st.paint("appended to", "1;32"),
                r.gitignore,
                lines.join(" ")
            );
        }
    }
    out.push_str(
        "\nNext: `postpix build --dry-run` shows what a build would change and writes nothing;\n\
         or, to leave the posts alone, copy postpix's jekyll/postpix.rb into _plugins/ and run\n\
         `jekyll build` (or `jekyll serve`) as usual.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Note, NoteKind, SettingReport};

    #[test]
    fn config_shows_each_value_and_its_source() {
        let setting = |key: &str, value: Option<&str>, source| SettingReport {
            key: key.into(),
            flag: format!("--{}", key.replace('_', "-")),
            value: value.map(String::from),
            source,
            in_file: key != "jobs",
            when_unset: (key == "sizes").then_some("follows content_width"),
        };
        let r = ConfigReport {
            ci_cache_key: String::new(),
            file: "/s/_config.yml".into(),
            found: true,
            settings: vec![
                setting("quality", Some("70"), Source::ConfigFile),
                setting("sizes", None, Source::Default),
                setting("jobs", Some("2"), Source::Flag),
            ],
        };
        let text = config(&r, &Style::default());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Settings for /s/_config.yml:");
        assert!(lines[1].starts_with("  quality  70 ") && lines[1].ends_with("_config.yml"));
        assert!(lines[2].contains("(follows content_width)") && lines[2].ends_with("default"));
        assert!(lines[3].ends_with("--jobs  (flag only)"), "{}", lines[3]);
    }

    #[test]
    fn a_clean_check_says_so_and_a_stale_one_says_what_to_run() {
        let st = Style::default();
        let mut r = BuildReport::default();
        r.summary.refs_rewritten = 3;
        assert_eq!(
            check(&r, false, &st),
            "up to date: 3 reference(s) rewritten, every variant fresh.\n"
        );
        r.problems.push(Note {
            post: "_posts/a.md".into(),
            line: 4,
            kind: NoteKind::StaleRef,
        });
        let text = check(&r, false, &st);
        assert!(text.starts_with("stale: 1 problem(s):\n  _posts/a.md:4  not rewritten"));
        assert!(text.ends_with("to bring the site up to date.\n"));
    }

    #[test]
    fn colour_is_only_painted_when_asked() {
        assert_eq!(Style { colour: false }.paint("x", "1"), "x");
        assert_eq!(Style { colour: true }.paint("x", "1"), "\x1b[1mx\x1b[0m");
    }
}

//! Lines: what `watch` prints, one line per change: what changed, what was done, how long it
//! took.
//!
//! In: an [`Event`] (a batch of changes and the report of the run that handled it, or why
//! nothing ran). Out: [`Line`]s with a [`Level`]; the binary adds the clock and the colour.

use std::collections::{BTreeMap, BTreeSet};

use super::{BuildReport, ImageStatus};
use crate::error::Error;
use crate::survey::Change;

/// How a [`Line`] should be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Work done, or nothing to do.
    Info,
    /// Done, but the author should look (a reference went back to its original text).
    Warn,
    /// Something failed; the watch goes on.
    Error,
}

/// One line of output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// How to show it.
    pub level: Level,
    /// What changed, what was done, how long it took.
    pub text: String,
}

impl Line {
    /// A line at `level`.
    pub fn new(level: Level, text: String) -> Line {
        Line { level, text }
    }
}

/// What `watch` has to say about one batch of changes.
#[derive(Debug)]
pub enum Event {
    /// A run handled the batch.
    Built {
        /// The changes, one per path.
        changes: Vec<Change>,
        /// The dependency index before the run (a removed image is in it only there).
        before: BTreeMap<String, BTreeSet<String>>,
        /// The run's report.
        report: Box<BuildReport>,
        /// How long the batch took, in seconds.
        secs: f64,
    },
    /// Only images no post names changed: nothing ran.
    Idle {
        /// Those changes.
        changes: Vec<Change>,
    },
    /// The run itself failed.
    Failed {
        /// The changes it was for.
        changes: Vec<Change>,
        /// Why.
        error: Error,
    },
    /// The file watcher reported a problem (or a new folder could not be watched).
    Watcher(String),
}

/// The lines for one event.
pub fn lines(event: &Event) -> Vec<Line> {
    match event {
        Event::Built {
            changes,
            before,
            report,
            secs,
        } => describe(changes, before, report, *secs),
        Event::Idle { changes } => changes
            .iter()
            .map(|c| {
                let what = match c {
                    Change::ImageRemoved(rel) => format!("{rel} removed"),
                    other => format!("{} changed", other.rel().unwrap_or_default()),
                };
                Line::new(
                    Level::Info,
                    format!("{what} → used by no post, nothing to do"),
                )
            })
            .collect(),
        Event::Failed { changes, error } => {
            let what: Vec<&str> = changes.iter().filter_map(|c| c.rel()).collect();
            vec![Line::new(
                Level::Error,
                format!("{} changed → {error}", what.join(", ")),
            )]
        }
        Event::Watcher(e) => vec![Line::new(Level::Error, e.clone())],
    }
}

/// Local wall-clock time, HH:MM:SS, for the start of each line.
#[cfg(unix)]
pub fn clock() -> String {
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

/// UTC wall-clock time, HH:MM:SSZ.
#[cfg(not(unix))]
pub fn clock() -> String {
    utc_clock()
}

fn utc_clock() -> String {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{:02}:{:02}:{:02}Z", s / 3600 % 24, s / 60 % 60, s % 60)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What one run did, seen from the changes that started it.
struct Run<'a> {
    r: &'a BuildReport,
    before: &'a BTreeMap<String, BTreeSet<String>>,
    changed: BTreeSet<&'a str>,
}

impl Run<'_> {
    /// The posts that name `rel`, before or after the run.
    fn users(&self, rel: &str) -> BTreeSet<String> {
        let mut u = self.before.get(rel).cloned().unwrap_or_default();
        u.extend(self.r.uses.get(rel).cloned().unwrap_or_default());
        u
    }

    /// Of `posts`, those the run rewrote.
    fn rewritten(&self, posts: &BTreeSet<String>) -> Vec<String> {
        posts
            .iter()
            .filter(|p| self.changed.contains(p.as_str()))
            .cloned()
            .collect()
    }

    /// `3 variants written, 1 variant pruned`.
    fn files(&self) -> Vec<String> {
        let s = &self.r.summary;
        let mut v = Vec::new();
        if s.variants_written > 0 {
            v.push(format!(
                "{} written",
                plural(s.variants_written, "variant", "variants")
            ));
        }
        if s.variants_pruned > 0 {
            v.push(format!(
                "{} pruned",
                plural(s.variants_pruned, "variant", "variants")
            ));
        }
        v
    }

    fn post_saved(&self, rel: &str, did: &mut Vec<String>) -> Level {
        let mine: Vec<&String> = self
            .r
            .uses
            .iter()
            .filter(|(_, posts)| posts.contains(rel))
            .map(|(img, _)| img)
            .collect();
        let encoded = self
            .r
            .images
            .iter()
            .filter(|i| i.status == ImageStatus::Encoded)
            .filter(|i| mine.iter().any(|m| i.is_for(m)))
            .count();
        if encoded > 0 {
            did.push(format!("{} encoded", plural(encoded, "image", "images")));
        }
        did.push(if self.changed.contains(rel) {
            "post rewritten".into()
        } else {
            "post already up to date".into()
        });
        let mut level = Level::Info;
        for n in self.r.left.iter().filter(|n| n.post == rel) {
            level = Level::Warn;
            did.push(format!("line {} left as written: {}", n.line, n.kind));
        }
        level
    }

    fn image_changed(&self, rel: &str, did: &mut Vec<String>) -> Level {
        let mut level = Level::Info;
        match self.r.image(rel) {
            Some(i) if i.status == ImageStatus::Encoded => did.push("encoded".into()),
            Some(i) if i.status == ImageStatus::Failed => {
                level = Level::Error;
                let why = i.error.as_ref().map(|e| e.to_string());
                did.push(format!(
                    "failed: {} (fix it and save again)",
                    why.as_deref().unwrap_or("unknown error")
                ));
            }
            Some(i) if i.status == ImageStatus::Skipped => {
                let why = i.error.as_ref().map(|e| e.to_string());
                did.push(format!(
                    "skipped: {}",
                    why.as_deref().unwrap_or("not re-encoded")
                ));
            }
            Some(_) => did.push("variants already fresh".into()),
            None => did.push("not re-encoded".into()),
        }
        let posts = self.rewritten(&self.users(rel));
        if !posts.is_empty() {
            did.push(format!(
                "{} rewritten ({})",
                plural(posts.len(), "post", "posts"),
                posts.join(", ")
            ));
        }
        level
    }

    fn image_removed(&self, rel: &str, did: &mut Vec<String>) -> Level {
        let posts = self.users(rel);
        if posts.is_empty() {
            return Level::Info;
        }
        did.push(format!(
            "its references are back to their original text in {}",
            posts.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
        Level::Warn
    }

    /// The line for one change, or none for a change that means nothing.
    fn line(&self, c: &Change, took: &str) -> Option<Line> {
        let mut did: Vec<String> = Vec::new();
        let (level, what) = match c {
            Change::PostSaved(rel) => (self.post_saved(rel, &mut did), format!("{rel} saved")),
            Change::PostRemoved(rel) => (Level::Info, format!("{rel} removed")),
            Change::ImageChanged(rel) => {
                (self.image_changed(rel, &mut did), format!("{rel} changed"))
            }
            Change::ImageRemoved(rel) => {
                (self.image_removed(rel, &mut did), format!("{rel} removed"))
            }
            Change::Config => {
                did.push(format!(
                    "rebuilt: {} encoded, {} rewritten",
                    plural(self.r.summary.encoded, "image", "images"),
                    plural(self.changed.len(), "post", "posts")
                ));
                (Level::Info, "_config.yml changed".into())
            }
            Change::SiteFile(rel) => {
                did.push("mirrored".into());
                (Level::Info, format!("{rel} changed"))
            }
            Change::Ignore => return None,
        };
        did.extend(self.files());
        if did.is_empty() {
            did.push("nothing to do".into());
        }
        Some(Line::new(
            level,
            format!("{what} → {} {took}", did.join(", ")),
        ))
    }
}

/// The lines for a batch of `changes` that one run handled: per change, what was done; then
/// the run's errors and warnings. `before` is the dependency index before the run; `secs` is
/// how long the batch took.
pub fn describe(
    changes: &[Change],
    before: &BTreeMap<String, BTreeSet<String>>,
    r: &BuildReport,
    secs: f64,
) -> Vec<Line> {
    let run = Run {
        r,
        before,
        changed: r
            .posts
            .iter()
            .filter(|p| p.changed)
            .map(|p| p.path.as_str())
            .collect(),
    };
    let took = format!("({secs:.2} s)");
    let mut lines: Vec<Line> = changes.iter().filter_map(|c| run.line(c, &took)).collect();
    lines.extend(
        r.errors
            .iter()
            .map(|e| Line::new(Level::Error, e.to_string())),
    );
    lines.extend(
        r.warnings
            .iter()
            .map(|w| Line::new(Level::Warn, w.to_string())),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ImageReport, PostReport};

    #[test]
    fn describe_says_what_was_done() {
        let mut r = BuildReport::default();
        r.uses
            .insert("p/a.png".into(), ["_posts/a.md".to_string()].into());
        r.posts.push(PostReport {
            path: "_posts/a.md".into(),
            changed: true,
            rewritten: 1,
        });
        r.images
            .push(ImageReport::new("p/a.png", ImageStatus::Encoded, 0));
        r.summary.variants_written = 6;
        let lines = describe(
            &[Change::PostSaved("_posts/a.md".into())],
            &BTreeMap::new(),
            &r,
            0.414,
        );
        assert_eq!(
            lines,
            vec![Line::new(
                Level::Info,
                "_posts/a.md saved → 1 image encoded, post rewritten, 6 variants written (0.41 s)"
                    .into()
            )]
        );
        let before: BTreeMap<String, BTreeSet<String>> =
            [("p/old.png".to_string(), ["_posts/a.md".to_string()].into())].into();
        let lines = describe(
            &[Change::ImageRemoved("p/old.png".into())],
            &before,
            &r,
            0.1,
        );
        assert_eq!(lines[0].level, Level::Warn);
        assert!(
            lines[0]
                .text
                .contains("back to their original text in _posts/a.md"),
            "{}",
            lines[0].text
        );
    }

    #[test]
    fn idle_images_say_nothing_was_needed() {
        let l = lines(&Event::Idle {
            changes: vec![Change::ImageRemoved("p/x.png".into())],
        });
        assert_eq!(
            l[0].text,
            "p/x.png removed → used by no post, nothing to do"
        );
    }
}

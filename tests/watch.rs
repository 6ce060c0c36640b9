//! `postpix watch`: the real binary watching a small temp site (three posts, four small images
//! from the corpus), while the test edits posts and adds, replaces, corrupts and deletes images,
//! then polls the disk (generous timeouts) for the expected variants and posts.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{changes, fixture, snapshot};

const TIMEOUT: Duration = Duration::from_secs(60);

const POST_A: &str = "---\ntitle: A\n---\n\nA cat:\n\n![a cat](/postimg/cat.jpg)\n";
const POST_B: &str =
    "---\ntitle: B\n---\n\nAn icon ![save](/postimg/save.png) and the cat ![cat](/postimg/cat.jpg).\n";
const POST_C: &str = "---\ntitle: C\n---\n\nObjects:\n\n![objects](/postimg/objects.jpg)\n";

/// A small site and a `postpix watch` running on it.
struct Watch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    child: Child,
    out: Arc<Mutex<String>>,
}

impl Watch {
    /// Lay out the site and start `postpix watch . ARGS`; returns once the first build is done.
    fn start(args: &[&str]) -> Watch {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        let corpus = fixture("corpus");
        std::fs::create_dir_all(root.join("_posts")).unwrap();
        std::fs::create_dir_all(root.join("postimg")).unwrap();
        std::fs::write(root.join("_config.yml"), "title: Watch test\n").unwrap();
        for (from, to) in [
            ("gray-cat.jpg", "cat.jpg"),
            ("icon-32-save.png", "save.png"),
            ("gray-objects.jpg", "objects.jpg"),
            ("icon-24-palette-folder.png", "unused.png"),
        ] {
            std::fs::copy(corpus.join(from), root.join("postimg").join(to)).unwrap();
        }
        std::fs::write(root.join("_posts/2024-01-01-a.md"), POST_A).unwrap();
        std::fs::write(root.join("_posts/2024-01-02-b.md"), POST_B).unwrap();
        std::fs::write(root.join("_posts/2024-01-03-c.md"), POST_C).unwrap();
        let w = Watch::spawn(dir, root, args);
        w.wait_for("the first build and the watch to start", || {
            w.output().contains("Watching ")
        });
        w
    }

    /// Start `postpix watch . ARGS` on the site at `root` (inside `dir`) without waiting.
    fn spawn(dir: tempfile::TempDir, root: PathBuf, args: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_postpix"))
            .arg("watch")
            .arg(".")
            .args(args)
            .env("NO_COLOR", "1")
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Arc::new(Mutex::new(String::new()));
        for mut pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = Arc::clone(&out);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    out.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        Watch {
            _dir: dir,
            root,
            child,
            out,
        }
    }

    fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_default()
    }

    /// Save a file the way an editor that writes in place does.
    fn save(&self, rel: &str, bytes: &[u8]) {
        std::fs::write(self.path(rel), bytes).unwrap();
    }

    /// Names in the variant folder of `postimg/` that start with `stem-`.
    fn variants(&self, stem: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path("postimg/responsive"))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(&format!("{stem}-")))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    fn wait_for(&self, what: &str, ok: impl Fn() -> bool) {
        self.wait_up_to(TIMEOUT, what, ok);
    }

    fn wait_up_to(&self, limit: Duration, what: &str, ok: impl Fn() -> bool) {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "timed out after {limit:?} waiting for {what}\nwatch output:\n{}",
            self.output()
        );
    }

    /// Lines the watch printed after the first build.
    fn change_lines(&self) -> Vec<String> {
        let out = self.output();
        let after = out.split_once("Ctrl-C to stop.").map(|x| x.1).unwrap_or("");
        after
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(fixture("corpus").join(name)).unwrap()
}

fn posts(root: &Path) -> common::Snapshot {
    snapshot(&root.join("_posts"))
}

#[test]
fn first_build_rewrites_every_post() {
    let w = Watch::start(&[]);
    assert!(w.output().contains("Built:"), "{}", w.output());
    for rel in [
        "_posts/2024-01-01-a.md",
        "_posts/2024-01-02-b.md",
        "_posts/2024-01-03-c.md",
    ] {
        assert!(w.read(rel).contains("<picture"), "{rel}: {}", w.read(rel));
    }
}

#[test]
fn edited_post_is_rewritten_and_no_other_post_changes() {
    let w = Watch::start(&[]);
    let before = posts(&w.root);
    let rel = "_posts/2024-01-03-c.md";
    let text = format!(
        "{}\nAnd the icon: ![icon](/postimg/save.png)\n",
        w.read(rel)
    );
    w.save(rel, text.as_bytes());
    w.wait_for("the new reference as <picture>", || {
        w.read(rel).matches("<picture").count() == 2
    });
    w.wait_for("one line about the save", || {
        w.change_lines().iter().any(|l| l.contains("c.md saved →"))
    });
    let after = posts(&w.root);
    assert_eq!(
        changes(&before, &after),
        vec!["content 2024-01-03-c.md".to_string()],
        "only the edited post may change"
    );
    // Its own rewrite is not taken for another save.
    std::thread::sleep(Duration::from_millis(1500));
    let saves = w
        .change_lines()
        .iter()
        .filter(|l| l.contains("saved"))
        .count();
    assert_eq!(saves, 1, "{:?}", w.change_lines());
}

#[test]
fn a_save_during_the_first_build_is_not_lost() {
    // Regression (issue 13.4): as soon as the first build has rewritten a post, and while it is
    // still running, add an image and a reference to it: the post must end up rewritten. The
    // old watch took the disk after its first build as known and dropped the queued save.
    let first = "_posts/2020-11-23-nanning-anti-fraud.md";
    let mut during = 0;
    for attempt in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        common::copy_tree(&fixture("site-example"), &root);
        let w = Watch::spawn(dir, root, &[]);
        let rewritten_any = || {
            std::fs::read_dir(w.path("_posts"))
                .unwrap()
                .flatten()
                .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("<picture")))
        };
        // The example site's first build encodes ~70 images: give a loaded machine time.
        w.wait_up_to(
            Duration::from_secs(300),
            "a first post rewritten",
            rewritten_any,
        );
        if !w.output().contains("Watching ") {
            during += 1;
        }
        // A 2.3 MP photo whose bytes are in no image of the example site (variants are named
        // after the first source of their content, so look for the reference's own markup).
        w.save("postimg/new.jpg", &corpus("photo-raindrops.jpg"));
        let text = format!(
            "{}\n![x]({{{{site.baseurl}}}}/postimg/new.jpg)\n",
            w.read(first)
        );
        w.save(first, text.as_bytes());
        let markup = "data-postpix-orig=\"![x]({{site.baseurl}}/postimg/new.jpg)\"><picture>";
        w.wait_up_to(
            Duration::from_secs(300),
            &format!("try {attempt}: the new reference as <picture>"),
            || w.read(first).contains(markup),
        );
    }
    eprintln!("{during} of 3 saves landed while the first build was still running");
}

#[test]
fn added_image_and_reference_get_variants() {
    let w = Watch::start(&[]);
    w.save("postimg/weather.png", &corpus("icon-32-weather.png"));
    let rel = "_posts/2024-01-01-a.md";
    let text = format!("{}\n![weather](/postimg/weather.png)\n", w.read(rel));
    w.save(rel, text.as_bytes());
    w.wait_for("variants of the new image", || {
        w.variants("weather").len() == 2
    });
    w.wait_for("the post to link them", || {
        w.read(rel).contains("responsive/weather-32.")
    });
}

#[test]
fn replaced_image_gets_new_variants_and_its_posts_follow() {
    let w = Watch::start(&[]);
    let old = w.variants("cat");
    assert!(!old.is_empty());
    let c_before = w.read("_posts/2024-01-03-c.md");
    w.save("postimg/cat.jpg", &corpus("wizard-progressive.jpg"));
    w.wait_for("new variants, the old ones pruned", || {
        let now = w.variants("cat");
        !now.is_empty() && now.iter().all(|n| !old.contains(n))
    });
    let new = w.variants("cat");
    for rel in ["_posts/2024-01-01-a.md", "_posts/2024-01-02-b.md"] {
        w.wait_for("the referencing posts to link the new variants", || {
            let t = w.read(rel);
            new.iter().all(|n| t.contains(n.as_str())) && old.iter().all(|n| !t.contains(n))
        });
    }
    assert_eq!(w.read("_posts/2024-01-03-c.md"), c_before);
}

#[test]
fn deleted_image_gives_back_the_original_text_and_its_variants_go() {
    let w = Watch::start(&[]);
    assert_eq!(w.variants("objects").len(), 2);
    std::fs::remove_file(w.path("postimg/objects.jpg")).unwrap();
    w.wait_for("the original Markdown back", || {
        w.read("_posts/2024-01-03-c.md")
            .contains("\n![objects](/postimg/objects.jpg)\n")
    });
    w.wait_for("the variants pruned", || w.variants("objects").is_empty());
    w.wait_for("a warning", || {
        w.change_lines()
            .iter()
            .any(|l| l.contains("warning:") && l.contains("objects.jpg removed"))
    });
    assert_eq!(w.variants("cat").len(), 2, "other variants stay");
}

#[test]
fn a_second_save_of_the_same_bytes_does_nothing() {
    let w = Watch::start(&[]);
    // Let the events of the first build's own writes pass.
    std::thread::sleep(Duration::from_millis(1000));
    let before = snapshot(&w.root);
    let lines = w.change_lines().len();
    for rel in ["_posts/2024-01-02-b.md", "postimg/save.png"] {
        let bytes = std::fs::read(w.path(rel)).unwrap();
        w.save(rel, &bytes);
    }
    std::thread::sleep(Duration::from_millis(2000));
    let mut after = snapshot(&w.root);
    // The test's own saves bump the mtime of what it saved; nothing else may change.
    for rel in ["_posts/2024-01-02-b.md", "postimg/save.png"] {
        after.get_mut(rel).unwrap().1 = before[rel].1;
    }
    assert_eq!(changes(&before, &after), Vec::<String>::new());
    assert_eq!(w.change_lines().len(), lines, "{:?}", w.change_lines());
}

#[test]
fn a_corrupt_image_saved_then_fixed_recovers() {
    let w = Watch::start(&[]);
    let good = corpus("wizard-progressive.jpg");
    w.save("postimg/objects.jpg", &good[..good.len() / 2]);
    w.wait_for("the error to be shown", || {
        w.change_lines()
            .iter()
            .any(|l| l.contains("error:") && l.contains("objects.jpg"))
    });
    w.save("postimg/objects.jpg", &good);
    w.wait_for("the fixed image encoded", || {
        w.change_lines()
            .iter()
            .any(|l| l.contains("objects.jpg changed → encoded"))
    });
    let v = w.variants("objects");
    assert_eq!(v.len(), 2, "{v:?}");
    w.wait_for("the post linking the new variants", || {
        let t = w.read("_posts/2024-01-03-c.md");
        v.iter().all(|n| t.contains(n.as_str()))
    });
}

#[test]
fn out_mode_leaves_the_site_untouched() {
    let w = Watch::start(&["--out", "_build"]);
    let rel = "_posts/2024-01-03-c.md";
    assert_eq!(w.read(rel), POST_C, "the site's post is not rewritten");
    let built = format!("_build/{rel}");
    assert!(w.read(&built).contains("<picture"));
    let text = format!("{POST_C}\n![cat](/postimg/cat.jpg)\n");
    w.save(rel, text.as_bytes());
    w.wait_for("the rewritten copy in --out", || {
        w.read(&built).matches("<picture").count() == 2
    });
    assert_eq!(w.read(rel), text);
    assert!(!w.path("postimg/responsive").exists());
}

#[test]
fn sigterm_stops_cleanly() {
    let mut w = Watch::start(&[]);
    w.save("postimg/cat.jpg", &corpus("wizard-progressive.jpg"));
    // Signal while the batch may still be running: it finishes, then the watch exits.
    std::thread::sleep(Duration::from_millis(300));
    let pid = w.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = w.child.try_wait().unwrap() {
            break s;
        }
        assert!(t0.elapsed() < TIMEOUT, "no exit\n{}", w.output());
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{}", w.output());
    let temps: Vec<String> = walkdir::WalkDir::new(&w.root)
        .into_iter()
        .flatten()
        .map(|e| e.path().to_string_lossy().into_owned())
        .filter(|p| p.contains(".postpix-tmp-"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
    assert!(!w.path(".postpix/lock").exists());
    let manifest = std::fs::read(w.path(".postpix/manifest.json")).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    assert!(v["sources"].is_object());
}

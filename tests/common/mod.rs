//! Shared helpers for the integration tests: run the real `postpix` binary on a temp copy of a
//! fixture site and take snapshots of the tree to prove what changed and what did not.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

/// Path of a fixture inside `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A temp copy of a fixture site.
pub struct TestSite {
    _dir: tempfile::TempDir,
    /// The site root.
    pub root: PathBuf,
}

impl TestSite {
    /// A site the test made itself at `root`, inside `dir` (removed with the site).
    pub fn at(dir: tempfile::TempDir, root: PathBuf) -> TestSite {
        TestSite { _dir: dir, root }
    }

    /// Copy `tests/fixtures/<name>` into a fresh temp folder.
    pub fn copy_of(name: &str) -> TestSite {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        copy_tree(&fixture(name), &root);
        TestSite { _dir: dir, root }
    }

    /// A copy of the repository's own demo site (`_posts/`, `postimg/`, `img/`, `_config.yml`).
    pub fn demo() -> TestSite {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        for part in [
            "_posts",
            "postimg",
            "img",
            "_layouts",
            "_config.yml",
            "index.html",
        ] {
            let src = repo.join(part);
            if src.is_dir() {
                copy_tree(&src, &root.join(part));
            } else {
                std::fs::create_dir_all(&root).unwrap();
                std::fs::copy(&src, root.join(part)).unwrap();
            }
        }
        TestSite { _dir: dir, root }
    }

    /// Run `postpix ARGS` (the site is not added; pass it yourself where wanted).
    pub fn run(&self, args: &[&str]) -> Output {
        // `POSTPIX_TEST_BIN` runs the tests against another build (to show that a regression
        // test fails on the old code).
        Command::new(
            std::env::var_os("POSTPIX_TEST_BIN")
                .unwrap_or_else(|| env!("CARGO_BIN_EXE_postpix").into()),
        )
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(&self.root)
        .output()
        .unwrap()
    }

    /// Run `postpix ARGS` and parse its stdout as JSON.
    pub fn json(&self, args: &[&str]) -> (serde_json::Value, Output) {
        let out = self.run(args);
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (v, out)
    }

    /// Absolute path of a site-relative file.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Read a site-relative file as text.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }
}

/// Copy a folder recursively (regular files only).
pub fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_tree(&e.path(), &to);
        } else if ft.is_file() {
            std::fs::copy(e.path(), &to).unwrap();
            let mut perm = std::fs::metadata(&to).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&to, perm).unwrap();
        }
    }
}

/// Every file under `root`: relative path → (bytes, mtime).
pub type Snapshot = BTreeMap<String, (Vec<u8>, SystemTime)>;

/// Take a snapshot of every file under `root`.
pub fn snapshot(root: &Path) -> Snapshot {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(e.path()).unwrap();
            let mtime = e.metadata().unwrap().modified().unwrap();
            out.insert(rel, (bytes, mtime));
        }
    }
    out
}

/// Paths whose bytes or mtime differ between two snapshots, plus added and removed ones.
pub fn changes(a: &Snapshot, b: &Snapshot) -> Vec<String> {
    let mut v = Vec::new();
    for (k, x) in a {
        match b.get(k) {
            None => v.push(format!("removed {k}")),
            Some(y) if y.0 != x.0 => v.push(format!("content {k}")),
            Some(y) if y.1 != x.1 => v.push(format!("mtime {k}")),
            _ => {}
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            v.push(format!("added {k}"));
        }
    }
    v
}

/// Exit code of a finished process.
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Stdout and stderr, for assertion messages.
pub fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

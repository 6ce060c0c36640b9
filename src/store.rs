//! Store: the shared, content-addressed part of the cache folder.
//!
//! In: the entries a run encoded and the variant files it wrote. Out: in the cache folder,
//! `store/entries/<key>.json` (an [`Entry`] under its cache key) and `store/objects/<blake3>`
//! (a variant's bytes under their hash). Each file is named by what it holds, and the name
//! covers everything that shapes the content (the key: source bytes, settings, codec versions;
//! the hash: the bytes), so any number of sites, checkouts and `--shard` jobs may share one
//! cache folder, at the same time or one after another, and a variant found there is reused
//! whatever site made it. Two writers of one name write the same bytes; an object is a hard
//! link to a variant already complete (a copy across devices), an entry is created in place,
//! and what replaces a bad file goes through a temp file and a rename; every read is checked
//! (an entry must parse and name its own key, an object must hash to its name), so a torn or
//! altered file is a miss, never a wrong answer, and the store needs no fsync and no lock.
//! Each site keeps its own manifest beside the store ([`Config::manifest_dir`]). postpix never
//! deletes from the store: delete the folder to reclaim its space; the next build refills it.
//! `build --merge` reads the stores of other cache folders too ([`Store::of`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::cache::{self, Digest, DiskFiles, Entry, FileCheck};
use crate::config::{Config, STORE_DIR};
use crate::error::Result;
use crate::write;

/// Folder of the entries inside a store.
const ENTRIES: &str = "entries";
/// Folder of the objects inside a store.
const OBJECTS: &str = "objects";

/// One entry as the store keeps it: with its key, so a file copied under the wrong name is
/// refused.
#[derive(Serialize, Deserialize)]
struct Stored {
    key: String,
    entry: Entry,
}

/// The store of this run's cache folder (written and read) and those of the `--merge` folders
/// (read only).
#[derive(Clone, Debug)]
pub struct Store {
    /// The root writes are checked against (see [`Config::cache_root`]).
    root: PathBuf,
    /// This cache folder's store.
    own: PathBuf,
    /// The stores of the merged cache folders.
    others: Vec<PathBuf>,
}

/// True when `name` is a lower-case hex digest (what keys and hashes are): nothing else ever
/// becomes part of a path.
fn is_digest(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Store {
    /// The store of `cfg`'s cache folder, reading the stores of `cfg.merge` as well (each a
    /// cache folder holding `store/`, or such a `store/` folder itself, as a CI artifact of
    /// it unpacks).
    pub fn of(cfg: &Config) -> Store {
        let store_of = |d: &PathBuf| {
            let inner = d.join(STORE_DIR);
            if inner.is_dir() {
                inner
            } else {
                d.clone()
            }
        };
        Store {
            root: cfg.cache_root().to_path_buf(),
            own: cfg.store_dir(),
            others: cfg.merge.iter().map(store_of).collect(),
        }
    }

    fn stores(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.own.as_path()).chain(self.others.iter().map(PathBuf::as_path))
    }

    fn entry_path(store: &Path, key: &str) -> PathBuf {
        store.join(ENTRIES).join(format!("{key}.json"))
    }

    fn object_path(store: &Path, hash: &Digest) -> PathBuf {
        store.join(OBJECTS).join(&*hash.hex())
    }

    /// The entry stored under `key`, from the first store holding a sound one.
    pub fn entry(&self, key: &str) -> Option<Entry> {
        if !is_digest(key) {
            return None;
        }
        self.stores()
            .find_map(|s| read_entry(&Self::entry_path(s, key), key))
    }

    /// The bytes stored under `hash`, checked against it, from the first store holding them.
    pub fn object(&self, hash: &Digest) -> Option<Vec<u8>> {
        self.stores().find_map(|s| {
            let bytes = std::fs::read(Self::object_path(s, hash)).ok()?;
            (Digest::of(&bytes) == *hash).then_some(bytes)
        })
    }

    /// Keep `entry` under `key` in this cache folder's store, unless a sound one is there.
    pub fn put_entry(&self, key: &str, entry: &Entry) -> Result<()> {
        let path = Self::entry_path(&self.own, key);
        if !is_digest(key) || read_entry(&path, key).is_some() {
            return Ok(());
        }
        let stored = Stored {
            key: key.to_string(),
            entry: entry.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&stored).unwrap_or_default();
        bytes.push(b'\n');
        // A new name is created in place (a kill leaves a short file, which reads as a miss,
        // never a temp file); a short or foreign file already there is replaced atomically.
        if write::write_new_unsynced(&self.root, &path, &bytes)? {
            return Ok(());
        }
        write::write_unsynced(&self.root, &path, &bytes)
    }

    /// Keep the variant file `file` (`size` bytes, hashing to `hash`) in this cache folder's
    /// store: a hard link to it where the file system allows, else a copy. An object already
    /// there with that size is kept (reads check its hash); one of another size is replaced.
    pub fn put_object(&self, hash: &Digest, size: u64, file: &Path) -> Result<()> {
        let path = Self::object_path(&self.own, hash);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == size) {
            return Ok(());
        }
        let is_file = std::fs::symlink_metadata(file).is_ok_and(|m| m.is_file());
        if !is_file {
            return Ok(());
        }
        write::link_or_copy(&self.root, file, &path)
    }

    /// Remove the temp files that runs killed before their rename left in this store (those
    /// of live processes stay: another run may be writing them), once per process (`watch`
    /// does not list the store again for every change). Returns how many.
    pub fn clean(&self) -> usize {
        static CLEANED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
        let first = CLEANED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(self.own.clone());
        if !first {
            return 0;
        }
        [ENTRIES, OBJECTS]
            .iter()
            .map(|d| write::clean_orphan_temps(&self.root, &self.own.join(d)))
            .sum()
    }
}

/// The entry in the file at `path`, when it parses and names `key`.
fn read_entry(path: &Path, key: &str) -> Option<Entry> {
    let bytes = std::fs::read(path).ok()?;
    let stored: Stored = serde_json::from_slice(&bytes).ok()?;
    (stored.key == key).then_some(stored.entry)
}

/// The plan's [`FileCheck`]: the variant files on disk ([`DiskFiles`]), and the store for what
/// they lack.
pub struct Checked<'a> {
    /// The destination's files.
    pub disk: DiskFiles<'a>,
    /// The cache folder's store (and the merged ones).
    pub store: &'a Store,
}

impl FileCheck for Checked<'_> {
    fn is_fresh(&self, rel: &str, hash: &Digest) -> bool {
        self.disk.is_fresh(rel, hash)
    }

    fn stored_entry(&self, key: &str) -> Option<Entry> {
        self.store.entry(key)
    }

    fn stored(&self, hash: &Digest) -> bool {
        self.store.object(hash).is_some()
    }
}

/// Keep what a job wrote in the store: every file just written or found identical (by its
/// destination-relative path under `dest`, with its record), and the entry. The first
/// failure is returned; the site itself is whole either way.
pub fn publish(
    store: &Store,
    dest: &Path,
    key: &str,
    entry: &Entry,
    files: &[(String, cache::FileRecord)],
) -> Result<()> {
    let mut first = Ok(());
    for (path, rec) in files {
        let r = store.put_object(&rec.hash, rec.size, &crate::paths::abs(dest, path));
        if first.is_ok() {
            first = r;
        }
    }
    write::store_point();
    let r = store.put_entry(key, entry);
    first.and(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            width: 10,
            height: 5,
            lossless: false,
            webp_quality: Some(80.0),
            jpeg_quality: None,
            avif_quality: None,
            outputs: vec![],
            dropped: vec![],
            conversions: vec![],
            placeholder: cache::Placeholder::None,
        }
    }

    fn store_in(d: &Path) -> Store {
        let cfg = Config::new(d).unwrap();
        Store::of(&cfg)
    }

    #[test]
    fn an_entry_is_found_under_its_key_only() {
        let d = tempfile::tempdir().unwrap();
        let s = store_in(d.path());
        let key = "a".repeat(64);
        s.put_entry(&key, &entry()).unwrap();
        assert_eq!(s.entry(&key), Some(entry()));
        // Copied under another name, it is no answer.
        let other = "b".repeat(64);
        std::fs::copy(
            Store::entry_path(&s.own, &key),
            Store::entry_path(&s.own, &other),
        )
        .unwrap();
        assert_eq!(s.entry(&other), None);
        assert_eq!(s.entry("../x"), None);
    }

    #[test]
    fn an_altered_object_is_a_miss_and_is_replaced() {
        let d = tempfile::tempdir().unwrap();
        let s = store_in(d.path());
        let file = d.path().join("v.webp");
        std::fs::write(&file, b"variant bytes").unwrap();
        let hash = Digest::of(b"variant bytes");
        s.put_object(&hash, 13, &file).unwrap();
        assert_eq!(s.object(&hash).as_deref(), Some(&b"variant bytes"[..]));
        // Written through (the file and the object may share an inode): the hash check sees it.
        std::fs::write(Store::object_path(&s.own, &hash), b"torn").unwrap();
        assert_eq!(s.object(&hash), None);
        std::fs::remove_file(&file).unwrap();
        std::fs::write(&file, b"variant bytes").unwrap();
        s.put_object(&hash, 13, &file).unwrap();
        assert_eq!(s.object(&hash).as_deref(), Some(&b"variant bytes"[..]));
    }
}

//! Cache: the manifest that lets a rerun skip work, and the keys that make that safe.
//!
//! In: source stats and hashes, encoder settings, the outputs written. Out: a JSON manifest in
//! the cache folder (`.postpix/manifest.json` by default). A source whose size and mtime match
//! the manifest is not even re-hashed; an entry is found by a key that covers the source bytes,
//! every encoder setting and the codec versions, so a change of any of them is a miss. A
//! manifest that doesn't parse is reported and rebuilt, never trusted. [`DiskFiles`] answers the
//! plan's question "is this variant file the one we wrote?" from the manifest's stat records,
//! hashing a file only when its size or mtime changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::encode::Encoded;
use crate::encode::{Conversion, Origin};
use crate::error::Result;
use crate::format::OutFormat;
use crate::paths;
use crate::probe::ImageInfo;

/// Bump when the manifest's shape or the meaning of a key changes.
pub const MANIFEST_VERSION: u32 = 1;

/// File name of the manifest inside the cache folder.
pub const MANIFEST_NAME: &str = "manifest.json";

/// What postpix remembers between runs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`] when written.
    pub version: u32,
    /// Source files by site-relative path: the stat fast path.
    pub sources: BTreeMap<String, SourceRecord>,
    /// Encoded results by cache key. Shared, not copied, by the plan's jobs and the markup
    /// stage: on a large site a copy of every entry was a quarter of a no-op's heap.
    pub entries: BTreeMap<String, Arc<Entry>>,
    /// Every file postpix wrote, by path relative to the destination root. Only these are ever
    /// pruned.
    pub files: BTreeMap<String, FileRecord>,
    /// With `--out`: every site file the mirror is responsible for in the destination (copies
    /// and rewritten posts), by relative path. When one leaves the site, its copy is deleted;
    /// nothing else in `--out` ever is.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub mirrored: std::collections::BTreeSet<String>,
}

/// What was known about a source at a given size and mtime.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SourceRecord {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: u128,
    /// blake3 of the bytes.
    pub hash: Digest,
    /// Header facts.
    pub info: ImageInfo,
}

/// The outputs of one source under one set of settings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    /// Upright width of the source.
    pub width: u32,
    /// Upright height of the source.
    pub height: u32,
    /// WebP was lossless (graphic content).
    pub lossless: bool,
    /// The lossy WebP quality the encoder used (chosen by `--quality auto`, or the fixed one);
    /// a repair re-makes missing files at exactly this quality, without searching again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webp_quality: Option<f32>,
    /// The JPEG fallback quality the encoder used, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jpeg_quality: Option<u8>,
    /// The AVIF quality the encoder used, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avif_quality: Option<f32>,
    /// The outputs, in the encoder's order.
    pub outputs: Vec<OutputRecord>,
    /// Variants that were not kept, and why.
    pub dropped: Vec<DroppedRecord>,
    /// What encoding did to the source (colour conversion, orientation, frames, metadata
    /// removed), kept so a cached run reports the same as the run that encoded it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<Conversion>,
    /// The colour shown while the image loads. A manifest written before placeholders existed
    /// has none ([`Placeholder::Unknown`]): the plan re-encodes such an entry once (a cache
    /// miss) when placeholders are on.
    #[serde(default, skip_serializing_if = "Placeholder::is_unknown")]
    pub placeholder: Placeholder,
}

/// The placeholder of an entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placeholder {
    /// Not computed (an entry from an older manifest).
    #[default]
    Unknown,
    /// The image has transparency: no background may stand behind it.
    None,
    /// The dominant colour, CSS `#rrggbb`.
    Color(String),
}

impl Placeholder {
    /// Not computed yet.
    pub fn is_unknown(&self) -> bool {
        *self == Placeholder::Unknown
    }

    /// The CSS colour, when there is one.
    pub fn color(&self) -> Option<&str> {
        match self {
            Placeholder::Color(c) => Some(c),
            _ => None,
        }
    }
}

impl Entry {
    /// The record of what the size guard kept.
    pub fn of(chosen: &Encoded) -> Entry {
        Entry {
            width: chosen.width,
            height: chosen.height,
            lossless: chosen.lossless,
            webp_quality: chosen.webp_quality,
            jpeg_quality: chosen.jpeg_quality,
            avif_quality: chosen.avif_quality,
            outputs: chosen
                .outputs
                .iter()
                .map(|o| OutputRecord {
                    width: o.width,
                    height: o.height,
                    format: o.format,
                    bytes: o.bytes.len() as u64,
                    hash: Digest::of(&o.bytes),
                    source_bytes: o.origin == Origin::SourceBytes,
                    quality: o.quality,
                    ssimulacra2: o.score,
                })
                .collect(),
            dropped: chosen
                .dropped
                .iter()
                .map(|d| DroppedRecord {
                    width: d.width,
                    format: d.format,
                    reason: d.reason.clone(),
                })
                .collect(),
            conversions: chosen.conversions.clone(),
            placeholder: match chosen.placeholder {
                Some(c) => Placeholder::Color(crate::encode::placeholder::hex(c)),
                None => Placeholder::None,
            },
        }
    }
}

/// One encoded output.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OutputRecord {
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Format.
    pub format: OutFormat,
    /// Size in bytes.
    pub bytes: u64,
    /// blake3 of the bytes.
    pub hash: Digest,
    /// The source's own bytes (metadata stripped) served as the fallback.
    pub source_bytes: bool,
    /// Encoder quality of a lossy output (`None`: lossless, or the source's own bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<f32>,
    /// SSIMULACRA2 against the resized source, where it was measured (the search width).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssimulacra2: Option<f32>,
}

/// A variant not kept.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DroppedRecord {
    /// Width.
    pub width: u32,
    /// Format.
    pub format: OutFormat,
    /// Why it was dropped.
    pub reason: String,
}

/// A file postpix wrote.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileRecord {
    /// Size in bytes.
    pub size: u64,
    /// Modification time after writing, ns since the epoch.
    pub mtime_ns: u128,
    /// blake3 of the bytes.
    pub hash: Digest,
}

/// Size and mtime of a file, without reading it.
pub fn stat(path: &Path) -> Option<(u64, u128)> {
    stat_of(&std::fs::metadata(path).ok()?)
}

/// Size and mtime (ns since the epoch) from a file's metadata.
pub fn stat_of(m: &std::fs::Metadata) -> Option<(u64, u128)> {
    let mtime = m
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((m.len(), mtime))
}

/// A blake3 digest of a file's bytes: 32 bytes in memory, 64 hex digits in the manifest, the
/// store's file names and every message. A large site keeps several per image (its source, each
/// output, each file written) until the manifest is saved; as hex `String`s they cost 88 bytes
/// or more each, about a fifth of a cold build's per-image peak.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(*blake3::hash(bytes).as_bytes())
    }

    /// Parse 64 hex digits (either case); `None` for anything else.
    pub fn parse(hex: &str) -> Option<Digest> {
        blake3::Hash::from_hex(hex)
            .ok()
            .map(|h| Digest(*h.as_bytes()))
    }

    /// The 64 lowercase hex digits, on the stack (no allocation: keys and names are made from
    /// them for every job of every run).
    pub fn hex(&self) -> impl std::ops::Deref<Target = str> {
        blake3::Hash::from_bytes(self.0).to_hex()
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Digest, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Digest::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a blake3 digest: {text:?}")))
    }
}

/// blake3 of bytes, hex (for the hashes that are compared, never kept: a post's text).
pub fn hash_bytes(bytes: &[u8]) -> String {
    Digest::of(bytes).to_string()
}

/// The cache key of a source's outputs: its content, every setting that shapes the outputs and
/// the versions of postpix and its codecs.
pub fn entry_key(source_hash: &Digest, settings_fingerprint: &str) -> String {
    let mut h = blake3::Hasher::new();
    // The digest's hex digits, as before digests were kept as bytes: every key stays the same.
    h.update(source_hash.hex().as_bytes());
    h.update(b"\0");
    h.update(settings_fingerprint.as_bytes());
    h.update(b"\0");
    h.update(codec_versions_once().as_bytes());
    h.finalize().to_hex().to_string()
}

/// [`codec_versions`], formatted once per process (it is part of every job's key).
fn codec_versions_once() -> &'static str {
    static VERSIONS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSIONS.get_or_init(codec_versions)
}

/// postpix's version, the exact versions of every crate that shapes output bytes (taken from
/// Cargo.lock at build time by `build.rs`) and the linked libwebp's: part of every cache key.
pub fn codec_versions() -> String {
    // SAFETY: WebPGetEncoderVersion takes no arguments and only returns a constant.
    let webp = unsafe { libwebp_sys::WebPGetEncoderVersion() };
    format!(
        "postpix {} {} libwebp {}.{}.{}",
        env!("CARGO_PKG_VERSION"),
        env!("POSTPIX_OUTPUT_CRATES"),
        (webp >> 16) & 0xff,
        (webp >> 8) & 0xff,
        webp & 0xff
    )
}

/// The record of a file just written, from its stat (none if it cannot be stat'ed).
pub fn file_record(abs: &Path, hash: Digest) -> Option<FileRecord> {
    stat(abs).map(|(size, mtime_ns)| FileRecord {
        size,
        mtime_ns,
        hash,
    })
}

/// "Is the file at this destination-relative path the one with this hash?", as the plan asks
/// it. Implemented on disk by [`DiskFiles`]; tests answer it from memory. The plan asks from
/// several threads at once.
pub trait FileCheck: Sync {
    /// True when `rel` holds exactly the bytes that hash to `hash`.
    fn is_fresh(&self, rel: &str, hash: &Digest) -> bool;

    /// The entry a shared store holds for the cache key `key` (encoded by another site, another
    /// checkout or a shard job), if any. By default there is no store.
    fn stored_entry(&self, _key: &str) -> Option<Entry> {
        None
    }

    /// True when a shared store holds bytes that hash to `hash` (checked, not assumed), so a
    /// missing variant can be copied instead of encoded.
    fn stored(&self, _hash: &Digest) -> bool {
        false
    }
}

/// [`FileCheck`] against the files under a destination root, with the manifest's records as a
/// stat fast path. A file whose stat changed but whose bytes still match is remembered, so the
/// caller can refresh its record ([`DiskFiles::rehashed`]).
pub struct DiskFiles<'a> {
    root: &'a Path,
    records: &'a BTreeMap<String, FileRecord>,
    rehashed: Mutex<Vec<(String, FileRecord)>>,
}

impl<'a> DiskFiles<'a> {
    /// Check files under `root` against `records`.
    pub fn new(root: &'a Path, records: &'a BTreeMap<String, FileRecord>) -> Self {
        DiskFiles {
            root,
            records,
            rehashed: Mutex::new(Vec::new()),
        }
    }

    /// Files whose stat changed but whose bytes matched, with their new records.
    pub fn rehashed(self) -> Vec<(String, FileRecord)> {
        self.rehashed
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
    }
}

impl FileCheck for DiskFiles<'_> {
    fn is_fresh(&self, rel: &str, hash: &Digest) -> bool {
        let abs = paths::abs(self.root, rel);
        // One lstat: a regular file's own size and mtime (a symlink is never fresh).
        let meta = std::fs::symlink_metadata(&abs).ok().filter(|m| m.is_file());
        let Some((size, mtime_ns)) = meta.as_ref().and_then(stat_of) else {
            return false;
        };
        if let Some(rec) = self.records.get(rel) {
            if rec.size == size && rec.mtime_ns == mtime_ns && rec.hash == *hash {
                return true;
            }
        }
        match std::fs::read(&abs) {
            Ok(bytes) if Digest::of(&bytes) == *hash => {
                let rec = FileRecord {
                    size,
                    mtime_ns,
                    hash: *hash,
                };
                self.rehashed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((rel.to_string(), rec));
                true
            }
            _ => false,
        }
    }
}

/// Why a manifest on disk was not used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestProblem {
    /// It could not be read.
    #[error("{path}: {source}")]
    Unreadable {
        /// The manifest file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another schema version wrote it.
    #[error("{path}: manifest version {found} (expected {MANIFEST_VERSION}); rebuilding it")]
    Version {
        /// The manifest file.
        path: PathBuf,
        /// The version it says.
        found: u32,
    },
    /// It does not parse.
    #[error("{path}: corrupt manifest ({reason}); rebuilding it")]
    Corrupt {
        /// The manifest file.
        path: PathBuf,
        /// The parser's words.
        reason: String,
    },
}

/// Where the manifest of a cache folder lives.
pub fn manifest_path(cache_dir: &Path) -> PathBuf {
    cache_dir.join(MANIFEST_NAME)
}

/// Load the manifest. A missing one is empty; a corrupt or foreign one is empty too, with the
/// reason returned so the caller can report it.
pub fn load(cache_dir: &Path) -> (Manifest, Option<ManifestProblem>) {
    let path = manifest_path(cache_dir);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Manifest::default(), None),
        Err(source) => {
            return (
                Manifest::default(),
                Some(ManifestProblem::Unreadable { path, source }),
            )
        }
    };
    let problem = match serde_json::from_slice::<Manifest>(&bytes) {
        Ok(m) if m.version == MANIFEST_VERSION => return (m, None),
        Ok(m) => ManifestProblem::Version {
            path,
            found: m.version,
        },
        Err(e) => ManifestProblem::Corrupt {
            path,
            reason: e.to_string(),
        },
    };
    (Manifest::default(), Some(problem))
}

/// Save the manifest atomically (sorted keys, so unchanged content gives identical bytes) into
/// `cache_dir`, which must be a real folder under `root` (see [`crate::write::checked_folder`]).
/// Does nothing when the file already holds exactly these bytes.
pub fn save(root: &Path, cache_dir: &Path, manifest: &Manifest) -> Result<bool> {
    let path = manifest_path(cache_dir);
    // Serialised as it is (no copy of the whole manifest), with the version stamped on.
    let stamped;
    let m = if manifest.version == MANIFEST_VERSION {
        manifest
    } else {
        stamped = Manifest {
            version: MANIFEST_VERSION,
            ..manifest.clone()
        };
        &stamped
    };
    if file_holds(&path, m) {
        return Ok(false);
    }
    // Streamed into the temp file: the JSON of a large site's manifest is megabytes (6 MB at
    // 4,000 images), and held whole it was the largest block of a cold build's peak.
    crate::write::write_atomic_with(root, &path, None, &mut |f| {
        use std::io::Write;
        let mut out = std::io::BufWriter::with_capacity(64 << 10, f);
        serde_json::to_writer_pretty(&mut out, m)?;
        out.write_all(b"\n")?;
        out.flush()
    })?;
    Ok(true)
}

/// True when the file at `path` holds exactly the manifest's JSON: serialised straight into a
/// comparison with the file, read a block at a time, so an unchanged manifest (a no-op run) is
/// never held as a second copy in memory (the manifest of a large site is megabytes).
fn file_holds(path: &Path, manifest: &Manifest) -> bool {
    use std::io::Write;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(len) = f.metadata().map(|m| m.len()) else {
        return false;
    };
    let mut same = SameAs {
        file: std::io::BufReader::with_capacity(64 << 10, f),
        read: 0,
        block: Vec::new(),
    };
    // Compared a block at a time, not one JSON token at a time.
    let mut blocks = std::io::BufWriter::with_capacity(64 << 10, &mut same);
    let serialised = serde_json::to_writer_pretty(&mut blocks, manifest).is_ok()
        && blocks.write_all(b"\n").is_ok()
        && blocks.flush().is_ok();
    drop(blocks);
    serialised && same.read == len
}

/// A writer that compares what is written with a file's bytes and fails at the first
/// difference (or past the file's end).
struct SameAs {
    file: std::io::BufReader<std::fs::File>,
    /// Bytes compared equal so far.
    read: u64,
    block: Vec<u8>,
}

impl std::io::Write for SameAs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use std::io::Read;
        self.block.resize(buf.len(), 0);
        self.file.read_exact(&mut self.block)?;
        if self.block != buf {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        self.read += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A digest is stored as the same 64 hex digits a `String` held before, so old manifests
    /// load and new ones read the same; anything else is refused, not trusted.
    #[test]
    fn a_digest_reads_and_writes_as_its_hex_digits() {
        let d = Digest::of(b"variant bytes");
        let hex = blake3::hash(b"variant bytes").to_hex().to_string();
        assert_eq!(&*d.hex(), hex);
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{hex}\""));
        let back: Digest = serde_json::from_str(&format!("\"{hex}\"")).unwrap();
        assert_eq!(back, d);
        assert_eq!(Digest::parse(&hex.to_uppercase()), Some(d));
        for bad in [
            "",
            "abc",
            &hex[..63],
            &format!("{hex}0"),
            &hex.replace('a', "g"),
        ] {
            assert_eq!(Digest::parse(bad), None, "{bad:?}");
            assert!(serde_json::from_str::<Digest>(&format!("{bad:?}")).is_err());
        }
    }

    /// Keys are made from the source digest's hex digits, exactly as when the digest was a
    /// `String`: a cache (and a shared store) filled by an older build still matches.
    #[test]
    fn the_entry_key_of_a_digest_is_the_key_of_its_hex_digits() {
        let d = Digest::of(b"source");
        let mut old = blake3::Hasher::new();
        old.update(d.hex().as_bytes());
        old.update(b"\0");
        old.update(b"q80");
        old.update(b"\0");
        old.update(codec_versions().as_bytes());
        assert_eq!(entry_key(&d, "q80"), old.finalize().to_hex().to_string());
    }

    /// The key names the versions that were really compiled: every decoder, colour, resize and
    /// encoder crate of Cargo.lock, not a hand-kept list.
    #[test]
    fn codec_versions_come_from_the_lock_file() {
        let v = codec_versions();
        let lock = include_str!("../Cargo.lock");
        for krate in [
            "image",
            "png",
            "gif",
            "zune-jpeg",
            "moxcms",
            "fast_image_resize",
        ] {
            let at = lock
                .find(&format!("name = \"{krate}\"\nversion = \""))
                .unwrap_or_else(|| panic!("{krate} is in Cargo.lock"));
            let version = lock[at..].lines().nth(1).unwrap();
            let version = version.trim_start_matches("version = ").trim_matches('"');
            assert!(
                v.contains(&format!("{krate} {version}")),
                "{krate} {version} in {v}"
            );
        }
        for krate in ["oxipng", "jpeg-encoder", "libwebp-sys", "libdeflate-sys"] {
            assert!(v.contains(&format!("{krate} ")), "{krate} in {v}");
        }
        assert!(!v.contains("unlocked"), "{v}");
    }

    #[test]
    fn key_changes_with_content_and_settings() {
        let (h1, h2) = (Digest::of(b"h1"), Digest::of(b"h2"));
        let a = entry_key(&h1, "q80");
        assert_eq!(a, entry_key(&h1, "q80"));
        assert_ne!(a, entry_key(&h2, "q80"));
        assert_ne!(a, entry_key(&h1, "q81"));
    }

    #[test]
    fn corrupt_manifest_is_rebuilt_not_trusted() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(manifest_path(d.path()), b"{\"version\":1,\"sources\":{").unwrap();
        let (m, why) = load(d.path());
        assert_eq!(m, Manifest::default());
        assert!(why.unwrap().to_string().contains("corrupt manifest"));
    }

    #[test]
    fn save_is_a_no_op_when_nothing_changed() {
        let d = tempfile::tempdir().unwrap();
        let mut m = Manifest::default();
        assert!(save(d.path(), d.path(), &m).unwrap());
        assert!(!save(d.path(), d.path(), &m).unwrap());
        // Any difference is written: a changed byte, a longer manifest, a shorter one, a file
        // with more after the same bytes.
        m.mirrored.insert("a".into());
        assert!(save(d.path(), d.path(), &m).unwrap());
        assert!(!save(d.path(), d.path(), &m).unwrap());
        m.mirrored.insert("b".into());
        assert!(save(d.path(), d.path(), &m).unwrap());
        m.mirrored.remove("b");
        assert!(save(d.path(), d.path(), &m).unwrap());
        let path = manifest_path(d.path());
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b" ");
        std::fs::write(&path, &bytes).unwrap();
        assert!(
            save(d.path(), d.path(), &m).unwrap(),
            "trailing bytes are a difference"
        );
        assert!(!save(d.path(), d.path(), &m).unwrap());
        let (back, why) = load(d.path());
        assert!(why.is_none());
        assert_eq!(back.version, MANIFEST_VERSION);
    }
}

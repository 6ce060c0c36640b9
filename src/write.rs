//! Write: every file postpix creates or replaces goes through here, atomically.
//!
//! A write is a fresh temp file in the destination folder (created with `O_EXCL`, so a planted
//! symlink or hard link at the temp path is never followed), then fsync, then rename over the
//! final name (which replaces a symlink or hard link there instead of writing through it), then
//! an fsync of the folder. A kill at any moment leaves the old file or the new one, never a mix.
//! Also here: the clean-up of stale temp files, the deletion of pruned variants and the run lock.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Marker in the names of temp files, so that a later run can recognise and remove its leftovers.
pub const TEMP_MARK: &str = ".postpix-tmp-";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Test hook for crash-injection tests: when `POSTPIX_CRASH_AFTER_WRITES=N` is set, the process
/// aborts right after the N-th temp file is written (before its rename), as a `kill -9` would.
fn crash_point() {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    if let Ok(v) = std::env::var("POSTPIX_CRASH_AFTER_WRITES") {
        if let Ok(n) = v.parse::<u64>() {
            if WRITES.fetch_add(1, Ordering::SeqCst) + 1 == n {
                std::process::abort();
            }
        }
    }
}

/// Replace `path` with `bytes` atomically. `mode` (Unix permission bits) is applied to the new
/// file; without it new files get 0644 so that a web server can read them.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::UnsafeWrite {
            path: path.to_path_buf(),
            reason: "no parent folder".into(),
        })?
        .to_path_buf();
    if let Ok(m) = fs::symlink_metadata(path) {
        if m.is_dir() {
            return Err(Error::UnsafeWrite {
                path: path.to_path_buf(),
                reason: "a folder has that name".into(),
            });
        }
    }
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // O_EXCL never follows a link planted at the temp name; on a clash, take the next name.
    let mut attempt = 0;
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(
            ".{name}{TEMP_MARK}{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                attempt += 1;
            }
            Err(e) => return Err(Error::io(path, e)),
        }
    };
    let result = (|| -> std::io::Result<()> {
        f.write_all(bytes)?;
        set_mode(&f, mode.unwrap_or(0o644))?;
        f.sync_all()?;
        drop(f);
        crash_point();
        fs::rename(&tmp, path)?;
        // The rename is durable only once the folder entry is.
        File::open(&dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(f: &File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_f: &File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Unix permission bits of an existing file.
pub fn mode_of(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Remove temp files a killed run left in `dir`. Returns how many were removed.
pub fn clean_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(TEMP_MARK) {
            let removable = e
                .file_type()
                .is_ok_and(|ft| ft.is_file() || ft.is_symlink());
            if removable && fs::remove_file(e.path()).is_ok() {
                n += 1;
            }
        }
    }
    n
}

/// Delete a file postpix wrote earlier. A missing file is fine; a folder is never removed.
pub fn remove_output(path: &Path) -> Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::UnsafeWrite {
            path: path.to_path_buf(),
            reason: "expected a variant file, found a folder; left alone".into(),
        }),
        Ok(_) => fs::remove_file(path)
            .map(|_| true)
            .map_err(|e| Error::io(path, e)),
        Err(_) => Ok(false),
    }
}

/// An exclusive lock on a site, held for the life of the value.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Take the lock file `path`, or fail with [`Error::Locked`] if a live run holds it.
    ///
    /// A lock left by a process that no longer exists is taken over.
    pub fn acquire(path: &Path) -> Result<Lock> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Lock {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(path)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok());
                    let alive =
                        holder.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
                    if alive || !Path::new("/proc/self").exists() {
                        return Err(Error::Locked {
                            path: path.to_path_buf(),
                        });
                    }
                    let _ = fs::remove_file(path);
                }
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        Err(Error::Locked {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        write_atomic(&p, b"one", None).unwrap();
        write_atomic(&p, b"two", None).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn never_writes_through_a_planted_symlink_or_hard_link() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim.txt");
        fs::write(&victim, b"precious").unwrap();
        let link = d.path().join("variant.webp");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        write_atomic(&link, b"new", None).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let hard = d.path().join("hard.webp");
        fs::hard_link(&victim, &hard).unwrap();
        write_atomic(&hard, b"new", None).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert_eq!(fs::read(&hard).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[cfg(unix)]
    #[test]
    fn never_writes_through_links_planted_at_temp_names() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim.txt");
        fs::write(&victim, b"precious").unwrap();
        let next = COUNTER.load(Ordering::SeqCst);
        for c in next..next + 8 {
            let planted = d
                .path()
                .join(format!(".v.webp{TEMP_MARK}{}-{c}", std::process::id()));
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }
        let target = d.path().join("v.webp");
        write_atomic(&target, b"new", None).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn keeps_the_requested_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("post.md");
        write_atomic(&p, b"x", Some(0o600)).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        write_atomic(&p, b"y", None).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn refuses_to_replace_a_folder() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("x.webp")).unwrap();
        assert!(write_atomic(&d.path().join("x.webp"), b"z", None).is_err());
    }

    #[test]
    fn cleans_stale_temps_only() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join(format!(".a.webp{TEMP_MARK}1-2")), b"").unwrap();
        fs::write(d.path().join("keep.webp"), b"").unwrap();
        assert_eq!(clean_stale_temps(d.path()), 1);
        assert!(d.path().join("keep.webp").exists());
    }

    #[test]
    fn second_lock_is_refused_until_the_first_is_dropped() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lock");
        let l = Lock::acquire(&p).unwrap();
        assert!(matches!(Lock::acquire(&p), Err(Error::Locked { .. })));
        drop(l);
        let _again = Lock::acquire(&p).unwrap();
    }

    #[test]
    fn a_dead_holder_lock_is_taken_over() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lock");
        fs::write(&p, "999999999\n").unwrap();
        assert!(Lock::acquire(&p).is_ok());
    }
}

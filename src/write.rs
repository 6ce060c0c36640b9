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
use std::sync::{Arc, Mutex, Weak};

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

/// Check that every folder between `root` and the file `path` is a real folder inside `root`
/// (not a symlink, not a file, no `..`), creating the missing ones when `create` is set.
/// `root` itself is the user's choice and may be anything. Returns the file's folder.
///
/// This is what keeps a planted `postimg/responsive -> ../../outside` from receiving the
/// variants: a write or a deletion under such a folder is refused with
/// [`Error::UnsafeWrite`] naming the link.
pub fn checked_folder(root: &Path, path: &Path, create: bool) -> Result<PathBuf> {
    let unsafe_write = |p: &Path, reason: String| Error::UnsafeWrite {
        path: p.to_path_buf(),
        reason,
    };
    let rel = path.strip_prefix(root).map_err(|_| {
        unsafe_write(
            path,
            format!("not inside the destination {}", root.display()),
        )
    })?;
    let parts: Vec<_> = rel.components().collect();
    let Some((_, folders)) = parts.split_last() else {
        return Err(unsafe_write(path, "no file name".into()));
    };
    if create && fs::symlink_metadata(root).is_err() {
        fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    }
    let mut dir = root.to_path_buf();
    for c in folders {
        let std::path::Component::Normal(name) = c else {
            return Err(unsafe_write(path, "the path leaves the destination".into()));
        };
        dir.push(name);
        let mut tries = 0;
        loop {
            match fs::symlink_metadata(&dir) {
                Ok(m) if m.is_dir() => break,
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(unsafe_write(
                        &dir,
                        format!(
                            "this folder is a symlink; postpix writes only into real folders inside {} (replace the link with a folder)",
                            root.display()
                        ),
                    ))
                }
                Ok(_) => return Err(unsafe_write(&dir, "a file has the name of a folder to write into".into())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && create && tries < 4 => {
                    tries += 1;
                    match fs::create_dir(&dir) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                        Err(e) => return Err(Error::io(&dir, e)),
                    }
                }
                Err(e) => return Err(Error::io(&dir, e)),
            }
        }
    }
    Ok(dir)
}

/// Replace `path` (a file under the destination `root`) with `bytes` atomically. Every folder
/// between `root` and the file must be a real folder (see [`checked_folder`]). `mode` (Unix
/// permission bits) is applied to the new file; without it new files get 0644 so that a web
/// server can read them.
pub fn write_atomic(root: &Path, path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    stage(root, path, bytes, mode)?.commit()
}

/// [`write_atomic`] of bytes that `fill` writes into the temp file as it makes them, so a large
/// file (the manifest of a large site) is never held whole in memory.
pub fn write_atomic_with(
    root: &Path,
    path: &Path,
    mode: Option<u32>,
    fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let staged = stage_filled(root, path, fill, mode, true)?;
    crash_point();
    staged.commit()
}

/// New bytes for a destination file, written and synced under a temporary name beside it but
/// not yet in place: the slow part of a write, done before the last-moment checks so that the
/// window between check and rename is one read and one rename. Dropped uncommitted, the
/// temporary file is removed.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    dir: PathBuf,
    path: PathBuf,
    done: bool,
}

/// Write `bytes` under a temporary name beside `path` (see [`write_atomic`] for the rules).
pub fn stage(root: &Path, path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<Staged> {
    let staged = stage_with(root, path, bytes, mode, true)?;
    crash_point();
    Ok(staged)
}

/// Like [`write_atomic`] (a temp file beside `path`, then a rename) but without the fsyncs and
/// without the crash hook: for the cache's store, whose every read is checked, so a file a
/// crash tore is a miss, never a wrong answer, and two fsyncs per file would double the
/// waiting of a cold build.
pub fn write_unsynced(root: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let mut staged = stage_with(root, path, bytes, None, false)?;
    fs::rename(&staged.tmp, &staged.path).map_err(|e| Error::io(&staged.path, e))?;
    staged.done = true;
    Ok(())
}

/// Create `path` (under `root`) holding `bytes`, unless something is there already (then
/// `Ok(false)`), without a temp file and without fsyncs: for the cache's store, where a reader
/// checks what it reads, so a file a crash or a concurrent writer left short is a miss (and is
/// replaced through [`write_unsynced`]), and where no temp file may be left behind by a kill.
pub fn write_new_unsynced(root: &Path, path: &Path, bytes: &[u8]) -> Result<bool> {
    checked_folder(root, path, true)?;
    let mut f = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(Error::io(path, e)),
    };
    f.write_all(bytes)
        .and_then(|()| set_mode(&f, 0o644))
        .map_err(|e| Error::io(path, e))?;
    Ok(true)
}

/// Put a hard link to the complete file `file` at `path` (under `root`, replacing what is
/// there) through a temp name and a rename; where the file system cannot link (another
/// device), a copy ([`write_unsynced`]).
pub fn link_or_copy(root: &Path, file: &Path, path: &Path) -> Result<()> {
    let dir = checked_folder(root, path, true)?;
    match fs::hard_link(file, path) {
        Ok(()) => return Ok(()),
        // Something else is there (a torn copy): replace it below, atomically.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(_) => {
            let bytes = fs::read(file).map_err(|e| Error::io(file, e))?;
            return write_unsynced(root, path, &bytes);
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}{TEMP_MARK}{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    if fs::hard_link(file, &tmp).is_ok() {
        return match fs::rename(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(Error::io(path, e))
            }
        };
    }
    let bytes = fs::read(file).map_err(|e| Error::io(file, e))?;
    write_unsynced(root, path, &bytes)
}

fn stage_with(
    root: &Path,
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    sync: bool,
) -> Result<Staged> {
    stage_filled(root, path, &mut |f| f.write_all(bytes), mode, sync)
}

fn stage_filled(
    root: &Path,
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    mode: Option<u32>,
    sync: bool,
) -> Result<Staged> {
    if let Ok(m) = fs::symlink_metadata(path) {
        if m.is_dir() {
            return Err(Error::UnsafeWrite {
                path: path.to_path_buf(),
                reason: "a folder has that name".into(),
            });
        }
    }
    let dir = checked_folder(root, path, true)?;
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
    let staged = Staged {
        tmp,
        dir,
        path: path.to_path_buf(),
        done: false,
    };
    let written = (|| -> std::io::Result<()> {
        fill(&mut f)?;
        set_mode(&f, mode.unwrap_or(0o644))?;
        if sync {
            f.sync_all()?;
        }
        Ok(())
    })();
    written.map_err(|e| Error::io(path, e))?;
    Ok(staged)
}

impl Staged {
    /// Put the new bytes in place.
    pub fn commit(mut self) -> Result<()> {
        fs::rename(&self.tmp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        self.done = true;
        self.sync_dir()
    }

    /// Put the new bytes in place only if `guard` (the author's file) still holds `expected`;
    /// otherwise [`Error::ChangedDuringRun`] and the author's file stays. When the destination
    /// is the guard itself, the rename is an atomic exchange (Linux `RENAME_EXCHANGE`) and the
    /// file it displaced is compared too: an edit that lands between the check and the rename
    /// is swapped back instead of overwritten.
    pub fn commit_if_unchanged(self, guard: &Path, expected: &[u8]) -> Result<()> {
        let changed = || Error::ChangedDuringRun {
            path: guard.to_path_buf(),
        };
        if !holds(guard, expected) {
            return Err(changed());
        }
        race_point();
        if guard != self.path {
            return self.commit();
        }
        match exchange(&self.tmp, &self.path) {
            Ok(true) => {}
            Ok(false) => return self.commit(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(changed()),
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        // `tmp` now holds what was in place a moment ago.
        if holds(&self.tmp, expected) {
            self.sync_dir()?;
            return Ok(()); // Drop removes the displaced old file.
        }
        match exchange(&self.tmp, &self.path) {
            Ok(_) => Err(changed()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }

    fn sync_dir(&self) -> Result<()> {
        // The rename is durable only once the folder entry is.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(&self.path, e))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// True when the file at `path` holds exactly `expected`.
fn holds(path: &Path, expected: &[u8]) -> bool {
    fs::read(path).is_ok_and(|now| now == expected)
}

/// Swap two directory entries atomically. `Ok(false)`: this file system or OS cannot, and
/// nothing was done.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths for the duration of the call; renameat2 only
    // reads them.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// Test hook for the edit-race test: when `POSTPIX_TEST_RACE=FILE` is set, a post write pauses
/// between its last check and its rename, creates FILE and waits (up to a minute) until it is
/// deleted, so the test can save the post exactly inside the window.
fn race_point() {
    if let Some(marker) = std::env::var_os("POSTPIX_TEST_RACE") {
        wait_on(&PathBuf::from(marker));
    }
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

/// Remove temp files a killed run left in `dir` (a folder under the destination `root`; left
/// alone when it is reached through a symlink). Returns how many were removed.
pub fn clean_stale_temps(root: &Path, dir: &Path) -> usize {
    remove_temps_where(root, dir, |name, ft| {
        name.starts_with('.') && name.contains(TEMP_MARK) && (ft.is_file() || ft.is_symlink())
    })
}

/// Remove the temp files in `dir` (under `root`) whose writer is gone: a folder other runs may
/// be writing into at the same moment (the cache's store) loses only the temps of processes
/// that no longer exist (the process id is in the temp's name). Returns how many were removed.
pub fn clean_orphan_temps(root: &Path, dir: &Path) -> usize {
    remove_temps_where(root, dir, |name, ft| {
        let pid = name
            .split_once(TEMP_MARK)
            .and_then(|(_, tail)| tail.split('-').next())
            .and_then(|p| p.parse::<u32>().ok());
        ft.is_file() && pid.is_some_and(|p| !process_alive(p))
    })
}

/// Remove the entries of `dir` (a folder under `root`, not reached through a symlink) that
/// `doomed` picks by name and type. Returns how many were removed.
fn remove_temps_where(
    root: &Path,
    dir: &Path,
    doomed: impl Fn(&str, fs::FileType) -> bool,
) -> usize {
    if checked_folder(root, &dir.join("x"), false).is_err() {
        return 0;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(ft) = e.file_type() else {
            continue;
        };
        if doomed(&name, ft) && fs::remove_file(e.path()).is_ok() {
            n += 1;
        }
    }
    n
}

/// True unless the process `pid` certainly does not exist on this machine.
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // SAFETY: signal 0 sends nothing; kill only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// Delete a file postpix wrote earlier under the destination `root`. A missing file is fine; a
/// folder is never removed, nor anything reached through a symlinked folder.
pub fn remove_output(root: &Path, path: &Path) -> Result<bool> {
    match checked_folder(root, path, false) {
        Ok(_) => {}
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(false)
        }
        Err(e) => return Err(e),
    }
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

/// Test hook for the lock tests: when `POSTPIX_TEST_HOLD_LOCK=FILE` is set, a process that has
/// just taken a lock creates FILE and waits (up to a minute) until it is deleted, so a test can
/// start a second run while the first one certainly holds the lock.
fn hold_point() {
    if let Some(marker) = std::env::var_os("POSTPIX_TEST_HOLD_LOCK") {
        wait_on(&PathBuf::from(marker));
    }
}

/// Test hook for the shared-store tests: when `POSTPIX_TEST_HOLD_STORE=FILE` is set, the first
/// job of this process to keep its results in the cache's store creates FILE and waits (up to a
/// minute) until it is deleted, so a test can run a whole second build on the same cache folder
/// while this one is in the middle of its store writes.
pub fn store_point() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if let Some(marker) = std::env::var_os("POSTPIX_TEST_HOLD_STORE") {
        ONCE.call_once(|| wait_on(&PathBuf::from(marker)));
    }
}

/// Create `marker` and wait (up to a minute) until someone deletes it.
fn wait_on(marker: &Path) {
    if fs::write(marker, b"").is_ok() {
        for _ in 0..6000 {
            if !marker.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Locks this process holds, by folder, so that a command holding a site's lock for its whole
/// life (`watch`) can run passes that take it again.
static HELD: Mutex<Vec<(PathBuf, Weak<File>)>> = Mutex::new(Vec::new());

/// An exclusive lock on one or more folders (the site, and `--out`), held for the life of the
/// value. It is an OS file lock (`flock`) on the folder itself: taken atomically, released by
/// the kernel when its holder exits however it exits, and independent of where the cache is.
#[derive(Debug)]
pub struct Lock {
    _held: Vec<Arc<File>>,
}

impl Lock {
    /// Lock every folder of `folders`, or fail with [`Error::Locked`] naming the first one
    /// another process holds. Taking a lock this process already holds succeeds.
    pub fn acquire(folders: &[&Path]) -> Result<Lock> {
        let mut held = Vec::new();
        let mut table = HELD.lock().unwrap_or_else(|p| p.into_inner());
        table.retain(|(_, w)| w.strong_count() > 0);
        for dir in folders {
            fs::create_dir_all(dir).map_err(|e| Error::io(*dir, e))?;
            let key = fs::canonicalize(dir).map_err(|e| Error::io(*dir, e))?;
            if let Some(f) = table
                .iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, w)| w.upgrade())
            {
                held.push(f);
                continue;
            }
            let f = File::open(&key).map_err(|e| Error::io(&key, e))?;
            match f.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path: dir.to_path_buf(),
                    })
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&key, e)),
            }
            let f = Arc::new(f);
            table.push((key, Arc::downgrade(&f)));
            held.push(f);
        }
        drop(table);
        hold_point();
        Ok(Lock { _held: held })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_temps_of_gone_processes_are_orphans() {
        let d = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        let gone = d.path().join(format!(".x{TEMP_MARK}{}-0", child.id()));
        let live = d
            .path()
            .join(format!(".y{TEMP_MARK}{}-0", std::process::id()));
        fs::write(&gone, b"short").unwrap();
        fs::write(&live, b"being written").unwrap();
        assert_eq!(clean_orphan_temps(d.path(), d.path()), 1);
        assert!(!gone.exists() && live.exists());
    }

    #[test]
    fn a_new_file_is_created_once_in_place() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a/b.json");
        assert!(write_new_unsynced(d.path(), &p, b"one").unwrap());
        assert!(!write_new_unsynced(d.path(), &p, b"two").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_unsynced(d.path(), &p, b"three").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        let names: Vec<_> = fs::read_dir(d.path().join("a")).unwrap().collect();
        assert_eq!(names.len(), 1, "no temp left");
    }

    #[test]
    fn replaces_content_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        write_atomic(d.path(), &p, b"one", None).unwrap();
        write_atomic(d.path(), &p, b"two", None).unwrap();
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
        write_atomic(d.path(), &link, b"new", None).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let hard = d.path().join("hard.webp");
        fs::hard_link(&victim, &hard).unwrap();
        write_atomic(d.path(), &hard, b"new", None).unwrap();
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
        write_atomic(d.path(), &target, b"new", None).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn keeps_the_requested_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("post.md");
        write_atomic(d.path(), &p, b"x", Some(0o600)).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        write_atomic(d.path(), &p, b"y", None).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn refuses_to_replace_a_folder() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("x.webp")).unwrap();
        assert!(write_atomic(d.path(), &d.path().join("x.webp"), b"z", None).is_err());
    }

    #[test]
    fn cleans_stale_temps_only() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join(format!(".a.webp{TEMP_MARK}1-2")), b"").unwrap();
        fs::write(d.path().join("keep.webp"), b"").unwrap();
        assert_eq!(clean_stale_temps(d.path(), d.path()), 1);
        assert!(d.path().join("keep.webp").exists());
    }

    #[test]
    fn a_folder_another_holder_locked_is_refused_until_released() {
        let d = tempfile::tempdir().unwrap();
        // Another open file description stands for another process.
        let other = File::open(d.path()).unwrap();
        other.lock().unwrap();
        assert!(matches!(
            Lock::acquire(&[d.path()]),
            Err(Error::Locked { .. })
        ));
        drop(other);
        let l = Lock::acquire(&[d.path()]).unwrap();
        // Taken again by the same process (watch's passes): fine.
        let again = Lock::acquire(&[d.path()]).unwrap();
        drop(l);
        let third = File::open(d.path()).unwrap();
        assert!(third.try_lock().is_err(), "still held by `again`");
        drop(again);
        assert!(third.try_lock().is_ok());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0, "no lock file");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_to_write_or_delete_through_a_symlinked_folder() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("site");
        let outside = d.path().join("outside");
        fs::create_dir_all(root.join("postimg")).unwrap();
        fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink("../../outside", root.join("postimg/responsive")).unwrap();
        let target = root.join("postimg/responsive/a.webp");
        let e = write_atomic(&root, &target, b"x", None).unwrap_err();
        assert!(
            matches!(&e, Error::UnsafeWrite { path, .. } if path.ends_with("postimg/responsive")),
            "{e}"
        );
        fs::write(outside.join("a.webp"), b"keep").unwrap();
        assert!(remove_output(&root, &target).is_err());
        fs::write(outside.join(format!(".a.webp{TEMP_MARK}1-2")), b"").unwrap();
        assert_eq!(
            clean_stale_temps(&root, &root.join("postimg/responsive")),
            0
        );
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 2);
        // A missing folder is created, for real.
        write_atomic(&root, &root.join("img/new/b.webp"), b"y", None).unwrap();
        assert!(fs::symlink_metadata(root.join("img/new")).unwrap().is_dir());
        // A path outside the root, or with `..`, is refused.
        assert!(write_atomic(&root, &d.path().join("x"), b"z", None).is_err());
        assert!(write_atomic(&root, &root.join("img/../../x"), b"z", None).is_err());
    }
}

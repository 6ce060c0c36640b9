//! Memory: how much one image may cost while it is in flight, the budget that keeps the sum of
//! those costs bounded, and how the process asks its allocator for pixels, so peak memory follows
//! the images in flight and not the number of images a run has seen or the number of cores.
//!
//! In: an image's size on disk and its canvas. Out: estimates, a [`Budget`] that the survey's
//! reads and the encoder's tasks both wait on, and one setting of glibc's malloc, made once at
//! the start of the binary.
//!
//! glibc serves a block above its mmap threshold from a fresh mapping and gives it back to the
//! OS on free; below it, from a heap arena that rarely shrinks. The threshold starts at
//! 128 KiB but slides up to the size of every mapped block freed (up to 32 MiB), so after the
//! first image every decoded canvas, resize buffer and encoded output lands in the arenas, where
//! the small records that outlive each image (manifest entries, reports) pin the space between
//! them: a cold build of 4,000 small JPEGs peaked at 178 MB, the same build with the threshold
//! fixed at 57 MB, the live heap being about 31 MB (heaptrack). Fixing the threshold costs a few
//! page faults per image (measured in the README's Performance section).

use std::sync::{Condvar, Mutex};

/// Working memory beyond the canvases and the file: encoder tables, the output being built.
const ENCODE_OVERHEAD: u64 = 8 << 20;

/// Bytes one image may need while it is read, decoded, resized and encoded: the file's bytes
/// (held for the whole task: decoders and metadata copies read from them), the decoded canvas as
/// RGBA, a converted copy and the encoders' working buffers, about three canvases.
pub fn encode_estimate(width: u32, height: u32, file_bytes: u64) -> u64 {
    let canvas = u64::from(width) * u64::from(height) * 4;
    canvas
        .saturating_mul(3)
        .saturating_add(file_bytes)
        .saturating_add(ENCODE_OVERHEAD)
}

/// Bytes the survey may need to hash and probe one file: the file itself, held whole, plus what
/// the header probe may allocate (its metadata inflation is capped at `probe_cap`).
pub fn survey_estimate(file_bytes: u64, probe_cap: u64) -> u64 {
    file_bytes.saturating_add(probe_cap)
}

/// A memory budget shared by whoever starts work and the work itself: [`Budget::take`] waits
/// until a task's estimate fits, so peak memory follows the sizes in flight, not the number of
/// threads. A task larger than the whole budget runs alone.
#[derive(Debug)]
pub struct Budget {
    total: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// A share of a [`Budget`], given back when dropped (also when the task panics or fails).
#[derive(Debug)]
pub struct Held<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    /// A budget of `total` bytes (at least one).
    pub fn new(total: u64) -> Self {
        Budget {
            total: total.max(1),
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Wait for room for `want` bytes (capped at the whole budget) and hold them.
    pub fn take(&self, want: u64) -> Held<'_> {
        let want = want.min(self.total);
        // A poisoned lock only means a holder panicked; the count is still right.
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        while *used + want > self.total {
            used = self.freed.wait(used).unwrap_or_else(|p| p.into_inner());
        }
        *used += want;
        Held {
            budget: self,
            bytes: want,
        }
    }

    /// Bytes held right now.
    pub fn in_use(&self) -> u64 {
        *self.used.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|p| p.into_inner());
        *used = used.saturating_sub(self.bytes);
        self.budget.freed.notify_all();
    }
}

/// Blocks at least this large come from their own mapping and go back to the OS when freed.
/// glibc's own starting value, kept fixed instead of sliding.
pub const MMAP_THRESHOLD: usize = 128 << 10;

/// Heap arenas glibc may keep: one, shared by every thread. Each arena keeps its own free
/// space and its own share of the records that outlive an image, so with one per encoder thread
/// a cold build of 4,000 small JPEGs peaked at 62 MB, with one at 47 MB (`-j 2`; the threads'
/// small blocks still come from their own caches, without the arena's lock).
pub const ARENAS: i32 = 1;

/// Fix glibc's mmap threshold at [`MMAP_THRESHOLD`] and its arenas at [`ARENAS`] (see the
/// module doc). Does nothing on other C libraries, whose allocators do not slide. Call once,
/// before any thread starts.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a setting of the allocator; called before other threads
    // exist. A refusal (0) leaves the default in place, which is still correct.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}

/// Give the pages of the heap's free space back to the OS (glibc's `malloc_trim`), also those
/// between blocks still in use: the holes the images in flight leave between the small records
/// that outlive them, which the arenas otherwise keep for good. Does nothing on other C
/// libraries. Costs one walk of the free lists; the build calls it every
/// [`TRIM_EVERY`] images.
pub fn release_free_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages; it locks each arena while it walks it.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Images encoded between two [`release_free_pages`].
pub const TRIM_EVERY: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_counts_in_the_estimate() {
        let pixels_only = encode_estimate(1, 1, 0);
        assert_eq!(encode_estimate(1, 1, 60 << 20), pixels_only + (60 << 20));
        assert_eq!(encode_estimate(u32::MAX, u32::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn holders_wait_until_their_share_fits_and_a_giant_runs_alone() {
        let budget = Budget::new(100);
        let a = budget.take(60);
        assert_eq!(budget.in_use(), 60);
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let _b = budget.take(60);
                budget.in_use()
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!waiter.is_finished(), "60 + 60 > 100 must wait");
            drop(a);
            assert_eq!(waiter.join().unwrap(), 60);
        });
        let giant = budget.take(1 << 40);
        assert_eq!(budget.in_use(), 100);
        drop(giant);
        assert_eq!(budget.in_use(), 0);
    }
}

//! Memory: how the process asks its allocator for pixels, so peak memory follows the images in
//! flight and not the number of images a run has seen.
//!
//! In: nothing. Out: one setting of glibc's malloc, made once at the start of the binary.
//! glibc serves a block above its mmap threshold from a fresh mapping and gives it back to the
//! OS on free; below it, from a heap arena that rarely shrinks. The threshold starts at
//! 128 KiB but slides up to the size of every mapped block freed (up to 32 MiB), so after the
//! first image every decoded canvas, resize buffer and encoded output lands in the arenas, where
//! the small records that outlive each image (manifest entries, reports) pin the space between
//! them: a cold build of 4,000 small JPEGs peaked at 178 MB, the same build with the threshold
//! fixed at 57 MB, the live heap being about 31 MB (heaptrack). Fixing the threshold costs a few
//! page faults per image (measured in the README's Performance section).

/// Blocks at least this large come from their own mapping and go back to the OS when freed.
/// glibc's own starting value, kept fixed instead of sliding.
pub const MMAP_THRESHOLD: usize = 128 << 10;

/// Fix glibc's mmap threshold at [`MMAP_THRESHOLD`] (see the module doc). Does nothing on
/// other C libraries, whose allocators do not slide. Call once, before any thread starts.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a setting of the allocator; called before other threads
    // exist. A refusal (0) leaves the default in place, which is still correct.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
    }
}

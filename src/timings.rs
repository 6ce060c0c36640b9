//! Where the time goes: an opt-in per-stage stopwatch for benchmarks (`POSTPIX_TIMINGS=1`).
//!
//! Off by default, and then nearly free (one cached env check per call). When on, [`time`]
//! adds the **exclusive** wall time of a closure to a global per-[`Stage`] counter: time spent in
//! a nested timed section (rayon may run another image's work inside oxipng's wait) is counted
//! for the inner stage only, never twice. Counters are summed over threads, so with several
//! workers they add up to thread-seconds, not to the run's wall time; run with `-j 1` for a
//! breakdown that sums to the encode time. [`report`] renders the totals for `main` to print.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

/// A stage of the work on one image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading a source file and hashing its bytes.
    Read,
    /// Decoding to upright 8-bit pixels.
    Decode,
    /// Resizing to one width.
    Resize,
    /// WebP encoding.
    Webp,
    /// AVIF encoding.
    Avif,
    /// The JPEG or PNG fallback (oxipng included).
    Fallback,
    /// Writing variant files.
    Write,
    /// Quality search: decoding trial encodes and scoring them (SSIMULACRA2).
    Judge,
}

const STAGES: [(Stage, &str); 8] = [
    (Stage::Read, "read+hash"),
    (Stage::Decode, "decode"),
    (Stage::Resize, "resize"),
    (Stage::Webp, "webp"),
    (Stage::Avif, "avif"),
    (Stage::Fallback, "fallback"),
    (Stage::Write, "write"),
    (Stage::Judge, "judge"),
];

static TOTALS: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

thread_local! {
    /// Nanoseconds spent in timed sections nested inside the current one.
    static NESTED: Cell<u64> = const { Cell::new(0) };
}

/// Whether `POSTPIX_TIMINGS` is set to something other than empty or `0`.
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("POSTPIX_TIMINGS").is_ok_and(|v| !v.is_empty() && v != "0"))
}

/// Run `f`, adding its exclusive wall time to `stage` when timings are enabled.
pub fn time<T>(stage: Stage, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let outer = NESTED.with(|n| n.replace(0));
    let start = Instant::now();
    let out = f();
    let total = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let inner = NESTED.with(|n| n.replace(outer.saturating_add(total)));
    TOTALS[stage as usize].fetch_add(total.saturating_sub(inner), Ordering::Relaxed);
    out
}

/// The totals, one `stage seconds` line each, or `None` when timings are off.
pub fn report() -> Option<String> {
    if !enabled() {
        return None;
    }
    let secs: Vec<f64> = TOTALS
        .iter()
        .map(|t| t.load(Ordering::Relaxed) as f64 / 1e9)
        .collect();
    let sum: f64 = secs.iter().sum();
    let mut s = String::from("postpix timings (thread-seconds, exclusive):\n");
    for ((_, name), v) in STAGES.iter().zip(&secs) {
        let pct = if sum > 0.0 { 100.0 * v / sum } else { 0.0 };
        s.push_str(&format!("  {name:<10} {v:8.3} s  {pct:5.1} %\n"));
    }
    s.push_str(&format!("  {:<10} {sum:8.3} s\n", "total"));
    Some(s)
}

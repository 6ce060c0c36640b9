//! Units: byte counts as people read them, in reports, error messages and drop reasons.

/// Human-readable byte count: `512 B`, `2.0 KB`, `3.0 MB`.
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MB", n / 1024.0 / 1024.0)
    } else if n >= 1024.0 {
        format!("{:.1} KB", n / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// Byte count as the size guard states it: bytes under 10 KiB, else KB with one decimal
/// (`webp 41.0 KB ≥ jpeg 39.2 KB`).
pub fn guard_size(n: usize) -> String {
    if n < 10 * 1024 {
        format!("{n} B")
    } else {
        format!("{:.1} KB", n as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_naturally() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(2048), "2.0 KB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MB");
        assert_eq!(guard_size(10 * 1024 - 1), "10239 B");
        assert_eq!(guard_size(41 * 1024), "41.0 KB");
    }
}

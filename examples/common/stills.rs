//! The still images of a folder, as the quality examples read them: PNG, JPEG and GIF files,
//! animations (`anim-*`) left out, sorted by path.

use std::path::{Path, PathBuf};

/// Every still image directly in `dir`, sorted.
pub fn still_images(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_lowercase();
            !name.starts_with("anim-")
                && [".png", ".jpg", ".jpeg", ".gif"]
                    .iter()
                    .any(|x| name.ends_with(x))
        })
        .collect();
    files.sort();
    files
}

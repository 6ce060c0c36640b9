//! Test helpers shared by the unit tests: the fixture corpus.

/// The bytes of `tests/fixtures/corpus/<name>`.
pub fn corpus(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

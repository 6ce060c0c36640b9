//! The reference finder, the rewrite and `restore` on arbitrary text: nothing panics, every span
//! is a valid range of the text, restoring the rewritten text gives back the input, and the
//! rewrite touches no byte outside the reference spans.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postpix::fuzzing::check_rewrite_properties;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = check_rewrite_properties(text) {
            panic!("{e}");
        }
    }
});

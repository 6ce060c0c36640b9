//! The `_config.yml` loader and Jekyll's render rules on arbitrary YAML: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postpix::fuzzing::check_jekyll_config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check_jekyll_config(text);
    }
});

//! The manifest loader (`cache::load`) on an arbitrary `manifest.json`: no panic; a manifest it
//! rejects comes back empty with the reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postpix::fuzzing::check_manifest;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = check_manifest(data) {
        panic!("{e}");
    }
});

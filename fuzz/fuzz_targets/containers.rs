//! The byte walkers of `postpix::container` (GIF blocks, JPEG segments, PNG chunks, EXIF, WebP
//! RIFF) on arbitrary bytes: no panic, and what they report lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postpix::fuzzing::check_containers;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = check_containers(data) {
        panic!("{e}");
    }
});

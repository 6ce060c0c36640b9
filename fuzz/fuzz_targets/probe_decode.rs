//! The header probe and the decode + encode of one source under the default limits, as a build
//! runs it (`pipeline::execute::encode_bytes`): any bytes give an answer, and no codec panics
//! (`encode::run` catches panics and reports them as `EncoderFault::Crashed`: that is a finding).
#![no_main]

use libfuzzer_sys::fuzz_target;
use postpix::fuzzing::check_decode;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = check_decode(data) {
        panic!("{e}");
    }
});

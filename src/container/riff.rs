//! WebP structure: the RIFF chunks of a WebP file, read without decoding.
//!
//! In: bytes. Out: the loop count and frame durations of an animated WebP ([`webp_timing`]),
//! which the tests and the browser check compare with the source GIF's timing.

/// Loop count and per-frame durations (ms) of an animated WebP, read from its `ANIM` and `ANMF`
/// chunks; `None` if the bytes are not an animated WebP.
pub fn webp_timing(bytes: &[u8]) -> Option<(u16, Vec<u32>)> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WEBP" {
        return None;
    }
    let mut pos = 12usize;
    let mut loops = None;
    let mut durations = Vec::new();
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let body = bytes.get(pos + 8..pos.checked_add(8 + len)?)?;
        match &head[0..4] {
            b"ANIM" => loops = Some(u16::from_le_bytes([*body.get(4)?, *body.get(5)?])),
            b"ANMF" => durations.push(u32::from_le_bytes([
                *body.get(12)?,
                *body.get(13)?,
                *body.get(14)?,
                0,
            ])),
            _ => {}
        }
        pos += 8 + len + (len & 1);
    }
    Some((loops?, durations))
}

//! Placeholder: the one colour that stands in for an image while it loads.
//!
//! In: the decoded, upright sRGB [`Pixels`] the encoder already holds. Out: the image's dominant
//! colour, the way sharp's `dominant` finds it: every pixel (sampled to at most
//! [`MAX_SAMPLES`]) falls into one of 4096 bins (4 bits per channel), the fullest bin wins and
//! its pixels' mean is the colour. `None` when any pixel is not fully opaque: a background
//! behind a transparent image would show through it after load and change how it looks.

use super::pixels::{Layout, Pixels};

/// At most this many pixels are counted (a regular stride over the image).
pub const MAX_SAMPLES: usize = 1 << 16;

/// The dominant colour of `px` as `[r, g, b]`, or `None` for an image with transparency or no
/// pixels.
pub fn dominant(px: &Pixels) -> Option<[u8; 3]> {
    let channels = px.layout.channels();
    let n = px.data.len() / channels;
    if n == 0 {
        return None;
    }
    if px.layout == Layout::Rgba && px.data.chunks_exact(4).any(|p| p[3] != 255) {
        return None;
    }
    let step = n.div_ceil(MAX_SAMPLES).max(1);
    let rgb = |i: usize| -> [u8; 3] {
        let p = &px.data[i * channels..];
        match px.layout {
            Layout::Luma => [p[0]; 3],
            Layout::Rgb | Layout::Rgba => [p[0], p[1], p[2]],
        }
    };
    let bin = |c: [u8; 3]| {
        (usize::from(c[0] >> 4) << 8) | (usize::from(c[1] >> 4) << 4) | usize::from(c[2] >> 4)
    };
    let mut counts = vec![0u32; 4096];
    for i in (0..n).step_by(step) {
        counts[bin(rgb(i))] += 1;
    }
    // The fullest bin; the lowest index among equals, so the answer is deterministic.
    let (best, _) = counts
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    let mut sum = [0u64; 3];
    let mut count = 0u64;
    for i in (0..n).step_by(step) {
        let c = rgb(i);
        if bin(c) == best {
            for (s, v) in sum.iter_mut().zip(c) {
                *s += u64::from(v);
            }
            count += 1;
        }
    }
    let mean = |s: u64| u8::try_from((s + count / 2) / count.max(1)).unwrap_or(u8::MAX);
    Some([mean(sum[0]), mean(sum[1]), mean(sum[2])])
}

/// `[r, g, b]` as CSS `#rrggbb`.
pub fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(layout: Layout, pixel: &[u8], n: usize) -> Pixels {
        Pixels {
            width: u32::try_from(n).unwrap(),
            height: 1,
            layout,
            data: pixel.repeat(n),
        }
    }

    #[test]
    fn the_fullest_bin_wins_and_its_mean_is_the_colour() {
        // 60 + 20 reds in one bin beat 30 blues; the colour is the reds' mean.
        let mut px = image(Layout::Rgb, &[200, 30, 30], 60);
        px.data.extend([10, 10, 250].repeat(30));
        px.data.extend([206, 20, 25].repeat(20));
        px.width = 110;
        assert_eq!(dominant(&px), Some([202, 28, 29]));
        assert_eq!(hex([202, 28, 29]), "#ca1c1d");
    }

    #[test]
    fn gray_images_give_gray_and_transparent_ones_none() {
        assert_eq!(dominant(&image(Layout::Luma, &[77], 9)), Some([77, 77, 77]));
        assert_eq!(
            dominant(&image(Layout::Rgba, &[1, 2, 3, 255], 9)),
            Some([1, 2, 3])
        );
        let mut px = image(Layout::Rgba, &[1, 2, 3, 255], 9);
        px.data[7] = 254;
        assert_eq!(dominant(&px), None);
        assert_eq!(dominant(&image(Layout::Rgb, &[], 0)), None);
    }

    #[test]
    fn large_images_are_sampled_not_counted_whole() {
        let px = image(Layout::Rgb, &[5, 6, 7], 3 * MAX_SAMPLES + 1);
        assert_eq!(dominant(&px), Some([5, 6, 7]));
    }
}

//! EXIF structure: the TIFF block inside a JPEG's APP1 or a PNG's eXIf, read without a
//! dependency.
//!
//! In: a raw EXIF block (TIFF header first; an `Exif\0\0` prefix is tolerated). Out: the
//! orientation tag ([`orientation`]) and the few facts the metadata report names (a GPS IFD,
//! an EXIF thumbnail). The decoder, the probe and the metadata report all read EXIF here.

/// A TIFF structure and its byte order.
struct Tiff<'a> {
    t: &'a [u8],
    little: bool,
}

impl<'a> Tiff<'a> {
    fn new(exif: &'a [u8]) -> Option<Self> {
        let t = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
        let little = match t.get(0..4)? {
            [0x49, 0x49, 42, 0] => true,
            [0x4D, 0x4D, 0, 42] => false,
            _ => return None,
        };
        Some(Tiff { t, little })
    }

    fn u16_at(&self, p: usize) -> Option<u16> {
        let b = [*self.t.get(p)?, *self.t.get(p.checked_add(1)?)?];
        Some(if self.little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32_at(&self, p: usize) -> Option<u32> {
        let b: [u8; 4] = self.t.get(p..p.checked_add(4)?)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// Offset and entry count of IFD0.
    fn ifd0(&self) -> Option<(usize, usize)> {
        let ifd = usize::try_from(self.u32_at(4)?).ok()?;
        Some((ifd, usize::from(self.u16_at(ifd)?)))
    }

    /// Offset of the IFD0 entry holding `tag`.
    fn entry(&self, tag: u16) -> Option<usize> {
        let (ifd, n) = self.ifd0()?;
        (0..n)
            .map(|i| ifd.checked_add(2 + 12 * i))
            .map_while(|e| e)
            .find(|&e| self.u16_at(e) == Some(tag))
    }
}

/// The Orientation tag (0x0112) of IFD0. Accepts SHORT, LONG, SSHORT and SLONG types (real
/// cameras write all four; `image` accepts only SHORT); only 1–8 is returned.
pub fn orientation(exif: &[u8]) -> Option<u8> {
    let t = Tiff::new(exif)?;
    let e = t.entry(0x0112)?;
    let value = match t.u16_at(e + 2)? {
        3 | 8 => u32::from(t.u16_at(e + 8)?),
        4 | 9 => t.u32_at(e + 8)?,
        _ => return None,
    };
    u8::try_from(value).ok().filter(|v| (1..=8).contains(v))
}

/// Whether IFD0 links a GPS IFD (tag 0x8825).
pub fn has_gps(exif: &[u8]) -> bool {
    Tiff::new(exif).is_some_and(|t| t.entry(0x8825).is_some())
}

/// Whether IFD0 links a second IFD (IFD1, where the thumbnail lives).
pub fn has_thumbnail(exif: &[u8]) -> bool {
    let check = || -> Option<bool> {
        let t = Tiff::new(exif)?;
        let (ifd, n) = t.ifd0()?;
        Some(t.u32_at(ifd.checked_add(2 + 12 * n)?)? != 0)
    };
    check().unwrap_or(false)
}

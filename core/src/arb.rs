//! `Arbitrary` for the types that cannot derive it (heapless containers, validated names), so
//! that the fuzz targets can generate every wire type. Only built with the `arbitrary` feature.

use crate::ifname::{IfName, IFNAMSIZ};
use arbitrary::{Arbitrary, Result, Unstructured};

/// Any UTF-8 text that fits in `N` bytes (longer input is cut at a character boundary).
pub(crate) fn string<const N: usize>(u: &mut Unstructured<'_>) -> Result<heapless::String<N>> {
    let s: &str = u.arbitrary()?;
    let mut end = s.len().min(N);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = heapless::String::new();
    // `end <= N` bytes always fit.
    let _ = out.push_str(&s[..end]);
    Ok(out)
}

pub(crate) fn opt_string<const N: usize>(
    u: &mut Unstructured<'_>,
) -> Result<Option<heapless::String<N>>> {
    Ok(if u.arbitrary()? {
        Some(string(u)?)
    } else {
        None
    })
}

/// Only names [`IfName::parse`] accepts: 1 to 15 bytes of `[A-Za-z0-9_.-]`, not starting with
/// `-` or `.`.
impl<'a> Arbitrary<'a> for IfName {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        const ALPHABET: &[u8] =
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
        let len = u.int_in_range(1..=IFNAMSIZ - 1)?;
        let mut b = [0u8; IFNAMSIZ - 1];
        for (i, c) in b[..len].iter_mut().enumerate() {
            // The first byte comes from the part of the alphabet a name may start with.
            let n = if i == 0 {
                ALPHABET.len() - 2
            } else {
                ALPHABET.len()
            };
            *c = ALPHABET[u.choose_index(n)?];
        }
        let s = core::str::from_utf8(&b[..len]).map_err(|_| arbitrary::Error::IncorrectFormat)?;
        IfName::parse(s).map_err(|_| arbitrary::Error::IncorrectFormat)
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(IFNAMSIZ))
    }
}

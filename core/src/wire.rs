//! Bounds-checked field access in native byte order (every read returns `None` instead of
//! panicking when the field does not fit), the cursor every encoder writes with, and the
//! iterator over a buffer of length-prefixed messages.

use core::marker::PhantomData;

#[inline]
pub(crate) fn get<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    let end = off.checked_add(N)?;
    let s = b.get(off..end)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Some(a)
}

#[inline]
pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    get::<2>(b, off).map(u16::from_ne_bytes)
}

#[inline]
pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    get::<4>(b, off).map(u32::from_ne_bytes)
}

#[inline]
pub(crate) fn i32_at(b: &[u8], off: usize) -> Option<i32> {
    get::<4>(b, off).map(i32::from_ne_bytes)
}

#[inline]
pub(crate) fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    get::<8>(b, off).map(u64::from_ne_bytes)
}

/// A length-prefixed message, read off the front of a buffer.
pub trait Split<'a>: Sized {
    /// The message at the front of `b` (not empty) and where the next one starts.
    fn split(b: &'a [u8]) -> Result<(Self, usize), crate::ParseError>;
}

/// The messages `M` of one buffer (a `recv` of a netlink or routing socket, a sysctl's
/// answer). A malformed message is reported once and ends the iteration, so the iteration
/// always advances and never reads past the buffer.
#[derive(Debug, Clone)]
pub struct Frames<'a, M> {
    rest: &'a [u8],
    message: PhantomData<fn() -> M>,
}

impl<'a, M> Frames<'a, M> {
    pub fn new(buf: &'a [u8]) -> Self {
        Frames {
            rest: buf,
            message: PhantomData,
        }
    }
}

impl<'a, M: Split<'a>> Iterator for Frames<'a, M> {
    type Item = Result<M, crate::ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let b = self.rest;
        self.rest = &[];
        let (m, next) = match M::split(b) {
            Ok(x) => x,
            Err(e) => return Some(Err(e)),
        };
        self.rest = b.get(next..).unwrap_or(&[]);
        Some(Ok(m))
    }
}

/// Round `n` up to a multiple of `align` (a power of two), or `None` on overflow.
#[inline]
pub(crate) fn align_up(n: usize, align: usize) -> Option<usize> {
    Some(n.checked_add(align - 1)? & !(align - 1))
}

/// Where an encoder writes: a buffer of exactly the message's length, or nowhere (to measure
/// that length). An encoder is one function run twice, first to measure and then to write into
/// the buffer it measured, so every write fits by construction.
pub(crate) struct Cursor<'a> {
    out: Option<&'a mut [u8]>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor that counts the bytes an encoder would write.
    pub(crate) fn measure() -> Cursor<'static> {
        Cursor { out: None, pos: 0 }
    }

    /// A cursor over `out`, which the caller sized with a measuring run of the same encoder.
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        Cursor {
            out: Some(out),
            pos: 0,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn put(&mut self, data: &[u8]) {
        let end = self.pos + data.len();
        if let Some(out) = self.out.as_deref_mut() {
            out[self.pos..end].copy_from_slice(data);
        }
        self.pos = end;
    }

    pub(crate) fn zeros(&mut self, n: usize) {
        let end = self.pos + n;
        if let Some(out) = self.out.as_deref_mut() {
            out[self.pos..end].fill(0);
        }
        self.pos = end;
    }

    /// Pad with zeros up to a multiple of `align` (a power of two).
    pub(crate) fn pad_to(&mut self, align: usize) {
        let n = self.pos.wrapping_neg() & (align - 1);
        self.zeros(n);
    }
}

/// Run `write` once to measure its length and, when `buf` holds that many bytes, again into
/// `buf[..len]`. `Overflow` only when `buf` is shorter than the message; nothing is written then.
pub(crate) fn emit_into(
    buf: &mut [u8],
    write: impl Fn(&mut Cursor<'_>, usize),
) -> Result<usize, crate::Overflow> {
    let len = measure(&write);
    let out = buf.get_mut(..len).ok_or(crate::Overflow)?;
    let mut c = Cursor::new(out);
    write(&mut c, len);
    debug_assert_eq!(c.pos(), len);
    Ok(len)
}

/// The length `write` produces (`write` gets 0 for the total length it may embed).
pub(crate) fn measure(write: impl Fn(&mut Cursor<'_>, usize)) -> usize {
    let mut c = Cursor::measure();
    write(&mut c, 0);
    c.pos()
}

/// A message built into a fixed array of `N` bytes, `N` being the longest message of its
/// kind: what a total encoder returns, so that its caller neither sizes a buffer nor handles an
/// error that cannot happen.
#[derive(Clone, PartialEq, Eq)]
pub struct Encoded<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Encoded<N> {
    /// Build with `write` (as for [`emit_into`]); the caller guarantees `write` produces at
    /// most `N` bytes (each encoder states its bound as a constant and tests it).
    pub(crate) fn build(write: impl Fn(&mut Cursor<'_>, usize)) -> Self {
        let mut e = Encoded {
            buf: [0; N],
            len: 0,
        };
        let len = measure(&write);
        let mut c = Cursor::new(&mut e.buf[..len]);
        write(&mut c, len);
        e.len = len;
        e
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<const N: usize> core::ops::Deref for Encoded<N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<const N: usize> core::fmt::Debug for Encoded<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Encoded").field(&self.as_bytes()).finish()
    }
}

/// Field offsets, in bytes from the start of each structure: one module of `usize` constants
/// per structure, `offsets! { nlmsghdr { LEN = 0, TYPE = 4 } rtattr { LEN = 0, TYPE = 2 } }`
/// (each file's private `field` module); or byte ranges in place,
/// `offsets! { ranges: SRC = 6..12 }`.
macro_rules! offsets {
    (ranges: $($(#[$doc:meta])* $name:ident = $value:expr),* $(,)?) => {
        $($(#[$doc])* pub const $name: core::ops::Range<usize> = $value;)*
    };
    ($($(#[$m:meta])* $module:ident { $($(#[$doc:meta])* $name:ident = $value:expr),* $(,)? })*) => {
        $($(#[$m])* pub mod $module {
            $($(#[$doc])* pub const $name: usize = $value;)*
        })*
    };
}
pub(crate) use offsets;

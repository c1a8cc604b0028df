//! Bounds-checked field access in native byte order. Every read returns `None` instead of
//! panicking when the field does not fit.

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

/// Round `n` up to a multiple of `align` (a power of two), or `None` on overflow.
#[inline]
pub(crate) fn align_up(n: usize, align: usize) -> Option<usize> {
    Some(n.checked_add(align - 1)? & !(align - 1))
}

/// A cursor that writes into a fixed buffer and fails instead of overrunning it.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn bytes(&mut self, data: &[u8]) -> Result<(), crate::Overflow> {
        let end = self.pos.checked_add(data.len()).ok_or(crate::Overflow)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(crate::Overflow)?
            .copy_from_slice(data);
        self.pos = end;
        Ok(())
    }

    pub(crate) fn zeros(&mut self, n: usize) -> Result<(), crate::Overflow> {
        let end = self.pos.checked_add(n).ok_or(crate::Overflow)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(crate::Overflow)?
            .fill(0);
        self.pos = end;
        Ok(())
    }

    /// Pad with zeros up to a multiple of `align`.
    pub(crate) fn pad_to(&mut self, align: usize) -> Result<(), crate::Overflow> {
        let target = align_up(self.pos, align).ok_or(crate::Overflow)?;
        self.zeros(target - self.pos)
    }

    /// Overwrite already-written bytes at `off` (used to patch length fields).
    pub(crate) fn patch(&mut self, off: usize, data: &[u8]) -> Result<(), crate::Overflow> {
        let end = off.checked_add(data.len()).ok_or(crate::Overflow)?;
        if end > self.pos {
            return Err(crate::Overflow);
        }
        self.buf[off..end].copy_from_slice(data);
        Ok(())
    }
}

//! The `ifaddr` binary; everything lives in the library (`src/lib.rs`), except the choice of
//! memory allocator, which belongs to the executable.

#![deny(clippy::undocumented_unsafe_blocks)]

fn main() -> std::process::ExitCode {
    ifaddr::main()
}

/// On Linux the agent allocates with talc from a few large anonymous mappings instead of with
/// the C library's allocator. A monitor lives for about a millisecond and frees little that it
/// could reuse; musl's allocator maps and unmaps a fresh region for many of the agent's (and
/// wasmtime's) allocation sizes, and each of those costs system calls and page faults, which
/// together made up a large part of what a policy added to a monitor (BENCHMARKS.md, "Cost of a
/// policy"). Small allocations come from regions that are never given back before the process
/// exits; large ones get a mapping of their own, so that zeroed buffers (the netlink receive
/// buffer) stay untouched pages until they are written.
#[cfg(target_os = "linux")]
mod heap {
    use std::alloc::{GlobalAlloc, Layout};
    use std::ptr::null_mut;
    use talc::{OomHandler, Span, Talc, Talck};

    /// The first region; each further one doubles, up to [`LARGEST`]. A monitor, with or
    /// without a policy, fits in the first; compiling a policy grows the heap a few times.
    const FIRST: usize = 256 << 10;
    const LARGEST: usize = 64 << 20;
    /// From this size on an allocation is a mapping of its own.
    const LARGE: usize = 64 << 10;
    const PAGE: usize = 4096;

    fn is_large(l: &Layout) -> bool {
        l.size() >= LARGE && l.align() <= PAGE
    }

    /// A fresh private anonymous mapping of `len` bytes (zero-filled), or null.
    fn map(len: usize) -> *mut u8 {
        // SAFETY: an anonymous private mapping with no address hint touches no existing
        // memory; failure is reported as null, which callers check.
        let p = unsafe {
            libc::mmap(
                null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            null_mut()
        } else {
            p.cast()
        }
    }

    /// Out of memory in the current regions: map another one large enough for `layout`.
    struct Grow {
        next: usize,
    }

    impl OomHandler for Grow {
        fn handle_oom(talc: &mut Talc<Self>, layout: Layout) -> Result<(), ()> {
            // Room for the request, its alignment and talc's bookkeeping, in whole pages.
            let need = layout
                .size()
                .checked_add(layout.align())
                .and_then(|n| n.checked_add(PAGE))
                .ok_or(())?;
            let len = need.max(talc.oom_handler.next).next_multiple_of(PAGE);
            let base = map(len);
            if base.is_null() {
                return Err(());
            }
            talc.oom_handler.next = (talc.oom_handler.next * 2).min(LARGEST);
            // SAFETY: the region was just mapped readable and writable for this process, is
            // used by nothing else and is never unmapped; it does not contain the null address.
            unsafe { talc.claim(Span::from_base_size(base, len)) }.map(drop)
        }
    }

    pub(super) struct Heap {
        small: Talck<spin::Mutex<()>, Grow>,
    }

    // SAFETY: every block comes either from talc (small layouts, returned to talc) or from a
    // mapping of its own (large layouts, by `is_large`, which depends only on the layout, so
    // a block is always given back to where it came from, and `realloc` moves a block between
    // the two by allocating, copying and freeing). Mappings are page-aligned, which satisfies
    // every alignment `is_large` admits.
    unsafe impl GlobalAlloc for Heap {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            if is_large(&l) {
                map(l.size())
            } else {
                // SAFETY: forwarded with the caller's guarantees.
                unsafe { self.small.alloc(l) }
            }
        }

        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            if is_large(&l) {
                map(l.size())
            } else {
                // SAFETY: forwarded with the caller's guarantees.
                unsafe { self.small.alloc_zeroed(l) }
            }
        }

        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            if is_large(&l) {
                // SAFETY: `p` is the start of a mapping of `l.size()` bytes made by `map`.
                unsafe { libc::munmap(p.cast(), l.size()) };
            } else {
                // SAFETY: forwarded with the caller's guarantees.
                unsafe { self.small.dealloc(p, l) }
            }
        }

        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            // SAFETY: the caller guarantees `new` with `l.align()` is a valid layout.
            let nl = unsafe { Layout::from_size_align_unchecked(new, l.align()) };
            match (is_large(&l), is_large(&nl)) {
                // SAFETY: forwarded with the caller's guarantees.
                (false, false) => unsafe { self.small.realloc(p, l, new) },
                (true, true) => {
                    // SAFETY: `p` is a mapping of `l.size()` bytes made by `map`; the kernel
                    // moves or resizes it and keeps its contents.
                    let q = unsafe { libc::mremap(p.cast(), l.size(), new, libc::MREMAP_MAYMOVE) };
                    if q == libc::MAP_FAILED {
                        null_mut()
                    } else {
                        q.cast()
                    }
                }
                _ => {
                    // SAFETY: `nl` is valid (above); on success the old block is copied up to
                    // the smaller size and freed with the layout it was allocated with.
                    unsafe {
                        let q = self.alloc(nl);
                        if !q.is_null() {
                            std::ptr::copy_nonoverlapping(p, q, l.size().min(new));
                            self.dealloc(p, l);
                        }
                        q
                    }
                }
            }
        }
    }

    #[global_allocator]
    pub(super) static HEAP: Heap = Heap {
        small: Talc::new(Grow { next: FIRST }).lock(),
    };
}

/// The allocator under the test harness too (this file's tests run with it as the global
/// allocator), and directly for the cases where a block changes sides.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::alloc::{GlobalAlloc, Layout};

    fn pattern(p: *mut u8, len: usize, seed: u8) {
        for i in 0..len {
            // SAFETY: `p` points to at least `len` writable bytes (callers allocate them).
            unsafe { p.add(i).write(seed.wrapping_add(i as u8)) };
        }
    }

    fn holds(p: *const u8, len: usize, seed: u8) -> bool {
        // SAFETY: `p` points to at least `len` initialized bytes (written by `pattern`).
        (0..len).all(|i| unsafe { p.add(i).read() } == seed.wrapping_add(i as u8))
    }

    #[test]
    fn realloc_keeps_contents_across_small_and_large() {
        let heap = &super::heap::HEAP;
        let small = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: a valid non-zero layout; every block is freed with the layout it has.
        unsafe {
            let p = heap.alloc(small);
            assert!(!p.is_null());
            pattern(p, 1000, 7);
            let big = 200 << 10;
            let q = heap.realloc(p, small, big);
            assert!(!q.is_null());
            assert!(holds(q, 1000, 7), "small → large lost the contents");
            pattern(q, big, 9);
            let bigger = 1 << 20;
            let r = heap.realloc(q, Layout::from_size_align(big, 8).unwrap(), bigger);
            assert!(!r.is_null());
            assert!(holds(r, big, 9), "large → larger lost the contents");
            let s = heap.realloc(r, Layout::from_size_align(bigger, 8).unwrap(), 500);
            assert!(!s.is_null());
            assert!(holds(s, 500, 9), "large → small lost the contents");
            heap.dealloc(s, Layout::from_size_align(500, 8).unwrap());
        }
    }

    #[test]
    fn large_zeroed_blocks_are_zero_and_aligned() {
        let heap = &super::heap::HEAP;
        for (size, align) in [(64 << 10, 8), (300 << 10, 4096), (100 << 10, 16384)] {
            let l = Layout::from_size_align(size, align).unwrap();
            // SAFETY: a valid non-zero layout, freed with the same layout.
            unsafe {
                let p = heap.alloc_zeroed(l);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "{size} bytes aligned to {align}");
                assert!((0..size).all(|i| p.add(i).read() == 0));
                pattern(p, size, 3);
                heap.dealloc(p, l);
                // Freed and allocated again: zero again, whichever side it came from.
                let q = heap.alloc_zeroed(l);
                assert!((0..size).all(|i| q.add(i).read() == 0));
                heap.dealloc(q, l);
            }
        }
    }

    #[test]
    fn the_heap_grows_past_its_first_region() {
        // Far more than the first 256 KiB region in blocks below the large-block size, all
        // alive at once, each keeping what was written to it.
        let blocks: Vec<Vec<u8>> = (0..400u32)
            .map(|i| vec![i as u8; 4096 + (i as usize % 7) * 1000])
            .collect();
        for (i, b) in blocks.iter().enumerate() {
            assert!(b.iter().all(|&x| x == i as u8));
        }
    }
}

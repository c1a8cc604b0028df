//! bpf(4): the ioctls, the ARP-only filter program and the parser for what `read(2)` on a bpf
//! descriptor returns (records of `struct bpf_hdr` + captured bytes, each starting on a
//! `BPF_WORDALIGN` boundary). Layouts as in `<net/bpf.h>` on LP64, checked by
//! xtask/fixtures/freebsd-headers.

use super::{iow, Ioctl};
use crate::frame::{
    ETHERTYPE_ARP, ETHERTYPE_IPV6, ICMPV6_NEIGHBOR_ADVERT, ICMPV6_NEIGHBOR_SOLICIT,
};
use crate::wire::{u16_at, u32_at};

/// `BIOCSETIF`: bind the descriptor to an interface (a name-only `struct ifreq`).
pub use super::BIOCSETIF;
/// `BIOCSHDRCMPLT` (`u_int`): keep the source address of written frames as written.
pub const BIOCSHDRCMPLT: Ioctl<u32> = Ioctl::w(b'B', 117);
/// `BIOCGBLEN` (`u_int`): the buffer size reads must use.
pub const BIOCGBLEN: Ioctl<u32> = Ioctl::r(b'B', 102);
/// `BIOCSETF` (`struct bpf_program`: `u_int` count, pointer to instructions; 16 bytes). A
/// plain number: its argument points into the caller's memory, so the caller builds it.
pub const BIOCSETF: u32 = iow(b'B', 103, BPF_PROGRAM_LEN);
/// `BIOCIMMEDIATE` (`u_int`): return from read as soon as a packet arrives.
pub const BIOCIMMEDIATE: Ioctl<u32> = Ioctl::w(b'B', 112);

pub const BPF_PROGRAM_LEN: usize = 16;
/// `sizeof(struct bpf_insn)`: `u_short code; u_char jt, jf; bpf_u_int32 k`.
pub const BPF_INSN_LEN: usize = 8;
/// `sizeof(struct bpf_hdr)`: `struct timeval` (16) then caplen, datalen, hdrlen, padding.
pub const BPF_HDR_LEN: usize = 32;
/// `BPF_ALIGNMENT` = `sizeof(long)`.
const ALIGN: usize = 8;

/// Field offsets, checked against the headers by xtask/fixtures/freebsd-headers/layout.c.
mod field {
    crate::wire::offsets! {
        /// `struct bpf_hdr`: a `struct timeval`, then the captured and original lengths and
        /// the header's own length.
        bpf_hdr { CAPLEN = 16, HDRLEN = 24 }
    }
}
use field::bpf_hdr as hdr;

// BPF_LD (0x00) | BPF_H (0x08) | BPF_ABS (0x20).
const BPF_LD_H_ABS: u16 = 0x28;
// BPF_LD (0x00) | BPF_B (0x10) | BPF_ABS (0x20).
const BPF_LD_B_ABS: u16 = 0x30;
// BPF_JMP (0x05) | BPF_JEQ (0x10) | BPF_K (0x00).
const BPF_JMP_JEQ_K: u16 = 0x15;
// BPF_RET (0x06) | BPF_K (0x00).
const BPF_RET_K: u16 = 0x06;

/// One `struct bpf_insn` in native byte order.
pub const fn insn(code: u16, jt: u8, jf: u8, k: u32) -> [u8; BPF_INSN_LEN] {
    let c = code.to_ne_bytes();
    let k = k.to_ne_bytes();
    [c[0], c[1], jt, jf, k[0], k[1], k[2], k[3]]
}

/// Accept ARP frames whole, drop everything else:
/// `ldh [12]; jeq #ETHERTYPE_ARP, 0, 1; ret #-1; ret #0`.
pub const ARP_FILTER: [[u8; BPF_INSN_LEN]; 4] = [
    insn(BPF_LD_H_ABS, 0, 0, 12),
    insn(BPF_JMP_JEQ_K, 0, 1, ETHERTYPE_ARP as u32),
    insn(BPF_RET_K, 0, 0, u32::MAX),
    insn(BPF_RET_K, 0, 0, 0),
];

/// Accept IPv6 neighbour solicitations and advertisements (without extension headers) whole,
/// drop everything else: `ldh [12]; jeq #ETHERTYPE_IPV6, 0, 6; ldb [20]; jeq #58, 0, 4;
/// ldb [54]; jeq #135, 1, 0; jeq #136, 0, 1; ret #-1; ret #0`.
pub const ND_FILTER: [[u8; BPF_INSN_LEN]; 9] = [
    insn(BPF_LD_H_ABS, 0, 0, 12),
    insn(BPF_JMP_JEQ_K, 0, 6, ETHERTYPE_IPV6 as u32),
    insn(BPF_LD_B_ABS, 0, 0, 14 + 6),
    insn(BPF_JMP_JEQ_K, 0, 4, 58),
    insn(BPF_LD_B_ABS, 0, 0, 14 + 40),
    insn(BPF_JMP_JEQ_K, 1, 0, ICMPV6_NEIGHBOR_SOLICIT as u32),
    insn(BPF_JMP_JEQ_K, 0, 1, ICMPV6_NEIGHBOR_ADVERT as u32),
    insn(BPF_RET_K, 0, 0, u32::MAX),
    insn(BPF_RET_K, 0, 0, 0),
];

/// The captured packets in a buffer returned by one `read(2)`. Stops at the first record
/// whose header or length does not fit.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Records<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Records { rest: buf }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let b = self.rest;
        self.rest = &[];
        let caplen = u32_at(b, hdr::CAPLEN)? as usize;
        let hdrlen = usize::from(u16_at(b, hdr::HDRLEN)?);
        if hdrlen < hdr::HDRLEN + 2 {
            return None;
        }
        let end = hdrlen.checked_add(caplen)?;
        let pkt = b.get(hdrlen..end)?;
        let next = end.checked_add(ALIGN - 1)? & !(ALIGN - 1);
        self.rest = b.get(next..).unwrap_or(&[]);
        Some(pkt)
    }
}

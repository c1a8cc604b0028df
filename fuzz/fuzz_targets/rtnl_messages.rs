//! rtnetlink replies as a whole `recv`: `linux::Messages` framing, `Attrs`, `error_code`, and
//! every message payload through each payload parser (as the host does for any message type).
#![no_main]

use ifaddr_core::linux::{
    error_code, AddrInfo, Attrs, LinkInfo, Messages, RouteInfo, NLMSG_HDRLEN,
};
use ifaddr_core::ParseError;
use libfuzzer_sys::fuzz_target;

/// The offset of `inner` inside `outer` (both from the same input).
fn offset(outer: &[u8], inner: &[u8]) -> usize {
    let o = inner.as_ptr() as usize - outer.as_ptr() as usize;
    assert!(o + inner.len() <= outer.len(), "slice escapes its input");
    o
}

fn attrs(data: &[u8], buf: &[u8]) {
    let mut prev_end = offset(data, buf);
    let mut n = 0;
    for (ty, v) in Attrs::new(buf) {
        assert!(ty <= 0x3fff, "nested/byte-order bits not masked");
        let o = offset(data, v);
        // Each value follows its 4-byte header, in order, without overlap.
        assert!(o >= prev_end + 4);
        prev_end = o + v.len();
        n += 1;
        assert!(
            n <= buf.len() / 4,
            "more attributes than the buffer can hold"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut prev_end = 0;
    let mut count = 0;
    let mut errored = false;
    for m in Messages::new(data) {
        assert!(!errored, "a message after an error");
        count += 1;
        assert!(count <= data.len() / NLMSG_HDRLEN + 1, "runaway iterator");
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                assert!(matches!(e, ParseError::Truncated | ParseError::BadLength));
                errored = true;
                continue;
            }
        };
        let o = offset(data, m.payload);
        // Messages start 4-byte aligned, one after the other.
        assert_eq!((o - NLMSG_HDRLEN) % 4, 0);
        assert!(o - NLMSG_HDRLEN >= prev_end);
        let len = u32::from_ne_bytes(data[o - 16..o - 12].try_into().unwrap()) as usize;
        assert_eq!(len, NLMSG_HDRLEN + m.payload.len());
        assert_eq!(
            m.ty,
            u16::from_ne_bytes(data[o - 12..o - 10].try_into().unwrap())
        );
        assert_eq!(
            m.seq,
            u32::from_ne_bytes(data[o - 8..o - 4].try_into().unwrap())
        );
        prev_end = o + m.payload.len();

        let code = error_code(m.payload);
        assert_eq!(code.is_ok(), m.payload.len() >= 4);
        let _ = AddrInfo::parse(m.payload);
        let _ = LinkInfo::parse(m.payload);
        let _ = RouteInfo::parse(m.payload);
        for fixed in [8, 12, 16] {
            if let Some(rest) = m.payload.get(fixed..) {
                attrs(data, rest);
            }
        }
    }
    // Nothing at all only for nothing at all.
    assert_eq!(count == 0, data.is_empty());
});

//! The policy ABI decoders on arbitrary bytes, as a module may write them: `Verdict::decode`
//! (the guest's answer) and `Observation::decode`. Whatever is accepted has a valid decision
//! and in-range lengths, matches the little-endian fields of the input, and re-encodes to the
//! same value.
#![no_main]

use ifaddr_core::policy::*;
use libfuzzer_sys::fuzz_target;

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(b[off..off + 2].try_into().unwrap())
}

/// The input with a current header and padded out to `size`, so that the fields past the
/// header are exercised on every run, not only when the fuzzer has found a valid header.
fn framed(data: &[u8], size: usize) -> Vec<u8> {
    let mut b = data.to_vec();
    if b.len() < size {
        b.resize(size, 0);
    }
    b[0..4].copy_from_slice(&ABI_VERSION.to_le_bytes());
    b[4..8].copy_from_slice(&(size as u32).to_le_bytes());
    b
}

fn verdict(b: &[u8]) {
    let v = match Verdict::decode(b) {
        Ok(v) => v,
        Err(AbiError::Truncated) => return,
        Err(AbiError::Version(abi)) => {
            assert_ne!(abi >> 16, u32::from(ABI_MAJOR));
            assert_eq!(abi, le32(b, 0));
            return;
        }
        Err(AbiError::BadCode(c)) => {
            assert!(Decision::from_code(c).is_none());
            return;
        }
        Err(AbiError::BadLength) => return,
    };
    assert!(b.len() >= VERDICT_SIZE);
    assert_eq!(v.abi >> 16, u32::from(ABI_MAJOR));
    assert!((VERDICT_SIZE..=b.len()).contains(&(v.size as usize)));
    let d = v
        .decision()
        .expect("accepted a verdict without a valid decision");
    assert_eq!(d.code(), v.code);
    assert!(usize::from(v.message_len) <= MESSAGE_MAX);
    assert!(usize::from(v.state_len) <= STATE_MAX);
    assert_eq!(v.message_bytes().len(), usize::from(v.message_len));
    assert_eq!(v.state_bytes().len(), usize::from(v.state_len));
    assert_eq!((v.code, v.reason), (le32(b, 8), le32(b, 12)));
    assert_eq!((v.message_len, v.state_len), (le16(b, 16), le16(b, 18)));
    assert_eq!(&v.message[..], &b[24..24 + MESSAGE_MAX]);
    assert_eq!(&v.state[..], &b[152..152 + STATE_MAX]);
    let mut again = v;
    again.size = VERDICT_SIZE as u32;
    assert_eq!(Verdict::decode(&again.encode()), Ok(again));
}

fn observation(b: &[u8]) {
    let o = match Observation::decode(b) {
        Ok(o) => o,
        Err(AbiError::BadCode(_)) => panic!("an observation has no code"),
        Err(_) => return,
    };
    assert!(b.len() >= OBSERVATION_SIZE_1_0);
    assert_eq!(o.abi >> 16, u32::from(ABI_MAJOR));
    assert!((OBSERVATION_SIZE_1_0..=b.len()).contains(&(o.size as usize)));
    assert_eq!(o.args().len(), usize::from(o.args_len));
    assert_eq!(o.state().len(), usize::from(o.state_len));
    assert_eq!((o.args_len, o.state_len), (le16(b, 144), le16(b, 146)));
    assert_eq!(o.flags, le32(b, 44));
    assert_eq!(&o.ip[..], &b[112..128]);
    assert_eq!(&o.state[..], &b[408..408 + STATE_MAX]);
    // ABI 1.1's appended field: read when the writer's size covers all of it, else zero.
    if o.size as usize >= OBSERVATION_SIZE_1_0 + 6 {
        assert_eq!(&o.conflict_mac[..], &b[664..670]);
    } else {
        assert_eq!(o.conflict_mac, [0; 6]);
    }
    assert_eq!(
        o.conflict(),
        o.has(flag::CONFLICT).then_some(o.conflict_mac)
    );
    let _ = (o.args_str(), o.ifname_str(), o.ip_addr());
    let mut again = o;
    again.size = OBSERVATION_SIZE as u32;
    assert_eq!(Observation::decode(&again.encode()), Ok(again));
}

fuzz_target!(|data: &[u8]| {
    verdict(data);
    observation(data);
    if data.len() >= 8 {
        verdict(&framed(data, VERDICT_SIZE));
        observation(&framed(data, OBSERVATION_SIZE));
        observation(&framed(data, OBSERVATION_SIZE_1_0));
    }
});

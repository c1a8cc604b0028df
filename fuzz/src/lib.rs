//! Helpers shared by the fuzz targets in `fuzz_targets/`.

use ifaddr_core::params::Source;

pub mod arb;
pub mod iflist;

/// An environment decoded from fuzz input: the first byte is the separator between entries,
/// each entry is `KEY=VALUE` (split at the first `=`; an entry without one is a key with an
/// empty value). With `\0` as the separator this is the `/proc/PID/environ` layout; any other
/// separator lets values hold NUL bytes, which no real environment does but the parser must
/// still refuse cleanly. Like `getenv`, the first entry with a key wins.
#[derive(Debug, Default)]
pub struct Env<'a> {
    pub entries: Vec<(&'a [u8], &'a [u8])>,
}

impl<'a> Env<'a> {
    pub fn decode(data: &'a [u8]) -> Env<'a> {
        let Some((&sep, rest)) = data.split_first() else {
            return Env::default();
        };
        let entries = rest
            .split(|&c| c == sep)
            .filter(|e| !e.is_empty())
            .map(|e| match e.iter().position(|&c| c == b'=') {
                Some(i) => (&e[..i], &e[i + 1..]),
                None => (e, &e[e.len()..]),
            })
            .collect();
        Env { entries }
    }

    /// The value of `key` as `Params::parse` sees it.
    pub fn value(&self, key: &str) -> Option<&'a [u8]> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key.as_bytes())
            .map(|(_, v)| *v)
    }
}

impl Source for Env<'_> {
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.value(name)
    }
}

/// Guard bytes around the buffers handed to encoders.
pub const GUARD: u8 = 0xa5;

/// Run an encoder `f` on a buffer of exactly `len` bytes that sits inside a larger guarded
/// allocation, then check that nothing outside those `len` bytes changed and that, on
/// success, nothing past the reported length changed either. Returns the encoder's result and
/// the buffer.
pub fn guarded<E: core::fmt::Debug>(
    len: usize,
    f: impl FnOnce(&mut [u8]) -> Result<usize, E>,
) -> (Result<usize, E>, Vec<u8>) {
    const PAD: usize = 64;
    let mut whole = vec![GUARD; PAD + len + PAD];
    let r = f(&mut whole[PAD..PAD + len]);
    assert!(
        whole[..PAD].iter().all(|&c| c == GUARD),
        "encoder wrote before its buffer"
    );
    assert!(
        whole[PAD + len..].iter().all(|&c| c == GUARD),
        "encoder wrote past its buffer"
    );
    if let Ok(n) = &r {
        assert!(
            *n <= len,
            "encoder reported {n} bytes in a {len}-byte buffer"
        );
        assert!(
            whole[PAD + n..PAD + len].iter().all(|&c| c == GUARD),
            "encoder wrote past the {n} bytes it reported"
        );
    }
    let buf = whole[PAD..PAD + len].to_vec();
    (r, buf)
}

/// A `ufmt` writer into a `String` that fails once `limit` bytes would be exceeded (when
/// `limit` is set), to exercise error propagation in formatters.
#[derive(Debug, Default)]
pub struct Out {
    pub s: String,
    pub limit: Option<usize>,
}

impl ufmt::uWrite for Out {
    type Error = ();
    fn write_str(&mut self, s: &str) -> Result<(), ()> {
        if let Some(l) = self.limit {
            if self.s.len() + s.len() > l {
                return Err(());
            }
        }
        self.s.push_str(s);
        Ok(())
    }
}

/// Whether every byte is printable ASCII (space to `~`).
pub fn printable(s: &[u8]) -> bool {
    s.iter().all(|c| (0x20..0x7f).contains(c))
}

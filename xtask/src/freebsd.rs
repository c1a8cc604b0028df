//! `cargo xtask freebsd-check [--bless]`: prove the FreeBSD encoders and parsers against
//! FreeBSD's own headers, without a FreeBSD kernel.
//!
//! 1. `xtask/fixtures/freebsd-headers/layout.c` (`_Static_assert`s on every size, offset,
//!    ioctl number and constant core hard-codes) is compiled with zig for x86_64-freebsd and
//!    aarch64-freebsd: a drifted number fails compilation.
//! 2. `xtask/fixtures/freebsd-headers/vectors.c` (each request the agent sends and each reply
//!    it parses, filled in from fixed inputs through the real structs) is compiled for both
//!    targets; the objects' bytes are read from the ELF symbol table and turned into
//!    `core/src/freebsd/vectors.rs`. Both targets must give the same bytes, and the result
//!    must equal the committed file (`--bless` rewrites it instead).
//! 3. `cargo test -p ifaddr-core freebsd` compares what core builds and parses with those
//!    bytes: one byte or constant of difference fails.
//!
//! zig comes from PyPI (`ziglang`, pinned below); it is installed with pip when missing. Its
//! wheel carries FreeBSD's `/usr/include` (`lib/libc/include/generic-freebsd` and the
//! per-architecture directories), which is what `zig cc -target *-freebsd` compiles against.

use crate::util::{cargo, root, run};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// The zig release (PyPI `ziglang`) whose FreeBSD headers and linker the project uses.
pub const ZIG_VERSION: &str = "0.15.2";
/// The `cargo-zigbuild` release `cargo xtask dist` links with.
pub const ZIGBUILD_VERSION: &str = "0.24.1";

const ARCHES: [&str; 2] = ["x86_64", "aarch64"];
const VECTORS_RS: &str = "core/src/freebsd/vectors.rs";

pub fn run_check(args: &[String]) -> Result<(), String> {
    let mut bless = false;
    for a in args {
        match a.as_str() {
            "--bless" => bless = true,
            other => {
                return Err(format!(
                    "freebsd-check: unknown argument `{other}` (only --bless)"
                ))
            }
        }
    }
    ensure_zig()?;
    let src = root().join("xtask/fixtures/freebsd-headers");
    let out = root().join("target/freebsd-headers");
    let mut generated: Option<(String, String)> = None;
    for arch in ARCHES {
        let dir = out.join(arch);
        std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        for file in ["layout.c", "vectors.c"] {
            let obj = dir.join(file.replace(".c", ".o"));
            run(zig_cc(arch)
                .arg("-c")
                .arg(src.join(file))
                .arg("-o")
                .arg(&obj))?;
        }
        let text = generate(&dir.join("vectors.o"))?;
        eprintln!(
            "freebsd-check: {arch}-freebsd: layout.c and vectors.c compile; header check passed"
        );
        match &generated {
            None => generated = Some((arch.to_string(), text)),
            Some((first, t)) if *t != text => {
                return Err(format!(
                    "vectors differ between {first}-freebsd and {arch}-freebsd; the encoders \
                     assume one LP64 layout for both"
                ))
            }
            Some(_) => {}
        }
    }
    let (_, text) = generated.expect("ARCHES is not empty");
    let path = root().join(VECTORS_RS);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != text {
        if bless {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
            }
            std::fs::write(&path, &text).map_err(|e| format!("write {}: {e}", path.display()))?;
            eprintln!("freebsd-check: rewrote {VECTORS_RS}");
        } else {
            return Err(format!(
                "{VECTORS_RS} is not what FreeBSD's headers give:\n{}\nIf the C side changed on \
                 purpose, run `cargo xtask freebsd-check --bless` and review the diff.",
                first_difference(&committed, &text)
            ));
        }
    } else {
        eprintln!("freebsd-check: {VECTORS_RS} matches the bytes built from the headers");
    }
    run(cargo().args(["test", "--quiet", "-p", "ifaddr-core", "--lib", "freebsd"]))?;
    eprintln!("freebsd-check: passed (x86_64-freebsd, aarch64-freebsd)");
    Ok(())
}

pub fn ensure_zig() -> Result<(), String> {
    crate::deps::ensure_pip("ziglang", ZIG_VERSION)
}

/// `zig cc` for `<arch>-freebsd`, strict.
fn zig_cc(arch: &str) -> Command {
    let mut c = crate::deps::python();
    c.args(["-m", "ziglang", "cc", "-target"])
        .arg(format!("{arch}-freebsd"))
        .args([
            "-std=c11",
            "-O0",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-Wno-missing-field-initializers",
        ]);
    c.current_dir(root());
    c
}

/// The text of vectors.rs from one compiled vectors.o.
fn generate(obj: &Path) -> Result<String, String> {
    let data = std::fs::read(obj).map_err(|e| format!("read {}: {e}", obj.display()))?;
    let syms = elf_objects(&data).map_err(|e| format!("{}: {e}", obj.display()))?;
    let mut consts = Vec::new();
    let mut blobs = Vec::new();
    for (name, bytes) in syms {
        if let Some(k) = name.strip_prefix("ifaddr_k_") {
            let b: [u8; 8] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| format!("constant {k} is not 8 bytes"))?;
            consts.push((k.to_string(), u64::from_le_bytes(b)));
        } else if let Some(v) = name.strip_prefix("ifaddr_v_") {
            blobs.push((v.to_ascii_uppercase(), bytes));
        }
    }
    if consts.is_empty() || blobs.is_empty() {
        return Err(format!("{}: no ifaddr_k_/ifaddr_v_ symbols", obj.display()));
    }
    consts.sort();
    blobs.sort();
    let mut s = String::new();
    s.push_str(
        "//! @generated by `cargo xtask freebsd-check --bless` from xtask/fixtures/freebsd-headers/vectors.c;\n\
         //! do not edit.\n\
         //!\n",
    );
    let _ = writeln!(
        s,
        "//! The bytes and numbers below were produced by the C compiler (zig {ZIG_VERSION}, for\n\
         //! x86_64-freebsd and aarch64-freebsd, identical on both) from FreeBSD's own headers:\n\
         //! designated initializers of the real structs, read back from the object's symbols.\n\
         //! `cargo xtask freebsd-check` fails when they no longer match the headers, and the\n\
         //! tests in tests.rs fail when core's encoders, parsers or constants differ from them."
    );
    s.push('\n');
    for (k, v) in &consts {
        let _ = writeln!(s, "pub const {k}: u64 = {v:#x};");
    }
    for (name, bytes) in &blobs {
        let _ = writeln!(s, "\npub const {name}: [u8; {}] = [", bytes.len());
        for chunk in bytes.chunks(12) {
            let line: Vec<String> = chunk.iter().map(|b| format!("0x{b:02x},")).collect();
            let _ = writeln!(s, "    {}", line.join(" "));
        }
        s.push_str("];\n");
    }
    Ok(s)
}

fn first_difference(old: &str, new: &str) -> String {
    for (i, (a, b)) in old.lines().zip(new.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  committed: {a}\n  headers:   {b}", i + 1);
        }
    }
    format!(
        "the committed file has {} lines, the generated one {}",
        old.lines().count(),
        new.lines().count()
    )
}

/// The defined data objects of an ELF64 little-endian relocatable file, by name, with their
/// bytes. Enough ELF for a `.o` of constant data, no more.
fn elf_objects(d: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let u16_at = |o: usize| -> Result<u16, String> {
        d.get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated ELF".to_string())
    };
    let u32_at = |o: usize| -> Result<u32, String> {
        d.get(o..o + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
            .ok_or_else(|| "truncated ELF".to_string())
    };
    let u64_at = |o: usize| -> Result<usize, String> {
        d.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()) as usize)
            .ok_or_else(|| "truncated ELF".to_string())
    };
    if d.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 2, 1][..]) {
        return Err("not an ELF64 little-endian file".into());
    }
    let shoff = u64_at(0x28)?;
    let shentsize = usize::from(u16_at(0x3a)?);
    let shnum = usize::from(u16_at(0x3c)?);
    struct Sec {
        ty: u32,
        off: usize,
        size: usize,
        link: usize,
        entsize: usize,
    }
    let mut secs = Vec::new();
    for i in 0..shnum {
        let h = shoff + i * shentsize;
        secs.push(Sec {
            ty: u32_at(h + 4)?,
            off: u64_at(h + 24)?,
            size: u64_at(h + 32)?,
            link: u32_at(h + 40)? as usize,
            entsize: u64_at(h + 56)?,
        });
    }
    const SHT_PROGBITS: u32 = 1;
    const SHT_SYMTAB: u32 = 2;
    const SHT_NOBITS: u32 = 8;
    const STT_OBJECT: u8 = 1;
    let symtab = secs
        .iter()
        .find(|s| s.ty == SHT_SYMTAB)
        .ok_or("no symbol table")?;
    let strtab = secs.get(symtab.link).ok_or("bad symtab link")?;
    let entsize = if symtab.entsize == 0 {
        24
    } else {
        symtab.entsize
    };
    let mut out = Vec::new();
    for i in 0..symtab.size / entsize {
        let e = symtab.off + i * entsize;
        let name_off = strtab.off + u32_at(e)? as usize;
        let info = *d.get(e + 4).ok_or("truncated ELF")?;
        let shndx = usize::from(u16_at(e + 6)?);
        let value = u64_at(e + 8)?;
        let size = u64_at(e + 16)?;
        if info & 0xf != STT_OBJECT || shndx == 0 || shndx >= secs.len() {
            continue;
        }
        let name_end = d
            .get(name_off..)
            .and_then(|n| n.iter().position(|&c| c == 0))
            .ok_or("unterminated symbol name")?;
        let name = String::from_utf8_lossy(&d[name_off..name_off + name_end]).into_owned();
        let sec = &secs[shndx];
        let bytes = match sec.ty {
            SHT_PROGBITS => d
                .get(sec.off + value..sec.off + value + size)
                .ok_or_else(|| format!("symbol {name} lies outside its section"))?
                .to_vec(),
            SHT_NOBITS => vec![0; size],
            t => return Err(format!("symbol {name} is in a section of type {t}")),
        };
        out.push((name, bytes));
    }
    Ok(out)
}

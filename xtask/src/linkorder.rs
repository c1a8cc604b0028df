//! Link order for the static Linux build: the code and constants an agent run touches are
//! placed together at the start of the executable's text and read-only data.
//!
//! Why: Linux maps an executable in 64 KiB windows around each page first touched
//! (fault-around), so a process's RSS is the number of windows its code and constants fall
//! in, not their size. With Cranelift linked in (10 MiB), the few hundred KiB a monitor runs
//! are spread over twice as many windows as in the runtime-only build.
//!
//! Two halves:
//! - [`link`]: xtask runs as the linker of the static build (`dist::build_musl` sets it
//!   through `CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER`, the real linker in
//!   `IFADDR_REAL_LINKER`). It reads the input objects, picks the function sections named in
//!   `xtask/link-order.txt` (demangled, without hashes, so the file holds across toolchains,
//!   features and unrelated code changes), follows their relocations to the read-only data
//!   they use, and hands the real linker a script that puts both first (`INSERT BEFORE`
//!   keeps the default script). It also writes a link map beside the output and a summary
//!   (`<output>.order`). A function missing from the file only costs memory, never
//!   correctness.
//! - [`run`] (`cargo xtask link-order`, as root): runs the static build's actions under
//!   Valgrind in a network namespace, maps every executed block to its function through the
//!   link map, and writes `xtask/link-order.txt` in order of first execution.

use crate::util::root;
use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, RelocationTarget, SegmentFlags};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The order file, relative to the repository root.
pub const ORDER_FILE: &str = "xtask/link-order.txt";
/// Set (to the real linker) when xtask is started as the linker.
pub const REAL_LINKER_ENV: &str = "IFADDR_REAL_LINKER";
/// The order file the linker half reads.
pub const ORDER_ENV: &str = "IFADDR_LINK_ORDER";

/// An entry of the order file: a Rust function (demangled, no hash), a member of a C
/// archive (`lib libc.a:memcpy`), or a C start-up object (`obj Scrt1.o`).
fn entry_of_section(section: &str, file: &str) -> Option<String> {
    if section == ".text" {
        if let Some((a, m)) = archive_member(file) {
            return Some(format!("lib {a}:{m}"));
        }
        let base = Path::new(file).file_name()?.to_string_lossy().into_owned();
        return (base.contains("crt") && base.ends_with(".o")).then(|| format!("obj {base}"));
    }
    let name = ["text.unlikely.", "text.hot.", "text.startup.", "text."]
        .iter()
        .find_map(|p| section.strip_prefix('.').and_then(|s| s.strip_prefix(p)))?;
    if let Some((archive, member)) = archive_member(file) {
        if !name.starts_with("_R") && !name.starts_with("_ZN") {
            return Some(format!("lib {archive}:{member}"));
        }
    }
    if name.starts_with("_R") || name.starts_with("_ZN") {
        return Some(format!("{:#}", rustc_demangle::demangle(name)));
    }
    Some(format!("c {name}"))
}

/// `…/libc.a(memcpy.lo)` → (`libc.a`, `memcpy`).
fn archive_member(file: &str) -> Option<(String, String)> {
    let (path, member) = file.strip_suffix(')')?.split_once('(')?;
    let archive = Path::new(path).file_name()?.to_string_lossy().into_owned();
    let stem = member.split('.').next()?.to_owned();
    Some((archive, stem))
}

fn read_order(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

/// The linker half: `xtask <linker arguments>` with `IFADDR_REAL_LINKER` set.
pub fn link(args: &[String]) -> ExitCode {
    match link_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask link: {e}");
            ExitCode::FAILURE
        }
    }
}

fn link_inner(args: &[String]) -> Result<ExitCode, String> {
    let real = std::env::var(REAL_LINKER_ENV).map_err(|_| "IFADDR_REAL_LINKER unset")?;
    let output = args
        .iter()
        .position(|a| a == "-o")
        .and_then(|i| args.get(i + 1))
        .ok_or("no -o in the linker arguments")?;
    let mut extra = vec![format!("-Wl,-Map,{output}.map")];
    let mut summary = String::new();
    if let Ok(order) = std::env::var(ORDER_ENV) {
        let order = read_order(Path::new(&order))?;
        // The crate's objects, and the Rust libraries (without LTO each dependency's code is
        // in its .rlib; with LTO only compiler_builtins is left there).
        let objects: Vec<&String> = args
            .iter()
            .filter(|a| (a.ends_with(".o") || a.ends_with(".rlib")) && Path::new(a).is_file())
            .collect();
        let plan = plan(&order, &objects)?;
        let script = format!("{output}.ld");
        std::fs::write(&script, plan.script()).map_err(|e| format!("{script}: {e}"))?;
        extra.push(format!("-Wl,-T,{script}"));
        writeln!(
            summary,
            "order entries {}\nfunctions placed {}\nentries matched {}\nread-only data placed {}",
            order.len(),
            plan.text.len(),
            plan.matched,
            plan.rodata.len()
        )
        .unwrap();
    } else {
        summary.push_str("no order file\n");
    }
    std::fs::write(format!("{output}.order"), summary).map_err(|e| e.to_string())?;
    let status = Command::new(&real)
        .args(args)
        .args(&extra)
        .status()
        .map_err(|e| format!("{real}: {e}"))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(status.code().unwrap_or(1).clamp(1, 255) as u8)
    })
}

#[derive(Default)]
struct Plan {
    /// Input section patterns for the code, in the order file's order.
    text: Vec<String>,
    /// C archive members whose code goes first (`libc.a:memcpy`): their constants too.
    members: Vec<(String, String)>,
    /// Read-only data sections the placed functions refer to, in first-use order.
    rodata: Vec<String>,
    /// Order file entries found in the objects.
    matched: usize,
}

/// Read-only sections whose pieces the linker merges with the same sections of every other
/// object: placed whole (they are small), never picked one by one.
fn merged(section: &str) -> bool {
    section.starts_with(".rodata.str") || section.starts_with(".rodata.cst")
}

fn plan(order: &[String], objects: &[&String]) -> Result<Plan, String> {
    let mut scan = Scan {
        rank: order
            .iter()
            .enumerate()
            .map(|(i, e)| (e.as_str(), i))
            .collect(),
        ..Scan::default()
    };
    for path in objects {
        let data = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        if let Ok(archive) = object::read::archive::ArchiveFile::parse(&*data) {
            for m in archive.members().flatten() {
                if m.name().ends_with(b".o") {
                    if let Ok(bytes) = m.data(&*data) {
                        scan.object(bytes);
                    }
                }
            }
        } else {
            scan.object(&data);
        }
    }
    let mut plan = scan.plan;
    let mut text: Vec<(usize, String)> = scan
        .text
        .into_iter()
        .map(|(r, n)| (r, format!("*({n})")))
        .collect();
    // C code is placed by file, among the Rust functions at its place in the order.
    let mut by_file = 0;
    for (r, e) in order.iter().enumerate() {
        if let Some((archive, member)) = e.strip_prefix("lib ").and_then(|m| m.split_once(':')) {
            plan.members.push((archive.to_owned(), member.to_owned()));
            text.push((r, format!("*{archive}:{member}.*(.text .text.*)")));
            by_file += 1;
        } else if let Some(obj) = e.strip_prefix("obj ") {
            text.push((r, format!("*{obj}(.text .text.*)")));
            by_file += 1;
        }
    }
    text.sort();
    text.dedup();
    plan.text = text.into_iter().map(|(_, n)| n).collect();
    plan.matched = scan.matched.len() + by_file;
    Ok(plan)
}

/// What [`plan`] gathers over the input objects.
#[derive(Default)]
struct Scan<'a> {
    /// Order file entry → its position.
    rank: HashMap<&'a str, usize>,
    plan: Plan,
    matched: HashSet<usize>,
    text: Vec<(usize, String)>,
    rodata_seen: HashSet<String>,
}

impl Scan<'_> {
    fn object(&mut self, data: &[u8]) {
        let Ok(file) = object::File::parse(data) else {
            return;
        };
        // Sections of this object that hold placed functions, by rank.
        let mut hot: Vec<(usize, object::SectionIndex)> = Vec::new();
        for s in file.sections() {
            let Ok(name) = s.name() else { continue };
            if let Some(e) = entry_of_section(name, "") {
                if let Some(&r) = self.rank.get(e.as_str()) {
                    self.matched.insert(r);
                    hot.push((r, s.index()));
                    self.text.push((r, name.to_owned()));
                }
            }
        }
        hot.sort_by_key(|h| (h.0, h.1 .0));
        // Breadth-first over relocations: the data the placed functions use, then the data
        // that data points to.
        let mut queue: VecDeque<object::SectionIndex> = hot.iter().map(|h| h.1).collect();
        let mut visited: HashSet<object::SectionIndex> = queue.iter().copied().collect();
        while let Some(idx) = queue.pop_front() {
            let Ok(section) = file.section_by_index(idx) else {
                continue;
            };
            for (_, rel) in section.relocations() {
                let target = match rel.target() {
                    RelocationTarget::Symbol(sym) => file
                        .symbol_by_index(sym)
                        .ok()
                        .and_then(|s| s.section_index()),
                    RelocationTarget::Section(s) => Some(s),
                    _ => None,
                };
                let Some(t) = target else { continue };
                let Ok(ts) = file.section_by_index(t) else {
                    continue;
                };
                let Ok(name) = ts.name() else { continue };
                if !name.starts_with(".rodata") || merged(name) || !visited.insert(t) {
                    continue;
                }
                if self.rodata_seen.insert(name.to_owned()) {
                    self.plan.rodata.push(name.to_owned());
                }
                queue.push_back(t);
            }
        }
    }
}

impl Plan {
    /// A script the real linker reads beside its default one: two output sections placed
    /// before `.text` and `.rodata`, in the same segments.
    fn script(&self) -> String {
        let mut s = String::from(
            "/* Written by `cargo xtask` (xtask/src/linkorder.rs): what an agent run touches first. */\n\
             SECTIONS\n{\n  .text.ordered :\n  {\n",
        );
        for t in &self.text {
            writeln!(s, "    {t}").unwrap();
        }
        // On a page of its own, so the linker starts the read-only segment there: inserted
        // before `.rodata` it would otherwise land in the executable segment.
        s.push_str(
            "  }\n}\nINSERT BEFORE .text;\nSECTIONS\n{\n  \
             .rodata.ordered ALIGN(CONSTANT (MAXPAGESIZE)) :\n  {\n",
        );
        // Merged strings and constants first: every run uses some of them, and they cannot
        // be split. Then the C members' constants, then the Rust functions' in their order.
        s.push_str("    *(.rodata.str1.1)\n    *(.rodata.cst4)\n    *(.rodata.cst8)\n    *(.rodata.cst16)\n    *(.rodata.cst32)\n");
        for (a, m) in &self.members {
            writeln!(s, "    *{a}:{m}.*(.rodata .rodata.*)").unwrap();
        }
        for r in &self.rodata {
            writeln!(s, "    *({r})").unwrap();
        }
        s.push_str("  }\n}\nINSERT BEFORE .rodata;\n");
        s
    }
}

/// After a static build: the executable must have the placed sections (else the script was
/// not used); prints what was placed, and warns when most of the order file has gone stale.
pub fn check(bin: &Path) -> Result<(), String> {
    let data = std::fs::read(bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    let file = object::File::parse(&*data).map_err(|e| format!("{}: {e}", bin.display()))?;
    let size = |name: &str| file.section_by_name(name).map_or(0, |s| s.size());
    let (text, rodata) = (size(".text.ordered"), size(".rodata.ordered"));
    if text == 0 || rodata == 0 {
        return Err(format!(
            "{}: no placed code or data (.text.ordered {text} bytes, .rodata.ordered {rodata}): \
             the link order script was not used",
            bin.display()
        ));
    }
    // The placed constants stay out of the executable segment.
    let ro = file
        .section_by_name(".rodata.ordered")
        .map_or(0, |s| s.address());
    for seg in file.segments() {
        let executable = matches!(seg.flags(), SegmentFlags::Elf { p_flags } if p_flags & 1 != 0);
        if executable && (seg.address()..seg.address() + seg.size()).contains(&ro) {
            return Err(format!(
                "{}: .rodata.ordered at {ro:#x} is in an executable segment",
                bin.display()
            ));
        }
    }
    let summary = newest_with_suffix(bin, ".order")
        .and_then(|p| std::fs::read_to_string(p).map_err(|e| e.to_string()))
        .unwrap_or_default();
    let field = |k: &str| -> usize {
        summary
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let (entries, matched) = (field("order entries"), field("entries matched"));
    println!(
        "link order: {} of {entries} entries of {ORDER_FILE} found; {} KiB of code and {} KiB \
         of read-only data placed first",
        matched,
        text / 1024,
        rodata / 1024
    );
    if matched * 2 < entries {
        println!(
            "link order: warning: most entries were not found; run `cargo xtask link-order` \
             (as root) to trace the current code"
        );
    }
    Ok(())
}

/// One input section of a link map: start, size, section name, input file.
struct MapSection {
    start: u64,
    size: u64,
    name: String,
    file: String,
}

/// Input sections with an address, from a GNU ld map (`-Map`), sorted by address.
fn read_map(path: &Path) -> Result<Vec<MapSection>, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&text);
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    let hex = |s: &str| {
        s.strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h, 16).ok())
    };
    for line in text.lines() {
        if !line.starts_with(' ') {
            pending = None;
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = parts.first() else { continue };
        let (name, rest) = if first.starts_with('.') {
            if parts.len() == 1 {
                pending = Some(first.to_string());
                continue;
            }
            (first.to_string(), &parts[1..])
        } else if let Some(p) = pending.take() {
            (p, &parts[..])
        } else {
            continue;
        };
        pending = None;
        if let (Some(start), Some(size)) = (
            rest.first().and_then(|s| hex(s)),
            rest.get(1).and_then(|s| hex(s)),
        ) {
            if start > 0 && size > 0 {
                out.push(MapSection {
                    start,
                    size,
                    name,
                    file: rest.get(2).unwrap_or(&"").to_string(),
                });
            }
        }
    }
    out.sort_by_key(|s| s.start);
    Ok(out)
}

/// The link map the last static build wrote (`deps/ifaddr-*.map`, newest).
fn newest_map(bin: &Path) -> Result<PathBuf, String> {
    newest_with_suffix(bin, ".map")
}

/// The newest `deps/ifaddr-*<suffix>` beside `bin`: what the linker half wrote.
fn newest_with_suffix(bin: &Path, suffix: &str) -> Result<PathBuf, String> {
    let deps = bin.parent().unwrap().join("deps");
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for e in std::fs::read_dir(&deps).map_err(|e| format!("{}: {e}", deps.display()))? {
        let p = e.map_err(|e| e.to_string())?.path();
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        if n.starts_with("ifaddr-") && n.ends_with(suffix) {
            let t = p
                .metadata()
                .and_then(|m| m.modified())
                .map_err(|e| e.to_string())?;
            if best.as_ref().is_none_or(|b| t > b.0) {
                best = Some((t, p));
            }
        }
    }
    best.map(|b| b.1)
        .ok_or_else(|| format!("no ifaddr-*{suffix} in {}", deps.display()))
}

/// musl functions Valgrind replaces with its own (so a trace cannot see them).
const VALGRIND_REPLACES: [&str; 12] = [
    "strcmp", "strncmp", "strlen", "strnlen", "strchr", "strrchr", "memcmp", "bcmp", "memchr",
    "memmove", "memcpy", "memset",
];

/// `cargo xtask link-order`: trace the static build's actions and write the order file.
pub fn run(args: &[String]) -> Result<(), String> {
    // `--bin B --map M`: trace one binary linked elsewhere (for looking into a layout).
    let mut given: Option<(PathBuf, PathBuf)> = None;
    match args {
        [] => {}
        [b, bin, m, map] if b == "--bin" && m == "--map" => {
            given = Some((bin.into(), map.into()));
        }
        _ => return Err("usage: cargo xtask link-order [--bin BINARY --map LINK-MAP]".into()),
    }
    crate::deps::apt(&["valgrind", "iproute2"])?;
    let mut counts = Vec::new();
    let mut all: Vec<String> = Vec::new();
    let builds: &[&[&str]] = if given.is_some() {
        &[&[]]
    } else {
        &[&[], &crate::dist::RUNTIME_ONLY_ARGS]
    };
    for extra in builds {
        let (bin, map) = match &given {
            Some((b, m)) => (b.clone(), m.clone()),
            None => {
                let bin = crate::dist::build_musl(extra)?;
                let map = newest_map(&bin)?;
                (bin, map)
            }
        };
        let map = read_map(&map)?;
        let traced = crate::bench::trace_blocks(&bin)?;
        let starts: Vec<u64> = map.iter().map(|s| s.start).collect();
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        for a in traced {
            let i = starts.partition_point(|&s| s <= a);
            if i == 0 {
                continue;
            }
            let s = &map[i - 1];
            if a >= s.start + s.size {
                continue;
            }
            if let Some(e) = entry_of_section(&s.name, &s.file) {
                if seen.insert(e.clone()) {
                    entries.push(e);
                }
            }
        }
        // Valgrind runs its own versions of some C string functions, so the trace never
        // shows musl's: add those the executable links.
        for f in VALGRIND_REPLACES {
            let linked = map
                .iter()
                .any(|s| archive_member(&s.file).is_some_and(|(a, m)| a == "libc.a" && m == *f));
            let e = format!("lib libc.a:{f}");
            if linked && seen.insert(e.clone()) {
                entries.push(e);
            }
        }
        if entries.is_empty() {
            return Err(format!(
                "no executed function found in the link map of {} (a GNU ld map is expected)",
                bin.display()
            ));
        }
        counts.push(entries.len());
        merge_into(&mut all, entries);
    }
    let mut out = String::from(
        "# Functions an agent run executes, in order of first execution: the static Linux build\n\
         # places them (and the read-only data they use) first. Written by `cargo xtask link-order`\n\
         # (xtask/src/linkorder.rs); an entry that no longer exists is ignored.\n",
    );
    for e in &all {
        out.push_str(e);
        out.push('\n');
    }
    std::fs::write(root().join(ORDER_FILE), out).map_err(|e| e.to_string())?;
    println!(
        "link-order: {} entries ({:?} from each build traced) in {ORDER_FILE}",
        all.len(),
        counts
    );
    Ok(())
}

/// Append the entries of `new` not already in `into`, keeping both orders.
fn merge_into(into: &mut Vec<String>, new: Vec<String>) {
    let have: BTreeSet<String> = into.iter().cloned().collect();
    into.extend(new.into_iter().filter(|e| !have.contains(e)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_demangled_without_hashes() {
        assert_eq!(
            entry_of_section(".text._RNvCsd0QvhpKi7jg_6ifaddr4main", "x.o").as_deref(),
            Some("ifaddr::main")
        );
        assert_eq!(
            entry_of_section(
                ".text.unlikely._ZN3std2io5stdio6_print17h0123456789abcdefE",
                "x.o"
            )
            .as_deref(),
            Some("std::io::stdio::_print")
        );
        assert_eq!(
            entry_of_section(".text", "/usr/lib/musl/lib/libc.a(memcpy.lo)").as_deref(),
            Some("lib libc.a:memcpy")
        );
        assert_eq!(
            entry_of_section(".text", "/usr/lib/musl/lib/Scrt1.o").as_deref(),
            Some("obj Scrt1.o")
        );
        assert_eq!(entry_of_section(".text", "x.rcgu.o"), None);
        assert_eq!(
            entry_of_section(".text.memcpy", "/usr/lib/musl/lib/libc.a(memcpy.lo)").as_deref(),
            Some("lib libc.a:memcpy")
        );
        assert_eq!(entry_of_section(".rodata.x", "x.o"), None);
    }

    /// A real object (the system C compiler, one section per function and per constant):
    /// the listed function is placed, the constant it uses follows it, the rest stays.
    #[test]
    fn plan_places_listed_functions_and_the_data_they_use() {
        let dir = std::env::temp_dir().join(format!("ifaddr-linkorder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("t.c");
        std::fs::write(
            &src,
            "static const int hot_table[64] = {1, 2, 3};\n\
             static const int cold_table[64] = {4, 5, 6};\n\
             int hot(int i) { return hot_table[i & 63]; }\n\
             int cold(int i) { return cold_table[i & 63]; }\n",
        )
        .unwrap();
        let obj = dir.join("t.o");
        let st = Command::new("cc")
            .args([
                "-c",
                "-O1",
                "-fno-pic",
                "-ffunction-sections",
                "-fdata-sections",
            ])
            .arg(&src)
            .arg("-o")
            .arg(&obj)
            .status()
            .expect("cc");
        assert!(st.success());
        // The same object inside a Rust library (an ar archive), as without LTO.
        let rlib = dir.join("libt.rlib");
        let st = Command::new("ar")
            .arg("crs")
            .arg(&rlib)
            .arg(&obj)
            .status()
            .expect("ar");
        assert!(st.success());
        let order = [
            "c hot".to_owned(),
            "lib libc.a:memcpy".to_owned(),
            "obj Scrt1.o".to_owned(),
            "c gone".to_owned(),
        ];
        let rlib = rlib.to_string_lossy().into_owned();
        let from_rlib = plan(&order, &[&rlib]).unwrap();
        let obj = obj.to_string_lossy().into_owned();
        let plan = plan(&order, &[&obj]).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(from_rlib.text, plan.text);
        assert_eq!(from_rlib.rodata, plan.rodata);
        assert_eq!(
            plan.text,
            [
                "*(.text.hot)",
                "*libc.a:memcpy.*(.text .text.*)",
                "*Scrt1.o(.text .text.*)"
            ]
        );
        assert_eq!(plan.rodata, [".rodata.hot_table"]);
        assert_eq!(plan.matched, 3);
        let script = plan.script();
        assert!(script.contains("*(.text.hot)\n"), "{script}");
        assert!(script.contains("*(.rodata.hot_table)\n"), "{script}");
        assert!(!script.contains("cold"), "{script}");
        assert!(script.contains("INSERT BEFORE .text;"));
        assert!(script.contains("INSERT BEFORE .rodata;"));
    }

    /// GNU ld's map: names too long for their column put the address on the next line.
    #[test]
    fn map_sections_are_read_with_their_files() {
        let dir = std::env::temp_dir().join(format!("ifaddr-linkmap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let map = dir.join("t.map");
        std::fs::write(
            &map,
            ".text           0x0000000000401010   0x85cc59\n\
             *(.text.unlikely .text.*_unlikely .text.unlikely.*)\n \
             .text.unlikely._RNvCsd0QvhpKi7jg_6ifaddr4main\n                \
             0x0000000000401010       0x40 /tmp/x/ifaddr.rcgu.o\n \
             .text          0x0000000000401050       0x20 /usr/lib/musl/lib/libc.a(memcpy.lo)\n                \
             0x0000000000401050                memcpy\n",
        )
        .unwrap();
        let secs = read_map(&map).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(secs.len(), 2);
        assert_eq!(secs[0].start, 0x401010);
        assert_eq!(secs[0].size, 0x40);
        assert_eq!(
            entry_of_section(&secs[0].name, &secs[0].file).as_deref(),
            Some("ifaddr::main")
        );
        assert_eq!(
            entry_of_section(&secs[1].name, &secs[1].file).as_deref(),
            Some("lib libc.a:memcpy")
        );
    }
}

//! The `.deb` and `.rpm` that `cargo xtask dist` makes for the Linux targets, and their tests.
//!
//! Both are made from the staged release tree (`dist::stage`), never from a build of their
//! own, so they hold exactly what the tarball holds.
//!
//! - The `.deb`: cargo-deb (pinned below, installed with `cargo install --locked` when
//!   missing) reads the package metadata in `host/Cargo.toml`, whose assets start with the
//!   `target/release/` prefix cargo-deb resolves to `<target dir>/<T>/release/`; here the
//!   target dir is `target/pkg` and `target/pkg/<T>/release` is a symbolic link to the staged
//!   tree. The Debian-only files (maintainer scripts, changelog, copyright, lintian
//!   overrides) are in `packaging/debian/`. cargo-deb writes every directory 0755, so
//!   postinst makes `/var/cache/ifaddr` 0700 (all a maintainer script does at install).
//! - The `.rpm`: rpmbuild (Debian's `rpm` package; RPM's own builder) with
//!   `packaging/rpm/ifaddr.spec`, whose `%install` copies the staged tree and whose `%files`
//!   give every mode, owner and owned directory (`/var/cache/ifaddr` 0700); no scriptlet.
//!   (cargo-generate-rpm 0.21.1 was tried first: its `dir = true` entries fail with "No such
//!   file or directory", so it could not own the 0700 directory without a scriptlet, and it
//!   took 33 minutes to `cargo install` on the shared build machine.)
//!
//! [`build`] (every `dist` of a Linux target, both architectures) makes both packages and
//! checks them without installing: the file lists, modes and owners against the staged tree,
//! the dependencies (none: the programs are static), lintian (`--fail-on error,warning`, with
//! the overrides the package ships) and rpmlint. [`test_installed`] (the CI step
//! "packages", this machine's architecture) installs them: `apt-get install ./ifaddr_*.deb`,
//! ocf-tester against the installed agent (IPv4 and IPv6, in network namespaces), the
//! example policies from the shipped artifacts (nothing compiled), `apt-get purge` leaving no
//! file of the package; then the `.rpm` with `rpm --root` into a scratch root and the same
//! runs against the agent it installed.

use crate::dist::CACHE;
use crate::util::{cargo, root, run, show};
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `.deb`'s tool, pinned: `cargo install --locked <crate>@<version>`.
pub const CARGO_DEB: (&str, &str) = ("cargo-deb", "3.8.0");

/// `cargo xtask packages [--target T] [--test]`: make (and check) the packages again from the
/// tree `cargo xtask dist --target T` staged, without building; `--test` also installs them
/// (this machine's architecture only). `--freebsd-plist TARBALL`: only check the port's
/// pkg-plist against a FreeBSD release tarball.
pub fn run_packages(args: &[String]) -> Result<(), String> {
    let mut target = crate::dist::MUSL.to_owned();
    let mut test = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--target" => target = it.next().ok_or("--target needs a value")?.clone(),
            "--test" => test = true,
            "--freebsd-plist" => {
                let tarball = it.next().ok_or("--freebsd-plist needs a tarball")?;
                return check_freebsd_plist(Path::new(tarball));
            }
            other => return Err(format!("packages: unknown argument `{other}`")),
        }
    }
    let stage = root()
        .join("target/dist")
        .join(format!("ifaddr-{}-{target}", crate::dist::version()?));
    if !stage.is_dir() {
        return Err(format!(
            "no {}: run `cargo xtask dist --target {target}` first",
            stage.display()
        ));
    }
    build(&target, &stage)?;
    if test {
        test_installed(&target)?;
    }
    Ok(())
}

/// The Debian and RPM revision of every package made from one release.
const REVISION: &str = "1";

/// The Debian packages that check and install the packages.
const APT: &[&str] = &[
    "lintian",
    "rpm",
    "rpmlint",
    "resource-agents",
    "libxml2-utils",
];

/// Files the `.deb` holds besides the staged tree (Debian's own).
const DEB_EXTRA: [&str; 3] = [
    "usr/share/doc/ifaddr/copyright",
    "usr/share/doc/ifaddr/changelog.Debian.gz",
    "usr/share/lintian/overrides/ifaddr",
];

/// Directories the `.rpm` owns, with their modes (the `.deb` gets its directories from dpkg).
const RPM_DIRS: [(&str, u32); 7] = [
    ("/usr/lib/ocf", 0o755),
    ("/usr/lib/ocf/resource.d", 0o755),
    ("/usr/lib/ocf/resource.d/ifaddr", 0o755),
    ("/usr/lib/ifaddr", 0o755),
    ("/usr/lib/ifaddr/policies", 0o755),
    ("/usr/share/doc/ifaddr", 0o755),
    (CACHE, 0o700),
];

pub struct Packages {
    pub deb: PathBuf,
    pub rpm: PathBuf,
}

/// Debian's and RPM's names for the architecture of a Linux `target`.
fn arches(target: &str) -> Result<(&'static str, &'static str), String> {
    match target.split('-').next() {
        Some("x86_64") => Ok(("amd64", "x86_64")),
        Some("aarch64") => Ok(("arm64", "aarch64")),
        _ => Err(format!("no package architecture for {target}")),
    }
}

/// The paths of the packages `cargo xtask dist --target T` makes for `target`.
pub fn paths(target: &str) -> Result<Packages, String> {
    let (deb_arch, rpm_arch) = arches(target)?;
    let v = crate::dist::version()?;
    let dist = root().join("dist");
    Ok(Packages {
        deb: dist.join(format!("ifaddr_{v}-{REVISION}_{deb_arch}.deb")),
        rpm: dist.join(format!("ifaddr-{v}-{REVISION}.{rpm_arch}.rpm")),
    })
}

/// Install a pinned cargo tool unless that version is there (`<tool> --version` names it).
fn ensure_cargo_tool((krate, version): (&str, &str)) -> Result<(), String> {
    let have = Command::new(krate)
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .any(|w| w == version)
        })
        .unwrap_or(false);
    if have {
        return Ok(());
    }
    eprintln!("xtask: installing {krate} {version} (cargo install --locked)");
    run(cargo().args(["install", "--locked", &format!("{krate}@{version}")]))
}

/// The first entry of the Debian changelog must be this release, or the `.deb` would carry
/// a changelog of another version (lintian's `latest-debian-changelog-entry-...`).
fn check_changelog(version: &str) -> Result<(), String> {
    let path = root().join("packaging/debian/changelog");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let want = format!("ifaddr ({version}) ");
    if !text.starts_with(&want) {
        return Err(format!(
            "{}: the first entry must be `ifaddr ({version}) ...`: add one for this release",
            path.display()
        ));
    }
    Ok(())
}

/// Make the `.deb` and `.rpm` of `target` from its staged tree `stage`, into `dist/`, and
/// check them (see the module docs).
pub fn build(target: &str, stage: &Path) -> Result<Packages, String> {
    let out = paths(target)?;
    let (_, rpm_arch) = arches(target)?;
    let v = crate::dist::version()?;
    check_changelog(&format!("{v}-{REVISION}"))?;
    crate::deps::apt(APT)?;
    ensure_cargo_tool(CARGO_DEB)?;

    // target/pkg/<T>/release -> the staged tree (see the module docs).
    let pkg = root().join("target/pkg");
    let link = pkg.join(target).join("release");
    std::fs::create_dir_all(link.parent().unwrap()).map_err(|e| format!("mkdir: {e}"))?;
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link).map_err(|e| format!("rm {}: {e}", link.display()))?;
    }
    std::os::unix::fs::symlink(stage, &link)
        .map_err(|e| format!("ln -s {} {}: {e}", stage.display(), link.display()))?;
    for p in [&out.deb, &out.rpm] {
        let _ = std::fs::remove_file(p);
    }
    // Reproducible times: SOURCE_DATE_EPOCH, else the last commit's (lintian refuses 1970).
    let epoch = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(e) => e,
        Err(_) => {
            output(
                Command::new("git")
                    .current_dir(root())
                    .args(["log", "-1", "--format=%ct"]),
            )?
            .trim()
            .to_owned()
        }
    };
    run(cargo()
        .env("CARGO_TARGET_DIR", &pkg)
        .env("SOURCE_DATE_EPOCH", &epoch)
        .args([
            "deb",
            "-p",
            "ifaddr",
            "--no-build",
            "--no-strip",
            "--target",
            target,
        ])
        .args(["--deb-version", &format!("{v}-{REVISION}")])
        .arg("--output")
        .arg(&out.deb))?;
    let topdir = pkg.join("rpmbuild");
    let _ = std::fs::remove_dir_all(&topdir);
    let mut rpmbuild = Command::new("rpmbuild");
    rpmbuild
        .env("SOURCE_DATE_EPOCH", &epoch)
        .args(["-bb", "--quiet", "--target", rpm_arch]);
    for (k, val) in [
        ("_topdir", topdir.to_string_lossy().into_owned()),
        ("ifaddr_version", v.clone()),
        ("ifaddr_release", REVISION.to_owned()),
        ("stage", stage.to_string_lossy().into_owned()),
    ] {
        rpmbuild.arg("--define").arg(format!("{k} {val}"));
    }
    run(rpmbuild.arg(root().join("packaging/rpm/ifaddr.spec")))?;
    let made = topdir
        .join("RPMS")
        .join(rpm_arch)
        .join(out.rpm.file_name().unwrap());
    std::fs::rename(&made, &out.rpm)
        .map_err(|e| format!("mv {} {}: {e}", made.display(), out.rpm.display()))?;
    for p in [&out.deb, &out.rpm] {
        let size = std::fs::metadata(p)
            .map_err(|e| format!("{} was not made: {e}", p.display()))?
            .len();
        eprintln!("packages: {} ({size} bytes)", p.display());
    }
    let files = staged_files(stage)?;
    check_deb(&out.deb, target, &files)?;
    check_rpm(&out.rpm, rpm_arch, &files)?;
    Ok(out)
}

/// The staged tree's files (not directories), as absolute install paths, with their modes.
fn staged_files(stage: &Path) -> Result<BTreeMap<String, u32>, String> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, u32>) -> Result<(), String> {
        for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let p = e.map_err(|e| e.to_string())?.path();
            let m = p.symlink_metadata().map_err(|e| e.to_string())?;
            if m.is_dir() {
                walk(&p, base, out)?;
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(format!("/{rel}"), m.mode() & 0o7777);
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    walk(stage, stage, &mut out)?;
    Ok(out)
}

/// `-rwxr-xr-x` → 0o755.
fn mode_of(perms: &str) -> u32 {
    perms
        .chars()
        .skip(1)
        .take(9)
        .fold(0, |m, c| (m << 1) | u32::from(c != '-'))
}

fn output(c: &mut Command) -> Result<String, String> {
    let o = c
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{}: {e}", show(c)))?;
    if !o.status.success() {
        return Err(format!("{} failed: {}", show(c), o.status));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Compare a package's files (path → (mode, owner)) with the staged tree plus `extra`.
fn compare(
    what: &str,
    got: &BTreeMap<String, (u32, String)>,
    staged: &BTreeMap<String, u32>,
    extra: &[&str],
) -> Result<(), String> {
    let mut errors = Vec::new();
    for (path, mode) in staged {
        match got.get(path) {
            None => errors.push(format!("{path} is missing")),
            Some((m, _)) if m != mode => {
                errors.push(format!("{path} has mode {m:o}, not {mode:o}"))
            }
            _ => {}
        }
    }
    for (path, (_, owner)) in got {
        if !staged.contains_key(path) && !extra.iter().any(|e| format!("/{e}") == *path) {
            errors.push(format!("{path} is not in the release tree"));
        }
        if owner != "root/root" {
            errors.push(format!("{path} is owned by {owner}, not root/root"));
        }
    }
    if errors.is_empty() {
        eprintln!(
            "packages: {what}: {} files as staged, root-owned",
            got.len()
        );
        Ok(())
    } else {
        Err(format!("{what}: {}", errors.join("; ")))
    }
}

/// The `.deb`: its files as staged (plus Debian's own), its fields, lintian.
fn check_deb(deb: &Path, target: &str, staged: &BTreeMap<String, u32>) -> Result<(), String> {
    let list = output(Command::new("dpkg-deb").arg("-c").arg(deb))?;
    let mut files = BTreeMap::new();
    for l in list.lines() {
        // -rwxr-xr-x root/root 1048576 2026-12-06 12:00 ./usr/lib/ocf/resource.d/ifaddr/vip
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 6 || f[0].starts_with('d') {
            continue;
        }
        let path = f[5].trim_start_matches('.').to_owned();
        // cargo-deb writes numeric owners only.
        let owner = if f[1] == "0/0" { "root/root" } else { f[1] };
        files.insert(path, (mode_of(f[0]), owner.to_owned()));
    }
    compare("deb", &files, staged, &DEB_EXTRA)?;
    let (arch, _) = arches(target)?;
    let field = |name: &str| -> Result<String, String> {
        Ok(
            output(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name))?
                .trim()
                .to_owned(),
        )
    };
    for (name, want) in [
        ("Package", "ifaddr"),
        ("Architecture", arch),
        ("Depends", ""),
        ("Pre-Depends", ""),
        ("Recommends", ""),
        ("Suggests", "pacemaker, resource-agents"),
    ] {
        let got = field(name)?;
        if got != want {
            return Err(format!("deb: {name} is {got:?}, not {want:?}"));
        }
    }
    run(Command::new("lintian")
        .args(["--fail-on", "error,warning", "--display-level", ">=warning"])
        .arg(deb))
}

/// The `.rpm`: its files and directories as staged, root-owned, no requirement beyond rpm's
/// own features, no scriptlet, the suggestions; rpmlint.
fn check_rpm(rpm: &Path, arch: &str, staged: &BTreeMap<String, u32>) -> Result<(), String> {
    let q = |args: &[&str]| output(Command::new("rpm").arg("-qp").args(args).arg(rpm));
    let head = q(&["--qf", "%{NAME} %{ARCH}"])?;
    if head != format!("ifaddr {arch}") {
        return Err(format!("rpm: name and arch are {head:?}"));
    }
    let list = q(&[
        "--qf",
        "[%{FILEMODES:octal} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILENAMES}\n]",
    ])?;
    let mut files = BTreeMap::new();
    let mut dirs = BTreeMap::new();
    for l in list.lines() {
        let f: Vec<&str> = l.splitn(3, ' ').collect();
        if f.len() != 3 {
            return Err(format!("rpm: cannot read the file list line {l:?}"));
        }
        let mode = u32::from_str_radix(f[0], 8).map_err(|e| format!("rpm: {l:?}: {e}"))?;
        if mode & 0o170000 == 0o040000 {
            dirs.insert(f[2].to_owned(), (mode & 0o7777, f[1].to_owned()));
        } else {
            files.insert(f[2].to_owned(), (mode & 0o7777, f[1].to_owned()));
        }
    }
    compare("rpm", &files, staged, &[])?;
    let want: BTreeMap<String, (u32, String)> = RPM_DIRS
        .iter()
        .map(|(d, m)| (d.to_string(), (*m, "root/root".to_string())))
        .collect();
    if dirs != want {
        return Err(format!("rpm: owns the directories {dirs:?}, not {want:?}"));
    }
    let requires = q(&["--requires"])?;
    if let Some(r) = requires.lines().find(|l| !l.starts_with("rpmlib(")) {
        return Err(format!("rpm: requires {r:?} (the programs are static)"));
    }
    let suggests = q(&["--suggests"])?;
    for s in ["pacemaker", "resource-agents"] {
        if !suggests.lines().any(|l| l.trim() == s) {
            return Err(format!("rpm: does not suggest {s}: {suggests:?}"));
        }
    }
    let scripts = q(&["--scripts"])?;
    if !scripts.trim().is_empty() {
        return Err(format!("rpm: has scriptlets: {scripts}"));
    }
    // rpmlint reads one rpmlintrc: the common filters and this architecture's, if any.
    let read = |name: &str| std::fs::read_to_string(root().join("packaging/rpm").join(name));
    let mut filters = read("ifaddr.rpmlintrc").map_err(|e| format!("ifaddr.rpmlintrc: {e}"))?;
    filters.push_str(&read(&format!("ifaddr-{arch}.rpmlintrc")).unwrap_or_default());
    let rc = root().join(format!("target/pkg/ifaddr-{arch}.rpmlintrc"));
    std::fs::write(&rc, filters).map_err(|e| format!("{}: {e}", rc.display()))?;
    let mut c = Command::new("rpmlint");
    c.arg("--rpmlintrc").arg(&rc).arg(rpm);
    eprintln!("$ {}", show(&c));
    let o = c.output().map_err(|e| format!("rpmlint: {e}"))?;
    let text = String::from_utf8_lossy(&o.stdout);
    eprint!("{text}");
    let findings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(": E: ") || l.contains(": W: "))
        .collect();
    if !findings.is_empty() {
        return Err(format!(
            "rpmlint: {} (filter the intended ones in packaging/rpm/ifaddr.rpmlintrc, with a reason)",
            findings.join("; ")
        ));
    }
    Ok(())
}

/// Run `f` with two network namespaces joined by a veth pair: `NS` holds `v1` with
/// 192.0.2.1/24 and 2001:db8::1/64, its peer `v1p` 192.0.2.2 and 2001:db8::2.
fn with_netns(f: &mut dyn FnMut(&str) -> Result<(), String>) -> Result<(), String> {
    const NS: &str = "ifaddr-ci-pkg";
    const PEER: &str = "ifaddr-ci-pkgp";
    let clean = || {
        for ns in [NS, PEER] {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stderr(Stdio::null())
                .status();
        }
    };
    clean();
    let setup = format!(
        "ip netns add {NS} && ip netns add {PEER} && \
         ip -n {NS} link add v1 type veth peer name v1p netns {PEER} && \
         ip -n {NS} link set lo up && ip -n {PEER} link set lo up && \
         ip netns exec {NS} sysctl -qw net.ipv6.conf.v1.accept_dad=1 \
             net.ipv6.conf.v1.dad_transmits=1 net.ipv6.conf.v1.accept_ra=0 && \
         ip -n {NS} link set v1 up && ip -n {PEER} link set v1p up && \
         ip -n {NS} addr add 192.0.2.1/24 dev v1 && ip -n {PEER} addr add 192.0.2.2/24 dev v1p && \
         ip -n {NS} addr add 2001:db8::1/64 dev v1 nodad && \
         ip -n {PEER} addr add 2001:db8::2/64 dev v1p nodad"
    );
    let result = run(Command::new("sh").args(["-c", &setup])).and_then(|()| f(NS));
    clean();
    result
}

/// ocf-tester against `agent` in `ns`, IPv4 (with nic) and IPv6 (found from the route).
fn ocf_tester(ns: &str, agent: &Path) -> Result<(), String> {
    for args in [
        &["-o", "ip=192.0.2.200", "-o", "nic=v1"][..],
        &["-o", "ip=2001:db8::200", "-o", "cidr_netmask=64"][..],
    ] {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, "ocf-tester", "-n", "IP"])
            .args(args)
            .arg(agent)
            .env("OCF_ROOT", "/usr/lib/ocf");
        let out = output(&mut c)?;
        if !out.contains("passed all tests") {
            return Err(format!("{}: {out}", show(&c)));
        }
        eprintln!("packages: {}: passed all tests", show(&c));
    }
    Ok(())
}

/// The names and modification times in `dir`.
fn snapshot(dir: &Path) -> Result<BTreeMap<String, i64>, String> {
    std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .map(|e| {
            let e = e.map_err(|e| e.to_string())?;
            let m = e.metadata().map_err(|e| e.to_string())?;
            Ok((e.file_name().to_string_lossy().into_owned(), m.mtime()))
        })
        .collect()
}

/// Each example policy in `policies` answers validate-all and monitor with 0, loaded from
/// the artifacts in `cache` (through `IFADDR_CACHE_DIR` unless it is the agent's default):
/// the agent answers 5 for a module without an artifact, and the cache is left as it was, so
/// the shipped artifacts were used and nothing was compiled. The cache is root's alone
/// (0700), its artifacts 0600.
fn policies_run(ns: &str, agent: &Path, policies: &Path, cache: &Path) -> Result<(), String> {
    let meta = cache
        .symlink_metadata()
        .map_err(|e| format!("{}: {e}", cache.display()))?;
    if !meta.is_dir() || meta.uid() != 0 || meta.mode() & 0o7777 != 0o700 {
        return Err(format!(
            "{}: a directory of root's with mode 700 expected, found uid {} mode {:o}",
            cache.display(),
            meta.uid(),
            meta.mode() & 0o7777
        ));
    }
    let before = snapshot(cache)?;
    for name in before.keys() {
        let m = cache
            .join(name)
            .symlink_metadata()
            .map_err(|e| e.to_string())?;
        if m.uid() != 0 || m.permissions().mode() & 0o7777 != 0o600 {
            return Err(format!(
                "{}/{name}: not root's with mode 600",
                cache.display()
            ));
        }
    }
    for p in ["strict", "flap-damping", "error-rate"] {
        let module = policies.join(format!("{p}.wasm"));
        for action in ["validate-all", "monitor"] {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns])
                .arg(agent)
                .arg(action)
                .env_clear()
                .env("OCF_ROOT", "/usr/lib/ocf")
                .env("HA_LOGFACILITY", "none")
                .env("OCF_RESKEY_ip", "192.0.2.1")
                .env("OCF_RESKEY_nic", "v1")
                .env("OCF_RESKEY_cidr_netmask", "24")
                .env("OCF_RESKEY_policy", &module)
                .env(
                    "OCF_RESKEY_policy_args",
                    if p == "error-rate" { "rate=1000" } else { "" },
                )
                .stderr(Stdio::inherit());
            if cache != Path::new(CACHE) {
                c.env("IFADDR_CACHE_DIR", cache);
            }
            let st = c.status().map_err(|e| format!("{}: {e}", show(&c)))?;
            if st.code() != Some(0) {
                return Err(format!("{}: {st}, not 0", show(&c)));
            }
        }
    }
    if snapshot(cache)? != before {
        return Err(format!(
            "{} changed while the policies ran",
            cache.display()
        ));
    }
    eprintln!(
        "packages: {}: the example policies answer 0 from the shipped artifacts in {}",
        agent.display(),
        cache.display()
    );
    Ok(())
}

fn apt_get() -> Command {
    let mut c = Command::new("apt-get");
    c.env("DEBIAN_FRONTEND", "noninteractive")
        .args(["-o", "DPkg::Lock::Timeout=300", "-y", "-q"]);
    c
}

/// The installed package's paths (`dpkg -L`).
fn dpkg_list() -> Result<Vec<PathBuf>, String> {
    Ok(output(Command::new("dpkg").args(["-L", "ifaddr"]))?
        .lines()
        .filter(|l| l.starts_with('/') && *l != "/.")
        .map(PathBuf::from)
        .collect())
}

/// The packages of this machine's architecture, installed for real (see the module docs).
pub fn test_installed(target: &str) -> Result<(), String> {
    crate::deps::apt(APT)?;
    let pkgs = paths(target)?;
    test_deb(&pkgs.deb)?;
    test_rpm(&pkgs.rpm)
}

fn test_deb(deb: &Path) -> Result<(), String> {
    // The machine's own files are not the test's to overwrite.
    let installed = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "ifaddr"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("installed"))
        .unwrap_or(false);
    let agent = PathBuf::from("/usr/lib/ocf/resource.d/ifaddr/vip");
    if !installed {
        for p in [agent.as_path(), Path::new("/usr/bin/ifaddrc")] {
            if p.exists() {
                return Err(format!(
                    "{} exists and is not from the package: remove the ifaddr installed \
                     otherwise first (the test would replace and then remove it)",
                    p.display()
                ));
            }
        }
    }
    // An artifact cache left by something else (`cargo xtask bench` compiles into it) is put
    // aside for the test and back afterwards: purge removes the cache.
    let saved = PathBuf::from(format!("{CACHE}.saved-by-xtask-packages"));
    let set_aside = !installed && Path::new(CACHE).exists();
    if set_aside {
        std::fs::rename(CACHE, &saved)
            .map_err(|e| format!("mv {CACHE} {}: {e}", saved.display()))?;
        eprintln!(
            "packages: {CACHE} set aside as {} for the test",
            saved.display()
        );
    }
    let result = install_test_purge(deb, &agent);
    if set_aside {
        if Path::new(CACHE).exists() {
            let _ = std::fs::remove_dir_all(CACHE);
        }
        std::fs::rename(&saved, CACHE)
            .map_err(|e| format!("mv {} {CACHE}: {e}", saved.display()))?;
        eprintln!("packages: {CACHE} put back");
    }
    result
}

fn install_test_purge(deb: &Path, agent: &Path) -> Result<(), String> {
    // As the README says: `apt-get install ./ifaddr_<version>_<arch>.deb` where it is.
    let name = deb.file_name().unwrap().to_string_lossy();
    run(apt_get()
        .current_dir(deb.parent().unwrap())
        .arg("install")
        .arg(format!("./{name}")))?;
    let listed = dpkg_list()?;
    let result = with_netns(&mut |ns| {
        ocf_tester(ns, agent)?;
        policies_run(
            ns,
            agent,
            Path::new("/usr/lib/ifaddr/policies"),
            Path::new(CACHE),
        )
    });
    // Purge whatever happened; then nothing the package listed may be left, except the
    // directories other packages (or the system) have too.
    run(apt_get().args(["purge", "ifaddr"]))?;
    result?;
    let shared = |p: &Path| -> bool {
        [
            "/usr",
            "/usr/bin",
            "/usr/lib",
            "/usr/share",
            "/usr/share/doc",
            "/usr/share/man",
            "/usr/share/man/man8",
            "/usr/share/lintian",
            "/usr/share/lintian/overrides",
            "/var",
            "/var/cache",
            "/usr/lib/ocf",
            "/usr/lib/ocf/resource.d",
        ]
        .iter()
        .any(|s| Path::new(s) == p)
    };
    let left: Vec<String> = listed
        .iter()
        .filter(|p| p.symlink_metadata().is_ok() && !shared(p))
        .map(|p| p.display().to_string())
        .collect();
    if !left.is_empty() {
        return Err(format!("apt-get purge left {}", left.join(", ")));
    }
    eprintln!(
        "packages: {}: installed, ocf-tester and the policies passed, purged without a trace ({} paths)",
        deb.display(),
        listed.len()
    );
    Ok(())
}

fn test_rpm(rpm: &Path) -> Result<(), String> {
    let scratch = root().join("target/pkg/rpm-root");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch).map_err(|e| format!("rm {}: {e}", scratch.display()))?;
    }
    std::fs::create_dir_all(&scratch).map_err(|e| format!("mkdir: {e}"))?;
    // Debian's rpm refuses to install unless told it is on purpose.
    let force = output(Command::new("rpm").arg("--help"))?.contains("--force-debian");
    let rpm_cmd = || {
        let mut c = Command::new("rpm");
        c.arg("--root").arg(&scratch);
        if force {
            c.arg("--force-debian");
        }
        c
    };
    run(Command::new("rpm")
        .arg("--root")
        .arg(&scratch)
        .arg("--initdb"))?;
    run(rpm_cmd().args(["-i", "--nodeps"]).arg(rpm))?;
    let agent = scratch.join("usr/lib/ocf/resource.d/ifaddr/vip");
    with_netns(&mut |ns| {
        ocf_tester(ns, &agent)?;
        policies_run(
            ns,
            &agent,
            &scratch.join("usr/lib/ifaddr/policies"),
            &scratch.join(CACHE.trim_start_matches('/')),
        )
    })?;
    run(rpm_cmd().args(["-e", "ifaddr"]))?;
    for d in RPM_DIRS
        .iter()
        .map(|(d, _)| scratch.join(d.trim_start_matches('/')))
    {
        if d.exists() {
            return Err(format!("rpm -e left {}", d.display()));
        }
    }
    eprintln!(
        "packages: {}: installed into {}, ocf-tester and the policies passed, erased",
        rpm.display(),
        scratch.display()
    );
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// The FreeBSD port's packing list (`packaging/freebsd/pkg-plist`, plus the artifacts its
/// `do-install` adds: one `/var/cache/ifaddr/<module digest>-<engine key>.cwasm` per example
/// policy, whose names are only known once built) against the FreeBSD release `tarball`:
/// the same files, the artifacts those of the port's policies, the cache root's alone.
pub fn check_freebsd_plist(tarball: &Path) -> Result<(), String> {
    let port = root().join("packaging/freebsd");
    let plist_text =
        std::fs::read_to_string(port.join("pkg-plist")).map_err(|e| format!("pkg-plist: {e}"))?;
    // path (relative to /) → the mode the plist gives it, if any.
    let mut plist: BTreeMap<String, Option<u32>> = BTreeMap::new();
    let mut plist_dirs: BTreeMap<String, Option<u32>> = BTreeMap::new();
    for line in plist_text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let line = line
            .replace("%%OCF_ROOT%%", "lib/ocf")
            .replace("%%PORTDOCS%%", "")
            .replace("%%DOCSDIR%%", "share/doc/ifaddr");
        let (keyword, path) = match line.strip_prefix('@') {
            Some(rest) => rest
                .split_once(' ')
                .ok_or(format!("pkg-plist: cannot read {line:?}"))?,
            None => ("", line.as_str()),
        };
        let mode = match keyword.split_once('(') {
            Some((_, attrs)) => {
                let m = attrs.trim_end_matches(')').rsplit(',').next().unwrap_or("");
                Some(u32::from_str_radix(m, 8).map_err(|e| format!("pkg-plist: {line:?}: {e}"))?)
            }
            None => None,
        };
        let path = match path.strip_prefix('/') {
            Some(abs) => abs.to_owned(),
            None => format!("usr/local/{path}"),
        };
        if keyword.starts_with("dir") {
            plist_dirs.insert(path, mode);
        } else if keyword.is_empty() || keyword.starts_with('(') {
            plist.insert(path, mode);
        } else {
            return Err(format!("pkg-plist: keyword @{keyword} is not checked here"));
        }
    }

    let tmp = root().join("target/pkg/plist-check");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("mkdir: {e}"))?;
    run(Command::new("tar")
        .args(["-xzf"])
        .arg(tarball)
        .arg("-C")
        .arg(&tmp)
        .args(["--strip-components=1", "--same-permissions"]))?;
    let files: BTreeMap<String, u32> = staged_files(&tmp)?
        .into_iter()
        .map(|(p, m)| (p.trim_start_matches('/').to_owned(), m))
        .collect();
    let cache = CACHE.trim_start_matches('/');
    let mut errors = Vec::new();
    // The artifacts: one per example policy the plist lists, named after its digest.
    let mut artifacts: Vec<&String> = files
        .keys()
        .filter(|p| p.starts_with(&format!("{cache}/")) && p.ends_with(".cwasm"))
        .collect();
    let policies: Vec<&String> = plist
        .keys()
        .filter(|p| p.starts_with("usr/local/lib/ifaddr/policies/") && p.ends_with(".wasm"))
        .collect();
    for module in &policies {
        let sum = output(Command::new("sha256sum").arg(tmp.join(module)))?;
        let digest = sum.split_whitespace().next().unwrap_or("").to_owned();
        match artifacts
            .iter()
            .position(|a| a.starts_with(&format!("{cache}/{digest}-")))
        {
            Some(i) => {
                let a = artifacts.remove(i);
                if files[a] != 0o600 {
                    errors.push(format!("{a} has mode {:o}, not 600", files[a]));
                }
            }
            None => errors.push(format!("the tarball has no artifact of {module}")),
        }
    }
    for a in artifacts {
        errors.push(format!("{a} is the artifact of no policy in pkg-plist"));
    }
    for (path, mode) in &files {
        if path.starts_with(&format!("{cache}/")) {
            continue;
        }
        match plist.get(path) {
            None => errors.push(format!("/{path} is in the tarball, not in pkg-plist")),
            Some(Some(m)) if m != mode => errors.push(format!(
                "/{path}: pkg-plist says mode {m:o}, the tarball {mode:o}"
            )),
            _ => {}
        }
    }
    for path in plist.keys() {
        if !files.contains_key(path) {
            errors.push(format!("/{path} is in pkg-plist, not in the tarball"));
        }
    }
    let cache_mode = std::fs::symlink_metadata(tmp.join(cache))
        .map(|m| m.mode() & 0o7777)
        .map_err(|e| format!("the tarball has no {CACHE}: {e}"))?;
    match plist_dirs.get(cache) {
        Some(Some(m)) if *m == cache_mode && cache_mode == 0o700 => {}
        other => errors.push(format!(
            "{CACHE}: the tarball has mode {cache_mode:o}, pkg-plist {other:?} (700 wanted)"
        )),
    }
    // The Makefile builds and compiles the policies pkg-plist lists.
    let makefile =
        std::fs::read_to_string(port.join("Makefile")).map_err(|e| format!("Makefile: {e}"))?;
    let mut built: Vec<String> = makefile
        .lines()
        .find_map(|l| l.strip_prefix("POLICIES="))
        .ok_or("packaging/freebsd/Makefile sets no POLICIES")?
        .split_whitespace()
        .map(|p| format!("usr/local/lib/ifaddr/policies/{p}.wasm"))
        .collect();
    built.sort();
    let mut listed: Vec<String> = policies.iter().map(|p| p.to_string()).collect();
    listed.sort();
    if built != listed {
        errors.push(format!(
            "the Makefile's POLICIES make {built:?}, pkg-plist lists {listed:?}"
        ));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    if errors.is_empty() {
        eprintln!(
            "packages: packaging/freebsd/pkg-plist matches {} ({} files)",
            tarball.display(),
            files.len()
        );
        Ok(())
    } else {
        Err(format!(
            "packaging/freebsd/pkg-plist against {}: {}",
            tarball.display(),
            errors.join("; ")
        ))
    }
}

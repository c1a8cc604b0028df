//! `cargo xtask <command>`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! Each command lives in its own module; `main` only dispatches.

pub(crate) mod bench;
mod ci;
mod demo;
mod deps;
mod dist;
mod e2e;
mod freebsd;
mod fuzz;
mod install;
mod lab;
mod ocft;
mod packages;
mod policies;
#[cfg(test)]
mod tidy;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  ci              the whole test suite (what .ci/run and the README run)
  demo [--keep]   a three-node Pacemaker cluster in network namespaces moving a virtual IP
  e2e             the cluster scenario as assertions (part of ci)
  policies        build the example WebAssembly policies
  fuzz [--time S] [TARGET]   run the cargo-fuzz targets
  bench [--quick] measure ifaddr against ocf:heartbeat:IPaddr2
  dist --target T   a release tarball: the agent, ifaddrc and the example policies
                  with artifacts compiled for T; for Linux also the .deb and .rpm
  packages [--target T] [--test]   the .deb and .rpm again from dist's staged tree
                  (checked; --test: installed, ocf-tester, purged)
  freebsd-check [--bless]    FreeBSD structs, ioctl numbers and bytes vs FreeBSD's headers
  install [--ocf-root DIR] [--prefix DIR]   install the agent as
                  $OCF_ROOT/resource.d/ifaddr/vip, ifaddrc and the example policies
  ocft            resource-agents' ocft cases for IPaddr2 against ifaddr (root)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match cmd {
        "bench" => bench::run_bench(rest),
        "ci" => ci::run_ci(rest),
        "dist" => dist::run_dist(rest),
        "freebsd-check" => freebsd::run_check(rest),
        "install" => install::run_install(rest),
        "demo" => demo::run(rest),
        "e2e" => e2e::run(rest),
        "fuzz" => fuzz::run(rest),
        "policies" => policies::run(rest),
        "ocft" => ocft::run_ocft(rest),
        "packages" => packages::run_packages(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

//! The `ifaddrc` binary: everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    ifaddrc::cli::main(&args)
}

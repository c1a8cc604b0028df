//! `cargo xtask ci`: the whole test suite.

use crate::util::{cargo, run};

pub fn run_ci(_args: &[String]) -> Result<(), String> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().args(["test", "--workspace"]))?;
    Ok(())
}

pub use run_ci as run;

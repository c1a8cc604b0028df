[package]
name = "{{name}}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
# cdylib: the WebAssembly module the agent runs; rlib: so that `cargo test` runs the policy
# natively.
crate-type = ["cdylib", "rlib"]

[dependencies]
ifaddr-policy = "0.1"

# A workspace of its own, so the crate builds alike wherever it lives.
[workspace]

# Small modules (a few KB; the agent refuses more than 1 MiB), no unwinding.
[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
strip = true
debug = false
{{patch}}

# {{name}}

An ifaddr health policy, made by `ifaddrc new`. `decide` in `src/lib.rs` runs on every
monitor of an `ocf:ifaddr:vip` resource that has this module as its `policy`; as written it
fails without carrier and is degraded while the dropped-packet counters grow. Change it; the
observation's fields and the ABI are in ifaddr's docs/policies.md.

## Test natively

```sh
cargo test
```

`ifaddr_policy::Sim` runs `decide` through successive monitors, each described by a line of
`key=value` words, and hands each verdict's state to the next one.

## Build the module (wasm32)

With rustup (`rustup target add wasm32-unknown-unknown` once):

```sh
cargo build --release --target wasm32-unknown-unknown
```

With Debian's toolchain, where rustup cannot add the target
(`apt-get install rustc-web cargo-web rust-web-src lld` once; the first build compiles Rust's
`core` for wasm32 from source, about a minute, later builds about a second):

```sh
RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
/usr/bin/cargo build -Zbuild-std=core,panic_abort --target wasm32-unknown-unknown --release
```

Either way the module is `target/wasm32-unknown-unknown/release/{{crate}}.wasm`.
`.cargo/config.toml` gives it a 32 KiB stack (`-C link-arg=-zstack-size=32768`): the agent
allows a policy 1 MiB of memory, and rustc's default stack alone is 1 MiB. Do not set
`RUSTFLAGS` while building: it replaces that setting.

## Check, replay, compile, install

```sh
M=target/wasm32-unknown-unknown/release/{{crate}}.wasm
ifaddrc check $M                                     # one healthy sample observation
ifaddrc check $M --set link_carrier=0 --set rx_dropped=10   # one observation, changed
ifaddrc check $M --replay replay.txt                 # successive monitors, step by step
```

`replay.txt` holds one observation per line as `key=value` changes (see docs/policies.md,
"Observations as text"); `ifaddrc check` prints each step's verdict and state. Then copy the
module to each node (owned by root, mode 0644), run `ifaddrc compile MODULE` there as root,
and name it in the resource: `params ... policy=/path/to/{{crate}}.wasm`.

## The SDK dependency

`ifaddr-policy = "0.1"` comes from crates.io. To build against an ifaddr checkout instead
(working inside the ifaddr repository, or trying an SDK change), either pass the checkout on
the command line

```sh
cargo test --config 'patch.crates-io.ifaddr-policy.path="/path/to/ifaddr/policies/sdk"'
```

or add to `Cargo.toml` (what `ifaddrc new --sdk DIR` writes):

```toml
[patch.crates-io]
ifaddr-policy = { path = "/path/to/ifaddr/policies/sdk" }
```

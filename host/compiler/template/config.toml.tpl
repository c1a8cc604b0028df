# The agent gives a policy 1 MiB of linear memory, and rustc's default wasm32 stack alone is
# 1 MiB: without this the module needs 1088 KiB and is refused. 32 KiB is plenty.
# (A RUSTFLAGS environment variable replaces this setting: leave it unset when building.)
[target.wasm32-unknown-unknown]
rustflags = ["-C", "link-arg=-zstack-size=32768"]

//! The static Linux build links through xtask, which places the functions listed in
//! `xtask/link-order.txt` first (xtask/src/linkorder.rs). Cargo does not see what the linker
//! reads, so this makes a changed order file, or a change in how it is applied, relink the
//! agent.

fn main() {
    println!("cargo:rerun-if-changed=../xtask/link-order.txt");
    println!("cargo:rerun-if-changed=../xtask/src/linkorder.rs");
}

//! Release builds of the server put the functions that start-up runs next to each other:
//! `startup-order.txt` (made by `bench/startup-order.sh`) goes to the linker as lld's
//! `--symbol-ordering-file`. The kernel maps 64 KiB of the executable around every code
//! page the process touches, so scattered start-up code made ~17 MiB of code resident in
//! an idle server; clustered, a few MiB (BENCHMARKS.md, "Idle memory").
//!
//! Only where the linker is lld: rustc links x86_64-unknown-linux-gnu with its own lld
//! since Rust 1.90. `HATCHERY_NO_STARTUP_ORDER=1` turns it off (to measure without it, or
//! for a toolchain set up to link with another linker).

use std::env;
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=startup-order.txt");
    println!("cargo::rerun-if-env-changed=HATCHERY_NO_STARTUP_ORDER");
    let var = |name: &str| env::var(name).unwrap_or_default();
    let wanted = var("PROFILE") == "release"
        && var("TARGET") == "x86_64-unknown-linux-gnu"
        && env::var_os("HATCHERY_NO_STARTUP_ORDER").is_none();
    let list = Path::new(&var("CARGO_MANIFEST_DIR")).join("startup-order.txt");
    if wanted && list.is_file() {
        println!(
            "cargo::rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        // Names a later build no longer has (a dependency upgraded) are skipped silently.
        println!("cargo::rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

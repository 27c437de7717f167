//! How the `wb` binary is linked. Nothing is generated.
//!
//! On Linux with glibc the binary is linked as a position-dependent
//! executable (`-no-pie`, for the `wb` binary only: the library, tests and
//! proc-macros are untouched). A position-independent `wb` carries about
//! 4,700 relative relocations that the dynamic loader applies at every start,
//! writing to a dozen pages it must first copy; `wb run` of a small program
//! is over in about a millisecond, and that was a tenth of it. The cost is
//! that the executable's own code is not placed at a random address
//! (libraries and the stack still are). bench/README.md has the figures.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    // A static build (`crt-static`) is linked its own way: leave it be.
    let static_crt = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" && !static_crt
    {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

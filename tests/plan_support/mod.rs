//! What the planner's tests share: running the binary on a program in a
//! temporary file, and a small reproducible generator.

#![allow(dead_code)]

use std::io::Write as _;
use std::process::{Command, Output};

/// `wb ARGS`, without colour.
pub fn wb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("wb runs")
}

/// Output bytes as text.
pub fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Writes `src` to a temporary `.wb` file.
pub fn file(src: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".wb").tempfile().unwrap();
    f.write_all(src.as_bytes()).unwrap();
    f
}

/// xorshift64*: reproducible cases without a crate.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

//! `wb`: a small language for memory-bounded computation.
//!
//! A program declares a board of N slots and computes with explicit `write`,
//! `read` and `forget` statements. The stages, each in its own module:
//!
//! - [`syntax`]: source text to an AST with byte spans (pest grammar).
//! - [`check`]: names, board rules and liveness, statically, every error at once.
//! - [`interp`]: runs a checked program with the capacity enforced.
//! - [`repl`]: the interactive session behind `wb repl`.
//! - [`diag`]: diagnostics as data, rendered with miette or as JSON.
//! - [`picture`]: the board over time and the cell's gates as SVG, and the
//!   HTML report (`wb report`).
//!
//! See `ARCHITECTURE.md` for the map and `LANGUAGE.md`-level docs in `docs/`.

// pest is built without its `std` feature (see Cargo.toml), and the parser
// it derives then names its collections through `alloc`.
extern crate alloc;

pub mod arith;
/// Replacing a user's file atomically; shared by the REPL and the command line.
#[path = "cli/atomic.rs"]
pub mod atomic;
pub mod board;
pub mod cell;
pub mod check;
pub mod complete;
pub mod diag;
#[doc(hidden)]
pub mod exercise;
pub mod export;
pub mod fmt;
pub mod grad;
pub mod ide;
pub mod interp;
pub mod interrupt;
pub mod layout;
pub mod lsp;
pub mod number;
pub mod picture;
pub mod plan;
pub mod repl;
pub mod serve;
pub mod suggest;
pub mod syntax;
pub mod trace;

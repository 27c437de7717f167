//! `wb repl`: an interactive whiteboard (LANGUAGE.md §5).
//!
//! The REPL is a thin shell over the library: every entry goes through the
//! same parser, checker and interpreter as `wb run`. The rooms:
//!
//! - [`session`]: the [`Session`], a program that grows entry by entry.
//!   `Session::eval(entry) -> Outcome` is the whole core; tests drive it
//!   directly. An entry that fails changes nothing.
//! - [`outcome`]: what an entry did ([`Outcome`]), as plain data.
//! - [`command`]: the `:` commands (`:board`, `:check`, `:undo`, `:save`, …).
//! - [`editor`]: the terminal front end on rustyline (completion, hints,
//!   highlighting, the validator, history, Ctrl-C).
//! - [`script`]: the front end for a standard input that is not a terminal:
//!   line by line, no prompts, exit 1 if any entry failed.

pub mod command;
pub mod editor;
pub mod outcome;
pub mod script;
pub mod session;

pub use outcome::{Outcome, Status};
pub use session::{needs_more, Session, DEFAULT_CAPACITY, SOURCE_NAME};

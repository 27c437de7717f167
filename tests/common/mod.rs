//! Helpers shared by the integration tests: run a program through the
//! library the way `wb run` does.

#![allow(dead_code)]

use wb::check;
use wb::diag::{Code, Diagnostic};
use wb::interp::{self, Limits, Machine, Overrides, Read};

/// Parses, checks and runs `src` with its defaults; the reads, or the first
/// error (syntax, check or run time).
pub fn run(src: &str) -> Result<Vec<Read>, Diagnostic> {
    run_with(src, &Overrides::default())
}

/// Like [`run`], with inputs given.
pub fn run_with(src: &str, overrides: &Overrides) -> Result<Vec<Read>, Diagnostic> {
    run_maybe_checked(src, overrides, true)
}

/// Runs `src` without refusing it when the check fails: the interpreter
/// must cope, since it does not trust the checker. A syntax error still
/// stops it.
pub fn run_unchecked(src: &str) -> Result<Vec<Read>, Diagnostic> {
    run_maybe_checked(src, &Overrides::default(), false)
}

fn run_maybe_checked(
    src: &str,
    overrides: &Overrides,
    checked: bool,
) -> Result<Vec<Read>, Diagnostic> {
    let parsed = wb::syntax::parse(src);
    if let Some(d) = parsed.diagnostics.into_iter().next() {
        return Err(d);
    }
    let analysis = check::check(&parsed.program, None);
    if let Some(d) = analysis.diagnostics.iter().find(|d| d.is_error()) {
        if checked {
            return Err(d.clone());
        }
    }
    let bindings = interp::bind(&analysis.symbols, &parsed.program.names, overrides)?;
    let mut machine = Machine::new(
        &parsed.program,
        src,
        &analysis.symbols,
        analysis.capacity.unwrap_or(0),
        bindings,
    );
    let mut reads = Vec::new();
    machine.run(&parsed.program.items, &mut reads, Limits::default())?;
    Ok(reads)
}

/// The value of one expression, read on a board of one slot.
pub fn eval(expr: &str) -> Result<f64, Code> {
    let src = format!("board 1\nread {expr}\n");
    match run(&src) {
        Ok(reads) => Ok(reads[0].value),
        Err(d) => Err(d.code),
    }
}

/// The code and 1-based line of the first error `src` gives.
pub fn error_at(src: &str) -> (Code, usize) {
    let d = run(src).expect_err("the program should fail");
    let lines = wb::syntax::LineIndex::new(src);
    let line = d.primary_span().map_or(0, |s| lines.line(s.start as usize));
    (d.code, line)
}

//! `wb compile`: lower a program to its LSTM-style cell and show it.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use wb::cell;
use wb::check;
use wb::diag::Diagnostic;
use wb::syntax::LineIndex;

use super::{load, output, parse, report, Source, EXIT_PROGRAM};

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The program (`-` for standard input).
    file: PathBuf,
    /// Compile for this many slots instead of the program's `board N`.
    #[arg(long, value_name = "N", value_parser = super::capacity)]
    capacity: Option<usize>,
    /// `table` (default): the unit map and gate table; `json`: the whole
    /// cell, as documented in docs/cell.md.
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    emit: Emit,
    /// Lay the table out in N columns (default: the terminal's width, 80
    /// when standard output is not a terminal; at least 40).
    #[arg(long, value_name = "N")]
    width: Option<usize>,
    /// The same as `--emit json`; diagnostics, if any, as JSON too.
    #[arg(long)]
    json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Emit {
    Table,
    Json,
}

pub fn compile(mut args: CompileArgs) -> i32 {
    if args.json {
        args.emit = Emit::Json;
    }
    let json = args.emit == Emit::Json;
    // With JSON asked for, a failure is JSON too, as `wb run --json` does.
    let fail = |diags: &[Diagnostic], source: &Source| {
        if !json {
            return report(diags, source);
        }
        let lines = LineIndex::new(&source.text);
        let obj = serde_json::json!({
            "diagnostics": diags.iter().map(|d| d.to_json(&source.text, &lines)).collect::<Vec<_>>(),
        });
        let _ = output::print(&format!("{obj}\n"));
    };
    let source = match load(&args.file) {
        Ok(s) => s,
        Err(e) => return e.handle(|source, diags| fail(diags, source)),
    };
    let parsed = parse(&source);
    if !parsed.diagnostics.is_empty() {
        fail(&parsed.diagnostics, &source);
        return EXIT_PROGRAM;
    }
    let program = parsed.program;
    let analysis = check::check(&program, args.capacity);
    if analysis.has_errors() {
        fail(&analysis.diagnostics, &source);
        return EXIT_PROGRAM;
    }
    let compiled = match cell::compile(&program, &analysis, &source.text) {
        Ok(c) => c,
        Err(d) => {
            fail(&[d], &source);
            return EXIT_PROGRAM;
        }
    };
    match args.emit {
        Emit::Table => {
            let text = cell::table::render(&compiled, wb::layout::stdout_width(args.width));
            match output::print(&text) {
                Ok(()) => 0,
                Err(code) => code,
            }
        }
        // Written as it is made: memory does not grow with the output.
        Emit::Json => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            match cell::json::write(&compiled, &mut out).and_then(|()| out.flush()) {
                Ok(()) => 0,
                Err(e) => output::failed(&e),
            }
        }
    }
}

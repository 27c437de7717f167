//! `wb compile`: lower a program to its LSTM-style cell and show it.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use wb::cell;
use wb::check;
use wb::diag::Diagnostic;

use super::{load, output, parse, Source, EXIT_PROGRAM};

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
    let fail = |diags: &[Diagnostic], source: &Source| super::report_as(json, diags, source);
    // Ctrl-C is checked between the stages and while the result is
    // written (`wb::interrupt`).
    wb::interrupt::install();
    let source = match load(&args.file) {
        Ok(s) => s,
        Err(e) => return e.handle(|source, diags| fail(diags, source)),
    };
    let parsed = parse(&source);
    if !parsed.diagnostics.is_empty() {
        fail(&parsed.diagnostics, &source);
        return EXIT_PROGRAM;
    }
    if wb::interrupt::interrupted() {
        return interrupted();
    }
    let program = parsed.program;
    let analysis = check::check(&program, args.capacity);
    if analysis.has_errors() {
        fail(&analysis.diagnostics, &source);
        return EXIT_PROGRAM;
    }
    if wb::interrupt::interrupted() {
        return interrupted();
    }
    let width = wb::layout::stdout_width(args.width);
    let emit = args.emit;
    // The JSON is written as it is made, on the worker: memory does not
    // grow with the output, and Ctrl-C still stops it.
    let made = stoppable(|| {
        let compiled = cell::compile(&program, &analysis, &source.text)?;
        Ok(match emit {
            Emit::Table => Made::Table(cell::table::render(&compiled, width)),
            Emit::Json => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                Made::Json(cell::json::write(&compiled, &mut out).and_then(|()| out.flush()))
            }
        })
    });
    let made = match made {
        Ok(made) => made,
        Err(d) => {
            fail(&[d], &source);
            return EXIT_PROGRAM;
        }
    };
    match made {
        Made::Table(text) => {
            // In pieces, so that Ctrl-C (or a reader that went away) stops
            // a long table part-way.
            let mut out = std::io::stdout().lock();
            for piece in text.as_bytes().chunks(64 * 1024) {
                if wb::interrupt::interrupted() {
                    return interrupted();
                }
                if let Err(e) = out.write_all(piece) {
                    return output::failed(&e);
                }
            }
            match out.flush() {
                Ok(()) => 0,
                Err(e) => output::failed(&e),
            }
        }
        Made::Json(Ok(())) => 0,
        Made::Json(Err(e)) => output::failed(&e),
    }
}

/// Runs `work` (lowering and laying out, which hold no user file and print
/// nothing) on a thread of its own while this one watches the Ctrl-C flag:
/// a stop ends the process at once with `wb::interrupted`, however long
/// the work would still take.
fn stoppable<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let watcher = std::thread::current();
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            // As deep as the main thread's stack.
            .stack_size(8 << 20)
            .spawn_scoped(scope, move || {
                let out = work();
                watcher.unpark();
                out
            });
        let worker = match worker {
            Ok(w) => w,
            Err(e) => {
                super::usage_error(&format!("cannot start a thread: {e}"));
                std::process::exit(super::EXIT_USAGE);
            }
        };
        while !worker.is_finished() {
            if wb::interrupt::interrupted() {
                interrupted();
                std::process::exit(output::EXIT_INTERRUPTED);
            }
            std::thread::park_timeout(std::time::Duration::from_millis(50));
        }
        match worker.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// What the worker made: the table to print, or the JSON already written.
enum Made {
    Table(String),
    Json(std::io::Result<()>),
}

/// Reports a stop by Ctrl-C: `wb::interrupted`, exit 130.
fn interrupted() -> i32 {
    eprintln!("error[wb::interrupted]: `wb compile` was interrupted; nothing more is printed");
    output::EXIT_INTERRUPTED
}

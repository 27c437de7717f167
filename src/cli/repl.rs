//! `wb repl [FILE]`: the interactive whiteboard (LANGUAGE.md §5), or, when
//! standard input is not a terminal, the same session fed line by line.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use wb::repl::{self, Session, Status};

use super::{load, stderr_style, EXIT_PROGRAM};

#[derive(Args, Debug)]
pub struct ReplArgs {
    /// A program to load first (its board, its values); `board 3` without one.
    file: Option<PathBuf>,
    /// The board's size: the starting board, or the loaded program's new one.
    #[arg(long, value_name = "N", value_parser = super::capacity)]
    capacity: Option<usize>,
}

pub fn repl(args: ReplArgs) -> i32 {
    let interactive = std::io::stdin().is_terminal();
    let style = if interactive {
        stderr_style()
    } else {
        wb::diag::Style::plain()
    };
    let capacity = args.capacity.unwrap_or(repl::DEFAULT_CAPACITY);
    let mut session = match Session::new(capacity) {
        Ok(s) => s,
        Err(outcome) => {
            eprint!("{}", outcome.stderr(style));
            return EXIT_PROGRAM;
        }
    };
    // A file with an error is loaded up to the error's line, the error
    // shown against the file's name; then the session goes on (as
    // `python -i` does). Fed from a pipe, the session then exits 1 at its
    // end, as for any entry that failed (docs/cli.md).
    let mut file_failed = false;
    if let Some(path) = &args.file {
        let source = match load(path) {
            Ok(s) => s,
            Err(e) => return e.handle(|source, diags| super::report(diags, source)),
        };
        let mut stdout = std::io::stdout();
        let mut printer = repl::script::Printer::new(&mut stdout, session.interrupt_flag());
        let name = path.display().to_string();
        let mut outcome = session.load_file(&source.text, &name, &mut printer);
        if outcome.status == Status::Done {
            // `--capacity` with a file: the file's board, resized (if it fits).
            if let Some(n) = args.capacity.filter(|&n| n != session.capacity()) {
                outcome = session.eval(&format!("board {n}"));
            }
        }
        printer.flush();
        eprint!("{}", outcome.stderr(style));
        printer.write(&outcome.stdout());
        printer.flush();
        if let Some(e) = printer.failure.take() {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("error: cannot write the output: {e}");
            }
            return EXIT_PROGRAM;
        }
        file_failed = outcome.status != Status::Done;
    }
    if interactive {
        repl::editor::run(&mut session, style)
    } else {
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let mut err = std::io::stderr();
        let code = repl::script::run(&mut session, stdin.lock(), &mut out, &mut err);
        if code == 0 && file_failed {
            EXIT_PROGRAM
        } else {
            code
        }
    }
}

//! The REPL over a standard input that is not a terminal (`wb repl <
//! session.txt`): no prompts, no colour, one entry per line (a block until
//! its braces close), every entry run even after one failed; the exit code
//! says whether any failed.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::diag::Style;
use crate::interp::{Observer, Read};

use crate::syntax;

use super::outcome::{format_read, Outcome, Status};
use super::session::Session;

/// Prints each read as it happens: `TEXT = VALUE`. A closed output (`| head`)
/// interrupts the run and is remembered.
pub struct Printer<'a> {
    out: &'a mut dyn Write,
    stop: Arc<AtomicBool>,
    /// Whether writing failed (the reader went away, or a full disk).
    pub closed: bool,
    /// Why writing failed, if it did.
    pub failure: Option<std::io::Error>,
}

impl<'a> Printer<'a> {
    /// A printer to `out` that sets `stop` (the session's interrupt flag)
    /// when `out` is closed.
    pub fn new(out: &'a mut dyn Write, stop: Arc<AtomicBool>) -> Self {
        Printer {
            out,
            stop,
            closed: false,
            failure: None,
        }
    }

    /// Writes text, noting a closed output.
    pub fn write(&mut self, text: &str) {
        if self.closed {
            return;
        }
        if let Err(e) = self.out.write_all(text.as_bytes()) {
            self.closed = true;
            self.failure = Some(e);
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    /// Flushes, noting a closed output.
    pub fn flush(&mut self) {
        if self.closed {
            return;
        }
        if let Err(e) = self.out.flush() {
            self.closed = true;
            self.failure = Some(e);
        }
    }
}

impl Observer for Printer<'_> {
    fn read(&mut self, read: Read) {
        let line = format_read(&read) + "\n";
        self.write(&line);
    }
}

/// Runs every entry of `input`; returns the exit code: 0, or 1 if any entry
/// failed.
pub fn run(
    session: &mut Session,
    input: impl BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let mut runner = Runner {
        failed: false,
        style: Style::plain(),
    };
    let stop = session.interrupt_flag();
    let mut printer = Printer::new(out, stop);
    let mut pending = String::new();
    let mut input = input;
    let mut line_no = 0usize;
    loop {
        let mut bytes = Vec::new();
        match input.read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = writeln!(err, "error: cannot read standard input: {e}");
                runner.failed = true;
                break;
            }
        }
        line_no += 1;
        let Ok(line) = String::from_utf8(bytes) else {
            let _ = writeln!(err, "error: line {line_no} of standard input is not UTF-8");
            runner.failed = true;
            pending.clear();
            continue;
        };
        let line = line.strip_suffix('\n').unwrap_or(&line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        pending.push_str(line);
        pending.push('\n');
        // Nobody can fix a line of a script: a block is read whole, until
        // its braces close, and then reported as one entry.
        if syntax::is_incomplete(&pending) {
            continue;
        }
        let outcome = session.eval_with(&pending, &mut printer);
        pending.clear();
        if runner.report(&outcome, &mut printer, err) {
            return runner.code(&printer, err);
        }
    }
    if !pending.trim().is_empty() {
        // The input ended inside a block: run it for its syntax error.
        let outcome = session.eval_last(&pending, &mut printer);
        runner.report(&outcome, &mut printer, err);
    }
    printer.flush();
    runner.code(&printer, err)
}

struct Runner {
    failed: bool,
    style: Style,
}

impl Runner {
    /// Prints an outcome; true when the session should end.
    fn report(&mut self, outcome: &Outcome, printer: &mut Printer, err: &mut dyn Write) -> bool {
        printer.flush();
        // The diagnostic first, then what it left (`board unchanged: …`).
        let _ = err.write_all(outcome.stderr(self.style).as_bytes());
        let _ = err.flush();
        printer.write(&outcome.stdout());
        printer.flush();
        if printer.closed {
            // Nobody reads any more (`| head`): stop quietly, as `wb run` does.
            return true;
        }
        if outcome.status == Status::Failed || outcome.status == Status::Incomplete {
            self.failed = true;
        }
        outcome.status == Status::Quit
    }

    /// 0, or 1 if any entry failed; 2 when the output could not be written
    /// (a full disk), as `wb run` says it. A reader that went away is quiet.
    fn code(&self, printer: &Printer, err: &mut dyn Write) -> i32 {
        match &printer.failure {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                let _ = writeln!(err, "error: cannot write the output: {e}");
                2
            }
            _ => i32::from(self.failed),
        }
    }
}

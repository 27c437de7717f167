//! Standard output as a Unix tool writes it, and Ctrl-C.
//!
//! A reader that went away (`wb run … | head -1`) ends the run quietly, exit
//! 0; any other failure to write (a full disk) is reported, exit 2, so no
//! output is ever lost without a word.

use std::io::{self, ErrorKind, Write};
use std::sync::atomic::AtomicBool;

use super::{usage_error, EXIT_USAGE};

/// Exit code of `wb run` stopped by Ctrl-C, as shells expect (128 + SIGINT).
pub const EXIT_INTERRUPTED: i32 = 130;

/// The flag Ctrl-C sets; the machine checks it between statements and stops
/// with `wb::interrupted`, showing the board as it was. The one flag of
/// [`wb::interrupt`].
pub fn interrupt_flag() -> &'static AtomicBool {
    wb::interrupt::flag()
}

/// A run's standard output: its first failure to write (a closed pipe, a
/// full disk) stops the run as Ctrl-C does, through the same flag the
/// engines check, so every output path — reads, `--trace`, the cell, batch
/// rows — ends at once. The caller reports the write error first (a closed
/// pipe is quiet), so the `wb::interrupted` the engine returns is not shown.
pub struct Stopping<W: Write> {
    inner: W,
}

impl<W: Write> Stopping<W> {
    /// Wraps `inner`; installs the Ctrl-C handler, since the run checks
    /// the flag anyway.
    pub fn new(inner: W) -> Stopping<W> {
        wb::interrupt::install();
        Stopping { inner }
    }
}

impl<W: Write> Write for Stopping<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|_| stop())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|_| stop())
    }
}

/// Stops the run in progress (the engines see it at their next check).
fn stop() {
    wb::interrupt::stop();
}

/// The exit code after writing standard output failed with `e`.
pub fn failed(e: &io::Error) -> i32 {
    if e.kind() == ErrorKind::BrokenPipe {
        0
    } else {
        usage_error(&format!("cannot write the output: {e}"));
        EXIT_USAGE
    }
}

/// Writes `text` to standard output and flushes it; the exit code if that
/// failed.
pub fn print(text: &str) -> Result<(), i32> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| failed(&e))
}

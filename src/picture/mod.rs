//! Pictures of a program: the board over time, the gates of its cell as
//! heat maps, the data-dependent gates over a stream, failures, and the
//! self-contained HTML report that holds them (`wb report`).
//!
//! Owns: recording a run for pictures ([`record`], an interpreter
//! [`Observer`](crate::interp::Observer)), drawing SVG ([`board`],
//! [`gates`], [`stream`], with [`svg`]'s writer and palette) and the HTML
//! page ([`html`]). Every drawing is a pure function from the library's
//! data (a [`record::Recording`], a [`crate::cell::Cell`], diagnostics) to
//! bytes: the same program gives the same bytes.
//!
//! Must not know: how it is invoked (flags, files, exit codes are the
//! CLI's), nor the text renderings of `--trace` and the gate table: it reads
//! the interpreter's observer API and the cell's public types.
//!
//! Bounded: whatever the program's size, a picture has at most
//! [`record::MAX_COLUMNS`] moments of [`record::MAX_ROWS`] slots (loops
//! folded after [`record::SHOW_ITERATIONS`] iterations), at most
//! [`gates::MAX_STEPS`] steps of [`gates::MAX_UNITS`] units, and at most
//! [`record::MAX_BINS`] columns over a stream (binned); what is left out is
//! counted and said on the picture.

pub mod board;
pub mod gates;
pub mod html;
pub mod record;
pub mod stream;
pub mod svg;

use crate::check::Analysis;
use crate::diag::{Code, Diagnostic};
use crate::interp::{Bindings, Limits, Machine, StreamFiles};
use crate::syntax::Program;

pub use record::{Recorder, Recording};

/// Runs `program` through the interpreter and records it for the pictures.
/// A run that stops is recorded up to the failing statement, which is
/// marked; `check` is the diagnostic of `wb check` whose help the failure
/// shows (for `wb::board_full`, the slot to forget), if any. Returns the
/// recording and the diagnostic that stopped the run.
#[allow(clippy::too_many_arguments)]
pub fn record_run(
    program: &Program,
    src: &str,
    analysis: &Analysis,
    capacity: usize,
    bindings: Bindings,
    files: StreamFiles,
    limits: Limits,
    check: Option<&Diagnostic>,
) -> (Recording, Option<Diagnostic>) {
    let mut machine =
        Machine::new(program, src, &analysis.symbols, capacity, bindings).with_stream_files(files);
    let mut recorder = Recorder::new(program, src, capacity);
    match machine.run(&program.items, &mut recorder, limits) {
        Ok(()) => (recorder.finish(), None),
        Err(d) => {
            // The check's diagnostic explains a board rule better than the
            // run's (it has the help); the run's says where it stopped.
            let hint = check
                .filter(|c| c.code == d.code || c.code == Code::BoardFull)
                .and_then(record::forget_hint)
                .or_else(|| record::forget_hint(&d));
            // `wb check`'s help (what to forget) is the one to show.
            let mut shown = d.clone();
            if let Some(c) = check.filter(|c| c.code == d.code && c.help.is_some()) {
                shown.help.clone_from(&c.help);
            }
            (recorder.fail(&shown, hint.as_deref()), Some(d))
        }
    }
}

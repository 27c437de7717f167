//! What an entry did, as plain data: the front ends print it, tests look at it.

use crate::diag::{self, Diagnostic, Style};
use crate::interp::Read;
use crate::number;
use crate::syntax::Span;

use super::session::SOURCE_NAME;

/// What an entry or a command did. Plain data: the front ends print it, tests
/// look at it.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Whether it worked.
    pub status: Status,
    /// The values read, in order (empty when reads were streamed to an
    /// observer instead, see [`Session::eval_with`]).
    pub reads: Vec<Read>,
    /// The board on one line, when the entry changed it (or a command shows it).
    pub board: Option<String>,
    /// Other output for standard output (a command's report), each line
    /// ending in a newline.
    pub output: String,
    /// Errors and warnings, against [`Outcome::source`].
    pub diagnostics: Vec<Diagnostic>,
    /// The text the diagnostics point into.
    pub source: String,
    /// An error that is not about the program (an unknown command, a file
    /// that cannot be written).
    pub error: Option<String>,
    /// How many bytes at the start of [`Outcome::source`] are the `board N`
    /// line the session added itself: not shown, and not counted in line
    /// numbers (`None` and `Some(0)`: every line is shown).
    pub hidden: Option<usize>,
    /// The name the diagnostics give the source: `<repl>` unless set (the
    /// file's name, for a file loaded with `wb repl FILE`).
    pub name: Option<String>,
}

/// How an entry ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Status {
    /// It worked (or there was nothing to do).
    #[default]
    Done,
    /// It failed and changed nothing.
    Failed,
    /// The entry ends inside an open block: ask for another line.
    Incomplete,
    /// `:quit`.
    Quit,
}

impl Outcome {
    /// An outcome that failed with these diagnostics, against `source`.
    pub(crate) fn failed(diagnostics: Vec<Diagnostic>, source: String) -> Outcome {
        Outcome {
            status: Status::Failed,
            diagnostics,
            source,
            ..Outcome::default()
        }
    }

    /// An outcome that failed with a message that is not a diagnostic.
    pub(crate) fn error(message: impl Into<String>) -> Outcome {
        Outcome {
            status: Status::Failed,
            error: Some(message.into()),
            ..Outcome::default()
        }
    }

    /// Whether the entry failed.
    pub fn is_failure(&self) -> bool {
        self.status == Status::Failed
    }

    /// The codes of the diagnostics (`wb::board_full`, …), in order.
    pub fn codes(&self) -> Vec<&'static str> {
        self.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    /// What goes to standard output: the reads (`TEXT = VALUE`), the
    /// command's output, then the board.
    pub fn stdout(&self) -> String {
        let mut out = String::new();
        for r in &self.reads {
            out.push_str(&format_read(r));
            out.push('\n');
        }
        out.push_str(&self.output);
        if let Some(b) = &self.board {
            out.push_str(b);
            out.push('\n');
        }
        out
    }

    /// What goes to standard error: the diagnostics rendered in full, then
    /// the error message.
    pub fn stderr(&self, style: Style) -> String {
        let name = self.name.as_deref().unwrap_or(SOURCE_NAME);
        let hidden = self.hidden.unwrap_or(0);
        let mut out =
            if hidden > 0 && hidden <= self.source.len() && self.source.is_char_boundary(hidden) {
                let shown: Vec<Diagnostic> = self
                    .diagnostics
                    .iter()
                    .map(|d| without_prefix(d, hidden))
                    .collect();
                diag::render_many(&shown, name, &self.source[hidden..], style)
            } else {
                diag::render_many(&self.diagnostics, name, &self.source, style)
            };
        if let Some(e) = &self.error {
            out.push_str(&format!("error: {e}\n"));
        }
        out
    }
}

/// `d` against its source without the first `hidden` bytes: spans move
/// back, and a label in the cut part goes.
fn without_prefix(d: &Diagnostic, hidden: usize) -> Diagnostic {
    let mut d = d.clone();
    let h = hidden as u32;
    d.labels.retain(|l| l.span.start >= h);
    for l in &mut d.labels {
        l.span = Span::new((l.span.start - h) as usize, (l.span.end - h) as usize);
    }
    if !d.labels.is_empty() && !d.labels.iter().any(|l| l.primary) {
        d.labels[0].primary = true;
    }
    d
}

/// A read as `wb run` prints it: `result = 181`.
pub fn format_read(r: &Read) -> String {
    format!("{} = {}", r.text, number::format(r.value))
}

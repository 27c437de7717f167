//! Run-time failures dressed as diagnostics: the statement, where in the
//! loops it ran, and the board when it failed.

use super::code::{Code as Instructions, EvalError};
use super::{Level, Machine};
use crate::arith::ArithError;
use crate::check::NameKind;
use crate::diag::{Code, Diagnostic};
use crate::number;
use crate::syntax::{Span, Stmt, StmtKind};

/// A run-time failure, before it is dressed as a diagnostic.
pub(super) struct Fault {
    pub(super) code: Code,
    pub(super) message: String,
    pub(super) span: Span,
    pub(super) label: String,
}

impl Machine<'_> {
    /// The fault of instruction `at` of `code`, which failed with `err`.
    #[cold]
    pub(super) fn eval_fault(&self, code: &Instructions, at: usize, err: EvalError) -> Fault {
        let span = code.span(at);
        let text = |id: crate::syntax::NameId| self.names.text(id).to_owned();
        match err {
            EvalError::Arith(e) => {
                let remainder = code.is_remainder(at);
                self.arith_fault(e, span, remainder)
            }
            EvalError::Outside(id) => Fault {
                code: Code::StreamOutsideEach,
                message: format!("the stream `{}` is read outside its `each`", text(id)),
                span,
                label: "outside `each`".into(),
            },
            EvalError::Unbound(id) => Fault {
                code: Code::MissingInput,
                message: format!("the input `{}` has no value", text(id)),
                span,
                label: "no value".into(),
            },
            EvalError::Off(id) => match self.kinds.get(id.index()) {
                Some(NameKind::Board) => Fault {
                    code: Code::Forgotten,
                    message: format!("`{}` is read after it was forgotten", text(id)),
                    span,
                    label: "not on the board".into(),
                },
                _ => Fault {
                    code: Code::UnknownName,
                    message: format!("`{}` has no value", text(id)),
                    span,
                    label: "unknown name".into(),
                },
            },
        }
    }

    #[cold]
    pub(super) fn arith_fault(&self, err: ArithError, span: Span, remainder: bool) -> Fault {
        let text = span.text(self.src);
        match err {
            ArithError::DivZero => Fault {
                code: Code::DivZero,
                message: if remainder {
                    format!("remainder by zero in `{text}`")
                } else {
                    format!("division by zero in `{text}`")
                },
                span,
                label: "the divisor is 0".into(),
            },
            ArithError::NotFinite => Fault {
                code: Code::NotFinite,
                message: format!("`{text}` has no finite value"),
                span,
                label: "infinite or not a number".into(),
            },
        }
    }

    /// Where the run is, in words: `element 3 of `each``, `iteration 2 of 5`.
    pub(super) fn whereabouts(&self, levels: &[Level]) -> String {
        let parts: Vec<String> = levels
            .iter()
            .map(|l| match l {
                Level::Each { element } => {
                    let values: Vec<String> = self
                        .each_streams
                        .iter()
                        .filter_map(|&id| match self.kinds[id.index()] {
                            NameKind::Stream(i) => Some(format!(
                                "{} = {}",
                                self.names.text(id),
                                number::format(self.values[self.elements + i])
                            )),
                            _ => None,
                        })
                        .collect();
                    format!("element {element}: {}", values.join(", "))
                }
                Level::Repeat { iteration, count } => {
                    format!("repeat iteration {} of {count}", iteration + 1)
                }
            })
            .collect();
        parts.join(", ")
    }

    #[cold]
    pub(super) fn fail(&self, stmt: &Stmt, f: Fault) -> Diagnostic {
        self.fail_at(stmt, f, &self.levels)
    }

    /// [`Machine::fail`], as if the run were in these loops.
    #[cold]
    pub(super) fn fail_at(&self, stmt: &Stmt, f: Fault, levels: &[Level]) -> Diagnostic {
        let stmt_text = statement_head(stmt, self.src);
        let mut message = format!("{}, in `{stmt_text}`", f.message);
        let at = self.whereabouts(levels);
        if !at.is_empty() {
            message.push_str(&format!(" ({at})"));
        }
        let mut d = Diagnostic::error(f.code, message, f.span, f.label);
        if f.span != stmt.span && !stmt.span.range().contains(&(f.span.start as usize)) {
            d = d.with_label(stmt.span, "in this statement");
        }
        d.index = levels.iter().find_map(|l| match l {
            Level::Each { element } => Some(*element),
            Level::Repeat { .. } => None,
        });
        d.with_note(format!("board when it failed: {}", self.board_line()))
    }

    #[cold]
    pub(super) fn stopped(&self, stmt: &Stmt, code: Code, message: String) -> Diagnostic {
        let mut d = Diagnostic::error(
            code,
            format!("{message} after {} statements", self.steps),
            stmt.span,
            "the next statement would run here",
        );
        let at = self.whereabouts(&self.levels);
        if !at.is_empty() {
            d.message.push_str(&format!(" ({at})"));
        }
        d.index = self.element();
        if code == Code::StepLimit {
            d = d.with_help("raise `--max-steps`, or run fewer iterations");
        }
        d.with_note(format!("board when it stopped: {}", self.board_line()))
    }
}

/// A statement in a few words: its first line, or a loop's head (`each x, y`).
fn statement_head(stmt: &Stmt, src: &str) -> String {
    let text = stmt.span.text(src);
    match stmt.kind {
        StmtKind::Each { .. } | StmtKind::Repeat { .. } => {
            text.split('{').next().unwrap_or("").trim_end().to_owned()
        }
        _ => text.lines().next().unwrap_or("").trim_end().to_owned(),
    }
}

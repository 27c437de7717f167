//! Run-time failures dressed as diagnostics: the statement, where in the
//! loops it ran, and the board when it failed.

use super::code::{Code as Instructions, EvalError};
use super::source::StreamError;
use super::{Level, Machine};
use crate::arith::ArithError;
use crate::check::NameKind;
use crate::diag::{Code, Diagnostic};
use crate::number;
use crate::syntax::{BinOp, Span, Stmt, StmtKind};

/// A run-time failure, before it is dressed as a diagnostic. The cell
/// reports its failures through the same type and wording, so both engines
/// say the same thing.
pub struct Fault {
    /// The code.
    pub code: Code,
    /// What went wrong.
    pub message: String,
    /// Where.
    pub span: Span,
    /// The label there.
    pub label: String,
}

/// The help of a `wb::stream_file` error.
pub const STREAM_FILE_HELP: &str =
    "a stream file holds numbers separated by commas, spaces or newlines";

impl Fault {
    /// `wb::stream_length` before the first element: the first stream `a`
    /// has `len` elements, `b` (written at `span`) has `other`.
    pub fn lengths_differ(a: &str, len: usize, b: &str, other: usize, span: Span) -> Fault {
        Fault {
            code: Code::StreamLength,
            message: format!(
                "the zipped streams have different lengths: `{a}` has {len} element{}, `{b}` has {other}",
                crate::check::plural(len)
            ),
            span,
            label: format!("{other} element{}", crate::check::plural(other)),
        }
    }

    /// `wb::stream_length` at element `element`, where the stream `ended`
    /// (written at `span`) has none and `going` has one.
    pub fn ended_early(ended: &str, going: &str, element: u64, span: Span) -> Fault {
        Fault {
            code: Code::StreamLength,
            message: format!(
                "the zipped streams have different lengths: `{ended}` ends after {element} {}, `{going}` has more",
                if element == 1 { "element" } else { "elements" },
            ),
            span,
            label: format!("ends after {element}"),
        }
    }

    /// `wb::stream_file`: the stream `name` (written at `span`) cannot be
    /// read from its file. Its diagnostic takes [`STREAM_FILE_HELP`].
    pub fn stream_file(name: &str, err: &StreamError, span: Span) -> Fault {
        Fault {
            code: Code::StreamFile,
            message: format!("the stream `{name}` cannot be read: {err}"),
            span,
            label: format!("read from {}", err.path.display()),
        }
    }

    /// An arithmetic failure at `span` of `src` (`remainder`: the operation
    /// was `%`; `applied`: the operation and the values it was applied to,
    /// where the engine knows them — both engines pass them for every
    /// operator and function, so they print the same words).
    pub fn arith(
        src: &str,
        err: ArithError,
        span: Span,
        remainder: bool,
        applied: Option<Applied>,
    ) -> Fault {
        let text = span.text(src);
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
                message: format!(
                    "`{text}` has no finite value: {}",
                    not_finite_why(text, applied)
                ),
                span,
                label: "infinite or not a number".into(),
            },
        }
    }
}

/// What makes the operation `text` (a call or an operator with its
/// operands, as written) have no finite value, in words: the function's
/// domain, or an overflow — with the values it was applied to when they are
/// known (`ln` of 0, from `v + 1`).
fn not_finite_why(text: &str, applied: Option<Applied>) -> String {
    let t = text.trim();
    let call = t
        .find('(')
        .filter(|_| t.ends_with(')'))
        .map(|i| (&t[..i], &t[i + 1..t.len() - 1]));
    if let Some((f, arg)) = call {
        let (f, arg) = (f.trim(), arg.trim());
        if let Some(Applied::Call(a)) = applied {
            let v = number::format(a);
            // `ln(0)` says "of 0"; `ln(v + 1)` says "of 0, from `v + 1`".
            let of = if v == arg {
                format!("`{f}` of {v}")
            } else {
                format!("`{f}` of {v}, from `{arg}`")
            };
            return match f {
                "ln" => format!("{of}: `ln` needs a value above 0"),
                "sqrt" => format!("{of}: `sqrt` needs a value of 0 or above"),
                "exp" => format!("{of}: `exp` overflows above about 709.78"),
                _ => format!("{of} is infinite or not a number"),
            };
        }
        return match f {
            "ln" => format!("`ln` of `{arg}`, which is 0 or below (`ln` needs a value above 0)"),
            "sqrt" => format!("`sqrt` of `{arg}`, which is below 0"),
            "exp" => format!("`exp` of `{arg}` overflows (above about 709.78)"),
            f => format!("`{f}` of `{arg}` is infinite or not a number"),
        };
    }
    let Some(Applied::Bin(op, a, b)) = applied else {
        if t.contains('^') {
            return "the power overflows, or is 0 to a negative power, or a negative number to a \
                    fractional power"
                .into();
        }
        return "the result is beyond ±1.8e308 (the largest 64-bit float), or an operand is not \
                finite"
            .into();
    };
    let (x, y) = (number::format(a), number::format(b));
    let sym = op.symbol();
    if op == BinOp::Pow && a == 0.0 && b < 0.0 {
        format!("{x} {sym} {y} is 0 to a negative power")
    } else if op == BinOp::Pow && a < 0.0 && b.fract() != 0.0 {
        format!("{x} {sym} {y} is a negative number to a fractional power")
    } else {
        format!("{x} {sym} {y} is beyond ±1.8e308 (the largest 64-bit float)")
    }
}

/// An operation and the values it was applied to, for the words of a
/// `wb::not_finite`.
#[derive(Clone, Copy, Debug)]
pub enum Applied {
    /// An operator and its two operands.
    Bin(BinOp, f64, f64),
    /// A function of one argument (`ln`, `sqrt`, `exp`, …) and the argument.
    Call(f64),
}

/// One loop level of where a run is, for messages.
pub enum Whereabout<'a> {
    /// Inside `each`: the element and the streams' current values.
    Element {
        /// The element index.
        index: u64,
        /// Each stream's name and current element.
        values: Vec<(&'a str, f64)>,
    },
    /// Inside `repeat`: the 0-based iteration of `count`.
    Iteration {
        /// The iteration, from 0.
        iteration: u64,
        /// How many there are.
        count: u64,
    },
}

/// Where a run is, in words: `element 3: x = 1, repeat iteration 2 of 5`.
pub fn whereabouts(levels: &[Whereabout]) -> String {
    let parts: Vec<String> = levels
        .iter()
        .map(|l| match l {
            Whereabout::Element { index, values } => {
                let values: Vec<String> = values
                    .iter()
                    .map(|(name, v)| format!("{name} = {}", number::format(*v)))
                    .collect();
                format!("element {index}: {}", values.join(", "))
            }
            Whereabout::Iteration { iteration, count } => {
                format!("repeat iteration {} of {count}", iteration + 1)
            }
        })
        .collect();
    parts.join(", ")
}

/// A run-time failure as both engines report it: the fault, the statement
/// it happened in (its span and `head`), where in the loops (`at`), the
/// `each` element, and the board when it failed.
pub fn runtime_error(
    f: &Fault,
    stmt: Span,
    head: &str,
    at: &[Whereabout],
    board: &str,
) -> Diagnostic {
    let mut message = format!("{}, in `{head}`", f.message);
    if !at.is_empty() {
        message.push_str(&format!(" ({})", whereabouts(at)));
    }
    let mut d = Diagnostic::error(f.code, message, f.span, f.label.clone());
    if f.span != stmt && !stmt.range().contains(&(f.span.start as usize)) {
        d = d.with_label(stmt, "in this statement");
    }
    d.index = at.iter().find_map(|w| match w {
        Whereabout::Element { index, .. } => Some(*index),
        Whereabout::Iteration { .. } => None,
    });
    d.with_note(format!("board when it failed: {board}"))
}

/// The board on one line: `[ ac=5 | bd=33 | · ]`, a free slot as `·`;
/// `slots` are the slots up to the highest ever used.
pub fn board_line<'a>(
    slots: impl IntoIterator<Item = Option<(&'a str, f64)>>,
    occupancy: usize,
    capacity: usize,
) -> String {
    let mut parts: Vec<String> = slots
        .into_iter()
        .map(|s| match s {
            Some((name, v)) => format!("{name}={}", number::format(v)),
            None => "·".to_owned(),
        })
        .collect();
    let free = capacity.saturating_sub(occupancy);
    let unused = capacity.saturating_sub(parts.len());
    if unused > 0 && unused <= 4 {
        parts.extend(std::iter::repeat_n("·".to_owned(), unused));
    }
    let mut s = format!("[ {} ]", parts.join(" | "));
    if unused > 4 || parts.is_empty() {
        s.push_str(&format!(" ({free} of {capacity} slots free)"));
    }
    s
}

/// A statement in a few words: its first line, or a loop's head (`each x, y`).
pub fn statement_head(text: &str, is_loop: bool) -> String {
    if is_loop {
        text.split('{').next().unwrap_or("").trim_end().to_owned()
    } else {
        text.lines().next().unwrap_or("").trim_end().to_owned()
    }
}

impl Machine<'_> {
    /// The fault of instruction `at` of `code`, which failed with `err`.
    #[cold]
    pub(super) fn eval_fault(&self, code: &Instructions, at: usize, err: EvalError) -> Fault {
        let span = code.span(at);
        let text = |id: crate::syntax::NameId| self.names.text(id).to_owned();
        match err {
            EvalError::Arith(e, applied) => {
                let remainder = code.is_remainder(at);
                self.arith_fault(e, span, remainder, Some(applied))
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
    pub(super) fn arith_fault(
        &self,
        err: ArithError,
        span: Span,
        remainder: bool,
        applied: Option<Applied>,
    ) -> Fault {
        Fault::arith(self.src, err, span, remainder, applied)
    }

    /// Where the run is, loop by loop.
    pub(super) fn here(&self, levels: &[Level]) -> Vec<Whereabout<'_>> {
        levels
            .iter()
            .map(|l| match l {
                Level::Each { element } => Whereabout::Element {
                    index: *element,
                    values: self
                        .each_streams
                        .iter()
                        .filter_map(|&id| match self.kinds[id.index()] {
                            NameKind::Stream(i) => {
                                Some((self.names.text(id), self.values[self.elements + i]))
                            }
                            _ => None,
                        })
                        .collect(),
                },
                Level::Repeat { iteration, count } => Whereabout::Iteration {
                    iteration: *iteration,
                    count: *count,
                },
            })
            .collect()
    }

    #[cold]
    pub(super) fn fail(&self, stmt: &Stmt, f: Fault) -> Diagnostic {
        self.fail_at(stmt, f, &self.levels)
    }

    /// [`Machine::fail`], as if the run were in these loops.
    #[cold]
    pub(super) fn fail_at(&self, stmt: &Stmt, f: Fault, levels: &[Level]) -> Diagnostic {
        let is_loop = matches!(stmt.kind, StmtKind::Each { .. } | StmtKind::Repeat { .. });
        let head = statement_head(stmt.span.text(self.src), is_loop);
        runtime_error(&f, stmt.span, &head, &self.here(levels), &self.board_line())
    }

    #[cold]
    pub(super) fn stopped(&self, stmt: &Stmt, code: Code, message: String) -> Diagnostic {
        let mut d = Diagnostic::error(
            code,
            format!("{message} after {} statements", self.steps),
            stmt.span,
            "the next statement would run here",
        );
        let at = whereabouts(&self.here(&self.levels));
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

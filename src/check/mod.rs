//! The checker: names, declarations and the four board rules, statically.
//!
//! Which names are on the board at each point never depends on input values
//! (rules 3 and 4), so one pass that simulates the board over the program
//! text is exact: a program it accepts never hits a board error at run time.
//! Every error is reported, in source order; a failing statement changes
//! nothing, as at run time, and a name whose write failed is not reported
//! again.

pub mod advice;
mod fix;
mod liveness;
mod reads;
mod symbols;

pub use fix::{fix, Fixed};
pub use reads::Reads;
pub use symbols::{InputInfo, NameKind, StreamInfo, Symbols};

use std::collections::HashSet;

use crate::board::Board;
use crate::diag::{self, Applicability, Code, Diagnostic, Fix};
use crate::suggest;
use crate::syntax::{
    Expr, Gate, Ident, Item, LineIndex, NameId, Names, Program, Span, Stmt, StmtKind,
};

/// The largest board a program may declare.
pub const MAX_CAPACITY: usize = 1_000_000;

/// What the checker found.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// The capacity in force (`--capacity`, else `board N`).
    pub capacity: Option<usize>,
    /// The most slots in use at once.
    pub peak: usize,
    /// The statement where the peak is first reached.
    pub peak_span: Option<Span>,
    /// The fewest slots this statement order needs if every value were
    /// forgotten right after the statement that last reads it (a value a
    /// loop reads stays through the loop). Computed by [`check`] and
    /// [`Checker::finish_program`]; [`Checker::finish`], which has no whole
    /// program to look at, leaves it equal to `peak`.
    pub min_capacity: usize,
    /// The declarations.
    pub symbols: Symbols,
}

impl Analysis {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Turns every warning into an error (`--deny warnings`).
    pub fn deny_warnings(&mut self) {
        for d in &mut self.diagnostics {
            if !d.is_error() {
                d.severity = diag::Severity::Error;
            }
        }
    }

    /// How many diagnostics are errors and how many are warnings.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (errors, self.diagnostics.len() - errors)
    }

    /// The summary line `wb check` and the REPL's `:check` print:
    /// `ok: SUBJECT: capacity 3, peak 3 on line 7, min_capacity 2; 0 errors, 1 warning`.
    pub fn summary_line(&self, subject: &str, capacity: &str, lines: &LineIndex) -> String {
        let (errors, warnings) = self.counts();
        let peak_line = self
            .peak_span
            .map(|s| format!(" on line {}", lines.line(s.start as usize)))
            .unwrap_or_default();
        let verdict = if errors == 0 { "ok" } else { "error" };
        format!(
            "{verdict}: {subject}: capacity {capacity}, peak {}{peak_line}, min_capacity {}; {errors} error{}, {warnings} warning{}\n",
            self.peak,
            self.min_capacity,
            plural(errors),
            plural(warnings),
        )
    }
}

/// `s` unless `n` is 1.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Checks a whole program and follows its suggestions on `src`, the text it
/// was parsed from: [`check`], then [`advice::verify`] (a fix is marked
/// machine-applicable only if following it was seen to remove its error and
/// add none), with every fix laid out like the text around it.
pub fn check_source(program: &Program, src: &str, capacity: Option<usize>) -> Analysis {
    let mut analysis = check(program, capacity);
    advice::verify(src, capacity, &mut analysis);
    analysis
}

/// Checks a whole program. `capacity` (from `--capacity`) overrides `board N`.
/// Its fixes are built from spans alone ([`check_source`] lays them out and
/// follows them).
pub fn check(program: &Program, capacity: Option<usize>) -> Analysis {
    let mut checker = Checker::new(capacity, Reads::of(program), program.lines.clone());
    for item in &program.items {
        checker.item(item, &program.names);
    }
    checker.finish_program(program)
}

/// One enclosing loop.
#[derive(Clone, Debug)]
struct Frame {
    /// The names on the board when the body starts.
    entry: HashSet<NameId>,
    /// The loop's span (for reads that come round again).
    span: Span,
}

/// The checker's state; items are fed one at a time (the REPL feeds them as
/// they are typed, and clones the checker to undo a failing entry).
#[derive(Clone, Debug)]
pub struct Checker {
    capacity: Option<usize>,
    capacity_fixed: bool,
    board_seen: bool,
    items_seen: usize,
    symbols: Symbols,
    board: Board,
    /// Where each board value was last forgotten.
    forgotten_at: Vec<Option<Span>>,
    /// Where each board value was last written.
    written_at: Vec<Option<Span>>,
    /// Names whose write failed with `board_full`.
    failed: HashSet<NameId>,
    /// Names a loop left on the board (reported as `loop_not_neutral`, then
    /// taken off): their reads are not reported again until a new write.
    excused: HashSet<NameId>,
    /// Streams of the enclosing `each`, if any.
    each_streams: Option<Vec<NameId>>,
    frames: Vec<Frame>,
    reads: Reads,
    lines: LineIndex,
    diagnostics: Vec<Diagnostic>,
    peak: usize,
    peak_span: Option<Span>,
    /// Name comparisons "did you mean" may still spend.
    suggest_budget: usize,
    /// The board's changes, statement by statement, when asked for
    /// ([`Checker::record_board`]): what editors show at each line.
    log: Option<Vec<BoardEvent>>,
    /// The `board N` literal, for "raise the board".
    board_value: Option<Span>,
    /// The first item's span (where `no_board` points).
    first_item: Option<Span>,
}

/// One change of the simulated board, in the order the checker makes them
/// ([`check_logged`]). Replaying the log into a [`Board`] gives the board
/// after any statement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BoardEvent {
    /// A name took a slot.
    Placed(NameId, usize),
    /// A name left its slot (a `forget`, or a loop that left it behind).
    Removed(NameId),
    /// A statement (a loop: its whole body) is over; the board is as
    /// replayed so far.
    After(Span),
}

/// Checks a whole program as [`check_source`] does (its fixes followed on
/// `src`), and logs the board's changes.
pub fn check_logged(
    program: &Program,
    src: &str,
    capacity: Option<usize>,
) -> (Analysis, Vec<BoardEvent>) {
    let mut checker = Checker::new(capacity, Reads::of(program), program.lines.clone());
    checker.record_board();
    for item in &program.items {
        checker.item(item, &program.names);
    }
    let log = checker.log.take().unwrap_or_default();
    let mut analysis = checker.finish_program(program);
    advice::verify(src, capacity, &mut analysis);
    (analysis, log)
}

/// How many name comparisons all the "did you mean" helps of one check may
/// cost together.
const SUGGEST_BUDGET: usize = 4_000_000;

impl Checker {
    /// A checker with no items seen. `capacity` is the `--capacity` override.
    pub fn new(capacity: Option<usize>, reads: Reads, lines: LineIndex) -> Checker {
        Checker {
            capacity,
            capacity_fixed: capacity.is_some(),
            board_seen: false,
            items_seen: 0,
            symbols: Symbols::default(),
            board: Board::default(),
            forgotten_at: Vec::new(),
            written_at: Vec::new(),
            failed: HashSet::new(),
            excused: HashSet::new(),
            each_streams: None,
            frames: Vec::new(),
            reads,
            lines,
            diagnostics: Vec::new(),
            peak: 0,
            peak_span: None,
            suggest_budget: SUGGEST_BUDGET,
            log: None,
            board_value: None,
            first_item: None,
        }
    }

    /// Logs the board's changes from here on ([`BoardEvent`]).
    pub fn record_board(&mut self) {
        self.log.get_or_insert_with(Vec::new);
    }

    fn logged(&mut self, event: BoardEvent) {
        if let Some(log) = &mut self.log {
            log.push(event);
        }
    }

    /// The reads table, for the REPL to extend as the program grows.
    pub fn reads_mut(&mut self) -> &mut Reads {
        &mut self.reads
    }

    /// Replaces the line table (the REPL's text grows as it goes).
    pub fn set_lines(&mut self, lines: LineIndex) {
        self.lines = lines;
    }

    /// The line index, to grow it as the text grows (the REPL appends an
    /// entry's lines instead of indexing the session again).
    pub fn lines_mut(&mut self) -> &mut LineIndex {
        &mut self.lines
    }

    /// The declarations so far.
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// The board as simulated so far.
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// The capacity in force, if known.
    pub fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    /// Diagnostics so far (unsorted).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Checks one top-level item.
    pub fn item(&mut self, item: &Item, names: &Names) {
        let first = self.items_seen == 0;
        self.items_seen += 1;
        if first {
            self.first_item = Some(item.span());
        }
        match item {
            Item::Board(b) => {
                if self.board_seen {
                    self.error(
                        Diagnostic::error(
                            Code::Redeclared,
                            "the board is declared twice",
                            b.span,
                            "second `board`",
                        )
                        .with_help("a program declares its board once, as its first statement"),
                    );
                    return;
                }
                self.board_seen = true;
                if !first {
                    self.error(
                        Diagnostic::error(
                            Code::Syntax,
                            "`board` must be the first statement of the program",
                            b.span,
                            "declared after other statements",
                        )
                        .with_help("move this line to the top of the file"),
                    );
                }
                let v = b.value;
                let valid = v.fract() == 0.0 && v >= 1.0 && v <= MAX_CAPACITY as f64;
                if !valid {
                    let why = if v.fract() != 0.0 {
                        "a board has a whole number of slots".to_owned()
                    } else if v < 1.0 {
                        "a board needs at least 1 slot".to_owned()
                    } else {
                        format!("a board has at most {MAX_CAPACITY} slots")
                    };
                    self.error(
                        Diagnostic::error(
                            Code::BadCapacity,
                            format!(
                                "`board {}` is not a valid capacity: {why}",
                                crate::number::format(v)
                            ),
                            b.value_span,
                            "capacity",
                        )
                        .with_help(format!(
                            "write a whole number from 1 to {MAX_CAPACITY}, as in `board 3`"
                        )),
                    );
                } else if !self.capacity_fixed {
                    self.capacity = Some(v as usize);
                    self.board_value = Some(b.value_span);
                }
            }
            Item::Input(decls, _) => {
                for d in decls {
                    if self.declare(d.name, names) {
                        let index = self.symbols.inputs.len();
                        self.symbols.inputs.push(InputInfo {
                            name: d.name.id,
                            default: d.default,
                            span: d.name.span,
                            read: true,
                        });
                        self.symbols.set(d.name.id, NameKind::Input(index));
                    }
                }
            }
            Item::Stream(decls, _) => {
                for d in decls {
                    if self.declare(d.name, names) {
                        let index = self.symbols.streams.len();
                        self.symbols.streams.push(StreamInfo {
                            name: d.name.id,
                            default: d.default.clone(),
                            span: d.name.span,
                            read: true,
                        });
                        self.symbols.set(d.name.id, NameKind::Stream(index));
                    }
                }
            }
            Item::Stmt(s) => self.stmt(s, names),
        }
    }

    /// Whether `name` may be declared here; reports `redeclared` if not.
    fn declare(&mut self, name: Ident, names: &Names) -> bool {
        let text = names.text(name.id);
        let earlier = match self.symbols.kind(name.id) {
            NameKind::Undeclared => return true,
            NameKind::Input(i) => Some((self.symbols.inputs[i].span, "an input")),
            NameKind::Stream(i) => Some((self.symbols.streams[i].span, "a stream")),
            NameKind::Board => self.written_at_first(name.id).map(|s| (s, "a board value")),
        };
        let mut d = Diagnostic::error(
            Code::Redeclared,
            format!("`{text}` is declared twice"),
            name.span,
            "declared again here",
        )
        .with_help(format!(
            "a name is declared once; rename one of the two `{text}`"
        ));
        if let Some((span, what)) = earlier {
            d = d.with_label(span, format!("first declared here, as {what}"));
        }
        self.error(d);
        false
    }

    fn written_at_first(&self, id: NameId) -> Option<Span> {
        self.written_at.get(id.index()).copied().flatten()
    }

    fn stmt(&mut self, stmt: &Stmt, names: &Names) {
        match &stmt.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => self.write(stmt, *target, value, gate.as_deref(), names),
            StmtKind::Forget(list) => {
                for &n in list {
                    self.forget(stmt, n, names);
                }
            }
            StmtKind::Read(exprs) => {
                for e in exprs {
                    self.expr(e, names);
                }
            }
            StmtKind::Each { streams, body } => self.each(stmt, streams, body, names),
            StmtKind::Repeat { body, .. } => self.body(stmt.span, body, names),
        }
        self.logged(BoardEvent::After(stmt.span));
    }

    fn expr(&mut self, e: &Expr, names: &Names) -> bool {
        let mut ok = true;
        for n in e.names() {
            ok &= self.use_name(n, names);
        }
        ok
    }

    /// Checks a read of `n`; false if it is an error.
    fn use_name(&mut self, n: Ident, names: &Names) -> bool {
        let text = names.text(n.id);
        match self.symbols.kind(n.id) {
            NameKind::Input(_) => true,
            NameKind::Stream(_) => {
                let inside = self
                    .each_streams
                    .as_ref()
                    .is_some_and(|s| s.contains(&n.id));
                if !inside {
                    let help = match &self.each_streams {
                        Some(_) => {
                            format!("add `{text}` to this loop's streams: `each …, {text} {{ … }}`")
                        }
                        None => {
                            format!("a stream's elements are read inside `each {text} {{ … }}`")
                        }
                    };
                    self.error(
                        Diagnostic::error(
                            Code::StreamOutsideEach,
                            format!("the stream `{text}` is read outside its `each`"),
                            n.span,
                            "not inside `each` over this stream",
                        )
                        .with_help(help),
                    );
                }
                inside
            }
            NameKind::Board => {
                if self.board.slot_of(n.id).is_some()
                    || self.failed.contains(&n.id)
                    || self.excused.contains(&n.id)
                {
                    return true;
                }
                let forgot = self.forgotten_at.get(n.id.index()).copied().flatten();
                let mut d = Diagnostic::error(
                    Code::Forgotten,
                    format!("`{text}` is read after it was forgotten"),
                    n.span,
                    "read here",
                );
                if let Some(f) = forgot {
                    d = d.with_label(f, format!("`{text}` is forgotten here"));
                    let (help, fix) = self.forgotten_help(n, f, text);
                    d = d.with_help(help);
                    if let Some(fix) = fix {
                        d = d.with_fix(fix);
                    }
                }
                self.error(d);
                false
            }
            NameKind::Undeclared => {
                self.unknown(n, names);
                false
            }
        }
    }

    /// Help for a read of `n` after `forget` at `f`: where the value is
    /// last read (so the forget can go after it), or write it again.
    fn forgotten_help(&self, n: Ident, f: Span, text: &str) -> (String, Option<Fix>) {
        let here = n.span.start;
        let until = self.reads.next_write(n.id, here + 1).unwrap_or(u32::MAX);
        let last = self.reads.last_before(n.id, until).unwrap_or(here);
        let (after, what) = match self.reads.loop_around(last, f.start) {
            Some(l) => (l, "the loop that reads it, ending"),
            None => (self.reads.stmt_at(last).unwrap_or(n.span), "its last read,"),
        };
        let message = format!(
            "move `forget {text}` from line {} to after {what} on line {}",
            self.line(f.start),
            self.line(after.end.saturating_sub(1)),
        );
        let fix = self.reads.next_forget(n.id, f.start).map(|at| {
            advice::fix(
                message.clone(),
                vec![
                    advice::remove_forget(&at),
                    advice::insert_after(after, &format!("forget {text}")),
                ],
                Applicability::MachineApplicable,
            )
        });
        let help = format!(
            "{message}; or write `{text}` again before line {}",
            self.line(here)
        );
        (help, fix)
    }

    fn unknown(&mut self, n: Ident, names: &Names) {
        let text = names.text(n.id);
        let d = Diagnostic::error(
            Code::UnknownName,
            format!("`{text}` is not declared or written before this point"),
            n.span,
            "unknown name",
        );
        let later = self
            .reads
            .next_write(n.id, n.span.end)
            .map(|p| self.line(p));
        // Comparing against every known name costs the names' count; a
        // budget keeps ten thousand typos in a huge program linear.
        let suggestion = if self.suggest_budget >= names.len() {
            self.suggest_budget -= names.len();
            let known = names
                .iter()
                .filter(|(id, _)| self.symbols.kind(*id) != NameKind::Undeclared)
                .map(|(_, t)| t);
            suggest::nearest(text, known)
        } else {
            None
        };
        let mut d = d;
        if let Some(s) = suggestion {
            d = d.with_fix(advice::fix(
                format!("replace `{text}` with `{s}`"),
                vec![advice::replace(n.span, s)],
                Applicability::MaybeIncorrect,
            ));
        }
        let help = match (suggestion, later) {
            (Some(s), _) => format!("did you mean `{s}`?"),
            (None, Some(l)) => format!(
                "`{text}` is first written on line {l}: move that write before line {}",
                self.line(n.span.start)
            ),
            (None, None) => format!(
                "declare it with `input {text}` or give it a value with `write {text} = …` before this line"
            ),
        };
        self.error(d.with_help(help));
    }

    fn write(
        &mut self,
        stmt: &Stmt,
        target: Ident,
        value: &Expr,
        gate: Option<&Gate>,
        names: &Names,
    ) {
        let text = names.text(target.id);
        self.expr(value, names);
        if let Some(g) = gate {
            self.expr(g.expr(), names);
        }
        match self.symbols.kind(target.id) {
            NameKind::Input(_) | NameKind::Stream(_) => {
                let what = if matches!(self.symbols.kind(target.id), NameKind::Input(_)) {
                    "an input"
                } else {
                    "a stream"
                };
                self.error(
                    Diagnostic::error(
                        Code::WriteInput,
                        format!("`{text}` is {what} and cannot be written"),
                        target.span,
                        format!("{what}, not a board value"),
                    )
                    .with_help(format!(
                        "inputs are not on the board; write the value under a new name, as in `write {text}2 = …`"
                    )),
                );
                return;
            }
            NameKind::Undeclared | NameKind::Board => {}
        }
        if self.failed.contains(&target.id) {
            return;
        }
        if self.board.slot_of(target.id).is_some() {
            self.written(target);
            return;
        }
        if let Some(g) = gate {
            let kw = if matches!(g, Gate::When(_)) {
                "when"
            } else {
                "gate"
            };
            self.error(
                Diagnostic::error(
                    Code::GatedNewSlot,
                    format!("a gated write blends with the old value, but `{text}` is not on the board"),
                    target.span,
                    "not on the board",
                )
                .with_help(format!(
                    "write `{text}` without `{kw}` first (as in `write {text} = 0`), then gate later writes"
                )),
            );
            return;
        }
        let full = self.capacity.is_some_and(|c| self.board.occupancy() >= c);
        if full {
            let d = self.board_full(stmt, target, names);
            self.error(d);
            self.failed.insert(target.id);
            self.symbols.set(target.id, NameKind::Board);
            return;
        }
        let slot = self.board.place(target.id);
        self.logged(BoardEvent::Placed(target.id, slot));
        self.excused.remove(&target.id);
        self.symbols.set(target.id, NameKind::Board);
        self.written(target);
        if self.board.occupancy() > self.peak {
            self.peak = self.board.occupancy();
            self.peak_span = Some(stmt.span);
        }
    }

    fn written(&mut self, target: Ident) {
        let i = target.id.index();
        if self.written_at.len() <= i {
            self.written_at.resize(i + 1, None);
        }
        self.written_at[i] = Some(target.span);
    }

    fn forget(&mut self, stmt: &Stmt, n: Ident, names: &Names) {
        let text = names.text(n.id);
        if self.failed.contains(&n.id) || self.excused.remove(&n.id) {
            return;
        }
        if self.board.slot_of(n.id).is_none() {
            let (why, help) = match self.symbols.kind(n.id) {
                NameKind::Input(_) | NameKind::Stream(_) => (
                    format!("`{text}` is an input; inputs are not on the board"),
                    "only values put on the board with `write` can be forgotten".to_owned(),
                ),
                NameKind::Board => (
                    format!("`{text}` is not on the board: it was already forgotten"),
                    format!("remove this `forget {text}`"),
                ),
                NameKind::Undeclared => (
                    format!("`{text}` is not on the board: it was never written"),
                    "only values put on the board with `write` can be forgotten".to_owned(),
                ),
            };
            let mut d = Diagnostic::error(Code::NotOnBoard, why, n.span, "not on the board")
                .with_help(help);
            if let Some(at) = self
                .reads
                .next_forget(n.id, n.span.start)
                .filter(|at| at.name == n.span)
            {
                let message = if at.prev_end.is_none() && at.next_start.is_none() {
                    format!("remove this `forget {text}`")
                } else {
                    format!("remove `{text}` from this `forget`")
                };
                d = d.with_fix(advice::fix(
                    message,
                    vec![advice::remove_forget(&at)],
                    Applicability::MachineApplicable,
                ));
            }
            if let Some(f) = self.forgotten_at.get(n.id.index()).copied().flatten() {
                d = d.with_label(f, "forgotten here");
            }
            self.error(d);
            return;
        }
        if let Some(frame) = self.frames.last() {
            if frame.entry.contains(&n.id) {
                self.error(
                    Diagnostic::error(
                        Code::LoopNotNeutral,
                        format!("this loop forgets `{text}`, which it found on the board"),
                        n.span,
                        "forgotten inside the loop",
                    )
                    .with_label(frame.span, "the loop")
                    .with_help(format!(
                        "a loop must leave the board as it found it: move `forget {text}` after the loop, \
                         after line {}",
                        self.line(frame.span.end.saturating_sub(1))
                    )),
                );
            }
        }
        self.board.remove(n.id);
        self.logged(BoardEvent::Removed(n.id));
        let i = n.id.index();
        if self.forgotten_at.len() <= i {
            self.forgotten_at.resize(i + 1, None);
        }
        self.forgotten_at[i] = Some(stmt.span);
    }

    fn each(&mut self, stmt: &Stmt, streams: &[Ident], body: &[Stmt], names: &Names) {
        if self.each_streams.is_some() {
            self.error(
                Diagnostic::error(
                    Code::NestedEach,
                    "`each` does not nest",
                    stmt.span,
                    "`each` inside `each`",
                )
                .with_help("zip the streams in one loop instead: `each x, y { … }`"),
            );
            return;
        }
        let mut ok = Vec::new();
        for s in streams {
            let text = names.text(s.id);
            match self.symbols.kind(s.id) {
                NameKind::Stream(_) => ok.push(s.id),
                NameKind::Undeclared => self.unknown(*s, names),
                _ => self.error(
                    Diagnostic::error(
                        Code::NotAStream,
                        format!("`each` runs over streams, and `{text}` is not one"),
                        s.span,
                        "not a stream",
                    )
                    .with_help(format!("declare it as `stream {text} = [ … ]`")),
                ),
            }
        }
        self.each_streams = Some(ok);
        self.body(stmt.span, body, names);
        self.each_streams = None;
    }

    fn body(&mut self, span: Span, body: &[Stmt], names: &Names) {
        self.frames.push(Frame {
            entry: self.board.names().collect(),
            span,
        });
        for s in body {
            self.stmt(s, names);
        }
        let frame = self.frames.pop().expect("pushed above");
        let left: Vec<NameId> = self
            .board
            .names()
            .filter(|n| !frame.entry.contains(n))
            .collect();
        for id in left {
            let text = names.text(id);
            let at = self
                .written_at
                .get(id.index())
                .copied()
                .flatten()
                .unwrap_or(span);
            self.error(
                Diagnostic::error(
                    Code::LoopNotNeutral,
                    format!("this loop writes `{text}` and leaves it on the board"),
                    at,
                    "written inside the loop",
                )
                .with_label(span, "the loop")
                .with_help(self.left_help(id, at, span, text)),
            );
            // Leave the board as the loop found it, so later statements are
            // checked against the board every iteration starts from.
            self.board.remove(id);
            self.logged(BoardEvent::Removed(id));
            self.excused.insert(id);
        }
    }

    /// Help for a value `id` a loop at `span` writes (last at `at`) and
    /// leaves on the board: if it is read after the loop, put it on the
    /// board before the loop; otherwise forget it after its last read in the
    /// body.
    fn left_help(&self, id: NameId, at: Span, span: Span, text: &str) -> String {
        let start = self.line(span.start);
        if let Some(p) = self.reads.next_after(id, span.end) {
            return format!(
                "`{text}` is read after the loop (line {}): write it before the loop, before line {start}, \
                 so that the loop updates it in place",
                self.line(p)
            );
        }
        let last = self
            .reads
            .last_before(id, span.end)
            .filter(|&p| p >= at.start)
            .unwrap_or(at.start);
        format!(
            "a loop must leave the board as it found it: add `forget {text}` after line {}, \
             inside the loop",
            self.line(last)
        )
    }

    fn board_full(&self, stmt: &Stmt, target: Ident, names: &Names) -> Diagnostic {
        let text = names.text(target.id);
        let cap = self.capacity.unwrap_or(0);
        let here = stmt.span.start;
        let mut d = Diagnostic::error(
            Code::BoardFull,
            if cap == 1 {
                format!("the board is full: `{text}` needs a slot, and its one slot is taken")
            } else {
                format!("the board is full: `{text}` needs a slot, and all {cap} are taken")
            },
            target.span,
            format!("needs a {} slot", ordinal(cap + 1)),
        );
        // For each value on the board: its next read (from here on, or in the
        // next iteration of an enclosing loop), and whether rule 3 lets it be
        // forgotten here (not if the innermost loop found it on the board).
        let loop_span = self.frames.first().map(|f| f.span);
        let inner = self.frames.last();
        let slots: Vec<Slot> = self
            .board
            .slots()
            .map(|(slot, id)| {
                let carried = inner.filter(|f| f.entry.contains(&id)).map(|f| f.span);
                let next = self.next_read(id, here, loop_span);
                let read_here = matches!(next, Some(NextRead::At(p)) if p < stmt.span.end);
                Slot {
                    slot,
                    id,
                    next,
                    carried,
                    read_here,
                }
            })
            .collect();
        let best = choose(&slots, here);
        let shown = slots.len() <= MAX_SLOT_LABELS;
        for s in &slots {
            if !shown && best.is_none_or(|b| b.id != s.id) {
                continue;
            }
            let label = self.slot_label(s, here, names);
            let at = self
                .written_at
                .get(s.id.index())
                .copied()
                .flatten()
                .unwrap_or(stmt.span);
            d = d.with_label(at, label);
        }
        let line = self.line(here);
        let help = match best {
            Some(b) if b.next.is_none() && b.carried.is_none() => {
                let name = names.text(b.id);
                let last = self
                    .reads
                    .last_before(b.id, here)
                    .map(|p| format!(" (last read on line {})", self.line(p)))
                    .unwrap_or_default();
                let fix = self.forget_before(b.id, stmt.span, name);
                let help = format!("`{name}` is never read again{last}: {}", fix.message);
                d = d.with_fix(fix);
                help
            }
            Some(b) if b.next.is_none() => {
                let name = names.text(b.id);
                // Before the outermost loop that found it on the board.
                let outer = self
                    .frames
                    .iter()
                    .find(|f| f.entry.contains(&b.id))
                    .map_or(stmt.span, |f| f.span);
                let fix = self.forget_before(b.id, outer, name);
                let help = format!(
                    "`{name}` is not read in this loop or after it, but a loop cannot forget what it found on \
                     the board: {} (the loop)",
                    fix.message
                );
                d = d.with_fix(fix);
                help
            }
            _ => {
                let mut h =
                    "no slot can be freed here: every value on the board is read again later"
                        .to_owned();
                if let Some(fix) = self.in_place(stmt, target, &slots, names) {
                    h.push_str(&format!("; but {}", fix.message));
                    d = d.with_fix(fix);
                } else if let Some(b) = best {
                    let name = names.text(b.id);
                    h.push_str(&format!(
                        "; forget `{name}` (its next read is the furthest away) before line {line} and \
                         write it again before that read"
                    ));
                }
                h
            }
        };
        d = d.with_help(help);
        if !shown {
            d = d.with_note(format!(
                "{} other slots hold values that are read again later",
                slots.len() - 1
            ));
        }
        d
    }

    /// "Add `forget name` before line N" for the statement at `before` —
    /// or "move" it there, when the program forgets `name` later (before
    /// writing it again), so that the later forget does not fail.
    fn forget_before(&self, id: NameId, before: Span, name: &str) -> Fix {
        let stmt = format!("forget {name}");
        let line = self.line(before.start);
        let later = self.reads.next_forget(id, before.end).filter(|f| {
            self.reads
                .next_write(id, before.end)
                .is_none_or(|w| f.name.start < w)
        });
        let mut edits = vec![advice::insert_before(before, &stmt)];
        let message = match later {
            Some(f) => {
                edits.push(advice::remove_forget(&f));
                format!(
                    "move `forget {name}` from line {} to before line {line}",
                    self.line(f.name.start)
                )
            }
            None => format!("add `forget {name}` before line {line}"),
        };
        advice::fix(message, edits, Applicability::MachineApplicable)
    }

    /// The in-place overwrite for a write of `target` at `stmt` that finds
    /// the board full: a value the write itself reads for the last time
    /// gives up its slot and its name. That renames the new value for its
    /// whole lifetime (to its forget, which becomes a forget of the old
    /// name), and drops the old name's own forget.
    fn in_place(&self, stmt: &Stmt, target: Ident, slots: &[Slot], names: &Names) -> Option<Fix> {
        let end = stmt.span.end;
        let v = slots.iter().find(|s| {
            s.read_here && s.carried.is_none() && self.reads.next_after(s.id, end).is_none()
        })?;
        let (old, new) = (names.text(v.id), names.text(target.id));
        // The new value lives until its forget (or the program's end).
        let its_forget = self.reads.next_forget(target.id, end);
        let life_end = its_forget.map_or(u32::MAX, |f| f.name.start);
        if self
            .reads
            .next_write(v.id, end)
            .is_some_and(|w| w < life_end)
        {
            return None;
        }
        if let Some(l) = self.frames.last() {
            if life_end == u32::MAX || life_end >= l.span.end {
                return None;
            }
        }
        let len = new.len() as u32;
        let at = |p: u32| Span::new(p as usize, (p + len) as usize);
        let mut edits = vec![advice::replace(target.span, old)];
        let mut lines = Vec::new();
        for &p in self.reads.within(target.id, end, life_end) {
            edits.push(advice::replace(at(p), old));
            lines.push(self.line(p));
        }
        for &p in self.reads.writes_of(target.id) {
            if p >= end && p < life_end {
                edits.push(advice::replace(at(p), old));
                lines.push(self.line(p));
            }
        }
        if let Some(f) = its_forget {
            edits.push(advice::replace(f.name, old));
            lines.push(self.line(f.name.start));
        }
        if let Some(f) = self.reads.next_forget(v.id, end).filter(|f| {
            self.reads
                .next_write(v.id, end)
                .is_none_or(|w| f.name.start < w)
        }) {
            edits.push(advice::remove_forget(&f));
        }
        lines.sort_unstable();
        lines.dedup();
        let renamed = match lines.as_slice() {
            [] => String::new(),
            [l] => format!(", and `{new}` becomes `{old}` on line {l}"),
            ls => format!(
                ", and `{new}` becomes `{old}` on lines {}",
                ls.iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let printed = self.reads.printed_within(target.id, end, life_end);
        let (caveat, applicability) = if printed {
            (
                format!(
                    " (a `read` of it then prints `{old}` where it printed `{new}`: values stay the same, \
                     the text does not)"
                ),
                Applicability::MaybeIncorrect,
            )
        } else {
            (String::new(), Applicability::MachineApplicable)
        };
        let message = format!(
            "`{old}` is last read in this very write, so the new value can take its slot: \
             write `write {old} = …` in place{renamed}{caveat}"
        );
        Some(advice::fix(message, edits, applicability))
    }

    fn slot_label(&self, s: &Slot, here: u32, names: &Names) -> String {
        let name = names.text(s.id);
        let n = s.slot + 1;
        match s.next {
            Some(NextRead::At(p)) => {
                format!("slot {n}: `{name}`, read again on line {}", self.line(p))
            }
            Some(NextRead::NextIteration(p)) => format!(
                "slot {n}: `{name}`, read again in the next iteration (line {})",
                self.line(p)
            ),
            None => match self.reads.last_before(s.id, here) {
                Some(p) => format!("slot {n}: `{name}`, last read on line {}", self.line(p)),
                None => format!("slot {n}: `{name}`, never read"),
            },
        }
    }

    fn next_read(&self, id: NameId, here: u32, loop_span: Option<Span>) -> Option<NextRead> {
        if let Some(l) = loop_span {
            if let Some(p) = self.reads.first_within(id, here, l.end) {
                return Some(NextRead::At(p));
            }
            // Read earlier in the loop: it comes round again next iteration.
            if self.frames.first().is_some_and(|f| f.entry.contains(&id)) {
                if let Some(p) = self.reads.first_within(id, l.start, here) {
                    return Some(NextRead::NextIteration(p));
                }
            }
        }
        self.reads.next_after(id, here).map(NextRead::At)
    }

    fn line(&self, offset: u32) -> usize {
        self.lines.line(offset as usize)
    }

    fn error(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Ends the check of the whole `program` it was fed: [`Checker::finish`],
    /// then liveness: the `dead_write` and `unused_input` warnings and
    /// `min_capacity`.
    pub fn finish_program(self, program: &Program) -> Analysis {
        let failed = self.failed.clone();
        let board_value = self.board_value;
        let capacity_fixed = self.capacity_fixed;
        let mut analysis = self.finish();
        if analysis
            .diagnostics
            .iter()
            .any(|d| d.code == Code::BoardFull)
        {
            raise_the_board(&mut analysis, program, board_value, capacity_fixed);
        }
        let liveness = liveness::Liveness::of(program, &analysis.symbols, &failed);
        analysis.min_capacity = liveness.min_capacity;
        for &id in liveness.unused() {
            match analysis.symbols.kind(id) {
                NameKind::Input(i) => analysis.symbols.inputs[i].read = false,
                NameKind::Stream(i) => analysis.symbols.streams[i].read = false,
                _ => {}
            }
        }
        analysis.diagnostics.extend(liveness.warnings(
            &program.names,
            &analysis.symbols,
            &program.lines,
        ));
        diag::sort(&mut analysis.diagnostics);
        analysis
    }

    /// Ends the check: the program-level errors, the summary, sorted diagnostics.
    pub fn finish(mut self) -> Analysis {
        if self.capacity.is_none() && !self.diagnostics.iter().any(|d| d.code == Code::BadCapacity)
        {
            // At the first statement, or at 1:1 of an empty program.
            let at = self.first_item.unwrap_or(Span::new(0, 0));
            let n = self.peak.max(1);
            self.diagnostics.insert(
                0,
                Diagnostic::error(
                    Code::NoBoard,
                    "the program declares no board",
                    at,
                    "the program starts here, without `board N`",
                )
                .with_help(
                    "start the program with `board N` (N slots), or run with `--capacity N`",
                )
                .with_fix(advice::fix(
                    format!("add `board {n}` as the first line (the most slots the program uses at once)"),
                    vec![advice::replace(
                        Span::new(at.start as usize, at.start as usize),
                        &format!("board {n}\n"),
                    )],
                    // A budget is the author's to choose.
                    Applicability::MaybeIncorrect,
                )),
            );
        }
        diag::sort(&mut self.diagnostics);
        Analysis {
            diagnostics: self.diagnostics,
            capacity: self.capacity,
            peak: self.peak,
            peak_span: self.peak_span,
            min_capacity: self.peak,
            symbols: self.symbols,
        }
    }
}

/// Adds "raise the board" to every `board_full`: the smallest board on which
/// the program *as written* checks is the peak of a check with all the room
/// there is (with no write failing, the board holds the same names at every
/// point on any board that fits, so that peak is exact), unless the program
/// has errors no board size helps (a read of a forgotten value).
fn raise_the_board(
    analysis: &mut Analysis,
    program: &Program,
    board_value: Option<Span>,
    capacity_fixed: bool,
) {
    if analysis.capacity.is_some_and(|c| c >= MAX_CAPACITY) {
        return;
    }
    let roomy = check(program, Some(MAX_CAPACITY));
    let blocker = roomy.diagnostics.iter().find(|d| d.is_error());
    for d in analysis
        .diagnostics
        .iter_mut()
        .filter(|d| d.code == Code::BoardFull)
    {
        let sentence = match blocker {
            None => {
                let n = roomy.peak;
                let fix = board_value.filter(|_| !capacity_fixed).map(|span| {
                    advice::fix(
                        format!("raise the board to `board {n}`"),
                        vec![advice::replace(span, &n.to_string())],
                        // It changes the budget the program promises to fit:
                        // the user's call, never applied alone.
                        Applicability::MaybeIncorrect,
                    )
                });
                if let Some(fix) = fix {
                    d.fixes.push(fix);
                }
                format!(
                    "or raise the board to `board {n}` (or run with `--capacity {n}`): the smallest board on \
                     which this program, as written, checks"
                )
            }
            Some(e) => format!(
                "no board size makes this program check as written: line {} has `{}` ({})",
                program.lines.line(e.position() as usize),
                e.code,
                e.message
            ),
        };
        d.help = Some(match d.help.take() {
            // The only way out: no "or".
            Some(h) if h.ends_with("read again later") => {
                format!("{h}: {}", sentence.trim_start_matches("or "))
            }
            Some(h) => format!("{h}; {sentence}"),
            None => sentence,
        });
    }
}

#[derive(Clone, Copy, Debug)]
enum NextRead {
    At(u32),
    NextIteration(u32),
}

/// A `board_full` diagnostic labels every slot up to this many; past it,
/// only the slot to forget (a board of a thousand values is no picture).
const MAX_SLOT_LABELS: usize = 8;

/// One occupied slot, as the `board_full` help sees it.
struct Slot {
    slot: usize,
    id: NameId,
    next: Option<NextRead>,
    /// The innermost loop, if it found this value on the board (rule 3:
    /// it cannot forget it).
    carried: Option<Span>,
    /// Whether the failing statement itself reads it.
    read_here: bool,
}

/// The slot to free: one never read again that may be forgotten here, else
/// one never read again that the loop carries (forget it before the loop),
/// else the forgettable one whose next read is furthest away (not one this
/// statement reads).
fn choose(slots: &[Slot], here: u32) -> Option<&Slot> {
    let distance = |s: &Slot| match s.next {
        None => u64::MAX,
        Some(NextRead::At(p)) => u64::from(p.saturating_sub(here)),
        Some(NextRead::NextIteration(p)) => u64::from(u32::MAX) + u64::from(p),
    };
    slots
        .iter()
        .find(|s| s.next.is_none() && s.carried.is_none())
        .or_else(|| slots.iter().find(|s| s.next.is_none()))
        .or_else(|| {
            slots
                .iter()
                .filter(|s| s.carried.is_none() && !s.read_here)
                .max_by_key(|s| (distance(s), std::cmp::Reverse(s.slot)))
        })
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, `21st`.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

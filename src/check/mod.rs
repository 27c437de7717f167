//! The checker: names, declarations and the four board rules, statically.
//!
//! Which names are on the board at each point never depends on input values
//! (rules 3 and 4), so one pass that simulates the board over the program
//! text is exact: a program it accepts never hits a board error at run time.
//! Every error is reported, in source order; a failing statement changes
//! nothing, as at run time, and a name whose write failed is not reported
//! again.

mod fix;
mod liveness;
mod reads;
mod symbols;

pub use fix::{fix, Fixed};
pub use reads::Reads;
pub use symbols::{InputInfo, NameKind, StreamInfo, Symbols};

use std::collections::HashSet;

use crate::board::Board;
use crate::diag::{self, Code, Diagnostic};
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
}

/// Checks a whole program. `capacity` (from `--capacity`) overrides `board N`.
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
    /// Streams of the enclosing `each`, if any.
    each_streams: Option<Vec<NameId>>,
    frames: Vec<Frame>,
    reads: Reads,
    lines: LineIndex,
    diagnostics: Vec<Diagnostic>,
    peak: usize,
    peak_span: Option<Span>,
}

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
            each_streams: None,
            frames: Vec::new(),
            reads,
            lines,
            diagnostics: Vec::new(),
            peak: 0,
            peak_span: None,
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
            } => self.write(stmt, *target, value, gate.as_ref(), names),
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
                if self.board.slot_of(n.id).is_some() || self.failed.contains(&n.id) {
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
                    d = d.with_help(format!(
                        "move `forget {text}` after this read, or write `{text}` again before it"
                    ));
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

    fn unknown(&mut self, n: Ident, names: &Names) {
        let text = names.text(n.id);
        let known: Vec<&str> = names
            .iter()
            .filter(|(id, _)| self.symbols.kind(*id) != NameKind::Undeclared)
            .map(|(_, t)| t)
            .collect();
        let mut d = Diagnostic::error(
            Code::UnknownName,
            format!("`{text}` is not declared or written before this point"),
            n.span,
            "unknown name",
        );
        if let Some(s) = suggest::nearest(text, known.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else {
            d = d.with_help(format!(
                "declare it with `input {text}` or give it a value with `write {text} = …` before this line"
            ));
        }
        self.error(d);
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
        self.board.place(target.id);
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
        if self.failed.contains(&n.id) {
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
                        "a loop must leave the board as it found it: move `forget {text}` after the loop"
                    )),
                );
            }
        }
        self.board.remove(n.id);
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
                .with_help(format!(
                    "a loop must leave the board as it found it: add `forget {text}` at the end of the body, or write `{text}` before the loop"
                )),
            );
            // Leave the board as the loop found it, so later statements are
            // checked against the board every iteration starts from.
            self.board.remove(id);
        }
    }

    fn board_full(&self, stmt: &Stmt, target: Ident, names: &Names) -> Diagnostic {
        let text = names.text(target.id);
        let cap = self.capacity.unwrap_or(0);
        let here = stmt.span.start;
        let mut d = Diagnostic::error(
            Code::BoardFull,
            format!(
                "the board is full: `{text}` needs a slot, and all {cap} {} taken",
                if cap == 1 { "is" } else { "are" }
            ),
            target.span,
            format!("needs a {} slot", ordinal(cap + 1)),
        );
        // For each value on the board: its next read (from here on, or in the
        // next iteration of an enclosing loop) and its last read before here.
        let mut best: Option<(u64, NameId)> = None;
        let loop_span = self.frames.first().map(|f| f.span);
        for (slot, id) in self.board.slots() {
            let name = names.text(id);
            let next = self.next_read(id, here, loop_span);
            let label = match next {
                Some(NextRead::At(p)) => {
                    format!(
                        "slot {}: `{name}`, read again on line {}",
                        slot + 1,
                        self.line(p)
                    )
                }
                Some(NextRead::NextIteration(p)) => {
                    format!(
                        "slot {}: `{name}`, read again in the next iteration (line {})",
                        slot + 1,
                        self.line(p)
                    )
                }
                None => match self.reads.last_before(id, here) {
                    Some(p) => format!(
                        "slot {}: `{name}`, last read on line {}",
                        slot + 1,
                        self.line(p)
                    ),
                    None => format!("slot {}: `{name}`, never read", slot + 1),
                },
            };
            let at = self
                .written_at
                .get(id.index())
                .copied()
                .flatten()
                .unwrap_or(stmt.span);
            d = d.with_label(at, label);
            let distance = match next {
                None => u64::MAX,
                Some(NextRead::At(p)) => u64::from(p - here),
                Some(NextRead::NextIteration(p)) => u64::from(u32::MAX) + u64::from(p),
            };
            if best.is_none_or(|(b, _)| distance > b) {
                best = Some((distance, id));
            }
        }
        if let Some((distance, id)) = best {
            let name = names.text(id);
            let help = if distance == u64::MAX {
                let last = self
                    .reads
                    .last_before(id, here)
                    .map(|p| format!(" (last read on line {})", self.line(p)))
                    .unwrap_or_default();
                format!(
                    "`{name}` is never read again{last}: add `forget {name}` before line {}",
                    self.line(here)
                )
            } else {
                format!(
                    "every value on the board is read again later, so this point needs {} slots: \
                     raise the board to `board {}`, or forget `{name}` (its next read is the furthest away) \
                     and write it again before that read",
                    cap + 1,
                    cap + 1
                )
            };
            d = d.with_help(help);
        }
        d
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
        let lines = self.lines.clone();
        let mut analysis = self.finish();
        let liveness = liveness::Liveness::of(program, &analysis.symbols, &failed);
        analysis.min_capacity = liveness.min_capacity;
        analysis
            .diagnostics
            .extend(liveness.warnings(&program.names, &analysis.symbols, &lines));
        diag::sort(&mut analysis.diagnostics);
        analysis
    }

    /// Ends the check: the program-level errors, the summary, sorted diagnostics.
    pub fn finish(mut self) -> Analysis {
        if self.capacity.is_none() && !self.diagnostics.iter().any(|d| d.code == Code::BadCapacity)
        {
            self.diagnostics.insert(
                0,
                Diagnostic::global(Code::NoBoard, "the program declares no board").with_help(
                    "start the program with `board N` (N slots), or run with `--capacity N`",
                ),
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

enum NextRead {
    At(u32),
    NextIteration(u32),
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

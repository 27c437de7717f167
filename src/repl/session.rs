//! The session: a `.wb` program that grows one entry at a time.
//!
//! The session text is always a whole program: its first item is the
//! `board N` declaration, and every entry that succeeded follows, in order.
//! So `:check` checks it, `:save` writes it, and `wb run` of the saved file
//! replays to the same board and reads.
//!
//! An entry is parsed with its spans offset into the session text, fed to the
//! incremental [`Checker`], and run by a [`Machine`] resumed from the
//! session's [`State`]. If anything fails (syntax, check, a run-time error,
//! Ctrl-C) the checker and the state are restored from a snapshot taken
//! before the entry: a failing entry changes nothing. The same snapshots,
//! kept, are what `:undo` goes back to.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::check::{Checker, NameKind, Reads};
use crate::diag::{self, Code, Diagnostic};
use crate::interp::{self, Limits, Machine, Observer, Overrides, Read, State};
use crate::syntax::{self, Func, Item, LineIndex, Names, Program, Stmt, StmtKind, KEYWORDS};

use super::outcome::{Outcome, Status};

/// The name diagnostics give the session text.
pub const SOURCE_NAME: &str = "<repl>";

/// The board a session starts with unless told otherwise.
pub const DEFAULT_CAPACITY: usize = 3;

/// What `:undo` goes back to: the session as it was before one change.
struct Snapshot {
    /// The change, in words (`write p = ac * bd_a`).
    what: String,
    text: Kept,
    /// The checker without its reads table and line index, which are rebuilt
    /// from the text (so a snapshot costs what the board costs, not what the
    /// whole session text costs).
    checker: Checker,
    state: State,
    capacity: usize,
}

/// How to get the old text back.
enum Kept {
    /// The change appended an entry: cut back to these lengths.
    Prefix { text: usize, items: usize },
    /// The change replaced the whole session (a new board, `:load`, `:reset`).
    Whole { text: String, items: Vec<Item> },
}

/// A program being built interactively: its text, what the checker knows,
/// and the machine state after its last entry.
pub struct Session {
    /// The session as a program; ends with a newline.
    text: String,
    /// Its items (the first is the `board`), names and lines.
    program: Program,
    checker: Checker,
    state: State,
    capacity: usize,
    undo: Vec<Snapshot>,
    interrupt: Arc<AtomicBool>,
}

impl Default for Session {
    /// A session on `board 3`.
    fn default() -> Self {
        match Session::new(DEFAULT_CAPACITY) {
            Ok(s) => s,
            // `board 3` always checks.
            Err(_) => unreachable!("`board {DEFAULT_CAPACITY}` is a valid board"),
        }
    }
}

/// A session text checked from scratch: its items, line index and checker.
struct Built {
    text: String,
    items: Vec<Item>,
    lines: LineIndex,
    checker: Checker,
}

impl Session {
    /// A session that starts as `board N`; fails as the checker would on
    /// `board N` (`wb::bad_capacity`).
    pub fn new(capacity: usize) -> Result<Session, Box<Outcome>> {
        let mut program = Program::default();
        let built = build(format!("board {capacity}\n"), &mut program.names, capacity)?;
        program.items = built.items;
        program.lines = built.lines;
        Ok(Session {
            capacity: built.checker.capacity().unwrap_or(capacity),
            text: built.text,
            program,
            checker: built.checker,
            state: State::default(),
            undo: Vec::new(),
            interrupt: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The flag that interrupts a running entry (set it from a Ctrl-C
    /// handler); it is cleared when the next entry starts.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// The session as a program.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The session's program (its items, names and lines).
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// How many slots the board has.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many slots are in use.
    pub fn occupancy(&self) -> usize {
        self.state.board().occupancy()
    }

    /// The machine state after the last entry.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The value of a board name, if it is on the board.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.state.value(self.program.names.get(name)?)
    }

    /// How many changes `:undo` can take back.
    pub fn undo_depth(&self) -> usize {
        self.undo.len()
    }

    /// The prompt: `wb 2/3> `.
    pub fn prompt(&self) -> String {
        format!("wb {}/{}> ", self.occupancy(), self.capacity)
    }

    /// The board on one line, free slots shown: `[ ac=5 | · | · ]`.
    pub fn board_line(&self) -> String {
        Machine::resume(
            &self.program,
            &self.text,
            self.checker.symbols(),
            self.capacity,
            self.state.clone(),
        )
        .board_line()
    }

    /// The names on the board now, in slot order.
    pub fn board_names(&self) -> Vec<String> {
        self.state
            .board()
            .names()
            .map(|id| self.program.names.text(id).to_owned())
            .collect()
    }

    /// The words Tab completes in a statement: keywords, functions, and the
    /// inputs, streams and board names declared so far.
    pub fn words(&self) -> Vec<String> {
        let mut words: Vec<String> = KEYWORDS.iter().map(|k| (*k).to_owned()).collect();
        words.extend(Func::ALL.iter().map(|f| f.name().to_owned()));
        let symbols = self.checker.symbols();
        words.extend(
            self.program
                .names
                .iter()
                .filter(|(id, _)| symbols.kind(*id) != NameKind::Undeclared)
                .map(|(_, text)| text.to_owned()),
        );
        words
    }

    /// Runs one entry: a statement or several, a declaration, a bare
    /// expression (a `read`), or a `:` command. Reads are collected into
    /// [`Outcome::reads`].
    pub fn eval(&mut self, entry: &str) -> Outcome {
        let mut reads: Vec<Read> = Vec::new();
        let mut outcome = self.eval_with(entry, &mut reads);
        outcome.reads = reads;
        outcome
    }

    /// Runs one entry, handing each read to `obs` as it happens (a long loop
    /// of reads then shows its progress and holds no memory).
    pub fn eval_with(&mut self, entry: &str, obs: &mut dyn Observer) -> Outcome {
        self.entry(entry, obs, false)
    }

    /// Runs an entry even if it ends inside an open block (the input ended
    /// there): the block's syntax error is reported.
    pub fn eval_last(&mut self, entry: &str, obs: &mut dyn Observer) -> Outcome {
        self.entry(entry, obs, true)
    }

    fn entry(&mut self, entry: &str, obs: &mut dyn Observer, last: bool) -> Outcome {
        let trimmed = entry.trim();
        if trimmed.is_empty() {
            return Outcome::default();
        }
        if let Some(command) = trimmed.strip_prefix(':') {
            return self.command(command, obs);
        }
        if !last && needs_more(entry) {
            return Outcome {
                status: Status::Incomplete,
                ..Outcome::default()
            };
        }
        let statement = as_statement(entry);
        let mut outcome = self.statement(&statement, obs);
        if let (Cow::Owned(_), Some(name)) = (&statement, assignment_target(entry)) {
            // `x = 5` was read as `read x = 5`: say what was probably meant.
            for d in &mut outcome.diagnostics {
                if d.code == Code::Syntax && d.help.is_none() {
                    d.help = Some(format!(
                        "an entry that is not a statement is read as an expression; to put a value on the board, write `write {name} = …`"
                    ));
                }
            }
        }
        outcome
    }

    /// An entry of statements and declarations, appended to the session.
    fn statement(&mut self, entry: &str, obs: &mut dyn Observer) -> Outcome {
        let offset = self.text.len();
        let mut entry = entry.to_owned();
        if !entry.ends_with('\n') {
            entry.push('\n');
        }
        let (items, diags) = syntax::parse_items(&entry, offset, &mut self.program.names);
        if !diags.is_empty() {
            return Outcome::failed(diags, format!("{}{entry}", self.text));
        }
        if items.iter().any(|i| matches!(i, Item::Board(_))) {
            return self.board_entry(&items, format!("{}{entry}", self.text));
        }
        let snapshot = self.snapshot(
            summary(&entry),
            Kept::Prefix {
                text: offset,
                items: self.program.items.len(),
            },
        );
        // The entry joins the text now; a failure cuts it back (restore).
        self.text.push_str(&entry);
        self.program.lines.extend(&entry, offset);
        for item in &items {
            if let Item::Stmt(s) = item {
                self.checker.reads_mut().stmt(s);
            }
        }
        self.checker.set_lines(self.program.lines.clone());
        let before = self.checker.diagnostics().len();
        for item in &items {
            self.checker.item(item, &self.program.names);
        }
        let found = self.checker.diagnostics()[before..].to_vec();
        if found.iter().any(Diagnostic::is_error) {
            let errors = found.into_iter().filter(Diagnostic::is_error).collect();
            return self.fail(snapshot, errors);
        }
        if items
            .iter()
            .any(|i| matches!(i, Item::Input(..) | Item::Stream(..)))
        {
            // The REPL has no `--set`: every input takes its default.
            match interp::bind(
                self.checker.symbols(),
                &self.program.names,
                &Overrides::default(),
            ) {
                Ok(b) => *self.state.bindings_mut() = b,
                Err(d) => return self.fail(snapshot, vec![d]),
            }
        }
        let (result, board) = self.run(&items, obs);
        if let Err(d) = result {
            let mut out = self.fail(snapshot, vec![d]);
            out.board = Some(format!("board unchanged: {}", self.board_line()));
            return out;
        }
        self.program.items.extend(items.iter().cloned());
        self.undo.push(snapshot);
        let changes_board = items
            .iter()
            .any(|i| matches!(i, Item::Stmt(s) if changes_board(s)));
        Outcome {
            board: changes_board.then_some(board),
            source: if found.is_empty() {
                String::new()
            } else {
                self.text.clone()
            },
            diagnostics: found,
            ..Outcome::default()
        }
    }

    /// An entry failed: the diagnostics (against the text with the entry),
    /// and the session back as it was.
    fn fail(&mut self, snapshot: Snapshot, diagnostics: Vec<Diagnostic>) -> Outcome {
        let source = self.text.clone();
        self.restore(snapshot);
        Outcome::failed(diagnostics, source)
    }

    /// Runs the statements among `items` on the session's state (in
    /// `self.state` afterwards, whatever happened); returns the result and the
    /// board line after the run.
    fn run(&mut self, items: &[Item], obs: &mut dyn Observer) -> (Result<(), Diagnostic>, String) {
        self.interrupt.store(false, Ordering::Relaxed);
        let limits = Limits {
            max_steps: None,
            interrupt: Some(&self.interrupt),
        };
        let state = std::mem::take(&mut self.state);
        let mut machine = Machine::resume(
            &self.program,
            &self.text,
            self.checker.symbols(),
            self.capacity,
            state,
        );
        let mut result = Ok(());
        for item in items {
            if let Item::Stmt(s) = item {
                if let Err(d) = machine.exec(s, obs, limits) {
                    result = Err(d);
                    break;
                }
            }
        }
        let board = machine.board_line();
        self.state = machine.into_state();
        (result, board)
    }

    /// `board N` typed in the session: the session so far is checked again
    /// on N slots, and the board changes only if it all fits.
    fn board_entry(&mut self, items: &[Item], working: String) -> Outcome {
        let [Item::Board(new)] = items else {
            return Outcome::error("type `board N` on a line of its own");
        };
        let Some(Item::Board(old)) = self.program.items.first() else {
            return Outcome::error("the session has no `board` to change");
        };
        let decl = new.span.text(&working).to_owned();
        let old = old.span.range();
        let text = format!("{}{decl}{}", &self.text[..old.start], &self.text[old.end..]);
        let built = match build(text, &mut self.program.names, self.capacity) {
            Ok(b) => b,
            Err(mut out) => {
                if out.diagnostics.iter().any(|d| d.code == Code::BoardFull) {
                    out.error = Some(format!(
                        "the session so far does not fit on `{decl}`: it needs {} slots at once; nothing changed",
                        self.state.peak()
                    ));
                    // That line is the answer; the re-check's diagnostics
                    // (`:check` shows them) would bury it.
                    out.diagnostics.clear();
                }
                return *out;
            }
        };
        let snapshot = self.snapshot(
            decl,
            Kept::Whole {
                text: self.text.clone(),
                items: self.program.items.clone(),
            },
        );
        self.install(built);
        self.undo.push(snapshot);
        Outcome {
            board: Some(self.board_line()),
            ..Outcome::default()
        }
    }

    /// Replaces the session with a program (`:load`, `wb repl FILE`): checked
    /// whole, then run from an empty board. On any error nothing changes.
    pub fn load(&mut self, text: &str, obs: &mut dyn Observer) -> Outcome {
        let mut text = text.to_owned();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        // A file without a `board` runs on the session's board.
        if !starts_with_board(&text) {
            text = format!("board {}\n{text}", self.capacity);
        }
        let built = match build(text, &mut self.program.names, self.capacity) {
            Ok(b) => b,
            Err(out) => return *out,
        };
        let bindings = match interp::bind(
            built.checker.symbols(),
            &self.program.names,
            &Overrides::default(),
        ) {
            Ok(b) => b,
            Err(d) => return Outcome::failed(vec![d], built.text),
        };
        let snapshot = self.snapshot(
            "the load".to_owned(),
            Kept::Whole {
                text: self.text.clone(),
                items: self.program.items.clone(),
            },
        );
        let items = built.items.clone();
        self.install(built);
        self.state = State::new(bindings);
        let (result, board) = self.run(&items, obs);
        if let Err(d) = result {
            return self.fail(snapshot, vec![d]);
        }
        self.undo.push(snapshot);
        Outcome {
            board: Some(board),
            ..Outcome::default()
        }
    }

    /// Empties the board and the session, keeping the board's size.
    pub(crate) fn reset(&mut self) -> Outcome {
        let built = match build(
            format!("board {}\n", self.capacity),
            &mut self.program.names,
            self.capacity,
        ) {
            Ok(b) => b,
            Err(out) => return *out,
        };
        let snapshot = self.snapshot(
            ":reset".to_owned(),
            Kept::Whole {
                text: self.text.clone(),
                items: self.program.items.clone(),
            },
        );
        self.install(built);
        self.state = State::default();
        self.undo.push(snapshot);
        Outcome {
            board: Some(self.board_line()),
            ..Outcome::default()
        }
    }

    /// Takes back the last change; `None` when there is nothing to undo.
    pub(crate) fn undo(&mut self) -> Option<String> {
        let snapshot = self.undo.pop()?;
        let what = snapshot.what.clone();
        self.restore(snapshot);
        Some(what)
    }

    fn install(&mut self, built: Built) {
        self.capacity = built.checker.capacity().unwrap_or(self.capacity);
        self.text = built.text;
        self.program.items = built.items;
        self.program.lines = built.lines;
        self.checker = built.checker;
    }

    /// The session as it is now, for `:undo` or to restore after a failure.
    ///
    /// The checker is left without its line index: every caller next either
    /// gives it the lines of the grown text or replaces it (so a long session
    /// copies its line index once per entry, not twice).
    fn snapshot(&mut self, what: String, text: Kept) -> Snapshot {
        let reads = std::mem::take(self.checker.reads_mut());
        self.checker.set_lines(LineIndex::default());
        let checker = self.checker.clone();
        *self.checker.reads_mut() = reads;
        Snapshot {
            what,
            text,
            checker,
            state: self.state.clone(),
            capacity: self.capacity,
        }
    }

    fn restore(&mut self, snapshot: Snapshot) {
        match snapshot.text {
            Kept::Prefix { text, items } => {
                self.text.truncate(text);
                self.program.items.truncate(items);
                self.program.lines.truncate(text);
            }
            Kept::Whole { text, items } => {
                self.text = text;
                self.program.items = items;
                self.program.lines = LineIndex::new(&self.text);
            }
        }
        self.checker = snapshot.checker;
        *self.checker.reads_mut() = reads_of(&self.program.items);
        self.checker.set_lines(self.program.lines.clone());
        self.state = snapshot.state;
        self.capacity = snapshot.capacity;
    }

    /// The checker's symbols, for the commands.
    pub(crate) fn checker(&self) -> &Checker {
        &self.checker
    }

    /// The interrupt flag, cleared, for a command that runs the session.
    pub(crate) fn fresh_interrupt(&self) -> &AtomicBool {
        self.interrupt.store(false, Ordering::Relaxed);
        &self.interrupt
    }
}

/// Whether a statement writes or forgets (itself or in its loop body): then
/// the board is shown after it.
fn changes_board(stmt: &Stmt) -> bool {
    match &stmt.kind {
        StmtKind::Write { .. } | StmtKind::Forget(_) => true,
        StmtKind::Read(_) => false,
        StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => {
            body.iter().any(changes_board)
        }
    }
}

/// Parses and checks a whole session text from scratch (ids stay those of
/// `names`, so the machine state still fits).
fn build(text: String, names: &mut Names, capacity: usize) -> Result<Built, Box<Outcome>> {
    let (items, diags) = syntax::parse_items(&text, 0, names);
    if !diags.is_empty() {
        return Err(Box::new(Outcome::failed(diags, text)));
    }
    let lines = LineIndex::new(&text);
    let mut checker = Checker::new(None, reads_of(&items), lines.clone());
    for item in &items {
        checker.item(item, names);
    }
    let errors: Vec<Diagnostic> = checker
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errors.is_empty() {
        let mut errors = errors;
        diag::sort(&mut errors);
        return Err(Box::new(Outcome::failed(errors, text)));
    }
    if checker.capacity().is_none() {
        return Err(Box::new(Outcome::error(format!(
            "the session needs a board (`board {capacity}`)"
        ))));
    }
    Ok(Built {
        text,
        items,
        lines,
        checker,
    })
}

fn reads_of(items: &[Item]) -> Reads {
    let mut reads = Reads::default();
    for item in items {
        if let Item::Stmt(s) = item {
            reads.stmt(s);
        }
    }
    reads
}

/// Whether the text's first item is a `board` declaration.
fn starts_with_board(text: &str) -> bool {
    let mut names = Names::default();
    let (items, _) = syntax::parse_items(text, 0, &mut names);
    matches!(items.first(), Some(Item::Board(_)))
}

/// Whether `entry` ends inside an open `each`/`repeat` block, so that the
/// reader should ask for another line: the braces are open **and** the real
/// parser's only complaint is at the very end. An entry with an error before
/// its end is complete (and wrong): it is run, and the error shown.
pub fn needs_more(entry: &str) -> bool {
    if !syntax::is_incomplete(entry) {
        return false;
    }
    let mut names = Names::default();
    let (_, diags) = syntax::parse_items(entry, 0, &mut names);
    let end = entry.trim_end().len();
    !diags.is_empty()
        && diags
            .iter()
            .all(|d| d.primary_span().is_some_and(|s| s.start as usize >= end))
}

/// A bare expression is a `read`: an entry that does not start with a
/// keyword (every statement and declaration does) is read as `read …`.
fn as_statement(entry: &str) -> Cow<'_, str> {
    let t = entry.trim_start();
    if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
        return Cow::Borrowed(entry);
    }
    let word = t
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    if KEYWORDS.contains(&word) {
        Cow::Borrowed(entry)
    } else {
        Cow::Owned(format!("read {t}"))
    }
}

/// `x` when the entry looks like `x = …` (an assignment without `write`).
fn assignment_target(entry: &str) -> Option<&str> {
    let t = entry.trim_start();
    let end = t.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let rest = t[end..].trim_start();
    let is_name = end > 0 && !t.starts_with(|c: char| c.is_ascii_digit());
    (is_name && rest.starts_with('=') && !rest.starts_with("==")).then(|| &t[..end])
}

/// An entry in a few words, for `:undo`: its first line.
fn summary(entry: &str) -> String {
    let mut lines = entry.trim().lines();
    let first = lines.next().unwrap_or("").trim_end();
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_owned()
    }
}

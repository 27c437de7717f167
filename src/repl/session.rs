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
//! Ctrl-C) the state is restored from a copy taken before the entry and the
//! checker by checking the text again: a failing entry changes nothing.
//! `:undo` keeps only where each entry began and replays the text.
//!
//! Line numbers are the session's: the `board N` line the session adds is
//! neither shown nor counted (`session_lines`), and a suggestion that edits
//! only the failed entry says what to type (`in_session_terms`).

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

/// The session as it was before an entry, held while the entry runs: a
/// failing entry goes back to it. It is dropped when the entry is done, so
/// the session holds one at most (what `:undo` keeps is a [`Change`]).
struct Snapshot {
    text: Kept,
    /// The checker without its reads table and line index, which are cut
    /// back or rebuilt from the text; `None` for an appended entry, whose
    /// failure checks the session text again instead (so an entry that
    /// works copies no checker: its tables are as long as the name table).
    checker: Option<Checker>,
    state: State,
    capacity: usize,
    hidden: usize,
}

/// What `:undo` goes back to: how to get the text before one change back.
/// It costs what the change added (two lengths for an appended entry; the
/// old text when the whole session was replaced). Undoing rebuilds the
/// checker and the board from the text: the session is re-checked and
/// replayed from an empty board, its reads not shown (docs/cli.md).
struct Change {
    /// The change, in words (`write p = ac * bd_a`).
    what: String,
    text: Kept,
    hidden: usize,
}

/// How to get the old text back.
#[derive(Clone)]
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
    /// How many bytes at the start of the text are the `board N` line the
    /// session added itself (0 when the board line is a loaded file's own):
    /// line numbers and rendered diagnostics leave it out, so line 1 is the
    /// first line typed (or the file's first line).
    hidden: usize,
    undo: Vec<Change>,
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
        let board = format!("board {capacity}\n");
        let hidden = board.len();
        let built = build(board, &mut program.names, capacity, hidden)?;
        program.items = built.items;
        program.lines = built.lines;
        Ok(Session {
            capacity: built.checker.capacity().unwrap_or(capacity),
            text: built.text,
            program,
            checker: built.checker,
            state: State::default(),
            hidden,
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
        let mut outcome = self.entry_inner(entry, obs, last);
        if outcome.hidden.is_none()
            && self.hidden > 0
            && outcome.source.starts_with(&self.text[..self.hidden])
        {
            outcome.hidden = Some(self.hidden);
        }
        outcome
    }

    fn entry_inner(&mut self, entry: &str, obs: &mut dyn Observer, last: bool) -> Outcome {
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
        let kept = Kept::Prefix {
            text: offset,
            items: self.program.items.len(),
        };
        let change = Change {
            what: summary(&entry),
            text: kept.clone(),
            hidden: self.hidden,
        };
        let snapshot = self.snapshot(kept, false);
        // The entry joins the text now; a failure cuts it back (restore).
        self.text.push_str(&entry);
        self.program.lines.extend(&entry, offset);
        self.checker.lines_mut().extend(&entry, offset);
        for item in &items {
            if let Item::Stmt(s) = item {
                self.checker.reads_mut().stmt(s);
            }
        }
        let before = self.checker.diagnostics().len();
        for item in &items {
            self.checker.item(item, &self.program.names);
        }
        let found = self.checker.diagnostics()[before..].to_vec();
        if found.iter().any(Diagnostic::is_error) {
            let mut errors: Vec<Diagnostic> =
                found.into_iter().filter(Diagnostic::is_error).collect();
            for d in &mut errors {
                in_session_terms(d, &self.text, offset, self.hidden);
            }
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
                Err(mut d) => {
                    if d.code == Code::MissingInput {
                        let name = d.primary_span().map_or("a", |s| s.text(&self.text));
                        d.help = Some(format!(
                            "in a session an input takes its value where it is declared: \
                             `input {name} = …` (`:set {name}=…` changes it later)"
                        ));
                    }
                    return self.fail(snapshot, vec![d]);
                }
            }
        }
        let (result, board) = self.run(&items, obs);
        if let Err(d) = result {
            let mut out = self.fail(snapshot, vec![d]);
            out.board = Some(format!("board unchanged: {}", self.board_line()));
            return out;
        }
        self.program.items.extend(items.iter().cloned());
        drop(snapshot);
        self.undo.push(change);
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
        // A board line the session added stays hidden at its new length.
        let hidden = if self.hidden > 0 {
            text.find('\n').map_or(0, |n| n + 1)
        } else {
            0
        };
        let built = match build(text, &mut self.program.names, self.capacity, hidden) {
            Ok(b) => b,
            Err(mut out) => {
                out.hidden = Some(hidden);
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
        self.undo.push(Change {
            what: decl,
            text: Kept::Whole {
                text: self.text.clone(),
                items: self.program.items.clone(),
            },
            hidden: self.hidden,
        });
        self.install(built, hidden);
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
        // A file without a `board` runs on the session's board (a line the
        // file's line numbers do not count).
        let mut hidden = 0;
        if !starts_with_board(&text) {
            let board = format!("board {}\n", self.capacity);
            hidden = board.len();
            text = board + &text;
        }
        self.replace_with(text, hidden, "the load".to_owned(), obs)
    }

    /// `wb repl FILE`: loads the file as [`Session::load`] does; if it has
    /// an error, loads the lines before the error's line instead (as
    /// `python -i` runs a script up to its exception) and returns the error,
    /// named after the file, with the session as it now is. The reads of the
    /// lines loaded are shown once.
    pub fn load_file(&mut self, text: &str, name: &str, obs: &mut dyn Observer) -> Outcome {
        let mut shown = Counted {
            inner: obs,
            reads: 0,
        };
        let mut out = self.load(text, &mut shown);
        out.name = Some(name.to_owned());
        if out.status != Status::Failed || out.diagnostics.is_empty() {
            return out;
        }
        let hidden = out.hidden.unwrap_or(0);
        let first = out
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(Diagnostic::position)
            .min()
            .unwrap_or(0) as usize;
        let at = |p: usize, src: &str| {
            let p = p.min(src.len());
            src[..p].rfind('\n').map_or(0, |n| n + 1)
        };
        let mut cut = at(first, &out.source)
            .saturating_sub(hidden)
            .min(text.len());
        let mut quiet = NoReads;
        let again: &mut dyn Observer = if shown.reads > 0 {
            &mut quiet
        } else {
            shown.inner
        };
        let mut loaded = 0;
        while cut > 0 {
            let prefix = &text[..cut];
            if syntax::is_incomplete(prefix) {
                cut = at(cut - 1, text);
                continue;
            }
            let tried = self.load(prefix, again);
            if tried.status == Status::Done {
                loaded = prefix.lines().count();
                break;
            }
            let h = tried.hidden.unwrap_or(0);
            let p = tried
                .diagnostics
                .iter()
                .map(Diagnostic::position)
                .min()
                .unwrap_or(0) as usize;
            cut = at(p, &tried.source).saturating_sub(h).min(cut - 1);
            cut = at(cut, text);
        }
        out.output = if loaded > 0 {
            format!("loaded lines 1 to {loaded} of {name}; the line with the error and those after it are not in the session\n")
        } else {
            format!("nothing of {name} is in the session\n")
        };
        out.board = Some(self.board_line());
        out
    }

    /// Replaces the session text with `text` (its first `hidden` bytes the
    /// session's own board line): checked whole, then run from an empty
    /// board. On any error nothing changes.
    fn replace_with(
        &mut self,
        text: String,
        hidden: usize,
        what: String,
        obs: &mut dyn Observer,
    ) -> Outcome {
        let built = match build(text, &mut self.program.names, self.capacity, hidden) {
            Ok(b) => b,
            Err(mut out) => {
                out.hidden = Some(hidden);
                return *out;
            }
        };
        let bindings = match interp::bind(
            built.checker.symbols(),
            &self.program.names,
            &Overrides::default(),
        ) {
            Ok(b) => b,
            Err(d) => {
                let mut out = Outcome::failed(vec![d], built.text);
                out.hidden = Some(hidden);
                return out;
            }
        };
        let kept = Kept::Whole {
            text: self.text.clone(),
            items: self.program.items.clone(),
        };
        let change = Change {
            what,
            text: kept.clone(),
            hidden: self.hidden,
        };
        let snapshot = self.snapshot(kept, true);
        let items = built.items.clone();
        self.install(built, hidden);
        self.state = State::new(bindings);
        let (result, board) = self.run(&items, obs);
        if let Err(d) = result {
            let mut out = self.fail(snapshot, vec![d]);
            out.hidden = Some(hidden);
            return out;
        }
        drop(snapshot);
        self.undo.push(change);
        Outcome {
            board: Some(board),
            ..Outcome::default()
        }
    }

    /// `:set NAME=VALUE`: the input's declaration takes the new value (so
    /// `:save` writes it), and the session is run again from an empty board
    /// with it; its reads are not shown again. The value is read as `--set`
    /// reads it; the name must be a scalar input of the session.
    pub(crate) fn set_input(&mut self, arg: &str) -> Outcome {
        let Some((name, value)) = arg.split_once('=') else {
            return Outcome::error("`:set` needs NAME=VALUE, as in `:set a=2`");
        };
        let (name, value) = (name.trim(), value.trim());
        let symbols = self.checker.symbols();
        let inputs: Vec<&str> = symbols
            .inputs
            .iter()
            .map(|i| self.program.names.text(i.name))
            .collect();
        if !inputs.contains(&name) {
            let listed = if inputs.is_empty() {
                "the session declares no inputs (`input a = 1` declares one)".to_owned()
            } else {
                format!(
                    "the inputs are {}",
                    inputs
                        .iter()
                        .map(|i| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let hint = crate::suggest::nearest(name, inputs.iter().copied())
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            return Outcome::error(format!("`{name}` is not an input{hint}; {listed}"));
        }
        let v = match interp::parse_number(value) {
            Ok(v) => v,
            Err(why) => return Outcome::error(format!(":set {name}={value}: {why}")),
        };
        let Some(span) = self.program.items.iter().find_map(|item| match item {
            Item::Input(decls, _) => decls
                .iter()
                .find(|d| self.program.names.text(d.name.id) == name)
                .map(|d| d.name.span),
            _ => None,
        }) else {
            return Outcome::error(format!("`{name}` is declared in no `input` line"));
        };
        // The default's text runs from after `=` to the next `,`, `;`, `#`
        // or line end.
        let after = span.end as usize;
        let rest = &self.text[after..];
        let end_of = |s: &str| s.find([',', ';', '#', '\n']).unwrap_or(s.len());
        let (start, end) = match rest.trim_start().strip_prefix('=') {
            Some(value_text) => {
                let start = self.text.len() - value_text.len();
                let len = value_text[..end_of(value_text)].trim_end().len();
                (start, start + len)
            }
            None => (after, after),
        };
        let literal = crate::number::format(v);
        let replacement = if start == after {
            format!(" = {literal}")
        } else {
            format!(" {literal}")
        };
        let text = format!("{}{replacement}{}", &self.text[..start], &self.text[end..]);
        let what = format!(":set {name}={value}");
        let mut quiet = NoReads;
        let mut out = self.replace_with(text, self.hidden, what, &mut quiet);
        if out.status == Status::Done {
            out.output =
                format!("`{name}` is {literal} now; the session ran again from an empty board\n");
        }
        out
    }

    /// Empties the board and the session, keeping the board's size.
    pub(crate) fn reset(&mut self) -> Outcome {
        let board = format!("board {}\n", self.capacity);
        let hidden = board.len();
        let built = match build(board, &mut self.program.names, self.capacity, hidden) {
            Ok(b) => b,
            Err(out) => return *out,
        };
        self.undo.push(Change {
            what: ":reset".to_owned(),
            text: Kept::Whole {
                text: self.text.clone(),
                items: self.program.items.clone(),
            },
            hidden: self.hidden,
        });
        self.install(built, hidden);
        self.state = State::default();
        Outcome {
            board: Some(self.board_line()),
            ..Outcome::default()
        }
    }

    /// Takes back the last change; `None` when there is nothing to undo.
    ///
    /// The text goes back at once; the checker and the board are rebuilt
    /// from it: the session is checked again and replayed from an empty
    /// board without showing its reads (time linear in the session; no
    /// copy of the board or the checker is kept per entry).
    pub(crate) fn undo(&mut self) -> Option<String> {
        let change = self.undo.pop()?;
        let text = match change.text {
            Kept::Prefix { text, .. } => self.text[..text].to_owned(),
            Kept::Whole { text, .. } => text,
        };
        match build(text, &mut self.program.names, self.capacity, change.hidden) {
            Ok(built) => {
                let bindings = interp::bind(
                    built.checker.symbols(),
                    &self.program.names,
                    &Overrides::default(),
                )
                .unwrap_or_default();
                let items = built.items.clone();
                self.install(built, change.hidden);
                self.state = State::new(bindings);
                let limits = Limits {
                    max_steps: None,
                    interrupt: None,
                };
                let state = std::mem::take(&mut self.state);
                let mut machine = Machine::resume(
                    &self.program,
                    &self.text,
                    self.checker.symbols(),
                    self.capacity,
                    state,
                );
                for item in &items {
                    if let Item::Stmt(s) = item {
                        // It ran before, on the same board: it runs again.
                        if machine.exec(s, &mut NoReads, limits).is_err() {
                            break;
                        }
                    }
                }
                self.state = machine.into_state();
            }
            // The text was a session that checked; it still does.
            Err(_) => return None,
        }
        Some(change.what)
    }

    fn install(&mut self, built: Built, hidden: usize) {
        self.capacity = built.checker.capacity().unwrap_or(self.capacity);
        self.text = built.text;
        self.program.items = built.items;
        self.program.lines = built.lines;
        self.checker = built.checker;
        self.hidden = hidden;
    }

    /// The session as it is now, to restore after a failure (never kept
    /// past the entry). The checker is copied without its reads table and
    /// line index, which grow with the text and are cut back instead.
    fn snapshot(&mut self, text: Kept, copy_checker: bool) -> Snapshot {
        let checker = copy_checker.then(|| {
            let reads = std::mem::take(self.checker.reads_mut());
            let lines = std::mem::take(self.checker.lines_mut());
            let checker = self.checker.clone();
            *self.checker.reads_mut() = reads;
            *self.checker.lines_mut() = lines;
            checker
        });
        Snapshot {
            text,
            checker,
            state: self.state.clone(),
            capacity: self.capacity,
            hidden: self.hidden,
        }
    }

    fn restore(&mut self, snapshot: Snapshot) {
        let mut lines = std::mem::take(self.checker.lines_mut());
        match snapshot.text {
            Kept::Prefix { text, items } => {
                self.text.truncate(text);
                self.program.items.truncate(items);
                self.program.lines.truncate(text);
                lines.truncate(text);
            }
            Kept::Whole { text, items } => {
                self.text = text;
                self.program.items = items;
                self.program.lines = session_lines(&self.text, snapshot.hidden);
                lines = self.program.lines.clone();
            }
        }
        match snapshot.checker {
            Some(checker) => {
                self.checker = checker;
                *self.checker.reads_mut() = reads_of(&self.program.items);
                *self.checker.lines_mut() = lines;
            }
            // The text as it was checks as it did: check it again.
            None => match build(
                self.text.clone(),
                &mut self.program.names,
                snapshot.capacity,
                snapshot.hidden,
            ) {
                Ok(built) => self.checker = built.checker,
                Err(_) => {
                    *self.checker.reads_mut() = reads_of(&self.program.items);
                    *self.checker.lines_mut() = lines;
                }
            },
        }
        self.state = snapshot.state;
        self.capacity = snapshot.capacity;
        self.hidden = snapshot.hidden;
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
fn build(
    text: String,
    names: &mut Names,
    capacity: usize,
    hidden: usize,
) -> Result<Built, Box<Outcome>> {
    let (items, diags) = syntax::parse_items(&text, 0, names);
    if !diags.is_empty() {
        return Err(Box::new(Outcome::failed(diags, text)));
    }
    let lines = session_lines(&text, hidden);
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

/// The line index of a session text whose first `hidden` bytes are the
/// board line the session added: that line and the first line after it are
/// both line 1, so every line typed is numbered as the user counts it.
pub(crate) fn session_lines(text: &str, hidden: usize) -> LineIndex {
    if hidden == 0 || hidden > text.len() || !text.is_char_boundary(hidden) {
        return LineIndex::new(text);
    }
    let mut lines = LineIndex::default();
    lines.extend(&text[hidden..], hidden);
    lines
}

/// An observer that counts the reads it passes on.
struct Counted<'a> {
    inner: &'a mut dyn Observer,
    reads: u64,
}

impl Observer for Counted<'_> {
    fn read(&mut self, read: Read) {
        self.reads += 1;
        self.inner.read(read);
    }
}

/// An observer that drops the reads (a replay the user has seen already).
pub(crate) struct NoReads;

impl Observer for NoReads {
    fn read(&mut self, _: Read) {}
}

/// Rewrites a diagnostic's suggestions in a session's terms. Nobody can
/// insert a line before a line of a session: a fix that edits only the
/// entry (`text[entry..]`, the entry that failed) becomes "type `forget
/// bd`, then try again" (when it puts statements before the entry) or
/// "type `…` instead"; one that changes the board's size becomes "type
/// `board N`, then try again". Other fixes keep their words (their line
/// numbers are the session's). The help's words change with the fix's.
pub(crate) fn in_session_terms(d: &mut Diagnostic, text: &str, entry: usize, hidden: usize) {
    let original = &text[entry..];
    let board_end = text.find('\n').unwrap_or(text.len());
    for fix in &mut d.fixes {
        let inside = fix.edits.iter().all(|e| {
            let (s, t) = (e.span.start as usize, e.span.end as usize);
            s >= entry && t <= text.len()
        });
        let words = if inside && !fix.edits.is_empty() {
            let mut edited = String::with_capacity(original.len() + 16);
            let mut at = entry;
            for e in &fix.edits {
                let (s, t) = (e.span.start as usize, e.span.end as usize);
                if s < at {
                    break;
                }
                edited.push_str(&text[at..s]);
                edited.push_str(&e.replacement);
                at = t;
            }
            edited.push_str(&text[at..]);
            let typed = match edited.strip_suffix(original) {
                Some(before) if !before.trim().is_empty() => Some((
                    before.trim().trim_end_matches(';').trim_end().to_owned(),
                    true,
                )),
                _ => Some((edited.trim().to_owned(), false)),
            };
            match typed {
                Some((t, _)) if t.contains('\n') => None,
                Some((t, true)) => Some(format!("type `{t}`, then try again")),
                Some((t, false)) => {
                    let why = fix
                        .message
                        .split_once(": write `")
                        .map(|(why, _)| format!("{why}: "))
                        .unwrap_or_default();
                    Some(format!("{why}type `{t}` instead"))
                }
                None => None,
            }
        } else {
            match fix.edits.as_slice() {
                [e] if hidden > 0
                    && (e.span.end as usize) <= board_end
                    && !e.replacement.is_empty()
                    && e.replacement.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    Some(format!("type `board {}`, then try again", e.replacement))
                }
                _ => None,
            }
        };
        if let Some(words) = words {
            if let Some(help) = &mut d.help {
                if help.contains(&fix.message) {
                    *help = help.replace(&fix.message, &words);
                }
            }
            fix.message = words;
        }
    }
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

//! The terminal front end: rustyline with a helper that completes, hints,
//! highlights and validates, a history file, and Ctrl-C.
//!
//! rustyline draws no prompt in front of the second line of a multi-line
//! buffer (a highlighter may not change the width of the text), so a block
//! typed line by line is read one line per `readline`, with the continuation
//! prompt `...> `; the whole block then goes into the history as one entry.
//! The [`Validator`] keeps a buffer that already holds several lines (a block
//! recalled from the history or pasted) open while the real parser says it
//! ends inside a block.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use crate::complete::{complete, Place};
use crate::diag::Style;
use crate::syntax::KEYWORDS;

use super::command::COMMANDS;
use super::outcome::Status;
use super::script::Printer;
use super::session::{needs_more, Session};

/// The rustyline helper: completion of keywords, names and commands; hints
/// from the history; keywords, names on the board and comments highlighted;
/// the validator.
pub struct WbHelper {
    /// The session's text so far ([`Session::text`]): Tab completes a
    /// statement as [`crate::complete`] says for an entry typed after it.
    pub session: String,
    /// The names on the board now ([`Session::board_names`]), highlighted.
    pub board: Vec<String>,
    /// Whether to colour the input.
    pub colour: bool,
    hinter: HistoryHinter,
    files: FilenameCompleter,
}

impl WbHelper {
    /// A helper that completes entries typed after the session `text`.
    pub fn new(text: &str, colour: bool) -> Self {
        WbHelper {
            session: text.to_owned(),
            board: Vec::new(),
            colour,
            hinter: HistoryHinter::new(),
            files: FilenameCompleter::new(),
        }
    }

    /// The completions of the word that ends at `pos`: where it starts, and
    /// the candidates, sorted.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        let lead = before.len() - before.trim_start().len();
        let head = &before[lead..];
        if head.starts_with(':') && !head.contains(char::is_whitespace) {
            let mut c: Vec<String> = COMMANDS
                .iter()
                .map(|(c, _)| (*c).to_owned())
                .filter(|c| c.starts_with(head) && c != ":q")
                .collect();
            c.sort();
            return (lead, c);
        }
        if head.starts_with(':') {
            // A command's argument is a file name, not a word of the language.
            return (pos, Vec::new());
        }
        // The one completion rule, shared with editors: the entry is read
        // as the next lines of the session's program.
        let mut text = self.session.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let offset = text.len();
        text.push_str(line);
        let found = complete(&text, offset + pos, Place::Session);
        let words = found.candidates.into_iter().map(|c| c.word).collect();
        (found.start.saturating_sub(offset), words)
    }
}

impl Completer for WbHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let head = line[..pos].trim_start();
        if head.starts_with(":save ") || head.starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        let (start, words) = self.candidates(line, pos);
        let pairs = words
            .into_iter()
            .map(|w| Pair {
                // A keyword is always followed by something: add the space.
                replacement: if KEYWORDS.contains(&w.as_str()) {
                    format!("{w} ")
                } else {
                    w.clone()
                },
                display: w,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for WbHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        // The rest of a block from the history would hide the screen below:
        // hint up to the end of its line.
        let hint = self.hinter.hint(line, pos, ctx)?;
        let first = hint.split('\n').next().unwrap_or("");
        (!first.is_empty()).then(|| first.to_owned())
    }
}

impl Highlighter for WbHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.colour {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight(line, &self.board))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if !self.colour {
            return Cow::Borrowed(hint);
        }
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}

impl Validator for WbHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if input.contains('\n') && needs_more(input) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

impl Helper for WbHelper {}

/// Keywords in bold blue, names on the board (`board`) in green, `:`
/// commands in bold, comments dim; the text's width is unchanged (only
/// escape codes are added).
pub fn highlight(line: &str, board: &[String]) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    if line.trim_start().starts_with(':') {
        return format!("\x1b[1m{line}\x1b[0m");
    }
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '#' {
            let end = rest.find('\n').unwrap_or(rest.len());
            out.push_str(&format!("\x1b[2m{}\x1b[0m", &rest[..end]));
            rest = &rest[end..];
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if KEYWORDS.contains(&word) {
                out.push_str(&format!("\x1b[1;34m{word}\x1b[0m"));
            } else if board.iter().any(|b| b == word) {
                out.push_str(&format!("\x1b[32m{word}\x1b[0m"));
            } else {
                out.push_str(word);
            }
            rest = &rest[end..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Where the history lives: `$WB_HISTORY` if set (empty: no history), else
/// `wb/history` in the platform's state directory (`$XDG_STATE_HOME`, or
/// `~/.local/state` on Linux), else in its local data directory (macOS,
/// Windows).
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WB_HISTORY") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("wb").join("history"))
}

/// The largest history file read at start-up (rustyline keeps 100 entries
/// by default; a file far larger is not a history this session wrote).
pub const MAX_HISTORY_BYTES: u64 = 16 * 1024 * 1024;

/// The history file, written after every entry; a failure to write it is a
/// warning, shown once.
struct History {
    path: Option<PathBuf>,
    warned: bool,
}

impl History {
    fn open(rl: &mut Editor<WbHelper, DefaultHistory>) -> History {
        let mut h = History {
            path: history_path(),
            warned: false,
        };
        if let Some(path) = h.path.clone() {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    h.warn(&path, &e.to_string());
                    return h;
                }
            }
            // Only a regular file, and not a huge one: `/dev/zero` would be
            // read until memory ran out, a FIFO would block the start-up.
            match std::fs::metadata(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return h,
                Err(e) => {
                    h.warn(&path, &e.to_string());
                    return h;
                }
                Ok(m) if !m.is_file() => {
                    h.warn(&path, "it is not a regular file");
                    return h;
                }
                Ok(m) if m.len() > MAX_HISTORY_BYTES => {
                    h.warn(
                        &path,
                        &format!(
                            "it is larger than {} MiB",
                            MAX_HISTORY_BYTES / (1024 * 1024)
                        ),
                    );
                    return h;
                }
                Ok(_) => {}
            }
            match rl.load_history(&path) {
                Ok(()) => {}
                Err(ReadlineError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => h.warn(&path, &e.to_string()),
            }
        }
        h
    }

    fn add(&mut self, rl: &mut Editor<WbHelper, DefaultHistory>, entry: &str) {
        if rl.add_history_entry(entry).is_err() {
            return;
        }
        if self.warned {
            return;
        }
        if let Some(path) = self.path.clone() {
            // Appending (under a lock) keeps what another session wrote.
            if let Err(e) = rl.append_history(&path) {
                self.warn(&path, &e.to_string());
            }
        }
    }

    fn warn(&mut self, path: &Path, why: &str) {
        if !self.warned {
            eprintln!(
                "warning: the history file `{}` cannot be used ({why}); history is kept for this session only",
                path.display()
            );
        }
        self.warned = true;
    }
}

/// Runs one entry, its reads shown as they come, then its diagnostics, its
/// output and the board.
fn eval(session: &mut Session, entry: &str, style: Style) -> Status {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let mut printer = Printer::new(&mut lock, session.interrupt_flag());
    let outcome = session.eval_with(entry, &mut printer);
    printer.flush();
    // The diagnostic first, then what it left (`board unchanged: …`).
    eprint!("{}", outcome.stderr(style));
    let _ = std::io::stderr().flush();
    printer.write(&outcome.stdout());
    printer.flush();
    outcome.status
}

/// Runs the REPL on the terminal until Ctrl-D or `:quit`; returns the exit
/// code (0: a person's mistakes in a session are not the session's failure).
pub fn run(session: &mut Session, style: Style) -> i32 {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut rl: Editor<WbHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(rl) => rl,
        Err(e) => {
            eprintln!("error: cannot use the terminal: {e}");
            return 1;
        }
    };
    let mut helper = WbHelper::new(session.text(), style.color);
    helper.board = session.board_names();
    rl.set_helper(Some(helper));
    let mut history = History::open(&mut rl);
    let flag = session.interrupt_flag();
    if let Err(e) =
        ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::Relaxed))
    {
        eprintln!("warning: Ctrl-C cannot interrupt a running statement here ({e})");
    }
    println!(
        "wb repl: a board of {} slots. `:help` lists the commands; Ctrl-D leaves.",
        session.capacity()
    );
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() {
            session.prompt()
        } else {
            let width = session.prompt().chars().count();
            format!("{:>width$}", "...> ")
        };
        let line = match rl.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C: drop the line (and an unfinished block).
                pending.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: cannot read the terminal: {e}");
                return 1;
            }
        };
        pending.push_str(&line);
        pending.push('\n');
        if needs_more(&pending) {
            continue;
        }
        let entry = std::mem::take(&mut pending);
        if !entry.trim().is_empty() {
            history.add(&mut rl, entry.trim_end());
        }
        if eval(session, &entry, style) == Status::Quit {
            break;
        }
        if let Some(h) = rl.helper_mut() {
            h.session = session.text().to_owned();
            h.board = session.board_names();
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> WbHelper {
        WbHelper::new(
            "board 3\ninput alpha, alp2\nwrite bd = 1\nforget bd\n",
            true,
        )
    }

    #[test]
    fn completes_the_word_before_the_cursor() {
        let h = helper();
        assert_eq!(
            h.candidates("write t = al", 12),
            (10, vec!["alp2".into(), "alpha".into()])
        );
        assert_eq!(h.candidates("wr", 2), (0, vec!["write".into()]));
        assert_eq!(h.candidates("read 1", 6), (5, vec![]));
    }

    #[test]
    fn a_forgotten_name_completes_only_as_a_write_target() {
        let h = helper();
        assert_eq!(h.candidates("write b", 7), (6, vec!["bd".into()]));
        assert_eq!(h.candidates("read b", 6), (5, vec![]));
        assert_eq!(h.candidates("b", 1), (0, vec!["board".into()]));
    }

    #[test]
    fn completes_commands_at_the_start_only() {
        let h = helper();
        assert_eq!(h.candidates("  :un", 5), (2, vec![":undo".into()]));
        assert_eq!(h.candidates(":q", 2), (0, vec![":quit".into()]));
        assert_eq!(h.candidates(":save a", 7).1, Vec::<String>::new());
    }

    #[test]
    fn highlighting_keeps_the_text() {
        let line = "write x = abs(y) # note {";
        let shown = highlight(line, &["y".to_owned()]);
        assert!(shown.contains("\x1b[1;34mwrite\x1b[0m"));
        assert!(shown.contains("abs(\x1b[32my\x1b[0m)"));
        assert!(shown.contains("\x1b[2m# note {\x1b[0m"));
        let mut plain = String::new();
        let mut in_escape = false;
        for c in shown.chars() {
            match (in_escape, c) {
                (false, '\x1b') => in_escape = true,
                (true, 'm') => in_escape = false,
                (true, _) => {}
                (false, c) => plain.push(c),
            }
        }
        assert_eq!(plain, line);
    }
}

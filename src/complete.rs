//! Completion: which words may stand at a cursor in a program's text.
//!
//! One rule for every front end (the REPL's Tab, an editor's completion):
//! given the text and a byte offset, [`complete`] says where the word being
//! typed starts and which keywords, functions and names may complete it.
//! The names come from the checker's simulation of the board over the text
//! *before* the cursor, so a board name is offered only while it is on the
//! board there; a stream element only inside an `each` over that stream; a
//! forgotten name only where a write target is expected (writing it again is
//! how it comes back), never as a value to read.
//!
//! This module owns the reading of the cursor's context (which statement,
//! which part of it). It must not know how a front end shows or inserts a
//! candidate, nor the REPL's `:` commands; board rules it leaves to
//! [`crate::check`].

use std::borrow::Cow;
use std::collections::HashMap;

use crate::check::{Checker, NameKind, Reads};
use crate::syntax::{
    self, Func, Ident, Item, LineIndex, NameId, Names, Program, Stmt, StmtKind, KEYWORDS,
};

/// Where the text being completed comes from: a file, or a REPL session
/// (where a bare expression is a `read` and `board N` may be typed anytime).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A `.wb` file.
    File,
    /// A REPL session's text with the entry being typed at its end.
    Session,
}

/// What a candidate is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A keyword of the language.
    Keyword,
    /// A built-in function.
    Function,
    /// A board value on the board at the cursor, in this slot (from 1).
    Slot(usize),
    /// A scalar input.
    Input,
    /// The current element of a stream of an enclosing `each`.
    StreamElement,
    /// A stream's name, where `each` expects one.
    Stream,
    /// A board value that is off the board at the cursor, last forgotten
    /// on this 1-based line; offered only as a write target.
    Forgotten {
        /// The line of the last `forget` of it before the cursor.
        line: usize,
    },
}

/// One word that may complete the cursor's word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The word.
    pub word: String,
    /// What it is.
    pub kind: Kind,
}

impl Candidate {
    /// A short description for a menu: `slot 2`, `input`, `forgotten on line 5`.
    pub fn detail(&self) -> String {
        match &self.kind {
            Kind::Keyword => "keyword".to_owned(),
            Kind::Function => "function".to_owned(),
            Kind::Slot(s) => format!("slot {s}"),
            Kind::Input => "input".to_owned(),
            Kind::StreamElement => "stream element".to_owned(),
            Kind::Stream => "stream".to_owned(),
            Kind::Forgotten { line } => format!("forgotten on line {line}"),
        }
    }
}

/// The completions at a cursor: the byte offset where the word being typed
/// starts, and the candidates that extend it, sorted by word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// Where the word under completion starts (the cursor when none is typed).
    pub start: usize,
    /// The candidates, sorted, each word once.
    pub candidates: Vec<Candidate>,
}

impl Completion {
    /// The candidates' words.
    pub fn words(&self) -> Vec<&str> {
        self.candidates.iter().map(|c| c.word.as_str()).collect()
    }
}

/// What the grammar expects at the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Statement,
    WriteTarget,
    ForgetTarget,
    Stream,
    Value,
    /// After a written value: `when` or `gate`.
    GateKeyword,
    Nothing,
}

/// The completions of the word that ends at byte `cursor` of `src`.
///
/// A cursor inside a comment, a number, or where only a new name or a number
/// may stand gets no candidates. A cursor past the end or inside a character
/// is moved back to the nearest character boundary.
pub fn complete(src: &str, cursor: usize, place: Place) -> Completion {
    complete_with(src, cursor, place, |_| None)
}

/// [`complete`], for a front end that has checked the whole text already:
/// `known` is asked for the [`Scene`] where the cursor's statement starts
/// (a byte offset) and may give it from its own check; when it gives
/// `None`, the text before that offset is checked here, as [`complete`]
/// does. The answer must be the same either way.
pub fn complete_with<'n>(
    src: &str,
    cursor: usize,
    place: Place,
    known: impl FnOnce(usize) -> Option<Scene<'n>>,
) -> Completion {
    let mut cursor = cursor.min(src.len());
    while !src.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = &src[..cursor];
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[start..];
    let none = Completion {
        start,
        candidates: Vec::new(),
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if word.starts_with(|c: char| c.is_ascii_digit()) || before[line_start..].contains('#') {
        return none;
    }
    let stmt_start = before[..start]
        .rfind(['\n', ';', '{', '}'])
        .map_or(0, |i| i + 1);
    let head = &before[stmt_start..start];
    let expect = expectation(head, place);
    if expect == Expect::Nothing {
        return none;
    }
    let scene = match known(stmt_start) {
        Some(scene) => scene,
        None => Scene::at(&src[..stmt_start]),
    };
    let mut candidates = scene.candidates(expect, place);
    candidates.retain(|c| c.word.starts_with(word));
    candidates.sort_by(|a, b| a.word.cmp(&b.word));
    candidates.dedup_by(|a, b| a.word == b.word);
    Completion { start, candidates }
}

/// Reads the part of the statement before the word (`head`) to tell what
/// may stand next.
fn expectation(head: &str, place: Place) -> Expect {
    let tokens = tokens(head);
    let Some(first) = tokens.first() else {
        return Expect::Statement;
    };
    let last = *tokens.last().unwrap_or(first);
    // Whether the word starts a new operand (after an operator, `(`, `,`,
    // or a keyword), not one that follows a complete operand.
    let operand = match last {
        "when" | "gate" | "read" | "write" => true,
        t => !t.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ')'),
    };
    let in_expr = |after: usize| {
        if operand {
            Expect::Value
        } else if tokens[after..].iter().any(|t| *t == "when" || *t == "gate") {
            Expect::Nothing
        } else {
            Expect::GateKeyword
        }
    };
    match *first {
        "write" => match tokens.iter().position(|t| *t == "=") {
            _ if tokens.len() == 1 => Expect::WriteTarget,
            Some(eq) if tokens.len() > eq + 1 => in_expr(eq + 1),
            Some(_) => Expect::Value,
            None => Expect::Nothing,
        },
        "forget" if tokens.len() == 1 || last == "," => Expect::ForgetTarget,
        "each" if tokens.len() == 1 || last == "," => Expect::Stream,
        "read" if operand => Expect::Value,
        "forget" | "each" | "read" | "repeat" | "board" | "input" | "stream" => Expect::Nothing,
        _ if place == Place::Session && operand => Expect::Value,
        _ => Expect::Nothing,
    }
}

/// The statement's text split into names/numbers and single symbols
/// (`<=`, `==` and the like stay together; they end in `=`, which is all
/// [`expectation`] looks at).
fn tokens(head: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = head;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = &rest[end..];
        } else {
            let n = c.len_utf8();
            let n = if rest[n..].starts_with('=') && "<>!=".contains(c) {
                n + 1
            } else {
                n
            };
            out.push(&rest[..n]);
            rest = &rest[n..];
        }
    }
    out
}

/// The program as it stands before the cursor's statement: the checker's
/// board there, the declarations, the loops around the cursor.
pub struct Scene<'n> {
    /// The names' texts.
    pub names: Cow<'n, Names>,
    /// The board there: `(slot, name)`, slots from 0, in slot order.
    pub slots: Vec<(usize, NameId)>,
    /// The scalar inputs declared before it.
    pub inputs: Vec<NameId>,
    /// The streams declared before it.
    pub streams: Vec<NameId>,
    /// The streams of the enclosing `each`, if any.
    pub each: Option<Vec<NameId>>,
    /// How many loops enclose the cursor.
    pub loops: usize,
    /// Whether no statement precedes the cursor's statement.
    pub first: bool,
    /// The board values named by a `forget` before it, each with the
    /// 1-based line of its last `forget` there.
    pub forgotten: HashMap<NameId, usize>,
}

impl Scene<'_> {
    /// Simulates `prefix`, which ends where the cursor's statement starts.
    /// Blocks still open there are closed so that it parses; the statements
    /// of each open loop body before the cursor then stand in for the loop,
    /// since the board at the cursor is the one the body has built so far.
    fn at(prefix: &str) -> Scene<'static> {
        let depth = open_blocks(prefix);
        let mut text = prefix.to_owned();
        for _ in 0..depth {
            text.push_str("\n}");
        }
        let parsed = syntax::parse(&text);
        let mut items = parsed.program.items;
        let mut each = None;
        let mut loops = 0;
        for _ in 0..depth {
            let Some(Item::Stmt(s)) = items.last() else {
                break;
            };
            if (s.span.end as usize) <= prefix.len() {
                break;
            }
            let Some(Item::Stmt(s)) = items.pop() else {
                break;
            };
            let body = match s.kind {
                StmtKind::Each { streams, body } => {
                    each = Some(streams.iter().map(|i| i.id).collect());
                    body
                }
                StmtKind::Repeat { body, .. } => body,
                _ => break,
            };
            loops += 1;
            items.extend(body.into_iter().map(Item::Stmt));
        }
        let lines = LineIndex::new(&text);
        let program = Program {
            items,
            names: parsed.program.names,
            lines: lines.clone(),
        };
        let mut checker = Checker::new(None, Reads::of(&program), lines.clone());
        let mut forgotten = HashMap::new();
        for item in &program.items {
            checker.item(item, &program.names);
            if let Item::Stmt(s) = item {
                forgets(s, &lines, &mut forgotten);
            }
        }
        let symbols = checker.symbols();
        forgotten.retain(|&id, _| symbols.kind(id) == NameKind::Board);
        Scene {
            first: program.items.is_empty(),
            slots: checker.board().slots().collect(),
            inputs: symbols.inputs.iter().map(|i| i.name).collect(),
            streams: symbols.streams.iter().map(|s| s.name).collect(),
            names: Cow::Owned(program.names),
            each,
            loops,
            forgotten,
        }
    }

    fn candidates(&self, expect: Expect, place: Place) -> Vec<Candidate> {
        let mut out = Vec::new();
        let name = |id: NameId, kind: Kind| Candidate {
            word: self.names.text(id).to_owned(),
            kind,
        };
        let keyword = |k: &str| Candidate {
            word: k.to_owned(),
            kind: Kind::Keyword,
        };
        let slots = |out: &mut Vec<Candidate>| {
            for &(slot, id) in &self.slots {
                out.push(name(id, Kind::Slot(slot + 1)));
            }
        };
        let values = |out: &mut Vec<Candidate>| {
            slots(out);
            out.extend(self.inputs.iter().map(|&i| name(i, Kind::Input)));
            if let Some(each) = &self.each {
                out.extend(each.iter().map(|&id| name(id, Kind::StreamElement)));
            }
            out.extend(Func::ALL.iter().map(|f| Candidate {
                word: f.name().to_owned(),
                kind: Kind::Function,
            }));
        };
        match expect {
            Expect::Statement => {
                let mut words = vec!["write", "read", "forget", "repeat"];
                if self.each.is_none() {
                    words.push("each");
                }
                if self.loops == 0 {
                    words.extend(["input", "stream"]);
                    if self.first || place == Place::Session {
                        words.push("board");
                    }
                }
                out.extend(words.into_iter().map(keyword));
                if place == Place::Session {
                    values(&mut out);
                }
            }
            Expect::WriteTarget => {
                slots(&mut out);
                for (&id, &line) in &self.forgotten {
                    if !self.slots.iter().any(|&(_, s)| s == id) {
                        out.push(name(id, Kind::Forgotten { line }));
                    }
                }
            }
            Expect::ForgetTarget => slots(&mut out),
            Expect::Stream => {
                out.extend(self.streams.iter().map(|&s| name(s, Kind::Stream)));
            }
            Expect::Value => values(&mut out),
            Expect::GateKeyword => out.extend(["when", "gate"].map(keyword)),
            Expect::Nothing => {}
        }
        debug_assert!(out
            .iter()
            .all(|c| c.kind != Kind::Keyword || KEYWORDS.contains(&c.word.as_str())));
        out
    }
}

/// Records the line of every `forget` in `s` (bodies included).
fn forgets(s: &Stmt, lines: &LineIndex, at: &mut HashMap<NameId, usize>) {
    match &s.kind {
        StmtKind::Forget(names) => {
            for Ident { id, span } in names {
                at.insert(*id, lines.line(span.start as usize));
            }
        }
        StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => {
            for b in body {
                forgets(b, lines, at);
            }
        }
        _ => {}
    }
}

/// How many `{` are still open at the end of `text` (comments skipped).
pub(crate) fn open_blocks(text: &str) -> usize {
    let mut depth: usize = 0;
    for line in text.split('\n') {
        let code = line.split('#').next().unwrap_or("");
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Completes at the `|` in `text` (which is removed).
    fn at(text: &str, place: Place) -> Completion {
        let cursor = text.find('|').expect("a cursor");
        let src = format!("{}{}", &text[..cursor], &text[cursor + 1..]);
        complete(&src, cursor, place)
    }

    fn words(text: &str) -> Vec<String> {
        at(text, Place::File)
            .words()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    const ARTICLE: &str = "board 3\ninput a = 1, b = 3, c = 5, d = 11\n\
        write ac = a * c\nwrite bd = b * d\nwrite bd_a = bd + a\nforget bd\n";

    #[test]
    fn a_forgotten_name_is_a_write_target_not_a_value() {
        let target = at(&format!("{ARTICLE}write |"), Place::File);
        assert_eq!(target.words(), ["ac", "bd", "bd_a"]);
        let bd = &target.candidates[1];
        assert_eq!(bd.kind, Kind::Forgotten { line: 6 });
        assert_eq!(bd.detail(), "forgotten on line 6");
        assert_eq!(target.candidates[0].detail(), "slot 1");
        let value = words(&format!("{ARTICLE}write p = ac * b|"));
        assert_eq!(value, ["b", "bd_a"]);
        assert_eq!(words(&format!("{ARTICLE}read b|")), ["b", "bd_a"]);
        assert_eq!(words(&format!("{ARTICLE}forget |")), ["ac", "bd_a"]);
    }

    #[test]
    fn the_board_is_the_one_at_the_cursor() {
        // `ac` is written after the cursor: not on the board yet.
        let text = "board 2\ninput a\nwrite x = a\nread |\nwrite ac = 1\n";
        assert_eq!(
            words(text),
            ["a", "abs", "exp", "ln", "max", "min", "sigmoid", "sqrt", "tanh", "x"]
        );
        assert_eq!(
            words("board 2\nwrite x = 1\nforget x\nread x|"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn loops_see_their_body_so_far_and_their_stream() {
        let text = "board 2\nstream x = [1]\nstream y\nwrite s = 0\neach x {\n  write t = s\n  write s = s + |\n";
        assert_eq!(
            at(text, Place::File).words(),
            ["abs", "exp", "ln", "max", "min", "s", "sigmoid", "sqrt", "t", "tanh", "x"]
        );
        // Outside the loop the element is not a value, and `t` is gone.
        let after =
            "board 2\nstream x = [1]\nwrite s = 0\neach x {\n write t = s\n forget t\n}\nread |";
        let w = words(after);
        assert!(
            !w.contains(&"x".to_owned()) && !w.contains(&"t".to_owned()),
            "{w:?}"
        );
        assert!(w.contains(&"s".to_owned()));
        assert_eq!(words("board 1\nstream xs, ys\neach xs, |"), ["xs", "ys"]);
        assert_eq!(words("board 1\nstream xs\ninput a\neach |"), ["xs"]);
        // One-line block after `{`.
        assert_eq!(words("board 1\nstream x\neach x { read |")[..1], ["abs"]);
        assert!(words("board 1\nstream x\neach x { read |").contains(&"x".to_owned()));
    }

    #[test]
    fn keywords_where_a_statement_starts() {
        assert_eq!(
            words("|"),
            ["board", "each", "forget", "input", "read", "repeat", "stream", "write"]
        );
        assert_eq!(words("board 1\nw|"), ["write"]);
        assert_eq!(
            words("board 1\nstream x\neach x {\n  |"),
            ["forget", "read", "repeat", "write"]
        );
        assert_eq!(words("board 1\nrepeat 2 {\n  e|"), ["each"]);
        assert_eq!(words("board 1\nread 1; |")[..2], ["each", "forget"]);
    }

    #[test]
    fn gate_keywords_after_a_written_value() {
        assert_eq!(
            words("board 1\nwrite s = 1\nwrite s = 2 |"),
            ["gate", "when"]
        );
        assert_eq!(words("board 1\nwrite s = 1\nwrite s = (s) w|"), ["when"]);
        assert_eq!(
            words("board 1\nwrite s = 1\nwrite s = 2 when s |"),
            Vec::<String>::new()
        );
        assert!(words("board 1\nwrite s = 1\nwrite s = 2 when |").contains(&"s".to_owned()));
        assert!(words("board 1\nwrite s = 1\nwrite s = 2 gate |").contains(&"s".to_owned()));
    }

    #[test]
    fn nothing_where_only_a_new_name_or_a_number_fits() {
        for text in [
            "board 1\ninput a\ninput |",
            "board 1\ninput a\nrepeat |",
            "board |",
            "board 1\ninput a\nread a # a|",
            "board 1\ninput a1\nread 1|",
            "board 1\ninput a\nwrite |",
            "board 1\ninput a\nwrite x |",
            "board 1\ninput a\na|",
        ] {
            assert_eq!(words(text), Vec::<String>::new(), "{text:?}");
        }
        // An input is never a write target.
        assert_eq!(words("board 1\ninput a\nwrite a|"), Vec::<String>::new());
    }

    #[test]
    fn a_session_reads_bare_expressions_and_takes_board_anytime() {
        let c = at("board 3\ninput a = 1\nwrite x = a\nb|", Place::Session);
        assert_eq!(c.words(), ["board"]);
        let c = at("board 3\ninput a = 1\nwrite x = a\n|", Place::Session);
        assert!(
            c.words().contains(&"x") && c.words().contains(&"a") && c.words().contains(&"board")
        );
        let c = at("board 3\ninput a = 1\nwrite x = a\nx + |", Place::Session);
        assert!(c.words().contains(&"x") && !c.words().contains(&"write"));
    }

    #[test]
    fn the_word_start_and_odd_cursors() {
        let c = at("board 1\ninput alpha\nread al|", Place::File);
        assert_eq!(c.start, "board 1\ninput alpha\nread ".len());
        assert_eq!(c.words(), ["alpha"]);
        // Past the end, inside a character, after a syntax error: no panic.
        assert_eq!(complete("board 1\nread é", 999, Place::File).start, 15);
        assert_eq!(complete("board 1\nread é", 14, Place::File).start, 13);
        let broken = words("board 1\ninput a\nwrite = = \nread |");
        assert!(broken.contains(&"a".to_owned()), "{broken:?}");
    }
}

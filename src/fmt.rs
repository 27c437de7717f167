//! `wb fmt`: one layout for every `.wb` program.
//!
//! The rules (docs/editors.md repeats them for users):
//!
//! 1. One space around every binary operator and `=`, after `,` and `;`,
//!    after a keyword, and before `{`; none inside `( )` and `[ ]`, before
//!    `,`, `;` or `)`, after a unary minus, or between a function and `(`.
//! 2. Two spaces of indentation per enclosing block; `{` ends its line and
//!    `}` stands on its own, so a block written on one line is opened up.
//! 3. One statement per line, except where the program joins statements with
//!    `;` (those stay joined); a `;` at the start or end of a line, or
//!    doubled, is dropped (it separates nothing a line break does not).
//! 4. Comments stay where they stand: a comment on its own line is indented
//!    as the code around it; a comment after code keeps its column (or
//!    moves right, one space after the code, when the code grew past it).
//! 5. Blank lines collapse to one; none at the start or the end; the file
//!    ends with one line break, CRLF if its first line break was.
//!
//! Formatting is idempotent, and the result parses to the same program
//! (checked here every time, and by a property test): only the layout
//! between tokens changes. A text that does not parse is not formatted.
//!
//! This module knows the tokens of the language and [`crate::syntax`]'s
//! parser; nothing of names' meanings.

use crate::diag::{Code, Diagnostic};
use crate::syntax::{self, Gate, Item, Op, Program, Span, Stmt, StmtKind, KEYWORDS};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok<'a> {
    Word(&'a str),
    Number(&'a str),
    Op(&'a str),
    Open(char),
    Close(char),
    Comma,
    Semi,
    LBrace,
    RBrace,
}

/// One source line: its tokens and its comment (with the comment's column
/// in characters, and whether code precedes it).
#[derive(Default)]
struct Line<'a> {
    tokens: Vec<Tok<'a>>,
    comment: Option<(&'a str, usize)>,
}

/// Formats `src`; `Err` holds the syntax errors of a text that does not
/// parse.
pub fn format(src: &str) -> Result<String, Vec<Diagnostic>> {
    let before = syntax::parse(src);
    if !before.diagnostics.is_empty() {
        return Err(before.diagnostics);
    }
    let out = layout(src).ok_or_else(|| vec![unexpected()])?;
    let after = syntax::parse(&out);
    if !after.diagnostics.is_empty() || shape(&before.program) != shape(&after.program) {
        return Err(vec![unexpected()]);
    }
    Ok(out)
}

fn unexpected() -> Diagnostic {
    Diagnostic::global(
        Code::Syntax,
        "`wb fmt` could not lay this program out without changing it; the file is left as it is",
    )
}

fn lex(src: &str) -> Option<Vec<Line<'_>>> {
    let mut lines = vec![Line::default()];
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut line_start = 0;
    while i < src.len() {
        let c = src[i..].chars().next()?;
        let line = lines.last_mut()?;
        let one = |t: Tok<'static>| Some((t, c.len_utf8()));
        let step = match c {
            '\n' => {
                lines.push(Line::default());
                i += 1;
                line_start = i;
                continue;
            }
            '\r' if bytes.get(i + 1) == Some(&b'\n') => {
                i += 1;
                continue;
            }
            ' ' | '\t' | '\u{feff}' => None,
            '#' => {
                let end = src[i..].find(['\r', '\n']).map_or(src.len(), |e| i + e);
                let column = src[line_start..i].chars().count();
                line.comment = Some((&src[i..end], column));
                i = end;
                continue;
            }
            'a'..='z' | 'A'..='Z' | '_' => {
                let end = src[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(src.len(), |e| i + e);
                Some((Tok::Word(&src[i..end]), end - i))
            }
            '0'..='9' | '.' => {
                let n = number_len(&bytes[i..]);
                Some((Tok::Number(&src[i..i + n]), n))
            }
            '<' | '>' | '=' | '!' => {
                let n = if bytes.get(i + 1) == Some(&b'=') {
                    2
                } else {
                    1
                };
                if c == '!' && n == 1 {
                    return None;
                }
                Some((Tok::Op(&src[i..i + n]), n))
            }
            '+' | '-' | '*' | '/' | '%' | '^' => Some((Tok::Op(&src[i..i + 1]), 1)),
            '(' | '[' => one(Tok::Open(c)),
            ')' | ']' => one(Tok::Close(c)),
            ',' => one(Tok::Comma),
            ';' => one(Tok::Semi),
            '{' => one(Tok::LBrace),
            '}' => one(Tok::RBrace),
            _ => return None,
        };
        match step {
            Some((t, n)) => {
                line.tokens.push(t);
                i += n;
            }
            None => i += c.len_utf8(),
        }
    }
    Some(lines)
}

/// The length of the number at the start of `b`, as the grammar reads one.
fn number_len(b: &[u8]) -> usize {
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut n = digits(0);
    if b.get(n) == Some(&b'.') {
        n += 1 + digits(n + 1);
    }
    if matches!(b.get(n), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(n + 1), Some(b'+' | b'-')));
        let d = digits(n + 1 + sign);
        if d > 0 {
            n += 1 + sign + d;
        }
    }
    n.max(1)
}

fn is_keyword(w: &str) -> bool {
    KEYWORDS.contains(&w)
}

/// Whether a `-` or `+` after `prev` is a sign (unary), not an operator.
fn unary_after(prev: Option<Tok<'_>>) -> bool {
    match prev {
        None => true,
        Some(Tok::Op(_) | Tok::Open(_) | Tok::Comma | Tok::Semi | Tok::LBrace) => true,
        Some(Tok::Word(w)) => is_keyword(w),
        _ => false,
    }
}

/// Writes a run of tokens on one line with rule 1's spacing.
fn join(tokens: &[Tok<'_>]) -> String {
    let mut out = String::new();
    let mut prev: Option<Tok<'_>> = None;
    let mut prev_unary = false;
    for &t in tokens {
        let unary = matches!(t, Tok::Op("-" | "+")) && unary_after(prev);
        let space = match (prev, t) {
            (None, _) => false,
            (_, Tok::Comma | Tok::Semi | Tok::Close(_)) => false,
            (Some(Tok::Open(_)), _) => false,
            _ if prev_unary => false,
            (Some(Tok::Word(w)), Tok::Open('(')) => is_keyword(w),
            _ => true,
        };
        if space {
            out.push(' ');
        }
        out.push_str(match t {
            Tok::Word(s) | Tok::Number(s) | Tok::Op(s) => s,
            Tok::Open('(') => "(",
            Tok::Open(_) => "[",
            Tok::Close(')') => ")",
            Tok::Close(_) => "]",
            Tok::Comma => ",",
            Tok::Semi => ";",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
        });
        prev = Some(t);
        prev_unary = unary;
    }
    out
}

/// Splits a line's tokens where rule 2 breaks lines, dropping the `;` that
/// rule 3 drops.
fn segments<'a>(tokens: &[Tok<'a>]) -> Vec<Vec<Tok<'a>>> {
    let mut out: Vec<Vec<Tok<'a>>> = vec![Vec::new()];
    for &t in tokens {
        match t {
            Tok::RBrace => {
                out.push(vec![t]);
                out.push(Vec::new());
            }
            Tok::LBrace => {
                if let Some(s) = out.last_mut() {
                    s.push(t);
                }
                out.push(Vec::new());
            }
            Tok::Semi => {
                let cur = out.last_mut();
                if let Some(s) = cur.filter(|s| !s.is_empty() && s.last() != Some(&Tok::Semi)) {
                    s.push(t);
                }
            }
            _ => {
                if let Some(s) = out.last_mut() {
                    s.push(t);
                }
            }
        }
    }
    for s in &mut out {
        while s.last() == Some(&Tok::Semi) {
            s.pop();
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn layout(src: &str) -> Option<String> {
    let newline = match src.find('\n') {
        Some(i) if i > 0 && src.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    };
    let mut out = String::new();
    if src.starts_with('\u{feff}') {
        out.push('\u{feff}');
    }
    let mut depth: usize = 0;
    let mut blank = false;
    let mut any = false;
    for line in lex(src)? {
        let segs = segments(&line.tokens);
        if segs.is_empty() && line.comment.is_none() {
            blank = any;
            continue;
        }
        if blank {
            out.push_str(newline);
            blank = false;
        }
        any = true;
        if segs.is_empty() {
            if let Some((text, _)) = line.comment {
                out.push_str(&"  ".repeat(depth));
                out.push_str(text);
                out.push_str(newline);
            }
            continue;
        }
        let last = segs.len() - 1;
        for (k, seg) in segs.iter().enumerate() {
            if seg.first() == Some(&Tok::RBrace) {
                depth = depth.saturating_sub(1);
            }
            let mut text = "  ".repeat(depth);
            text.push_str(&join(seg));
            if seg.last() == Some(&Tok::LBrace) {
                depth += 1;
            }
            if k == last {
                if let Some((comment, column)) = line.comment {
                    let width = text.chars().count();
                    let pad = if column > width { column - width } else { 1 };
                    text.push_str(&" ".repeat(pad));
                    text.push_str(comment);
                }
            }
            out.push_str(&text);
            out.push_str(newline);
        }
    }
    Some(out)
}

/// The program with every span and line table blanked: two texts with the
/// same shape are the same program.
fn shape(program: &Program) -> String {
    let blank = Span::default();
    let items: Vec<Item> = program
        .items
        .iter()
        .map(|item| {
            let mut item = item.clone();
            match &mut item {
                Item::Board(b) => {
                    b.span = blank;
                    b.value_span = blank;
                }
                Item::Input(decls, span) => {
                    *span = blank;
                    decls.iter_mut().for_each(|d| d.name.span = blank);
                }
                Item::Stream(decls, span) => {
                    *span = blank;
                    decls.iter_mut().for_each(|d| d.name.span = blank);
                }
                Item::Stmt(s) => blank_stmt(s),
            }
            item
        })
        .collect();
    let names: Vec<&str> = program.names.iter().map(|(_, t)| t).collect();
    format!("{items:?} {names:?}")
}

fn blank_stmt(s: &mut Stmt) {
    let blank = Span::default();
    s.span = blank;
    let blank_expr = |e: &mut syntax::Expr| {
        e.span = blank;
        for op in e.ops.iter_mut() {
            *op = Op::with_span(*op, blank);
        }
    };
    match &mut s.kind {
        StmtKind::Write {
            target,
            value,
            gate,
        } => {
            target.span = blank;
            blank_expr(value);
            if let Some(g) = gate.as_deref_mut() {
                match g {
                    Gate::When(e) | Gate::Soft(e) => blank_expr(e),
                }
            }
        }
        StmtKind::Forget(list) => list.iter_mut().for_each(|n| n.span = blank),
        StmtKind::Read(exprs) => exprs.iter_mut().for_each(blank_expr),
        StmtKind::Each { streams, body } => {
            streams.iter_mut().for_each(|n| n.span = blank);
            body.iter_mut().for_each(blank_stmt);
        }
        StmtKind::Repeat { body, .. } => body.iter_mut().for_each(blank_stmt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(src: &str) -> String {
        format(src).expect("formats")
    }

    #[test]
    fn spacing_indentation_and_blocks() {
        let src = "board 2\ninput a=1,b = -2\nstream x=[1,2]\n\n\n\nwrite s=-a*( b+1 )^-2;write t=sqrt (s)\neach x { write s = s+x\n    read s }\nread min(s,t),-t\n";
        assert_eq!(
            fmt(src),
            "board 2\ninput a = 1, b = -2\nstream x = [1, 2]\n\nwrite s = -a * (b + 1) ^ -2; write t = sqrt(s)\neach x {\n  write s = s + x\n  read s\n}\nread min(s, t), -t\n"
        );
    }

    #[test]
    fn comments_keep_their_place() {
        let src = "board 1   # the board\n\n  # alone\nwrite x=1 # one\nwrite x = x   +   1        # aligned\nrepeat 2 {\n# inside\nwrite x = x\n}\nread x";
        assert_eq!(
            fmt(src),
            "board 1   # the board\n\n# alone\nwrite x = 1 # one\nwrite x = x + 1            # aligned\nrepeat 2 {\n  # inside\n  write x = x\n}\nread x\n"
        );
    }

    #[test]
    fn crlf_and_stray_separators() {
        let src = "\r\n\r\nboard 1;\r\n;write x = 1;;read x;\r\n\r\n";
        assert_eq!(fmt(src), "board 1\r\nwrite x = 1; read x\r\n");
    }

    #[test]
    fn formatting_is_idempotent_on_the_examples() {
        for entry in std::fs::read_dir("examples").expect("examples") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "wb") {
                let src = std::fs::read_to_string(&path).expect("read");
                let once = fmt(&src);
                assert_eq!(fmt(&once), once, "{}", path.display());
            }
        }
    }

    #[test]
    fn a_text_that_does_not_parse_is_refused() {
        assert!(format("board 1\nwrite = 2\n").is_err());
    }
}

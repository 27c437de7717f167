//! The fast path: a hand-written reader for the statements that make up
//! almost every line — `write`, `read` and `forget` with plain expressions —
//! and for the `board`, `input` and `stream` declarations that open most
//! programs (a stream's default list of a million numbers then costs its
//! numbers, not pest's tokens).
//!
//! `grammar/wb.pest` stays the single definition of the syntax. This reader
//! accepts a subset of it and builds exactly the items the pest path builds
//! (it shares the precedence pass, [`Shunt`]); on anything else — a block,
//! a malformed number, an error of any kind — it backs
//! out without a trace and pest parses the item, so every diagnostic still
//! comes from the grammar. `tests/parser_agreement.rs` checks the two paths
//! give identical programs.
//!
//! Why: pest spends most of a large file's parse time on per-rule
//! bookkeeping; a million-statement program must check in well under two
//! seconds.

use super::ast::*;
use super::expr::{Buffers, Shunt};
use super::scan::MAX_PAREN_DEPTH;
use super::span::Span;

/// What the fast path keeps from one item to the next: the shunting-yard's
/// vectors (one set per level of parentheses or call arguments), and the
/// names it interned last.
#[derive(Default)]
pub(crate) struct Scratch {
    pool: Vec<Buffers>,
    recent: Recent,
}

/// The ids of recently interned names of up to 8 bytes, by their bytes: a
/// program uses a few names over and over, and this answers most lookups
/// without hashing the text and comparing it in the interner's table.
struct Recent([(u64, NameId); 64]);

impl Default for Recent {
    fn default() -> Recent {
        Recent([(0, NameId(0)); 64])
    }
}

impl Recent {
    /// The name's bytes, zero-padded (a name holds no zero byte, so the
    /// key is the name; 0 is no name), if it is short enough.
    fn key(text: &str) -> Option<u64> {
        let b = text.as_bytes();
        let mut word = [0; 8];
        word.get_mut(..b.len())?.copy_from_slice(b);
        Some(u64::from_le_bytes(word))
    }

    fn slot(key: u64) -> usize {
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize
    }

    /// Forgets the ids from `len` on (the interner was cut back to `len`).
    fn forget_from(&mut self, len: usize) {
        for entry in &mut self.0 {
            if entry.1.index() >= len {
                entry.0 = 0;
            }
        }
    }
}

/// The next item at or after `pos`, if the fast path can read it: `None` to
/// let pest parse it; `Some((None, _))` at the end of the text.
pub(crate) fn next_item(
    src: &str,
    pos: usize,
    names: &mut Names,
    scratch: &mut Scratch,
) -> Option<(Option<Item>, usize)> {
    let before = names.len();
    let mut r = Reader {
        src,
        bytes: src.as_bytes(),
        pos,
        last_end: pos,
        names,
        pool: &mut scratch.pool,
        recent: &mut scratch.recent,
        depth: 0,
    };
    r.gap();
    if r.pos == r.bytes.len() {
        return Some((None, r.pos));
    }
    match r.item() {
        Some(item) => Some((Some(item), r.pos)),
        None => {
            // Leave no trace: names interned by the abandoned attempt go.
            r.names.truncate(before);
            r.recent.forget_from(before);
            None
        }
    }
}

struct Reader<'s, 'n> {
    src: &'s str,
    bytes: &'s [u8],
    pos: usize,
    /// The end of the last token read.
    last_end: usize,
    names: &'n mut Names,
    pool: &'n mut Vec<Buffers>,
    recent: &'n mut Recent,
    /// Parentheses (of groups and calls) open around the current token.
    depth: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Reader<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn span(&self, start: usize) -> Span {
        Span::new(start, self.last_end)
    }

    /// pest's implicit whitespace: `WHITESPACE | COMMENT`, repeated.
    #[inline(always)]
    fn ws(&mut self) {
        // Between two tokens there is almost always one space or nothing.
        let starts_ws = |b: Option<u8>| matches!(b, Some(b' ' | b'\t' | b'#' | 0xEF));
        if self.peek() == Some(b' ') {
            self.pos += 1;
        }
        if starts_ws(self.peek()) {
            self.more_ws();
        }
    }

    #[inline(never)]
    fn more_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' => self.pos += 1,
                0xEF if self.bytes[self.pos..].starts_with("\u{feff}".as_bytes()) => self.pos += 3,
                b'#' => {
                    // A comment runs up to (not into) the line ending.
                    let rest = &self.bytes[self.pos..];
                    let mut end = rest
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(rest.len(), |i| i);
                    if end > 0 && rest[end - 1] == b'\r' && end < rest.len() {
                        end -= 1;
                    }
                    self.pos += end;
                }
                _ => break,
            }
        }
    }

    /// Separators and whitespace before an item.
    fn gap(&mut self) {
        loop {
            self.ws();
            match self.peek() {
                Some(b'\n' | b';') => self.pos += 1,
                Some(b'\r') if self.bytes.get(self.pos + 1) == Some(&b'\n') => self.pos += 2,
                _ => break,
            }
        }
    }

    /// The end of a statement: a separator (consumed) or the end of the text.
    fn end(&mut self) -> Option<()> {
        self.ws();
        match self.peek() {
            None => {}
            Some(b'\n' | b';') => self.pos += 1,
            Some(b'\r') if self.bytes.get(self.pos + 1) == Some(&b'\n') => self.pos += 2,
            _ => return None,
        }
        Some(())
    }

    /// An identifier's byte range (keywords included).
    fn ident(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        if !is_ident_start(self.peek()?) {
            return None;
        }
        while self.peek().is_some_and(is_ident) {
            self.pos += 1;
        }
        self.last_end = self.pos;
        Some((start, self.pos))
    }

    /// A name: an identifier that is not a keyword.
    fn name(&mut self) -> Option<Ident> {
        let (s, e) = self.ident()?;
        let text = &self.src[s..e];
        if KEYWORDS.contains(&text) {
            return None;
        }
        Some(Ident {
            id: self.intern(text),
            span: Span::new(s, e),
        })
    }

    fn item(&mut self) -> Option<Item> {
        let start = self.pos;
        let (s, e) = self.ident()?;
        let kind = match &self.src[s..e] {
            "board" => return self.board(start),
            "input" => return self.input(start),
            "stream" => return self.stream(start),
            "write" => self.write()?,
            "read" => {
                let mut exprs = vec![self.expr()?];
                while self.comma() {
                    exprs.push(self.expr()?);
                }
                StmtKind::Read(exprs)
            }
            "forget" => {
                self.ws();
                let mut names = vec![self.name()?];
                while self.comma() {
                    self.ws();
                    names.push(self.name()?);
                }
                StmtKind::Forget(names)
            }
            _ => return None,
        };
        let span = self.span(start);
        self.end()?;
        Some(Item::Stmt(Stmt { kind, span }))
    }

    /// `board N`, after its keyword.
    fn board(&mut self, start: usize) -> Option<Item> {
        let (value, value_span) = self.literal()?;
        let span = self.span(start);
        self.end()?;
        Some(Item::Board(BoardDecl {
            value,
            value_span,
            span,
        }))
    }

    /// `input a = 1, b`, after its keyword.
    fn input(&mut self, start: usize) -> Option<Item> {
        let decls = self.declarations(|p| Some(p.literal()?.0))?;
        let decls = decls
            .into_iter()
            .map(|(name, default)| InputDecl { name, default })
            .collect();
        let span = self.span(start);
        self.end()?;
        Some(Item::Input(decls, span))
    }

    /// `stream x = [1, 2], y`, after its keyword.
    fn stream(&mut self, start: usize) -> Option<Item> {
        let decls = self.declarations(Self::list)?;
        let decls = decls
            .into_iter()
            .map(|(name, default)| StreamDecl { name, default })
            .collect();
        let span = self.span(start);
        self.end()?;
        Some(Item::Stream(decls, span))
    }

    /// The names of an `input` or `stream` line, separated by `,`, each
    /// with its default after `=` when it has one (read by `default`).
    fn declarations<T>(
        &mut self,
        mut default: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<(Ident, Option<T>)>> {
        let mut decls = Vec::new();
        loop {
            self.ws();
            let name = self.name()?;
            let save = (self.pos, self.last_end);
            self.ws();
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.last_end = self.pos;
                Some(default(self)?)
            } else {
                (self.pos, self.last_end) = save;
                None
            };
            decls.push((name, value));
            if !self.comma() {
                break;
            }
        }
        Some(decls)
    }

    /// The grammar's `stream_list`: `[` literals separated by `,` `]`.
    fn list(&mut self) -> Option<Vec<f64>> {
        self.ws();
        if self.peek() != Some(b'[') {
            return None;
        }
        self.pos += 1;
        self.last_end = self.pos;
        let mut values = Vec::new();
        self.ws();
        if self.peek() != Some(b']') {
            values.push(self.literal()?.0);
            while self.comma() {
                values.push(self.literal()?.0);
            }
            self.ws();
            if self.peek() != Some(b']') {
                return None;
            }
        }
        self.pos += 1;
        self.last_end = self.pos;
        Some(values)
    }

    /// The grammar's `literal`: `sign? number`, and its span.
    fn literal(&mut self) -> Option<(f64, Span)> {
        self.ws();
        let start = self.pos;
        let negative = match self.peek()? {
            b'-' => true,
            b'+' => false,
            _ => {
                let v = self.number_here()?;
                return Some((v, self.span(start)));
            }
        };
        self.pos += 1;
        self.ws();
        let v = self.number_here()?;
        Some((if negative { -v } else { v }, self.span(start)))
    }

    /// A number that starts here with a digit (`.5` is pest's to report).
    fn number_here(&mut self) -> Option<f64> {
        if !self.peek()?.is_ascii_digit() {
            return None;
        }
        self.number()
    }

    /// A `,` after optional whitespace (consumed), or nothing (not consumed).
    fn comma(&mut self) -> bool {
        let save = self.pos;
        self.ws();
        if self.peek() == Some(b',') {
            self.pos += 1;
            self.last_end = self.pos;
            true
        } else {
            self.pos = save;
            false
        }
    }

    fn write(&mut self) -> Option<StmtKind> {
        self.ws();
        let target = self.name()?;
        self.ws();
        if self.peek() != Some(b'=') {
            return None;
        }
        self.pos += 1;
        self.last_end = self.pos;
        let value = self.expr()?;
        let save = (self.pos, self.last_end);
        self.ws();
        let gate = match self.ident() {
            Some((s, e)) => {
                let e = match &self.src[s..e] {
                    "when" => Gate::When(self.expr()?),
                    "gate" => Gate::Soft(self.expr()?),
                    _ => return None,
                };
                Some(e)
            }
            None => {
                (self.pos, self.last_end) = save;
                None
            }
        };
        Some(StmtKind::Write {
            target,
            value,
            gate: gate.map(Box::new),
        })
    }

    /// `prefix* operand (infix prefix* operand)*`, as the grammar's `expr`.
    fn expr(&mut self) -> Option<Expr> {
        self.ws();
        let start = self.pos;
        let mut s = Shunt::reusing(self.pool.pop().unwrap_or_default());
        loop {
            loop {
                self.ws();
                if self.peek() != Some(b'-') {
                    break;
                }
                s.neg(Span::new(self.pos, self.pos + 1));
                self.pos += 1;
                self.last_end = self.pos;
            }
            self.ws();
            self.operand(&mut s)?;
            let save = (self.pos, self.last_end);
            self.ws();
            match self.infix() {
                Some((op, span)) => s.infix(op, span).ok()?,
                None => {
                    (self.pos, self.last_end) = save;
                    break;
                }
            }
        }
        let (expr, buf) = s.finish_keeping(self.span(start));
        self.pool.push(buf);
        Some(expr)
    }

    /// Enters a parenthesis; more than [`MAX_PAREN_DEPTH`] open is left to
    /// the nesting scan to report.
    fn open(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_PAREN_DEPTH).then_some(())
    }

    /// The id of a name, interning it if it is new.
    fn intern(&mut self, text: &str) -> NameId {
        let Some(key) = Recent::key(text) else {
            return self.names.intern(text);
        };
        let slot = &mut self.recent.0[Recent::slot(key)];
        if slot.0 == key {
            return slot.1;
        }
        let id = self.names.intern(text);
        *slot = (key, id);
        id
    }

    fn infix(&mut self) -> Option<(BinOp, Span)> {
        // The grammar's `infix`: a two-byte operator first, else one byte.
        let two = match self.bytes.get(self.pos..self.pos + 2) {
            Some(b"<=") => Some(BinOp::Le),
            Some(b">=") => Some(BinOp::Ge),
            Some(b"==") => Some(BinOp::Eq),
            Some(b"!=") => Some(BinOp::Ne),
            _ => None,
        };
        let (op, len) = match two {
            Some(op) => (op, 2),
            None => {
                let op = match self.peek()? {
                    b'<' => BinOp::Lt,
                    b'>' => BinOp::Gt,
                    b'+' => BinOp::Add,
                    b'-' => BinOp::Sub,
                    b'*' => BinOp::Mul,
                    b'/' => BinOp::Div,
                    b'%' => BinOp::Rem,
                    b'^' => BinOp::Pow,
                    _ => return None,
                };
                (op, 1)
            }
        };
        let span = Span::new(self.pos, self.pos + len);
        self.pos += len;
        self.last_end = self.pos;
        Some((op, span))
    }

    fn operand(&mut self, s: &mut Shunt) -> Option<()> {
        let start = self.pos;
        match self.peek()? {
            b'0'..=b'9' => {
                let v = self.number()?;
                s.operand(OpKind::Num(v), self.span(start));
            }
            b'(' => {
                self.pos += 1;
                self.open()?;
                let inner = self.expr()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return None;
                }
                self.pos += 1;
                self.depth -= 1;
                self.last_end = self.pos;
                s.group(inner, self.span(start));
            }
            b if is_ident_start(b) => {
                let (a, e) = self.ident()?;
                let text = &self.src[a..e];
                if KEYWORDS.contains(&text) {
                    return None;
                }
                let save = (self.pos, self.last_end);
                self.ws();
                if self.peek() == Some(b'(') {
                    let func = Func::from_name(text)?;
                    self.pos += 1;
                    self.open()?;
                    let mut args = Vec::new();
                    self.ws();
                    if self.peek() != Some(b')') {
                        loop {
                            args.push(self.expr()?);
                            self.ws();
                            match self.peek()? {
                                b',' => self.pos += 1,
                                b')' => break,
                                _ => return None,
                            }
                        }
                    }
                    self.pos += 1;
                    self.depth -= 1;
                    self.last_end = self.pos;
                    if args.len() != func.arity() {
                        return None;
                    }
                    s.call(func, args, self.span(start));
                } else {
                    (self.pos, self.last_end) = save;
                    let id = self.intern(text);
                    s.operand(OpKind::Name(id), Span::new(a, e));
                }
            }
            _ => return None,
        }
        Some(())
    }

    /// `12`, `2.5`, `1e-3`, `6.02e23`; anything the pest path would refuse
    /// or treat specially (`5.`, a non-finite value) backs out.
    fn number(&mut self) -> Option<f64> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let s = r.pos;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.pos += 1;
            }
            r.pos - s
        };
        digits(self);
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                self.pos = save;
            }
        }
        self.last_end = self.pos;
        let text = &self.src[start..self.pos];
        // The same value as the standard parser's, in one pass (most
        // numbers in a program are plain decimals like `0.5` and `3`).
        let v = match crate::number::plain_decimal(text.as_bytes()) {
            Some(v) => v,
            None => text.parse().ok()?,
        };
        v.is_finite().then_some(v)
    }
}

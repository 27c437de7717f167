//! From pest pairs to the AST: one small function per rule.

use pest::iterators::Pair;
use pest::Parser;

use crate::diag::{Code, Diagnostic};

use super::ast::*;
use super::span::Span;
use super::{words, Rule, WbParser};

type Built<T> = Result<T, Diagnostic>;

pub(crate) struct Builder<'s, 'n> {
    src: &'s str,
    names: &'n mut Names,
}

/// One item, or the errors found while building it.
pub(crate) type ItemResult = Result<Item, Vec<Diagnostic>>;

impl<'s, 'n> Builder<'s, 'n> {
    pub(crate) fn new(src: &'s str, names: &'n mut Names) -> Self {
        Builder { src, names }
    }

    /// Parses the next item at or after byte `pos`. `Ok(None)` at the end of
    /// the text; `Err` when pest rejects the text.
    pub(crate) fn next_item(
        &mut self,
        pos: usize,
    ) -> Result<Option<(ItemResult, usize)>, Diagnostic> {
        let rest = &self.src[pos..];
        let pairs = WbParser::parse(Rule::next_item, rest)
            .map_err(|e| words::syntax_error(self.src, pos, e))?;
        let Some(top) = pairs.into_iter().next() else {
            return Ok(None);
        };
        let consumed = top.as_span().end();
        let mut item = None;
        for p in top.into_inner() {
            match p.as_rule() {
                Rule::at_eoi => return Ok(None),
                Rule::sep => {}
                _ => {
                    item = Some(self.item(p, pos));
                    break;
                }
            }
        }
        match item {
            Some(item) => Ok(Some((item, pos + consumed.max(1)))),
            None => Ok(None),
        }
    }

    /// The pair's span without the trailing whitespace and comment that
    /// pest's implicit whitespace may have taken in.
    fn span(&self, p: &Pair<Rule>, base: usize) -> Span {
        let s = p.as_span();
        let text = s.as_str();
        let mut end = text.len();
        loop {
            let t = text[..end].trim_end_matches([' ', '\t', '\u{FEFF}']);
            let line_start = t.rfind('\n').map_or(0, |i| i + 1);
            match t[line_start..].find('#') {
                Some(hash) => end = line_start + hash,
                None => {
                    end = t.len();
                    break;
                }
            }
        }
        Span::new(s.start() + base, s.start() + base + end)
    }

    fn item(&mut self, p: Pair<Rule>, base: usize) -> ItemResult {
        let span = self.span(&p, base);
        let mut errors = Vec::new();
        let item = match p.as_rule() {
            Rule::board_decl => {
                let lit = p.into_inner().nth(1).expect("grammar: board has a literal");
                let value_span = self.span(&lit, base);
                self.literal(lit, base).map(|value| {
                    Item::Board(BoardDecl {
                        value,
                        value_span,
                        span,
                    })
                })
            }
            Rule::input_decl => {
                let mut decls = Vec::new();
                for it in p.into_inner().filter(|q| q.as_rule() == Rule::input_item) {
                    match self.input_item(it, base) {
                        Ok(d) => decls.push(d),
                        Err(e) => errors.push(e),
                    }
                }
                Ok(Item::Input(decls, span))
            }
            Rule::stream_decl => {
                let mut decls = Vec::new();
                for it in p.into_inner().filter(|q| q.as_rule() == Rule::stream_item) {
                    match self.stream_item(it, base) {
                        Ok(d) => decls.push(d),
                        Err(e) => errors.push(e),
                    }
                }
                Ok(Item::Stream(decls, span))
            }
            _ => self.stmt(p, base, &mut errors).map(Item::Stmt),
        };
        match item {
            Ok(item) if errors.is_empty() => Ok(item),
            Ok(_) => Err(errors),
            Err(e) => {
                errors.insert(0, e);
                Err(errors)
            }
        }
    }

    fn ident(&mut self, p: &Pair<Rule>, base: usize) -> Ident {
        Ident {
            id: self.names.intern(p.as_str()),
            span: self.span(p, base),
        }
    }

    fn input_item(&mut self, p: Pair<Rule>, base: usize) -> Built<InputDecl> {
        let mut inner = p.into_inner();
        let name = self.ident(&inner.next().expect("grammar: input has a name"), base);
        let default = match inner.find(|q| q.as_rule() == Rule::literal) {
            Some(lit) => Some(self.literal(lit, base)?),
            None => None,
        };
        Ok(InputDecl { name, default })
    }

    fn stream_item(&mut self, p: Pair<Rule>, base: usize) -> Built<StreamDecl> {
        let mut inner = p.into_inner();
        let name = self.ident(&inner.next().expect("grammar: stream has a name"), base);
        let default = match inner.find(|q| q.as_rule() == Rule::stream_list) {
            Some(list) => {
                let mut values = Vec::new();
                for lit in list.into_inner().filter(|q| q.as_rule() == Rule::literal) {
                    values.push(self.literal(lit, base)?);
                }
                Some(values)
            }
            None => None,
        };
        Ok(StreamDecl { name, default })
    }

    /// `sign? number`.
    fn literal(&mut self, p: Pair<Rule>, base: usize) -> Built<f64> {
        let mut negative = false;
        let mut value = 0.0;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::sign => negative = q.as_str() == "-",
                Rule::number => value = self.number(&q, base)?,
                _ => {}
            }
        }
        Ok(if negative { -value } else { value })
    }

    fn number(&self, p: &Pair<Rule>, base: usize) -> Built<f64> {
        let text = p.as_str();
        let span = self.span(p, base);
        if text.starts_with('.') {
            return Err(Diagnostic::error(
                Code::Syntax,
                format!("`{text}` is not a number: a number starts with a digit"),
                span,
                "no digit before `.`",
            )
            .with_help(format!("write `0{text}`")));
        }
        if let Some(dot) = text.find('.') {
            let after = &text[dot + 1..];
            if !after.starts_with(|c: char| c.is_ascii_digit()) {
                let fixed = format!("{}.0{}", &text[..dot], after);
                return Err(Diagnostic::error(
                    Code::Syntax,
                    format!("`{text}` is not a number: a digit must follow `.`"),
                    span,
                    "no digit after `.`",
                )
                .with_help(format!(
                    "write `{fixed}` or `{}{}`",
                    &text[..dot],
                    after
                )));
            }
        }
        let value: f64 = text.parse().map_err(|_| {
            Diagnostic::error(
                Code::Syntax,
                format!("`{text}` is not a number"),
                span,
                "here",
            )
        })?;
        if !value.is_finite() {
            return Err(Diagnostic::error(
                Code::Syntax,
                format!("the number `{text}` is too large for a 64-bit float"),
                span,
                "overflows to infinity",
            )
            .with_help("the largest finite value is about 1.7976931348623157e308"));
        }
        Ok(value)
    }

    fn stmt(&mut self, p: Pair<Rule>, base: usize, errors: &mut Vec<Diagnostic>) -> Built<Stmt> {
        let span = self.span(&p, base);
        let rule = p.as_rule();
        let mut inner = p.into_inner().filter(|q| q.as_rule() != Rule::comma);
        let kind = match rule {
            Rule::write => {
                let _kw = inner.next();
                let target = self.ident(&inner.next().expect("grammar: write has a target"), base);
                let _eq = inner.next();
                let value = self.expr(inner.next().expect("grammar: write has a value"), base)?;
                let gate = match inner.next() {
                    Some(g) => {
                        let g_rule = g.as_rule();
                        let e = g
                            .into_inner()
                            .nth(1)
                            .expect("grammar: a gate has an expression");
                        let e = self.expr(e, base)?;
                        Some(if g_rule == Rule::when_gate {
                            Gate::When(e)
                        } else {
                            Gate::Soft(e)
                        })
                    }
                    None => None,
                };
                StmtKind::Write {
                    target,
                    value,
                    gate: gate.map(Box::new),
                }
            }
            Rule::forget => {
                let names = inner
                    .filter(|q| q.as_rule() == Rule::name)
                    .map(|q| self.ident(&q, base))
                    .collect();
                StmtKind::Forget(names)
            }
            Rule::read => {
                let mut exprs = Vec::new();
                for q in inner.filter(|q| q.as_rule() == Rule::expr) {
                    match self.expr(q, base) {
                        Ok(e) => exprs.push(e),
                        Err(e) => errors.push(e),
                    }
                }
                StmtKind::Read(exprs)
            }
            Rule::each => {
                let mut streams: Vec<Ident> = Vec::new();
                let mut body = Vec::new();
                for q in inner {
                    match q.as_rule() {
                        Rule::name => {
                            let id = self.ident(&q, base);
                            if let Some(first) = streams.iter().find(|s| s.id == id.id) {
                                errors.push(
                                    Diagnostic::error(
                                        Code::Syntax,
                                        format!("`{}` is named twice in this `each`", q.as_str()),
                                        id.span,
                                        "named again here",
                                    )
                                    .with_label(first.span, "first named here"),
                                );
                            } else {
                                streams.push(id);
                            }
                        }
                        Rule::block => body = self.block(q, base, errors),
                        _ => {}
                    }
                }
                StmtKind::Each { streams, body }
            }
            Rule::repeat => {
                let _kw = inner.next();
                let count_pair = inner.next().expect("grammar: repeat has a count");
                let count = self.count(&count_pair, base)?;
                let block = inner.next().expect("grammar: repeat has a block");
                StmtKind::Repeat {
                    count,
                    body: self.block(block, base, errors),
                }
            }
            other => unreachable!("grammar: {other:?} is not a statement"),
        };
        Ok(Stmt { kind, span })
    }

    fn count(&self, p: &Pair<Rule>, base: usize) -> Built<u64> {
        let text = p.as_str();
        text.parse::<u64>().map_err(|_| {
            if text.bytes().all(|b| b.is_ascii_digit()) {
                return Diagnostic::error(
                    Code::Syntax,
                    format!(
                        "`repeat` takes at most {} times, found `{text}`",
                        u64::MAX
                    ),
                    self.span(p, base),
                    "too many times",
                )
                .with_help(format!(
                    "write a count from 0 to {}; a longer run is a loop inside a loop (`repeat` nests)",
                    u64::MAX
                ));
            }
            Diagnostic::error(
                Code::Syntax,
                format!("`repeat` needs a whole number of times, found `{text}`"),
                self.span(p, base),
                "not a whole number",
            )
            .with_help(format!(
                "write a whole number from 0 to {} (no fraction, no exponent)",
                u64::MAX
            ))
        })
    }

    fn block(&mut self, p: Pair<Rule>, base: usize, errors: &mut Vec<Diagnostic>) -> Vec<Stmt> {
        let mut body = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::lbrace | Rule::rbrace | Rule::sep => {}
                _ => match self.stmt(q, base, errors) {
                    Ok(s) => body.push(s),
                    Err(e) => errors.push(e),
                },
            }
        }
        body
    }

    pub(crate) fn expr(&mut self, p: Pair<Rule>, base: usize) -> Built<Expr> {
        super::expr::build(self, p, base)
    }

    pub(crate) fn operand_name(&mut self, p: &Pair<Rule>, base: usize) -> Ident {
        self.ident(p, base)
    }

    pub(crate) fn operand_number(&self, p: &Pair<Rule>, base: usize) -> Built<f64> {
        self.number(p, base)
    }

    pub(crate) fn pair_span(&self, p: &Pair<Rule>, base: usize) -> Span {
        self.span(p, base)
    }
}

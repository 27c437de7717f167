//! Operator precedence, iteratively: a flat sequence of operands and
//! operators becomes postfix [`Op`]s with a shunting-yard pass ([`Shunt`]).
//!
//! pest's `PrattParser` would recurse once per right-associative operator or
//! prefix minus and build a tree as deep as the expression; `wb` must take a
//! 10 MB line of `2^2^2^…` without overflowing its stack, so precedence is
//! applied here with an explicit operator stack instead. Only parentheses and
//! calls recurse, and the pre-scan bounds those.
//!
//! Precedence from loose to tight: comparison, `+ -`, `* / %`, unary `-`,
//! `^`, call/atom. `^` is right-associative and its right operand may carry
//! its own minus (`2^-1`); comparisons do not chain.
//!
//! Both parsers feed [`Shunt`]: the pest one (`build`, below) from pairs, and
//! the fast path (`fast.rs`) from bytes, so their output is the same by
//! construction.

use pest::iterators::Pair;

use crate::diag::{Code, Diagnostic};

use super::ast::*;
use super::build::Builder;
use super::span::Span;
use super::Rule;

#[derive(Clone, Copy)]
enum Pending {
    Neg,
    Bin(BinOp),
}

impl Pending {
    fn precedence(self) -> u8 {
        match self {
            Pending::Bin(op) if op.is_comparison() => 1,
            Pending::Bin(BinOp::Add | BinOp::Sub) => 2,
            Pending::Bin(BinOp::Mul | BinOp::Div | BinOp::Rem) => 3,
            Pending::Neg => 4,
            Pending::Bin(_) => 5,
        }
    }
}

/// The shunting-yard state for one expression (one level of parentheses).
pub(crate) struct Shunt {
    buf: Buffers,
    comparison: Option<Span>,
}

/// The growing vectors of a [`Shunt`], kept from one expression to the next
/// by the fast path: a program holds millions of expressions, and allocating
/// three vectors for each, grown an element at a time, was a tenth of the
/// parse.
#[derive(Default)]
pub(crate) struct Buffers {
    out: Vec<Op>,
    /// The span of each value the postfix code so far leaves on the stack.
    spans: Vec<Span>,
    pending: Vec<(Pending, Span)>,
}

impl Shunt {
    pub(crate) fn new() -> Shunt {
        Shunt::reusing(Buffers::default())
    }

    /// A shunting-yard over `buf`'s vectors (emptied first).
    pub(crate) fn reusing(mut buf: Buffers) -> Shunt {
        buf.out.clear();
        buf.spans.clear();
        buf.pending.clear();
        Shunt {
            buf,
            comparison: None,
        }
    }

    /// A prefix minus.
    pub(crate) fn neg(&mut self, span: Span) {
        self.buf.pending.push((Pending::Neg, span));
    }

    /// A number or a name.
    pub(crate) fn operand(&mut self, kind: OpKind, span: Span) {
        self.buf.out.push(Op::new(kind, span));
        self.buf.spans.push(span);
    }

    /// A parenthesised expression, already in postfix.
    pub(crate) fn group(&mut self, inner: Expr, span: Span) {
        self.buf.out.extend_from_slice(&inner.ops);
        self.buf.spans.push(span);
    }

    /// A call whose arguments (in postfix, in order) are `args`.
    pub(crate) fn call(&mut self, func: Func, args: Vec<Expr>, span: Span) {
        for a in args {
            self.buf.out.extend_from_slice(&a.ops);
        }
        self.buf.out.push(Op::new(OpKind::Call(func), span));
        self.buf.spans.push(span);
    }

    /// An infix operator; refuses a second comparison.
    pub(crate) fn infix(&mut self, op: BinOp, span: Span) -> Result<(), Diagnostic> {
        if op.is_comparison() {
            if let Some(first) = self.comparison {
                return Err(chained(op, span, first));
            }
            self.comparison = Some(span);
        }
        let this = Pending::Bin(op);
        let right = op == BinOp::Pow;
        while let Some(&(top, tspan)) = self.buf.pending.last() {
            let (tp, p) = (top.precedence(), this.precedence());
            if tp > p || (tp == p && !right) {
                self.buf.pending.pop();
                self.emit((top, tspan));
            } else {
                break;
            }
        }
        self.buf.pending.push((this, span));
        Ok(())
    }

    /// The finished expression.
    pub(crate) fn finish(self, span: Span) -> Expr {
        self.finish_keeping(span).0
    }

    /// The finished expression, and the vectors for the next one.
    pub(crate) fn finish_keeping(mut self, span: Span) -> (Expr, Buffers) {
        while let Some(top) = self.buf.pending.pop() {
            self.emit(top);
        }
        let expr = Expr {
            ops: self.buf.out.as_slice().into(),
            span,
        };
        (expr, self.buf)
    }

    fn emit(&mut self, (op, token): (Pending, Span)) {
        match op {
            Pending::Neg => {
                let operand = self.buf.spans.pop().unwrap_or(token);
                let span = token.to(operand);
                self.buf.out.push(Op::new(OpKind::Neg, span));
                self.buf.spans.push(span);
            }
            Pending::Bin(b) => {
                let rhs = self.buf.spans.pop().unwrap_or(token);
                let lhs = self.buf.spans.pop().unwrap_or(token);
                let span = lhs.to(rhs);
                self.buf.out.push(Op::new(OpKind::Bin(b), span));
                self.buf.spans.push(span);
            }
        }
    }
}

/// The operator an infix token stands for.
pub(crate) fn binop(text: &str) -> Option<BinOp> {
    Some(match text {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "%" => BinOp::Rem,
        "^" => BinOp::Pow,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        "==" => BinOp::Eq,
        "!=" => BinOp::Ne,
        _ => return None,
    })
}

/// Builds an `expr` pair.
pub(crate) fn build(b: &mut Builder, p: Pair<Rule>, base: usize) -> Result<Expr, Diagnostic> {
    let span = b.pair_span(&p, base);
    let mut s = Shunt::new();
    let mut pairs = p.into_inner().peekable();
    while let Some(q) = pairs.next() {
        let qspan = b.pair_span(&q, base);
        match q.as_rule() {
            Rule::neg => s.neg(qspan),
            Rule::number => {
                let v = b.operand_number(&q, base)?;
                s.operand(OpKind::Num(v), qspan);
            }
            Rule::name => match pairs.next_if(|n| n.as_rule() == Rule::args) {
                Some(args) => {
                    let span = qspan.to(b.pair_span(&args, base));
                    let func = function(q.as_str(), qspan)?;
                    let mut built = Vec::new();
                    for arg in args.into_inner().filter(|r| r.as_rule() == Rule::expr) {
                        built.push(build(b, arg, base)?);
                    }
                    check_arity(func, built.len(), span)?;
                    s.call(func, built, span);
                }
                None => {
                    let id = b.operand_name(&q, base);
                    s.operand(OpKind::Name(id.id), qspan);
                }
            },
            Rule::group => {
                let inner = q
                    .into_inner()
                    .find(|r| r.as_rule() == Rule::expr)
                    .expect("grammar: a group holds an expression");
                let e = build(b, inner, base)?;
                s.group(e, qspan);
            }
            _ => {
                let op = binop(q.as_str()).expect("grammar: an infix operator");
                s.infix(op, qspan)?;
            }
        }
    }
    Ok(s.finish(span))
}

/// The function called `name`, or `wb::unknown_name` with a suggestion.
pub(crate) fn function(name: &str, span: Span) -> Result<Func, Diagnostic> {
    Func::from_name(name).ok_or_else(|| {
        let all: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
        let help = match (name, crate::suggest::nearest(name, all.iter().copied())) {
            ("pow" | "power", _) => {
                "a power is written with `^`: `2 ^ 3`, not `pow(2, 3)`".to_owned()
            }
            (_, Some(s)) => format!("did you mean `{s}`? The functions are {}", all.join(", ")),
            (_, None) => format!("the functions are {}", all.join(", ")),
        };
        Diagnostic::error(
            Code::UnknownName,
            format!("there is no function `{name}`"),
            span,
            "not a function",
        )
        .with_help(help)
    })
}

/// `wb::syntax` unless `func` takes `argc` arguments.
pub(crate) fn check_arity(func: Func, argc: usize, span: Span) -> Result<(), Diagnostic> {
    if argc == func.arity() {
        return Ok(());
    }
    let name = func.name();
    let want = match func.arity() {
        1 => "1 argument".to_owned(),
        n => format!("{n} arguments"),
    };
    Err(Diagnostic::error(
        Code::Syntax,
        format!("`{name}` takes {want}, found {argc}"),
        span,
        format!("{argc} given"),
    )
    .with_help(match func.arity() {
        1 => format!("write `{name}(x)`"),
        _ => format!("write `{name}(a, b)`"),
    }))
}

fn chained(op: BinOp, at: Span, first: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Syntax,
        format!(
            "comparisons do not chain: a second `{}` follows a comparison",
            op.symbol()
        ),
        at,
        "second comparison",
    )
    .with_label(first, "first comparison")
    .with_help("compare twice and combine: `(a < b) * (b < c)` is 1 when both hold")
}

//! Operator precedence, iteratively: the flat `expr` rule's pairs become
//! postfix [`Op`]s with a shunting-yard pass.
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

struct Shunt {
    out: Vec<Op>,
    /// The span of each value the postfix code so far leaves on the stack.
    spans: Vec<Span>,
    pending: Vec<(Pending, Span)>,
}

impl Shunt {
    fn operand(&mut self, kind: OpKind, span: Span) {
        self.out.push(Op { kind, span });
        self.spans.push(span);
    }

    fn emit(&mut self, (op, token): (Pending, Span)) {
        match op {
            Pending::Neg => {
                let operand = self.spans.pop().unwrap_or(token);
                let span = token.to(operand);
                self.out.push(Op {
                    kind: OpKind::Neg,
                    span,
                });
                self.spans.push(span);
            }
            Pending::Bin(b) => {
                let rhs = self.spans.pop().unwrap_or(token);
                let lhs = self.spans.pop().unwrap_or(token);
                let span = lhs.to(rhs);
                self.out.push(Op {
                    kind: OpKind::Bin(b),
                    span,
                });
                self.spans.push(span);
            }
        }
    }
}

fn binop(rule: Rule) -> Option<BinOp> {
    Some(match rule {
        Rule::add => BinOp::Add,
        Rule::sub => BinOp::Sub,
        Rule::mul => BinOp::Mul,
        Rule::div => BinOp::Div,
        Rule::rem => BinOp::Rem,
        Rule::pow => BinOp::Pow,
        Rule::lt => BinOp::Lt,
        Rule::le => BinOp::Le,
        Rule::gt => BinOp::Gt,
        Rule::ge => BinOp::Ge,
        Rule::eq_op => BinOp::Eq,
        Rule::ne => BinOp::Ne,
        _ => return None,
    })
}

pub(crate) fn build(b: &mut Builder, p: Pair<Rule>, base: usize) -> Result<Expr, Diagnostic> {
    let span = b.pair_span(&p, base);
    let mut s = Shunt {
        out: Vec::new(),
        spans: Vec::new(),
        pending: Vec::new(),
    };
    let mut comparison: Option<Span> = None;
    for q in p.into_inner() {
        let rule = q.as_rule();
        let qspan = b.pair_span(&q, base);
        match rule {
            Rule::neg => s.pending.push((Pending::Neg, qspan)),
            Rule::number => {
                let v = b.operand_number(&q, base)?;
                s.operand(OpKind::Num(v), qspan);
            }
            Rule::name => {
                let id = b.operand_name(&q, base);
                s.operand(OpKind::Name(id.id), qspan);
            }
            Rule::group => {
                let inner = q
                    .into_inner()
                    .find(|r| r.as_rule() == Rule::expr)
                    .expect("grammar: a group holds an expression");
                let e = build(b, inner, base)?;
                s.out.extend(e.ops);
                s.spans.push(qspan);
            }
            Rule::call => call(b, q, base, &mut s)?,
            _ => {
                let op = binop(rule).expect("grammar: an infix operator");
                if op.is_comparison() {
                    if let Some(first) = comparison {
                        return Err(chained(op, qspan, first));
                    }
                    comparison = Some(qspan);
                }
                let this = Pending::Bin(op);
                let right = op == BinOp::Pow;
                while let Some(&(top, tspan)) = s.pending.last() {
                    let (tp, p) = (top.precedence(), this.precedence());
                    if tp > p || (tp == p && !right) {
                        s.pending.pop();
                        s.emit((top, tspan));
                    } else {
                        break;
                    }
                }
                s.pending.push((this, qspan));
            }
        }
    }
    while let Some(top) = s.pending.pop() {
        s.emit(top);
    }
    Ok(Expr { ops: s.out, span })
}

fn call(b: &mut Builder, q: Pair<Rule>, base: usize, s: &mut Shunt) -> Result<(), Diagnostic> {
    let span = b.pair_span(&q, base);
    let mut inner = q.into_inner();
    let name_pair = inner.next().expect("grammar: a call has a name");
    let name = name_pair.as_str().to_owned();
    let name_span = b.pair_span(&name_pair, base);
    let Some(func) = Func::from_name(&name) else {
        let all: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
        let mut d = Diagnostic::error(
            Code::UnknownName,
            format!("there is no function `{name}`"),
            name_span,
            "not a function",
        );
        d.help = Some(match crate::suggest::nearest(&name, all.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? The functions are {}", all.join(", ")),
            None => format!("the functions are {}", all.join(", ")),
        });
        return Err(d);
    };
    let mut argc = 0;
    for arg in inner.filter(|r| r.as_rule() == Rule::expr) {
        let e = build(b, arg, base)?;
        s.out.extend(e.ops);
        argc += 1;
    }
    if argc != func.arity() {
        let want = match func.arity() {
            1 => "1 argument".to_owned(),
            n => format!("{n} arguments"),
        };
        return Err(Diagnostic::error(
            Code::Syntax,
            format!("`{name}` takes {want}, found {argc}"),
            span,
            format!("{argc} given"),
        )
        .with_help(match func.arity() {
            1 => format!("write `{name}(x)`"),
            _ => format!("write `{name}(a, b)`"),
        }));
    }
    s.out.push(Op {
        kind: OpKind::Call(func),
        span,
    });
    s.spans.push(span);
    Ok(())
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

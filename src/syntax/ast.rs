//! The abstract syntax tree of a `.wb` program.
//!
//! Every node keeps its byte span. Expressions are stored flat, in postfix
//! order (see [`Expr`]), so that no part of `wb` recurses on expression depth.

use std::collections::HashMap;

use super::span::{LineIndex, Span};

/// An interned name: the same text always has the same id within one [`Names`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameId(pub u32);

impl NameId {
    /// The id as an index into per-name tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The name interner of one program (or one REPL session).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Names {
    list: Vec<String>,
    map: HashMap<String, NameId>,
}

impl Names {
    /// The id of `text`, interning it if it is new.
    pub fn intern(&mut self, text: &str) -> NameId {
        if let Some(&id) = self.map.get(text) {
            return id;
        }
        let id = NameId(self.list.len() as u32);
        self.list.push(text.to_owned());
        self.map.insert(text.to_owned(), id);
        id
    }

    /// The id of `text`, if it was interned.
    pub fn get(&self, text: &str) -> Option<NameId> {
        self.map.get(text).copied()
    }

    /// The text of an id.
    pub fn text(&self, id: NameId) -> &str {
        &self.list[id.index()]
    }

    /// Forgets every name interned after the first `len` (a parse attempt
    /// that backed out leaves no trace).
    pub(crate) fn truncate(&mut self, len: usize) {
        for text in self.list.drain(len..) {
            self.map.remove(&text);
        }
    }

    /// How many names there are; ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no name was interned yet.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every interned name with its id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (NameId, &str)> {
        self.list
            .iter()
            .enumerate()
            .map(|(i, s)| (NameId(i as u32), s.as_str()))
    }
}

/// A parsed program: its top-level items in order, and its names.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The items, in source order.
    pub items: Vec<Item>,
    /// The names used anywhere in the program.
    pub names: Names,
    /// Line starts of the source, to turn spans into line numbers.
    pub lines: LineIndex,
}

/// A name at a place in the source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ident {
    /// Which name.
    pub id: NameId,
    /// Where it is written.
    pub span: Span,
}

/// A top-level item: a declaration or a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `board N`.
    Board(BoardDecl),
    /// `input a = 1, b`.
    Input(Vec<InputDecl>, Span),
    /// `stream x = [1, 2]`.
    Stream(Vec<StreamDecl>, Span),
    /// Any statement.
    Stmt(Stmt),
}

impl Item {
    /// The span of the whole item.
    pub fn span(&self) -> Span {
        match self {
            Item::Board(b) => b.span,
            Item::Input(_, s) | Item::Stream(_, s) => *s,
            Item::Stmt(s) => s.span,
        }
    }
}

/// `board N`: the value as written (validated by the checker) and its span.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardDecl {
    /// The literal's value, sign included.
    pub value: f64,
    /// The literal's span.
    pub value_span: Span,
    /// The whole declaration.
    pub span: Span,
}

/// One name of an `input` declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct InputDecl {
    /// The input's name.
    pub name: Ident,
    /// Its default value, if one is written.
    pub default: Option<f64>,
}

/// One name of a `stream` declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamDecl {
    /// The stream's name.
    pub name: Ident,
    /// Its default sequence, if one is written.
    pub default: Option<Vec<f64>>,
}

/// A statement with its span (from its keyword to its last token).
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What the statement does.
    pub kind: StmtKind,
    /// Where it is written.
    pub span: Span,
}

/// The statements of §2.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `write x = e`, optionally gated.
    Write {
        /// The slot written.
        target: Ident,
        /// The value written.
        value: Expr,
        /// `when c` or `gate g`.
        gate: Option<Gate>,
    },
    /// `forget x, y`.
    Forget(Vec<Ident>),
    /// `read e, f`.
    Read(Vec<Expr>),
    /// `each x, y { … }`.
    Each {
        /// The streams, zipped.
        streams: Vec<Ident>,
        /// The loop body.
        body: Vec<Stmt>,
    },
    /// `repeat N { … }`.
    Repeat {
        /// How many times.
        count: u64,
        /// The loop body.
        body: Vec<Stmt>,
    },
}

/// The gate of a gated write.
#[derive(Clone, Debug, PartialEq)]
pub enum Gate {
    /// `when c`: a hard gate, `c ≠ 0` opens it.
    When(Expr),
    /// `gate g`: a soft gate, `0 ≤ g ≤ 1`.
    Soft(Expr),
}

impl Gate {
    /// The gate's expression.
    pub fn expr(&self) -> &Expr {
        match self {
            Gate::When(e) | Gate::Soft(e) => e,
        }
    }
}

/// An expression in postfix order: evaluating `ops` left to right with a
/// value stack computes it, operands in the order they are written.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The operations, postfix.
    pub ops: Vec<Op>,
    /// The whole expression as written.
    pub span: Span,
}

impl Expr {
    /// The names this expression reads, in the order written (with repeats).
    pub fn names(&self) -> impl Iterator<Item = Ident> + '_ {
        self.ops.iter().filter_map(|op| match op.kind {
            OpKind::Name(id) => Some(Ident { id, span: op.span }),
            _ => None,
        })
    }
}

/// One postfix operation and the source it stands for (for an operator, the
/// operator token; for a call, the whole call).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Op {
    /// The operation.
    pub kind: OpKind,
    /// Its span.
    pub span: Span,
}

/// A postfix operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OpKind {
    /// Push a number.
    Num(f64),
    /// Push a name's value.
    Name(NameId),
    /// Negate the top value.
    Neg,
    /// Pop two values, push the result.
    Bin(BinOp),
    /// Apply a function to the top one or two values.
    Call(Func),
}

/// The binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`: remainder with the dividend's sign.
    Rem,
    /// `^`: power, right-associative.
    Pow,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl BinOp {
    /// Every operator.
    pub const ALL: [BinOp; 12] = [
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
        BinOp::Rem,
        BinOp::Pow,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Eq,
        BinOp::Ne,
    ];

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Pow => "^",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
        }
    }

    /// Whether this is a comparison.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne
        )
    }
}

/// The built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `min(a, b)`
    Min,
    /// `max(a, b)`
    Max,
    /// `abs(x)`
    Abs,
    /// `sqrt(x)`
    Sqrt,
    /// `exp(x)`
    Exp,
    /// `ln(x)`
    Ln,
    /// `tanh(x)`
    Tanh,
    /// `sigmoid(x)` = `1 / (1 + exp(-x))`
    Sigmoid,
}

impl Func {
    /// Every function, for completion and "did you mean".
    pub const ALL: [Func; 8] = [
        Func::Min,
        Func::Max,
        Func::Abs,
        Func::Sqrt,
        Func::Exp,
        Func::Ln,
        Func::Tanh,
        Func::Sigmoid,
    ];

    /// The function's name.
    pub fn name(self) -> &'static str {
        match self {
            Func::Min => "min",
            Func::Max => "max",
            Func::Abs => "abs",
            Func::Sqrt => "sqrt",
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Tanh => "tanh",
            Func::Sigmoid => "sigmoid",
        }
    }

    /// The function named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            Func::Min | Func::Max => 2,
            _ => 1,
        }
    }
}

/// The keywords of the language.
pub const KEYWORDS: [&str; 10] = [
    "board", "input", "stream", "write", "forget", "read", "when", "gate", "each", "repeat",
];

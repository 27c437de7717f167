//! The abstract syntax tree of a `.wb` program.
//!
//! Every node keeps its byte span. Expressions are stored flat, in postfix
//! order (see [`Expr`]), so that no part of `wb` recurses on expression depth.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

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
    map: HashMap<String, NameId, NameHash>,
}

/// How [`Names`] hashes: FxHash's multiply-and-rotate over 8 bytes at a
/// time, from a random seed. A million-statement program interns four
/// million names; SipHash (std's default) spent more on these two- and
/// three-byte strings than the rest of the lookup. The seed keeps the
/// collisions of one run from being those of the next.
#[derive(Clone, Debug)]
struct NameHash(u64);

impl Default for NameHash {
    fn default() -> NameHash {
        NameHash(RandomState::new().hash_one(0u8))
    }
}

impl BuildHasher for NameHash {
    type Hasher = NameHasher;

    fn build_hasher(&self) -> NameHasher {
        NameHasher(self.0)
    }
}

struct NameHasher(u64);

impl NameHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut word = [0; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word) ^ (rest.len() as u64) << 59);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits (the bucket) depending on the
        // first bytes only: fold the high bits down, as murmur3 does.
        let h = (self.0 ^ self.0 >> 33).wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ h >> 33
    }
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
        /// `when c` or `gate g` (boxed: few writes are gated, and unboxed
        /// it would make every statement 24 bytes larger).
        gate: Option<Box<Gate>>,
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
    /// The operations, postfix (a boxed slice: a program holds millions of
    /// expressions, and none grows once built).
    pub ops: Box<[Op]>,
    /// The whole expression as written.
    pub span: Span,
}

impl Expr {
    /// The names this expression reads, in the order written (with repeats).
    pub fn names(&self) -> impl Iterator<Item = Ident> + '_ {
        self.ops.iter().filter_map(|op| match op.kind() {
            OpKind::Name(id) => Some(Ident {
                id,
                span: op.span(),
            }),
            _ => None,
        })
    }
}

/// One postfix operation and the source it stands for (for an operator, the
/// operator token; for a call, the whole call).
///
/// Packed into 16 bytes, as a program holds millions of these: a number's
/// bits, or the kind's tag and payload, then the span. Spans end below 2 GiB
/// (`syntax` refuses larger sources), so the top bit of the end says which.
#[derive(Clone, Copy)]
pub struct Op {
    word: u64,
    start: u32,
    end: u32,
}

/// The top bit of [`Op::end`]: the op is a number and `word` its bits.
const NUMBER: u32 = 1 << 31;

impl Op {
    /// An operation at `span` (a span past 2 GiB is cut short there).
    pub fn new(kind: OpKind, span: Span) -> Op {
        let end = span.end.min(NUMBER - 1);
        let start = span.start.min(end);
        let (word, tag) = match kind {
            OpKind::Num(v) => (v.to_bits(), NUMBER),
            OpKind::Name(id) => (u64::from(id.0), 0),
            OpKind::Neg => (1 << 32, 0),
            OpKind::Bin(b) => (2 << 32 | b as u64, 0),
            OpKind::Call(f) => (3 << 32 | f as u64, 0),
        };
        Op {
            word,
            start,
            end: end | tag,
        }
    }

    /// The operation.
    pub fn kind(self) -> OpKind {
        if self.end & NUMBER != 0 {
            return OpKind::Num(f64::from_bits(self.word));
        }
        let payload = self.word as u32;
        match self.word >> 32 {
            0 => OpKind::Name(NameId(payload)),
            1 => OpKind::Neg,
            2 => OpKind::Bin(BinOp::ALL[payload as usize]),
            _ => OpKind::Call(Func::ALL[payload as usize]),
        }
    }

    /// Its span.
    pub fn span(self) -> Span {
        Span {
            start: self.start,
            end: self.end & !NUMBER,
        }
    }

    /// The same operation at another span.
    pub fn with_span(self, span: Span) -> Op {
        Op::new(self.kind(), span)
    }
}

impl PartialEq for Op {
    fn eq(&self, other: &Op) -> bool {
        self.kind() == other.kind() && self.span() == other.span()
    }
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op")
            .field("kind", &self.kind())
            .field("span", &self.span())
            .finish()
    }
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
    /// Every operator, in declaration order (`ALL[b as usize] == b`).
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
    /// Every function, for completion and "did you mean" (in declaration
    /// order: `ALL[f as usize] == f`).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_pack_every_kind_and_span() {
        let mut kinds = vec![
            OpKind::Num(0.0),
            OpKind::Num(-0.0),
            OpKind::Num(6.02e23),
            OpKind::Num(f64::MAX),
            OpKind::Name(NameId(0)),
            OpKind::Name(NameId(u32::MAX)),
            OpKind::Neg,
        ];
        kinds.extend(BinOp::ALL.map(OpKind::Bin));
        kinds.extend(Func::ALL.map(OpKind::Call));
        for kind in kinds {
            for span in [
                Span::new(0, 0),
                Span::new(3, 9),
                Span::new(7, (1 << 31) - 1),
            ] {
                let op = Op::new(kind, span);
                assert_eq!(op.kind(), kind);
                assert_eq!(op.span(), span);
                if let OpKind::Num(v) = kind {
                    assert_eq!(v.to_bits(), f64::from_bits(op.word).to_bits());
                }
            }
        }
        assert_eq!(std::mem::size_of::<Op>(), 16);
    }

    #[test]
    fn a_span_past_two_gib_is_cut_short_not_mistaken() {
        let op = Op::new(OpKind::Name(NameId(4)), Span::new(5, u32::MAX as usize));
        assert_eq!(op.kind(), OpKind::Name(NameId(4)));
        assert_eq!(op.span(), Span::new(5, (1 << 31) - 1));
    }

    #[test]
    fn the_tables_of_all_follow_declaration_order() {
        for (i, b) in BinOp::ALL.iter().enumerate() {
            assert_eq!(*b as usize, i);
        }
        for (i, f) in Func::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }

    #[test]
    fn names_intern_once_each_among_many() {
        let mut names = Names::default();
        let ids: Vec<NameId> = (0..10_000)
            .map(|i| names.intern(&format!("x_{i:06}")))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(id.index(), i);
            assert_eq!(names.get(&format!("x_{i:06}")), Some(*id));
            assert_eq!(names.text(*id), format!("x_{i:06}"));
        }
        names.truncate(5_000);
        assert_eq!(names.get("x_007000"), None);
        assert_eq!(names.intern("x_007000"), NameId(5_000));
    }
}

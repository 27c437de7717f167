//! A checked program in the form both modes walk: expressions with their
//! operands resolved to positions, statements as a tree of [`Node`]s, and
//! the reads numbered as the outputs that are differentiated.

use crate::arith::{self, ArithError};
use crate::check::{NameKind, Symbols};
use crate::syntax::{BinOp, Func, Gate as AstGate, Item, OpKind, Program, Span, Stmt, StmtKind};

/// One operation of an expression, operands resolved.
#[derive(Clone, Copy, Debug)]
pub enum COp {
    /// A number.
    Num(f64),
    /// A name's current value (by name index).
    Name(u32),
    /// `-a`.
    Neg,
    /// `a op b`.
    Bin(BinOp),
    /// `f(a)` / `f(a, b)`.
    Call(Func),
}

/// An expression: its postfix operations and, for each, the positions of
/// its operands (earlier operations).
#[derive(Clone, Debug)]
pub struct Code {
    /// The operations, postfix.
    pub ops: Box<[COp]>,
    /// The operands of each operation (unused entries are 0).
    pub args: Box<[[u32; 2]]>,
    /// The expression as written.
    pub span: Span,
}

/// Why an evaluation has no value: the run fails (the interpreter reports
/// it in its own words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fails;

impl From<ArithError> for Fails {
    fn from(_: ArithError) -> Fails {
        Fails
    }
}

impl Code {
    fn new(expr: &crate::syntax::Expr) -> Code {
        let mut ops = Vec::with_capacity(expr.ops.len());
        let mut args = Vec::with_capacity(expr.ops.len());
        let mut stack: Vec<u32> = Vec::new();
        for op in expr.ops.iter() {
            let i = ops.len() as u32;
            let (c, n) = match op.kind() {
                OpKind::Num(v) => (COp::Num(v), 0),
                OpKind::Name(id) => (COp::Name(id.0), 0),
                OpKind::Neg => (COp::Neg, 1),
                OpKind::Bin(b) => (COp::Bin(b), 2),
                OpKind::Call(f) => (COp::Call(f), f.arity()),
            };
            let mut a = [0u32; 2];
            for slot in (0..n).rev() {
                a[slot] = stack.pop().unwrap_or(0);
            }
            stack.push(i);
            ops.push(c);
            args.push(a);
        }
        Code {
            ops: ops.into(),
            args: args.into(),
            span: expr.span,
        }
    }

    /// The value, in the interpreter's order of operations.
    #[inline]
    pub fn eval(&self, vals: &[f64], stack: &mut Vec<f64>) -> Result<f64, Fails> {
        stack.clear();
        for op in self.ops.iter() {
            let v = match *op {
                COp::Num(v) => v,
                COp::Name(n) => vals[n as usize],
                COp::Neg => {
                    let a = stack.pop().ok_or(Fails)?;
                    arith::neg(a)
                }
                COp::Bin(b) => {
                    let y = stack.pop().ok_or(Fails)?;
                    let x = stack.pop().ok_or(Fails)?;
                    arith::binary(b, x, y)?
                }
                COp::Call(f) => {
                    let (x, y) = if f.arity() == 2 {
                        let y = stack.pop().ok_or(Fails)?;
                        (stack.pop().ok_or(Fails)?, y)
                    } else {
                        (stack.pop().ok_or(Fails)?, 0.0)
                    };
                    arith::call(f, x, y)?
                }
            };
            stack.push(v);
        }
        stack.pop().ok_or(Fails)
    }

    /// The value of every operation into `tv` (the last is the result).
    #[inline]
    pub fn eval_all(&self, vals: &[f64], tv: &mut Vec<f64>) -> Result<f64, Fails> {
        tv.clear();
        self.eval_into(vals, tv)
    }

    /// The value of every operation appended to `tape` (the last is the
    /// result): what reverse mode's backward walk reads instead of
    /// evaluating the expression again.
    #[inline]
    pub fn eval_into(&self, vals: &[f64], tape: &mut Vec<f64>) -> Result<f64, Fails> {
        let base = tape.len();
        tape.reserve(self.ops.len());
        for (op, a) in self.ops.iter().zip(self.args.iter()) {
            let at = |k: u32| tape[base + k as usize];
            let v = match *op {
                COp::Num(v) => v,
                COp::Name(n) => vals[n as usize],
                COp::Neg => arith::neg(at(a[0])),
                COp::Bin(b) => arith::binary(b, at(a[0]), at(a[1]))?,
                COp::Call(f) => arith::call(f, at(a[0]), at(a[1]))?,
            };
            tape.push(v);
        }
        if tape.len() == base {
            return Err(Fails);
        }
        Ok(tape[tape.len() - 1])
    }
}

/// A write's gate.
#[derive(Clone, Debug)]
pub enum Gate {
    /// Ungated.
    None,
    /// `when c`.
    When(Code),
    /// `gate g`.
    Soft(Code),
}

/// A statement, as both modes run it (`forget` changes no value, and is
/// not kept).
#[derive(Clone, Debug)]
pub enum Node {
    /// `write target = value [gate]`.
    Write {
        /// The name written.
        target: u32,
        /// The value.
        value: Code,
        /// Its gate.
        gate: Gate,
        /// The statement's span.
        span: Span,
    },
    /// `read e, f`: each expression with its output number.
    Read(Vec<(Code, usize)>),
    /// A loop.
    Loop(Box<Loop>),
}

/// `each` or `repeat`.
#[derive(Clone, Debug)]
pub struct Loop {
    /// `each`: the streams (name index, stream index); `repeat`: none.
    pub streams: Vec<(u32, usize)>,
    /// `repeat`'s count (unused for `each`).
    pub count: u64,
    /// The body.
    pub body: Vec<Node>,
    /// Every name the body writes (its nested loops' too), once each: what a
    /// checkpoint keeps.
    pub written: Vec<u32>,
    /// Statements a pass over the body executes (writes and reads, nested
    /// `repeat` counts multiplied, a nested `each` counted once, at least 1).
    pub work: u64,
    /// The loop's number, in source order among all loops.
    pub id: usize,
    /// The read expressions inside it (output numbers).
    pub reads: std::ops::Range<usize>,
}

impl Loop {
    /// Whether this is an `each`.
    pub fn is_each(&self) -> bool {
        !self.streams.is_empty()
    }
}

/// A read expression: one output of the differentiation.
#[derive(Clone, Debug)]
pub struct Output {
    /// The expression as written.
    pub text: String,
    /// Its span.
    pub span: Span,
    /// Its 1-based line.
    pub line: usize,
    /// Whether it is inside an `each` (then one value per element).
    pub in_each: bool,
    /// Whether it is inside any loop.
    pub in_loop: bool,
}

/// The whole program.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The top-level statements.
    pub top: Vec<Node>,
    /// Every read expression, in source order.
    pub outputs: Vec<Output>,
    /// How many names there are (the size of a value frame).
    pub names: usize,
    /// The name index of each scalar input, by input index.
    pub inputs: Vec<u32>,
    /// The name index of each stream, by stream index.
    pub streams: Vec<u32>,
    /// How many loops there are (their [`Loop::id`]s are `0..loops`).
    pub loops: usize,
}

/// Compiles a checked program.
pub fn compile(program: &Program, symbols: &Symbols, src: &str) -> Compiled {
    let mut w = Walk {
        program,
        symbols,
        src,
        outputs: Vec::new(),
        loops: 0,
    };
    let mut top = Vec::new();
    for item in &program.items {
        if let Item::Stmt(s) = item {
            if let Some(n) = w.node(s, 0) {
                top.push(n);
            }
        }
    }
    let Walk { outputs, loops, .. } = w;
    Compiled {
        top,
        outputs,
        names: program.names.len(),
        inputs: symbols.inputs.iter().map(|i| i.name.0).collect(),
        streams: symbols.streams.iter().map(|s| s.name.0).collect(),
        loops,
    }
}

/// The state of [`compile`]'s walk over the statements.
struct Walk<'a> {
    program: &'a Program,
    symbols: &'a Symbols,
    src: &'a str,
    outputs: Vec<Output>,
    loops: usize,
}

impl Walk<'_> {
    fn node(&mut self, stmt: &Stmt, depth: u8) -> Option<Node> {
        let (program, symbols, src) = (self.program, self.symbols, self.src);
        // depth: 0 top level, 1 in a loop, 2 in an `each` (bit flags).
        Some(match &stmt.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => Node::Write {
                target: target.id.0,
                value: Code::new(value),
                gate: match gate.as_deref() {
                    None => Gate::None,
                    Some(AstGate::When(c)) => Gate::When(Code::new(c)),
                    Some(AstGate::Soft(g)) => Gate::Soft(Code::new(g)),
                },
                span: stmt.span,
            },
            StmtKind::Forget(_) => return None,
            StmtKind::Read(exprs) => Node::Read(
                exprs
                    .iter()
                    .map(|e| {
                        let r = self.outputs.len();
                        let text = src
                            .get(e.span.start as usize..e.span.end as usize)
                            .unwrap_or("")
                            .to_owned();
                        self.outputs.push(Output {
                            text,
                            span: e.span,
                            line: program.lines.line(e.span.start as usize),
                            in_each: depth & 2 != 0,
                            in_loop: depth != 0,
                        });
                        (Code::new(e), r)
                    })
                    .collect(),
            ),
            StmtKind::Each { streams, body } => {
                let streams = streams
                    .iter()
                    .map(|s| match symbols.kind(s.id) {
                        NameKind::Stream(i) => (s.id.0, i),
                        _ => (s.id.0, usize::MAX),
                    })
                    .collect();
                self.looped(streams, 0, body, depth | 3)
            }
            StmtKind::Repeat { count, body } => self.looped(Vec::new(), *count, body, depth | 1),
        })
    }

    fn looped(&mut self, streams: Vec<(u32, usize)>, count: u64, body: &[Stmt], depth: u8) -> Node {
        let id = self.loops;
        self.loops += 1;
        let first = self.outputs.len();
        let body: Vec<Node> = body.iter().filter_map(|s| self.node(s, depth)).collect();
        let mut written = Vec::new();
        collect_written(&body, &mut written);
        written.sort_unstable();
        written.dedup();
        let work = body_work(&body).max(1);
        Node::Loop(Box::new(Loop {
            streams,
            count,
            body,
            written,
            work,
            id,
            reads: first..self.outputs.len(),
        }))
    }
}

fn collect_written(body: &[Node], out: &mut Vec<u32>) {
    for n in body {
        match n {
            Node::Write { target, .. } => out.push(*target),
            Node::Read(_) => {}
            Node::Loop(l) => out.extend_from_slice(&l.written),
        }
    }
}

fn body_work(body: &[Node]) -> u64 {
    body.iter()
        .map(|n| match n {
            Node::Write { .. } | Node::Read(_) => 1,
            Node::Loop(l) if l.is_each() => l.work,
            Node::Loop(l) => l.count.saturating_mul(l.work),
        })
        .fold(0u64, u64::saturating_add)
}

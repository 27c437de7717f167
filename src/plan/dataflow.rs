//! The dataflow a plan must compute: values (one operator each), the free
//! leaves they combine (inputs and numbers) and the reads, in order.
//!
//! Values are numbered so that every operand comes before its user (they
//! are built from postfix expressions, which already list operands first),
//! so every pass below is a loop over the ids, never a recursion.

use crate::diag::{Code, Diagnostic};
use crate::syntax::{BinOp, Func, Item, NameId, Names, OpKind, Program, Span, Stmt, StmtKind};

/// A free operand: read without a slot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Leaf {
    /// An input, by name.
    Input(NameId),
    /// A number as written (never negative: a minus sign is an operator).
    Num(f64),
}

/// One operand of a value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg {
    /// A computed value: it must be on the board when it is used.
    Value(u32),
    /// An input or a number: free.
    Leaf(Leaf),
}

/// The one operation a value applies to its operands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Operation {
    /// `-x`
    Neg,
    /// `x op y`
    Bin(BinOp),
    /// `f(x)` or `f(x, y)`
    Call(Func),
    /// `write y = x`: the operand itself, under a new name.
    Copy,
    /// A value already on the board, under this name, where a part of a
    /// program begins (one a loop or a gated write left there): never
    /// written by the plan, only held and forgotten.
    Held(NameId),
}

impl Operation {
    /// How many operands it takes.
    pub fn arity(self) -> usize {
        match self {
            Operation::Neg | Operation::Copy => 1,
            Operation::Held(_) => 0,
            Operation::Bin(_) => 2,
            Operation::Call(f) => f.arity(),
        }
    }
}

/// One read of the original, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadOf {
    /// What is read.
    pub arg: Arg,
    /// The name the plan reads it under (the original's, where it read a
    /// name).
    pub name: String,
    /// Not a read of the program: the value must be on the board under
    /// `name` here (where a part of a program begins or ends, for the loop
    /// or gated write next to it). Nothing is printed for it.
    pub hold: bool,
}

/// The dataflow: values in an order where operands come first, and reads.
#[derive(Clone, Debug, Default)]
pub struct Dataflow {
    ops: Vec<Operation>,
    args: Vec<[Arg; 2]>,
    /// The original write target of a value, where a write's whole
    /// expression is this value.
    target: Vec<Option<NameId>>,
    /// Whether a read names the value (`read x`): the slot holding it must
    /// then be called by that name.
    named: Vec<bool>,
    /// The reads, in the order the original makes them.
    pub reads: Vec<ReadOf>,
    /// Where the holds at the end of a part begin in `reads` (the values
    /// left on the board for what follows: never forgotten by the plan).
    pub holds_from: usize,
    /// The inputs the dataflow may use, with their defaults.
    pub inputs: Vec<(NameId, Option<f64>)>,
    /// The names of inputs and targets.
    pub names: Names,
}

impl Dataflow {
    /// How many values there are.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether there is no value.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The operation of value `v`.
    pub fn op(&self, v: u32) -> Operation {
        self.ops[v as usize]
    }

    /// The operands of value `v`, in the order written.
    pub fn args(&self, v: u32) -> &[Arg] {
        &self.args[v as usize][..self.ops[v as usize].arity()]
    }

    /// The original name of value `v`, where a write gave it one.
    pub fn target(&self, v: u32) -> Option<&str> {
        self.target[v as usize].map(|id| self.names.text(id))
    }

    /// Whether `v` may be written in the slot of its operand `u`: a slot is
    /// one name, so a value read under a name is overwritten only by another
    /// value read under the same name.
    pub fn may_overwrite(&self, u: u32, v: u32) -> bool {
        let (u, v) = (u as usize, v as usize);
        !self.named[u] || (self.named[v] && self.target[u] == self.target[v])
    }

    /// The name a read requires of the slot holding `v`, if any.
    pub fn required_name(&self, v: u32) -> Option<&str> {
        if self.named[v as usize] {
            self.target(v)
        } else {
            None
        }
    }

    /// Gives `v` the original name `name` (a write's target).
    pub fn set_target(&mut self, v: u32, name: NameId) {
        self.target[v as usize] = Some(name);
    }

    /// Adds a value (its computed operands must already exist).
    pub fn push(&mut self, op: Operation, args: &[Arg]) -> u32 {
        let mut a = [Arg::Leaf(Leaf::Num(0.0)); 2];
        a[..args.len()].copy_from_slice(args);
        self.ops.push(op);
        self.args.push(a);
        self.target.push(None);
        self.named.push(false);
        (self.ops.len() - 1) as u32
    }

    /// The computed operands of `v` (with repeats).
    pub fn value_args(&self, v: u32) -> impl Iterator<Item = u32> + '_ {
        self.args(v).iter().filter_map(|a| match a {
            Arg::Value(u) => Some(*u),
            Arg::Leaf(_) => None,
        })
    }

    /// Which values some read needs (the others are dropped: nothing reads
    /// them, so the plan does not compute them).
    pub fn needed(&self) -> Vec<bool> {
        let mut need = vec![false; self.len()];
        for r in &self.reads {
            if let Arg::Value(v) = r.arg {
                need[v as usize] = true;
            }
        }
        for v in (0..self.len() as u32).rev() {
            if need[v as usize] {
                for u in self.value_args(v) {
                    need[u as usize] = true;
                }
            }
        }
        need
    }

    /// How many times each value is used: once per operand position and per
    /// read (only needed values count).
    pub fn uses(&self, needed: &[bool]) -> Vec<u32> {
        let mut uses = vec![0u32; self.len()];
        for v in 0..self.len() as u32 {
            if needed[v as usize] {
                for u in self.value_args(v) {
                    uses[u as usize] += 1;
                }
            }
        }
        for r in &self.reads {
            if let Arg::Value(v) = r.arg {
                uses[v as usize] += 1;
            }
        }
        uses
    }

    /// Builds a value from a postfix expression; names are resolved by
    /// `resolve`. Uses an explicit stack, never recursion.
    fn expr(&mut self, ops: &[crate::syntax::Op], mut resolve: impl FnMut(NameId) -> Arg) -> Arg {
        let mut stack: Vec<Arg> = Vec::new();
        for op in ops {
            let arg = match op.kind() {
                OpKind::Num(x) => Arg::Leaf(Leaf::Num(x)),
                OpKind::Name(id) => resolve(id),
                OpKind::Neg => {
                    let x = stack.pop().unwrap_or(Arg::Leaf(Leaf::Num(0.0)));
                    Arg::Value(self.push(Operation::Neg, &[x]))
                }
                OpKind::Bin(b) => {
                    let y = stack.pop().unwrap_or(Arg::Leaf(Leaf::Num(0.0)));
                    let x = stack.pop().unwrap_or(Arg::Leaf(Leaf::Num(0.0)));
                    Arg::Value(self.push(Operation::Bin(b), &[x, y]))
                }
                OpKind::Call(f) => {
                    let n = f.arity().min(stack.len());
                    let at = stack.len() - n;
                    let args: Vec<Arg> = stack.drain(at..).collect();
                    Arg::Value(self.push(Operation::Call(f), &args))
                }
            };
            stack.push(arg);
        }
        stack.pop().unwrap_or(Arg::Leaf(Leaf::Num(0.0)))
    }
}

/// Why a program's dataflow could not be taken.
pub fn unsupported(span: Span, what: &str, why: &str) -> Diagnostic {
    Diagnostic::error(
        Code::PlanUnsupported,
        format!("`wb plan` cannot plan {what} yet"),
        span,
        what.to_owned(),
    )
    .with_help(why.to_owned())
}

/// The dataflow of a straight-line program that checked without errors:
/// every write is a value (or a copy), every read a read. Its own order
/// and forgets are ignored. Loops, streams and gated writes are refused
/// with a diagnostic each.
pub fn from_program(program: &Program) -> Result<Dataflow, Vec<Diagnostic>> {
    from_items(&program.items, program.names.clone())
}

/// [`from_program`] taking the program's names instead of copying them (a
/// million-statement program has millions).
pub fn from_program_taking_names(program: &mut Program) -> Result<Dataflow, Vec<Diagnostic>> {
    let names = std::mem::take(&mut program.names);
    from_items(&program.items, names)
}

fn from_items(items: &[Item], names: Names) -> Result<Dataflow, Vec<Diagnostic>> {
    let mut flow = Dataflow {
        names,
        ..Dataflow::default()
    };
    let mut is_input = vec![false; flow.names.len()];
    let mut current: Vec<Option<Arg>> = vec![None; flow.names.len()];
    let mut refused = Vec::new();
    for item in items {
        match item {
            Item::Board(_) => {}
            Item::Input(decls, _) => {
                for d in decls {
                    is_input[d.name.id.index()] = true;
                    flow.inputs.push((d.name.id, d.default));
                }
            }
            Item::Stream(_, span) => refused.push(unsupported(
                *span,
                "a stream",
                "a stream is read inside `each`, and `wb plan` plans straight-line programs only",
            )),
            Item::Stmt(stmt) => flow.statement(stmt, &is_input, &mut current, &mut refused),
        }
    }
    if refused.is_empty() {
        Ok(flow)
    } else {
        Err(refused)
    }
}

impl Dataflow {
    fn statement(
        &mut self,
        stmt: &Stmt,
        is_input: &[bool],
        current: &mut [Option<Arg>],
        refused: &mut Vec<Diagnostic>,
    ) {
        let resolve = |id: NameId, current: &[Option<Arg>]| {
            if is_input[id.index()] {
                Arg::Leaf(Leaf::Input(id))
            } else {
                current[id.index()].unwrap_or(Arg::Leaf(Leaf::Input(id)))
            }
        };
        match &stmt.kind {
            StmtKind::Write { gate: Some(_), .. } => refused.push(unsupported(
                stmt.span,
                "a gated write",
                "a gated write's value is evaluated only where its gate is open, so it cannot \
                 be split into unconditional steps; plan the program without `when`/`gate`",
            )),
            StmtKind::Write {
                target,
                value,
                gate: None,
            } => {
                let arg = {
                    let cur = &*current;
                    self.expr(&value.ops, |id| resolve(id, cur))
                };
                // A write of a bare name or number is a copy: it keeps the
                // target's own name for the reads of it.
                let v = match arg {
                    Arg::Value(v) if self.target[v as usize].is_none() && value.ops.len() > 1 => v,
                    other => self.push(Operation::Copy, &[other]),
                };
                self.target[v as usize] = Some(target.id);
                current[target.id.index()] = Some(Arg::Value(v));
            }
            StmtKind::Forget(_) => {}
            StmtKind::Read(exprs) => {
                for e in exprs {
                    let arg = {
                        let cur = &*current;
                        self.expr(&e.ops, |id| resolve(id, cur))
                    };
                    let name = match (e.ops.len(), e.ops.first().map(|o| o.kind())) {
                        (1, Some(OpKind::Name(id))) => self.names.text(id).to_owned(),
                        _ => String::new(),
                    };
                    if let (Arg::Value(v), false) = (arg, name.is_empty()) {
                        self.named[v as usize] = true;
                    }
                    self.reads.push(ReadOf {
                        arg,
                        name,
                        hold: false,
                    });
                }
            }
            StmtKind::Each { .. } | StmtKind::Repeat { .. } => refused.push(unsupported(
                stmt.span,
                "a loop",
                "`wb plan` plans straight-line programs only; a loop body must leave the board \
                 as it found it, which the planner does not model yet",
            )),
        }
    }
}

/// The dataflow of one formula, read under `result`: its free names are the
/// inputs (in order of first appearance), with defaults from `defaults`.
pub fn from_expr(ops: &[crate::syntax::Op], names: &Names, defaults: &[(String, f64)]) -> Dataflow {
    let mut flow = Dataflow {
        names: names.clone(),
        ..Dataflow::default()
    };
    let mut seen = vec![false; names.len()];
    for op in ops {
        if let OpKind::Name(id) = op.kind() {
            if !seen[id.index()] {
                seen[id.index()] = true;
                let text = names.text(id);
                let default = defaults.iter().find(|(n, _)| n == text).map(|(_, v)| *v);
                flow.inputs.push((id, default));
            }
        }
    }
    let arg = flow.expr(ops, |id| Arg::Leaf(Leaf::Input(id)));
    if let Arg::Value(v) = arg {
        let mut name = "result".to_owned();
        while flow.names.get(&name).is_some() {
            name.push('_');
        }
        let id = flow.names.intern(&name);
        flow.set_target(v, id);
    }
    flow.reads.push(ReadOf {
        arg,
        name: String::new(),
        hold: false,
    });
    flow
}

/// The dataflow of one straight-line part of a program (its writes are not
/// gated, it has no loop): `free` marks the names read without a slot
/// (inputs, streams); each name in `held` is on the board when the part
/// begins (a value of [`Operation::Held`], made first); each name in `out`
/// must be on the board, with its latest value, when it ends (for the loop
/// or gated write after it, or the next iteration of the loop it is the
/// body of).
pub fn from_part(
    stmts: &[&Stmt],
    names: &Names,
    free: &[bool],
    held: &[NameId],
    out: &[NameId],
) -> Dataflow {
    let mut flow = Dataflow {
        names: names.clone(),
        ..Dataflow::default()
    };
    let mut current: Vec<Option<Arg>> = vec![None; names.len()];
    for &id in held {
        let v = flow.push(Operation::Held(id), &[]);
        flow.target[v as usize] = Some(id);
        flow.named[v as usize] = true;
        current[id.index()] = Some(Arg::Value(v));
        flow.reads.push(ReadOf {
            arg: Arg::Value(v),
            name: names.text(id).to_owned(),
            hold: true,
        });
    }
    let mut refused = Vec::new();
    for stmt in stmts {
        flow.statement(stmt, free, &mut current, &mut refused);
    }
    flow.holds_from = flow.reads.len();
    for &id in out {
        if let Some(Arg::Value(v)) = current[id.index()] {
            flow.named[v as usize] = true;
            flow.reads.push(ReadOf {
                arg: Arg::Value(v),
                name: names.text(id).to_owned(),
                hold: true,
            });
        }
    }
    flow
}

impl Dataflow {
    /// The values a part leaves on the board (see [`Dataflow::holds_from`]).
    pub fn kept(&self) -> Vec<bool> {
        let mut kept = vec![false; self.len()];
        for r in self.reads.iter().skip(self.holds_from) {
            if let (true, Arg::Value(v)) = (r.hold, r.arg) {
                kept[v as usize] = true;
            }
        }
        kept
    }

    /// Whether `v` is a value the part found on the board.
    pub fn is_held(&self, v: u32) -> bool {
        matches!(self.ops[v as usize], Operation::Held(_))
    }
}

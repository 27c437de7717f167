//! A generator of `.wb` programs for the checker's property tests, and the
//! helpers that run them.
//!
//! Programs are built from a vector of random choices (a proptest strategy,
//! so a failing case shrinks by dropping choices). The builder tracks the
//! board as it writes, so most programs are close to valid: reads name values
//! on the board, loop bodies forget what they put there. With `sloppy`, it
//! also makes the mistakes users make (reading a forgotten value, forgetting
//! twice, forgetting inside a loop what the loop found), and the board size is
//! drawn independently, so many programs overflow. Expressions use only `+`,
//! `-`, `min` and `max` of small numbers, so no run fails for arithmetic
//! reasons: any run-time error is a board error.

#![allow(dead_code)]

use proptest::prelude::*;

use wb::check::{self, Analysis};
use wb::diag::{Code, Diagnostic};
use wb::interp::{self, Limits, Machine, Overrides, Read};
use wb::syntax::{self, Program};

/// A generated program.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The source text.
    pub src: String,
}

/// How programs are generated.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Make mistakes too.
    pub sloppy: bool,
    /// The fewest iterations of `repeat` (1 makes every loop run).
    pub min_repeat: u32,
    /// Top-level statements, at most.
    pub max_stmts: usize,
}

/// Programs of the given shape, with a board of 1 to 6 slots.
pub fn programs(shape: Shape) -> impl Strategy<Value = Generated> {
    (prop::collection::vec(any::<u32>(), 0..160), 1usize..=6)
        .prop_map(move |(choices, board)| build(&choices, board, shape))
}

/// Inputs for a run: `a`, `b`, and both streams of one length.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// `a` and `b`.
    pub scalars: (i32, i32),
    /// The streams `x` and `y` (equal lengths, as `each x, y` needs).
    pub stream: Vec<(i32, i32)>,
}

/// Random inputs; streams of `min_len` to 4 elements.
pub fn inputs(min_len: usize) -> impl Strategy<Value = Inputs> {
    (
        (-3i32..=3, -3i32..=3),
        prop::collection::vec((-3i32..=3, -3i32..=3), min_len..=4),
    )
        .prop_map(|(scalars, stream)| Inputs { scalars, stream })
}

impl Inputs {
    /// As command-line overrides.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            scalars: vec![
                ("a".into(), f64::from(self.scalars.0)),
                ("b".into(), f64::from(self.scalars.1)),
            ],
            streams: vec![
                (
                    "x".into(),
                    self.stream.iter().map(|p| f64::from(p.0)).collect(),
                ),
                (
                    "y".into(),
                    self.stream.iter().map(|p| f64::from(p.1)).collect(),
                ),
            ],
        }
    }
}

/// Parses and checks; `None` if the text does not parse (a generator bug).
pub fn checked(src: &str, capacity: Option<usize>) -> (Program, Analysis) {
    let parsed = syntax::parse(src);
    assert!(
        parsed.diagnostics.is_empty(),
        "generated program does not parse: {:?}\n{src}",
        parsed.diagnostics
    );
    let analysis = check::check(&parsed.program, capacity);
    (parsed.program, analysis)
}

/// What a run did.
#[derive(Debug)]
pub struct Run {
    /// The reads, in order.
    pub reads: Vec<Read>,
    /// The error that stopped it.
    pub error: Option<Diagnostic>,
    /// The most slots in use at once.
    pub peak: usize,
}

/// Runs a program on the interpreter with `capacity` slots, whatever the
/// checker said (the interpreter guards every rule itself).
pub fn run(
    program: &Program,
    src: &str,
    analysis: &Analysis,
    capacity: usize,
    inputs: &Inputs,
) -> Run {
    let bindings = interp::bind(&analysis.symbols, &program.names, &inputs.overrides())
        .expect("the generated inputs cover every declaration");
    let mut machine = Machine::new(program, src, &analysis.symbols, capacity, bindings);
    let mut reads: Vec<Read> = Vec::new();
    let result = machine.run(&program.items, &mut reads, Limits::default());
    Run {
        reads,
        error: result.err(),
        peak: machine.peak(),
    }
}

/// The board errors (as opposed to arithmetic or input errors).
pub fn is_board_error(code: Code) -> bool {
    matches!(
        code,
        Code::BoardFull
            | Code::Forgotten
            | Code::NotOnBoard
            | Code::GatedNewSlot
            | Code::UnknownName
            | Code::WriteInput
            | Code::StreamOutsideEach
            | Code::NotAStream
    )
}

/// The generator's state.
struct Builder<'c> {
    choices: &'c [u32],
    at: usize,
    out: String,
    shape: Shape,
    /// Names on the board, as the builder believes.
    board: Vec<String>,
    /// Names that were on the board and were forgotten.
    gone: Vec<String>,
    /// Per open loop: the names it found, the names it wrote new.
    frames: Vec<(Vec<String>, Vec<String>)>,
    in_each: bool,
    budget: usize,
}

const NAMES: [&str; 8] = ["p", "q", "r", "s", "t", "u", "v", "w"];

fn build(choices: &[u32], board: usize, shape: Shape) -> Generated {
    let mut b = Builder {
        choices,
        at: 0,
        out: String::new(),
        shape,
        board: Vec::new(),
        gone: Vec::new(),
        frames: Vec::new(),
        in_each: false,
        budget: 40,
    };
    b.out.push_str(&format!(
        "board {board}\ninput a = 1, b = 2\nstream x = [1, 2], y = [3, 4]\n"
    ));
    let n = 1 + b.pick(shape.max_stmts as u32) as usize;
    for _ in 0..n {
        if b.at >= b.choices.len() {
            break;
        }
        b.stmt(0);
    }
    Generated { src: b.out }
}

impl Builder<'_> {
    fn pick(&mut self, n: u32) -> u32 {
        let c = self.choices.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 {
            0
        } else {
            c % n
        }
    }

    fn chance(&mut self, one_in: u32) -> bool {
        self.pick(one_in) == 0
    }

    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn stmt(&mut self, depth: usize) {
        if self.budget == 0 {
            return;
        }
        self.budget -= 1;
        let sloppy = self.shape.sloppy;
        match self.pick(10) {
            0..=3 => self.write(depth),
            4 => self.forget(depth),
            5 | 6 => {
                let e = self.expr();
                let e2 = if self.chance(4) {
                    format!(", {}", self.expr())
                } else {
                    String::new()
                };
                self.line(depth, &format!("read {e}{e2}"));
            }
            7 if depth < 3 => self.repeat(depth),
            8 if depth < 3 && !self.in_each => self.each(depth),
            9 if sloppy && !self.gone.is_empty() => {
                // A read of a forgotten value.
                let k = self.pick(self.gone.len() as u32) as usize;
                let n = self.gone[k].clone();
                self.line(depth, &format!("read {n}"));
            }
            _ => self.write(depth),
        }
    }

    fn write(&mut self, depth: usize) {
        let e = self.expr();
        let overwrite = !self.board.is_empty() && self.chance(2);
        if overwrite {
            let k = self.pick(self.board.len() as u32) as usize;
            let n = self.board[k].clone();
            let gate = match self.pick(5) {
                0 => " gate 0.5".to_owned(),
                1 => format!(" when {} > 0", self.operand()),
                _ => String::new(),
            };
            self.line(depth, &format!("write {n} = {e}{gate}"));
            return;
        }
        let free: Vec<&str> = NAMES
            .iter()
            .copied()
            .filter(|n| !self.board.iter().any(|b| b == n))
            .collect();
        if free.is_empty() {
            return;
        }
        let n = free[self.pick(free.len() as u32) as usize].to_owned();
        self.line(depth, &format!("write {n} = {e}"));
        self.gone.retain(|g| *g != n);
        self.board.push(n.clone());
        if let Some(f) = self.frames.last_mut() {
            f.1.push(n);
        }
    }

    fn forget(&mut self, depth: usize) {
        let sloppy = self.shape.sloppy;
        if sloppy && self.chance(6) {
            // Forget something not on the board, or that the loop found.
            let pool: Vec<String> = match self.frames.last() {
                Some(f) if !f.0.is_empty() && self.at.is_multiple_of(2) => f.0.clone(),
                _ => self.gone.clone(),
            };
            if let Some(n) = pool.first() {
                let n = n.clone();
                self.line(depth, &format!("forget {n}"));
                if let Some(i) = self.board.iter().position(|b| *b == n) {
                    self.board.remove(i);
                    self.gone.push(n);
                }
                return;
            }
        }
        let allowed: Vec<String> = match self.frames.last() {
            Some(f) => {
                f.1.iter()
                    .filter(|n| self.board.contains(n))
                    .cloned()
                    .collect()
            }
            None => self.board.clone(),
        };
        if allowed.is_empty() {
            return;
        }
        let n = allowed[self.pick(allowed.len() as u32) as usize].clone();
        self.line(depth, &format!("forget {n}"));
        self.board.retain(|b| *b != n);
        self.gone.push(n);
    }

    fn body(&mut self, depth: usize) {
        self.frames.push((self.board.clone(), Vec::new()));
        let n = 1 + self.pick(4);
        for _ in 0..n {
            self.stmt(depth + 1);
        }
        let Some((_, new)) = self.frames.pop() else {
            return;
        };
        // Leave the board as the loop found it (unless sloppy says not to).
        let left: Vec<String> = new.into_iter().filter(|n| self.board.contains(n)).collect();
        let keep = self.shape.sloppy && self.chance(8);
        if !left.is_empty() && !keep {
            self.line(depth + 1, &format!("forget {}", left.join(", ")));
            self.board.retain(|b| !left.contains(b));
            self.gone.extend(left);
        }
    }

    fn repeat(&mut self, depth: usize) {
        let k = self.shape.min_repeat + self.pick(3);
        self.line(depth, &format!("repeat {k} {{"));
        self.body(depth);
        self.line(depth, "}");
    }

    fn each(&mut self, depth: usize) {
        let streams = if self.chance(2) { "x" } else { "x, y" };
        self.line(depth, &format!("each {streams} {{"));
        self.in_each = true;
        self.body(depth);
        self.in_each = false;
        self.line(depth, "}");
    }

    fn operand(&mut self) -> String {
        let mut pool: Vec<String> = vec!["a".into(), "b".into(), "1".into()];
        pool.extend(self.board.iter().cloned());
        pool.extend(self.board.iter().cloned());
        if self.in_each {
            pool.push("x".into());
        }
        pool[self.pick(pool.len() as u32) as usize].clone()
    }

    fn expr(&mut self) -> String {
        let mut e = self.operand();
        for _ in 0..self.pick(3) {
            let op = if self.chance(2) { "+" } else { "-" };
            e = format!("{e} {op} {}", self.operand());
        }
        if self.chance(6) {
            let f = if self.chance(2) { "min" } else { "max" };
            e = format!("{f}({e}, {})", self.operand());
        }
        e
    }
}

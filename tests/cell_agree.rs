//! The cell and the interpreter agree bit for bit: every read (value bits,
//! text, line, element) and every error (code, statement, element, message),
//! on every example and on generated programs, one input set at a time and in
//! batches, where each batch row equals its one-by-one run.

use proptest::prelude::*;

use wb::cell::{self, Batch, Cell, Engine, Sink};
use wb::check::{self, Analysis};
use wb::diag::Diagnostic;
use wb::interp::{self, Bindings, Limits, Machine, Overrides, Read};
use wb::syntax::{self, Program};

/// A program parsed, checked and compiled.
struct Compiled {
    src: String,
    program: Program,
    analysis: Analysis,
    cell: Cell,
}

fn compile(src: &str) -> Result<Compiled, String> {
    let parsed = syntax::parse(src);
    if !parsed.diagnostics.is_empty() {
        return Err(format!("syntax: {:?}", parsed.diagnostics[0].message));
    }
    let analysis = check::check(&parsed.program, None);
    if analysis.has_errors() {
        let first = analysis.diagnostics.iter().find(|d| d.is_error());
        return Err(format!("check: {:?}", first.map(|d| &d.message)));
    }
    let cell = cell::compile(&parsed.program, &analysis, src).map_err(|d| d.message)?;
    Ok(Compiled {
        src: src.to_owned(),
        program: parsed.program,
        analysis,
        cell,
    })
}

/// A read as a user sees it: text, line, value bits, element.
type Shown = (String, usize, u64, Option<u64>);

/// What one run shows a user: the reads and the error.
#[derive(Debug, PartialEq)]
struct Run {
    reads: Vec<Shown>,
    error: Option<Diagnostic>,
}

fn shown(reads: &[Read]) -> Vec<Shown> {
    reads
        .iter()
        .map(|r| (r.text.clone(), r.line, r.value.to_bits(), r.index))
        .collect()
}

fn interp_run(c: &Compiled, bindings: &Bindings) -> (Run, usize) {
    let capacity = c.analysis.capacity.unwrap_or(0);
    let mut m = Machine::new(
        &c.program,
        &c.src,
        &c.analysis.symbols,
        capacity,
        bindings.clone(),
    );
    let mut reads = Vec::new();
    let r = m.run(&c.program.items, &mut reads, Limits::default());
    let peak = m.peak();
    (
        Run {
            reads: shown(&reads),
            error: r.err(),
        },
        peak,
    )
}

fn cell_run(c: &Compiled, bindings: &Bindings) -> (Run, Option<usize>) {
    let mut reads = Vec::new();
    let r = Engine::new(&c.cell).run_one(bindings, &mut reads);
    let peak = r.as_ref().ok().copied();
    (
        Run {
            reads: shown(&reads),
            error: r.err(),
        },
        peak,
    )
}

/// Collects a batch's reads per row.
struct Rows<'a> {
    cell: &'a Cell,
    rows: Vec<Vec<Shown>>,
}

impl Sink for Rows<'_> {
    fn read(
        &mut self,
        site: usize,
        first: usize,
        values: &[f64],
        rows: Option<&[bool]>,
        index: Option<u64>,
    ) {
        let s = &self.cell.reads[site];
        for (k, v) in values.iter().enumerate() {
            if rows.is_none_or(|r| r[k]) {
                self.rows[first + k].push((s.text.clone(), s.line, v.to_bits(), index));
            }
        }
    }
}

fn cell_batch(c: &Compiled, rows: &[Bindings], chunk: usize) -> Vec<Run> {
    let batch = Batch::from_bindings(&c.cell, rows);
    let mut sink = Rows {
        cell: &c.cell,
        rows: vec![Vec::new(); rows.len()],
    };
    let outcome = Engine::with_chunk(&c.cell, chunk)
        .run(&batch, &mut sink)
        .expect("the batch fits the cell");
    let mut errors: Vec<Option<Diagnostic>> = vec![None; rows.len()];
    for (row, d) in outcome.failures {
        errors[row] = Some(d);
    }
    sink.rows
        .into_iter()
        .zip(errors)
        .map(|(reads, error)| Run { reads, error })
        .collect()
}

/// The error as a batch reports it: everything but the board note, whose
/// highest slot is tracked per chunk of rows, not per row.
fn without_note(mut run: Run) -> Run {
    if let Some(d) = &mut run.error {
        d.note = None;
    }
    run
}

/// Both engines on `rows`: one by one, then as batches of every row with
/// chunks of 1, 3 and the default size.
fn agree(c: &Compiled, rows: &[Bindings]) -> Result<(), String> {
    let mut expected = Vec::new();
    for b in rows {
        let (want, want_peak) = interp_run(c, b);
        let (got, got_peak) = cell_run(c, b);
        if want != got {
            return Err(format!(
                "one row {b:?}\ninterp: {want:#?}\ncell:   {got:#?}"
            ));
        }
        if want.error.is_none() && Some(want_peak) != got_peak {
            return Err(format!("peak: interp {want_peak}, cell {got_peak:?}"));
        }
        expected.push(without_note(want));
    }
    for chunk in [1, 3, Engine::new(&c.cell).chunk()] {
        let got: Vec<Run> = cell_batch(c, rows, chunk)
            .into_iter()
            .map(without_note)
            .collect();
        for (i, (w, g)) in expected.iter().zip(&got).enumerate() {
            if w != g {
                return Err(format!(
                    "batch (chunk {chunk}) row {i} {:?}\none by one: {w:#?}\nbatch:      {g:#?}",
                    rows[i]
                ));
            }
        }
    }
    Ok(())
}

fn defaults(c: &Compiled) -> Option<Bindings> {
    interp::bind(&c.analysis.symbols, &c.program.names, &Overrides::default()).ok()
}

#[test]
fn every_example_agrees() {
    let mut seen = 0;
    let mut paths: Vec<_> = std::fs::read_dir("examples")
        .expect("examples/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wb"))
        .collect();
    paths.sort();
    for path in paths {
        let src = std::fs::read_to_string(&path).expect("an example is readable");
        let Ok(c) = compile(&src) else { continue };
        let Some(b) = defaults(&c) else { continue };
        // The defaults, and a batch mixing them with a few variations.
        let mut rows = vec![b.clone()];
        for scale in [2.0, -1.0, 0.0] {
            let mut v = b.clone();
            for s in &mut v.scalars {
                *s *= scale;
            }
            for st in &mut v.streams {
                for x in st.iter_mut() {
                    *x *= scale;
                }
            }
            rows.push(v);
        }
        if let Err(e) = agree(&c, &rows) {
            panic!("{}: {e}", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 1, "no example was compared");
}

#[test]
fn whiteboard_is_181_in_a_batch() {
    let src = std::fs::read_to_string("examples/whiteboard.wb").expect("the example exists");
    let c = compile(&src).expect("it compiles");
    assert_eq!(c.cell.units, 3);
    let b = defaults(&c).expect("it has defaults");
    let runs = cell_batch(&c, &[b.clone(), b], 2);
    for r in runs {
        assert_eq!(
            r.reads,
            vec![("result".to_owned(), 14, 181f64.to_bits(), None)]
        );
        assert!(r.error.is_none());
    }
}

#[test]
fn accumulations_and_their_lookalikes() {
    // `s + x` and `x + s` are the carousel; `s + x + 1` is `(s + x) + 1`.
    let src = "board 2\nstream x = [0.1, 0.2, 0.3, 1e308, 1e308]\nwrite s = 0\nwrite t = 0\neach x {\n  write s = s + x\n  write t = x + t + 0.7\n  read s, t\n}\n";
    let c = compile(src).expect("it compiles");
    let text = cell::table::render(&c.cell, 80);
    assert!(text.contains("u[0] ← c[0] + x"), "{text}");
    assert!(text.contains("u[1] ← x + h[1] + 0.7"), "{text}");
    let b = defaults(&c).expect("defaults");
    agree(&c, &[b]).unwrap();
    let (run, _) = cell_run(&c, &defaults(&c).expect("defaults"));
    let d = run.error.expect("1e308 + 1e308 overflows");
    assert_eq!(d.code.as_str(), "wb::not_finite");
    assert_eq!(d.index, Some(4));
}

#[test]
fn a_closed_when_gate_ignores_the_error_in_its_value() {
    let src = "board 1\ninput d = 0\nwrite y = 1\nwrite y = 1 / d when d != 0\nread y\n";
    let c = compile(src).expect("it compiles");
    let b = defaults(&c).expect("defaults");
    let mut open = b.clone();
    open.scalars[0] = 4.0;
    agree(&c, &[b.clone(), open.clone(), b]).unwrap();
    let runs = cell_batch(&c, &[open], 8);
    assert_eq!(runs[0].reads[0].2, 0.25f64.to_bits());
}

#[test]
fn rows_failing_in_planned_steps_leave_the_others_alone() {
    // Every step here is planned (straight-line, ungated writes), and a row
    // can fail in the first step, in a later one, or in a read after a
    // forget: each failing row must report what the interpreter reports and
    // the rows around it, in the same chunk, must go on unchanged.
    let src = "board 3\ninput a = 1, b = 1\nwrite q = a / b\nwrite r = q * 1e300\nforget q\nwrite s = r + a\nread s, r / b\nforget r\nread s * 1e-300\n";
    let c = compile(src).expect("it compiles");
    let b = defaults(&c).expect("defaults");
    let rows: Vec<Bindings> = (0..300)
        .map(|i| {
            let mut row = b.clone();
            row.scalars[0] = (i % 7) as f64 - 3.0;
            // b = 0 fails in the first step; tiny b overflows in the second;
            // others are fine.
            row.scalars[1] = match i % 11 {
                0 => 0.0,
                1 => 1e-20,
                _ => (i % 5) as f64 + 0.5,
            };
            row
        })
        .collect();
    agree(&c, &rows).unwrap();
    let runs = cell_batch(&c, &rows, Engine::new(&c.cell).chunk());
    let codes: Vec<Option<&str>> = runs
        .iter()
        .take(3)
        .map(|r| r.error.as_ref().map(|d| d.code.as_str()))
        .collect();
    assert_eq!(codes, [Some("wb::div_zero"), Some("wb::not_finite"), None]);
}

// ---------------------------------------------------------------------------
// Generated programs.

/// SplitMix64: a small deterministic generator driven by proptest's seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const LITERALS: [&str; 12] = [
    "0", "1", "2", "0.5", "3", "2.5", "0.001", "1e300", "7", "0.1", "10", "1e-300",
];
const VALUES: [f64; 14] = [
    0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0, -2.5, 1e-3, 1e300, -1e300, 7.0, 0.1, 0.75,
];
const BINOPS: [&str; 12] = [
    "+", "-", "*", "/", "%", "^", "<", "<=", ">", ">=", "==", "!=",
];
const FUNCS: [&str; 6] = ["abs", "sqrt", "exp", "ln", "tanh", "sigmoid"];

struct Gen {
    rng: Rng,
    cap: usize,
    board: Vec<String>,
    used: Vec<String>,
    elements: Vec<&'static str>,
    lines: Vec<String>,
}

impl Gen {
    fn expr(&mut self, depth: usize) -> String {
        if depth == 0 || self.rng.chance(35) {
            let mut leaves: Vec<String> = vec!["a".into(), "b".into()];
            leaves.extend(self.board.iter().cloned());
            leaves.extend(self.board.iter().cloned());
            leaves.extend(self.elements.iter().map(|s| s.to_string()));
            leaves.extend(self.elements.iter().map(|s| s.to_string()));
            if self.rng.chance(30) {
                return self.rng.pick(&LITERALS).to_string();
            }
            return self.rng.pick(&leaves).clone();
        }
        match self.rng.below(10) {
            0 => format!("-{}", self.expr(depth - 1)),
            1 => format!("{}({})", self.rng.pick(&FUNCS), self.expr(depth - 1)),
            2 => format!(
                "{}({}, {})",
                if self.rng.chance(50) { "min" } else { "max" },
                self.expr(depth - 1),
                self.expr(depth - 1)
            ),
            3 => format!("({})", self.expr(depth - 1)),
            _ => {
                let op = *self.rng.pick(&BINOPS);
                let (l, r) = (self.expr(depth - 1), self.expr(depth - 1));
                if op.len() > 1 || "<>".contains(op) {
                    // Comparisons do not chain: parenthesise the operands.
                    format!("(({l}) {op} ({r}))")
                } else {
                    format!("{l} {op} {r}")
                }
            }
        }
    }

    fn emit(&mut self, indent: usize, text: String) {
        self.lines.push(format!("{}{text}", "  ".repeat(indent)));
    }

    fn block(&mut self, indent: usize, count: usize, loops: usize, in_each: bool) {
        let mut fresh: Vec<String> = Vec::new();
        for _ in 0..count {
            let on = self.board.clone();
            match self.rng.below(14) {
                0..=2 if self.board.len() < self.cap => {
                    let name = if !self.used.is_empty() && self.rng.chance(30) {
                        let n = self.rng.pick(&self.used).clone();
                        if self.board.contains(&n) {
                            format!("t{}", self.used.len())
                        } else {
                            n
                        }
                    } else {
                        format!("t{}", self.used.len())
                    };
                    let e = self.expr(2);
                    self.emit(indent, format!("write {name} = {e}"));
                    self.board.push(name.clone());
                    if !self.used.contains(&name) {
                        self.used.push(name.clone());
                    }
                    fresh.push(name);
                }
                3 if !on.is_empty() => {
                    let n = self.rng.pick(&on).clone();
                    let e = self.expr(2);
                    self.emit(indent, format!("write {n} = {e}"));
                }
                4 | 5 if !on.is_empty() => {
                    let n = self.rng.pick(&on).clone();
                    let e = self.expr(1);
                    let text = match self.rng.below(4) {
                        0 => format!("write {n} = {n} + {e}"),
                        1 => format!("write {n} = {e} + {n}"),
                        2 => format!("write {n} = {n} + {e} + {}", self.expr(0)),
                        _ => format!("write {n} = {n} - {e}"),
                    };
                    self.emit(indent, text);
                }
                6 if !on.is_empty() => {
                    let n = self.rng.pick(&on).clone();
                    let (e, c) = (self.expr(2), self.expr(1));
                    self.emit(indent, format!("write {n} = {e} when {c}"));
                }
                7 if !on.is_empty() => {
                    let n = self.rng.pick(&on).clone();
                    let e = self.expr(2);
                    let g = match self.rng.below(4) {
                        0 => "0.5".to_owned(),
                        1 => format!("sigmoid({})", self.expr(1)),
                        2 => self.expr(1),
                        _ => self.rng.pick(&["0", "1", "0.25"]).to_string(),
                    };
                    self.emit(indent, format!("write {n} = {e} gate {g}"));
                }
                8 => {
                    let forgettable: Vec<String> = if loops > 0 {
                        fresh
                            .iter()
                            .filter(|n| self.board.contains(n))
                            .cloned()
                            .collect()
                    } else {
                        on.clone()
                    };
                    if !forgettable.is_empty() {
                        let n = self.rng.pick(&forgettable).clone();
                        self.board.retain(|m| *m != n);
                        fresh.retain(|m| *m != n);
                        self.emit(indent, format!("forget {n}"));
                    }
                }
                9 | 10 => {
                    let e = self.expr(2);
                    if self.rng.chance(30) {
                        let f = self.expr(1);
                        self.emit(indent, format!("read {e}, {f}"));
                    } else {
                        self.emit(indent, format!("read {e}"));
                    }
                }
                11 if !in_each && loops < 2 => {
                    let zipped: &[&'static str] = if self.rng.chance(30) {
                        &["x", "y"]
                    } else {
                        &["x"]
                    };
                    self.emit(indent, format!("each {} {{", zipped.join(", ")));
                    self.elements = zipped.to_vec();
                    let n = 1 + self.rng.below(5);
                    self.block(indent + 1, n, loops + 1, true);
                    self.elements.clear();
                    self.emit(indent, "}".into());
                }
                12 if loops < 2 => {
                    let times = self.rng.below(4);
                    self.emit(indent, format!("repeat {times} {{"));
                    let n = 1 + self.rng.below(4);
                    self.block(indent + 1, n, loops + 1, in_each);
                    self.emit(indent, "}".into());
                }
                _ => {
                    let e = self.expr(1);
                    self.emit(indent, format!("read {e}"));
                }
            }
        }
        if loops > 0 {
            let left: Vec<String> = fresh
                .iter()
                .filter(|n| self.board.contains(n))
                .cloned()
                .collect();
            if !left.is_empty() {
                self.board.retain(|m| !left.contains(m));
                self.emit(indent, format!("forget {}", left.join(", ")));
            }
        }
    }
}

fn program(seed: u64) -> String {
    let mut g = Gen {
        rng: Rng(seed),
        cap: 0,
        board: Vec::new(),
        used: Vec::new(),
        elements: Vec::new(),
        lines: Vec::new(),
    };
    g.cap = 2 + g.rng.below(4);
    let n = 3 + g.rng.below(12);
    g.block(0, n, 0, false);
    let body = g.lines.join("\n");
    format!(
        "board {}\ninput a = 2, b = 0.5\nstream x = [1, 2, 3], y = [0.5, 0, -1]\n{body}\n",
        g.cap
    )
}

fn random_rows(seed: u64, count: usize) -> Vec<Bindings> {
    let mut rng = Rng(seed ^ 0x5555_5555);
    (0..count)
        .map(|_| {
            let len = rng.below(5);
            let other = if rng.chance(15) { rng.below(5) } else { len };
            let mut seq = |l: usize| (0..l).map(|_| *rng.pick(&VALUES)).collect::<Vec<_>>();
            let x = seq(len);
            let y = seq(other);
            Bindings {
                scalars: vec![*rng.pick(&VALUES), *rng.pick(&VALUES)],
                streams: vec![x, y],
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn generated_programs_agree(seed in any::<u64>(), count in 1usize..7) {
        let src = program(seed);
        let c = compile(&src).map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
        let mut rows = vec![defaults(&c).expect("every input has a default")];
        rows.extend(random_rows(seed, count));
        if let Err(e) = agree(&c, &rows) {
            return Err(TestCaseError::fail(format!("{e}\nprogram:\n{src}")));
        }
    }
}

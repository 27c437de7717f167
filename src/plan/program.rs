//! Programs with loops (`each`, `repeat`) and gated writes (`when`,
//! `gate`): the straight-line parts planned, the loops and gated writes
//! kept as units between them.
//!
//! A gated write is kept whole, as written: a `when` write's value is not
//! evaluated where its gate is closed, so it cannot be split into
//! unconditional steps; a `gate` write blends with the old value in place.
//! Its expressions cost no slots; the board values they name are on the
//! board under their names when it runs. A loop is kept as a loop; its body
//! is planned the same way, under rule 3: the names the body finds on the
//! board and uses are held to its end (never forgotten inside it), and what
//! it writes new it forgets before the end.
//!
//! Between the units, each straight-line part is planned by [`super::plan`]
//! with each value written once: the names on the board where it begins are
//! values it holds from the start ([`super::dataflow::Operation::Held`]),
//! the names the rest of the program needs are left on the board at its end
//! under their names. Which names those are is a backward liveness pass
//! over the parts. The slots of the whole are measured by the checker on
//! the program written; no optimality is claimed across the parts.
//!
//! It must not know how programs are run: it reads the syntax tree and
//! writes program text, which the checker measures.

use std::collections::HashSet;

use super::dataflow;
use super::emit;
use super::{Options, Stopped};
use crate::diag::{Code, Diagnostic};
use crate::syntax::{Gate, Item, NameId, Names, OpKind, Program, Stmt, StmtKind};

/// A program with units, planned.
#[derive(Clone, Debug)]
pub struct Planned {
    /// The statements (no header, `board` or declarations).
    pub body: String,
    /// The `input` and `stream` lines.
    pub declarations: String,
    /// The slots the program needs (the checker's peak).
    pub slots: usize,
    /// `write` statements in the text (a loop's count once).
    pub writes: usize,
    /// A lower bound on the slots, proven in the model where each unit
    /// reads its names from the board (docs/plan.md).
    pub lower_bound: usize,
    /// Loops and gated writes kept as units.
    pub units: usize,
    /// Reads whose name had to change, as `original → used`.
    pub renamed: Vec<(String, String)>,
    /// Why a part's search stopped early, if one did.
    pub stopped: Option<Stopped>,
}

/// Whether the program has a loop, a stream or a gated write: what
/// [`plan`] (rather than [`super::plan`] on the whole dataflow) plans.
pub fn has_units(program: &Program) -> bool {
    program.items.iter().any(|i| match i {
        Item::Stream(..) => true,
        Item::Stmt(s) => is_unit(s),
        _ => false,
    })
}

fn is_unit(s: &Stmt) -> bool {
    matches!(
        s.kind,
        StmtKind::Write { gate: Some(_), .. } | StmtKind::Each { .. } | StmtKind::Repeat { .. }
    )
}

/// One part of a block.
enum Part<'a> {
    Straight(Vec<&'a Stmt>),
    Unit(&'a Stmt),
}

/// Names over the program's name table.
type Set = Vec<bool>;

struct Planner<'a> {
    names: &'a Names,
    free: Set,
    is_input: Set,
    reserved: Vec<String>,
    opts: &'a Options<'a>,
    explain: bool,
    used_inputs: Set,
    lower_bound: usize,
    units: usize,
    renamed: Vec<(String, String)>,
    stopped: Option<Stopped>,
}

/// What a list of statements reads before writing, writes, and whether it
/// reads (a loop body's writes may not happen: they are not "written" for
/// what follows the loop).
#[derive(Default)]
struct Scan {
    exposed: Set,
    written: Set,
    reads: bool,
}

impl Planner<'_> {
    fn scan(&self, stmts: &[&Stmt], written: &mut Set, out: &mut Scan) {
        let n = self.names.len();
        out.exposed.resize(n, false);
        out.written.resize(n, false);
        let expose = |id: NameId, written: &Set, out: &mut Scan| {
            if !self.free[id.index()] && !written[id.index()] {
                out.exposed[id.index()] = true;
            }
        };
        for s in stmts {
            match &s.kind {
                StmtKind::Write {
                    target,
                    value,
                    gate,
                } => {
                    value.names().for_each(|x| expose(x.id, written, out));
                    if let Some(g) = gate {
                        g.expr().names().for_each(|x| expose(x.id, written, out));
                        expose(target.id, written, out);
                    }
                    written[target.id.index()] = true;
                    out.written[target.id.index()] = true;
                }
                StmtKind::Forget(_) => {}
                StmtKind::Read(es) => {
                    out.reads = true;
                    for e in es {
                        e.names().for_each(|x| expose(x.id, written, out));
                    }
                }
                StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => {
                    let mut inner = written.clone();
                    let body: Vec<&Stmt> = body.iter().collect();
                    self.scan(&body, &mut inner, out);
                }
            }
        }
    }

    /// Backward liveness: `live` after `stmts` becomes `live` before them.
    /// A write no later statement needs is not planned, so what it reads is
    /// not needed for it; a loop's body may run any number of times (a
    /// fixed point), or none.
    fn live_before(&self, stmts: &[&Stmt], live: &mut Set) {
        let add = |e: &crate::syntax::Expr, live: &mut Set| {
            for x in e.names() {
                if !self.free[x.id.index()] {
                    live[x.id.index()] = true;
                }
            }
        };
        for st in stmts.iter().rev() {
            match &st.kind {
                StmtKind::Write {
                    target,
                    value,
                    gate,
                } => {
                    if live[target.id.index()] {
                        match gate {
                            // The old value stays where the gate is closed.
                            Some(g) => add(g.expr(), live),
                            None => live[target.id.index()] = false,
                        }
                        add(value, live);
                    }
                }
                StmtKind::Read(es) => es.iter().for_each(|e| add(e, live)),
                StmtKind::Forget(_) => {}
                StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => {
                    let body: Vec<&Stmt> = body.iter().collect();
                    let after = live.clone();
                    loop {
                        let mut inner = live.clone();
                        self.live_before(&body, &mut inner);
                        let next: Set = after.iter().zip(&inner).map(|(a, b)| *a || *b).collect();
                        if next == *live {
                            break;
                        }
                        *live = next;
                    }
                }
            }
        }
    }

    fn scan_of(&self, stmts: &[&Stmt]) -> Scan {
        let mut s = Scan::default();
        self.scan(stmts, &mut vec![false; self.names.len()], &mut s);
        s
    }

    /// Plans `stmts`, whose board holds `board` where they begin, leaving
    /// `out` on the board where they end; `last` for the program's own
    /// end (nothing follows: its last forgets are left out), `pinned` for
    /// a loop body's names that it may not forget.
    #[allow(clippy::too_many_arguments)]
    fn block(
        &mut self,
        stmts: &[&Stmt],
        mut board: Set,
        out: &Set,
        last: bool,
        pinned: &[String],
        text: &mut String,
        depth: usize,
    ) -> Result<(), Vec<Diagnostic>> {
        // Parts: a straight part before, between and after every unit.
        let mut parts: Vec<Part> = vec![Part::Straight(Vec::new())];
        for &s in stmts {
            if is_unit(s) {
                parts.push(Part::Unit(s));
                parts.push(Part::Straight(Vec::new()));
            } else if let Some(Part::Straight(v)) = parts.last_mut() {
                v.push(s);
            }
        }
        // Backward: what is live after each part, and which units are needed.
        let mut live = out.clone();
        let mut after: Vec<Set> = vec![Vec::new(); parts.len()];
        let mut needed = vec![true; parts.len()];
        for (i, part) in parts.iter().enumerate().rev() {
            after[i] = live.clone();
            match part {
                Part::Straight(ss) => self.live_before(ss, &mut live),
                Part::Unit(s) => {
                    let sc = self.scan_of(&[*s]);
                    let keep = match &s.kind {
                        StmtKind::Write { target, .. } => live[target.id.index()],
                        _ => sc.reads || sc.written.iter().zip(&live).any(|(w, l)| *w && *l),
                    };
                    needed[i] = keep;
                    if keep {
                        self.live_before(&[*s], &mut live);
                    }
                }
            }
        }
        let n = self.names.len();
        let ids = |s: &Set| -> Vec<NameId> {
            (0..n).filter(|&k| s[k]).map(|k| NameId(k as u32)).collect()
        };
        let end = parts.len() - 1;
        for (i, part) in parts.iter().enumerate() {
            match part {
                Part::Straight(ss) => {
                    let held = ids(&board);
                    let keep = ids(&after[i]);
                    if ss.is_empty() && held == keep {
                        continue;
                    }
                    let flow = dataflow::from_part(ss, self.names, &self.free, &held, &keep);
                    let opts = Options {
                        capacity: None,
                        recompute: false,
                        ..*self.opts
                    };
                    let Ok(p) = super::plan(&flow, &opts) else {
                        // Without a capacity every dataflow has a plan.
                        return Err(vec![Diagnostic::global(Code::NoPlan, "no plan found")]);
                    };
                    // The bound of the part's trees of values used once
                    // and of its writes' operands: values held from before
                    // are used more than once, so the bound holds for every
                    // plan, whatever it holds where (docs/plan.md).
                    let need = flow.needed();
                    let uses = flow.uses(&need);
                    let labels = super::order::labels(&flow, &need);
                    if need.iter().any(|&x| x) {
                        let b = super::order::lower_bound(&flow, &need, &uses, &labels);
                        self.lower_bound = self.lower_bound.max(b);
                    }
                    self.stopped = self.stopped.or(p.stopped);
                    let used = emit::used_inputs(&flow);
                    for (k, u) in used.iter().enumerate() {
                        if *u && self.is_input[k] {
                            self.used_inputs[k] = true;
                        }
                    }
                    let style = emit::Style {
                        explain: self.explain,
                        forget_all: !(last && i == end),
                        reserved: &self.reserved,
                        pinned,
                    };
                    let w = emit::write(&flow, &p.steps, style, false);
                    let holds: HashSet<&str> = held
                        .iter()
                        .chain(&keep)
                        .map(|&id| self.names.text(id))
                        .collect();
                    if let Some((from, _)) = w
                        .renamed
                        .iter()
                        .find(|(f, _)| w.clobbered && holds.contains(f.as_str()))
                    {
                        let at = ss
                            .first()
                            .map_or_else(|| stmts.first().map(|s| s.span), |s| Some(s.span));
                        let why = format!(
                            "this part's plan would hold two values named `{from}` at once, and a loop or gated write next to it needs the name"
                        );
                        return Err(vec![match at {
                            Some(span) => dataflow::unsupported(
                                span,
                                "this order of writes of one name",
                                &why,
                            ),
                            None => Diagnostic::global(Code::PlanUnsupported, why),
                        }]);
                    }
                    self.renamed.extend(w.renamed);
                    let pad = "  ".repeat(depth);
                    for line in w.body.lines() {
                        text.push_str(&pad);
                        text.push_str(line);
                        text.push('\n');
                    }
                    board = after[i].clone();
                }
                Part::Unit(s) => {
                    if !needed[i] {
                        continue;
                    }
                    self.units += 1;
                    self.unit(s, &board, &after[i], text, depth)?;
                }
            }
        }
        Ok(())
    }

    /// A gated write as written, or a loop with its body planned.
    fn unit(
        &mut self,
        s: &Stmt,
        board: &Set,
        after: &Set,
        text: &mut String,
        depth: usize,
    ) -> Result<(), Vec<Diagnostic>> {
        let pad = "  ".repeat(depth);
        match &s.kind {
            StmtKind::Write {
                target,
                value,
                gate: Some(g),
            } => {
                let mut reads = HashSet::new();
                for x in value.names().chain(g.expr().names()) {
                    if self.is_input[x.id.index()] {
                        self.used_inputs[x.id.index()] = true;
                    }
                    if !self.free[x.id.index()] {
                        reads.insert(x.id);
                    }
                }
                reads.insert(target.id);
                self.lower_bound = self.lower_bound.max(reads.len());
                let (word, e) = match &**g {
                    Gate::When(e) => ("when", e),
                    Gate::Soft(e) => ("gate", e),
                };
                text.push_str(&format!(
                    "{pad}write {} = {} {word} {}\n",
                    self.names.text(target.id),
                    render(&value.ops, self.names),
                    render(&e.ops, self.names)
                ));
            }
            StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => {
                let stmts: Vec<&Stmt> = body.iter().collect();
                let sc = self.scan_of(&stmts);
                // The names the body finds on the board and uses: held to
                // its end, never forgotten inside it.
                // Live around the body: after the loop, or in the next
                // iteration (the fixed point `live_before` reaches).
                let mut around: Set = after.clone();
                self.live_before(&[s], &mut around);
                let mine: Set = (0..self.names.len())
                    .map(|k| board[k] && around[k] && (sc.exposed[k] || sc.written[k]))
                    .collect();
                let pinned: Vec<String> = (0..self.names.len())
                    .filter(|&k| mine[k])
                    .map(|k| self.names.text(NameId(k as u32)).to_owned())
                    .collect();
                self.lower_bound = self.lower_bound.max(pinned.len());
                let head = match &s.kind {
                    StmtKind::Each { streams, .. } => {
                        streams
                            .iter()
                            .for_each(|x| self.used_inputs[x.id.index()] = true);
                        let list: Vec<&str> =
                            streams.iter().map(|x| self.names.text(x.id)).collect();
                        format!("each {}", list.join(", "))
                    }
                    StmtKind::Repeat { count, .. } => format!("repeat {count}"),
                    _ => String::new(),
                };
                text.push_str(&format!("{pad}{head} {{\n"));
                self.block(&stmts, mine.clone(), &mine, false, &pinned, text, depth + 1)?;
                text.push_str(&format!("{pad}}}\n"));
            }
            _ => {}
        }
        Ok(())
    }
}

/// An expression as text, parenthesised so that it parses to the same
/// operations in the same order (an explicit stack, no recursion).
pub fn render(ops: &[crate::syntax::Op], names: &Names) -> String {
    // (text, whether it needs no parentheses as an operand)
    let mut stack: Vec<(String, bool)> = Vec::new();
    let wrap = |(t, atom): (String, bool)| if atom { t } else { format!("({t})") };
    for op in ops {
        let item = match op.kind() {
            OpKind::Num(x) => (crate::number::format(x), x >= 0.0),
            OpKind::Name(id) => (names.text(id).to_owned(), true),
            OpKind::Neg => {
                let x = stack.pop().unwrap_or_default();
                (format!("-{}", wrap(x)), false)
            }
            OpKind::Bin(b) => {
                let y = stack.pop().unwrap_or_default();
                let x = stack.pop().unwrap_or_default();
                (format!("{} {} {}", wrap(x), b.symbol(), wrap(y)), false)
            }
            OpKind::Call(f) => {
                let k = f.arity().min(stack.len());
                let at = stack.len() - k;
                let args: Vec<String> = stack.drain(at..).map(|(t, _)| t).collect();
                (format!("{}({})", f.name(), args.join(", ")), true)
            }
        };
        stack.push(item);
    }
    stack.pop().map(|(t, _)| t).unwrap_or_default()
}

/// Plans a checked program with units (see [`has_units`]); `defaults`
/// override the inputs' defaults.
pub fn plan(
    program: &Program,
    opts: &Options<'_>,
    explain: bool,
    defaults: &[(String, f64)],
) -> Result<Planned, Vec<Diagnostic>> {
    let names = &program.names;
    let n = names.len();
    let mut free = vec![false; n];
    let mut is_input = vec![false; n];
    let mut decls: Vec<(NameId, String)> = Vec::new();
    let mut streams: Vec<(NameId, String)> = Vec::new();
    let mut stmts: Vec<&Stmt> = Vec::new();
    for item in &program.items {
        match item {
            Item::Input(ds, _) => {
                for d in ds {
                    free[d.name.id.index()] = true;
                    is_input[d.name.id.index()] = true;
                    let text = names.text(d.name.id);
                    let default = defaults
                        .iter()
                        .find(|(x, _)| x == text)
                        .map(|(_, v)| *v)
                        .or(d.default);
                    decls.push((
                        d.name.id,
                        match default {
                            Some(v) => format!("{text} = {}", crate::number::format(v)),
                            None => text.to_owned(),
                        },
                    ));
                }
            }
            Item::Stream(ds, _) => {
                for d in ds {
                    free[d.name.id.index()] = true;
                    let text = names.text(d.name.id);
                    match &d.default {
                        Some(xs) => {
                            let list: Vec<String> =
                                xs.iter().map(|x| crate::number::format(*x)).collect();
                            streams.push((
                                d.name.id,
                                format!("stream {text} = [{}]\n", list.join(", ")),
                            ));
                        }
                        None => streams.push((d.name.id, format!("stream {text}\n"))),
                    }
                }
            }
            Item::Stmt(s) => stmts.push(s),
            Item::Board(_) => {}
        }
    }
    let mut planner = Planner {
        names,
        free,
        is_input,
        reserved: (0..n)
            .map(|k| names.text(NameId(k as u32)).to_owned())
            .collect(),
        opts,
        explain,
        used_inputs: vec![false; n],
        lower_bound: 1,
        units: 0,
        renamed: Vec::new(),
        stopped: None,
    };
    let mut body = String::new();
    planner.block(
        &stmts,
        vec![false; n],
        &vec![false; n],
        true,
        &[],
        &mut body,
        0,
    )?;
    let used: Vec<&str> = decls
        .iter()
        .filter(|(id, _)| planner.used_inputs[id.index()])
        .map(|(_, t)| t.as_str())
        .collect();
    let mut declarations = String::new();
    if !used.is_empty() {
        declarations.push_str(&format!("input {}\n", used.join(", ")));
    }
    for (id, line) in &streams {
        if planner.used_inputs[id.index()] {
            declarations.push_str(line);
        }
    }
    // The slots, as the checker counts them on the program written.
    let whole = format!("board {}\n{declarations}{body}", crate::check::MAX_CAPACITY);
    let parsed = crate::syntax::parse(&whole);
    let analysis = crate::check::check(&parsed.program, Some(crate::check::MAX_CAPACITY));
    if !parsed.diagnostics.is_empty() || analysis.has_errors() {
        let first = parsed
            .diagnostics
            .iter()
            .chain(analysis.diagnostics.iter().filter(|d| d.is_error()))
            .next()
            .map_or_else(String::new, |d| d.message.clone());
        return Err(vec![Diagnostic::global(
            Code::PlanUnsupported,
            format!("`wb plan` built a program that does not check ({first}); this is a bug in `wb plan`"),
        )]);
    }
    let writes = body
        .lines()
        .filter(|l| l.trim_start().starts_with("write "))
        .count();
    Ok(Planned {
        body,
        declarations,
        slots: analysis.peak,
        writes,
        lower_bound: planner.lower_bound.min(analysis.peak),
        units: planner.units,
        renamed: planner.renamed,
        stopped: planner.stopped,
    })
}

/// The claim line for a program with units.
pub fn claim(p: &Planned) -> String {
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let units = format!(
        "{} loop{} or gated write{} kept as units",
        p.units,
        s(p.units),
        s(p.units)
    );
    let stopped = match p.stopped {
        Some(Stopped::Interrupted) => "; a search was interrupted",
        Some(Stopped::Budget) => "; a search reached its limit of states",
        None => "",
    };
    if p.slots <= p.lower_bound {
        return format!(
            "optimal in slots among plans that keep the units: {units}, and {} slot{} is the proven lower bound (the writes are not proven fewest){stopped}",
            p.slots,
            s(p.slots)
        );
    }
    let gap = p.slots - p.lower_bound;
    format!(
        "not proven optimal: {units}, the straight-line parts between them planned each value once (docs/plan.md); within {gap} slot{} of the proven lower bound {}{stopped}",
        s(gap),
        p.lower_bound,
    )
}

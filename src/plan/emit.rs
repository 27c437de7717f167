//! A plan as a `.wb` program: slot names a reader can follow, one operation
//! per write, and (on request) why each forget and each recomputation is
//! where it is, and the board as the plan fills it.
//!
//! A slot keeps one name from the write that takes it to the forget that
//! frees it (a write over an operand keeps that operand's name, as `write
//! bd = bd + a` does). Its name is the one a read needs (`read result`
//! prints `result = …` as the original does), else an original write's
//! target, else one made of its operands, as the whiteboard article names
//! its steps (`ac`, `bd_a`).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::dataflow::{Arg, Dataflow, Leaf, Operation};
use super::schedule::Step;
use super::{Method, Plan, Stopped};
use crate::syntax::{BinOp, Func, KEYWORDS};

/// How to write the program.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style<'a> {
    /// A comment on each forget and recomputation saying why.
    pub explain: bool,
    /// Forget every value that is not kept, also after the last write (a
    /// part of a program followed by a loop or a gated write, or a loop
    /// body, which must leave the board as it found it).
    pub forget_all: bool,
    /// Names the plan must not give its own slots (the names a loop or a
    /// gated write kept as written uses).
    pub reserved: &'a [String],
    /// Names whose slots are never forgotten here (a loop body's names
    /// from the board it found: each is overwritten in place instead).
    pub pinned: &'a [String],
}

/// The written plan.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// The program text (statements only; the caller adds the header).
    pub body: String,
    /// The board after each statement, as a table (for `--trace`).
    pub trace: String,
    /// Reads whose name had to change (two slots would have needed it at
    /// once), as `original → used`.
    pub renamed: Vec<(String, String)>,
    /// Whether a value left on the board for what follows (or a value the
    /// part found there) could not keep its name: the part is then not
    /// written right, and must be refused.
    pub clobbered: bool,
}

struct Namer<'a> {
    flow: &'a Dataflow,
    taken: HashSet<String, Fx>,
    next: HashMap<String, u32, Fx>,
}

/// A fast hash for the plan's names (FxHash's multiply-and-rotate): std's
/// SipHash was a tenth of planning a million-value tree. Names are the
/// program's and the planner's, not an adversary's.
#[derive(Clone, Copy, Default)]
struct Fx;

#[derive(Default)]
struct FxHasher(u64);

impl std::hash::BuildHasher for Fx {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn finish(&self) -> u64 {
        self.0 ^ self.0 >> 29
    }
}

impl Namer<'_> {
    fn fresh(&mut self, base: &str) -> String {
        if !self.taken.contains(base) {
            self.taken.insert(base.to_owned());
            return base.to_owned();
        }
        let n = self.next.entry(base.to_owned()).or_insert(1);
        loop {
            *n += 1;
            let name = format!("{base}_{n}");
            if !self.taken.contains(&name) {
                self.taken.insert(name.clone());
                return name;
            }
        }
    }

    fn leaf(&self, leaf: Leaf) -> String {
        match leaf {
            Leaf::Input(id) => self.flow.names.text(id).to_owned(),
            Leaf::Num(x) => crate::number::format(x),
        }
    }
}

/// A name for a value made of its operands' names (`a*c` → `ac`), or `t`.
fn derived(op: Operation, texts: &[String]) -> String {
    let word = |t: &String| {
        if t.starts_with(|c: char| c.is_ascii_digit()) {
            let digits: String = t.chars().filter(char::is_ascii_alphanumeric).collect();
            format!("n{digits}")
        } else {
            t.clone()
        }
    };
    let w: Vec<String> = texts.iter().map(word).collect();
    let name = match (op, w.as_slice()) {
        (Operation::Bin(BinOp::Mul), [x, y]) => format!("{x}{y}"),
        (Operation::Bin(BinOp::Add), [x, y]) => format!("{x}_{y}"),
        (Operation::Bin(b), [x, y]) => {
            let word = match b {
                BinOp::Sub => "minus",
                BinOp::Div => "over",
                BinOp::Rem => "mod",
                BinOp::Pow => "pow",
                BinOp::Lt => "lt",
                BinOp::Le => "le",
                BinOp::Gt => "gt",
                BinOp::Ge => "ge",
                BinOp::Eq => "eq",
                _ => "ne",
            };
            format!("{x}_{word}_{y}")
        }
        (Operation::Neg, [x]) => format!("neg_{x}"),
        (Operation::Call(f), [x]) => format!("{}_{x}", f.name()),
        (Operation::Call(f), [x, y]) => format!("{}_{x}_{y}", f.name()),
        _ => "t".to_owned(),
    };
    if name.len() > 12 {
        "t".to_owned()
    } else {
        name
    }
}

/// The expression of one write: one operation on names and numbers.
fn expression(op: Operation, texts: &[String]) -> String {
    match (op, texts) {
        (Operation::Bin(b), [x, y]) => format!("{x} {} {y}", b.symbol()),
        (Operation::Neg, [x]) => format!("-{x}"),
        (Operation::Copy, [x]) => x.clone(),
        (Operation::Call(f), args) => format!("{}({})", f.name(), args.join(", ")),
        _ => String::new(),
    }
}

/// Writes `steps` as statements.
pub fn write(flow: &Dataflow, steps: &[Step], style: Style<'_>, trace: bool) -> Written {
    let mut namer = Namer {
        flow,
        taken: KEYWORDS.iter().map(|k| (*k).to_owned()).collect(),
        next: HashMap::default(),
    };
    namer
        .taken
        .extend(Func::ALL.iter().map(|f| f.name().to_owned()));
    for (id, _) in &flow.inputs {
        namer.taken.insert(flow.names.text(*id).to_owned());
    }
    namer.taken.extend(style.reserved.iter().cloned());
    let kept = flow.kept();
    // A part of a program with units: its cost is measured on the text, so
    // a name still held may be filled by a copy at the end of its chain.
    let parts = !style.reserved.is_empty();
    let pinned: HashSet<&str, Fx> = style.pinned.iter().map(String::as_str).collect();
    // Names reads need are kept for them.
    let required: HashSet<String> = flow
        .reads
        .iter()
        .filter(|r| matches!(r.arg, Arg::Value(_)) && !r.name.is_empty())
        .map(|r| r.name.clone())
        .collect();
    namer.taken.extend(required.iter().cloned());

    // Which slot (chain of in-place writes) holds each value, and the
    // chain's last value: a chain is named before its first write.
    let mut chain_of = vec![u32::MAX; flow.len()];
    let mut chain_last: Vec<u32> = Vec::new();
    let mut chain_required: Vec<Option<String>> = Vec::new();
    let mut required_count: Vec<u32> = Vec::new();
    let mut chain_at_step = Vec::with_capacity(steps.len());
    let mut times = vec![0u32; flow.len()];
    for step in steps {
        if let Step::Compute { value, over } = *step {
            times[value as usize] += 1;
            let c = match over {
                Some(u) => chain_of[u as usize],
                None => {
                    chain_last.push(value);
                    chain_required.push(None);
                    required_count.push(0u32);
                    (chain_last.len() - 1) as u32
                }
            };
            chain_of[value as usize] = c;
            chain_last[c as usize] = value;
            if let Some(name) = flow.required_name(value) {
                chain_required[c as usize] = Some(name.to_owned());
                required_count[c as usize] += 1;
            }
            chain_at_step.push(c);
        }
    }
    let last_write = if style.forget_all {
        steps.len()
    } else {
        steps
            .iter()
            .rposition(|s| matches!(s, Step::Compute { .. }))
            .map_or(0, |i| i + 1)
    };

    let mut out = Written::default();
    let mut chain_name: Vec<String> = vec![String::new(); chain_last.len()];
    let mut live_required: HashSet<String, Fx> = HashSet::default();
    let mut slot_of_chain: Vec<usize> = vec![usize::MAX; chain_last.len()];
    let mut deferred: Vec<Option<String>> = vec![None; chain_last.len()];
    let mut slots: Vec<Option<u32>> = Vec::new();
    let mut written = vec![0u32; flow.len()];
    let mut made_room = vec![false; flow.len()];
    let mut computes = 0;
    let name_of = |arg: &Arg, chain_name: &[String], chain_of: &[u32], namer: &Namer| match arg {
        Arg::Value(u) => chain_name[chain_of[*u as usize] as usize].clone(),
        Arg::Leaf(l) => namer.leaf(*l),
    };
    // `chain_of` is rebuilt as the steps are written.
    let mut holder = vec![u32::MAX; flow.len()];
    for (i, step) in steps.iter().enumerate() {
        let line = match *step {
            Step::Compute { value, over } => {
                let c = chain_at_step[computes];
                computes += 1;
                let texts: Vec<String> = flow
                    .args(value)
                    .iter()
                    .map(|a| name_of(a, &chain_name, &holder, &namer))
                    .collect();
                if over.is_none() {
                    let name = match &chain_required[c as usize] {
                        Some(r) if !live_required.contains(r) => r.clone(),
                        Some(r)
                            if parts
                                && required_count[c as usize] == 1
                                && flow.required_name(chain_last[c as usize])
                                    == Some(r.as_str()) =>
                        {
                            // The name is still held by the value this
                            // chain replaces: compute under another name,
                            // copy into the name at the end.
                            deferred[c as usize] = Some(r.clone());
                            namer.fresh(r)
                        }
                        Some(r) => {
                            if kept[chain_last[c as usize] as usize] || flow.is_held(value) {
                                out.clobbered = true;
                            }
                            let used = namer.fresh(r);
                            out.renamed.push((r.clone(), used.clone()));
                            used
                        }
                        None => {
                            let last = chain_last[c as usize];
                            let base = flow
                                .target(last)
                                .or_else(|| flow.target(value))
                                .map_or_else(|| derived(flow.op(value), &texts), str::to_owned);
                            namer.fresh(&base)
                        }
                    };
                    if chain_required[c as usize].as_deref() == Some(name.as_str()) {
                        live_required.insert(name.clone());
                    }
                    chain_name[c as usize] = name;
                    let free = slots.iter().position(Option::is_none);
                    let s = free.unwrap_or_else(|| {
                        slots.push(None);
                        slots.len() - 1
                    });
                    slot_of_chain[c as usize] = s;
                }
                slots[slot_of_chain[c as usize]] = Some(c);
                holder[value as usize] = c;
                written[value as usize] += 1;
                if flow.is_held(value) {
                    // Already on the board under its name.
                    continue;
                }
                let copy = match &deferred[c as usize] {
                    Some(r) if chain_last[c as usize] == value => {
                        if live_required.contains(r) {
                            out.clobbered |= kept[value as usize];
                            out.renamed
                                .push((r.clone(), chain_name[c as usize].clone()));
                            None
                        } else {
                            Some(r.clone())
                        }
                    }
                    _ => None,
                };
                let mut line = format!(
                    "write {} = {}",
                    chain_name[c as usize],
                    expression(flow.op(value), &texts)
                );
                if style.explain {
                    if written[value as usize] > 1 && made_room[value as usize] {
                        line.push_str("  # written again: it was forgotten to make room");
                    } else if let Some(u) = over {
                        let _ = write!(
                            line,
                            "  # in the slot of `{}`, which dies here",
                            chain_name[holder[u as usize] as usize]
                        );
                    }
                }
                if let Some(r) = copy {
                    let tmp = chain_name[c as usize].clone();
                    let _ = write!(line, "\nwrite {r} = {tmp}\nforget {tmp}");
                    slots[slot_of_chain[c as usize]] = None;
                    live_required.insert(r.clone());
                    chain_name.push(r);
                    let free = slots.iter().position(Option::is_none);
                    let s = free.unwrap_or_else(|| {
                        slots.push(None);
                        slots.len() - 1
                    });
                    slot_of_chain.push(s);
                    let c2 = (chain_name.len() - 1) as u32;
                    slots[s] = Some(c2);
                    holder[value as usize] = c2;
                }
                line
            }
            Step::Forget(u) => {
                if i >= last_write || kept[u as usize] {
                    // After the last write a forget frees a slot nobody
                    // takes; a kept value stays for what follows.
                    continue;
                }
                let c = holder[u as usize];
                let name = chain_name[c as usize].clone();
                live_required.remove(&name);
                slots[slot_of_chain[c as usize]] = None;
                let again = written[u as usize] < times[u as usize];
                made_room[u as usize] = again;
                if pinned.contains(name.as_str()) {
                    // Stays on the board until the write of its next value.
                    continue;
                }
                let mut line = format!("forget {name}");
                if style.explain {
                    line.push_str(if again {
                        "  # to make room; it is written again later"
                    } else {
                        "  # not read again"
                    });
                }
                line
            }
            Step::Read(j) => {
                let r = &flow.reads[j];
                if r.hold {
                    continue;
                }
                format!("read {}", name_of(&r.arg, &chain_name, &holder, &namer))
            }
        };
        out.body.push_str(&line);
        out.body.push('\n');
        if trace {
            let cells: Vec<String> = slots
                .iter()
                .map(|s| s.map_or_else(String::new, |c| chain_name[c as usize].clone()))
                .collect();
            let statement = line.split("  #").next().unwrap_or("");
            let _ = writeln!(out.trace, "{statement:<28} [ {} ]", cells.join(" | "));
        }
    }
    out
}

/// A whole plan page: the header saying what is claimed, `board`, `input`
/// and the statements.
pub struct Page<'a> {
    /// What was planned (a file name, `<expr>`, the session).
    pub subject: &'a str,
    /// The capacity asked, if one was.
    pub capacity: Option<usize>,
    /// The program's own `board N`, which is not a limit for the plan.
    pub own_board: Option<f64>,
    /// Comments or not.
    pub style: Style<'a>,
    /// Whether to draw the board (the second text returned).
    pub trace: bool,
}

impl Page<'_> {
    /// The program text and, if asked, the trace.
    pub fn render(&self, flow: &Dataflow, p: &Plan) -> (String, String) {
        let written = write(flow, &p.steps, self.style, self.trace);
        let board = self.capacity.unwrap_or(p.cost.slots).max(1);
        let s = |n: usize| if n == 1 { "" } else { "s" };
        let mut text = format!(
            "# wb plan of {}: {} slot{}, {} write{}\n# {}\n",
            self.subject,
            p.cost.slots,
            s(p.cost.slots),
            p.cost.writes,
            s(p.cost.writes),
            claim(p, self.capacity)
        );
        if let (Some(b), None) = (self.own_board, self.capacity) {
            let _ = writeln!(
                text,
                "# (the program's own `board {}` is not a limit for the plan)",
                crate::number::format(b)
            );
        }
        for (from, to) in &written.renamed {
            let _ = writeln!(
                text,
                "# `read {from}` reads `{to}`: two slots needed the name `{from}` at once"
            );
        }
        let _ = writeln!(text, "board {board}");
        let used = used_inputs(flow);
        let list: Vec<String> = flow
            .inputs
            .iter()
            .filter(|(id, _)| used[id.index()])
            .map(|(id, d)| match d {
                Some(v) => format!("{} = {}", flow.names.text(*id), crate::number::format(*v)),
                None => flow.names.text(*id).to_owned(),
            })
            .collect();
        if !list.is_empty() {
            let _ = writeln!(text, "input {}", list.join(", "));
        }
        text.push_str(&written.body);
        (text, written.trace)
    }
}

/// What is claimed of a plan, in words.
pub fn claim(p: &Plan, capacity: Option<usize>) -> String {
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let stopped = match p.stopped {
        Some(Stopped::Interrupted) => "; the search was interrupted",
        Some(Stopped::Budget) => "; the search reached its limit of states",
        None => "",
    };
    if !p.optimal {
        let gap = p.cost.slots - p.lower_bound.min(p.cost.slots);
        return format!(
            "not proven optimal: within {gap} slot{} of the proven lower bound {}{stopped}",
            s(gap),
            p.lower_bound
        );
    }
    let how = match p.method {
        Method::Tree => "Ershov labels, optimal on a tree",
        Method::Exact => "exact search",
        Method::Heuristic => "each value written once",
    };
    match capacity {
        Some(c) => format!("optimal: the fewest writes on {c} slot{} ({how})", s(c)),
        None => format!(
            "optimal: no plan has fewer slots, nor fewer writes on {} ({how})",
            p.cost.slots
        ),
    }
}

/// Which inputs (by name id) the plan reads.
pub(crate) fn used_inputs(flow: &Dataflow) -> Vec<bool> {
    let mut used = vec![false; flow.names.len()];
    let needed = flow.needed();
    let mut mark = |a: &Arg| {
        if let Arg::Leaf(Leaf::Input(id)) = a {
            used[id.index()] = true;
        }
    };
    for v in 0..flow.len() as u32 {
        if needed[v as usize] {
            flow.args(v).iter().for_each(&mut mark);
        }
    }
    flow.reads.iter().for_each(|r| mark(&r.arg));
    used
}

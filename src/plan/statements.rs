//! The fewest slots any order of a program's own statements needs: the
//! statements as written are the units (`wb check` reports this beside its
//! `min_capacity`, which keeps the order as written).
//!
//! A write is one unit that reads the board values its expressions name;
//! a write over a name on the board reads the old value too and takes its
//! slot. A later write of a name comes after every use of the value it
//! replaces (one name, one slot), and reads stay in their order. Each
//! statement is written once: recomputing one, and splitting expressions,
//! is `wb plan`'s to do.

use super::exact::{Limits, Small, Stopped};
use crate::check::Analysis;
use crate::diag::Code;
use crate::syntax::{Item, Program, StmtKind};

/// What one `wb check` may spend on the search: a fraction of a second.
pub const CHECK_LIMITS: Limits<'static> = Limits {
    states: 200_000,
    interrupt: None,
};

/// What the search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fewest {
    /// Proven: no order of the statements needs fewer slots; one order
    /// that needs this many (statement indices, in the program's order of
    /// writes).
    Slots(usize, Vec<u32>),
    /// The program has a loop: not searched.
    Loops,
    /// More writes than the search takes at once.
    TooLarge(usize),
    /// The search ran out of its budget or was interrupted.
    Stopped(Stopped),
}

/// The most writes searched.
pub const MAX_WRITES: usize = 64;

/// The fewest slots any order of `program`'s top-level statements needs,
/// searching at most `states` states per capacity. The program must have
/// checked without errors.
pub fn fewest_slots(program: &Program, limits: Limits<'_>) -> Fewest {
    // Counted first, so that a large program costs a check nothing more.
    let writes = count_writes(program);
    if writes > MAX_WRITES {
        return Fewest::TooLarge(writes);
    }
    let names = program.names.len();
    let mut input = vec![false; names];
    let mut current: Vec<Option<usize>> = vec![None; names];
    let mut on_board = vec![false; names];
    let (mut args, mut over, mut after, mut after_reads) = (vec![], vec![], vec![], vec![]);
    let mut readers: Vec<u64> = Vec::new();
    let mut last_read: Vec<usize> = Vec::new();
    let mut reads: Vec<u64> = Vec::new();
    for item in &program.items {
        let stmt = match item {
            Item::Input(decls, _) => {
                decls.iter().for_each(|d| input[d.name.id.index()] = true);
                continue;
            }
            Item::Stmt(s) => s,
            _ => continue,
        };
        let read_mask = |e: &crate::syntax::Expr, current: &[Option<usize>]| {
            e.names()
                .filter(|n| !input[n.id.index()])
                .filter_map(|n| current[n.id.index()])
                .fold(0u64, |m, u| m | 1 << u)
        };
        match &stmt.kind {
            StmtKind::Write {
                target,
                value,
                gate,
            } => {
                let i = args.len();
                let mut a = read_mask(value, &current);
                if let Some(g) = gate {
                    a |= read_mask(g.expr(), &current);
                }
                let (mut o, mut af, mut ar) = (0u64, 0u64, 0usize);
                let x = target.id.index();
                if let Some(prev) = current[x] {
                    af = (readers[prev] | 1 << prev) & !(1 << i);
                    ar = last_read[prev];
                    if on_board[x] {
                        a |= 1 << prev;
                        o = 1 << prev;
                    }
                }
                for u in (0..i).filter(|u| a >> u & 1 == 1) {
                    readers[u] |= 1 << i;
                }
                args.push(a);
                over.push(o);
                after.push(af);
                after_reads.push(ar);
                readers.push(0);
                last_read.push(0);
                current[x] = Some(i);
                on_board[x] = true;
            }
            StmtKind::Forget(ids) => ids.iter().for_each(|n| on_board[n.id.index()] = false),
            StmtKind::Read(exprs) => {
                for e in exprs {
                    let m = read_mask(e, &current);
                    reads.push(m);
                    for u in (0..args.len()).filter(|u| m >> u & 1 == 1) {
                        last_read[u] = reads.len();
                    }
                }
            }
            StmtKind::Each { .. } | StmtKind::Repeat { .. } => return Fewest::Loops,
        }
    }
    let n = args.len();
    if n == 0 {
        return Fewest::Slots(0, Vec::new());
    }
    let lower = (0..n)
        .map(|i| args[i].count_ones() as usize + usize::from(over[i] == 0))
        .chain(reads.iter().map(|r| r.count_ones() as usize))
        .max()
        .unwrap_or(1)
        .max(1);
    let small = Small::from_parts(
        (0..n as u32).collect(),
        args,
        over,
        reads,
        after,
        after_reads,
    );
    for c in lower..=n {
        match small.order_within(c, limits) {
            Ok(Some(order)) => return Fewest::Slots(c, order),
            Ok(None) => {}
            Err(why) => return Fewest::Stopped(why),
        }
    }
    // Every write in its own slot always fits: unreachable for a program
    // that checked, kept as an honest answer.
    Fewest::Slots(n, (0..n as u32).collect())
}

fn count_writes(program: &Program) -> usize {
    program
        .items
        .iter()
        .filter(|i| {
            matches!(
                i,
                Item::Stmt(s) if matches!(s.kind, StmtKind::Write { .. })
            )
        })
        .count()
}

/// The line `wb check` adds to its summary: the optimum over orders where
/// it is below `min_capacity` (the order as written, forgets moved), or why
/// it is not known; nothing when this order is already the best, or when it
/// was not searched but the order as written fits `capacity`.
pub fn summary(fewest: &Fewest, min_capacity: usize, capacity: Option<usize>) -> Option<String> {
    match fewest {
        Fewest::Slots(n, _) if *n < min_capacity => Some(format!(
            "another order of these statements needs {n} slot{} (the fewest of any order, proven; `wb plan` also splits and recomputes)",
            if *n == 1 { "" } else { "s" }
        )),
        Fewest::Slots(..) => None,
        // Where the order as written does not fit, say why no other order
        // was searched (elsewhere there is nothing to act on).
        Fewest::Loops if min_capacity > capacity.unwrap_or(usize::MAX) => Some(
            "no other order of these statements was searched: the program has a loop (`wb plan` plans it part by part, keeping loops and gated writes as units)".to_owned(),
        ),
        Fewest::TooLarge(n) if min_capacity > capacity.unwrap_or(usize::MAX) => Some(format!(
            "no other order of these statements was searched: {n} writes, more than the {MAX_WRITES} a check searches (`wb plan` plans it)"
        )),
        Fewest::Loops | Fewest::TooLarge(_) => None,
        Fewest::Stopped(_) => Some(
            "the fewest slots of any order of these statements was not found in the time a check may take".to_owned(),
        ),
    }
}

/// The proven fewest slots, if the search found them.
pub fn proven(fewest: &Fewest) -> Option<usize> {
    match fewest {
        Fewest::Slots(n, _) => Some(*n),
        _ => None,
    }
}

/// Adds to each `board_full` that no moving of forgets cures (the order as
/// written needs more than the capacity) what another order needs, when
/// that is less.
pub fn advise(fewest: &Fewest, analysis: &mut Analysis) {
    let (Some(best), Some(capacity)) = (proven(fewest), analysis.capacity) else {
        return;
    };
    let this = analysis.min_capacity;
    if this <= capacity || best >= this {
        return;
    }
    let fits = if best <= capacity {
        "and fits"
    } else {
        "still more than the board"
    };
    let line = format!(
        "this order needs {this}; another order of these statements needs {best} ({fits}): {}",
        if best <= capacity {
            "`wb check --fix --reorder` puts them in it"
        } else {
            "`wb plan` finds it"
        }
    );
    for d in &mut analysis.diagnostics {
        if d.code == Code::BoardFull {
            d.help = Some(match d.help.take() {
                Some(h) => format!("{h}\n{line}"),
                None => line.clone(),
            });
        }
    }
}

/// The program with its writes in `order` (from [`Fewest::Slots`]), each
/// read expression as its own `read` as soon as what it reads is written,
/// and no forgets: `wb check --fix` then puts each forget right after the
/// last read, and the program needs the slots [`fewest_slots`] found. The
/// statements' text is kept as written, so it reads the same values.
pub fn reordered(program: &Program, src: &str, order: &[u32]) -> String {
    let text = |span: crate::syntax::Span| &src[span.start as usize..span.end as usize];
    let mut out = String::new();
    let mut writes = Vec::new();
    let mut reads: Vec<(Vec<usize>, &str)> = Vec::new();
    let mut current: std::collections::HashMap<u32, usize> = Default::default();
    for item in &program.items {
        match item {
            Item::Stmt(s) => match &s.kind {
                StmtKind::Write { target, .. } => {
                    current.insert(target.id.0, writes.len());
                    writes.push(text(s.span));
                }
                StmtKind::Read(exprs) => {
                    for e in exprs {
                        // A read waits for the latest write of each name it
                        // reads (inputs are never written).
                        let needs = e
                            .names()
                            .filter_map(|n| current.get(&n.id.0).copied())
                            .collect();
                        reads.push((needs, text(e.span)));
                    }
                }
                _ => {}
            },
            other => {
                out.push_str(text(other.span()));
                out.push('\n');
            }
        }
    }
    let mut done = vec![false; writes.len()];
    let mut next = 0;
    let flush = |done: &[bool], out: &mut String, next: &mut usize| {
        while *next < reads.len() && reads[*next].0.iter().all(|&w| done[w]) {
            out.push_str("read ");
            out.push_str(reads[*next].1);
            out.push('\n');
            *next += 1;
        }
    };
    flush(&done, &mut out, &mut next);
    for &w in order {
        out.push_str(writes[w as usize]);
        out.push('\n');
        done[w as usize] = true;
        flush(&done, &mut out, &mut next);
    }
    out
}

//! `wb plan`: the best whiteboard schedule for a computation, proven where
//! it can be.
//!
//! Owns the planner: the dataflow of a formula or a straight-line program
//! ([`dataflow`]), evaluation orders and the lower bound in linear time
//! ([`order`]: Sethi–Ullman/Ershov labels with free leaves and in-place
//! overwrites, optimal on trees), the exact search over board states with
//! and without recomputation ([`exact`]), schedules and their measurement
//! ([`schedule`]), writing a plan as a `.wb` program ([`emit`]), and
//! programs with loops and gated writes, part by part ([`program`]).
//!
//! The model (docs/plan.md): every write applies one operation to names and
//! numbers; inputs and numbers are free; a new name needs a free slot, a
//! write over an operand that dies there needs none; forgets are free. The
//! tree shape of every expression is kept exactly, so the plan computes the
//! same values bit for bit; only the order, the slots and recomputation are
//! chosen.
//!
//! It must not know how programs are run or printed by the other commands:
//! it reads the syntax tree and writes program text.

pub mod dataflow;
pub mod emit;
pub mod exact;
pub mod order;
pub mod program;
pub mod schedule;
pub mod statements;

use std::sync::atomic::AtomicBool;

pub use dataflow::Dataflow;
pub use exact::Stopped;
pub use schedule::{Cost, Step};

/// The largest dataflow (computed values) searched exactly.
pub const EXACT_LIMIT: usize = 30;

/// What to plan for.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// The slots available; `None`: as few as possible.
    pub capacity: Option<usize>,
    /// Whether a value may be written more than once.
    pub recompute: bool,
    /// States one exact search may visit.
    pub states: usize,
    /// Ctrl-C: stop searching and keep the best plan so far.
    pub interrupt: Option<&'a AtomicBool>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            capacity: None,
            recompute: true,
            states: 20_000_000,
            interrupt: None,
        }
    }
}

/// Which algorithm made a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Ershov labels on a forest (optimal, linear time).
    Tree,
    /// Exact search over board states.
    Exact,
    /// Ershov order on a DAG too large to search (a heuristic).
    Heuristic,
}

/// A plan and what is known about it.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Slots and writes.
    pub cost: Cost,
    /// Proven best: without a capacity, no plan has fewer slots, nor fewer
    /// writes on that many; with one, no plan on it has fewer writes.
    pub optimal: bool,
    /// A proven lower bound on the slots of every plan.
    pub lower_bound: usize,
    /// The fewest slots with each value written once, where proven.
    pub once: Option<usize>,
    /// How it was found.
    pub method: Method,
    /// Why a search stopped early, if one did.
    pub stopped: Option<Stopped>,
}

/// No plan at the capacity asked.
#[derive(Clone, Debug)]
pub struct NoPlan {
    /// The capacity asked.
    pub capacity: usize,
    /// The proven fewest slots, where known.
    pub minimum: Option<usize>,
    /// A proven lower bound on the slots.
    pub lower_bound: usize,
    /// The fewest slots of a plan that was found.
    pub found: Option<usize>,
    /// Why a search stopped early, if one did.
    pub stopped: Option<Stopped>,
}

/// Plans `flow`.
pub fn plan(flow: &Dataflow, opts: &Options<'_>) -> Result<Plan, NoPlan> {
    let needed = flow.needed();
    let uses = flow.uses(&needed);
    let need = order::labels(flow, &needed);
    let count = needed.iter().filter(|&&n| n).count();
    let order = order::ershov_order(flow, &need);
    let steps = schedule::from_order(flow, &order);
    let cost = measured(flow, &steps);
    let mut lower = if count == 0 {
        0
    } else {
        order::lower_bound(flow, &needed, &uses, &need)
    };
    let forest = order::is_forest(&uses, &needed);
    let limits = exact::Limits {
        states: opts.states,
        interrupt: opts.interrupt,
    };
    let refuse = |minimum: Option<usize>, lower: usize, found: usize, stopped| NoPlan {
        capacity: opts.capacity.unwrap_or(0),
        minimum,
        lower_bound: lower,
        found: Some(found),
        stopped,
    };
    if forest {
        // Ershov's labels are optimal on trees, recomputation or not; the
        // schedule reaches them, and the bound is the same number.
        lower = lower.max(cost.slots);
        if let Some(c) = opts.capacity {
            if c < cost.slots {
                return Err(refuse(Some(cost.slots), lower, cost.slots, None));
            }
        }
        return Ok(Plan {
            steps,
            cost,
            optimal: true,
            lower_bound: lower,
            once: Some(cost.slots),
            method: Method::Tree,
            stopped: None,
        });
    }
    if count > EXACT_LIMIT {
        return heuristic(opts, steps, cost, lower).map_err(|mut e| {
            e.found = Some(cost.slots);
            e
        });
    }
    let small = exact::Small::new(flow, &needed);
    // Each value written once: the fewest slots, from the bound up.
    let (mut once_steps, mut once, mut once_proven, mut stopped) = (steps, cost, true, None);
    for c in lower..cost.slots {
        match small.order_within(c, limits) {
            Ok(Some(order)) => {
                once_steps = schedule::from_order(flow, &order);
                once = measured(flow, &once_steps);
                break;
            }
            Ok(None) => {}
            Err(why) => {
                once_proven = false;
                stopped = Some(why);
                break;
            }
        }
    }
    if once_proven {
        lower = lower.max(if opts.recompute { lower } else { once.slots });
    }
    let once_plan = |optimal: bool, lower: usize, stopped| Plan {
        steps: once_steps.clone(),
        cost: once,
        optimal,
        lower_bound: lower,
        once: once_proven.then_some(once.slots),
        method: Method::Exact,
        stopped,
    };
    match (opts.capacity, opts.recompute) {
        // Each value written once is the fewest writes there can be.
        (Some(c), _) if c >= once.slots => Ok(once_plan(true, lower, stopped)),
        (Some(_), false) => Err(refuse(
            once_proven.then_some(once.slots),
            lower,
            once.slots,
            stopped,
        )),
        (Some(c), true) => match small.fewest_writes(flow, c, limits) {
            Ok(Some((_, steps))) => Ok(Plan {
                cost: measured(flow, &steps),
                steps,
                optimal: true,
                lower_bound: lower,
                once: once_proven.then_some(once.slots),
                method: Method::Exact,
                stopped: None,
            }),
            Ok(None) => {
                // Proven impossible at c: the minimum is the first capacity
                // above it with a plan.
                let mut minimum = once_proven.then_some(once.slots);
                let mut stopped = stopped;
                for c2 in c + 1..once.slots {
                    match small.fewest_writes(flow, c2, limits) {
                        Ok(Some(_)) => {
                            minimum = Some(c2);
                            break;
                        }
                        Ok(None) => {}
                        Err(why) => {
                            minimum = None;
                            stopped = Some(why);
                            break;
                        }
                    }
                }
                Err(refuse(minimum, lower.max(c + 1), once.slots, stopped))
            }
            Err(why) => Err(refuse(None, lower, once.slots, Some(why))),
        },
        (None, false) => Ok(once_plan(once_proven, lower, stopped)),
        (None, true) => {
            // Recomputation may need fewer slots than writing each value once.
            let from = lower;
            for c in from..once.slots {
                match small.fewest_writes(flow, c, limits) {
                    Ok(Some((_, steps))) => {
                        return Ok(Plan {
                            cost: measured(flow, &steps),
                            steps,
                            // Every capacity from the bound up to c was
                            // searched to the end.
                            optimal: true,
                            lower_bound: c,
                            once: once_proven.then_some(once.slots),
                            method: Method::Exact,
                            stopped,
                        });
                    }
                    Ok(None) => lower = c + 1,
                    Err(why) => return Ok(once_plan(false, lower, Some(why))),
                }
            }
            Ok(once_plan(once_proven, lower, stopped))
        }
    }
}

/// Beyond the exact size: the Ershov order, each value written once.
fn heuristic(
    opts: &Options<'_>,
    steps: Vec<Step>,
    cost: Cost,
    lower: usize,
) -> Result<Plan, NoPlan> {
    let plan = Plan {
        steps,
        cost,
        // With a capacity the objective is writes, and one per value is the
        // fewest; without, the slots are proven only when they meet the bound.
        optimal: opts.capacity.is_some() || cost.slots == lower,
        lower_bound: lower,
        once: None,
        method: Method::Heuristic,
        stopped: None,
    };
    match opts.capacity {
        Some(c) if c < cost.slots => Err(NoPlan {
            capacity: c,
            minimum: (cost.slots == lower).then_some(lower),
            lower_bound: lower,
            found: Some(cost.slots),
            stopped: None,
        }),
        _ => Ok(plan),
    }
}

/// The cost of a schedule the planner built; a schedule that breaks a rule
/// would be a planner bug, caught by the tests through this assertion.
fn measured(flow: &Dataflow, steps: &[Step]) -> Cost {
    match schedule::measure(flow, steps) {
        Ok(c) => c,
        Err(why) => panic!("the planner built a schedule that breaks a board rule: {why}"),
    }
}

/// A checked program planned onto the fewest slots and written as a `.wb`
/// program (`wb plan FILE` without flags, and the REPL's `:plan`); the
/// diagnostics of what cannot be planned.
pub fn plan_program(
    program: &crate::syntax::Program,
    subject: &str,
) -> Result<String, Vec<crate::diag::Diagnostic>> {
    if program::has_units(program) {
        let p = program::plan(program, &Options::default(), false, &[])?;
        return Ok(format!(
            "# wb plan of {subject}: {} slots, {} writes\n# {}\nboard {}\n{}{}",
            p.slots,
            p.writes,
            program::claim(&p),
            p.slots.max(1),
            p.declarations,
            p.body
        ));
    }
    let flow = dataflow::from_program(program)?;
    let p = plan(&flow, &Options::default()).map_err(|_| {
        // Without a capacity every dataflow has a plan.
        vec![crate::diag::Diagnostic::global(
            crate::diag::Code::NoPlan,
            "no plan found",
        )]
    })?;
    let page = emit::Page {
        subject,
        capacity: None,
        own_board: None,
        style: emit::Style::default(),
        trace: false,
    };
    Ok(page.render(&flow, &p).0)
}

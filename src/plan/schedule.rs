//! A schedule: the writes, forgets and reads of a plan in order, built from
//! an evaluation order (each value once) or given move by move (the search
//! with recomputation), and measured by simulating the board.

use super::dataflow::{Arg, Dataflow};

/// One step of a plan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// Write value `value`; with `over`, in the slot of that operand (which
    /// the write reads, then overwrites), else in a free slot.
    Compute {
        /// The value written.
        value: u32,
        /// The operand whose slot it takes.
        over: Option<u32>,
    },
    /// Erase a value.
    Forget(u32),
    /// Make the original's read number `n` (0-based).
    Read(usize),
}

/// Slots and writes a schedule needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// The most values on the board at once.
    pub slots: usize,
    /// How many writes (recomputations included).
    pub writes: usize,
}

/// The steps of an evaluation order in which each value is written once:
/// reads as soon as their value is there, each value forgotten right after
/// its last use, and a write in the slot of an operand that dies there.
pub fn from_order(flow: &Dataflow, order: &[u32]) -> Vec<Step> {
    let n = flow.len();
    const NEVER: u64 = u64::MAX;
    // Times: the write of order[t] is 2t + 2, the reads right after it 2t + 3;
    // reads of leaves before any write happen at time 1.
    let mut written = vec![false; n];
    let mut read_time = vec![0u64; flow.reads.len()];
    let mut next = 0;
    let ready = |arg: &Arg, written: &[bool]| match arg {
        Arg::Leaf(_) => true,
        Arg::Value(v) => written[*v as usize],
    };
    while next < flow.reads.len() && ready(&flow.reads[next].arg, &written) {
        read_time[next] = 1;
        next += 1;
    }
    for (t, &v) in order.iter().enumerate() {
        written[v as usize] = true;
        while next < flow.reads.len() && ready(&flow.reads[next].arg, &written) {
            read_time[next] = 2 * t as u64 + 3;
            next += 1;
        }
    }
    let mut last = vec![NEVER; n];
    let mut bump = |u: u32, time: u64| {
        let l = &mut last[u as usize];
        if *l == NEVER || *l < time {
            *l = time;
        }
    };
    for (t, &v) in order.iter().enumerate() {
        for u in flow.value_args(v) {
            bump(u, 2 * t as u64 + 2);
        }
    }
    for (j, r) in flow.reads.iter().enumerate() {
        if let Arg::Value(v) = r.arg {
            bump(v, read_time[j]);
        }
    }
    let mut steps = Vec::with_capacity(order.len() * 2 + flow.reads.len());
    let mut j = 0;
    reads_at(flow, 1, &read_time, &mut last, &mut steps, &mut j);
    for (t, &v) in order.iter().enumerate() {
        let time = 2 * t as u64 + 2;
        let args = flow.args(v);
        let dying = |a: &Arg| match a {
            Arg::Value(u) if last[*u as usize] == time => Some(*u),
            _ => None,
        };
        let over = args
            .iter()
            .filter_map(dying)
            .find(|&u| flow.may_overwrite(u, v));
        steps.push(Step::Compute { value: v, over });
        for (i, a) in args.iter().enumerate() {
            if let Some(u) = dying(a) {
                let earlier = args[..i].contains(&Arg::Value(u));
                if Some(u) != over && !earlier {
                    steps.push(Step::Forget(u));
                }
            }
        }
        reads_at(flow, time + 1, &read_time, &mut last, &mut steps, &mut j);
    }
    steps
}

/// The reads made at `time`, then the forgets of the values they were the
/// last use of (`last` is cleared for those, so a value read twice at
/// once is forgotten once).
fn reads_at(
    flow: &Dataflow,
    time: u64,
    read_time: &[u64],
    last: &mut [u64],
    steps: &mut Vec<Step>,
    j: &mut usize,
) {
    let first = *j;
    while *j < flow.reads.len() && read_time[*j] == time {
        steps.push(Step::Read(*j));
        *j += 1;
    }
    for r in &flow.reads[first..*j] {
        if let Arg::Value(v) = r.arg {
            if last[v as usize] == time {
                last[v as usize] = 0;
                steps.push(Step::Forget(v));
            }
        }
    }
}

/// Simulates the board through `steps`; the cost, or what went wrong (a
/// plan that breaks a rule is a bug in the planner, and is never printed).
pub fn measure(flow: &Dataflow, steps: &[Step]) -> Result<Cost, String> {
    let mut on = vec![false; flow.len()];
    let mut count = 0usize;
    let mut cost = Cost {
        slots: 0,
        writes: 0,
    };
    let mut next_read = 0;
    for step in steps {
        match *step {
            Step::Compute { value, over } => {
                for u in flow.value_args(value) {
                    if !on[u as usize] {
                        return Err(format!("value {value} uses {u}, which is not on the board"));
                    }
                }
                if on[value as usize] {
                    return Err(format!("value {value} is written while on the board"));
                }
                match over {
                    Some(u) => {
                        if !flow.value_args(value).any(|a| a == u) || !flow.may_overwrite(u, value)
                        {
                            return Err(format!("value {value} may not overwrite {u}"));
                        }
                        on[u as usize] = false;
                    }
                    None => count += 1,
                }
                on[value as usize] = true;
                cost.writes += 1;
            }
            Step::Forget(u) => {
                if !on[u as usize] {
                    return Err(format!("forget of {u}, which is not on the board"));
                }
                on[u as usize] = false;
                count -= 1;
            }
            Step::Read(j) => {
                if j != next_read {
                    return Err(format!("read {j} out of order"));
                }
                next_read += 1;
                if let Arg::Value(v) = flow.reads[j].arg {
                    if !on[v as usize] {
                        return Err(format!("read {j} of {v}, which is not on the board"));
                    }
                }
            }
        }
        cost.slots = cost.slots.max(count);
    }
    if next_read != flow.reads.len() {
        return Err(format!("{} of {} reads made", next_read, flow.reads.len()));
    }
    Ok(cost)
}

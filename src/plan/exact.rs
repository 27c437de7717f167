//! Exact search over board states, for dataflows of at most
//! [`super::EXACT_LIMIT`] values, as bit sets.
//!
//! Without recomputation a state is the set of values written so far: reads
//! are made as soon as they can be (they are free) and a value is erased
//! right after its last use (keeping it never helps), so the board is a
//! function of that set. A depth-first search with a visited set decides
//! whether some order fits in C slots.
//!
//! With recomputation a state is the board itself and how many reads are
//! made: what is still needed follows from the reads to come. A* on the
//! number of writes, with an admissible bound (every value the remaining
//! reads reach without passing through the board must be written at least
//! once), finds the fewest writes at capacity C, or proves there is no plan.

use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use super::dataflow::{Arg, Dataflow};
use super::schedule::Step;

/// Why a search stopped without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// It visited its budget of states.
    Budget,
    /// Ctrl-C.
    Interrupted,
}

/// What a search may spend.
#[derive(Clone, Copy)]
pub struct Limits<'a> {
    /// States to visit at most (per search).
    pub states: usize,
    /// Stop when this is set.
    pub interrupt: Option<&'a AtomicBool>,
}

impl Limits<'_> {
    fn stop(&self, visited: usize) -> Option<Stopped> {
        if visited > self.states {
            return Some(Stopped::Budget);
        }
        if visited.is_multiple_of(4096) && self.interrupt.is_some_and(|f| f.load(Ordering::Relaxed))
        {
            return Some(Stopped::Interrupted);
        }
        None
    }
}

/// A board and how many reads are made.
type State = (u64, usize);

/// The fewest writes to a state, the state before, and the move: the value
/// written (high bits) and the one whose slot it took (low byte, `0xff` for
/// a free slot).
type Parent = (u32, State, u32);

/// The needed values renumbered densely, with their operands, users and
/// reads as bit sets.
pub struct Small {
    /// Dense index → value id.
    pub ids: Vec<u32>,
    args: Vec<u64>,
    /// The operands each value may be written over (see
    /// [`Dataflow::may_overwrite`]).
    over: Vec<u64>,
    users: Vec<u64>,
    /// The values each read needs on the board at once.
    reads: Vec<u64>,
    /// Values that must be written before each value (a statement that
    /// overwrites a name comes after every use of the value it replaces).
    after: Vec<u64>,
    /// Reads that must be made before each value.
    after_reads: Vec<usize>,
    /// Everything the reads from `k` on reach.
    cone_after: Vec<u64>,
}

impl Small {
    /// The needed part of `flow` (at most 64 values).
    pub fn new(flow: &Dataflow, needed: &[bool]) -> Small {
        let mut dense = vec![usize::MAX; flow.len()];
        let mut ids = Vec::new();
        for v in 0..flow.len() {
            if needed[v] {
                dense[v] = ids.len();
                ids.push(v as u32);
            }
        }
        let n = ids.len();
        let mut args = vec![0u64; n];
        let mut over = vec![0u64; n];
        for (i, &v) in ids.iter().enumerate() {
            for u in flow.value_args(v) {
                let d = dense[u as usize];
                args[i] |= 1 << d;
                if flow.may_overwrite(u, v) {
                    over[i] |= 1 << d;
                }
            }
        }
        let reads: Vec<u64> = flow
            .reads
            .iter()
            .map(|r| match r.arg {
                Arg::Value(v) => 1 << dense[v as usize],
                Arg::Leaf(_) => 0,
            })
            .collect();
        // Values a part of a program finds on the board come first: they
        // are there before anything is written.
        let held = ids
            .iter()
            .enumerate()
            .filter(|(_, &v)| flow.is_held(v))
            .fold(0u64, |m, (i, _)| m | 1 << i);
        let after = ids
            .iter()
            .map(|&v| if flow.is_held(v) { 0 } else { held })
            .collect();
        Small::from_parts(ids, args, over, reads, after, Vec::new())
    }

    /// A search problem given directly: value `i` (standing for `ids[i]`)
    /// reads `args[i]`, may be written over `over[i]`, comes after
    /// `after[i]` and after `after_reads[i]` reads (both may be empty: no
    /// constraint); `reads` are the sets read, in order. Operands must come
    /// before their users in the numbering.
    pub fn from_parts(
        ids: Vec<u32>,
        args: Vec<u64>,
        over: Vec<u64>,
        reads: Vec<u64>,
        mut after: Vec<u64>,
        mut after_reads: Vec<usize>,
    ) -> Small {
        let n = ids.len();
        after.resize(n, 0);
        after_reads.resize(n, 0);
        let mut users = vec![0u64; n];
        for (i, &a) in args.iter().enumerate() {
            for u in bits(a) {
                users[u] |= 1 << i;
            }
        }
        let mut cone_after = vec![0u64; reads.len() + 1];
        for k in (0..reads.len()).rev() {
            let mut cone = reads[k];
            // Operands come before their users: one pass downward.
            for i in (0..n).rev() {
                if cone >> i & 1 == 1 {
                    cone |= args[i];
                }
            }
            cone_after[k] = cone | cone_after[k + 1];
        }
        Small {
            ids,
            args,
            over,
            users,
            reads,
            after,
            after_reads,
            cone_after,
        }
    }

    fn n(&self) -> usize {
        self.ids.len()
    }

    fn all(&self) -> u64 {
        if self.n() == 64 {
            u64::MAX
        } else {
            (1u64 << self.n()) - 1
        }
    }

    /// Reads made once `have` is available (on the board or written).
    fn reads_made(&self, mut k: usize, have: u64) -> usize {
        while k < self.reads.len() && self.reads[k] & !have == 0 {
            k += 1;
        }
        k
    }

    fn pending(&self, k: usize) -> u64 {
        self.reads[k..].iter().fold(0u64, |m, &r| m | r)
    }

    /// Without recomputation: the board once `done` is written.
    fn live(&self, done: u64) -> (u64, u64) {
        let k = self.reads_made(0, done);
        let pending = self.pending(k);
        let mut live = 0u64;
        for i in bits(done) {
            if self.users[i] & !done != 0 || pending >> i & 1 == 1 {
                live |= 1 << i;
            }
        }
        (live, pending)
    }

    /// Without recomputation: the slots writing `i` after `done` needs.
    fn slots_to_write(&self, done: u64, i: usize) -> usize {
        let (live, pending) = self.live(done);
        let after = done | 1 << i;
        let in_place =
            bits(self.over[i]).any(|u| self.users[u] & !after == 0 && pending >> u & 1 == 0);
        live.count_ones() as usize + usize::from(!in_place)
    }

    /// Without recomputation: an order that fits in `capacity` slots, if
    /// one exists.
    pub fn order_within(
        &self,
        capacity: usize,
        limits: Limits<'_>,
    ) -> Result<Option<Vec<u32>>, Stopped> {
        let all = self.all();
        let mut seen: HashSet<u64> = HashSet::new();
        // The path: (state, next candidate to try).
        let mut path: Vec<(u64, usize)> = vec![(0, 0)];
        let mut order: Vec<usize> = Vec::new();
        seen.insert(0);
        while let Some(&mut (done, ref mut next)) = path.last_mut() {
            if done == all {
                return Ok(Some(order.iter().map(|&i| self.ids[i]).collect()));
            }
            let mut step = None;
            while *next < self.n() {
                let i = *next;
                *next += 1;
                if done >> i & 1 == 1
                    || (self.args[i] | self.after[i]) & !done != 0
                    || self.reads_made(0, done) < self.after_reads[i]
                {
                    continue;
                }
                let after = done | 1 << i;
                if seen.contains(&after) || self.slots_to_write(done, i) > capacity {
                    continue;
                }
                step = Some((i, after));
                break;
            }
            match step {
                Some((i, after)) => {
                    seen.insert(after);
                    if let Some(why) = limits.stop(seen.len()) {
                        return Err(why);
                    }
                    order.push(i);
                    path.push((after, 0));
                }
                None => {
                    path.pop();
                    order.pop();
                }
            }
        }
        Ok(None)
    }

    /// With recomputation: every value the reads from `k` on reach without
    /// passing through `board`; each must be written at least once more.
    fn must_write(&self, board: u64, k: usize) -> u32 {
        let mut frontier = self.pending(k) & !board;
        let mut reached = frontier;
        while frontier != 0 {
            let i = frontier.trailing_zeros() as usize;
            frontier &= frontier - 1;
            let new = self.args[i] & !board & !reached;
            reached |= new;
            frontier |= new;
        }
        reached.count_ones()
    }

    /// The canonical form of a state: reads made, and the values no read to
    /// come reaches erased.
    fn settle(&self, board: u64, k: usize) -> (u64, usize) {
        let k = self.reads_made(k, board);
        (board & self.cone_after[k], k)
    }

    /// With recomputation: the fewest writes that make every read on
    /// `capacity` slots, and the steps; `None` when no plan exists.
    pub fn fewest_writes(
        &self,
        flow: &Dataflow,
        capacity: usize,
        limits: Limits<'_>,
    ) -> Result<Option<(usize, Vec<Step>)>, Stopped> {
        let start = self.settle(0, 0);
        let goal = self.reads.len();
        let mut best: HashMap<State, Parent> = HashMap::new();
        let mut heap = BinaryHeap::new();
        best.insert(start, (0, start, u32::MAX));
        heap.push(std::cmp::Reverse((
            self.must_write(start.0, start.1),
            0u32,
            start,
        )));
        let mut visited = 0usize;
        while let Some(std::cmp::Reverse((_, g, state))) = heap.pop() {
            if best.get(&state).is_some_and(|b| b.0 < g) {
                continue;
            }
            let (board, k) = state;
            if k == goal {
                return Ok(Some((g as usize, self.steps(flow, start, state, &best))));
            }
            visited += 1;
            if let Some(why) = limits.stop(visited) {
                return Err(why);
            }
            let useful = self.cone_after[k] & !board;
            let full = board.count_ones() as usize >= capacity;
            for i in bits(useful) {
                if self.args[i] & !board != 0 {
                    continue;
                }
                // A free slot makes evicting anything pointless; on a full
                // board the write takes some value's slot (an operand's, in
                // place, or any other after a forget).
                let evictions: Vec<u32> = if full {
                    let forbidden = self.args[i] & !self.over[i];
                    bits(board & !forbidden).map(|w| w as u32).collect()
                } else {
                    vec![u32::MAX]
                };
                for w in evictions {
                    let mut next = board | 1 << i;
                    if w != u32::MAX {
                        next &= !(1 << w);
                    }
                    let next = self.settle(next, k);
                    let g2 = g + 1;
                    let better = match best.entry(next) {
                        Entry::Occupied(mut e) => {
                            if e.get().0 > g2 {
                                e.insert((g2, state, (i as u32) << 8 | (w & 0xff)));
                                true
                            } else {
                                false
                            }
                        }
                        Entry::Vacant(e) => {
                            e.insert((g2, state, (i as u32) << 8 | (w & 0xff)));
                            true
                        }
                    };
                    if better {
                        let f = g2 + self.must_write(next.0, next.1);
                        heap.push(std::cmp::Reverse((f, g2, next)));
                    }
                }
            }
        }
        Ok(None)
    }

    /// The steps from `start` to `end` along the search's parents.
    fn steps(
        &self,
        flow: &Dataflow,
        start: State,
        end: State,
        best: &HashMap<State, Parent>,
    ) -> Vec<Step> {
        let mut moves = Vec::new();
        let mut at = end;
        while at != start {
            let (_, parent, mv) = best[&at];
            moves.push(mv);
            at = parent;
        }
        moves.reverse();
        let mut out = Vec::new();
        let (mut board, mut k) = (0u64, 0usize);
        let settle = |board: u64, k: usize, out: &mut Vec<Step>| {
            let k2 = self.reads_made(k, board);
            out.extend((k..k2).map(Step::Read));
            let kept = board & self.cone_after[k2];
            out.extend(bits(board & !kept).map(|d| Step::Forget(self.ids[d])));
            (kept, k2)
        };
        (board, k) = settle(board, k, &mut out);
        for mv in moves {
            let i = (mv >> 8) as usize;
            let w = mv & 0xff;
            let value = self.ids[i];
            let mut next = board | 1 << i;
            let mut over = None;
            if w != 0xff {
                next &= !(1u64 << w);
                if self.args[i] >> w & 1 == 1 {
                    over = Some(self.ids[w as usize]);
                } else {
                    out.push(Step::Forget(self.ids[w as usize]));
                }
            }
            out.push(Step::Compute { value, over });
            (board, k) = settle(next, k, &mut out);
        }
        let _ = (board, k, flow);
        out
    }
}

/// The set bits of `m`, lowest first.
fn bits(mut m: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if m == 0 {
            return None;
        }
        let i = m.trailing_zeros() as usize;
        m &= m - 1;
        Some(i)
    })
}

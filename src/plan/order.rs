//! Evaluation orders in linear time: Sethi–Ullman/Ershov labels adapted to
//! free leaves and in-place overwrites, the order they give (optimal on
//! trees, the heuristic on DAGs), and the lower bound on slots any plan
//! needs, recomputation included.

use super::dataflow::{Arg, Dataflow};

/// The Ershov label of every needed value: the slots its subexpression
/// needs when evaluated alone, larger operand first, each value written in
/// the slot of an operand that dies there. A value with no computed operand
/// needs 1; with one, what that operand needs; with two, the larger need,
/// or one more when they are equal. On a DAG the label counts a shared
/// operand as if it were recomputed for each use (an upper bound for it).
pub fn labels(flow: &Dataflow, needed: &[bool]) -> Vec<u32> {
    let mut need = vec![0u32; flow.len()];
    for v in 0..flow.len() as u32 {
        if !needed[v as usize] {
            continue;
        }
        let mut best = 0u32;
        let mut ties = 0u32;
        let mut prev = None;
        for u in flow.value_args(v) {
            if prev == Some(u) {
                continue;
            }
            prev = Some(u);
            let n = need[u as usize];
            match n.cmp(&best) {
                std::cmp::Ordering::Greater => {
                    best = n;
                    ties = 1;
                }
                std::cmp::Ordering::Equal => ties += 1,
                std::cmp::Ordering::Less => {}
            }
        }
        need[v as usize] = if best == 0 { 1 } else { best + ties - 1 };
    }
    need
}

/// The dataflow is a forest: each needed value used exactly once.
pub fn is_forest(uses: &[u32], needed: &[bool]) -> bool {
    uses.iter().zip(needed).all(|(&u, &n)| !n || u == 1)
}

/// The evaluation order: the reads' values in read order, each by a
/// post-order walk that evaluates the operand with the larger label first
/// and skips what is already written. An explicit stack, no recursion.
pub fn ershov_order(flow: &Dataflow, need: &[u32]) -> Vec<u32> {
    let mut done = vec![false; flow.len()];
    let mut order = Vec::new();
    let mut stack: Vec<(u32, bool)> = Vec::new();
    for r in &flow.reads {
        let Arg::Value(root) = r.arg else { continue };
        stack.push((root, false));
        while let Some((v, expanded)) = stack.pop() {
            if done[v as usize] {
                continue;
            }
            if expanded {
                done[v as usize] = true;
                order.push(v);
                continue;
            }
            stack.push((v, true));
            let mut kids: [Option<u32>; 2] = [None; 2];
            for (i, u) in flow.value_args(v).enumerate() {
                if !done[u as usize] {
                    kids[i] = Some(u);
                }
            }
            // Pushed last is walked first: the larger label (the first
            // operand on a tie).
            let (a, b) = (kids[0], kids[1]);
            let first_a = match (a, b) {
                (Some(x), Some(y)) => need[x as usize] >= need[y as usize],
                _ => true,
            };
            let (first, second) = if first_a { (a, b) } else { (b, a) };
            if let Some(s) = second {
                stack.push((s, false));
            }
            if let Some(f) = first {
                stack.push((f, false));
            }
        }
    }
    order
}

/// A lower bound on the slots of every plan, recomputation included: the
/// largest Ershov label of a value whose whole subexpression is a tree (no
/// value in it used twice anywhere, so the tree result applies to it), and
/// at least the computed operands one write reads at once, less the one it
/// may overwrite, plus one for the write.
pub fn lower_bound(flow: &Dataflow, needed: &[bool], uses: &[u32], need: &[u32]) -> usize {
    let mut tree = vec![false; flow.len()];
    let mut bound = 0u32;
    for v in 0..flow.len() as u32 {
        if !needed[v as usize] {
            continue;
        }
        let mut distinct: [Option<u32>; 2] = [None; 2];
        let mut all_tree = true;
        for (i, u) in flow.value_args(v).enumerate() {
            if distinct[..i].contains(&Some(u)) {
                all_tree = false;
            } else {
                distinct[i] = Some(u);
            }
            all_tree &= tree[u as usize] && uses[u as usize] == 1;
        }
        let operands = distinct.iter().flatten().count() as u32;
        bound = bound.max(operands.max(1));
        if all_tree {
            tree[v as usize] = true;
            bound = bound.max(need[v as usize]);
        }
    }
    bound as usize
}

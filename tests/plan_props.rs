//! `wb plan` against searches written here, sharing no code with it: on
//! random trees its slot count equals an exhaustive search over evaluation
//! orders; on random DAGs its slots and writes equal an enumeration by
//! iterative deepening over write sequences, with and without
//! recomputation. Every plan is then checked (`wb check --capacity N`, no
//! warnings) and run (`wb run`), and must read exactly what the original
//! reads.
//!
//! The model both sides implement (docs/plan.md): a write puts a value on
//! the board once its computed operands are there; it takes a free slot, or
//! the slot of one of its operands (which is then gone) — except that a
//! value a `read NAME` reads is never overwritten by a value of another
//! name; forgets and reads are free, reads in order; inputs and numbers are
//! free.

mod plan_support;

use std::process::Output;

use plan_support::{file, text, wb, Rng};
use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// The plan as JSON, or the failed output.
fn plan_json(args: &[&str]) -> Result<Value, Output> {
    let out = wb(args);
    if !out.status.success() {
        return Err(out);
    }
    Ok(serde_json::from_slice(&out.stdout).expect("JSON"))
}

/// The plan passes its check with no warnings and reads `expected`.
fn check_and_run(plan: &str, capacity: u64, expected: &str) {
    let f = file(plan);
    let path = f.path().to_str().unwrap();
    let cap = capacity.to_string();
    let check = wb(&["check", path, "--capacity", &cap, "--deny", "warnings"]);
    assert!(check.status.success(), "{plan}\n{}", text(&check.stderr));
    let run = wb(&["run", path]);
    assert_eq!(
        text(&run.stdout),
        expected,
        "reads differ:\n{plan}\n{}",
        text(&run.stderr)
    );
}

// ---- trees -------------------------------------------------------------

/// A random tree: internal nodes with their children (`None` = a leaf).
struct Tree {
    /// (operator, children) of each internal node; node 0 is the root.
    nodes: Vec<(&'static str, Vec<Option<usize>>)>,
}

fn random_tree(rng: &mut Rng, internal: usize) -> Tree {
    let mut nodes: Vec<(&'static str, Vec<Option<usize>>)> = Vec::new();
    nodes.push(("+", vec![None, None]));
    // Attach each new node in a random free leaf position.
    while nodes.len() < internal {
        let holes: Vec<(usize, usize)> = nodes
            .iter()
            .enumerate()
            .flat_map(|(i, (_, ch))| {
                ch.iter()
                    .enumerate()
                    .filter(|(_, c)| c.is_none())
                    .map(move |(j, _)| (i, j))
            })
            .collect();
        let (i, j) = holes[rng.below(holes.len())];
        let op = ["+", "-", "*", "neg", "min", "abs"][rng.below(6)];
        let arity = if op == "neg" || op == "abs" { 1 } else { 2 };
        nodes.push((op, vec![None; arity]));
        let id = nodes.len() - 1;
        nodes[i].1[j] = Some(id);
    }
    Tree { nodes }
}

/// The tree as a formula, fully parenthesised (its shape is the plan's).
fn formula(t: &Tree, rng: &mut Rng) -> String {
    // Iterative: a stack of pieces to write.
    enum Piece {
        Node(usize),
        Text(&'static str),
    }
    let mut out = String::new();
    let mut stack = vec![Piece::Node(0)];
    while let Some(p) = stack.pop() {
        match p {
            Piece::Text(s) => out.push_str(s),
            Piece::Node(i) => {
                let (op, ch) = &t.nodes[i];
                let kid = |c: &Option<usize>, rng: &mut Rng| match c {
                    Some(k) => Piece::Node(*k),
                    None => Piece::Text(["p", "q", "u", "w", "2"][rng.below(5)]),
                };
                let mut parts = Vec::new();
                match *op {
                    "neg" => {
                        parts.push(Piece::Text("(-"));
                        parts.push(kid(&ch[0], rng));
                        parts.push(Piece::Text(")"));
                    }
                    "abs" => {
                        parts.push(Piece::Text("abs("));
                        parts.push(kid(&ch[0], rng));
                        parts.push(Piece::Text(")"));
                    }
                    "min" => {
                        parts.push(Piece::Text("min("));
                        parts.push(kid(&ch[0], rng));
                        parts.push(Piece::Text(", "));
                        parts.push(kid(&ch[1], rng));
                        parts.push(Piece::Text(")"));
                    }
                    _ => {
                        parts.push(Piece::Text("("));
                        parts.push(kid(&ch[0], rng));
                        parts.push(Piece::Text(match *op {
                            "+" => " + ",
                            "-" => " - ",
                            _ => " * ",
                        }));
                        parts.push(kid(&ch[1], rng));
                        parts.push(Piece::Text(")"));
                    }
                }
                stack.extend(parts.into_iter().rev());
            }
        }
    }
    out
}

/// The fewest slots over every evaluation order of the tree: each node is
/// written into a free slot, or into a computed child's (children die at
/// their parent).
fn brute_force_tree(t: &Tree) -> usize {
    let n = t.nodes.len();
    let kids: Vec<Vec<usize>> = t
        .nodes
        .iter()
        .map(|(_, ch)| ch.iter().flatten().copied().collect())
        .collect();
    let mut best = usize::MAX;
    // Depth-first over orders: (done mask, board size, peak).
    let mut stack = vec![(0u32, 0usize, 0usize)];
    let mut seen = HashSet::new();
    while let Some((done, board, peak)) = stack.pop() {
        if done.count_ones() as usize == n {
            best = best.min(peak);
            continue;
        }
        if !seen.insert((done, peak)) {
            continue;
        }
        for (v, kv) in kids.iter().enumerate() {
            if done >> v & 1 == 1 || kv.iter().any(|&k| done >> k & 1 == 0) {
                continue;
            }
            let c = kv.len();
            let need = if c == 0 { board + 1 } else { board };
            let after = board + 1 - c;
            stack.push((done | 1 << v, after, peak.max(need)));
        }
    }
    best
}

#[test]
fn tree_plans_use_the_fewest_slots_an_exhaustive_search_finds() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..60 {
        let t = random_tree(&mut rng, 1 + case % 9);
        let f = formula(&t, &mut rng);
        let (a, b, c, d) = (rng.below(9), rng.below(9) + 1, rng.below(5), rng.below(7));
        let sets = [
            format!("p={a}"),
            format!("q={b}"),
            format!("u={c}"),
            format!("w={d}"),
        ];
        let mut args = vec!["plan", "--expr", f.as_str(), "--json"];
        for s in &sets {
            if f.contains(&s[..1]) {
                args.extend(["--set", s.as_str()]);
            }
        }
        let p = plan_json(&args).unwrap_or_else(|o| panic!("{f}: {}", text(&o.stderr)));
        let want = brute_force_tree(&t);
        assert_eq!(p["capacity"].as_u64(), Some(want as u64), "{f}");
        assert_eq!(p["optimal"], true, "{f}");
        assert_eq!(p["writes"].as_u64(), Some(t.nodes.len() as u64), "{f}");
        // The original: the formula read whole.
        let mut original = String::from("board 1\n");
        let used: Vec<String> = sets
            .iter()
            .filter(|s| f.contains(&s[..1]))
            .map(|s| s.replace('=', " = "))
            .collect();
        if !used.is_empty() {
            original.push_str(&format!("input {}\n", used.join(", ")));
        }
        original.push_str(&format!("read {f}\n"));
        let o = file(&original);
        let out = wb(&["run", o.path().to_str().unwrap()]);
        let value = text(&out.stdout);
        let value = value.rsplit(" = ").next().unwrap_or_default();
        check_and_run(
            p["program"].as_str().unwrap(),
            want as u64,
            &format!("result = {value}"),
        );
    }
}

// ---- DAGs ----------------------------------------------------------------

/// A random straight-line program in three-address form: value `k` is
/// `write vK = X op Y` over earlier values and inputs; some values read.
struct Dag {
    args: Vec<Vec<usize>>,
    src: String,
    reads: Vec<usize>,
}

fn random_dag(rng: &mut Rng, n: usize) -> Dag {
    let mut src = String::from("board 20\ninput a = ");
    src.push_str(&format!("{}, b = {}\n", rng.below(5) + 1, rng.below(3) + 1));
    let mut args = Vec::new();
    for k in 0..n {
        let operand = |rng: &mut Rng, mine: &mut Vec<usize>| {
            if k > 0 && rng.below(4) != 0 {
                // Mostly recent values, so that the graph is deep.
                let back = 1 + rng.below(k.min(4));
                let u = k - back;
                mine.push(u);
                format!("v{u}")
            } else {
                ["a", "b"][rng.below(2)].to_owned()
            }
        };
        let mut mine = Vec::new();
        let x = operand(rng, &mut mine);
        let y = operand(rng, &mut mine);
        let op = ["+", "-", "*", "+"][rng.below(4)];
        src.push_str(&format!("write v{k} = {x} {op} {y}\n"));
        mine.dedup();
        args.push(mine);
    }
    let mut reads = vec![n - 1];
    if n > 2 && rng.below(2) == 0 {
        reads.insert(0, rng.below(n - 1));
    }
    for r in &reads {
        src.push_str(&format!("read v{r}\n"));
    }
    Dag { args, src, reads }
}

/// The enumeration: iterative deepening over write sequences. A node of the
/// search is the board (a set) and the reads made; its moves are a write
/// (into a free slot or over an operand), a forget, or the next read.
struct Enumeration<'a> {
    dag: &'a Dag,
    needed: Vec<bool>,
    read_named: Vec<bool>,
    capacity: usize,
    once: bool,
    explored: HashMap<(u64, usize, u64), u32>,
}

impl Enumeration<'_> {
    fn new(dag: &Dag, capacity: usize, once: bool) -> Enumeration<'_> {
        let n = dag.args.len();
        let mut needed = vec![false; n];
        for &r in &dag.reads {
            needed[r] = true;
        }
        for v in (0..n).rev() {
            if needed[v] {
                for &u in &dag.args[v] {
                    needed[u] = true;
                }
            }
        }
        let mut read_named = vec![false; n];
        for &r in &dag.reads {
            read_named[r] = true;
        }
        Enumeration {
            dag,
            needed,
            read_named,
            capacity,
            once,
            explored: HashMap::new(),
        }
    }

    /// Can every read be made with at most `budget` more writes?
    fn reach(&mut self, board: u64, reads: usize, written: u64, budget: u32) -> bool {
        let mut reads = reads;
        while reads < self.dag.reads.len() && board >> self.dag.reads[reads] & 1 == 1 {
            reads += 1;
        }
        if reads == self.dag.reads.len() {
            return true;
        }
        let key = (board, reads, if self.once { written } else { 0 });
        if self.explored.get(&key).is_some_and(|&b| b >= budget) {
            return false;
        }
        self.explored.insert(key, budget);
        // Forgets.
        for u in 0..self.dag.args.len() {
            if board >> u & 1 == 1 && self.reach(board & !(1 << u), reads, written, budget) {
                return true;
            }
        }
        if budget == 0 {
            return false;
        }
        for v in 0..self.dag.args.len() {
            if !self.needed[v] || board >> v & 1 == 1 || (self.once && written >> v & 1 == 1) {
                continue;
            }
            if self.dag.args[v].iter().any(|&u| board >> u & 1 == 0) {
                continue;
            }
            let w = written | 1 << v;
            if (board.count_ones() as usize) < self.capacity
                && self.reach(board | 1 << v, reads, w, budget - 1)
            {
                return true;
            }
            for &u in &self.dag.args[v] {
                if !self.read_named[u]
                    && self.reach((board & !(1 << u)) | 1 << v, reads, w, budget - 1)
                {
                    return true;
                }
            }
        }
        false
    }

    /// The fewest writes, up to `limit`.
    fn fewest_writes(&mut self, limit: u32) -> Option<u32> {
        (0..=limit).find(|&b| {
            self.explored.clear();
            self.reach(0, 0, 0, b)
        })
    }
}

#[test]
fn dag_plans_match_an_independent_enumeration() {
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    // How often recomputation saved a slot, and how often a capacity was
    // refused: the cases must exercise both.
    let (mut saved, mut refused, mut recomputed) = (0, 0, 0);
    for case in 0..40 {
        let n = 3 + case % 10;
        let dag = random_dag(&mut rng, n);
        let f = file(&dag.src);
        let path = f.path().to_str().unwrap();
        let original = text(&wb(&["run", path]).stdout);
        let needed = Enumeration::new(&dag, 0, true)
            .needed
            .iter()
            .filter(|&&x| x)
            .count() as u32;
        let limit = 3 * needed + 3;
        for once in [true, false] {
            // Fewest slots, then fewest writes on them.
            let (slots, writes) = (1..=n + 1)
                .find_map(|c| {
                    Enumeration::new(&dag, c, once)
                        .fewest_writes(limit)
                        .map(|w| (c, w))
                })
                .expect("a plan on n + 1 slots");
            let mut args = vec!["plan", path, "--json"];
            if once {
                args.push("--no-recompute");
            }
            let p = plan_json(&args).unwrap_or_else(|o| panic!("{}\n{}", dag.src, text(&o.stderr)));
            let got = (
                p["capacity"].as_u64().unwrap(),
                p["writes"].as_u64().unwrap(),
            );
            assert_eq!(
                got,
                (slots as u64, u64::from(writes)),
                "once={once}\n{}",
                dag.src
            );
            if !once && u64::from(writes) > u64::from(needed) {
                saved += 1;
            }
            assert_eq!(p["optimal"], true);
            assert!(p["lower_bound"].as_u64().unwrap() <= slots as u64);
            check_and_run(p["program"].as_str().unwrap(), slots as u64, &original);
        }
        // Below the each-value-once minimum: the fewest writes with
        // recomputation, on every capacity from there down to a refusal.
        let once_slots = (1..=n + 1)
            .find(|&c| {
                Enumeration::new(&dag, c, true)
                    .fewest_writes(needed)
                    .is_some()
            })
            .unwrap();
        for c in (1..once_slots).rev() {
            let want = Enumeration::new(&dag, c, false).fewest_writes(limit);
            let cap = c.to_string();
            let got = plan_json(&["plan", path, "--json", "--capacity", &cap]);
            match (want, got) {
                (Some(w), Ok(p)) => {
                    assert_eq!(
                        p["writes"].as_u64(),
                        Some(u64::from(w)),
                        "c={c}\n{}",
                        dag.src
                    );
                    recomputed += 1;
                    check_and_run(p["program"].as_str().unwrap(), c as u64, &original);
                }
                (None, Err(out)) => {
                    assert_eq!(out.status.code(), Some(1));
                    assert!(text(&out.stderr).contains("wb::no_plan"));
                    refused += 1;
                }
                (w, g) => panic!(
                    "c={c}: enumeration {w:?}, plan {:?}\n{}",
                    g.map_err(|o| text(&o.stderr)),
                    dag.src
                ),
            }
        }
    }
    assert!(
        saved > 0 && refused > 0 && recomputed > 0,
        "{saved} {refused} {recomputed}"
    );
    eprintln!("recomputation saved a slot {saved} times; {recomputed} plans below once, {refused} refusals");
}

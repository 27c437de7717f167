//! `wb plan` speed, as ratios against `wb check` of the same program in the
//! same run: trees of 100,000 and 1,000,000 values (goal: under 1 s, at
//! most 2× the check, 10× the tree in at most 11× the time), DAGs of 25
//! values searched exactly at capacities up to 8 (goal: under 1 s), and the
//! heuristic on a 1,000,000-value DAG with its gap to the lower bound.
//! Run with `cargo bench --bench plan`; `docs/plan.md` has the figures.

use std::time::{Duration, Instant};

use wb::check;
use wb::plan::{self, dataflow, emit, Options};
use wb::syntax;

/// A tiny LCG: the same programs on every machine.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// A random expression tree of `n` values written as a program that
/// evaluates it on a stack: each value read once, forgotten when used.
fn tree_program(n: usize) -> String {
    let mut rng = Lcg(7);
    let mut body = String::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut peak = 0;
    for k in 0..n {
        let left = n - k;
        if stack.len() >= 2 && (rng.below(2) == 0 || stack.len() >= left) {
            let (j, i) = (stack.pop().unwrap_or(0), stack.pop().unwrap_or(0));
            let op = ["+", "*", "-"][rng.below(3) as usize];
            body.push_str(&format!("write v{k} = v{i} {op} v{j}\nforget v{i}, v{j}\n"));
        } else {
            body.push_str(&format!("write v{k} = a * b\n"));
        }
        stack.push(k);
        peak = peak.max(stack.len() + 1);
    }
    // Whatever is left is combined into one value.
    let mut k = n;
    while stack.len() >= 2 {
        let (j, i) = (stack.pop().unwrap_or(0), stack.pop().unwrap_or(0));
        body.push_str(&format!("write v{k} = v{i} + v{j}\nforget v{i}, v{j}\n"));
        stack.push(k);
        k += 1;
    }
    format!(
        "board {}\ninput a = 1.5, b = 0.5\n{body}read v{}\n",
        peak + 1,
        k - 1
    )
}

/// A random DAG of `n` values, each over recent ones: shared values.
fn dag_program(n: usize, seed: u64) -> String {
    let mut rng = Lcg(seed);
    let mut out = format!("board {}\ninput a = 1, b = 2\n", n.max(1));
    for k in 0..n {
        let operand = |rng: &mut Lcg| {
            if k > 0 && rng.below(4) != 0 {
                format!("v{}", k - 1 - rng.below(k.min(8) as u64) as usize)
            } else {
                ["a", "b"][rng.below(2) as usize].to_owned()
            }
        };
        let (x, y) = (operand(&mut rng), operand(&mut rng));
        out.push_str(&format!("write v{k} = {x} + {y}\n"));
    }
    for r in [n / 3, 2 * n / 3, n - 1] {
        out.push_str(&format!("read v{r}\n"));
    }
    out
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let t = f();
    (start.elapsed(), t)
}

/// The best of three: the machine is shared.
fn best<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let (mut d, mut t) = time(&mut f);
    for _ in 0..2 {
        let (d2, t2) = time(&mut f);
        if d2 < d {
            (d, t) = (d2, t2);
        }
    }
    (d, t)
}

/// Parse + plan + write the program, as `wb plan FILE` does.
fn plan_source(src: &str, opts: &Options<'_>) -> (usize, usize, bool, usize) {
    let mut parsed = syntax::parse(src);
    let flow = match dataflow::from_program_taking_names(&mut parsed.program) {
        Ok(f) => f,
        Err(_) => panic!("the generated program is plannable"),
    };
    let p = plan::plan(&flow, opts).unwrap_or_else(|_| panic!("a plan"));
    let written = emit::write(&flow, &p.steps, emit::Style::default(), false);
    std::mem::forget(parsed);
    (p.cost.slots, written.body.len(), p.optimal, p.lower_bound)
}

/// Parse + check, as `wb check FILE` does.
fn check_source(src: &str) -> usize {
    let parsed = syntax::parse(src);
    let a = check::check(&parsed.program, None);
    assert!(!a.has_errors());
    let peak = a.peak;
    std::mem::forget((parsed, a));
    peak
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not run
    // this long.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("trees: wb plan (parse + plan + write) vs wb check (parse + check)");
    let mut plan_times = Vec::new();
    for n in [100_000, 1_000_000] {
        let src = tree_program(n);
        let (tc, peak) = best(|| check_source(&src));
        let (tp, (slots, bytes, optimal, _)) = best(|| plan_source(&src, &Options::default()));
        println!(
            "  {n:>9} values: plan {:>7.3} s ({slots} slots, optimal {optimal}, {bytes} bytes), \
             check {:>7.3} s (its own order: {peak}); ratio {:.2}",
            tp.as_secs_f64(),
            tc.as_secs_f64(),
            tp.as_secs_f64() / tc.as_secs_f64()
        );
        plan_times.push(tp);
    }
    println!(
        "  10x the tree: {:.2}x the time",
        plan_times[1].as_secs_f64() / plan_times[0].as_secs_f64()
    );

    println!("DAGs of 25 values, exact search (fewest writes on C slots):");
    for seed in 1..=3 {
        let src = dag_program(25, seed);
        for c in [3, 4, 5, 6, 8] {
            let opts = Options {
                capacity: Some(c),
                ..Options::default()
            };
            let parsed = syntax::parse(&src);
            let flow = dataflow::from_program(&parsed.program).unwrap_or_default();
            let (t, r) = time(|| plan::plan(&flow, &opts));
            let what = match r {
                Ok(p) => format!("{} writes, optimal {}", p.cost.writes, p.optimal),
                Err(no) => format!("no plan (minimum {:?})", no.minimum),
            };
            println!("  seed {seed} C={c}: {:>7.3} s, {what}", t.as_secs_f64());
        }
        let parsed = syntax::parse(&src);
        let flow = dataflow::from_program(&parsed.program).unwrap_or_default();
        let (t, r) = time(|| plan::plan(&flow, &Options::default()));
        if let Ok(p) = r {
            println!(
                "  seed {seed} fewest slots: {:>7.3} s, {} slots {} writes, optimal {}",
                t.as_secs_f64(),
                p.cost.slots,
                p.cost.writes,
                p.optimal
            );
        }
    }

    println!("the heuristic on a DAG of 1,000,000 values:");
    let src = dag_program(1_000_000, 9);
    let (tc, _) = best(|| check_source(&src));
    let (tp, (slots, _, _, lower)) = best(|| plan_source(&src, &Options::default()));
    println!(
        "  plan {:.3} s: {slots} slots, lower bound {lower} (gap {}); check {:.3} s; ratio {:.2}",
        tp.as_secs_f64(),
        slots - lower,
        tc.as_secs_f64(),
        tp.as_secs_f64() / tc.as_secs_f64()
    );
}

//! Gradients of every element of a 1 000 000-element stream against the
//! plain run of the same program, in one process, on varied programs (a
//! plain recurrence, a soft gate, four reads, a `when` gate, forgets and a
//! read inside the loop, differentiated at six elements): reverse mode with
//! checkpoints should take at most 5 times the run (it runs the loop twice
//! forwards and once backwards). The two take turns, five rounds, so a busy
//! machine slows them alike; the medians and their ratio are printed.
//!
//! Run: `cargo bench --bench grad` (`WB_ELEMENTS=N` for another length).
//! Memory is asserted by `tests/grad_memory.rs`, not here.

use std::hint::black_box;
use std::time::{Duration, Instant};

use wb::grad::{self, Spec};
use wb::interp::{Bindings, Machine};

const PROGRAMS: [(&str, &str); 5] = [
    (
        "0.5 * s + x",
        "board 1\nstream x = []\nwrite s = 0\neach x {\n  write s = 0.5 * s + x\n}\nread s\n",
    ),
    (
        "ema (soft gate)",
        "board 1\nstream x = []\ninput alpha = 0.01\nwrite avg = 0\neach x {\n  write avg = x gate alpha\n}\nread avg\n",
    ),
    ("stream_stats", include_str!("../examples/stream_stats.wb")),
    (
        "when (running max)",
        "board 1\nstream x = []\nwrite best = -1e300\neach x {\n  write best = x when x > best\n}\nread best\n",
    ),
    (
        "forgets, a read inside",
        "board 3\nstream x = []\nwrite s = 0\neach x {\n  write d = tanh(x - s)\n  write e = d * d\n  write s = 0.9 * s + 0.1 * e\n  forget d, e\n  read s\n}\n",
    ),
];

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("WB_ELEMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let xs: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 / 100.0).collect();
    println!("{n} elements; medians of 5 rounds");
    println!(
        "{:<24} {:>10} {:>10} {:>7}",
        "program", "run", "grad", "ratio"
    );
    let mut worst: f64 = 0.0;
    for (name, src) in PROGRAMS {
        let parsed = wb::syntax::parse(src);
        let analysis = wb::check::check(&parsed.program, None);
        assert!(!analysis.has_errors());
        let mut bindings = wb::interp::bind(
            &analysis.symbols,
            &parsed.program.names,
            &Default::default(),
        )
        .expect("defaults");
        bindings.streams = vec![xs.clone()];
        let capacity = analysis.capacity.unwrap_or(0);
        let run = |b: &Bindings| {
            let mut machine =
                Machine::new(&parsed.program, src, &analysis.symbols, capacity, b.clone());
            let mut reads = Vec::new();
            machine
                .run(&parsed.program.items, &mut reads, Default::default())
                .expect("runs");
            black_box(reads);
        };
        let gradients = |b: &Bindings| {
            let compiled = grad::compile(&parsed.program, &analysis.symbols, src);
            let g = grad::reverse::gradients(Spec {
                compiled: &compiled,
                scalars: &b.scalars,
                streams: &b.streams,
                at: None,
                interrupt: None,
            })
            .expect("differentiates");
            black_box(g);
        };
        let (mut t_run, mut t_grad) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            t_run.push(time(|| run(&bindings)));
            t_grad.push(time(|| gradients(&bindings)));
        }
        let (r, g) = (median(&mut t_run), median(&mut t_grad));
        let ratio = g.as_secs_f64() / r.as_secs_f64();
        worst = worst.max(ratio);
        println!("{name:<24} {:>8.1}ms {:>8.1}ms {ratio:>6.2}×", ms(r), ms(g));
    }
    println!("largest ratio {worst:.2}× (the target is at most 5×)");
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

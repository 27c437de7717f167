//! The cell on 1 000 000 input rows of `examples/whiteboard.wb`, against a
//! hand-written Rust loop doing the same arithmetic (with the same
//! every-result-finite checks, and without them). `bench/cell_peer.py` does
//! the same with numpy; `bench/README.md` has the ratios.
//!
//! Run: `cargo bench --bench cell` (criterion), or
//! `cargo bench --bench cell -- ratios` for the ratios measured in one run:
//! the engines take turns, so a busy machine slows them alike.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};

use wb::cell::{self, Batch, Engine, Sink};

const ROWS_DEFAULT: usize = 1_000_000;

/// Keeps the one read of every row.
struct Column(Vec<f64>);

impl Sink for Column {
    fn read(
        &mut self,
        _site: usize,
        first: usize,
        values: &[f64],
        rows: Option<&[bool]>,
        _index: Option<u64>,
    ) {
        let out = &mut self.0[first..first + values.len()];
        match rows {
            None => out.copy_from_slice(values),
            Some(on) => {
                for ((o, &v), &keep) in out.iter_mut().zip(values).zip(on) {
                    if keep {
                        *o = v;
                    }
                }
            }
        }
    }
}

/// Deterministic inputs in [1, 11): the same for every engine.
fn rows() -> usize {
    std::env::var("WB_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROWS_DEFAULT)
}

fn inputs() -> [Vec<f64>; 4] {
    let rows = rows();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        1.0 + (state >> 11) as f64 / (1u64 << 53) as f64 * 10.0
    };
    let mut cols: [Vec<f64>; 4] = Default::default();
    for _ in 0..rows {
        for col in cols.iter_mut() {
            col.push(next());
        }
    }
    cols
}

#[inline(always)]
fn finite(v: f64, ok: &mut bool) -> f64 {
    *ok &= v.is_finite();
    v
}

/// `ad + ac(bd + a)`, step by step as the program writes it, each result
/// checked finite (a row with a non-finite result is marked failed).
fn hand_checked(a: &[f64], b: &[f64], c: &[f64], d: &[f64], out: &mut [f64], failed: &mut [bool]) {
    for i in 0..out.len() {
        let mut ok = true;
        let ac = finite(a[i] * c[i], &mut ok);
        let bd = finite(b[i] * d[i], &mut ok);
        let bd_a = finite(bd + a[i], &mut ok);
        let p = finite(ac * bd_a, &mut ok);
        let ad = finite(a[i] * d[i], &mut ok);
        out[i] = finite(ad + p, &mut ok);
        failed[i] = !ok;
    }
}

/// The same without the checks: the floor.
fn hand_unchecked(a: &[f64], b: &[f64], c: &[f64], d: &[f64], out: &mut [f64]) {
    for i in 0..out.len() {
        let ac = a[i] * c[i];
        let bd_a = b[i] * d[i] + a[i];
        out[i] = a[i] * d[i] + ac * bd_a;
    }
}

fn bench(cr: &mut Criterion) {
    let rows = rows();
    let src =
        std::fs::read_to_string("examples/whiteboard.wb").expect("run from the repository root");
    let parsed = wb::syntax::parse(&src);
    let analysis = wb::check::check(&parsed.program, None);
    let compiled = cell::compile(&parsed.program, &analysis, &src).expect("the example compiles");
    let [a, b, c, d] = inputs();
    let mut batch = Batch::zeros(&compiled, rows);
    for (i, col) in [&a, &b, &c, &d].into_iter().enumerate() {
        batch
            .scalars
            .row_mut(i)
            .assign(&ndarray::ArrayView1::from(col.as_slice()));
    }

    let mut engine = match std::env::var("WB_CHUNK").ok().and_then(|v| v.parse().ok()) {
        Some(k) => Engine::with_chunk(&compiled, k),
        None => Engine::new(&compiled),
    };
    eprintln!("cell: {} rows, chunks of {} rows", rows, engine.chunk());
    let mut sink = Column(vec![0.0; rows]);
    let mut out = vec![0.0; rows];
    let mut failed = vec![false; rows];
    // The engines must agree before they are timed.
    engine.run(&batch, &mut sink).expect("the batch fits");
    hand_checked(&a, &b, &c, &d, &mut out, &mut failed);
    assert!(out
        .iter()
        .zip(&sink.0)
        .all(|(x, y)| x.to_bits() == y.to_bits()));

    if std::env::args().any(|a| a == "ratios") {
        let mut out2 = vec![0.0; rows];
        ratios(
            &mut || {
                let o = engine
                    .run(black_box(&batch), &mut sink)
                    .expect("the batch fits");
                black_box(o.failures.len());
            },
            &mut || {
                hand_checked(black_box(&a), &b, &c, &d, &mut out, &mut failed);
                black_box(out[rows - 1]);
            },
            &mut || {
                hand_unchecked(black_box(&a), &b, &c, &d, &mut out2);
                black_box(out2[rows - 1]);
            },
        );
        return;
    }
    let mut group = cr.benchmark_group("whiteboard_1M_rows");
    group.sample_size(20);
    group.bench_function("cell", |bch| {
        bch.iter(|| {
            let o = engine
                .run(black_box(&batch), &mut sink)
                .expect("the batch fits");
            black_box(o.failures.len())
        })
    });
    group.bench_function("hand_rust_checked", |bch| {
        bch.iter(|| {
            hand_checked(black_box(&a), &b, &c, &d, &mut out, &mut failed);
            black_box(out[rows - 1])
        })
    });
    group.bench_function("hand_rust_checked_on_batch", |bch| {
        let flat = batch.scalars.as_slice().expect("standard layout");
        let (a2, rest) = flat.split_at(rows);
        let (b2, rest) = rest.split_at(rows);
        let (c2, d2) = rest.split_at(rows);
        bch.iter(|| {
            hand_checked(black_box(a2), b2, c2, d2, &mut out, &mut failed);
            black_box(out[rows - 1])
        })
    });
    group.bench_function("hand_rust_unchecked", |bch| {
        bch.iter(|| {
            hand_unchecked(black_box(&a), &b, &c, &d, &mut out);
            black_box(out[rows - 1])
        })
    });
    group.finish();
}

/// Runs the three in turn (`WB_RUNS` times, default 300) and prints each
/// one's median and the ratios of the medians.
fn ratios(cell: &mut dyn FnMut(), checked: &mut dyn FnMut(), unchecked: &mut dyn FnMut()) {
    let mut engines: [&mut dyn FnMut(); 3] = [cell, checked, unchecked];
    let runs: usize = std::env::var("WB_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
        .max(1);
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..runs {
        for (f, t) in engines.iter_mut().zip(times.iter_mut()) {
            let start = Instant::now();
            f();
            t.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let [cell, checked, unchecked] = times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    });
    println!("medians of {runs} runs, taking turns:");
    println!("  cell                 {cell:8.3} ms");
    println!("  hand_rust_checked    {checked:8.3} ms");
    println!("  hand_rust_unchecked  {unchecked:8.3} ms");
    println!("cell / hand_rust_checked   = {:.2}x", cell / checked);
    println!("cell / hand_rust_unchecked = {:.2}x", cell / unchecked);
}

criterion_group!(benches, bench);
criterion_main!(benches);

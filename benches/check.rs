//! `wb check` speed: linear in the program, and in the number of errors it
//! renders. Run with `cargo bench --bench check`; `bench/README.md` has the
//! numbers and the 10x scaling ratios.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

use wb::check;
use wb::diag::{self, Style};
use wb::syntax;

/// A clean program of about `n` statements: blocks of whiteboard-style
/// writes, reads and forgets, and a loop, over many distinct names.
pub fn clean_program(n: usize) -> String {
    let mut out = String::from("board 4\ninput a = 1, b = 2\nstream s = [1, 2, 3]\n");
    let mut count = 0;
    let mut i = 0;
    while count < n {
        let k = i % 5000;
        out.push_str(&format!(
            "write x{k} = a * 2\nwrite y{k} = x{k} + b\nforget x{k}\nwrite z{k} = y{k} * y{k}\n\
             read z{k}\nforget y{k}, z{k}\neach s {{\n    write w{k} = s + a\n    read w{k}\n    forget w{k}\n}}\n"
        ));
        count += 11;
        i += 1;
    }
    out
}

/// A loop body of `3n` statements over `n` values the loop carries: each
/// loop's summary is as wide as the program (this once cost quadratic time).
pub fn wide_program(n: usize) -> String {
    let mut out = format!("board {}\ninput a = 1\n", n + 5);
    for i in 0..n {
        out.push_str(&format!("write c{i} = a\n"));
    }
    out.push_str("repeat 2 {\n");
    for i in 0..n {
        out.push_str(&format!(
            "  write t{i} = c{i} + 1\n  read t{i}\n  forget t{i}\n"
        ));
    }
    out.push_str("}\n");
    for i in 0..n {
        out.push_str(&format!("read c{i}\n"));
    }
    out
}

/// A program with `n` independent `board_full` errors.
pub fn overflowing_program(n: usize) -> String {
    let mut out = String::from("board 1\ninput a = 1\n");
    for i in 0..n {
        out.push_str(&format!(
            "write k{i} = a\nwrite e{i} = k{i} + 1\nread k{i}\nforget k{i}\n"
        ));
    }
    out
}

fn bench_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    for n in [100_000, 1_000_000] {
        let src = clean_program(n);
        let parsed = syntax::parse(&src);
        assert!(parsed.diagnostics.is_empty());
        group.bench_with_input(BenchmarkId::new("check", n), &parsed.program, |b, p| {
            b.iter(|| check::check(p, None))
        });
    }
    group.finish();
}

fn bench_render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let src = overflowing_program(n);
        let parsed = syntax::parse(&src);
        let analysis = check::check(&parsed.program, None);
        assert_eq!(analysis.diagnostics.len(), n);
        group.bench_with_input(BenchmarkId::new("check", n), &parsed.program, |b, p| {
            b.iter(|| check::check(p, None))
        });
        group.bench_with_input(
            BenchmarkId::new("render_many", n),
            &analysis.diagnostics,
            |b, d| b.iter(|| diag::render_many(d, "errors.wb", &src, Style::plain())),
        );
    }
    group.finish();
}

/// One-shot timings with the 10x ratios, printed for `bench/README.md`
/// (`cargo bench --bench check -- ratios`).
fn ratios(_: &mut Criterion) {
    if !std::env::args().any(|a| a == "ratios") {
        return;
    }
    let time = |f: &mut dyn FnMut()| {
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            f();
            best = best.min(t.elapsed());
        }
        best
    };
    let mut rows = Vec::new();
    for n in [100_000, 1_000_000] {
        let src = clean_program(n);
        let parse = time(&mut || drop(syntax::parse(&src)));
        let parsed = syntax::parse(&src);
        let check = time(&mut || drop(check::check(&parsed.program, None)));
        rows.push((n, parse, check));
    }
    for (n, parse, check) in &rows {
        println!("clean {n:>9} statements: parse {parse:>10.3?}  check {check:>10.3?}");
    }
    println!(
        "ratio 1M/100k: parse {:.2}x, check {:.2}x",
        rows[1].1.as_secs_f64() / rows[0].1.as_secs_f64(),
        rows[1].2.as_secs_f64() / rows[0].2.as_secs_f64()
    );
    let mut wide = Vec::new();
    for n in [10_000, 100_000] {
        let src = wide_program(n);
        let parsed = syntax::parse(&src);
        wide.push(time(&mut || drop(check::check(&parsed.program, None))));
        println!(
            "wide loop body over {n:>7} carried values: check {:>10.3?}",
            wide[wide.len() - 1]
        );
    }
    println!(
        "ratio 100k/10k: check {:.2}x",
        wide[1].as_secs_f64() / wide[0].as_secs_f64()
    );
    let mut rows = Vec::new();
    for n in [1_000, 10_000, 100_000] {
        let src = overflowing_program(n);
        let parsed = syntax::parse(&src);
        let check = time(&mut || drop(check::check(&parsed.program, None)));
        let analysis = check::check(&parsed.program, None);
        let render = time(&mut || {
            drop(diag::render_many(
                &analysis.diagnostics,
                "e.wb",
                &src,
                Style::plain(),
            ))
        });
        // The per-diagnostic path (`render`, a copy of the source and a scan
        // from its start each time), for comparison.
        let each = if n <= 10_000 {
            time(&mut || {
                for d in &analysis.diagnostics {
                    drop(diag::render(d, "e.wb", &src, Style::plain()));
                }
            })
        } else {
            Duration::ZERO
        };
        rows.push((n, check, render, each));
    }
    for (n, check, render, each) in &rows {
        println!(
            "errors {n:>8}: check {check:>10.3?}  render_many {render:>10.3?}  render one by one {each:>10.3?}"
        );
        // (one by one is not timed at 100k: it would take most of an hour)
    }
    println!(
        "ratio 10k/1k: check {:.2}x, render_many {:.2}x, render one by one {:.2}x",
        rows[1].1.as_secs_f64() / rows[0].1.as_secs_f64(),
        rows[1].2.as_secs_f64() / rows[0].2.as_secs_f64(),
        rows[1].3.as_secs_f64() / rows[0].3.as_secs_f64()
    );
    println!(
        "ratio 100k/10k: check {:.2}x, render_many {:.2}x",
        rows[2].1.as_secs_f64() / rows[1].1.as_secs_f64(),
        rows[2].2.as_secs_f64() / rows[1].2.as_secs_f64(),
    );
}

criterion_group!(benches, ratios, bench_check, bench_render);
criterion_main!(benches);

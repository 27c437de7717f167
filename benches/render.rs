//! The cost of rendering one diagnostic for a person: `wb check` of a
//! program with many warnings shows the first ones through miette, and
//! each costs this. Run with `cargo bench --bench render`; `cargo bench
//! --bench render -- ratios` prints microseconds per diagnostic against the
//! goal (`bench/README.md`).

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use wb::check;
use wb::diag::{self, Diagnostic, Style};
use wb::syntax;

/// The goal for one rendered diagnostic, in microseconds.
const GOAL_US: f64 = 10.0;

/// A program of about `n` statements where every fourth write leaves a
/// value unread (`wb::dead_write`), with lines of varied length.
fn dead_writes(n: usize) -> String {
    let mut out = String::from("board 6\ninput a = 1\nwrite x = a\nwrite y = a\n");
    for i in 0..n / 4 {
        let pad = " + a".repeat(i % 7);
        out.push_str(&format!(
            "write s = x * {i}{pad}\nwrite s = y - {i}\nwrite x = x / 3 + s{pad}\nwrite y = y + x\n"
        ));
    }
    out.push_str("read x, y\n");
    out
}

fn warnings(n: usize) -> (String, Vec<Diagnostic>) {
    let src = dead_writes(n);
    let parsed = syntax::parse(&src);
    assert!(parsed.diagnostics.is_empty());
    let analysis = check::check_source(&parsed.program, &src, None);
    let diags: Vec<Diagnostic> = analysis.diagnostics.clone();
    assert!(diags.len() >= n / 4, "{} warnings", diags.len());
    (src, diags)
}

fn bench_render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let (src, diags) = warnings(n);
        group.throughput(Throughput::Elements(diags.len() as u64));
        for (label, style) in [
            ("plain", Style::plain()),
            (
                "colour",
                Style {
                    color: true,
                    width: 100,
                },
            ),
        ] {
            group.bench_with_input(
                BenchmarkId::new(format!("dead_write_{label}"), n),
                &diags,
                |b, d| b.iter(|| diag::render_many(d, "w.wb", &src, style)),
            );
        }
        group.bench_with_input(BenchmarkId::new("dead_write_json", n), &diags, |b, d| {
            let lines = syntax::LineIndex::new(&src);
            b.iter(|| {
                let mut out = String::new();
                for x in d {
                    x.write_json(&mut out, Some("w.wb"), &src, &lines);
                }
                out
            })
        });
    }
    group.finish();
}

/// Microseconds per rendered diagnostic, against the goal
/// (`cargo bench --bench render -- ratios`).
fn ratios(_: &mut Criterion) {
    if !std::env::args().any(|a| a == "ratios") {
        return;
    }
    let best = |f: &mut dyn FnMut()| {
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            f();
            best = best.min(t.elapsed());
        }
        best
    };
    let (src, diags) = warnings(40_000);
    let n = diags.len() as f64;
    let lines = syntax::LineIndex::new(&src);
    for (label, style) in [
        ("plain", Style::plain()),
        (
            "colour",
            Style {
                color: true,
                width: 100,
            },
        ),
    ] {
        let t = best(&mut || drop(diag::render_many(&diags, "w.wb", &src, style)));
        let us = t.as_secs_f64() * 1e6 / n;
        println!(
            "render {label:>6}: {us:.2} µs per diagnostic ({} diagnostics) — {} (goal ≤ {GOAL_US} µs)",
            diags.len(),
            if us <= GOAL_US { "met" } else { "MISSED" }
        );
    }
    let t = best(&mut || {
        let mut out = String::new();
        for d in &diags {
            d.write_json(&mut out, Some("w.wb"), &src, &lines);
        }
        drop(out)
    });
    println!(
        "json:          {:.2} µs per diagnostic",
        t.as_secs_f64() * 1e6 / n
    );
    let t = best(&mut || {
        for d in &diags {
            drop(d.to_json_in("w.wb", &src, &lines).to_string());
        }
    });
    println!(
        "json by value: {:.2} µs per diagnostic (serde_json::Value, for comparison)",
        t.as_secs_f64() * 1e6 / n
    );
}

criterion_group!(benches, ratios, bench_render);
criterion_main!(benches);

//! Pictures of a 10 000-element stream (`examples/stream_stats.wb` and
//! `examples/running_max.wb` over 10 000 numbers): recording the run for
//! the pictures, drawing the board, the gates over the stream, and the
//! whole HTML report — each against the same run with no observer
//! watching statements (the peer: what `wb run` does), in the same run.
//!
//! Run: `cargo bench --bench pictures`. The figures are in docs/pictures.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

use wb::check;
use wb::interp::{self, Limits, Machine, Overrides, Read};
use wb::picture::{self, html};
use wb::syntax;

const ELEMENTS: usize = 10_000;

fn overrides() -> Overrides {
    Overrides {
        scalars: Vec::new(),
        streams: vec![(
            "x".to_owned(),
            (0..ELEMENTS).map(|i| ((i * 7919) % 1000) as f64).collect(),
        )],
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("pictures_10000_elements");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    for file in ["examples/stream_stats.wb", "examples/running_max.wb"] {
        let src = std::fs::read_to_string(file).unwrap();
        let program = syntax::parse(&src).program;
        let analysis = check::check(&program, None);
        let capacity = analysis.capacity.unwrap();
        let bind = || interp::bind(&analysis.symbols, &program.names, &overrides()).unwrap();
        let name = file.trim_start_matches("examples/").trim_end_matches(".wb");
        g.bench_function(format!("{name}/run (peer)"), |b| {
            b.iter(|| {
                let mut m = Machine::new(&program, &src, &analysis.symbols, capacity, bind());
                let mut reads: Vec<Read> = Vec::new();
                m.run(&program.items, &mut reads, Limits::default())
                    .unwrap();
                black_box(reads.len())
            })
        });
        let record = || {
            picture::record_run(
                &program,
                &src,
                &analysis,
                capacity,
                bind(),
                Default::default(),
                Limits::default(),
                None,
            )
            .0
        };
        g.bench_function(format!("{name}/record"), |b| {
            b.iter(|| black_box(record().statements))
        });
        let rec = record();
        g.bench_function(format!("{name}/draw board"), |b| {
            b.iter(|| black_box(picture::board::render(&rec, file).len()))
        });
        g.bench_function(format!("{name}/draw stream"), |b| {
            b.iter(|| black_box(picture::stream::render(&rec, file).map(|s| s.len())))
        });
        let cell = wb::cell::compile(&program, &analysis, &src).unwrap();
        g.bench_function(format!("{name}/report (record + draw all + page)"), |b| {
            b.iter(|| {
                let rec = record();
                let page = html::Page {
                    subject: file,
                    src: &src,
                    summary: String::new(),
                    diagnostics: &[],
                    rendered: Vec::new(),
                    reads: (&rec.reads, rec.reads_total),
                    pictures: vec![
                        html::Picture {
                            id: "board",
                            title: "board".into(),
                            svg: Ok(picture::board::render(&rec, file)),
                            how: String::new(),
                            caption: String::new(),
                        },
                        html::Picture {
                            id: "gates",
                            title: "gates".into(),
                            svg: Ok(picture::gates::render(&cell, file)),
                            how: String::new(),
                            caption: String::new(),
                        },
                        html::Picture {
                            id: "stream",
                            title: "stream".into(),
                            svg: picture::stream::render(&rec, file).ok_or_else(String::new),
                            how: String::new(),
                            caption: String::new(),
                        },
                    ],
                };
                black_box(html::page(&page).len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

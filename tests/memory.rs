//! Memory follows what a program uses, not what it declares: `board 1000000`
//! with three values costs what `board 3` costs, and a stream read from a
//! file costs the same however long the file is, on either engine. Measured
//! with a counting allocator (this test binary's own), as the peak of live
//! heap bytes; each test holds [`measuring`] throughout, since the count is
//! the whole process's.

mod counting;

use std::sync::atomic::Ordering;

use counting::{LIVE, PEAK};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// Held while a test measures, so that no other test allocates meanwhile.
fn measuring() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Peak heap bytes (above what was live before) to parse, check and run `src`.
fn peak_bytes(src: &str) -> usize {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let parsed = wb::syntax::parse(src);
    let analysis = wb::check::check(&parsed.program, None);
    assert!(!analysis.has_errors());
    let bindings = wb::interp::bind(
        &analysis.symbols,
        &parsed.program.names,
        &Default::default(),
    )
    .expect("defaults");
    let capacity = analysis.capacity.expect("a board");
    let mut machine =
        wb::interp::Machine::new(&parsed.program, src, &analysis.symbols, capacity, bindings);
    let mut reads = Vec::new();
    machine
        .run(&parsed.program.items, &mut reads, Default::default())
        .expect("runs");
    assert_eq!(reads[0].value, 6.0);
    drop(machine);
    PEAK.load(Ordering::SeqCst) - before
}

#[test]
fn a_huge_board_costs_only_what_is_used() {
    let _turn = measuring();
    let program = |n: usize| {
        format!("board {n}\nwrite a = 1\nwrite b = 2\nwrite c = a + b\nforget a\nread c * 2\n")
    };
    let small = peak_bytes(&program(3));
    let huge = peak_bytes(&program(1_000_000));
    // A slot costs at least 8 bytes; a million of them would be 8 MB.
    assert!(
        huge < small + 4096,
        "board 1000000 took {huge} bytes at peak, board 3 took {small}"
    );
}

/// The generated straight-line program of `bench/gen.py program N wb`.
fn straight_line(n: usize) -> String {
    const LIVE: usize = 12;
    let mut src = String::from("board 16\ninput a = 1\n");
    for k in 0..LIVE {
        src.push_str(&format!("write w{k} = a + {k}\n"));
    }
    for i in 0..n - LIVE - 1 {
        let k = i % LIVE;
        let p = (k + LIVE - 1) % LIVE;
        src.push_str(&format!("write w{k} = w{p} * 0.5 - w{k} / 3 + a\n"));
    }
    let all: Vec<String> = (0..LIVE).map(|k| format!("w{k}")).collect();
    src.push_str(&format!("read {}\n", all.join(", ")));
    src
}

/// Heap bytes per statement to parse and check the straight-line program
/// that `bench/` checks (`bench/gen.py program`): the syntax tree and the
/// checker's tables of a million statements must fit in a few hundred MB.
#[test]
fn parse_and_check_cost_few_bytes_per_statement() {
    let _turn = measuring();
    let n = 100_000;
    let src = straight_line(n);
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let parsed = wb::syntax::parse(&src);
    assert!(parsed.diagnostics.is_empty());
    let analysis = wb::check::check(&parsed.program, None);
    assert!(
        analysis.diagnostics.is_empty(),
        "{:?}",
        analysis.diagnostics
    );
    let per_statement = (PEAK.load(Ordering::SeqCst) - before) / n;
    // Each statement holds 9 postfix operations (16 bytes each) and its
    // node; the source itself is 33 bytes a line. Before the operations
    // were packed and the checker's tables trimmed, this was 470.
    assert!(
        per_statement <= BYTES_PER_STATEMENT,
        "{per_statement} bytes per statement at peak (at most {BYTES_PER_STATEMENT})"
    );
}

const BYTES_PER_STATEMENT: usize = 280;

/// Peak heap bytes to run `examples/stream_stats.wb` with `engine` over a
/// stream file of `n` numbers (`--stream x=@file`).
fn stream_file_peak(n: usize, engine: &str) -> usize {
    let src = std::fs::read_to_string("examples/stream_stats.wb").expect("the example exists");
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(file.as_file_mut());
        for i in 0..n {
            writeln!(w, "{}.25", i % 1000).expect("written");
        }
    }
    let parsed = wb::syntax::parse(&src);
    let analysis = wb::check::check(&parsed.program, None);
    let files = vec![("x".to_owned(), file.path().to_path_buf())];
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let (bindings, streams) = wb::interp::bind_with_files(
        &analysis.symbols,
        &parsed.program.names,
        &Default::default(),
        &files,
    )
    .expect("x comes from its file");
    let mut reads = Vec::new();
    if engine == "cell" {
        let cell = wb::cell::compile(&parsed.program, &analysis, &src).expect("it compiles");
        wb::cell::Engine::with_chunk(&cell, 1)
            .run_one_with_files(&bindings, &streams, &mut reads)
            .expect("runs");
    } else {
        let capacity = analysis.capacity.expect("a board");
        let mut machine =
            wb::interp::Machine::new(&parsed.program, &src, &analysis.symbols, capacity, bindings)
                .with_stream_files(streams);
        machine
            .run(&parsed.program.items, &mut reads, Default::default())
            .expect("runs");
    }
    assert_eq!(reads[0].text, "n");
    assert_eq!(reads[0].value, n as f64);
    PEAK.load(Ordering::SeqCst) - before
}

#[test]
fn a_stream_file_is_read_in_flat_memory_by_both_engines() {
    let _turn = measuring();
    for engine in ["interp", "cell"] {
        let short = stream_file_peak(1_000, engine);
        let long = stream_file_peak(200_000, engine);
        // Held in memory, 200,000 elements would take 1.6 MB.
        assert!(
            long < short + 4096,
            "{engine}: 200,000 elements took {long} bytes at peak, 1,000 took {short}"
        );
    }
}

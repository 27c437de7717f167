//! Every stage on arbitrary text, for the fuzz targets (`fuzz/`) and the
//! no-panic property tests: whatever the input, `wb` must answer with
//! diagnostics, never a panic, a stack overflow or a hang.

use crate::check;
use crate::diag::{render, Style};
use crate::interp::{Bindings, Limits, Machine, Read};
use crate::syntax::{self, Item, Stmt, StmtKind};

/// How many statements a fuzzed run may execute.
pub const MAX_STEPS: u64 = 2_000;

/// Parses `src` with both parsers, renders their diagnostics, and panics if
/// the fast path and the pest grammar disagree.
pub fn parse(src: &str) -> syntax::Parsed {
    let parsed = syntax::parse(src);
    let reference = syntax::parse_reference(src);
    assert_eq!(
        parsed.program.items, reference.program.items,
        "the parsers disagree on {src:?}"
    );
    assert_eq!(
        parsed.diagnostics, reference.diagnostics,
        "the parsers disagree on {src:?}"
    );
    for d in &parsed.diagnostics {
        let _ = render(d, "fuzz.wb", src, Style::plain());
        let _ = d.to_json(src, &parsed.program.lines);
    }
    parsed
}

/// Parses and checks `src` (with its own board and with two slots), and
/// renders every diagnostic.
pub fn check(src: &str) {
    let parsed = parse(src);
    if !parsed.diagnostics.is_empty() {
        return;
    }
    for capacity in [None, Some(2)] {
        let analysis = check::check(&parsed.program, capacity);
        for d in &analysis.diagnostics {
            let _ = render(d, "fuzz.wb", src, Style::plain());
            let _ = d.to_json(src, &parsed.program.lines);
        }
    }
}

/// Parses, checks and runs `src` with the interpreter under a step limit,
/// also when the check failed (the interpreter guards every rule itself);
/// panics if the board ever holds more than its capacity.
pub fn run(src: &str) {
    let parsed = parse(src);
    if !parsed.diagnostics.is_empty() {
        return;
    }
    let program = &parsed.program;
    for capacity in [None, Some(2)] {
        let analysis = check::check(program, capacity);
        let bindings = fuzz_bindings(&analysis.symbols);
        let cap = analysis.capacity.unwrap_or(3);
        let mut machine = Machine::new(program, src, &analysis.symbols, cap, bindings);
        let mut reads = Vec::new();
        let limits = Limits {
            max_steps: Some(MAX_STEPS),
            interrupt: None,
        };
        let result = machine.run(&program.items, &mut reads, limits);
        if let Err(d) = &result {
            let _ = render(d, "fuzz.wb", src, Style::plain());
        }
        assert!(
            machine.board().occupancy() <= cap,
            "the board exceeds its capacity"
        );
        if !analysis.has_errors() {
            if let Err(d) = result {
                // A checked program never fails with a board error.
                assert!(
                    !matches!(
                        d.code,
                        crate::diag::Code::BoardFull
                            | crate::diag::Code::Forgotten
                            | crate::diag::Code::NotOnBoard
                            | crate::diag::Code::GatedNewSlot
                            | crate::diag::Code::UnknownName
                            | crate::diag::Code::StreamOutsideEach
                    ),
                    "a checked program failed with {} on {src:?}",
                    d.code
                );
            }
        }
    }
}

/// Inputs for a fuzzed run: the defaults, else 1.5 and `[0.5, -2, 3]`.
fn fuzz_bindings(symbols: &check::Symbols) -> Bindings {
    Bindings {
        scalars: symbols
            .inputs
            .iter()
            .map(|i| i.default.unwrap_or(1.5))
            .collect(),
        streams: symbols
            .streams
            .iter()
            .map(|s| s.default.clone().unwrap_or_else(|| vec![0.5, -2.0, 3.0]))
            .collect(),
    }
}

/// How many statements a run executes at most, saturating; `streams` is
/// the longest stream.
fn work(body: &[Stmt], streams: u64) -> u64 {
    body.iter().fold(0u64, |total, s| {
        let cost = match &s.kind {
            StmtKind::Repeat { count, body } => count.saturating_mul(work(body, streams)),
            StmtKind::Each { body, .. } => streams.saturating_mul(work(body, streams)),
            _ => 1,
        };
        total.saturating_add(cost.max(1))
    })
}

/// Runs a checked `src` on the interpreter and on the cell (one row, and a
/// batch of three equal rows), and panics unless they agree bit for bit on
/// every read and fail with the same code.
pub fn cell(src: &str) {
    let parsed = parse(src);
    if !parsed.diagnostics.is_empty() {
        return;
    }
    let program = &parsed.program;
    let analysis = check::check(program, None);
    if analysis.has_errors() {
        return;
    }
    let bindings = fuzz_bindings(&analysis.symbols);
    let longest = bindings.streams.iter().map(Vec::len).max().unwrap_or(0) as u64;
    let stmts: Vec<Stmt> = program
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Stmt(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    if work(&stmts, longest) > MAX_STEPS {
        return; // the cell has no step limit; keep the fuzzer fast
    }
    let cap = analysis.capacity.unwrap_or(3);
    let mut machine = Machine::new(program, src, &analysis.symbols, cap, bindings.clone());
    let mut interp_reads: Vec<Read> = Vec::new();
    let interp = machine.run(&program.items, &mut interp_reads, Limits::default());
    let Ok(compiled) = crate::cell::compile(program, &analysis, src) else {
        panic!("a checked program does not compile to a cell: {src:?}");
    };
    let mut cell_reads: Vec<Read> = Vec::new();
    let cell = crate::cell::Engine::new(&compiled).run_one(&bindings, &mut cell_reads);
    let bits = |reads: &[Read]| {
        reads
            .iter()
            .map(|r| (r.value.to_bits(), r.index))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        bits(&interp_reads),
        bits(&cell_reads),
        "reads differ on {src:?}"
    );
    assert_eq!(
        interp.err().map(|d| d.code),
        cell.err().map(|d| d.code),
        "errors differ on {src:?}"
    );
}

//! Every stage on arbitrary text, for the fuzz targets (`fuzz/`) and the
//! no-panic property tests: whatever the input, `wb` must answer with
//! diagnostics, never a panic, a stack overflow or a hang.

use crate::check;
use crate::diag::{render, Style};
use crate::interp::{Bindings, Limits, Machine};
use crate::syntax;

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
        let bindings = Bindings {
            scalars: analysis
                .symbols
                .inputs
                .iter()
                .map(|i| i.default.unwrap_or(1.5))
                .collect(),
            streams: analysis
                .symbols
                .streams
                .iter()
                .map(|s| s.default.clone().unwrap_or_else(|| vec![0.5, -2.0, 3.0]))
                .collect(),
        };
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

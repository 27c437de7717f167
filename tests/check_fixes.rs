//! Advice that can be followed blindly: on generated programs with board
//! errors, every suggestion `wb check` marks machine-applicable is applied,
//! and the *whole* program is checked again:
//!
//! - that error is gone;
//! - every error left was there before (same code, same place once the
//!   edits are accounted for): none is new, anywhere;
//! - the number of errors drops;
//! - the program's reads are unchanged: run by the interpreter with room to
//!   spare (so that only the values matter), the fixed program prints what
//!   the original printed (all of it, when the original ran to its end);
//! - every comment of the original is still in the text.

mod check_support;

use check_support::{checked, inputs, programs, run, Shape};
use proptest::prelude::*;
use wb::check::{self, advice};
use wb::diag::{Applicability, Code, Diagnostic};

const CASES: u32 = 600;

/// The program with a comment after some of its lines (`marks[i]`).
fn commented(src: &str, marks: &[bool]) -> String {
    let mut out = String::new();
    for (i, line) in src.lines().enumerate() {
        out.push_str(line);
        if i > 0 && marks.get(i).copied().unwrap_or(false) && !line.trim_end().ends_with('{') {
            out.push_str(&format!("  # note {i}"));
        }
        out.push('\n');
    }
    out
}

fn errors(diags: &[Diagnostic]) -> Vec<(Code, u32)> {
    diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code, d.position()))
        .collect()
}

/// Where byte `old` lands after `edits` (sorted, not overlapping); a byte
/// inside a replaced span lands at the replacement's start.
fn moved(edits: &[wb::diag::Edit], old: u32) -> i64 {
    let mut delta = 0i64;
    for e in edits {
        if e.span.end <= old && !(e.span.start == e.span.end && e.span.start == old) {
            delta += e.replacement.len() as i64 - i64::from(e.span.end - e.span.start);
        } else if e.span.start < old {
            return i64::from(e.span.start) + delta;
        }
    }
    i64::from(old) + delta
}

fn reads(r: &check_support::Run) -> Vec<(String, u64, Option<u64>)> {
    r.reads
        .iter()
        .map(|r| (r.text.clone(), r.value.to_bits(), r.index))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        max_global_rejects: CASES * 20,
        ..ProptestConfig::default()
    })]

    #[test]
    fn machine_applicable_fixes_make_progress_and_keep_the_reads(
        g in programs(Shape { sloppy: true, min_repeat: 1, max_stmts: 14 }),
        marks in prop::collection::vec(any::<bool>(), 0..40),
        input in inputs(1),
    ) {
        let src = commented(&g.src, &marks);
        let (program, _) = checked(&src, None);
        let analysis = check::check_source(&program, &src, None);
        let before = errors(&analysis.diagnostics);
        prop_assume!(before.iter().any(|(c, _)| matches!(
            c,
            Code::BoardFull | Code::Forgotten | Code::NotOnBoard
        )));
        let original = run(&program, &src, &analysis, 100, &input);
        let comments: Vec<&str> = src.lines().filter_map(|l| l.find('#').map(|i| &l[i..])).collect();
        for d in analysis.diagnostics.iter().filter(|d| d.is_error()) {
            for f in d.fixes.iter().filter(|f| f.applicability == Applicability::MachineApplicable) {
                let text = advice::apply(&src, &f.edits);
                let parsed = wb::syntax::parse(&text);
                prop_assert!(parsed.diagnostics.is_empty(),
                    "{}: the fixed text does not parse: {:?}\n--- before\n{src}\n--- after\n{text}",
                    f.message, parsed.diagnostics);
                let after = check::check(&parsed.program, None);
                let now = errors(&after.diagnostics);
                let mapped: Vec<(Code, i64)> =
                    before.iter().map(|&(c, p)| (c, moved(&f.edits, p))).collect();
                let me = (d.code, moved(&f.edits, d.position()));
                prop_assert!(!now.iter().any(|&(c, p)| (c, i64::from(p)) == me),
                    "{}: the error stays\n--- before\n{src}\n--- after\n{text}", f.message);
                for &(c, p) in &now {
                    prop_assert!(mapped.contains(&(c, i64::from(p))),
                        "{}: a new {c} at byte {p}\n--- before\n{src}\n--- after\n{text}", f.message);
                }
                prop_assert!(now.len() < before.len(), "{}: the count does not drop", f.message);
                let fixed = run(&parsed.program, &text, &after, 100, &input);
                let (a, b) = (reads(&original), reads(&fixed));
                if original.error.is_none() {
                    prop_assert_eq!(&a, &b, "{}\n--- before\n{}\n--- after\n{}", f.message, src, text);
                } else {
                    prop_assert!(b.len() >= a.len() && b[..a.len()] == a[..],
                        "{}: reads changed\n{:?}\n{:?}\n--- before\n{}\n--- after\n{}", f.message, a, b, src, text);
                }
                for c in &comments {
                    prop_assert!(text.contains(c), "{}: comment `{c}` lost\n--- after\n{text}", f.message);
                }
            }
        }
    }
}

/// The property is about something: the generator makes programs with
/// board errors that carry machine-applicable fixes, of each kind.
#[test]
fn the_generator_makes_fixable_board_errors() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = programs(Shape {
        sloppy: true,
        min_repeat: 1,
        max_stmts: 14,
    });
    let mut by_code = std::collections::HashMap::new();
    for _ in 0..600 {
        let g = strategy
            .new_tree(&mut runner)
            .expect("the strategy makes values")
            .current();
        let (program, _) = checked(&g.src, None);
        let analysis = check::check_source(&program, &g.src, None);
        for d in &analysis.diagnostics {
            if d.fixes
                .iter()
                .any(|f| f.applicability == Applicability::MachineApplicable)
            {
                *by_code.entry(d.code).or_insert(0) += 1;
            }
        }
    }
    for code in [Code::BoardFull, Code::NotOnBoard, Code::Forgotten] {
        let n = by_code.get(&code).copied().unwrap_or(0);
        assert!(
            n >= 10,
            "only {n} fixable {code} in 600 programs: {by_code:?}"
        );
    }
}

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

/// Past an error the checker's board is its recovery, not a run's: here
/// `r` cannot be written (the board is full) and the loop that wrote `q`
/// is not neutral, so inside `each x` the checker no longer holds the `q`
/// a run would hold, and "add `forget q`" would forget a value the next
/// iteration reads. Such a fix is not machine-applicable; the first
/// error's fixes are still followed and kept.
#[test]
fn a_fix_after_an_earlier_error_is_not_machine_applicable() {
    let src = "board 2\ninput a = 1, b = 2\nstream x = [1, 2], y = [3, 4]\nwrite p = a + a + a\nrepeat 2 {\n    read a\n    repeat 1 {\n        write q = a + a + a\n        write r = a + a + a\n    }\n    repeat 1 {\n        each x {\n            write q = min(a + q, a)\n            write s = min(r + a + a, r)\n            forget s\n        }\n    }\n}\n";
    let (program, _) = checked(src, None);
    let analysis = check::check_source(&program, src, None);
    let errors: Vec<&Diagnostic> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(
        errors.len() >= 2,
        "{:?}",
        errors.iter().map(|d| d.code).collect::<Vec<_>>()
    );
    let first = errors.iter().map(|d| d.position()).min().unwrap();
    for d in &errors {
        if d.position() == first {
            continue;
        }
        for f in &d.fixes {
            assert_eq!(
                f.applicability,
                Applicability::MaybeIncorrect,
                "{}: {}",
                d.message,
                f.message
            );
        }
        if !d.fixes.is_empty() {
            assert!(
                d.help
                    .as_deref()
                    .unwrap_or("")
                    .contains("an earlier error changes what is on the board here"),
                "{:?}",
                d.help
            );
        }
    }
    let full = errors
        .iter()
        .find(|d| d.code == Code::BoardFull && d.message.contains("`s`"))
        .expect("the board is full at `s`");
    assert!(
        !full.fixes.is_empty(),
        "it still suggests the forget, in words"
    );
}

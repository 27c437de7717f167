//! The checker is exact (LANGUAGE.md §2, rules 3 and 4), proven on generated
//! programs run by the interpreter, whose own guards enforce every rule:
//!
//! - a program `wb check` accepts never raises a board error at run time,
//!   for random inputs and stream lengths, 0 included;
//! - a program rejected with `board_full` overflows at that statement when
//!   run unchecked (every loop running at least once);
//! - `peak` is the largest occupancy a run reaches (every loop running);
//! - a `--fix`ed program passes at `min_capacity`, its peak is
//!   `min_capacity`, and it prints the same reads.

mod check_support;

use check_support::{checked, inputs, is_board_error, programs, run, Shape};
use proptest::prelude::*;
use wb::check;
use wb::diag::Code;

const CASES: u32 = 1000;

fn shape(sloppy: bool, min_repeat: u32) -> Shape {
    Shape {
        sloppy,
        min_repeat,
        max_stmts: 14,
    }
}

proptest! {
    // Many generated programs are rejected by a property's precondition
    // (accepted, or rejected with board_full first): allow for it.
    #![proptest_config(ProptestConfig {
        cases: CASES,
        max_global_rejects: CASES * 8,
        ..ProptestConfig::default()
    })]

    #[test]
    fn accepted_programs_never_fail_on_the_board(
        g in programs(shape(true, 0)),
        input in inputs(0),
    ) {
        let (program, analysis) = checked(&g.src, None);
        prop_assume!(!analysis.has_errors());
        let capacity = analysis.capacity.unwrap_or(0);
        let r = run(&program, &g.src, &analysis, capacity, &input);
        if let Some(e) = &r.error {
            prop_assert!(!is_board_error(e.code), "accepted, but the run failed: {e:?}\n{}", g.src);
        }
        prop_assert!(r.peak <= analysis.peak);
    }

    #[test]
    fn peak_is_the_peak_of_every_run_whose_loops_run(
        g in programs(shape(false, 1)),
        input in inputs(1),
    ) {
        let (program, analysis) = checked(&g.src, Some(100));
        prop_assume!(!analysis.has_errors());
        let r = run(&program, &g.src, &analysis, 100, &input);
        prop_assert!(r.error.is_none(), "{:?}\n{}", r.error, g.src);
        prop_assert_eq!(r.peak, analysis.peak, "{}", g.src);
    }

    #[test]
    fn board_full_overflows_at_that_statement(
        g in programs(shape(false, 1)),
        input in inputs(1),
    ) {
        let (program, analysis) = checked(&g.src, None);
        let Some(first) = analysis.diagnostics.iter().find(|d| d.is_error()) else {
            return Ok(());
        };
        prop_assume!(first.code == Code::BoardFull);
        let capacity = analysis.capacity.unwrap_or(0);
        let r = run(&program, &g.src, &analysis, capacity, &input);
        let Some(e) = r.error else {
            panic!("rejected with board_full, but the run succeeded\n{}", g.src);
        };
        prop_assert_eq!(e.code, Code::BoardFull, "{:?}\n{}", e, g.src);
        prop_assert_eq!(e.primary_span(), first.primary_span(), "{}", g.src);
    }

    #[test]
    fn fixed_programs_run_in_min_capacity_with_the_same_reads(
        g in programs(shape(true, 0)),
        input in inputs(0),
    ) {
        let (program, analysis) = checked(&g.src, None);
        // Programs whose only errors are of capacity (sound with room to
        // spare); the reads they mean are those of a run with that room.
        let (_, roomy_analysis) = checked(&g.src, Some(100));
        prop_assume!(!roomy_analysis.has_errors());
        let roomy = run(&program, &g.src, &analysis, 100, &input);
        prop_assume!(roomy.error.is_none());
        let Ok(fixed) = check::fix(&program, &g.src, &analysis) else {
            return Ok(());
        };
        let min = analysis.min_capacity;
        let (fprog, fanalysis) = checked(&fixed.text, Some(min.max(1)));
        prop_assert!(
            !fanalysis.has_errors(),
            "the fixed program fails at min_capacity {min}: {:?}\n--- original\n{}\n--- fixed\n{}",
            fanalysis.diagnostics, g.src, fixed.text
        );
        prop_assert_eq!(fanalysis.min_capacity, min);
        prop_assert!(fanalysis.peak <= min.max(1));
        let r = run(&fprog, &fixed.text, &fanalysis, min.max(1), &input);
        prop_assert!(r.error.is_none(), "{:?}\n{}", r.error, fixed.text);
        let a: Vec<_> = roomy.reads.iter().map(|r| (r.text.clone(), r.value.to_bits(), r.index)).collect();
        let b: Vec<_> = r.reads.iter().map(|r| (r.text.clone(), r.value.to_bits(), r.index)).collect();
        prop_assert_eq!(a, b, "--- original\n{}\n--- fixed\n{}", g.src, fixed.text);
        // Fixing twice changes nothing.
        let again = check::fix(&fprog, &fixed.text, &fanalysis);
        prop_assert!(again.as_ref().is_ok_and(|f| !f.changed()), "{:?}\n{}", again, fixed.text);
    }

    #[test]
    fn fixed_peak_is_min_capacity_when_loops_run(
        g in programs(shape(false, 1)),
    ) {
        let (program, analysis) = checked(&g.src, Some(100));
        prop_assume!(!analysis.has_errors());
        let Ok(fixed) = check::fix(&program, &g.src, &analysis) else {
            return Ok(());
        };
        let (_, fanalysis) = checked(&fixed.text, Some(100));
        prop_assert_eq!(fanalysis.peak, analysis.min_capacity, "{}", fixed.text);
    }

    #[test]
    fn no_input_text_makes_the_checker_panic(text in "[a-z0-9 =+*(),;{}\\[\\]\n#-]{0,200}") {
        let src = format!("board 2\n{text}");
        let parsed = wb::syntax::parse(&src);
        if parsed.diagnostics.is_empty() {
            let analysis = check::check(&parsed.program, None);
            let _ = check::fix(&parsed.program, &src, &analysis);
            let rendered = wb::diag::render_many(&analysis.diagnostics, "t.wb", &src, wb::diag::Style::plain());
            prop_assert!(analysis.diagnostics.is_empty() || !rendered.is_empty());
        }
    }
}

/// The properties above mean something only if the generator makes both
/// kinds of program: accepted ones, and ones rejected with `board_full`
/// first; and fixes that save slots.
#[test]
fn the_generator_makes_accepted_and_overflowing_programs() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = programs(shape(true, 1));
    let (mut accepted, mut overflow, mut saved) = (0, 0, 0);
    for _ in 0..400 {
        let g = strategy
            .new_tree(&mut runner)
            .expect("the strategy makes values")
            .current();
        let (_, analysis) = checked(&g.src, None);
        match analysis.diagnostics.iter().find(|d| d.is_error()) {
            None => accepted += 1,
            Some(d) if d.code == Code::BoardFull => overflow += 1,
            Some(_) => {}
        }
        if analysis.min_capacity < analysis.peak {
            saved += 1;
        }
    }
    assert!(accepted > 60, "only {accepted} of 400 accepted");
    assert!(overflow > 40, "only {overflow} of 400 overflow first");
    assert!(
        saved > 20,
        "only {saved} of 400 need fewer slots when fixed"
    );
}

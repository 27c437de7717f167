//! The interpreter computes an expression by a fast form and, when that
//! fails, again by the exact evaluator: the error a user sees is the first
//! one in the order LANGUAGE.md defines (left to right, operands before
//! their operator), whichever path noticed it.

mod common;

use common::run_unchecked;
use wb::check;
use wb::diag::Code;
use wb::interp::{self, Limits, Machine, Overrides, Read};

fn failing(src: &str) -> (Code, String, Option<u64>) {
    let d = run_unchecked(src).expect_err("the run should fail");
    let span = d.primary_span().expect("a primary label");
    (d.code, span.text(src).to_owned(), d.index)
}

/// `src` parsed (without a syntax error) and checked.
fn parsed_and_checked(src: &str) -> (wb::syntax::Parsed, check::Analysis) {
    let parsed = wb::syntax::parse(src);
    assert!(parsed.diagnostics.is_empty(), "{src}");
    let analysis = check::check(&parsed.program, None);
    (parsed, analysis)
}

/// A machine of `capacity` slots for a parsed and checked program, with
/// its defaults bound.
fn machine_for<'p>(
    parsed: &'p wb::syntax::Parsed,
    analysis: &'p check::Analysis,
    src: &'p str,
    capacity: usize,
) -> Machine<'p> {
    let bindings = interp::bind(
        &analysis.symbols,
        &parsed.program.names,
        &Overrides::default(),
    )
    .expect("bound");
    Machine::new(&parsed.program, src, &analysis.symbols, capacity, bindings)
}

#[test]
fn a_forgotten_name_before_a_division_by_zero_is_the_error() {
    let src = "board 1\nwrite a = 1\nforget a\nread a + 1 / 0\n";
    assert_eq!(failing(src), (Code::Forgotten, "a".to_owned(), None));
}

#[test]
fn a_division_by_zero_before_a_forgotten_name_is_the_error() {
    let src = "board 1\nwrite a = 1\nforget a\nread 1 / 0 + a\n";
    assert_eq!(failing(src), (Code::DivZero, "1 / 0".to_owned(), None));
}

#[test]
fn the_first_failing_operation_is_reported() {
    let (code, text, _) = failing("board 1\nread sqrt(-1) + 1 % 0\n");
    assert_eq!((code, text.as_str()), (Code::NotFinite, "sqrt(-1)"));
    let (code, text, _) = failing("board 1\nread 2 + 1 % 0 + sqrt(-1)\n");
    assert_eq!((code, text.as_str()), (Code::DivZero, "1 % 0"));
    let d = run_unchecked("board 1\nread 7 % (2 - 2)\n").expect_err("fails");
    assert!(d.message.starts_with("remainder by zero"), "{}", d.message);
}

#[test]
fn a_comparison_does_not_hide_a_forgotten_name() {
    // `a < 1` would be 0 whatever `a` held; reading `a` is still the error.
    let src = "board 1\nwrite a = 1\nforget a\nread (a < 1) * 0\n";
    assert_eq!(failing(src), (Code::Forgotten, "a".to_owned(), None));
}

#[test]
fn a_name_forgotten_inside_a_loop_fails_on_the_next_pass() {
    // The checker refuses this (the body is not neutral); the interpreter
    // must still see that `a` is gone on the second element.
    let src = "board 1\nstream x = [1, 2]\nwrite a = 5\neach x {\n  read a + x\n  forget a\n}\n";
    let d = run_unchecked(src).expect_err("the second pass fails");
    assert_eq!(d.code, Code::Forgotten);
    assert_eq!(d.index, Some(1));
}

#[test]
fn a_closed_when_gate_does_not_evaluate_its_value() {
    let reads = common::run("board 1\nwrite a = 1\nwrite a = 1 / 0 when 0\nread a\n")
        .expect("the gate is closed");
    assert_eq!(reads[0].value, 1.0);
}

#[test]
fn a_soft_gate_blends_exactly() {
    let reads = common::run("board 1\nwrite a = 1\nwrite a = 3 gate 0.25\nread a\n").expect("runs");
    assert_eq!(
        reads[0].value.to_bits(),
        ((1.0 - 0.25) * 1.0 + 0.25 * 3.0f64).to_bits()
    );
}

#[test]
fn a_stream_outside_its_each_is_an_error_when_reached() {
    let src = "board 1\nstream x = [1]\nread 1 / 0 + x\n";
    assert_eq!(failing(src).0, Code::DivZero);
    let src = "board 1\nstream x = [1]\nread x + 1 / 0\n";
    assert_eq!(
        failing(src),
        (Code::StreamOutsideEach, "x".to_owned(), None)
    );
}

#[test]
fn constants_and_repeated_names_keep_their_values() {
    let reads = common::run(
        "board 3\ninput a = 3\nwrite p = a * a - a / 2 + 0.5\nwrite q = p * p + p - 2 * 2\n\
         repeat 3 {\n  write q = q - 1 + 0.5 * 2\n}\nread p, q, -p ^ 2, 2 ^ -1, max(p, q) - min(q, p)\n",
    )
    .expect("runs");
    let p = 3.0 * 3.0 - 3.0 / 2.0 + 0.5;
    let q = p * p + p - 2.0 * 2.0;
    let got: Vec<f64> = reads.iter().map(|r| r.value).collect();
    assert_eq!(got, vec![p, q, -(p * p), 0.5, q - p]);
}

#[test]
fn a_deep_right_associative_chain_runs() {
    // 2^1^1^…^1 with many operators: one temporary per pending operand.
    let chain = vec!["1"; 5000].join(" ^ ");
    let reads = common::run(&format!("board 1\nread 2 ^ {chain}\n")).expect("runs");
    assert_eq!(reads[0].value, 2.0);
}

#[test]
fn the_step_limit_stops_a_loop_of_overwrites_where_it_should() {
    let src = "board 1\nstream x = [1, 2, 3, 4]\nwrite s = 0\neach x {\n  write s = s + x\n}\n";
    let (parsed, analysis) = parsed_and_checked(src);
    let mut machine = machine_for(&parsed, &analysis, src, 1);
    let limits = Limits {
        max_steps: Some(3),
        interrupt: None,
    };
    // `write s = 0`, `each`, then the first element's write: three steps.
    let d = machine
        .run(&parsed.program.items, &mut Vec::new(), limits)
        .expect_err("the fourth step is refused");
    assert_eq!(d.code, Code::StepLimit);
    assert_eq!(d.index, Some(1));
    assert_eq!(machine.steps(), 3);
    let s = parsed.program.names.get("s").expect("s is a name");
    assert_eq!(machine.value(s), Some(1.0));
}

/// Sets the interrupt flag when a read reaches a value, as Ctrl-C would.
struct StopAt<'a> {
    at: f64,
    flag: &'a std::sync::atomic::AtomicBool,
}

impl interp::Observer for StopAt<'_> {
    fn read(&mut self, read: Read) {
        if read.value >= self.at {
            self.flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

#[test]
fn an_interrupt_stops_a_loop_of_overwrites() {
    let src = "board 1\nwrite s = 0\nrepeat 1000 {\n  write s = s + 1\n  read s\n}\n";
    let (parsed, analysis) = parsed_and_checked(src);
    let mut machine = machine_for(&parsed, &analysis, src, 1);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let limits = Limits {
        max_steps: None,
        interrupt: Some(&stop),
    };
    let mut observer = StopAt {
        at: 3.0,
        flag: &stop,
    };
    let d = machine
        .run(&parsed.program.items, &mut observer, limits)
        .expect_err("interrupted");
    assert_eq!(d.code, Code::Interrupted);
    // The write after the read of 3 is refused: `s` stays 3.
    let s = parsed.program.names.get("s").expect("s is a name");
    assert_eq!(machine.value(s), Some(3.0));
}

/// What a run leaves: its reads (or its error's code and the text it
/// points at), the steps it took and the values `x` and `y` hold after it.
type Outcome = (
    Result<Vec<u64>, (Code, String)>,
    u64,
    Option<u64>,
    Option<u64>,
);

fn outcome(src: &str, max_steps: Option<u64>) -> Outcome {
    let (parsed, analysis) = parsed_and_checked(src);
    let mut machine = machine_for(&parsed, &analysis, src, 3);
    let limits = Limits {
        max_steps,
        interrupt: None,
    };
    let mut reads: Vec<Read> = Vec::new();
    let result = match machine.run(&parsed.program.items, &mut reads, limits) {
        Ok(()) => Ok(reads.iter().map(|r| r.value.to_bits()).collect()),
        Err(d) => {
            let text = d
                .primary_span()
                .map(|s| s.text(src).to_owned())
                .unwrap_or_default();
            Err((d.code, text))
        }
    };
    let value = |n: &str| {
        let id = parsed.program.names.get(n).expect("a name");
        machine.value(id).map(f64::to_bits)
    };
    (result, machine.steps(), value("x"), value("y"))
}

/// A program whose `repeat` body only overwrites `x` and `y`, and the same
/// body written out `count` times with no loop around it.
fn looped_and_unrolled(body: &[String], count: u64) -> (String, String) {
    let head = "board 3\ninput a = 1.25\nwrite x = 0.5\nwrite y = 2\n";
    let inner = body.join("\n  ");
    let looped = format!("{head}repeat {count} {{\n  {inner}\n}}\nread x\nread y\n");
    let mut unrolled = String::from(head);
    for _ in 0..count {
        for s in body {
            unrolled.push_str(s);
            unrolled.push('\n');
        }
    }
    unrolled.push_str("read x\nread y\n");
    (looped, unrolled)
}

#[test]
fn a_loop_of_overwrites_fails_where_its_unrolled_form_does() {
    // `x` overflows on its 309th pass; the loop stops there with the value
    // before it on the board, as the straight-line program does.
    let body = [
        "write x = x * 10 + y".to_owned(),
        "write y = y + 1".to_owned(),
    ];
    let (looped, unrolled) = looped_and_unrolled(&body, 400);
    let (l, u) = (outcome(&looped, None), outcome(&unrolled, None));
    assert_eq!(l.0, Err((Code::NotFinite, "x * 10".to_owned())));
    assert_eq!((&l.0, l.2, l.3), (&u.0, u.2, u.3));
    // The loop itself is one more statement than the unrolled form.
    assert_eq!(l.1, u.1 + 1);
}

#[test]
fn the_step_limit_stops_a_repeat_of_overwrites_mid_pass() {
    let body = ["write x = x + 1".to_owned(), "write y = x * 2".to_owned()];
    let (looped, _) = looped_and_unrolled(&body, 100_000);
    // Two writes and the `repeat` (an `input` is not a step), then 5,000
    // passes of two writes: the first write of pass 5,001 is refused.
    let limit = 3 + 2 * 5_000;
    let (result, steps, x, y) = outcome(&looped, Some(limit));
    assert_eq!(result.map_err(|e| e.0), Err(Code::StepLimit));
    assert_eq!(steps, limit);
    assert_eq!(x, Some(5_000.5f64.to_bits()));
    assert_eq!(y, Some(10_001.0f64.to_bits()));
    // One step more: that write runs, and the next one is refused.
    let (_, steps, x, y) = outcome(&looped, Some(limit + 1));
    assert_eq!(steps, limit + 1);
    assert_eq!(x, Some(5_001.5f64.to_bits()));
    assert_eq!(y, Some(10_001.0f64.to_bits()));
}

#[test]
fn an_interrupt_stops_a_repeat_of_overwrites() {
    let src = "board 1\nwrite s = 0\nrepeat 10000000000 {\n  write s = s + 1\n}\nread s\n";
    let (parsed, analysis) = parsed_and_checked(src);
    let mut machine = machine_for(&parsed, &analysis, src, 1);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let d = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let limits = Limits {
            max_steps: None,
            interrupt: Some(&stop),
        };
        machine
            .run(&parsed.program.items, &mut Vec::new(), limits)
            .expect_err("interrupted")
    });
    assert_eq!(d.code, Code::Interrupted);
    // Every write that ran is counted, and so is the refused one, as the
    // plain loop counts it: `s` is the number of passes made.
    let s = parsed.program.names.get("s").expect("s is a name");
    let value = machine.value(s).expect("s on the board");
    assert!(value > 0.0 && value < 1e10, "{value}");
    assert_eq!(machine.steps(), 2 + value as u64 + 1);
}

mod hot_loops {
    use super::*;
    use proptest::prelude::*;

    fn operand() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("x".to_owned()),
            Just("y".to_owned()),
            Just("a".to_owned()),
            (-40i32..40).prop_map(|n| format!("{}", f64::from(n) / 8.0)),
        ]
    }

    fn expr() -> impl Strategy<Value = String> {
        operand().prop_recursive(4, 24, 2, |inner| {
            let ops = prop::sample::select(vec![
                "+", "-", "*", "/", "%", "^", "<", "<=", "==", "!=", ">", ">=",
            ]);
            let funcs = prop::sample::select(vec!["abs", "sqrt", "ln", "exp", "tanh", "sigmoid"]);
            let pairs = prop::sample::select(vec!["min", "max"]);
            prop_oneof![
                (inner.clone(), ops, inner.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
                (funcs, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
                (pairs, inner.clone(), inner.clone())
                    .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
                inner.prop_map(|a| format!("-{a}")),
            ]
        })
    }

    fn body() -> impl Strategy<Value = Vec<String>> {
        let write = (prop::sample::select(vec!["x", "y"]), expr())
            .prop_map(|(t, e)| format!("write {t} = {e}"));
        prop::collection::vec(write, 1..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The hot loop computes the bits, the error, the board and the step
        /// count that the body written out pass by pass does.
        #[test]
        fn a_repeat_of_overwrites_is_its_unrolled_form(body in body(), count in 1u64..200, limit in 2u64..600) {
            let (looped, unrolled) = looped_and_unrolled(&body, count);
            let l = outcome(&looped, None);
            let u = outcome(&unrolled, None);
            prop_assert_eq!(&l.0, &u.0);
            prop_assert_eq!((l.1, l.2, l.3), (u.1 + 1, u.2, u.3));
            // Under a step limit the loop stops at the same write (past the
            // two writes before it, the loop is one step more).
            let l = outcome(&looped, Some(limit + 1));
            let u = outcome(&unrolled, Some(limit));
            prop_assert_eq!((l.0.map_err(|e| e.0), l.2, l.3), (u.0.map_err(|e| e.0), u.2, u.3));
        }
    }
}

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
    let parsed = wb::syntax::parse(src);
    let analysis = check::check(&parsed.program, None);
    let bindings = interp::bind(
        &analysis.symbols,
        &parsed.program.names,
        &Overrides::default(),
    )
    .expect("bound");
    let mut machine = Machine::new(&parsed.program, src, &analysis.symbols, 1, bindings);
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
    let parsed = wb::syntax::parse(src);
    let analysis = check::check(&parsed.program, None);
    let bindings = interp::bind(
        &analysis.symbols,
        &parsed.program.names,
        &Overrides::default(),
    )
    .expect("bound");
    let mut machine = Machine::new(&parsed.program, src, &analysis.symbols, 1, bindings);
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

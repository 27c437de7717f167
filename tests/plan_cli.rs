//! `wb plan` from the command line: the article's example, the JSON, the
//! refusals, and every plan checked and run by the binary itself.

mod plan_support;

use std::io::Write as _;
use std::process::Command;

use plan_support::{file, text, wb};
use serde_json::Value;

/// `wb check --capacity N` passes with no warnings and `wb run` prints
/// exactly `expected`.
fn check_and_run(plan: &str, capacity: usize, expected: &str) {
    let f = file(plan);
    let path = f.path().to_str().unwrap();
    let cap = capacity.to_string();
    let check = wb(&["check", path, "--capacity", &cap, "--deny", "warnings"]);
    assert!(
        check.status.success(),
        "plan fails its check:\n{plan}\n{}",
        text(&check.stderr)
    );
    assert!(
        text(&check.stderr).contains("0 warnings"),
        "{}",
        text(&check.stderr)
    );
    let run = wb(&["run", path]);
    assert!(run.status.success(), "{plan}\n{}", text(&run.stderr));
    assert_eq!(
        text(&run.stdout),
        expected,
        "the plan reads other values:\n{plan}"
    );
}

const ARTICLE: &str = "a*d + a*c*(b*d + a)";

#[test]
fn the_article_fits_on_two_slots_proven_optimal() {
    let out = wb(&[
        "plan", "--expr", ARTICLE, "--set", "a=1", "--set", "b=3", "--set", "c=5", "--set", "d=11",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(
        plan.starts_with("# wb plan of <expr>: 2 slots, 6 writes\n# optimal:"),
        "{plan}"
    );
    assert!(plan.contains("board 2\n"), "{plan}");
    // Three-address form: every write applies at most one operator.
    for line in plan.lines().filter(|l| l.starts_with("write")) {
        let (_, e) = line.split_once(" = ").unwrap();
        let operators = e
            .split_whitespace()
            .filter(|t| ["+", "-", "*", "/", "%", "^"].contains(t) || t.starts_with('-'))
            .count()
            + e.matches('(').count();
        assert!(operators <= 1, "more than one operator: {line}");
    }
    check_and_run(&plan, 2, "result = 181\n");
}

#[test]
fn the_article_on_one_slot_is_refused_with_the_proof() {
    let out = wb(&["plan", "--expr", ARTICLE, "--capacity", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("wb::no_plan"), "{err}");
    assert!(err.contains("no plan fits on 1 slot"), "{err}");
    assert!(err.contains("at least 2 slots"), "{err}");
    // The help is followed: the capacity it names works.
    assert!(err.contains("--capacity 2"), "{err}");
    assert!(wb(&["plan", "--expr", ARTICLE, "--capacity", "2"])
        .status
        .success());
}

#[test]
fn json_has_the_documented_keys() {
    let out = wb(&["plan", "--expr", ARTICLE, "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["capacity"], 2);
    assert_eq!(v["writes"], 6);
    assert_eq!(v["optimal"], true);
    assert_eq!(v["lower_bound"], 2);
    let program = v["program"].as_str().unwrap();
    assert!(program.contains("read result"));
}

#[test]
fn the_whiteboard_example_plans_onto_two_and_reads_the_same() {
    let out = wb(&["plan", "examples/whiteboard.wb"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(plan.contains("own `board 3` is not a limit"), "{plan}");
    let original = text(&wb(&["run", "examples/whiteboard.wb"]).stdout);
    check_and_run(&plan, 2, &original);
}

#[test]
fn a_shared_value_is_recomputed_to_save_a_slot_and_explained() {
    let src = "board 5\ninput a = 2, b = 3\nwrite x = a * b\nwrite y = x + a\nwrite z = x * y\n\
               write w = y - z\nwrite v = w * x\nread v\nread y\n";
    let f = file(src);
    let path = f.path().to_str().unwrap();
    let original = text(&wb(&["run", path]).stdout);
    let once = wb(&["plan", path, "--no-recompute", "--json"]);
    let once: Value = serde_json::from_slice(&once.stdout).unwrap();
    assert_eq!(
        (once["capacity"].as_u64(), once["writes"].as_u64()),
        (Some(3), Some(5))
    );
    let out = wb(&["plan", path, "--explain"]);
    let plan = text(&out.stdout);
    assert!(plan.contains("2 slots, 7 writes"), "{plan}");
    assert!(
        plan.contains("# to make room; it is written again later"),
        "{plan}"
    );
    assert!(plan.contains("# written again"), "{plan}");
    check_and_run(&plan, 2, &original);
    // Each value once does not fit on 2, and says so.
    let refused = wb(&["plan", path, "--no-recompute", "--capacity", "2"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("at least 3 slots with each value written once"));
}

#[test]
fn trace_shows_the_board_filling() {
    let out = wb(&["plan", "--expr", ARTICLE, "--trace"]);
    let trace = text(&out.stderr);
    assert!(
        trace.contains("write ac = a * c             [ ac ]"),
        "{trace}"
    );
    assert!(trace.contains("[ ac | bd ]"), "{trace}");
}

#[test]
fn loops_and_gated_writes_are_planned_and_errors_refused() {
    let src = "board 2\nstream x = [1]\nwrite s = 0\neach x {\n  write s = s + x\n}\nread s\n";
    let f = file(src);
    let out = wb(&["plan", f.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(plan.contains("each x {\n  write s = s + x\n}\n"), "{plan}");
    check_and_run(&plan, 1, "s = 1\n");
    let f = file("board 2\ninput c = 1\nwrite s = 0\nwrite s = 2 when c\nread s\n");
    let out = wb(&["plan", f.path().to_str().unwrap()]);
    let plan = text(&out.stdout);
    assert!(plan.contains("write s = 2 when c\n"), "{plan}");
    check_and_run(&plan, 1, "s = 2\n");
    // --trace draws straight-line plans only: a usage error says what to use.
    let out = wb(&["plan", f.path().to_str().unwrap(), "--trace"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("wb run --trace"),
        "{}",
        text(&out.stderr)
    );
    // A program with errors is refused with them.
    let f = file("board 2\nread nope\n");
    let out = wb(&["plan", f.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("wb::unknown_name"));
}

#[test]
fn usage_errors_exit_two() {
    for args in [
        &["plan"][..],
        &["plan", "--expr", "a", "--set", "a"],
        &["plan", "--expr", "a, b"],
        &["plan", "--expr", "a", "--capacity", "0"],
        &["plan", "--expr", "a*b", "--set", "z=1"],
        &["plan", "no/such/file.wb"],
    ] {
        assert_eq!(wb(args).status.code(), Some(2), "{args:?}");
    }
    assert_eq!(wb(&["plan", "--expr", "a +"]).status.code(), Some(1));
}

#[test]
fn a_deep_formula_plans_without_recursion() {
    // 20,000 nested right operands: a chain, planned in 2 slots... or 1.
    let mut f = String::from("x");
    for _ in 0..20_000 {
        f.push_str(" + x");
    }
    let out = wb(&["plan", "--expr", &f, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["capacity"], 1);
    assert_eq!(v["writes"], 20_000);
}

#[test]
fn the_repl_plans_the_session() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(["repl"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"input a = 1, b = 3, c = 5, d = 11\nwrite ac = a * c\nwrite bd = b * d\n\
              write bd_a = bd + a\nforget bd\nwrite p = ac * bd_a\nforget bd_a\n\
              write ad = a * d\nforget ac\nwrite result = ad + p\nread result\n:plan\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let plan = &stdout[stdout.find("# wb plan of the session").expect("a plan")..];
    assert!(plan.contains("2 slots, 6 writes"), "{plan}");
    check_and_run(plan, 2, "result = 181\n");
}

#[test]
fn an_expr_syntax_error_is_shown_in_the_formula_as_typed() {
    let out = wb(&["plan", "--expr", "a*(b+"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("error[wb::syntax]"), "{err}");
    // The user's text, column 5 (after `a*(b+`), no `read ` in front.
    assert!(err.contains("<expr>:1:5]"), "{err}");
    assert!(err.contains(" 1 │ a*(b+\n"), "{err}");
    assert!(!err.contains("read "), "{err}");
    let err = text(&wb(&["plan", "--expr", "a * $b"]).stderr);
    assert!(
        err.contains("<expr>:1:5]") && err.contains(" 1 │ a * $b\n"),
        "{err}"
    );
}

//! `wb check` knows the optimum over orders of a program's own statements:
//! the summary and the `board_full` help say it, and following the advice
//! (the statements in that order, forgets placed by `wb check --fix`) gives
//! a program that fits and reads the same values.

mod plan_support;

use plan_support::{file, text, wb};
use wb::plan::statements::{self, Fewest};

/// Reordered by the planner, forgets by `--fix`: fits on `slots`.
fn follow(src: &str, slots: usize) -> String {
    let parsed = wb::syntax::parse(src);
    let Fewest::Slots(n, order) =
        statements::fewest_slots(&parsed.program, statements::CHECK_LIMITS)
    else {
        panic!("searched");
    };
    assert_eq!(n, slots);
    let reordered = statements::reordered(&parsed.program, src, &order);
    let f = file(&reordered);
    let path = f.path().to_str().unwrap();
    let fixed = wb(&["check", "--pack", "--dry-run", path]);
    let fixed = text(&fixed.stdout);
    let g = file(&fixed);
    let path = g.path().to_str().unwrap();
    let cap = slots.to_string();
    let check = wb(&["check", path, "--capacity", &cap, "--deny", "warnings"]);
    assert!(check.status.success(), "{fixed}\n{}", text(&check.stderr));
    text(&wb(&["run", path]).stdout)
}

const REORDER: &str = "board 2\ninput a = 1, b = 2\nwrite x = a + b\nwrite y = a * b\n\
                       write z = x + 1\nread z\nforget x, z\nwrite w = y + 1\nread w\n";

#[test]
fn a_board_full_that_another_order_cures_says_so_and_the_order_works() {
    let f = file(REORDER);
    let path = f.path().to_str().unwrap();
    let out = wb(&["check", path]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("this order needs 3; another order of these statements needs 2 (and fits)"),
        "{err}"
    );
    assert!(
        err.contains("note: another order of these statements needs 2 slots"),
        "{err}"
    );
    let json = text(&wb(&["check", path, "--format", "json"]).stdout);
    assert!(
        json.contains("\"min_capacity\":3,\"fewest_slots\":2}"),
        "{json}"
    );
    // Following it: the same reads on 2 slots.
    let original = text(&wb(&["run", path, "--capacity", "3"]).stdout);
    assert_eq!(follow(REORDER, 2), original);
}

#[test]
fn the_whiteboard_order_is_already_the_best() {
    let src = std::fs::read_to_string("examples/whiteboard.wb").unwrap();
    let original = text(&wb(&["run", "examples/whiteboard.wb"]).stdout);
    assert_eq!(follow(&src, 3), original);
    let err = text(&wb(&["check", "examples/whiteboard.wb"]).stderr);
    assert!(!err.contains("another order"), "{err}");
}

#[test]
fn rewritten_names_keep_their_uses_in_order() {
    // `x` is written twice: its first value's reads come before the second.
    let src = "board 3\ninput a = 1, b = 2\nwrite x = a + b\nwrite y = x * 2\nwrite x = a - b\n\
               write z = x + y\nread z\nread y\n";
    let original = text(&wb(&["run", file(src).path().to_str().unwrap()]).stdout);
    let parsed = wb::syntax::parse(src);
    let Fewest::Slots(n, _) = statements::fewest_slots(&parsed.program, statements::CHECK_LIMITS)
    else {
        panic!("searched");
    };
    assert_eq!(follow(src, n), original);
}

#[test]
fn loops_and_large_programs_are_not_searched() {
    let parsed = wb::syntax::parse("board 1\nrepeat 2 {\n  write t = 1\n  forget t\n}\n");
    assert_eq!(
        statements::fewest_slots(&parsed.program, statements::CHECK_LIMITS),
        Fewest::Loops
    );
    let mut big = String::from("board 1\n");
    for i in 0..100 {
        big.push_str(&format!("write t{i} = 1\nread t{i}\nforget t{i}\n"));
    }
    let parsed = wb::syntax::parse(&big);
    assert_eq!(
        statements::fewest_slots(&parsed.program, statements::CHECK_LIMITS),
        Fewest::TooLarge(100)
    );
}

/// `wb check --fix --reorder` on a file: written only when the result
/// checks clean, then it checks with no warnings and reads what the
/// original reads, bit for bit, on random inputs.
#[test]
fn fix_reorder_rewrites_the_file_into_an_order_that_fits() {
    let f = file(REORDER);
    let path = f.path().to_str().unwrap();
    let err = text(&wb(&["check", path]).stderr);
    let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("`wb check --fix --reorder` puts them in it"),
        "{err}"
    );
    let inputs = [
        ("1", "2"),
        ("0.1", "-7.25"),
        ("1e300", "3"),
        ("-0.3", "0.7"),
    ];
    let before: Vec<String> = inputs
        .iter()
        .map(|(a, b)| {
            let (a, b) = (format!("a={a}"), format!("b={b}"));
            text(&wb(&["run", path, "--capacity", "3", "--set", &a, "--set", &b]).stdout)
        })
        .collect();
    // Without --fix it is a usage error; with it, the file is rewritten.
    assert_eq!(wb(&["check", "--reorder", path]).status.code(), Some(2));
    let out = wb(&["check", "--fix", "--reorder", path]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("put the statements in an order that needs 2 slots (this order needs 3)"),
        "{}",
        text(&out.stderr)
    );
    let fixed = std::fs::read_to_string(path).unwrap();
    assert_ne!(fixed, REORDER);
    let check = wb(&["check", path, "--deny", "warnings"]);
    assert!(check.status.success(), "{fixed}\n{}", text(&check.stderr));
    assert!(text(&check.stderr).contains("0 warnings"));
    for ((a, b), want) in inputs.iter().zip(&before) {
        let (a, b) = (format!("a={a}"), format!("b={b}"));
        assert_eq!(
            &text(&wb(&["run", path, "--set", &a, "--set", &b]).stdout),
            want,
            "{fixed}"
        );
    }
}

/// When no order of the statements fits, `--fix --reorder` writes nothing.
#[test]
fn fix_reorder_leaves_a_file_that_cannot_fit_alone() {
    let src = "board 1\ninput a = 1\nwrite x = a\nwrite y = a\nread x + y\n";
    let f = file(src);
    let path = f.path().to_str().unwrap();
    let out = wb(&["check", "--fix", "--reorder", path]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(path).unwrap(), src);
}

/// Where no other order was searched and the program does not fit, the
/// summary says why instead of saying nothing.
#[test]
fn an_unsearched_program_that_does_not_fit_says_why() {
    let f = file("board 1\nstream x = [1]\nwrite s = 0\nwrite p = 2\neach x {\n  write s = s + x * p\n}\nread s\n");
    let err = text(&wb(&["check", f.path().to_str().unwrap()]).stderr);
    assert!(
        err.contains(
            "note: no other order of these statements was searched: the program has a loop"
        ),
        "{err}"
    );
}

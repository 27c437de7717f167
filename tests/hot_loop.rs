//! A `repeat` whose body only overwrites values already on the board runs
//! on the interpreter's hot loop (its board checks done once for the whole
//! loop). What a user sees must be what the plain loop gives: the same bits,
//! the same error at the same iteration, the same step limit.

use std::process::Command;

fn wb_run(src: &str, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loop.wb");
    std::fs::write(&path, src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wb"))
        .arg("run")
        .args(args)
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The logistic map `iterations` times; `plain` adds a value written and
/// forgotten in the body, which keeps the loop off the hot path without
/// changing `x`.
fn logistic(iterations: u64, plain: bool) -> String {
    let extra = if plain {
        "  write t = x\n  forget t\n"
    } else {
        ""
    };
    format!(
        "board 2\ninput r = 3.7\nwrite x = 0.5\nrepeat {iterations} {{\n  write x = r * x * (1 - x)\n{extra}}}\nread x\n"
    )
}

#[test]
fn hot_and_plain_loops_compute_the_same_bits() {
    for n in [0, 1, 2, 999, 100_000] {
        let (code, hot, _) = wb_run(&logistic(n, false), &[]);
        assert_eq!(code, 0);
        let (code, plain, _) = wb_run(&logistic(n, true), &[]);
        assert_eq!(code, 0);
        assert_eq!(hot, plain, "{n} iterations");
        assert!(hot.starts_with("x = 0."), "{hot}");
    }
}

#[test]
fn a_failure_in_a_hot_loop_is_reported_at_its_iteration() {
    let body = |extra: &str| {
        format!("board 3\nwrite x = 10\nwrite y = 1\nrepeat 20 {{\n  write x = x - 1\n  write y = y / x\n{extra}}}\nread y\n")
    };
    let (code, out, hot) = wb_run(&body(""), &[]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        hot.starts_with(
            "error[wb::div_zero]: division by zero in `y / x`, in `write y = y / x` (repeat iteration 10 of 20)\n"
        ),
        "{hot}"
    );
    assert!(hot.contains("╰── the divisor is 0"), "{hot}");
    assert!(
        hot.contains("note: board when it failed: [ x=0 | y=2.755731922398589e-6 | · ]"),
        "{hot}"
    );
    // The plain loop fails in the same place with the same board.
    let (code, _, plain) = wb_run(&body("  write t = y\n  forget t\n"), &[]);
    assert_eq!(code, 1);
    // (after its warnings about `t`, which the checker gives as it runs).
    let error = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("error["))
            .map(str::to_owned)
    };
    assert_eq!(error(&hot), error(&plain));
    assert!(plain.contains("note: board when it failed: [ x=0 | y=2.755731922398589e-6 | · ]"));
}

#[test]
fn the_step_limit_stops_a_hot_loop_where_it_stops_any() {
    // 1 step for `write x`, 1 for the `repeat`, then one per iteration: the
    // limit of 500 stops the loop before its 499th iteration, with x as 498
    // iterations left it.
    let (code, _, err) = wb_run(&logistic(1000, false), &["--max-steps", "500"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error[wb::step_limit]: the step limit of 500 was reached after 500 statements (repeat iteration 499 of 1000)\n"),
        "{err}"
    );
    let (_, x, _) = wb_run(&logistic(498, true), &[]);
    let x = x.trim().strip_prefix("x = ").unwrap();
    assert!(
        err.contains(&format!("note: board when it stopped: [ x={x} | · ]")),
        "{err}\nx after 498 iterations: {x}"
    );
}

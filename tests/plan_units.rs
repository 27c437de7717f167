//! `wb plan` of programs with loops, streams and gated writes: random
//! programs planned, each plan checked by `wb check --capacity N -D
//! warnings` and run by `wb run` on random inputs and streams (also empty
//! ones, where a loop runs no time), reading exactly what the original
//! reads.

mod plan_support;

use plan_support::{file, text, wb, Rng};
use serde_json::Value;

impl Rng {
    fn number(&mut self) -> String {
        format!("{}", self.below(2000) as f64 / 100.0 - 10.0)
    }
}

/// A random expression over `names` (board values, inputs, the stream
/// element): `+ - *`, `min`, `tanh`, numbers; bounded where it feeds a
/// loop-carried name (`tanh`), so nothing overflows.
fn expr(rng: &mut Rng, names: &[String], depth: usize) -> String {
    if depth == 0 || rng.below(3) == 0 {
        return if names.is_empty() || rng.below(4) == 0 {
            format!("{}", rng.below(9) + 1)
        } else {
            names[rng.below(names.len())].clone()
        };
    }
    let x = expr(rng, names, depth - 1);
    let y = expr(rng, names, depth - 1);
    match rng.below(6) {
        0 => format!("({x} + {y})"),
        1 => format!("({x} - {y})"),
        2 => format!("({x} * {y})"),
        3 => format!("min({x}, {y})"),
        4 => format!("tanh({x})"),
        _ => format!("-{x}"),
    }
}

/// A random program that checks: straight-line writes and reads, gated
/// writes (`when`, `gate`), `each` over a stream with a `repeat` inside
/// some bodies, forgets.
fn program(rng: &mut Rng) -> String {
    let inputs = ["a", "b", "c"];
    let mut src = String::from("board 40\ninput a = 1, b = 2, c = -3\nstream x = [1, 2, 3]\n");
    let mut board: Vec<String> = Vec::new();
    let mut fresh = 0;
    let visible = |board: &[String], extra: &[&str]| -> Vec<String> {
        board
            .iter()
            .cloned()
            .chain(inputs.iter().map(|s| (*s).to_owned()))
            .chain(extra.iter().map(|s| (*s).to_owned()))
            .collect()
    };
    for _ in 0..4 + rng.below(6) {
        match rng.below(8) {
            0 | 1 => {
                fresh += 1;
                let name = format!("v{fresh}");
                let e = expr(rng, &visible(&board, &[]), 3);
                src.push_str(&format!("write {name} = {e}\n"));
                board.push(name);
            }
            2 if !board.is_empty() => {
                let t = board[rng.below(board.len())].clone();
                let e = expr(rng, &visible(&board, &[]), 3);
                src.push_str(&format!("write {t} = {e}\n"));
            }
            3 if !board.is_empty() => {
                let t = board[rng.below(board.len())].clone();
                let e = expr(rng, &visible(&board, &[]), 2);
                let c = expr(rng, &visible(&board, &[]), 2);
                if rng.below(2) == 0 {
                    src.push_str(&format!("write {t} = {e} when {c} > 0\n"));
                } else {
                    src.push_str(&format!("write {t} = {e} gate sigmoid({c})\n"));
                }
            }
            4 | 5 if !board.is_empty() => {
                // A loop: overwrites of outer names (bounded), new names
                // forgotten at the end, reads, perhaps a gate and a repeat.
                src.push_str("each x {\n");
                let mut local: Vec<String> = Vec::new();
                for _ in 0..1 + rng.below(4) {
                    let mut names = visible(&board, &["x"]);
                    names.extend(local.iter().cloned());
                    match rng.below(5) {
                        0 => {
                            fresh += 1;
                            let name = format!("w{fresh}");
                            src.push_str(&format!("  write {name} = {}\n", expr(rng, &names, 3)));
                            local.push(name);
                        }
                        1 => {
                            let t = board[rng.below(board.len())].clone();
                            src.push_str(&format!(
                                "  write {t} = tanh({})\n",
                                expr(rng, &names, 3)
                            ));
                        }
                        2 => {
                            let t = board[rng.below(board.len())].clone();
                            src.push_str(&format!(
                                "  write {t} = tanh({}) when {} > 0\n",
                                expr(rng, &names, 2),
                                expr(rng, &names, 2)
                            ));
                        }
                        3 => {
                            let t = board[rng.below(board.len())].clone();
                            src.push_str(&format!(
                                "  repeat 2 {{\n    write {t} = tanh({})\n  }}\n",
                                expr(rng, &names, 2)
                            ));
                        }
                        _ => src.push_str(&format!("  read {}\n", expr(rng, &names, 2))),
                    }
                }
                let mut names = visible(&board, &["x"]);
                names.extend(local.iter().cloned());
                src.push_str(&format!("  read {}\n", expr(rng, &names, 2)));
                if !local.is_empty() {
                    src.push_str(&format!("  forget {}\n", local.join(", ")));
                }
                src.push_str("}\n");
            }
            6 if board.len() > 1 => {
                let i = rng.below(board.len());
                let name = board.remove(i);
                src.push_str(&format!("forget {name}\n"));
            }
            _ => {
                let e = expr(rng, &visible(&board, &[]), 3);
                src.push_str(&format!("read {e}\n"));
            }
        }
    }
    for name in &board {
        src.push_str(&format!("read {name}\n"));
    }
    src
}

/// The original and the plan read the same, on these inputs.
fn same_reads(original: &str, plan: &str, args: &[String]) {
    let (o, p) = (file(original), file(plan));
    let mut a = vec!["run", o.path().to_str().unwrap()];
    a.extend(args.iter().map(String::as_str));
    let want = wb(&a);
    a[1] = p.path().to_str().unwrap();
    let got = wb(&a);
    // A read of a name prints the same line; a read of an expression is a
    // read of the slot holding its value (docs/plan.md): the same value
    // under the slot's name.
    let shown = |out: &[u8]| -> Vec<String> {
        text(out)
            .lines()
            .map(|l| match l.rsplit_once(" = ") {
                Some((t, v)) if t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                    format!("{t} = {v}")
                }
                Some((_, v)) => format!("<expr> = {v}"),
                None => l.to_owned(),
            })
            .collect()
    };
    let (mut g, w) = (shown(&got.stdout), shown(&want.stdout));
    for (gl, wl) in g.iter_mut().zip(&w) {
        if wl.starts_with("<expr> = ") {
            if let Some((_, v)) = gl.rsplit_once(" = ") {
                *gl = format!("<expr> = {v}");
            }
        }
    }
    assert_eq!(
        g,
        w,
        "reads differ with {args:?}:\n--- original\n{original}\n--- plan\n{plan}\n{}",
        text(&got.stderr)
    );
    assert_eq!(got.status.code(), want.status.code(), "{plan}");
}

#[test]
fn random_programs_with_loops_and_gates_plan_check_clean_and_read_the_same() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut planned = 0;
    for case in 0..150 {
        let src = program(&mut rng);
        let f = file(&src);
        let path = f.path().to_str().unwrap();
        let before = wb(&["check", path]);
        assert!(
            before.status.success(),
            "case {case} does not check:\n{src}\n{}",
            text(&before.stderr)
        );
        let out = wb(&["plan", path, "--json"]);
        assert!(
            out.status.success(),
            "case {case}:\n{src}\n{}",
            text(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let plan = v["program"].as_str().unwrap().to_owned();
        let slots = v["slots"].as_u64().unwrap();
        assert_eq!(v["optimal"], Value::Bool(false), "{plan}");
        assert!(v["lower_bound"].as_u64().unwrap() <= slots, "{plan}");
        let p = file(&plan);
        let cap = slots.max(1).to_string();
        let check = wb(&[
            "check",
            p.path().to_str().unwrap(),
            "--capacity",
            &cap,
            "-D",
            "warnings",
        ]);
        assert!(
            check.status.success() && text(&check.stderr).contains("0 warnings"),
            "case {case}: the plan fails its check at {cap}:\n{src}\n--- plan\n{plan}\n{}",
            text(&check.stderr)
        );
        // The claimed slots are the checker's peak: one fewer fails.
        if slots > 1 {
            let less = (slots - 1).to_string();
            let tight = wb(&["check", p.path().to_str().unwrap(), "--capacity", &less]);
            assert!(!tight.status.success(), "{plan}");
        }
        for _ in 0..3 {
            let len = rng.below(4);
            let xs: Vec<String> = (0..len).map(|_| rng.number()).collect();
            let mut args = Vec::new();
            for name in ["a", "b", "c"] {
                // Only the inputs the plan still declares (it drops the
                // ones no read needs).
                let v = rng.number();
                let declared = plan
                    .lines()
                    .find_map(|l| l.strip_prefix("input "))
                    .is_some_and(|l| l.split(", ").any(|d| d.split(" = ").next() == Some(name)));
                if declared {
                    args.extend(["--set".to_owned(), format!("{name}={v}")]);
                }
            }
            if plan.contains("\nstream x") {
                args.extend(["--stream".to_owned(), format!("x={}", xs.join(","))]);
            }
            same_reads(&src, &plan, &args);
        }
        planned += 1;
    }
    assert_eq!(planned, 150);
}

#[test]
fn a_loop_and_a_gated_write_are_units_and_the_rest_is_three_address() {
    let src = "board 5\ninput a = 2, b = 3\nstream x = [1, 2, 3.5]\nwrite s = 0\nwrite p = a * b + 1\neach x {\n  write t = x * p + a * (b - x)\n  write s = s + t\n  read t\n  forget t\n}\nwrite s = s * 2 when s > 3\nwrite q = s * s + p\nread q, s\n";
    let f = file(src);
    let out = wb(&["plan", f.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan = text(&out.stdout);
    assert!(
        plan.contains("2 loops or gated writes kept as units"),
        "{plan}"
    );
    assert!(plan.contains("\neach x {\n"), "{plan}");
    // The gated write is kept whole: its value is not split out of it.
    assert!(plan.contains("\nwrite s = s * 2 when s > 3\n"), "{plan}");
    // Everything else applies one operator per write.
    for line in plan
        .lines()
        .filter(|l| l.trim_start().starts_with("write ") && !l.contains(" when "))
    {
        let (_, e) = line.split_once(" = ").unwrap();
        let ops = e
            .split_whitespace()
            .filter(|t| ["+", "-", "*"].contains(t))
            .count();
        assert!(ops <= 1, "{line}\n{plan}");
    }
    // Inside the loop, `s` and `p` are never forgotten (rule 3).
    let body = &plan[plan.find("each x {").unwrap()..plan.find("\n}\n").unwrap()];
    assert!(
        !body.contains("forget s") && !body.contains("forget p"),
        "{plan}"
    );
    same_reads(src, &plan, &[]);
    same_reads(src, &plan, &["--stream".into(), "x=".into()]);
}

#[test]
fn a_capacity_below_the_plan_is_refused_with_the_bound() {
    let src = "board 5\ninput a = 2\nstream x = [1, 2]\nwrite s = 0\nwrite p = a + 1\neach x {\n  write s = s + x * p\n}\nread s\n";
    let f = file(src);
    let out = wb(&["plan", f.path().to_str().unwrap(), "--capacity", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("wb::no_plan"), "{err}");
    assert!(err.contains("needs at least 2 slots"), "{err}");
    assert!(out.stdout.is_empty());
}

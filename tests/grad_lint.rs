//! `wb check --lint gradients`: where it warns (a constant coefficient other
//! than 1, alone or as a matrix), where it does not (the carousel,
//! data-dependent gates and coefficients), that it is off by default, and
//! that following its advice silences it.

use std::process::Command;

fn check(args: &[&str], src: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.wb");
    std::fs::write(&p, src).unwrap();
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.push(p.display().to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_wb"))
        .arg("check")
        .args(&all)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lint(src: &str) -> String {
    check(&["--lint", "gradients"], src).1
}

fn recurrence(update: &str) -> String {
    // `alpha` is declared only where it is used (an unused input warns).
    let alpha = if update.contains("alpha") {
        "input alpha = 0.25\n"
    } else {
        "\n"
    };
    format!("board 2\nstream x = [1, 2, 3]\n{alpha}write s = 0\neach x {{\n  write s = {update}\n}}\nread s\n")
}

#[test]
fn a_constant_coefficient_warns_and_names_the_statement() {
    let out = lint(&recurrence("0.5 * s + x"));
    assert!(out.contains("warning[wb::gradient_flow]: the influence of early elements on `s` vanishes over a long stream: each iteration multiplies its derivative by `0.5`"), "{out}");
    assert!(
        out.contains("6 │   write s = 0.5 * s + x") && out.contains("∂s/∂(old s) = 0.5"),
        "{out}"
    );
    assert!(out.contains("the carousel"), "{out}");
    let out = lint(&recurrence("2 * s + x"));
    assert!(
        out.contains("`s` explodes") && out.contains("by `2`"),
        "{out}"
    );
    let out = lint(&recurrence("x gate 0.1"));
    assert!(
        out.contains("vanishes") && out.contains("by `0.9`"),
        "a constant soft gate vanishes just the same: {out}"
    );
    let out = lint(&recurrence("(1 - alpha) * s + alpha * x"));
    assert!(
        out.contains("by `1 - alpha`")
            && out.contains("with the inputs' defaults `1 - alpha` is 0.75"),
        "{out}"
    );
}

#[test]
fn what_keeps_influence_alive_does_not_warn() {
    for update in [
        "s + x",                 // the carousel
        "s + 0.5 * x",           // still the carousel
        "x when x > s",          // a data-dependent hard gate
        "x gate sigmoid(x - 2)", // a soft gate computed from the data
        "s * x",                 // a data-dependent coefficient
        "tanh(s) + x",           // likewise
    ] {
        let (code, out) = check(
            &["--lint", "gradients", "--deny", "warnings"],
            &recurrence(update),
        );
        assert_eq!(code, 0, "{update}: {out}");
        assert!(!out.contains("gradient_flow"), "{update}: {out}");
    }
}

#[test]
fn following_the_advice_silences_it() {
    // The advice: carry the value with coefficient 1, or gate it by data.
    assert!(lint(&recurrence("0.5 * s + x")).contains("gradient_flow"));
    assert!(!lint(&recurrence("s + x")).contains("gradient_flow"));
    assert!(!lint(&recurrence("0.5 * s + x when x > 2")).contains("gradient_flow"));
}

#[test]
fn the_examples() {
    let run = |p: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_wb"))
            .args(["check", "--lint", "gradients", p])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let fib = run("examples/fibonacci.wb");
    assert!(
        fib.contains("on `a`, `b` explodes over 5 iterations")
            && fib.contains("largest eigenvalue has magnitude 2.618034"),
        "{fib}"
    );
    assert!(fib.contains("multiplied by 122.991869"), "{fib}");
    let ema = run("examples/ema.wb");
    assert!(
        ema.contains("by `1 - alpha`") && ema.contains("`1 - alpha` is 0.5"),
        "{ema}"
    );
    for quiet in [
        "newton_sqrt",
        "running_max",
        "running_mean",
        "stream_stats",
        "whiteboard",
    ] {
        let out = run(&format!("examples/{quiet}.wb"));
        assert!(out.contains("0 warnings"), "{quiet}: {out}");
    }
}

#[test]
fn it_is_off_by_default_and_obeys_deny_and_json() {
    let src = recurrence("0.5 * s + x");
    let (code, out) = check(&["--deny", "warnings"], &src);
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&["--lint", "gradients", "--deny", "warnings"], &src);
    assert_eq!(code, 1, "{out}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.wb");
    std::fs::write(&p, &src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(["check", "--lint", "gradients", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "wb::gradient_flow");
    assert_eq!(v["diagnostics"][0]["line"], 6);
}

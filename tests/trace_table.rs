//! The gate table (`wb compile`) and the trace (`wb run --trace`, with either
//! engine) as a learner reads them: every example fits 80 columns when
//! standard output is not a terminal, and `--width N`; the notation cannot
//! be mistaken for the program's names; the trace says what each statement
//! read and what its gate did; long names and expressions are cut, not
//! padded to their length.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn wb(args: &[&str], file: &Path) -> Output {
    Command::cargo_bin("wb")
        .expect("the wb binary is built")
        .args(args)
        .arg(file)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("wb runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}

fn temp(name: &str, src: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, src).expect("written");
    (dir, path)
}

/// At most 2000 characters of a text, for a failure's message.
fn cut(text: &str) -> String {
    text.chars().take(2000).collect()
}

/// Every line of `text` has at most `width` characters.
fn fits(text: &str, width: usize, what: &str) {
    for line in text.lines() {
        let n = line.chars().count();
        assert!(
            n <= width,
            "{what}: a line of {n} characters at width {width}:\n{}\n---\n{}",
            cut(line),
            cut(text)
        );
    }
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("examples")
        .expect("examples/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wb"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    files
}

#[test]
fn every_example_fits_the_width() {
    for file in examples() {
        for (width, flags) in [
            (80, vec![]),
            (120, vec!["--width", "120"]),
            (60, vec!["--width", "60"]),
        ] {
            let what = format!("{} at {width}", file.display());
            let mut compile = vec!["compile"];
            compile.extend(&flags);
            let out = wb(&compile, &file);
            assert!(out.status.success(), "{what}: {out:?}");
            let table = stdout(&out);
            assert!(table.contains("candidate"), "{what}: {table}");
            fits(&table, width, &format!("wb compile {what}"));
            for engine in ["interp", "cell"] {
                let mut run = vec!["run", "--trace", "--engine", engine];
                run.extend(&flags);
                let out = wb(&run, &file);
                assert!(out.status.success(), "{what} {engine}: {out:?}");
                let trace = stdout(&out);
                assert!(trace.lines().count() > 2, "{what} {engine}: {trace}");
                fits(
                    &trace,
                    width,
                    &format!("wb run --trace --engine {engine} {what}"),
                );
            }
        }
    }
}

#[test]
fn the_widest_examples_were_wider_than_80_columns_before() {
    // What the width has to absorb: stream_stats' statements and values
    // alone are wider than the board can be beside them.
    let out = wb(&["run", "--trace"], Path::new("examples/stream_stats.wb"));
    let trace = stdout(&out);
    assert!(
        trace.starts_with("line  statement, and below it the board (5 slots)\n"),
        "{trace}"
    );
    assert!(trace.contains("mean=3.333…"), "{trace}");
    let out = wb(
        &["run", "--trace", "--width", "200"],
        Path::new("examples/stream_stats.wb"),
    );
    let wide = stdout(&out);
    assert!(wide.contains("mean=3.3333333333333335"), "{wide}");
}

#[test]
fn names_never_read_as_the_notation() {
    let (_d, path) = temp(
        "h1.wb",
        "board 2\ninput h1 = 2, u0 = 1, y = 3\nwrite c0 = h1 + u0\nwrite b = c0 * h1 + y\nread b\n",
    );
    let out = wb(&["compile"], &path);
    assert!(out.status.success(), "{out:?}");
    let table = stdout(&out);
    assert!(table.contains("u[0] ← h1 + u0"), "{table}");
    assert!(table.contains("u[1] ← h[0] * h1 + y"), "{table}");
    assert!(table.contains("y[0] ← h[1]"), "{table}");
    assert!(table.contains("  u[0]  c0 (3–5)"), "{table}");
}

#[test]
fn statements_after_a_semicolon_line_up_with_the_others() {
    let (_d, path) = temp(
        "one_line.wb",
        "board 1\nwrite s = 0\nrepeat 2 { write s = s + 1; read s }\n",
    );
    let out = wb(&["run", "--trace"], &path);
    assert!(out.status.success(), "{out:?}");
    let trace = stdout(&out);
    let lines: Vec<&str> = trace.lines().collect();
    assert_eq!(
        lines[2], "   3  repeat 2 { … }     ── iteration 1 of 2",
        "{trace}"
    );
    assert_eq!(
        lines[3], "   3    write s = s + 1  [ s=1 ]  reads s; full",
        "{trace}"
    );
    assert_eq!(lines[4], "   3    read s           s = 1", "{trace}");
}

#[test]
fn the_trace_says_what_was_read_and_what_the_gates_did() {
    let out = wb(&["run", "--trace"], Path::new("examples/whiteboard.wb"));
    let trace = stdout(&out);
    assert!(
        trace.contains(
            "   7  write bd_a = bd + a    [ ac=5       | bd=33 | bd_a=34 ]  reads bd; full"
        ),
        "{trace}"
    );
    // A free slot is `·`, as the REPL's board line shows it.
    assert!(
        trace.contains("   8  forget bd              [ ac=5       | ·     | bd_a=34 ]"),
        "{trace}"
    );
    let out = wb(&["run", "--trace"], Path::new("examples/running_max.wb"));
    let trace = stdout(&out);
    assert!(trace.contains("when: open"), "{trace}");
    // Element 1 (x = 1) does not beat 3: the gate stays closed and only the
    // condition was read.
    assert!(trace.contains("reads best; when: closed, kept"), "{trace}");
    let out = wb(&["run", "--trace"], Path::new("examples/ema.wb"));
    let trace = stdout(&out);
    assert!(trace.contains("reads avg; gate 0.5; full"), "{trace}");
}

#[test]
fn the_cell_traces_its_state_after_every_step() {
    let out = wb(
        &["run", "--trace", "--engine", "cell"],
        Path::new("examples/whiteboard.wb"),
    );
    assert!(out.status.success(), "{out:?}");
    let trace = stdout(&out);
    let lines: Vec<&str> = trace.lines().collect();
    assert_eq!(
        lines[0], "step  statement              cell state c (3 units)",
        "{trace}"
    );
    // A step's fused statements, one a line, the state after the step.
    assert_eq!(
        lines[1], "   1  write ac = a * c       [ ac=5       | bd=33 | ·       ]",
        "{trace}"
    );
    assert_eq!(lines[2], "      write bd = b * d", "{trace}");
    assert_eq!(
        lines[3], "   2  write bd_a = bd + a    [ ac=5       | bd=33 | bd_a=34 ]  reads bd",
        "{trace}"
    );
    assert!(trace.contains("   4  forget bd_a            [ ·          | p=170 | ad=11   ]\n      write ad = a * d\n      forget ac\n"), "{trace}");
    assert!(
        trace.ends_with("   6  read result            result = 181\n"),
        "{trace}"
    );
    // The loops show their elements, as the interpreter's trace does.
    let out = wb(
        &["run", "--trace", "--engine", "cell"],
        Path::new("examples/running_max.wb"),
    );
    let trace = stdout(&out);
    assert!(trace.contains("each x { … }"), "{trace}");
    assert!(trace.contains("── element 7: x = 6"), "{trace}");
    assert!(trace.contains("best = 9"), "{trace}");
}

#[test]
fn a_failing_cell_run_traces_up_to_the_failure() {
    let file = Path::new("tests/golden/run/div_zero_in_each.wb");
    for engine in ["interp", "cell"] {
        let out = wb(&["run", "--trace", "--engine", engine], file);
        assert_eq!(out.status.code(), Some(1), "{engine}: {out:?}");
        let trace = stdout(&out);
        assert!(trace.contains("── element 2: x = 0"), "{engine}: {trace}");
        assert!(trace.contains("s=1.3333333333333333"), "{engine}: {trace}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error[wb::div_zero]"), "{engine}: {err}");
    }
}

#[test]
fn huge_names_and_expressions_are_cut_not_padded() {
    let expr = "1 + ".repeat(17_500) + "1";
    assert!(expr.len() > 70_000);
    let name = "n".repeat(65_534);
    let src = format!(
        "board 2\nwrite a = {expr}\nwrite {name} = a * 2\nread {name}, a\nwrite a = {name} gate 0.5\nread a\n"
    );
    let (_d, path) = temp("huge.wb", &src);
    for args in [
        &["compile"][..],
        &["run", "--trace"],
        &["run", "--trace", "--engine", "cell"],
        &["run", "--trace", "--width", "60"],
    ] {
        let out = wb(args, &path);
        let what = format!("{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what}: {}", cut(&err));
        let text = stdout(&out);
        let width = if args.contains(&"60") { 60 } else { 80 };
        fits(&text, width, &what);
        assert!(text.contains('…'), "{what}: {text}");
    }
}

#[test]
fn a_narrow_width_is_raised_to_forty() {
    let out = wb(
        &["compile", "--width", "10"],
        Path::new("examples/stream_stats.wb"),
    );
    assert!(out.status.success(), "{out:?}");
    fits(&stdout(&out), 40, "--width 10");
}

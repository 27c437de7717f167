//! Every example in `examples/` runs with the output its comments promise.

use assert_cmd::Command;

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

fn run(file: &str, flags: &[&str]) -> (String, String, Option<i32>) {
    let out = wb()
        .arg("run")
        .arg(file)
        .args(flags)
        .output()
        .expect("wb runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn whiteboard() {
    assert_eq!(run("examples/whiteboard.wb", &[]).0, "result = 181\n");
}

#[test]
fn whiteboard_with_other_inputs() {
    // ad + ac(bd + a) with a=2, b=3, c=5, d=11: 22 + 10 * 35 = 372.
    assert_eq!(
        run("examples/whiteboard.wb", &["--set", "a=2"]).0,
        "result = 372\n"
    );
}

#[test]
fn running_mean() {
    assert_eq!(run("examples/running_mean.wb", &[]).0, "mean = 18\n");
    assert_eq!(
        run("examples/running_mean.wb", &["--stream", "x=1,2,3,4"]).0,
        "mean = 2.5\n"
    );
}

#[test]
fn running_max_reads_at_every_element() {
    assert_eq!(
        run("examples/running_max.wb", &[]).0,
        "best = 3\nbest = 3\nbest = 4\nbest = 4\nbest = 5\nbest = 9\nbest = 9\nbest = 9\n"
    );
}

#[test]
fn ema() {
    // 10 → 10, 11, 11, 13, 13.5, 16.75
    assert_eq!(run("examples/ema.wb", &[]).0, "avg = 16.75\n");
}

#[test]
fn newton_sqrt() {
    let (out, _, code) = run("examples/newton_sqrt.wb", &[]);
    assert_eq!(code, Some(0));
    // Newton's iterate lands one ulp below the correctly rounded √2.
    assert_eq!(
        out,
        "r = 1.414213562373095\nr * r - s = -4.440892098500626e-16\n"
    );
}

#[test]
fn stream_stats() {
    // 2 4 4 4 5 5 7 9: mean 5, population variance 4.
    assert_eq!(
        run("examples/stream_stats.wb", &[]).0,
        "n = 8\nmean = 5\nvariance = 4\nhi = 9\n"
    );
    assert_eq!(
        run("examples/stream_stats.wb", &["--stream", "x=-1,1"]).0,
        "n = 2\nmean = 0\nvariance = 1\nhi = 1\n"
    );
}

#[test]
fn sums() {
    // 2 4 4 4 5 5 7 9: mean 5, population variance 4, from sums alone.
    assert_eq!(
        run("examples/sums.wb", &[]).0,
        "s / n = 5\nq / n - (s / n) * (s / n) = 4\n"
    );
    assert_eq!(
        run("examples/sums.wb", &["--stream", "x=-1,1"]).0,
        "s / n = 0\nq / n - (s / n) * (s / n) = 1\n"
    );
}

#[test]
fn count_above() {
    assert_eq!(run("examples/count_above.wb", &[]).0, "count = 3\n");
    assert_eq!(
        run("examples/count_above.wb", &["--set", "t=0"]).0,
        "count = 6\n"
    );
}

#[test]
fn fibonacci() {
    assert_eq!(run("examples/fibonacci.wb", &[]).0, "a = 55\n");
}

#[test]
fn error_examples_fail_with_their_codes() {
    let (out, err, code) = run("examples/errors/overflow.wb", &[]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert!(err.contains("error[wb::board_full]"), "{err}");
    assert!(
        err.contains(
            "help: `bd` is never read again (last read on line 8): add `forget bd` before line 9"
        ),
        "{err}"
    );
    let (_, err, code) = run("examples/errors/forgotten.wb", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("error[wb::forgotten]"), "{err}");
}

#[test]
fn every_example_is_covered() {
    let mut files: Vec<String> = std::fs::read_dir("examples")
        .expect("examples/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wb"))
        .collect();
    files.sort();
    let source = include_str!("examples.rs");
    for f in files {
        assert!(
            source.contains(&format!("examples/{f}")),
            "examples/{f} has no test in tests/examples.rs"
        );
    }
}

//! Bad input gets a clear diagnostic and an exit code — never a panic, a
//! stack overflow or a hang.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command as Std, Stdio};

use assert_cmd::Command;

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

/// Runs `wb run -` on `src`; exit code, stdout, stderr.
fn run_stdin(src: impl Into<Vec<u8>>, flags: &[&str]) -> (Option<i32>, String, String) {
    let out = wb()
        .args(["run", "-"])
        .args(flags)
        .write_stdin(src.into())
        .output()
        .expect("wb runs");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "wb panicked: {err}");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        err,
    )
}

#[test]
fn non_utf8_source_is_a_diagnostic_at_the_bad_byte() {
    let (code, _, err) = run_stdin(b"board 1\nread 1 \xff\n".to_vec(), &[]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("error[wb::syntax]: the source is not valid UTF-8"),
        "{err}"
    );
    assert!(err.contains("<stdin>:2:8"), "{err}");
}

#[test]
fn empty_source_has_no_board() {
    let (code, out, err) = run_stdin("", &[]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert!(err.contains("wb::no_board"), "{err}");
    // With a capacity it is simply a program that reads nothing.
    let (code, out, _) = run_stdin("", &["--capacity", "2"]);
    assert_eq!((code, out.as_str()), (Some(0), ""));
}

#[test]
fn crlf_and_semicolons_and_a_byte_order_mark() {
    let (code, out, err) = run_stdin(
        "\u{feff}board 2\r\ninput a = 2\r\nwrite x = a; write y = x * 3\r\nread y\r\n",
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "y = 6\n");
}

#[test]
fn a_ten_megabyte_line() {
    let src = format!("board 1\nread {}\n", vec!["1"; 5_000_000].join("+"));
    assert!(src.len() > 10_000_000);
    let (code, out, err) = run_stdin(src, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.ends_with(" = 5000000\n"));
}

#[test]
fn long_chains_of_right_associative_and_prefix_operators() {
    let src = format!("board 1\nread {}\n", vec!["1"; 1_000_000].join("^"));
    let (code, out, _) = run_stdin(src, &[]);
    assert_eq!(code, Some(0));
    assert!(out.ends_with(" = 1\n"));
    let src = format!("board 1\nread {}2\n", "-".repeat(2_000_000));
    let (code, out, _) = run_stdin(src, &[]);
    assert_eq!(code, Some(0));
    assert!(out.ends_with(" = 2\n"));
}

#[test]
fn a_hundred_thousand_nested_parentheses_and_blocks() {
    let src = format!(
        "board 1\nread {}1{}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let (code, _, err) = run_stdin(src, &[]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("wb::nesting_too_deep"),
        "{}",
        &err[..err.len().min(300)]
    );
    let src = format!(
        "board 1\n{}\n{}\n",
        "repeat 1 {\n".repeat(100_000),
        "}\n".repeat(100_000)
    );
    let (code, _, err) = run_stdin(src, &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("wb::nesting_too_deep"));
    // Up to the limit, nesting works.
    let src = format!("board 1\nread {}1{}\n", "(".repeat(64), ")".repeat(64));
    assert_eq!(run_stdin(src, &[]).0, Some(0));
}

#[test]
fn unreadable_files_are_usage_errors() {
    let out = wb()
        .args(["run", "no/such/file.wb"])
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
    let out = wb().args(["run", "examples"]).output().expect("wb runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read `examples`"));
}

#[test]
fn bad_flags_are_usage_errors() {
    let cases: &[&[&str]] = &[
        &["run", "--no-such-flag", "examples/whiteboard.wb"],
        &["run", "examples/whiteboard.wb", "--set", "a"],
        &["run", "examples/whiteboard.wb", "--set", "a=x"],
        &["run", "examples/whiteboard.wb", "--set", "a=inf"],
        &["run", "examples/whiteboard.wb", "--set", "zz=1"],
        &["run", "examples/whiteboard.wb", "--stream", "a=1,2"],
        &["run", "examples/running_mean.wb", "--stream", "x=1,two"],
        &["frobnicate"],
    ];
    for args in cases {
        let out = wb().args(*args).output().expect("wb runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error"), "{args:?}: {err}");
    }
}

#[test]
fn stream_files_name_the_bad_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("x.txt");
    std::fs::write(&path, "1, 2\n3 4\n5 six\n").expect("write");
    let out = wb()
        .args(["run", "examples/running_mean.wb", "--stream"])
        .arg(format!("x=@{}", path.display()))
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("`six`"), "{err}");
    std::fs::write(&path, "1, 2\n3 4\n\n5\n").expect("write");
    let out = wb()
        .args(["run", "examples/running_mean.wb", "--stream"])
        .arg(format!("x=@{}", path.display()))
        .output()
        .expect("wb runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "mean = 3\n");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = Std::new(env!("CARGO_BIN_EXE_wb"))
        .args(["run", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wb starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"board 1\nrepeat 100000000 {\n  read 1\n}\n")
        .expect("write the program");
    drop(stdin);
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a line");
    assert_eq!(first, "1 = 1\n");
    // The reader is gone: wb must notice and stop, without a panic.
    let out = child.wait_with_output().expect("wb ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn a_syntax_error_after_a_multibyte_character() {
    // Found by tests/parser_agreement.rs: naming the token before the error
    // sliced inside U+FEFF.
    let (code, _, err) = run_stdin("  read \u{feff}x write ", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("error[wb::syntax]"), "{err}");
}

#[test]
fn an_operator_position_holding_a_multibyte_character() {
    // Found by the `run` fuzz target: the fast path looked for a two-byte
    // operator by slicing inside a multibyte character.
    let (code, _, err) = run_stdin("board 1\nread 1 \u{fffd}\n", &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("error[wb::syntax]"), "{err}");
    let (code, _, _) = run_stdin("board 1\nread 1é\n", &[]);
    assert_eq!(code, Some(1));
}

#[test]
fn a_full_disk_is_an_error_not_silence() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not Linux: nothing to test against
    };
    for args in [
        &["run", "examples/whiteboard.wb"][..],
        &["run", "--json", "examples/whiteboard.wb"],
        &["run", "--trace", "examples/whiteboard.wb"],
        &["check", "--format", "json", "examples/whiteboard.wb"],
        &["compile", "examples/whiteboard.wb"],
    ] {
        let out = Std::new(env!("CARGO_BIN_EXE_wb"))
            .args(args)
            .stdout(full.try_clone().expect("dup /dev/full"))
            .output()
            .expect("wb runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("cannot write the output"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn ctrl_c_stops_a_run_and_shows_the_board() {
    let mut child = Std::new(env!("CARGO_BIN_EXE_wb"))
        .args(["run", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wb starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"board 1\nwrite n = 0\nrepeat 10000000000 {\n  write n = n + 1\n}\nread n\n")
        .expect("write the program");
    drop(stdin);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let killed = Std::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wb ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("error[wb::interrupted]"), "{err}");
    assert!(err.contains("board when it stopped: [ n="), "{err}");
}

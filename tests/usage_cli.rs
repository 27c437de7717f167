//! The command line used as a user uses it: flags given wrongly are usage
//! errors (exit 2), input channels read numbers by one rule, and a reader
//! that goes away (`| head`) stops every output path.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command as Cmd;

fn wb() -> Cmd {
    Cmd::new(env!("CARGO_BIN_EXE_wb"))
}

fn temp(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("written");
    (dir, path)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_capacity_out_of_range_is_a_usage_error_everywhere() {
    for sub in [
        &["run", "examples/whiteboard.wb"][..],
        &["check", "examples/whiteboard.wb"],
        &["compile", "examples/whiteboard.wb"],
        &["repl"],
    ] {
        for (n, why) in [
            ("0", "a board needs at least 1 slot"),
            ("100000000000", "a board has at most 1000000 slots"),
            ("2.5", "expected a whole number of slots"),
        ] {
            let out = wb()
                .args(sub)
                .args(["--capacity", n])
                .write_stdin("")
                .assert()
                .code(2)
                .get_output()
                .clone();
            let err = stderr(&out);
            assert!(err.contains(why), "{sub:?} --capacity {n}: {err}");
            assert!(
                !err.contains("board_full") && !err.contains("board 0"),
                "{err}"
            );
        }
    }
    wb().args(["run", "--capacity", "1000000", "examples/whiteboard.wb"])
        .assert()
        .success();
}

#[test]
fn an_unknown_input_lists_the_inputs_and_the_nearest() {
    let out = wb()
        .args(["run", "--set", "bb=4", "examples/whiteboard.wb"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert_eq!(
        stderr(&out),
        "error: --set bb: the program has no input `bb` (its inputs: `a`, `b`, `c`, `d`; did you mean `b`?)\n"
    );
    let out = wb()
        .args(["run", "--set", "zz=4", "examples/whiteboard.wb"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(stderr(&out).contains("(its inputs: `a`, `b`, `c`, `d`)"));
    // Following the suggestion runs.
    wb().args(["run", "--set", "b=4", "examples/whiteboard.wb"])
        .assert()
        .success();
}

#[test]
fn a_missing_value_in_a_stream_list_is_an_error() {
    let (_d, prog) = temp(
        "s.wb",
        "board 1\nstream x\nwrite s = 0\neach x {\n write s = s + x\n}\nread s\n",
    );
    for list in ["1,,2", ",1", "1,"] {
        let out = wb()
            .args(["run", "--stream", &format!("x={list}")])
            .arg(&prog)
            .assert()
            .code(2)
            .get_output()
            .clone();
        assert!(
            stderr(&out).contains("no number"),
            "{list}: {}",
            stderr(&out)
        );
    }
    let (_e, file) = temp("x.txt", "1,\n,2\n");
    let out = wb()
        .args(["run", "--stream"])
        .arg(format!("x=@{}", file.display()))
        .arg(&prog)
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(stderr(&out).contains("line 2: two commas with no number between them"));
}

/// `.5` is refused in source but read in every data channel (docs/cli.md).
#[test]
fn a_leading_dot_is_a_number_in_every_input_channel() {
    let (_d, prog) = temp(
        "p.wb",
        "board 1\ninput a = 1\nstream x = []\nwrite s = a\neach x {\n write s = s + x\n}\nread s\n",
    );
    wb().args(["run", "--set", "a=.5", "--stream", "x=.25, 5."])
        .arg(&prog)
        .assert()
        .success()
        .stdout("s = 5.75\n");
    let (_e, file) = temp("x.txt", ".25\n5.\n");
    wb().args(["run", "--set", "a=.5", "--stream"])
        .arg(format!("x=@{}", file.display()))
        .arg(&prog)
        .assert()
        .success()
        .stdout("s = 5.75\n");
    let (_f, csv) = temp("in.csv", "a,x\n.5,.25;5.\n");
    wb().args(["run", "--batch"])
        .arg(&csv)
        .arg(&prog)
        .assert()
        .success()
        .stdout("s,error\n5.75,\n");
    let (_g, src) = temp("dot.wb", "board 1\nread .5\n");
    wb().arg("run").arg(&src).assert().code(1);
}

/// Runs `wb ARGS | head -N` and waits for both: `wb` must end by itself
/// once `head` has gone (the deadline only keeps a failing test from
/// hanging the suite).
fn into_head(args: &[&str], lines: usize) -> (std::process::ExitStatus, String) {
    let mut wb = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wb starts");
    let head = Command::new("head")
        .arg(format!("-{lines}"))
        .stdin(wb.stdout.take().expect("a pipe"))
        .output()
        .expect("head runs");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = wb.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = wb.kill();
            panic!("`wb {}` went on after `head` had gone", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut wb.stderr.take().expect("stderr"), &mut err)
        .expect("stderr read");
    assert_eq!(err, "", "a closed pipe is quiet");
    (status, String::from_utf8_lossy(&head.stdout).into_owned())
}

#[test]
fn a_closed_pipe_stops_every_output_path() {
    // Far longer than any test may take, were it to run to its end.
    let (_d, long) = temp(
        "long.wb",
        "board 1\nwrite s = 0\nrepeat 1000000000 {\n write s = s + 1\n read s\n}\n",
    );
    let long = long.to_str().expect("a UTF-8 path");
    let (status, out) = into_head(&["run", "--trace", long], 2);
    assert!(status.success(), "{status}");
    assert_eq!(out.lines().count(), 2);
    let (status, out) = into_head(&["run", "--engine", "cell", long], 1);
    assert!(status.success(), "{status}");
    assert_eq!(out, "s = 1\n");
    let (status, out) = into_head(&["run", long], 1);
    assert!(status.success(), "{status}");
    assert_eq!(out, "s = 1\n");
    // A batch far longer than a pipe's buffer.
    let mut csv = tempfile::NamedTempFile::new().expect("a file");
    let mut text = String::from("a\n");
    for i in 0..300_000 {
        text.push_str(&format!("{i}\n"));
    }
    csv.write_all(text.as_bytes()).expect("written");
    let (_e, prog) = temp("a.wb", "board 1\ninput a\nread a\n");
    let (status, out) = into_head(
        &[
            "run",
            "--batch",
            csv.path().to_str().expect("UTF-8"),
            prog.to_str().expect("UTF-8"),
        ],
        1,
    );
    assert!(status.success(), "{status}");
    assert_eq!(out, "a,error\n");
}

#[test]
fn a_board_that_does_not_fit_the_session_is_one_line() {
    let out = wb()
        .arg("repl")
        .write_stdin("write a = 1\nwrite b = 2\nwrite c = a + b\nboard 1\n:board\n")
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(
        stderr(&out),
        "error: the session so far does not fit on `board 1`: it needs 3 slots at once; nothing changed\n"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 of 3 slots in use"));
}

#[test]
fn a_repl_whose_output_cannot_be_written_fails_as_run_does() {
    if !std::path::Path::new("/dev/full").exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "/dev/full is missing"
        );
        eprintln!("skipped: no /dev/full");
        return;
    }
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    let run = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(["run", "examples/whiteboard.wb"])
        .stdout(full())
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(2));
    let mut repl = Command::new(env!("CARGO_BIN_EXE_wb"))
        .arg("repl")
        .stdin(Stdio::piped())
        .stdout(full())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    repl.stdin
        .take()
        .expect("stdin")
        .write_all(b"read 1\nread 2\n")
        .expect("written");
    let out = repl.wait_with_output().expect("ends");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write the output"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn compile_json_on_a_failing_program_is_json() {
    for flag in [&["--emit", "json"][..], &["--json"]] {
        let out = wb()
            .arg("compile")
            .args(flag)
            .arg("examples/errors/overflow.wb")
            .assert()
            .code(1)
            .get_output()
            .clone();
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("one JSON object on standard output");
        assert_eq!(v["diagnostics"][0]["code"], "wb::board_full", "{v}");
    }
    let out = wb()
        .args(["compile", "--json", "examples/whiteboard.wb"])
        .assert()
        .success()
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(v.is_object());
}

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

/// A program with an error and a warning: `a` is never read after `b`
/// takes the board.
const FAILING: &str = "board 1\ninput u = 1\nwrite a = 1\nwrite b = 2\nread a + b\n";

#[test]
fn color_follows_the_flag_then_clicolor_force_then_no_color() {
    let (_dir, path) = temp("bad.wb", FAILING);
    // `plan` plans even a program that does not check: a syntax error.
    let (_dir2, broken) = temp("broken.wb", "board 1\nread (1\n");
    for (sub, path) in [
        ("run", &path),
        ("check", &path),
        ("compile", &path),
        ("grad", &path),
        ("export", &path),
        ("report", &path),
        ("plan", &broken),
        ("fmt", &broken),
    ] {
        let esc = |args: &[&str], env: &[(&str, &str)]| {
            let mut cmd = wb();
            cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
            for (k, v) in env {
                cmd.env(k, v);
            }
            let out = cmd.args(args).arg(path).output().expect("wb runs");
            assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
            stderr(&out).contains('\u{1b}')
        };
        // Standard error is a pipe here: `auto` is plain.
        assert!(!esc(&[sub], &[]), "{sub}");
        assert!(esc(&[sub, "--color", "always"], &[]), "{sub}");
        assert!(
            esc(&["--color=always", sub], &[]),
            "{sub}: the flag before the subcommand"
        );
        assert!(esc(&[sub], &[("CLICOLOR_FORCE", "1")]), "{sub}");
        assert!(
            esc(&[sub], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]),
            "{sub}"
        );
        assert!(!esc(&[sub], &[("CLICOLOR_FORCE", "0")]), "{sub}");
        assert!(
            !esc(&[sub, "--color", "never"], &[("CLICOLOR_FORCE", "1")]),
            "{sub}"
        );
        assert!(
            esc(&[sub, "--color", "always"], &[("NO_COLOR", "1")]),
            "{sub}"
        );
    }
    wb().args(["run", "--color", "sometimes", "x.wb"])
        .assert()
        .code(2);
}

#[test]
fn quiet_leaves_out_warnings_and_summaries_but_not_errors_or_results() {
    // `u` is never read: one warning.
    let (_dir, ok) = temp("ok.wb", "board 1\ninput u = 1\nwrite a = 1\nread a\n");
    let out = wb().args(["run", "-q"]).arg(&ok).output().expect("wb runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a = 1\n");
    assert_eq!(stderr(&out), "", "no warning with -q");
    let loud = wb().args(["run"]).arg(&ok).output().expect("wb runs");
    assert!(stderr(&loud).contains("wb::unused_input"));

    let out = wb()
        .args(["check", "--quiet"])
        .arg(&ok)
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "", "no warning, no summary with -q");
    let loud = wb().args(["check"]).arg(&ok).output().expect("wb runs");
    assert!(stderr(&loud).contains("min_capacity"), "{}", stderr(&loud));

    let (_dir, bad) = temp("bad.wb", FAILING);
    let out = wb()
        .args(["-q", "check"])
        .arg(&bad)
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("error[wb::board_full]"), "{err}");
    assert!(!err.contains("warning["), "{err}");
    assert!(!err.contains("min_capacity"), "{err}");
}

/// The diagnostics of a `--json` answer on a failing program.
fn json_diagnostics(args: &[&str], path: &std::path::Path) -> Vec<serde_json::Value> {
    let out = wb().args(args).arg(path).output().expect("wb runs");
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    v["diagnostics"].as_array().expect("a list").clone()
}

#[test]
fn json_works_on_every_subcommand_that_prints_results() {
    let (_dir, bad) = temp("bad.wb", FAILING);
    let name = bad.display().to_string();
    for args in [
        &["check", "--json"][..],
        &["check", "--format", "json"],
        &["compile", "--json"],
        &["compile", "--emit", "json"],
        &["grad", "--json"],
        &["export", "--json"],
    ] {
        let diags = json_diagnostics(args, &bad);
        let d = diags
            .iter()
            .find(|d| d["code"] == "wb::board_full")
            .unwrap_or_else(|| panic!("{args:?}: {diags:?}"));
        assert_eq!(d["file"], name.as_str(), "{args:?}");
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(4), Some(7)),
            "{args:?}"
        );
        assert_eq!(
            (d["end_line"].as_u64(), d["end_column"].as_u64()),
            (Some(4), Some(8)),
            "{args:?}"
        );
        let labels = d["labels"].as_array().expect("labels");
        assert_eq!(labels.len(), 2, "{args:?}: every label: {labels:?}");
        assert!(
            labels.iter().any(|l| l["text"] == "needs a 2nd slot"),
            "{labels:?}"
        );
    }
    // `plan` plans a program that does not check; a syntax error it cannot.
    let (_dir4, broken) = temp("broken.wb", "board 1\nread (1\n");
    let diags = json_diagnostics(&["plan", "--json"], &broken);
    assert_eq!(diags[0]["code"], "wb::syntax", "{diags:?}");
    assert_eq!(diags[0]["file"], broken.display().to_string().as_str());
    // `check --json` lists the warning too, as `--format json` does.
    let diags = json_diagnostics(&["check", "--json"], &bad);
    assert!(
        diags.iter().any(|d| d["code"] == "wb::unused_input"),
        "{diags:?}"
    );

    // And on programs that work, each prints one JSON object of results.
    let (_dir2, good) = temp("good.wb", "board 2\ninput a = 1\nwrite s = a * a\nread s\n");
    for args in [
        &["check", "--json"][..],
        &["compile", "--json"],
        &["grad", "--json"],
        &["plan", "--json"],
    ] {
        let out = wb().args(args).arg(&good).output().expect("wb runs");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(v.is_object(), "{args:?}");
    }
    let (_dir3, lstm) = temp(
        "ema.wb",
        "board 2\nstream x\nwrite s = 0\neach x { write s = 0.5 * s + x }\nread s\n",
    );
    let out = wb()
        .args(["export", "--json", "--range", "x=-1..1", "--max-len", "4"])
        .arg(&lstm)
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(v.is_object(), "{v}");
    wb().args(["check", "--json", "--format", "human"])
        .arg(&good)
        .assert()
        .code(2);
}

#[test]
fn deny_warnings_makes_a_warning_an_error() {
    let (_dir, path) = temp("w.wb", "board 1\ninput u = 1\nwrite a = 1\nread a\n");
    wb().arg("check").arg(&path).assert().code(0);
    for flag in [&["-D", "warnings"][..], &["--deny", "warnings"]] {
        let out = wb()
            .arg("check")
            .args(flag)
            .arg(&path)
            .output()
            .expect("wb runs");
        assert_eq!(out.status.code(), Some(1), "{flag:?}");
        assert!(
            stderr(&out).contains("error[wb::unused_input]"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_flood_of_warnings_is_capped_for_people_and_listed_in_json() {
    let mut src = String::from("board 2\n");
    for _ in 0..50 {
        src.push_str("write a = 1\n");
    }
    src.push_str("read a\n");
    let (_dir, path) = temp("flood.wb", &src);
    let out = wb().arg("check").arg(&path).output().expect("wb runs");
    let err = stderr(&out);
    assert_eq!(err.matches("warning[wb::dead_write]").count(), 20, "{err}");
    assert!(err.contains("... and 29 more warnings"), "{err}");
    let out = wb()
        .args(["check", "--all-warnings"])
        .arg(&path)
        .output()
        .expect("wb runs");
    assert_eq!(stderr(&out).matches("warning[wb::dead_write]").count(), 49);
    let out = wb()
        .args(["check", "--json"])
        .arg(&path)
        .output()
        .expect("wb runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["diagnostics"].as_array().map(Vec::len), Some(49));
}

#[test]
fn batch_asks_only_for_inputs_the_program_reads() {
    let (dir, prog) = temp("p.wb", "board 2\ninput a, b\nstream x\nread a\n");
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "a\n1\n2\n").expect("written");
    let out = wb()
        .arg("run")
        .arg(&prog)
        .arg("--batch")
        .arg(&csv)
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a,error\n1,\n2,\n");
    // An input it reads is still asked for.
    let (dir, prog) = temp("q.wb", "board 2\ninput a, b\nread a + b\n");
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "a\n1\n").expect("written");
    let out = wb()
        .arg("run")
        .arg(&prog)
        .arg("--batch")
        .arg(&csv)
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wb::missing_input"));
}

#[test]
fn batch_names_every_column_differently() {
    let (dir, prog) = temp("p.wb", "board 2\ninput x = 1\nread x, x\nread x\n");
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "x\n1\n").expect("written");
    let out = wb()
        .arg("run")
        .arg(&prog)
        .arg("--batch")
        .arg(&csv)
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let header: Vec<&str> = text.lines().next().expect("a header").split(',').collect();
    assert_eq!(header, ["x @3:6", "x @3:9", "x @4", "error"]);
}

#[test]
fn syntax_errors_blame_what_is_wrong() {
    let message = |src: &str| {
        let out = wb()
            .args(["check", "-"])
            .write_stdin(src)
            .output()
            .expect("wb runs");
        assert_eq!(out.status.code(), Some(1));
        stderr(&out).lines().next().unwrap_or("").to_owned()
    };
    assert_eq!(
        message("board 1\nread 1.5e-3x\n"),
        "error[wb::syntax]: expected `,` or an operator after the number `1.5e-3`, found `x`"
    );
    for src in ["board 3 4\nread 1\n", "board 3 4\rread 1\r"] {
        assert_eq!(
            message(src),
            "error[wb::syntax]: expected a new line or `;` after the number `3`, found `4`",
            "{src:?}"
        );
    }
    let out = wb()
        .args(["check", "-"])
        .write_stdin("board 3\rread 1\r")
        .output()
        .expect("wb runs");
    assert!(
        stderr(&out).contains("a carriage return alone"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        message("board 1\nrepeat 18446744073709551616 { read 1 }\n"),
        "error[wb::syntax]: `repeat` takes at most 18446744073709551615 times, found `18446744073709551616`"
    );
}

//! `wb repl` with a standard input that is not a terminal: statements line by
//! line, no prompts or colour, every entry run, exit 1 if any failed.

use assert_cmd::Command;

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

/// Runs `wb ARGS` with `stdin`; the exit code and standard error.
fn fails(args: &[&str], stdin: &str) -> (Option<i32>, String) {
    let out = wb().args(args).write_stdin(stdin).output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The article's session: work through it, overflow the board, read the
/// help, fix it, undo, and carry on.
const ARTICLE: &str = "\
input a = 1, b = 3, c = 5, d = 11
write ac = a * c
write bd = b * d
write bd_a = bd + a
write p = ac * bd_a
forget bd
write p = ac * bd_a
forget bd_a
write oops = 1
:undo
write ad = a * d
forget ac
write result = ad + p
result
";

#[test]
fn the_article_session_overflows_recovers_and_reads_181() {
    let out = wb()
        .arg("repl")
        .write_stdin(ARTICLE)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // One entry failed (the overflow): exit 1, but every later line ran.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stdout,
        "\
[ ac=5 | · | · ]
[ ac=5 | bd=33 | · ]
[ ac=5 | bd=33 | bd_a=34 ]
[ ac=5 | · | bd_a=34 ]
[ ac=5 | p=170 | bd_a=34 ]
[ ac=5 | p=170 | · ]
[ ac=5 | p=170 | oops=1 ]
undid `write oops = 1`
[ ac=5 | p=170 | · ]
[ ac=5 | p=170 | ad=11 ]
[ · | p=170 | ad=11 ]
[ result=181 | p=170 | ad=11 ]
result = 181
"
    );
    // The full diagnostic, with the help on what to forget; no colour.
    assert!(
        stderr.starts_with(
            "error[wb::board_full]: the board is full: `p` needs a slot, and all 3 are taken\n   ╭─[<repl>:5:7]\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "help: `bd` is never read again (last read on line 4): type `forget bd`, then try again"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'));
    assert!(!stdout.contains("wb 0/3>"));
}

#[test]
fn a_clean_session_exits_0_and_blocks_span_lines() {
    let input = "stream x = [1, 2, 3]\nwrite s = 0\neach x {\n  write s = s + x\n}\ns\n";
    wb().arg("repl")
        .write_stdin(input)
        .assert()
        .success()
        .stdout("[ s=0 | · | · ]\n[ s=6 | · | · ]\ns = 6\n")
        .stderr("");
}

#[test]
fn a_broken_block_is_one_error_and_the_session_goes_on() {
    let input = "repeat 2 {\n  write t = )\n  forget t\n}\nread 7\n";
    let out = wb().arg("repl").write_stdin(input).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("error[").count(), 1, "{stderr}");
    assert!(stderr.contains("error[wb::syntax]: expected an expression after `=`"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "7 = 7\n");
}

#[test]
fn an_unfinished_block_at_the_end_is_an_error() {
    let (code, stderr) = fails(&["repl"], "repeat 2 {\n  read 1\n");
    assert_eq!(code, Some(1));
    assert!(stderr.contains("found the end of the file"), "{stderr}");
}

#[test]
fn quit_stops_reading() {
    wb().arg("repl")
        .write_stdin("read 1\n:quit\nread 2\n")
        .assert()
        .success()
        .stdout("1 = 1\n");
}

#[test]
fn capacity_flag_sets_the_board() {
    wb().args(["repl", "--capacity", "1"])
        .write_stdin("write x = 1\nwrite y = 2\n:board\n")
        .assert()
        .code(1)
        .stdout("[ x=1 ]\n1 of 1 slots in use, peak 1\n[ x=1 ]\n");
    // A usage error, not a `board 0` line the user never typed.
    let (code, stderr) = fails(&["repl", "--capacity", "0"], "");
    assert_eq!(code, Some(2));
    assert!(stderr.contains("a board needs at least 1 slot"), "{stderr}");
    assert!(!stderr.contains("board 0"), "{stderr}");
}

#[test]
fn a_file_is_loaded_first() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("start.wb");
    std::fs::write(&path, "board 2\ninput a = 4\nwrite x = a\nread x\n").expect("written");
    wb().arg("repl")
        .arg(&path)
        .write_stdin("x * 2\n")
        .assert()
        .success()
        .stdout("x = 4\n[ x=4 | · ]\nx * 2 = 8\n");
    // `--capacity` resizes the loaded program's board.
    wb().arg("repl")
        .arg(&path)
        .args(["--capacity", "5"])
        .write_stdin(":board\n")
        .assert()
        .success()
        .stdout("x = 4\n[ x=4 | · | · | · | · ]\n1 of 5 slots in use, peak 1\n[ x=4 | · | · | · | · ]\n");
    // A file that does not check: its errors, exit 1.
    std::fs::write(&path, "board 1\nwrite x = 1\nwrite y = 2\n").expect("written");
    let file = path.display().to_string();
    let (code, stderr) = fails(&["repl", &file], "");
    assert_eq!(code, Some(1));
    assert!(stderr.contains("error[wb::board_full]"), "{stderr}");
    // A file that cannot be read: a usage error.
    wb().args(["repl", "/no/such/file.wb"])
        .write_stdin("")
        .assert()
        .code(2);
}

/// `:save` writes a script that `wb run` replays to the same reads.
#[test]
fn save_then_run_gives_the_same_reads() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("article.wb");
    let input = format!(
        "{ARTICLE}forget p, ad\nstream xs = [1, 2]\neach xs {{\n  write t = xs * result\n  read t\n  forget t\n}}\n:save {}\n",
        path.display()
    );
    let out = wb().arg("repl").write_stdin(input).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let reads: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with('[') && !l.starts_with("undid") && !l.starts_with("saved"))
        .collect();
    assert_eq!(reads, ["result = 181", "t = 181", "t = 362"]);
    assert!(stdout.ends_with(&format!(
        "saved the session (19 lines, its `board` line first) to {}\n",
        path.display()
    )));
    let run = wb().arg("run").arg(&path).output().expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "result = 181\nt = 181\nt = 362\n"
    );
    // The saved script is a clean program: `wb check` accepts it.
    wb().arg("check").arg(&path).assert().success();
}

#[test]
fn save_to_an_unwritable_place_is_an_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let target = dir.path().join("missing-dir").join("s.wb");
    let (code, stderr) = fails(&["repl"], &format!("read 1\n:save {}\n", target.display()));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("error: cannot write"), "{stderr}");
    assert!(!target.exists());
}

/// Every example, typed into the REPL line by line, reads what `wb run`
/// reads; saved, it runs to the same reads again.
#[test]
fn every_example_typed_in_reads_what_wb_run_reads() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut seen = 0;
    for entry in std::fs::read_dir("examples").expect("examples/ exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("wb") {
            continue;
        }
        seen += 1;
        let program = std::fs::read_to_string(&path).expect("the example reads");
        let run = wb().arg("run").arg(&path).output().expect("runs");
        let expected = String::from_utf8_lossy(&run.stdout).into_owned();
        let saved = dir.path().join(path.file_name().expect("a file name"));
        let input = format!("{program}\n:save {}\n", saved.display());
        let out = wb().arg("repl").write_stdin(input).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", path.display());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let reads: String = stdout
            .lines()
            .filter(|l| !l.starts_with('[') && !l.starts_with("saved"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(reads, expected, "{}", path.display());
        let again = wb().arg("run").arg(&saved).output().expect("runs");
        assert_eq!(
            String::from_utf8_lossy(&again.stdout),
            expected,
            "{}",
            saved.display()
        );
    }
    assert!(seen >= 6, "only {seen} examples found");
}

/// `:gates` shows the session's cell exactly as `wb compile` shows the
/// lines typed (the session's line numbers leave out its `board` line: the
/// same lines compiled with `--capacity 3`).
#[test]
fn gates_is_wb_compile_of_the_session() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("gates.wb");
    let session = "input a = 1, b = 3, c = 5, d = 11\nwrite ac = a * c\nwrite bd = b * d\n\
                   write bd_a = bd + a\nforget bd\nwrite p = ac * bd_a\n";
    let gates = wb()
        .arg("repl")
        .write_stdin(format!("{session}:gates\n"))
        .output()
        .expect("runs");
    assert!(gates.status.success());
    let gates = String::from_utf8_lossy(&gates.stdout).into_owned();
    let table = gates
        .split_once("3 units")
        .map(|(_, t)| format!("3 units{t}"))
        .unwrap_or_else(|| panic!("no gate table in:\n{gates}"));
    std::fs::write(&path, session).expect("written");
    let compiled = wb()
        .args(["compile", "--capacity", "3"])
        .arg(&path)
        .output()
        .expect("runs");
    assert!(compiled.status.success());
    assert_eq!(table, String::from_utf8_lossy(&compiled.stdout));
    assert!(table.contains("u[2] ← h[1] + a"), "{table}");
    assert!(table.contains("u[0]  ac (2–6)"), "{table}");
}

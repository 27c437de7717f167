//! The REPL speaks in a session's terms: line numbers count what was typed
//! (not the `board` line the session adds), help says what to type next
//! (and following it works), a file with an error is loaded up to the
//! error, `:set` changes an input, and what a session writes (`:save`, its
//! output) is refused or reported as `wb run` and `wb check --fix` do.

use assert_cmd::Command;
use wb::diag::Style;
use wb::repl::{Outcome, Session, Status};

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

fn ok(s: &mut Session, entry: &str) -> Outcome {
    let o = s.eval(entry);
    assert_eq!(
        o.status,
        Status::Done,
        "`{entry}` failed: {}{}",
        o.stderr(Style::plain()),
        o.error.clone().unwrap_or_default()
    );
    o
}

/// The first "type `…`" of a help: what the help says to type.
fn typed(help: &str) -> (String, bool) {
    let start = help.find("type `").expect("the help says what to type") + 6;
    let end = start + help[start..].find('`').expect("a closing backtick");
    let then = help[end..].starts_with("`, then try again");
    (help[start..end].to_owned(), then)
}

const ARTICLE: [&str; 4] = [
    "input a = 1, b = 3, c = 5, d = 11",
    "write ac = a * c",
    "write bd = b * d",
    "write bd_a = bd + a",
];

#[test]
fn line_numbers_count_the_lines_typed_and_the_help_says_what_to_type() {
    let mut s = Session::default();
    for e in ARTICLE {
        ok(&mut s, e);
    }
    let o = s.eval("write p = ac * bd_a");
    let text = o.stderr(Style::plain());
    // The fifth line typed is line 5; the `board 3` line is not shown.
    assert!(text.contains("╭─[<repl>:5:7]"), "{text}");
    assert!(!text.contains("board 3"), "{text}");
    assert!(text.contains(" 2 │ write ac = a * c"), "{text}");
    assert!(text.contains("slot 2: `bd`, last read on line 4"), "{text}");
    assert!(!text.contains("before line"), "{text}");
    let help = o.diagnostics[0].help.clone().expect("a help");
    assert_eq!(
        help,
        "`bd` is never read again (last read on line 4): type `forget bd`, then try again"
    );
    assert_eq!(
        o.diagnostics[0].fixes[0].message,
        "type `forget bd`, then try again"
    );
    // Followed word for word: type it, then the entry again.
    let (entry, then) = typed(&help);
    assert!(then);
    ok(&mut s, &entry);
    let o = ok(&mut s, "write p = ac * bd_a");
    assert_eq!(o.board.as_deref(), Some("[ ac=5 | p=170 | bd_a=34 ]"));
}

#[test]
fn an_in_place_overwrite_is_typed_instead_and_works() {
    let mut s = Session::new(2).expect("board 2");
    ok(&mut s, "write x = 3");
    ok(&mut s, "write y = 4");
    let o = s.eval("write z = x * y + 1");
    assert_eq!(o.codes(), ["wb::board_full"]);
    let help = o.diagnostics[0].help.clone().expect("a help");
    let (entry, then) = typed(&help);
    assert!(!help.contains("line"), "{help}");
    if then {
        ok(&mut s, &entry);
        ok(&mut s, "write z = x * y + 1");
    } else {
        ok(&mut s, &entry);
    }
    assert_eq!(s.eval("read x * 0").status, Status::Done);
    let reads: Vec<f64> = s
        .eval(&entry_target_read(&entry))
        .reads
        .iter()
        .map(|r| r.value)
        .collect();
    assert_eq!(reads, [13.0], "{help}");
}

/// `read NAME` for the target of `write NAME = …` (or of the entry typed
/// after a `forget`).
fn entry_target_read(entry: &str) -> String {
    let name = entry
        .strip_prefix("write ")
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("z");
    format!("read {name}")
}

/// Typed into the binary: the same words, and following them works.
#[test]
fn piped_the_help_is_followed_and_the_session_reads_181() {
    let mut input: String = ARTICLE.iter().map(|l| format!("{l}\n")).collect();
    input.push_str("write p = ac * bd_a\n");
    let out = wb()
        .arg("repl")
        .write_stdin(input.clone())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("[<repl>:5:7]"), "{stderr}");
    let (entry, _) = typed(&stderr);
    input.push_str(&format!(
        "{entry}\nwrite p = ac * bd_a\nforget bd_a\nwrite ad = a * d\nforget ac\nwrite result = ad + p\nresult\n"
    ));
    let out = wb().arg("repl").write_stdin(input).output().expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("result = 181\n"));
}

#[test]
fn a_board_that_does_not_fit_is_one_line() {
    let out = wb()
        .arg("repl")
        .write_stdin("write a = 1\nwrite b = 2\nwrite c = a + b\nboard 1\n")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("does not fit on `board 1`"), "{stderr}");
}

#[test]
fn missing_input_help_speaks_of_the_session_not_of_set_flags() {
    let out = wb()
        .arg("repl")
        .write_stdin("input zz\ninput zz = 4\n:set zz=5\nread zz\n")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[wb::missing_input]"), "{stderr}");
    assert!(!stderr.contains("--set"), "{stderr}");
    assert!(stderr.contains("`input zz = …`"), "{stderr}");
    // The help's way works: declared with a value, then `:set`.
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with("zz = 5\n"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn set_changes_an_input_saves_it_and_undoes() {
    let mut s = Session::default();
    ok(&mut s, "input alpha = 1, beta = 3");
    ok(&mut s, "write x = alpha + beta");
    let o = ok(&mut s, ":set alpha=2.5");
    assert_eq!(
        o.output,
        "`alpha` is 2.5 now; the session ran again from an empty board\n"
    );
    assert_eq!(s.value("x"), Some(5.5));
    assert!(
        s.text().contains("input alpha = 2.5, beta = 3\n"),
        "{}",
        s.text()
    );
    // Read as `--set` reads it: `.5` is a number in data.
    ok(&mut s, ":set beta=.5");
    assert_eq!(s.value("x"), Some(3.0));
    let o = s.eval(":set alpah=3");
    assert_eq!(o.status, Status::Failed);
    let e = o.error.unwrap_or_default();
    assert!(e.contains("did you mean `alpha`?"), "{e}");
    assert!(e.contains("the inputs are `alpha`, `beta`"), "{e}");
    let o = s.eval(":set alpha=abc");
    assert!(o.error.unwrap_or_default().contains("is not a number"));
    assert_eq!(s.eval(":set x=1").status, Status::Failed);
    assert_eq!(s.eval(":set alpha").status, Status::Failed);
    // Undone one at a time.
    ok(&mut s, ":undo");
    assert_eq!(s.value("x"), Some(5.5));
    ok(&mut s, ":undo");
    assert_eq!(s.value("x"), Some(4.0));
}

#[test]
fn set_then_save_replays_with_the_new_value() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("s.wb");
    let out = wb()
        .arg("repl")
        .write_stdin(format!(
            "input a = 1\nwrite x = a * 10\nread x\n:set a=-4\nread x\n:save {}\n",
            path.display()
        ))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("x = 10\n"), "{stdout}");
    assert!(stdout.contains("x = -40\n"), "{stdout}");
    let run = wb().arg("run").arg(&path).output().expect("runs");
    // Both reads of the session, with the value set.
    assert_eq!(String::from_utf8_lossy(&run.stdout), "x = -40\nx = -40\n");
}

#[test]
fn a_file_with_an_error_is_loaded_up_to_it_and_the_session_goes_on() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("start.wb");
    std::fs::write(
        &path,
        "input a = 2\nwrite x = a\nread x\nwrite y = x + 1\nwrite z = y * q\nread z\n",
    )
    .expect("written");
    let out = wb()
        .arg("repl")
        .arg(&path)
        .write_stdin("read y\nwrite z = y * 2\nread z\n")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The file's error, against its name and its own line numbers.
    assert!(stderr.contains("error[wb::unknown_name]"), "{stderr}");
    assert!(
        stderr.contains(&format!("╭─[{}:5:", path.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("<repl>"), "{stderr}");
    // Lines 1 to 4 ran once (their read shown once); then the entries.
    assert_eq!(
        stdout,
        format!(
            "x = 2\nloaded lines 1 to 4 of {}; the line with the error and those after it are not in the session\n[ x=2 | y=3 | · ]\ny = 3\n[ x=2 | y=3 | z=6 ]\nz = 6\n",
            path.display()
        )
    );
    // Piped, the file's error makes the session's exit status 1.
    assert_eq!(out.status.code(), Some(1));
    // An error inside a block: the whole block stays out.
    std::fs::write(
        &path,
        "write s = 0\nrepeat 2 {\n  write s = s + 1\n  read s / 0\n}\nread s\n",
    )
    .expect("written");
    let out = wb()
        .arg("repl")
        .arg(&path)
        .write_stdin(":board\n")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("loaded lines 1 to 1 of"), "{stdout}");
    assert!(stdout.ends_with("[ s=0 | · | · ]\n"), "{stdout}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn completion_offers_a_forgotten_name_only_as_a_write_target() {
    let mut s = Session::default();
    ok(&mut s, "input alpha = 2");
    ok(&mut s, "write bd = alpha");
    ok(&mut s, "forget bd");
    let h = wb::repl::editor::WbHelper::new(s.text(), false);
    assert_eq!(h.candidates("write b", 7).1, ["bd"]);
    assert_eq!(h.candidates("read b", 6).1, Vec::<String>::new());
    assert_eq!(h.candidates("write t = b", 11).1, Vec::<String>::new());
    assert_eq!(h.candidates("read al", 7).1, ["alpha"]);
}

#[test]
fn save_refuses_what_is_not_a_regular_file_and_keeps_what_it_writes() {
    // A device: refused, a failed entry (exit 1), the device left alone.
    let out = wb()
        .arg("repl")
        .write_stdin("write x = 1\n:save /dev/null\nread x\n")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write `/dev/null`"));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("x = 1\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let m = std::fs::metadata("/dev/null").expect("/dev/null");
        assert!(m.file_type().is_char_device());
        let dir = tempfile::tempdir().expect("a temporary directory");
        // Through a symlink: the link stays, its target is written, the
        // target's mode is kept.
        let target = dir.path().join("real.wb");
        std::fs::write(&target, "old\n").expect("written");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let link = dir.path().join("link.wb");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        wb().arg("repl")
            .write_stdin(format!("write x = 1\n:save {}\n", link.display()))
            .assert()
            .success();
        assert!(std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink());
        assert_eq!(
            std::fs::read_to_string(&target).expect("read"),
            "board 3\nwrite x = 1\n"
        );
        let mode = std::fs::metadata(&target)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
        // A FIFO: refused at once, not blocked on.
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("a path");
        // SAFETY: `c` is a valid NUL-terminated path for the call's duration.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let out = wb()
            .arg("repl")
            .write_stdin(format!(":save {}\n", fifo.display()))
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1));
        assert!(std::fs::symlink_metadata(&fifo)
            .expect("fifo")
            .file_type()
            .is_fifo());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_output_fails_as_wb_run_does() {
    use std::io::Write as _;
    let full = || std::fs::File::create("/dev/full").expect("/dev/full");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wb"))
        .arg("repl")
        .stdin(std::process::Stdio::piped())
        .stdout(full())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"read 1\nread 2\n")
        .expect("written");
    let out = child.wait_with_output().expect("runs");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let prog = dir.path().join("p.wb");
    std::fs::write(&prog, "board 1\nread 1\n").expect("written");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_wb"))
        .arg("run")
        .arg(&prog)
        .stdout(full())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), run.status.code());
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write the output"), "{stderr}");
}

#[test]
fn trace_and_gates_of_a_huge_name_do_not_panic() {
    let name = "n".repeat(65_534);
    let out = wb()
        .arg("repl")
        .write_stdin(format!(
            "write {name} = 1\nread {name}\n:trace\n:gates\nread 7\n"
        ))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{}",
        &stderr[..stderr.len().min(2000)]
    );
    // The session lived on to its last entry.
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("7 = 7\n"));
}

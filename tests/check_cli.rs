//! `wb check` run as a user runs it: exit codes, the summary, JSON, `--deny
//! warnings`, `--capacity`, `--fix` and `--fix --dry-run`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/check")
        .join(name)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_clean_program_passes_with_a_summary() {
    let out = wb()
        .args(["check", "examples/whiteboard.wb"])
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stderr(&out),
        "ok: examples/whiteboard.wb: capacity 3, peak 3 on line 7, min_capacity 3; 0 errors, 0 warnings\n"
    );
}

#[test]
fn the_summary_points_to_fix_when_it_saves_slots() {
    let out = wb()
        .args(["check", golden("clean.wb").to_str().expect("UTF-8 path")])
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("capacity 4, peak 4 on line 8, min_capacity 3; 0 errors, 0 warnings"),
        "{err}"
    );
    assert!(
        err.contains("this program needs 3 slots: `wb check --pack"),
        "{err}"
    );
}

#[test]
fn json_is_one_object_in_the_documented_order() {
    let out = wb()
        .args([
            "check",
            "--format",
            "json",
            golden("board_full.wb").to_str().expect("UTF-8 path"),
        ])
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let file = golden("board_full.wb");
    let file = file.to_str().expect("UTF-8 path");
    let start = format!(
        "{{\"diagnostics\":[{{\"code\":\"wb::board_full\",\"severity\":\"error\",\
         \"message\":\"the board is full: `p` needs a slot, and all 3 are taken\",\
         \"line\":8,\"column\":7,\
         \"help\":\"`bd` is never read again (last read on line 7): add `forget bd` before line 8; or raise \
         the board to `board 4` (or run with `--capacity 4`): the smallest board on which this program, as \
         written, checks\",\"end_line\":8,\"end_column\":8,\"file\":{},\"labels\":[",
        serde_json::Value::from(file)
    );
    assert!(text.starts_with(&start), "{text}");
    assert!(
        text.ends_with("],\"capacity\":3,\"peak\":3,\"peak_line\":7,\"min_capacity\":3}\n"),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["min_capacity"], 3);
}

#[test]
fn deny_warnings_makes_them_errors() {
    let file = golden("dead_write.wb");
    let file = file.to_str().expect("UTF-8 path");
    let ok = wb().args(["check", file]).output().expect("wb runs");
    assert_eq!(ok.status.code(), Some(0));
    assert!(stderr(&ok).contains("warning[wb::dead_write]"));
    let denied = wb()
        .args(["check", "--deny", "warnings", file])
        .output()
        .expect("wb runs");
    assert_eq!(denied.status.code(), Some(1));
    let err = stderr(&denied);
    assert!(err.contains("error[wb::dead_write]"), "{err}");
    assert!(err.contains("5 errors, 0 warnings"), "{err}");
    let bad = wb()
        .args(["check", "--deny", "everything", file])
        .output()
        .expect("wb runs");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn capacity_asks_whether_it_would_fit() {
    let small = wb()
        .args(["check", "--capacity", "2", "examples/whiteboard.wb"])
        .output()
        .expect("wb runs");
    assert_eq!(small.status.code(), Some(1));
    let err = stderr(&small);
    assert!(err.contains("error[wb::board_full]"), "{err}");
    assert!(err.contains("capacity 2 (--capacity)"), "{err}");
    let big = wb()
        .args([
            "check",
            "--capacity",
            "3",
            golden("clean.wb").to_str().expect("UTF-8 path"),
        ])
        .output()
        .expect("wb runs");
    assert_eq!(big.status.code(), Some(1), "clean.wb as written needs 4");
}

/// A scratch copy of a golden program.
fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::copy(golden(name), &path).expect("copy");
    (dir, path)
}

fn fixed_text(name: &str) -> String {
    let txt = std::fs::read_to_string(golden(name).with_extension("txt")).expect("golden output");
    let at = txt
        .find("--- wb check --pack (")
        .expect("the golden file shows a fix");
    let body = &txt[at..];
    body[body.find('\n').expect("a header line") + 1..].to_owned()
}

#[test]
fn pack_rewrites_the_file_which_then_runs_in_min_capacity() {
    let (_dir, path) = scratch("clean.wb");
    let p = path.to_str().expect("UTF-8 path");
    let before = wb().args(["run", p]).output().expect("wb runs");
    let out = wb().args(["check", "--pack", p]).output().expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("packed"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(&path).expect("readable");
    assert_eq!(text, fixed_text("clean.wb"));
    let check = wb()
        .args(["check", "--capacity", "3", p])
        .output()
        .expect("wb runs");
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let after = wb()
        .args(["run", "--capacity", "3", p])
        .output()
        .expect("wb runs");
    assert_eq!(after.stdout, before.stdout);
    assert_eq!(String::from_utf8_lossy(&after.stdout), "result = 181\n");
    // A second run has nothing left to do.
    let again = wb().args(["check", "--pack", p]).output().expect("wb runs");
    assert!(stderr(&again).contains("every forget is already in place"));
}

#[test]
fn fix_repairs_an_overflow() {
    let (_dir, path) = scratch("board_full.wb");
    let p = path.to_str().expect("UTF-8 path");
    let out = wb().args(["check", "--fix", p]).output().expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run = wb().args(["run", p]).output().expect("wb runs");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "result = 181\n");
}

#[test]
fn dry_run_prints_and_leaves_the_file_alone() {
    let (_dir, path) = scratch("board_full.wb");
    let p = path.to_str().expect("UTF-8 path");
    let original = std::fs::read_to_string(&path).expect("readable");
    let out = wb()
        .args(["check", "--pack", "--dry-run", p])
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        fixed_text("board_full.wb")
    );
    assert!(stderr(&out).contains("would pack"));
    assert_eq!(std::fs::read_to_string(&path).expect("readable"), original);
    let alone = wb()
        .args(["check", "--dry-run", p])
        .output()
        .expect("wb runs");
    assert_eq!(
        alone.status.code(),
        Some(2),
        "--dry-run needs --fix or --pack"
    );
}

#[test]
fn fix_refuses_errors_it_cannot_repair_and_keeps_the_file() {
    let (_dir, path) = scratch("unknown_name.wb");
    let p = path.to_str().expect("UTF-8 path");
    let original = std::fs::read_to_string(&path).expect("readable");
    let out = wb().args(["check", "--fix", p]).output().expect("wb runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("`--fix` left"), "{err}");
    assert!(err.contains("unchanged"), "{err}");
    assert!(err.contains("error[wb::unknown_name]"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).expect("readable"), original);
}

/// CRLF line ends and comments survive; no forget is added after the last
/// write (it would free a slot nobody takes).
#[test]
fn pack_keeps_crlf_and_comments() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("crlf.wb");
    let src = "board 2\r\ninput a = 1\r\nwrite x = a  # first\r\nwrite y = x + 1\r\nread y\r\nwrite z = y\r\nread z\r\n";
    std::fs::write(&path, src).expect("writable");
    let p = path.to_str().expect("UTF-8 path");
    let out = wb().args(["check", "--pack", p]).output().expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&path).expect("readable"),
        "board 2\r\ninput a = 1\r\nwrite x = a  # first\r\nwrite y = x + 1\r\nforget x\r\nread y\r\nwrite z = y\r\nread z\r\n"
    );
}

#[test]
fn pack_works_on_one_line_bodies() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("line.wb");
    std::fs::write(
        &path,
        "board 2\ninput a = 1\nwrite s = 0\nrepeat 3 { write t = s + a; write s = t; forget t }\nread s\n",
    )
    .expect("writable");
    let p = path.to_str().expect("UTF-8 path");
    let out = wb()
        .args(["check", "--pack", "--dry-run", p])
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "board 2\ninput a = 1\nwrite s = 0\nrepeat 3 { write t = s + a; write s = t; forget t }\nread s\n"
    );
    std::fs::write(
        &path,
        "board 2\ninput a = 1\nwrite s = 0\nrepeat 3 { write t = s + a; write s = t }\nread s\n",
    )
    .expect("writable");
    let out = wb()
        .args(["check", "--pack", "--dry-run", p])
        .output()
        .expect("wb runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "board 2\ninput a = 1\nwrite s = 0\nrepeat 3 { write t = s + a; write s = t; forget t }\nread s\n"
    );
}

#[test]
fn run_json_failures_carry_min_capacity() {
    let out = wb()
        .args([
            "run",
            "--json",
            golden("board_full.wb").to_str().expect("UTF-8 path"),
        ])
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["min_capacity"], 3);
    assert_eq!(v["peak"], 3);
    assert_eq!(v["diagnostics"][0]["code"], "wb::board_full");
}

#[test]
fn pack_on_standard_input_prints_the_result() {
    let out = wb()
        .args(["check", "--pack", "-"])
        .write_stdin(
            "board 2\ninput a = 1\nwrite x = a\nwrite y = x\nread y\nwrite z = y\nread z\n",
        )
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "board 2\ninput a = 1\nwrite x = a\nwrite y = x\nforget x\nread y\nwrite z = y\nread z\n"
    );
}

#[cfg(unix)]
#[test]
fn pack_through_a_symbolic_link_rewrites_the_file_it_points_to() {
    let (dir, path) = scratch("board_full.wb");
    let link = dir.path().join("link.wb");
    std::os::unix::fs::symlink(&path, &link).expect("symlink");
    let out = wb()
        .args(["check", "--pack", link.to_str().expect("UTF-8 path")])
        .output()
        .expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link)
        .expect("exists")
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&path).expect("readable"),
        fixed_text("board_full.wb")
    );
}

//! The help of `wb check`, followed word for word, as a user would: each
//! case a newcomer met (the help pointing at a forget that already exists,
//! a move that overflows, a board size that does not fit, an in-place
//! overwrite not seen), `--fix` on them, comments on forget lines, and the
//! JSON an editor reads to apply the same fixes.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

/// Standard error, with the help's wrapped lines joined again.
fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).replace("\n        ", " ")
}

fn scratch(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("writable");
    let p = path.to_str().expect("UTF-8 path").to_owned();
    (dir, p)
}

fn example(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).expect("example")
}

fn check(args: &[&str]) -> std::process::Output {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    wb().args(&all).output().expect("wb runs")
}

fn run_out(args: &[&str]) -> String {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    let out = wb().args(&all).output().expect("wb runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The diagnostics of `wb check --format json`.
fn json(args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = check(&all);
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Applies one fix's edits (byte offsets from the JSON) to `text`.
fn apply(text: &str, fix: &Value) -> String {
    let mut edits: Vec<(usize, usize, String)> = fix["edits"]
        .as_array()
        .expect("edits")
        .iter()
        .map(|e| {
            (
                e["start"].as_u64().expect("start") as usize,
                e["end"].as_u64().expect("end") as usize,
                e["replacement"].as_str().expect("replacement").to_owned(),
            )
        })
        .collect();
    edits.sort();
    let mut out = String::new();
    let mut pos = 0;
    for (s, e, r) in edits {
        out.push_str(&text[pos..s]);
        out.push_str(&r);
        pos = e;
    }
    out.push_str(&text[pos..]);
    out
}

const MOVE: &str = "board 2\ninput x = 1\nwrite a = x\nwrite b = a + 1\nwrite c = b + 1\nforget a   # a is done\nread c\n";

/// Seen: "add `forget a` before line 5" while `forget a` stood on line 6
/// (following it gave `not_on_board`). The help says "move", and `--fix`
/// moves it, its comment with it; the program then checks and reads the same.
#[test]
fn a_forget_that_exists_later_is_moved_not_added() {
    let (_dir, p) = scratch("move.wb", MOVE);
    let out = check(&[&p]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("move `forget a` from line 6 to before line 5"),
        "{err}"
    );
    assert!(!err.contains("add `forget a`"), "{err}");
    let roomy = run_out(&["--capacity", "3", &p]);
    let fixed = check(&["--fix", &p]);
    assert_eq!(fixed.status.code(), Some(0), "{}", stderr(&fixed));
    assert_eq!(
        std::fs::read_to_string(&p).expect("readable"),
        "board 2\ninput x = 1\nwrite a = x\nwrite b = a + 1\nforget a   # a is done\nwrite c = b + 1\nread c\n"
    );
    assert_eq!(check(&[&p]).status.code(), Some(0));
    assert_eq!(run_out(&[&p]), roomy);
}

/// Seen: `forget a, b   # both done` kept the comment on the half that
/// remained. Both halves now carry it.
#[test]
fn a_split_forget_keeps_its_comment_on_both_halves() {
    let (_dir, p) = scratch(
        "split.wb",
        "board 2\ninput x = 1\nwrite a = x\nwrite b = a + 1\nwrite c = b + 1\nforget a, b  # both done\nread c\n",
    );
    let out = check(&["--fix", &p]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&p).expect("readable"),
        "board 2\ninput x = 1\nwrite a = x\nwrite b = a + 1\nforget a  # both done\nwrite c = b + 1\nforget b  # both done\nread c\n"
    );
    assert_eq!(run_out(&[&p]), "c = 3\n");
}

/// Seen: `--fix` on `examples/errors/forgotten.wb` moved `forget sum`,
/// saved, and left a `board_full`. Now the help says that moving it alone is
/// not enough, and `--fix` writes nothing, exits 1, and says what stands in
/// the way and the fewest slots this order needs.
#[test]
fn fix_never_leaves_forgotten_wb_worse() {
    let original = example("examples/errors/forgotten.wb");
    let (_dir, p) = scratch("forgotten.wb", &original);
    let plain = stderr(&check(&[&p]));
    assert!(plain.contains("move `forget sum` from line 7"), "{plain}");
    assert!(
        plain.contains("following only this is not enough"),
        "{plain}"
    );
    assert!(
        plain.contains("the board is full: `mean` needs a slot"),
        "{plain}"
    );
    let out = check(&["--fix", &p]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("`--fix` left"), "{err}");
    assert!(err.contains("unchanged"), "{err}");
    assert!(err.contains("error[wb::board_full]"), "{err}");
    assert!(
        err.contains("the fewest slots this statement order needs is 3"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&p).expect("readable"), original);
    // The help's in-place overwrite is offered, but it changes what a read
    // prints: never applied alone.
    let v = json(&["--capacity", "2", &p]);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "wb::forgotten");
    assert_eq!(d["fixes"][0]["applicability"], "maybe-incorrect");
}

/// Seen: "raise the board to `board 4`" when the program needed more. The
/// number is the smallest board on which the program as written checks:
/// following it checks, one less does not.
#[test]
fn raise_the_board_names_the_size_that_checks_as_written() {
    let text = example("examples/errors/overflow.wb");
    let (_dir, p) = scratch("overflow.wb", &text);
    let v = json(&[&p]);
    let d = &v["diagnostics"][0];
    assert!(
        d["help"]
            .as_str()
            .expect("help")
            .contains("raise the board to `board 4`"),
        "{d}"
    );
    let raise = d["fixes"]
        .as_array()
        .expect("fixes")
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .is_some_and(|m| m.contains("raise the board"))
        })
        .expect("a fix that raises the board");
    assert_eq!(raise["applicability"], "maybe-incorrect");
    let raised = apply(&text, raise);
    assert!(raised.contains("\nboard 4\n"), "{raised}");
    std::fs::write(&p, &raised).expect("writable");
    assert_eq!(check(&[&p]).status.code(), Some(0));
    assert_eq!(check(&["--capacity", "3", &p]).status.code(), Some(1));
    assert_eq!(run_out(&[&p]), "result = 181\n");
}

/// A read of a forgotten value fails on any board: the help says so
/// instead of naming a size.
#[test]
fn no_board_size_helps_a_read_of_a_forgotten_value() {
    let (_dir, p) = scratch(
        "nosize.wb",
        "board 1\ninput a = 1\nwrite x = a\nforget x\nread x\nwrite y = a\nwrite z = a\nread y, z\n",
    );
    let err = stderr(&check(&[&p]));
    assert!(
        err.contains("no board size makes this program check as written"),
        "{err}"
    );
    assert!(!err.contains("raise the board"), "{err}");
}

/// Seen: "no slot can be freed here" on the article's program at
/// `--capacity 2`, though `bd` is last read in that very write. The help
/// offers the in-place overwrite; followed (from the JSON), that error is
/// gone and the next write is the one that fails, as the help says.
#[test]
fn the_article_at_two_slots_offers_the_in_place_overwrite() {
    let text = example("examples/whiteboard.wb");
    let (_dir, p) = scratch("whiteboard.wb", &text);
    let err = stderr(&check(&["--capacity", "2", &p]));
    assert!(
        err.contains("`bd` is last read in this very write"),
        "{err}"
    );
    assert!(err.contains("write `write bd = …` in place"), "{err}");
    assert!(err.contains("line 9 then fails"), "{err}");
    let v = json(&["--capacity", "2", &p]);
    let d = &v["diagnostics"][0];
    assert_eq!(d["line"], 7);
    let fix = &d["fixes"][0];
    assert!(
        fix["message"]
            .as_str()
            .expect("message")
            .contains("in place"),
        "{fix}"
    );
    let followed = apply(&text, fix);
    assert!(followed.contains("write bd = bd + a"), "{followed}");
    assert!(followed.contains("write p = ac * bd\n"), "{followed}");
    std::fs::write(&p, &followed).expect("writable");
    let after = json(&["--capacity", "2", &p]);
    let lines: Vec<u64> = after["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["line"].as_u64().expect("line"))
        .collect();
    assert!(!lines.contains(&7), "{after}");
    assert!(lines.contains(&9), "{after}");
    // With the board it was written for, the renamed program reads the same.
    assert_eq!(run_out(&[&p]), "result = 181\n");
}

/// A program that checks is left alone by `--fix` (byte for byte), and
/// packed only when asked.
#[test]
fn fix_leaves_a_clean_program_alone_and_pack_packs_it() {
    let text = example("tests/golden/check/clean.wb");
    let (_dir, p) = scratch("clean.wb", &text);
    let out = check(&["--fix", &p]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("nothing to fix"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&p).expect("readable"), text);
    let packed = check(&["--pack", &p]);
    assert_eq!(packed.status.code(), Some(0), "{}", stderr(&packed));
    assert_ne!(std::fs::read_to_string(&p).expect("readable"), text);
    assert_eq!(check(&["--capacity", "3", &p]).status.code(), Some(0));
}

/// JSON diagnostics carry the end of the span, every label, the file and
/// the fixes with positions in lines, columns and bytes.
#[test]
fn json_diagnostics_carry_labels_files_and_fixes() {
    let (_dir, p) = scratch("move.wb", MOVE);
    let v = json(&[&p]);
    let d = &v["diagnostics"][0];
    let keys: Vec<&str> = d
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "code",
            "severity",
            "message",
            "line",
            "column",
            "help",
            "end_line",
            "end_column",
            "file",
            "labels",
            "fixes"
        ]
    );
    assert_eq!(d["file"], p.as_str());
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(7))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(5), Some(8))
    );
    let labels = d["labels"].as_array().expect("labels");
    assert_eq!(labels.len(), 3, "{d}");
    assert_eq!(labels[0]["primary"], true);
    assert_eq!(labels[0]["text"], "needs a 3rd slot");
    let fix = &d["fixes"][0];
    assert_eq!(fix["applicability"], "machine-applicable");
    let edit = &fix["edits"][0];
    for key in [
        "line",
        "column",
        "end_line",
        "end_column",
        "start",
        "end",
        "replacement",
    ] {
        assert!(edit.get(key).is_some(), "{key} missing in {edit}");
    }
    // Following the JSON's fix gives what `--fix` writes.
    let followed = apply(MOVE, fix);
    assert_eq!(check(&["--fix", &p]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&p).expect("readable"), followed);
}

/// `wb::no_board` has a place: the first statement, or 1:1 of an empty file.
#[test]
fn no_board_points_at_the_first_statement() {
    let (_dir, p) = scratch("nb.wb", "\n# no board\ninput a = 1\nread a\n");
    let v = json(&[&p]);
    assert_eq!(v["diagnostics"][0]["code"], "wb::no_board");
    assert_eq!(v["diagnostics"][0]["line"], 3);
    assert_eq!(v["diagnostics"][0]["column"], 1);
    let (_dir2, e) = scratch("empty.wb", "");
    let v = json(&[&e]);
    assert_eq!(v["diagnostics"][0]["line"], 1);
    assert_eq!(v["diagnostics"][0]["column"], 1);
}

/// A flood of warnings: the first 20 and a count; `--all-warnings` shows
/// all; JSON lists all; `-D warnings` makes them errors.
#[test]
fn a_flood_of_warnings_is_capped_with_a_count() {
    let mut text = String::from("board 1\ninput a = 1\n");
    for _ in 0..30 {
        text.push_str("write x = a\n");
    }
    text.push_str("read x\n");
    let (_dir, p) = scratch("flood.wb", &text);
    let out = check(&[&p]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert_eq!(err.matches("warning[wb::dead_write]").count(), 20, "{err}");
    assert!(err.contains("... and 9 more warnings"), "{err}");
    assert!(err.contains("`--all-warnings`"), "{err}");
    assert!(err.contains("0 errors, 29 warnings"), "{err}");
    let all = stderr(&check(&["--all-warnings", &p]));
    assert_eq!(all.matches("warning[wb::dead_write]").count(), 29);
    let v = json(&[&p]);
    assert_eq!(v["diagnostics"].as_array().expect("list").len(), 29);
    let denied = check(&["-D", "warnings", &p]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(stderr(&denied).contains("error[wb::dead_write]"));
}

/// Every syntax error is reported (recovery at the next statement
/// boundary), each slip with its own help; `print x`'s fix, followed, is
/// `read x`.
#[test]
fn every_syntax_error_is_reported_with_help_for_the_slip() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/check/syntax_slips.wb");
    let file = file.to_str().expect("UTF-8 path");
    let out = check(&[file]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.matches("error[wb::syntax]").count(), 7, "{err}");
    for help in [
        "write `read x`",
        "a `write` assigns with a single `=`",
        "`sqrt(2)`",
        "a power is written with `^`",
        "a default is a number",
        "declarations come first, at the top level, not inside a loop",
        "`repeat` takes a whole-number constant",
    ] {
        assert!(err.contains(help), "{help}: {err}");
    }
    let (_dir, p) = scratch("print.wb", "board 1\ninput x = 4\nprint x\n");
    let v = json(&[&p]);
    let followed = apply(
        "board 1\ninput x = 4\nprint x\n",
        &v["diagnostics"][0]["fixes"][0],
    );
    std::fs::write(&p, &followed).expect("writable");
    assert_eq!(run_out(&[&p]), "x = 4\n");
}

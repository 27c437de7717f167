//! The REPL's core, driven directly: entry in, reads, board and error codes out.

use wb::diag::Style;
use wb::repl::{needs_more, Outcome, Session, Status};

fn reads(o: &Outcome) -> Vec<String> {
    o.reads
        .iter()
        .map(|r| format!("{} = {}", r.text, wb::number::format(r.value)))
        .collect()
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

/// The article's example, typed in.
fn article(s: &mut Session) {
    ok(s, "input a = 1, b = 3, c = 5, d = 11");
    ok(s, "write ac = a * c");
    ok(s, "write bd = b * d");
    ok(s, "write bd_a = bd + a");
}

#[test]
fn starts_on_board_3_and_the_prompt_shows_occupancy() {
    let mut s = Session::default();
    assert_eq!(s.prompt(), "wb 0/3> ");
    ok(&mut s, "write x = 2");
    assert_eq!(s.prompt(), "wb 1/3> ");
    let s = Session::new(5).expect("board 5 is valid");
    assert_eq!(s.prompt(), "wb 0/5> ");
}

#[test]
fn a_bad_capacity_is_the_checkers_error() {
    let Err(o) = Session::new(0) else {
        panic!("board 0 must be refused")
    };
    assert_eq!(o.codes(), ["wb::bad_capacity"]);
}

#[test]
fn writes_and_forgets_show_the_board_with_free_slots() {
    let mut s = Session::default();
    let o = ok(&mut s, "write x = 2");
    assert_eq!(o.board.as_deref(), Some("[ x=2 | · | · ]"));
    let o = ok(&mut s, "write y = x * 10");
    assert_eq!(o.board.as_deref(), Some("[ x=2 | y=20 | · ]"));
    let o = ok(&mut s, "forget x");
    assert_eq!(o.board.as_deref(), Some("[ · | y=20 | · ]"));
    // A read shows its value, not the board.
    let o = ok(&mut s, "read y");
    assert_eq!(reads(&o), ["y = 20"]);
    assert_eq!(o.board, None);
}

#[test]
fn a_bare_expression_is_a_read() {
    let mut s = Session::default();
    ok(&mut s, "input a = 4");
    let o = ok(&mut s, "a * 2 + 1");
    assert_eq!(reads(&o), ["a * 2 + 1 = 9"]);
    let o = ok(&mut s, "sqrt(a), max(a, 7)");
    assert_eq!(reads(&o), ["sqrt(a) = 2", "max(a, 7) = 7"]);
    assert!(s
        .text()
        .ends_with("read a * 2 + 1\nread sqrt(a), max(a, 7)\n"));
}

#[test]
fn an_assignment_without_write_gets_a_hint() {
    let mut s = Session::default();
    let o = s.eval("x = 5");
    assert_eq!(o.status, Status::Failed);
    assert_eq!(o.codes(), ["wb::syntax"]);
    let help = o.diagnostics[0].help.as_deref().unwrap_or("");
    assert!(help.contains("`write x = …`"), "{help}");
}

#[test]
fn board_full_shows_the_full_diagnostic_with_help_and_changes_nothing() {
    let mut s = Session::default();
    article(&mut s);
    let before = s.text().to_owned();
    let o = s.eval("write p = ac * bd_a");
    assert_eq!(o.status, Status::Failed);
    assert_eq!(o.codes(), ["wb::board_full"]);
    let text = o.stderr(Style::plain());
    assert!(
        text.contains(
            "error[wb::board_full]: the board is full: `p` needs a slot, and all 3 are taken"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "help: `bd` is never read again (last read on line 4): type `forget bd`, then try again"
        ),
        "{text}"
    );
    assert!(
        text.contains("slot 1: `ac`, read again on line 5"),
        "{text}"
    );
    // Nothing changed: the text, the board, the checker (the fix works).
    assert_eq!(s.text(), before);
    assert_eq!(s.occupancy(), 3);
    assert_eq!(s.value("p"), None);
    ok(&mut s, "forget bd");
    let o = ok(&mut s, "write p = ac * bd_a");
    assert_eq!(o.board.as_deref(), Some("[ ac=5 | p=170 | bd_a=34 ]"));
}

#[test]
fn a_run_time_error_changes_nothing() {
    let mut s = Session::default();
    ok(&mut s, "write x = 1");
    ok(&mut s, "write n = 0");
    let o = s.eval("write x = 7; write y = x / n");
    assert_eq!(o.codes(), ["wb::div_zero"]);
    assert_eq!(s.value("x"), Some(1.0));
    assert_eq!(s.value("y"), None);
    assert_eq!(
        o.board.as_deref(),
        Some("board unchanged: [ x=1 | n=0 | · ]")
    );
    // The session text does not hold the failed entry.
    assert!(!s.text().contains("x / n"));
    // A loop that fails half way leaves the board as it was before it.
    ok(&mut s, "write k = 3");
    ok(&mut s, "forget n");
    let o = s.eval("repeat 5 { write k = k - 1; write x = 1 / k }");
    assert_eq!(o.codes(), ["wb::div_zero"]);
    assert_eq!(s.value("k"), Some(3.0));
    assert_eq!(s.value("x"), Some(1.0));
}

#[test]
fn check_errors_change_nothing_either() {
    let mut s = Session::default();
    ok(&mut s, "write x = 1");
    for (entry, code) in [
        ("read nope", "wb::unknown_name"),
        ("forget y", "wb::not_on_board"),
        (
            "write x = 2 gate 0.5; write z = 1 when x",
            "wb::gated_new_slot",
        ),
        ("repeat 2 { write t = 1 }", "wb::loop_not_neutral"),
        ("input x = 3", "wb::redeclared"),
    ] {
        let o = s.eval(entry);
        assert_eq!(o.codes(), [code], "{entry}");
        assert_eq!(s.value("x"), Some(1.0), "{entry}");
        assert_eq!(s.occupancy(), 1, "{entry}");
    }
    // `x` forgotten: reading it is `wb::forgotten`, with the forget labelled.
    ok(&mut s, "forget x");
    let o = s.eval("read x");
    assert_eq!(o.codes(), ["wb::forgotten"]);
    assert!(o.stderr(Style::plain()).contains("`x` is forgotten here"));
}

#[test]
fn declarations_work_interactively() {
    let mut s = Session::default();
    ok(&mut s, "input a = 4");
    ok(&mut s, "stream x = [1, 2, 3]");
    ok(&mut s, "write s = 0");
    let o = ok(&mut s, "each x { write s = s + x * a }");
    assert_eq!(o.board.as_deref(), Some("[ s=24 | · | · ]"));
    let o = ok(&mut s, "each x { read x }");
    assert_eq!(reads(&o), ["x = 1", "x = 2", "x = 3"]);
    // A loop that only reads leaves the board alone: it is not shown.
    assert_eq!(o.board, None);
    // An input with no value cannot be declared: it could never be read.
    let o = s.eval("input b");
    assert_eq!(o.codes(), ["wb::missing_input"]);
    assert_eq!(s.eval("b").codes(), ["wb::unknown_name"]);
}

#[test]
fn board_n_changes_the_board_when_the_session_fits() {
    let mut s = Session::default();
    article(&mut s);
    let o = ok(&mut s, "board 4");
    assert_eq!(o.board.as_deref(), Some("[ ac=5 | bd=33 | bd_a=34 | · ]"));
    assert_eq!(s.prompt(), "wb 3/4> ");
    assert!(s.text().starts_with("board 4\n"));
    ok(&mut s, "write p = ac * bd_a");
    // Three values are needed at once on the way: two slots do not do.
    ok(&mut s, "forget bd, bd_a, p");
    let o = s.eval("board 2");
    assert_eq!(o.status, Status::Failed);
    assert!(
        o.codes().iter().all(|c| *c == "wb::board_full"),
        "{:?}",
        o.codes()
    );
    // One line says it; the re-check's diagnostics are left to `:check`.
    assert_eq!(
        o.stderr(Style::plain()).lines().count(),
        1,
        "{}",
        o.stderr(Style::plain())
    );
    assert!(o.error.as_deref().unwrap_or("").contains("does not fit"));
    assert_eq!(s.capacity(), 4);
    let o = s.eval("board 0");
    assert_eq!(o.codes(), ["wb::bad_capacity"]);
    let o = s.eval("board 5; write z = 1");
    assert_eq!(o.status, Status::Failed);
    assert!(o.error.as_deref().unwrap_or("").contains("line of its own"));
    assert_eq!(s.capacity(), 4);
}

#[test]
fn undo_any_number_of_times() {
    let mut s = Session::default();
    let empty = s.text().to_owned();
    article(&mut s);
    ok(&mut s, "forget bd");
    ok(&mut s, "board 5");
    ok(&mut s, "write p = ac * bd_a");
    let o = ok(&mut s, ":undo");
    assert_eq!(o.output, "undid `write p = ac * bd_a`\n");
    assert_eq!(o.board.as_deref(), Some("[ ac=5 | · | bd_a=34 | · | · ]"));
    let o = ok(&mut s, ":undo");
    assert_eq!(o.output, "undid `board 5`\n");
    assert_eq!(s.capacity(), 3);
    let o = ok(&mut s, ":undo");
    assert_eq!(o.board.as_deref(), Some("[ ac=5 | bd=33 | bd_a=34 ]"));
    for _ in 0..4 {
        ok(&mut s, ":undo");
    }
    assert_eq!(s.text(), empty);
    assert_eq!(s.occupancy(), 0);
    let o = s.eval(":undo");
    assert_eq!(o.status, Status::Failed);
    assert_eq!(o.error.as_deref(), Some("nothing to undo"));
    // After undoing, the checker is back too: `a` is unknown again.
    assert_eq!(s.eval("read a").codes(), ["wb::unknown_name"]);
}

#[test]
fn multi_line_blocks_are_incomplete_until_the_braces_close() {
    assert!(needs_more("repeat 3 {"));
    assert!(needs_more("repeat 3 {\n  write t = 1\n"));
    assert!(needs_more("each x {\n  repeat 2 {\n  }\n"));
    assert!(!needs_more("repeat 3 {\n  write t = 1\n  forget t\n}\n"));
    // An error before the end: complete (and wrong), so it is shown now.
    assert!(!needs_more("repeat 3 {\n  write t = )\n"));
    assert!(!needs_more("read 1 # {"));
    let mut s = Session::default();
    let o = s.eval("repeat 3 {\n  write t = 1\n");
    assert_eq!(o.status, Status::Incomplete);
    assert_eq!(s.text(), "board 3\n");
    let o = ok(&mut s, "repeat 3 {\n  write t = 1\n  read t\n  forget t\n}");
    assert_eq!(reads(&o), ["t = 1", "t = 1", "t = 1"]);
}

#[test]
fn commands() {
    let mut s = Session::default();
    article(&mut s);
    let o = ok(&mut s, ":board");
    assert_eq!(o.board.as_deref(), Some("[ ac=5 | bd=33 | bd_a=34 ]"));
    assert_eq!(o.output, "3 of 3 slots in use, peak 3\n");
    let o = ok(&mut s, ":check");
    // The full checker's view of the session: nothing read yet, so every
    // value is a dead write, and fewer slots would do.
    assert_eq!(
        o.output,
        "ok: the session (4 lines): capacity 3, peak 3 on line 4, min_capacity 2; 0 errors, 2 warnings\n  \
         help: with each value forgotten right after its last read the session needs 2 slots: `:save FILE`, then `wb check --fix FILE`\n"
    );
    assert!(
        o.codes().iter().all(|c| *c == "wb::dead_write"),
        "{:?}",
        o.codes()
    );
    let o = ok(&mut s, ":trace");
    assert!(o.output.starts_with("line  statement"), "{}", o.output);
    assert!(
        o.output
            .contains("   4  write bd_a = bd + a  [ ac=5 | bd=33 | bd_a=34 ]  reads bd; full"),
        "{}",
        o.output
    );
    let o = ok(&mut s, ":help");
    for c in [
        ":board", ":check", ":gates", ":trace", ":undo", ":save", ":load", ":reset", ":quit",
    ] {
        assert!(o.output.contains(c), "{c} missing from :help");
    }
    let o = s.eval(":bord");
    assert_eq!(o.status, Status::Failed);
    assert!(o
        .error
        .as_deref()
        .unwrap_or("")
        .contains("did you mean `:board`?"));
    assert_eq!(s.eval(":save").status, Status::Failed);
    assert_eq!(s.eval(":undo now").status, Status::Failed);
    let o = ok(&mut s, ":reset");
    assert_eq!(o.board.as_deref(), Some("[ · | · | · ]"));
    assert_eq!(s.text(), "board 3\n");
    ok(&mut s, ":undo");
    assert_eq!(s.occupancy(), 3);
    assert_eq!(s.eval(":quit").status, Status::Quit);
}

#[test]
fn interrupting_a_long_statement_leaves_the_board_as_it_was() {
    let mut s = Session::default();
    ok(&mut s, "write n = 0");
    let flag = s.interrupt_flag();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let started = std::time::Instant::now();
    let o = s.eval("repeat 1000000000 { write n = n + 1 }");
    stopper.join().expect("the stopper thread ends");
    assert!(started.elapsed().as_secs() < 30);
    assert_eq!(o.codes(), ["wb::interrupted"]);
    assert_eq!(s.value("n"), Some(0.0));
    assert_eq!(o.board.as_deref(), Some("board unchanged: [ n=0 | · | · ]"));
    // The next entry runs normally (the flag is cleared).
    let o = ok(&mut s, "n + 1");
    assert_eq!(reads(&o), ["n + 1 = 1"]);
}

#[test]
fn completion_words_know_the_sessions_names() {
    let mut s = Session::default();
    ok(&mut s, "input alpha = 1");
    ok(&mut s, "stream xs = [1]");
    ok(&mut s, "write total = alpha");
    let _ = s.eval("write nope = missing");
    let words = s.words();
    for w in ["alpha", "xs", "total", "write", "forget", "sigmoid"] {
        assert!(words.iter().any(|x| x == w), "{w} missing");
    }
    assert!(!words.iter().any(|x| x == "missing" || x == "nope"));
    assert_eq!(s.board_names(), ["total"]);
}

#[test]
fn save_and_load_round_trip() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("session.wb");
    let mut s = Session::default();
    article(&mut s);
    ok(&mut s, "forget bd");
    ok(&mut s, "write p = ac * bd_a");
    let o = ok(&mut s, &format!(":save {}", path.display()));
    assert!(o
        .output
        .starts_with("saved the session (7 lines, its `board` line first)"));
    let saved = std::fs::read_to_string(&path).expect("the file was written");
    assert_eq!(saved, s.text());
    let mut t = Session::new(7).expect("board 7");
    let o = ok(&mut t, &format!(":load {}", path.display()));
    assert_eq!(o.board.as_deref(), Some("[ ac=5 | p=170 | bd_a=34 ]"));
    assert_eq!(t.capacity(), 3);
    assert_eq!(t.text(), s.text());
    // `:load` is undone like any change.
    ok(&mut t, ":undo");
    assert_eq!(t.capacity(), 7);
    assert_eq!(t.occupancy(), 0);
    let o = t.eval(":load /no/such/file.wb");
    assert!(o.error.as_deref().unwrap_or("").contains("no such file"));
}

#[test]
fn loading_a_program_without_a_board_uses_the_sessions() {
    let mut s = Session::new(2).expect("board 2");
    let o = s.load("write x = 1\nread x\n", &mut Vec::new());
    assert_eq!(o.status, Status::Done);
    assert_eq!(s.text(), "board 2\nwrite x = 1\nread x\n");
    let o = s.load("board 1\nwrite x = 1\nwrite y = 2\n", &mut Vec::new());
    assert_eq!(o.codes(), ["wb::board_full"]);
    assert_eq!(s.text(), "board 2\nwrite x = 1\nread x\n");
}

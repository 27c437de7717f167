//! `wb repl` on a real pseudo-terminal, typed at as a person types: a
//! multi-line block, Tab completion, Ctrl-C on a line and on a running
//! statement, Ctrl-D; the screen is checked after each.
#![cfg(unix)]

use std::process::Command;
use std::time::Duration;

use expectrl::{ControlCode, Eof, Expect, Session};

/// Everything the terminal showed, escape codes removed, for messages.
fn screen(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters final-byte
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
        } else if c != '\r' {
            out.push(c);
        }
    }
    out
}

struct Term {
    session: expectrl::session::OsSession,
    seen: Vec<u8>,
}

impl Term {
    fn start(history: &std::path::Path) -> Term {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wb"));
        cmd.arg("repl")
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            .env("WB_HISTORY", history);
        let mut session = Session::spawn(cmd).expect("wb repl starts on a pty");
        session.set_expect_timeout(Some(Duration::from_secs(20)));
        Term {
            session,
            seen: Vec::new(),
        }
    }

    /// Waits for `text` on the screen; returns what came before it.
    fn expect(&mut self, text: &str) -> String {
        match self.session.expect(text) {
            Ok(found) => {
                let before = found.before().to_vec();
                self.seen.extend_from_slice(&before);
                self.seen.extend_from_slice(text.as_bytes());
                screen(&before)
            }
            Err(e) => panic!(
                "`{text}` never appeared ({e}); the screen so far:\n{}",
                screen(&self.seen)
            ),
        }
    }

    fn send(&mut self, text: &str) {
        self.session.send(text).expect("the pty takes input");
    }
}

#[test]
fn typing_a_block_completing_a_name_and_pressing_ctrl_c() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let history = dir.path().join("history");
    let mut t = Term::start(&history);
    t.expect("wb 0/3> ");
    t.send("input alpha = 2\r");
    t.expect("wb 0/3> ");

    // A block over several lines, with the continuation prompt; `alp` + Tab
    // completes to `alpha`.
    t.send("repeat 2 {\r");
    t.expect("   ...> ");
    t.send("write t = alp\t");
    t.expect("alpha");
    t.send(" * 10\r");
    t.expect("   ...> ");
    t.send("read t\r");
    t.expect("   ...> ");
    t.send("forget t\r");
    t.expect("   ...> ");
    t.send("}\r");
    let shown = t.expect("wb 0/3> ");
    assert!(shown.contains("t = 20\nt = 20\n"), "{shown}");
    assert!(shown.contains("[ · | · | · ]"), "{shown}");

    // Ctrl-C on a half-typed line drops it: nothing was written.
    t.send("write lost = 1");
    t.expect("lost = 1");
    t.session
        .send(ControlCode::EndOfText)
        .expect("Ctrl-C is sent");
    t.expect("wb 0/3> ");
    t.send(":board\r");
    let shown = t.expect("wb 0/3> ");
    assert!(shown.contains("[ · | · | · ]"), "{shown}");
    assert!(!shown.contains("lost="), "{shown}");

    // Ctrl-C during a long statement interrupts it; the board is as before.
    t.send("write n = 5\r");
    t.expect("wb 1/3> ");
    t.send("repeat 1000000000 { write n = n + 1 }\r");
    // Press Ctrl-C until the statement is interrupted (a press that comes
    // before the statement starts clears an empty line instead).
    t.session
        .set_expect_timeout(Some(Duration::from_millis(300)));
    let mut interrupted = false;
    for _ in 0..60 {
        t.session
            .send(ControlCode::EndOfText)
            .expect("Ctrl-C is sent");
        if let Ok(found) = t
            .session
            .expect("error[wb::interrupted]: the run was interrupted")
        {
            t.seen.extend_from_slice(found.before());
            interrupted = true;
            break;
        }
    }
    assert!(interrupted, "never interrupted:\n{}", screen(&t.seen));
    t.session.set_expect_timeout(Some(Duration::from_secs(20)));
    t.expect("board unchanged: [ n=5 | · | · ]");
    t.expect("wb 1/3> ");
    t.send("n + 0\r");
    t.expect("n + 0 = 5");
    t.expect("wb 1/3> ");

    // An error shows the full diagnostic and the session goes on.
    t.send("read nope\r");
    t.expect("error[wb::unknown_name]: `nope` is not declared");
    t.expect("wb 1/3> ");

    // Ctrl-D leaves, with exit code 0.
    t.session
        .send(ControlCode::EndOfTransmission)
        .expect("Ctrl-D is sent");
    t.session.expect(Eof).expect("wb repl ends on Ctrl-D");
    let status = t.session.get_process().wait().expect("the exit status");
    let status = format!("{status:?}");
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 0)"),
        "{status}"
    );

    // The history holds the block as one entry, and the other entries.
    let saved = std::fs::read_to_string(&history).expect("the history was written");
    assert!(saved.contains("input alpha = 2"), "{saved}");
    assert!(
        saved.contains(r"repeat 2 {\nwrite t = alpha * 10\nread t\nforget t\n}"),
        "{saved}"
    );
    assert!(!saved.contains("lost"), "{saved}");
}

#[test]
fn an_unwritable_history_is_a_warning() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A directory cannot be written as a file.
    let mut t = Term::start(dir.path());
    t.expect("wb 0/3> ");
    t.send("read 41 + 1\r");
    let shown = t.expect("wb 0/3> ");
    assert!(shown.contains("41 + 1 = 42"), "{shown}");
    let all = screen(&t.seen);
    assert!(all.contains("warning: the history file"), "{all}");
    t.send(":quit\r");
    t.session.expect(Eof).expect("wb repl ends on :quit");
}

#[test]
fn two_sessions_append_to_one_history() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let history = dir.path().join("state").join("history");
    let mut a = Term::start(&history);
    let mut b = Term::start(&history);
    a.expect("wb 0/3> ");
    b.expect("wb 0/3> ");
    a.send("read 1\r");
    a.expect("1 = 1");
    b.send("read 2\r");
    b.expect("2 = 2");
    a.send("read 3\r");
    a.expect("3 = 3");
    for t in [&mut a, &mut b] {
        t.send(":quit\r");
        t.session.expect(Eof).expect("wb repl ends on :quit");
    }
    let saved = std::fs::read_to_string(&history).expect("the history was written");
    for line in ["read 1", "read 2", "read 3", ":quit"] {
        assert!(saved.contains(line), "{line} missing from:\n{saved}");
    }
    // A new session finds the lines of both.
    let mut c = Term::start(&history);
    c.expect("wb 0/3> ");
    c.send("rea");
    c.expect("d 3");
    c.send("\u{15}"); // Ctrl-U: clear the line
    c.send(":quit\r");
    c.session.expect(Eof).expect("wb repl ends on :quit");
}

/// A history that is not a regular file is not read: `/dev/zero` would be
/// read until memory ran out, a FIFO would block the start-up. Both give a
/// warning and a prompt at once.
#[test]
fn a_history_that_is_not_a_regular_file_is_not_read() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("a path");
    // SAFETY: `c` is a valid NUL-terminated path for the call's duration.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    for history in [std::path::Path::new("/dev/zero"), fifo.as_path()] {
        let mut t = Term::start(history);
        t.expect("wb 0/3> ");
        t.send("read 6 * 7\r");
        let shown = t.expect("wb 0/3> ");
        assert!(shown.contains("6 * 7 = 42"), "{shown}");
        let all = screen(&t.seen);
        assert!(all.contains("it is not a regular file"), "{all}");
        t.send(":quit\r");
        t.session.expect(Eof).expect("wb repl ends on :quit");
    }
}

//! The `:` commands: what the session can do besides running statements.
//!
//! Each is a small call into the library on the session so far (the checker
//! for `:check`, the cell compiler for `:gates`, the trace observer for
//! `:trace`); none knows a language rule.

use std::path::Path;

use crate::cell;
use crate::check;
use crate::interp::{self, Limits, Machine, Observer, Overrides};
use crate::suggest;
use crate::trace::Trace;

use super::outcome::{Outcome, Status};
use super::session::Session;

/// Every command, with what it does (the `:help` text and Tab completion).
pub const COMMANDS: [(&str, &str); 13] = [
    (":board", "show the board"),
    (
        ":check",
        "check the session so far as a program: warnings and a summary",
    ),
    (
        ":gates",
        "the session so far compiled to its LSTM-style cell, as `wb compile` shows it",
    ),
    (
        ":trace",
        "replay the session so far, showing the board after every statement",
    ),
    (
        ":plan",
        "the session's computation planned onto the fewest slots, as `wb plan` prints it",
    ),
    (":undo", "take back the last change (any number of times)"),
    (
        ":save",
        ":save FILE — write the session as a .wb script that replays to this board",
    ),
    (
        ":load",
        ":load FILE — replace the session with a program, run from an empty board",
    ),
    (":reset", "empty the board and the session (the size stays)"),
    (
        ":set",
        ":set NAME=VALUE — give an input a new value (read as `--set` reads it) and run the session again",
    ),
    (":help", "this list"),
    (":quit", "leave (Ctrl-D does too)"),
    (":q", "leave"),
];

impl Session {
    /// Runs a `:` command (`command` is what follows the colon).
    pub(crate) fn command(&mut self, command: &str, obs: &mut dyn Observer) -> Outcome {
        let (name, arg) = match command.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (command, ""),
        };
        let takes_file = matches!(name, "save" | "load" | "set");
        if !arg.is_empty() && !takes_file {
            return Outcome::error(format!("`:{name}` takes no argument"));
        }
        match name {
            "board" => Outcome {
                output: format!(
                    "{} of {} slots in use, peak {}\n",
                    self.occupancy(),
                    self.capacity(),
                    self.state().peak()
                ),
                board: Some(self.board_line()),
                ..Outcome::default()
            },
            "check" => self.check_command(),
            "gates" => self.gates_command(),
            "trace" => self.trace_command(),
            "plan" => match crate::plan::plan_program(self.program(), "the session") {
                Ok(output) => Outcome {
                    output,
                    ..Outcome::default()
                },
                Err(d) => Outcome::failed(d, self.text().to_owned()),
            },
            "undo" => match self.undo() {
                Some(what) => Outcome {
                    output: format!("undid `{what}`\n"),
                    board: Some(self.board_line()),
                    ..Outcome::default()
                },
                None => Outcome::error("nothing to undo"),
            },
            "set" if arg.is_empty() => Outcome::error("`:set` needs NAME=VALUE, as in `:set a=2`"),
            "set" => self.set_input(arg),
            "save" | "load" if arg.is_empty() => Outcome::error(format!(
                "`:{name}` needs a file name, as in `:{name} session.wb`"
            )),
            "save" => self.save(Path::new(arg)),
            "load" => match std::fs::read(arg) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => self.load(&text, obs),
                    Err(_) => Outcome::error(format!("`{arg}` is not UTF-8 text")),
                },
                Err(e) => Outcome::error(format!("cannot read `{arg}`: {}", io_why(&e))),
            },
            "reset" => self.reset(),
            "help" => Outcome {
                output: help(),
                ..Outcome::default()
            },
            "quit" | "q" => Outcome {
                status: Status::Quit,
                ..Outcome::default()
            },
            _ => {
                let known = COMMANDS.iter().map(|(c, _)| &c[1..]);
                let hint = suggest::nearest(name, known)
                    .map(|c| format!(" (did you mean `:{c}`?)"))
                    .unwrap_or_default();
                Outcome::error(format!(
                    "unknown command `:{name}`{hint}; `:help` lists the commands"
                ))
            }
        }
    }

    /// `:check`: the full checker over the session text, as `wb check` runs it.
    fn check_command(&self) -> Outcome {
        let analysis = check::check(self.program(), None);
        let (errors, _) = analysis.counts();
        let subject = format!(
            "the session ({} lines)",
            self.program()
                .lines
                .line(self.text().len().saturating_sub(1))
        );
        let mut output = analysis.summary_line(
            &subject,
            &self.capacity().to_string(),
            &self.program().lines,
        );
        if analysis.min_capacity < analysis.peak {
            output.push_str(&format!(
                "  help: with each value forgotten right after its last read the session needs {} slot{}: `:save FILE`, then `wb check --fix FILE`\n",
                analysis.min_capacity,
                check::plural(analysis.min_capacity),
            ));
        }
        Outcome {
            status: if errors == 0 {
                Status::Done
            } else {
                Status::Failed
            },
            output,
            diagnostics: analysis.diagnostics,
            source: self.text().to_owned(),
            ..Outcome::default()
        }
    }

    /// `:gates`: the session compiled to its cell, shown as `wb compile`
    /// shows it.
    fn gates_command(&self) -> Outcome {
        let analysis = check::check(self.program(), None);
        if analysis.has_errors() {
            return Outcome::failed(analysis.diagnostics, self.text().to_owned());
        }
        match cell::compile(self.program(), &analysis, self.text()) {
            Ok(compiled) => Outcome {
                output: cell::table::render(&compiled, crate::layout::stdout_width(None)),
                ..Outcome::default()
            },
            Err(d) => Outcome::failed(vec![d], self.text().to_owned()),
        }
    }

    /// `:trace`: the session replayed from an empty board through the same
    /// observer as `wb run --trace`.
    fn trace_command(&self) -> Outcome {
        let symbols = self.checker().symbols();
        let program = self.program();
        let bindings = match interp::bind(symbols, &program.names, &Overrides::default()) {
            Ok(b) => b,
            Err(d) => return Outcome::failed(vec![d], self.text().to_owned()),
        };
        let mut buf: Vec<u8> = Vec::new();
        let limits = Limits {
            max_steps: None,
            interrupt: Some(self.fresh_interrupt()),
        };
        let mut machine = Machine::new(program, self.text(), symbols, self.capacity(), bindings);
        let mut trace = Trace::new(
            &mut buf,
            program,
            self.text(),
            self.capacity(),
            self.state().peak(),
        )
        .with_width(crate::layout::stdout_width(None));
        let result = machine.run(&program.items, &mut trace, limits);
        trace.flush();
        drop(trace);
        let output = String::from_utf8_lossy(&buf).into_owned();
        match result {
            Ok(()) => Outcome {
                output,
                ..Outcome::default()
            },
            Err(d) => Outcome {
                output,
                ..Outcome::failed(vec![d], self.text().to_owned())
            },
        }
    }

    /// `:save FILE`: the session text, through [`crate::atomic::write`], so
    /// FILE is never half written.
    fn save(&self, path: &Path) -> Outcome {
        let written = crate::atomic::write(path, self.text().as_bytes());
        match written {
            Ok(()) => Outcome {
                output: format!(
                    "saved the session ({} lines, its `board` line first) to {}\n",
                    self.text().lines().count(),
                    path.display()
                ),
                ..Outcome::default()
            },
            Err(e) => Outcome::error(format!("cannot write `{}`: {}", path.display(), io_why(&e))),
        }
    }
}

/// The `:help` text.
pub fn help() -> String {
    let mut out = String::from(
        "Type a statement (`write x = a * b`, `forget x`, `read x`), a declaration\n\
         (`input a = 4`, `stream s = [1, 2]`, `board 4`), or an expression to read it.\n\
         `each`/`repeat` blocks continue until their braces close. Commands:\n",
    );
    for (c, what) in COMMANDS.iter().filter(|(c, _)| *c != ":q") {
        out.push_str(&format!("  {c:<7} {what}\n"));
    }
    out.push_str(
        "Tab completes names and commands; Ctrl-C cancels the line or a running statement.\n",
    );
    out
}

fn io_why(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

//! Whatever is typed into a session, in whatever order, with whatever fails
//! and whatever is undone: the session text is a program that `wb check`
//! accepts, and running it gives the reads the session showed and the board
//! the session holds. This is what makes `:save` trustworthy.

use proptest::prelude::*;

use wb::check;
use wb::interp::{self, Limits, Machine, Overrides, Read};
use wb::number;
use wb::repl::{Session, Status};

fn shown(reads: &[Read]) -> Vec<String> {
    reads
        .iter()
        .map(|r| format!("{} = {}", r.text, number::format(r.value)))
        .collect()
}

/// Entries a person might type: most work, many fail (a full board, a name
/// never written, a division by zero, a syntax error), some are commands.
fn entry() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "write [abcp] = [abcpk] [-+*/] [0-3abcpk]",
        2 => "forget [abcp]",
        2 => "[abcpk] [-+*] [0-9]",
        1 => "read [abcp], k",
        1 => "write [abcp] = [abcp] gate 0.[0-9]",
        1 => "repeat [0-3] \\{ write t = [abck] \\+ 1; read t; forget t \\}",
        1 => "repeat 2 \\{\n  write [abcp] = [abcp] \\* 2\n\\}",
        1 => "board [1-5]",
        1 => "input k = [0-9]",
        1 => "write [abc] = \\)",
        2 => ":undo",
        1 => ":reset",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_session_text_replays_to_the_same_reads_and_board(
        entries in prop::collection::vec(entry(), 0..40)
    ) {
        let mut session = Session::default();
        // The reads of each change still in force, so `:undo` can drop them.
        let mut reads: Vec<Vec<String>> = Vec::new();
        for e in &entries {
            let before = session.text().to_owned();
            let o = session.eval(e);
            match (e.as_str(), o.status) {
                (_, Status::Failed) => {
                    prop_assert_eq!(session.text(), before.as_str(), "`{}` failed but changed the text", e);
                }
                (":undo", _) => {
                    reads.pop();
                }
                (":reset", _) => reads.push(vec!["reset".to_owned()]),
                (_, Status::Done) => reads.push(shown(&o.reads)),
                (_, s) => prop_assert!(false, "`{}` ended as {:?}", e, s),
            }
        }
        let expected: Vec<String> = match reads.iter().rposition(|r| r.first().is_some_and(|x| x == "reset")) {
            Some(i) => reads[i + 1..].concat(),
            None => reads.concat(),
        };

        let text = session.text().to_owned();
        let parsed = wb::syntax::parse(&text);
        prop_assert!(parsed.diagnostics.is_empty(), "{}", text);
        let analysis = check::check(&parsed.program, None);
        prop_assert!(!analysis.has_errors(), "{}\n{:?}", text, analysis.diagnostics);
        prop_assert_eq!(analysis.capacity, Some(session.capacity()));
        let bindings = interp::bind(&analysis.symbols, &parsed.program.names, &Overrides::default())
            .expect("the session's inputs all have values");
        let mut machine = Machine::new(
            &parsed.program,
            &text,
            &analysis.symbols,
            session.capacity(),
            bindings,
        );
        let mut got: Vec<Read> = Vec::new();
        machine
            .run(&parsed.program.items, &mut got, Limits::default())
            .expect("the session's program runs");
        prop_assert_eq!(shown(&got), expected, "{}", text);
        prop_assert_eq!(machine.board_line(), session.board_line(), "{}", text);
    }
}

//! Whatever comes in, `wb` answers with diagnostics — never a panic. Random
//! bytes and random token soup go through every stage: parse, check, render,
//! and a run with a step limit (checked, and unchecked so that the
//! interpreter's own guards are exercised too), and the cell, which must
//! agree with the interpreter bit for bit.

use proptest::prelude::*;

use wb::exercise;

/// Every stage on `src`; panics only if `wb` does (or if a checked program
/// fails with a board error, or the parsers disagree).
fn everything(src: &str) {
    exercise::check(src);
    exercise::run(src);
    exercise::cell(src);
}

const TOKENS: &[&str] = &[
    "board", "input", "stream", "write", "forget", "read", "when", "gate", "each", "repeat", "x",
    "y", "s", "a", "b", "min", "max", "sqrt", "ln", "sigmoid", "0", "1", "2", "3", "0.5", "1e3",
    "1e999", ".5", "5.", "=", "==", "!=", "<", "<=", "+", "-", "*", "/", "%", "^", "(", ")", "{",
    "}", "[", "]", ",", ";", "\n", "\r\n", " ", "#", "é", "\u{feff}", "\t",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|t| t.join(" "))
}

/// Programs that mostly parse: a board, inputs, and statement lines.
fn lines() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "write [abxys] = [abxys] [-+*/%^] [0-9abxys]",
        "write [abxys] = [0-9] (when|gate) [0-9abxys]",
        "forget [abxys]",
        "read [abxys] [-+*/<] [0-9abxys]",
        "repeat [0-3] \\{",
        "each [xy] \\{",
        "\\}",
        "stream [xy] = \\[[0-9], [0-9]\\]",
        "input [ab] = [0-9]",
    ];
    prop::collection::vec(line, 0..30)
        .prop_map(|ls| format!("board 3\ninput a = 1, b = 0\n{}\n", ls.join("\n")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        everything(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup(src in soup()) {
        everything(&src);
    }

    #[test]
    fn statement_lines(src in lines()) {
        everything(&src);
    }
}

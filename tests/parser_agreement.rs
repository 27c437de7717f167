//! The fast path (`src/syntax/fast.rs`) and the pest grammar build exactly
//! the same program — items, spans, names in the same order — and the same
//! diagnostics, on every example and on generated text.

use proptest::prelude::*;

fn agree(src: &str) -> Result<(), TestCaseError> {
    let fast = wb::syntax::parse(src);
    let pest = wb::syntax::parse_reference(src);
    prop_assert_eq!(
        &fast.program.items,
        &pest.program.items,
        "items differ for {:?}",
        src
    );
    prop_assert_eq!(
        &fast.program.names,
        &pest.program.names,
        "names differ for {:?}",
        src
    );
    prop_assert_eq!(
        &fast.diagnostics,
        &pest.diagnostics,
        "diagnostics differ for {:?}",
        src
    );
    Ok(())
}

#[test]
fn examples_and_golden_files() {
    for dir in ["examples", "examples/errors", "tests/golden/run"] {
        for entry in std::fs::read_dir(dir).expect("directory").flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "wb") {
                let src = std::fs::read_to_string(&path).expect("UTF-8 source");
                agree(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
}

const PIECES: &[&str] = &[
    "write", "read", "forget", "when", "gate", "each", "repeat", "board", "input", "stream", "x",
    "y", "abc", "_t1", "min", "max", "sqrt", "sigmoid", "foo", "0", "7", "2.5", "1e3", "1E-2",
    "1e", "5.", ".5", "1e999", "6.02e23", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*",
    "/", "%", "^", "(", ")", ",", ";", "{", "}", "#c", "\n", "\r\n", "\r", " ", "\t", "\u{feff}",
    "é",
];

/// Token soup, mostly around statement keywords so the fast path is tried.
fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|t| {
        let mut s = String::new();
        for (i, p) in t.iter().enumerate() {
            s.push_str(p);
            if i % 3 != 2 {
                s.push(' ');
            }
        }
        s
    })
}

/// Plausible statement lines with varied spacing and comments.
fn lines() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "write [xy] ?= ?[-]?[xy0-9] ?[-+*/%^<] ?[-]?\\(?[xy0-9.e]+\\)?( (when|gate) [xy1])?( #.*)?",
        "read [xy0-9]( ?, ?(min|max|foo)\\( ?[xy], ?[0-9] ?\\))?;?",
        "forget [xy]( ?, ?[xy])*",
        "read -+ ?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?",
        "write (write|x) = [0-9]",
        "repeat [0-2] \\{ read [xy] \\}",
        "input [xy] = -?[0-9]",
        "read (sqrt|sigmoid) ?\\(\\(?[xy]\\)?\\)",
        "read [xy] ?(==|!=|<=) ?[xy] ?(<|>) ?1",
    ];
    (
        prop::collection::vec(line, 0..12),
        prop::sample::select(vec!["\n", "\r\n", ";", " ; "]),
    )
        .prop_map(|(ls, sep)| format!("board 2{sep}{}", ls.join(sep)))
}

/// The nesting scan runs only where pest is first needed; a too-deep
/// nesting anywhere still gives the one diagnostic and no items, as a scan
/// of the whole text does.
#[test]
fn too_deep_nesting_after_fast_items() {
    let deep = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
    let blocks = |n: usize| format!("{}read 1{}", "repeat 1 { ".repeat(n), " }".repeat(n));
    let cases = [
        format!("board 2\ninput a = 1\nwrite x = a\nread {}\n", deep(65)),
        format!("board 2\nwrite x = 1\nread min({}, 2)\n", deep(64)),
        format!("board 2\nwrite x = 1\nread {}\n", deep(64)),
        format!(
            "board 2\nwrite x = 1\nstream s = [1]\nread x\nread {}\n",
            deep(70)
        ),
        format!("board 2\nwrite x = 1; read x; {}\n", blocks(17)),
        format!("board 2\nwrite x = 1\n{}\n", blocks(16)),
        format!("board 2\nwrite y = 1 # {}\nread y\n", deep(80)),
    ];
    for src in &cases {
        agree(src).unwrap_or_else(|e| panic!("{e}"));
    }
    let parsed = wb::syntax::parse(&cases[0]);
    assert!(parsed.program.items.is_empty());
    assert!(parsed.program.names.is_empty());
    assert_eq!(parsed.diagnostics.len(), 1);
    assert_eq!(parsed.diagnostics[0].code, wb::diag::Code::NestingTooDeep);
    let fine = wb::syntax::parse(&cases[2]);
    assert!(fine.diagnostics.is_empty(), "{:?}", fine.diagnostics);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn on_token_soup(src in soup()) {
        agree(&src)?;
    }

    #[test]
    fn on_statement_lines(src in lines()) {
        agree(&src)?;
    }
}

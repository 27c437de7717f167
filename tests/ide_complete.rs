//! The server's completion (`Document::completion`, from the document's own
//! check) gives the same answer as the shared rule (`wb::complete`, which
//! checks the text before the cursor, as the REPL does) at every offset of
//! the examples, the golden programs, and generated texts, broken ones
//! included.

use proptest::prelude::*;
use wb::complete::{complete, Place};
use wb::ide::Document;

fn same_everywhere(text: &str) -> Result<usize, String> {
    let doc = Document::new(text);
    let mut compared = 0;
    for offset in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
        let fast = doc.completion(offset);
        let slow = complete(text, offset, Place::File);
        if fast != slow {
            return Err(format!(
                "at {offset} (line so far {:?}):\n fast {:?}\n slow {:?}\n{text}",
                &text[..offset].rsplit('\n').next().unwrap_or(""),
                fast,
                slow
            ));
        }
        compared += usize::from(!slow.candidates.is_empty());
    }
    Ok(compared)
}

#[test]
fn the_same_at_every_offset_of_the_examples() {
    let mut files = Vec::new();
    for dir in ["examples", "examples/errors", "tests/golden/check"] {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "wb") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut answered = 0;
    for p in &files {
        let text = std::fs::read_to_string(p).expect("read");
        answered += same_everywhere(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    // Not a vacuous comparison: many offsets have candidates.
    assert!(
        answered > 500,
        "{answered} offsets with candidates in {} files",
        files.len()
    );
}

/// Lines the generated texts are made of: every statement kind, loops
/// (nested ones too), gated writes, comments with braces in them, lines
/// that do not parse, and `;`-joined statements.
const LINES: &[&str] = &[
    "board 2",
    "board 3",
    "input a = 1, b = 2",
    "input c",
    "stream s = [1, 2]",
    "stream t",
    "write x = a + 1",
    "write y = x * b",
    "write x = x + 1 when a",
    "write z = y gate s",
    "write q = 1 when a",
    "write w = s",
    "forget x",
    "forget y, z",
    "forget q",
    "forget w",
    "read x, y",
    "read z",
    "each s {",
    "each s, t {",
    "repeat 2 {",
    "}",
    "# a comment {",
    "write = 3",
    "read (",
    "x = 1",
    "write y = 2; read y",
    "each s { read s }",
    "write é = 1",
    "",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec((0..LINES.len(), 0..3usize), 0..24).prop_map(|lines| {
        let mut out = String::new();
        for (i, indent) in lines {
            out.push_str(&"  ".repeat(indent));
            out.push_str(LINES[i]);
            out.push('\n');
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_same_at_every_offset_of_generated_texts(text in text(), cut in 0..400usize) {
        // And the same text cut short, as it is while being typed.
        let mut cut = cut.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        for t in [text.as_str(), &text[..cut]] {
            if let Err(e) = same_everywhere(t) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}

//! `wb fmt`: the binary on files, and the two promises on generated text —
//! formatting twice changes nothing, and the result parses to the same
//! program (`wb::fmt::format` refuses otherwise, so a refusal of a text
//! that parses is a failure here).

use std::process::Command;

use proptest::prelude::*;

fn wb(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(args)
        .output()
        .expect("wb runs")
}

#[test]
fn fmt_rewrites_a_file_and_check_lists_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("p.wb");
    std::fs::write(&path, "board 2\nwrite x=1   # one\neach_x = 2\n").expect("write");
    let p = path.to_str().expect("utf-8");
    // A file that does not parse: refused, unchanged, exit 1.
    let out = wb(&["fmt", p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wb::syntax"));
    std::fs::write(
        &path,
        "board 2\nwrite x=1   # one\nrepeat 2 { write x = x*2 }\nread x\n",
    )
    .expect("write");
    let out = wb(&["fmt", "--check", p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not formatted"));
    let out = wb(&["fmt", p]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "board 2\nwrite x = 1 # one\nrepeat 2 {\n  write x = x * 2\n}\nread x\n"
    );
    assert_eq!(wb(&["fmt", "--check", p]).status.code(), Some(0));
    assert_eq!(wb(&["run", p]).stdout, b"x = 4\n");
}

#[test]
fn the_examples_are_formatted() {
    let mut files = Vec::new();
    for e in std::fs::read_dir("examples").expect("examples") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "wb") {
            files.push(p.to_string_lossy().into_owned());
        }
    }
    let mut args = vec!["fmt", "--check"];
    args.extend(files.iter().map(String::as_str));
    let out = wb(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Statement lines with varied spacing, comments, `;` joins and blocks.
fn program() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "write [xy] ?= ?-?[xy0-9] ?[-+*/%^<] ?-? ?\\(?[xy0-9]\\)?( (when|gate) ?[xy1])?( *#[a-z é]*)?",
        "read [xy0-9]( ?, ?(min|max)\\( ?[xy], ?-?[0-9] ?\\))?;?",
        "forget [xy]",
        "read -+ ?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?",
        "repeat [0-2] ?\\{ ?(read [xy])? ?\\}",
        "repeat 1 \\{( *#[a-z]*)?\n *read x; read y\n\\}",
        " *#[a-z]*",
        "",
        " *; *",
        "read (sqrt|sigmoid) ?\\(\\(?[xy]\\)?\\)",
        "read [xy] ?(==|!=|<=) ?[xy] ?(<|>) ?1",
    ];
    (
        prop::collection::vec(line, 0..12),
        prop::sample::select(vec!["\n", "\r\n"]),
        "[ \t]{0,3}",
    )
        .prop_map(|(lines, nl, indent)| {
            let mut s = format!("board 9{nl}input a = -1{nl}write x = 1{nl}write y = 2{nl}");
            for l in lines {
                s.push_str(&indent);
                s.push_str(&l);
                s.push_str(nl);
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn formatting_is_idempotent_and_keeps_the_program(src in program()) {
        if wb::syntax::parse(&src).diagnostics.is_empty() {
            let once = wb::fmt::format(&src);
            prop_assert!(once.is_ok(), "refused: {src:?}");
            let once = once.unwrap_or_default();
            prop_assert_eq!(wb::fmt::format(&once).ok(), Some(once.clone()), "{:?}", src);
            // Every comment survives, in order.
            let comments = |t: &str| -> Vec<String> {
                t.lines().filter_map(|l| l.find('#').map(|i| l[i..].trim_end().to_owned())).collect()
            };
            prop_assert_eq!(comments(&once), comments(&src));
        } else {
            prop_assert!(wb::fmt::format(&src).is_err());
        }
    }
}

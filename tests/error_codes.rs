//! One test per diagnostic code: the `wb` binary, given a program that
//! breaks one rule, fails with that code at that line and the right exit code.

use assert_cmd::Command;
use serde_json::Value;

/// Runs `wb run --json` on `src` (through standard input) with extra flags;
/// returns the exit code and the first error's code and line.
fn first_error(src: &str, flags: &[&str]) -> (i32, String, Option<u64>) {
    let out = Command::cargo_bin("wb")
        .expect("the wb binary is built")
        .args(["run", "--json", "-"])
        .args(flags)
        .write_stdin(src)
        .output()
        .expect("wb runs");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is one JSON object ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let d = json["diagnostics"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["severity"] == "error"))
        .cloned()
        .unwrap_or_default();
    (
        out.status.code().unwrap_or(-1),
        d["code"].as_str().unwrap_or("").to_owned(),
        d["line"].as_u64(),
    )
}

macro_rules! code_test {
    ($name:ident, $code:literal, $line:expr, $src:expr) => {
        code_test!($name, $code, $line, $src, &[]);
    };
    ($name:ident, $code:literal, $line:expr, $src:expr, $flags:expr) => {
        #[test]
        fn $name() {
            let (exit, code, line) = first_error($src, $flags);
            assert_eq!(code, $code, "code");
            assert_eq!(line, $line, "line");
            assert_eq!(exit, 1, "exit code");
        }
    };
}

code_test!(syntax, "wb::syntax", Some(2), "board 3\nwrite x + 1\n");
code_test!(syntax_number, "wb::syntax", Some(3), "board 3\n\nread .5\n");
code_test!(
    syntax_huge_number,
    "wb::syntax",
    Some(2),
    "board 3\nread 1e999\n"
);
code_test!(no_board, "wb::no_board", Some(1), "read 1\n");
code_test!(
    bad_capacity_zero,
    "wb::bad_capacity",
    Some(1),
    "board 0\nread 1\n"
);
code_test!(
    bad_capacity_fraction,
    "wb::bad_capacity",
    Some(1),
    "board 2.5\n"
);
code_test!(
    bad_capacity_too_big,
    "wb::bad_capacity",
    Some(1),
    "board 1000001\n"
);
code_test!(
    redeclared,
    "wb::redeclared",
    Some(3),
    "board 3\ninput a\ninput b, a\n"
);
code_test!(
    redeclared_board_value,
    "wb::redeclared",
    Some(3),
    "board 3\nwrite x = 1\ninput x = 2\n"
);
code_test!(
    unknown_name,
    "wb::unknown_name",
    Some(3),
    "board 3\ninput a = 1\nread a + b\n"
);
code_test!(
    board_full,
    "wb::board_full",
    Some(4),
    "board 2\nwrite a = 1\nwrite b = 2\nwrite c = a + b\n"
);
code_test!(
    forgotten,
    "wb::forgotten",
    Some(4),
    "board 2\nwrite a = 1\nforget a\nread a\n"
);
code_test!(
    not_on_board,
    "wb::not_on_board",
    Some(3),
    "board 2\nwrite a = 1\nforget b\n"
);
code_test!(
    not_on_board_twice,
    "wb::not_on_board",
    Some(4),
    "board 2\nwrite a = 1\nforget a\nforget a\n"
);
code_test!(
    write_input,
    "wb::write_input",
    Some(3),
    "board 2\ninput a = 1\nwrite a = 2\n"
);
code_test!(
    gated_new_slot,
    "wb::gated_new_slot",
    Some(2),
    "board 2\nwrite a = 1 when 1\n"
);
code_test!(
    loop_not_neutral_leaves,
    "wb::loop_not_neutral",
    Some(3),
    "board 2\nrepeat 2 {\n  write t = 1\n}\n"
);
code_test!(
    loop_not_neutral_forgets,
    "wb::loop_not_neutral",
    Some(4),
    "board 2\nwrite a = 1\nrepeat 2 {\n  forget a\n}\n"
);
code_test!(
    stream_outside_each,
    "wb::stream_outside_each",
    Some(3),
    "board 2\nstream x = [1]\nread x\n"
);
code_test!(
    nested_each,
    "wb::nested_each",
    Some(4),
    "board 2\nstream x = [1], y = [2]\neach x {\n  each y {\n    read x + y\n  }\n}\n"
);
code_test!(
    not_a_stream,
    "wb::not_a_stream",
    Some(3),
    "board 2\ninput a = 1\neach a {\n}\n"
);
code_test!(
    missing_input,
    "wb::missing_input",
    Some(2),
    "board 2\ninput a, b = 2\nstream x\nread a\n"
);
code_test!(
    stream_length,
    "wb::stream_length",
    Some(3),
    "board 2\nstream x = [1, 2], y = [1]\neach x, y {\n  read x + y\n}\n"
);
code_test!(
    div_zero,
    "wb::div_zero",
    Some(3),
    "board 2\ninput a = 0\nread 1 / a\n"
);
code_test!(
    not_finite,
    "wb::not_finite",
    Some(3),
    "board 2\ninput a = -1\nwrite r = sqrt(a)\n"
);
code_test!(
    gate_range,
    "wb::gate_range",
    Some(4),
    "board 2\ninput g = 1.5\nwrite s = 0\nwrite s = 1 gate g\n"
);
code_test!(
    nesting_too_deep,
    "wb::nesting_too_deep",
    Some(2),
    &format!(
        "board 1\nread {}1{}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    )
);
code_test!(
    step_limit,
    "wb::step_limit",
    Some(3),
    "board 1\nrepeat 1000000000 {\n  read 1\n}\n",
    &["--max-steps", "10"]
);

#[test]
fn missing_input_lists_every_missing_value() {
    let out = Command::cargo_bin("wb")
        .expect("the wb binary is built")
        .args(["run", "--json", "-"])
        .write_stdin("board 2\ninput a, b = 2, c, d\nstream x, y\neach x { read x }\nread a + c\n")
        .output()
        .expect("wb runs");
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // Warnings come first (`d` and `y` are never read), then the error.
    let error = json["diagnostics"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["severity"] == "error"))
        .cloned()
        .unwrap_or_default();
    let message = error["message"].as_str().unwrap_or("");
    assert!(
        message.contains("`a`") && message.contains("`c`") && message.contains("`x`"),
        "{message}"
    );
    assert!(!message.contains("`b`"), "{message}");
    // Only what the program reads: `d` and `y` are never read.
    assert!(
        !message.contains("`d`") && !message.contains("`y`"),
        "{message}"
    );
}

#[test]
fn run_time_errors_carry_the_element_index() {
    let out = Command::cargo_bin("wb")
        .expect("the wb binary is built")
        .args(["run", "--json", "-"])
        .write_stdin("board 1\nstream x = [2, 1, 0, 4]\neach x {\n  read 1 / x\n}\n")
        .output()
        .expect("wb runs");
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["index"], 2);
    assert_eq!(json["diagnostics"][0]["index"], 2);
    assert_eq!(json["diagnostics"][0]["code"], "wb::div_zero");
    // The reads before the failure are kept.
    assert_eq!(json["reads"].as_array().map(Vec::len), Some(2));
}

#[test]
fn errors_are_all_reported_in_source_order() {
    let out = Command::cargo_bin("wb")
        .expect("the wb binary is built")
        .args(["check", "--format", "json", "-"])
        .write_stdin("board 1\nread zz\nwrite a = 1\nwrite b = 2\nforget q\n")
        .output()
        .expect("wb runs");
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let got: Vec<(String, u64)> = json["diagnostics"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_owned(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("wb::unknown_name".to_owned(), 2),
            ("wb::board_full".to_owned(), 4),
            ("wb::not_on_board".to_owned(), 5),
        ]
    );
    assert_eq!(out.status.code(), Some(1));
}

//! The `wb` binary, run as a user runs it.

use assert_cmd::Command;

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

#[test]
fn whiteboard_prints_181() {
    wb().args(["run", "examples/whiteboard.wb"])
        .assert()
        .success()
        .stdout("result = 181\n");
}

#[test]
fn json_keys_come_in_the_documented_order() {
    // LANGUAGE.md §3 writes the objects in this order; `jq` and editors do
    // not care, but a person comparing output with the documentation does.
    wb().args(["run", "--json", "examples/whiteboard.wb"])
        .assert()
        .success()
        .stdout(
            "{\"reads\":[{\"text\":\"result\",\"line\":14,\"value\":181}],\"diagnostics\":[],\"capacity\":3,\"peak\":3}\n",
        );
    let out = wb()
        .args(["check", "--format", "json", "examples/errors/overflow.wb"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("UTF-8");
    let keys = [
        "\"diagnostics\"",
        "\"code\"",
        "\"severity\"",
        "\"message\"",
        "\"line\"",
        "\"column\"",
        "\"help\"",
        "\"capacity\"",
        "\"peak\"",
        "\"peak_line\"",
        "\"min_capacity\"",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(k)
                .unwrap_or_else(|| panic!("{k} missing in {text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
}

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

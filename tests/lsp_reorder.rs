//! "Reorder to fit", followed: at a `board_full` that no moving of forgets
//! cures, the action `wb lsp` offers is applied to the document, which is
//! checked again through the server (the error is gone, nothing new comes)
//! and run by `wb run` before and after (the same reads).

mod lsp_support;

use std::io::Write as _;
use std::process::Command;

use serde_json::{json, Value};

use lsp_support::{apply, Server};

/// Needs 3 slots as written, forgets placed anywhere; 2 in another order.
const REORDER: &str = "board 2\ninput a = 1, b = 2\nwrite x = a + b\nwrite y = a * b\n\
                       write z = x + 1\nread z\nforget x, z\nwrite w = y + 1\nread w\n";

fn run(text: &str, capacity: Option<&str>) -> (Option<i32>, String) {
    let mut f = tempfile::Builder::new()
        .suffix(".wb")
        .tempfile()
        .expect("tmp");
    f.write_all(text.as_bytes()).expect("write");
    let path = f.path().to_str().expect("utf-8").to_owned();
    let mut args = vec!["run", path.as_str()];
    if let Some(c) = capacity {
        args.extend(["--capacity", c]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(&args)
        .env("NO_COLOR", "1")
        .output()
        .expect("wb runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn actions(s: &mut Server, uri: &str, d: &Value) -> Vec<Value> {
    s.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": d["range"],
               "context": {"diagnostics": [d]}}),
    )
    .as_array()
    .expect("actions")
    .clone()
}

fn codes(diagnostics: &Value) -> Vec<String> {
    diagnostics["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["code"].as_str().expect("code").to_owned())
        .collect()
}

#[test]
fn reorder_to_fit_cures_the_board_full_and_reads_the_same() {
    let uri = "file:///reorder/p.wb";
    let mut s = Server::start(false);
    s.open(uri, REORDER);
    let before = s.diagnostics(uri);
    let full = before["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["code"] == "wb::board_full")
        .expect("a board_full")
        .clone();
    let offered = actions(&mut s, uri, &full);
    let reorder = offered
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("reorder to fit"))
        })
        .unwrap_or_else(|| panic!("no reorder action in {offered:#?}"));
    assert_eq!(
        reorder["title"], "reorder to fit (`wb plan`): 2 slots instead of 3",
        "{reorder}"
    );
    assert_eq!(reorder["diagnostics"][0]["code"], "wb::board_full");
    assert_ne!(reorder["isPreferred"], true, "rewrites the whole program");
    let fixed = apply(
        REORDER,
        reorder["edit"]["changes"][uri].as_array().expect("edits"),
    );
    let check = "file:///reorder/fixed.wb";
    s.open(check, &fixed);
    let after = s.diagnostics(check);
    let before_codes = codes(&before);
    for c in codes(&after) {
        assert!(
            before_codes.contains(&c) && c != "wb::board_full",
            "{c} after reordering:\n{fixed}"
        );
    }
    assert!(
        after["diagnostics"]
            .as_array()
            .expect("list")
            .iter()
            .all(|d| d["severity"] != 1),
        "{after}\n{fixed}"
    );
    s.shutdown();
    // The same reads: the original on the 3 slots it needs, the reordered
    // program on its own board of 2.
    let (code, original) = run(REORDER, Some("3"));
    assert_eq!(code, Some(0));
    assert_eq!(run(&fixed, None), (Some(0), original.clone()), "{fixed}");
    assert!(
        original.contains("z = 4") && original.contains("w = 3"),
        "{original}"
    );
}

#[test]
fn no_reorder_where_moving_forgets_is_the_cure() {
    let text = include_str!("../examples/errors/overflow.wb");
    let uri = "file:///reorder/overflow.wb";
    let mut s = Server::start(false);
    s.open(uri, text);
    let diagnostics = s.diagnostics(uri);
    let full = diagnostics["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["code"] == "wb::board_full")
        .expect("a board_full")
        .clone();
    let offered = actions(&mut s, uri, &full);
    assert!(!offered.is_empty());
    assert!(
        offered
            .iter()
            .all(|a| !a["title"].as_str().unwrap_or("").starts_with("reorder")),
        "{offered:#?}"
    );
    s.shutdown();
}

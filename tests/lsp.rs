//! `wb lsp` driven over stdio as an editor drives it: scripted JSON-RPC
//! sessions whose answers are compared with snapshot files
//! (`tests/snapshots/`; `INSTA_UPDATE=always cargo test --test lsp` to
//! regenerate, then review the diff).

mod lsp_support;

use insta::assert_snapshot;
use serde_json::{json, Value};

use lsp_support::{pos, Server};

const OVERFLOW: &str = include_str!("../examples/errors/overflow.wb");
const MEAN: &str = include_str!("../examples/running_mean.wb");
const URI: &str = "file:///work/overflow.wb";

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("json")
}

fn at(uri: &str, position: Value) -> Value {
    json!({"textDocument": {"uri": uri}, "position": position})
}

#[test]
fn a_session_on_the_overflow_example() {
    let mut s = Server::start(false);
    s.open(URI, OVERFLOW);
    assert_snapshot!("overflow_diagnostics", pretty(&s.diagnostics(URI)));
    let hover = s.result("textDocument/hover", at(URI, pos(OVERFLOW, "bd + a", 0, 1)));
    assert_snapshot!("overflow_hover_bd", pretty(&hover));
    let hover = s.result(
        "textDocument/hover",
        at(URI, pos(OVERFLOW, "write bd_a", 0, 1)),
    );
    assert_snapshot!("overflow_hover_statement", pretty(&hover));
    // Completing a read after `forget ac`: `ac` is gone, `ad` and `p` are on the board.
    let end = pos(OVERFLOW, "read result", 0, 5);
    let completion = s.result("textDocument/completion", at(URI, end));
    assert_snapshot!("overflow_completion_read", pretty(&completion));
    let hints = s.result(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": URI},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}}}),
    );
    assert_snapshot!("overflow_inlay_hints", pretty(&hints));
    let error = pos(OVERFLOW, "p = ac", 0, 0);
    let actions = s.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": {"start": error, "end": error},
               "context": {"diagnostics": []}}),
    );
    assert_snapshot!("overflow_code_actions", pretty(&actions));
    let symbols = s.result(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_snapshot!("overflow_symbols", pretty(&symbols));
    let (code, err) = s.shutdown();
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn navigation_per_value_in_a_loop() {
    let uri = "file:///work/mean.wb";
    let mut s = Server::start(false);
    s.open(uri, MEAN);
    let defs = s.result("textDocument/definition", at(uri, pos(MEAN, "n + 1", 0, 0)));
    let lines: Vec<u64> = defs
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| l["range"]["start"]["line"].as_u64().expect("line"))
        .collect();
    // 0-based: the loop's own write (the previous iteration), then the one before the loop.
    assert_eq!(lines, vec![8, 5]);
    let refs = s.result(
        "textDocument/references",
        json!({"textDocument": {"uri": uri}, "position": pos(MEAN, "mean = 0", 0, 0),
               "context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs.as_array().expect("refs").len(), 5, "{refs}");
    let rename = s.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": pos(MEAN, "mean = 0", 0, 0), "newName": "avg"}),
    );
    assert_snapshot!("mean_rename", pretty(&rename));
    let refused = s.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": pos(MEAN, "mean = 0", 0, 0), "newName": "each"}),
    );
    assert_eq!(refused["error"]["message"], "`each` is not a name");
    let formatted = s.result(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(formatted, json!([]), "the example is formatted already");
    let (code, _) = s.shutdown();
    assert_eq!(code, Some(0));
}

#[test]
fn a_burst_of_changes_then_requests_answered_in_order() {
    let uri = "file:///work/burst.wb";
    let mut s = Server::start(false);
    s.open(uri, "board 2\n");
    let mut text = String::from("board 2\n");
    for i in 0..200 {
        let line = format!("write v{i} = {i}\nforget v{i}\n");
        let end_line = text.matches('\n').count();
        s.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": i + 2},
                   "contentChanges": [{"range": {"start": {"line": end_line, "character": 0},
                                                 "end": {"line": end_line, "character": 0}},
                                       "text": line}]}),
        );
        text.push_str(&line);
    }
    text.push_str("read v199\n");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 500},
               "contentChanges": [{"text": text}]}),
    );
    let ids: Vec<i64> = (0..20)
        .map(|k| {
            let p = json!({"line": 1 + 2 * k, "character": 7});
            s.send_request("textDocument/hover", at(uri, p))
        })
        .collect();
    let mut answers = Vec::new();
    while answers.len() < ids.len() {
        let m = s.next();
        if m.get("method").is_some() {
            s.notifications.push(m);
        } else {
            answers.push(m);
        }
    }
    for (k, (m, id)) in answers.iter().zip(&ids).enumerate() {
        assert_eq!(m["id"], json!(id), "answers in order");
        let hover = m["result"]["contents"]["value"].as_str().expect("hover");
        assert!(
            hover.starts_with(&format!("**`v{k}`**: board value, slot 1 here")),
            "{hover}"
        );
    }
    let published: Vec<&Value> = s
        .notifications
        .iter()
        .filter(|n| n["method"] == "textDocument/publishDiagnostics")
        .collect();
    // Edits that arrive while the server is busy are checked together; how
    // many arrive so depends on timing, but the last check is of the last text.
    assert!(
        !published.is_empty() && published.len() <= 202,
        "{}",
        published.len()
    );
    let last = published.last().expect("published")["params"].clone();
    assert_eq!(last["version"], 500);
    let codes: Vec<&str> = last["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["code"].as_str().expect("code"))
        .collect();
    // v0..v198 are written and forgotten unread; v199 is read after its forget.
    assert_eq!(
        codes.iter().filter(|c| **c == "wb::dead_write").count(),
        199
    );
    assert_eq!(codes.iter().filter(|c| **c == "wb::forgotten").count(), 1);
    let (code, _) = s.shutdown();
    assert_eq!(code, Some(0));
}

#[test]
fn a_file_that_does_not_parse_still_gets_diagnostics_and_hover() {
    let uri = "file:///work/broken.wb";
    let text = "board 1\nwrite a = 1\nwrite b = 2\nwrite = 3\nread a\n";
    let mut s = Server::start(false);
    s.open(uri, text);
    assert_snapshot!("broken_diagnostics", pretty(&s.diagnostics(uri)));
    let hover = s.result("textDocument/hover", at(uri, pos(text, "a = 1", 0, 0)));
    assert!(hover["contents"]["value"]
        .as_str()
        .expect("hover")
        .contains("board value"));
    let (code, _) = s.shutdown();
    assert_eq!(code, Some(0));
}

#[test]
fn crlf_and_non_ascii_before_an_error() {
    let uri = "file:///work/crlf.wb";
    let text = "# é𝄞 — a comment\r\nboard 1\r\nwrite é_free = 1 # 𝄞𝄞\r\nwrite b = zz # ünknown\r\n";
    // `é_free` is not a name: a syntax error, at its UTF-16 column 6.
    for (utf8, column) in [(false, 6), (true, 6)] {
        let mut s = Server::start(utf8);
        s.open(uri, text);
        let d = s.diagnostics(uri);
        let first = &d["diagnostics"][0];
        assert_eq!(
            first["range"]["start"],
            json!({"line": 2, "character": column}),
            "{d}"
        );
        s.shutdown();
    }
    let text = "# é𝄞\r\nboard 1\r\nwrite a = 1 # 𝄞\r\nwrite b = zz\r\n";
    for (utf8, column) in [(false, 10), (true, 10)] {
        let mut s = Server::start(utf8);
        s.open(uri, text);
        let d = s.diagnostics(uri);
        let unknown = d["diagnostics"]
            .as_array()
            .expect("list")
            .iter()
            .find(|d| d["code"] == "wb::unknown_name")
            .expect("unknown name")
            .clone();
        assert_eq!(
            unknown["range"],
            json!({"start": {"line": 3, "character": column},
                                            "end": {"line": 3, "character": column + 2}})
        );
        s.shutdown();
    }
    // A column after non-ASCII text differs between the encodings.
    let text = "board 1\r\nwrite a = 1 # 𝄞é\r\nread a, zz # 𝄞\r\n";
    for (utf8, character) in [(false, 18), (true, 21)] {
        let mut s = Server::start(utf8);
        s.open(uri, text);
        let hover = s.result(
            "textDocument/hover",
            at(uri, json!({"line": 1, "character": character})),
        );
        assert_eq!(hover, Value::Null, "the end of a comment is no name");
        let line_end = s.result(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri},
                   "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}}),
        );
        assert_eq!(line_end[0]["position"], json!({"line": 1, "character": 11}));
        s.shutdown();
    }
}

#[test]
fn requests_it_cannot_read_get_errors_and_the_server_goes_on() {
    let mut s = Server::start(false);
    s.open(URI, OVERFLOW);
    let bad = s.request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let unknown = s.request("textDocument/nonsense", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let closed = s.request(
        "textDocument/hover",
        at("file:///nowhere.wb", json!({"line": 0, "character": 0})),
    );
    assert_eq!(closed["error"]["code"], -32602, "{closed}");
    s.notify("textDocument/didChange", json!({"garbage": true}));
    let far = s.result(
        "textDocument/hover",
        at(
            URI,
            json!({"line": 4000000000u64, "character": 4000000000u64}),
        ),
    );
    assert_eq!(far, Value::Null);
    let ok = s.result("textDocument/hover", at(URI, pos(OVERFLOW, "bd + a", 0, 1)));
    assert!(ok["contents"].is_object());
    let (code, err) = s.shutdown();
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn exit_without_shutdown_is_an_error_exit() {
    let mut s = Server::start(false);
    s.notify("exit", Value::Null);
    let (code, err) = s.finish();
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("before `shutdown`"), "{err}");
}

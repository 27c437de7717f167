//! Every machine-applicable quick fix `wb lsp` offers (the preferred ones),
//! followed: applied to the document, which is then checked again through
//! the server. The diagnostic it promised to fix is gone, and nothing
//! appears that was not there before. A maybe-incorrect fix is offered but
//! never preferred; it must still remove what it promised.

mod lsp_support;

use serde_json::{json, Value};

use lsp_support::{apply, Server};

/// A diagnostic as compared before and after: an error's code and the
/// first line of its message (the help, which names lines, may change); a
/// warning's code (a value still unread is still a `dead_write`, though
/// its message now says where it is forgotten).
fn key(d: &Value) -> (String, String) {
    let message = d["message"].as_str().expect("message");
    let error = d["severity"] == 1;
    (
        d["code"].as_str().expect("code").to_owned(),
        if error {
            message.lines().next().unwrap_or("").to_owned()
        } else {
            String::new()
        },
    )
}

fn programs() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for dir in ["tests/golden/check", "examples/errors", "examples"] {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "wb") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_quick_fix_removes_its_diagnostic_and_adds_none() {
    let mut s = Server::start(false);
    let mut followed = 0;
    let mut maybe = 0;
    for (n, path) in programs().iter().enumerate() {
        let text = std::fs::read_to_string(path).expect("read");
        let uri = format!("file:///fixes/{n}.wb");
        s.open(&uri, &text);
        let before: Vec<Value> = s.diagnostics(&uri)["diagnostics"]
            .as_array()
            .expect("list")
            .clone();
        for d in &before {
            let actions = s.result(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": d["range"],
                       "context": {"diagnostics": [d]}}),
            );
            for a in actions.as_array().expect("actions") {
                if a["kind"] != "quickfix" || a["diagnostics"][0]["range"] != d["range"] {
                    continue;
                }
                let preferred = a["isPreferred"] == true;
                let edits = a["edit"]["changes"][&uri].as_array().expect("edits");
                let fixed = apply(&text, edits);
                let check = format!("file:///fixes/{n}-fixed-{followed}.wb");
                s.open(&check, &fixed);
                let after: Vec<(String, String)> = s.diagnostics(&check)["diagnostics"]
                    .as_array()
                    .expect("list")
                    .iter()
                    .map(key)
                    .collect();
                let mut allowed: Vec<(String, String)> = before.iter().map(key).collect();
                let i = allowed.iter().position(|k| *k == key(d)).expect("itself");
                allowed.remove(i);
                let promised_gone = after.iter().filter(|k| **k == key(d)).count()
                    < before.iter().filter(|x| key(x) == key(d)).count();
                assert!(
                    promised_gone,
                    "{}: `{}` did not remove {:?}:\n{fixed}",
                    path.display(),
                    a["title"],
                    key(d)
                );
                if !preferred {
                    maybe += 1;
                    continue;
                }
                for k in &after {
                    let j = allowed.iter().position(|x| x == k);
                    assert!(
                        j.is_some(),
                        "{}: `{}` brought {k:?}:\n{fixed}",
                        path.display(),
                        a["title"]
                    );
                    allowed.remove(j.expect("checked"));
                }
                followed += 1;
            }
        }
    }
    eprintln!("{followed} machine-applicable quick fixes followed, {maybe} maybe-incorrect ones");
    assert!(
        followed >= 5,
        "only {followed} machine-applicable quick fixes were offered"
    );
    s.shutdown();
}

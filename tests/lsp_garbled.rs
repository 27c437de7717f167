//! Nothing a client sends crashes `wb lsp`: random sessions of valid and
//! garbled JSON-RPC (bad headers, a wrong `Content-Length`, bodies that are
//! not UTF-8 or not JSON, wrong params, positions out of range, huge
//! numbers, requests before `initialize`, unknown methods, edits past the
//! end) run through the server's own message loop and framing
//! (`wb::lsp::serve_io`, what `wb lsp` runs on standard input and output),
//! in process. Each session ends, within a time limit and without a panic;
//! every request read before the framing was lost gets exactly one answer,
//! the error JSON-RPC prescribes where there is one, and the server's
//! answers come in the order of the requests.

mod lsp_support;

use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{json, Value};

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs a session on `input`; the server's result and the messages it wrote.
fn session(input: Vec<u8>) -> (Result<(), String>, Vec<Value>) {
    let out = Shared::default();
    let writer = out.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(move || wb::lsp::serve_io(Cursor::new(input), writer));
        let _ = tx.send(r);
    });
    let result = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the session ends within 20 s")
        .unwrap_or_else(|_| panic!("the server panicked"));
    let bytes = out.0.lock().expect("lock").clone();
    (result, frames(&bytes))
}

/// The messages in the server's output (which must be well framed JSON).
fn frames(mut bytes: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let head_end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header");
        let head = std::str::from_utf8(&bytes[..head_end]).expect("ASCII header");
        let len: usize = head
            .strip_prefix("Content-Length: ")
            .expect("Content-Length")
            .parse()
            .expect("a length");
        let body = &bytes[head_end + 4..head_end + 4 + len];
        out.push(serde_json::from_slice(body).expect("the server writes JSON"));
        bytes = &bytes[head_end + 4 + len..];
    }
    out
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// What the answer to a request must be.
#[derive(Clone, Debug, PartialEq)]
enum Expect {
    /// A result (any), or one of these error codes.
    Result(Vec<i64>),
    /// An error with this code.
    Error(i64),
}

/// One piece of a session.
#[derive(Clone, Debug)]
enum Chunk {
    Initialize,
    Open(u8, String),
    Change(u8, Value, String),
    /// A request: method, params, whether the params are of the right shape.
    Request(&'static str, Value, bool),
    /// A frame whose body is this (invalid) text or bytes, answered with
    /// a parse error.
    NotJson(Vec<u8>),
    /// JSON that is no JSON-RPC message, with the id it carries, if any.
    NotAMessage(Value, Value),
    /// A response from the client (ignored once initialized).
    Response,
    /// Framing lost: the session may end here.
    Broken(Vec<u8>),
}

const URIS: [&str; 3] = ["file:///g/a.wb", "file:///g/b.wb", "file:///g/never.wb"];

const TEXTS: &[&str] = &[
    "board 2\ninput a = 1\nwrite x = a\nread x\nforget x\n",
    "board 1\r\nwrite é = 1\r\n# 𝄞 comment\r\nread zz\r\n",
    "board 1\nwrite a = 1\nwrite b = 2\nread a, b\n",
    "board 2\nstream s = [1]\neach s {\n  write w = s\n  read w\n",
    "board 2\ninput a = 1, b = 2\nwrite x = a + b\nwrite y = a * b\nwrite z = x + 1\nread z\nforget x, z\nwrite w = y + 1\nread w\n",
    "",
    "𝄞𝄞𝄞\u{0}\u{7f}",
];

fn number() -> impl Strategy<Value = (Value, bool)> {
    prop_oneof![
        (0u32..12).prop_map(|n| (json!(n), true)),
        Just((json!(u32::MAX), true)),
        Just((json!(2147483648u64), true)),
        Just((json!(u64::MAX), false)),
        Just((json!(-1), false)),
        Just((json!(1e300), false)),
        Just((json!("3"), false)),
    ]
}

fn position() -> impl Strategy<Value = (Value, bool)> {
    (number(), number())
        .prop_map(|((l, lo), (c, co))| (json!({"line": l, "character": c}), lo && co))
}

fn range() -> impl Strategy<Value = (Value, bool)> {
    (position(), position())
        .prop_map(|((s, so), (e, eo))| (json!({"start": s, "end": e}), so && eo))
}

fn uri() -> impl Strategy<Value = u8> {
    0u8..3
}

fn request() -> impl Strategy<Value = Chunk> {
    let methods = prop_oneof![
        Just("textDocument/hover"),
        Just("textDocument/completion"),
        Just("textDocument/definition"),
        Just("textDocument/references"),
        Just("textDocument/prepareRename"),
        Just("textDocument/rename"),
        Just("textDocument/documentSymbol"),
        Just("textDocument/codeAction"),
        Just("textDocument/formatting"),
        Just("textDocument/inlayHint"),
        Just("wb/unknown"),
        Just("initialize"),
    ];
    let garbage = prop_oneof![
        Just(Value::Null),
        Just(json!(5)),
        Just(json!("text")),
        Just(json!([1, 2])),
        Just(json!({"textDocument": 3})),
        Just(json!({"textDocument": {"uri": "file:///g/a.wb"}, "position": {"line": "x"}})),
    ];
    (
        methods,
        uri(),
        position(),
        range(),
        "[a-zé_]{0,4}",
        prop::option::weighted(0.8, Just(())),
        garbage,
    )
        .prop_map(|(method, u, (p, pok), (r, rok), name, good, garbage)| {
            let doc = json!({"uri": URIS[u as usize]});
            let params = match method {
                "textDocument/documentSymbol"
                | "textDocument/formatting"
                | "textDocument/semanticTokens/full" => {
                    json!({"textDocument": doc, "options": {"tabSize": 2, "insertSpaces": true}})
                }
                "textDocument/codeAction" => {
                    json!({"textDocument": doc, "range": r, "context": {"diagnostics": []}})
                }
                "textDocument/inlayHint" => json!({"textDocument": doc, "range": r}),
                "textDocument/references" => json!({"textDocument": doc, "position": p,
                                                    "context": {"includeDeclaration": true}}),
                "textDocument/rename" => {
                    json!({"textDocument": doc, "position": p, "newName": name})
                }
                "initialize" => json!({"capabilities": {}}),
                _ => json!({"textDocument": doc, "position": p}),
            };
            let shaped = match method {
                "textDocument/documentSymbol"
                | "textDocument/formatting"
                | "textDocument/semanticTokens/full"
                | "initialize"
                | "wb/unknown" => true,
                "textDocument/codeAction" | "textDocument/inlayHint" => rok,
                _ => pok,
            };
            match good {
                Some(()) => Chunk::Request(method, params, shaped),
                None => {
                    // The last garbage is a document and a bad position:
                    // well-shaped for a request that takes no position.
                    let fits = method == "wb/unknown"
                        || (method == "textDocument/documentSymbol"
                            && garbage["textDocument"]["uri"].is_string());
                    Chunk::Request(method, garbage, fits)
                }
            }
        })
}

fn chunk() -> impl Strategy<Value = Chunk> {
    prop_oneof![
        1 => Just(Chunk::Initialize),
        3 => (uri(), 0..TEXTS.len()).prop_map(|(u, t)| Chunk::Open(u, TEXTS[t].to_owned())),
        4 => (uri(), range(), "[a-z 0-9=+\n\r{}é𝄞#]{0,12}")
            .prop_map(|(u, (r, _), text)| Chunk::Change(u, r, text)),
        8 => request(),
        1 => prop_oneof![
            Just(b"{not json".to_vec()),
            Just(b"".to_vec()),
            Just(vec![0xff, 0xfe, b'{', b'}']),
            Just(b"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":\"\xc3\x28\"}".to_vec()),
            Just(b"[1, 2, 3".to_vec()),
        ].prop_map(Chunk::NotJson),
        1 => prop_oneof![
            Just((json!([1, 2]), Value::Null)),
            Just((json!(42), Value::Null)),
            Just((json!({"jsonrpc": "2.0", "id": {"no": 1}, "method": "x"}), Value::Null)),
            Just((json!({"jsonrpc": "2.0", "id": 9001, "method": 5}), json!(9001))),
            Just((json!({"jsonrpc": "2.0", "id": "s9002", "method": ["hover"]}), json!("s9002"))),
            Just((json!({"jsonrpc": "2.0", "id": 1e300, "method": "textDocument/hover"}), json!(1e300))),
            Just((json!({"jsonrpc": "2.0", "id": 4294967296u64, "method": "shutdown"}), json!(4294967296u64))),
        ].prop_map(|(v, id)| Chunk::NotAMessage(v, id)),
        1 => Just(Chunk::Response),
        1 => prop_oneof![
            Just(b"Content-Length: abc\r\n\r\n{}".to_vec()),
            Just(b"Content-Length: 5\n\n{}".to_vec()),
            Just(b"Content-Type: x\r\n\r\n{}".to_vec()),
            Just(b"no colon here\r\n\r\n".to_vec()),
            Just(b"Content-Length: 99999999999999999\r\n\r\n{\"jsonrpc\":\"2.0\"}".to_vec()),
            Just(b"Content-Length: 18446744073709551615\r\n\r\n{}".to_vec()),
            Just(b"Content-Length: 99999999999999999999999\r\n\r\n{}".to_vec()),
            Just(b"Content-Length: 3\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}".to_vec()),
            Just(b"Content-Length: 400\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}".to_vec()),
            Just(vec![b'x'; 70 * 1024]),
        ].prop_map(Chunk::Broken),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn garbled_sessions_end_and_every_request_is_answered(
        init in prop::bool::weighted(0.85),
        chunks in prop::collection::vec(chunk(), 0..30),
        end in prop::bool::weighted(0.8),
    ) {
        let mut input = Vec::new();
        // Requests sent, by id, with the answer expected; `None` once the
        // framing is lost (whatever comes after may be read or not).
        let mut expected: Vec<(Value, Expect, bool)> = Vec::new();
        let mut initialized = false;
        let mut open = [false; 3];
        let mut broken = false;
        let mut ended = false;
        let mut next = 0i64;
        let mut all = Vec::new();
        if init {
            all.push(Chunk::Initialize);
        }
        all.extend(chunks);
        for c in all {
            let mut expect = |id: Value, e: Expect, by_server: bool, broken: bool| {
                if !broken {
                    expected.push((id, e, by_server));
                }
            };
            match c {
                Chunk::Initialize => {
                    next += 1;
                    let body = json!({"jsonrpc": "2.0", "id": next, "method": "initialize",
                                      "params": {"capabilities": {}}});
                    input.extend(frame(body.to_string().as_bytes()));
                    let e = if initialized { Expect::Error(-32600) } else { Expect::Result(vec![]) };
                    expect(json!(next), e, true, broken);
                    if !initialized {
                        let n = json!({"jsonrpc": "2.0", "method": "initialized", "params": {}});
                        input.extend(frame(n.to_string().as_bytes()));
                    }
                    initialized = true;
                }
                Chunk::Open(u, text) => {
                    let n = json!({"jsonrpc": "2.0", "method": "textDocument/didOpen",
                        "params": {"textDocument": {"uri": URIS[u as usize], "languageId": "wb",
                                   "version": 1, "text": text}}});
                    input.extend(frame(n.to_string().as_bytes()));
                    if initialized {
                        open[u as usize] = true;
                    }
                }
                Chunk::Change(u, range, text) => {
                    let n = json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
                        "params": {"textDocument": {"uri": URIS[u as usize], "version": 2},
                                   "contentChanges": [{"range": range, "text": text}]}});
                    input.extend(frame(n.to_string().as_bytes()));
                }
                Chunk::Request(method, params, shaped) => {
                    next += 1;
                    let body = json!({"jsonrpc": "2.0", "id": next, "method": method, "params": params});
                    input.extend(frame(body.to_string().as_bytes()));
                    let u = params["textDocument"]["uri"].as_str()
                        .and_then(|s| URIS.iter().position(|x| *x == s));
                    let e = if !initialized {
                        if method == "initialize" {
                            Expect::Result(vec![])
                        } else {
                            Expect::Error(-32002)
                        }
                    } else if method == "initialize" {
                        Expect::Error(-32600)
                    } else if method == "wb/unknown" {
                        Expect::Error(-32601)
                    } else if !shaped || !u.is_some_and(|u| open[u]) {
                        // Params of the wrong shape, or a document not open:
                        // invalid params.
                        Expect::Error(-32602)
                    } else {
                        // Rename to a bad name, formatting a file that does
                        // not parse: the request failed.
                        Expect::Result(vec![-32803])
                    };
                    if method == "initialize" && !initialized {
                        let n = json!({"jsonrpc": "2.0", "method": "initialized", "params": {}});
                        input.extend(frame(n.to_string().as_bytes()));
                        initialized = true;
                    }
                    expect(json!(next), e, true, broken);
                }
                Chunk::NotJson(body) => {
                    input.extend(frame(&body));
                    expect(Value::Null, Expect::Error(-32700), false, broken);
                }
                Chunk::NotAMessage(v, id) => {
                    input.extend(frame(v.to_string().as_bytes()));
                    expect(id, Expect::Error(-32600), false, broken);
                }
                Chunk::Response => {
                    let r = json!({"jsonrpc": "2.0", "id": 77, "result": null});
                    input.extend(frame(r.to_string().as_bytes()));
                    if !initialized {
                        // A response before `initialize` ends the handshake.
                        broken = true;
                    }
                }
                Chunk::Broken(bytes) => {
                    input.extend(bytes);
                    broken = true;
                }
            }
        }
        if end {
            next += 1;
            let s = json!({"jsonrpc": "2.0", "id": next, "method": "shutdown", "params": null});
            input.extend(frame(s.to_string().as_bytes()));
            let e = if initialized { Expect::Result(vec![]) } else { Expect::Error(-32002) };
            if !broken {
                expected.push((json!(next), e, true));
            }
            let x = json!({"jsonrpc": "2.0", "method": "exit"});
            input.extend(frame(x.to_string().as_bytes()));
            ended = true;
        }
        let (result, out) = session(input);
        if let Err(e) = &result {
            prop_assert!(!e.contains("thread failed"), "{}", e);
        }
        if !broken && ended && initialized {
            prop_assert_eq!(&result, &Ok(()));
        }
        if !broken && !initialized {
            prop_assert!(result.is_err(), "no initialize, yet {:?}", result);
        }
        let answers: Vec<&Value> = out.iter().filter(|m| m.get("method").is_none()).collect();
        // The server's answers (those with a request's id) in order.
        let mut last = 0usize;
        for (id, e, by_server) in &expected {
            let found: Vec<(usize, &&Value)> = answers
                .iter()
                .enumerate()
                .filter(|(_, a)| a["id"] == *id && (!id.is_null() || a["error"]["code"] == json!(match e { Expect::Error(c) => *c, _ => 0 })))
                .collect();
            if id.is_null() || !by_server {
                // The framing's answers: the same garbled frame may come twice.
                prop_assert!(!found.is_empty(), "no {:?} answer for {} in {:#?}", e, id, out);
                continue;
            }
            prop_assert_eq!(found.len(), 1, "request {} answered {} times: {:#?}", id, found.len(), out);
            let (at, a) = found[0];
            if *by_server {
                prop_assert!(at >= last, "answers out of order: {:#?}", out);
                last = at;
            }
            match e {
                Expect::Error(code) => {
                    prop_assert_eq!(&a["error"]["code"], &json!(code), "request {}: {}", id, a);
                }
                Expect::Result(codes) => {
                    if let Some(err) = a.get("error") {
                        let c = err["code"].as_i64().unwrap_or(0);
                        prop_assert!(codes.contains(&c), "request {}: {}", id, a);
                    } else {
                        prop_assert!(a.get("result").is_some(), "{}", a);
                    }
                }
            }
        }
    }
}

#[test]
fn a_huge_content_length_ends_the_session_with_a_message() {
    // The claimed length is not allocated: the input ends first.
    let mut input =
        frame(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#);
    input.extend(b"Content-Length: 99999999999999\r\n\r\n{\"jsonrpc\":\"2.0\"}");
    let (result, out) = session(input);
    let err = result.expect_err("the framing is lost");
    assert!(err.contains("the input ended inside a message"), "{err}");
    assert_eq!(out[0]["id"], 1);
    // The real binary says so on standard error and exits with 1.
    let mut s = lsp_support::Server::start(false);
    s.send_raw(b"Content-Length: 99999999999999\r\n\r\n{}");
    let (code, err) = s.finish();
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("wb lsp: unreadable input"), "{err}");
}

#[test]
fn frames_that_are_not_json_rpc_get_error_answers_from_the_binary() {
    let mut s = lsp_support::Server::start(false);
    s.send_raw(&frame(b"{not json"));
    let m = s.next();
    assert_eq!(m["error"]["code"], -32700, "{m}");
    assert_eq!(m["id"], Value::Null);
    s.send_raw(&frame(&[0xff, 0xfe]));
    assert_eq!(s.next()["error"]["code"], -32700);
    s.send_raw(&frame(br#"{"jsonrpc":"2.0","id":7,"method":5}"#));
    let m = s.next();
    assert_eq!(
        (m["id"].clone(), m["error"]["code"].clone()),
        (json!(7), json!(-32600))
    );
    // And the session goes on.
    let r = s.request("textDocument/nonsense", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let (code, err) = s.shutdown();
    assert_eq!(code, Some(0), "{err}");
}

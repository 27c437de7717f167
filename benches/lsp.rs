//! `wb lsp` latency on a 10,000-line program, in process over an in-memory
//! connection: the diagnostics published after a change, against the work
//! `wb check` does on the same text (parse, check, fixes followed); hover
//! and completion answered on it. Run with `cargo bench --bench lsp`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

/// About 10,000 lines: blocks of writes, reads and forgets, and loops.
fn program() -> String {
    let mut out = String::from("board 4\ninput a = 1, b = 2\nstream s = [1, 2, 3]\n");
    let mut i = 0;
    while out.lines().count() < 10_000 {
        out.push_str(&format!(
            "write x{i} = a * 2\nwrite y{i} = x{i} + b\nforget x{i}\nwrite z{i} = y{i} * y{i}\n\
             read z{i}\nforget y{i}, z{i}\neach s {{\n  write w{i} = s + a\n  read w{i}\n  forget w{i}\n}}\n"
        ));
        i += 1;
    }
    out
}

struct Client {
    conn: Connection,
    next: i32,
}

impl Client {
    fn start() -> (Client, std::thread::JoinHandle<()>) {
        let (server, client) = Connection::memory();
        let handle = std::thread::spawn(move || {
            let _ = wb::lsp::serve(&server);
        });
        let mut c = Client {
            conn: client,
            next: 0,
        };
        c.request("initialize", json!({"capabilities": {}}));
        c.notify("initialized", json!({}));
        (c, handle)
    }

    fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.to_owned(), params);
        self.conn
            .sender
            .send(Message::Notification(n))
            .expect("send");
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        let r = Request::new(id.clone(), method.to_owned(), params);
        self.conn.sender.send(Message::Request(r)).expect("send");
        loop {
            match self.conn.receiver.recv().expect("answer") {
                Message::Response(resp) if resp.id == id => {
                    return resp.response_result.unwrap_or(Value::Null)
                }
                _ => {}
            }
        }
    }

    fn wait_diagnostics(&self) -> usize {
        loop {
            if let Message::Notification(n) = self.conn.receiver.recv().expect("message") {
                if n.method == "textDocument/publishDiagnostics" {
                    return n.params["diagnostics"].as_array().map_or(0, Vec::len);
                }
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let text = program();
    let uri = "file:///bench/big.wb";
    let mut g = c.benchmark_group("lsp_10k_lines");
    g.measurement_time(Duration::from_secs(3)).sample_size(20);
    g.bench_function("wb_check_work", |b| {
        b.iter(|| {
            let parsed = wb::syntax::parse(&text);
            let a = wb::check::check_source(&parsed.program, &text, None);
            std::hint::black_box(a.diagnostics.len())
        })
    });
    let (mut client, server) = Client::start();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "wb", "version": 1, "text": text}}),
    );
    assert_eq!(client.wait_diagnostics(), 0);
    let mut version = 1;
    // A one-character edit on line 5 (the write's value `2` ↔ `3`).
    g.bench_function("change_to_diagnostics", |b| {
        b.iter(|| {
            version += 1;
            let digit = if version % 2 == 0 { "3" } else { "2" };
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version},
                       "contentChanges": [{"range": {"start": {"line": 3, "character": 15},
                                                     "end": {"line": 3, "character": 16}},
                                           "text": digit}]}),
            );
            std::hint::black_box(client.wait_diagnostics())
        })
    });
    let last = text.lines().count() - 3;
    let hover_at =
        json!({"textDocument": {"uri": uri}, "position": {"line": last, "character": 9}});
    // The first question after a change pays for the occurrences and lives.
    client.request("textDocument/hover", hover_at.clone());
    g.bench_function("hover_last_lines", |b| {
        b.iter(|| client.request("textDocument/hover", hover_at.clone()))
    });
    let complete_at =
        json!({"textDocument": {"uri": uri}, "position": {"line": last, "character": 8}});
    g.bench_function("completion_last_lines", |b| {
        b.iter(|| client.request("textDocument/completion", complete_at.clone()))
    });
    // A top-level `read z…` four lines above.
    let top_at =
        json!({"textDocument": {"uri": uri}, "position": {"line": last - 4, "character": 6}});
    g.bench_function("completion_top_level", |b| {
        b.iter(|| client.request("textDocument/completion", top_at.clone()))
    });
    // As typing goes: a change, its diagnostics, then a completion on the
    // new version (which pays for the new check's occurrences).
    g.bench_function("change_then_completion", |b| {
        b.iter(|| {
            version += 1;
            let digit = if version % 2 == 0 { "3" } else { "2" };
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version},
                       "contentChanges": [{"range": {"start": {"line": 3, "character": 15},
                                                     "end": {"line": 3, "character": 16}},
                                           "text": digit}]}),
            );
            client.request("textDocument/completion", complete_at.clone())
        })
    });
    g.finish();
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    let _ = server.join();
}

criterion_group!(benches, bench);
criterion_main!(benches);

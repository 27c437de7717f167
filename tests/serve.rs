//! `wb serve` over HTTP: every endpoint answers with the command line's
//! JSON, and the server refuses what is not its own page's (wrong Host or
//! Origin), bodies past its cap, runs past its limits, and any path but
//! its own; it saves only when asked, atomically, and not over a file that
//! changed on disk; Ctrl-C stops it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
    file: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(text: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prog.wb");
    std::fs::write(&file, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wb"))
        .arg("serve")
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // `wb serve: http://127.0.0.1:PORT/  (Ctrl-C stops)`
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Server {
        child,
        port,
        _dir: dir,
        file,
    }
}

/// One request with these headers; the status and the body.
fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.0\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let at = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(out.len(), |p| p + 4);
    (status, out[at..].to_vec())
}

fn own(port: u16) -> Vec<(&'static str, String)> {
    vec![("Host", format!("127.0.0.1:{port}"))]
}

fn post(port: u16, path: &str, body: &str) -> (u16, Vec<u8>) {
    request(port, "POST", path, &own(port), body.as_bytes())
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

const WHITEBOARD: &str = include_str!("../examples/whiteboard.wb");
const OVERFLOW: &str = include_str!("../examples/errors/overflow.wb");

#[test]
fn the_page_and_its_script_are_served() {
    let s = start(WHITEBOARD);
    let (code, page) = request(s.port, "GET", "/", &own(s.port), b"");
    assert_eq!(code, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("<textarea id=\"src\""));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network"
    );
    let (code, js) = request(s.port, "GET", "/page.js", &own(s.port), b"");
    assert_eq!(code, 200);
    assert!(String::from_utf8(js).unwrap().contains("/api/run"));
    let (code, file) = request(s.port, "GET", "/api/file", &own(s.port), b"");
    assert_eq!(code, 200);
    assert_eq!(json(&file)["text"], WHITEBOARD);
}

#[test]
fn check_answers_as_wb_check_does() {
    let s = start(WHITEBOARD);
    let (code, body) = post(s.port, "/api/check", OVERFLOW);
    assert_eq!(code, 200);
    let served = json(&body);
    let cli = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(["check", "--format", "json", "examples/errors/overflow.wb"])
        .output()
        .unwrap();
    let mut cli = json(&cli.stdout);
    for d in cli["diagnostics"].as_array_mut().unwrap() {
        d.as_object_mut().unwrap().remove("file");
    }
    assert_eq!(served, cli);
    assert_eq!(served["diagnostics"][0]["code"], "wb::board_full");
}

#[test]
fn run_answers_as_wb_run_json_trace_does() {
    let s = start(WHITEBOARD);
    let body = serde_json::json!({"text": WHITEBOARD, "sets": [], "streams": []}).to_string();
    let (code, served) = post(s.port, "/api/run", &body);
    assert_eq!(code, 200);
    let cli = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(["run", "--json", "--trace", "examples/whiteboard.wb"])
        .output()
        .unwrap();
    assert_eq!(json(&served), json(&cli.stdout));
    assert_eq!(json(&served)["reads"][0]["value"], 181);
    // Inputs from the form.
    let body = serde_json::json!({"text": WHITEBOARD, "sets": ["a=2"], "streams": []}).to_string();
    let (_, served) = post(s.port, "/api/run", &body);
    assert_eq!(
        json(&served)["reads"][0]["value"],
        2 * 11 + 2 * 5 * (33 + 2)
    );
}

#[test]
fn compile_and_gates_answer_as_the_command_line() {
    let s = start(WHITEBOARD);
    let (code, served) = post(s.port, "/api/compile", WHITEBOARD);
    assert_eq!(code, 200);
    let cli = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(["compile", "--emit", "json", "examples/whiteboard.wb"])
        .output()
        .unwrap();
    assert_eq!(json(&served), json(&cli.stdout));
    let (code, svg) = post(s.port, "/api/gates.svg", WHITEBOARD);
    assert_eq!(code, 200);
    assert!(String::from_utf8(svg).unwrap().starts_with("<svg"));
    let (code, refused) = post(s.port, "/api/compile", OVERFLOW);
    assert_eq!(code, 422);
    assert_eq!(json(&refused)["diagnostics"][0]["code"], "wb::board_full");
}

#[test]
fn a_wrong_host_or_origin_is_refused() {
    let s = start(WHITEBOARD);
    let p = s.port;
    for headers in [
        vec![("Host", format!("evil.example:{p}"))],
        vec![("Host", format!("127.0.0.1:{}", p.wrapping_add(1)))],
        vec![],
        vec![
            ("Host", format!("127.0.0.1:{p}")),
            ("Origin", "http://evil.example".to_owned()),
        ],
        vec![
            ("Host", format!("localhost:{p}")),
            ("Origin", format!("https://localhost:{p}")),
        ],
    ] {
        let (code, _) = request(p, "GET", "/api/file", &headers, b"");
        assert_eq!(code, 403, "{headers:?}");
    }
    let ok = vec![
        ("Host", format!("localhost:{p}")),
        ("Origin", format!("http://localhost:{p}")),
    ];
    assert_eq!(request(p, "GET", "/api/file", &ok, b"").0, 200);
}

#[test]
fn a_huge_body_is_refused() {
    let s = start(WHITEBOARD);
    let big = vec![b'#'; 2 << 20];
    let (code, _) = request(s.port, "POST", "/api/check", &own(s.port), &big);
    assert_eq!(code, 413);
}

#[test]
fn an_endless_loop_is_stopped_with_its_diagnostic() {
    let s = start(WHITEBOARD);
    // Past the step limit.
    let body =
        serde_json::json!({"text": "board 1\nrepeat 1000000000 {\n  write a = 1\n  forget a\n}\n"})
            .to_string();
    let (code, out) = post(s.port, "/api/run", &body);
    assert_eq!(code, 200);
    let v = json(&out);
    let error = v["diagnostics"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["severity"] == "error"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(error["code"], "wb::step_limit", "{error}");
    assert_eq!(v["trace"]["complete"], false);
    // The server still answers.
    assert_eq!(post(s.port, "/api/check", WHITEBOARD).0, 200);
}

#[test]
fn no_path_but_its_own_is_served() {
    let s = start(WHITEBOARD);
    for path in [
        "/../../etc/passwd",
        "/etc/passwd",
        "/api/file/../../etc/passwd",
        "/src/serve/mod.rs",
        "/%2e%2e/Cargo.toml",
    ] {
        let (code, body) = request(s.port, "GET", path, &own(s.port), b"");
        assert_eq!(code, 404, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("root:"));
    }
}

#[test]
fn saving_writes_the_file_only_when_unchanged_on_disk() {
    let s = start(OVERFLOW);
    let (_, file) = request(s.port, "GET", "/api/file", &own(s.port), b"");
    let hash = json(&file)["hash"].as_str().unwrap().to_owned();
    assert_eq!(
        std::fs::read_to_string(&s.file).unwrap(),
        OVERFLOW,
        "loading writes nothing"
    );
    let body = serde_json::json!({"text": WHITEBOARD, "hash": hash}).to_string();
    let (code, saved) = post(s.port, "/api/save", &body);
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&saved));
    assert_eq!(std::fs::read_to_string(&s.file).unwrap(), WHITEBOARD);
    // The page's hash is now stale for the old text; someone edits the file.
    std::fs::write(&s.file, "board 1\n").unwrap();
    let new_hash = json(&saved)["hash"].as_str().unwrap().to_owned();
    let body = serde_json::json!({"text": OVERFLOW, "hash": new_hash}).to_string();
    let (code, why) = post(s.port, "/api/save", &body);
    assert_eq!(code, 409);
    assert!(String::from_utf8_lossy(&why).contains("changed on disk"));
    assert_eq!(
        std::fs::read_to_string(&s.file).unwrap(),
        "board 1\n",
        "nothing lost"
    );
}

#[test]
fn ctrl_c_stops_the_server() {
    let mut s = start(WHITEBOARD);
    // SAFETY: a plain signal to a child this test started.
    let rc = unsafe { libc::kill(s.child.id() as i32, libc::SIGINT) };
    assert_eq!(rc, 0);
    let mut status = None;
    for _ in 0..50 {
        if let Some(st) = s.child.try_wait().unwrap() {
            status = Some(st);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(status.and_then(|s| s.code()), Some(0), "stopped within 5 s");
}

#[test]
fn it_listens_on_loopback_only() {
    let s = start(WHITEBOARD);
    let out = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args([
            "serve",
            "--port",
            &s.port.to_string(),
            "examples/whiteboard.wb",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "the port is taken");
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1"));
}

#[test]
fn a_slow_run_is_stopped_by_the_time_limit() {
    let s = start(WHITEBOARD);
    // Few statements, each of 100 000 additions: the step limit is far,
    // the 2 s limit is not.
    let sum = vec!["1"; 100_000].join("+");
    let text = format!("board 1\nrepeat 100000 {{\n  write a = {sum}\n  forget a\n}}\n");
    let body = serde_json::json!({ "text": text }).to_string();
    let started = std::time::Instant::now();
    let (code, out) = post(s.port, "/api/run", &body);
    assert_eq!(code, 200);
    let v = json(&out);
    let error = v["diagnostics"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["severity"] == "error"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(error["code"], "wb::interrupted", "{error}");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("longer than 2 s"));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// `wb report NAME ARGS` run where the served file is (its name as the
/// page's): the page it writes.
fn wb_report(s: &Server, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_wb"))
        .arg("report")
        .arg("prog.wb")
        .args(args)
        .current_dir(s.file.parent().unwrap())
        .output()
        .unwrap();
    assert!(
        !out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn the_report_is_wb_reports_page_byte_for_byte() {
    let s = start(WHITEBOARD);
    for (text, sets, args) in [
        (WHITEBOARD, vec![], vec![]),
        (WHITEBOARD, vec!["b=4"], vec!["--set", "b=4"]),
        // Errors: the report shows them, as `wb report` does.
        (OVERFLOW, vec![], vec![]),
    ] {
        std::fs::write(&s.file, text).unwrap();
        let body = serde_json::json!({ "text": text, "sets": sets }).to_string();
        let (code, served) = post(s.port, "/api/report", &body);
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&served));
        let cli = wb_report(&s, &args);
        assert!(
            served == cli,
            "the served report differs from `wb report prog.wb {args:?}`"
        );
        let page = String::from_utf8(served).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg"));
        assert!(!page.contains("<script"), "self-contained, no script");
    }
    assert!(String::from_utf8_lossy(
        &post(
            s.port,
            "/api/report",
            &serde_json::json!({"text": WHITEBOARD}).to_string()
        )
        .1
    )
    .contains("result = 181"));
}

#[test]
fn the_report_is_refused_as_the_other_endpoints_are() {
    let s = start(WHITEBOARD);
    let p = s.port;
    let body = serde_json::json!({ "text": WHITEBOARD }).to_string();
    for headers in [
        vec![("Host", format!("evil.example:{p}"))],
        vec![
            ("Host", format!("127.0.0.1:{p}")),
            ("Origin", "http://evil.example".to_owned()),
        ],
    ] {
        let (code, out) = request(p, "POST", "/api/report", &headers, body.as_bytes());
        assert_eq!(code, 403, "{headers:?}");
        assert!(!String::from_utf8_lossy(&out).contains("<svg"));
    }
    let big = vec![b'#'; 2 << 20];
    assert_eq!(request(p, "POST", "/api/report", &own(p), &big).0, 413);
    // A stream from a file: the server reads no file but its own.
    let body = serde_json::json!({ "text": "board 1\nstream x\neach v in x {\n  read v\n}\n", "streams": ["x=@/etc/passwd"] }).to_string();
    let (code, why) = post(p, "/api/report", &body);
    assert_eq!(code, 400);
    assert!(String::from_utf8_lossy(&why).contains("not read here"));
    // An unknown input: the usage error.
    let body = serde_json::json!({ "text": WHITEBOARD, "sets": ["zz=1"] }).to_string();
    assert_eq!(post(p, "/api/report", &body).0, 400);
}

#[test]
fn the_report_of_an_endless_loop_stops_at_the_step_limit() {
    let s = start(WHITEBOARD);
    let text = "board 1\nrepeat 1000000000 {\n  write a = 1\n  forget a\n}\n";
    std::fs::write(&s.file, text).unwrap();
    let body = serde_json::json!({ "text": text }).to_string();
    let (code, served) = post(s.port, "/api/report", &body);
    assert_eq!(code, 200);
    let page = String::from_utf8(served.clone()).unwrap();
    assert!(
        page.contains("wb::step_limit"),
        "the diagnostic, in the report"
    );
    assert!(served == wb_report(&s, &["--max-steps", "200000"]));
}

#[test]
fn a_slow_report_is_refused_at_the_time_limit() {
    let s = start(WHITEBOARD);
    let sum = vec!["1"; 100_000].join("+");
    let text = format!("board 1\nrepeat 100000 {{\n  write a = {sum}\n  forget a\n}}\n");
    let body = serde_json::json!({ "text": text }).to_string();
    let (code, why) = post(s.port, "/api/report", &body);
    assert_eq!(code, 422);
    assert!(String::from_utf8_lossy(&why).contains("longer than 2 s"));
    assert_eq!(
        post(s.port, "/api/check", WHITEBOARD).0,
        200,
        "still answers"
    );
}

#[test]
fn the_gates_steps_and_their_statements_are_served_for_the_link() {
    // The page links a gates step (`data-step` in the SVG) to its
    // statements' lines (the compile JSON's schedule).
    let s = start(WHITEBOARD);
    let (_, svg) = post(s.port, "/api/gates.svg", WHITEBOARD);
    let svg = String::from_utf8(svg).unwrap();
    let (_, cell) = post(s.port, "/api/compile", WHITEBOARD);
    let cell = json(&cell);
    let steps = cell["schedule"].as_array().unwrap();
    for st in steps {
        let n = st["step"].as_u64().unwrap();
        assert!(
            svg.contains(&format!("class=\"step\" data-step=\"{n}\"")),
            "step {n}"
        );
        for stmt in st["statements"].as_array().unwrap() {
            let line = stmt["line"].as_u64().unwrap() as usize;
            let text = stmt["text"].as_str().unwrap();
            assert!(
                WHITEBOARD.lines().nth(line - 1).unwrap().contains(text),
                "{text} on line {line}"
            );
        }
    }
}

#[test]
fn a_cell_past_the_bound_is_refused_for_the_report_as_for_compile() {
    let s = start(WHITEBOARD);
    // 1 500 values all kept to the end: 1 500 units × 1 501 steps, past
    // 2 000 000 unit-steps.
    let mut text = String::from("board 1500\nwrite v0 = 1\n");
    for k in 1..1500 {
        text.push_str(&format!("write v{k} = v{} + 1\n", k - 1));
    }
    for k in 0..1500 {
        text.push_str(&format!("read v{k}\n"));
    }
    let body = serde_json::json!({ "text": text }).to_string();
    let (code, out) = post(s.port, "/api/report", &body);
    assert_eq!(code, 422, "{}", String::from_utf8_lossy(&out));
    let v = json(&out);
    assert_eq!(v["diagnostics"][0]["code"], "wb::step_limit");
    assert!(v["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("1500 units and 1501 steps"));
    assert_eq!(
        post(s.port, "/api/compile", &text).0,
        422,
        "as /api/compile"
    );
}

//! `wb serve`: the whiteboard in the browser. A loopback HTTP server (on
//! `tiny_http`) that serves one embedded page (`page.html`, `page.css`,
//! `page.js`, written here, no third-party code) and answers it with the
//! JSON the command line prints: the check (`wb check --format json`), the
//! run with its trace (`wb run --json --trace`, docs/json.md), the cell
//! (`wb compile --emit json`), the gates picture (`wb::picture`) and the
//! HTML report (`wb report`'s page, made by the command line's
//! [`ReportFn`] under the server's limits).
//!
//! It owns the server's rules: loopback only; a request whose `Host` or
//! `Origin` is not its own is refused (403, against DNS rebinding); bodies
//! are capped (413); every run is bounded in statements, time and output,
//! and past a bound refused with the diagnostic; the only file it reads or
//! writes is the one it was started on, written back only when the page
//! asks (`/api/save`), through [`crate::atomic`], and refused (409) when
//! the file changed on disk since the page loaded it.
//!
//! It must not know the language's rules: every answer comes from
//! `syntax`, `check`, `interp`, `cell`, `trace::json` and `picture`.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
use tiny_http::{Header, Method, Request, Response, Server};

use crate::check::{self, Analysis};
use crate::diag::{Code, Diagnostic};
use crate::interp::{self, Limits, Machine, Overrides};
use crate::syntax::{self, LineIndex, Program};
use crate::trace::json::JsonRun;

/// The largest request body taken, in bytes.
pub const MAX_BODY: usize = 1 << 20;
/// The most statements one run may execute.
pub const MAX_STEPS: u64 = 200_000;
/// The longest one run may take.
pub const MAX_TIME: Duration = Duration::from_secs(2);
/// The largest cell (units × nodes) `/api/compile` and the gates draw.
pub const MAX_CELL: usize = 2_000_000;

const PAGE: &str = include_str!("page.html");
const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");
/// The program the page opens on when no file was given.
const EXAMPLE: &str = include_str!("../../examples/whiteboard.wb");

/// What makes the HTML report (`wb report`'s page) of a program: its
/// name, text, `--set` and `--stream` values, the most statements to run
/// and the flag that stops the run; `Err` is a usage error. The command
/// line gives it ([`Serve::with_report`]), as it owns the report's
/// assembly.
pub type ReportFn =
    fn(&str, &str, &[String], &[String], u64, &AtomicBool) -> Result<String, String>;

/// A bound server, not yet answering.
pub struct Serve {
    server: Server,
    port: u16,
    file: Option<PathBuf>,
    report: Option<ReportFn>,
}

impl Serve {
    /// Binds `127.0.0.1:port` (a free port when `port` is 0) for `file`.
    pub fn bind(file: Option<PathBuf>, port: u16) -> Result<Serve, String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let server = Server::http(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .unwrap_or(port);
        Ok(Serve {
            server,
            port,
            file,
            report: None,
        })
    }

    /// Answers `/api/report` with `report`'s page.
    pub fn with_report(mut self, report: ReportFn) -> Serve {
        self.report = Some(report);
        self
    }

    /// The page's address.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Answers requests until `stop` becomes true (Ctrl-C).
    pub fn run(&self, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            match self.server.recv_timeout(Duration::from_millis(100)) {
                Ok(Some(request)) => self.answer(request),
                Ok(None) => {}
                Err(_) => break,
            }
        }
    }

    fn own(&self, value: &str, scheme: bool) -> bool {
        let value = if scheme {
            match value.strip_prefix("http://") {
                Some(v) => v,
                None => return false,
            }
        } else {
            value
        };
        value == format!("127.0.0.1:{}", self.port) || value == format!("localhost:{}", self.port)
    }

    fn answer(&self, mut request: Request) {
        let header = |name: &'static str| header(&request, name);
        let host_ok = header("Host").is_some_and(|h| self.own(&h, false));
        let origin_ok = header("Origin").is_none_or(|o| self.own(&o, true));
        if !host_ok || !origin_ok {
            let _ = request.respond(text(403, "refused: this server answers only its own page (Host and Origin must be 127.0.0.1 or localhost on its port)"));
            return;
        }
        let length = header("Content-Length").and_then(|l| l.parse::<usize>().ok());
        if length.is_some_and(|l| l > MAX_BODY) {
            let _ = request.respond(too_large());
            return;
        }
        let mut body = Vec::new();
        let read = request
            .as_reader()
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut body);
        if read.is_err() {
            let _ = request.respond(text(400, "the request body could not be read"));
            return;
        }
        if body.len() > MAX_BODY {
            let _ = request.respond(too_large());
            return;
        }
        let url = request.url().split('?').next().unwrap_or("").to_owned();
        let response = match (request.method(), url.as_str()) {
            (Method::Get, "/") => typed(200, PAGE.as_bytes().to_vec(), "text/html; charset=utf-8"),
            (Method::Get, "/page.css") => typed(200, CSS.as_bytes().to_vec(), "text/css"),
            (Method::Get, "/page.js") => typed(
                200,
                JS.as_bytes().to_vec(),
                "text/javascript; charset=utf-8",
            ),
            (Method::Get, "/api/file") => self.file_json(),
            (Method::Post, path) => match String::from_utf8(body) {
                Err(_) => text(400, "the body is not UTF-8"),
                Ok(body) => self.post(path, &body),
            },
            _ => text(404, "no such page"),
        };
        let _ = request.respond(response);
    }

    fn post(&self, path: &str, body: &str) -> Response<std::io::Cursor<Vec<u8>>> {
        match path {
            "/api/check" => json_response(200, check_json(body)),
            "/api/run" => {
                let Some((src, sets, streams)) = run_request(body) else {
                    return text(400, "expected {\"text\":…,\"sets\":[…],\"streams\":[…]}");
                };
                match run_json(&src, &sets, &streams) {
                    Ok(bytes) => typed(200, bytes, "application/json"),
                    Err(why) => text(400, &why),
                }
            }
            "/api/report" => {
                let Some(report) = self.report else {
                    return text(404, "no such page");
                };
                let Some((src, sets, streams)) = run_request(body) else {
                    return text(400, "expected {\"text\":…,\"sets\":[…],\"streams\":[…]}");
                };
                if let Err(v) = cell_within_bound(&src) {
                    return json_response(422, v);
                }
                let name = match &self.file {
                    Some(path) => name_of(path),
                    None => "whiteboard.wb".to_owned(),
                };
                match timed(|stop| report(&name, &src, &sets, &streams, MAX_STEPS, stop)) {
                    (Ok(html), false) => typed(200, html.into_bytes(), "text/html; charset=utf-8"),
                    (Ok(_), true) => text(422, &format!("the run took longer than {} s, the most `wb serve` allows: stopped (no report)", MAX_TIME.as_secs())),
                    (Err(why), _) => text(400, &why),
                }
            }
            "/api/compile" => match compile_json(body) {
                Ok(bytes) => typed(200, bytes, "application/json"),
                Err(v) => json_response(422, v),
            },
            "/api/gates.svg" => match gates_svg(body) {
                Ok(svg) => typed(200, svg.into_bytes(), "image/svg+xml"),
                Err(v) => json_response(422, v),
            },
            "/api/save" => self.save(body),
            _ => text(404, "no such page"),
        }
    }

    fn file_json(&self) -> Response<std::io::Cursor<Vec<u8>>> {
        match &self.file {
            None => json_response(
                200,
                json!({"name": "whiteboard.wb", "text": EXAMPLE, "hash": Value::Null, "saves": false}),
            ),
            Some(path) => match read_program(path) {
                Ok(text) => json_response(
                    200,
                    json!({"name": name_of(path), "hash": hash(&text), "text": text, "saves": true}),
                ),
                Err(e) => text(500, &format!("cannot read `{}`: {e}", path.display())),
            },
        }
    }

    fn save(&self, body: &str) -> Response<std::io::Cursor<Vec<u8>>> {
        let Some(path) = &self.file else {
            return text(
                409,
                "no file to save to: the page was opened without one (download it instead)",
            );
        };
        let Ok(req) = serde_json::from_str::<Value>(body) else {
            return text(400, "expected {\"text\":…,\"hash\":…}");
        };
        let (Some(new), Some(loaded)) = (req["text"].as_str(), req["hash"].as_str()) else {
            return text(400, "expected {\"text\":…,\"hash\":…}");
        };
        let now = match read_program(path) {
            Ok(t) => t,
            Err(e) => return text(500, &format!("cannot read `{}`: {e}", path.display())),
        };
        if hash(&now) != loaded {
            return text(409, &format!("`{}` changed on disk since the page loaded it: not saved (reload to see it; your text is still in the page)", name_of(path)));
        }
        match crate::atomic::write(path, new.as_bytes()) {
            Ok(()) => json_response(200, json!({"saved": name_of(path), "hash": hash(new)})),
            Err(e) => text(500, &format!("cannot save `{}`: {e}", path.display())),
        }
    }
}

fn header(request: &Request, name: &'static str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str().to_owned())
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn read_program(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_BODY as u64 + 1)
        .read_to_string(&mut text)?;
    if text.len() > MAX_BODY {
        return Err(std::io::Error::other("larger than the page takes (1 MiB)"));
    }
    Ok(text)
}

/// FNV-1a of the text, in hex: what the page sends back to save.
fn hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn typed(status: u16, body: Vec<u8>, kind: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_data(body)
        .with_status_code(status)
        .with_header(Header::from_bytes("Content-Type", kind).expect("a valid header"))
        .with_header(Header::from_bytes("Cache-Control", "no-store").expect("a valid header"))
}

fn text(status: u16, message: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    typed(
        status,
        message.as_bytes().to_vec(),
        "text/plain; charset=utf-8",
    )
}

fn too_large() -> Response<std::io::Cursor<Vec<u8>>> {
    text(413, "the request is larger than 1 MiB")
}

fn json_response(status: u16, v: Value) -> Response<std::io::Cursor<Vec<u8>>> {
    typed(status, v.to_string().into_bytes(), "application/json")
}

/// The check as `wb check --format json` prints it (without `file`).
pub fn check_json(src: &str) -> Value {
    let parsed = syntax::parse(src);
    let lines = LineIndex::new(src);
    if !parsed.diagnostics.is_empty() {
        return json!({"diagnostics": diags_json(&parsed.diagnostics, src, &lines)});
    }
    let analysis = analyse(&parsed.program, src);
    let fewest = crate::plan::statements::fewest_slots(
        &parsed.program,
        crate::plan::statements::CHECK_LIMITS,
    );
    json!({
        "diagnostics": diags_json(&analysis.diagnostics, src, &lines),
        "capacity": analysis.capacity,
        "peak": analysis.peak,
        "peak_line": analysis.peak_span.map(|s| lines.line(s.start as usize)),
        "min_capacity": analysis.min_capacity,
        "fewest_slots": crate::plan::statements::proven(&fewest),
    })
}

fn diags_json(diags: &[Diagnostic], src: &str, lines: &LineIndex) -> Vec<Value> {
    diags.iter().map(|d| d.to_json(src, lines)).collect()
}

/// The checker's analysis with fixes laid out and the fewest slots' help,
/// as `wb check` gives it.
fn analyse(program: &Program, src: &str) -> Analysis {
    let mut analysis = check::check_source(program, src, None);
    let fewest =
        crate::plan::statements::fewest_slots(program, crate::plan::statements::CHECK_LIMITS);
    crate::plan::statements::advise(&fewest, &mut analysis);
    analysis
}

/// `wb run --json --trace` of `src` with `--set` and `--stream` values
/// (no files), bounded by [`MAX_STEPS`] and [`MAX_TIME`]; `Err` is a usage
/// error (a bad `--set`).
pub fn run_json(src: &str, sets: &[String], streams: &[String]) -> Result<Vec<u8>, String> {
    let mut overrides = Overrides::default();
    for s in sets {
        let (name, value) = s
            .split_once('=')
            .ok_or_else(|| format!("{s}: expected NAME=VALUE, as in `b=4`"))?;
        let v = interp::parse_number(value.trim()).map_err(|why| format!("{s}: {why}"))?;
        overrides.scalars.push((name.trim().to_owned(), v));
    }
    for s in streams {
        let (name, values) = s
            .split_once('=')
            .ok_or_else(|| format!("{s}: expected NAME=VALUES, as in `x=1,2,3`"))?;
        let values = interp::parse_list(values, ',').map_err(|why| format!("{s}: {why}"))?;
        overrides.streams.push((name.trim().to_owned(), values));
    }
    let lines = LineIndex::new(src);
    let mut out = Vec::new();
    let parsed = syntax::parse(src);
    if !parsed.diagnostics.is_empty() {
        let run = JsonRun::new(&mut out);
        let _ = run.finish(&parsed.diagnostics, src, &lines, &[]);
        return Ok(out);
    }
    let program = parsed.program;
    let mut analysis = check::check(&program, None);
    if !analysis.diagnostics.is_empty() {
        analysis = analyse(&program, src);
    }
    let failed = |out: &mut Vec<u8>, diags: &[Diagnostic], a: &Analysis| {
        let summary = failed_summary(a, &lines, diags.iter().find_map(|d| d.index));
        let _ = JsonRun::new(out).finish(diags, src, &lines, &summary);
    };
    if analysis.has_errors() {
        failed(&mut out, &analysis.diagnostics, &analysis);
        return Ok(out);
    }
    let unknown = overrides.unknown(&analysis.symbols, &program.names);
    if let Some(u) = unknown.first() {
        return Err(u.clone());
    }
    let bindings = match interp::bind(&analysis.symbols, &program.names, &overrides) {
        Ok(b) => b,
        Err(d) => {
            let mut diags = analysis.diagnostics.clone();
            diags.push(d);
            failed(&mut out, &diags, &analysis);
            return Ok(out);
        }
    };
    let capacity = analysis.capacity.unwrap_or(0);
    let mut machine = Machine::new(&program, src, &analysis.symbols, capacity, bindings);
    let stop = AtomicBool::new(false);
    let (done, timer) = mpsc::channel::<()>();
    let flag = &stop;
    let result = std::thread::scope(|scope| {
        scope.spawn(move || {
            if timer.recv_timeout(MAX_TIME).is_err() {
                flag.store(true, Ordering::Relaxed);
            }
        });
        let limits = Limits {
            max_steps: Some(MAX_STEPS),
            interrupt: Some(flag),
        };
        let mut printer = JsonRun::with_trace(&mut out, &program, src);
        let result = machine.run(&program.items, &mut printer, limits);
        let _ = done.send(());
        let mut diags = analysis.diagnostics.clone();
        let summary = match result {
            Ok(()) => vec![
                ("capacity", json!(capacity)),
                ("peak", json!(machine.peak())),
            ],
            Err(mut d) => {
                if d.code == Code::Interrupted {
                    d.message = format!(
                        "the run took longer than {} s, the most `wb serve` allows: stopped",
                        MAX_TIME.as_secs()
                    );
                }
                let s = failed_summary(&analysis, &lines, d.index);
                diags.push(d);
                s
            }
        };
        printer.finish(&diags, src, &lines, &summary)
    });
    drop(result);
    Ok(out)
}

/// The program, `sets` and `streams` of a run's request body.
fn run_request(body: &str) -> Option<(String, Vec<String>, Vec<String>)> {
    let req = serde_json::from_str::<Value>(body).ok()?;
    let list = |key: &str| -> Vec<String> {
        req[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let src = req["text"].as_str().unwrap_or("").to_owned();
    Some((src, list("sets"), list("streams")))
}

/// `f` given a flag that becomes true after [`MAX_TIME`]; its answer, and
/// whether the time ran out.
fn timed<T>(f: impl FnOnce(&AtomicBool) -> T) -> (T, bool) {
    let stop = AtomicBool::new(false);
    let (done, timer) = mpsc::channel::<()>();
    let flag = &stop;
    let answer = std::thread::scope(|scope| {
        scope.spawn(move || {
            if timer.recv_timeout(MAX_TIME).is_err() {
                flag.store(true, Ordering::Relaxed);
            }
        });
        let answer = f(flag);
        let _ = done.send(());
        answer
    });
    (answer, stop.load(Ordering::Relaxed))
}

fn failed_summary(
    a: &Analysis,
    lines: &LineIndex,
    index: Option<u64>,
) -> Vec<(&'static str, Value)> {
    let mut summary = vec![
        ("capacity", json!(a.capacity)),
        ("peak", json!(a.peak)),
        (
            "peak_line",
            json!(a.peak_span.map(|s| lines.line(s.start as usize))),
        ),
        ("min_capacity", json!(a.min_capacity)),
    ];
    if let Some(i) = index {
        summary.push(("index", json!(i)));
    }
    summary
}

/// `Err` with the diagnostic when `src` compiles to a cell larger than
/// [`MAX_CELL`]; a program that does not compile passes (the report says
/// why).
fn cell_within_bound(src: &str) -> Result<(), Value> {
    let parsed = syntax::parse(src);
    if !parsed.diagnostics.is_empty() {
        return Ok(());
    }
    let analysis = check::check(&parsed.program, None);
    if analysis.has_errors() {
        return Ok(());
    }
    let Ok(cell) = crate::cell::compile(&parsed.program, &analysis, src) else {
        return Ok(());
    };
    too_big(&cell, src)
}

fn too_big(cell: &crate::cell::Cell, src: &str) -> Result<(), Value> {
    if cell.units.saturating_mul(cell.nodes.len()) > MAX_CELL {
        let lines = LineIndex::new(src);
        let d = Diagnostic::global(
            Code::StepLimit,
            format!(
                "the cell has {} units and {} steps, more than `wb serve` draws ({MAX_CELL} unit-steps): run `wb compile` instead",
                cell.units,
                cell.nodes.len()
            ),
        );
        return Err(json!({"diagnostics": diags_json(&[d], src, &lines)}));
    }
    Ok(())
}

fn compiled(src: &str) -> Result<crate::cell::Cell, Value> {
    let lines = LineIndex::new(src);
    let parsed = syntax::parse(src);
    if !parsed.diagnostics.is_empty() {
        return Err(json!({"diagnostics": diags_json(&parsed.diagnostics, src, &lines)}));
    }
    let analysis = check::check(&parsed.program, None);
    if analysis.has_errors() {
        let analysis = analyse(&parsed.program, src);
        return Err(json!({"diagnostics": diags_json(&analysis.diagnostics, src, &lines)}));
    }
    let cell = crate::cell::compile(&parsed.program, &analysis, src)
        .map_err(|d| json!({"diagnostics": diags_json(&[d], src, &lines)}))?;
    too_big(&cell, src)?;
    Ok(cell)
}

/// `wb compile --emit json` of `src`, bounded by [`MAX_CELL`].
pub fn compile_json(src: &str) -> Result<Vec<u8>, Value> {
    let cell = compiled(src)?;
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = crate::cell::json::write(&cell, &mut out);
    Ok(out)
}

/// The gates picture (`wb report --picture gates`) of `src`.
pub fn gates_svg(src: &str) -> Result<String, Value> {
    compiled(src).map(|cell| crate::picture::gates::render(&cell, "program.wb"))
}

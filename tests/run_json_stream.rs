//! `wb run --json` streams: reads first, as they happen, then diagnostics
//! (warnings too) and the summary; memory does not grow with the reads; a
//! reader that stops stops the run; `--json --trace` is the trace as data.

use std::io::Read as _;
use std::process::{Command, Stdio};

use serde_json::Value;

fn wb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wb"))
}

fn run_json(src: &str, flags: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.wb");
    std::fs::write(&path, src).unwrap();
    let out = wb()
        .args(["run", "--json"])
        .args(flags)
        .arg(&path)
        .output()
        .expect("wb runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn reads_come_first_then_diagnostics_and_the_summary() {
    let (code, text) = run_json(
        "board 1\nstream x = [2, 0]\neach x {\n  read 1 / x\n}\n",
        &[],
    );
    assert_eq!(code, 1);
    let reads = text.find("\"reads\"").unwrap();
    let diags = text.find("\"diagnostics\"").unwrap();
    let cap = text.find("\"capacity\"").unwrap();
    assert!(reads < diags && diags < cap, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["reads"][0]["value"], 0.5);
    assert_eq!(v["diagnostics"][0]["code"], "wb::div_zero");
}

#[test]
fn warnings_are_in_the_object_of_a_run_that_succeeds() {
    let (code, text) = run_json("board 2\nwrite a = 1\nwrite a = 2\nread a\n", &[]);
    assert_eq!(code, 0, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["reads"][0]["value"], 2);
    assert_eq!(v["diagnostics"][0]["code"], "wb::dead_write", "{text}");
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
}

#[test]
fn the_fixes_are_those_of_wb_check() {
    for entry in std::fs::read_dir("examples/errors").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wb") {
            continue;
        }
        let run = wb().args(["run", "--json"]).arg(&path).output().unwrap();
        let check = wb()
            .args(["check", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        let run: Value = serde_json::from_slice(&run.stdout).unwrap();
        let check: Value = serde_json::from_slice(&check.stdout).unwrap();
        let strip = |v: &Value| -> Vec<Value> {
            v["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    let mut d = d.clone();
                    d.as_object_mut().unwrap().remove("file");
                    d
                })
                .collect()
        };
        let checked = strip(&check);
        // A run stops at its first run-time error; a program the check
        // refuses is not run, so the lists are the same.
        if checked.iter().any(|d| d["severity"] == "error") {
            assert_eq!(strip(&run), checked, "{}", path.display());
        }
    }
}

#[test]
fn a_million_reads_stream_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.wb");
    std::fs::write(&path, "board 1\nrepeat 1000000 {\n  read 1\n}\n").unwrap();
    // 1 M reads held until the end took over 600 MB; streamed, the run fits
    // in a 200 MB address space with room to spare.
    for engine in ["interp", "cell"] {
        let script = format!(
            "ulimit -v 200000; {} run --json --engine {engine} {} | wc -c",
            env!("CARGO_BIN_EXE_wb"),
            path.display()
        );
        let out = Command::new("sh").args(["-c", &script]).output().unwrap();
        let bytes: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        // Every read was written: `{"text":"1","line":3,"value":1}` and a comma, 32 bytes.
        assert!(bytes >= 32_000_000, "{engine}: {bytes} bytes");
    }
}

#[test]
fn a_reader_that_stops_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.wb");
    std::fs::write(&path, "board 1\nrepeat 100000000000 {\n  read 1\n}\n").unwrap();
    for engine in ["interp", "cell"] {
        let mut child = wb()
            .args(["run", "--json", "--engine", engine])
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 100];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut head)
            .unwrap();
        assert!(head.starts_with(b"{\"reads\":[{\"text\":\"1\""));
        drop(child.stdout.take());
        // Were the run not stopped by the closed pipe, it would take hours.
        let status = child.wait().unwrap();
        assert!(status.code().is_some(), "{engine}: {status:?}");
    }
}

#[test]
fn the_trace_as_data_has_spans_slots_reads_and_gates() {
    let src = "board 2\nwrite a = 3\nwrite b = 1\nwrite b = a when a > 5\nwrite b = b + a\nwrite b = 10 gate 0.5\nread b\n";
    let (code, text) = run_json(src, &["--trace"]);
    assert_eq!(code, 0, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["trace_version"], 1);
    let events = v["trace"]["events"].as_array().unwrap();
    assert_eq!(v["trace"]["complete"], true);
    assert_eq!(events[0]["span"]["line"], 2);
    assert_eq!(events[0]["span"]["start"], 8);
    assert_eq!(events[0]["slots"][0], serde_json::json!(["a", 3]));
    // `when a > 5` is closed: `b` is not written, only `a` is read.
    assert_eq!(events[2]["gate"]["open"], false);
    assert_eq!(events[2]["read"], serde_json::json!(["a"]));
    assert_eq!(events[2]["slots"][1], serde_json::json!(["b", 1]));
    assert_eq!(events[3]["slots"][1], serde_json::json!(["b", 4]));
    assert_eq!(events[4]["gate"]["kind"], "soft");
    assert_eq!(events[4]["slots"][1], serde_json::json!(["b", 7]));
    assert_eq!(events[5]["kind"], "read");
    assert_eq!(events[5]["values"][0]["value"], 7);
}

#[test]
fn the_trace_is_bounded_with_a_marker() {
    let (code, text) = run_json(
        "board 1\nrepeat 50000 {\n  write a = 1\n  forget a\n}\n",
        &["--trace"],
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["trace"]["complete"], false);
    assert_eq!(v["trace"]["events"].as_array().unwrap().len(), 20_000);
    assert_eq!(v["trace"]["events_total"], 150_000);
}

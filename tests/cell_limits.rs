//! The cell within its bounds: memory linear in the program (never steps ×
//! units), `--emit json` written in memory that does not grow with the
//! output, no width from the input reaching a format string (widths over
//! 65 535 panicked), Ctrl-C stopping `--engine cell`, and the chunk size
//! derived from the machine's L1 data cache.
//!
//! Memory is measured with a counting allocator (this binary's own), as the
//! peak of live heap bytes; each such test holds [`measuring`] throughout.

mod counting;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;

use assert_cmd::cargo::CommandCargoExt;
use counting::{LIVE, PEAK};
use proptest::prelude::*;
use wb::cell::exec::{cache_size, chunk_rows, l1d_from, CHUNK_ALIGN, FALLBACK_L1D};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fn measuring() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary")
}

/// `n` names, each written and then read: `n` units and about `n` steps
/// (a write fuses with the read before it), every unit live to the end.
fn wide(n: usize) -> String {
    let mut s = format!("board {n}\n");
    for i in 0..n {
        s.push_str(&format!("write v{i} = {i}\nread v{i}\n"));
    }
    s
}

/// Peak heap bytes, above what was live before, of `f`.
fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let t = f();
    (PEAK.load(Ordering::SeqCst).saturating_sub(before), t)
}

/// Compiles `src` and runs it once on the engine `wb run --engine cell`
/// uses; the peak heap bytes of both, and the last read.
fn cell_run_peak(src: &str) -> (usize, f64) {
    let parsed = wb::syntax::parse(src);
    let analysis = wb::check::check(&parsed.program, None);
    assert!(!analysis.has_errors());
    let bindings = wb::interp::bind(
        &analysis.symbols,
        &parsed.program.names,
        &Default::default(),
    )
    .expect("defaults");
    let (peak, last) = peak_of(|| {
        let cell = wb::cell::compile(&parsed.program, &analysis, src).expect("it compiles");
        let mut reads = Vec::new();
        wb::cell::Engine::with_chunk(&cell, 1)
            .run_one(&bindings, &mut reads)
            .expect("runs");
        reads.last().map(|r| r.value)
    });
    (peak, last.expect("a read"))
}

#[test]
fn the_cell_grows_with_the_program_not_with_units_times_steps() {
    let _turn = measuring();
    let (small, last) = cell_run_peak(&wide(2_000));
    assert_eq!(last, 1_999.0);
    let (big, last) = cell_run_peak(&wide(8_000));
    assert_eq!(last, 7_999.0);
    // A renaming kept per step, as the engine once did, is 8 000 steps ×
    // 8 000 units × 8 bytes × 2 = 1 GB; the cell now takes tens of
    // megabytes at most (27.6 MB measured).
    assert!(
        big < 64 << 20,
        "8 000 units and steps took {big} bytes (2 000 took {small})"
    );
}

/// A writer that keeps only how many bytes it was given.
struct Count(usize);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn emit_json_takes_memory_independent_of_the_output() {
    let _turn = measuring();
    let mut peaks = Vec::new();
    for n in [1_000, 8_000] {
        let src = wide(n);
        let parsed = wb::syntax::parse(&src);
        let analysis = wb::check::check(&parsed.program, None);
        let cell = wb::cell::compile(&parsed.program, &analysis, &src).expect("it compiles");
        let mut out = Count(0);
        let (peak, written) = peak_of(|| wb::cell::json::write(&cell, &mut out));
        written.expect("writes");
        assert!(out.0 > 300 * n, "{} bytes for {n} units", out.0);
        peaks.push((peak, out.0, src.len()));
    }
    // What is held while writing is a line index of the source and a
    // step's touched units: less than the program's text, a small part of
    // the output (megabytes), which is never held.
    for (peak, written, src) in peaks {
        assert!(
            peak < src && peak * 20 < written,
            "writing {written} bytes of JSON for {src} bytes of program held {peak} bytes"
        );
    }
}

#[test]
fn emit_json_is_the_sparse_schema_and_agrees_with_the_table() {
    let src =
        "board 3\ninput a = 2\nwrite x = a\nwrite y = a + 1\nwrite y = y + x\nforget x\nread y\n";
    let parsed = wb::syntax::parse(src);
    let analysis = wb::check::check(&parsed.program, None);
    let cell = wb::cell::compile(&parsed.program, &analysis, src).expect("it compiles");
    let v: serde_json::Value =
        serde_json::from_str(&wb::cell::json::to_string(&cell)).expect("one JSON object");
    assert_eq!(v["format"], "wb-cell/2");
    let steps = v["schedule"].as_array().expect("steps");
    for (step, node) in steps.iter().enumerate() {
        let listed = node["gates"].as_array().expect("gates");
        let wb::cell::Node::Step(s) = &cell.nodes[step] else {
            panic!("a straight-line program has only steps")
        };
        let dense = wb::cell::table::gates(s, cell.units);
        for u in 0..cell.units {
            let entry = listed.iter().find(|g| g["unit"] == u);
            let sym = |g: wb::cell::table::GateValue| match g.symbol() {
                '~' => serde_json::json!("~"),
                c => serde_json::json!(c.to_digit(10).unwrap()),
            };
            match entry {
                Some(g) => {
                    assert_eq!(g["f"], sym(dense.f[u]), "step {step} unit {u}");
                    assert_eq!(g["i"], sym(dense.i[u]), "step {step} unit {u}");
                    assert_eq!(g["o"], sym(dense.o[u]), "step {step} unit {u}");
                }
                None => {
                    // Not listed: at rest.
                    assert_eq!(
                        (
                            dense.f[u].symbol(),
                            dense.i[u].symbol(),
                            dense.o[u].symbol()
                        ),
                        ('1', '0', '0'),
                        "step {step} unit {u}"
                    );
                }
            }
        }
    }
}

// ---- widths from the input never reach a format string ----

/// A program whose one step, name or read is `size` characters or units
/// long, in one of the shapes that panicked (`{:<w$}` with w > 65 535).
fn huge(shape: u8, size: usize) -> String {
    match shape % 4 {
        // A long expression.
        0 => format!(
            "board 2\nwrite a = {}\nread a\n",
            vec!["1"; size / 4 + 1].join(" + ")
        ),
        // Many independent writes fused into one step.
        1 => {
            let n = size / 12 + 1;
            let mut s = format!("board {}\n", n + 1);
            for i in 0..n {
                s.push_str(&format!("write v{i} = {i}\n"));
            }
            s + "read v0\n"
        }
        // A read of many terms.
        2 => format!(
            "board 2\nwrite a = 1\nread {}\n",
            vec!["a"; size / 3 + 1].join(", ")
        ),
        // A long name.
        _ => {
            let name = "n".repeat(size);
            format!("board 2\nwrite {name} = 1\nread {name} + 1\n")
        }
    }
}

fn assert_fits(out: &std::process::Output, width: usize, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        assert!(
            line.chars().count() <= width,
            "{what}: a line of {} characters",
            line.chars().count()
        );
    }
}

fn write_program(dir: &Path, src: &str) -> std::path::PathBuf {
    let path = dir.join("huge.wb");
    std::fs::write(&path, src).expect("a temporary file");
    path
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// `wb compile`, `--emit json` and `wb run --trace` on either engine,
    /// driven with steps, names and reads from 60 000 to 140 000
    /// characters: no panic, every table line within the width asked.
    #[test]
    fn huge_widths_never_panic(shape in 0u8..4, size in 60_000usize..140_000, width in 40usize..400) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = write_program(dir.path(), &huge(shape, size));
        let what = format!("shape {shape}, {size} characters, width {width}");
        let w = width.to_string();
        let out = wb().args(["compile", "--width", &w]).arg(&path).output().expect("wb runs");
        assert_fits(&out, width, &format!("compile: {what}"));
        let out = wb().args(["compile", "--emit", "json"]).arg(&path).output().expect("wb runs");
        prop_assert_eq!(out.status.code(), Some(0), "json: {}", what);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        prop_assert_eq!(&v["format"], "wb-cell/2");
        for engine in ["interp", "cell"] {
            let out = wb()
                .args(["run", "--trace", "--engine", engine, "--width", &w])
                .arg(&path)
                .output()
                .expect("wb runs");
            assert_fits(&out, width, &format!("trace on {engine}: {what}"));
        }
    }
}

#[test]
fn a_name_of_65534_characters_traces_on_both_engines() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = write_program(dir.path(), &huge(3, 65_534));
    for engine in ["interp", "cell"] {
        let out = wb()
            .args(["run", "--trace", "--engine", engine])
            .arg(&path)
            .output()
            .expect("wb runs");
        assert_fits(&out, 80, engine);
        assert!(String::from_utf8_lossy(&out.stdout).contains('…'));
    }
}

// ---- Ctrl-C ----

#[test]
fn ctrl_c_stops_the_cell_with_wb_interrupted() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, src) in [
        (
            "loop.wb",
            "board 2\nwrite x = 0.5\nrepeat 10000000000 {\n  write x = 3.9 * x * (1 - x)\n}\nread x\n"
                .to_owned(),
        ),
        (
            "each.wb",
            "board 2\nstream s = [1, 2]\nwrite t = 0\neach s {\n  repeat 10000000000 {\n    write t = t + s\n  }\n}\nread t\n"
                .to_owned(),
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, src).expect("a temporary file");
        let child = wb()
            .args(["run", "--engine", "cell"])
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wb starts");
        std::thread::sleep(std::time::Duration::from_millis(700));
        // SAFETY: a signal to the child this test started.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGINT);
        }
        let started = std::time::Instant::now();
        let out = child.wait_with_output().expect("wb ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{name}: {stderr}");
        assert!(stderr.contains("wb::interrupted"), "{name}: {stderr}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{name}: still running after SIGINT"
        );
    }
}

// ---- the chunk size ----

#[test]
fn the_chunk_size_is_a_third_of_the_l1_data_cache() {
    // whiteboard.wb's cell has 3 units, its registers, 4 inputs and its
    // constants: 10-odd columns of 8 bytes.
    assert_eq!(chunk_rows(32 * 1024, 10), 128);
    assert_eq!(chunk_rows(48 * 1024, 10), 192);
    assert_eq!(chunk_rows(64 * 1024, 10), 272);
    // Always a whole number of the kernels' blocks, from 16 to 1024 rows.
    for l1d in [1024, 32 * 1024, 48 * 1024, 1 << 20] {
        for columns in [0, 1, 7, 100, 100_000] {
            let k = chunk_rows(l1d, columns);
            assert!(
                k.is_multiple_of(CHUNK_ALIGN) && (16..=1024).contains(&k),
                "{l1d} {columns}: {k}"
            );
        }
    }
}

#[test]
fn the_l1_data_cache_is_read_as_linux_describes_it() {
    assert_eq!(cache_size("32K\n"), Some(32 * 1024));
    assert_eq!(cache_size("48K"), Some(48 * 1024));
    assert_eq!(cache_size("1M"), Some(1 << 20));
    assert_eq!(cache_size("49152"), Some(49152));
    assert_eq!(cache_size("big"), None);
    assert_eq!(cache_size("12"), None);
    assert_eq!(cache_size(""), None);
    // A machine's cache folder: index0 is the instruction cache here, the
    // data cache is index1.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let entry = |k: usize, level: &str, kind: &str, size: &str| {
        let d = dir.path().join(format!("index{k}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("level"), level).unwrap();
        std::fs::write(d.join("type"), kind).unwrap();
        std::fs::write(d.join("size"), size).unwrap();
    };
    entry(0, "1\n", "Instruction\n", "32K\n");
    entry(1, "1\n", "Data\n", "48K\n");
    entry(2, "2\n", "Unified\n", "2048K\n");
    assert_eq!(l1d_from(dir.path()), Some(48 * 1024));
    // Nothing there: the engine falls back to 32 KB.
    assert_eq!(l1d_from(&dir.path().join("missing")), None);
    assert_eq!(FALLBACK_L1D, 32 * 1024);
    // This machine's, where Linux says it.
    let sys = Path::new("/sys/devices/system/cpu/cpu0/cache");
    if let Some(l1d) = l1d_from(sys) {
        assert_eq!(wb::cell::exec::l1d_bytes(), l1d);
    }
}

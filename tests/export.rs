//! `wb export`: the refusals (each with its span), the ranges it needs, the
//! tolerance, the layouts pinned on a hand-checked model, and — through a
//! real onnxruntime and an f64 LSTMCell in Python — the three-way check on
//! every exportable example and on generated programs of the fragment,
//! with the bound (not a tuned tolerance) as the threshold.
//!
//! The Python tests find the interpreter in `WB_PYTHON`, else
//! `<repo>/.venv/bin/python` (scripts/setup-python.sh makes it). Without it
//! they skip with a message — except under `CI=true`, where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message;
use wb::export::onnx::ModelProto;

fn wb() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wb"));
    c.env("NO_COLOR", "1");
    c
}

/// Runs `wb export ARGS`: exit code, stdout, stderr.
fn export(args: &[&str]) -> (i32, String, String) {
    let out = wb().arg("export").args(args).output().expect("wb runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn python() -> Option<PathBuf> {
    let p = std::env::var_os("WB_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "no Python at {} (CI=true: run scripts/setup-python.sh first)",
            p.display()
        );
    }
    eprintln!(
        "skipped: no Python at {}; run scripts/setup-python.sh or set WB_PYTHON",
        p.display()
    );
    None
}

// ---- refusals, each at its statement ----

fn refused(file: &str, args: &[&str], at: &str, message: &str) -> String {
    let mut all = vec![file];
    all.extend_from_slice(args);
    let (code, out, err) = export(&all);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("error[wb::not_exportable]"), "{err}");
    assert!(err.contains(&format!("[{file}:{at}]")), "span {at}: {err}");
    assert!(err.contains(message), "{err}");
    err
}

#[test]
fn running_mean_is_refused_at_its_division_and_pointed_at_the_sums() {
    let err = refused(
        "examples/running_mean.wb",
        &["--range", "x=-100..100", "--max-len", "100"],
        "10:3",
        "`write mean = mean + (x - mean) / n`: divides by a board value",
    );
    assert!(err.contains("examples/sums.wb"), "{err}");
    assert!(err.contains("read s / n"), "{err}");
}

#[test]
fn stream_stats_is_refused_at_every_statement_outside_the_fragment() {
    let err = refused(
        "examples/stream_stats.wb",
        &["--range", "x=-100..100", "--max-len", "100"],
        "15:3",
        "`write mean = mean + delta / n`: divides by a board value",
    );
    assert!(
        err.contains("[examples/stream_stats.wb:16:3]")
            && err.contains("multiplies two board values"),
        "{err}"
    );
    assert!(err.contains("examples/sums.wb"), "{err}");
    assert!(
        err.contains("`write variance = m2 / n`: a write after the loop"),
        "{err}"
    );
}

#[test]
fn newton_sqrt_is_refused_because_it_divides_by_its_iterate() {
    refused(
        "examples/newton_sqrt.wb",
        &["--range", "s=1..100"],
        "7:3",
        "`write r = (r + s / r) / 2`: divides by a board value",
    );
}

#[test]
fn whiteboard_is_refused_as_nothing_recurrent() {
    let err = refused(
        "examples/whiteboard.wb",
        &[],
        "5:1",
        "nothing is recurrent: the program has no `each` or `repeat` loop",
    );
    assert!(err.contains("function of its inputs"), "{err}");
}

#[test]
fn a_counter_gated_by_a_board_comparison_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.wb");
    std::fs::write(
        &f,
        "board 2\nstream x = [1]\nwrite best = 0\nwrite n = 0\neach x {\n  write n = n + 1 when x > best\n  write best = x when x > best\n}\nread n\n",
    )
    .unwrap();
    let (code, _, err) = export(&[f.to_str().unwrap(), "--range", "x=0..1", "--max-len", "4"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("c.wb:6:24]"), "{err}");
    assert!(
        err.contains("does not select between `n` and the value written"),
        "{err}"
    );
    assert!(err.contains("(a counter gated by it)"), "{err}");
}

#[test]
fn a_soft_gate_that_can_reach_zero_is_refused() {
    let (code, _, err) = export(&[
        "examples/ema.wb",
        "--range",
        "x=-100..100",
        "--range",
        "alpha=0..1",
        "--max-len",
        "10",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("[examples/ema.wb:9:22]"), "{err}");
    assert!(err.contains("its logit is infinite"), "{err}");
    assert!(err.contains("alpha=0.01..0.99"), "{err}");
}

// ---- ranges, domain, tolerance ----

#[test]
fn running_max_without_ranges_says_what_to_state() {
    let (code, out, err) = export(&["examples/running_max.wb"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("error[wb::missing_range]: input `start` has no range"),
        "{err}"
    );
    assert!(err.contains("its default -1e300"), "{err}");
    assert!(err.contains("`--range start=-100..-100`"), "{err}");
    assert!(err.contains("stream `x` has no range"), "{err}");
    assert!(err.contains("`--max-len N`"), "{err}");
}

#[test]
fn running_max_with_its_default_start_is_refused() {
    let (code, _, err) = export(&[
        "examples/running_max.wb",
        "--range",
        "x=-100..100",
        "--range",
        "start=-1e300..-1e300",
        "--max-len",
        "10",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("values reach 1e300"), "{err}");
    assert!(err.contains("cannot be exported"), "{err}");
}

#[test]
fn a_tolerance_below_the_bound_refuses_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("max.onnx");
    let (code, stdout, err) = export(&[
        "examples/running_max.wb",
        "--range",
        "x=-100..100",
        "--range",
        "start=-100..-100",
        "--max-len",
        "1000",
        "--tolerance",
        "1e-9",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("error[wb::bound_exceeded]"), "{err}");
    assert!(stdout.contains("bound: "), "{stdout}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // A tolerance above the bound writes all three files.
    let (code, stdout, _) = export(&[
        "examples/running_max.wb",
        "--range",
        "x=-100..100",
        "--range",
        "start=-100..-100",
        "--max-len",
        "1000",
        "--tolerance",
        "1",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains("wrote "), "{stdout}");
    for ext in ["onnx", "safetensors", "json"] {
        assert!(out.with_extension(ext).exists(), "{ext}");
    }
}

#[test]
fn the_bound_grows_with_the_stated_length() {
    let bound = |n: &str| -> f64 {
        let (code, out, err) =
            export(&["examples/sums.wb", "--range", "x=-100..100", "--max-len", n]);
        assert_eq!(code, 0, "{err}");
        let line = out
            .lines()
            .find(|l| l.starts_with("bound: "))
            .expect("a bound line");
        line[7..].split(' ').next().unwrap().parse().unwrap()
    };
    assert!(bound("10") < bound("1000"));
}

// ---- the layouts, pinned on a hand-checked model ----

/// `n = n + 1` over a stream of at most 4 elements: one unit, one step, no
/// features. The values reach 4, so the scale is 2^(2+12); gates ±64.
const COUNTER: &str =
    "board 1\nstream x = [0]\nwrite n = 0\neach x {\n  write n = n + 1\n}\nread n\n";

fn counter_files(dir: &Path) -> PathBuf {
    let f = dir.join("counter.wb");
    std::fs::write(&f, COUNTER).unwrap();
    let out = dir.join("counter.onnx");
    let (code, stdout, err) = export(&[
        f.to_str().unwrap(),
        "--range",
        "x=0..1",
        "--max-len",
        "4",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("scale 2^14, gate gain 64"), "{stdout}");
    out
}

fn f32s(raw: &[u8]) -> Vec<f32> {
    raw.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn the_pytorch_layout_is_i_f_g_o_with_both_biases() {
    let dir = tempfile::tempdir().unwrap();
    let out = counter_files(dir.path());
    let bytes = std::fs::read(out.with_extension("safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let get = |n: &str| {
        let t = st.tensor(n).unwrap();
        (t.shape().to_vec(), f32s(t.data()))
    };
    let s = 2f32.powi(-14);
    // i open (+64), f open (+64: the sum keeps its value), g = 1/scale on
    // the clock, o shut (-64: nothing reads n inside the loop). The usual
    // value of each gate is split over both biases.
    assert_eq!(get("weight_ih"), (vec![4, 1], vec![0.0, 0.0, s, 0.0]));
    assert_eq!(get("weight_hh"), (vec![4, 1], vec![0.0; 4]));
    assert_eq!(get("bias_ih"), (vec![4], vec![32.0, 32.0, 0.0, -32.0]));
    assert_eq!(get("bias_hh"), (vec![4], vec![32.0, 32.0, 0.0, -32.0]));
    let side: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.with_extension("json")).unwrap()).unwrap();
    assert_eq!(side["format"], "wb-export");
    assert_eq!(side["version"], 1);
    assert_eq!(side["gate_order"], "i,f,g,o");
    assert_eq!(side["scale"], 16384.0);
    assert_eq!(side["reads"][0]["where"], "after");
    assert_eq!(side["reads"][0]["units"]["n"], 0);
}

#[test]
fn the_onnx_layout_is_i_o_f_c_with_b_as_wb_then_rb() {
    let dir = tempfile::tempdir().unwrap();
    let out = counter_files(dir.path());
    let model = ModelProto::decode(&std::fs::read(&out).unwrap()[..]).unwrap();
    assert_eq!(model.opset_import[0].version, 17);
    let graph = model.graph.unwrap();
    let lstm = graph.node.iter().find(|n| n.op_type == "LSTM").unwrap();
    let init = |name: &str| graph.initializer.iter().find(|t| t.name == name).unwrap();
    let (w, r, b) = (
        init(&lstm.input[1]),
        init(&lstm.input[2]),
        init(&lstm.input[3]),
    );
    let s = 2f32.powi(-14);
    assert_eq!(w.dims, vec![1, 4, 1]);
    assert_eq!(f32s(&w.raw_data), vec![0.0, 0.0, 0.0, s]);
    assert_eq!(r.dims, vec![1, 4, 1]);
    assert_eq!(b.dims, vec![1, 8]);
    assert_eq!(
        f32s(&b.raw_data),
        vec![32.0, -32.0, 32.0, 0.0, 32.0, -32.0, 32.0, 0.0]
    );
    let meta: Vec<&str> = model
        .metadata_props
        .iter()
        .map(|m| m.key.as_str())
        .collect();
    for key in ["wb.bound", "wb.domain", "wb.assumptions", "wb.reads"] {
        assert!(meta.contains(&key), "{key}");
    }
    assert!(graph.output.iter().any(|o| o.name == "valid"));
}

// ---- Ctrl-C ----

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_long_export() {
    let child = wb()
        .args([
            "export",
            "examples/sums.wb",
            "--range",
            "x=-100..100",
            "--max-len",
            "4000000000",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    // SAFETY: a signal to the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
}

// ---- through a real ONNX runtime ----

fn check(file: &str, args: &[&str], py: &Path) -> String {
    let out = wb()
        .arg("export")
        .arg(file)
        .args(args)
        .arg("--check")
        .arg("--python")
        .arg(py)
        .output()
        .expect("wb runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{file}: {stdout}\n{stderr}");
    assert!(
        stdout.contains("every engine is within the bound"),
        "{stdout}"
    );
    assert!(stdout.contains("onnxruntime 1."), "{stdout}");
    assert!(stdout.contains("f64 LSTMCell (safetensors)"), "{stdout}");
    assert!(stdout.contains("cell: agrees"), "{stdout}");
    stdout
}

#[test]
fn every_exportable_example_passes_the_three_way_check() {
    let Some(py) = python() else { return };
    check(
        "examples/running_max.wb",
        &[
            "--range",
            "x=-100..100",
            "--range",
            "start=-100..-100",
            "--max-len",
            "1000",
        ],
        &py,
    );
    check(
        "examples/ema.wb",
        &[
            "--range",
            "x=-100..100",
            "--range",
            "alpha=0.01..0.99",
            "--max-len",
            "1000",
        ],
        &py,
    );
    check("examples/fibonacci.wb", &[], &py);
    check(
        "examples/sums.wb",
        &["--range", "x=-100..100", "--max-len", "1000"],
        &py,
    );
    check(
        "examples/count_above.wb",
        &[
            "--range",
            "x=-100..100",
            "--range",
            "t=-100..100",
            "--max-len",
            "1000",
        ],
        &py,
    );
}

#[test]
fn a_long_stream_stays_within_the_bound() {
    let Some(py) = python() else { return };
    let out = check(
        "examples/running_max.wb",
        &[
            "--range",
            "x=-1..1",
            "--range",
            "start=-1..-1",
            "--max-len",
            "100000",
            "--cases",
            "1",
        ],
        &py,
    );
    assert!(out.contains("the longest stream"), "{out}");
}

/// Small programs of the fragment, built from a seed: sums, affine blends,
/// input-gated counters, running maxima and minima, reads inside and after.
fn fragment_program(seed: u64) -> String {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut pick = |n: u64| {
        s ^= s >> 13;
        s ^= s << 7;
        s ^= s >> 17;
        s % n
    };
    let coef = ["0.5", "-1", "2", "0.25", "3", "-0.125"];
    let mut body = Vec::new();
    let mut reads = Vec::new();
    // A running maximum read inside the loop is written first: the step
    // that shows it must be followed by its own write (docs/export.md §1).
    match pick(3) {
        0 => body.push("  write m = x when x > m".into()),
        1 => body.push("  write m = x when x < m".into()),
        _ => body.push(format!("  write m = {} * m + x", coef[pick(2) as usize])),
    }
    body.push(format!("  write a = a + {} * x", coef[pick(6) as usize]));
    body.push("  write c = c + 1 when x > t".into());
    if pick(2) == 0 {
        body.push("  read m".into());
    }
    if pick(2) == 0 {
        reads.push("read a - c".to_owned());
    } else {
        reads.push("read a, c".to_owned());
    }
    if pick(2) == 0 {
        body.insert(1, "  write b = b + a".into());
        reads.push("read b".into());
    }
    let has_b = body.iter().any(|l| l.contains("write b"));
    format!(
        "board 4\nstream x = [1]\ninput t = 0\nwrite a = t\nwrite m = 0\nwrite c = 0\n{}each x {{\n{}\n}}\n{}\n",
        if has_b { "write b = 0\n" } else { "" },
        body.join("\n"),
        reads.join("\n")
    )
}

#[test]
fn generated_programs_of_the_fragment_stay_within_their_bound() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    for seed in 0..6 {
        let src = fragment_program(seed);
        let f = dir.path().join(format!("p{seed}.wb"));
        std::fs::write(&f, &src).unwrap();
        let out = wb()
            .arg("export")
            .arg(&f)
            .args([
                "--range",
                "x=-10..10",
                "--range",
                "t=-1..1",
                "--max-len",
                "300",
            ])
            .args(["--check", "--cases", "3", "--python"])
            .arg(&py)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{src}\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("every engine is within the bound"),
            "{src}\n{stdout}"
        );
    }
}

fn python_ok(py: &Path, code: &str, args: &[&Path]) -> String {
    let out = Command::new(py)
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn exported_models_pass_the_onnx_checker_and_flag_inputs_outside_the_domain() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("max.onnx");
    let (code, _, err) = export(&[
        "examples/running_max.wb",
        "--range",
        "x=-100..100",
        "--range",
        "start=-100..-100",
        "--max-len",
        "8",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let code = r#"
import sys, onnx, numpy as np, onnxruntime as ort
onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)
s = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
def run(x, start):
    o = s.run(None, {"x": np.array(x, dtype=np.float64), "start": np.array([start], dtype=np.float64)})
    return [float(v) for v in o[0]], bool(o[1][0])
print(run([3, 1, 4, 1, 5, 9, 2, 6], -100))
print(run([3, 1, 400], -100)[1])
print(run([1] * 9, -100)[1])
print(run([1], -101)[1])
"#;
    let got = python_ok(&py, code, &[&out]);
    let lines: Vec<&str> = got.lines().collect();
    assert!(lines[0].ends_with(", True)"), "{got}");
    // The reads are those of `wb run --set start=-100`, within the bound.
    let vals: Vec<f64> = lines[0][2..lines[0].find(']').unwrap()]
        .split(", ")
        .map(|v| v.parse().unwrap())
        .collect();
    let want = [3.0, 3.0, 4.0, 4.0, 5.0, 9.0, 9.0, 9.0];
    let side: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.with_extension("json")).unwrap()).unwrap();
    let bound = side["bound"].as_f64().unwrap();
    for (g, w) in vals.iter().zip(want) {
        assert!((g - w).abs() <= bound, "{g} vs {w} (bound {bound})");
    }
    // Outside the range, over --max-len, a start outside its range: invalid.
    assert_eq!(&lines[1..], ["False", "False", "False"], "{got}");
}

#[test]
fn onnxruntime_meets_the_activation_accuracy_the_bound_assumes() {
    let Some(py) = python() else { return };
    let a = wb::export::ASSUMED;
    let out = Command::new(&py)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/export_run.py"))
        .arg("measure")
        .args(["--tanh-rel", &a.tanh_rel.to_string()])
        .args(["--sigmoid-abs", &a.sigmoid_abs.to_string()])
        .args(["--saturated", &a.saturated.to_string()])
        .args(["--gain", &wb::export::GAIN.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "measured: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn the_check_names_the_first_place_an_engine_leaves_the_bound() {
    // A stand-in for the Python side that answers 0.5 too high everywhere:
    // the check must say which engine, input set, element, step and unit.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("python");
    std::fs::write(
        &fake,
        r#"#!/bin/sh
exec python3 - "$@" <<'PY'
import json, sys
a = sys.argv[1:]
cases = json.load(open(a[a.index("--cases") + 1]))["cases"]
out = []
for c in cases:
    n = len(c["streams"]["x"])
    best = c["inputs"]["start"][0]
    vals = []
    for x in c["streams"]["x"]:
        best = max(best, x)
        vals.append(best + 0.5)
    out.append({"onnx": {"read0": vals}, "valid": True, "reference": {"read0": vals}})
json.dump({"onnxruntime": "0.0-fake", "cases": out}, open(a[a.index("--out") + 1], "w"))
PY
"#,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = wb()
        .args([
            "export",
            "examples/running_max.wb",
            "--range",
            "x=-100..100",
        ])
        .args([
            "--range",
            "start=-100..-100",
            "--max-len",
            "8",
            "--check",
            "--python",
        ])
        .arg(&fake)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "first outside the bound: onnxruntime 0.0-fake, input set 0 (low edge), element 0, step 0, unit best (read best on line 10): -99.5 against wb's -100"
        ),
        "{stdout}"
    );
}

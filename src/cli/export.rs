//! `wb export`: the program as a standard LSTM (ONNX, safetensors + JSON
//! sidecar) with its error bound; `--check` runs the three-way check.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;
use serde_json::{json, Value};

use wb::check::{self, Analysis};
use wb::diag::{Code, Diagnostic};
use wb::export::{self, verify, Export, Ranges};
use wb::interp::{self, Bindings, Limits, Machine, Read};
use wb::number;
use wb::syntax::Program;

use super::{
    load, output, parse, report, report_as, usage_error, Source, EXIT_PROGRAM, EXIT_USAGE,
};

/// The Python side of the check, shipped inside the binary.
const RUNNER: &str = include_str!("../../scripts/export_run.py");

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The program (`-` for standard input).
    file: PathBuf,
    /// Write the ONNX model here; the safetensors file and the JSON sidecar
    /// go beside it (`NAME.safetensors`, `NAME.json`).
    #[arg(short = 'o', long = "output", value_name = "FILE.onnx")]
    output: Option<PathBuf>,
    /// Print the model's description (the JSON sidecar's object: sizes,
    /// ranges, the bound) as one JSON object instead of the summary;
    /// diagnostics, if any, as JSON too.
    #[arg(long, conflicts_with = "check")]
    json: bool,
    /// The range of an input or of every element of a stream: `x=-100..100`
    /// (repeatable; required for every input the model reads).
    #[arg(long = "range", value_name = "NAME=LO..HI")]
    ranges: Vec<String>,
    /// The longest stream the model will see (required with streams).
    #[arg(long, value_name = "N")]
    max_len: Option<u64>,
    /// Refuse (exit 1, nothing written) when the bound exceeds E.
    #[arg(long, value_name = "E")]
    tolerance: Option<f64>,
    /// Run the program on the interpreter, the cell, onnxruntime and an f64
    /// LSTMCell over generated inputs, and compare against the bound.
    #[arg(long)]
    check: bool,
    /// Random input sets for `--check`, besides the edge and near-tie ones.
    #[arg(long, value_name = "N", default_value_t = 4)]
    cases: usize,
    /// The Python with onnxruntime, onnx, numpy, safetensors for `--check`
    /// (default: `$WB_PYTHON`, else the repository's `.venv/bin/python`).
    #[arg(long, value_name = "PATH")]
    python: Option<PathBuf>,
}

fn parse_range(s: &str) -> Result<(String, f64, f64), String> {
    let (name, spec) = s
        .split_once('=')
        .ok_or_else(|| format!("--range {s}: expected NAME=LO..HI, as in `--range x=-100..100`"))?;
    let (lo, hi) = spec
        .split_once("..")
        .ok_or_else(|| format!("--range {s}: expected LO..HI after `=`, as in `x=-100..100`"))?;
    let lo = interp::parse_number(lo.trim()).map_err(|w| format!("--range {s}: {w}"))?;
    let hi = interp::parse_number(hi.trim()).map_err(|w| format!("--range {s}: {w}"))?;
    if !(lo.is_finite() && hi.is_finite()) || lo > hi {
        return Err(format!(
            "--range {s}: the low end must be at most the high end"
        ));
    }
    Ok((name.trim().to_owned(), lo, hi))
}

fn ranges(args: &ExportArgs, program: &Program, analysis: &Analysis) -> Result<Ranges, String> {
    let sym = &analysis.symbols;
    let mut r = Ranges {
        scalars: vec![None; sym.inputs.len()],
        streams: vec![None; sym.streams.len()],
    };
    for s in &args.ranges {
        let (name, lo, hi) = parse_range(s)?;
        if let Some(i) = sym
            .inputs
            .iter()
            .position(|i| program.names.text(i.name) == name)
        {
            r.scalars[i] = Some((lo, hi));
        } else if let Some(i) = sym
            .streams
            .iter()
            .position(|i| program.names.text(i.name) == name)
        {
            r.streams[i] = Some((lo, hi));
        } else {
            return Err(format!(
                "--range {s}: `{name}` is not an input or a stream of this program"
            ));
        }
    }
    Ok(r)
}

pub fn export(args: ExportArgs) -> i32 {
    let source = match load(&args.file) {
        Ok(s) => s,
        Err(e) => return e.handle(|source, diags| report_as(args.json, diags, source)),
    };
    if args.max_len == Some(0) {
        usage_error("--max-len 0: the domain needs streams of at least one element");
        return EXIT_USAGE;
    }
    if args.tolerance.is_some_and(|t| t.is_nan() || t < 0.0) {
        usage_error("--tolerance: expected a number ≥ 0");
        return EXIT_USAGE;
    }
    let parsed = parse(&source);
    if !parsed.diagnostics.is_empty() {
        report_as(args.json, &parsed.diagnostics, &source);
        return EXIT_PROGRAM;
    }
    let program = parsed.program;
    let analysis = check::check(&program, None);
    if analysis.has_errors() {
        report_as(args.json, &analysis.diagnostics, &source);
        return EXIT_PROGRAM;
    }
    let ranges = match ranges(&args, &program, &analysis) {
        Ok(r) => r,
        Err(m) => {
            usage_error(&m);
            return EXIT_USAGE;
        }
    };
    let stop = output::interrupt_flag();
    let ex = match export::export(
        &program,
        &analysis,
        &source.text,
        ranges,
        args.max_len,
        Some(stop),
    ) {
        Ok(e) => e,
        Err(diags) => {
            report_as(args.json, &diags, &source);
            return if diags.iter().any(|d| d.code == Code::Interrupted) {
                output::EXIT_INTERRUPTED
            } else if diags.iter().all(|d| d.code == Code::MissingRange) {
                EXIT_USAGE
            } else {
                EXIT_PROGRAM
            };
        }
    };
    let mut text = summary(&ex, &source);
    if let Some(t) = args.tolerance {
        if ex.bound.max > t {
            if !args.json {
                let _ = output::print(&text);
            }
            let span = ex
                .plan
                .reads
                .first()
                .map_or(wb::syntax::Span::new(0, 0), |r| r.span);
            let d = Diagnostic::error(
                Code::BoundExceeded,
                format!(
                    "the bound {} exceeds the tolerance {}: nothing was written",
                    number::format(ex.bound.max),
                    number::format(t)
                ),
                span,
                "a read",
            )
            .with_help("narrow the ranges with `--range`, shorten `--max-len`, or accept a larger `--tolerance`");
            report_as(args.json, &[d], &source);
            return EXIT_PROGRAM;
        }
    }
    let names = &program.names;
    let meta = metadata(&ex, &source);
    let files = args.output.as_ref().map(|o| paths(o));
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            usage_error(&format!("cannot make a temporary directory: {e}"));
            return EXIT_USAGE;
        }
    };
    let (onnx_path, st_path, json_path) = files
        .clone()
        .unwrap_or_else(|| paths(&dir.path().join("model.onnx")));
    if files.is_some() || args.check {
        let onnx = export::onnx::model(&ex, names, meta.clone());
        let st = match export::torch::safetensors(&ex, meta.into_iter().collect::<HashMap<_, _>>())
        {
            Ok(b) => b,
            Err(e) => {
                usage_error(&format!("cannot write the safetensors file: {e}"));
                return EXIT_USAGE;
            }
        };
        let side = export::torch::sidecar(&ex, names, &source.name);
        let side = format!(
            "{}\n",
            serde_json::to_string_pretty(&side).unwrap_or_default()
        );
        for (path, bytes) in [
            (&onnx_path, &onnx[..]),
            (&st_path, &st[..]),
            (&json_path, side.as_bytes()),
        ] {
            if let Err(e) = std::fs::write(path, bytes) {
                usage_error(&format!("cannot write `{}`: {e}", path.display()));
                return EXIT_USAGE;
            }
        }
        if files.is_some() {
            text.push_str(&format!(
                "wrote {}, {}, {}\n",
                onnx_path.display(),
                st_path.display(),
                json_path.display()
            ));
        }
    }
    if args.json {
        let side = export::torch::sidecar(&ex, names, &source.name);
        text = format!("{}\n", serde_json::to_string(&side).unwrap_or_default());
    }
    if let Err(code) = output::print(&text) {
        return code;
    }
    if !args.check {
        return 0;
    }
    check_three_ways(
        &args,
        &source,
        &program,
        &analysis,
        &ex,
        (&onnx_path, &st_path, &json_path),
        dir.path(),
        stop,
    )
}

fn paths(onnx: &Path) -> (PathBuf, PathBuf, PathBuf) {
    (
        onnx.to_path_buf(),
        onnx.with_extension("safetensors"),
        onnx.with_extension("json"),
    )
}

fn summary(ex: &Export, source: &Source) -> String {
    let l = &ex.lstm;
    let mut s = format!(
        "exported {}: {} unit{}, {} step{} per {}, input size {} ({} clock + {} feature{})\n",
        source.name,
        l.hidden,
        check::plural(l.hidden),
        l.phases,
        check::plural(l.phases),
        if ex.plan.repeat.is_some() {
            "iteration"
        } else {
            "element"
        },
        l.input(),
        l.phases,
        l.features.len(),
        check::plural(l.features.len()),
    );
    s.push_str(&format!(
        "scale 2^{}, gate gain {}, comparison gain 2^{}\n",
        l.scale.log2() as i64,
        number::format(l.gain),
        l.k.log2() as i64
    ));
    s.push_str(&format!(
        "bound: {} (the largest error of any read)\n",
        fmt_bound(ex.bound.max)
    ));
    for (r, read) in ex.plan.reads.iter().enumerate() {
        let b = ex.bound.per_read[r].iter().copied().fold(0.0, f64::max);
        s.push_str(&format!(
            "  line {}: read {}  ± {}\n",
            read.line,
            read.text,
            fmt_bound(b)
        ));
    }
    let dom = export::torch::domain(ex);
    let mut parts: Vec<String> = dom["ranges"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} in [{}, {}]", fmt_num(&v[0]), fmt_num(&v[1])))
                .collect()
        })
        .unwrap_or_default();
    match ex.plan.repeat {
        Some(n) => parts.push(format!("{n} iterations")),
        None => parts.push(format!("streams of length 1..={}", ex.max_len)),
    }
    s.push_str(&format!("domain: {}\n", parts.join(", ")));
    s
}

fn fmt_num(v: &Value) -> String {
    v.as_f64().map_or_else(|| v.to_string(), number::format)
}

fn fmt_bound(b: f64) -> String {
    format!("{b:.3e}")
}

fn metadata(ex: &Export, source: &Source) -> Vec<(String, String)> {
    let reads: Vec<Value> = ex
        .plan
        .reads
        .iter()
        .enumerate()
        .map(|(r, read)| {
            json!({
                "output": export::onnx::read_name(r),
                "text": read.text,
                "line": read.line,
                "bound": ex.bound.per_read[r].iter().copied().fold(0.0, f64::max),
            })
        })
        .collect();
    vec![
        ("wb.format".into(), "wb-export 1".into()),
        ("wb.program".into(), source.name.clone()),
        ("wb.bound".into(), format!("{}", ex.bound.max)),
        ("wb.reads".into(), Value::Array(reads).to_string()),
        ("wb.domain".into(), export::torch::domain(ex).to_string()),
        (
            "wb.assumptions".into(),
            export::torch::assumptions().to_string(),
        ),
        ("wb.scale".into(), format!("{}", ex.lstm.scale)),
    ]
}

/// The Python to run the model with.
fn python(args: &ExportArgs) -> PathBuf {
    if let Some(p) = &args.python {
        return p.clone();
    }
    if let Some(p) = std::env::var_os("WB_PYTHON") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python")
}

/// Runs `python` on the runner; stops it on Ctrl-C.
fn run_python(py: &Path, args: &[&Path], stop: &AtomicBool) -> Result<(), String> {
    let mut child = Command::new(py)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run `{}` ({e}): `--check` needs a Python with onnxruntime; run \
                 scripts/setup-python.sh, or give one with `--python` or WB_PYTHON",
                py.display()
            )
        })?;
    loop {
        if stop.load(Ordering::Relaxed) {
            let _ = child.kill();
            let _ = child.wait();
            return Err("interrupted".into());
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("`{}` failed: {}", py.display(), err.trim()))
                };
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// `wb run`'s reads for one input set, as the plan's reads.
fn engine_reads(reads: &[Read], ex: &Export) -> verify::Reads {
    let mut out = vec![Vec::new(); ex.plan.reads.len()];
    for r in reads {
        if let Some(i) = ex.plan.reads.iter().position(|p| p.span == r.span) {
            out[i].push(r.value);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn check_three_ways(
    args: &ExportArgs,
    source: &Source,
    program: &Program,
    analysis: &Analysis,
    ex: &Export,
    (onnx, st, side): (&Path, &Path, &Path),
    dir: &Path,
    stop: &AtomicBool,
) -> i32 {
    let defaults: Vec<Option<f64>> = analysis.symbols.inputs.iter().map(|i| i.default).collect();
    let cases = verify::cases(ex, &defaults, args.cases, 0x5eed);
    let compiled = match wb::cell::compile(program, analysis, &source.text) {
        Ok(c) => c,
        Err(d) => {
            report(&[d], source);
            return EXIT_PROGRAM;
        }
    };
    let mut verdict = verify::Verdict::default();
    let mut interp_all = Vec::new();
    for (ci, case) in cases.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            usage_error("interrupted");
            return output::EXIT_INTERRUPTED;
        }
        let bindings = Bindings {
            scalars: case.scalars.clone(),
            streams: case.streams.clone(),
        };
        let mut machine = Machine::new(
            program,
            &source.text,
            &analysis.symbols,
            analysis.capacity.unwrap_or(0),
            bindings.clone(),
        );
        let mut reads: Vec<Read> = Vec::new();
        let limits = Limits {
            max_steps: None,
            interrupt: Some(stop),
        };
        if let Err(d) = machine.run(&program.items, &mut reads, limits) {
            report(&[d], source);
            return EXIT_PROGRAM;
        }
        let want = engine_reads(&reads, ex);
        let mut cell_reads: Vec<Read> = Vec::new();
        if let Err(d) =
            wb::cell::Engine::with_chunk(&compiled, 1).run_one(&bindings, &mut cell_reads)
        {
            report(&[d], source);
            return EXIT_PROGRAM;
        }
        let len = case.streams.iter().map(Vec::len).max().unwrap_or(0);
        verdict.compare(
            ex,
            "cell",
            ci,
            len,
            &want,
            &engine_reads(&cell_reads, ex),
            true,
        );
        interp_all.push(want);
    }
    // The exported files, through onnxruntime and the f64 LSTMCell.
    let names = &program.names;
    let job: Vec<Value> = cases
        .iter()
        .map(|c| {
            let inputs: serde_json::Map<String, Value> = analysis
                .symbols
                .inputs
                .iter()
                .zip(&c.scalars)
                .map(|(i, v)| (names.text(i.name).to_owned(), json!([v])))
                .collect();
            let streams: serde_json::Map<String, Value> = analysis
                .symbols
                .streams
                .iter()
                .zip(&c.streams)
                .map(|(s, v)| (names.text(s.name).to_owned(), json!(v)))
                .collect();
            json!({ "inputs": inputs, "streams": streams })
        })
        .collect();
    let cases_path = dir.join("cases.json");
    let out_path = dir.join("results.json");
    let runner = dir.join("export_run.py");
    let written = std::fs::write(&cases_path, json!({ "cases": job }).to_string())
        .and_then(|()| std::fs::write(&runner, RUNNER));
    if let Err(e) = written {
        usage_error(&format!("cannot write the check's files: {e}"));
        return EXIT_USAGE;
    }
    let py = python(args);
    let run = Path::new("run");
    let a = |s: &'static str| Path::new(s);
    if let Err(e) = run_python(
        &py,
        &[
            &runner,
            run,
            a("--onnx"),
            onnx,
            a("--safetensors"),
            st,
            a("--sidecar"),
            side,
            a("--cases"),
            &cases_path,
            a("--out"),
            &out_path,
        ],
        stop,
    ) {
        if e == "interrupted" {
            usage_error("interrupted");
            return output::EXIT_INTERRUPTED;
        }
        usage_error(&e);
        return EXIT_USAGE;
    }
    let results: Value = match std::fs::read_to_string(&out_path).map(|t| serde_json::from_str(&t))
    {
        Ok(Ok(v)) => v,
        _ => {
            usage_error("the check's Python side wrote no results");
            return EXIT_USAGE;
        }
    };
    let ort = results["onnxruntime"].as_str().unwrap_or("?").to_owned();
    let mut invalid = 0;
    for (ci, res) in results["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let get = |engine: &str| -> verify::Reads {
            (0..ex.plan.reads.len())
                .map(|r| {
                    res[engine][export::onnx::read_name(r)]
                        .as_array()
                        .map(|a| a.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
                        .unwrap_or_default()
                })
                .collect()
        };
        if res["valid"] != json!(true) {
            invalid += 1;
        }
        let len = cases[ci].streams.iter().map(Vec::len).max().unwrap_or(0);
        verdict.compare(
            ex,
            &format!("onnxruntime {ort}"),
            ci,
            len,
            &interp_all[ci],
            &get("onnx"),
            false,
        );
        verdict.compare(
            ex,
            "f64 LSTMCell (safetensors)",
            ci,
            len,
            &interp_all[ci],
            &get("reference"),
            false,
        );
    }
    let mut text = format!(
        "check: {} input sets ({}), {} values compared\n",
        cases.len(),
        {
            let mut kinds: Vec<&str> = cases.iter().map(|c| c.kind).collect();
            kinds.dedup();
            kinds.join(", ")
        },
        verdict.compared
    );
    for (engine, err, b) in &verdict.worst {
        if engine == "cell" {
            text.push_str(&format!(
                "  cell: {} (bit for bit with the interpreter)\n",
                if *err == 0.0 { "agrees" } else { "DIFFERS" }
            ));
        } else {
            text.push_str(&format!(
                "  {engine}: largest error {} (the bound there {})\n",
                fmt_bound(*err),
                fmt_bound(*b)
            ));
        }
    }
    if invalid > 0 {
        text.push_str(&format!(
            "  the model's `valid` output was false for {invalid} input set(s) inside the domain\n"
        ));
    }
    let code = match &verdict.first {
        None if invalid == 0 => {
            text.push_str(&format!(
                "every engine is within the bound ({})\n",
                fmt_bound(ex.bound.max)
            ));
            0
        }
        None => EXIT_PROGRAM,
        Some(v) => {
            let read = &ex.plan.reads[v.read];
            let units: Vec<&str> = ex
                .plan
                .units
                .iter()
                .filter(|u| {
                    read.expr
                        .iter()
                        .any(|o| o.kind() == wb::syntax::OpKind::Name(u.name))
                })
                .map(|u| u.text.as_str())
                .collect();
            text.push_str(&format!(
                "first outside the bound: {}, input set {} ({}), element {}, step {}, unit {} (read {} on line {}): {} against wb's {}, error {} > {}\n",
                v.engine,
                v.case,
                cases[v.case].kind,
                v.element,
                v.step,
                units.join(", "),
                read.text,
                read.line,
                number::format(v.got),
                number::format(v.want),
                fmt_bound((v.got - v.want).abs()),
                fmt_bound(v.bound)
            ));
            EXIT_PROGRAM
        }
    };
    match output::print(&text) {
        Ok(()) => code,
        Err(c) => c,
    }
}

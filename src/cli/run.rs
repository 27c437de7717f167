//! `wb run`: check, then run, printing each read.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use clap::Args;
use serde_json::{json, Value};

use wb::check::{self, Analysis};
use wb::diag::Diagnostic;
use wb::interp::{self, Limits, Machine, Observer, Overrides, Read};
use wb::number;
use wb::syntax::LineIndex;
use wb::trace::json::JsonRun;
use wb::trace::Trace;

use super::{load, output, parse, report, usage_error, Source, EXIT_PROGRAM, EXIT_USAGE};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The program (`-` for standard input).
    file: PathBuf,
    /// Give or override an input: `--set b=4` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
    /// Give or override a stream: `--stream x=1,2,3` or `--stream x=@file`.
    #[arg(long = "stream", value_name = "NAME=VALUES")]
    streams: Vec<String>,
    /// Run with this many slots instead of the program's `board N`.
    #[arg(long, value_name = "N", value_parser = super::capacity)]
    capacity: Option<usize>,
    /// Print one JSON object, streamed: reads as they happen, then
    /// diagnostics (warnings too), capacity, peak (docs/json.md).
    #[arg(long)]
    json: bool,
    /// Show the board after every statement (with `--engine cell`, the
    /// cell state after every step); with `--json`, the trace as data
    /// (`"trace_version": 1`, interpreter only).
    #[arg(long)]
    trace: bool,
    /// Lay `--trace` out in N columns (default: the terminal's width, 80
    /// when standard output is not a terminal; at least 40).
    #[arg(long, value_name = "N")]
    width: Option<usize>,
    /// Stop with `wb::step_limit` after N statements.
    #[arg(long, value_name = "N")]
    max_steps: Option<u64>,
    /// `interp` (default) runs statement by statement; `cell` compiles the
    /// program to its LSTM-style cell and runs that (same output).
    #[arg(long, value_name = "ENGINE", default_value = "interp")]
    engine: EngineKind,
    /// Run the cell once per row of this CSV (header: input names; a stream
    /// cell is its sequence separated by `;`); write a CSV of the reads.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["json", "trace"])]
    batch: Option<PathBuf>,
}

impl RunArgs {
    /// `wb run FILE` with no flags: what clap gives (`cli::plain`).
    pub(super) fn for_file(file: PathBuf) -> RunArgs {
        RunArgs {
            file,
            sets: Vec::new(),
            streams: Vec::new(),
            capacity: None,
            json: false,
            trace: false,
            width: None,
            max_steps: None,
            engine: EngineKind::Interp,
            batch: None,
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum EngineKind {
    Interp,
    Cell,
}

pub fn run(args: RunArgs) -> i32 {
    let source = match load(&args.file) {
        Ok(s) => s,
        Err(e) => return e.handle(|source, diags| fail(&args, source, diags, None)),
    };
    let overrides = match overrides(&args) {
        Ok(o) => o,
        Err(msg) => {
            usage_error(&msg);
            return EXIT_USAGE;
        }
    };
    let parsed = parse(&source);
    if !parsed.diagnostics.is_empty() {
        fail(&args, &source, &parsed.diagnostics, None);
        return EXIT_PROGRAM;
    }
    let program = parsed.program;
    let mut analysis = check::check(&program, args.capacity);
    if args.json && !analysis.diagnostics.is_empty() {
        // The same diagnostics, fixes and help as `wb check --format json`.
        analysis = for_json(&program, &source.text, args.capacity);
    }
    if analysis.has_errors() {
        fail(&args, &source, &analysis.diagnostics, Some(&analysis));
        return EXIT_PROGRAM;
    }
    if !args.json && !analysis.diagnostics.is_empty() {
        report(&analysis.diagnostics, &source);
    }
    let (overrides, files) = overrides;
    // A file stream's name must be a stream's too.
    let mut named = overrides.clone();
    named
        .streams
        .extend(files.iter().map(|(n, _)| (n.clone(), Vec::new())));
    let unknown = named.unknown(&analysis.symbols, &program.names);
    if !unknown.is_empty() {
        for u in unknown {
            usage_error(&u);
        }
        return EXIT_USAGE;
    }
    if args.json && args.trace && args.engine == EngineKind::Cell {
        usage_error("`--json --trace` needs `--engine interp`: the trace as data is the interpreter's, statement by statement");
        return EXIT_USAGE;
    }
    if args.engine == EngineKind::Cell || args.batch.is_some() {
        if args.max_steps.is_some() {
            usage_error(
                "`--max-steps` needs `--engine interp`: the cell runs steps, not statements",
            );
            return EXIT_USAGE;
        }
        if let Some(path) = &args.batch {
            if !files.is_empty() {
                usage_error("`--stream NAME=@FILE` does not combine with `--batch`: give each row's stream in its CSV cell");
                return EXIT_USAGE;
            }
            return batch(path, &source, &program, &analysis, &overrides);
        }
    }
    let bound = interp::bind_with_files(&analysis.symbols, &program.names, &overrides, &files);
    let (bindings, stream_files) = match bound {
        Ok(b) => b,
        Err(d) => {
            let mut diags = if args.json {
                analysis.diagnostics.clone()
            } else {
                Vec::new()
            };
            diags.push(d);
            fail(&args, &source, &diags, Some(&analysis));
            return EXIT_PROGRAM;
        }
    };
    let capacity = analysis.capacity.unwrap_or(0);
    if args.engine == EngineKind::Cell {
        return run_cell(
            &args,
            &source,
            &program,
            &analysis,
            &bindings,
            &stream_files,
        );
    }
    let mut machine = Machine::new(
        &program,
        &source.text,
        &analysis.symbols,
        capacity,
        bindings,
    )
    .with_stream_files(stream_files);
    let stop = output::interrupt_flag();
    let limits = Limits {
        max_steps: args.max_steps,
        interrupt: Some(stop),
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(output::Stopping::new(stdout.lock()));
    if args.json {
        let mut printer = if args.trace {
            JsonRun::with_trace(&mut out, &program, &source.text)
        } else {
            JsonRun::new(&mut out)
        };
        let result = machine.run(&program.items, &mut printer, limits);
        let peak = machine.peak();
        return finish_json(&source, &analysis, printer, result.map(|()| peak));
    }
    if args.trace {
        let mut trace = Trace::new(&mut out, &program, &source.text, capacity, analysis.peak)
            .with_width(wb::layout::stdout_width(args.width));
        let result = machine.run(&program.items, &mut trace, limits);
        trace.flush();
        let written = trace.take_error();
        drop(trace);
        let written = written.map_or_else(|| out.flush(), Err);
        if let Err(e) = written {
            return output::failed(&e);
        }
        return match result {
            Ok(()) => 0,
            Err(d) => {
                let code = exit_code(&d);
                report(&[d], &source);
                code
            }
        };
    }
    let mut printer = Printer {
        out: &mut out,
        stop,
        error: None,
    };
    let result = machine.run(&program.items, &mut printer, limits);
    let Printer { error, .. } = printer;
    finish(&source, error, out, result.map(|_| ()))
}

/// Ends a run: the diagnostic, and the exit code. Output that could not be
/// written decides the exit code first.
fn finish(
    source: &Source,
    error: Option<std::io::Error>,
    mut out: BufWriter<output::Stopping<std::io::StdoutLock<'_>>>,
    result: Result<(), Diagnostic>,
) -> i32 {
    let written = error.map_or_else(|| out.flush(), Err);
    if let Err(e) = written {
        return output::failed(&e);
    }
    drop(out);
    match result {
        Ok(()) => 0,
        Err(d) => {
            let code = exit_code(&d);
            report(&[d], source);
            code
        }
    }
}

/// Ends a `--json` run: the object's tail (the check's warnings, the run's
/// error, the summary) and the exit code. Output that could not be written
/// decides the exit code first.
fn finish_json(
    source: &Source,
    analysis: &Analysis,
    printer: JsonRun<'_, '_>,
    result: Result<usize, Diagnostic>,
) -> i32 {
    let lines = LineIndex::new(&source.text);
    if let Some(e) = printer.error() {
        // Output stopped: the run stopped with it; nothing more is written.
        let e = std::io::Error::new(e.kind(), e.to_string());
        drop(printer);
        return output::failed(&e);
    }
    let mut diags = analysis.diagnostics.clone();
    let (summary, code) = match &result {
        Ok(peak) => (
            vec![
                ("capacity", json!(analysis.capacity.unwrap_or(0))),
                ("peak", json!(peak)),
            ],
            0,
        ),
        Err(d) => {
            diags.push(d.clone());
            (summary_of(Some(analysis), &lines, d.index), exit_code(d))
        }
    };
    match printer.finish(&diags, &source.text, &lines, &summary) {
        Ok(()) => code,
        Err(e) => output::failed(&e),
    }
}

/// The check as `wb check --format json` reports it: fixes laid out and
/// followed, the help of the fewest slots of any order.
fn for_json(program: &wb::syntax::Program, text: &str, capacity: Option<usize>) -> Analysis {
    let mut analysis = check::check_source(program, text, capacity);
    let fewest = wb::plan::statements::fewest_slots(program, wb::plan::statements::CHECK_LIMITS);
    wb::plan::statements::advise(&fewest, &mut analysis);
    analysis
}

/// The keys after `diagnostics` of a failed run's object.
fn summary_of(
    analysis: Option<&Analysis>,
    lines: &LineIndex,
    index: Option<u64>,
) -> Vec<(&'static str, Value)> {
    let mut summary = Vec::new();
    if let Some(a) = analysis {
        summary.push(("capacity", json!(a.capacity)));
        summary.push(("peak", json!(a.peak)));
        summary.push((
            "peak_line",
            json!(a.peak_span.map(|s| lines.line(s.start as usize))),
        ));
        summary.push(("min_capacity", json!(a.min_capacity)));
    }
    if let Some(i) = index {
        summary.push(("index", json!(i)));
    }
    summary
}

/// `--engine cell`: the same output as the interpreter, from the cell.
fn run_cell(
    args: &RunArgs,
    source: &Source,
    program: &wb::syntax::Program,
    analysis: &Analysis,
    bindings: &interp::Bindings,
    files: &interp::StreamFiles,
) -> i32 {
    let compiled = match wb::cell::compile(program, analysis, &source.text) {
        Ok(c) => c,
        Err(d) => {
            let mut diags = if args.json {
                analysis.diagnostics.clone()
            } else {
                Vec::new()
            };
            diags.push(d);
            fail(args, source, &diags, Some(analysis));
            return EXIT_PROGRAM;
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(output::Stopping::new(stdout.lock()));
    if args.trace {
        let width = wb::layout::stdout_width(args.width);
        let (result, error) = wb::trace::run_cell(&mut out, &compiled, bindings, files, width);
        if let Err(e) = error.map_or_else(|| out.flush(), Err) {
            return output::failed(&e);
        }
        drop(out);
        return result.map_or_else(
            |d| {
                let code = exit_code(&d);
                report(&[d], source);
                code
            },
            |_| 0,
        );
    }
    let stop = output::interrupt_flag();
    let mut engine = wb::cell::Engine::with_chunk(&compiled, 1).with_stop(stop);
    if args.json {
        let mut printer = JsonRun::new(&mut out);
        let result = engine.run_one_with_files(bindings, files, &mut printer);
        return finish_json(source, analysis, printer, result);
    }
    let mut printer = Printer {
        out: &mut out,
        stop,
        error: None,
    };
    let result = engine.run_one_with_files(bindings, files, &mut printer);
    let Printer { error, .. } = printer;
    finish(source, error, out, result.map(|_| ()))
}

/// The exit code of a run that failed: a bad `--stream x=@file` is the
/// command's input given wrongly, like a bad `--set` (2); anything else is
/// the program's error (1).
pub(super) fn exit_code(d: &Diagnostic) -> i32 {
    match d.code {
        wb::diag::Code::StreamFile => EXIT_USAGE,
        wb::diag::Code::Interrupted => output::EXIT_INTERRUPTED,
        _ => EXIT_PROGRAM,
    }
}

/// Prints reads as they come (`TEXT = VALUE`).
struct Printer<'a, W: Write> {
    out: &'a mut W,
    stop: &'a AtomicBool,
    /// The first write error; output stops there.
    error: Option<std::io::Error>,
}

impl<W: Write> Observer for Printer<'_, W> {
    fn read(&mut self, read: Read) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = writeln!(self.out, "{} = {}", read.text, number::format(read.value)) {
            // Stop the run: a closed pipe ends it quietly, a full disk is an error.
            self.error = Some(e);
            self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Reports a failure before the run: rendered on standard error, or as one
/// JSON object on standard output with `--json` (no reads).
fn fail(args: &RunArgs, source: &Source, diags: &[Diagnostic], analysis: Option<&Analysis>) {
    if !args.json {
        report(diags, source);
        return;
    }
    let lines = LineIndex::new(&source.text);
    let summary = summary_of(analysis, &lines, diags.iter().find_map(|d| d.index));
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let _ = JsonRun::new(&mut out).finish(diags, &source.text, &lines, &summary);
}

/// `--set` and `--stream` values, parsed, and the streams to read from
/// files (`--stream x=@file`); an error is a usage error. The last flag
/// given for a stream wins.
fn overrides(args: &RunArgs) -> Result<(Overrides, Vec<(String, PathBuf)>), String> {
    parse_overrides(&args.sets, &args.streams)
}

/// `--set` and `--stream` flags read (shared with `wb report` and `wb grad`).
pub(super) fn parse_overrides(
    sets: &[String],
    streams: &[String],
) -> Result<(Overrides, Vec<(String, PathBuf)>), String> {
    let mut o = Overrides::default();
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for s in sets {
        let (name, value) = s
            .split_once('=')
            .ok_or_else(|| format!("--set {s}: expected NAME=VALUE, as in `--set b=4`"))?;
        let v = parse_number(value.trim()).map_err(|why| format!("--set {s}: {why}"))?;
        o.scalars.push((name.trim().to_owned(), v));
    }
    for s in streams {
        let (name, spec) = s.split_once('=').ok_or_else(|| {
            format!("--stream {s}: expected NAME=VALUES, as in `--stream x=1,2,3`")
        })?;
        let name = name.trim();
        match spec.strip_prefix('@') {
            // Read as the run goes, so memory does not grow with the file;
            // a file that cannot be opened is still a usage error up front.
            Some(path) => {
                interp::StreamFile::new(path)
                    .open()
                    .map_err(|e| format!("--stream {name}=@{path}: {}", e.message))?;
                o.streams.retain(|(n, _)| n != name);
                files.push((name.to_owned(), PathBuf::from(path)));
            }
            None => {
                let values = parse_list(spec).map_err(|why| format!("--stream {s}: {why}"))?;
                files.retain(|(n, _)| n != name);
                o.streams.push((name.to_owned(), values));
            }
        }
    }
    Ok((o, files))
}

/// Numbers separated by commas, spaces or newlines, a comma between two.
fn parse_list(text: &str) -> Result<Vec<f64>, String> {
    interp::parse_list(text, ',')
}

fn parse_number(s: &str) -> Result<f64, String> {
    interp::parse_number(s)
}

/// `--batch FILE`: the cell on every CSV row, a CSV of reads on standard
/// output, one row per input row. Exit 1 when any row failed (its `error`
/// column says why), as `wb repl < file` does when an entry failed; a
/// header that cannot be used is a usage error.
fn batch(
    path: &std::path::Path,
    source: &Source,
    program: &wb::syntax::Program,
    analysis: &Analysis,
    overrides: &Overrides,
) -> i32 {
    let compiled = match wb::cell::compile(program, analysis, &source.text) {
        Ok(c) => c,
        Err(d) => {
            report(&[d], source);
            return EXIT_PROGRAM;
        }
    };
    let names = &program.names;
    let defaults = wb::cell::batch::Defaults {
        scalars: analysis
            .symbols
            .inputs
            .iter()
            .map(|i| {
                let given = overrides.scalars.iter().rev();
                given
                    .clone()
                    .find(|(n, _)| n == names.text(i.name))
                    .map(|(_, v)| *v)
                    .or(i.default)
                    // An input the program never reads needs no value (as
                    // `wb run` without `--batch`).
                    .or((!i.read).then_some(0.0))
            })
            .collect(),
        streams: analysis
            .symbols
            .streams
            .iter()
            .map(|s| {
                overrides
                    .streams
                    .iter()
                    .rev()
                    .find(|(n, _)| n == names.text(s.name))
                    .map(|(_, v)| v.clone())
                    .or_else(|| s.default.clone())
                    .or_else(|| (!s.read).then(Vec::new))
            })
            .collect(),
    };
    let input: Box<dyn std::io::Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(path) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                usage_error(&format!("cannot read `{}`: {e}", path.display()));
                return EXIT_USAGE;
            }
        }
    };
    let out = BufWriter::new(output::Stopping::new(std::io::stdout().lock()));
    let stop = output::interrupt_flag();
    match wb::cell::batch::run_csv(&compiled, &defaults, input, out, Some(stop)) {
        Ok(summary) if summary.stopped => {
            eprintln!(
                "error[wb::interrupted]: the batch was interrupted: the rows above ran, the rest did not"
            );
            output::EXIT_INTERRUPTED
        }
        Ok(summary) if summary.failed > 0 => EXIT_PROGRAM,
        Ok(_) => 0,
        Err(wb::cell::batch::BatchError::Output(e)) => output::failed(&e),
        Err(wb::cell::batch::BatchError::Input(msg)) => {
            usage_error(&format!("--batch {}: {msg}", path.display()));
            EXIT_USAGE
        }
    }
}

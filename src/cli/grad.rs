//! `wb grad`: the exact derivatives of a run's reads with respect to its
//! inputs and stream elements, as a table, JSON or an SVG chart.

use std::path::PathBuf;

use clap::Args;
use serde_json::{json, Map, Value};

use wb::check;
use wb::grad::{self, svg, Compiled, Failure, Gradients, Spec};
use wb::interp::{self, Bindings, Machine, StreamFiles};
use wb::number;
use wb::syntax::{LineIndex, Program};

use super::{
    load, output, parse, report, report_as, usage_error, Source, EXIT_PROGRAM, EXIT_USAGE,
};

/// The most stream elements `wb grad` holds in memory from files (the
/// backward sweep reads every element again, in segments, from the end).
const MAX_BUFFERED: usize = 1 << 24;

#[derive(Args, Debug)]
pub struct GradArgs {
    /// The program (`-` for standard input).
    file: PathBuf,
    /// Give or override an input: `--set b=4` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
    /// Give or override a stream: `--stream x=1,2,3` or `--stream x=@file`.
    #[arg(long = "stream", value_name = "NAME=VALUES")]
    streams: Vec<String>,
    /// For a read inside `each`: differentiate only its read at element K
    /// (default: the reads at the first 3 and the last 3 elements).
    #[arg(long, value_name = "K")]
    at: Option<u64>,
    /// `reverse` (default: all derivatives in a few runs' time) or
    /// `forward` (one tangent per input and element; for checking).
    #[arg(long, value_name = "MODE", default_value = "reverse")]
    mode: Mode,
    /// Print one JSON object with every derivative.
    #[arg(long)]
    json: bool,
    /// Write an SVG chart of |∂read/∂x[t]| over t (log scale) to FILE.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Show every element in the table (default: at most 24 rows a stream).
    #[arg(long)]
    all: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Mode {
    Reverse,
    Forward,
}

pub fn grad(args: GradArgs) -> i32 {
    let source = match load(&args.file) {
        Ok(s) => s,
        Err(e) => return e.handle(|source, diags| report_as(args.json, diags, source)),
    };
    let (overrides, files) = match super::run::parse_overrides(&args.sets, &args.streams) {
        Ok(o) => o,
        Err(msg) => {
            usage_error(&msg);
            return EXIT_USAGE;
        }
    };
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
    if !args.json && !analysis.diagnostics.is_empty() {
        report(&analysis.diagnostics, &source);
    }
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
    let (mut bindings, stream_files) =
        match interp::bind_with_files(&analysis.symbols, &program.names, &overrides, &files) {
            Ok(b) => b,
            Err(d) => {
                report_as(args.json, &[d], &source);
                return EXIT_PROGRAM;
            }
        };
    let capacity = analysis.capacity.unwrap_or(0);
    let symbols = &analysis.symbols;
    let fail_run = |bindings: Bindings, files: StreamFiles| {
        interpreter_error(
            &program, &source, symbols, capacity, bindings, files, args.json,
        )
    };
    match buffer(&mut bindings, &stream_files) {
        Ok(()) => {}
        Err(Some(msg)) => {
            usage_error(&msg);
            return EXIT_USAGE;
        }
        Err(None) => return fail_run(bindings, stream_files),
    }
    let compiled = grad::compile(&program, symbols, &source.text);
    let spec = Spec {
        compiled: &compiled,
        scalars: &bindings.scalars,
        streams: &bindings.streams,
        at: args.at,
        interrupt: Some(output::interrupt_flag()),
    };
    let result = match args.mode {
        Mode::Reverse => grad::reverse::gradients(spec),
        Mode::Forward => grad::forward::gradients(spec),
    };
    let gradients = match result {
        Ok(g) => g,
        Err(Failure::Run) => return fail_run(bindings, StreamFiles::default()),
        Err(Failure::Interrupted) => {
            eprintln!("error[wb::interrupted]: stopped by Ctrl-C");
            return output::EXIT_INTERRUPTED;
        }
        Err(Failure::TooLarge(msg)) => {
            usage_error(&msg);
            return EXIT_USAGE;
        }
    };
    let view = View {
        program: &program,
        compiled: &compiled,
        bindings: &bindings,
        g: &gradients,
        mode: args.mode,
    };
    if let Some(path) = &args.svg {
        match view.picture() {
            Ok(text) => {
                if let Err(e) = std::fs::write(path, text) {
                    usage_error(&format!("cannot write `{}`: {e}", path.display()));
                    return EXIT_USAGE;
                }
            }
            Err(why) => eprintln!("no picture: {why}"),
        }
    }
    let text = if args.json {
        format!("{}\n", view.json())
    } else {
        view.table(args.all)
    };
    match output::print(&text) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// Reads every file stream into memory, within [`MAX_BUFFERED`] elements
/// in all. `Err(None)`: a file could not be read (the interpreter says
/// why); `Err(Some(message))`: too many elements.
fn buffer(bindings: &mut Bindings, files: &StreamFiles) -> Result<(), Option<String>> {
    let mut total: usize = bindings.streams.iter().map(Vec::len).sum();
    for i in 0..files.len() {
        let Some(file) = files.get(i) else { continue };
        let mut elements = file.open().map_err(|_| None)?;
        let mut values = Vec::new();
        while let Some(v) = elements.next_value().map_err(|_| None)? {
            total += 1;
            if total > MAX_BUFFERED {
                return Err(Some(format!(
                    "--stream @{}: `wb grad` holds its streams in memory (8 bytes an element) to go over them backwards, and takes at most {MAX_BUFFERED} elements",
                    file.path().display()
                )));
            }
            values.push(v);
        }
        if let Some(slot) = bindings.streams.get_mut(i) {
            *slot = values;
        }
    }
    Ok(())
}

/// The run failed: the interpreter runs it again and reports the error in
/// the words `wb run` uses.
fn interpreter_error(
    program: &Program,
    source: &Source,
    symbols: &check::Symbols,
    capacity: usize,
    bindings: Bindings,
    files: StreamFiles,
    json: bool,
) -> i32 {
    let mut machine =
        Machine::new(program, &source.text, symbols, capacity, bindings).with_stream_files(files);
    let mut reads = Vec::new();
    match machine.run(&program.items, &mut reads, Default::default()) {
        Err(d) => {
            let code = if d.code == wb::diag::Code::StreamFile {
                EXIT_USAGE
            } else {
                EXIT_PROGRAM
            };
            report_as(json, &[d], source);
            code
        }
        Ok(()) => {
            usage_error("the run could not be differentiated, but the interpreter runs it: this is a bug in `wb grad`");
            EXIT_PROGRAM
        }
    }
}

/// Formats a derivative: the shortest exact text, or `+inf`, `-inf`,
/// `undefined` (NaN: an infinite derivative met a zero one).
fn text(v: f64) -> String {
    if v.is_finite() {
        number::format(v)
    } else if v.is_nan() {
        "undefined".to_owned()
    } else if v > 0.0 {
        "+inf".to_owned()
    } else {
        "-inf".to_owned()
    }
}

fn value_json(v: f64) -> Value {
    if v.is_finite() {
        number::to_json(v)
    } else {
        Value::from(text(v))
    }
}

struct View<'a> {
    program: &'a Program,
    compiled: &'a Compiled,
    bindings: &'a Bindings,
    g: &'a Gradients,
    mode: Mode,
}

impl View<'_> {
    fn name(&self, n: u32) -> &str {
        self.program.names.text(wb::syntax::NameId(n))
    }

    /// Why nothing can be differentiated, if that is so.
    fn nothing(&self) -> Option<&'static str> {
        if self.compiled.outputs.is_empty() {
            Some("the program has no read, so there is nothing to differentiate")
        } else if self.compiled.inputs.is_empty() && self.compiled.streams.is_empty() {
            Some("the program has no inputs and no streams: every read is a constant, with nothing to differentiate it by")
        } else {
            None
        }
    }

    fn mode_line(&self) -> String {
        match self.mode {
            Mode::Forward => "forward mode (exact, f64)".to_owned(),
            Mode::Reverse => {
                let c = self.g.checkpointing;
                if c.checkpoints > 0 {
                    format!(
                        "reverse mode (exact, f64), checkpoints every {} iteration{} ({} kept)",
                        c.every,
                        if c.every == 1 { "" } else { "s" },
                        c.checkpoints
                    )
                } else {
                    "reverse mode (exact, f64)".to_owned()
                }
            }
        }
    }

    /// A curve's name in the table's header: the read's text, and for a
    /// read inside `each` the element (`s@7`).
    fn column(&self, g: &grad::ReadGrad) -> String {
        let o = &self.compiled.outputs[g.output];
        match g.index {
            Some(i) if o.in_each => format!("{}@{i}", o.text),
            _ => o.text.clone(),
        }
    }

    fn read_label(&self, g: &grad::ReadGrad) -> String {
        let o = &self.compiled.outputs[g.output];
        match g.index {
            Some(i) if o.in_each => format!("{} (line {}) at element {i}", o.text, o.line),
            _ => format!("{} (line {})", o.text, o.line),
        }
    }

    /// For a read inside `each` read at more elements than are
    /// differentiated: what is shown of it, in words.
    fn folded(&self, r: usize) -> Option<String> {
        let o = &self.compiled.outputs[r];
        let count = self.g.counts[r];
        let shown: Vec<u64> = self
            .g
            .reads
            .iter()
            .filter(|g| g.output == r)
            .filter_map(|g| g.index)
            .collect();
        if !o.in_each || shown.len() as u64 >= count {
            return None;
        }
        let which = if shown.len() as u64 == 2 * grad::FOLD {
            format!("the first {f} and the last {f}", f = grad::FOLD)
        } else {
            let list: Vec<String> = shown.iter().map(u64::to_string).collect();
            format!("element {}", list.join(", "))
        };
        Some(format!(
            "`{}` (line {}) is read at each of {count} elements; shown: {which} (`--at K` for the read at element K)",
            o.text, o.line
        ))
    }

    fn table(&self, all: bool) -> String {
        let mut out = String::new();
        for g in &self.g.reads {
            let o = &self.compiled.outputs[g.output];
            let at = match (g.value, g.index, o.in_loop) {
                (None, _, _) => " — never ran at the element asked".to_owned(),
                (Some(_), Some(i), _) => format!(", the read at element {i}"),
                (Some(_), None, true) => ", its last value".to_owned(),
                (Some(_), None, false) => String::new(),
            };
            let value = g.value.map_or("—".to_owned(), number::format);
            out.push_str(&format!(
                "read {} = {value}  (line {}{at})\n",
                o.text, o.line
            ));
        }
        for r in 0..self.compiled.outputs.len() {
            if let Some(line) = self.folded(r) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        if let Some(why) = self.nothing() {
            out.push_str(&format!("nothing to show: {why}\n"));
            return out;
        }
        let labels: Vec<String> = self.g.reads.iter().map(|g| self.column(g)).collect();
        if !self.compiled.inputs.is_empty() {
            let rows: Vec<(String, Vec<String>)> = self
                .compiled
                .inputs
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let cells = self.g.reads.iter().map(|g| text(g.inputs[i])).collect();
                    (format!("∂/∂{}", self.name(n)), cells)
                })
                .collect();
            out.push('\n');
            out.push_str(&grid("input", &labels, &rows));
        }
        for (s, &n) in self.compiled.streams.iter().enumerate() {
            let len = self.bindings.streams[s].len();
            let name = self.name(n);
            out.push_str(&format!(
                "\ngradient flow over `{name}` ({len} element{}): ∂read/∂{name}[t]\n",
                if len == 1 { "" } else { "s" }
            ));
            if len == 0 {
                out.push_str("  (the stream is empty)\n");
                continue;
            }
            let rows_t = if all { (0..len).collect() } else { sample(len) };
            let mut rows = Vec::new();
            let mut prev = None;
            for t in rows_t {
                if prev.is_some_and(|p: usize| t > p + 1) {
                    rows.push(("…".to_owned(), vec![String::new(); labels.len()]));
                }
                prev = Some(t);
                let cells = self.g.reads.iter().map(|g| text(g.streams[s][t])).collect();
                rows.push((format!("{t}"), cells));
            }
            out.push_str(&grid("t", &labels, &rows));
        }
        out.push('\n');
        out.push_str(&self.mode_line());
        out.push('\n');
        let lines = &self.program.lines;
        for (c, u) in &self.g.notes.used {
            let at = u.index.map_or(String::new(), |i| format!(", element {i}"));
            out.push_str(&format!(
                "convention: {} — {} time{}, first on line {}{at}\n",
                c.text(),
                u.count,
                if u.count == 1 { "" } else { "s" },
                lines.line(u.span.start as usize)
            ));
        }
        let infinite = self.g.reads.iter().any(|g| {
            g.inputs
                .iter()
                .chain(g.streams.iter().flatten())
                .any(|v| !v.is_finite())
        });
        if infinite {
            out.push_str("some derivatives are infinite (+inf, -inf) or undefined (an infinite one times 0)\n");
        }
        out
    }

    fn json(&self) -> Value {
        let lines: &LineIndex = &self.program.lines;
        let reads: Vec<Value> = self
            .g
            .reads
            .iter()
            .map(|g| {
                let o = &self.compiled.outputs[g.output];
                let mut inputs = Map::new();
                for (i, &n) in self.compiled.inputs.iter().enumerate() {
                    inputs.insert(self.name(n).to_owned(), value_json(g.inputs[i]));
                }
                let mut streams = Map::new();
                for (s, &n) in self.compiled.streams.iter().enumerate() {
                    let v: Vec<Value> = g.streams[s].iter().map(|&v| value_json(v)).collect();
                    streams.insert(self.name(n).to_owned(), Value::from(v));
                }
                let mut obj = json!({
                    "text": o.text,
                    "line": o.line,
                    "value": g.value.map(number::to_json),
                });
                if let Some(i) = g.index {
                    obj["index"] = json!(i);
                }
                obj["inputs"] = Value::Object(inputs);
                obj["streams"] = Value::Object(streams);
                obj
            })
            .collect();
        let conventions: Vec<Value> = self
            .g
            .notes
            .used
            .iter()
            .map(|(c, u)| {
                let mut o = json!({
                    "id": c.id(),
                    "text": c.text(),
                    "count": u.count,
                    "line": lines.line(u.span.start as usize),
                });
                if let Some(i) = u.index {
                    o["index"] = json!(i);
                }
                o
            })
            .collect();
        let mut obj = json!({
            "mode": match self.mode { Mode::Reverse => "reverse", Mode::Forward => "forward" },
            "reads": reads,
            "conventions": conventions,
        });
        if self.mode == Mode::Reverse {
            obj["checkpoints"] = json!({
                "every": self.g.checkpointing.every,
                "kept": self.g.checkpointing.checkpoints,
            });
        }
        let folded: Vec<Value> = (0..self.compiled.outputs.len())
            .filter(|&r| self.folded(r).is_some())
            .map(|r| {
                let o = &self.compiled.outputs[r];
                let shown: Vec<u64> = self
                    .g
                    .reads
                    .iter()
                    .filter(|g| g.output == r)
                    .filter_map(|g| g.index)
                    .collect();
                json!({"text": o.text, "line": o.line, "reads": self.g.counts[r], "shown": shown})
            })
            .collect();
        if !folded.is_empty() {
            obj["folded"] = Value::from(folded);
        }
        if let Some(why) = self.nothing() {
            obj["nothing"] = json!(why);
        }
        obj
    }

    fn picture(&self) -> Result<String, String> {
        if let Some(why) = self.nothing() {
            return Err(why.to_owned());
        }
        if self.compiled.streams.is_empty() {
            return Err("the program has no stream, so there is no gradient flow over time to draw (its inputs' derivatives are in the table)".to_owned());
        }
        let notes: Vec<String> = (0..self.compiled.outputs.len())
            .filter_map(|r| self.folded(r))
            .collect();
        let charts: Vec<svg::Chart> = self
            .compiled
            .streams
            .iter()
            .enumerate()
            .map(|(s, &n)| {
                let name = self.name(n);
                let len = self.bindings.streams[s].len();
                let title = format!("|∂read/∂{name}[t]| over t, {len} elements, log scale");
                let series = self
                    .g
                    .reads
                    .iter()
                    .map(|g| svg::Series {
                        label: self.read_label(g),
                        values: g.streams[s].clone(),
                    })
                    .collect();
                svg::Chart {
                    title,
                    notes: notes.clone(),
                    series,
                }
            })
            .collect();
        Ok(svg::document(&charts))
    }
}

/// The rows the table shows of a long stream: the first element, and the
/// last ones at lags 0–4 then doubling (1, 2, 4, … back from the end), where
/// vanishing and exploding show.
fn sample(len: usize) -> Vec<usize> {
    if len <= 24 {
        return (0..len).collect();
    }
    let mut rows = vec![0];
    let mut lag = 0usize;
    while lag < len {
        rows.push(len - 1 - lag);
        lag = if lag < 4 { lag + 1 } else { lag * 2 };
    }
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// A table: a first column, then one column per read.
fn grid(head: &str, labels: &[String], rows: &[(String, Vec<String>)]) -> String {
    let w0 = rows
        .iter()
        .map(|(h, _)| h.chars().count())
        .chain([head.chars().count()])
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            rows.iter()
                .map(|(_, c)| c[i].chars().count())
                .chain([l.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |first: &str, cells: &[String]| {
        // Padded by `layout`: a format width over 65 535 would panic.
        let mut s = format!("  {}", wb::layout::pad_left(first, w0));
        for (c, w) in cells.iter().zip(&widths) {
            s.push_str("  ");
            s.push_str(&wb::layout::pad_left(c, *w));
        }
        s.trim_end().to_owned() + "\n"
    };
    out.push_str(&line(head, labels));
    for (h, cells) in rows {
        out.push_str(&line(h, cells));
    }
    out
}

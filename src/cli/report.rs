//! `wb report`: the pictures of a program — the board over time, the gates
//! of its cell, the data-dependent gates over a stream — in one
//! self-contained HTML page, or one picture alone as SVG (`--picture`).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use clap::Args;

use wb::check;
use wb::diag::{self, Code, Diagnostic, Style};
use wb::interp::{self, Limits};
use wb::number;
use wb::picture::{self, html, Recording};

use super::{load, output, parse, report, run, usage_error, Source, EXIT_PROGRAM, EXIT_USAGE};

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The program (`-` for standard input).
    file: PathBuf,
    /// Where to write (`-`, the default, is standard output).
    #[arg(short = 'o', long = "output", value_name = "PATH", default_value = "-")]
    output: PathBuf,
    /// `report` (default): the HTML page; `board`, `gates`, `stream`: that
    /// picture alone, as SVG.
    #[arg(long, value_name = "WHAT", default_value = "report")]
    picture: What,
    /// Give or override an input: `--set b=4` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
    /// Give or override a stream: `--stream x=1,2,3` or `--stream x=@file`.
    #[arg(long = "stream", value_name = "NAME=VALUES")]
    streams: Vec<String>,
    /// Run with this many slots instead of the program's `board N`.
    #[arg(long, value_name = "N")]
    capacity: Option<usize>,
    /// Stop the run with `wb::step_limit` after N statements.
    #[arg(long, value_name = "N")]
    max_steps: Option<u64>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum What {
    Report,
    Board,
    Gates,
    Stream,
}

/// What was made of the program.
struct Made {
    diagnostics: Vec<Diagnostic>,
    board: Result<String, String>,
    gates: Result<String, String>,
    stream: Result<String, String>,
    recording: Option<Recording>,
    summary: String,
    code: i32,
}

pub fn report_cmd(args: ReportArgs) -> i32 {
    let source = match load(&args.file) {
        Ok(s) => s,
        Err(e) => return e.handle(|source, diags| report(diags, source)),
    };
    let (overrides, files) = match run::parse_overrides(&args.sets, &args.streams) {
        Ok(o) => o,
        Err(msg) => {
            usage_error(&msg);
            return EXIT_USAGE;
        }
    };
    let made = match make(&args, &source, &overrides, &files, output::interrupt_flag()) {
        Ok(m) => m,
        Err(unknown) => {
            for u in unknown {
                usage_error(&u);
            }
            return EXIT_USAGE;
        }
    };
    if !made.diagnostics.is_empty() {
        report(&made.diagnostics, &source);
    }
    let text = match args.picture {
        What::Report => report_page(&args, &source, &made),
        What::Board => match made.board {
            Ok(s) => s,
            Err(why) => return refuse(&why),
        },
        What::Gates => match made.gates {
            Ok(s) => s,
            Err(why) => return refuse(&why),
        },
        What::Stream => match made.stream {
            Ok(s) => s,
            Err(why) => return refuse(&why),
        },
    };
    let written = if args.output.as_os_str() == "-" {
        output::print(&text)
    } else {
        std::fs::write(&args.output, text.as_bytes()).map_err(|e| {
            usage_error(&format!("cannot write `{}`: {e}", args.output.display()));
            EXIT_USAGE
        })
    };
    match written {
        Ok(()) => made.code,
        Err(code) => code,
    }
}

/// The HTML report of `text`, named `name`, exactly as `wb report NAME
/// --set … --stream …` writes it, its run stopped after `max_steps`
/// statements or when `interrupt` becomes true: `wb serve`'s download.
/// Streams are given inline only (no `@file`). `Err` is a usage error.
pub(super) fn html_report(
    name: &str,
    text: &str,
    sets: &[String],
    streams: &[String],
    max_steps: u64,
    interrupt: &AtomicBool,
) -> Result<String, String> {
    let args = ReportArgs {
        file: PathBuf::from(name),
        output: PathBuf::from("-"),
        picture: What::Report,
        sets: sets.to_vec(),
        streams: streams.to_vec(),
        capacity: None,
        max_steps: Some(max_steps),
    };
    let (overrides, files) = run::parse_overrides(&args.sets, &args.streams)?;
    if let Some((stream, _)) = files.first() {
        return Err(format!(
            "--stream {stream}=@…: a stream from a file is not read here; give its values"
        ));
    }
    let source = Source {
        name: name.to_owned(),
        text: text.to_owned(),
    };
    let made = make(&args, &source, &overrides, &files, interrupt).map_err(|u| u.join("\n"))?;
    Ok(report_page(&args, &source, &made))
}

/// The page of `wb report` (`--picture report`).
fn report_page(args: &ReportArgs, source: &Source, made: &Made) -> String {
    let rendered = made
        .diagnostics
        .iter()
        .take(html::MAX_DIAGNOSTICS + 1)
        .map(|d| diag::render(d, &source.name, &source.text, Style::plain()))
        .collect();
    let (reads, total) = made
        .recording
        .as_ref()
        .map_or((&[][..], 0), |r| (&r.reads[..], r.reads_total));
    let page = html::Page {
        subject: &source.name,
        src: &source.text,
        summary: made.summary.clone(),
        diagnostics: &made.diagnostics,
        rendered,
        reads: (reads, total),
        pictures: vec![
            html::Picture {
                id: "board",
                title: "The board over time".into(),
                svg: made.board.clone(),
                how: how(args, "board"),
                caption: "Each column is the board after a statement: a value stays in its slot until it is forgotten.".into(),
            },
            html::Picture {
                id: "gates",
                title: "The gates of the cell".into(),
                svg: made.gates.clone(),
                how: how(args, "gates"),
                caption: "The program compiled to an LSTM-style cell: which name lives in which unit, and the forget, input and output gates of every step.".into(),
            },
            html::Picture {
                id: "stream",
                title: "The gates over the stream".into(),
                svg: made.stream.clone(),
                how: how(args, "stream"),
                caption: "The gates the data sets, element by element: the picture of LSTM papers, of this program.".into(),
            },
        ],
    };
    html::page(&page)
}

fn refuse(why: &str) -> i32 {
    usage_error(&format!("no picture: {why}"));
    EXIT_PROGRAM
}

/// The command that draws one picture alone.
fn how(args: &ReportArgs, what: &str) -> String {
    let mut s = format!("wb report {}", args.file.display());
    for x in &args.sets {
        s.push_str(&format!(" --set {x}"));
    }
    for x in &args.streams {
        s.push_str(&format!(" --stream {x}"));
    }
    if let Some(c) = args.capacity {
        s.push_str(&format!(" --capacity {c}"));
    }
    s.push_str(&format!(" --picture {what} -o {what}.svg"));
    s
}

fn make(
    args: &ReportArgs,
    source: &Source,
    overrides: &interp::Overrides,
    files: &[(String, PathBuf)],
    interrupt: &AtomicBool,
) -> Result<Made, Vec<String>> {
    let parsed = parse(source);
    if !parsed.diagnostics.is_empty() {
        let why = "the program does not parse: nothing runs, nothing to draw".to_owned();
        return Ok(Made {
            summary: format!("error: {} syntax error(s)", parsed.diagnostics.len()),
            diagnostics: parsed.diagnostics,
            board: Err(why.clone()),
            gates: Err(why.clone()),
            stream: Err(why),
            recording: None,
            code: EXIT_PROGRAM,
        });
    }
    let program = parsed.program;
    let analysis = check::check(&program, args.capacity);
    let mut named = overrides.clone();
    named
        .streams
        .extend(files.iter().map(|(n, _)| (n.clone(), Vec::new())));
    let unknown = named.unknown(&analysis.symbols, &program.names);
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let mut diagnostics = analysis.diagnostics.clone();
    let checked = !analysis.has_errors();
    let mut code = if checked { 0 } else { EXIT_PROGRAM };
    let gates = if checked {
        match wb::cell::compile(&program, &analysis, &source.text) {
            Ok(cell) => Ok(picture::gates::render(&cell, &source.name)),
            Err(d) => {
                let why = format!("the program does not compile to a cell: {}", d.message);
                diagnostics.push(d);
                code = EXIT_PROGRAM;
                Err(why)
            }
        }
    } else {
        Err(
            "the cell is compiled from a program that passes `wb check`: fix its errors first"
                .to_owned(),
        )
    };
    let Some(capacity) = analysis.capacity else {
        let why = "the program declares no board (`board N`): nothing runs".to_owned();
        return Ok(Made {
            summary: "error: no board".to_owned(),
            diagnostics,
            board: Err(why.clone()),
            gates,
            stream: Err(why),
            recording: None,
            code: EXIT_PROGRAM,
        });
    };
    let (bindings, stream_files) =
        match interp::bind_with_files(&analysis.symbols, &program.names, overrides, files) {
            Ok(b) => b,
            Err(d) => {
                let why = format!("the run cannot start: {}", d.message);
                diagnostics.push(d);
                return Ok(Made {
                    summary: format!("error: {why}"),
                    diagnostics,
                    board: Err(why.clone()),
                    gates,
                    stream: Err(why),
                    recording: None,
                    code: EXIT_PROGRAM,
                });
            }
        };
    let first_error = analysis
        .diagnostics
        .iter()
        .find(|d| d.is_error() && d.code == Code::BoardFull)
        .or_else(|| analysis.diagnostics.iter().find(|d| d.is_error()));
    let limits = Limits {
        max_steps: args.max_steps,
        interrupt: Some(interrupt),
    };
    let (rec, stopped) = picture::record_run(
        &program,
        &source.text,
        &analysis,
        capacity,
        bindings,
        stream_files,
        limits,
        first_error,
    );
    let mut summary = format!(
        "board of {capacity} slot{}, peak {}, min_capacity {}; {} statement{} run",
        if capacity == 1 { "" } else { "s" },
        analysis.peak,
        analysis.min_capacity,
        picture::svg::count(rec.statements),
        if rec.statements == 1 { "" } else { "s" },
    );
    if !checked {
        summary.push_str("; `wb check` finds errors, the board shows the program run unchecked");
    }
    if let Some(d) = stopped {
        let line = d
            .primary_span()
            .map(|s| program.lines.line(s.start as usize))
            .unwrap_or(0);
        summary.push_str(&format!(
            "; stopped on line {line}: {} ({})",
            d.message, d.code
        ));
        // The run's own diagnostic is shown unless the check's says it.
        if checked {
            code = run::exit_code(&d);
            diagnostics.push(d);
        }
    } else if let Some(last) = rec.reads.last() {
        summary.push_str(&format!(
            "; last read: {} = {}",
            last.text,
            number::format(last.value)
        ));
    }
    let board = Ok(picture::board::render(&rec, &source.name));
    let stream = picture::stream::render(&rec, &source.name).ok_or_else(|| {
        "no gated write (`when`, `gate`) runs inside a loop: no gate depends on the data".to_owned()
    });
    Ok(Made {
        diagnostics,
        board,
        gates,
        stream,
        recording: Some(rec),
        summary,
        code,
    })
}

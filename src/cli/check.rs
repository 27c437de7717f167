//! `wb check`: every error and warning, then a summary.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use wb::check;
use wb::diag::Diagnostic;

use super::{load, parse, report, Source, EXIT_PROGRAM};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The program (`-` for standard input).
    file: PathBuf,
    /// Check against this many slots instead of the program's `board N`.
    #[arg(long, value_name = "N")]
    capacity: Option<usize>,
    /// `human` (default) or `json` (one object on standard output).
    #[arg(long, value_name = "FORMAT", default_value = "human")]
    format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Format {
    Human,
    Json,
}

pub fn check(args: CheckArgs) -> i32 {
    let source = match load(&args.file) {
        Ok(s) => s,
        Err(e) => return e.handle(|source, diags| emit(&args, source, diags, None)),
    };
    let parsed = parse(&source);
    if !parsed.diagnostics.is_empty() {
        emit(&args, &source, &parsed.diagnostics, None);
        return EXIT_PROGRAM;
    }
    let analysis = check::check(&parsed.program, args.capacity);
    emit(
        &args,
        &source,
        &analysis.diagnostics,
        Some((&analysis, &parsed.program)),
    );
    if analysis.has_errors() {
        EXIT_PROGRAM
    } else {
        0
    }
}

fn emit(
    args: &CheckArgs,
    source: &Source,
    diags: &[Diagnostic],
    summary: Option<(&check::Analysis, &wb::syntax::Program)>,
) {
    match args.format {
        Format::Json => {
            let lines = wb::syntax::LineIndex::new(&source.text);
            let mut obj = json!({
                "diagnostics": diags.iter().map(|d| d.to_json(&source.text, &lines)).collect::<Vec<_>>(),
            });
            if let Some((a, _)) = summary {
                obj["capacity"] = json!(a.capacity);
                obj["peak"] = json!(a.peak);
                obj["peak_line"] = json!(a.peak_span.map(|s| lines.line(s.start as usize)));
            }
            println!("{obj}");
        }
        Format::Human => {
            report(diags, source);
            if let Some((a, program)) = summary {
                let errors = diags.iter().filter(|d| d.is_error()).count();
                let warnings = diags.len() - errors;
                let cap = a.capacity.map_or("none".to_owned(), |c| c.to_string());
                let peak_line = a
                    .peak_span
                    .map(|s| format!(", first on line {}", program.lines.line(s.start as usize)))
                    .unwrap_or_default();
                let verdict = if errors == 0 { "ok" } else { "error" };
                eprintln!(
                    "{verdict}: {} — capacity {cap}, peak {}{peak_line}; {errors} error{}, {warnings} warning{}",
                    source.name,
                    a.peak,
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" },
                );
            }
        }
    }
}

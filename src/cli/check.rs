//! `wb check`: every error and warning, then a summary; `--fix` rewrites the
//! program's forgets.

use std::io::Write as _;
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use wb::check::{self, plural, Analysis};
use wb::diag::Diagnostic;
use wb::syntax::LineIndex;

use super::{load, output, parse, report, usage_error, Source, EXIT_PROGRAM, EXIT_USAGE};

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
    /// `--deny warnings`: treat warnings as errors (exit 1).
    #[arg(long, value_name = "WHAT")]
    deny: Vec<Deny>,
    /// Rewrite the file with each `forget` right after the last read (and
    /// redundant ones removed), then check the result.
    #[arg(long)]
    fix: bool,
    /// With `--fix`: print the rewritten program instead of saving it.
    #[arg(long, requires = "fix", conflicts_with = "format")]
    dry_run: bool,
}

impl CheckArgs {
    /// `wb check FILE` with no flags: what clap gives (`cli::plain`).
    pub(super) fn for_file(file: PathBuf) -> CheckArgs {
        CheckArgs {
            file,
            capacity: None,
            format: Format::Human,
            deny: Vec::new(),
            fix: false,
            dry_run: false,
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Format {
    Human,
    Json,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Deny {
    /// Every warning.
    Warnings,
}

pub fn check(args: CheckArgs) -> i32 {
    let source = match load(&args.file) {
        Ok(s) => s,
        Err(e) => {
            let mut written = Ok(());
            let code = e.handle(|source, diags| written = emit(&args, source, diags, None));
            return written.err().unwrap_or(code);
        }
    };
    // The syntax tree and the analysis are left for the process's exit to
    // reclaim: freeing a million statements one allocation at a time cost a
    // tenth of `wb check`'s time.
    let parsed = ManuallyDrop::new(parse(&source));
    if !parsed.diagnostics.is_empty() {
        return emit(&args, &source, &parsed.diagnostics, None)
            .map_or_else(|code| code, |()| EXIT_PROGRAM);
    }
    let mut analysis = ManuallyDrop::new(check::check(&parsed.program, args.capacity));
    if !args.fix {
        return finish(&args, &source, &parsed.program.lines, &mut analysis);
    }
    let fixed = match check::fix(&parsed.program, &source.text, &analysis) {
        Ok(f) => f,
        Err(blocking) => {
            if args.format == Format::Human {
                eprintln!(
                    "error: `--fix` only moves forgets; fix these errors first, then run it again"
                );
            }
            return emit(&args, &source, &blocking, None)
                .map_or_else(|code| code, |()| EXIT_PROGRAM);
        }
    };
    let to_stdout = args.dry_run || args.file.as_os_str() == "-";
    if to_stdout {
        if let Err(code) = output::print(&fixed.text) {
            return code;
        }
    } else if fixed.changed() {
        if let Err(e) = save(&args.file, &fixed.text) {
            usage_error(&format!("cannot write `{}`: {e}", args.file.display()));
            return EXIT_USAGE;
        }
    }
    if args.format == Format::Human {
        let verb = if to_stdout { "would change" } else { "fixed" };
        if fixed.changed() {
            eprintln!(
                "{verb} {}: {} forget{} added, {} removed",
                source.name,
                fixed.added,
                plural(fixed.added),
                fixed.removed
            );
        } else {
            eprintln!("{}: every forget is already in place", source.name);
        }
    }
    // Report on the program as it now is.
    let source = Source {
        name: source.name,
        text: fixed.text,
    };
    let parsed = ManuallyDrop::new(parse(&source));
    if !parsed.diagnostics.is_empty() {
        return emit(&args, &source, &parsed.diagnostics, None)
            .map_or_else(|code| code, |()| EXIT_PROGRAM);
    }
    let mut analysis = ManuallyDrop::new(check::check(&parsed.program, args.capacity));
    finish(&args, &source, &parsed.program.lines, &mut analysis)
}

/// Reports an analysis and returns the exit code; `lines` indexes the source.
fn finish(args: &CheckArgs, source: &Source, lines: &LineIndex, analysis: &mut Analysis) -> i32 {
    if args.deny.contains(&Deny::Warnings) {
        analysis.deny_warnings();
    }
    if let Err(code) = emit(args, source, &analysis.diagnostics, Some((analysis, lines))) {
        return code;
    }
    if analysis.has_errors() {
        EXIT_PROGRAM
    } else {
        0
    }
}

/// Replaces `path` atomically: the text goes to a temporary file in the same
/// directory, which is then renamed over the original, so a crash leaves
/// either the old program or the new one, never half of one.
pub(super) fn save(path: &Path, text: &str) -> std::io::Result<()> {
    // Replace the file a symbolic link points to, not the link.
    let real = std::fs::canonicalize(path);
    let path = real.as_deref().unwrap_or(path);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        // Keep the program's permissions (the temporary file is 0600).
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Reports diagnostics (and the summary); `Err` holds the exit code when
/// standard output could not be written.
fn emit(
    args: &CheckArgs,
    source: &Source,
    diags: &[Diagnostic],
    summary: Option<(&Analysis, &LineIndex)>,
) -> Result<(), i32> {
    match args.format {
        Format::Json => output::print(&format!("{}\n", json(source, diags, summary)))?,
        Format::Human => {
            report(diags, source);
            if let Some((a, lines)) = summary {
                eprint!(
                    "{}",
                    human_summary(source, a, lines, args.capacity.is_some())
                );
            }
        }
    }
    Ok(())
}

/// The summary line, and a hint when `--fix` would need fewer slots.
fn human_summary(source: &Source, a: &Analysis, lines: &LineIndex, overridden: bool) -> String {
    let cap = match (a.capacity, overridden) {
        (Some(c), true) => format!("{c} (--capacity)"),
        (Some(c), false) => c.to_string(),
        (None, _) => "none".to_owned(),
    };
    let mut out = a.summary_line(&source.name, &cap, lines);
    if a.min_capacity < a.peak {
        out.push_str(&format!(
            "  help: with each value forgotten right after its last read this program needs {} slot{}: `wb check --fix {}`\n",
            a.min_capacity,
            plural(a.min_capacity),
            source.name
        ));
    }
    out
}

/// One JSON object, keys in the order LANGUAGE.md §3 shows them.
fn json(source: &Source, diags: &[Diagnostic], summary: Option<(&Analysis, &LineIndex)>) -> String {
    let index;
    let lines = match summary {
        Some((_, lines)) => lines,
        None => {
            index = LineIndex::new(&source.text);
            &index
        }
    };
    let mut out = String::from("{\"diagnostics\":[");
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        ordered(
            &mut out,
            &d.to_json(&source.text, lines),
            &[
                "code", "severity", "message", "line", "column", "help", "note", "index",
            ],
        );
    }
    out.push(']');
    if let Some((a, _)) = summary {
        let peak_line = a.peak_span.map(|s| lines.line(s.start as usize));
        for (key, value) in [
            ("capacity", Value::from(a.capacity)),
            ("peak", Value::from(a.peak)),
            ("peak_line", Value::from(peak_line)),
            ("min_capacity", Value::from(a.min_capacity)),
        ] {
            out.push_str(&format!(",\"{key}\":{value}"));
        }
    }
    out.push('}');
    out
}

/// Writes a JSON object with `order`'s keys first, in that order.
fn ordered(out: &mut String, value: &Value, order: &[&str]) {
    let Value::Object(map) = value else {
        out.push_str(&value.to_string());
        return;
    };
    out.push('{');
    let rest = map.keys().filter(|k| !order.contains(&k.as_str()));
    let keys = order
        .iter()
        .copied()
        .filter(|k| map.contains_key(*k))
        .chain(rest.map(String::as_str));
    for (i, k) in keys.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::from(k).to_string());
        out.push(':');
        out.push_str(&map[k].to_string());
    }
    out.push('}');
}

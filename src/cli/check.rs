//! `wb check`: every error and warning, then a summary; `--fix` applies the
//! checker's machine-applicable suggestions, `--pack` rewrites the forgets
//! to need `min_capacity` slots. Either writes the file only when the result
//! checks clean.

use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use wb::check::{self, advice, plural, Analysis};
use wb::diag::Diagnostic;
use wb::plan::statements::{self, Fewest};
use wb::syntax::{LineIndex, Program};

use super::{load, output, parse, report, usage_error, Source, EXIT_PROGRAM, EXIT_USAGE};

/// How many warnings `wb check` shows before it only counts them.
const WARNING_CAP: usize = 20;

/// How many suggestions `--fix` follows, at most, one after another.
const MAX_FIXES: usize = 1000;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The program (`-` for standard input).
    file: PathBuf,
    /// Check against this many slots instead of the program's `board N`.
    #[arg(long, value_name = "N", value_parser = super::capacity)]
    capacity: Option<usize>,
    /// `human` (default) or `json` (one object on standard output, listing
    /// every diagnostic).
    #[arg(long, value_name = "FORMAT", default_value = "human")]
    format: Format,
    /// The same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// `-D warnings` / `--deny warnings`: treat warnings as errors (exit 1).
    #[arg(short = 'D', long, value_name = "WHAT")]
    deny: Vec<Deny>,
    /// Show every warning (by default the first 20, then a count).
    #[arg(long)]
    all_warnings: bool,
    /// Apply the suggestions marked machine-applicable, one after another;
    /// the file is written only if the result checks clean (otherwise it is
    /// left alone, exit 1). A program that already checks is left alone.
    #[arg(long, conflicts_with = "pack")]
    fix: bool,
    /// Rewrite the forgets so that each comes right after the last read of
    /// its value: the program then needs only its `min_capacity` slots.
    /// Written only if the result checks clean.
    #[arg(long)]
    pack: bool,
    /// Opt-in lints: `--lint gradients` warns where a loop makes early
    /// elements' influence vanish or explode (docs/grad.md).
    #[arg(long, value_name = "LINT")]
    lint: Vec<Lint>,
    /// With `--fix`: when the statements as written do not fit but another
    /// order of them does (the fewest slots `wb check` reports), put them in
    /// that order first (their text kept, so the reads are the same), then
    /// fix. Written only if the result checks clean.
    #[arg(long, requires = "fix")]
    reorder: bool,
    /// With `--fix` or `--pack`: print the result instead of saving it.
    #[arg(long, conflicts_with_all = ["format", "json"])]
    dry_run: bool,
}

impl CheckArgs {
    /// `wb check FILE` with no flags: what clap gives (`cli::plain`).
    pub(super) fn for_file(file: PathBuf) -> CheckArgs {
        CheckArgs {
            file,
            capacity: None,
            format: Format::Human,
            json: false,
            deny: Vec::new(),
            all_warnings: false,
            fix: false,
            pack: false,
            lint: Vec::new(),
            reorder: false,
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
enum Lint {
    /// Loop updates whose derivative by the old value is a constant ≠ 1.
    Gradients,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Deny {
    /// Every warning.
    Warnings,
}

pub fn check(mut args: CheckArgs) -> i32 {
    if args.json {
        args.format = Format::Json;
    }
    if (args.fix || args.pack) && !to_stdout(&args) {
        // Refused before anything is read: a pipe or a device named as the
        // file would be consumed by the reading.
        if let Err(e) = wb::atomic::writable(&args.file) {
            usage_error(&format!(
                "cannot fix `{}` in place: {e}",
                args.file.display()
            ));
            return EXIT_USAGE;
        }
    }
    if args.dry_run && !(args.fix || args.pack) {
        usage_error("`--dry-run` goes with `--fix` or `--pack`");
        return EXIT_USAGE;
    }
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
    if args.fix {
        return fix(&args, source);
    }
    if args.pack {
        let analysis = check::check(&parsed.program, args.capacity);
        return pack(&args, source, &parsed.program, &analysis);
    }
    let mut analysis = ManuallyDrop::new(check::check_source(
        &parsed.program,
        &source.text,
        args.capacity,
    ));
    finish(&args, &source, &parsed.program, &mut analysis)
}

/// `--fix`: follow the machine-applicable suggestions until the program
/// checks, or none is left; save only a clean result.
fn fix(args: &CheckArgs, source: Source) -> i32 {
    let mut text = source.text.clone();
    let mut applied = Vec::new();
    if args.reorder {
        if let Some((reordered, message)) = reorder(&source, args.capacity) {
            text = reordered;
            applied.push(message);
        }
    }
    // Texts already reached: a suggestion that undoes another ends the search.
    let mut seen = std::collections::HashSet::new();
    let analysis = loop {
        let parsed = parse(&Source {
            name: source.name.clone(),
            text: text.clone(),
        });
        if !parsed.diagnostics.is_empty() {
            // Not reached: every fix is followed before it is applied.
            break None;
        }
        let analysis = check::check(&parsed.program, args.capacity);
        if !analysis.has_errors() || applied.len() >= MAX_FIXES {
            break Some((analysis, parsed));
        }
        let next = advice::next_fix(&text, args.capacity, &analysis)
            .or_else(|| advice::next_step(&text, &analysis));
        match next {
            Some(f) if seen.insert(advice::apply(&text, &f.edits)) => {
                text = advice::apply(&text, &f.edits);
                applied.push(f.message);
            }
            _ => break Some((analysis, parsed)),
        }
    };
    let Some((analysis, parsed)) = analysis else {
        return EXIT_PROGRAM;
    };
    let human = args.format == Format::Human;
    if applied.is_empty() && !analysis.has_errors() {
        if human {
            eprintln!(
                "{}: nothing to fix: the program checks (`--pack` packs it to its min_capacity)",
                source.name
            );
        }
        let analysis = check::check_source(&parsed.program, &text, args.capacity);
        return finish(args, &source, &parsed.program, &mut { analysis });
    }
    if analysis.has_errors() {
        // Write nothing; say what stands in the way.
        let shown = Source {
            name: if applied.is_empty() {
                source.name.clone()
            } else {
                format!("{} (as `--fix --dry-run` would leave it)", source.name)
            },
            text: text.clone(),
        };
        let mut remaining = check::check_source(&parsed.program, &text, args.capacity);
        if human {
            eprintln!(
                "error: `--fix` left {} unchanged: {}",
                source.name,
                if applied.is_empty() {
                    "no suggestion it can apply makes progress on these errors".to_owned()
                } else {
                    format!(
                        "after the {} change{} it can make, these errors remain",
                        applied.len(),
                        plural(applied.len())
                    )
                }
            );
            remaining.diagnostics.retain(Diagnostic::is_error);
        }
        if let Err(code) = emit(args, &shown, &remaining.diagnostics, None) {
            return code;
        }
        if human {
            eprintln!(
                "  note: the fewest slots this statement order needs is {} (min_capacity){}",
                remaining.min_capacity,
                match remaining.capacity {
                    Some(c) if remaining.min_capacity <= c => format!(
                        "; it has {c}: `wb check --pack {}` moves every forget to fit",
                        source.name
                    ),
                    Some(c) => format!("; the board has {c}"),
                    None => String::new(),
                }
            );
        }
        return EXIT_PROGRAM;
    }
    if let Err(code) = save_or_print(args, &text) {
        return code;
    }
    if human {
        let verb = if to_stdout(args) {
            "would fix"
        } else {
            "fixed"
        };
        eprintln!(
            "{verb} {}: {} change{}",
            source.name,
            applied.len(),
            plural(applied.len())
        );
        for m in &applied {
            eprintln!("  - {m}");
        }
    }
    let fixed = Source {
        name: source.name,
        text,
    };
    let mut analysis = check::check_source(&parsed.program, &fixed.text, args.capacity);
    finish(args, &fixed, &parsed.program, &mut analysis)
}

/// `--fix --reorder`: the statements in the order that needs the fewest
/// slots (`wb plan`'s search over orders of them), each forget right after
/// its value's last read; `None` when the order as written fits, or no
/// other order needs fewer slots.
fn reorder(source: &Source, capacity: Option<usize>) -> Option<(String, String)> {
    let parsed = parse(source);
    let analysis = check::check(&parsed.program, capacity);
    let board = analysis.capacity?;
    if analysis.min_capacity <= board {
        return None;
    }
    let Fewest::Slots(n, order) =
        statements::fewest_slots(&parsed.program, statements::CHECK_LIMITS)
    else {
        return None;
    };
    if n >= analysis.min_capacity {
        return None;
    }
    let text = statements::reordered(&parsed.program, &source.text, &order);
    let again = parse(&Source {
        name: source.name.clone(),
        text: text.clone(),
    });
    let packed = check::fix(
        &again.program,
        &text,
        &check::check(&again.program, capacity),
    )
    .ok()?;
    Some((
        packed.text,
        format!(
            "put the statements in an order that needs {n} slot{} (this order needs {})",
            plural(n),
            analysis.min_capacity
        ),
    ))
}

/// `--pack`: every forget right after its value's last read.
fn pack(
    args: &CheckArgs,
    source: Source,
    program: &wb::syntax::Program,
    analysis: &Analysis,
) -> i32 {
    let human = args.format == Format::Human;
    let packed = match check::fix(program, &source.text, analysis) {
        Ok(f) => f,
        Err(blocking) => {
            if human {
                eprintln!(
                    "error: `--pack` only moves forgets; fix these errors first, then run it again"
                );
            }
            return emit(args, &source, &blocking, None)
                .map_or_else(|code| code, |()| EXIT_PROGRAM);
        }
    };
    let parsed = ManuallyDrop::new(parse(&Source {
        name: source.name.clone(),
        text: packed.text.clone(),
    }));
    let mut after = check::check_source(&parsed.program, &packed.text, args.capacity);
    if after.has_errors() || !parsed.diagnostics.is_empty() {
        if human {
            eprintln!(
                "error: `--pack` left {} unchanged: packed, it needs {} slot{} and still has errors",
                source.name,
                after.min_capacity,
                plural(after.min_capacity)
            );
        }
        let shown = Source {
            name: format!("{} (as `--pack --dry-run` would leave it)", source.name),
            text: packed.text,
        };
        after.diagnostics.retain(Diagnostic::is_error);
        return emit(args, &shown, &after.diagnostics, None)
            .map_or_else(|code| code, |()| EXIT_PROGRAM);
    }
    if packed.changed() {
        if let Err(code) = save_or_print(args, &packed.text) {
            return code;
        }
    } else if to_stdout(args) {
        if let Err(code) = output::print(&packed.text) {
            return code;
        }
    }
    if human {
        let verb = if to_stdout(args) {
            "would pack"
        } else {
            "packed"
        };
        if packed.changed() {
            eprintln!(
                "{verb} {}: {} forget{} added, {} removed",
                source.name,
                packed.added,
                plural(packed.added),
                packed.removed
            );
        } else {
            eprintln!("{}: every forget is already in place", source.name);
        }
    }
    let fixed = Source {
        name: source.name,
        text: packed.text,
    };
    finish(args, &fixed, &parsed.program, &mut after)
}

fn to_stdout(args: &CheckArgs) -> bool {
    args.dry_run || args.file.as_os_str() == "-"
}

/// Prints the new text (`--dry-run`, standard input) or saves it.
fn save_or_print(args: &CheckArgs, text: &str) -> Result<(), i32> {
    if to_stdout(args) {
        return output::print(text);
    }
    save(&args.file, text).map_err(|e| {
        usage_error(&format!("cannot write `{}`: {e}", args.file.display()));
        EXIT_USAGE
    })
}

/// Adds the opt-in lints' warnings, in source order with the others.
fn lint(args: &CheckArgs, program: &Program, analysis: &mut Analysis) {
    if args.lint.contains(&Lint::Gradients) && !analysis.has_errors() {
        let found = wb::grad::lint::gradients(program, &analysis.symbols);
        analysis.diagnostics.extend(found);
        wb::diag::sort(&mut analysis.diagnostics);
    }
}

/// Reports an analysis and returns the exit code; `lines` indexes the source.
fn finish(args: &CheckArgs, source: &Source, program: &Program, analysis: &mut Analysis) -> i32 {
    let lines = &program.lines;
    lint(args, program, analysis);
    // The optimum over orders of these statements (the planner's).
    let fewest = statements::fewest_slots(program, statements::CHECK_LIMITS);
    statements::advise(&fewest, analysis);
    if args.deny.contains(&Deny::Warnings) {
        analysis.deny_warnings();
    }
    if let Err(code) = emit(
        args,
        source,
        &analysis.diagnostics,
        Some((analysis, lines, &fewest)),
    ) {
        return code;
    }
    if analysis.has_errors() {
        EXIT_PROGRAM
    } else {
        0
    }
}

/// Replaces `path` atomically, through [`wb::atomic::write`].
pub(super) fn save(path: &Path, text: &str) -> std::io::Result<()> {
    wb::atomic::write(path, text.as_bytes())
}

/// Reports diagnostics (and the summary); `Err` holds the exit code when
/// standard output could not be written. A person sees every error and the
/// first [`WARNING_CAP`] warnings (all with `--all-warnings`); JSON lists all.
fn emit(
    args: &CheckArgs,
    source: &Source,
    diags: &[Diagnostic],
    summary: Option<(&Analysis, &LineIndex, &Fewest)>,
) -> Result<(), i32> {
    match args.format {
        Format::Json => {
            let mut out = json(source, diags, summary);
            out.push('\n');
            output::print(&out)?
        }
        Format::Human => {
            let warnings = diags.iter().filter(|d| !d.is_error()).count();
            if args.all_warnings || warnings <= WARNING_CAP {
                report(diags, source);
            } else {
                let mut seen = 0;
                let shown: Vec<Diagnostic> = diags
                    .iter()
                    .filter(|d| {
                        if d.is_error() {
                            return true;
                        }
                        seen += 1;
                        seen <= WARNING_CAP
                    })
                    .cloned()
                    .collect();
                report(&shown, source);
                let hidden = warnings - WARNING_CAP;
                if !super::quiet() {
                    eprintln!(
                    "... and {hidden} more warning{} (the first {WARNING_CAP} are shown; `--all-warnings` shows every one)",
                    plural(hidden)
                );
                }
            }
            if let Some((a, lines, fewest)) = summary.filter(|_| !super::quiet()) {
                eprint!(
                    "{}",
                    human_summary(source, a, lines, args.capacity.is_some())
                );
                if let Some(line) = statements::summary(fewest, a.min_capacity, a.capacity) {
                    eprintln!("  note: {line}");
                }
            }
        }
    }
    Ok(())
}

/// The summary line, and a hint when `--pack` would need fewer slots.
fn human_summary(source: &Source, a: &Analysis, lines: &LineIndex, overridden: bool) -> String {
    let cap = match (a.capacity, overridden) {
        (Some(c), true) => format!("{c} (--capacity)"),
        (Some(c), false) => c.to_string(),
        (None, _) => "not set".to_owned(),
    };
    let mut out = a.summary_line(&source.name, &cap, lines);
    if a.min_capacity < a.peak {
        out.push_str(&format!(
            "  help: with each value forgotten right after its last read this program needs {} slot{}: `wb check --pack {}`\n",
            a.min_capacity,
            plural(a.min_capacity),
            source.name
        ));
    }
    out
}

/// One JSON object, keys in the order LANGUAGE.md §3 shows them, new keys
/// after them (docs/diagnostics.md).
fn json(
    source: &Source,
    diags: &[Diagnostic],
    summary: Option<(&Analysis, &LineIndex, &Fewest)>,
) -> String {
    let index;
    let lines = match summary {
        Some((_, lines, _)) => lines,
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
        d.write_json(&mut out, Some(&source.name), &source.text, lines);
    }
    out.push(']');
    if let Some((a, _, fewest)) = summary {
        let peak_line = a.peak_span.map(|s| lines.line(s.start as usize));
        for (key, value) in [
            ("capacity", Value::from(a.capacity)),
            ("peak", Value::from(a.peak)),
            ("peak_line", Value::from(peak_line)),
            ("min_capacity", Value::from(a.min_capacity)),
            ("fewest_slots", Value::from(statements::proven(fewest))),
        ] {
            out.push_str(&format!(",\"{key}\":{value}"));
        }
    }
    out.push('}');
    out
}

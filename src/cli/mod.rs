//! Command-line parsing and the shared plumbing of the commands: loading a
//! source, choosing how diagnostics look, exit codes. No language logic here.

mod check;
mod compile;
mod export;
mod fmt;
mod grad;
mod lsp;
pub mod output;
mod plan;
mod repl;
mod report;
mod run;
mod serve;

use std::ffi::OsString;
use std::io::{IsTerminal, Read as _};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use wb::diag::{self, Diagnostic, Style};
use wb::syntax::{self, Parsed};

/// Exit code: the program has an error (syntax, check or run time).
pub const EXIT_PROGRAM: i32 = 1;
/// Exit code: the command was used wrongly.
pub const EXIT_USAGE: i32 = 2;

/// wb: a language for memory-bounded computation. A program declares a board
/// of N slots and computes with explicit `write`, `read` and `forget`.
#[derive(Parser, Debug)]
#[command(name = "wb", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: Global,
}

/// The flags every subcommand takes (before or after its name).
#[derive(clap::Args, Debug, Clone, Copy)]
struct Global {
    /// Colour in diagnostics: `auto` (default: on a terminal, unless
    /// `NO_COLOR` is set; `CLICOLOR_FORCE=1` forces it), `always`, `never`.
    /// The flag wins over both variables.
    #[arg(long, value_name = "WHEN", default_value = "auto", global = true)]
    color: ColorChoice,
    /// Print no warnings, notes or summaries on standard error: errors and
    /// results only (docs/cli.md lists what each subcommand silences).
    #[arg(short, long, global = true)]
    quiet: bool,
}

impl Default for Global {
    fn default() -> Global {
        Global {
            color: ColorChoice::Auto,
            quiet: false,
        }
    }
}

/// `--color WHEN`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (`CLICOLOR_FORCE` forces it).
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// The global flags of this run, set once before the subcommand runs.
static GLOBAL: std::sync::OnceLock<Global> = std::sync::OnceLock::new();

fn global() -> Global {
    GLOBAL.get().copied().unwrap_or_default()
}

/// Whether `-q`/`--quiet` was given: warnings, notes and summaries on
/// standard error are left out.
pub fn quiet() -> bool {
    global().quiet
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a program, then run it and print its reads.
    Run(run::RunArgs),
    /// Check a program's slot budget: every error and warning, and a summary.
    Check(check::CheckArgs),
    /// An interactive board: statements run as they are typed.
    Repl(repl::ReplArgs),
    /// Lower a program to its LSTM-style cell: unit map and gate table.
    Compile(compile::CompileArgs),
    /// Exact derivatives of a run's reads by its inputs and stream elements.
    Grad(grad::GradArgs),
    /// Draw a program: the board over time, the gates, in one HTML report
    /// (or one picture as SVG).
    Report(report::ReportArgs),
    /// Plan a formula or a program's dataflow onto the fewest slots.
    Plan(plan::PlanArgs),
    /// Export the program's loop as a standard LSTM (ONNX, safetensors) with an error bound.
    Export(export::ExportArgs),
    /// Lay a program out the one `wb` way (rules in docs/editors.md).
    Fmt(fmt::FmtArgs),
    /// The language server for editors, on standard input and output.
    Lsp(lsp::LspArgs),
    /// The whiteboard in the browser: edit, check, run step by step, see the gates.
    Serve(serve::ServeArgs),
}

/// Runs the command line; returns the exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    let command = match plain(&args) {
        Some(command) => command,
        None => match Cli::try_parse_from(&args) {
            Ok(cli) => {
                let _ = GLOBAL.set(cli.global);
                cli.command
            }
            Err(e) => {
                let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
                let _ = e.print();
                return code;
            }
        },
    };
    match command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::check(args),
        Command::Repl(args) => repl::repl(args),
        Command::Compile(args) => compile::compile(args),
        Command::Grad(args) => grad::grad(args),
        Command::Report(args) => report::report_cmd(args),
        Command::Plan(args) => plan::plan(args),
        Command::Export(args) => export::export(args),
        Command::Fmt(args) => fmt::fmt(args),
        Command::Lsp(args) => lsp::lsp(args),
        Command::Serve(args) => serve::serve(args),
    }
}

/// `wb run FILE` and `wb check FILE` with no flags, read without clap:
/// building clap's command tree was a fifth of the work of `wb run` on a
/// small program. Anything else — a flag, `-` for standard input, `help` —
/// goes to clap; a test checks that both read these the same.
fn plain(args: &[OsString]) -> Option<Command> {
    let [_, command, file] = args else {
        return None;
    };
    if file.is_empty() || file.as_encoded_bytes().starts_with(b"-") {
        return None;
    }
    let file = PathBuf::from(file);
    match command.to_str()? {
        "run" => Some(Command::Run(run::RunArgs::for_file(file))),
        "check" => Some(Command::Check(check::CheckArgs::for_file(file))),
        _ => None,
    }
}

/// A loaded source text.
pub struct Source {
    /// The name diagnostics show (`-` is `<stdin>`).
    pub name: String,
    /// The text (invalid UTF-8 replaced, after it was reported).
    pub text: String,
}

/// Why a source could not be loaded.
pub enum LoadError {
    /// The file could not be read (already reported): exit 2.
    Unreadable,
    /// The file is not UTF-8: the source (lossy) and the diagnostic; exit 1.
    NotUtf8(Box<(Source, Diagnostic)>),
}

impl LoadError {
    /// The exit code, after `report` was given the chance to show the
    /// diagnostic of a file that is not UTF-8.
    pub fn handle(self, report: impl FnOnce(&Source, &[Diagnostic])) -> i32 {
        match self {
            LoadError::Unreadable => EXIT_USAGE,
            LoadError::NotUtf8(b) => {
                report(&b.0, std::slice::from_ref(&b.1));
                EXIT_PROGRAM
            }
        }
    }
}

/// The largest program `wb` reads: 256 MiB (a million statements are
/// about 20 MB). A larger source — or one without end, `/dev/zero` — is
/// refused while it is read, before it fills memory.
pub const MAX_SOURCE: u64 = 256 << 20;

fn too_large() -> std::io::Error {
    std::io::Error::other(format!(
        "it is larger than {} MiB, the largest program `wb` reads",
        MAX_SOURCE >> 20
    ))
}

/// Reads all of `r`, stopping with an error past [`MAX_SOURCE`] bytes.
fn read_bounded(r: impl std::io::Read) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(MAX_SOURCE + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_SOURCE {
        return Err(too_large());
    }
    Ok(buf)
}

/// Reads `path` (`-` for standard input). A file that cannot be read is a
/// usage error (exit 2); a file that is not UTF-8 is a program error (exit 1)
/// reported at the first bad byte.
pub fn load(path: &PathBuf) -> Result<Source, LoadError> {
    let (name, bytes) = if path.as_os_str() == "-" {
        match read_bounded(std::io::stdin().lock()) {
            Ok(buf) => ("<stdin>".to_owned(), buf),
            Err(e) => {
                usage_error(&format!("cannot read standard input: {e}"));
                return Err(LoadError::Unreadable);
            }
        }
    } else {
        let read = std::fs::File::open(path).and_then(|f| {
            if f.metadata()?.len() > MAX_SOURCE {
                return Err(too_large());
            }
            read_bounded(f)
        });
        match read {
            Ok(b) => (path.display().to_string(), b),
            Err(e) => {
                let why = match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_owned(),
                    std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
                    _ if path.is_dir() => "it is a directory".to_owned(),
                    _ => e.to_string(),
                };
                usage_error(&format!("cannot read `{}`: {why}", path.display()));
                return Err(LoadError::Unreadable);
            }
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source { name, text }),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let d = Diagnostic::error(
                wb::diag::Code::Syntax,
                format!(
                    "the source is not valid UTF-8 (byte 0x{:02x})",
                    e.as_bytes()[at]
                ),
                syntax::Span::new(at, at + 1),
                "not UTF-8",
            )
            .with_help("save the file as UTF-8");
            Err(LoadError::NotUtf8(Box::new((Source { name, text }, d))))
        }
    }
}

/// Reads `--capacity N`: a whole number of slots from 1 to
/// [`wb::check::MAX_CAPACITY`], as `board N` takes (a usage error, exit 2,
/// otherwise). Every subcommand and the REPL read it with this.
pub fn capacity(text: &str) -> Result<usize, String> {
    let max = wb::check::MAX_CAPACITY;
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=max as u64).contains(&n) => Ok(n as usize),
        Ok(0) => Err("a board needs at least 1 slot".to_owned()),
        Ok(_) => Err(format!("a board has at most {max} slots")),
        Err(_) => Err(format!("expected a whole number of slots from 1 to {max}")),
    }
}

/// Prints a usage error the way clap does: `error: …` on standard error.
pub fn usage_error(message: &str) {
    eprintln!("error: {message}");
}

/// How diagnostics look on standard error: see [`use_color`].
pub fn stderr_style() -> Style {
    let color = use_color(
        global().color,
        std::env::var_os("CLICOLOR_FORCE").as_deref(),
        std::env::var_os("NO_COLOR").as_deref(),
        std::io::stderr().is_terminal(),
    );
    let width = if color {
        terminal_width().unwrap_or(100)
    } else {
        100
    };
    Style { color, width }
}

/// Whether to colour, as cargo decides: the flag (`always`, `never`) wins;
/// under `auto`, `CLICOLOR_FORCE` set to anything but empty or `0` turns
/// colour on, then `NO_COLOR` set to anything but empty turns it off, and
/// otherwise colour is on exactly when standard error is a terminal.
fn use_color(
    choice: ColorChoice,
    force: Option<&std::ffi::OsStr>,
    no_color: Option<&std::ffi::OsStr>,
    terminal: bool,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if force.is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else if no_color.is_some_and(|v| !v.is_empty()) {
                false
            } else {
                terminal
            }
        }
    }
}

fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS").ok()?.parse().ok()
}

/// Renders diagnostics to standard error (with `-q`, only the errors).
pub fn report(diags: &[Diagnostic], source: &Source) {
    let kept: Vec<Diagnostic>;
    let diags = if quiet() && diags.iter().any(|d| !d.is_error()) {
        kept = diags.iter().filter(|d| d.is_error()).cloned().collect();
        &kept[..]
    } else {
        diags
    };
    if diags.is_empty() {
        return;
    }
    let out = diag::render_many(diags, &source.name, &source.text, stderr_style());
    eprint!("{out}");
}

/// Reports diagnostics: with `json`, as one object `{"diagnostics": […]}`
/// on standard output (each with its file, span end and labels, as
/// docs/diagnostics.md shows), so that `--json` output is JSON even when the
/// program fails; otherwise rendered on standard error as [`report`] does.
pub fn report_as(json: bool, diags: &[Diagnostic], source: &Source) {
    if !json {
        return report(diags, source);
    }
    let lines = wb::syntax::LineIndex::new(&source.text);
    let all: Vec<_> = diags
        .iter()
        .map(|d| d.to_json_in(&source.name, &source.text, &lines))
        .collect();
    let obj = serde_json::json!({ "diagnostics": all });
    let _ = output::print(&format!("{obj}\n"));
}

/// Parses a loaded source.
pub fn parse(source: &Source) -> Parsed {
    syntax::parse(&source.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_is_decided_as_cargo_decides() {
        use std::ffi::OsStr;
        let on = Some(OsStr::new("1"));
        let zero = Some(OsStr::new("0"));
        let empty = Some(OsStr::new(""));
        for terminal in [false, true] {
            for force in [None, on, zero, empty] {
                for no in [None, on, empty] {
                    assert!(use_color(ColorChoice::Always, force, no, terminal));
                    assert!(!use_color(ColorChoice::Never, force, no, terminal));
                }
            }
            assert!(use_color(ColorChoice::Auto, on, on, terminal));
            assert!(!use_color(ColorChoice::Auto, zero, on, terminal));
            assert!(!use_color(ColorChoice::Auto, None, on, terminal));
            assert_eq!(
                use_color(ColorChoice::Auto, empty, empty, terminal),
                terminal
            );
            assert_eq!(use_color(ColorChoice::Auto, None, None, terminal), terminal);
        }
    }

    #[test]
    fn plain_commands_read_as_clap_reads_them() {
        for command in ["run", "check"] {
            for file in [
                "examples/whiteboard.wb",
                "x",
                "a b.wb",
                "run",
                "@f",
                "x=1",
                "é",
            ] {
                let args = ["wb", command, file].map(OsString::from);
                let plain = plain(&args).expect("a plain command");
                let clap = Cli::try_parse_from(&args).expect("clap reads it").command;
                assert_eq!(format!("{plain:?}"), format!("{clap:?}"));
            }
        }
        for args in [
            &["wb", "run", "-"][..],
            &["wb", "run", "--help"],
            &["wb", "run", "-h"],
            &["wb", "check", ""],
            &["wb", "repl", "x.wb"],
            &["wb", "compile", "x.wb"],
            &["wb", "help", "run"],
            &["wb", "run", "x.wb", "--json"],
            &["wb", "run"],
            &["wb"],
        ] {
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            assert!(plain(&args).is_none(), "{args:?}");
        }
    }
}

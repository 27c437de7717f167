//! `wb fmt`: rewrite programs in the one layout (`wb::fmt`).

use std::path::PathBuf;

use clap::Args;

use super::check::save;
use super::{load, output, report, usage_error, EXIT_PROGRAM, EXIT_USAGE};

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// The programs (`-` for standard input, formatted to standard output).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Change nothing; list the files that are not formatted, exit 1 if any.
    #[arg(long)]
    check: bool,
}

pub fn fmt(args: FmtArgs) -> i32 {
    let mut code = 0;
    for path in &args.files {
        let source = match load(path) {
            Ok(s) => s,
            Err(e) => {
                code = code.max(e.handle(|source, diags| report(diags, source)));
                continue;
            }
        };
        let formatted = match wb::fmt::format(&source.text) {
            Ok(f) => f,
            Err(diags) => {
                report(&diags, &source);
                code = code.max(EXIT_PROGRAM);
                continue;
            }
        };
        if args.check {
            if formatted != source.text {
                eprintln!("not formatted: {}", source.name);
                code = code.max(EXIT_PROGRAM);
            }
        } else if path.as_os_str() == "-" {
            if let Err(c) = output::print(&formatted) {
                return c;
            }
        } else if formatted != source.text {
            if let Err(e) = save(path, &formatted) {
                usage_error(&format!("cannot write `{}`: {e}", path.display()));
                code = EXIT_USAGE;
            }
        }
    }
    code
}

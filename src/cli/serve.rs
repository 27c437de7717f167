//! `wb serve [FILE]`: binds the page's server on loopback, prints its
//! address, opens the browser only with `--open`, answers until Ctrl-C.

use std::path::PathBuf;

use clap::Args;

use super::{output, usage_error, EXIT_USAGE};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The program to open (the only file the server reads or saves);
    /// without it, the article's example, which is not saved.
    file: Option<PathBuf>,
    /// Listen on this port of 127.0.0.1 (default: a free one).
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
    /// Open the page in the browser (`xdg-open`, `open`).
    #[arg(long)]
    open: bool,
}

pub fn serve(args: ServeArgs) -> i32 {
    if let Some(file) = &args.file {
        match std::fs::metadata(file) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                usage_error(&format!("`{}` is not a regular file", file.display()));
                return EXIT_USAGE;
            }
            Err(e) => {
                usage_error(&format!("cannot read `{}`: {e}", file.display()));
                return EXIT_USAGE;
            }
        }
    }
    // Ctrl-C is caught from before the address is printed.
    let stop = output::interrupt_flag();
    let server = match wb::serve::Serve::bind(args.file.clone(), args.port.unwrap_or(0)) {
        Ok(s) => s.with_report(super::report::html_report),
        Err(why) => {
            usage_error(&why);
            return EXIT_USAGE;
        }
    };
    let url = server.url();
    if output::print(&format!("wb serve: {url}  (Ctrl-C stops)\n")).is_err() {
        return 1;
    }
    if args.open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        if let Err(e) = std::process::Command::new(opener).arg(&url).spawn() {
            eprintln!("wb serve: could not open the browser ({opener}: {e}); open {url}");
        }
    }
    server.run(stop);
    0
}

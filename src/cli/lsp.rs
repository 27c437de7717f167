//! `wb lsp`: the language server on standard input and output.

use clap::Args;

use super::{usage_error, EXIT_PROGRAM};

#[derive(Args, Debug)]
pub struct LspArgs {
    /// Accepted for editors that pass it (VS Code's generic clients do);
    /// standard input and output are the only transport.
    #[arg(long)]
    stdio: bool,
}

pub fn lsp(_args: LspArgs) -> i32 {
    let input = std::io::BufReader::new(std::io::stdin());
    match wb::lsp::serve_io(input, std::io::stdout()) {
        Ok(()) => 0,
        Err(e) => {
            usage_error(&format!("wb lsp: {e}"));
            EXIT_PROGRAM
        }
    }
}

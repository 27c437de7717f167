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
    let (conn, io) = lsp_server::Connection::stdio();
    let served = wb::lsp::serve(&conn);
    // Closing the sender lets the writer thread finish.
    drop(conn);
    let joined = io.join();
    match (served, joined) {
        (Ok(()), Ok(())) => 0,
        (Err(e), _) => {
            usage_error(&format!("wb lsp: {e}"));
            EXIT_PROGRAM
        }
        (_, Err(e)) => {
            usage_error(&format!("wb lsp: {e}"));
            EXIT_PROGRAM
        }
    }
}

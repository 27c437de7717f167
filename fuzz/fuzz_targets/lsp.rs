//! Fuzz target: `wb lsp`'s message loop and framing (`wb::lsp::serve_io`)
//! on arbitrary bytes after a valid `initialize` and `initialized`, so that
//! the bytes reach the open documents, edits and requests.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let mut input =
        frame(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{}}}"#);
    input.extend(frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#));
    input.extend_from_slice(data);
    let _ = wb::lsp::serve_io(std::io::Cursor::new(input), std::io::sink());
});

//! The protocol's framing (`Content-Length` headers, a JSON body) on any
//! reader and writer: what `wb lsp` runs on standard input and output, and
//! what tests and the fuzz target run on bytes in memory.
//!
//! A message is read as far as its bytes arrive: a `Content-Length` larger
//! than what follows costs what was sent, not what was claimed. A frame
//! whose body is not UTF-8, not JSON, or not a JSON-RPC message gets the
//! error answer JSON-RPC prescribes (`-32700` parse error, `-32600`
//! invalid request, with the request's id when it has one, else `null`)
//! and the session goes on; a header that cannot be read loses the framing
//! and ends the session with an error.

use std::io::{self, BufRead, Read, Write};
use std::sync::{Arc, Mutex};

use lsp_server::{Connection, ErrorCode, Message};
use serde_json::{json, Value};

/// The longest header line read (a longer one is not a header).
const MAX_HEADER_LINE: u64 = 64 * 1024;

/// Runs the server ([`super::serve`]) on `reader` and `writer` until the
/// client says `exit` or the input ends. `Err` says what went wrong with
/// the protocol or the framing.
pub fn serve_io<R, W>(reader: R, writer: W) -> Result<(), String>
where
    R: BufRead + Send + 'static,
    W: Write + Send + 'static,
{
    let (server, client) = Connection::memory();
    let out = Arc::new(Mutex::new(writer));
    let Connection {
        sender: to_server,
        receiver: from_server,
    } = client;
    let reader_out = Arc::clone(&out);
    let (read_tx, read_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("wb lsp reader".to_owned())
        .spawn(move || {
            let read = read_loop(reader, |m| to_server.send(m).is_ok(), &reader_out);
            // Told before the server's side closes, so that the server's
            // error at the close is never taken for the cause.
            let _ = read_tx.send(read);
            drop(to_server);
        })
        .map_err(|e| e.to_string())?;
    let writer_out = Arc::clone(&out);
    let writing = std::thread::Builder::new()
        .name("wb lsp writer".to_owned())
        .spawn(move || -> io::Result<()> {
            for msg in from_server {
                let mut w = writer_out.lock().unwrap_or_else(|p| p.into_inner());
                msg.write(&mut *w)?;
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    let served = super::serve(&server);
    // Closing the server's side ends the writer once it has written all.
    drop(server);
    let written = writing
        .join()
        .map_err(|_| "the writer thread failed".to_owned())?;
    // The server stopped at `exit` or at the end of the input: the reader
    // has stopped too, or is about to. On a protocol error it may still be
    // waiting for input, and is left to the process's end.
    let read = match &served {
        Ok(()) => read_rx.recv().ok(),
        Err(_) => read_rx.try_recv().ok(),
    };
    if let Some(Err(e)) = read {
        return Err(e);
    }
    served?;
    written.map_err(|e| format!("cannot write the answers: {e}"))
}

/// Reads frames until the input ends, `exit` arrives, or a header cannot be
/// read; forwards each message to the server.
fn read_loop<R: BufRead, W: Write>(
    mut reader: R,
    send: impl Fn(Message) -> bool,
    out: &Mutex<W>,
) -> Result<(), String> {
    loop {
        let body = match read_frame(&mut reader) {
            Ok(Some(body)) => body,
            Ok(None) => return Ok(()),
            Err(e) => return Err(format!("unreadable input, the session ends: {e}")),
        };
        let msg = match message(&body) {
            Ok(msg) => msg,
            Err(answer) => {
                let mut w = out.lock().unwrap_or_else(|p| p.into_inner());
                // A closed output is found by the writer too.
                let _ = write_frame(&mut *w, &answer.to_string());
                continue;
            }
        };
        let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
        if !send(msg) || exit {
            return Ok(());
        }
    }
}

/// The message in a frame's body, or the error answer it gets.
fn message(body: &[u8]) -> Result<Message, Value> {
    let error = |id: Value, code: ErrorCode, message: &str| {
        json!({"jsonrpc": "2.0", "id": id,
               "error": {"code": code as i32, "message": message}})
    };
    let text = std::str::from_utf8(body).map_err(|_| {
        error(
            Value::Null,
            ErrorCode::ParseError,
            "the message is not UTF-8",
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        error(
            Value::Null,
            ErrorCode::ParseError,
            &format!("the message is not JSON: {e}"),
        )
    })?;
    // An id is a string or a number (which `lsp_server` keeps as an i32);
    // a method is a string. Checked here, so that a request with another
    // id is not read as a notification (which gets no answer).
    let id = value.get("id");
    let good_id = match id {
        None => true,
        Some(Value::String(_)) => true,
        Some(Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        Some(_) => false,
    };
    let good_method = value.get("method").is_none_or(Value::is_string);
    let id = match id {
        Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
        _ => Value::Null,
    };
    let shaped = value.is_object() && good_id && good_method;
    let msg = serde_json::from_value::<Message>(value)
        .ok()
        .filter(|_| shaped);
    msg.ok_or_else(|| {
        error(
            id,
            ErrorCode::InvalidRequest,
            "not a JSON-RPC 2.0 request, notification or response",
        )
    })
}

/// Reads one frame's body; `None` at the end of the input before a frame.
fn read_frame(r: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut size = None;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        let n = r
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            if first {
                return Ok(None);
            }
            return Err(invalid("the input ended inside a header".to_owned()));
        }
        first = false;
        let Some(line) = line.strip_suffix(b"\r\n") else {
            return Err(invalid(format!(
                "a header line that does not end in CR LF: {:?}",
                String::from_utf8_lossy(&line)
            )));
        };
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line);
        let Some((name, value)) = text.split_once(':') else {
            return Err(invalid(format!("a header without `:`: {text:?}")));
        };
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            let n = value
                .trim()
                .parse::<u64>()
                .map_err(|e| invalid(format!("Content-Length {:?}: {e}", value.trim())))?;
            size = Some(n);
        }
    }
    let size = size.ok_or_else(|| invalid("a message without Content-Length".to_owned()))?;
    // Grows as the bytes arrive, whatever the header claimed.
    let mut body = Vec::new();
    r.by_ref().take(size).read_to_end(&mut body)?;
    if (body.len() as u64) < size {
        return Err(invalid(format!(
            "the input ended inside a message ({} of {size} bytes)",
            body.len()
        )));
    }
    Ok(Some(body))
}

fn write_frame(w: &mut impl Write, body: &str) -> io::Result<()> {
    write!(w, "Content-Length: {}\r\n\r\n", body.len())?;
    w.write_all(body.as_bytes())?;
    w.flush()
}

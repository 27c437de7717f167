//! Input values: defaults, overridden by `--set` and `--stream`.

use std::path::PathBuf;

use super::source::{Source, StreamFile};
use crate::check::Symbols;
use crate::diag::{Code, Diagnostic};
use crate::syntax::Names;

/// The values a run starts from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bindings {
    /// Scalar inputs, by input index.
    pub scalars: Vec<f64>,
    /// Streams, by stream index.
    pub streams: Vec<Vec<f64>>,
}

/// Values given on the command line (or by a batch row), by name.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--set name=value`.
    pub scalars: Vec<(String, f64)>,
    /// `--stream name=v1,v2,…`.
    pub streams: Vec<(String, Vec<f64>)>,
}

impl Overrides {
    /// The override names that the program does not declare as inputs or
    /// streams (a usage error), each with what it should have been.
    pub fn unknown(&self, symbols: &Symbols, names: &Names) -> Vec<String> {
        let is_input = |n: &str| {
            names
                .get(n)
                .is_some_and(|id| symbols.inputs.iter().any(|i| i.name == id))
        };
        let is_stream = |n: &str| {
            names
                .get(n)
                .is_some_and(|id| symbols.streams.iter().any(|s| s.name == id))
        };
        let mut out = Vec::new();
        for (n, _) in &self.scalars {
            if !is_input(n) {
                let hint = if is_stream(n) {
                    " (it is a stream: use `--stream`)"
                } else {
                    ""
                };
                out.push(format!("--set {n}: the program has no input `{n}`{hint}"));
            }
        }
        for (n, _) in &self.streams {
            if !is_stream(n) {
                let hint = if is_input(n) {
                    " (it is an input: use `--set`)"
                } else {
                    ""
                };
                out.push(format!(
                    "--stream {n}: the program has no stream `{n}`{hint}"
                ));
            }
        }
        out
    }
}

/// The streams read from files (`--stream x=@file`), by stream index.
///
/// They travel beside [`Bindings`] (whose streams stay values in memory)
/// and are given to the interpreter with [`super::Machine::with_stream_files`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamFiles {
    files: Vec<Option<StreamFile>>,
}

impl StreamFiles {
    /// Stream `i` is read from `file`.
    pub fn set(&mut self, i: usize, file: StreamFile) {
        if self.files.len() <= i {
            self.files.resize(i + 1, None);
        }
        self.files[i] = Some(file);
    }

    /// The file stream `i` is read from, if it is read from one.
    pub fn get(&self, i: usize) -> Option<&StreamFile> {
        self.files.get(i).and_then(Option::as_ref)
    }

    /// Whether no stream is read from a file.
    pub fn is_empty(&self) -> bool {
        self.files.iter().all(Option::is_none)
    }

    /// How many stream indices are covered (the highest given + 1).
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Where the elements of stream `i` come from: its file, else its
    /// values in `bindings`.
    pub fn source<'a>(&'a self, i: usize, bindings: &'a Bindings) -> Source<'a> {
        match self.get(i) {
            Some(f) => Source::File(f),
            None => Source::Values(bindings.streams.get(i).map_or(&[], Vec::as_slice)),
        }
    }
}

/// Binds every input and stream to a value: the override, else the default.
/// Every one that has neither is listed in one `wb::missing_input`.
pub fn bind(
    symbols: &Symbols,
    names: &Names,
    overrides: &Overrides,
) -> Result<Bindings, Diagnostic> {
    bind_with_files(symbols, names, overrides, &[]).map(|(b, _)| b)
}

/// [`bind`], with streams read from files: a stream named in `files` is
/// read from its file (whatever `overrides` gives it) and left empty in the
/// [`Bindings`].
pub fn bind_with_files(
    symbols: &Symbols,
    names: &Names,
    overrides: &Overrides,
    files: &[(String, PathBuf)],
) -> Result<(Bindings, StreamFiles), Diagnostic> {
    let mut missing = Vec::new();
    let mut b = Bindings::default();
    let mut stream_files = StreamFiles::default();
    for input in &symbols.inputs {
        let name = names.text(input.name);
        let given = overrides
            .scalars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v);
        match given.or(input.default) {
            Some(v) => b.scalars.push(v),
            None if !input.read => b.scalars.push(0.0),
            None => {
                missing.push((input.span, name, format!("`--set {name}=…`")));
                b.scalars.push(0.0);
            }
        }
    }
    for (i, stream) in symbols.streams.iter().enumerate() {
        let name = names.text(stream.name);
        if let Some((_, path)) = files.iter().rev().find(|(n, _)| n == name) {
            stream_files.set(i, StreamFile::new(path));
            b.streams.push(Vec::new());
            continue;
        }
        let given = overrides
            .streams
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone());
        match given.or_else(|| stream.default.clone()) {
            Some(v) => b.streams.push(v),
            None if !stream.read => b.streams.push(Vec::new()),
            None => {
                missing.push((stream.span, name, format!("`--stream {name}=…`")));
                b.streams.push(Vec::new());
            }
        }
    }
    if missing.is_empty() {
        return Ok((b, stream_files));
    }
    let list: Vec<String> = missing.iter().map(|(_, n, _)| format!("`{n}`")).collect();
    let flags: Vec<&str> = missing.iter().map(|(_, _, f)| f.as_str()).collect();
    let (one, many) = (missing.len() == 1, missing.len() > 1);
    let mut d = Diagnostic::error(
        Code::MissingInput,
        format!(
            "no value for {} {}",
            if one { "the input" } else { "the inputs" },
            list.join(", ")
        ),
        missing[0].0,
        "no value",
    );
    for (span, _, _) in &missing[1..] {
        d = d.with_label(*span, "no value");
    }
    Err(d.with_help(format!(
        "give {} with {}, or declare a default (`input a = 1`, `stream x = [1, 2]`)",
        if many { "them" } else { "it" },
        flags.join(" and ")
    )))
}

//! Input values: defaults, overridden by `--set` and `--stream`.

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

/// Binds every input and stream to a value: the override, else the default.
/// Every one that has neither is listed in one `wb::missing_input`.
pub fn bind(
    symbols: &Symbols,
    names: &Names,
    overrides: &Overrides,
) -> Result<Bindings, Diagnostic> {
    let mut missing = Vec::new();
    let mut b = Bindings::default();
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
            None => {
                missing.push((input.span, name, format!("`--set {name}=…`")));
                b.scalars.push(0.0);
            }
        }
    }
    for stream in &symbols.streams {
        let name = names.text(stream.name);
        let given = overrides
            .streams
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone());
        match given.or_else(|| stream.default.clone()) {
            Some(v) => b.streams.push(v),
            None => {
                missing.push((stream.span, name, format!("`--stream {name}=…`")));
                b.streams.push(Vec::new());
            }
        }
    }
    if missing.is_empty() {
        return Ok(b);
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

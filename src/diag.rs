//! Diagnostics as plain data, and their rendering.
//!
//! Every stage returns [`Diagnostic`]s that carry spans, never source text;
//! the source is attached only here, when a diagnostic is rendered for a
//! person (through miette) or for a program (JSON).

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use serde_json::{json, Value};

use crate::syntax::span::{clamp, LineIndex, Span};

/// Every diagnostic code of `wb` (LANGUAGE.md §2 lists their meaning).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The grammar rejects the text.
    Syntax,
    /// No `board` declaration and no `--capacity`.
    NoBoard,
    /// `board 0`, a fraction, or over the limit.
    BadCapacity,
    /// A name declared twice.
    Redeclared,
    /// A name never declared or written.
    UnknownName,
    /// `each` over a name that is not a stream.
    NotAStream,
    /// A write needs a slot and none is free.
    BoardFull,
    /// A forgotten name is read.
    Forgotten,
    /// `forget` of a name that is not on the board.
    NotOnBoard,
    /// `write` to an input or a stream.
    WriteInput,
    /// A gated write to a name not on the board.
    GatedNewSlot,
    /// A loop body leaves the board different from how it found it.
    LoopNotNeutral,
    /// A stream element read outside its `each`.
    StreamOutsideEach,
    /// `each` inside `each`.
    NestedEach,
    /// An input or stream with no value.
    MissingInput,
    /// Zipped streams of different lengths.
    StreamLength,
    /// A stream file (`--stream x=@file`) that cannot be read or holds
    /// something that is not a number.
    StreamFile,
    /// A `--batch` row that cannot be used (a bad cell, too few or too many fields).
    BadRow,
    /// Division or `%` by zero.
    DivZero,
    /// An infinite or NaN result.
    NotFinite,
    /// A soft gate outside [0, 1].
    GateRange,
    /// Parentheses or loops nested past the limit.
    NestingTooDeep,
    /// `--max-steps` reached.
    StepLimit,
    /// The run was interrupted (Ctrl-C).
    Interrupted,
    /// `wb plan`: no plan fits the capacity asked.
    NoPlan,
    /// `wb plan`: the program uses something the planner does not plan.
    PlanUnsupported,
    /// `wb export`: a statement outside the fragment a standard LSTM computes.
    NotExportable,
    /// `wb export`: an input or stream without the range the bound needs.
    MissingRange,
    /// `wb export --tolerance E`: the bound exceeds E.
    BoundExceeded,
    /// Warning: a value overwritten, forgotten or left at the end unread.
    DeadWrite,
    /// Warning: an input never read.
    UnusedInput,
    /// Warning (`--lint gradients`): a loop update whose derivative with
    /// respect to the old value is a constant other than 1.
    GradientFlow,
}

impl Code {
    /// The code as users see it: `wb::board_full`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "wb::syntax",
            Code::NoBoard => "wb::no_board",
            Code::BadCapacity => "wb::bad_capacity",
            Code::Redeclared => "wb::redeclared",
            Code::UnknownName => "wb::unknown_name",
            Code::NotAStream => "wb::not_a_stream",
            Code::BoardFull => "wb::board_full",
            Code::Forgotten => "wb::forgotten",
            Code::NotOnBoard => "wb::not_on_board",
            Code::WriteInput => "wb::write_input",
            Code::GatedNewSlot => "wb::gated_new_slot",
            Code::LoopNotNeutral => "wb::loop_not_neutral",
            Code::StreamOutsideEach => "wb::stream_outside_each",
            Code::NestedEach => "wb::nested_each",
            Code::MissingInput => "wb::missing_input",
            Code::StreamLength => "wb::stream_length",
            Code::StreamFile => "wb::stream_file",
            Code::BadRow => "wb::bad_row",
            Code::DivZero => "wb::div_zero",
            Code::NotFinite => "wb::not_finite",
            Code::GateRange => "wb::gate_range",
            Code::NestingTooDeep => "wb::nesting_too_deep",
            Code::StepLimit => "wb::step_limit",
            Code::Interrupted => "wb::interrupted",
            Code::NoPlan => "wb::no_plan",
            Code::PlanUnsupported => "wb::plan_unsupported",
            Code::NotExportable => "wb::not_exportable",
            Code::MissingRange => "wb::missing_range",
            Code::BoundExceeded => "wb::bound_exceeded",
            Code::DeadWrite => "wb::dead_write",
            Code::UnusedInput => "wb::unused_input",
            Code::GradientFlow => "wb::gradient_flow",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Never fatal (unless `--deny warnings`).
    Warning,
    /// The program is refused, or the run stops.
    Error,
}

/// A labelled span.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there.
    pub text: String,
    /// The primary label is the one `line`/`column` point at.
    pub primary: bool,
}

/// A diagnostic: code, message, labels, help. Plain data.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// One sentence that names the thing.
    pub message: String,
    /// Labels, the primary first.
    pub labels: Vec<Label>,
    /// How to fix it, where that is known.
    pub help: Option<String>,
    /// Further context shown after the help (for example the board at a
    /// run-time error).
    pub note: Option<String>,
    /// The loop element where a run-time error happened.
    pub index: Option<u64>,
    /// The suggestions as edits, shared by the rendered help, JSON
    /// (`fixes`), `--fix` and editors (LANGUAGE.md §7).
    pub fixes: Vec<Fix>,
}

/// How sure a suggestion is that applying it does what it says (as rustc's
/// `Applicability`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicability {
    /// Applying the edits removes this diagnostic, adds none anywhere in the
    /// program, and leaves the program's reads as they were: `--fix` and
    /// editors may apply it without asking.
    MachineApplicable,
    /// Probably right, but it changes something the user should look at
    /// (for example the text a `read` prints): offered, never applied alone.
    MaybeIncorrect,
}

impl Applicability {
    /// The name used in JSON: `machine-applicable`, `maybe-incorrect`.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::MachineApplicable => "machine-applicable",
            Applicability::MaybeIncorrect => "maybe-incorrect",
        }
    }
}

/// One text edit: replace the bytes of `span` with `replacement`. An empty
/// span is an insertion at its start (for "add a line before line N", the
/// start of that line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The bytes replaced (empty: an insertion).
    pub span: Span,
    /// What replaces them.
    pub replacement: String,
}

/// A suggestion as data: what it does in words, the edits, how sure it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// In words, as the help says it (`add \`forget bd\` before line 6`).
    pub message: String,
    /// The edits, in source order, not overlapping.
    pub edits: Vec<Edit>,
    /// Whether it may be applied without a person looking.
    pub applicability: Applicability,
}

impl Diagnostic {
    /// An error with a primary label.
    pub fn error(
        code: Code,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: vec![Label {
                span,
                text: label.into(),
                primary: true,
            }],
            help: None,
            note: None,
            index: None,
            fixes: Vec::new(),
        }
    }

    /// A warning with a primary label.
    pub fn warning(
        code: Code,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span, label)
        }
    }

    /// An error about the whole program, with no place in it.
    pub fn global(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            note: None,
            index: None,
            fixes: Vec::new(),
        }
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: false,
        });
        self
    }

    /// Sets the help.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a suggestion as data.
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }

    /// Sets the note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The span of the primary label, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }

    /// Where the diagnostic points, for sorting: primary span start.
    pub fn position(&self) -> u32 {
        self.primary_span().map_or(0, |s| s.start)
    }

    /// The diagnostic as a JSON object (LANGUAGE.md §3): `code`,
    /// `severity`, `message`, `line`, `column`, `help`, `note`, `index` in
    /// that order, then `end_line`, `end_column`, `labels` and `fixes`
    /// (docs/diagnostics.md has the schema).
    pub fn to_json(&self, src: &str, lines: &LineIndex) -> Value {
        let mut obj = json!({
            "code": self.code.as_str(),
            "severity": match self.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "message": self.message,
        });
        let primary = self.primary_span();
        if let Some(span) = primary {
            let (line, column) = lines.line_col(src, span.start as usize);
            obj["line"] = json!(line);
            obj["column"] = json!(column);
        }
        if let Some(help) = &self.help {
            obj["help"] = json!(help);
        }
        if let Some(note) = &self.note {
            obj["note"] = json!(note);
        }
        if let Some(index) = self.index {
            obj["index"] = json!(index);
        }
        if let Some(span) = primary {
            let (line, column) = lines.line_col(src, span.end as usize);
            obj["end_line"] = json!(line);
            obj["end_column"] = json!(column);
        }
        obj["labels"] = Value::Array(
            self.labels
                .iter()
                .map(|l| {
                    let mut o = span_json(l.span, src, lines);
                    o["text"] = json!(l.text);
                    o["primary"] = json!(l.primary);
                    o
                })
                .collect(),
        );
        obj["fixes"] = Value::Array(
            self.fixes
                .iter()
                .map(|f| {
                    json!({
                        "message": f.message,
                        "applicability": f.applicability.as_str(),
                        "edits": f.edits.iter().map(|e| {
                            let mut o = span_json(e.span, src, lines);
                            o["replacement"] = json!(e.replacement);
                            o
                        }).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        );
        obj
    }

    /// [`Diagnostic::to_json`] with the file's name (`"file"`) after the
    /// place.
    pub fn to_json_in(&self, file: &str, src: &str, lines: &LineIndex) -> Value {
        let mut obj = self.to_json(src, lines);
        if let Value::Object(map) = &mut obj {
            let mut out = serde_json::Map::new();
            for (k, v) in std::mem::take(map) {
                let after = k == "end_column";
                out.insert(k, v);
                if after {
                    out.insert("file".to_owned(), json!(file));
                }
            }
            if !out.contains_key("file") {
                out.insert("file".to_owned(), json!(file));
            }
            *map = out;
        }
        obj
    }
}

impl Diagnostic {
    /// Appends [`Diagnostic::to_json`] as text (`file: None`) or
    /// [`Diagnostic::to_json_in`] (`Some(file)`) to `out`: the same bytes as
    /// serialising those values, written straight out with no tree between,
    /// so that a check with a hundred thousand warnings spends its time on
    /// the warnings, not on maps of keys.
    pub fn write_json(&self, out: &mut String, file: Option<&str>, src: &str, lines: &LineIndex) {
        out.push_str("{\"code\":");
        push_json_str(out, self.code.as_str());
        out.push_str(",\"severity\":");
        out.push_str(match self.severity {
            Severity::Error => "\"error\"",
            Severity::Warning => "\"warning\"",
        });
        out.push_str(",\"message\":");
        push_json_str(out, &self.message);
        let primary = self.primary_span();
        if let Some(span) = primary {
            let (line, column) = lines.line_col(src, span.start as usize);
            push_json_num(out, "line", line as u64);
            push_json_num(out, "column", column as u64);
        }
        if let Some(help) = &self.help {
            out.push_str(",\"help\":");
            push_json_str(out, help);
        }
        if let Some(note) = &self.note {
            out.push_str(",\"note\":");
            push_json_str(out, note);
        }
        if let Some(index) = self.index {
            push_json_num(out, "index", index);
        }
        if let Some(span) = primary {
            let (line, column) = lines.line_col(src, span.end as usize);
            push_json_num(out, "end_line", line as u64);
            push_json_num(out, "end_column", column as u64);
            if let Some(file) = file {
                out.push_str(",\"file\":");
                push_json_str(out, file);
            }
        }
        out.push_str(",\"labels\":[");
        for (i, l) in self.labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_span_json(out, l.span, src, lines);
            out.push_str(",\"text\":");
            push_json_str(out, &l.text);
            out.push_str(if l.primary {
                ",\"primary\":true}"
            } else {
                ",\"primary\":false}"
            });
        }
        out.push_str("],\"fixes\":[");
        for (i, f) in self.fixes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"message\":");
            push_json_str(out, &f.message);
            out.push_str(",\"applicability\":");
            push_json_str(out, f.applicability.as_str());
            out.push_str(",\"edits\":[");
            for (j, e) in f.edits.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                push_span_json(out, e.span, src, lines);
                out.push_str(",\"replacement\":");
                push_json_str(out, &e.replacement);
                out.push('}');
            }
            out.push_str("]}");
        }
        out.push(']');
        if let (None, Some(file)) = (primary, file) {
            out.push_str(",\"file\":");
            push_json_str(out, file);
        }
        out.push('}');
    }
}

/// `,"key":n`.
fn push_json_num(out: &mut String, key: &str, n: u64) {
    use fmt::Write as _;
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
    let _ = write!(out, "{n}");
}

/// [`span_json`]'s object as text, without its closing brace (the caller
/// adds its own keys).
fn push_span_json(out: &mut String, span: Span, src: &str, lines: &LineIndex) {
    use fmt::Write as _;
    let (s, e) = clamp(src, span.start as usize, span.end as usize);
    let (line, column) = lines.line_col(src, s);
    let (end_line, end_column) = lines.line_col(src, e);
    let _ = write!(
        out,
        "{{\"line\":{line},\"column\":{column},\"end_line\":{end_line},\"end_column\":{end_column},\"start\":{s},\"end\":{e}"
    );
}

/// `text` as a JSON string, escaped as serde_json escapes it: `"`, `\\`,
/// the short escapes `\b \t \n \f \r`, other control characters as
/// `\u00xx` (lower-case hex), everything else as it is.
pub fn push_json_str(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let bytes = text.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            0..=0x1f => "",
            _ => continue,
        };
        // Every byte escaped is ASCII, so these are character boundaries.
        out.push_str(&text[from..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(escape);
        }
        from = i + 1;
    }
    out.push_str(&text[from..]);
    out.push('"');
}

/// A span as JSON: where it starts and ends, as 1-based line and column
/// (in characters) and as byte offsets (`end` exclusive).
fn span_json(span: Span, src: &str, lines: &LineIndex) -> Value {
    let (s, e) = clamp(src, span.start as usize, span.end as usize);
    let (line, column) = lines.line_col(src, s);
    let (end_line, end_column) = lines.line_col(src, e);
    json!({
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "start": s,
        "end": e,
    })
}

/// How to render diagnostics for a person.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// ANSI colour.
    pub color: bool,
    /// Wrap width.
    pub width: usize,
}

impl Style {
    /// No colour, fixed width: for files, pipes and tests.
    pub fn plain() -> Style {
        Style {
            color: false,
            width: 100,
        }
    }
}

/// Renders one diagnostic against its source, the way `wb` prints it:
/// a rustc-style header (`error[wb::board_full]: …`), then miette's snippet
/// with labels, then the help.
pub fn render(diag: &Diagnostic, name: &str, src: &str, style: Style) -> String {
    render_with(diag, &Indexed::new(name, src), src, style)
}

/// Renders many diagnostics against one source, in order: the same text as
/// calling [`render`] for each, in time linear in the source plus the
/// diagnostics. (miette reads a snippet by scanning the text from its start,
/// so rendering each diagnostic of a large file separately is quadratic;
/// here the line starts are indexed once and each snippet is read from a
/// window of a few lines.)
pub fn render_many(diags: &[Diagnostic], name: &str, src: &str, style: Style) -> String {
    if diags.is_empty() {
        return String::new();
    }
    let source = Indexed::new(name, src);
    let mut out = String::new();
    for d in diags {
        out.push_str(&render_with(d, &source, src, style));
    }
    out
}

fn render_with(
    diag: &Diagnostic,
    source: &dyn miette::SourceCode,
    src: &str,
    style: Style,
) -> String {
    let fits = text_fits(diag, style.width);
    // In colour, where no line is broken, the coloured rendering has the
    // plain one's lines with escapes added, so its header ends where the
    // plain one's does; where lines are broken, the plain rendering is
    // asked where its header ends.
    let (body, header_lines) = if style.color {
        let body = render_miette(
            diag,
            source,
            src,
            GraphicalTheme::unicode(),
            style.width,
            fits,
        );
        let header_lines = if fits {
            header_line_count(&body, true)
        } else {
            let plain = render_miette(
                diag,
                source,
                src,
                GraphicalTheme::unicode_nocolor(),
                style.width,
                fits,
            );
            header_line_count(&plain, false)
        };
        (body, header_lines)
    } else {
        let body = render_miette(
            diag,
            source,
            src,
            GraphicalTheme::unicode_nocolor(),
            style.width,
            fits,
        );
        let header_lines = header_line_count(&body, false);
        (body, header_lines)
    };
    let word = severity_word(diag);
    let header = if style.color {
        let colour = if diag.is_error() {
            "\x1b[1;31m"
        } else {
            "\x1b[1;33m"
        };
        format!(
            "{colour}{word}[{}]\x1b[0m\x1b[1m: {}\x1b[0m\n",
            diag.code, diag.message
        )
    } else {
        format!("{word}[{}]: {}\n", diag.code, diag.message)
    };
    let mut out = header;
    for line in body.lines().skip(header_lines) {
        out.push_str(line);
        out.push('\n');
    }
    if let Some(note) = &diag.note {
        // Context, not advice: after the help, as rustc prints its notes.
        let word = if style.color {
            "\x1b[1mnote\x1b[0m"
        } else {
            "note"
        };
        out.push_str(&wrap(&format!("  {word}: "), note, style.width));
    }
    out
}

/// How many lines miette's header takes: it opens with the code, a blank
/// line and the message after `×` (wrapped with `│`); everything after that
/// is the snippet and help. With `escapes`, ANSI colour sequences are
/// skipped before a line is read.
fn header_line_count(rendered: &str, escapes: bool) -> usize {
    let mut count = 0;
    for (i, line) in rendered.lines().enumerate() {
        count = i + 1;
        if i == 0 {
            continue;
        }
        let stripped;
        let l = if escapes && line.contains('\x1b') {
            stripped = strip_escapes(line);
            stripped.as_str()
        } else {
            line
        };
        if !(l.is_empty()
            || l.starts_with("  × ")
            || l.starts_with("  ⚠ ")
            || l.starts_with("  │ "))
        {
            return i;
        }
    }
    count
}

/// `line` without its ANSI CSI sequences (`ESC [ … final byte`).
fn strip_escapes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.clone().next() == Some('[') {
                chars.next();
                for d in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&d) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` after `lead`, wrapped at `width` on spaces, continuation lines
/// under the text.
fn wrap(lead: &str, text: &str, width: usize) -> String {
    let indent = "        ";
    let mut out = String::from(lead);
    let mut col = lead.chars().count();
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
            col = indent.len();
        }
        let mut first = true;
        for word in line.split(' ') {
            let w = word.chars().count();
            if !first && col + 1 + w > width {
                out.push('\n');
                out.push_str(indent);
                col = indent.len();
            } else if !first {
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += w;
            first = false;
        }
    }
    out.push('\n');
    out
}

fn render_miette(
    diag: &Diagnostic,
    source: &dyn miette::SourceCode,
    src: &str,
    theme: GraphicalTheme,
    width: usize,
    fits: bool,
) -> String {
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false)
        .with_wrap_lines(!fits);
    let report = Rendered {
        diag,
        source,
        src_len: src.len(),
        src,
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}[{}]: {}\n", severity_word(diag), diag.code, diag.message);
    }
    out
}

/// Whether the message and the help each fit on their line. miette breaks
/// them into lines with textwrap, which costs most of a diagnostic's
/// rendering; text that fits comes out of it unchanged, so it is written as
/// it is.
fn text_fits(diag: &Diagnostic, width: usize) -> bool {
    fits_on_one_line(&diag.message, MESSAGE_INDENT, width)
        && diag
            .help
            .as_deref()
            .is_none_or(|h| fits_on_one_line(h, HELP_INDENT, width))
}

/// The width of miette's lead before the message (`  × `) and the help
/// (`  help: `).
const MESSAGE_INDENT: usize = 4;
const HELP_INDENT: usize = 8;

/// Whether textwrap, breaking `text` after an `indent`-column lead at
/// miette's width (`width - 2`), would leave it as one line, as it is: one
/// line of printable ASCII (one column a byte), no space at either end or
/// two in a row (which textwrap would trim or treat as a break), and a
/// column to spare.
fn fits_on_one_line(text: &str, indent: usize, width: usize) -> bool {
    let b = text.as_bytes();
    !b.is_empty()
        && indent + b.len() < width.saturating_sub(2)
        && b.iter().all(|c| (0x20..0x7f).contains(c))
        && b[0] != b' '
        && b[b.len() - 1] != b' '
        && !text.contains("  ")
}

fn severity_word(diag: &Diagnostic) -> &'static str {
    match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

struct Rendered<'a> {
    diag: &'a Diagnostic,
    source: &'a dyn miette::SourceCode,
    src: &'a str,
    src_len: usize,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        if self.diag.labels.is_empty() {
            None
        } else {
            Some(self.source)
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.diag.labels.is_empty() {
            return None;
        }
        let src = self.src;
        let len = self.src_len;
        Some(Box::new(self.diag.labels.iter().map(move |l| {
            let (s, e) = clamp(src, l.span.start as usize, l.span.end as usize);
            // miette cannot show a span that starts at the very end of the text.
            let s = if s >= len && len > 0 {
                prev_char(src, len)
            } else {
                s
            };
            let e = e.max(s);
            let text = (!l.text.is_empty()).then(|| l.text.clone());
            if l.primary {
                LabeledSpan::new_primary_with_span(text, SourceSpan::new(s.into(), e - s))
            } else {
                LabeledSpan::new_with_span(text, SourceSpan::new(s.into(), e - s))
            }
        })))
    }
}

fn prev_char(src: &str, at: usize) -> usize {
    let mut i = at.saturating_sub(1);
    while !src.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A source whose line starts are indexed once, so that reading a snippet
/// costs the snippet, not the text before it. Lines end where wb ends them
/// (at `\n`, so `\r\n` too), and each snippet is read by miette's own
/// reader from a window of whole lines around the span, then moved back to
/// its place: the result is what miette reads from the whole text, which
/// has no lone `\r` for miette to break a line at.
struct Indexed<'a> {
    name: String,
    /// The source, with every lone `\r` (one not before `\n`) made a space:
    /// wb does not end a line there, and neither may the snippet (nor may
    /// it send the terminal a carriage return). Byte offsets are unchanged.
    src: std::borrow::Cow<'a, str>,
    /// Where its lines start: wb's own line rule, the one the header's
    /// `line:column` uses.
    lines: LineIndex,
}

impl<'a> Indexed<'a> {
    fn new(name: &str, src: &'a str) -> Self {
        let lines = LineIndex::new(src);
        let bytes = src.as_bytes();
        let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
        let src = if (0..bytes.len()).any(lone_cr) {
            let mut chars = src.chars().peekable();
            let mut text = String::with_capacity(src.len());
            while let Some(c) = chars.next() {
                let lone = c == '\r' && chars.peek() != Some(&'\n');
                text.push(if lone { ' ' } else { c });
            }
            std::borrow::Cow::Owned(text)
        } else {
            std::borrow::Cow::Borrowed(src)
        };
        Indexed {
            name: name.to_owned(),
            src,
            lines,
        }
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.lines.line(offset) - 1
    }

    /// Where 0-based line `line` starts; the end of the text past the last.
    fn start_of(&self, line: usize) -> usize {
        if line < self.lines.count() {
            self.lines.line_start(line + 1)
        } else {
            self.src.len()
        }
    }
}

impl miette::SourceCode for Indexed<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'b> + 'b>, miette::MietteError> {
        let first = self.line_of(span.offset());
        let last = self.line_of((span.offset() + span.len()).saturating_sub(1));
        // Whole lines from the first context line to two past the last, so
        // that miette's reader stops on its own exactly where it would.
        let from_line = first.saturating_sub(context_lines_before);
        let to_line = last.max(first) + context_lines_after + 2;
        let from = self.start_of(from_line);
        let to = self.start_of(to_line);
        let window = &self.src.as_bytes()[from..to];
        let inner = SourceSpan::new((span.offset() - from).into(), span.len());
        let read = <[u8] as miette::SourceCode>::read_span(
            window,
            &inner,
            context_lines_before,
            context_lines_after,
        )?;
        let data = read.data();
        let start = from + read.span().offset();
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            data,
            SourceSpan::new(start.into(), data.len()),
            read.line() + from_line,
            read.column(),
            read.line_count() + from_line,
        )))
    }
}

/// Sorts diagnostics by position, errors before warnings at the same place.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| (d.position(), std::cmp::Reverse(d.severity)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte that JSON escapes, some that it does not, and text of
    /// several bytes a character.
    const AWKWARD: &str = "a\"b\\c\u{8}\t\n\u{c}\r\u{0}\u{1f}\u{7f} é ∑ 🦀 /";

    fn diags(src: &str) -> Vec<Diagnostic> {
        let end = src.len();
        let fix = Fix {
            message: AWKWARD.to_owned(),
            edits: vec![
                Edit {
                    span: Span::new(0, 3),
                    replacement: "x\ny".to_owned(),
                },
                Edit {
                    span: Span::new(end, end),
                    replacement: String::new(),
                },
            ],
            applicability: Applicability::MaybeIncorrect,
        };
        let mut full = Diagnostic::error(Code::BoardFull, AWKWARD, Span::new(8, 11), "here ∑")
            .with_label(Span::new(0, end + 5), "\u{1}")
            .with_help("help \"quoted\"")
            .with_note("note\r\nline")
            .with_fix(fix.clone())
            .with_fix(Fix {
                edits: Vec::new(),
                applicability: Applicability::MachineApplicable,
                ..fix
            });
        full.index = Some(u64::MAX);
        vec![
            full,
            Diagnostic::warning(Code::DeadWrite, "w", Span::new(end, end), ""),
            Diagnostic::global(Code::NoBoard, "no board"),
            Diagnostic::global(Code::StepLimit, "x").with_help("h"),
        ]
    }

    /// A lone carriage return does not end a line for wb, so the snippet
    /// shows it as a space on the line it belongs to (numbered as the
    /// header numbers it), and never sends the terminal a raw `\r`.
    #[test]
    fn a_lone_carriage_return_is_not_a_line_break() {
        let src = "board 1\rwrite x = 1\r\nread x\n";
        let d = Diagnostic::warning(
            Code::DeadWrite,
            "overwritten".to_owned(),
            Span::new(14, 15),
            "here",
        );
        for style in [
            Style::plain(),
            Style {
                color: true,
                width: 100,
            },
        ] {
            for out in [
                render(&d, "f.wb", src, style),
                render_many(std::slice::from_ref(&d), "f.wb", src, style),
            ] {
                assert!(!out.contains('\r'), "{out:?}");
                assert!(out.contains("f.wb:1:15"), "{out}");
                let plain = strip_escapes(&out);
                assert!(plain.contains(" 1 │ board 1 write x = 1\n"), "{plain}");
                assert!(plain.contains(" 2 │ read x"), "{plain}");
            }
        }
    }

    /// The text writer gives serde_json's bytes for the same diagnostic,
    /// with and without the file, for every field present or absent.
    #[test]
    fn written_json_is_the_value_serialised() {
        let src = "write é = 1\r\nread ∑x\nforget 🦀\n";
        let lines = LineIndex::new(src);
        for d in diags(src) {
            let mut out = String::new();
            d.write_json(&mut out, None, src, &lines);
            assert_eq!(out, d.to_json(src, &lines).to_string());
            for file in ["prog.wb", AWKWARD] {
                let mut out = String::new();
                d.write_json(&mut out, Some(file), src, &lines);
                assert_eq!(out, d.to_json_in(file, src, &lines).to_string());
            }
        }
    }

    /// Where a diagnostic's message and help fit on their lines, miette's
    /// rendering without line breaking is the one with it, byte for byte:
    /// at every length up to the width, in both themes.
    #[test]
    fn text_that_fits_renders_the_same_unwrapped() {
        let src = "board 1\nwrite x = 1\nwrite x = 2\nread x\n";
        let source = Indexed::new("f.wb", src);
        let words = "the value written to `x` is overwritten on line 3 before it is read, so";
        let mut checked = 0;
        for width in [40, 100] {
            for len in 1..width {
                let text: String = words.chars().cycle().take(len).collect();
                let d =
                    Diagnostic::warning(Code::DeadWrite, text.clone(), Span::new(14, 15), "here")
                        .with_help(format!("help: {text}"));
                if !fits_on_one_line(&d.message, MESSAGE_INDENT, width)
                    || !fits_on_one_line(d.help.as_deref().unwrap(), HELP_INDENT, width)
                {
                    continue;
                }
                for theme in [GraphicalTheme::unicode_nocolor(), GraphicalTheme::unicode()] {
                    let report = Rendered {
                        diag: &d,
                        source: &source,
                        src,
                        src_len: src.len(),
                    };
                    let mut out = [String::new(), String::new()];
                    for (wrap, out) in [true, false].into_iter().zip(&mut out) {
                        GraphicalReportHandler::new_themed(theme.clone())
                            .with_width(width)
                            .with_links(false)
                            .with_wrap_lines(wrap)
                            .render_report(out, &report)
                            .unwrap();
                    }
                    assert_eq!(out[0], out[1], "width {width}, {len} characters");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// Where no line is broken, the coloured rendering's header ends on the
    /// plain rendering's line, at every message length and with and
    /// without help and labels: the colour path reads it there instead of
    /// rendering twice. Any other case renders the plain text to find it.
    #[test]
    fn colour_header_ends_where_the_plain_one_does() {
        let src = "board 1\nwrite x = 1\nwrite x = 2\nread x\n";
        let source = Indexed::new("f.wb", src);
        let words = "the value written to `x` is overwritten on line 3 before it is read, so";
        let mut checked = 0;
        for width in [40, 100] {
            for len in 1..width {
                let text: String = words.chars().cycle().take(len).collect();
                let labelled =
                    Diagnostic::warning(Code::DeadWrite, text.clone(), Span::new(14, 15), "here");
                for d in [
                    labelled.clone(),
                    labelled.with_help(format!("help: {text}")),
                    Diagnostic::global(Code::NoBoard, text.clone()),
                ] {
                    let fits = text_fits(&d, width);
                    let count = |theme, escapes| {
                        let out = render_miette(&d, &source, src, theme, width, fits);
                        header_line_count(&out, escapes)
                    };
                    let plain = count(GraphicalTheme::unicode_nocolor(), false);
                    assert!(plain >= 3, "{plain}");
                    if fits {
                        assert_eq!(count(GraphicalTheme::unicode(), true), plain, "{len}");
                        checked += 1;
                    }
                    let coloured = render_with(&d, &source, src, Style { color: true, width });
                    let plain_text = render_with(
                        &d,
                        &source,
                        src,
                        Style {
                            color: false,
                            width,
                        },
                    );
                    assert_eq!(
                        coloured.lines().count(),
                        plain_text.lines().count(),
                        "{len}"
                    );
                    assert_eq!(strip_escapes(&coloured), plain_text, "{len}");
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// Each byte value's escape is serde_json's.
    #[test]
    fn strings_escape_as_serde_json_does() {
        for b in 0u8..=0x7f {
            let text = format!("<{}>", b as char);
            let mut out = String::new();
            push_json_str(&mut out, &text);
            assert_eq!(out, serde_json::to_string(&text).unwrap(), "byte {b:#x}");
        }
    }
}

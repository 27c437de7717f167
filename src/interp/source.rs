//! Where a stream's elements come from: values in memory, or a file read
//! lazily, one element at a time, while `each` runs.
//!
//! A file stream holds numbers separated by commas or ASCII whitespace (the
//! same text `--stream x=1,2,3` takes). It is read through a fixed buffer, so
//! a run over a stream of any length needs the same memory; each `each` over
//! it opens the file again, so two loops over one stream both see it whole.
//!
//! A file that cannot be opened again — a pipe (`@/dev/stdin`, `<(…)`), a
//! FIFO, a device — is opened once per process, on its first open (so a
//! check that it opens loses nothing), and the text read from it is kept, up
//! to [`MAX_KEPT`] bytes, for the next `each` over it. Past that bound the
//! text is let go, and a later pass fails with a message that says why,
//! never sees a shorter stream.

use std::fmt;
use std::fs::File;
use std::io::{ErrorKind, Read as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How much of a stream that cannot be read twice (a pipe, a FIFO, a
/// device) is kept for a second `each` over it: 64 MiB of text.
pub const MAX_KEPT: usize = 64 << 20;

/// A file that can be read only once, shared by every pass over it.
#[derive(Debug)]
struct Once {
    /// The open file, until its end was read.
    file: Option<File>,
    /// Its text from the start, while no longer than [`MAX_KEPT`].
    kept: Vec<u8>,
    /// Bytes read from the file so far.
    total: usize,
    /// Whether `kept` was let go (the text outgrew [`MAX_KEPT`]).
    dropped: bool,
}

/// The files of this process that can be read only once, by path.
static ONCE: Mutex<Vec<(PathBuf, Arc<Mutex<Once>>)>> = Mutex::new(Vec::new());

/// Where a pass reads its bytes.
enum Input {
    /// A regular file, opened for this pass.
    File(File),
    /// A file read once, and this pass's offset in it.
    Once(Arc<Mutex<Once>>, usize),
}

impl Input {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Once(shared, pos) => {
                let mut once = shared.lock().unwrap_or_else(|e| e.into_inner());
                if *pos < once.total {
                    if once.dropped {
                        return Err(std::io::Error::other(format!(
                            "it can be read only once (a pipe or a device), and it was longer than the {} MiB `wb` keeps for a second `each` over it: save it to a file and give that",
                            MAX_KEPT >> 20
                        )));
                    }
                    let n = (once.total - *pos).min(buf.len());
                    buf[..n].copy_from_slice(&once.kept[*pos..*pos + n]);
                    *pos += n;
                    return Ok(n);
                }
                let Some(file) = once.file.as_mut() else {
                    return Ok(0);
                };
                let n = file.read(buf)?;
                if n == 0 {
                    once.file = None;
                    return Ok(0);
                }
                once.total += n;
                if !once.dropped {
                    if once.kept.len() + n > MAX_KEPT {
                        once.dropped = true;
                        once.kept = Vec::new();
                    } else {
                        once.kept.extend_from_slice(&buf[..n]);
                    }
                }
                *pos += n;
                Ok(n)
            }
        }
    }
}

/// Opens `path` for one pass: a regular file afresh, anything else once
/// per process (later passes share it).
fn open_input(path: &Path) -> std::io::Result<Input> {
    let mut once = ONCE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, shared)) = once.iter().find(|(p, _)| p == path) {
        return Ok(Input::Once(Arc::clone(shared), 0));
    }
    let file = File::open(path)?;
    if file.metadata()?.is_file() {
        return Ok(Input::File(file));
    }
    let shared = Arc::new(Mutex::new(Once {
        file: Some(file),
        kept: Vec::new(),
        total: 0,
        dropped: false,
    }));
    once.push((path.to_path_buf(), Arc::clone(&shared)));
    Ok(Input::Once(shared, 0))
}

use crate::number::plain_decimal;

/// The reader's buffer: large enough that a refill is rare, small enough
/// that it does not show in the peak memory.
const BUFFER: usize = 64 * 1024;

/// A stream read from a file (`--stream x=@file`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamFile {
    path: PathBuf,
}

impl StreamFile {
    /// A stream whose elements are the numbers in the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> StreamFile {
        StreamFile { path: path.into() }
    }

    /// The file's path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the file to read it from its first element.
    pub fn open(&self) -> Result<FileElements, StreamError> {
        let input = open_input(&self.path).map_err(|e| self.error(None, cannot_read(&e)))?;
        Ok(FileElements {
            input,
            path: self.path.clone(),
            buf: vec![0; BUFFER].into_boxed_slice(),
            pos: 0,
            end: 0,
            eof: false,
            line: 1,
            comma: false,
            started: false,
        })
    }

    fn error(&self, line: Option<u64>, message: String) -> StreamError {
        StreamError {
            path: self.path.clone(),
            line,
            message,
        }
    }
}

/// A stream's elements as they come: from memory or from a file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source<'a> {
    /// The whole sequence, in memory.
    Values(&'a [f64]),
    /// A file, read when the stream is iterated.
    File(&'a StreamFile),
}

impl<'a> Source<'a> {
    /// The number of elements, where it is known without reading the file.
    pub fn known_len(&self) -> Option<usize> {
        match self {
            Source::Values(v) => Some(v.len()),
            Source::File(_) => None,
        }
    }

    /// Starts reading the elements from the first.
    pub fn open(&self) -> Result<Elements<'a>, StreamError> {
        Ok(match self {
            Source::Values(v) => Elements::Values(v.iter()),
            Source::File(f) => Elements::File(Box::new(f.open()?)),
        })
    }
}

/// The elements of a [`Source`], one at a time.
#[derive(Debug)]
pub enum Elements<'a> {
    /// From memory.
    Values(std::slice::Iter<'a, f64>),
    /// From a file.
    File(Box<FileElements>),
}

impl Elements<'_> {
    /// The next element; `None` after the last.
    #[inline]
    pub fn next_value(&mut self) -> Result<Option<f64>, StreamError> {
        match self {
            Elements::Values(it) => Ok(it.next().copied()),
            Elements::File(f) => f.next_value(),
        }
    }
}

impl Iterator for Elements<'_> {
    type Item = Result<f64, StreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_value().transpose()
    }
}

/// Why a stream file could not be read: the file, the line, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamError {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line where the bad text is, if the problem is on a line.
    pub line: Option<u64>,
    /// What is wrong: "`abc` is not a number".
    pub message: String,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for StreamError {}

/// The elements of a file, parsed as they are read.
pub struct FileElements {
    input: Input,
    path: PathBuf,
    buf: Box<[u8]>,
    /// The unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    eof: bool,
    /// The line of `buf[pos]`.
    line: u64,
    /// Whether a comma came after the last number (or before the first):
    /// another comma, or the end, is a missing value.
    comma: bool,
    /// Whether a number was read.
    started: bool,
}

impl fmt::Debug for FileElements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileElements")
            .field("path", &self.path)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

/// Bytes between numbers: commas and ASCII whitespace.
#[inline]
fn is_separator(b: u8) -> bool {
    matches!(b, b',' | b' ' | b'\n' | b'\t' | b'\r' | 0x0b | 0x0c)
}

impl FileElements {
    /// The next number; `None` at the end of the file.
    pub fn next_value(&mut self) -> Result<Option<f64>, StreamError> {
        loop {
            while self.pos < self.end {
                match self.buf[self.pos] {
                    b'\n' => self.line += 1,
                    b',' => {
                        if self.comma || !self.started {
                            let why = if self.started {
                                "two commas with no number between them"
                            } else {
                                "a comma with no number before it"
                            };
                            return Err(self.error(why.to_owned()));
                        }
                        self.comma = true;
                    }
                    b => {
                        if !is_separator(b) {
                            break;
                        }
                    }
                }
                self.pos += 1;
            }
            if self.pos == self.end {
                if self.eof {
                    if self.comma {
                        return Err(self.error("a comma with no number after it".to_owned()));
                    }
                    return Ok(None);
                }
                self.pos = 0;
                self.end = 0;
                self.refill()?;
                continue;
            }
            self.comma = false;
            self.started = true;
            if let Some((v, next)) = plain_in_place(&self.buf[..self.end], self.pos) {
                self.pos = next;
                return Ok(Some(v));
            }
            let start = self.pos;
            let len = self.buf[start..self.end]
                .iter()
                .position(|&b| is_separator(b));
            let stop = match len {
                Some(n) => start + n,
                None if self.eof => self.end,
                None => {
                    // The number runs past the buffer: keep its start, read on.
                    if start == 0 && self.end == self.buf.len() {
                        return Err(self.error(format!(
                            "`{}…` is not a number (no separator in {BUFFER} bytes)",
                            shown(&self.buf[..32])
                        )));
                    }
                    self.buf.copy_within(start..self.end, 0);
                    self.end -= start;
                    self.pos = 0;
                    self.refill()?;
                    continue;
                }
            };
            self.pos = stop;
            let token = &self.buf[start..stop];
            if let Some(v) = plain_decimal(token) {
                return Ok(Some(v));
            }
            return match std::str::from_utf8(token).map(parse_number) {
                Ok(Ok(v)) => Ok(Some(v)),
                Ok(Err(why)) => Err(self.error(why)),
                Err(_) => Err(self.error(format!("`{}` is not a number", shown(token)))),
            };
        }
    }

    /// Reads more of the file after `buf[..end]`.
    fn refill(&mut self) -> Result<(), StreamError> {
        loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(StreamError {
                        path: self.path.clone(),
                        line: None,
                        message: cannot_read(&e),
                    })
                }
            }
        }
    }

    fn error(&self, message: String) -> StreamError {
        StreamError {
            path: self.path.clone(),
            line: Some(self.line),
            message,
        }
    }
}

fn cannot_read(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => "cannot read the file: no such file".to_owned(),
        ErrorKind::PermissionDenied => "cannot read the file: permission denied".to_owned(),
        ErrorKind::IsADirectory => "cannot read the file: it is a directory".to_owned(),
        _ => format!("cannot read the file: {e}"),
    }
}

/// Bad bytes as text, shortened for a message.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.into_owned(),
    }
}

/// The number that starts at `buf[at]`, read in one pass when it is a
/// plain decimal (see [`plain_decimal`]) ended by a separator inside `buf`;
/// with the index of that separator. Anything else (a longer or other
/// form, or a number that may go on past the buffer) is `None`, for the
/// general path.
#[inline]
fn plain_in_place(buf: &[u8], at: usize) -> Option<(f64, usize)> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let mut i = at;
    let negative = match buf.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut mantissa: u64 = 0;
    let int_start = i;
    // 19 digits always fit in a u64.
    while let Some(&b) = buf.get(i) {
        if !b.is_ascii_digit() || i - int_start == 19 {
            break;
        }
        mantissa = mantissa * 10 + u64::from(b - b'0');
        i += 1;
    }
    let int_digits = i - int_start;
    let mut scale = 0;
    if buf.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while let Some(&b) = buf.get(i) {
            if !b.is_ascii_digit() || int_digits + (i - frac_start) == 19 {
                break;
            }
            mantissa = mantissa * 10 + u64::from(b - b'0');
            i += 1;
        }
        scale = i - frac_start;
        if scale == 0 {
            return None;
        }
    }
    let ended = buf.get(i).is_some_and(|&b| is_separator(b));
    if int_digits == 0 || !ended || mantissa > 1 << 53 || scale >= POW10.len() {
        return None;
    }
    let v = mantissa as f64 / POW10[scale];
    Some((if negative { -v } else { v }, i))
}

/// One number as `--set`, `--stream`, stream files and `--batch` cells
/// write it: a decimal float such as `12`, `-2.5` or `1e-3`, finite. Data
/// written by other tools is taken as they write it: `.5`, `5.` and `+5`
/// are numbers here, though not in source text (docs/cli.md). `inf` and
/// `nan` are not, though Rust's parser takes them.
pub fn parse_number(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v)
            if v.is_finite()
                && !s.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
        {
            Ok(v)
        }
        Ok(_) => Err(format!("`{}` is not a finite number", shown(s.as_bytes()))),
        Err(_) => Err(format!("`{}` is not a number", shown(s.as_bytes()))),
    }
}

/// A list of numbers as `--stream x=…` (`sep` `,`) and a `--batch` stream
/// cell (`sep` `;`) write it: whitespace is free around the numbers and also
/// separates them, and each `sep` stands between two numbers, so `1,,2`,
/// `,1` and `1,` are errors (a value is missing). Blank text is the empty
/// list.
pub fn parse_list(text: &str, sep: char) -> Result<Vec<f64>, String> {
    let mut values = Vec::new();
    if text.trim().is_empty() {
        return Ok(values);
    }
    let pieces = text.split(sep).count();
    for (k, piece) in text.split(sep).enumerate() {
        let before = values.len();
        for tok in piece.split_whitespace() {
            values.push(parse_number(tok)?);
        }
        if values.len() == before {
            return Err(if k == 0 {
                format!("`{sep}` with no number before it")
            } else if k + 1 == pieces {
                format!("`{sep}` with no number after it")
            } else {
                format!("two `{sep}` with no number between them")
            });
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_separator_stands_between_two_numbers() {
        assert_eq!(parse_list(" 1, 2 3\n4 ", ','), Ok(vec![1.0, 2.0, 3.0, 4.0]));
        assert_eq!(parse_list("  ", ','), Ok(vec![]));
        assert_eq!(parse_list(".5;5.", ';'), Ok(vec![0.5, 5.0]));
        for bad in ["1,,2", ",1", "1,", "1, ,2"] {
            assert!(parse_list(bad, ',').is_err(), "{bad}");
        }
        assert_eq!(
            parse_list("4;;5", ';'),
            Err("two `;` with no number between them".to_owned())
        );
    }

    impl StreamFile {
        /// Every element, read into memory.
        fn read_all(&self) -> Result<Vec<f64>, StreamError> {
            let mut values = Vec::new();
            let mut elements = self.open()?;
            while let Some(v) = elements.next_value()? {
                values.push(v);
            }
            Ok(values)
        }
    }

    fn file(text: &[u8]) -> (tempfile::NamedTempFile, StreamFile) {
        let mut f = tempfile::NamedTempFile::new().expect("a temporary file");
        f.write_all(text).expect("written");
        let s = StreamFile::new(f.path());
        (f, s)
    }

    #[test]
    fn numbers_between_any_separators() {
        let (_f, s) = file(b"1, 2\n\n-3.5\t4e2\r\n5,\n6 .5");
        assert_eq!(
            s.read_all(),
            Ok(vec![1.0, 2.0, -3.5, 400.0, 5.0, 6.0, 0.5]),
            "commas, spaces, tabs and both line endings separate numbers"
        );
        for (text, why) in [
            (&b"5,,6"[..], "two commas with no number between them"),
            (b"5, \n ,6", "two commas with no number between them"),
            (b",5", "a comma with no number before it"),
            (b"5,6,", "a comma with no number after it"),
        ] {
            let (_f, s) = file(text);
            assert_eq!(s.read_all().map_err(|e| e.message), Err(why.to_owned()));
        }
    }

    #[test]
    fn plain_decimals_read_as_the_standard_parser_reads_them() {
        for text in [
            "0",
            "-0",
            "+7",
            "107.495134",
            "-73.159842",
            "0.1",
            "0.30000000000000004",
            "9007199254740992",
            "9007199254740993",
            "123456789.123456789",
            "1.0000000000000000000001",
            "5.",
            ".5",
            "1e3",
            "-",
            "+",
            "1.2.3",
            "12a",
            "",
        ] {
            let fast = plain_decimal(text.as_bytes());
            if let Some(v) = fast {
                let std: f64 = text.parse().expect("a plain decimal parses");
                assert_eq!(v.to_bits(), std.to_bits(), "{text}");
            }
        }
        assert_eq!(
            plain_decimal(b"-0").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        assert_eq!(plain_decimal(b"107.495134"), Some(107.495134));
        assert_eq!(plain_decimal(b"5."), None, "left to the standard parser");
        assert_eq!(plain_decimal(b"1e3"), None, "left to the standard parser");
        assert_eq!(plain_in_place(b"-2.5\n", 0), Some((-2.5, 4)));
        assert_eq!(plain_in_place(b"2.5", 0), None, "may go on past the buffer");
        assert_eq!(plain_in_place(b"2.5e3\n", 0), None);
        assert_eq!(plain_in_place(b"12345678901234567890\n", 0), None);
    }

    proptest::proptest! {
        #[test]
        fn numbers_read_in_place_match_the_standard_parser(
            text in "[-+]?[0-9]{0,22}(\\.[0-9]{0,22})?",
            sep in "[,\n \t]",
        ) {
            let buf = format!("{text}{sep}");
            if let Some((v, next)) = plain_in_place(buf.as_bytes(), 0) {
                let std: f64 = text.parse().expect("a plain decimal parses");
                proptest::prop_assert_eq!(v.to_bits(), std.to_bits(), "{}", text);
                proptest::prop_assert_eq!(next, text.len());
            }
        }

        #[test]
        fn plain_decimals_match_the_standard_parser(
            negative in proptest::bool::ANY,
            int in "[0-9]{1,24}",
            frac in proptest::option::of("[0-9]{1,24}"),
        ) {
            let text = format!(
                "{}{int}{}",
                if negative { "-" } else { "" },
                frac.map(|f| format!(".{f}")).unwrap_or_default()
            );
            let std: f64 = text.parse().expect("a decimal parses");
            if let Some(v) = plain_decimal(text.as_bytes()) {
                proptest::prop_assert_eq!(v.to_bits(), std.to_bits(), "{}", text);
            }
        }
    }

    #[test]
    fn an_empty_file_is_an_empty_stream() {
        let (_f, s) = file(b"");
        assert_eq!(s.read_all(), Ok(vec![]));
        let (_f, s) = file(b" \n\n \t\r\n");
        assert_eq!(s.read_all(), Ok(vec![]));
        let (_f, s) = file(b" \n\n ,\n");
        assert!(s.read_all().is_err(), "a comma stands between two numbers");
    }

    #[test]
    fn a_bad_number_names_its_line() {
        let (_f, s) = file(b"1\n2\n\n3 x4 5\n");
        let err = s.read_all().unwrap_err();
        assert_eq!(err.line, Some(4));
        assert_eq!(err.message, "`x4` is not a number");
        assert!(err.to_string().ends_with(", line 4: `x4` is not a number"));
        let (_f, s) = file(b"1\ninf\n");
        assert_eq!(
            s.read_all().unwrap_err().message,
            "`inf` is not a finite number"
        );
        let (_f, s) = file(b"1e999");
        assert_eq!(
            s.read_all().unwrap_err().message,
            "`1e999` is not a finite number"
        );
        let (_f, s) = file(b"1\n\xff\xfe\n");
        let err = s.read_all().unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (Some(2), "`��` is not a number")
        );
    }

    #[test]
    fn numbers_across_buffer_boundaries() {
        // Numbers of every width straddle the 64 KiB refills somewhere.
        let mut text = String::new();
        let mut expected = Vec::new();
        let mut k = 0u64;
        while text.len() < 3 * BUFFER + 100 {
            let v = (k * 7919 % 1_000_003) as f64 / 1000.0;
            text.push_str(&format!(
                "{v}{}",
                if k.is_multiple_of(3) { "\n" } else { ", " }
            ));
            expected.push(v);
            k += 1;
        }
        // A comma stands between two numbers: end with one.
        text.push('0');
        expected.push(0.0);
        let (_f, s) = file(text.as_bytes());
        assert_eq!(s.read_all(), Ok(expected));
    }

    #[test]
    fn a_line_count_survives_refills() {
        let mut text = "1\n".repeat(BUFFER);
        text.push_str("oops\n");
        let (_f, s) = file(text.as_bytes());
        assert_eq!(s.read_all().unwrap_err().line, Some(BUFFER as u64 + 1));
    }

    #[test]
    fn an_endless_token_is_refused() {
        let (_f, s) = file(&vec![b'7'; BUFFER + 10]);
        let err = s.read_all().unwrap_err();
        assert!(err.message.contains("is not a number"), "{}", err.message);
    }

    #[test]
    fn a_missing_file_says_so() {
        let s = StreamFile::new("/nonexistent/numbers.txt");
        let err = s.open().unwrap_err();
        assert_eq!(err.line, None);
        assert_eq!(
            err.to_string(),
            "/nonexistent/numbers.txt: cannot read the file: no such file"
        );
    }
}

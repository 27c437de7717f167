//! `wb run --batch inputs.csv`: one input set per CSV row, one output row
//! per input row, streamed through in chunks so memory stays flat however
//! long the file is.
//!
//! Input: a header of input and stream names (any order, any subset; a
//! missing column takes the declared default or `--set`/`--stream`). A
//! scalar cell holds a number (empty: the default); a stream cell holds its
//! sequence separated by `;` (empty: the empty sequence).
//!
//! Output: a header with one column per read expression (its text; ` @N`
//! added where two reads have the same text, N the line), then `error`. A
//! read that runs several times (inside `each` or `repeat`) gives its values
//! `;`-joined. A failing row keeps the values read before the failure and
//! has its error code in `error`; the other rows go on.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Read as IoRead, Write};
use std::rc::Rc;

use super::exec::{Batch, Engine, Sink, StreamColumn};
use super::Cell;
use crate::number;

/// Rows per chunk: large enough to amortise the engine, small enough to
/// keep memory flat.
const ROWS_PER_CHUNK: usize = 4096;

/// The value every input takes when its column is absent or (for a scalar)
/// empty: `--set` / `--stream`, else the declared default.
#[derive(Clone, Debug, Default)]
pub struct Defaults {
    /// By input index.
    pub scalars: Vec<Option<f64>>,
    /// By stream index.
    pub streams: Vec<Option<Vec<f64>>>,
}

/// What a batch run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Data rows read.
    pub rows: usize,
    /// Rows with an error.
    pub failed: usize,
    /// Whether `stop` ended the batch before its last row.
    pub stopped: bool,
}

/// Why a batch could not be run to the end: a usage error (the message says
/// where), or the output could not be written.
#[derive(Debug)]
pub enum BatchError {
    /// The CSV is not usable: an unknown column, a cell that is not a number.
    Input(String),
    /// Writing the output failed (a closed pipe, a full disk).
    Output(std::io::Error),
}

fn output_error(e: csv::Error) -> BatchError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => BatchError::Output(io),
        other => BatchError::Output(std::io::Error::other(format!("{other:?}"))),
    }
}

#[derive(Clone, Copy)]
enum Column {
    Scalar(usize),
    Stream(usize),
}

/// Runs `cell` on every row of the CSV `input`, writing the CSV of reads to
/// `output`.
///
/// Every data row gives exactly one output row, in order: a blank line is a
/// row of empty cells, and a row that cannot be used (a cell that is not a
/// number, an empty stream element, too few or too many fields) reports
/// `wb::bad_row` and its reason in the `error` column. Only a header that
/// cannot be used, a file that cannot be read, or output that cannot be
/// written stops the batch. `stop`, when set (Ctrl-C, or the output was
/// closed), ends it after the chunk in hand.
pub fn run_csv(
    cell: &Cell,
    defaults: &Defaults,
    input: impl IoRead,
    output: impl Write,
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Summary, BatchError> {
    // Fields are trimmed of ASCII whitespace where they are read (in place,
    // with no copy), not by the reader.
    let newlines = Rc::new(RefCell::new(VecDeque::new()));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(Newlines {
            inner: input,
            at: Rc::clone(&newlines),
            read: 0,
            line: 0,
        });
    let header = reader
        .headers()
        .map_err(|e| BatchError::Input(format!("cannot read the CSV header: {e}")))?
        .clone();
    let mut columns = Vec::new();
    let mut seen = Vec::new();
    for name in header.iter().map(str::trim_ascii) {
        let col = if let Some(i) = cell.inputs.iter().position(|&n| cell.names.text(n) == name) {
            Column::Scalar(i)
        } else if let Some(i) = cell
            .streams
            .iter()
            .position(|&n| cell.names.text(n) == name)
        {
            Column::Stream(i)
        } else {
            return Err(BatchError::Input(format!(
                "the CSV header names `{name}`, which is not an input or stream of the program"
            )));
        };
        if seen.contains(&name) {
            return Err(BatchError::Input(format!(
                "the CSV header names `{name}` twice"
            )));
        }
        seen.push(name);
        columns.push(col);
    }
    let mut writer = csv::Writer::from_writer(output);
    let mut titles: Vec<String> = Vec::new();
    for r in &cell.reads {
        let twice = cell.reads.iter().filter(|o| o.text == r.text).count() > 1;
        let same_line = cell
            .reads
            .iter()
            .filter(|o| o.text == r.text && o.line == r.line)
            .count()
            > 1;
        titles.push(if same_line {
            // `read x, x`: the line does not tell them apart; the column does.
            let start = (r.span.start as usize).min(cell.src.len());
            let line_start = cell.src[..start].rfind('\n').map_or(0, |i| i + 1);
            let column = cell.src[line_start..start].chars().count() + 1;
            format!("{} @{}:{}", r.text, r.line, column)
        } else if twice {
            format!("{} @{}", r.text, r.line)
        } else {
            r.text.clone()
        });
    }
    titles.push("error".into());
    writer.write_record(&titles).map_err(output_error)?;

    let mut engine = Engine::new(cell);
    if let Some(flag) = stop {
        // Ctrl-C stops the chunk in hand too, not only between chunks.
        engine = engine.with_stop(flag);
    }
    let mut summary = Summary::default();
    let mut record = csv::StringRecord::new();
    let mut chunk = Chunk::new(cell);
    let blank = csv::StringRecord::new();
    let mut rows = Rows::new(&reader, newlines);
    loop {
        chunk.clear();
        while chunk.rows < ROWS_PER_CHUNK {
            match rows.next(&mut reader, &mut record)? {
                Row::End => break,
                Row::Blank(line) => chunk.push(cell, defaults, &columns, &blank, line),
                Row::Record(line) => chunk.push(cell, defaults, &columns, &record, line),
                Row::Bad(line, why) => chunk.push_bad(cell, format!("line {line}: {why}")),
            }
        }
        if chunk.rows == 0 {
            break;
        }
        let batch = chunk.batch(cell);
        let mut sink = CsvSink {
            cells: &mut chunk.cells,
            good: &chunk.good,
            sites: chunk.sites,
        };
        let outcome = engine
            .run(&batch, &mut sink)
            .map_err(|d| BatchError::Input(d.message))?;
        if stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed)) {
            // The chunk was cut short: none of its rows is written.
            summary.stopped = true;
            break;
        }
        for (row, d) in outcome.failures {
            if let Some(&r) = chunk.good.get(row) {
                chunk.errors[r] = d.code.as_str().into();
            }
        }
        let sites = chunk.sites;
        for r in 0..chunk.rows {
            let fields = chunk.cells[r * sites..(r + 1) * sites]
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(chunk.errors[r].as_str()));
            writer.write_record(fields).map_err(output_error)?;
            if !chunk.errors[r].is_empty() {
                summary.failed += 1;
            }
        }
        summary.rows += chunk.rows;
        if stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed)) {
            summary.stopped = true;
            break;
        }
    }
    writer.flush().map_err(BatchError::Output)?;
    Ok(summary)
}

/// The longest line a batch file may have: a record is held whole while it
/// is read, so a file with no line end (`/dev/zero`) must stop somewhere.
pub const MAX_LINE: u64 = 64 << 20;

/// The input, noting where its newlines are: the CSV reader skips blank
/// lines, and they are rows too. A line longer than [`MAX_LINE`] is an error
/// of the file, found while it is read.
struct Newlines<R> {
    inner: R,
    /// Byte offsets of the newlines not yet passed by [`Rows`].
    at: Rc<RefCell<VecDeque<u64>>>,
    read: u64,
    /// Bytes read since the last newline.
    line: u64,
}

impl<R: IoRead> IoRead for Newlines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut at = self.at.borrow_mut();
        let mut last = None;
        for (i, _) in buf[..n].iter().enumerate().filter(|(_, &b)| b == b'\n') {
            at.push_back(self.read + i as u64);
            last = Some(i);
        }
        self.line = match last {
            Some(i) => (n - i - 1) as u64,
            None => self.line + n as u64,
        };
        self.read += n as u64;
        if self.line > MAX_LINE {
            return Err(std::io::Error::other(format!(
                "a line longer than {} MiB (the longest a batch file may have)",
                MAX_LINE >> 20
            )));
        }
        Ok(n)
    }
}

/// One input row, with its 1-based line.
enum Row {
    /// A blank line: every cell empty.
    Blank(usize),
    /// A record, read into the caller's record.
    Record(usize),
    /// A record that could not be read, and why.
    Bad(usize, String),
    End,
}

/// Turns the CSV reader's records and the blank lines between them into
/// rows, in the order of the file.
struct Rows {
    newlines: Rc<RefCell<VecDeque<u64>>>,
    /// Newlines passed: the line of the next byte is `lines + 1`.
    lines: usize,
    /// Blank lines found and not yet given out: the next one's line, and how
    /// many.
    blank: (usize, usize),
    /// The row found after those blank lines.
    after: Option<Row>,
}

impl Rows {
    fn new<R: IoRead>(reader: &csv::Reader<R>, newlines: Rc<RefCell<VecDeque<u64>>>) -> Rows {
        let mut rows = Rows {
            newlines,
            lines: 0,
            blank: (0, 0),
            after: None,
        };
        rows.pass(reader.position().byte());
        rows
    }

    /// Moves past the newlines before byte `to`: how many there were, and
    /// whether the last was the byte just before `to`.
    fn pass(&mut self, to: u64) -> (usize, bool) {
        let mut at = self.newlines.borrow_mut();
        let mut n = 0;
        let mut last = None;
        while at.front().is_some_and(|&b| b < to) {
            last = at.pop_front();
            n += 1;
        }
        let mut ended = last.is_some_and(|b| b + 1 == to);
        // After `\r` as a record's end, its `\n` is still to come.
        if !ended && at.front() == Some(&to) {
            at.pop_front();
            n += 1;
            ended = true;
        }
        self.lines += n;
        (n, ended)
    }

    fn next<R: IoRead>(
        &mut self,
        reader: &mut csv::Reader<R>,
        record: &mut csv::StringRecord,
    ) -> Result<Row, BatchError> {
        if self.blank.1 > 0 {
            let line = self.blank.0;
            self.blank = (line + 1, self.blank.1 - 1);
            return Ok(Row::Blank(line));
        }
        if let Some(row) = self.after.take() {
            if matches!(row, Row::End) {
                self.after = Some(Row::End);
            }
            return Ok(row);
        }
        // The reader skips blank lines before a record without saying so:
        // they are the newlines it passed that are neither the record's
        // own end nor inside its quoted fields.
        let (row, inside) = match reader.read_record(record) {
            Ok(true) => {
                let inside = record.iter().map(|f| f.matches('\n').count()).sum();
                (Row::Record(0), inside)
            }
            Ok(false) => (Row::End, 0),
            Err(e) => match e.kind() {
                csv::ErrorKind::Utf8 { .. } => {
                    (Row::Bad(0, "the row is not valid UTF-8".to_owned()), 0)
                }
                _ => {
                    let line = self.lines + 1;
                    return Err(BatchError::Input(format!("line {line}: {e}")));
                }
            },
        };
        let first = self.lines + 1;
        let end = match row {
            Row::End => u64::MAX,
            _ => reader.position().byte(),
        };
        let (n, ended) = self.pass(end);
        let blanks = n.saturating_sub(usize::from(ended) + inside);
        let line = first + blanks;
        self.after = Some(match row {
            Row::Bad(_, why) => Row::Bad(line, why),
            Row::Record(_) => Row::Record(line),
            other => other,
        });
        self.blank = (first, blanks);
        self.next(reader, record)
    }
}

/// One chunk of rows: the inputs of the rows that run, as the batch takes
/// them, and the output cells. Its buffers are reused from chunk to chunk,
/// so reading a row allocates nothing unless it has streams.
struct Chunk {
    /// Rows read into the chunk.
    rows: usize,
    /// Chunk rows that run, in order (batch row → chunk row); a row whose
    /// inputs are not all given does not.
    good: Vec<usize>,
    /// The scalars of the rows that run, row after row.
    scalars: Vec<f64>,
    /// The streams of the rows that run.
    streams: Vec<StreamColumn>,
    /// The row being read: each input's value, if it has one.
    row_scalars: Vec<Option<f64>>,
    row_streams: Vec<Option<Vec<f64>>>,
    /// Output cells, `rows × reads` (only the first `rows × reads` are the
    /// chunk's; all keep their capacity).
    cells: Vec<String>,
    /// Error per chunk row: its code, and for a bad row the reason (empty:
    /// none).
    errors: Vec<String>,
    sites: usize,
}

impl Chunk {
    fn new(cell: &Cell) -> Chunk {
        Chunk {
            rows: 0,
            good: Vec::new(),
            scalars: Vec::new(),
            streams: vec![StreamColumn::new(); cell.streams.len()],
            row_scalars: Vec::new(),
            row_streams: Vec::new(),
            cells: Vec::new(),
            errors: Vec::new(),
            sites: cell.reads.len(),
        }
    }

    fn clear(&mut self) {
        self.rows = 0;
        self.good.clear();
        self.scalars.clear();
        for s in &mut self.streams {
            *s = StreamColumn::new();
        }
        for c in &mut self.cells {
            c.clear();
        }
        self.errors.clear();
    }

    /// Reads one row into the chunk; a row that cannot be used is taken in
    /// as a failed row.
    fn push(
        &mut self,
        cell: &Cell,
        defaults: &Defaults,
        columns: &[Column],
        rec: &csv::StringRecord,
        line: usize,
    ) {
        if let Err(why) = self.read_row(cell, defaults, columns, rec) {
            self.push_bad(cell, format!("line {line}: {why}"));
            return;
        }
        let r = self.open_row();
        if self.row_scalars.iter().any(Option::is_none)
            || self.row_streams.iter().any(Option::is_none)
        {
            self.errors
                .push(crate::diag::Code::MissingInput.as_str().to_owned());
            return;
        }
        self.scalars
            .extend(self.row_scalars.iter().map(|v| v.unwrap_or(0.0)));
        for (col, seq) in self.streams.iter_mut().zip(&self.row_streams) {
            col.push(seq.as_deref().unwrap_or(&[]));
        }
        self.errors.push(String::new());
        self.good.push(r);
    }

    /// A row that does not run: `wb::bad_row: why`.
    fn push_bad(&mut self, _cell: &Cell, why: String) {
        self.open_row();
        self.errors
            .push(format!("{}: {why}", crate::diag::Code::BadRow.as_str()));
    }

    /// Adds a row's output cells; its index.
    fn open_row(&mut self) -> usize {
        let r = self.rows;
        self.rows += 1;
        let used = self.rows * self.sites;
        if self.cells.len() < used {
            self.cells.resize(used, String::new());
        }
        r
    }

    /// Each input's value in `rec`, or why the row cannot be used.
    fn read_row(
        &mut self,
        cell: &Cell,
        defaults: &Defaults,
        columns: &[Column],
        rec: &csv::StringRecord,
    ) -> Result<(), String> {
        self.row_scalars.clear();
        self.row_scalars.extend_from_slice(&defaults.scalars);
        self.row_scalars.resize(cell.inputs.len(), None);
        self.row_streams.clone_from(&defaults.streams);
        self.row_streams.resize(cell.streams.len(), None);
        // A blank line (no fields) is every cell empty.
        if !rec.is_empty() && rec.len() != columns.len() {
            return Err(format!(
                "{} field{}, the header has {}",
                rec.len(),
                if rec.len() == 1 { "" } else { "s" },
                columns.len()
            ));
        }
        for (field, col) in rec.iter().map(str::trim_ascii).zip(columns) {
            let name = match *col {
                Column::Scalar(i) => cell.names.text(cell.inputs[i]),
                Column::Stream(i) => cell.names.text(cell.streams[i]),
            };
            match *col {
                Column::Scalar(i) => {
                    if !field.is_empty() {
                        let v =
                            number_in(field).map_err(|why| format!("column `{name}`: {why}"))?;
                        self.row_scalars[i] = Some(v);
                    }
                }
                Column::Stream(i) => {
                    let seq = crate::interp::parse_list(field, ';')
                        .map_err(|why| format!("column `{name}`: {why}"))?;
                    self.row_streams[i] = Some(seq);
                }
            }
        }
        Ok(())
    }

    /// The batch of the rows that run; it takes the chunk's streams
    /// (`clear` starts them again).
    fn batch(&mut self, cell: &Cell) -> Batch {
        let (inputs, rows) = (cell.inputs.len(), self.good.len());
        let mut b = Batch::zeros(cell, rows);
        for (row, values) in self.scalars.chunks(inputs.max(1)).enumerate().take(rows) {
            for (i, &v) in values.iter().enumerate() {
                b.scalars[[i, row]] = v;
            }
        }
        for (to, from) in b.streams.iter_mut().zip(&mut self.streams) {
            *to = std::mem::take(from);
        }
        b
    }
}

/// The number in a CSV cell (already trimmed): the fast path for plain
/// decimals, else the rule every input channel shares.
fn number_in(text: &str) -> Result<f64, String> {
    match number::plain_decimal(text.as_bytes()) {
        Some(v) => Ok(v),
        None => crate::interp::parse_number(text),
    }
}

/// Appends each read value to its row's cell, `;` between values.
struct CsvSink<'a> {
    cells: &'a mut Vec<String>,
    good: &'a [usize],
    sites: usize,
}

impl Sink for CsvSink<'_> {
    fn read(
        &mut self,
        site: usize,
        first: usize,
        values: &[f64],
        rows: Option<&[bool]>,
        _index: Option<u64>,
    ) {
        for (k, &v) in values.iter().enumerate() {
            if rows.is_some_and(|r| !r[k]) {
                continue;
            }
            let Some(&r) = self.good.get(first + k) else {
                continue;
            };
            if let Some(cell) = self.cells.get_mut(r * self.sites + site) {
                if !cell.is_empty() {
                    cell.push(';');
                }
                number::write(cell, v);
            }
        }
    }
}

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

use std::io::{Read as IoRead, Write};

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
pub fn run_csv(
    cell: &Cell,
    defaults: &Defaults,
    input: impl IoRead,
    output: impl Write,
) -> Result<Summary, BatchError> {
    // Fields are trimmed of ASCII whitespace where they are read (in place,
    // with no copy), not by the reader.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
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
        titles.push(if twice {
            format!("{} @{}", r.text, r.line)
        } else {
            r.text.clone()
        });
    }
    titles.push("error".into());
    writer.write_record(&titles).map_err(output_error)?;

    let mut engine = Engine::new(cell);
    let mut summary = Summary::default();
    let mut record = csv::StringRecord::new();
    let mut chunk = Chunk::new(cell);
    loop {
        chunk.clear();
        while chunk.rows < ROWS_PER_CHUNK {
            let line = summary.rows + chunk.rows + 2;
            let more = reader
                .read_record(&mut record)
                .map_err(|e| BatchError::Input(format!("line {line}: {e}")))?;
            if !more {
                break;
            }
            chunk.push(cell, defaults, &columns, &record, line)?;
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
        for (row, d) in outcome.failures {
            if let Some(&r) = chunk.good.get(row) {
                chunk.errors[r] = d.code.as_str();
            }
        }
        let sites = chunk.sites;
        for r in 0..chunk.rows {
            let fields = chunk.cells[r * sites..(r + 1) * sites]
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(chunk.errors[r]));
            writer.write_record(fields).map_err(output_error)?;
            if !chunk.errors[r].is_empty() {
                summary.failed += 1;
            }
        }
        summary.rows += chunk.rows;
    }
    writer.flush().map_err(BatchError::Output)?;
    Ok(summary)
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
    /// Error code per chunk row (empty: none).
    errors: Vec<&'static str>,
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

    fn push(
        &mut self,
        cell: &Cell,
        defaults: &Defaults,
        columns: &[Column],
        rec: &csv::StringRecord,
        line: usize,
    ) -> Result<(), BatchError> {
        self.row_scalars.clear();
        self.row_scalars.extend_from_slice(&defaults.scalars);
        self.row_scalars.resize(cell.inputs.len(), None);
        self.row_streams.clone_from(&defaults.streams);
        self.row_streams.resize(cell.streams.len(), None);
        for (field, col) in rec.iter().map(str::trim_ascii).zip(columns) {
            match *col {
                Column::Scalar(i) => {
                    if !field.is_empty() {
                        self.row_scalars[i] = Some(number_at(field, line, cell, col)?);
                    }
                }
                Column::Stream(i) => {
                    let mut seq = Vec::new();
                    for tok in field
                        .split(';')
                        .map(str::trim_ascii)
                        .filter(|t| !t.is_empty())
                    {
                        seq.push(number_at(tok, line, cell, col)?);
                    }
                    self.row_streams[i] = Some(seq);
                }
            }
        }
        let r = self.rows;
        self.rows += 1;
        let used = self.rows * self.sites;
        if self.cells.len() < used {
            self.cells.resize(used, String::new());
        }
        if self.row_scalars.iter().any(Option::is_none)
            || self.row_streams.iter().any(Option::is_none)
        {
            self.errors.push(crate::diag::Code::MissingInput.as_str());
            return Ok(());
        }
        self.scalars
            .extend(self.row_scalars.iter().map(|v| v.unwrap_or(0.0)));
        for (col, seq) in self.streams.iter_mut().zip(&self.row_streams) {
            col.push(seq.as_deref().unwrap_or(&[]));
        }
        self.errors.push("");
        self.good.push(r);
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

/// The number in a CSV cell (already trimmed).
fn number_at(text: &str, line: usize, cell: &Cell, col: &Column) -> Result<f64, BatchError> {
    let name = match *col {
        Column::Scalar(i) => cell.names.text(cell.inputs[i]),
        Column::Stream(i) => cell.names.text(cell.streams[i]),
    };
    let value = number::plain_decimal(text.as_bytes()).or_else(|| text.parse::<f64>().ok());
    match value {
        Some(v) if v.is_finite() => Ok(v),
        _ => Err(BatchError::Input(format!(
            "line {line}, column `{name}`: `{text}` is not a finite number"
        ))),
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

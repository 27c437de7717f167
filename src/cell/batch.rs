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
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| BatchError::Input(format!("cannot read the CSV header: {e}")))?
        .clone();
    let mut columns = Vec::new();
    let mut seen = Vec::new();
    for name in header.iter() {
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
    let mut records = reader.records();
    let mut chunk = Chunk::new(cell);
    loop {
        chunk.clear();
        for rec in records.by_ref() {
            let line = summary.rows + chunk.rows.len() + 2;
            let rec = rec.map_err(|e| BatchError::Input(format!("line {line}: {e}")))?;
            chunk.push(cell, defaults, &columns, &rec, line)?;
            if chunk.rows.len() == ROWS_PER_CHUNK {
                break;
            }
        }
        if chunk.rows.is_empty() {
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
                chunk.errors[r] = d.code.as_str().to_owned();
            }
        }
        let sites = cell.reads.len();
        for r in 0..chunk.rows.len() {
            let fields = chunk.cells[r * sites..(r + 1) * sites]
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(chunk.errors[r].as_str()));
            writer.write_record(fields).map_err(output_error)?;
            if !chunk.errors[r].is_empty() {
                summary.failed += 1;
            }
        }
        summary.rows += chunk.rows.len();
    }
    writer.flush().map_err(BatchError::Output)?;
    Ok(summary)
}

/// One chunk of rows: parsed inputs and the output cells.
struct Chunk {
    /// Per chunk row: its scalars and streams (empty if the row has an error
    /// before running).
    rows: Vec<(Vec<f64>, Vec<Vec<f64>>)>,
    /// Chunk rows that run, in order (batch row → chunk row).
    good: Vec<usize>,
    /// Output cells, `rows × reads`.
    cells: Vec<String>,
    /// Error code per chunk row (empty: none).
    errors: Vec<String>,
    sites: usize,
}

impl Chunk {
    fn new(cell: &Cell) -> Chunk {
        Chunk {
            rows: Vec::new(),
            good: Vec::new(),
            cells: Vec::new(),
            errors: Vec::new(),
            sites: cell.reads.len(),
        }
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.good.clear();
        self.cells.clear();
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
        let mut scalars: Vec<Option<f64>> = defaults.scalars.clone();
        scalars.resize(cell.inputs.len(), None);
        let mut streams: Vec<Option<Vec<f64>>> = defaults.streams.clone();
        streams.resize(cell.streams.len(), None);
        for (field, col) in rec.iter().zip(columns) {
            match *col {
                Column::Scalar(i) => {
                    if !field.is_empty() {
                        scalars[i] = Some(number_at(field, line, cell, col)?);
                    }
                }
                Column::Stream(i) => {
                    let mut seq = Vec::new();
                    for tok in field.split(';').map(str::trim).filter(|t| !t.is_empty()) {
                        seq.push(number_at(tok, line, cell, col)?);
                    }
                    streams[i] = Some(seq);
                }
            }
        }
        let r = self.rows.len();
        self.cells
            .extend(std::iter::repeat_n(String::new(), self.sites));
        if scalars.iter().any(Option::is_none) || streams.iter().any(Option::is_none) {
            self.rows.push((Vec::new(), Vec::new()));
            self.errors
                .push(crate::diag::Code::MissingInput.as_str().to_owned());
            return Ok(());
        }
        self.rows.push((
            scalars.into_iter().map(|v| v.unwrap_or(0.0)).collect(),
            streams.into_iter().map(Option::unwrap_or_default).collect(),
        ));
        self.errors.push(String::new());
        self.good.push(r);
        Ok(())
    }

    fn batch(&self, cell: &Cell) -> Batch {
        let mut b = Batch::zeros(cell, self.good.len());
        for s in &mut b.streams {
            *s = StreamColumn::new();
        }
        for (row, &r) in self.good.iter().enumerate() {
            let (scalars, streams) = &self.rows[r];
            for (i, v) in scalars.iter().enumerate() {
                b.scalars[[i, row]] = *v;
            }
            for (col, seq) in b.streams.iter_mut().zip(streams) {
                col.push(seq);
            }
        }
        b
    }
}

fn number_at(text: &str, line: usize, cell: &Cell, col: &Column) -> Result<f64, BatchError> {
    let name = match *col {
        Column::Scalar(i) => cell.names.text(cell.inputs[i]),
        Column::Stream(i) => cell.names.text(cell.streams[i]),
    };
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
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
                cell.push_str(&number::format(v));
            }
        }
    }
}

//! `each`: the body once per element of the zipped streams, pulled one
//! element at a time from memory or from a file.
//!
//! Streams held in memory have known lengths, so zipped streams of
//! different lengths fail before the first element. A file's length is
//! known only when it ends: then the loop fails at the element where one
//! stream ends and another goes on, before running that element.

use std::sync::atomic::Ordering;

use super::code::{Code as Instructions, Compiled, Kind};
use super::fault::{Fault, STREAM_FILE_HELP};
use super::source::{FileElements, Source, StreamError};
use super::{Level, Machine, Run};
use crate::diag::{Code, Diagnostic};
use crate::number;
use crate::syntax::{Ident, NameId, Stmt};

/// Where the next element of one stream comes from.
enum Cursor {
    /// `streams[stream][next]`, read in place (the values belong to the
    /// machine's bindings, which the body's statements also borrow).
    Memory {
        stream: usize,
        next: usize,
        len: usize,
    },
    File(Box<FileElements>),
}

impl Machine<'_> {
    pub(super) fn each(
        &mut self,
        code: &Instructions,
        stmt: &Stmt,
        streams: &[Ident],
        indices: &Result<Vec<usize>, usize>,
        body: &[Compiled],
        run: &mut Run,
    ) -> Result<(), Diagnostic> {
        let indices = match indices {
            Ok(indices) => indices,
            Err(k) => {
                let s = streams[*k];
                let f = Fault {
                    code: Code::NotAStream,
                    message: format!("`{}` is not a stream", self.names.text(s.id)),
                    span: s.span,
                    label: "not a stream".into(),
                };
                return Err(self.fail(stmt, f));
            }
        };
        let mut cursors = Vec::with_capacity(indices.len());
        for (&i, s) in indices.iter().zip(streams) {
            cursors.push(match self.files.source(i, &self.bindings) {
                Source::Values(v) => Cursor::Memory {
                    stream: i,
                    next: 0,
                    len: v.len(),
                },
                Source::File(f) => match f.open() {
                    Ok(e) => Cursor::File(Box::new(e)),
                    Err(e) => return Err(self.stream_fault(stmt, *s, &e, None)),
                },
            });
        }
        if let Some(d) = self.lengths_differ(stmt, streams, &cursors) {
            return Err(d);
        }
        let ids: Vec<NameId> = streams.iter().map(|s| s.id).collect();
        let outer = std::mem::replace(&mut self.each_streams, ids);
        self.levels.push(Level::Each { element: 0 });
        let result = self.elements(code, stmt, streams, indices, &mut cursors, body, run);
        self.levels.pop();
        self.each_streams = outer;
        result?;
        if run.watch {
            run.obs.after(stmt, self);
        }
        Ok(())
    }

    /// Runs the body once per element, until the streams end.
    #[allow(clippy::too_many_arguments)]
    fn elements(
        &mut self,
        code: &Instructions,
        stmt: &Stmt,
        streams: &[Ident],
        indices: &[usize],
        cursors: &mut [Cursor],
        body: &[Compiled],
        run: &mut Run,
    ) -> Result<(), Diagnostic> {
        for element in 0u64.. {
            // Pull one element from every stream before judging, so that a
            // stream that ends is told apart from one that goes on.
            let mut ended = None;
            let mut going = None;
            for (k, cursor) in cursors.iter_mut().enumerate() {
                let next = match cursor {
                    Cursor::Memory { stream, next, len } => {
                        if *next < *len {
                            *next += 1;
                            Ok(Some(self.bindings.streams[*stream][*next - 1]))
                        } else {
                            Ok(None)
                        }
                    }
                    Cursor::File(f) => f.next_value(),
                };
                match next {
                    Ok(Some(v)) => {
                        self.values[self.elements + indices[k]] = v;
                        going.get_or_insert(k);
                    }
                    Ok(None) => {
                        ended.get_or_insert(k);
                    }
                    Err(e) => return Err(self.stream_fault(stmt, streams[k], &e, Some(element))),
                }
            }
            match (ended, going) {
                (None, _) => {}
                (Some(_), None) => return Ok(()),
                (Some(e), Some(g)) => {
                    return Err(self.ended_early(stmt, streams[e], streams[g], element))
                }
            }
            if let Some(Level::Each { element: at }) = self.levels.last_mut() {
                *at = element;
            }
            if run.watch {
                let values: Vec<String> = streams
                    .iter()
                    .zip(indices)
                    .map(|(s, &i)| {
                        format!(
                            "{} = {}",
                            self.names.text(s.id),
                            number::format(self.values[self.elements + i])
                        )
                    })
                    .collect();
                run.obs
                    .iteration(stmt, format!("element {element}: {}", values.join(", ")));
            }
            for s in body {
                if !self.overwrite(code, s, run) {
                    self.step(code, s, run)?;
                }
            }
        }
        Ok(())
    }

    /// The common statement of a loop body, `write x = e` of a name already
    /// on the board, done in place when nothing can go wrong: the limits are
    /// not reached, no observer watches every step, and the fast form of
    /// `e` has a value. Whether it was done; if not, [`Machine::step`] does
    /// the statement (and says what went wrong), as if this had not tried.
    #[inline(always)]
    pub(super) fn overwrite(&mut self, code: &Instructions, c: &Compiled, run: &Run) -> bool {
        let Kind::Write {
            target,
            value,
            gate: None,
            ..
        } = &c.kind
        else {
            return false;
        };
        if run.watch
            || self.steps >= run.max_steps
            || run.interrupt.is_some_and(|f| f.load(Ordering::Relaxed))
            || self.board.slot_of(target.id).is_none()
        {
            return false;
        }
        match code.fast(*value, &mut self.values, &self.board) {
            Some(v) => {
                self.values[target.id.index()] = v;
                self.steps += 1;
                true
            }
            None => false,
        }
    }

    /// `wb::stream_length` before the first element, when every length is
    /// known.
    fn lengths_differ(
        &self,
        stmt: &Stmt,
        streams: &[Ident],
        cursors: &[Cursor],
    ) -> Option<Diagnostic> {
        let lens = cursors
            .iter()
            .map(|c| match c {
                Cursor::Memory { len, .. } => Some(*len),
                Cursor::File(_) => None,
            })
            .collect::<Option<Vec<usize>>>()?;
        let len = lens.first().copied().unwrap_or(0);
        let k = lens.iter().position(|&l| l != len)?;
        let (a, b) = (streams[0], streams[k]);
        let f = Fault::lengths_differ(
            self.names.text(a.id),
            len,
            self.names.text(b.id),
            lens[k],
            b.span,
        );
        Some(self.fail(stmt, f))
    }

    /// `wb::stream_length` at the element where `ended` has none and
    /// `going` has one.
    fn ended_early(&self, stmt: &Stmt, ended: Ident, going: Ident, element: u64) -> Diagnostic {
        let names = &self.names;
        let f = Fault::ended_early(
            names.text(ended.id),
            names.text(going.id),
            element,
            ended.span,
        );
        self.outside_element(stmt, f, Some(element))
    }

    /// A stream file that cannot be read, or holds something that is not a
    /// number.
    fn stream_fault(
        &self,
        stmt: &Stmt,
        stream: Ident,
        err: &StreamError,
        element: Option<u64>,
    ) -> Diagnostic {
        let f = Fault::stream_file(self.names.text(stream.id), err, stream.span);
        self.outside_element(stmt, f, element)
            .with_help(STREAM_FILE_HELP)
    }

    /// A failure of the loop itself, at `element`: described without the
    /// element's values (there are none yet), but with its index.
    fn outside_element(&self, stmt: &Stmt, f: Fault, element: Option<u64>) -> Diagnostic {
        let mut machine_levels = self.levels.clone();
        if element.is_some() {
            machine_levels.pop();
        }
        let mut d = self.fail_at(stmt, f, &machine_levels);
        if element.is_some() {
            d.index = element;
        }
        d
    }
}

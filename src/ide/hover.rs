//! Hover: what a name is here (input, stream, board value: its slot and
//! unit, where it was written, read next and last, forgotten), or the board
//! after the statement under the cursor.

use crate::board::Board;
use crate::check::NameKind;
use crate::number;
use crate::syntax::Span;

use super::{Document, Occurrence, Role};

/// A hover's text (Markdown) and the span it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Hover {
    /// Markdown.
    pub markdown: String,
    /// The name or statement described.
    pub span: Span,
}

/// Slots drawn one by one in a board picture; a larger board shows its used
/// slots only.
const DRAWN_SLOTS: usize = 12;

impl Document {
    /// What is under the cursor at `offset`.
    pub fn hover(&self, offset: usize) -> Option<Hover> {
        if let Some(o) = self.occurrence_at(offset) {
            return Some(Hover {
                markdown: self.describe(o),
                span: o.span,
            });
        }
        let stmt = self.stmt_at(offset)?;
        let (_, after) = self.boards_around(stmt)?;
        let line = self.line(stmt.start);
        Some(Hover {
            markdown: format!("board after line {line}: `{}`", self.picture(&after)),
            span: stmt,
        })
    }

    /// The board as one line: `[ ac | bd | · ] 2/3`, and `full` when it is.
    pub fn picture(&self, board: &Board) -> String {
        let cap = self.analysis.capacity;
        let drawn = match cap {
            Some(c) if c <= DRAWN_SLOTS => c.max(board.extent()),
            _ => board.extent(),
        };
        let cells: Vec<&str> = (0..drawn)
            .map(|s| board.name_in(s).map_or("·", |id| self.name(id)))
            .collect();
        let mut out = format!("[ {} ]", cells.join(" | "));
        if cells.is_empty() {
            out = "[ ]".to_owned();
        }
        out.push_str(&format!(" {}", self.occupancy(board.occupancy())));
        out
    }

    /// `2/3`, `3/3 full`, or `2` with no capacity.
    pub fn occupancy(&self, used: usize) -> String {
        match self.analysis.capacity {
            Some(c) if used >= c => format!("{used}/{c} full"),
            Some(c) => format!("{used}/{c}"),
            None => used.to_string(),
        }
    }

    fn describe(&self, o: &Occurrence) -> String {
        let name = self.name(o.id);
        match self.kind(o.id) {
            NameKind::Input(i) => {
                let info = &self.analysis.symbols.inputs[i];
                let default = info
                    .default
                    .map(|d| format!(", default `{}`", number::format(d)))
                    .unwrap_or_else(|| ", no default (give it with `--set`)".to_owned());
                format!(
                    "**`{name}`**: input{default}, declared on line {}\n\nInputs are not on the board: reading one is free.",
                    self.line(info.span.start)
                )
            }
            NameKind::Stream(i) => {
                let info = &self.analysis.symbols.streams[i];
                let default = match &info.default {
                    Some(v) => format!(
                        ", default `[{}]`",
                        v.iter()
                            .map(|x| number::format(*x))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => ", no default (give it with `--stream`)".to_owned(),
                };
                format!(
                    "**`{name}`**: stream{default}, declared on line {}\n\nInside `each {name} {{ … }}` it is the current element, free to read.",
                    self.line(info.span.start)
                )
            }
            NameKind::Board => self.describe_value(o),
            NameKind::Undeclared => {
                format!("**`{name}`**: not declared or written before this point")
            }
        }
    }

    fn describe_value(&self, o: &Occurrence) -> String {
        let name = self.name(o.id);
        let mut out = format!("**`{name}`**: board value");
        if let Some((before, after)) = self.boards_around(o.stmt) {
            let slot = after.slot_of(o.id).or_else(|| before.slot_of(o.id));
            if let Some(s) = slot {
                out.push_str(&format!(", slot {} here", s + 1));
            }
        }
        let line = self.line(o.span.start);
        if let Some(r) = self
            .units()
            .iter()
            .find(|r| r.name == o.id && r.from_line <= line && line <= r.to_line)
        {
            out.push_str(&format!(" (unit u{} in the cell)", r.unit));
        }
        let Some(life) = o.life else {
            out.push_str("\n\nNot on the board here.");
            return out;
        };
        let occ = self.occurrences();
        let life = &self.lives()[life];
        let mut facts = Vec::new();
        let defs = self.definitions(o);
        if !defs.is_empty() {
            let lines: Vec<String> = defs
                .iter()
                .map(|s| self.line(s.start).to_string())
                .collect();
            facts.push(format!("written on line {}", lines.join(" and ")));
        }
        let reads: Vec<u32> = life
            .occurrences
            .iter()
            .map(|&i| occ[i])
            .filter(|x| x.role == Role::Read)
            .map(|x| x.span.start)
            .collect();
        let next = reads.iter().find(|&&p| p > o.span.start);
        match (next, reads.last()) {
            (Some(n), Some(l)) if n == l => {
                facts.push(format!("read next and last on line {}", self.line(*n)))
            }
            (Some(n), Some(l)) => facts.push(format!(
                "read next on line {}, last on line {}",
                self.line(*n),
                self.line(*l)
            )),
            (None, Some(l)) if *l <= o.span.start => facts.push(format!(
                "not read again (last read on line {})",
                self.line(*l)
            )),
            _ => facts.push("never read".to_owned()),
        }
        let forget = life
            .occurrences
            .iter()
            .map(|&i| occ[i])
            .find(|x| x.role == Role::Forgotten);
        match forget {
            Some(f) => facts.push(format!("forgotten on line {}", self.line(f.span.start))),
            None => facts.push("never forgotten".to_owned()),
        }
        out.push_str("\n\n");
        out.push_str(
            &facts
                .iter()
                .map(|f| format!("- {f}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        out
    }
}

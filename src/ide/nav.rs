//! Navigation per value: the writes that reach a read (definition), the
//! occurrences of one life of a name (references), renaming that life, and
//! the document's symbols.

use crate::check::NameKind;
use crate::syntax::{Item, Span, Stmt, StmtKind};

use super::{Document, Occurrence, Role};

/// A rename: the edits, or why it is refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Rename {
    /// The spans to replace with the new name.
    pub edits: Vec<Span>,
    /// In words: what is renamed (`the value of \`bd\` written on line 4,
    /// lines 4–6`).
    pub what: String,
}

/// What a document symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// `board N`.
    Board,
    /// A scalar input.
    Input,
    /// A stream.
    Stream,
    /// One life of a board value.
    Value,
    /// An `each` or `repeat` loop.
    Loop,
}

/// One entry of the document's outline.
#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    /// What the outline shows.
    pub name: String,
    /// A detail beside it.
    pub detail: String,
    /// What it is.
    pub kind: SymbolKind,
    /// What it covers.
    pub span: Span,
    /// The part to select (the name).
    pub selection: Span,
}

impl Document {
    /// The writes whose value a read at `o` may see, latest first: the last
    /// write before it, and also earlier ones while the writes in between
    /// are gated (a gate may keep the old value); inside a loop, also the
    /// writes later in the body (the previous iteration's). A write or
    /// forget is its own definition.
    pub fn definitions(&self, o: &Occurrence) -> Vec<Span> {
        let Some(life) = o.life else {
            return self.declaration(o).into_iter().collect();
        };
        if o.role != Role::Read {
            return vec![o.span];
        }
        let occ = self.occurrences();
        let writes: Vec<&Occurrence> = self.lives()[life]
            .occurrences
            .iter()
            .map(|&i| &occ[i])
            .filter(|x| matches!(x.role, Role::Written { .. }))
            .collect();
        let mut out = Vec::new();
        // Writes in `from..to`, latest first, until an ungated one; true if
        // one was ungated (nothing earlier reaches).
        let walk = |from: u32, to: u32, out: &mut Vec<Span>| {
            for w in writes.iter().rev() {
                if w.stmt.start >= from && w.stmt.start < to {
                    out.push(w.span);
                    if w.role == (Role::Written { gated: false }) {
                        return true;
                    }
                }
            }
            false
        };
        // Positions are statements' starts: a write in the read's own
        // statement happens after the read (the previous iteration's).
        let mut here = o.stmt.start;
        let mut loops: Vec<Span> = self
            .facts()
            .loops
            .iter()
            .filter(|l| l.start <= o.span.start && o.span.start < l.end)
            .copied()
            .collect();
        loops.sort_by_key(|l| std::cmp::Reverse(l.start));
        for l in loops {
            if walk(l.start, here, &mut out) {
                return out;
            }
            // The previous iteration: the body's writes after this read.
            walk(here, l.end, &mut out);
            here = l.start;
        }
        walk(0, here, &mut out);
        if out.is_empty() {
            // A read in the statement that first writes it (`write s = s + 1`
            // inside its own first write is an error); point at that write.
            out.extend(writes.first().map(|w| w.span));
        }
        out.dedup();
        out
    }

    /// Where an input or stream is declared.
    fn declaration(&self, o: &Occurrence) -> Option<Span> {
        let symbols = &self.analysis.symbols;
        match self.kind(o.id) {
            NameKind::Input(i) => Some(symbols.inputs[i].span),
            NameKind::Stream(i) => Some(symbols.streams[i].span),
            _ => None,
        }
    }

    /// Go to definition at `offset`.
    pub fn definition(&self, offset: usize) -> Vec<Span> {
        self.occurrence_at(offset)
            .map(|o| self.definitions(o))
            .unwrap_or_default()
    }

    /// The occurrences of the value at `offset`: one life of a board name
    /// (its writes, reads and forget), or every occurrence of an input or
    /// stream; with the declaration or not.
    pub fn references(&self, offset: usize, with_declaration: bool) -> Vec<Span> {
        let Some(o) = self.occurrence_at(offset) else {
            return Vec::new();
        };
        let occ = self.occurrences();
        match o.life {
            Some(l) => self.lives()[l]
                .occurrences
                .iter()
                .map(|&i| occ[i].span)
                .collect(),
            None if self.kind(o.id) == NameKind::Board => vec![o.span],
            None => occ
                .iter()
                .filter(|x| x.id == o.id && (with_declaration || x.role != Role::Declared))
                .map(|x| x.span)
                .collect(),
        }
    }

    /// Renames the value at `offset` to `new_name`: one life of a board
    /// name (the other values of the same name keep theirs), or an input or
    /// stream everywhere. Refused (`Err`, in words) for a name that is not a
    /// name, a keyword, or one the program already uses.
    pub fn rename(&self, offset: usize, new_name: &str) -> Result<Rename, String> {
        let o = self
            .occurrence_at(offset)
            .ok_or("there is no name here to rename")?;
        let valid = new_name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid || crate::syntax::KEYWORDS.contains(&new_name) {
            return Err(format!("`{new_name}` is not a name"));
        }
        if crate::syntax::Func::from_name(new_name).is_some() {
            return Err(format!("`{new_name}` is a function"));
        }
        if self.program().names.get(new_name).is_some() {
            return Err(format!(
                "`{new_name}` is already used in this program; choose a new name"
            ));
        }
        let edits = self.references(offset, true);
        let name = self.name(o.id);
        let what = match o.life {
            Some(_) => {
                let first = edits.first().map_or(0, |s| self.line(s.start));
                let last = edits.last().map_or(0, |s| self.line(s.start));
                format!(
                    "renames one value of `{name}`: the one written on line {first}, lines {first}–{last}"
                )
            }
            None => format!("renames `{name}` everywhere"),
        };
        Ok(Rename { edits, what })
    }

    /// The outline: the board, inputs, streams, one entry per value (life)
    /// and one per loop.
    pub fn symbols(&self) -> Vec<Symbol> {
        let mut out = Vec::new();
        for item in &self.program().items {
            match item {
                Item::Board(b) => out.push(Symbol {
                    name: format!("board {}", crate::number::format(b.value)),
                    detail: String::new(),
                    kind: SymbolKind::Board,
                    span: b.span,
                    selection: b.value_span,
                }),
                Item::Input(decls, _) => {
                    for d in decls {
                        out.push(Symbol {
                            name: self.name(d.name.id).to_owned(),
                            detail: "input".to_owned(),
                            kind: SymbolKind::Input,
                            span: d.name.span,
                            selection: d.name.span,
                        });
                    }
                }
                Item::Stream(decls, _) => {
                    for d in decls {
                        out.push(Symbol {
                            name: self.name(d.name.id).to_owned(),
                            detail: "stream".to_owned(),
                            kind: SymbolKind::Stream,
                            span: d.name.span,
                            selection: d.name.span,
                        });
                    }
                }
                Item::Stmt(s) => self.loop_symbols(s, &mut out),
            }
        }
        let occ = self.occurrences();
        for life in self.lives() {
            let (Some(&first), Some(&last)) = (life.occurrences.first(), life.occurrences.last())
            else {
                continue;
            };
            let (first, last) = (occ[first], occ[last]);
            let (a, b) = (self.line(first.span.start), self.line(last.span.start));
            out.push(Symbol {
                name: self.name(life.id).to_owned(),
                detail: if a == b {
                    format!("value, line {a}")
                } else {
                    format!("value, lines {a}–{b}")
                },
                kind: SymbolKind::Value,
                span: first.stmt.to(last.stmt),
                selection: first.span,
            });
        }
        out.sort_by_key(|s| s.span.start);
        out
    }

    fn loop_symbols(&self, s: &Stmt, out: &mut Vec<Symbol>) {
        let body = match &s.kind {
            StmtKind::Each { streams, body } => {
                let names: Vec<&str> = streams.iter().map(|n| self.name(n.id)).collect();
                out.push(Symbol {
                    name: format!("each {}", names.join(", ")),
                    detail: "loop".to_owned(),
                    kind: SymbolKind::Loop,
                    span: s.span,
                    selection: streams.first().map_or(s.span, |n| n.span),
                });
                body
            }
            StmtKind::Repeat { count, body } => {
                out.push(Symbol {
                    name: format!("repeat {count}"),
                    detail: "loop".to_owned(),
                    kind: SymbolKind::Loop,
                    span: s.span,
                    selection: Span::new(s.span.start as usize, s.span.start as usize + 6),
                });
                body
            }
            _ => return,
        };
        for b in body {
            self.loop_symbols(b, out);
        }
    }
}

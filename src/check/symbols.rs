//! What each name is: an input, a stream or a board value.

use crate::syntax::{NameId, Span};

/// What a name was declared as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// Not declared (yet).
    Undeclared,
    /// A scalar input: index into [`Symbols::inputs`].
    Input(usize),
    /// A stream: index into [`Symbols::streams`].
    Stream(usize),
    /// A value that lives on the board.
    Board,
}

/// A declared scalar input.
#[derive(Clone, Debug, PartialEq)]
pub struct InputInfo {
    /// Its name.
    pub name: NameId,
    /// Its default, if declared with one.
    pub default: Option<f64>,
    /// Where it is declared.
    pub span: Span,
    /// Whether the program reads it (false only when a whole-program check
    /// found no read): an input never read needs no value.
    pub read: bool,
}

/// A declared stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamInfo {
    /// Its name.
    pub name: NameId,
    /// Its default sequence, if declared with one.
    pub default: Option<Vec<f64>>,
    /// Where it is declared.
    pub span: Span,
    /// Whether the program runs `each` over it (false only when a
    /// whole-program check found none): such a stream needs no value.
    pub read: bool,
}

/// The program's declarations, indexed by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Symbols {
    kinds: Vec<NameKind>,
    /// The scalar inputs in declaration order.
    pub inputs: Vec<InputInfo>,
    /// The streams in declaration order.
    pub streams: Vec<StreamInfo>,
}

impl Symbols {
    /// What `id` is.
    pub fn kind(&self, id: NameId) -> NameKind {
        self.kinds
            .get(id.index())
            .copied()
            .unwrap_or(NameKind::Undeclared)
    }

    pub(crate) fn set(&mut self, id: NameId, kind: NameKind) {
        if self.kinds.len() <= id.index() {
            self.kinds.resize(id.index() + 1, NameKind::Undeclared);
        }
        self.kinds[id.index()] = kind;
    }

    /// The kind of every name, by id (names past the end are undeclared).
    pub fn kinds(&self) -> &[NameKind] {
        &self.kinds
    }
}

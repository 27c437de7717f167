//! Inlay hints: the board's occupancy after each statement (`2/3`), marked
//! `full` where every slot is taken.

use super::Document;

/// A hint shown after a statement.
#[derive(Clone, Debug, PartialEq)]
pub struct InlayHint {
    /// The byte offset it is shown at (the end of the statement).
    pub offset: usize,
    /// `2/3`, or `3/3 full`.
    pub label: String,
    /// Whether the board is full here.
    pub full: bool,
    /// The board after the statement, as a picture (the hint's tooltip).
    pub board: String,
}

impl Document {
    /// One hint per statement that writes or forgets (or loops), in source
    /// order; a `read` changes nothing and gets none.
    pub fn inlay_hints(&self) -> Vec<InlayHint> {
        let cap = self.analysis.capacity;
        let changes: std::collections::HashSet<u32> = self
            .facts()
            .occurrences
            .iter()
            .filter(|o| matches!(o.role, super::Role::Written { .. } | super::Role::Forgotten))
            .map(|o| o.stmt.start)
            .chain(self.facts().loops.iter().map(|l| l.start))
            .collect();
        let mut out = Vec::new();
        self.each_board(|stmt, board| {
            if !changes.contains(&stmt.start) {
                return;
            }
            let used = board.occupancy();
            out.push(InlayHint {
                offset: stmt.end as usize,
                label: self.occupancy(used),
                full: cap.is_some_and(|c| used >= c),
                board: self.picture(board),
            });
        });
        out.sort_by_key(|h| h.offset);
        out
    }
}

//! The board's slot bookkeeping: which name is in which slot.
//!
//! Shared by the checker (which simulates it statically), the interpreter
//! (which holds it beside the values) and the cell compiler (whose units are
//! its slots). A new name takes the lowest free slot, so slot numbers — and
//! the pictures `--trace` draws — are the same for every run.
//!
//! Memory follows what is used, not the capacity: `board 1000000` with three
//! values costs three slots.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::syntax::NameId;

const NONE: u32 = u32::MAX;

/// Which name is in which slot.
#[derive(Clone, Debug, Default)]
pub struct Board {
    /// Slot → name; grows to the highest slot used.
    slots: Vec<Option<NameId>>,
    /// Name → slot (`NONE` when off the board).
    slot_of: Vec<u32>,
    /// Freed slots below `slots.len()`, lowest first.
    free: BinaryHeap<Reverse<u32>>,
    occupancy: usize,
}

impl Board {
    /// How many slots hold a value.
    pub fn occupancy(&self) -> usize {
        self.occupancy
    }

    /// How many slots were ever used (the highest slot number + 1).
    pub fn extent(&self) -> usize {
        self.slots.len()
    }

    /// The slot `id` is in, if it is on the board.
    pub fn slot_of(&self, id: NameId) -> Option<usize> {
        match self.slot_of.get(id.index()) {
            Some(&s) if s != NONE => Some(s as usize),
            _ => None,
        }
    }

    /// The name in `slot`, if any.
    pub fn name_in(&self, slot: usize) -> Option<NameId> {
        self.slots.get(slot).copied().flatten()
    }

    /// The slot the next new name would take.
    pub fn next_free(&self) -> usize {
        match self.free.peek() {
            Some(Reverse(s)) => *s as usize,
            None => self.slots.len(),
        }
    }

    /// Puts `id` (not on the board) in the lowest free slot; returns the slot.
    /// The caller enforces the capacity.
    pub fn place(&mut self, id: NameId) -> usize {
        debug_assert!(self.slot_of(id).is_none());
        let slot = match self.free.pop() {
            Some(Reverse(s)) => s as usize,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.slots[slot] = Some(id);
        if self.slot_of.len() <= id.index() {
            self.slot_of.resize(id.index() + 1, NONE);
        }
        self.slot_of[id.index()] = slot as u32;
        self.occupancy += 1;
        slot
    }

    /// Takes `id` off the board; returns the slot it was in.
    pub fn remove(&mut self, id: NameId) -> Option<usize> {
        let slot = self.slot_of(id)?;
        self.slots[slot] = None;
        self.slot_of[id.index()] = NONE;
        self.free.push(Reverse(slot as u32));
        self.occupancy -= 1;
        Some(slot)
    }

    /// The names on the board, by slot.
    pub fn names(&self) -> impl Iterator<Item = NameId> + '_ {
        self.slots.iter().filter_map(|s| *s)
    }

    /// `(slot, name)` for every occupied slot, in slot order.
    pub fn slots(&self) -> impl Iterator<Item = (usize, NameId)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|id| (i, id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_slot_is_reused() {
        let mut b = Board::default();
        let (a, c, d, e) = (NameId(0), NameId(1), NameId(2), NameId(3));
        assert_eq!(b.place(a), 0);
        assert_eq!(b.place(c), 1);
        assert_eq!(b.place(d), 2);
        assert_eq!(b.remove(c), Some(1));
        assert_eq!(b.remove(a), Some(0));
        assert_eq!(b.place(e), 0);
        assert_eq!(b.occupancy(), 2);
        assert_eq!(b.slot_of(d), Some(2));
        assert_eq!(b.slot_of(c), None);
        assert_eq!(b.extent(), 3);
        assert_eq!(b.names().collect::<Vec<_>>(), vec![e, d]);
    }
}

//! A session's memory grows with what its entries add, not with what the
//! session holds times the number of entries: measured by the counting
//! allocator (heap bytes live at the peak), not by a timer. Before undo kept
//! a copy of the checker and the board per entry, 10 000 lines naming a new
//! value every three lines held 0.93 GB.

mod counting;

use std::sync::atomic::Ordering;

use wb::repl::{Session, Status};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// The peak heap bytes (above what was live at the start) of a session fed
/// `groups` groups of three lines, each group naming a new value (`fresh`)
/// or the same one again.
fn peak(groups: usize, fresh: bool) -> usize {
    let base = counting::LIVE.load(Ordering::SeqCst);
    counting::PEAK.store(base, Ordering::SeqCst);
    let mut s = Session::default();
    for i in 0..groups {
        let name = if fresh {
            format!("v{i}")
        } else {
            "v".to_owned()
        };
        for entry in [
            format!("write {name} = {i} + 1"),
            format!("read {name} * 2"),
            format!("forget {name}"),
        ] {
            let o = s.eval(&entry);
            assert_eq!(o.status, Status::Done, "{entry}");
        }
    }
    // `:undo` still goes back entry by entry.
    assert_eq!(s.eval(":undo").status, Status::Done);
    assert_eq!(s.occupancy(), 1);
    let p = counting::PEAK.load(Ordering::SeqCst) - base;
    drop(s);
    p
}

#[test]
fn a_session_holds_memory_linear_in_its_entries() {
    for fresh in [true, false] {
        let small = peak(2_000, fresh);
        let large = peak(4_000, fresh);
        // Twice the entries: about twice the memory (the text, the items,
        // the reads table), not four times.
        assert!(
            large <= small * 5 / 2 + (1 << 20),
            "fresh {fresh}: {small} bytes at 6 000 lines, {large} at 12 000"
        );
        // And small in itself: under 40 MB for 12 000 lines (it was
        // gigabytes).
        assert!(
            large < 40 << 20,
            "fresh {fresh}: {large} bytes at 12 000 lines"
        );
    }
}

//! Memory follows what a program uses, not what it declares: `board 1000000`
//! with three values costs what `board 3` costs. Measured with a counting
//! allocator (this test binary's own), as the peak of live heap bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(live, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap bytes (above what was live before) to parse, check and run `src`.
fn peak_bytes(src: &str) -> usize {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let parsed = wb::syntax::parse(src);
    let analysis = wb::check::check(&parsed.program, None);
    assert!(!analysis.has_errors());
    let bindings = wb::interp::bind(
        &analysis.symbols,
        &parsed.program.names,
        &Default::default(),
    )
    .expect("defaults");
    let capacity = analysis.capacity.expect("a board");
    let mut machine =
        wb::interp::Machine::new(&parsed.program, src, &analysis.symbols, capacity, bindings);
    let mut reads = Vec::new();
    machine
        .run(&parsed.program.items, &mut reads, Default::default())
        .expect("runs");
    assert_eq!(reads[0].value, 6.0);
    drop(machine);
    PEAK.load(Ordering::SeqCst) - before
}

#[test]
fn a_huge_board_costs_only_what_is_used() {
    let program = |n: usize| {
        format!("board {n}\nwrite a = 1\nwrite b = 2\nwrite c = a + b\nforget a\nread c * 2\n")
    };
    let small = peak_bytes(&program(3));
    let huge = peak_bytes(&program(1_000_000));
    // A slot costs at least 8 bytes; a million of them would be 8 MB.
    assert!(
        huge < small + 4096,
        "board 1000000 took {huge} bytes at peak, board 3 took {small}"
    );
}

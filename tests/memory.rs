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

/// The generated straight-line program of `bench/gen.py program N wb`.
fn straight_line(n: usize) -> String {
    const LIVE: usize = 12;
    let mut src = String::from("board 16\ninput a = 1\n");
    for k in 0..LIVE {
        src.push_str(&format!("write w{k} = a + {k}\n"));
    }
    for i in 0..n - LIVE - 1 {
        let k = i % LIVE;
        let p = (k + LIVE - 1) % LIVE;
        src.push_str(&format!("write w{k} = w{p} * 0.5 - w{k} / 3 + a\n"));
    }
    let all: Vec<String> = (0..LIVE).map(|k| format!("w{k}")).collect();
    src.push_str(&format!("read {}\n", all.join(", ")));
    src
}

/// Heap bytes per statement to parse and check the straight-line program
/// that `bench/` checks (`bench/gen.py program`): the syntax tree and the
/// checker's tables of a million statements must fit in a few hundred MB.
#[test]
fn parse_and_check_cost_few_bytes_per_statement() {
    let n = 100_000;
    let src = straight_line(n);
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let parsed = wb::syntax::parse(&src);
    assert!(parsed.diagnostics.is_empty());
    let analysis = wb::check::check(&parsed.program, None);
    assert!(
        analysis.diagnostics.is_empty(),
        "{:?}",
        analysis.diagnostics
    );
    let per_statement = (PEAK.load(Ordering::SeqCst) - before) / n;
    // Each statement holds 9 postfix operations (16 bytes each) and its
    // node; the source itself is 33 bytes a line. Before the operations
    // were packed and the checker's tables trimmed, this was 470.
    assert!(
        per_statement <= BYTES_PER_STATEMENT,
        "{per_statement} bytes per statement at peak (at most {BYTES_PER_STATEMENT})"
    );
}

const BYTES_PER_STATEMENT: usize = 280;

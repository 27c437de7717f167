//! Reverse mode's memory on a 1 000 000-element stream, measured with a
//! counting allocator (this test binary's own) as the peak of live heap
//! bytes: the stream (8 bytes an element) and the gradients (8 bytes an
//! element per read, held twice while they are handed over) are all that
//! grows with N; the checkpoints and segment logs are √N-sized. A tape of
//! the whole run would hold every statement executed (tens of bytes each).

mod counting;

use std::sync::atomic::Ordering;

use counting::{LIVE, PEAK};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// Peak heap bytes above the stream itself to differentiate `src` over `xs`.
fn peak(src: &str, xs: &[f64]) -> usize {
    let parsed = wb::syntax::parse(src);
    let analysis = wb::check::check(&parsed.program, None);
    assert!(!analysis.has_errors());
    let streams = vec![xs.to_vec()];
    let compiled = wb::grad::compile(&parsed.program, &analysis.symbols, src);
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let g = wb::grad::reverse::gradients(wb::grad::Spec {
        compiled: &compiled,
        scalars: &[],
        streams: &streams,
        at: None,
        interrupt: None,
    })
    .expect("differentiates");
    assert_eq!(g.reads[0].streams[0].len(), xs.len());
    assert_eq!(g.reads[0].streams[0][xs.len() - 1], 1.0);
    drop(g);
    PEAK.load(Ordering::SeqCst) - before
}

#[test]
fn a_million_elements_need_the_result_and_a_few_kilobytes_more() {
    let src = "board 2\nstream x = []\nwrite s = 0\nwrite c = 0\neach x {\n  write s = 0.5 * s + x\n  write c = c + x gate 0.5\n}\nread s, c\n";
    let n = 1_000_000;
    let xs: Vec<f64> = (0..n).map(|i| (i % 10) as f64).collect();
    let reads = 2;
    let result = 8 * n * reads * 2;
    let big = peak(src, &xs);
    assert!(
        big <= result + 1_000_000,
        "{big} bytes at peak for {n} elements (the result is {result})"
    );
    // And it is not the result that the tape grows: 1000 elements cost
    // the same beyond their own result.
    let small = peak(src, &xs[..1000]);
    assert!(
        small <= 8 * 1000 * reads * 2 + 200_000,
        "{small} bytes for 1000 elements"
    );
}

//! A stream written into the program costs near what the same stream read
//! from a file costs: a million-element `stream x = [1, 1, …]` is its
//! numbers (a few copies of 8 bytes each), not a parse tree. Measured with
//! the counting allocator of `tests/counting` as the peak of live heap
//! bytes to parse, check, bind and run.

mod counting;

use std::sync::atomic::Ordering;

use counting::{LIVE, PEAK};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const N: usize = 1_000_000;

/// Peak heap bytes (above what was live before) to parse, check and run
/// `src`, with `file` as the stream `x` if given; and the read `s`.
fn peak_bytes(src: &str, file: Option<&std::path::Path>) -> (usize, f64) {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let parsed = wb::syntax::parse(src);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let analysis = wb::check::check(&parsed.program, None);
    assert!(!analysis.has_errors());
    let files: Vec<(String, std::path::PathBuf)> = file
        .map(|f| vec![("x".to_owned(), f.to_path_buf())])
        .unwrap_or_default();
    let (bindings, stream_files) = wb::interp::bind_with_files(
        &analysis.symbols,
        &parsed.program.names,
        &Default::default(),
        &files,
    )
    .expect("bound");
    let capacity = analysis.capacity.expect("a board");
    let mut machine =
        wb::interp::Machine::new(&parsed.program, src, &analysis.symbols, capacity, bindings)
            .with_stream_files(stream_files);
    let mut reads = Vec::new();
    machine
        .run(&parsed.program.items, &mut reads, Default::default())
        .expect("runs");
    drop(machine);
    (PEAK.load(Ordering::SeqCst) - before, reads[0].value)
}

#[test]
fn a_million_element_stream_literal_costs_its_numbers() {
    let body = "write s = 0\neach x { write s = s + x }\nread s\n";
    let mut literal = String::from("board 2\nstream x = [");
    literal.push_str(&vec!["1"; N].join(", "));
    literal.push_str("]\n");
    literal.push_str(body);
    let dir = tempfile::tempdir().expect("a directory");
    let path = dir.path().join("x.txt");
    std::fs::write(&path, "1\n".repeat(N)).expect("written");
    let plain = format!("board 2\nstream x\n{body}");

    let (in_source, s) = peak_bytes(&literal, None);
    assert_eq!(s, N as f64);
    let (from_file, s) = peak_bytes(&plain, Some(&path));
    assert_eq!(s, N as f64);
    // The numbers themselves are 8 MB; a parse tree of tokens was ~250 MB.
    let per_element = in_source as f64 / N as f64;
    eprintln!("peak: {in_source} bytes in the source ({per_element:.1} an element), {from_file} from a file");
    assert!(
        per_element < 48.0,
        "{in_source} bytes at peak for {N} elements in the source ({per_element:.1} an element); from a file: {from_file}"
    );
}

//! Golden files for `wb check`: every `tests/golden/check/NAME.wb` sits next
//! to `NAME.txt`, which holds what the checker says about it — each
//! diagnostic rendered with `wb::diag::render` (`Style::plain()`: no colour,
//! width 100), the summary, and what `--pack` would write.
//!
//! To regenerate the `.txt` files after an intended change, run
//!
//! ```sh
//! WB_REGENERATE=1 cargo test --test check_golden
//! ```
//!
//! and review the diff before committing it.

use std::fmt::Write as _;
use std::path::Path;

use wb::check;
use wb::diag::{self, Style};

fn describe(name: &str, src: &str) -> String {
    let parsed = wb::syntax::parse(src);
    let mut out = String::new();
    let style = Style::plain();
    if !parsed.diagnostics.is_empty() {
        for d in &parsed.diagnostics {
            out.push_str(&diag::render(d, name, src, style));
        }
        return out;
    }
    let analysis = check::check(&parsed.program, None);
    let one_by_one: String = analysis
        .diagnostics
        .iter()
        .map(|d| diag::render(d, name, src, style))
        .collect();
    let many = diag::render_many(&analysis.diagnostics, name, src, style);
    assert_eq!(
        one_by_one, many,
        "render_many must print what render prints, for {name}"
    );
    out.push_str(&one_by_one);
    let lines = &parsed.program.lines;
    let (errors, warnings) = analysis.counts();
    let _ = writeln!(
        out,
        "--- summary\ncapacity {:?}, peak {}, peak_line {:?}, min_capacity {}; {errors} errors, {warnings} warnings",
        analysis.capacity,
        analysis.peak,
        analysis.peak_span.map(|s| lines.line(s.start as usize)),
        analysis.min_capacity,
    );
    match check::fix(&parsed.program, src, &analysis) {
        Ok(f) if f.changed() => {
            let _ = write!(
                out,
                "--- wb check --pack ({} added, {} removed)\n{}",
                f.added, f.removed, f.text
            );
        }
        Ok(_) => out.push_str("--- wb check --pack: no change\n"),
        Err(blocking) => {
            let _ = writeln!(
                out,
                "--- wb check --pack refuses: {} error(s) it cannot repair",
                blocking.len()
            );
        }
    }
    out
}

#[test]
fn golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/check");
    let regenerate = std::env::var_os("WB_REGENERATE").is_some();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("the golden directory exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wb"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 15, "golden programs are missing");
    let mut failures = Vec::new();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("golden file names are UTF-8");
        let src = std::fs::read_to_string(&path).expect("golden program is readable");
        let got = describe(name, &src);
        let expected_path = path.with_extension("txt");
        if regenerate {
            std::fs::write(&expected_path, &got).expect("golden output is writable");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- got\n{got}",
                expected_path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden files differ (WB_REGENERATE=1 cargo test --test check_golden rewrites them):\n{}",
        failures.join("\n")
    );
}

/// Every diagnostic kind the checker reports has a golden file.
#[test]
fn every_check_code_has_a_golden_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/check");
    let mut all = String::new();
    for e in std::fs::read_dir(&dir).expect("the golden directory exists") {
        let p = e.expect("a directory entry").path();
        if p.extension().is_some_and(|e| e == "txt") {
            all.push_str(&std::fs::read_to_string(&p).expect("readable"));
        }
    }
    for code in [
        "wb::syntax",
        "wb::no_board",
        "wb::bad_capacity",
        "wb::redeclared",
        "wb::unknown_name",
        "wb::not_a_stream",
        "wb::board_full",
        "wb::forgotten",
        "wb::not_on_board",
        "wb::write_input",
        "wb::gated_new_slot",
        "wb::loop_not_neutral",
        "wb::stream_outside_each",
        "wb::nested_each",
        "wb::dead_write",
        "wb::unused_input",
    ] {
        assert!(
            all.contains(&format!("[{code}]")),
            "no golden file shows {code}"
        );
    }
}

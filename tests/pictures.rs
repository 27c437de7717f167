//! `wb report`: the pictures as a user gets them, read back as XML.
//!
//! - the article's program draws the article's sequence of boards;
//! - every example has a board picture, a gate picture and a report, each
//!   well-formed and the same bytes every time;
//! - golden SVGs in `tests/golden/pictures/` (regenerate with
//!   `WB_REGENERATE=1 cargo test --test pictures`, then review the diff);
//! - failures are drawn where they happen, with the slot the help forgets;
//! - a 64-slot board, a 10 000-element stream, a million-slot board and a
//!   long program give pictures of bounded size that say what they fold.

use std::path::Path;

use assert_cmd::Command;

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

/// `wb report FILE --picture WHAT` (plus `extra` flags) on standard output.
fn picture(file: &str, what: &str, extra: &[&str]) -> (i32, String) {
    let out = wb()
        .args(["report", file, "--picture", what])
        .args(extra)
        .output()
        .expect("wb runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8"),
    )
}

fn picture_of_source(src: &str, what: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.wb");
    std::fs::write(&path, src).unwrap();
    picture(path.to_str().unwrap(), what, extra)
}

fn examples() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("examples")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wb"))
        .map(|p| p.display().to_string())
        .collect();
    v.sort();
    assert!(v.len() >= 7, "the examples are there");
    v
}

/// One column of a board picture, as the SVG says it.
#[derive(Debug, PartialEq)]
struct Col {
    kind: String,
    line: usize,
    full: bool,
    /// `name=value` per slot, "" for an empty slot.
    slots: Vec<String>,
    /// Per slot, its marks.
    marks: Vec<String>,
    erased: Vec<String>,
    outputs: Vec<String>,
}

fn columns(svg: &str) -> Vec<Col> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("data-kind").is_some())
        .map(|c| {
            let slots: Vec<_> = c
                .descendants()
                .filter(|n| n.attribute("class") == Some("slot"))
                .collect();
            Col {
                kind: c.attribute("data-kind").unwrap().to_owned(),
                line: c.attribute("data-line").unwrap().parse().unwrap(),
                full: c.attribute("data-full") == Some("true"),
                slots: slots
                    .iter()
                    .map(|s| {
                        let name = s.attribute("data-name").unwrap();
                        if name.is_empty() {
                            String::new()
                        } else {
                            format!("{name}={}", s.attribute("data-value").unwrap())
                        }
                    })
                    .collect(),
                marks: slots
                    .iter()
                    .map(|s| s.attribute("data-marks").unwrap().to_owned())
                    .collect(),
                erased: slots
                    .iter()
                    .filter_map(|s| s.attribute("data-erased").map(str::to_owned))
                    .collect(),
                outputs: c
                    .descendants()
                    .filter(|n| n.attribute("class") == Some("output"))
                    .map(|n| text_of(n))
                    .collect(),
            }
        })
        .collect()
}

/// The text of an element, a `<title>` (the exact text) preferred.
fn text_of(n: roxmltree::Node) -> String {
    if let Some(t) = n.children().find(|c| c.has_tag_name("title")) {
        return t.text().unwrap_or("").to_owned();
    }
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

#[test]
fn the_article_s_program_draws_the_article_s_boards() {
    let (code, svg) = picture("examples/whiteboard.wb", "board", &[]);
    assert_eq!(code, 0);
    let cols = columns(&svg);
    let boards: Vec<(usize, Vec<&str>, bool)> = cols
        .iter()
        .map(|c| (c.line, c.slots.iter().map(String::as_str).collect(), c.full))
        .collect();
    // The article: ac, bd written as their values; bd + a; bd erased;
    // ac(bd + a) in its place; bd + a and ac no longer needed; ad written
    // as 11; ac erased; ad + ac(bd + a) = 181 (LANGUAGE.md §6's trace).
    assert_eq!(
        boards,
        vec![
            (5, vec!["ac=5", "", ""], false),
            (6, vec!["ac=5", "bd=33", ""], false),
            (7, vec!["ac=5", "bd=33", "bd_a=34"], true),
            (8, vec!["ac=5", "", "bd_a=34"], false),
            (9, vec!["ac=5", "p=170", "bd_a=34"], true),
            (10, vec!["ac=5", "p=170", ""], false),
            (11, vec!["ac=5", "p=170", "ad=11"], true),
            (12, vec!["", "p=170", "ad=11"], false),
            (13, vec!["result=181", "p=170", "ad=11"], true),
            (14, vec!["result=181", "p=170", "ad=11"], true),
        ]
    );
    // Selectively write, read, forget, as marks.
    assert_eq!(cols[0].marks, ["arrive", "", ""]);
    assert_eq!(cols[2].marks, ["", "read", "arrive"]);
    assert_eq!(cols[3].erased, ["bd"]);
    assert_eq!(cols[3].marks, ["", "forget", ""]);
    assert_eq!(cols[4].marks, ["read", "arrive", "read"]);
    assert_eq!(cols[7].erased, ["ac"]);
    assert_eq!(cols[9].outputs, ["result = 181"]);
    // Every cell's value is drawn in full at this size.
    for v in [
        "ac = 5",
        "bd = 33",
        "bd_a = 34",
        "p = 170",
        "ad = 11",
        "result = 181",
        "bd erased",
    ] {
        assert!(svg.contains(&format!(">{v}</text>")), "{v} is drawn");
    }
}

#[test]
fn every_example_has_its_pictures_and_report_the_same_every_time() {
    for file in examples() {
        let (code, board) = picture(&file, "board", &[]);
        assert_eq!(code, 0, "{file}");
        let doc = roxmltree::Document::parse(&board).expect("board SVG");
        assert!(
            doc.descendants()
                .any(|n| n.attribute("class") == Some("legend")),
            "{file}: a legend"
        );
        let (code, gates) = picture(&file, "gates", &[]);
        assert_eq!(code, 0, "{file}");
        let doc = roxmltree::Document::parse(&gates).expect("gates SVG");
        assert!(
            doc.descendants()
                .any(|n| n.attribute("class") == Some("legend")),
            "{file}: a legend"
        );
        let (code, html) = picture(&file, "report", &[]);
        assert_eq!(code, 0, "{file}");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<meta name=\"viewport\""));
        assert!(html.contains("@media print"));
        assert!(
            !html.contains("http://")
                || html.matches("http://").count()
                    == html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
            "{file}: no link but the SVG namespace"
        );
        assert!(
            !html.contains("<script") && !html.contains("<link") && !html.contains("<img"),
            "{file}: self-contained"
        );
        // Deterministic: the same bytes again.
        assert_eq!(picture(&file, "report", &[]).1, html, "{file}");
        // Every inline SVG of the report is well-formed.
        let mut rest = html.as_str();
        let mut n = 0;
        while let Some(at) = rest.find("<svg ") {
            let end = rest[at..].find("</svg>").unwrap() + at + "</svg>".len();
            roxmltree::Document::parse(&rest[at..end]).expect("inline SVG");
            rest = &rest[end..];
            n += 1;
        }
        assert!(n >= 2, "{file}: board and gates inline");
    }
}

#[test]
fn golden_pictures() {
    let cases: [(&str, &str, &[&str]); 6] = [
        ("examples/whiteboard.wb", "board", &[]),
        ("examples/whiteboard.wb", "gates", &[]),
        ("examples/running_max.wb", "stream", &[]),
        ("examples/ema.wb", "stream", &[]),
        ("examples/errors/overflow.wb", "board", &[]),
        ("examples/errors/forgotten.wb", "board", &[]),
    ];
    let regenerate = std::env::var_os("WB_REGENERATE").is_some();
    let mut differ = Vec::new();
    for (file, what, flags) in cases {
        let (_, svg) = picture(file, what, flags);
        roxmltree::Document::parse(&svg).expect("well-formed");
        let stem = Path::new(file).file_stem().unwrap().to_str().unwrap();
        let golden = format!("tests/golden/pictures/{stem}-{what}.svg");
        if regenerate {
            std::fs::write(&golden, &svg).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if want != svg {
            differ.push(golden);
        }
    }
    assert!(
        differ.is_empty(),
        "golden pictures differ (WB_REGENERATE=1 to accept): {differ:?}"
    );
}

#[test]
fn a_board_full_is_drawn_at_the_overflowing_moment_with_the_slot_to_forget() {
    let (code, svg) = picture("examples/errors/overflow.wb", "board", &[]);
    assert_eq!(code, 1, "the program has an error");
    let cols = columns(&svg);
    let last = cols.last().unwrap();
    assert_eq!(last.kind, "failure");
    assert_eq!(last.line, 9);
    assert_eq!(last.slots, ["ac=5", "bd=33", "bd_a=34"]);
    assert!(last.full);
    assert_eq!(
        last.marks[1], "forget-hint",
        "slot 2, `bd`, is the one to forget"
    );
    assert!(svg.contains("wb::board_full"));
    assert!(svg.contains(">help: forget bd<"));
    // Following the help: forget bd before line 9, and the program fits.
    let src = std::fs::read_to_string("examples/errors/overflow.wb").unwrap();
    let fixed: String = src
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 8 {
                format!("forget bd\n{l}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixed.wb");
    std::fs::write(&path, fixed).unwrap();
    wb().args(["check"]).arg(&path).assert().success();
    let (code, svg) = picture(path.to_str().unwrap(), "board", &[]);
    assert_eq!(code, 0);
    assert!(columns(&svg).iter().all(|c| c.kind == "stmt"));
}

#[test]
fn a_run_time_failure_is_drawn_up_to_the_failing_statement() {
    let (code, svg) = picture("examples/errors/forgotten.wb", "board", &[]);
    assert_eq!(code, 1);
    let cols = columns(&svg);
    assert_eq!(cols.len(), 4, "three statements ran, the fourth failed");
    let last = cols.last().unwrap();
    assert_eq!((last.kind.as_str(), last.line), ("failure", 8));
    assert_eq!(last.slots, ["", "prod=6"]);
    assert!(svg.contains("wb::forgotten"));
    // A checked program that fails at run time: division by zero in a loop.
    let src = "board 1\nstream x = [1, 2, 0, 4]\nwrite s = 0\neach x {\n  write s = s + 1 / x\n}\nread s\n";
    let (code, svg) = picture_of_source(src, "board", &[]);
    assert_eq!(code, 1);
    let cols = columns(&svg);
    let last = cols.last().unwrap();
    assert_eq!((last.kind.as_str(), last.line), ("failure", 5));
    assert_eq!(last.slots, ["s=1.5"]);
}

#[test]
fn a_report_shows_source_diagnostics_reads_and_pictures() {
    let (code, html) = picture("examples/errors/overflow.wb", "report", &[]);
    assert_eq!(code, 1);
    assert!(html.contains("error[wb::board_full]"));
    assert!(html.contains("class=\"line error\" id=\"L9\""));
    assert!(html.contains("the cell is compiled from a program that passes `wb check`"));
    let (code, html) = picture("examples/stream_stats.wb", "report", &[]);
    assert_eq!(code, 0);
    assert!(html.contains("<td><code>variance</code></td><td class=\"value\">4</td>"));
    assert!(html.contains("no gated write"));
    let (_, html) = picture("examples/running_max.wb", "report", &[]);
    assert!(html.contains("class=\"wb-picture wb-stream\""));
}

fn file_of(values: impl Iterator<Item = String>) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), values.collect::<Vec<_>>().join("\n")).unwrap();
    f
}

#[test]
fn a_ten_thousand_element_stream_is_folded_and_binned_and_says_so() {
    let f = file_of((0..10_000).map(|i| ((i * 7919) % 1000).to_string()));
    let flag = format!("x=@{}", f.path().display());
    let (code, board) = picture("examples/running_max.wb", "board", &["--stream", &flag]);
    assert_eq!(code, 0);
    let cols = columns(&board);
    assert!(cols.len() < 20, "folded: {} columns", cols.len());
    assert!(
        board.contains(">+9,997 iterations</text>"),
        "the fold counts what it hides"
    );
    assert!(board.contains("folded: loops after their first 3 iterations"));
    let (code, stream) = picture("examples/running_max.wb", "stream", &["--stream", &flag]);
    assert_eq!(code, 0);
    let doc = roxmltree::Document::parse(&stream).unwrap();
    let cells = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("gate"))
        .count();
    assert!(cells <= 200, "{cells} columns");
    assert!(stream.contains("aggregated: each column is the mean gate of 64 consecutive elements (10,000 elements in 157 columns)"));
    assert!(stream.contains("over 10,000 elements"));
    let (_, ema) = picture("examples/ema.wb", "stream", &["--stream", &flag]);
    assert!(ema.len() < 200_000);
}

#[test]
fn a_sixty_four_slot_board_is_drawn_whole() {
    let mut src = String::from("board 64\n");
    for i in 0..64 {
        src.push_str(&format!("write v{i} = {i}\n"));
    }
    src.push_str("read v0 + v63\n");
    let (code, svg) = picture_of_source(&src, "board", &[]);
    assert_eq!(code, 0);
    let cols = columns(&svg);
    assert_eq!(cols.len(), 65);
    assert_eq!(cols.last().unwrap().slots.len(), 64);
    assert!(cols.last().unwrap().full);
    let (code, gates) = picture_of_source(&src, "gates", &[]);
    assert_eq!(code, 0);
    roxmltree::Document::parse(&gates).unwrap();
}

#[test]
fn pictures_stay_bounded_at_sizes_the_language_allows() {
    // A million-slot board, and a program far longer than a picture.
    let mut src = String::from("board 1000000\n");
    for i in 0..3000 {
        src.push_str(&format!("write v{i} = {i}\n"));
    }
    src.push_str("read v0\n");
    for what in ["board", "gates", "report"] {
        let (code, out) = picture_of_source(&src, what, &[]);
        assert_eq!(code, 0, "{what}");
        assert!(out.len() < 2_500_000, "{what}: {} bytes", out.len());
    }
    let (_, board) = picture_of_source(&src, "board", &[]);
    assert!(board.contains("the first 64 of 3,000 slots drawn"));
    let cols = columns(&board);
    assert!(cols.len() <= 121);
    assert_eq!(
        cols.last().unwrap().line,
        3002,
        "the last statement is kept"
    );
    assert!(board.contains("of the rest of the run"));
    // A loop nested in a loop, long.
    let src = "board 2\nwrite s = 0\nrepeat 1000 {\n  repeat 1000 {\n    write s = s + 1\n  }\n}\nread s\n";
    let (code, board) = picture_of_source(src, "board", &[]);
    assert_eq!(code, 0);
    assert!(board.len() < 200_000);
    assert!(board.contains(">+997 iterations</text>"));
}

#[test]
fn long_text_is_cut_with_the_exact_text_in_a_title() {
    let src = "board 1\nwrite a_rather_long_name_for_a_value = 1 / 3\nread a_rather_long_name_for_a_value\n";
    let (_, svg) = picture_of_source(src, "board", &[]);
    assert!(svg.contains(
        "<title>a_rather_long_name_for_a_value = 0.3333333333333333</title>a_rather_long_nam…</text>"
    ));
    // No text is wider than its cell, by the picture's own measure.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    for slot in doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("slot"))
    {
        let w: f64 = slot
            .children()
            .find(|n| n.has_tag_name("rect"))
            .and_then(|r| r.attribute("width"))
            .unwrap()
            .parse()
            .unwrap();
        for t in slot.descendants().filter(|n| n.has_tag_name("text")) {
            let shown: String = t
                .children()
                .filter(|c| c.is_text())
                .filter_map(|c| c.text())
                .collect();
            assert!(
                shown.chars().count() as f64 * 7.4 <= w,
                "{shown:?} fits in {w}"
            );
        }
    }
}

#[test]
fn bad_usage_is_refused() {
    let out = wb()
        .args(["report", "examples/whiteboard.wb", "--picture", "stream"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no gated write"));
    wb().args(["report", "examples/whiteboard.wb", "--set", "zz=1"])
        .assert()
        .code(2);
    wb().args(["report", "no/such/file.wb"]).assert().code(2);
    wb().args([
        "report",
        "examples/whiteboard.wb",
        "-o",
        "/no/such/dir/r.html",
    ])
    .assert()
    .code(2);
}

#[test]
fn the_gates_over_a_stream_are_the_data_s() {
    let gate_values = |svg: &str| -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.attribute("class") == Some("gate"))
            .map(|n| n.attribute("data-value").unwrap().to_owned())
            .collect()
    };
    // running_max: `when x > best` over 3, 1, 4, 1, 5, 9, 2, 6.
    let (_, svg) = picture("examples/running_max.wb", "stream", &[]);
    assert_eq!(gate_values(&svg), ["1", "0", "1", "0", "1", "1", "0", "0"]);
    // ema: `gate alpha`, 0.5 by default, 0.25 when set.
    let (_, svg) = picture("examples/ema.wb", "stream", &["--set", "alpha=0.25"]);
    assert_eq!(gate_values(&svg), ["0.25"; 6]);
    // The board marks the same: a closed `when` wrote nothing.
    let (_, board) = picture("examples/running_max.wb", "board", &[]);
    let cols = columns(&board);
    let marks: Vec<&str> = cols
        .iter()
        .filter(|c| c.line == 9)
        .map(|c| c.marks[0].as_str())
        .collect();
    assert_eq!(marks, ["write read", "gate-closed read", "write read"]);
}

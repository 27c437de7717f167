//! `--stream x=@file`: a stream read from a file while `each` runs, by
//! either engine, with the same output and the same errors.

use std::io::Write;

use assert_cmd::Command;
use tempfile::NamedTempFile;

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

/// A temporary file holding `text`.
fn file(text: &str) -> NamedTempFile {
    let mut f = NamedTempFile::new().expect("a temporary file");
    f.write_all(text.as_bytes()).expect("written");
    f
}

fn program(src: &str) -> NamedTempFile {
    let f = tempfile::Builder::new()
        .suffix(".wb")
        .tempfile()
        .expect("a temporary program");
    std::fs::write(f.path(), src).expect("written");
    f
}

fn at(f: &NamedTempFile) -> String {
    format!("@{}", f.path().display())
}

/// (stdout, stderr, exit code) of `wb run` with these arguments, which the
/// cell (`--engine cell`) must give exactly as the interpreter does.
fn run(args: &[&str]) -> (String, String, i32) {
    let once = |engine: &str| {
        let out = wb()
            .args(["run", "--engine", engine])
            .args(args)
            .output()
            .expect("wb runs");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code().unwrap_or(-1),
        )
    };
    let interp = once("interp");
    assert_eq!(once("cell"), interp, "the engines differ on {args:?}");
    interp
}

const ZIP: &str = "board 1\nstream x, y\neach x, y {\n  read x * y\n}\n";

#[test]
fn a_file_stream_gives_what_the_same_values_inline_give() {
    let numbers = file("2\n4 4,4\r\n5\t5\n\n7\n9\n");
    let from_file = run(&[
        "examples/stream_stats.wb",
        "--stream",
        &format!("x={}", at(&numbers)),
    ]);
    let inline = run(&["examples/stream_stats.wb", "--stream", "x=2,4,4,4,5,5,7,9"]);
    assert_eq!(from_file, inline);
    assert_eq!(from_file.0, "n = 8\nmean = 5\nvariance = 4\nhi = 9\n");
}

#[test]
fn the_last_stream_flag_wins() {
    let numbers = file("1 2 3");
    let p = program("board 1\nstream x\neach x {\n  read x\n}\n");
    let path = p.path().to_str().expect("a UTF-8 path");
    let given = format!("x={}", at(&numbers));
    let (out, _, _) = run(&[path, "--stream", &given, "--stream", "x=9"]);
    assert_eq!(out, "x = 9\n");
    let (out, _, _) = run(&[path, "--stream", "x=9", "--stream", &given]);
    assert_eq!(out, "x = 1\nx = 2\nx = 3\n");
}

#[test]
fn two_loops_over_one_file_each_see_it_whole() {
    let numbers = file("1\n2\n3\n");
    let p = program(
        "board 2\nstream x\nwrite s = 0\neach x {\n  write s = s + x\n}\n\
         each x {\n  write s = s + 10 * x\n}\nread s\n",
    );
    let (out, err, code) = run(&[
        p.path().to_str().expect("a UTF-8 path"),
        "--stream",
        &format!("x={}", at(&numbers)),
    ]);
    assert_eq!((out.as_str(), err.as_str(), code), ("s = 66\n", "", 0));
}

#[test]
fn zipped_files_of_different_lengths_fail_where_one_ends() {
    let x = file("1 2 3");
    let y = file("10 20");
    let p = program(ZIP);
    let path = p.path().to_str().expect("a UTF-8 path");
    let (out, err, code) = run(&[
        path,
        "--stream",
        &format!("x={}", at(&x)),
        "--stream",
        &format!("y={}", at(&y)),
    ]);
    // The elements both streams have run; the third does not.
    assert_eq!(out, "x * y = 10\nx * y = 40\n");
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "error[wb::stream_length]: the zipped streams have different lengths: \
             `y` ends after 2 elements, `x` has more"
        ),
        "{err}"
    );
    let (out, _, code) = run(&[
        "--json",
        path,
        "--stream",
        &format!("x={}", at(&x)),
        "--stream",
        &format!("y={}", at(&y)),
    ]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(json["diagnostics"][0]["code"], "wb::stream_length");
    assert_eq!(json["index"], 2);
    assert_eq!(json["reads"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_file_zipped_with_values_fails_where_the_shorter_ends() {
    let y = file("1 2 3 4");
    let p = program(ZIP);
    let (out, err, code) = run(&[
        p.path().to_str().expect("a UTF-8 path"),
        "--stream",
        "x=1,1",
        "--stream",
        &format!("y={}", at(&y)),
    ]);
    assert_eq!((out.as_str(), code), ("x * y = 1\nx * y = 2\n", 1));
    assert!(
        err.contains("`x` ends after 2 elements, `y` has more"),
        "{err}"
    );
}

#[test]
fn values_of_different_lengths_still_fail_before_the_first_element() {
    let p = program(ZIP);
    let (out, err, code) = run(&[
        p.path().to_str().expect("a UTF-8 path"),
        "--stream",
        "x=1,2,3",
        "--stream",
        "y=1,2",
    ]);
    assert_eq!((out.as_str(), code), ("", 1));
    assert!(err.contains("`x` has 3 elements, `y` has 2"), "{err}");
}

#[test]
fn a_bad_number_names_the_file_and_line() {
    let numbers = file("1\n2\n\n3 4x 5\n");
    let p = program("board 1\nstream x\neach x {\n  read x\n}\n");
    let (out, err, code) = run(&[
        p.path().to_str().expect("a UTF-8 path"),
        "--stream",
        &format!("x={}", at(&numbers)),
    ]);
    assert_eq!(out, "x = 1\nx = 2\nx = 3\n");
    assert_eq!(
        code, 2,
        "a bad input file is a usage error, as a bad --set is"
    );
    let expected = format!(
        "error[wb::stream_file]: the stream `x` cannot be read: {}, line 4: `4x` is not a number",
        numbers.path().display()
    );
    assert!(err.contains(&expected), "{err}");
    assert!(
        err.contains("a stream file holds numbers separated by commas, spaces or newlines"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_a_usage_error_before_anything_runs() {
    let (out, err, code) = run(&[
        "examples/stream_stats.wb",
        "--stream",
        "x=@/nonexistent/numbers.txt",
    ]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert_eq!(
        err,
        "error: --stream x=@/nonexistent/numbers.txt: cannot read the file: no such file\n"
    );
}

#[test]
fn a_file_stream_for_an_unknown_name_is_a_usage_error() {
    let numbers = file("1");
    let (_, err, code) = run(&[
        "examples/stream_stats.wb",
        "--stream",
        &format!("z={}", at(&numbers)),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("the program has no stream `z`"), "{err}");
}

#[test]
fn an_empty_file_is_an_empty_stream() {
    let numbers = file("\n");
    let p = program("board 2\nstream x\nwrite n = 0\neach x {\n  write n = n + 1\n}\nread n\n");
    let (out, _, code) = run(&[
        p.path().to_str().expect("a UTF-8 path"),
        "--stream",
        &format!("x={}", at(&numbers)),
    ]);
    assert_eq!((out.as_str(), code), ("n = 0\n", 0));
}

#[test]
fn file_streams_bind_beside_the_values() {
    use wb::interp::{bind_with_files, Overrides, Source};
    let numbers = file("4 5\n6\n");
    let src = "board 1\nstream x, y = [1]\neach x {\n  read x\n}\neach y {\n  read y\n}\n";
    let parsed = wb::syntax::parse(src);
    let analysis = wb::check::check(&parsed.program, None);
    let files = vec![("x".to_owned(), numbers.path().to_path_buf())];
    let (bindings, stream_files) = bind_with_files(
        &analysis.symbols,
        &parsed.program.names,
        &Overrides::default(),
        &files,
    )
    .expect("x comes from its file, y from its default");
    assert!(matches!(stream_files.source(0, &bindings), Source::File(_)));
    assert_eq!(
        stream_files.source(1, &bindings),
        Source::Values(&[1.0][..])
    );
    assert_eq!(bindings.streams, vec![vec![], vec![1.0]]);
}

#[test]
fn an_error_in_the_body_names_the_element_read_from_the_file() {
    let numbers = file("1 2 0 4");
    let p =
        program("board 2\nstream x\nwrite s = 0\neach x {\n  write s = s + 1 / x\n  read s\n}\n");
    let (out, err, code) = run(&[
        p.path().to_str().expect("a UTF-8 path"),
        "--stream",
        &format!("x={}", at(&numbers)),
    ]);
    assert_eq!((out.as_str(), code), ("s = 1\ns = 1.5\n", 1));
    assert!(
        err.contains("error[wb::div_zero]: division by zero in `1 / x`, in `write s = s + 1 / x` (element 2: x = 0)"),
        "{err}"
    );
}

#[test]
fn a_repeat_inside_a_file_loop_fails_with_both_loops_named() {
    let numbers = file("1 2 1e308");
    let p = program(
        "board 2\nstream x\nwrite s = 0\neach x {\n  repeat 3 {\n    write s = s + x\n  }\n  read s\n}\n",
    );
    let (out, err, code) = run(&[
        p.path().to_str().expect("a UTF-8 path"),
        "--stream",
        &format!("x={}", at(&numbers)),
    ]);
    assert_eq!((out.as_str(), code), ("s = 3\ns = 9\n", 1));
    assert!(
        err.contains("(element 2: x = 1e308, repeat iteration 2 of 3)"),
        "{err}"
    );
}

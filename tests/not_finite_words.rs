//! `wb::not_finite` says what happened, with the values the operation was
//! applied to ("`ln` of 0, from `v + 1`"), in the same words on both
//! engines.

use std::process::Command;

fn stderr_of(dir: &std::path::Path, src: &str, engine: &str) -> String {
    let path = dir.join("p.wb");
    std::fs::write(&path, src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(["run", "--engine", engine])
        .arg(&path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{src}");
    String::from_utf8(out.stderr).unwrap()
}

fn says(src: &str, words: &str) {
    let dir = tempfile::tempdir().unwrap();
    let interp = stderr_of(dir.path(), src, "interp");
    let cell = stderr_of(dir.path(), src, "cell");
    assert!(interp.contains("error[wb::not_finite]"), "{interp}");
    assert!(interp.contains(words), "expected {words:?} in\n{interp}");
    assert_eq!(interp, cell, "the engines' words differ");
}

#[test]
fn a_function_outside_its_domain_names_the_value_and_where_it_came_from() {
    says(
        "board 1\ninput v = -1\nwrite y = ln(v + 1)\nread y\n",
        "`ln(v + 1)` has no finite value: `ln` of 0, from `v + 1`: `ln` needs a value above 0",
    );
    says(
        "board 1\ninput v = -1\nwrite y = sqrt(v * 2)\nread y\n",
        "`sqrt` of -2, from `v * 2`: `sqrt` needs a value of 0 or above",
    );
    says(
        "board 1\ninput v = 800\nwrite y = exp(v)\nread y\n",
        "`exp` of 800, from `v`: `exp` overflows above about 709.78",
    );
}

#[test]
fn an_operator_that_overflows_shows_its_operands() {
    says(
        "board 1\ninput a = 1e200\nwrite x = a * a\nread x\n",
        "`a * a` has no finite value: 1e200 * 1e200 is beyond ±1.8e308",
    );
    says(
        "board 1\ninput z = 0\nwrite x = z ^ -1\nread x\n",
        "0 ^ -1 is 0 to a negative power",
    );
    says(
        "board 1\ninput z = -8\nwrite x = z ^ 0.5\nread x\n",
        "-8 ^ 0.5 is a negative number to a fractional power",
    );
}

#[test]
fn the_carousel_that_overflows_shows_the_sum() {
    // `s + x` in a loop is fused into the cell's accumulation: the same words.
    says(
        "board 1\nstream x = [1e308, 1e308]\nwrite s = 0\neach x {\n  write s = s + x\n}\nread s\n",
        "1e308 + 1e308 is beyond ±1.8e308",
    );
}

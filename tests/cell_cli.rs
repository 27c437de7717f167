//! `wb compile`, `wb run --engine cell` and `wb run --batch`, run as a user
//! runs them.

use assert_cmd::Command;

fn wb() -> Command {
    Command::cargo_bin("wb").expect("the wb binary is built")
}

fn assert_stderr_has(out: &std::process::Output, text: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(text), "stderr lacks {text:?}: {err}");
}

fn temp(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("the file is written");
    (dir, path)
}

#[test]
fn compile_shows_the_whiteboard_cell() {
    let out = wb()
        .args(["compile", "examples/whiteboard.wb"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "3 units (board 3), 6 steps");
    assert_eq!(lines[2], "  u[0]  ac (5–12), result (13–14)");
    assert_eq!(lines[3], "  u[1]  bd (6–8), p (9–14)");
    assert_eq!(lines[4], "  u[2]  bd_a (7–10), ad (11–14)");
    assert_eq!(lines[6], "      f      i      o");
    assert_eq!(
        lines[7],
        "step  0 1 2  0 1 2  0 1 2  statement              candidate"
    );
    assert_eq!(
        lines[8],
        "   1  0 0 1  1 1 0  0 0 0  write ac = a * c       u[0] ← a * c"
    );
    assert_eq!(
        lines[9],
        "                           write bd = b * d       u[1] ← b * d"
    );
    assert_eq!(
        lines[10],
        "   2  1 1 0  0 0 1  0 1 0  write bd_a = bd + a    u[2] ← h[1] + a"
    );
    assert_eq!(lines[11], "   3  1 0 1  0 1 0  1 0 1  forget bd");
    assert_eq!(
        lines[12],
        "                           write p = ac * bd_a    u[1] ← h[0] * h[2]"
    );
    assert_eq!(
        lines[17],
        "   6  1 1 1  0 0 0  1 0 0  read result            y[0] ← h[0]"
    );
    // The legend says what the notation means.
    assert!(
        text.contains("keeps the unit, 0 erases it; i = 1 writes the candidate"),
        "{text}"
    );
    assert!(
        text.contains("y[K] ← e: the cell's output K, a read."),
        "{text}"
    );
}

#[test]
fn compile_emits_json() {
    let out = wb()
        .args(["compile", "--emit", "json", "examples/whiteboard.wb"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("one JSON object");
    assert_eq!(v["units"], 3);
    assert_eq!(v["inputs"], serde_json::json!(["a", "b", "c", "d"]));
    let steps = v["schedule"].as_array().expect("a schedule");
    assert_eq!(steps.len(), 6);
    assert_eq!(v["format"], "wb-cell/2");
    // Only the units a step touches are listed: unit 2 is at rest (kept,
    // not written, not read) in the first step.
    assert_eq!(
        steps[0]["gates"],
        serde_json::json!([
            {"unit": 0, "f": 0, "i": 1, "o": 0},
            {"unit": 1, "f": 0, "i": 1, "o": 0},
        ])
    );
    assert_eq!(steps[1]["instructions"][0]["op"], "+");
    assert_eq!(v["unit_map"][0]["name"], "ac");
}

#[test]
fn compile_marks_data_dependent_gates_and_loops() {
    let (_d, path) = temp(
        "mean.wb",
        "board 2\nstream x = [1, 2]\nwrite s = 0\nwrite n = 0\neach x {\n  write s = s + x\n  write n = n + 1\n}\nwrite s = s / n gate 0.5\nread s\n",
    );
    let out = wb()
        .arg("compile")
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(text.contains("each x (line 5): once per element"), "{text}");
    // An accumulation carries its own unit through f = 1; a gated write
    // shows its gate as the input gate, not inside the candidate.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("   2  1 1  1 1  0 0    write s = s + x"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(lines[at + 1].trim(), "u[0] ← c[0] + x", "{text}");
    assert_eq!(lines[at + 3].trim(), "u[1] ← c[1] + 1", "{text}");
    assert!(
        text.contains("   3  ~ 1  ~ 0  1 1  write s = s / n gate 0.5"),
        "{text}"
    );
    assert!(
        text.contains("u[0]: g = h[0] / h[1], i = 0.5, f = 1 − i"),
        "{text}"
    );
}

#[test]
fn compile_refuses_a_program_with_errors() {
    let (_d, path) = temp("bad.wb", "board 1\nwrite a = 1\nwrite b = 2\n");
    let out = wb()
        .arg("compile")
        .arg(&path)
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_stderr_has(&out, "wb::board_full");
}

fn both(args: &[&str]) {
    let interp = wb().args(["run"]).args(args).output().expect("wb runs");
    let cell = wb()
        .args(["run", "--engine", "cell"])
        .args(args)
        .output()
        .expect("wb runs");
    assert_eq!(
        String::from_utf8_lossy(&interp.stdout),
        String::from_utf8_lossy(&cell.stdout),
        "{args:?}"
    );
    assert_eq!(
        String::from_utf8_lossy(&interp.stderr),
        String::from_utf8_lossy(&cell.stderr),
        "{args:?}"
    );
    assert_eq!(interp.status.code(), cell.status.code(), "{args:?}");
}

#[test]
fn engine_cell_prints_what_the_interpreter_prints() {
    let mut paths: Vec<_> = std::fs::read_dir("examples")
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wb"))
        .collect();
    paths.sort();
    for p in &paths {
        let p = p.to_string_lossy();
        both(&[&p]);
        both(&["--json", &p]);
    }
    let (_d, path) = temp(
        "fails.wb",
        "board 2\nstream x = [4, 2, 0, 1]\nwrite s = 0\neach x {\n  write s = s + 8 / x\n  read s\n}\n",
    );
    let p = path.to_string_lossy();
    both(&[&p]);
    both(&["--json", &p]);
    both(&["--stream", "x=1,2", &p]);
}

#[test]
fn batch_writes_one_csv_row_per_input_row() {
    let (_d, prog) = temp(
        "mean.wb",
        "board 2\ninput k = 1\nstream x\nwrite s = 0\neach x {\n  write s = s + x * k\n  read s\n}\nread s / 2\n",
    );
    let (_e, csv) = temp("in.csv", "x,k\n1;2;3,2\n,\n5,1e308\n4;4,\n");
    wb().args(["run", "--batch"])
        .arg(&csv)
        .arg(&prog)
        .assert()
        .code(1)
        .stdout("s,s / 2,error\n2;6;12,6,\n,0,\n,,wb::not_finite\n4;8,4,\n");
}

#[test]
fn batch_reports_a_missing_input_per_row() {
    let (_d, prog) = temp("p.wb", "board 1\ninput a, b = 1\nread a + b\n");
    // An empty cell takes the default; `a` has none.
    let (_e, csv) = temp("in.csv", "a,b\n1,\n,2\n3,4\n");
    wb().args(["run", "--batch"])
        .arg(&csv)
        .arg(&prog)
        .assert()
        .code(1)
        .stdout("a + b,error\n2,\n,wb::missing_input\n7,\n");
}

#[test]
fn batch_cells_and_names_may_be_padded_with_spaces() {
    let (_d, prog) = temp(
        "p.wb",
        "board 2\ninput a, b = 10\nstream x\nwrite s = a + b\neach x {\n  write s = s + x\n}\nread s\n",
    );
    // Spaces and tabs around names, numbers and stream elements are not
    // part of them; an all-space cell is empty.
    let (_e, csv) = temp(
        "in.csv",
        " a ,\tb, x \n 1 , 2 , 3 ; 4 \n-0.5,  ,\t\n 2e0 ,\t-7.25 , 1; 2 \n",
    );
    wb().args(["run", "--batch"])
        .arg(&csv)
        .arg(&prog)
        .assert()
        .success()
        .stdout("s,error\n10,\n9.5,\n-2.25,\n");
}

#[test]
fn batch_refuses_an_unknown_column_or_a_bad_number() {
    let (_d, prog) = temp("p.wb", "board 1\ninput a = 1\nread a\n");
    let (_e, csv) = temp("in.csv", "a,z\n1,2\n");
    let out = wb()
        .args(["run", "--batch"])
        .arg(&csv)
        .arg(&prog)
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert_stderr_has(&out, "`z`, which is not an input");
}

#[test]
fn every_batch_row_gives_one_row_whatever_is_wrong_with_it() {
    let (_d, prog) = temp(
        "p.wb",
        "board 1\ninput a = 7\nstream x = []\nwrite s = a\neach x {\n write s = s + x\n}\nread s\n",
    );
    // A blank line is a row of empty cells (the defaults); a bad cell, an
    // empty stream element, a short or long row is that row's error.
    let (_e, csv) = temp("in.csv", "a,x\n1,2\n\n3,4;;5\n5\n6,1,2\nx1,1\n.5,.5;1\n\n");
    wb().args(["run", "--batch"])
        .arg(&csv)
        .arg(&prog)
        .assert()
        .code(1)
        .stdout(concat!(
            "s,error\n3,\n7,\n",
            ",wb::bad_row: line 4: column `x`: two `;` with no number between them\n",
            ",\"wb::bad_row: line 5: 1 field, the header has 2\"\n",
            ",\"wb::bad_row: line 6: 3 fields, the header has 2\"\n",
            ",wb::bad_row: line 7: column `a`: `x1` is not a number\n",
            "2,\n7,\n",
        ));
}

#[test]
fn a_bad_row_deep_in_a_long_batch_stops_nothing() {
    let (_d, prog) = temp("p.wb", "board 1\ninput a\nread a * 2\n");
    let mut text = String::from("a\n");
    for i in 1..=10_000 {
        text.push_str(&if i == 5_001 {
            "five".to_owned()
        } else {
            i.to_string()
        });
        text.push('\n');
    }
    let (_e, csv) = temp("in.csv", &text);
    let out = wb()
        .args(["run", "--batch"])
        .arg(&csv)
        .arg(&prog)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 10_001, "a header and one row per input row");
    assert_eq!(rows[5_000], "10000,");
    assert_eq!(
        rows[5_001],
        ",wb::bad_row: line 5002: column `a`: `five` is not a number"
    );
    assert_eq!(rows[10_000], "20000,");
}

#[test]
fn the_cell_does_not_count_statements() {
    let out = wb()
        .args([
            "run",
            "--engine",
            "cell",
            "--max-steps",
            "3",
            "examples/whiteboard.wb",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert_stderr_has(&out, "needs `--engine interp`");
}

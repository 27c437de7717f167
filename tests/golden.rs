//! Golden files: each `tests/golden/run/NAME.wb` is run with `wb run` (plus the
//! flags in `NAME.flags`, if any) and what a user sees — exit code, standard
//! output, rendered diagnostics on standard error, no colour, fixed width — is
//! compared with `NAME.out`.
//!
//! To regenerate after an intended change: `WB_REGENERATE=1 cargo test --test golden`,
//! then review the diff.

use std::path::Path;

use assert_cmd::Command;

fn render(case: &Path) -> String {
    let flags = std::fs::read_to_string(case.with_extension("flags")).unwrap_or_default();
    let out = Command::cargo_bin("wb")
        .expect("the wb binary is built")
        .arg("run")
        .args(flags.split_whitespace())
        .arg(case)
        .env("NO_COLOR", "1")
        .output()
        .expect("wb runs");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn golden_dir(dir: &str) {
    let regenerate = std::env::var_os("WB_REGENERATE").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .expect("golden directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wb"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no golden cases in {dir}");
    let mut failures = Vec::new();
    for case in cases {
        let got = render(&case);
        let expected_path = case.with_extension("out");
        if regenerate {
            std::fs::write(&expected_path, &got).expect("write golden file");
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}\n--- got\n{got}",
                case.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden file(s) differ (WB_REGENERATE=1 to accept):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn run_diagnostics_and_traces() {
    golden_dir("tests/golden/run");
}

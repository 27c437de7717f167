//! docs/tutorial.md runs as a test, so it can never go stale.
//!
//! The tutorial's fenced blocks, in order:
//! - ```` ```sh ```` — shell commands, run by `sh` in a scratch directory
//!   holding a copy of `examples/`, with the built `wb` first on `PATH`,
//!   `NO_COLOR=1`; standard error goes where standard output goes. It must
//!   be followed by a ```` ```text ```` block: the output, compared exactly
//!   (a command that exits non-zero ends with a line `(exit status N)`).
//! - ```` ```wb ```` — a program, after an HTML comment that says what it
//!   is: `<!-- file: NAME -->` writes it to NAME in the scratch directory
//!   (for the commands after it), `<!-- same as: PATH -->` requires it to
//!   be the repository's file PATH, byte for byte.
//!
//! Any other block fails the test. `WB_TUTORIAL_REGENERATE=1 cargo test
//! --test tutorial` rewrites the output blocks from the actual output.

use std::path::Path;
use std::process::Command;

const TUTORIAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tutorial.md");

/// A fenced block: its info string, its text, and the lines it spans
/// (the fences included).
struct Block {
    info: String,
    text: String,
    start: usize,
    end: usize,
    /// The HTML comment on the nearest non-blank line before it, if any.
    note: Option<String>,
}

fn blocks(doc: &str) -> Vec<Block> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].strip_prefix("```") else {
            i += 1;
            continue;
        };
        let start = i;
        let mut j = i + 1;
        while j < lines.len() && lines[j] != "```" {
            j += 1;
        }
        assert!(
            j < lines.len(),
            "docs/tutorial.md: the block on line {} never closes",
            start + 1
        );
        let mut text: String = lines[start + 1..j]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        if text.is_empty() {
            text = String::new();
        }
        let note = lines[..start]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.trim().strip_prefix("<!--"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(|l| l.trim().to_owned());
        out.push(Block {
            info: info.trim().to_owned(),
            text,
            start,
            end: j,
            note,
        });
        i = j + 1;
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

fn run(commands: &str, dir: &Path) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_wb")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{commands}"))
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("sh runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if let Some(code) = out.status.code().filter(|&c| c != 0) {
        text.push_str(&format!("(exit status {code})\n"));
    }
    text
}

#[test]
fn every_block_of_the_tutorial_runs_as_shown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(TUTORIAL).expect("docs/tutorial.md");
    let scratch = tempfile::tempdir().unwrap();
    copy_dir(&root.join("examples"), &scratch.path().join("examples"));
    let regenerate = std::env::var_os("WB_TUTORIAL_REGENERATE").is_some();
    let blocks = blocks(&doc);
    let mut replacements: Vec<(usize, usize, String)> = Vec::new();
    let mut failures = Vec::new();
    let (mut commands, mut programs) = (0, 0);
    let mut i = 0;
    while i < blocks.len() {
        let b = &blocks[i];
        let line = b.start + 1;
        match b.info.as_str() {
            "wb" => {
                programs += 1;
                match b.note.as_deref() {
                    Some(n) if n.starts_with("file:") => {
                        let name = n["file:".len()..].trim();
                        std::fs::write(scratch.path().join(name), &b.text).unwrap();
                    }
                    Some(n) if n.starts_with("same as:") => {
                        let path = n["same as:".len()..].trim();
                        let real = std::fs::read_to_string(root.join(path)).unwrap_or_default();
                        if real != b.text {
                            failures.push(format!("line {line}: the listing differs from {path}"));
                        }
                    }
                    _ => failures.push(format!(
                        "line {line}: a wb block needs `<!-- file: NAME -->` or `<!-- same as: PATH -->` before it"
                    )),
                }
                i += 1;
            }
            "sh" => {
                commands += 1;
                let Some(expected) = blocks.get(i + 1).filter(|n| n.info == "text") else {
                    failures.push(format!(
                        "line {line}: a sh block must be followed by a text block"
                    ));
                    i += 1;
                    continue;
                };
                let actual = run(&b.text, scratch.path());
                if actual != expected.text {
                    if regenerate {
                        replacements.push((expected.start, expected.end, actual));
                    } else {
                        failures.push(format!(
                            "line {line}: `{}` printed\n{actual}\ninstead of\n{}",
                            b.text.trim(),
                            expected.text
                        ));
                    }
                }
                i += 2;
            }
            other => {
                failures.push(format!(
                    "line {line}: a block of kind `{other}` is not run (sh, text after sh, wb)"
                ));
                i += 1;
            }
        }
    }
    if regenerate && !replacements.is_empty() {
        let mut lines: Vec<String> = doc.lines().map(str::to_owned).collect();
        for (start, end, text) in replacements.into_iter().rev() {
            let mut new = vec!["```text".to_owned()];
            new.extend(text.lines().map(str::to_owned));
            new.push("```".to_owned());
            lines.splice(start..=end, new);
        }
        std::fs::write(TUTORIAL, lines.join("\n") + "\n").unwrap();
    }
    assert!(
        failures.is_empty(),
        "docs/tutorial.md:\n{}",
        failures.join("\n\n")
    );
    assert!(
        commands >= 16 && programs >= 4,
        "{commands} commands, {programs} programs"
    );
}

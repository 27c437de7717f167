//! `wb serve`'s page in headless Chromium: the page drives itself
//! (`#test=N`, page.js's `selfTest`) through what a learner does — type the
//! overflowing article program, see the `board_full` underline (stage 1),
//! apply the quick fix (2), run and step to the end (3), hover a step of the
//! gates (4) — and the test reads the DOM Chromium dumps: the underline, the
//! fixed text, `result = 181`, the last step, the hovered step's statements
//! highlighted. A screenshot of each stage is checked not blank and, with
//! `WB_REGENERATE=1`, kept in `docs/pictures/serve-*.png`.
//!
//! Chromium is `$WB_CHROMIUM`, else `/usr/bin/chromium` (installed by
//! `scripts/setup-chromium.sh`). Without it the tests skip with a message,
//! except under `CI=true`, where they fail.

mod browser_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use browser_support::{chromium, ink};

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(["serve", "examples/whiteboard.wb"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    Server(child, url)
}

/// The page runs its self-test on a virtual clock, in a window the
/// screenshots keep.
fn browse(browser: &Path, args: &[String], url: &str) -> (String, String) {
    let mut all = vec![
        "--virtual-time-budget=20000".to_owned(),
        "--window-size=1400,1000".to_owned(),
    ];
    all.extend_from_slice(args);
    browser_support::browse(browser, &all, url)
}

fn errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("Uncaught") || l.contains(":CONSOLE") || l.contains("Refused to"))
        .collect()
}

/// The editor's text highlighted by the gates' link (`class="… link"`).
fn linked_text(dom: &str) -> String {
    let hl = dom.split("id=\"hl\"").nth(1).unwrap_or("");
    let hl = hl.split("</pre>").next().unwrap_or("");
    let mut out = String::new();
    for part in hl.split("<span class=\"").skip(1) {
        let (class, rest) = part.split_once("\">").unwrap_or(("", ""));
        if class.split(' ').any(|c| c == "link") {
            out.push_str(rest.split('<').next().unwrap_or(""));
        }
    }
    out
}

fn stage(dom: &str) -> Option<&str> {
    let at = dom.find("data-stage=\"")? + "data-stage=\"".len();
    dom.get(at..at + 1)
}

#[test]
fn a_learner_types_the_overflow_fixes_it_runs_and_steps_to_181() {
    let Some(browser) = chromium() else { return };
    let server = serve();
    // Stage 1: the underline.
    let (dom, log) = browse(
        &browser,
        &["--dump-dom".into()],
        &format!("{}#test=1", server.1),
    );
    assert!(errors(&log).is_empty(), "console: {:?}", errors(&log));
    assert_eq!(stage(&dom), Some("1"), "{dom}");
    assert!(
        dom.contains("class=\"err\"") || dom.contains("err\">") || dom.contains(" err"),
        "an underline"
    );
    assert!(dom.contains("data-code=\"wb::board_full\""));
    assert!(dom.contains("Fix: "), "a quick fix button");
    // Stage 2: the fix applied, the check passes.
    let (dom, _) = browse(
        &browser,
        &["--dump-dom".into()],
        &format!("{}#test=2", server.1),
    );
    assert_eq!(stage(&dom), Some("2"), "{dom}");
    assert!(!dom.contains("data-code=\"wb::board_full\""));
    assert!(dom.contains("the check passes"));
    assert!(dom.contains("forget bd"), "the fix's forget is in the text");
    // Stage 3: run, stepped to the end.
    let (dom, log) = browse(
        &browser,
        &["--dump-dom".into()],
        &format!("{}#test=3", server.1),
    );
    assert!(errors(&log).is_empty(), "console: {:?}", errors(&log));
    assert_eq!(stage(&dom), Some("3"), "{dom}");
    assert!(dom.contains("<li>result = 181</li>"), "the read, shown");
    assert!(
        dom.contains("step 10 of 10: line 15: read result"),
        "the last step"
    );
    assert!(dom.contains("<svg"), "the gates");
    // Stage 4: hovering the gates' step 3 highlights its statements in
    // the editor (the fixed program's `forget bd` and `write p = ac * bd_a`,
    // fused in one step).
    let (dom, log) = browse(
        &browser,
        &["--dump-dom".into()],
        &format!("{}#test=4", server.1),
    );
    assert!(errors(&log).is_empty(), "console: {:?}", errors(&log));
    assert_eq!(stage(&dom), Some("4"), "{dom}");
    assert_eq!(
        linked_text(&dom),
        "forget bdwrite p = ac * bd_a",
        "the highlighted text"
    );
    assert!(dom.contains("step 3: line 9: forget bd; line 10: write p = ac * bd_a"));
    // A screenshot of each stage, not blank.
    let dir = tempfile::tempdir().unwrap();
    for n in 1..=3 {
        let shot = dir.path().join(format!("serve-{n}.png"));
        browse(
            &browser,
            &[format!("--screenshot={}", shot.display())],
            &format!("{}#test={n}", server.1),
        );
        let (inked, total) = ink(&shot);
        assert!(
            inked * 50 > total,
            "stage {n}: {inked} of {total} pixels inked"
        );
        if std::env::var_os("WB_REGENERATE").is_some() {
            let names = [
                "",
                "serve-underline.png",
                "serve-fixed.png",
                "serve-run.png",
            ];
            std::fs::copy(&shot, Path::new("docs/pictures").join(names[n])).unwrap();
        }
    }
}

//! The report in a real browser: headless Chromium loads every example's
//! report from disk with no console error, its DOM shows the slots, values
//! and marks of `examples/whiteboard.wb`, and a screenshot is not blank.
//!
//! Chromium is `$WB_CHROMIUM`, else `/usr/bin/chromium` (installed by
//! `scripts/setup-chromium.sh`). Without it the tests skip with a message,
//! except under `CI=true`, where they fail.
//!
//! `WB_REGENERATE=1` also writes the screenshots of `docs/pictures/`.

mod browser_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use browser_support::{browse, chromium, ink};

/// Console messages and page errors in Chromium's log (the report has no
/// script: any console message is an error).
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("Uncaught")
                || l.contains(":CONSOLE")
                || l.contains("net::ERR_")
                || l.contains("Refused to")
        })
        .collect()
}

fn report(file: &str, dir: &Path, extra: &[&str]) -> PathBuf {
    let stem = Path::new(file).file_stem().unwrap().to_str().unwrap();
    let out = dir.join(format!("{stem}.html"));
    let status = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(["report", file, "-o"])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.exists(),
        "{file}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    out
}

fn url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

#[test]
fn the_whiteboard_report_shows_the_article_s_boards_in_chromium() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = report("examples/whiteboard.wb", dir.path(), &[]);
    let (dom, log) = browse(&browser, &["--dump-dom".into()], &url(&page));
    assert!(
        console_errors(&log).is_empty(),
        "console: {:?}",
        console_errors(&log)
    );
    // The DOM Chromium built: the slots, the values and the marks.
    for want in [
        "slot 1",
        "slot 2",
        "slot 3",
        "ac = 5",
        "bd = 33",
        "bd_a = 34",
        "bd erased",
        "p = 170",
        "bd_a erased",
        "ad = 11",
        "ac erased",
        "result = 181",
        "full",
        "legend",
    ] {
        assert!(dom.contains(&format!(">{want}<")), "the DOM shows {want:?}");
    }
    assert!(dom.contains("data-name=\"bd\" data-value=\"33\" data-marks=\"read\""));
    assert!(dom.contains("data-marks=\"forget\" data-erased=\"bd\""));
    assert_eq!(dom.matches("class=\"column stmt\"").count(), 10);
    assert!(dom.contains("<td><code>result</code></td><td class=\"value\">181</td>"));
    // HTML as Chromium serialises it need not be XML; the SVG is.
    let at = dom.find("<svg").unwrap();
    let end = dom[at..].find("</svg>").unwrap() + at + 6;
    roxmltree::Document::parse(&dom[at..end]).expect("the board's SVG in the DOM is XML");
    // It prints: Chromium makes a PDF of it with the print style sheet.
    let pdf = dir.path().join("report.pdf");
    let (_, log) = browse(
        &browser,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
        &url(&page),
    );
    assert!(
        console_errors(&log).is_empty(),
        "print: {:?}",
        console_errors(&log)
    );
    let bytes = std::fs::read(&pdf).expect("a PDF");
    assert!(
        bytes.starts_with(b"%PDF") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
}

#[test]
fn every_example_s_report_loads_without_error_and_is_not_blank() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<String> = std::fs::read_dir("examples")
        .unwrap()
        .chain(std::fs::read_dir("examples/errors").unwrap())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wb"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    for file in &files {
        let page = report(file, dir.path(), &[]);
        let shot = dir.path().join("shot.png");
        let (_, log) = browse(
            &browser,
            &[
                format!("--screenshot={}", shot.display()),
                "--window-size=1200,1600".into(),
            ],
            &url(&page),
        );
        assert!(
            console_errors(&log).is_empty(),
            "{file}: {:?}",
            console_errors(&log)
        );
        let (inked, total) = ink(&shot);
        assert!(
            inked * 50 > total,
            "{file}: only {inked} of {total} pixels drawn"
        );
        // A phone: the page is laid out to its width.
        let (_, log) = browse(
            &browser,
            &[
                format!("--screenshot={}", shot.display()),
                "--window-size=390,844".into(),
            ],
            &url(&page),
        );
        assert!(
            console_errors(&log).is_empty(),
            "{file}: {:?}",
            console_errors(&log)
        );
        let (inked, total) = ink(&shot);
        assert!(
            inked * 50 > total,
            "{file} on a phone: only {inked} of {total} pixels"
        );
        std::fs::remove_file(&shot).unwrap();
    }
}

/// Each picture alone, at its own size: checked not blank, and with
/// `WB_REGENERATE=1` written to `docs/pictures/`.
#[test]
fn screenshots_of_the_pictures() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let regenerate = std::env::var_os("WB_REGENERATE").is_some();
    let cases: [(&str, &str); 6] = [
        ("examples/whiteboard.wb", "board"),
        ("examples/whiteboard.wb", "gates"),
        ("examples/stream_stats.wb", "board"),
        ("examples/running_max.wb", "stream"),
        ("examples/ema.wb", "stream"),
        ("examples/errors/overflow.wb", "board"),
    ];
    for (file, what) in cases {
        let stem = Path::new(file).file_stem().unwrap().to_str().unwrap();
        let svg_path = dir.path().join(format!("{stem}-{what}.svg"));
        Command::new(env!("CARGO_BIN_EXE_wb"))
            .args(["report", file, "--picture", what, "-o"])
            .arg(&svg_path)
            .output()
            .unwrap();
        let svg = std::fs::read_to_string(&svg_path).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        let w: f64 = root.attribute("width").unwrap().parse().unwrap();
        let h: f64 = root.attribute("height").unwrap().parse().unwrap();
        let shot = dir.path().join(format!("{stem}-{what}.png"));
        let (_, log) = browse(
            &browser,
            &[
                format!("--screenshot={}", shot.display()),
                format!("--window-size={},{}", w.ceil() as u32, h.ceil() as u32),
            ],
            &url(&svg_path),
        );
        assert!(
            console_errors(&log).is_empty(),
            "{file}: {:?}",
            console_errors(&log)
        );
        let (inked, total) = ink(&shot);
        assert!(
            inked * 20 > total,
            "{file} {what}: only {inked} of {total} pixels drawn"
        );
        if regenerate {
            std::fs::create_dir_all("docs/pictures").unwrap();
            std::fs::copy(&shot, format!("docs/pictures/{stem}-{what}.png")).unwrap();
        }
    }
}

/// The console check can fail: a page with a script error is caught.
#[test]
fn the_console_check_catches_a_script_error() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<html><body><script>console.error('x'); nope();</script></body></html>",
    )
    .unwrap();
    let (_, log) = browse(&browser, &["--dump-dom".into()], &url(&page));
    let errors = console_errors(&log);
    assert_eq!(errors.len(), 2, "{log}");
    assert!(errors[1].contains("Uncaught ReferenceError"));
}

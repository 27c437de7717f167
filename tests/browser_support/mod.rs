//! What the headless-Chromium tests share: finding the browser (failing
//! under `CI=true` when it is missing), running it on a page, and counting
//! a screenshot's ink.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Chromium is `$WB_CHROMIUM`, else `/usr/bin/chromium` (installed by
/// `scripts/setup-chromium.sh`). Without it: `None` with a message, except
/// under `CI=true`, where the test fails.
pub fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("WB_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} is missing and CI=true: run scripts/setup-chromium.sh",
            path.display()
        );
    }
    eprintln!(
        "skipped: no Chromium at {} (run scripts/setup-chromium.sh, or set WB_CHROMIUM)",
        path.display()
    );
    None
}

/// Runs headless Chromium on `url` with `args`, in a profile of its own
/// and with its background networking off; its standard output and its
/// log (standard error).
pub fn browse(browser: &Path, args: &[String], url: &str) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Pixels of a PNG that are not near-white, and all pixels.
pub fn ink(png_path: &Path) -> (usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let px = &buf[..info.buffer_size()];
    let total = px.len() / channels;
    let inked = px
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|&c| c < 235))
        .count();
    (inked, total)
}

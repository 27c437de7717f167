//! Fuzz target: `wb::exercise::cell` on arbitrary bytes (as UTF-8, lossily).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let _ = wb::exercise::cell(&src);
});

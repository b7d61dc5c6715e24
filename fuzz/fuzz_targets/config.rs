//! `maestroc.toml`: any text gives a config or coded findings, never a panic; findings point
//! inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(findings) = maestroc::config::Config::parse(text) {
        assert!(!findings.is_empty(), "an error without a finding");
        for f in &findings {
            for l in &f.labels {
                assert!(l.span.offset() + l.span.len() <= text.len());
            }
        }
    }
});

//! `maestroc.toml`: any text gives a config or coded findings, never a panic; findings point
//! inside the text.
//! The invariant lives in `maestroc::fuzzing::config`, which `tests/fuzz_corpus.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| maestroc::fuzzing::config(data));

//! The drift scanner's per-file work (every extractor and the manifest reader) on arbitrary
//! text, as each kind of file it reads: no panic, and every finding located inside the file.
//! The invariant lives in `maestroc::fuzzing::scanner`, which `tests/fuzz_corpus.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| maestroc::fuzzing::scanner(data));

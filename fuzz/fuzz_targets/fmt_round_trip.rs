//! `fmt`: a spec that compiles formats, the formatted spec compiles, and both build the same
//! files; formatting is idempotent.
//! The invariant lives in `maestroc::fuzzing::fmt_round_trip`, which `tests/fuzz_corpus.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| maestroc::fuzzing::fmt_round_trip(data));

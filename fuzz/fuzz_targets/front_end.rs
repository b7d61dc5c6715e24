//! bytes → parse → resolve → graph → emit, in memory. Invariants: no panic; every finding's
//! span lies inside the text; a spec that compiles emits.
//! The invariant lives in `maestroc::fuzzing::front_end`, which `tests/fuzz_corpus.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| maestroc::fuzzing::front_end(data));

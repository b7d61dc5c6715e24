//! The fast KDL reader against the `kdl` crate: whatever the reader accepts, `kdl` accepts and
//! reads the same way (names, values, properties, children, spans).
//! The invariant lives in `maestroc::fuzzing::kdl_reader`, which `tests/fuzz_corpus.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| maestroc::fuzzing::kdl_reader(data));

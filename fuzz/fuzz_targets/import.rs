//! `import` of arbitrary YAML: a spec or a coded finding, never a panic; the spec it writes is
//! KDL that parses.
//! The invariant lives in `maestroc::fuzzing::import`, which `tests/fuzz_corpus.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| maestroc::fuzzing::import(data));

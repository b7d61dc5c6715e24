//! The whole scan over a generated tree of files: no panic, every finding inside the tree.
//! The invariant lives in `maestroc::fuzzing::scan_tree`, which `tests/fuzz_corpus.rs` also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| maestroc::fuzzing::scan_tree(data));

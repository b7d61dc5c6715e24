//! The fast KDL reader against the `kdl` crate: whatever the reader accepts, `kdl` accepts and
//! reads the same way (names, values, properties, children, spans).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(d) = maestroc::spec::syntax::disagreement(text) {
        panic!("{d}");
    }
});

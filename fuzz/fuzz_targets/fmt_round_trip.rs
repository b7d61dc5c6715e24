//! `fmt`: a spec that compiles formats, the formatted spec compiles, and both build the same
//! files; formatting is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (Some(before), _) = maestroc::resolve::compile(text) else {
        let _ = maestroc::fmt::format(text);
        return;
    };
    let formatted = maestroc::fmt::format(text).expect("a spec that compiles formats");
    let (after, findings) = maestroc::resolve::compile(&formatted);
    let after = after.unwrap_or_else(|| panic!("formatting broke the spec: {findings:?}"));
    assert_eq!(
        maestroc::emit::emit(&before).expect("emits"),
        maestroc::emit::emit(&after).expect("emits"),
        "formatting changed what the spec builds"
    );
    let again = maestroc::fmt::format(&formatted).expect("formats again");
    assert_eq!(formatted, again, "fmt is not idempotent");
});

//! bytes → parse → resolve → graph → emit, in memory. Invariants: no panic; every finding's
//! span lies inside the text; a spec that compiles emits.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (compiled, findings) = maestroc::resolve::compile(text);
    for f in findings.iter() {
        for l in &f.labels {
            assert!(
                l.span.offset() + l.span.len() <= text.len(),
                "{} span outside the text",
                f.rule.code
            );
        }
    }
    if let Some(c) = compiled {
        maestroc::emit::emit(&c).expect("a compiled spec emits");
    }
});

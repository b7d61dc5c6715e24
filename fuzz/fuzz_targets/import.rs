//! `import` of arbitrary YAML: a spec or a coded finding, never a panic; the spec it writes is
//! KDL that parses.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(imported) = maestroc::import::import(&[("in.yaml".to_string(), text.to_string())]) {
        let parsed = maestroc::spec::parse(&imported.spec);
        assert!(
            parsed.findings.iter().all(|f| f.rule.code != "MC001"),
            "import wrote KDL that does not parse:\n{}",
            imported.spec
        );
    }
});

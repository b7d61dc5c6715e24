//! The drift scanner's per-file work (every extractor and the manifest reader) on arbitrary
//! text, as each kind of file it reads: no panic, and every finding located inside the file.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 10] = [
    "services/orchestrator/server.py",
    "services/orchestrator/main.go",
    "services/orchestrator/Dockerfile",
    "deploy/k8s/10-orchestrator.yaml",
    "services/orchestrator/src/main/resources/application.properties",
    "services/orchestrator/.env",
    "docker-compose.yml",
    "services/orchestrator/src/index.ts",
    "services/orchestrator/src/App.java",
    "services/orchestrator/Program.cs",
];

fn platform() -> &'static maestroc::model::Platform {
    static P: OnceLock<maestroc::model::Platform> = OnceLock::new();
    P.get_or_init(|| {
        let (c, f) =
            maestroc::resolve::compile(include_str!("../../tests/fixtures/fleet/platform.kdl"));
        c.unwrap_or_else(|| panic!("{f:?}")).platform
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let rel = Path::new(NAMES[usize::from(pick) % NAMES.len()]);
    let lines = text.lines().count().max(1);
    for f in maestroc::scan::scan_text(platform(), Path::new("."), rel, text.to_string()) {
        if let Some(l) = &f.location {
            assert!(
                l.line <= lines + 1,
                "{} at line {} of {lines}",
                f.rule.code,
                l.line
            );
        }
    }
});

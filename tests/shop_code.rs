//! The drift scanner on a repository shaped like a public 11-service shop demo
//! (tests/fixtures/shop-code): Go, C#, Node.js, Python and Java services, Dockerfiles, a Helm
//! chart. The clean tree exits 0 with no error, and every look-alike in
//! tests/corpus/shop-code-lookalikes.json (conditional reads, own bind addresses, feature flags,
//! a test client, comments, image tags, a Helm template, unrelated numbers) stays below error;
//! each planted drift of tests/corpus/shop-code-planted.json — one edit — gives exactly its
//! finding at its line and column. `scripts/scan-eval` prints precision and recall over it.

mod common;
use common::{Plant, assert_plant_found, copy_dir, scan_findings as scan};

use std::path::Path;

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shop-code"),
        dir.path(),
    );
    dir
}

#[derive(serde::Deserialize)]
struct LookAlike {
    file: String,
    text: String,
    what: String,
}

#[test]
fn the_clean_shop_has_no_error_and_its_look_alikes_stay_quiet() {
    let dir = repo();
    let (code, list) = scan(dir.path());
    assert_eq!(code, 0, "{list:?}");
    let errors: Vec<_> = list.iter().filter(|f| f.1 == "error").collect();
    assert!(errors.is_empty(), "{errors:?}");
    let looks: Vec<LookAlike> =
        serde_json::from_str(include_str!("corpus/shop-code-lookalikes.json")).unwrap();
    assert!(looks.len() >= 20);
    for l in &looks {
        let text = std::fs::read_to_string(dir.path().join(&l.file)).unwrap();
        assert_eq!(text.matches(&l.text).count(), 1, "{}: {:?}", l.file, l.text);
        let at = text.find(&l.text).unwrap();
        let line = text[..at].matches('\n').count() as u64 + 1;
        let here: Vec<_> = list
            .iter()
            .filter(|f| f.2 == l.file && f.3 == line)
            .collect();
        assert!(
            here.iter().all(|f| f.1 != "error" && f.1 != "warning"),
            "{} ({}:{line}) was reported: {here:?}",
            l.what,
            l.file
        );
    }
    // The reads under a flag the spec leaves off are information, and say which flag.
    let conditional: Vec<_> = list
        .iter()
        .filter(|f| f.0 == "MC203" && f.1 == "info" && f.2 == "src/frontend/main.go" && f.3 == 53)
        .collect();
    assert_eq!(conditional.len(), 1, "{list:?}");
}

#[test]
fn every_planted_drift_is_found_at_its_line_and_column() {
    let plants: Vec<Plant> =
        serde_json::from_str(include_str!("corpus/shop-code-planted.json")).unwrap();
    assert!(plants.len() >= 15);
    for p in &plants {
        assert_plant_found(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shop-code"),
            p,
        );
    }
}

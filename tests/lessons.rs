//! What the ecosystem check's public repositories taught the scanner, reproduced in our own
//! words (tests/fixtures/lessons, a small platform): each construct of
//! tests/corpus/lessons.json — a port named unlike the spec's at the same number, documentation,
//! tests and alternative deployments, a peer's port in a client, a compose file inside a
//! service's directory, an image exposing two ports, a setting's default, a chart's
//! `service.port`, key names and user names that are no credentials, a commented PEM example,
//! a variable named `password`, Spring's mail port, a public URL's port, a commented `.ini`
//! URI — stays at or below its level on the clean tree; each planted drift of
//! tests/corpus/lessons-planted.json gives exactly its error. CI keeps these without the corpus.

mod common;
use common::{Plant, assert_plant_found, copy_dir, scan_findings as scan};

use std::path::Path;

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons"),
        dir.path(),
    );
    dir
}

#[derive(serde::Deserialize)]
struct Lesson {
    file: String,
    text: String,
    most: String,
    what: String,
}

fn rank(s: &str) -> u8 {
    match s {
        "error" => 3,
        "warning" => 2,
        "info" => 1,
        _ => 0,
    }
}

#[test]
fn each_lesson_stays_at_its_level_on_the_clean_tree() {
    let dir = repo();
    let (code, list) = scan(dir.path());
    assert_eq!(code, 0, "{list:?}");
    let lessons: Vec<Lesson> = serde_json::from_str(include_str!("corpus/lessons.json")).unwrap();
    assert!(lessons.len() >= 15);
    for l in &lessons {
        let text = std::fs::read_to_string(dir.path().join(&l.file)).unwrap();
        assert_eq!(text.matches(&l.text).count(), 1, "{}: {:?}", l.file, l.text);
        let at = text.find(&l.text).unwrap();
        let line = text[..at].matches('\n').count() as u64 + 1;
        let here: Vec<_> = list
            .iter()
            .filter(|f| f.2 == l.file && f.3 == line)
            .collect();
        let worst = here.iter().map(|f| rank(&f.1)).max().unwrap_or(0);
        // Exactly the level: lower would mean the construct is no longer seen at all where a
        // finding is wanted (a test's address is still worth a warning).
        assert_eq!(
            worst,
            rank(&l.most),
            "{} ({}:{line}): {here:?}",
            l.what,
            l.file
        );
    }
}

#[test]
fn each_planted_drift_is_an_error_at_its_line_and_column() {
    let plants: Vec<Plant> =
        serde_json::from_str(include_str!("corpus/lessons-planted.json")).unwrap();
    for p in &plants {
        assert_plant_found(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons"),
            p,
        );
    }
}

//! The drift scanner on a repository shaped like a public banking demo (tests/fixtures/bank):
//! Java/Spring and Python/gunicorn services, a Kubernetes Service inside a source directory,
//! optional variables. The clean tree has no error; each planted drift — one edit — is found
//! with its code at its exact line and column, and nothing else becomes an error.

mod common;
use common::{Found, Plant, copy_dir, scan_findings as scan};

use std::fs;
use std::path::Path;

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bank"),
        dir.path(),
    );
    dir
}

fn errors(list: &[Found]) -> Vec<(String, String, u64, u64)> {
    list.iter()
        .filter(|f| f.1 == "error")
        .map(|f| (f.0.clone(), f.2.clone(), f.3, f.4))
        .collect()
}

#[test]
fn the_clean_bank_has_no_error_and_its_look_alikes_stay_quiet() {
    let dir = repo();
    let (code, list) = scan(dir.path());
    assert_eq!(code, 0, "{list:?}");
    assert!(errors(&list).is_empty(), "{list:?}");
    // The optional reads name nothing in the spec: information, not errors.
    let infos: Vec<_> = list.iter().filter(|f| f.1 == "info").map(|f| f.3).collect();
    assert_eq!(infos, vec![16, 17], "{list:?}");
}

/// The planted drifts (tests/corpus/bank-planted.json, shared with `scripts/scan-eval`).
fn planted() -> Vec<Plant> {
    serde_json::from_str(include_str!("corpus/bank-planted.json")).unwrap()
}

#[test]
fn every_planted_drift_is_found_at_its_line_and_column() {
    let mut found = 0;
    let plants = planted();
    for Plant {
        file,
        from,
        to,
        code,
        line,
        column,
        ..
    } in &plants
    {
        let dir = repo();
        let path = dir.path().join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} lacks {from:?}");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
        let (exit, list) = scan(dir.path());
        let errs = errors(&list);
        let want = (code.to_string(), file.to_string(), *line, *column);
        let expected_file = if *file == "platform.kdl" {
            "src/frontend/frontend.py"
        } else {
            file
        };
        let want = (want.0, expected_file.to_string(), want.2, want.3);
        assert_eq!(exit, 1, "{file}: {list:?}");
        assert_eq!(errs, vec![want], "{file}: {list:?}");
        found += 1;
    }
    // Precision and recall over the corpus: every planted drift found, no other error.
    eprintln!(
        "bank corpus: {found}/{} planted drifts found, 0 false errors",
        plants.len()
    );
}

/// An inline suppression in the file's own comment syntax silences that finding on its line
/// (or the line below, when alone on its line); one that silences nothing is reported, and so
/// is one without a reason.
#[test]
fn suppressions_are_recorded_in_the_file_and_checked() {
    let dir = repo();
    let path = dir.path().join("src/frontend/frontend.py");
    let text = fs::read_to_string(&path).unwrap();
    let text = text
        .replace(
            "    COLLECTOR = os.environ.get(\"OTEL_COLLECTOR_ADDR\")",
            "    COLLECTOR = os.environ.get(\"OTEL_COLLECTOR_ADDR\")  # maestroc: ignore[MC203] read only when tracing is on",
        )
        .replace(
            "LISTEN_ADDR = os.getenv",
            "# maestroc: ignore[MC203]\nLISTEN_ADDR = os.getenv",
        )
        .replace(
            "MAX_UPLOAD_PORTIONS = 8081",
            "MAX_UPLOAD_PORTIONS = 8081  # maestroc: ignore[MC201] not a port",
        );
    fs::write(&path, text).unwrap();
    let (_, list) = scan(dir.path());
    let in_frontend: Vec<(String, u64)> = list
        .iter()
        .filter(|f| f.2 == "src/frontend/frontend.py")
        .map(|f| (f.0.clone(), f.3))
        .collect();
    assert_eq!(
        in_frontend,
        vec![("MC208".to_string(), 17), ("MC209".to_string(), 19)],
        "{list:?}"
    );
}

/// `[scan] optional-env` records in maestroc.toml that a variable is read but intentionally
/// not provided: its MC203 goes, the others stay.
#[test]
fn optional_env_in_maestroc_toml_records_an_intended_absence() {
    let dir = repo();
    fs::write(
        dir.path().join("maestroc.toml"),
        "[scan]\noptional-env = [\"OTEL_COLLECTOR_ADDR\"]\n",
    )
    .unwrap();
    let (_, list) = scan(dir.path());
    let mc203: Vec<u64> = list
        .iter()
        .filter(|f| f.0 == "MC203")
        .map(|f| f.3)
        .collect();
    assert_eq!(mc203, vec![17], "{list:?}");
}

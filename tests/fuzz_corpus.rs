//! The fuzz targets' invariants (`maestroc::fuzzing`), replayed on stable in every CI run over
//! the committed corpus — every crash fuzzing found, and a minimised share of the inputs it
//! reached (`tests/fuzz-corpus/<target>/`) — and over the same seeds `scripts/fuzz` starts from
//! (the fixtures). Fuzzing itself needs nightly and hours; this keeps what it learnt.

use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The seeds `scripts/fuzz` gives each target.
fn seeds(target: &str, root: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    files_under(&root.join("tests/fixtures"), &mut all);
    let has_ext = |p: &PathBuf, ext: &str| p.extension().is_some_and(|e| e == ext);
    match target {
        "front_end" | "fmt_round_trip" | "kdl_reader" => {
            let mut v: Vec<_> = all.into_iter().filter(|p| has_ext(p, "kdl")).collect();
            v.push(root.join("platform.kdl"));
            v
        }
        "config" => all.into_iter().filter(|p| has_ext(p, "toml")).collect(),
        "import" => all
            .into_iter()
            .filter(|p| has_ext(p, "yaml") || has_ext(p, "yml"))
            .collect(),
        // The scanner target reads a file kind from the first byte: each seed as each kind.
        _ => all
            .into_iter()
            .filter(|p| {
                let s = p.to_string_lossy();
                s.contains("fixtures/fleet/") || s.contains("fixtures/shop-code/")
            })
            .collect(),
    }
}

#[test]
fn every_target_holds_on_its_corpus_and_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut total = 0;
    for (target, check) in maestroc::fuzzing::TARGETS {
        let mut inputs = Vec::new();
        // The three targets that read specs share what each found.
        let kdl_targets = ["front_end", "fmt_round_trip", "kdl_reader"];
        if kdl_targets.contains(target) {
            for t in kdl_targets {
                files_under(&root.join("tests/fuzz-corpus").join(t), &mut inputs);
            }
        } else {
            files_under(&root.join("tests/fuzz-corpus").join(target), &mut inputs);
        }
        let corpus = inputs.len();
        inputs.extend(seeds(target, root));
        assert!(inputs.len() > 5, "{target}: only {} inputs", inputs.len());
        for path in &inputs {
            let data = std::fs::read(path).expect("corpus file");
            let runs: Vec<Vec<u8>> =
                if *target == "scanner" && !path.starts_with(root.join("tests/fuzz-corpus")) {
                    (0..10u8)
                        .map(|kind| [vec![kind], data.clone()].concat())
                        .collect()
                } else {
                    vec![data]
                };
            for run in runs {
                if let Err(e) = std::panic::catch_unwind(|| check(&run)) {
                    let why = e
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    panic!("{target}: {} breaks the invariant: {why}", path.display());
                }
                total += 1;
            }
        }
        eprintln!(
            "{target}: {corpus} corpus files, {} inputs in all",
            inputs.len()
        );
    }
    assert!(total > 500, "only {total} runs");
}

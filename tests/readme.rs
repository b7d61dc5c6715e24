//! The README's commands work as written: every `cargo run --release -- …` line of its `sh`
//! blocks runs (as the built binary, in a copy of the files it names) with the outcome the
//! README describes, and the figure the quick start quotes is the one `build` prints. A
//! command added to the README without an expected outcome here fails the test.

mod common;

use std::path::Path;

/// The README's shell commands that run maestroc, without the `cargo run --release --` part.
fn commands(readme: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let code = line.split(" #").next().unwrap_or("").trim();
        if let Some(args) = code.strip_prefix("cargo run --release -- ") {
            out.push(args.split_whitespace().map(str::to_string).collect());
        }
    }
    out
}

#[test]
fn every_readme_command_runs_as_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let cmds = commands(&readme);
    assert!(cmds.len() >= 3, "{cmds:?}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("platform.kdl"), dir.path().join("platform.kdl")).unwrap();
    common::copy_dir(
        &root.join("tests/fixtures"),
        &dir.path().join("tests/fixtures"),
    );
    // A path outside the repository (`/tmp/x.kdl`) goes into the test's own directory.
    let localize = |args: &[String]| -> Vec<String> {
        args.iter()
            .map(|a| match a.strip_prefix("/tmp/") {
                Some(rest) => dir.path().join(rest).display().to_string(),
                None => a.clone(),
            })
            .collect()
    };
    for args in &cmds {
        let args = localize(args);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = common::maestroc(dir.path(), &argv);
        let text =
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        let code = o.status.code();
        match argv.first().copied() {
            Some("build") => {
                assert_eq!(code, Some(0), "{argv:?}: {text}");
                let quoted = readme
                    .split("The first command prints `")
                    .nth(1)
                    .and_then(|r| r.split(" (…)`").next())
                    .expect("the quick start quotes what build prints");
                assert!(
                    text.contains(quoted),
                    "README says `{quoted}`, build printed: {text}"
                );
            }
            // The scanner finds the planted 50052 bug: exit 1, the port and the spec's number.
            Some("check") => {
                assert_eq!(code, Some(1), "{argv:?}: {text}");
                assert!(text.contains("MC201") && text.contains("50052"), "{text}");
            }
            // The drift fixture's inconsistencies are reported; the spec is written anyway.
            Some("import") => {
                assert_eq!(code, Some(1), "{argv:?}: {text}");
                assert!(text.contains("selects no workload"), "{text}");
                let spec = args.iter().skip_while(|a| *a != "--spec").nth(1).unwrap();
                assert!(Path::new(spec).exists());
            }
            _ => panic!("README command {argv:?} has no expected outcome in tests/readme.rs"),
        }
    }
    // Verbatim twice: nothing a first run leaves behind breaks a second (`--force` on import).
    for args in cmds.iter().filter(|a| a[0] == "import") {
        let args = localize(args);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(common::maestroc(dir.path(), &argv).status.code(), Some(1));
    }
}

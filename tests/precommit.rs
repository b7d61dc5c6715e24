//! The real `pre-commit` (installed by scripts/setup-tools) runs this repository's hooks on a
//! throwaway repository: `maestroc-check` passes on a clean platform and fails on a NodePort
//! collision; `maestroc-fmt` fails on an unformatted spec and rewrites it. (try-repo sees only
//! files git tracks: stage new files before running this test locally.) Slow the first time (pre-commit builds maestroc with `cargo install`, unoptimised here);
//! the build directory is kept under target/ so later runs are incremental.

use std::path::Path;
use std::process::{Command, Output};

const BUNDLED: &str = include_str!("../platform.kdl");

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(["-c", "user.email=ci@example.invalid", "-c", "user.name=ci"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn try_repo(dir: &Path, hook: &str) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new("pre-commit")
        .args(["try-repo", root.to_str().unwrap(), hook, "--all-files"])
        .current_dir(dir)
        .env("PRE_COMMIT_HOME", root.join("target/pre-commit-home"))
        .env("CARGO_TARGET_DIR", root.join("target/pre-commit-build"))
        // The hook's `cargo install` builds in release; what this test checks is the hooks'
        // wiring, not the binary's speed, and an unoptimised build takes a fraction of the
        // time on CI's two cores.
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("NO_COLOR", "1")
        .output()
        .expect("pre-commit not found: run the tests with `bash scripts/test`")
}

#[test]
fn check_hook_passes_clean_and_fails_a_collision_fmt_hook_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    std::fs::write(repo.join("platform.kdl"), BUNDLED).unwrap();
    let built = Command::new(env!("CARGO_BIN_EXE_maestroc"))
        .arg("build")
        .current_dir(repo)
        .status()
        .unwrap();
    assert!(built.success());
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", "platform"]);

    let out = try_repo(repo, "maestroc-check");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("maestroc check") && text.contains("Passed"),
        "{text}"
    );

    std::fs::write(
        repo.join("platform.kdl"),
        BUNDLED.replace(
            "port grpc 6566 node-port=30501",
            "port grpc 6566 node-port=30500",
        ),
    )
    .unwrap();
    let out = try_repo(repo, "maestroc-check");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("MC105"), "{text}");

    // maestroc-fmt: an unformatted spec fails the hook and is rewritten.
    std::fs::write(
        repo.join("platform.kdl"),
        BUNDLED.replace("    namespace \"mlops\"", "  namespace \"mlops\""),
    )
    .unwrap();
    let out = try_repo(repo, "maestroc-fmt");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("files were modified by this hook"), "{text}");
    assert_eq!(
        std::fs::read_to_string(repo.join("platform.kdl")).unwrap(),
        BUNDLED
    );
    let out = try_repo(repo, "maestroc-fmt");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

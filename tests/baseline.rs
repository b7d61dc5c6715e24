//! `check --write-baseline` / `--baseline`: a team adopting maestroc on a repository with known
//! drift records it once; afterwards only new findings fail the check, and a fixed one is
//! reported (MC210) so the baseline shrinks. Run on a copy of the agent-fleet fixture, whose
//! planted drift (the 50052 bug and others) makes `check --scan` fail.

mod common;

use std::path::Path;

use common::{copy_dir, maestroc};

fn text(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn only_new_findings_fail_a_baselined_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fleet"),
        d,
    );
    assert!(maestroc(d, &["build"]).status.success());
    let o = maestroc(d, &["check", "--scan"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the fixture has drift: {}",
        text(&o)
    );

    let o = maestroc(d, &["check", "--scan", "--write-baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let baseline = std::fs::read_to_string(d.join("baseline.json")).unwrap();
    assert!(baseline.contains("\"code\": \"MC201\""), "{baseline}");
    assert!(
        !baseline.contains("\"line\""),
        "entries carry no line numbers"
    );

    let o = maestroc(d, &["check", "--scan", "--baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("accepted by the baseline"),
        "{}",
        text(&o)
    );

    // Lines moved above a known finding: still accepted.
    let src = d.join("services/monitoring/sources/orchestrator_source.py");
    let code = std::fs::read_to_string(&src).unwrap();
    std::fs::write(&src, format!("# moved down a line\n{code}")).unwrap();
    let o = maestroc(d, &["check", "--scan", "--baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // A new drift fails, and only it is reported.
    let new = d.join("services/monitoring/sources/planning_source.py");
    std::fs::write(
        &new,
        "import os\nPLANNING = os.getenv(\"PLANNING_ADDRESS\", \"planning.swe-ai-fleet.svc.cluster.local:50099\")\n",
    )
    .unwrap();
    let o = maestroc(d, &["check", "--scan", "--baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("planning_source.py") && t.contains("50099"),
        "{t}"
    );
    assert!(
        !t.contains("orchestrator_source.py"),
        "a baselined finding was reported: {t}"
    );
    std::fs::remove_file(&new).unwrap();

    // The known 50052 drift fixed: its entry is reported as stale, the check passes.
    std::fs::write(&src, code.replace("50052", "50055")).unwrap();
    let o = maestroc(d, &["check", "--scan", "--baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("MC210"), "{}", text(&o));
}

#[test]
fn a_broken_baseline_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("platform.kdl"),
        include_str!("fixtures/fleet/platform.kdl"),
    )
    .unwrap();
    assert!(maestroc(d, &["build"]).status.success());
    std::fs::write(
        d.join("b.json"),
        "{\"version\": 1, \"findings\": [{\"code\": 1}]}",
    )
    .unwrap();
    let o = maestroc(d, &["check", "--baseline", "b.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not a maestroc baseline"), "{}", text(&o));
}

//! Builds that never lose data: two builds at once end as one complete build, a killed build's
//! staging files are cleaned by the next, and a platform of 10,000 services builds (thousands
//! of staged files never hold thousands of descriptors).

mod common;

use std::process::Command;

use common::maestroc;

/// A platform of `n` services in one namespace, chained dependencies, one NodePort in 25.
fn platform(n: usize) -> String {
    let mut s = String::from(
        "platform \"big\" { namespace \"big\"; node-ports 30000 32767 }\n\
         defaults { resources cpu=\"100m\" memory=\"128Mi\" cpu-limit=\"500m\" memory-limit=\"512Mi\" }\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "service \"svc-{i:05}\" {{\n    image \"registry.local/big/svc:1.0.{i}\"\n    port http {}\n",
            8000 + i % 1000
        ));
        if i % 10 != 0 {
            s.push_str(&format!("    depends-on svc-{:05}\n", i - 1));
        }
        if i % 25 == 0 {
            s.push_str(&format!(
                "    port admin 9000 node-port={}\n",
                30000 + i / 25
            ));
        }
        s.push_str("    health http=\"/\" port=http\n}\n");
    }
    s
}

#[test]
fn two_builds_at_once_end_as_one_complete_build() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), platform(400)).unwrap();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_maestroc"))
            .arg("build")
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .spawn()
            .unwrap()
    };
    for _ in 0..3 {
        let _ = std::fs::remove_dir_all(dir.path().join("output"));
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
        // The output is exactly a fresh build's, with no staging file left.
        let o = maestroc(dir.path(), &["check"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let leftovers = walk(&dir.path().join("output"))
            .into_iter()
            .filter(|p| p.contains(".maestroc-"))
            .count();
        assert_eq!(leftovers, 0);
    }
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.to_string_lossy().to_string());
        }
    }
    out
}

#[test]
fn a_killed_builds_staging_files_are_cleaned_and_foreign_files_stay() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), platform(3)).unwrap();
    assert!(maestroc(dir.path(), &["build"]).status.success());
    let k8s = dir.path().join("output/k8s/base");
    // What a SIGKILL between create and write leaves: an empty staging file, and a half one.
    std::fs::write(k8s.join(".maestroc-AbC123.tmp"), "").unwrap();
    std::fs::write(k8s.join(".maestroc-XyZ789.tmp"), "# Code gener").unwrap();
    std::fs::write(k8s.join("README.md"), "hand-written\n").unwrap();
    let o = maestroc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!k8s.join(".maestroc-AbC123.tmp").exists());
    assert!(!k8s.join(".maestroc-XyZ789.tmp").exists());
    assert_eq!(
        std::fs::read_to_string(k8s.join("README.md")).unwrap(),
        "hand-written\n"
    );
}

#[test]
fn ten_thousand_services_build() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("platform.kdl"), platform(10_000)).unwrap();
    let o = maestroc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let files = walk(&dir.path().join("output/k8s/base"));
    assert_eq!(files.len(), 10_000 + 2);
}

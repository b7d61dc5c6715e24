//! The drift scanner on a fixture repository shaped like the agent fleet (tests/fixtures/fleet):
//! every planted drift is found at its file and line, and nothing else is reported.

mod common;
use common::{copy_dir, maestroc};

use std::fs;
use std::path::Path;
use std::process::Output;

/// A built copy of the fleet repository.
fn fleet_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fleet"),
        dir.path(),
    );
    assert!(maestroc(dir.path(), &["build"]).status.success());
    dir
}

fn findings(o: &Output) -> Vec<(String, String, u64)> {
    common::report_findings(o)
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A repository of `files` (path, text) in a fresh directory, built.
fn built_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    assert!(maestroc(dir.path(), &["build"]).status.success());
    dir
}

/// `check --scan` of `d`: (code, file, line) of each finding.
fn scan(d: &Path) -> Vec<(String, String, u64)> {
    findings(&maestroc(d, &["check", "--scan", "--format", "json"]))
}

#[test]
fn every_planted_drift_is_found_and_nothing_else() {
    let repo = fleet_repo();
    let o = maestroc(repo.path(), &["check", "--scan", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let mut got = findings(&o);
    got.sort();
    // The fleet's planted drifts (tests/corpus/fleet-expected.json, shared with
    // `scripts/scan-eval`).
    let list: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("corpus/fleet-expected.json")).unwrap();
    let mut expected: Vec<(String, String, u64)> = list
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(got, expected);
    // The 50052 case names both sides: the code's span and the spec's port.
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let the_bug = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["code"] == "MC201"
                && f["file"] == "services/monitoring/sources/orchestrator_source.py"
        })
        .unwrap();
    let files: Vec<&str> = the_bug["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "services/monitoring/sources/orchestrator_source.py",
            "platform.kdl"
        ]
    );
    assert!(the_bug["message"].as_str().unwrap().contains("50052"));
}

#[test]
fn the_scan_report_reads_well() {
    let repo = fleet_repo();
    let o = maestroc(repo.path(), &["check", "--scan"]);
    let text = String::from_utf8_lossy(&o.stderr).to_string();
    insta::assert_snapshot!("fleet-scan", text);
}

#[test]
fn without_scan_the_repository_is_not_read() {
    let repo = fleet_repo();
    let o = maestroc(repo.path(), &["check", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(findings(&o).is_empty());
}

#[test]
fn a_fixed_repository_is_clean() {
    let repo = fleet_repo();
    let r = repo.path();
    let fix = |file: &str, from: &str, to: &str| {
        let p = r.join(file);
        let text = fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{file}");
        fs::write(&p, text.replace(from, to)).unwrap();
    };
    fix("scripts/dev-forward.sh", "8081", "8080");
    fix("services/context/main.go", "valkey:6380", "valkey:6379");
    fix(
        "services/monitoring/sources/orchestrator_source.py",
        r#"os.getenv("ORCHESTRATOR_ADDRESS", "orchestrator.swe-ai-fleet.svc.cluster.local:50052")"#,
        r#"os.environ["ORCHESTRATOR_ADDRESS"]"#,
    );
    fix("services/orchestrator/Dockerfile", "50052", "50055");
    fix(
        "services/monitoring/web/client.ts",
        r#" ?? "nats://nats:4222""#,
        "!",
    );
    fix(
        "services/ray-executor/src/main.rs",
        r#".unwrap_or("ray://ray-gpu-head-svc.ray.svc.cluster.local:10001".into())"#,
        r#".expect("RAY_ADDRESS")"#,
    );
    fix(
        "services/monitoring/sources/planning_source.py",
        "PLANNING = os.environ[\"PLANNING_ADDRESS\"]\n",
        "",
    );
    fix(
        "services/planning/src/Main.java",
        "\"ray-executor.swe-ai-fleet.svc:50056\"",
        "System.getenv(\"EXECUTOR\")",
    );
    fix(
        "deploy/k8s/orchestrator.yaml",
        "containerPort: 50052",
        "containerPort: 50055",
    );
    let o = maestroc(r, &["check", "--scan", "--format", "json"]);
    assert_eq!(findings(&o), Vec::<(String, String, u64)>::new());
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn hostile_files_are_skipped_and_reported() {
    let repo = fleet_repo();
    let r = repo.path();
    let junk = r.join("junk");
    fs::create_dir(&junk).unwrap();
    // A symlink loop, a 50 MB file, a binary file, a non-UTF-8 file, an unreadable file.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(r, junk.join("loop")).unwrap();
        std::os::unix::fs::symlink(junk.join("self"), junk.join("self")).unwrap();
    }
    let big = fs::File::create(junk.join("dump.sql")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    fs::write(
        junk.join("logo.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR orchestrator:50052",
    )
    .unwrap();
    fs::write(
        junk.join("latin1.py"),
        b"# caf\xe9\nADDRESS = 'orchestrator:50052'\n",
    )
    .unwrap();
    let secret = junk.join("secret.txt");
    fs::write(&secret, "orchestrator:50052\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    }
    // Root reads anything: then the unreadable case cannot be staged here.
    let unreadable_staged = fs::read(&secret).is_err();

    let o = maestroc(r, &["check", "--scan"]);
    let summary = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        summary.contains("1 binary, 1 too large, 1 not UTF-8"),
        "{summary}"
    );
    let o = maestroc(r, &["check", "--scan", "--format", "json"]);
    let got = findings(&o);
    let skipped: Vec<&str> = got
        .iter()
        .filter(|f| f.0 == "MC207")
        .map(|f| f.1.as_str())
        .collect();
    assert!(skipped.contains(&"junk/dump.sql"), "{got:?}");
    assert!(skipped.contains(&"junk/latin1.py"), "{got:?}");
    if unreadable_staged {
        assert!(skipped.contains(&"junk/secret.txt"), "{got:?}");
    }
    // Nothing was read through the loops: each real file is reported once at most.
    let drift_in_junk = got
        .iter()
        .filter(|f| f.1.starts_with("junk/") && f.0 != "MC207")
        .count();
    assert_eq!(drift_in_junk, usize::from(!unreadable_staged), "{got:?}");
    assert!(!got.iter().any(|f| f.1.contains("loop/")), "{got:?}");
}

#[test]
fn maestroc_toml_scan_sets_roots_and_excludes() {
    let repo = fleet_repo();
    let r = repo.path();
    // A [scan] table makes `check` scan without --scan.
    fs::write(
        r.join("maestroc.toml"),
        "[scan]\ninclude = [\"services\"]\nexclude = [\"**/web/**\", \"*.java\"]\n",
    )
    .unwrap();
    let o = maestroc(r, &["check", "--format", "json"]);
    let got = findings(&o);
    let files: Vec<&str> = got.iter().map(|f| f.1.as_str()).collect();
    // Roots are reported relative to themselves: `monitoring/...`, not `services/monitoring/...`.
    assert!(files.contains(&"orchestrator/Dockerfile"), "{files:?}");
    assert!(
        !files
            .iter()
            .any(|f| f.contains("web/") || f.ends_with(".java")),
        "{files:?}"
    );
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("deploy/") || f.starts_with("scripts/")),
        "{files:?}"
    );

    // A bad glob is a config error with a span.
    fs::write(r.join("maestroc.toml"), "[scan]\nexclude = [\"a/**/[\"]\n").unwrap();
    let o = maestroc(r, &["check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("MC092"));
}

/// A comment line is prose, not code: an old address or port in it is no finding, in each
/// comment syntax. The same text as code is (so the check can fail).
#[test]
fn comment_lines_are_not_code() {
    let repo = fleet_repo();
    let d = repo.path();
    let before = findings(&maestroc(d, &["check", "--scan", "--format", "json"]));
    let cases = [
        (
            "services/monitoring/notes.py",
            "# The old client dialled orchestrator.swe-ai-fleet.svc.cluster.local:50052.\nimport os\n",
            "ADDR = \"orchestrator.swe-ai-fleet.svc.cluster.local:50052\"\nimport os\n",
        ),
        (
            "services/orchestrator/legacy.go",
            "package main\n\n// legacy: ORCHESTRATOR_PORT = 50052\n",
            "package main\n\nconst ORCHESTRATOR_PORT = 50052\n",
        ),
        (
            "services/monitoring/Dockerfile.old",
            "FROM python:3.12\n# EXPOSE 50052 was the orchestrator's, once\n",
            "FROM python:3.12\nENV ORCHESTRATOR_ADDRESS=orchestrator.swe-ai-fleet.svc.cluster.local:50052\n",
        ),
    ];
    for (file, comment, code) in cases {
        fs::write(d.join(file), comment).unwrap();
        let now = findings(&maestroc(d, &["check", "--scan", "--format", "json"]));
        assert_eq!(now, before, "{file}: a comment became a finding");
        fs::write(d.join(file), code).unwrap();
        let now = findings(&maestroc(d, &["check", "--scan", "--format", "json"]));
        assert!(
            now.iter().any(|(c, f, _)| c == "MC201" && f == file),
            "{file}: the same text as code is not reported: {now:?}"
        );
        fs::remove_file(d.join(file)).unwrap();
    }
}

/// A Service named unlike its workload (bookinfo's `details` selecting `details-v1`) is in the
/// spec as an `extra` object: a hand-written manifest of that Service is compared with it by
/// kind and name, port by port.
#[test]
fn an_object_the_spec_ships_as_extra_is_compared_with_its_manifest() {
    let service = |port: u16| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: details\nspec:\n  selector:\n    app: details\n  ports:\n  - name: http\n    port: {port}\n    targetPort: 9080\n"
        )
    };
    let dir = built_repo(&[
        (
            "platform.kdl",
            "platform \"bookinfo\" {\n    namespace \"bookinfo\"\n}\n\nservice \"details-v1\" {\n    image \"registry.example.com/details:1.0\"\n    port http 9080\n    extra \"imported/details.yaml\"\n}\n",
        ),
        ("imported/details.yaml", &service(9080)),
        ("kube/bookinfo.yaml", &service(9080)),
    ]);
    let d = dir.path();
    let clean = scan(d);
    assert!(
        !clean.iter().any(|(c, ..)| c == "MC206"),
        "the same Service is no drift: {clean:?}"
    );
    fs::write(d.join("kube/bookinfo.yaml"), service(9081)).unwrap();
    let o = maestroc(d, &["check", "--scan", "--format", "json"]);
    let all = common::report_findings(&o);
    let f = all
        .iter()
        .find(|f| f["code"] == "MC206")
        .unwrap_or_else(|| panic!("no MC206: {all:?}"));
    assert_eq!(
        (
            f["file"].as_str(),
            f["line"].as_u64(),
            f["severity"].as_str()
        ),
        (Some("kube/bookinfo.yaml"), Some(10), Some("error")),
        "{f}"
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("Service `details` has port: 9081, but the spec says 9080"),
        "{f}"
    );
    assert!(!o.status.success());
}

/// An nginx `listen` directive in a service's source is its own bind: a port of another spec
/// service there (aks-store's store-front listening on store-admin's 8081) is drift, not a
/// client's address.
#[test]
fn an_nginx_listen_on_another_services_port_is_drift() {
    let conf = |port: u16| {
        format!("server {{\n    listen       {port};\n    server_name  localhost;\n}}\n")
    };
    let dir = built_repo(&[
        (
            "platform.kdl",
            "platform \"store\" {\n    namespace \"store\"\n}\n\nservice \"store-front\" {\n    source \"src/store-front\"\n    image \"registry.example.com/store-front:1.0\"\n    port http 8080\n}\n\nservice \"store-admin\" {\n    image \"registry.example.com/store-admin:1.0\"\n    port http 8081\n}\n",
        ),
        ("src/store-front/nginx.conf", &conf(8080)),
    ]);
    let d = dir.path();
    assert!(
        !scan(d).iter().any(|(_, f, _)| f.ends_with("nginx.conf")),
        "listening on its own port is no finding"
    );
    fs::write(d.join("src/store-front/nginx.conf"), conf(8081)).unwrap();
    let now = scan(d);
    assert!(
        now.contains(&(
            "MC201".to_string(),
            "src/store-front/nginx.conf".to_string(),
            2
        )),
        "{now:?}"
    );
}

/// A variable whose name ties it to a spec service is evidence, and the finding says how:
/// `SHOP_UI_ENDPOINTS_CATALOG` (Spring's relaxed binding of `shop.ui.endpoints.catalog`) names
/// `catalog`; a variable that names nothing in the spec stays information.
#[test]
fn a_variable_named_for_a_service_is_evidence_and_the_finding_says_why() {
    let dir = built_repo(&[
        (
            "platform.kdl",
            "platform \"shop\" {\n    namespace \"shop\"\n}\n\nservice \"ui\" {\n    source \"ui\"\n    image \"registry.example.com/ui:1.0\"\n    port http 8080\n}\n\nservice \"catalog\" {\n    image \"registry.example.com/catalog:1.0\"\n    port http 8081\n}\n",
        ),
        (
            "ui/app.py",
            "import os\n\ncatalog = os.getenv(\"SHOP_UI_ENDPOINTS_CATALOG\")\nmetrics = os.getenv(\"SHOP_UI_ENDPOINTS_TRACING\")\n",
        ),
    ]);
    let d = dir.path();
    let all = common::report_findings(&maestroc(d, &["check", "--scan", "--format", "json"]));
    let at = |line: u64| {
        all.iter()
            .find(|f| f["file"] == "ui/app.py" && f["line"] == line)
            .unwrap_or_else(|| panic!("nothing at line {line}: {all:?}"))
    };
    assert_eq!(at(3)["severity"], "error", "{all:?}");
    assert!(
        at(3)["message"]
            .as_str()
            .unwrap()
            .ends_with("(its name names the spec service `catalog`)"),
        "{all:?}"
    );
    assert_eq!(at(4)["severity"], "info", "{all:?}");
}

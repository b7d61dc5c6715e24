//! The shared NodePort registry: projects on one cluster see each other's NodePorts
//! (`check` MC109/MC110), `ports allocate|release|sync|status` keep the spec and the registry
//! in step, and concurrent allocations never hand out one port twice.

mod common;

use std::path::Path;

use common::maestroc;

fn project(root: &Path, name: &str, services: &[(&str, Option<u16>)]) -> std::path::PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec = format!(
        "platform \"{name}\" {{\n    namespace \"{name}\"\n    node-ports 30500 30599 registry=\"../ports.json\"\n}}\n"
    );
    for (svc, np) in services {
        let np = np.map_or(String::new(), |n| format!(" node-port={n}"));
        spec.push_str(&format!(
            "service \"{svc}\" {{\n    image \"registry.local/{name}/{svc}:1.0.0\"\n    port http 8080{np}\n    health http=\"/\" port=http\n    resources cpu=\"100m\" memory=\"128Mi\"\n}}\n"
        ));
    }
    std::fs::write(dir.join("platform.kdl"), spec).unwrap();
    dir
}

/// `maestroc ports allocate SERVICE http` in `dir`, started and not waited for.
fn allocate_in_background(dir: &Path, service: &str, env: &[(&str, &str)]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_maestroc"))
        .args(["ports", "allocate", service, "http"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn text(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

fn registry(root: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root.join("ports.json")).unwrap()).unwrap()
}

/// The registry file validates against schemas/port-registry.v1.schema.json.
fn assert_valid(root: &Path) {
    let o =
        common::validate_with_schema("schemas/port-registry.v1.schema.json", &[&registry(root)]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_port_another_project_holds_is_an_error_at_its_span() {
    let root = tempfile::tempdir().unwrap();
    let a = project(
        root.path(),
        "ml",
        &[("mlflow", Some(30500)), ("feast", Some(30501))],
    );
    let o = maestroc(&a, &["ports", "sync"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_valid(root.path());
    assert!(maestroc(&a, &["build"]).status.success());
    let o = maestroc(&a, &["check"]);
    assert!(o.status.success(), "{}", text(&o));

    let b = project(root.path(), "agents", &[("dashboard", Some(30501))]);
    assert!(maestroc(&b, &["build"]).status.success());
    let o = maestroc(&b, &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("MC109"), "{t}");
    assert!(
        t.contains("NodePort 30501 of `dashboard/http` is held by project `ml` (feast/http)"),
        "{t}"
    );
    assert!(t.contains("platform.kdl:7:"), "at the node-port= line: {t}");
    // `sync` refuses to record it and says so; the other project's entry stays.
    let o = maestroc(&b, &["ports", "sync"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let reg = registry(root.path());
    assert!(
        reg["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["project"] == "ml")
    );
}

#[test]
fn allocate_skips_other_projects_and_release_frees_in_both() {
    let root = tempfile::tempdir().unwrap();
    let a = project(
        root.path(),
        "ml",
        &[("mlflow", Some(30500)), ("feast", Some(30501))],
    );
    assert!(maestroc(&a, &["ports", "sync"]).status.success());
    let b = project(
        root.path(),
        "agents",
        &[("dashboard", Some(30502)), ("api", None)],
    );
    let o = maestroc(&b, &["ports", "allocate", "api", "http"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("api/http gets node-port=30503"),
        "{}",
        text(&o)
    );
    let spec = std::fs::read_to_string(b.join("platform.kdl")).unwrap();
    assert!(spec.contains("port http 8080 node-port=30503"), "{spec}");
    let reg = registry(root.path());
    assert!(
        reg["allocations"].as_array().unwrap().iter().any(|a| {
            a["project"] == "agents" && a["service"] == "api" && a["nodePort"] == 30503
        })
    );
    assert_valid(root.path());
    // The hand-written 30502 is not recorded yet: a warning, not an error.
    assert!(maestroc(&b, &["build"]).status.success());
    let o = maestroc(&b, &["check"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("MC110"), "{}", text(&o));

    let o = maestroc(&b, &["ports", "release", "api", "http"]);
    assert!(o.status.success(), "{}", text(&o));
    let spec = std::fs::read_to_string(b.join("platform.kdl")).unwrap();
    assert!(spec.contains("port http 8080\n"), "{spec}");
    let reg = registry(root.path());
    assert!(
        reg["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["nodePort"] != 30503)
    );

    let o = maestroc(&b, &["ports", "status"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("30500     ml / mlflow / http (ml)"), "{t}");
    // 100 ports, 30500 and 30501 held by ml, 30502 used by this spec.
    assert!(t.contains("30500–30599: 97 free for `agents`"), "{t}");
}

/// Twenty projects allocate at the same moment: twenty distinct ports, each recorded once,
/// and a registry that still validates.
#[test]
fn concurrent_allocations_get_distinct_ports() {
    let root = tempfile::tempdir().unwrap();
    let dirs: Vec<_> = (0..20)
        .map(|i| project(root.path(), &format!("p{i:02}"), &[("web", None)]))
        .collect();
    let children: Vec<_> = dirs
        .iter()
        .map(|d| allocate_in_background(d, "web", &[]))
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    let reg = registry(root.path());
    let ports: std::collections::BTreeSet<i64> = reg["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["nodePort"].as_i64().unwrap())
        .collect();
    assert_eq!(reg["allocations"].as_array().unwrap().len(), 20);
    assert_eq!(ports.len(), 20, "{ports:?}");
    assert_valid(root.path());
    // Each spec holds exactly the port its project's entry records.
    for (i, d) in dirs.iter().enumerate() {
        let spec = std::fs::read_to_string(d.join("platform.kdl")).unwrap();
        let entry = reg["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["project"] == format!("p{i:02}"))
            .unwrap();
        assert!(
            spec.contains(&format!("node-port={}", entry["nodePort"])),
            "{spec}"
        );
    }
}

#[test]
fn a_broken_registry_is_reported_at_its_line() {
    let root = tempfile::tempdir().unwrap();
    let a = project(root.path(), "ml", &[("mlflow", Some(30500))]);
    std::fs::write(
        root.path().join("ports.json"),
        "{\n  \"version\": 1,\n  \"allocations\": [ {\"nodePort\": \"x\"} ]\n}\n",
    )
    .unwrap();
    assert!(maestroc(&a, &["build"]).status.success());
    let o = maestroc(&a, &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("MC090") && t.contains("ports.json:3:"), "{t}");
    // allocate refuses to write over it.
    let before = std::fs::read_to_string(root.path().join("ports.json")).unwrap();
    let o = maestroc(&a, &["ports", "sync"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(root.path().join("ports.json")).unwrap(),
        before
    );
}

/// One project, 20 allocations at once for 20 services, with the window between writing the
/// registry and writing the spec widened (a test-build hook): every allocation gets its own
/// port and every edit survives in the spec. Without holding the lock until the spec is
/// written, and without counting the project's own registry entries as taken, ports repeat
/// and edits are lost.
#[test]
fn concurrent_allocations_in_one_project_lose_no_edit() {
    let root = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..20).map(|i| format!("s{i:02}")).collect();
    let services: Vec<(&str, Option<u16>)> = names.iter().map(|n| (n.as_str(), None)).collect();
    let dir = project(root.path(), "one", &services);
    let children: Vec<_> = names
        .iter()
        .map(|n| allocate_in_background(&dir, n, &[("MAESTROC_TEST_EDIT_DELAY_MS", "30")]))
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
        // An edit prints its edit, not the spec's warnings.
        assert!(!text(&o).contains("MC4"), "{}", text(&o));
    }
    let spec = std::fs::read_to_string(dir.join("platform.kdl")).unwrap();
    let in_spec: Vec<&str> = spec.matches("node-port=").collect();
    assert_eq!(in_spec.len(), 20, "{spec}");
    let reg = registry(root.path());
    let ports: std::collections::BTreeSet<i64> = reg["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["nodePort"].as_i64().unwrap())
        .collect();
    assert_eq!(ports.len(), 20, "{ports:?}");
    for p in &ports {
        assert!(
            spec.contains(&format!("node-port={p}")),
            "{p} not in the spec"
        );
    }
}

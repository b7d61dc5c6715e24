//! `maestroc diff --live` against recorded cluster states: the bundled platform's own build
//! for each environment, turned by `tests/fixtures/live/record.py` into what an API server
//! returns (defaults filled by an independent implementation, managed fields, status,
//! allocated IPs and NodePorts, generated names, owned ReplicaSets) — zero drift unedited;
//! then each edit an operator makes by hand, reported on the right object and field at the
//! spec line that sets it. Also: the normalisation list item by item, ignore rules, the
//! formats, and the kubectl the command runs itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_maestroc");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled spec copied into `dir`, built, and one environment's cluster state recorded.
fn recorded(dir: &Path, env: &str) -> Vec<Value> {
    std::fs::copy(root().join("platform.kdl"), dir.join("platform.kdl")).unwrap();
    let built = Command::new(BIN)
        .args(["build", "--spec"])
        .arg(dir.join("platform.kdl"))
        .output()
        .unwrap();
    assert!(built.status.success(), "{built:?}");
    let python = root().join(".tools/venv/bin/python");
    assert!(python.exists(), "run the tests with `bash scripts/test`");
    let out = Command::new(python)
        .arg(root().join("tests/fixtures/live/record.py"))
        .arg(dir.join("output/k8s").join(env))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_saphyr::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
    list["items"].as_array().unwrap().clone()
}

fn write_state(dir: &Path, items: &[Value]) -> PathBuf {
    let path = dir.join("cluster.json");
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(&path, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    path
}

fn diff_live(dir: &Path, env: &str, state: &Path, format: &str) -> Output {
    Command::new(BIN)
        .args(["diff", "--live", "--env", env, "--format", format, "--spec"])
        .arg(dir.join("platform.kdl"))
        .arg("--from")
        .arg(state)
        .output()
        .unwrap()
}

fn findings(out: &Output) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    v["findings"].as_array().unwrap().clone()
}

fn find<'a>(items: &'a mut [Value], kind: &str, name: &str) -> &'a mut Value {
    items
        .iter_mut()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The text of the spec's line `line` (1-based).
fn spec_line(line: u64) -> String {
    std::fs::read_to_string(root().join("platform.kdl"))
        .unwrap()
        .lines()
        .nth(line as usize - 1)
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn an_unedited_cluster_has_no_drift_in_either_environment() {
    for env in ["minikube", "production"] {
        let dir = tempfile::tempdir().unwrap();
        let items = recorded(dir.path(), env);
        let text = serde_json::to_string(&items).unwrap();
        // The recording exercises the normalisation list, not an easy subset of it.
        for server_added in [
            "managedFields",
            "last-applied-configuration",
            "clusterIPs",
            "\"status\"",
            "deployment.kubernetes.io/revision",
            "kubernetes.io/metadata.name",
            "\"ReplicaSet\"",
            "terminationMessagePath",
            "persistentVolumeClaimRetentionPolicy",
        ] {
            assert!(text.contains(server_added), "{env}: {server_added}");
        }
        let state = write_state(dir.path(), &items);
        let out = diff_live(dir.path(), env, &state, "json");
        assert_eq!(findings(&out), Vec::<Value>::new(), "{env}");
        assert_eq!(out.status.code(), Some(0), "{env}");
    }
}

#[test]
fn each_hand_edit_is_reported_on_its_object_and_field_at_the_spec_line() {
    type Edit = fn(&mut Vec<Value>);
    let cases: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "a changed container port",
            |items| {
                let d = find(items, "Deployment", "mlflow");
                d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] =
                    json!(5001);
            },
            "Deployment mlops/mlflow: .spec.template.spec.containers[name=mlflow].ports[name=http].containerPort is `5001` in the cluster, `5000` in the spec",
            "port http 5000",
        ),
        (
            "a scaled Deployment",
            |items| find(items, "Deployment", "mlflow")["spec"]["replicas"] = json!(3),
            "Deployment mlops/mlflow: .spec.replicas is `3` in the cluster, `1` in the spec",
            "service \"mlflow\" {",
        ),
        (
            "kubectl set image",
            |items| {
                find(items, "Deployment", "mlflow")["spec"]["template"]["spec"]["containers"][0]
                    ["image"] = json!("ghcr.io/mlflow/mlflow:v9.9.9");
            },
            "Deployment mlops/mlflow: .spec.template.spec.containers[name=mlflow].image is `ghcr.io/mlflow/mlflow:v9.9.9` in the cluster",
            "image \"ghcr.io/mlflow/mlflow:",
        ),
        (
            "a deleted NetworkPolicy",
            |items| {
                items.retain(|o| {
                    !(o["kind"] == "NetworkPolicy" && o["metadata"]["name"] == "mlflow")
                })
            },
            "NetworkPolicy mlops/mlflow is not in the cluster",
            "service \"mlflow\" {",
        ),
        (
            "an extra ConfigMap key",
            |items| {
                let cm = items
                    .iter_mut()
                    .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "service-ports")
                    .unwrap();
                cm["data"]["DEBUG_PORT"] = json!("9999");
            },
            ".data.DEBUG_PORT = `9999` was added in the cluster",
            "platform \"ml-platform\" {",
        ),
        (
            "a changed service-ports value",
            |items| {
                let cm = items
                    .iter_mut()
                    .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "service-ports")
                    .unwrap();
                cm["data"]["MLFLOW_PORT"] = json!("5055");
            },
            ".data.MLFLOW_PORT is `5055` in the cluster, `5000` in the spec",
            "port http 5000",
        ),
        (
            "a leftover object the spec dropped",
            |items| {
                let mut extra = find(items, "ServiceAccount", "mlflow").clone();
                extra["metadata"]["name"] = json!("old-batch");
                items.push(extra);
            },
            "ServiceAccount mlops/old-batch is in the cluster with this platform's labels, but the spec no longer builds it",
            "platform \"ml-platform\" {",
        ),
    ];
    for (what, edit, message, line) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut items = recorded(dir.path(), "minikube");
        edit(&mut items);
        let state = write_state(dir.path(), &items);
        let out = diff_live(dir.path(), "minikube", &state, "json");
        assert_eq!(out.status.code(), Some(1), "{what}");
        let found = findings(&out);
        let f = found
            .iter()
            .find(|f| f["message"].as_str().unwrap().contains(message))
            .unwrap_or_else(|| panic!("{what}: {found:#?}"));
        assert_eq!(f["code"], "MC211");
        assert!(
            spec_line(f["line"].as_u64().unwrap()).starts_with(line),
            "{what}: at line {} `{}`",
            f["line"],
            spec_line(f["line"].as_u64().unwrap())
        );
    }
}

#[test]
fn a_renamed_object_is_one_missing_and_one_leftover() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = recorded(dir.path(), "minikube");
    find(&mut items, "Service", "redis")["metadata"]["name"] = json!("redis-old");
    let state = write_state(dir.path(), &items);
    let found = findings(&diff_live(dir.path(), "minikube", &state, "json"));
    let messages: Vec<&str> = found
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "Service mlops/redis is not in the cluster",
            "Service mlops/redis-old is in the cluster with this platform's labels, but the spec no longer builds it"
        ]
    );
}

#[test]
fn ignore_rules_in_maestroc_toml_drop_what_someone_else_owns() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = recorded(dir.path(), "minikube");
    find(&mut items, "Deployment", "mlflow")["spec"]["replicas"] = json!(4);
    find(&mut items, "Deployment", "mlflow")["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("patched:1");
    let state = write_state(dir.path(), &items);
    std::fs::write(
        dir.path().join("maestroc.toml"),
        "[[live.ignore]]\nkind = \"Deployment\"\npath = \".spec.replicas\"\n\n[[live.ignore]]\nkind = \"Deployment\"\nname = \"mlflow\"\npath = \".spec.template.spec.containers[*].image\"\n",
    )
    .unwrap();
    let out = diff_live(dir.path(), "minikube", &state, "json");
    assert_eq!(findings(&out), Vec::<Value>::new());
    std::fs::write(
        dir.path().join("maestroc.toml"),
        "[[live.ignore]]\nkind = \"Deployment\"\nname = \"other\"\npath = \".spec\"\n",
    )
    .unwrap();
    let out = diff_live(dir.path(), "minikube", &state, "json");
    assert_eq!(
        findings(&out).len(),
        2,
        "a rule for another object drops nothing"
    );
}

#[test]
fn github_and_sarif_formats_carry_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = recorded(dir.path(), "minikube");
    find(&mut items, "Deployment", "mlflow")["spec"]["replicas"] = json!(2);
    let state = write_state(dir.path(), &items);
    let gh = diff_live(dir.path(), "minikube", &state, "github");
    let text = String::from_utf8_lossy(&gh.stdout);
    assert!(text.starts_with("::error file="), "{text}");
    assert!(text.contains("MC211"), "{text}");
    let sarif = diff_live(dir.path(), "minikube", &state, "sarif");
    let v: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 1);
    assert_eq!(sarif.status.code(), Some(1));
}

#[test]
fn without_from_it_runs_kubectl_per_kind_and_keeps_what_the_build_can_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = recorded(dir.path(), "minikube");
    // What else a real cluster answers `get -A` with: another team's objects in their own
    // namespace, an unlabelled object in one of ours, another Namespace. None is drift.
    let mut foreign = find(&mut items, "Deployment", "mlflow").clone();
    foreign["metadata"]["namespace"] = json!("kube-system");
    foreign["metadata"]["name"] = json!("coredns");
    let mut unlabelled = find(&mut items, "ConfigMap", "service-ports").clone();
    unlabelled["metadata"]["name"] = json!("team-notes");
    unlabelled["metadata"]["labels"] = json!({});
    items.extend([
        foreign,
        unlabelled,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
    ]);
    let state = write_state(dir.path(), &items);
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = dir.path().join("kubectl.log");
    // A kubectl that answers every `get` with the recorded state, and refuses one kind as a
    // cluster without that CRD does.
    std::fs::write(
        bin.join("kubectl"),
        format!(
            "#!/bin/sh\necho \"$@\" >> {log}\ncase \"$*\" in *externalsecret*) echo 'error: the server doesn'\"'\"'t have a resource type \"externalsecret\"' >&2; exit 1;; esac\ncat {state}\n",
            log = log.display(),
            state = state.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(bin.join("kubectl"))
        .status()
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = Command::new(BIN)
        .args([
            "diff",
            "--live",
            "--env",
            "minikube",
            "--context",
            "kind-dev",
            "--format",
            "json",
            "--spec",
        ])
        .arg(dir.path().join("platform.kdl"))
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(
        findings(&out),
        Vec::<Value>::new(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.lines().count() >= 8, "{calls}");
    for line in calls.lines() {
        assert!(line.starts_with("--context kind-dev get "), "{line}");
        assert!(line.ends_with("--all-namespaces -o yaml"), "{line}");
    }
    assert!(calls.contains("get deployment.apps "), "{calls}");
    assert!(
        calls.contains("get networkpolicy.networking.k8s.io "),
        "{calls}"
    );
}

#[test]
fn unreadable_or_broken_cluster_input_is_a_coded_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("platform.kdl"), dir.path().join("platform.kdl")).unwrap();
    let missing = diff_live(
        dir.path(),
        "minikube",
        &dir.path().join("nope.yaml"),
        "json",
    );
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(findings(&missing)[0]["code"], "MC090");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: [unclosed\n").unwrap();
    let out = diff_live(dir.path(), "minikube", &bad, "json");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(findings(&out)[0]["code"], "MC090");
}

/// The normalisation list, one item at a time: what the server adds is no drift; the same
/// field is drift when the build sets it to something else.
#[test]
fn each_normalisation_removes_exactly_what_the_server_adds() {
    let svc = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "a", "namespace": "n", "labels": {"app.kubernetes.io/managed-by": "maestroc", "app.kubernetes.io/part-of": "p"}},
        "spec": {"selector": {"app": "a"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}], "type": "NodePort"}});
    let mut live = svc.clone();
    live["spec"]["clusterIP"] = json!("10.96.0.7");
    live["spec"]["clusterIPs"] = json!(["10.96.0.7"]);
    live["spec"]["ipFamilies"] = json!(["IPv4"]);
    live["spec"]["ipFamilyPolicy"] = json!("SingleStack");
    live["spec"]["ports"][0]["nodePort"] = json!(31234);
    live["spec"]["ports"][0]["protocol"] = json!("TCP");
    live["spec"]["externalTrafficPolicy"] = json!("Cluster");
    live["spec"]["sessionAffinity"] = json!("None");
    live["spec"]["internalTrafficPolicy"] = json!("Cluster");
    live["metadata"]["uid"] = json!("u");
    live["metadata"]["managedFields"] = json!([{}]);
    live["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/last-applied-configuration": "{}"});
    live["status"] = json!({"loadBalancer": {}});
    let none = maestroc::live::compare(
        std::slice::from_ref(&svc),
        std::slice::from_ref(&live),
        "p",
        &[],
    );
    assert!(none.is_empty(), "{none:?}");
    // A NodePort the spec fixes is compared, not dropped.
    let mut fixed = svc.clone();
    fixed["spec"]["ports"][0]["nodePort"] = json!(30080);
    let d = maestroc::live::compare(&[fixed], &[live.clone()], "p", &[]);
    assert_eq!(d.len(), 1, "{d:?}");

    let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "n"},
        "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {"metadata": {"labels": {"app": "a"}},
        "spec": {"containers": [{"name": "a", "image": "a:1", "ports": [{"containerPort": 8080}],
                 "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}},
                 "readinessProbe": {"httpGet": {"path": "/", "port": 8080}}}]}}}});
    let mut live = dep.clone();
    let c = &mut live["spec"]["template"]["spec"]["containers"][0];
    c["resources"]["limits"] = json!({"cpu": "1", "memory": "1Gi"});
    c["imagePullPolicy"] = json!("IfNotPresent");
    c["terminationMessagePath"] = json!("/dev/termination-log");
    c["readinessProbe"]["periodSeconds"] = json!(10);
    c["readinessProbe"]["httpGet"]["scheme"] = json!("HTTP");
    live["spec"]["template"]["metadata"]["creationTimestamp"] = Value::Null;
    live["spec"]["template"]["spec"]["dnsPolicy"] = json!("ClusterFirst");
    live["spec"]["template"]["spec"]["enableServiceLinks"] = json!(true);
    live["spec"]["replicas"] = json!(1);
    live["spec"]["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}});
    live["metadata"]["annotations"] = json!({"deployment.kubernetes.io/revision": "3"});
    live["metadata"]["generation"] = json!(3);
    let none = maestroc::live::compare(
        std::slice::from_ref(&dep),
        std::slice::from_ref(&live),
        "p",
        &[],
    );
    assert!(none.is_empty(), "{none:?}");
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("Always");
    let d = maestroc::live::compare(&[dep], &[live], "p", &[]);
    assert_eq!(d.len(), 1, "a non-default pull policy is drift: {d:?}");
}

//! `import` on the shapes real platforms have (tests/fixtures/import-real, written here): the
//! spec it writes builds, and `build(import(M))` contains every field of every object of M,
//! compared as data after Kubernetes' defaulting by ecosystem/lossless.py — an implementation
//! of the comparison independent of import's own residual stage. Credentials found in the
//! input become secret keys; their values are only in the git-ignored values file.

mod common;
use common::maestroc;

use std::path::Path;
use std::process::Command;

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-real")
}

/// Imports the fixture into `dir` and builds it; the build must succeed.
fn import_and_build(dir: &Path) {
    import_and_build_from(&fixture(), dir);
}

/// Imports `input` into `dir` and builds it; the build must succeed.
fn import_and_build_from(input: &Path, dir: &Path) {
    let spec = dir.join("platform.kdl");
    let o = maestroc(
        dir,
        &[
            "import",
            input.to_str().unwrap(),
            "--spec",
            spec.to_str().unwrap(),
        ],
    );
    assert!(
        o.status.code().is_some_and(|c| c < 2),
        "import: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let b = maestroc(dir, &["build"]);
    assert!(
        b.status.success(),
        "build: {}",
        String::from_utf8_lossy(&b.stderr)
    );
}

/// ecosystem/lossless.py's verdict on `output` rebuilding the objects of `input`.
fn lossless(output: &Path, input: &Path) -> serde_json::Value {
    let o = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("ecosystem/lossless.py"))
        .arg(output)
        .arg(input)
        .output()
        .expect("python3 (scripts/setup-tools provides one with PyYAML)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn the_imported_spec_builds_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    import_and_build(dir.path());
    let r = lossless(&dir.path().join("output"), &fixture());
    assert_eq!(r["objects"], 7, "{r}");
    assert_eq!(r["missing"], serde_json::json!([]), "{r}");
    assert_eq!(
        (r["lost"].as_u64(), r["changed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
    // The one credential is a Secret reference now, counted apart.
    assert_eq!(r["secret_values"], 1, "{r}");
}

#[test]
fn credentials_are_secret_keys_and_their_values_stay_out_of_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    import_and_build(dir.path());
    let spec = std::fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    assert!(
        spec.contains(r#"env "REDIS_PASSWORD" secret="cart-env" key="REDIS_PASSWORD""#),
        "{spec}"
    );
    let mut written = spec.clone();
    for f in std::fs::read_dir(dir.path().join("imported")).unwrap() {
        written.push_str(&std::fs::read_to_string(f.unwrap().path()).unwrap());
    }
    for out in common::files_under(&dir.path().join("output")) {
        written.push_str(&std::fs::read_to_string(out).unwrap());
    }
    assert!(
        !written.contains("s3cr3t-Redis-pw"),
        "a credential reached the spec or output"
    );
    let values = std::fs::read_to_string(dir.path().join("imported.secrets")).unwrap();
    assert!(
        values.contains("cart-env.REDIS_PASSWORD=s3cr3t-Redis-pw"),
        "{values}"
    );
    let ignore = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "imported.secrets"), "{ignore}");
}

#[test]
fn a_limit_alone_is_also_the_request() {
    // The cart container says only `limits.memory: 20Mi`: maestroc's fallback request
    // (128Mi) would be above it, an object the API server refuses.
    let dir = tempfile::tempdir().unwrap();
    import_and_build(dir.path());
    let cart = common::files_under(&dir.path().join("output/k8s"))
        .into_iter()
        .find(|p| p.ends_with("-cart.yaml"))
        .unwrap();
    let text = std::fs::read_to_string(cart).unwrap();
    let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&text).unwrap();
    let d = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let r = &d["spec"]["template"]["spec"]["containers"][0]["resources"];
    assert_eq!(r["limits"]["memory"], "20Mi", "{r}");
    assert_eq!(r["requests"]["memory"], "20Mi", "{r}");
}

/// Two Deployments that select `app: store` alone, told apart by `role` in their pods, and
/// Services that narrow to one role each: the rebuilt Services keep their narrower selectors
/// (a patch may add the pods' own labels to a Service's selector), so no write goes to a
/// replica; the workloads keep their own immutable selectors.
#[test]
fn services_narrower_than_their_workloads_keep_their_selectors() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-selectors");
    import_and_build_from(&input, dir.path());
    let r = lossless(&dir.path().join("output"), &input);
    assert_eq!(
        (r["lost"].as_u64(), r["changed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
    assert_eq!(r["missing"], serde_json::json!([]), "{r}");
    let env_dir = std::fs::read_dir(dir.path().join("output/k8s"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let leader = std::fs::read_to_string(
        std::fs::read_dir(&env_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with("-store-leader.yaml"))
            .unwrap(),
    )
    .unwrap();
    let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&leader).unwrap();
    let svc = docs.iter().find(|d| d["kind"] == "Service").unwrap();
    assert_eq!(svc["spec"]["selector"]["role"], "leader", "{svc}");
}

/// The same patch adding a label the pods do not carry is refused: the Service would select
/// nothing, or another workload's pods.
#[test]
fn a_service_selector_patch_may_not_reach_beyond_its_pods() {
    let spec = "platform \"p\" {\n    namespace \"p\"\n}\nservice \"a\" {\n    image \"a:1\"\n    port http 8080\n    label \"role\" \"leader\"\n    patch \"Service\" {\n        spec {\n            selector {\n                role \"replica\"\n            }\n        }\n    }\n}\n";
    let (_, findings) = maestroc::resolve::compile(spec);
    assert!(findings.iter().any(|f| f.code() == "MC014"), "{findings:?}");
    let ok = spec.replace("role \"replica\"", "role \"leader\"");
    let (compiled, findings) = maestroc::resolve::compile(&ok);
    assert!(compiled.is_some(), "{findings:?}");
}

/// A workload's own ServiceAccount with labels and an image pull secret: maestroc builds an
/// account under the same name, and import carries the rest as a `patch "ServiceAccount"`.
#[test]
fn the_workloads_own_service_account_keeps_what_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-accounts");
    import_and_build_from(&input, dir.path());
    let spec = std::fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    assert!(spec.contains("patch \"ServiceAccount\""), "{spec}");
    let r = lossless(&dir.path().join("output"), &input);
    assert_eq!(
        (r["lost"].as_u64(), r["changed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
}

/// A ServiceAccount patch needs an account of the service's own to patch.
#[test]
fn a_service_account_patch_needs_the_services_own_account() {
    let spec = "platform \"p\" {\n    namespace \"p\"\n}\nservice \"a\" {\n    image \"a:1\"\n    port http 8080\n    patch \"ServiceAccount\" {\n        imagePullSecrets {\n            - {\n                name \"regcred\"\n            }\n        }\n    }\n}\n";
    let (compiled, findings) = maestroc::resolve::compile(spec);
    assert!(compiled.is_some(), "{findings:?}");
    let files = maestroc::emit::emit(&compiled.unwrap()).unwrap();
    let file = files
        .iter()
        .find(|(k, _)| k.ends_with("-a.yaml"))
        .unwrap()
        .1;
    assert!(
        file.contains("imagePullSecrets:\n- name: regcred"),
        "{file}"
    );
    let existing = spec.replace(
        "    port http 8080\n",
        "    port http 8080\n    service-account \"shared\"\n",
    );
    let (_, findings) = maestroc::resolve::compile(&existing);
    assert!(findings.iter().any(|f| f.code() == "MC014"), "{findings:?}");
}

// The property (#21's invariant 2) on platforms nobody wrote by hand: generated valid
// Deployments and StatefulSets (sidecars, odd names, no declared port, probes of each kind,
// liveness apart from readiness, env from a ConfigMap key and whole, a memory limit alone,
// memory-backed emptyDirs, ConfigMap `items` and `subPath` mounts) with Services named like
// and unlike their workloads, second Services, ConfigMaps → import → build ⊇ input as data.

use proptest::prelude::*;
use serde_json::{Value, json};

/// One generated workload: a name and a set of shape flags.
#[derive(Debug, Clone)]
struct Shape {
    name: usize,
    flags: u32,
    probe: u8,
    service: u8,
}

const NAMES: &[&str] = &["api", "cart-svc", "web-frontend-v2", "x", "db0"];
const STATEFUL: u32 = 1;
const SIDECAR: u32 = 1 << 1;
const DECLARES_PORT: u32 = 1 << 2;
const PORT_NAMED: u32 = 1 << 3;
const LIVENESS_APART: u32 = 1 << 4;
const ENV_LITERAL: u32 = 1 << 5;
const ENV_KEY: u32 = 1 << 6;
const ENV_FROM: u32 = 1 << 7;
const LIMIT_ONLY: u32 = 1 << 8;
const MEMORY_VOLUME: u32 = 1 << 9;
const ITEMS: u32 = 1 << 10;
const SUB_PATH: u32 = 1 << 11;
const LABEL: u32 = 1 << 12;
const ANNOTATION: u32 = 1 << 13;
const TARGET_BY_NAME: u32 = 1 << 14;
const SECOND_SERVICE: u32 = 1 << 15;
const CONTAINER_NAMED_APART: u32 = 1 << 16;
const INIT_CONTAINER: u32 = 1 << 17;
const SECURITY: u32 = 1 << 18;
const SECOND_PORT: u32 = 1 << 19;
const CPU_LIMIT_ONLY: u32 = 1 << 20;
const ENV_OWN_PORT: u32 = 1 << 21;
/// A chart's Secret (labels, a hook annotation) reached only through a projected volume.
const PROJECTED_SECRET: u32 = 1 << 22;
/// A rolling update that names its parameters but not its type.
const STRATEGY_UNTYPED: u32 = 1 << 23;
/// The input's own NetworkPolicy, named like the workload (a chart's, open on its port).
const OWN_POLICY: u32 = 1 << 24;
/// A StatefulSet's own headless Service named as maestroc names its governing Service.
const HEADLESS: u32 = 1 << 25;

fn shape() -> impl Strategy<Value = Shape> {
    (0..NAMES.len(), 0u32..(1 << 26), 0u8..5, 0u8..3).prop_map(|(name, flags, probe, service)| {
        Shape {
            name,
            flags,
            probe,
            service,
        }
    })
}

/// The objects of workload `i` of a generated platform.
fn objects(i: usize, s: &Shape) -> Vec<Value> {
    let on = |f: u32| s.flags & f != 0;
    let name = format!("{}-{i}", NAMES[s.name]);
    let port = 8000 + 10 * i as i64;
    let selector = json!({"app": name});
    let mut pod_labels = selector.clone();
    if on(LABEL) {
        pod_labels["tier"] = json!("backend");
    }
    let config = format!("{name}-config");
    let mut c = json!({
        "name": if on(CONTAINER_NAMED_APART) { "main".to_string() } else { name.clone() },
        "image": format!("registry.example.com/{name}:1.0"),
    });
    let port_named = on(DECLARES_PORT) && on(PORT_NAMED);
    if on(DECLARES_PORT) {
        c["ports"] = if port_named {
            json!([{"name": "http", "containerPort": port}])
        } else {
            json!([{"containerPort": port}])
        };
        if on(SECOND_PORT) {
            c["ports"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "metrics", "containerPort": port + 1}));
        }
    }
    if on(SECURITY) {
        c["securityContext"] = json!({
            "runAsNonRoot": true,
            "runAsUser": 1000,
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        });
    }
    let handler = match s.probe {
        1 => Some(json!({"httpGet": {"path": "/healthz", "port": port}})),
        2 => Some(json!({"tcpSocket": {"port": port}})),
        3 => Some(json!({"exec": {"command": ["cat", "/tmp/ready"]}})),
        4 => Some(json!({"grpc": {"port": port}})),
        _ => None,
    };
    if let Some(h) = handler {
        let mut ready = h.clone();
        ready["periodSeconds"] = json!(5);
        c["readinessProbe"] = ready;
        if on(LIVENESS_APART) {
            let mut live = h;
            live["periodSeconds"] = json!(15);
            live["failureThreshold"] = json!(5);
            c["livenessProbe"] = live;
        }
    }
    let mut env = Vec::new();
    if on(ENV_LITERAL) {
        env.push(json!({"name": "LOG_LEVEL", "value": "debug"}));
    }
    if on(ENV_OWN_PORT) {
        env.push(json!({"name": "PORT", "value": port.to_string()}));
    }
    if on(ENV_KEY) {
        env.push(json!({"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": config, "key": "mode"}}}));
    }
    if !env.is_empty() {
        c["env"] = json!(env);
    }
    if on(ENV_FROM) {
        c["envFrom"] = json!([{"configMapRef": {"name": config}}]);
    }
    c["resources"] = if on(CPU_LIMIT_ONLY) {
        json!({"limits": {"cpu": "250m"}})
    } else if on(LIMIT_ONLY) {
        json!({"limits": {"memory": "64Mi"}})
    } else {
        json!({"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}})
    };
    let (mut volumes, mut mounts) = (Vec::new(), Vec::new());
    if on(MEMORY_VOLUME) {
        volumes.push(json!({"name": "cache", "emptyDir": {"medium": "Memory"}}));
        mounts.push(json!({"name": "cache", "mountPath": "/cache"}));
    }
    if on(ITEMS) || on(SUB_PATH) {
        let mut v = json!({"name": "conf", "configMap": {"name": config}});
        if on(ITEMS) {
            v["configMap"]["items"] = json!([{"key": "mode", "path": "mode.txt"}]);
        }
        volumes.push(v);
        mounts.push(if on(SUB_PATH) {
            json!({"name": "conf", "mountPath": "/etc/app/mode.txt", "subPath": "mode.txt"})
        } else {
            json!({"name": "conf", "mountPath": "/etc/app"})
        });
    }
    let tls = format!("{name}-tls");
    if on(PROJECTED_SECRET) {
        volumes.push(json!({"name": "certs", "projected": {"sources": [
            {"secret": {"name": tls, "items": [{"key": "tls.crt", "path": "tls.crt"}]}}
        ]}}));
        mounts.push(json!({"name": "certs", "mountPath": "/certs", "readOnly": true}));
    }
    if !mounts.is_empty() {
        c["volumeMounts"] = json!(mounts);
    }
    let mut containers = vec![c];
    if on(SIDECAR) {
        containers.push(json!({
            "name": "proxy",
            "image": "registry.example.com/proxy:2.1",
            "args": ["--listen", "9901"],
            "ports": [{"name": "admin", "containerPort": 9901}],
        }));
    }
    let mut pod = json!({"containers": containers});
    if on(INIT_CONTAINER) {
        pod["initContainers"] = json!([{
            "name": "migrate",
            "image": format!("registry.example.com/{name}-migrate:1.0"),
            "command": ["sh", "-c", "echo migrating ${DB_HOST}"],
            "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
        }]);
        volumes.push(json!({"name": "scratch", "emptyDir": {}}));
    }
    if !volumes.is_empty() {
        pod["volumes"] = json!(volumes);
    }
    let service_name = match s.service {
        1 => Some(name.clone()),
        2 => Some(format!("{name}-svc")),
        _ => None,
    };
    let kind = if on(STATEFUL) {
        "StatefulSet"
    } else {
        "Deployment"
    };
    let mut workload = json!({
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": pod_labels}, "spec": pod},
        },
    });
    if on(ANNOTATION) {
        workload["spec"]["template"]["metadata"]["annotations"] = json!({"team": "payments"});
    }
    if on(STRATEGY_UNTYPED) && !on(STATEFUL) {
        workload["spec"]["strategy"] = json!({"rollingUpdate": {"maxUnavailable": 0}});
    }
    if on(STATEFUL) {
        workload["spec"]["serviceName"] = json!(service_name.clone().unwrap_or(name.clone()));
    }
    let mut out = vec![workload];
    if on(ENV_KEY) || on(ENV_FROM) || on(ITEMS) || on(SUB_PATH) {
        out.push(json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": config, "namespace": "shop"},
            "data": {"mode": "fast", "LOG_FORMAT": "json"},
        }));
    }
    if on(OWN_POLICY) {
        out.push(json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "shop", "labels": {"helm.sh/chart": "shop-1.2.0"}},
            "spec": {
                "podSelector": {"matchLabels": selector},
                "policyTypes": ["Ingress", "Egress"],
                "egress": [{}],
                "ingress": [{"ports": [{"port": port}]}],
            },
        }));
    }
    if on(HEADLESS) && on(STATEFUL) && s.service == 1 {
        out.push(json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": format!("{name}-headless"), "namespace": "shop", "labels": {"helm.sh/chart": "shop-1.2.0"}},
            "spec": {"clusterIP": "None", "publishNotReadyAddresses": true, "selector": selector,
                "ports": [{"name": "peer", "port": port, "targetPort": port}]},
        }));
    }
    if on(PROJECTED_SECRET) {
        out.push(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": tls, "namespace": "shop",
                "labels": {"helm.sh/chart": "shop-1.2.0", "app.kubernetes.io/managed-by": "Helm"},
                "annotations": {"helm.sh/hook": "pre-install"}},
            "data": {"tls.crt": "Y2VydA=="},
        }));
    }
    if let Some(svc) = service_name {
        let target = if port_named && on(TARGET_BY_NAME) {
            json!("http")
        } else {
            json!(port)
        };
        out.push(json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": svc, "namespace": "shop"},
            "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": target}]},
        }));
        if on(SECOND_SERVICE) {
            out.push(json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": format!("{name}-external"), "namespace": "shop"},
                "spec": {"type": "LoadBalancer", "selector": selector, "ports": [{"name": "https", "port": 443, "targetPort": port}]},
            }));
        }
    }
    out
}

/// `docs` as one YAML stream of JSON documents (`in.yaml`) in a fresh directory, and the empty
/// `spec/` beside it that import writes into.
fn written(docs: &[Value]) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.yaml");
    let text: Vec<String> = docs
        .iter()
        .map(|d| serde_json::to_string_pretty(d).unwrap())
        .collect();
    std::fs::write(&input, text.join("\n---\n")).unwrap();
    let out = dir.path().join("spec");
    std::fs::create_dir(&out).unwrap();
    (dir, input, out)
}

proptest! {
    // Each case runs the binary twice and the Python comparison once (~0.5 s): 24 in the test
    // run; PROPTEST_CASES=500 to search further.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]
    #[test]
    fn generated_platforms_import_losslessly(shapes in prop::collection::vec(shape(), 1..=3)) {
        let docs: Vec<Value> = shapes
            .iter()
            .enumerate()
            .flat_map(|(i, s)| objects(i, s))
            .collect();
        let (_dir, input, out) = written(&docs);
        import_and_build_from(&input, &out);
        let r = lossless(&out.join("output"), &input);
        prop_assert_eq!(r["objects"].as_u64(), Some(docs.len() as u64), "{}", r);
        prop_assert_eq!(&r["missing"], &json!([]), "{}", r);
        prop_assert_eq!((r["lost"].as_u64(), r["changed"].as_u64()), (Some(0), Some(0)), "{}", r);
    }
}

/// A variable named for a port that holds the container's own port number becomes a reference
/// to the port's `service-ports` key: the port is said once, and the variable follows it.
#[test]
fn a_variable_holding_the_containers_own_port_refers_to_it() {
    let docs = [
        objects(
            0,
            &Shape {
                name: 0,
                flags: DECLARES_PORT | PORT_NAMED | ENV_OWN_PORT,
                probe: 0,
                service: 1,
            },
        ),
        objects(
            1,
            &Shape {
                name: 1,
                flags: DECLARES_PORT | PORT_NAMED | SECOND_PORT | ENV_OWN_PORT,
                probe: 0,
                service: 0,
            },
        ),
    ]
    .concat();
    let (_dir, input, out) = written(&docs);
    import_and_build_from(&input, &out);
    let spec = std::fs::read_to_string(out.join("platform.kdl")).unwrap();
    assert!(spec.contains("env \"PORT\" ref=\"API_0_PORT\""), "{spec}");
    // Two ports: the key names the port.
    assert!(
        spec.contains("env \"PORT\" ref=\"CART_SVC_1_HTTP_PORT\""),
        "{spec}"
    );
    let r = lossless(&out.join("output"), &input);
    assert_eq!(
        (r["lost"].as_u64(), r["changed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
}

/// A legacy ReplicationController and the Service selecting its pods (guestbook's shape) ride
/// along as `extra` with the platform's workload — carried whole, its pods judged like any
/// other — and the Service is no "selects no workload" drift.
#[test]
fn a_replication_controller_is_carried_as_it_is() {
    let mut docs = objects(
        0,
        &Shape {
            name: 0,
            flags: DECLARES_PORT | PORT_NAMED,
            probe: 0,
            service: 1,
        },
    );
    docs.push(json!({
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "guestbook", "namespace": "shop", "labels": {"app": "guestbook"}},
        "spec": {
            "replicas": 3,
            "selector": {"app": "guestbook"},
            "template": {
                "metadata": {"labels": {"app": "guestbook"}},
                "spec": {"containers": [{
                    "name": "guestbook",
                    "image": "registry.example.com/guestbook:v3",
                    "ports": [{"name": "http-server", "containerPort": 3000}],
                    "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "allowPrivilegeEscalation": false,
                        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
                }]},
            },
        },
    }));
    docs.push(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "guestbook", "namespace": "shop"},
        "spec": {"selector": {"app": "guestbook"}, "ports": [{"port": 3000, "targetPort": "http-server"}]},
    }));
    let (_dir, input, out) = written(&docs);
    let o = maestroc(
        &out,
        &["import", input.to_str().unwrap(), "--spec", "platform.kdl"],
    );
    let said = String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
    assert!(!said.contains("selects no workload"), "{said}");
    assert!(maestroc(&out, &["build"]).status.success());
    let r = lossless(&out.join("output"), &input);
    assert_eq!(r["missing"], json!([]), "{r}");
    assert_eq!(
        (r["lost"].as_u64(), r["changed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
}

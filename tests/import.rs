//! `maestroc import`: existing manifests in, the platform.kdl that rebuilds them out.
//! - round trip: maestroc's own output of the shop platform and of the bundled platform's
//!   minikube environment imports into a spec that builds it again byte for byte; `helm
//!   template` of the chart of five platforms (jobs and a cronjob, PVCs, NodePorts, Ingress
//!   with TLS, ServiceMonitors, HPAs, load balancers, ExternalSecrets, an external service)
//!   imports into a spec whose build is the same objects, compared as data by the real helm's
//!   output and tests/tools/same_objects.py; each imported spec is `fmt`-canonical;
//! - drift in the input is reported with its file and line, exit 1;
//! - a Secret's values never reach the spec or anything printed.

mod common;
use common::maestroc;

use std::fs;
use std::path::Path;

fn build_into(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("platform.kdl"), spec).unwrap();
    assert!(maestroc(dir.path(), &["build"]).status.success());
    dir
}

fn files(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        out.insert(
            e.file_name().to_string_lossy().to_string(),
            fs::read_to_string(e.path()).unwrap(),
        );
    }
    out
}

#[test]
fn the_shop_round_trips_byte_for_byte() {
    let original = build_into(include_str!("fixtures/shop/platform.kdl"));
    let re = tempfile::tempdir().unwrap();
    let o = maestroc(
        re.path(),
        &[
            "import",
            original.path().join("output/k8s/base").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let spec = fs::read_to_string(re.path().join("platform.kdl")).unwrap();
    // The written spec is canonical, builds clean and gives the same objects.
    assert!(maestroc(re.path(), &["fmt", "--check"]).status.success());
    assert!(maestroc(re.path(), &["build"]).status.success(), "{spec}");
    let (a, b) = (
        files(&original.path().join("output/k8s/base")),
        files(&re.path().join("output/k8s/base")),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, text) in &a {
        assert!(text == &b[name], "{name} differs after the round trip");
    }
    let spec: String = spec
        .lines()
        .filter(|l| !l.trim_start().starts_with("// from "))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("shop-imported-spec", spec);
}

#[test]
fn the_bundled_platform_comes_back_equal() {
    let original = build_into(include_str!("../platform.kdl"));
    let re = tempfile::tempdir().unwrap();
    let o = maestroc(
        re.path(),
        &[
            "import",
            "--env",
            "minikube",
            original
                .path()
                .join("output/k8s/minikube")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // What every workload shares (pull policy, storage class) came back as the environment.
    let spec = std::fs::read_to_string(re.path().join("platform.kdl")).unwrap();
    assert!(
        spec.contains("environment \"minikube\" {")
            && spec.contains("storage-class \"standard\"")
            && spec.contains("image-pull-policy \"IfNotPresent\""),
        "{spec}"
    );
    assert!(maestroc(re.path(), &["build"]).status.success());
    let a = files(&original.path().join("output/k8s/minikube"));
    let b = files(&re.path().join("output/k8s/minikube"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, text) in &a {
        assert_eq!(text, &b[name], "{name}");
    }
}

#[test]
fn drift_in_the_input_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-drift");
    let o = maestroc(dir.path(), &["import", input.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    for (what, at) in [
        ("Service `orphan` selects no workload", "02-db.yaml:38"),
        (
            "Service `api` targets port 8081, which `api` does not declare",
            "01-app.yaml:33",
        ),
        (
            "sets DB_ADDR to db:5433, but `db` exposes [5432]",
            "01-app.yaml:1",
        ),
        (
            "NodePort 30080 is used by `api` and `orphan`",
            "02-db.yaml:38",
        ),
        (
            "`POSTGRES_PASSWORD` is set to the well-known default `password`",
            "02-db.yaml:24",
        ),
    ] {
        assert!(err.contains(what), "missing {what:?} in\n{err}");
        assert!(err.contains(at), "missing {at} in\n{err}");
    }
    // The spec is still written, with what could be said.
    let spec = fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    assert!(spec.contains("selector \"app\" \"api\""));
    assert!(spec.contains("container-name \"server\""));
    assert!(spec.contains("secret \"db-auth\""));
    assert!(spec.contains("key \"password\""));
    // A Secret's value is never copied, decoded or printed.
    for text in [&spec, &err, &String::from_utf8_lossy(&o.stdout).to_string()] {
        assert!(!text.contains("c3VwZXItc2VjcmV0LXZhbHVl"));
        assert!(!text.contains("super-secret-value"));
    }
    // And it refuses to overwrite without --force.
    let again = maestroc(dir.path(), &["import", input.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
}

/// `helm template` of a platform's chart for `env` → `import --env` → `build`: the same objects
/// as the original build of that environment.
fn helm_round_trip(spec: &str, env: &str) -> String {
    let original = build_into(spec);
    let chart = fs::read_dir(original.path().join("output/helm"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let rendered = std::process::Command::new("helm")
        .arg("template")
        .arg("rt")
        .arg(&chart)
        .arg("-f")
        .arg(chart.join(format!("values-{env}.yaml")))
        .output()
        .expect("helm: run the tests with `bash scripts/test`");
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let input = original.path().join("rendered.yaml");
    fs::write(&input, &rendered.stdout).unwrap();
    let re = tempfile::tempdir().unwrap();
    let o = maestroc(
        re.path(),
        &["import", "--env", env, input.to_str().unwrap()],
    );
    assert!(
        o.status.success(),
        "{env}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = maestroc(re.path(), &["fmt", "--check"]);
    assert!(
        o.status.success(),
        "{env}: the imported spec is not canonical"
    );
    let o = maestroc(re.path(), &["build"]);
    assert!(
        o.status.success(),
        "{env}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rebuilt: String = files(&re.path().join(format!("output/k8s/{env}")))
        .into_values()
        .collect::<Vec<_>>()
        .join("\n---\n");
    let rebuilt_path = re.path().join("rebuilt.yaml");
    fs::write(&rebuilt_path, rebuilt).unwrap();
    let compare = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/same_objects.py");
    let o = std::process::Command::new("python3")
        .arg(compare)
        .arg(original.path().join(format!("output/k8s/{env}")))
        .arg(&rebuilt_path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{env}: the rebuilt objects differ:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    fs::read_to_string(re.path().join("platform.kdl")).unwrap()
}

#[test]
fn helm_template_output_round_trips_as_data() {
    for (spec, env) in [
        (include_str!("../platform.kdl"), "production"),
        (include_str!("fixtures/fleet/platform.kdl"), "prod"),
        (include_str!("fixtures/operations/platform.kdl"), "prod"),
        (include_str!("fixtures/operations/platform.kdl"), "edge"),
        (include_str!("fixtures/forecasting/platform.kdl"), "dev"),
    ] {
        helm_round_trip(spec, env);
    }
    // The forecasting one, pinned: jobs, a cronjob, claims, a NodePort, its environment.
    let spec = helm_round_trip(include_str!("fixtures/forecasting/platform.kdl"), "prod");
    let spec: String = spec
        .lines()
        .filter(|l| !l.trim_start().starts_with("// from "))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("forecasting-imported-from-helm", spec);
}

/// A probe on a port the container does not name is drift in the input: reported with the
/// file and line, and the spec still probes the container's only port.
#[test]
fn a_probe_on_an_undeclared_port_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("in.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cache\nspec:\n  selector:\n    matchLabels: {app: cache}\n  template:\n    metadata:\n      labels: {app: cache}\n    spec:\n      containers:\n      - name: redis\n        image: redis:7.4.1\n        ports:\n        - containerPort: 6379\n        readinessProbe:\n          tcpSocket:\n            port: tcp-redis\n",
    )
    .unwrap();
    let o = maestroc(dir.path(), &["import", "in.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("`cache` probes port `tcp-redis`, which its container does not declare")
            && err.contains("in.yaml:1"),
        "{err}"
    );
    let spec = fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    assert!(spec.contains("health tcp=p6379"), "{spec}");
}

/// `kubectl kustomize` of a base over maestroc's numbered output (the shape of a team's
/// `deploy/k8s/` with a kustomization) imports, and the rebuild is the same objects.
#[test]
fn kustomize_output_round_trips_as_data() {
    let original = build_into(include_str!("fixtures/fleet/platform.kdl"));
    let base = original.path().join("output/k8s/prod");
    let mut resources: Vec<String> = files(&base).into_keys().collect();
    resources.sort();
    let kustomization = format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{}",
        resources
            .iter()
            .map(|r| format!("- {r}\n"))
            .collect::<String>()
    );
    fs::write(base.join("kustomization.yaml"), kustomization).unwrap();
    let rendered = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(&base)
        .output()
        .expect("kubectl: run the tests with `bash scripts/test`");
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    fs::remove_file(base.join("kustomization.yaml")).unwrap();
    let re = tempfile::tempdir().unwrap();
    let input = re.path().join("kustomized.yaml");
    fs::write(&input, &rendered.stdout).unwrap();
    let o = maestroc(re.path(), &["import", "--env", "prod", "kustomized.yaml"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(maestroc(re.path(), &["build"]).status.success());
    let o = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/tools/same_objects.py"
        ))
        .arg(re.path().join("output/k8s/prod"))
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "the rebuilt objects differ:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Found by the `import` fuzz target: an env `configMapKeyRef` or `secretKeyRef` without
/// `name` or `key` panicked (a serde_json Map indexed by a missing key). Now it imports.
#[test]
fn regression_a_key_ref_without_its_name_does_not_panic() {
    import_one(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: registry.local/web:1.0.0\n        env:\n        - name: A\n          valueFrom:\n            configMapKeyRef: {key: A}\n        - name: B\n          valueFrom:\n            secretKeyRef: {}\n",
    );
}

/// Found by the `import` fuzz target (session 4): a service-ports value that is no port number
/// (`"543-----2"`) was written into the spec as is, which does not parse. Now such a key is
/// skipped and the written spec parses.
#[test]
fn regression_a_service_ports_value_that_is_no_number_is_not_written() {
    let spec = import_one(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: service-ports\ndata:\n  DB_ADDRESS: postgres://db.data.svc.cluster.local:5432\n  DB_PORT: \"543----2\"\n  DB_ADMIN_PORT: \"8080\"\n  \"DB_X Y_PORT\": \"9000\"\n",
    );
    assert!(spec.parse::<kdl::KdlDocument>().is_ok(), "{spec}");
    assert!(spec.contains("port admin 8080"), "{spec}");
    assert!(!spec.contains("543"), "{spec}");
}

/// Imports `yaml` (one file) in a scratch directory: the exit must be 0 or 1 (drift found),
/// never a crash; returns the written spec.
fn import_one(yaml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("in.yaml"), yaml).unwrap();
    let o = maestroc(dir.path(), &["import", "in.yaml"]);
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    fs::read_to_string(dir.path().join("platform.kdl")).expect("import wrote platform.kdl")
}

/// Found by the `import` fuzz target (session 4, after 33 minutes): a dependency whose name is
/// no plain identifier (`cartservi;;;ce`, from a service-ports key) was written bare after
/// `depends-on`, which does not parse. Names are now written bare only when they are plain.
#[test]
fn regression_a_dependency_name_that_is_no_identifier_is_quoted() {
    let spec = import_one(include_str!(
        "fuzz-corpus/import/crash-dependency-name-not-an-identifier"
    ));
    assert!(spec.parse::<kdl::KdlDocument>().is_ok(), "{spec}");
    assert!(spec.contains("depends-on \"cartservi;;;ce\""), "{spec}");
}

/// Found by the `import` fuzz target (session 4): a key of a pod field carried into a `patch`
/// that is a KDL keyword (`inf`) was written as a bare node name, which does not parse. Such
/// keys are now quoted.
#[test]
fn regression_a_patch_key_that_is_a_keyword_is_quoted() {
    let spec = import_one(include_str!(
        "fuzz-corpus/import/crash-patch-key-is-a-keyword"
    ));
    assert!(spec.parse::<kdl::KdlDocument>().is_ok(), "{spec}");
    assert!(spec.contains("\"inf\" {"), "{spec}");
}

/// A credential in a ConfigMap a container reads whole (`envFrom`) is not carried into the
/// spec's files (`imported/…` loses the key), yet the container still gets it: from the
/// workload's imported secret, whose value goes to `imported.secrets`. What runs is unchanged
/// and no credential is written into the spec or its extras.
#[test]
fn a_credential_in_an_env_from_config_map_moves_to_the_imported_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.yaml"),
        "apiVersion: v1
kind: ConfigMap
metadata: {name: db-config}
data:
  DB_HOST: db
  DB_PASSWORD: Hunter2xyz
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.0
          ports: [{containerPort: 8080}]
          envFrom: [{configMapRef: {name: db-config}}]
",
    )
    .unwrap();
    let o = common::maestroc(dir.path(), &["import", "in.yaml"]);
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let spec = std::fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    assert!(
        spec.contains("env \"DB_PASSWORD\" secret=\"api-env\" key=\"DB_PASSWORD\""),
        "{spec}"
    );
    let secrets = std::fs::read_to_string(dir.path().join("imported.secrets")).unwrap();
    assert!(
        secrets.contains("api-env.DB_PASSWORD=Hunter2xyz"),
        "{secrets}"
    );
    for f in common::files_under(dir.path()) {
        if f.ends_with(".kdl") || f.starts_with("imported/") {
            let text = std::fs::read_to_string(dir.path().join(&f)).unwrap();
            assert!(
                !text.contains("Hunter2xyz"),
                "{f} carries the credential:\n{text}"
            );
        }
    }
    let extra = std::fs::read_to_string(dir.path().join("imported/api.yaml")).unwrap();
    assert!(extra.contains("DB_HOST"), "{extra}");
    let b = common::maestroc(dir.path(), &["build"]);
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
}

/// A directory read with its `kustomization.yaml` (kubectl's configuration, no object of the
/// cluster) counts what the cluster would hold: the summary neither reads nor carries it, as
/// the ecosystem check's comparison does not (online-boutique's manifests).
#[test]
fn a_kustomization_beside_the_manifests_is_not_counted_as_an_object() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("manifests");
    fs::create_dir(&m).unwrap();
    fs::write(
        m.join("app.yaml"),
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: app, image: 'registry.example.com/app:1.0', ports: [{containerPort: 8080}]}
",
    )
    .unwrap();
    fs::write(
        m.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [app.yaml]\n",
    )
    .unwrap();
    let o = maestroc(dir.path(), &["import", "manifests"]);
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains("1 objects, 8 fields read: 8 said natively, 0 in patches, 0 in extra files, 0 not carried"),
        "{summary}"
    );
}

/// A `helm test` hook is no part of what `helm install` creates: import says so at the object
/// (not at the `# Source:` comment helm writes above it) and does not carry it, so the first
/// apply of the spec does not start a test pod.
#[test]
fn a_helm_test_hook_is_said_and_not_carried() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("in.yaml"),
        "---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: app, image: 'registry.example.com/app:1.0', ports: [{containerPort: 8080}]}
---
# Source: app/templates/tests/test-connection.yaml
apiVersion: v1
kind: Pod
metadata:
  name: app-test-connection
  namespace: app
  labels: {app: app}
  annotations: {helm.sh/hook: test}
spec:
  restartPolicy: Never
  containers:
  - {name: wget, image: 'busybox:1.36', command: [wget, 'app:8080']}
",
    )
    .unwrap();
    let o = maestroc(dir.path(), &["import", "in.yaml"]);
    let human = String::from_utf8_lossy(&o.stderr);
    assert!(human.contains("is a `helm test` hook"), "{human}");
    // The summary counts it: the Deployment's 9 fields said natively, the Pod's 11 not carried.
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains("2 objects, 20 fields read: 9 said natively, 0 in patches, 0 in extra files, 11 not carried"),
        "{summary}"
    );
    // At the object's first line, 15, not at the comment above it.
    assert!(human.contains("in.yaml:15:1"), "{human}");
    let spec = fs::read_to_string(dir.path().join("platform.kdl")).unwrap();
    let carried: String = std::fs::read_dir(dir.path().join("imported"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(!spec.contains("app-test-connection") && !carried.contains("app-test-connection"));
}

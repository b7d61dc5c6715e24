//! Exposure and operations, judged from the emitted objects: how each environment publishes
//! its ports (NodePort, Ingress with TLS, LoadBalancer), who the NetworkPolicies admit for
//! them, autoscalers without a fighting replica count, disruption budgets, and ServiceMonitors
//! validated against the prometheus-operator CRD's constraints (schemas/).

mod common;

use serde_json::Value;

fn docs(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(str::trim)
        .filter(|d| d.lines().any(|l| !l.starts_with('#') && !l.is_empty()))
        .map(|d| serde_saphyr::from_str::<Value>(d).unwrap_or_else(|e| panic!("{e}: {d}")))
        .collect()
}

fn objects(spec: &str, env: &str) -> Vec<Value> {
    let (compiled, findings) = maestroc::resolve::compile(spec);
    let compiled = compiled.unwrap_or_else(|| panic!("{findings:#?}"));
    let files = maestroc::emit::emit(&compiled).unwrap();
    let prefix = format!("k8s/{env}/");
    files
        .iter()
        .filter(|(p, _)| p.starts_with(&prefix))
        .flat_map(|(_, t)| docs(t))
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

const BUNDLED: &str = include_str!("../platform.kdl");
const OPS: &str = include_str!("fixtures/operations/platform.kdl");
const UIS: &[&str] = &[
    "mlflow",
    "airflow-webserver",
    "grafana",
    "prometheus",
    "minio",
    "registry",
    "registry-ui",
];

#[test]
fn production_publishes_the_uis_through_tls_ingress_and_minikube_through_node_ports() {
    let prod = objects(BUNDLED, "production");
    for ui in UIS {
        let ing = find(&prod, "Ingress", ui).unwrap_or_else(|| panic!("no Ingress for {ui}"));
        let host = ing["spec"]["rules"][0]["host"].as_str().unwrap();
        assert!(host.ends_with(".maestro-ml.example.com"), "{host}");
        assert_eq!(ing["spec"]["ingressClassName"], "nginx");
        assert_eq!(ing["spec"]["tls"][0]["hosts"][0], host);
        assert_eq!(ing["spec"]["tls"][0]["secretName"], "maestro-ml-tls");
        // The route's backend is a port the Service has.
        let backend = &ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
        let svc = find(&prod, "Service", ui).unwrap();
        assert!(
            svc["spec"]["ports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == backend["port"]["name"]),
            "{ui}"
        );
    }
    assert_eq!(
        find(&prod, "Ingress", "airflow-webserver").unwrap()["spec"]["rules"][0]["host"],
        "airflow.maestro-ml.example.com",
        "an explicit host= wins over the derived one"
    );
    // No NodePort is published in production: every Service is ClusterIP.
    for s in prod.iter().filter(|o| o["kind"] == "Service") {
        assert_eq!(s["spec"]["type"], "ClusterIP", "{}", s["metadata"]["name"]);
        assert!(!s.to_string().contains("nodePort"), "{s}");
    }
    let mini = objects(BUNDLED, "minikube");
    assert!(mini.iter().all(|o| o["kind"] != "Ingress"));
    for ui in UIS {
        let svc = find(&mini, "Service", ui).unwrap();
        assert_eq!(svc["spec"]["type"], "NodePort", "{ui}");
    }
}

#[test]
fn routed_ports_admit_the_ingress_controller_and_nothing_wider() {
    let prod = objects(BUNDLED, "production");
    let np = find(&prod, "NetworkPolicy", "mlflow").unwrap();
    let rules = np["spec"]["ingress"].as_array().unwrap();
    assert!(rules.iter().any(|r| {
        r["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            == "ingress-nginx"
            && r["from"][0].get("podSelector").is_none()
            && r["ports"][0]["port"] == 5000
    }));
    // No rule without `from` (open to anyone) survives where the port is not a NodePort.
    assert!(rules.iter().all(|r| r.get("from").is_some()), "{np}");
    // In minikube the NodePort admits the nodes' network (`node-cidr`), never every pod.
    let mini = objects(BUNDLED, "minikube");
    let np = find(&mini, "NetworkPolicy", "mlflow").unwrap();
    let rules = np["spec"]["ingress"].as_array().unwrap();
    assert!(rules.iter().all(|r| r.get("from").is_some()), "{np}");
    assert!(
        rules
            .iter()
            .any(|r| r["from"][0]["ipBlock"]["cidr"] == "192.168.49.0/24"
                && r["ports"][0]["port"] == 5000),
        "{np}"
    );
}

#[test]
fn autoscaled_workloads_carry_no_replica_count_and_get_a_disruption_budget() {
    let prod = objects(BUNDLED, "production");
    let feast = find(&prod, "Deployment", "feast").unwrap();
    assert!(feast["spec"].get("replicas").is_none(), "{feast}");
    let hpa = find(&prod, "HorizontalPodAutoscaler", "feast").unwrap();
    assert_eq!(hpa["spec"]["minReplicas"], 2);
    assert_eq!(hpa["spec"]["maxReplicas"], 6);
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "feast");
    assert_eq!(
        hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        70
    );
    // replicas > 1 or an autoscaler whose ceiling is: a PDB; one replica: none.
    for name in ["feast", "mlflow", "airflow-webserver"] {
        let pdb = find(&prod, "PodDisruptionBudget", name).unwrap();
        assert_eq!(pdb["spec"]["maxUnavailable"], 1);
        let workload = find(&prod, "Deployment", name).unwrap();
        assert_eq!(
            pdb["spec"]["selector"], workload["spec"]["selector"],
            "{name}"
        );
    }
    assert!(find(&prod, "PodDisruptionBudget", "grafana").is_none());
    assert!(
        find(
            &objects(BUNDLED, "minikube"),
            "HorizontalPodAutoscaler",
            "feast"
        )
        .is_none()
    );

    // The fixture: the environment's bounds replace the service's; cpu and memory targets.
    let dev = objects(OPS, "dev");
    let hpa = find(&dev, "HorizontalPodAutoscaler", "orchestrator").unwrap();
    assert_eq!(
        (
            hpa["spec"]["minReplicas"].clone(),
            hpa["spec"]["maxReplicas"].clone()
        ),
        (1.into(), 2.into())
    );
    let prod = objects(OPS, "prod");
    let hpa = find(&prod, "HorizontalPodAutoscaler", "orchestrator").unwrap();
    let names: Vec<&Value> = hpa["spec"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["resource"]["name"])
        .collect();
    assert_eq!(names, ["cpu", "memory"]);
}

#[test]
fn load_balancer_exposure_publishes_without_fixed_node_ports() {
    let edge = objects(OPS, "edge");
    for name in ["orchestrator", "dashboard"] {
        let svc = find(&edge, "Service", name).unwrap();
        assert_eq!(svc["spec"]["type"], "LoadBalancer", "{name}");
        assert!(!svc.to_string().contains("nodePort"), "{svc}");
    }
    assert!(edge.iter().all(|o| o["kind"] != "Ingress"));
    assert_eq!(
        find(&edge, "Service", "nats").unwrap()["spec"]["type"],
        "ClusterIP"
    );
}

#[test]
fn two_routes_on_one_host_split_by_path() {
    let prod = objects(OPS, "prod");
    let api = find(&prod, "Ingress", "orchestrator").unwrap();
    let ui = find(&prod, "Ingress", "dashboard").unwrap();
    assert_eq!(
        api["spec"]["rules"][0]["host"],
        ui["spec"]["rules"][0]["host"]
    );
    assert_eq!(api["spec"]["rules"][0]["http"]["paths"][0]["path"], "/api");
    assert_eq!(ui["spec"]["rules"][0]["http"]["paths"][0]["path"], "/");
}

#[test]
fn metrics_ports_admit_the_scraper() {
    // Operator mode: the scraper's namespace.
    let prod = objects(OPS, "prod");
    let np = find(&prod, "NetworkPolicy", "nats").unwrap();
    assert!(np["spec"]["ingress"].as_array().unwrap().iter().any(|r| {
        r["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            == "observability"
            && r["ports"].as_array().unwrap().len() == 1
            && r["ports"][0]["port"] == 8222
    }));
    // Annotation mode: the prometheus.io/* annotations on the pod, and no ServiceMonitor.
    let mini = objects(BUNDLED, "minikube");
    let grafana = find(&mini, "Deployment", "grafana").unwrap();
    let a = &grafana["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(a["prometheus.io/scrape"], "true");
    assert_eq!(a["prometheus.io/port"], "3000");
    assert_eq!(a["prometheus.io/path"], "/metrics");
    assert!(mini.iter().all(|o| o["kind"] != "ServiceMonitor"));
}

/// A ServiceMonitor selects the client-facing Service only: a StatefulSet's governing Service
/// carries the same labels plus one the monitor excludes, so no pod is scraped twice.
#[test]
fn service_monitors_select_one_service_each() {
    let prod = objects(OPS, "prod");
    for sm in prod.iter().filter(|o| o["kind"] == "ServiceMonitor") {
        let sel = &sm["spec"]["selector"];
        let selected: Vec<&Value> = prod
            .iter()
            .filter(|o| o["kind"] == "Service")
            .filter(|s| {
                let labels = &s["metadata"]["labels"];
                let by_labels = sel["matchLabels"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, v)| &labels[k] == v);
                let by_expr = sel["matchExpressions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .all(|e| {
                        e["operator"] != "DoesNotExist"
                            || labels.get(e["key"].as_str().unwrap()).is_none()
                    });
                by_labels && by_expr
            })
            .collect();
        assert_eq!(selected.len(), 1, "{sm}");
        assert_eq!(selected[0]["metadata"]["name"], sm["metadata"]["name"]);
    }
}

/// Every ServiceMonitor validates against schemas/servicemonitor.v1.schema.json (Python's
/// jsonschema); a broken one is refused, so the check can fail.
#[test]
fn service_monitors_validate_against_the_crd_schema() {
    let prod = objects(OPS, "prod");
    let monitors: Vec<&Value> = prod
        .iter()
        .filter(|o| o["kind"] == "ServiceMonitor")
        .collect();
    assert_eq!(monitors.len(), 2, "nats and orchestrator");
    let check = |docs: &[&Value]| {
        common::validate_with_schema("schemas/servicemonitor.v1.schema.json", docs)
    };
    let ok = check(&monitors);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let mut broken = monitors[0].clone();
    broken["spec"]["endpoints"][0]["interval"] = Value::from("30 seconds");
    let bad = check(&[&broken]);
    assert!(!bad.status.success(), "a wrong interval must be refused");
}

#[test]
fn ports_md_lists_each_environments_external_urls() {
    let (compiled, _) = maestroc::resolve::compile(BUNDLED);
    let files = maestroc::emit::emit(&compiled.unwrap()).unwrap();
    let ports = &files["docs/PORTS.md"];
    assert!(ports.contains(
        "| mlflow | http | `http://<node-ip>:30500` (NodePort) | `https://mlflow.maestro-ml.example.com/` |"
    ), "{ports}");
    assert!(ports.contains("| feast | grpc | `<node-ip>:30501` (NodePort) | — |"));
}

/// An ingress route or a metrics line on a port the service does not have, and a
/// `prometheus service=` that names no service, are MC007 at the property that names it.
#[test]
fn routes_and_metrics_on_unknown_ports_are_unknown_references() {
    let spec = "platform \"p\" {\n    namespace \"p\"\n    prometheus \"annotations\" service=\"promethus\"\n}\nservice \"web\" {\n    image \"registry.local/web:1.0.0\"\n    port http 8080\n    ingress port=htp host=\"web.example.com\"\n    metrics port=metrics\n}\n";
    let (compiled, findings) = maestroc::resolve::compile(spec);
    assert!(compiled.is_none());
    let unknown: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f.code() == "MC007")
        .map(|f| {
            let l = &f.labels[0];
            (
                f.message.as_str(),
                &spec[l.span.offset()..l.span.offset() + l.span.len()],
            )
        })
        .collect();
    assert_eq!(
        unknown,
        [
            ("unknown port of `web`: `htp`", "port=htp"),
            ("unknown port of `web`: `metrics`", "port=metrics"),
            ("unknown service: `promethus`", "service=\"promethus\""),
        ],
        "{findings:#?}"
    );
}

//! Secure by default, judged from the emitted objects alone:
//! - every pod is checked against the Pod Security Standards control by control (the published
//!   baseline and restricted lists), and each owned Namespace enforces exactly the lowest level
//!   its pods meet;
//! - the (from-service, to-service, port) triples the NetworkPolicies admit between pods equal
//!   the dependency graph's.

mod common;

use common::pss;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

fn docs(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(str::trim)
        .filter(|d| d.lines().any(|l| !l.starts_with('#') && !l.is_empty()))
        .map(|d| serde_saphyr::from_str::<Value>(d).unwrap_or_else(|e| panic!("{e}: {d}")))
        .collect()
}

fn objects(spec: &str, env: &str) -> (maestroc::resolve::Compiled, Vec<Value>) {
    let (compiled, findings) = maestroc::resolve::compile(spec);
    let compiled = compiled.unwrap_or_else(|| panic!("{findings:#?}"));
    let files = maestroc::emit::emit(&compiled).unwrap();
    let prefix = format!("k8s/{env}/");
    let objects = files
        .iter()
        .filter(|(p, _)| p.starts_with(&prefix))
        .flat_map(|(_, t)| docs(t))
        .collect();
    (compiled, objects)
}

/// Every pod meets the level its spec claims (restricted unless an `allow` lowers it), and
/// every owned Namespace enforces the lowest level of its pods.
fn check_pod_security(spec: &str, env: &str) {
    let (compiled, objects) = objects(spec, env);
    let p = &compiled.platform;
    let mut lowest: BTreeMap<String, &str> = BTreeMap::new();
    for o in &objects {
        let Some((meta, pod)) = pss::pod_of(o) else {
            continue;
        };
        let name = o["metadata"]["name"].as_str().unwrap();
        let ns = o["metadata"]["namespace"].as_str().unwrap().to_string();
        let svc = p.services.iter().find(|s| s.name.value == name).unwrap();
        let (level, failed) = pss::level(meta, pod);
        assert_eq!(
            level,
            svc.pod_security_level(p).as_str(),
            "{name}: fails {failed:?}"
        );
        if svc.allows.is_empty()
            && svc
                .identity
                .run_as_user
                .as_ref()
                .is_none_or(|u| u.value != 0)
        {
            assert_eq!(
                level, "restricted",
                "{name} says nothing and fails {failed:?}"
            );
        }
        let slot = lowest.entry(ns).or_insert(level);
        if pss::rank(level) < pss::rank(slot) {
            *slot = level;
        }
    }
    assert!(!lowest.is_empty());
    for o in objects.iter().filter(|o| o["kind"] == "Namespace") {
        let ns = o["metadata"]["name"].as_str().unwrap();
        let labels = &o["metadata"]["labels"];
        assert_eq!(
            labels["pod-security.kubernetes.io/enforce"].as_str(),
            lowest.get(ns).copied(),
            "namespace {ns}"
        );
    }
}

#[test]
fn bundled_pods_meet_pod_security_restricted() {
    check_pod_security(include_str!("../platform.kdl"), "production");
}

#[test]
fn fleet_pods_meet_pod_security_restricted() {
    check_pod_security(include_str!("fixtures/fleet/platform.kdl"), "prod");
}

#[test]
fn shop_and_widened_pods_meet_their_levels() {
    check_pod_security(include_str!("fixtures/shop/platform.kdl"), "base");
    check_pod_security(include_str!("fixtures/clean/near-misses.kdl"), "dev");
}

#[test]
fn privileges_lower_the_level_and_the_namespace_label() {
    let spec = r#"platform "logs" { namespace "logs" }
service "promtail" {
    image "grafana/promtail:3.2.0"
    port http 9080
    health http="/ready" port=http
    volume pods "/var/log/pods" host-path="/var/log/pods" read-only=#true
    allow "host-path" reason="reads every pod's log files"
}
service "db" {
    namespace "data"
    image "postgres:16.4"
    port pg 5432
    health tcp=pg
    allow "root" reason="initialises its data dir as root"
}
service "api" {
    namespace "data"
    image "registry.local/api:1.0.0"
    port http 8080
    health http="/" port=http
}
"#;
    check_pod_security(spec, "base");
    let (_, objects) = objects(spec, "base");
    let level = |ns: &str| {
        objects
            .iter()
            .find(|o| o["kind"] == "Namespace" && o["metadata"]["name"] == ns)
            .map(|o| o["metadata"]["labels"]["pod-security.kubernetes.io/enforce"].clone())
    };
    assert_eq!(level("logs"), Some(Value::from("privileged")));
    assert_eq!(level("data"), Some(Value::from("baseline")));
}

#[test]
fn no_namespace_object_for_default_or_existing_ones() {
    let spec = r#"platform "p" { namespace "default"; existing-namespaces "team-a" }
service "a" { image "registry.local/a:1.0.0"; port http 8080; health http="/" port=http }
service "b" { namespace "team-a"; image "registry.local/b:1.0.0"; port http 8080; health http="/" port=http }
service "c" { namespace "ours"; image "registry.local/c:1.0.0"; port http 8080; health http="/" port=http }
"#;
    let (_, objects) = objects(spec, "base");
    let namespaces: Vec<&str> = objects
        .iter()
        .filter(|o| o["kind"] == "Namespace")
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    assert_eq!(namespaces, vec!["ours"]);
    // The ConfigMaps still go to every namespace that runs a workload.
    let config_namespaces: BTreeSet<&str> = objects
        .iter()
        .filter(|o| o["kind"] == "ConfigMap")
        .filter_map(|o| o["metadata"]["namespace"].as_str())
        .collect();
    assert_eq!(
        config_namespaces,
        BTreeSet::from(["default", "ours", "team-a"])
    );
}

/// (from, to, port) a pod may send to under `egress "restricted"`, derived from the egress
/// rules and the pods' labels alone; DNS reported as ("…", "dns", 53).
fn egress_allowed(objects: &[Value]) -> BTreeSet<(String, String, i64)> {
    let pods: Vec<(String, String, Value)> = objects
        .iter()
        .filter(|o| pss::pod_of(o).is_some())
        .map(|o| {
            (
                o["metadata"]["name"].as_str().unwrap().to_string(),
                o["metadata"]["namespace"].as_str().unwrap().to_string(),
                o["spec"]["template"]["metadata"]["labels"].clone(),
            )
        })
        .collect();
    let selects = |sel: &Value, labels: &Value| {
        sel["matchLabels"]
            .as_object()
            .is_some_and(|m| m.iter().all(|(k, v)| &labels[k] == v))
    };
    let mut out = BTreeSet::new();
    for np in objects.iter().filter(|o| o["kind"] == "NetworkPolicy") {
        let ns = np["metadata"]["namespace"].as_str().unwrap();
        for (from, _, _) in pods
            .iter()
            .filter(|(_, pns, l)| pns == ns && selects(&np["spec"]["podSelector"], l))
        {
            for rule in np["spec"]["egress"].as_array().into_iter().flatten() {
                let ports: Vec<i64> = rule["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["port"].as_i64())
                    .collect();
                for peer in rule["to"].as_array().into_iter().flatten() {
                    if peer["podSelector"]["matchLabels"]["k8s-app"] == "kube-dns" {
                        out.insert((from.clone(), "dns".to_string(), 53));
                        continue;
                    }
                    for (to, tns, labels) in &pods {
                        if peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                            == tns.as_str()
                            && selects(&peer["podSelector"], labels)
                        {
                            for port in &ports {
                                out.insert((from.clone(), to.clone(), *port));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn restricted_egress_allows_exactly_dns_and_the_dependencies() {
    let spec = include_str!("fixtures/shop/platform.kdl");
    let (compiled, objects) = objects(spec, "base");
    let p = &compiled.platform;
    let mut expected = BTreeSet::new();
    for svc in &p.services {
        expected.insert((svc.name.value.clone(), "dns".to_string(), 53));
        for dep in &svc.depends_on {
            let d = p
                .services
                .iter()
                .find(|x| x.name.value == dep.value)
                .unwrap();
            for port in &d.ports {
                expected.insert((
                    svc.name.value.clone(),
                    d.name.value.clone(),
                    i64::from(port.number.value.get()),
                ));
            }
        }
    }
    assert_eq!(egress_allowed(&objects), expected);
    // And the namespace denies both directions by default.
    let deny = objects
        .iter()
        .find(|o| o["kind"] == "NetworkPolicy" && o["metadata"]["name"] == "default-deny")
        .expect("a default-deny policy");
    assert_eq!(
        deny["spec"]["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    assert_eq!(deny["spec"]["podSelector"], serde_json::json!({}));
}

/// (from, to, port) admitted between the platform's pods by the NetworkPolicies, derived from
/// the policies and the pods' labels alone.
fn admitted(objects: &[Value]) -> BTreeSet<(String, String, i64)> {
    let pods: Vec<(String, String, &Value)> = objects
        .iter()
        .filter_map(|o| {
            pss::pod_of(o)?;
            let template = if o["kind"] == "CronJob" {
                &o["spec"]["jobTemplate"]["spec"]["template"]
            } else {
                &o["spec"]["template"]
            };
            Some((
                o["metadata"]["name"].as_str()?.to_string(),
                o["metadata"]["namespace"].as_str()?.to_string(),
                &template["metadata"]["labels"],
            ))
        })
        .collect();
    let selects = |sel: &Value, labels: &Value| {
        sel["matchLabels"]
            .as_object()
            .is_some_and(|m| m.iter().all(|(k, v)| &labels[k] == v))
    };
    let mut triples = BTreeSet::new();
    for np in objects.iter().filter(|o| o["kind"] == "NetworkPolicy") {
        let ns = np["metadata"]["namespace"].as_str().unwrap();
        let targets: Vec<&String> = pods
            .iter()
            .filter(|(_, pns, l)| pns == ns && selects(&np["spec"]["podSelector"], l))
            .map(|(n, _, _)| n)
            .collect();
        for rule in np["spec"]["ingress"].as_array().into_iter().flatten() {
            let ports: Vec<i64> = rule["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["port"].as_i64())
                .collect();
            for peer in rule["from"].as_array().into_iter().flatten() {
                let (Some(nsel), Some(psel)) =
                    (peer.get("namespaceSelector"), peer.get("podSelector"))
                else {
                    continue; // CIDRs and whole namespaces are exposure, not graph edges
                };
                for (from, fns, labels) in &pods {
                    let ns_ok = nsel["matchLabels"]["kubernetes.io/metadata.name"] == fns.as_str();
                    if ns_ok && selects(psel, labels) {
                        for to in &targets {
                            for port in &ports {
                                triples.insert((from.clone(), (*to).clone(), *port));
                            }
                        }
                    }
                }
            }
        }
    }
    triples
}

fn check_policies_match_graph(spec: &str, env: &str) {
    let (compiled, objects) = objects(spec, env);
    let p = &compiled.platform;
    let t = maestroc::target::Target::all(p)
        .into_iter()
        .find(|t| t.name() == env)
        .unwrap();
    let mut expected = BTreeSet::new();
    for svc in p.services.iter().filter(|s| t.runs(s)) {
        for dep in &svc.depends_on {
            let d = p
                .services
                .iter()
                .find(|x| x.name.value == dep.value)
                .unwrap();
            if !t.runs(d) {
                continue;
            }
            for port in &d.ports {
                expected.insert((
                    svc.name.value.clone(),
                    d.name.value.clone(),
                    i64::from(port.number.value.get()),
                ));
            }
        }
    }
    // The scraper a `prometheus … service=` names reaches each `metrics` port as well.
    let scraper = p.prometheus.as_ref().and_then(|x| x.service.as_ref());
    if let Some(scraper) = scraper {
        for svc in p.services.iter().filter(|s| t.runs(s)) {
            if let Some(m) = &svc.ops.metrics {
                let port = svc
                    .ports
                    .iter()
                    .find(|x| x.name.value == m.port.value)
                    .unwrap();
                expected.insert((
                    scraper.value.clone(),
                    svc.name.value.clone(),
                    i64::from(port.number.value.get()),
                ));
            }
        }
    }
    assert!(!expected.is_empty());
    assert_eq!(admitted(&objects), expected);
}

#[test]
fn network_policies_admit_exactly_the_dependency_graph() {
    check_policies_match_graph(include_str!("../platform.kdl"), "production");
    check_policies_match_graph(include_str!("fixtures/fleet/platform.kdl"), "prod");
    check_policies_match_graph(include_str!("fixtures/shop/platform.kdl"), "base");
}

/// Every ExternalSecret of the bundled platform validates against the vendored schema of the
/// operator's CRD fields (schemas/externalsecret.v1.schema.json, judged by Python's
/// jsonschema); a broken one is refused, so the check can fail.
#[test]
fn external_secrets_validate_against_the_crd_schema() {
    let (_, objects) = objects(include_str!("../platform.kdl"), "production");
    let secrets: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "ExternalSecret")
        .collect();
    assert!(secrets.len() >= 4, "{}", secrets.len());
    let mut broken = secrets[0].clone();
    broken["spec"]["data"][0]["secretKey"] = Value::from("not a key");
    let check = |docs: &[&Value]| {
        common::validate_with_schema("schemas/externalsecret.v1.schema.json", docs)
    };
    let ok = check(&secrets);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = check(&[&broken]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("secretKey")
            || String::from_utf8_lossy(&bad.stderr).contains("not a key")
    );
}

/// `run-as-user 1000` alone runs as 1000:1000 (group and fsGroup follow the user); a group
/// said anywhere (the service or `defaults`) wins.
#[test]
fn the_group_follows_a_user_given_alone() {
    let spec = |extra: &str, defaults: &str| {
        format!(
            "platform \"p\"\n{defaults}service \"a\" {{\n    image \"x/a:1\"\n    port \"http\" 8080\n    {extra}\n}}\n"
        )
    };
    let ids = |text: &str| {
        let (_, objects) = objects(text, "base");
        let d = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
        let sc = &d["spec"]["template"]["spec"]["securityContext"];
        (
            sc["runAsUser"].as_i64(),
            sc["runAsGroup"].as_i64(),
            sc["fsGroup"].as_i64(),
        )
    };
    assert_eq!(
        ids(&spec("run-as-user 1000", "")),
        (Some(1000), Some(1000), Some(1000))
    );
    assert_eq!(
        ids(&spec("run-as-user 1000\n    run-as-group 3000", "")),
        (Some(1000), Some(3000), Some(3000))
    );
    assert_eq!(
        ids(&spec(
            "run-as-user 1000",
            "defaults {\n    run-as-group 2000\n}\n"
        )),
        (Some(1000), Some(2000), Some(2000))
    );
    assert_eq!(ids(&spec("", "")), (Some(10001), Some(10001), Some(10001)));
}

/// The NetworkPolicy guarantee holds through the escape hatch: a `patch "NetworkPolicy"` that
/// admits what the dependency graph does not is refused (MC503) at the patch, unless the patch
/// says why; the final policy is what is judged, and what is emitted.
#[test]
fn a_patch_that_widens_a_network_policy_needs_a_reason() {
    let spec = |head: &str| {
        format!(
            r#"platform "p" {{ namespace "p" }}
service "db" {{
    image "registry.example.com/db:1.0"
    workload "statefulset"
    port "pg" 5432
    health tcp="pg"
    {head} {{
        spec {{ ingress {{ - {{ ports {{ - port=5432 }} }} }} }}
    }}
    patch "Service" name="db-headless" {{
        metadata {{ labels {{ "helm.sh/chart" "db-1.0.0" }} }}
    }}
}}
"#
        )
    };
    let (compiled, findings) = maestroc::resolve::compile(&spec(r#"patch "NetworkPolicy""#));
    assert!(compiled.is_none());
    let f = findings
        .iter()
        .find(|f| f.code() == "MC503")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(f.message.contains("adds 1 ingress rule"), "{}", f.message);

    // With a reason it builds, and the emitted objects are the patched ones.
    let (_, objects) = objects(
        &spec(r#"patch "NetworkPolicy" reason="the chart's own policy, as imported""#),
        "base",
    );
    let policy = objects
        .iter()
        .find(|o| o["kind"] == "NetworkPolicy" && o["metadata"]["name"] == "db")
        .unwrap();
    assert_eq!(
        policy["spec"]["ingress"],
        serde_json::json!([{"ports": [{"port": 5432}]}])
    );
    let headless = objects
        .iter()
        .find(|o| o["kind"] == "Service" && o["metadata"]["name"] == "db-headless")
        .unwrap();
    assert_eq!(headless["metadata"]["labels"]["helm.sh/chart"], "db-1.0.0");
    // The primary Service is not the named one.
    let own = objects
        .iter()
        .find(|o| o["kind"] == "Service" && o["metadata"]["name"] == "db")
        .unwrap();
    assert!(own["metadata"]["labels"].get("helm.sh/chart").is_none());

    // A name the service does not emit is said, not ignored.
    let (compiled, findings) = maestroc::resolve::compile(
        &spec(r#"patch "NetworkPolicy" reason="x""#).replace("db-headless", "db-other"),
    );
    assert!(compiled.is_none());
    assert!(
        findings
            .iter()
            .any(|f| f.code() == "MC014" && f.message.contains("Service named `db-other`")),
        "{findings:#?}"
    );
}

#[test]
fn widened_policy_is_judged_as_data() {
    use maestroc::rules::widened_policy;
    use serde_json::json;
    let built = json!({"spec": {"policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b"}}}]}], "egress": []}});
    assert_eq!(widened_policy(&built, &built), None);
    // Narrowing is no widening: a rule removed.
    let narrowed =
        json!({"spec": {"policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}});
    assert_eq!(widened_policy(&built, &narrowed), None);
    let opened = json!({"spec": {"policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b"}}}]}, {}]}});
    assert_eq!(
        widened_policy(&built, &opened).as_deref(),
        Some("drops the `Egress` policy type, adds 1 ingress rule(s)")
    );
}

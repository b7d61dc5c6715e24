//! Policies exactly the graph: the (from, to, port) connections the emitted NetworkPolicies
//! allow — judged by an evaluator written from the NetworkPolicy semantics
//! (`common::netpol`), over the platform's pods and actors outside it (the nodes, a client on
//! the internet, the ingress controller, the Prometheus pods and a Grafana beside them, a pod in
//! an unrelated namespace, an unlabelled neighbour in each namespace) — equal the dependency
//! graph plus what the spec declares: scraping, routes, published ports (from the nodes'
//! networks) and `expose` lines. With `egress "restricted"`, a platform pod keeps exactly its
//! graph edges and scrape paths.

mod common;

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use common::netpol::{self, Actor};
use maestroc::model::{ExposedFrom, Platform, Prometheus, Service};
use maestroc::target::Target;
use serde_json::{Value, json};

fn docs(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .map(str::trim)
        .filter(|d| d.lines().any(|l| !l.starts_with('#') && !l.is_empty()))
        .map(|d| serde_saphyr::from_str::<Value>(d).unwrap_or_else(|e| panic!("{e}: {d}")))
        .collect()
}

fn objects(p: &maestroc::resolve::Compiled, env: &str) -> Vec<Value> {
    let files = maestroc::emit::emit(p).unwrap();
    let prefix = format!("k8s/{env}/");
    files
        .iter()
        .filter(|(path, _)| path.starts_with(&prefix))
        .flat_map(|(_, t)| docs(t))
        .collect()
}

fn first_host(cidr: &str) -> Option<Ipv4Addr> {
    let net: Ipv4Addr = cidr.split_once('/')?.0.parse().ok()?;
    Some(Ipv4Addr::from(u32::from(net) + 1))
}

/// The actors outside the emitted pods.
fn outsiders(p: &Platform, t: &Target<'_>) -> Vec<Actor> {
    let node_ip = t
        .node_cidrs()
        .iter()
        .find_map(|c| first_host(&c.value))
        .unwrap_or(Ipv4Addr::new(172, 31, 255, 1));
    let (scrape_ns, key, value) = Prometheus::outside_scraper(p.prometheus.as_ref());
    let mut actors = vec![
        Actor::address("node", node_ip),
        Actor::address("internet", Ipv4Addr::new(203, 0, 113, 9)),
        Actor::pod(
            "ingress-controller",
            t.ingress_controller_namespace(),
            json!({"app.kubernetes.io/name": "ingress-nginx"}),
            Ipv4Addr::new(10, 244, 250, 1),
        ),
        Actor::pod(
            "outside-prometheus",
            scrape_ns,
            json!({ key: value }),
            Ipv4Addr::new(10, 244, 250, 2),
        ),
        Actor::pod(
            "grafana",
            scrape_ns,
            json!({"app.kubernetes.io/name": "grafana"}),
            Ipv4Addr::new(10, 244, 250, 3),
        ),
        Actor::pod(
            "stranger",
            "elsewhere",
            json!({"app": "stranger"}),
            Ipv4Addr::new(10, 244, 250, 4),
        ),
    ];
    let namespaces: BTreeSet<&str> = p.services.iter().map(|s| s.namespace(p)).collect();
    for (i, ns) in namespaces.into_iter().enumerate() {
        actors.push(Actor::pod(
            &format!("neighbour-{ns}"),
            ns,
            json!({"app": "neighbour"}),
            Ipv4Addr::new(10, 244, 251, u8::try_from(i).unwrap()),
        ));
    }
    for (i, e) in p.services.iter().flat_map(|s| &s.expose).enumerate() {
        let i = u8::try_from(i).unwrap();
        match &e.from {
            ExposedFrom::Cidr(c) => {
                if let Some(ip) = first_host(&c.value) {
                    actors.push(Actor::address(&format!("client-{}", c.value), ip));
                }
            }
            ExposedFrom::Namespace(n) => actors.push(Actor::pod(
                &format!("client-{}", n.value),
                &n.value,
                json!({"app": "client"}),
                Ipv4Addr::new(10, 244, 252, i),
            )),
            ExposedFrom::Anywhere => {}
        }
    }
    actors
}

fn service<'p>(p: &'p Platform, name: &str) -> Option<&'p Service> {
    p.services.iter().find(|s| s.name.value == name)
}

/// Why `from` may reach `to` on `port`, from the spec alone: a graph edge or a scrape path
/// (`inside`), or the declared exposure (`outside`).
fn reasons(p: &Platform, t: &Target<'_>, from: &Actor, to: &Service, port: &str) -> (bool, bool) {
    let from_svc = from.emitted.then(|| service(p, &from.name)).flatten();
    let edge = from_svc.is_some_and(|f| f.depends_on.iter().any(|d| d.value == to.name.value));
    let metrics = to
        .ops
        .metrics
        .as_ref()
        .is_some_and(|m| m.port.value == port);
    let scraper = p.prometheus.as_ref().and_then(|x| x.service.as_ref());
    let scrape = metrics
        && match scraper {
            Some(s) => from_svc.is_some_and(|f| f.name.value == s.value),
            None => from.name == "outside-prometheus",
        };
    let routed = t.routes(to).iter().any(|r| r.port.value == port)
        && from.namespace.as_deref() == Some(t.ingress_controller_namespace());
    let published = t.open_to_outside(to).iter().any(|x| x.name.value == port)
        && (t.node_cidrs().is_empty()
            || t.node_cidrs()
                .iter()
                .any(|c| netpol::contains(&c.value, from.ip)));
    let exposed = to
        .expose
        .iter()
        .filter(|e| e.ports.iter().any(|n| n.value == port))
        .any(|e| match &e.from {
            ExposedFrom::Anywhere => true,
            ExposedFrom::Cidr(c) => netpol::contains(&c.value, from.ip),
            ExposedFrom::Namespace(n) => from.namespace.as_deref() == Some(n.value.as_str()),
        });
    (edge || scrape, routed || published || exposed)
}

fn check(spec: &str, env: &str) -> usize {
    let (compiled, findings) = maestroc::resolve::compile(spec);
    let compiled = compiled.unwrap_or_else(|| panic!("{findings:#?}"));
    let p = &compiled.platform;
    assert!(p.network_policies());
    let t = Target::all(p)
        .into_iter()
        .find(|t| t.name() == env)
        .unwrap();
    let objects = objects(&compiled, env);
    let others = outsiders(p, &t);
    let pods = netpol::emitted_pods(&objects);
    let mut expected = BTreeSet::new();
    for (to, _) in &pods {
        let svc = service(p, &to.name).unwrap();
        for from in pods.iter().map(|(a, _)| a).chain(&others) {
            if from.name == to.name {
                continue;
            }
            for port in &svc.ports {
                let (inside, outside) = reasons(p, &t, from, svc, &port.name.value);
                // A restricted platform pod sends only along the graph and its scrape paths.
                let sends = !(from.emitted && p.egress_restricted()) || inside;
                if (inside || outside) && sends {
                    expected.insert((
                        from.name.clone(),
                        to.name.clone(),
                        i64::from(port.number.value.get()),
                    ));
                }
            }
        }
    }
    let actual = netpol::connections(&objects, &others);
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{env}: denied though declared: {missing:#?}\nallowed though not declared: {extra:#?}"
    );
    assert!(!expected.is_empty());
    expected.len()
}

/// The spec with `egress "restricted"` added to its platform block (or kept).
fn restricted(spec: &str) -> String {
    if spec.contains("egress \"restricted\"") {
        return spec.to_string();
    }
    let at = spec.find("platform \"").unwrap();
    let brace = at + spec[at..].find('{').unwrap() + 1;
    format!(
        "{}\n    egress \"restricted\"{}",
        &spec[..brace],
        &spec[brace..]
    )
}

fn check_both(spec: &str, envs: &[&str]) {
    for env in envs {
        let open = check(spec, env);
        let closed = check(&restricted(spec), env);
        assert!(
            closed <= open,
            "{env}: restricting egress cannot add a connection"
        );
    }
}

#[test]
fn bundled_policies_are_the_graph() {
    check_both(include_str!("../platform.kdl"), &["minikube", "production"]);
}

#[test]
fn fixture_policies_are_the_graph() {
    check_both(
        include_str!("fixtures/fleet/platform.kdl"),
        &["dev", "prod"],
    );
    check_both(include_str!("fixtures/shop/platform.kdl"), &["base"]);
    check_both(include_str!("fixtures/bank/platform.kdl"), &["base"]);
    check_both(
        include_str!("fixtures/forecasting/platform.kdl"),
        &["dev", "prod"],
    );
    check_both(
        include_str!("fixtures/operations/platform.kdl"),
        &["dev", "prod", "edge"],
    );
}

/// Every exposure form at once, with and without the nodes' network: a NodePort, a load
/// balancer, `expose` from a CIDR, a namespace and anywhere, a routed port, a scraper outside
/// the spec with its own pod label.
#[test]
fn every_exposure_is_exactly_its_declaration() {
    let spec = r#"platform "p" {
    namespace "p"
    node-ports 30000 30100
    prometheus "operator" namespace="obs" pod-label="prometheus=main"
}
service "db" {
    image "r.local/db:1"
    port pg 5432
    metrics port=pg
}
service "api" {
    image "r.local/api:1"
    port http 8080 node-port=30001
    port admin 9000
    port partner 9100
    port debug 9200
    expose admin from-cidr="198.51.100.0/24"
    expose partner from-namespace="partners"
    expose debug
    depends-on db
}
service "web" {
    image "r.local/web:1"
    port http 80
    service-type "LoadBalancer"
    ingress port=http
    depends-on api
}
environment "cloud" {
    exposure "ingress" controller-namespace="ingress"
    ingress-domain "example.com"
}
environment "lab" {
    exposure "nodeport"
    node-cidr "192.168.49.0/24"
}
environment "open" {
    exposure "loadbalancer"
}
"#;
    check_both(spec, &["cloud", "lab", "open"]);
}

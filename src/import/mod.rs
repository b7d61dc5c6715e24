//! `maestroc import`: Kubernetes YAML (files, `helm template` or `kubectl kustomize` output)
//! → a `platform.kdl` that rebuilds it, plus the drift found on the way in. Pure: text in,
//! text and findings out; `cli/import.rs` does the reading and writing.
//!
//! One `service` per workload (Deployment, StatefulSet, DaemonSet): image, ports (container,
//! Service, NodePort, Service type), env (literals; addresses of other imported Services become
//! `{KEY}` placeholders and `depends-on`; Secret keys become `secret=`/`key=`), resources,
//! probes, volumes, identity, selector and container name as they are. Secrets become names
//! and keys — never values. What the vocabulary cannot say goes into a `patch`.

mod kdl_out;
mod operations;
mod residual;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::Finding;
use crate::model::is_iana_port_name;
use kdl_out::{Block, quote, word};

/// One input document and where it came from.
struct Doc {
    file: usize,
    line: usize,
    span: std::ops::Range<usize>,
    value: Value,
}

/// What `import` produces.
pub struct Imported {
    pub spec: String,
    pub findings: Vec<Finding>,
    pub services: usize,
    /// Files to write beside the spec, by name relative to it: the credentials found in the
    /// input (`<spec>.secrets`, to keep out of Git) and the objects carried as `extra`.
    pub files: Vec<(String, String)>,
}

/// The values file import writes beside the spec when the input held credentials.
pub const SECRETS_FILE: &str = "imported.secrets";

/// The YAML reader's limits for a whole platform's stream (`helm template` of a large chart):
/// serde-saphyr's defaults (1,024 documents, 250,000 nodes) refuse real platforms. Sized for
/// 50,000 documents of a few hundred nodes each; alias expansion (billion laughs) stays bounded
/// by the default alias and anchor caps and their ratio, and depth by the default 64 levels.
pub fn stream_options() -> serde_saphyr::Options {
    // Both types are non-exhaustive: set the fields on the defaults.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_documents = 50_000;
    budget.max_nodes = 20_000_000;
    budget.max_events = 50_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Documents of one YAML text with their line numbers; `List` objects are unpacked.
fn documents(file: usize, text: &str, out: &mut Vec<Doc>) -> Result<(), String> {
    let values: Vec<Value> = serde_saphyr::from_str_multiple_with_options(text, stream_options())
        .map_err(|e| e.to_string())?;
    let ranges = crate::scan::document_ranges(text);
    let aligned = ranges.len() == values.len();
    // Lines counted incrementally: counting from the start for each document was quadratic
    // (10,000 documents: 8 s).
    let (mut counted_to, mut line) = (0, 1);
    for (i, v) in values.into_iter().enumerate() {
        let span = if aligned { ranges[i].clone() } else { 0..0 };
        if span.start >= counted_to {
            line += text[counted_to..span.start].matches('\n').count();
            counted_to = span.start;
        } else {
            line = text[..span.start].matches('\n').count() + 1;
            counted_to = span.start;
        }
        if v["kind"] == "List" {
            for item in v["items"].as_array().into_iter().flatten() {
                out.push(Doc {
                    file,
                    line,
                    span: span.clone(),
                    value: item.clone(),
                });
            }
        } else if v.is_object() {
            out.push(Doc {
                file,
                line,
                span,
                value: v,
            });
        }
    }
    Ok(())
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

/// `p8080` for an unnamed port: an IANA name needs a letter.
fn port_name(c: &Value, number: i64) -> String {
    c["name"]
        .as_str()
        .map_or_else(|| format!("p{number}"), str::to_string)
}

/// The container's ports, each named as the input names it: its own name, else the name of
/// the Service port that targets it (meshes read the protocol from that name), else none. A
/// container that declares no port gets the ports its Service targets — a pod serves on
/// them whether or not it lists them, and another pod may address them.
fn declared_ports(c: &Value, svc_ports: &[&Value]) -> Vec<Value> {
    let target = |sp: &Value| {
        sp["targetPort"].as_i64().or_else(|| {
            sp["targetPort"]
                .is_null()
                .then(|| sp["port"].as_i64())
                .flatten()
        })
    };
    let own: Vec<Value> = c["ports"].as_array().cloned().unwrap_or_default();
    if own.is_empty() {
        let mut seen = BTreeSet::new();
        return svc_ports
            .iter()
            .filter_map(|sp| {
                let n = target(sp)?;
                seen.insert(n).then(|| {
                    let mut p = serde_json::json!({"containerPort": n});
                    if let Some(name) = sp["name"].as_str().filter(|n| is_iana_port_name(n)) {
                        p["name"] = Value::from(name);
                    }
                    p
                })
            })
            .collect();
    }
    own.into_iter()
        .map(|mut p| {
            if p["name"].is_null()
                && let Some(name) = svc_ports
                    .iter()
                    .find(|sp| target(sp).is_some() && target(sp) == p["containerPort"].as_i64())
                    .and_then(|sp| sp["name"].as_str())
                    .filter(|n| is_iana_port_name(n))
            {
                p["name"] = Value::from(name);
            }
            p
        })
        .collect()
}

fn config_stem(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// A Service of the input and what it exposes.
struct Svc<'a> {
    name: &'a str,
    namespace: &'a str,
    doc: &'a Doc,
    selector: BTreeMap<String, String>,
}

pub fn import(inputs: &[(String, String)]) -> Result<Imported, Box<Finding>> {
    import_as(inputs, None)
}

/// As [`import`]; what the input says for every workload at once (the image pull policy, the
/// claims' storage class) becomes `environment NAME` (default "imported"), since that is where
/// the spec says it.
pub fn import_as(inputs: &[(String, String)], env: Option<&str>) -> Result<Imported, Box<Finding>> {
    let mut docs = Vec::new();
    for (i, (name, text)) in inputs.iter().enumerate() {
        documents(i, text, &mut docs).map_err(|e| {
            Box::new(Finding::new("MC001", format!("{name} is not YAML: {e}"))
                .help("import reads Kubernetes YAML: manifests, `helm template` or `kubectl kustomize` output"))
        })?;
    }
    let texts: Vec<Arc<String>> = inputs.iter().map(|(_, t)| Arc::new(t.clone())).collect();
    let mut findings = Vec::new();
    let at = |d: &Doc, msg: String, label: &str| {
        Finding::new("MC206", msg).in_text(
            &inputs[d.file].0,
            &texts[d.file],
            d.span.start..d.span.start,
            label.to_string(),
        )
    };
    let kind = |d: &Doc| d.value["kind"].as_str().unwrap_or_default().to_string();
    let name_of = |d: &Doc| {
        d.value["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let ns_of = |d: &Doc| {
        d.value["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string()
    };
    let workloads: Vec<&Doc> = docs
        .iter()
        .filter(|d| {
            matches!(
                kind(d).as_str(),
                "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob"
            )
        })
        .collect();
    let services: Vec<Svc> = docs
        .iter()
        .filter(|d| kind(d) == "Service")
        .map(|d| Svc {
            name: d.value["metadata"]["name"].as_str().unwrap_or_default(),
            namespace: d.value["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default"),
            doc: d,
            selector: d.value["spec"]["selector"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let pod_labels = |w: &Doc| -> BTreeMap<String, String> {
        w.value["spec"]["template"]["metadata"]["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Which Services select which workload (same namespace, selector ⊆ pod labels).
    let selects = |svc: &Svc, w: &Doc| {
        let labels = pod_labels(w);
        svc.namespace == ns_of(w)
            && !svc.selector.is_empty()
            && svc.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    };
    for svc in &services {
        if !svc.selector.is_empty() && !workloads.iter().any(|w| selects(svc, w)) {
            findings.push(at(
                svc.doc,
                format!("Service `{}` selects no workload", svc.name),
                "its selector matches no pod template",
            ));
        }
    }
    // Each workload's main Service: the one named like it, else the first that selects it.
    let main_service = |w: &Doc| -> Option<&Svc> {
        let n = name_of(w);
        services
            .iter()
            .find(|s| s.name == n && selects(s, w))
            .or_else(|| {
                services
                    .iter()
                    .find(|s| selects(s, w) && s.doc.value["spec"]["clusterIP"] != "None")
            })
    };
    // Addresses other workloads may use: host forms of each main Service → (workload, port).
    let mut hosts: BTreeMap<String, (String, Vec<i64>)> = BTreeMap::new();
    for w in &workloads {
        if let Some(svc) = main_service(w) {
            let ports: Vec<i64> = svc.doc.value["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["port"].as_i64())
                .collect();
            for h in [
                svc.name.to_string(),
                format!("{}.{}", svc.name, svc.namespace),
                format!("{}.{}.svc", svc.name, svc.namespace),
                format!("{}.{}.svc.cluster.local", svc.name, svc.namespace),
            ] {
                hosts.insert(h, (name_of(w), ports.clone()));
            }
        }
    }
    let address_re = regex::Regex::new(r"([a-z0-9][a-z0-9.-]*):([0-9]{1,5})\b")
        .map_err(|e| Box::new(Finding::new("MC091", e.to_string())))?;
    let mut namespaces: BTreeMap<String, usize> = BTreeMap::new();
    for w in &workloads {
        *namespaces.entry(ns_of(w)).or_default() += 1;
    }
    let platform_ns = namespaces
        .iter()
        .max_by_key(|(_, n)| **n)
        .map_or("default".to_string(), |(ns, _)| ns.clone());
    // Secret name → keys in the order first seen; values are never read.
    let mut secrets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stores: BTreeMap<String, (String, String)> = BTreeMap::new();
    let add_key = |secrets: &mut BTreeMap<String, Vec<String>>, name: &str, key: &str| {
        let keys = secrets.entry(name.to_string()).or_default();
        if !key.is_empty() && !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    };
    for d in docs
        .iter()
        .filter(|d| matches!(kind(d).as_str(), "Secret" | "ExternalSecret"))
    {
        for field in ["data", "stringData"] {
            for k in d.value[field]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                add_key(&mut secrets, &name_of(d), k);
            }
        }
        // maestroc's value-less Secrets and ExternalSecrets list their keys.
        if let Some(keys) =
            d.value["metadata"]["annotations"]["maestroc.dev/required-keys"].as_str()
        {
            for k in keys.split(',') {
                add_key(&mut secrets, &name_of(d), k);
            }
        }
        for item in d.value["spec"]["data"].as_array().into_iter().flatten() {
            if let Some(k) = item["secretKey"].as_str() {
                add_key(&mut secrets, &name_of(d), k);
            }
        }
        // An ExternalSecret says where the values live: the spec's `store`.
        if let (Some(store), Some(path)) = (
            d.value["spec"]["secretStoreRef"]["name"].as_str(),
            d.value["spec"]["data"][0]["remoteRef"]["key"].as_str(),
        ) {
            stores.insert(name_of(d), (store.to_string(), path.to_string()));
        }
    }
    // NodePort collisions across the input.
    let mut node_ports: BTreeMap<i64, String> = BTreeMap::new();
    for svc in &services {
        for p in svc.doc.value["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(np) = p["nodePort"].as_i64()
                && let Some(first) = node_ports.insert(np, svc.name.to_string())
            {
                findings.push(at(
                    svc.doc,
                    format!("NodePort {np} is used by `{first}` and `{}`", svc.name),
                    "a NodePort collision",
                ));
            }
        }
    }
    // maestroc's own service-ports data, when the input is maestroc's output.
    let ports_data = docs
        .iter()
        .find(|d| kind(d) == "ConfigMap" && name_of(d) == "service-ports")
        .and_then(|d| d.value["data"].as_object().cloned())
        .unwrap_or_default();
    // maestroc's own output: each workload's own service-ports keys come first in its env; their
    // stem is its key prefix (a `config-prefix` when it is not the name's).
    let prefixes: BTreeMap<String, String> = workloads
        .iter()
        .map(|w| {
            let n = name_of(w);
            let env = w.value["spec"]["template"]["spec"]["containers"][0]["env"].clone();
            let container_ports: Vec<String> = w.value["spec"]["template"]["spec"]["containers"][0]
                ["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["containerPort"].as_i64().map(|n| n.to_string()))
                .collect();
            // Own keys: a leading `<P>_ADDRESS` whose `<P>_…PORT` is one of its container ports
            // (a workload without ports has none, and its first keys are a dependency's).
            let own = env
                .as_array()
                .into_iter()
                .flatten()
                .take_while(|e| e["valueFrom"]["configMapKeyRef"]["name"] == "service-ports")
                .filter_map(|e| e["name"].as_str())
                .filter_map(|k| k.strip_suffix("_ADDRESS"))
                .find(|p| {
                    ports_data.iter().any(|(k, v)| {
                        k.starts_with(&format!("{p}_"))
                            && k.ends_with("PORT")
                            && v.as_str()
                                .is_some_and(|v| container_ports.iter().any(|c| c == v))
                    })
                })
                .map(str::to_string);
            let prefix = own.unwrap_or_else(|| config_stem(&n));
            (n, prefix)
        })
        .collect();
    // The scheme maestroc put in a workload's `_ADDRESS` (`nats://…`), for its primary port.
    let address_scheme = |workload: &str, port: Option<(&str, i64)>| -> Option<String> {
        let (_, p) = port?;
        let prefix = prefixes.get(workload)?;
        let addr = ports_data.get(&format!("{prefix}_ADDRESS"))?.as_str()?;
        let (scheme, rest) = addr.split_once("://")?;
        rest.ends_with(&format!(":{p}")).then(|| scheme.to_string())
    };
    // The longest prefix wins: MLFLOW_DB_PORT is mlflow-db's, not mlflow's.
    let owner_of_key = |key: &str| -> Option<String> {
        prefixes
            .iter()
            .filter(|(_, p)| {
                key == format!("{p}_ADDRESS")
                    || (key.starts_with(&format!("{p}_")) && key.ends_with("_PORT"))
            })
            .max_by_key(|(_, p)| p.len())
            .map(|(n, _)| n.clone())
    };
    // Keys of services published by service-ports but not deployed here (`external`): their
    // stem names the external service, and a workload reading them depends on it.
    let external_stems: Vec<String> = ports_data
        .keys()
        .filter_map(|k| k.strip_suffix("_ADDRESS"))
        .filter(|stem| !prefixes.values().any(|p| p == stem))
        .map(str::to_string)
        .collect();
    let dependency_of_key = |key: &str| -> Option<String> {
        owner_of_key(key).or_else(|| {
            external_stems
                .iter()
                .filter(|stem| {
                    key == format!("{stem}_ADDRESS")
                        || (key.starts_with(&format!("{stem}_")) && key.ends_with("_PORT"))
                })
                .max_by_key(|stem| stem.len())
                .map(|stem| stem.to_ascii_lowercase().replace('_', "-"))
        })
    };
    let mut short_addresses = false;
    let mut blocks = Vec::new();
    // The input workload of each block, and its Service when named like it (the object
    // maestroc rebuilds under that name).
    let mut block_docs: Vec<(&Doc, Option<&Doc>)> = Vec::new();
    let svc_doc = |w: &Doc| -> Option<&Doc> {
        main_service(w)
            .filter(|s| s.name == name_of(w))
            .map(|s| s.doc)
    };
    // (secret, key, value, file, line) of each credential found in an env value.
    let mut secret_values: Vec<(String, String, String, usize, usize)> = Vec::new();
    // Keys maestroc injects into every workload (each service's `service-ports` keys): an
    // input variable of that name would collide with the injected one.
    let injected_keys: BTreeSet<String> = workloads
        .iter()
        .flat_map(|w| {
            let stem = config_stem(&name_of(w));
            [format!("{stem}_PORT"), format!("{stem}_ADDRESS")]
        })
        .collect();
    let injected = |en: &str| {
        injected_keys.contains(en)
            || (en.ends_with("_PORT")
                && injected_keys.iter().any(|k| {
                    k.ends_with("_ADDRESS") && en.starts_with(k.trim_end_matches("ADDRESS"))
                }))
    };
    // Workloads scraped by `prometheus.io/*` annotations, with the metrics port's number.
    let mut annotation_scraped: Vec<(String, i64)> = Vec::new();
    // Namespaces admitted whole on each routed port and on each ServiceMonitor's port: the
    // ingress controller's and the Prometheus operator's are the ones all of them share.
    let mut controller_peers = Vec::new();
    let mut scraper_peers = Vec::new();
    // The ipBlocks each workload's policy admits on its published ports: the nodes' networks.
    let mut node_peers = Vec::new();
    let mut routed = false;
    let mut operator_scraped = false;
    for w in &workloads {
        let name = name_of(w);
        let spec = &w.value["spec"];
        // A CronJob's pod sits one level deeper, in its job template.
        let cron = kind(w) == "CronJob";
        let template = if cron {
            &spec["jobTemplate"]["spec"]["template"]
        } else {
            &spec["template"]
        };
        let pod = &template["spec"];
        let Some(c) = pod["containers"].as_array().and_then(|a| a.first()) else {
            continue;
        };
        let mut b = Block::new(format!("service {}", quote(&name)));
        block_docs.push((*w, svc_doc(w)));
        b.comment(format!("from {}:{}", inputs[w.file].0, w.line));
        let wk = kind(w);
        if wk != "Deployment" {
            b.line(format!("workload {}", quote(&wk.to_ascii_lowercase())));
        }
        if let Some(sched) = s(&spec["schedule"]).filter(|_| cron) {
            b.line(format!("schedule {}", quote(sched)));
        }
        if ns_of(w) != platform_ns {
            b.line(format!("namespace {}", quote(&ns_of(w))));
        }
        if let Some(img) = s(&c["image"]) {
            b.line(format!("image {}", quote(img)));
        }
        let autoscale =
            operations::autoscale_line(docs.iter().map(|d| &d.value), &wk, &name, &ns_of(w));
        if let Some(n) = spec["replicas"]
            .as_i64()
            .filter(|n| *n != 1 && wk != "DaemonSet" && autoscale.is_none())
        {
            b.line(format!("replicas {n}"));
        }
        let words = |v: &Value| -> Option<String> {
            let a = v.as_array()?;
            (!a.is_empty()).then(|| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(quote)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        };
        if let Some(cmd) = words(&c["command"]) {
            b.line(format!("command {cmd}"));
        }
        if let Some(args) = words(&c["args"]) {
            b.line(format!("args {args}"));
        }
        // Ports, with what the main Service does with them.
        let svc = main_service(w);
        let svc_ports: Vec<&Value> = svc
            .map(|s| {
                s.doc.value["spec"]["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .collect()
            })
            .unwrap_or_default();
        let mut names_by_number: BTreeMap<i64, String> = BTreeMap::new();
        let mut published = Vec::new();
        for p in &declared_ports(c, &svc_ports) {
            let Some(n) = p["containerPort"].as_i64() else {
                continue;
            };
            let pname = port_name(p, n);
            names_by_number.insert(n, pname.clone());
            let mut line = format!("port {pname} {n}");
            if let Some(scheme) = address_scheme(
                &name,
                svc.and_then(|sv| {
                    svc_ports
                        .iter()
                        .find(|sp| {
                            sp["targetPort"].as_i64() == Some(n)
                                || sp["targetPort"].as_str() == Some(pname.as_str())
                        })
                        .and_then(|sp| sp["port"].as_i64())
                        .or(Some(n))
                        .map(|p| (sv.name, p))
                }),
            ) {
                line.push_str(&format!(" scheme={}", quote(&scheme)));
            }
            let exposed = svc_ports.iter().find(|sp| {
                sp["targetPort"].as_i64() == Some(n)
                    || sp["targetPort"].as_str() == Some(pname.as_str())
                    || (sp["targetPort"].is_null() && sp["port"].as_i64() == Some(n))
            });
            if let Some(sp) = exposed {
                if let Some(sport) = sp["port"].as_i64().filter(|sp| *sp != n) {
                    line.push_str(&format!(" service-port={sport}"));
                }
                if let Some(np) = sp["nodePort"].as_i64() {
                    line.push_str(&format!(" node-port={np}"));
                }
                let load_balancer =
                    svc.is_some_and(|sv| sv.doc.value["spec"]["type"] == "LoadBalancer");
                if sp["nodePort"].is_i64() || load_balancer {
                    published.push(n);
                }
            }
            b.line(line);
        }
        if !published.is_empty() {
            node_peers.push(operations::ip_block_peers(
                docs.iter().map(|d| &d.value),
                &name,
                &ns_of(w),
                &published,
            ));
        }
        // A Service port targeting a number the container does not declare: drift.
        if let Some(svc) = svc {
            for sp in &svc_ports {
                if let Some(t) = sp["targetPort"].as_i64()
                    && !c["ports"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p["containerPort"].as_i64() == Some(t)))
                    && c["ports"].as_array().is_some_and(|ps| !ps.is_empty())
                {
                    findings.push(at(
                        svc.doc,
                        format!(
                            "Service `{}` targets port {t}, which `{name}` does not declare",
                            svc.name
                        ),
                        "the same service's port, given differently",
                    ));
                }
            }
            match svc.doc.value["spec"]["type"].as_str() {
                Some("LoadBalancer") => b.line("service-type \"LoadBalancer\"".to_string()),
                _ if svc.doc.value["spec"]["clusterIP"] == "None" => {
                    b.line("service-type \"Headless\"".to_string())
                }
                _ => {}
            }
        }
        if let Some(svc) = svc {
            let by_service_port: BTreeMap<i64, String> = svc_ports
                .iter()
                .filter_map(|sp| Some((sp["port"].as_i64()?, s(&sp["name"])?.to_string())))
                .collect();
            for (port, line) in operations::ingress_lines(
                docs.iter().map(|d| &d.value),
                svc.name,
                svc.namespace,
                &by_service_port,
            ) {
                if let Some((n, _)) = names_by_number.iter().find(|(_, v)| **v == port) {
                    controller_peers.push(operations::namespace_peers(
                        docs.iter().map(|d| &d.value),
                        &name,
                        &ns_of(w),
                        *n,
                    ));
                }
                routed = true;
                b.line(line);
            }
        }
        let pod_annotations = &template["metadata"]["annotations"];
        let metrics = operations::metrics_line(
            docs.iter().map(|d| &d.value),
            svc.map_or(&Value::Null, |sv| &sv.doc.value["metadata"]["labels"]),
            &ns_of(w),
            pod_annotations,
            &names_by_number,
        );
        let by_annotation = matches!(metrics, Some((_, true, _)));
        if let Some((_, false, port)) = &metrics
            && let Some((n, _)) = names_by_number.iter().find(|(_, v)| *v == port)
        {
            operator_scraped = true;
            scraper_peers.push(operations::scrape_peers(
                docs.iter().map(|d| &d.value),
                &name,
                &ns_of(w),
                *n,
            ));
        }
        if let Some((line, annotated, _)) = metrics {
            if annotated
                && let Some(n) =
                    s(&pod_annotations["prometheus.io/port"]).and_then(|p| p.parse().ok())
            {
                annotation_scraped.push((name.clone(), n));
            }
            b.line(line);
        }
        if let Some(line) = autoscale {
            b.line(line);
        }
        // Selector and container name as they are, so the objects apply over the live ones.
        let default_selector =
            BTreeMap::from([("app.kubernetes.io/name".to_string(), name.clone())]);
        if let Some(sel) = spec["selector"]["matchLabels"].as_object() {
            let sel: BTreeMap<String, String> = sel
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let is_maestroc = sel.get("app.kubernetes.io/name")
                == default_selector.get("app.kubernetes.io/name")
                && sel.contains_key("app.kubernetes.io/part-of")
                && sel.len() == 2;
            if !is_maestroc {
                for (k, v) in &sel {
                    b.line(format!("selector {} {}", quote(k), quote(v)));
                }
            }
        }
        for (k, v) in pod_annotations
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !(by_annotation && operations::is_scrape_annotation(k)))
        {
            b.line(format!(
                "annotation {} {}",
                quote(k),
                quote(v.as_str().unwrap_or_default())
            ));
        }
        // Labels beyond the selector and maestroc's own.
        let selector_keys: BTreeSet<&str> = spec["selector"]["matchLabels"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for (k, v) in template["metadata"]["labels"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if !k.starts_with("app.kubernetes.io/") && !selector_keys.contains(k.as_str()) {
                b.line(format!(
                    "label {} {}",
                    quote(k),
                    quote(v.as_str().unwrap_or_default())
                ));
            }
        }
        if let Some(prefix) = prefixes.get(&name).filter(|p| **p != config_stem(&name)) {
            b.line(format!("config-prefix {}", word(prefix)));
        }
        if let Some(cn) = s(&c["name"]).filter(|cn| *cn != name) {
            b.line(format!("container-name {}", quote(cn)));
        }
        // Env.
        // In order of first use: maestroc injects dependencies' keys in depends-on order.
        let mut depends: Vec<String> = Vec::new();
        for e in c["env"].as_array().into_iter().flatten() {
            let Some(en) = s(&e["name"]) else { continue };
            if let Some(v) = s(&e["value"]) {
                // A credential is never written into the spec: it becomes a key of the
                // workload's own imported secret, its value goes to the values file beside
                // the spec (`maestroc secrets --from` reads it back).
                if crate::lint::is_literal_secret(en, v) {
                    let secret = format!("{name}-env");
                    add_key(&mut secrets, &secret, en);
                    secret_values.push((
                        secret.clone(),
                        en.to_string(),
                        v.to_string(),
                        w.file,
                        w.line,
                    ));
                    b.line(format!(
                        "env {} secret={} key={}",
                        quote(en),
                        quote(&secret),
                        quote(en)
                    ));
                    continue;
                }
                // What the vocabulary would read differently stays out of the native spec and
                // is carried exactly by the residual patch: text shaped like a `{KEY}`
                // placeholder, and a variable maestroc injects itself.
                if !crate::model::placeholders(v).is_empty() || injected(en) {
                    continue;
                }
                let mut value = v.to_string();
                for cap in address_re.captures_iter(v) {
                    let (Some(h), Some(p)) = (cap.get(1), cap.get(2)) else {
                        continue;
                    };
                    let Some((target, ports)) = hosts.get(h.as_str()) else {
                        continue;
                    };
                    let port: i64 = p.as_str().parse().unwrap_or(0);
                    if *target == name {
                        continue;
                    }
                    if !ports.contains(&port) {
                        findings.push(at(
                            w,
                            format!(
                                "`{name}` sets {en} to {}:{port}, but `{target}` exposes {ports:?}",
                                h.as_str()
                            ),
                            "an address to a port the target does not expose",
                        ));
                        continue;
                    }
                    // `{X_ADDRESS}` carries the primary (first) port only: an address to another
                    // port stays as written (the residual keeps it exact).
                    if ports.first() != Some(&port) {
                        continue;
                    }
                    if !h.as_str().contains('.') {
                        short_addresses = true;
                    }
                    if !depends.contains(target) {
                        depends.push(target.clone());
                    }
                    let key = format!("{}_ADDRESS", config_stem(target));
                    value = value.replace(&format!("{}:{port}", h.as_str()), &format!("{{{key}}}"));
                }
                let key_only = value.starts_with('{')
                    && value.ends_with('}')
                    && value.matches('{').count() == 1;
                if key_only {
                    b.line(format!(
                        "env {} ref={}",
                        quote(en),
                        quote(&value[1..value.len() - 1])
                    ));
                } else {
                    b.line(format!("env {} {}", quote(en), quote(&value)));
                }
            } else if let Some(r) = Some(&e["valueFrom"]["secretKeyRef"]).filter(|r| r.is_object())
            {
                // `r` stays a Value: indexing a missing key of a Map panics, of a Value is null.
                let (sn, sk) = (
                    r["name"].as_str().unwrap_or_default(),
                    r["key"].as_str().unwrap_or_default(),
                );
                add_key(&mut secrets, sn, sk);
                b.line(format!(
                    "env {} secret={} key={}",
                    quote(en),
                    quote(sn),
                    quote(sk)
                ));
            } else if let Some(r) =
                Some(&e["valueFrom"]["configMapKeyRef"]).filter(|r| r.is_object())
            {
                let key = r["key"].as_str().unwrap_or_default();
                if r["name"] == "service-ports" {
                    // maestroc's own output: own and dependencies' keys are injected.
                    match dependency_of_key(key) {
                        Some(o) if en == key => {
                            if o != name && !depends.contains(&o) {
                                depends.push(o);
                            }
                        }
                        _ => b.line(format!("env {} ref={}", quote(en), quote(key))),
                    }
                } else {
                    b.comment(format!(
                        "env {en} comes from ConfigMap {}: not imported",
                        r["name"]
                    ));
                }
            } else if let Some(f) = s(&e["valueFrom"]["fieldRef"]["fieldPath"]) {
                b.line(format!("env {} field={}", quote(en), quote(f)));
            }
        }
        // A credential in a ConfigMap the container reads whole (`envFrom`) is never carried
        // into the spec's files (the `extra` loses the key); the container still gets it, from
        // the workload's imported secret, so what runs is unchanged.
        let own: BTreeSet<&str> = c["env"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["name"].as_str())
            .collect();
        for from in c["envFrom"].as_array().into_iter().flatten() {
            let Some(cm) = s(&from["configMapRef"]["name"]) else {
                continue;
            };
            let prefix = s(&from["prefix"]).unwrap_or_default();
            let Some(map) = docs
                .iter()
                .find(|d| kind(d) == "ConfigMap" && name_of(d) == cm)
                .and_then(|d| d.value["data"].as_object())
            else {
                continue;
            };
            for (k, v) in map {
                let (Some(v), en) = (v.as_str(), format!("{prefix}{k}")) else {
                    continue;
                };
                if own.contains(en.as_str()) || !crate::lint::credentials::is_credential(Some(k), v)
                {
                    continue;
                }
                let secret = format!("{name}-env");
                add_key(&mut secrets, &secret, &en);
                secret_values.push((secret.clone(), en.clone(), v.to_string(), w.file, w.line));
                b.line(format!(
                    "env {} secret={} key={}",
                    quote(&en),
                    quote(&secret),
                    quote(&en)
                ));
            }
        }
        if !depends.is_empty() {
            b.line(format!(
                "depends-on {}",
                depends
                    .into_iter()
                    .map(|d| word(&d))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        // Resources.
        let r = &c["resources"];
        let mut res = Vec::new();
        for (field, key) in [
            ("requests", "cpu"),
            ("requests", "memory"),
            ("limits", "cpu"),
            ("limits", "memory"),
        ] {
            if let Some(v) = r[field][key]
                .as_str()
                .map(str::to_string)
                .or_else(|| r[field][key].as_i64().map(|n| n.to_string()))
            {
                let prop = if field == "limits" {
                    format!("{key}-limit")
                } else {
                    key.to_string()
                };
                res.push(format!("{prop}={}", quote(&v)));
            }
        }
        if !res.is_empty() {
            b.line(format!("resources {}", res.join(" ")));
        }
        // Probes: readiness (else liveness) gives the check; its timing is kept.
        let probe = if c["readinessProbe"].is_object() {
            &c["readinessProbe"]
        } else {
            &c["livenessProbe"]
        };
        if probe.is_object() {
            // A probe naming a port the container does not declare cannot pass: drift, reported;
            // when the container has a single port it is the one meant.
            let mut unknown_probe_port = None;
            let mut port_ref = |p: &Value| -> Option<String> {
                match p.as_str() {
                    Some(n) if names_by_number.values().any(|v| v == n) => Some(n.to_string()),
                    Some(n) => {
                        unknown_probe_port = Some(n.to_string());
                        (names_by_number.len() == 1)
                            .then(|| names_by_number.values().next().cloned())
                            .flatten()
                    }
                    None => p.as_i64().and_then(|n| names_by_number.get(&n).cloned()),
                }
            };
            let check = if let (Some(path), Some(port)) = (
                s(&probe["httpGet"]["path"]),
                port_ref(&probe["httpGet"]["port"]),
            ) {
                Some(format!("http={} port={port}", quote(path)))
            } else if let Some(port) = port_ref(&probe["tcpSocket"]["port"]) {
                Some(format!("tcp={port}"))
            } else if let Some(cmd) = probe["exec"]["command"].as_array() {
                let words: Vec<&str> = cmd.iter().filter_map(Value::as_str).collect();
                Some(format!("exec={}", quote(&words.join(" "))))
            } else {
                probe["grpc"]["port"]
                    .as_i64()
                    .and_then(|n| names_by_number.get(&n))
                    .map(|p| format!("grpc={p}"))
            };
            if let Some(p) = unknown_probe_port {
                findings.push(at(
                    w,
                    format!("`{name}` probes port `{p}`, which its container does not declare"),
                    "a probe on a port nothing names",
                ));
            }
            if let Some(check) = check {
                let mut line = format!("health {check}");
                // maestroc's defaults (readiness every 10 s, liveness every 20 s, 3 failures)
                // are left unsaid, so a rebuilt spec reads like a written one.
                let live = &c["livenessProbe"];
                let defaults = probe["periodSeconds"].as_i64() == Some(10)
                    && live["periodSeconds"].as_i64() == Some(20);
                for (field, prop) in [
                    ("initialDelaySeconds", "initial-delay"),
                    ("periodSeconds", "period"),
                    ("timeoutSeconds", "timeout"),
                    ("failureThreshold", "failure-threshold"),
                ] {
                    let Some(n) = probe[field].as_i64() else {
                        continue;
                    };
                    let default = (field == "periodSeconds" && defaults)
                        || (field == "failureThreshold" && n == 3);
                    if !default {
                        line.push_str(&format!(" {prop}={n}"));
                    }
                }
                if !c["startupProbe"].is_object() {
                    line.push_str(" startup=#false");
                }
                b.line(line);
            }
        }
        // Volumes.
        let claims: BTreeMap<String, String> = spec["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| {
                Some((
                    t["metadata"]["name"].as_str()?.to_string(),
                    t["spec"]["resources"]["requests"]["storage"]
                        .as_str()?
                        .to_string(),
                ))
            })
            .collect();
        // A volume mounted twice (two `subPath`s of one emptyDir) is one `volume` natively;
        // the second mount is the residual patch's.
        let mut mounted: BTreeSet<&str> = BTreeSet::new();
        let mut host_path_allowed = false;
        for m in c["volumeMounts"].as_array().into_iter().flatten() {
            let (Some(vn), Some(path)) = (s(&m["name"]), s(&m["mountPath"])) else {
                continue;
            };
            if !mounted.insert(vn) || !m["subPath"].is_null() || !m["subPathExpr"].is_null() {
                continue;
            }
            let ro = if m["readOnly"] == true {
                " read-only=#true"
            } else {
                ""
            };
            let vol = pod["volumes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|v| v["name"] == vn);
            let source = match vol {
                None => claims.get(vn).map(|size| format!("size={}", quote(size))),
                Some(v) if v["emptyDir"].is_object() => {
                    // maestroc's own writable directories come back as `writable`.
                    if vn.starts_with("rw-") {
                        // `/tmp` is one by default.
                        if path != "/tmp" {
                            b.line(format!("writable {}", quote(path)));
                        }
                        continue;
                    }
                    Some("empty-dir=#true".to_string())
                }
                Some(v) if v["secret"].is_object() => {
                    let Some(n) = s(&v["secret"]["secretName"]) else {
                        continue;
                    };
                    // A Secret whose keys the input never says (made by a script), or a
                    // volume of some of its keys (`items`), is the residual patch's to carry.
                    if secrets.get(n).is_none_or(Vec::is_empty) || !v["secret"]["items"].is_null() {
                        continue;
                    }
                    Some(format!("secret={}", quote(n)))
                }
                Some(v) if v["configMap"].is_object() => {
                    s(&v["configMap"]["name"]).map(|n| format!("config-map={}", quote(n)))
                }
                Some(v) if v["persistentVolumeClaim"].is_object() => {
                    let claim = s(&v["persistentVolumeClaim"]["claimName"]).unwrap_or_default();
                    let size = docs
                        .iter()
                        .find(|d| kind(d) == "PersistentVolumeClaim" && name_of(d) == claim)
                        .and_then(|d| {
                            d.value["spec"]["resources"]["requests"]["storage"]
                                .as_str()
                                .map(str::to_string)
                        })
                        .unwrap_or_else(|| "1Gi".to_string());
                    Some(format!("size={}", quote(&size)))
                }
                Some(v) if v["hostPath"].is_object() => s(&v["hostPath"]["path"]).map(|p| {
                    if !std::mem::replace(&mut host_path_allowed, true) {
                        b.line(
                            "allow \"host-path\" reason=\"imported: mounts the node's files\""
                                .to_string(),
                        );
                    }
                    format!("host-path={}", quote(p))
                }),
                _ => None,
            };
            match source {
                Some(src) => b.line(format!("volume {} {} {src}{ro}", quote(vn), quote(path))),
                None => b.comment(format!("volume {vn} at {path}: its source is not imported")),
            }
        }
        // Identity.
        let sc = &pod["securityContext"];
        for (field, node) in [
            ("runAsUser", "run-as-user"),
            ("runAsGroup", "run-as-group"),
            ("fsGroup", "fs-group"),
        ] {
            if let Some(n) = sc[field].as_i64() {
                if field == "runAsUser" && n == 0 {
                    b.line("allow \"root\" reason=\"imported: runs as root\"".to_string());
                }
                // What maestroc would pick anyway is left unsaid: 10001 for a non-root user,
                // the user for the group, the group for fsGroup.
                let fallback = i64::from(crate::model::Identity::FALLBACK);
                let root = sc["runAsUser"].as_i64() == Some(0);
                let implied = !root
                    && match field {
                        "fsGroup" => {
                            n == sc["runAsGroup"]
                                .as_i64()
                                .or(sc["runAsUser"].as_i64())
                                .unwrap_or(fallback)
                        }
                        "runAsGroup" => n == sc["runAsUser"].as_i64().unwrap_or(fallback),
                        _ => n == fallback,
                    };
                if !implied {
                    b.line(format!("{node} {n}"));
                }
            }
        }
        if let Some(g) = pod["terminationGracePeriodSeconds"].as_i64() {
            b.line(format!("termination-grace-period {g}"));
        }
        if let Some(pc) = s(&pod["priorityClassName"]) {
            b.line(format!("priority-class {}", quote(pc)));
        }
        for (k, v) in pod["nodeSelector"].as_object().into_iter().flatten() {
            b.line(format!(
                "node-selector {} {}",
                quote(k),
                quote(v.as_str().unwrap_or_default())
            ));
        }
        // Whatever else the pod says goes into a patch, so nothing is dropped silently.
        const SAID: &[&str] = &[
            "containers",
            "volumes",
            "securityContext",
            "serviceAccountName",
            "automountServiceAccountToken",
            "nodeSelector",
            "terminationGracePeriodSeconds",
            "priorityClassName",
            "topologySpreadConstraints",
            "restartPolicy",
        ];
        let rest: serde_json::Map<String, Value> = pod
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !SAID.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !rest.is_empty() {
            let pod_patch = serde_json::json!({"template": {"spec": Value::Object(rest)}});
            let body = if cron {
                serde_json::json!({"spec": {"jobTemplate": {"spec": pod_patch}}})
            } else {
                serde_json::json!({"spec": pod_patch})
            };
            b.block(kdl_out::patch(&wk, &body));
        }
        blocks.push(b);
    }
    // Default credentials in the input, as the scanner reports them.
    for (i, (file, text)) in inputs.iter().enumerate() {
        for c in crate::scan::credentials(text) {
            findings.push(c.into_finding(file, &texts[i]));
        }
    }
    let mut out = String::new();
    out.push_str(
        "// Imported by `maestroc import`: check it, then `maestroc build` and compare.\n\n",
    );
    let part_of = workloads
        .iter()
        .find_map(|w| w.value["metadata"]["labels"]["app.kubernetes.io/part-of"].as_str())
        .unwrap_or(&platform_ns)
        .to_string();
    let mut p = Block::new(format!("platform {}", quote(&part_of)));
    p.line(format!("namespace {}", quote(&platform_ns)));
    // maestroc's own output says how it addressed services and whether egress was closed.
    let ports_map = docs
        .iter()
        .find(|d| kind(d) == "ConfigMap" && name_of(d) == "service-ports");
    let short_in_map = ports_map.is_some_and(|d| {
        d.value["data"].as_object().is_some_and(|m| {
            m.iter().any(|(k, v)| {
                k.ends_with("_ADDRESS")
                    && v.as_str().is_some_and(|a| {
                        let host = a.rsplit("://").next().unwrap_or(a);
                        !host.split(':').next().unwrap_or("").contains('.')
                    })
            })
        })
    });
    if (short_addresses || short_in_map) && namespaces.len() == 1 {
        p.line("addresses \"short\"".to_string());
    }
    let defaults = docs
        .iter()
        .find(|d| kind(d) == "ConfigMap" && name_of(d) == "service-defaults")
        .and_then(|d| d.value["data"].as_object().cloned())
        .unwrap_or_default();
    let egress_closed = docs.iter().any(|d| {
        kind(d) == "NetworkPolicy"
            && d.value["spec"]["podSelector"]
                .as_object()
                .is_some_and(|m| m.is_empty())
            && d.value["spec"]["policyTypes"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "Egress"))
    });
    if egress_closed {
        p.line("egress \"restricted\"".to_string());
    }
    // Adopting changes nothing that runs: a namespace whose pods run below restricted today
    // is accepted at that level, said once in the spec where a reviewer sees it.
    for (ns, level) in input_pod_security(&workloads, &platform_ns) {
        p.line(format!(
            "pod-security {} namespace={} // as imported",
            quote(level.as_str()),
            quote(&ns)
        ));
    }
    if operator_scraped && let Some(line) = operations::operator_line(&scraper_peers) {
        p.line(line);
    }
    if !annotation_scraped.is_empty() {
        let mut line = "prometheus \"annotations\"".to_string();
        if let Some(by) = operations::scraper(docs.iter().map(|d| &d.value), &annotation_scraped) {
            line.push_str(&format!(" service={}", quote(&by)));
        }
        p.line(line);
    }
    out.push_str(&p.render(0));
    if !defaults.is_empty() {
        let mut d = Block::new("defaults".to_string());
        for (k, v) in &defaults {
            d.line(format!(
                "value {} {}",
                quote(k),
                quote(v.as_str().unwrap_or_default())
            ));
        }
        out.push('\n');
        out.push_str(&d.render(0));
    }
    // A secret whose keys the input never names is not declared (MC005): whatever uses it is
    // carried by the residual patch.
    for (name, keys) in secrets.iter().filter(|(_, k)| !k.is_empty()) {
        out.push('\n');
        let mut b = Block::new(format!("secret {}", quote(name)));
        {
            b.line(format!(
                "key {}",
                keys.iter().map(|k| quote(k)).collect::<Vec<_>>().join(" ")
            ));
        }
        if let Some((store, path)) = stores.get(name) {
            b.line(format!("store {} path={}", quote(store), quote(path)));
        }
        out.push_str(&b.render(0));
    }
    let head_end = out.len();
    for b in &blocks {
        out.push('\n');
        out.push_str(&b.render(0));
    }
    let blocks_end = out.len();
    // Keys of service-ports no imported workload owns: services that run elsewhere, published
    // by address only (`external host=`).
    if let Some(data) = ports_map.and_then(|d| d.value["data"].as_object()) {
        for (key, value) in data {
            let Some(stem) = key.strip_suffix("_ADDRESS") else {
                continue;
            };
            if prefixes.values().any(|p| p == stem) {
                continue;
            }
            let addr = value.as_str().unwrap_or_default();
            let (scheme, rest) = match addr.split_once("://") {
                Some((s, r)) => (Some(s), r),
                None => (None, addr),
            };
            let Some((host, primary)) = rest.rsplit_once(':') else {
                continue;
            };
            let name = stem.to_ascii_lowercase().replace('_', "-");
            let mut b = Block::new(format!("service {}", quote(&name)));
            b.comment("published by service-ports, not deployed here".to_string());
            b.line(format!("external host={}", quote(host)));
            let scheme = scheme.map_or(String::new(), |s| format!(" scheme={}", quote(s)));
            // A key is this stem's unless a longer stem with an address claims it
            // (REGISTRY_UI_PORT is registry-ui's, not registry's port `ui`).
            let longer_claims = |k: &str| {
                external_stems.iter().any(|other| {
                    other.len() > stem.len()
                        && other.starts_with(&format!("{stem}_"))
                        && (k == format!("{other}_ADDRESS") || k.starts_with(&format!("{other}_")))
                })
            };
            let mut ports: Vec<(String, &str)> = data
                .iter()
                .filter(|(k, _)| owner_of_key(k).is_none() && !longer_claims(k))
                .filter_map(|(k, v)| {
                    let rest = k.strip_prefix(&format!("{stem}_"))?.strip_suffix("PORT")?;
                    let pname = rest
                        .trim_end_matches('_')
                        .to_ascii_lowercase()
                        .replace('_', "-");
                    // The ConfigMap is input: only a port number and a plain name are written
                    // into the spec (anything else would not even parse as KDL).
                    let n = v.as_str()?;
                    if !n.parse::<u16>().is_ok_and(|p| p > 0)
                        || !pname
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        return None;
                    }
                    Some((
                        if pname.is_empty() {
                            "port".to_string()
                        } else {
                            pname
                        },
                        n,
                    ))
                })
                .collect();
            // No usable `_PORT` key: the address's own port, else no service can be said.
            if ports.is_empty() {
                if !primary.parse::<u16>().is_ok_and(|p| p > 0) {
                    continue;
                }
                ports.push(("port".to_string(), primary));
            }
            for (pname, n) in &ports {
                let primary_mark = if ports.len() > 1 && *n == primary {
                    " primary=#true"
                } else {
                    ""
                };
                let sch = if *n == primary { scheme.as_str() } else { "" };
                b.line(format!("port {pname} {n}{sch}{primary_mark}"));
            }
            out.push('\n');
            out.push_str(&b.render(0));
        }
    }
    let mut exposure: Vec<String> = routed
        .then(|| {
            let mut line = "exposure \"ingress\"".to_string();
            if let Some(ns) = operations::common(&controller_peers)
                .filter(|ns| ns != crate::model::ExposureSettings::DEFAULT_CONTROLLER_NAMESPACE)
            {
                line.push_str(&format!(" controller-namespace={}", quote(&ns)));
            }
            line
        })
        .into_iter()
        .collect();
    exposure.extend(operations::node_cidr_line(&node_peers));
    if let Some(b) = environment_block(docs.iter().map(|d| &d.value), env, exposure) {
        out.push('\n');
        out.push_str(&b.render(0));
    }
    // Lossless by construction: what the native spec does not rebuild goes into patches.
    let (head, tail) = (out[..head_end].to_string(), out[blocks_end..].to_string());
    let mut carried = BTreeMap::new();
    let out = residual_patches(
        &head,
        &mut blocks,
        &block_docs,
        &tail,
        &docs,
        inputs,
        &texts,
        &mut findings,
        &mut carried,
    );
    unbuildable(&out, &carried, &mut findings);
    let mut files: Vec<(String, String)> = carried.into_iter().collect();
    if !secret_values.is_empty() {
        let mut text = String::from(
            "# Credentials `maestroc import` found in the input, as `secret.key=value` lines for\n\
             # `maestroc secrets --from`. Keep this file out of Git; put the values in your store.\n",
        );
        for (secret, key, value, file, line) in &secret_values {
            if value.contains('\n') {
                findings.push(
                    Finding::new(
                        "MC301",
                        format!("{key} of secret `{secret}` spans lines: its value is not in the values file"),
                    )
                    .in_file(inputs[*file].0.clone(), *line, 1)
                    .help("put it into the secret store by hand"),
                );
                continue;
            }
            text.push_str(&format!("{secret}.{key}={value}\n"));
        }
        files.push((SECRETS_FILE.to_string(), text));
        findings.push(
            Finding::new(
                "MC301",
                format!(
                    "{} credential(s) in the input became secret keys; their values are in the values file beside the spec",
                    secret_values.len()
                ),
            )
            .help("import added it to the .gitignore beside the spec; move the values into your secret store, and use `maestroc secrets --from` for a development cluster"),
        );
        if let Some(f) = findings.last_mut() {
            // What import did, not drift in the input.
            f.severity = crate::diagnostic::Severity::Warning;
        }
    }
    Ok(Imported {
        spec: out,
        findings,
        services: blocks.len(),
        files,
    })
}

fn assemble(head: &str, blocks: &[Block], tail: &str) -> String {
    let mut out = head.to_string();
    for b in blocks {
        out.push('\n');
        out.push_str(&b.render(0));
    }
    out.push_str(tail);
    out
}

/// The objects a spec builds, by (kind, name), for its first environment (or `base`); None
/// when it does not compile.
fn built_objects(
    spec: &str,
    files: &BTreeMap<String, String>,
) -> Option<BTreeMap<(String, String), Value>> {
    let (compiled, _) = compile_with_files(spec, files, false);
    let files = crate::emit::emit_judged(&compiled?, false).ok()?;
    let env = files.keys().find_map(|k| {
        k.strip_prefix("k8s/")?
            .split('/')
            .next()
            .map(str::to_string)
    })?;
    let mut out = BTreeMap::new();
    for (path, text) in files.range(format!("k8s/{env}/")..) {
        if !path.starts_with(&format!("k8s/{env}/")) {
            break;
        }
        let docs: Vec<Value> =
            serde_saphyr::from_str_multiple_with_options(text, stream_options()).ok()?;
        for d in docs {
            let key = (
                d["kind"].as_str().unwrap_or_default().to_string(),
                d["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            out.entry(key).or_insert(d);
        }
    }
    Some(out)
}

/// Compiles `spec` reading the files import writes beside it from `files`.
fn compile_with_files(
    spec: &str,
    files: &BTreeMap<String, String>,
    judged: bool,
) -> (
    Option<crate::resolve::Compiled>,
    crate::diagnostic::Findings,
) {
    let load = |rel: &str| {
        files
            .get(rel)
            .cloned()
            .ok_or_else(|| format!("{rel}: not written by import"))
    };
    let (compiled, mut findings) =
        crate::resolve::compile_from(spec, &crate::config::Config::default(), &load);
    // "Builds" means emits: the checks over the final objects (Pod Security, the API server's
    // rules) judge what a patch makes of the pod, so a patch they refuse is refused here too.
    if judged
        && let Some(c) = &compiled
        && let Err(e) = crate::emit::emit(c)
    {
        findings.extend(e.findings);
        return (None, findings);
    }
    (compiled, findings)
}

/// Whether `v` holds the string `s` anywhere (a pod naming a ConfigMap, a ServiceAccount, a
/// claim).
fn mentions(v: &Value, s: &str) -> bool {
    match v {
        Value::String(x) => x == s,
        Value::Array(a) => a.iter().any(|i| mentions(i, s)),
        Value::Object(m) => m.values().any(|i| mentions(i, s)),
        _ => false,
    }
}

/// Input objects the native spec does not rebuild at all (a second Service, the ConfigMaps
/// and ServiceAccount pods use, RBAC, budgets), as `extra` files, one per service: each goes
/// to the service whose pods select or name it, else to the first. Never a Secret (its values
/// stay out of the spec and its files) nor a Namespace (the spec's own).
fn extras(
    docs: &[Doc],
    built: &BTreeMap<(String, String), Value>,
    block_docs: &[(&Doc, Option<&Doc>)],
    (inputs, texts): (&[(String, String)], &[Arc<String>]),
    findings: &mut Vec<Finding>,
) -> BTreeMap<usize, Vec<Value>> {
    let mut out: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
    if block_docs.is_empty() {
        return out;
    }
    for d in docs {
        let kind = d.value["kind"].as_str().unwrap_or_default();
        let name = d.value["metadata"]["name"].as_str().unwrap_or_default();
        let api = d.value["apiVersion"].as_str().unwrap_or_default();
        if name.is_empty()
            || matches!(kind, "Secret" | "Namespace" | "List" | "")
            || api.starts_with("kustomize.config.k8s.io")
            || built.contains_key(&(kind.to_string(), name.to_string()))
        {
            continue;
        }
        let selector = d.value["spec"]["selector"]
            .get("matchLabels")
            .unwrap_or(&d.value["spec"]["selector"]);
        let owner = block_docs
            .iter()
            .position(|(w, _)| {
                let t = &w.value["spec"]["template"];
                selector.as_object().is_some_and(|sel| {
                    !sel.is_empty() && sel.iter().all(|(k, v)| &t["metadata"]["labels"][k] == v)
                })
            })
            .or_else(|| {
                block_docs
                    .iter()
                    .position(|(w, _)| mentions(&w.value["spec"], name))
            })
            .unwrap_or(0);
        let mut obj = d.value.clone();
        // A credential never rides along into the spec's files (and the output): it is
        // reported where the input has it, for the user to move into a secret.
        let removed = crate::lint::credentials::strip(&mut obj, "");
        if !removed.is_empty() {
            findings.push(
                Finding::new(
                    "MC301",
                    format!(
                        "{kind} `{name}` holds credentials at {}: not carried into `imported/`",
                        removed.join(", ")
                    ),
                )
                .in_text(
                    &inputs[d.file].0,
                    &texts[d.file],
                    d.span.start..d.span.start,
                    "credentials here",
                )
                .help("keep them in a `secret` and read them with `env NAME secret=\"…\"`"),
            );
        }
        out.entry(owner).or_default().push(obj);
    }
    out
}

/// Adds to each service the `patch` that makes its built workload and Service say everything
/// the input's do (`residual.rs`), keeps only the patches that compile, and returns the spec.
/// A difference no patch may carry (a changed selector) is a finding at the input object.
#[allow(clippy::too_many_arguments)]
fn residual_patches(
    head: &str,
    blocks: &mut [Block],
    block_docs: &[(&Doc, Option<&Doc>)],
    tail: &str,
    docs: &[Doc],
    inputs: &[(String, String)],
    texts: &[Arc<String>],
    findings: &mut Vec<Finding>,
    files: &mut BTreeMap<String, String>,
) -> String {
    let native = assemble(head, blocks, tail);
    let Some(built) = built_objects(&native, files) else {
        return native;
    };
    // Objects not rebuilt at all ride along as `extra`; kept only when the spec still builds.
    // All at once first (one compile); only when that fails, service by service. Judged
    // without the final-object checks: the residual patches added next are what make the
    // native pods valid; the spec import writes is judged in full below.
    let carried: Vec<(usize, String, String, usize)> =
        extras(docs, &built, block_docs, (inputs, texts), findings)
            .into_iter()
            .map(|(i, objects)| {
                let name = block_docs[i].0.value["metadata"]["name"]
                    .as_str()
                    .unwrap_or("service");
                let text: Vec<String> = objects
                    .iter()
                    .filter_map(|o| serde_saphyr::to_string(o).ok())
                    .collect();
                (
                    i,
                    format!("imported/{name}.yaml"),
                    text.join("---\n"),
                    objects.len(),
                )
            })
            .collect();
    let mut all = files.clone();
    for (i, file, text, _) in &carried {
        all.insert(file.clone(), text.clone());
        blocks[*i].line(format!("extra {}", quote(file)));
    }
    if compile_with_files(&assemble(head, blocks, tail), &all, false)
        .0
        .is_some()
    {
        *files = all;
    } else {
        for (i, ..) in &carried {
            blocks[*i].drop_last(1);
        }
        for (i, file, text, count) in carried {
            let mut trial = files.clone();
            trial.insert(file.clone(), text);
            blocks[i].line(format!("extra {}", quote(&file)));
            if compile_with_files(&assemble(head, blocks, tail), &trial, false)
                .0
                .is_some()
            {
                *files = trial;
                continue;
            }
            blocks[i].drop_last(1);
            let (w, _) = block_docs[i];
            findings.push(
                Finding::new(
                    "MC004",
                    format!(
                        "{count} object(s) that `{}` uses could not be carried as `extra`",
                        w.value["metadata"]["name"].as_str().unwrap_or("service")
                    ),
                )
                .in_text(
                    &inputs[w.file].0,
                    &texts[w.file],
                    w.span.start..w.span.start,
                    "not carried",
                )
                .help("add them to the spec's `extra` files by hand"),
            );
        }
    }
    let ports = built
        .get(&("ConfigMap".to_string(), "service-ports".to_string()))
        .map(|c| c["data"].clone())
        .unwrap_or(Value::Null);
    let mut added = vec![0usize; blocks.len()];
    for (i, (w, svc)) in block_docs.iter().enumerate() {
        // The ServiceAccount named like the workload: maestroc builds its own under that name.
        let account = docs.iter().find(|d| {
            d.value["kind"] == "ServiceAccount"
                && d.value["metadata"]["name"] == w.value["metadata"]["name"]
        });
        for doc in std::iter::once(*w).chain(*svc).chain(account) {
            let kind = doc.value["kind"].as_str().unwrap_or_default().to_string();
            let name = doc.value["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let Some(b) = built.get(&(kind.clone(), name.clone())) else {
                continue;
            };
            // Compared as what runs: a `service-ports` reference is the value it resolves to.
            let (mut b, mut input) = (b.clone(), doc.value.clone());
            residual::resolve_port_refs(&mut b, &ports);
            residual::resolve_port_refs(&mut input, &ports);
            let mut skipped = Vec::new();
            if let Some(mut body) = residual::residual(&input, &b, &mut skipped) {
                // A credential stays a secret reference: never a value in the spec.
                residual::strip_credentials(&mut body);
                blocks[i].block(kdl_out::patch(&kind, &body));
                added[i] += 1;
            }
            if !skipped.is_empty() {
                findings.push(
                    Finding::new(
                        "MC206",
                        format!(
                            "{kind} `{name}`: {} differs from what the spec builds and no patch may change it",
                            skipped.join(", ")
                        ),
                    )
                    .in_text(&inputs[doc.file].0, &texts[doc.file], doc.span.start..doc.span.start, "not carried")
                    .help("the rebuilt object replaces the live one only after deleting it (a selector is immutable)"),
                );
                if let Some(f) = findings.last_mut() {
                    f.severity = crate::diagnostic::Severity::Warning;
                }
            }
        }
    }
    let spec = assemble(head, blocks, tail);
    if compile_with_files(&spec, files, true).0.is_some() {
        return spec;
    }
    // A residual patch the compiler refuses (MC014) is dropped, service by service, until the
    // spec compiles, and each drop is said: import never writes a spec that does not build.
    for i in 0..blocks.len() {
        if added[i] == 0 {
            continue;
        }
        blocks[i].drop_last(added[i]);
        let (w, _) = block_docs[i];
        findings.push(
            Finding::new(
                "MC014",
                "what the spec does not say natively of this workload could not be carried as a patch",
            )
            .in_text(&inputs[w.file].0, &texts[w.file], w.span.start..w.span.start, "not carried")
            .help("compare `maestroc build` with the input and add the difference by hand"),
        );
        if compile_with_files(&assemble(head, blocks, tail), files, true)
            .0
            .is_some()
        {
            break;
        }
    }
    assemble(head, blocks, tail)
}

/// What still stops the spec import wrote is in the input itself (a container without an
/// image, a name Kubernetes refuses, a port dialled that no Service exposes): each error is
/// said as an import finding, so a spec that does not build is never written silently.
fn unbuildable(spec: &str, files: &BTreeMap<String, String>, findings: &mut Vec<Finding>) {
    let (compiled, errors) = compile_with_files(spec, files, true);
    if compiled.is_some() {
        return;
    }
    for f in errors
        .iter()
        .filter(|f| f.severity == crate::diagnostic::Severity::Error)
    {
        findings.push(
            Finding::new(f.rule.code, format!("the spec written does not build: {}", f.message))
                .help("the input says something Kubernetes or maestroc refuses here: fix it in the input, or in the spec import wrote"),
        );
    }
}

/// `environment NAME { image-pull-policy …; storage-class … }` when every container agrees on
/// a pull policy or every claim on a storage class; a value some disagree with is left out
/// (maestroc sets these per environment, not per service).
fn environment_block<'a>(
    docs: impl Iterator<Item = &'a Value> + Clone,
    env: Option<&str>,
    exposure: Vec<String>,
) -> Option<Block> {
    let pods = docs.clone().filter_map(|d| match d["kind"].as_str()? {
        "CronJob" => Some(&d["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => Some(&d["spec"]["template"]["spec"]),
        _ => None,
    });
    let policies: BTreeSet<Option<&str>> = pods
        .flat_map(|pod| {
            ["initContainers", "containers"]
                .into_iter()
                .flat_map(move |k| pod[k].as_array().into_iter().flatten())
        })
        .map(|c| c["imagePullPolicy"].as_str())
        .collect();
    let claims = docs.flat_map(|d| match d["kind"].as_str() {
        Some("PersistentVolumeClaim") => vec![&d["spec"]],
        Some("StatefulSet") => d["spec"]["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| &c["spec"])
            .collect(),
        _ => Vec::new(),
    });
    let classes: BTreeSet<Option<&str>> = claims.map(|c| c["storageClassName"].as_str()).collect();
    let only = |set: &BTreeSet<Option<&'a str>>| match set.iter().collect::<Vec<_>>()[..] {
        [Some(v)] => Some(*v),
        _ => None,
    };
    let policy = only(&policies);
    let class = only(&classes);
    if policy.is_none() && class.is_none() && exposure.is_empty() {
        return None;
    }
    let mut b = Block::new(format!("environment {}", quote(env.unwrap_or("imported"))));
    b.comment("what every workload of the input shares".to_string());
    for x in exposure {
        b.line(x);
    }
    if let Some(c) = class {
        b.line(format!("storage-class {}", quote(c)));
    }
    if let Some(p) = policy {
        b.line(format!("image-pull-policy {}", quote(p)));
    }
    Some(b)
}

/// Each namespace whose imported pods meet less than restricted, with the lowest level they
/// meet (`verify::pod_security` over the input's own pod templates).
fn input_pod_security(
    workloads: &[&Doc],
    platform_ns: &str,
) -> std::collections::BTreeMap<String, crate::model::PodSecurityLevel> {
    use crate::verify::admission::{judge_template, template_of};
    let mut levels = std::collections::BTreeMap::new();
    for w in workloads {
        let Some(template) = template_of(&w.value) else {
            continue;
        };
        let level = crate::verify::pod_security::level(&judge_template(&template));
        if level == crate::model::PodSecurityLevel::Restricted {
            continue;
        }
        let ns = w.value["metadata"]["namespace"]
            .as_str()
            .unwrap_or(platform_ns)
            .to_string();
        let slot = levels.entry(ns).or_insert(level);
        *slot = (*slot).min(level);
    }
    levels
}

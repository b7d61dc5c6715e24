//! Stage 2: the input grouped. Each workload with the Services that select it; the addresses
//! other workloads may dial; maestroc's own `service-ports` data when the input is maestroc's
//! output (whose keys say each workload's key prefix and its dependencies) — and the
//! questions translation asks of them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use super::read::Doc;
use crate::diagnostic::Finding;
use crate::model::config_key_stem;

/// A Service of the input and what it selects.
pub(super) struct Svc<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub doc: &'a Doc,
    pub selector: BTreeMap<String, String>,
}

impl Svc<'_> {
    pub fn ports(&self) -> Vec<&Value> {
        self.doc.value["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .collect()
    }
}

/// The input, read and grouped.
pub(super) struct Input<'a> {
    pub inputs: &'a [(String, String)],
    pub texts: Vec<Arc<String>>,
    pub docs: &'a [Doc],
    /// Deployments, StatefulSets, DaemonSets, Jobs and CronJobs: one `service` each.
    pub workloads: Vec<&'a Doc>,
    pub services: Vec<Svc<'a>>,
    /// Workloads per namespace; the commonest is the platform's.
    pub namespaces: BTreeMap<String, usize>,
    pub platform_ns: String,
    /// Host forms of each workload's main Service → (workload, its Service ports).
    pub hosts: BTreeMap<String, (String, Vec<i64>)>,
    /// maestroc's own `service-ports` data, when the input is maestroc's output.
    pub ports_data: serde_json::Map<String, Value>,
    /// Each workload's key prefix in `service-ports` (its `config-prefix`).
    pub prefixes: BTreeMap<String, String>,
    /// Stems of `service-ports` keys no workload owns: services that run elsewhere.
    pub external_stems: Vec<String>,
    /// Keys maestroc injects into every workload (each service's `service-ports` keys).
    injected_keys: BTreeSet<String>,
    pub address_re: regex::Regex,
}

/// A map of strings as the input says it (non-strings as empty).
pub(super) fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"];

impl<'a> Input<'a> {
    pub fn new(inputs: &'a [(String, String)], docs: &'a [Doc]) -> Result<Self, Box<Finding>> {
        let workloads: Vec<&Doc> = docs
            .iter()
            .filter(|d| WORKLOADS.contains(&d.kind()))
            .collect();
        let services = docs
            .iter()
            .filter(|d| d.kind() == "Service")
            .map(|d| Svc {
                name: d.name(),
                namespace: d.namespace(),
                doc: d,
                selector: string_map(&d.value["spec"]["selector"]),
            })
            .collect();
        let mut namespaces: BTreeMap<String, usize> = BTreeMap::new();
        for w in &workloads {
            *namespaces.entry(w.namespace().to_string()).or_default() += 1;
        }
        let platform_ns = namespaces
            .iter()
            .max_by_key(|(_, n)| **n)
            .map_or("default".to_string(), |(ns, _)| ns.clone());
        let ports_data = docs
            .iter()
            .find(|d| d.is("ConfigMap", "service-ports"))
            .and_then(|d| d.value["data"].as_object().cloned())
            .unwrap_or_default();
        let injected_keys = workloads
            .iter()
            .flat_map(|w| {
                let stem = config_key_stem(w.name());
                [format!("{stem}_PORT"), format!("{stem}_ADDRESS")]
            })
            .collect();
        let address_re = regex::Regex::new(r"([a-z0-9][a-z0-9.-]*):([0-9]{1,5})\b")
            .map_err(|e| Box::new(Finding::new("MC091", e.to_string())))?;
        let mut input = Input {
            inputs,
            texts: inputs.iter().map(|(_, t)| Arc::new(t.clone())).collect(),
            docs,
            workloads,
            services,
            namespaces,
            platform_ns,
            hosts: BTreeMap::new(),
            ports_data,
            prefixes: BTreeMap::new(),
            external_stems: Vec::new(),
            injected_keys,
            address_re,
        };
        input.hosts = input.hosts();
        input.prefixes = input.prefixes();
        input.external_stems = input
            .ports_data
            .keys()
            .filter_map(|k| k.strip_suffix("_ADDRESS"))
            .filter(|stem| !input.prefixes.values().any(|p| p == stem))
            .map(str::to_string)
            .collect();
        Ok(input)
    }

    /// Every input object.
    pub fn values(&self) -> impl Iterator<Item = &'a Value> + Clone + use<'a> {
        self.docs.iter().map(|d| &d.value)
    }

    pub fn find(&self, kind: &str, name: &str) -> Option<&'a Doc> {
        self.docs.iter().find(|d| d.is(kind, name))
    }

    /// A finding at the input object `d`.
    pub fn at(&self, d: &Doc, msg: String, label: &str) -> Finding {
        self.at_code("MC206", d, msg, label)
    }

    /// A finding at the object `d` itself: its first line that is not a comment (`helm
    /// template` opens each document with `# Source: …`) and not the separator.
    pub fn at_code(&self, code: &'static str, d: &Doc, msg: String, label: &str) -> Finding {
        let text = &self.texts[d.file];
        let mut start = d.span.start.min(text.len());
        for line in text[start..].split_inclusive('\n') {
            let t = line.trim();
            if !(t.is_empty() || t.starts_with('#') || t == "---") || start >= d.span.end {
                break;
            }
            start += line.len();
        }
        let start = start.min(d.span.end.max(d.span.start));
        Finding::new(code, msg).in_text(
            &self.inputs[d.file].0,
            text,
            start..start,
            label.to_string(),
        )
    }

    /// Whether `svc` selects the pods of `w` (same namespace, selector ⊆ pod labels).
    pub fn selects(&self, svc: &Svc, w: &Doc) -> bool {
        let labels = string_map(&w.value["spec"]["template"]["metadata"]["labels"]);
        svc.namespace == w.namespace()
            && !svc.selector.is_empty()
            && svc.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    }

    /// A workload's main Service: the one named like it, else the first that selects it.
    pub fn main_service(&self, w: &Doc) -> Option<&Svc<'a>> {
        self.services
            .iter()
            .find(|s| s.name == w.name() && self.selects(s, w))
            .or_else(|| {
                self.services
                    .iter()
                    .find(|s| self.selects(s, w) && s.doc.value["spec"]["clusterIP"] != "None")
            })
    }

    /// The main Service when it is named like the workload: the object maestroc rebuilds
    /// under that name.
    pub fn own_service(&self, w: &Doc) -> Option<&'a Doc> {
        self.main_service(w)
            .filter(|s| s.name == w.name())
            .map(|s| s.doc)
    }

    /// Drift the input holds before any translation: Services that select nothing, NodePort
    /// collisions.
    pub fn check(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        // Pods of any controller count, also those import carries as they are (a legacy
        // ReplicationController's, a bare Pod's).
        let other_pods: Vec<(&str, BTreeMap<String, String>)> = self
            .docs
            .iter()
            .filter(|d| matches!(d.kind(), "Pod" | "ReplicationController" | "ReplicaSet"))
            .filter_map(|d| {
                let template = crate::verify::admission::template_value(&d.value)?;
                Some((d.namespace(), string_map(&template["metadata"]["labels"])))
            })
            .collect();
        for svc in &self.services {
            let selects_other = other_pods.iter().any(|(ns, labels)| {
                *ns == svc.namespace && svc.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            });
            if !svc.selector.is_empty()
                && !selects_other
                && !self.workloads.iter().any(|w| self.selects(svc, w))
            {
                findings.push(self.at(
                    svc.doc,
                    format!("Service `{}` selects no workload", svc.name),
                    "its selector matches no pod template",
                ));
            }
        }
        let mut node_ports: BTreeMap<i64, String> = BTreeMap::new();
        for svc in &self.services {
            for p in svc.ports() {
                if let Some(np) = p["nodePort"].as_i64()
                    && let Some(first) = node_ports.insert(np, svc.name.to_string())
                {
                    findings.push(self.at(
                        svc.doc,
                        format!("NodePort {np} is used by `{first}` and `{}`", svc.name),
                        "a NodePort collision",
                    ));
                }
            }
        }
        findings
    }

    fn hosts(&self) -> BTreeMap<String, (String, Vec<i64>)> {
        let mut hosts = BTreeMap::new();
        for w in &self.workloads {
            let Some(svc) = self.main_service(w) else {
                continue;
            };
            let ports: Vec<i64> = svc
                .ports()
                .iter()
                .filter_map(|p| p["port"].as_i64())
                .collect();
            for h in [
                svc.name.to_string(),
                format!("{}.{}", svc.name, svc.namespace),
                format!("{}.{}.svc", svc.name, svc.namespace),
                format!("{}.{}.svc.cluster.local", svc.name, svc.namespace),
            ] {
                hosts.insert(h, (w.name().to_string(), ports.clone()));
            }
        }
        hosts
    }

    /// maestroc's own output: each workload's own service-ports keys come first in its env;
    /// their stem is its key prefix (a `config-prefix` when it is not the name's).
    fn prefixes(&self) -> BTreeMap<String, String> {
        self.workloads
            .iter()
            .map(|w| {
                let c = &w.value["spec"]["template"]["spec"]["containers"][0];
                let container_ports: Vec<String> = c["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["containerPort"].as_i64().map(|n| n.to_string()))
                    .collect();
                // Own keys: a leading `<P>_ADDRESS` whose `<P>_…PORT` is one of its container
                // ports (a workload without ports has none, and its first keys are a
                // dependency's).
                let own = c["env"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .take_while(|e| e["valueFrom"]["configMapKeyRef"]["name"] == "service-ports")
                    .filter_map(|e| e["name"].as_str())
                    .filter_map(|k| k.strip_suffix("_ADDRESS"))
                    .find(|p| {
                        self.ports_data.iter().any(|(k, v)| {
                            k.starts_with(&format!("{p}_"))
                                && k.ends_with("PORT")
                                && v.as_str()
                                    .is_some_and(|v| container_ports.iter().any(|c| c == v))
                        })
                    })
                    .map(str::to_string);
                let name = w.name().to_string();
                let prefix = own.unwrap_or_else(|| config_key_stem(&name));
                (name, prefix)
            })
            .collect()
    }

    /// The scheme maestroc put in a workload's `_ADDRESS` (`nats://…`), for its primary port.
    pub fn address_scheme(&self, workload: &str, port: Option<i64>) -> Option<String> {
        let p = port?;
        let prefix = self.prefixes.get(workload)?;
        let addr = self
            .ports_data
            .get(&format!("{prefix}_ADDRESS"))?
            .as_str()?;
        let (scheme, rest) = addr.split_once("://")?;
        rest.ends_with(&format!(":{p}")).then(|| scheme.to_string())
    }

    /// The workload whose `service-ports` key this is; the longest prefix wins
    /// (MLFLOW_DB_PORT is mlflow-db's, not mlflow's).
    pub fn owner_of_key(&self, key: &str) -> Option<String> {
        self.prefixes
            .iter()
            .filter(|(_, p)| owns(p, key))
            .max_by_key(|(_, p)| p.len())
            .map(|(n, _)| n.clone())
    }

    /// The service (imported, else external) a workload reading `key` depends on.
    pub fn dependency_of_key(&self, key: &str) -> Option<String> {
        self.owner_of_key(key).or_else(|| {
            self.external_stems
                .iter()
                .filter(|stem| owns(stem, key))
                .max_by_key(|stem| stem.len())
                .map(|stem| stem.to_ascii_lowercase().replace('_', "-"))
        })
    }

    /// Whether maestroc would inject a variable of this name itself (an input variable of
    /// that name would collide with it).
    pub fn injected(&self, en: &str) -> bool {
        self.injected_keys.contains(en)
            || (en.ends_with("_PORT")
                && self.injected_keys.iter().any(|k| {
                    k.ends_with("_ADDRESS") && en.starts_with(k.trim_end_matches("ADDRESS"))
                }))
    }
}

/// Whether a key prefix owns a `service-ports` key: its address or one of its ports.
fn owns(prefix: &str, key: &str) -> bool {
    key == format!("{prefix}_ADDRESS")
        || (key.starts_with(&format!("{prefix}_")) && key.ends_with("_PORT"))
}

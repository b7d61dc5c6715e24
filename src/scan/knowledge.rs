//! What the spec knows that the scanner compares the repository against: each service's
//! ports, namespace, source directory, and the variables its manifest provides.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::SourceSpan;

use crate::model::{EnvFromSource, EnvValue, Platform, Service, service_keys};

/// One `service-ports` key: its value and where the spec declares it.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub value: String,
    pub service: usize,
    pub span: SourceSpan,
}

#[derive(Debug)]
pub struct Knowledge<'a> {
    pub platform: &'a Platform,
    pub keys: HashMap<String, KeyInfo>,
    /// Per service: every variable its manifest provides (in any environment).
    pub provided: Vec<HashSet<String>>,
    /// Per service: ConfigMaps and Secrets its pod reads whole (`envFrom`) whose keys the spec
    /// cannot see, as (kind, name).
    pub opaque: Vec<Vec<(&'static str, String)>>,
    /// Per service: the literal values its patches give variables (`env: [{name, value}]`).
    patched_values: Vec<HashMap<String, String>>,
    /// Per service: the variables the kubelet injects for every Service of its namespace
    /// (Kubernetes' service links: `RATINGS_SERVICE_PORT=9080`), with their values when the
    /// spec knows them (a Service's address is the cluster's choice).
    links: Vec<Arc<Links>>,
    /// Per service: its `source` directory, relative to the scan root, if it lies inside it.
    pub source_dirs: Vec<Option<PathBuf>>,
    /// The directory scanned (a chart's `values.yaml` is read from it beside its templates).
    pub root: PathBuf,
}

impl<'a> Knowledge<'a> {
    /// `spec_dir` is where `source` paths are relative to; `root` the directory scanned.
    pub fn new(platform: &'a Platform, spec_dir: &Path, root: &Path) -> Self {
        let mut keys = HashMap::new();
        for (i, svc) in platform.services.iter().enumerate() {
            for k in service_keys(platform, svc) {
                keys.insert(
                    k.key,
                    KeyInfo {
                        value: k.value,
                        service: i,
                        span: k.span,
                    },
                );
            }
        }
        let defaults: Vec<String> = platform
            .defaults
            .values
            .iter()
            .chain(platform.environments.iter().flat_map(|e| &e.values))
            .map(|(k, _)| k.value.clone())
            .collect();
        // The ConfigMaps and Secrets the spec ships (`extra`) or declares (`secret`), by kind
        // and name: their keys.
        let mut shipped: HashMap<(&'static str, String), Vec<String>> = platform
            .services
            .iter()
            .flat_map(|s| &s.extras)
            .flat_map(|e| &e.objects)
            .filter_map(|o| {
                let kind = match o["kind"].as_str()? {
                    "ConfigMap" => "ConfigMap",
                    "Secret" => "Secret",
                    _ => return None,
                };
                let name = o["metadata"]["name"].as_str()?.to_string();
                let keys = ["data", "stringData"]
                    .iter()
                    .flat_map(|d| o[*d].as_object().into_iter().flatten())
                    .map(|(k, _)| k.clone());
                Some(((kind, name), keys.collect()))
            })
            .collect();
        for secret in &platform.secrets {
            shipped.insert(
                ("Secret", secret.name.value.clone()),
                secret.keys.iter().map(|k| k.value.clone()).collect(),
            );
        }
        let pods: Vec<PodEnv> = platform.services.iter().map(pod_env).collect();
        // One table per namespace, shared by its pods (none where a patch turns links off).
        let by_namespace = service_links(platform);
        let none = Arc::new(Links::new());
        let links: Vec<Arc<Links>> = platform
            .services
            .iter()
            .map(|svc| {
                let off = svc.patches.iter().any(|x| disables_links(&x.body));
                match by_namespace.get(svc.namespace(platform)) {
                    Some(l) if !off => l.clone(),
                    _ => none.clone(),
                }
            })
            .collect();
        let provided = platform
            .services
            .iter()
            .zip(&pods)
            .map(|(svc, (patched, whole))| {
                let mut set: HashSet<String> = service_keys(platform, svc)
                    .into_iter()
                    .map(|k| k.key)
                    .collect();
                for dep in &svc.depends_on {
                    if let Some(d) = platform.services.iter().find(|s| s.name.value == dep.value) {
                        set.extend(service_keys(platform, d).into_iter().map(|k| k.key));
                    }
                }
                let overlays = platform
                    .environments
                    .iter()
                    .flat_map(|e| &e.services)
                    .filter(|o| o.name.value == svc.name.value)
                    .flat_map(|o| &o.env);
                set.extend(svc.env.iter().chain(overlays).map(|v| v.name.value.clone()));
                set.extend(defaults.iter().cloned());
                // What the built pod provides beyond the vocabulary: variables a `patch`
                // sets, and every key of a ConfigMap or Secret the pod reads whole (`envFrom`,
                // native or patched) when the spec ships or declares it.
                // (Service links are looked up apart: `provides`.)
                set.extend(patched.keys().cloned());
                for n in whole {
                    set.extend(shipped.get(n).into_iter().flatten().cloned());
                }
                set
            })
            .collect();
        // ConfigMaps and Secrets a pod reads whole that the spec does not know: any variable
        // may come from them, so a read the spec does not provide is no evidence of a missing one.
        let (patched_values, opaque) = pods
            .into_iter()
            .map(|(patched, mut whole)| {
                whole.retain(|n| !shipped.contains_key(n));
                let values = patched
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v?)))
                    .collect();
                (values, whole)
            })
            .unzip();
        let root_abs = absolute(root);
        let source_dirs = platform
            .services
            .iter()
            .map(|svc| {
                let src = svc.source.as_ref()?;
                let abs = absolute(&spec_dir.join(&src.value));
                abs.strip_prefix(&root_abs).ok().map(Path::to_path_buf)
            })
            .collect();
        Self {
            platform,
            keys,
            provided,
            opaque,
            patched_values,
            links,
            source_dirs,
            root: root.to_path_buf(),
        }
    }

    /// The service a file describes: a configuration file named exactly like a spec service
    /// (`shared/account-service.yml`, which a config server serves to `account-service`) is
    /// that service's wherever it lies; any other file is the service's whose `source`
    /// directory holds it (relative to the scan root).
    pub fn owner_of(&self, rel: &Path) -> Option<usize> {
        let config = matches!(
            rel.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml" | "properties")
        );
        if config
            && let Some(stem) = rel.file_stem().and_then(|s| s.to_str())
            && let Some(i) = self
                .platform
                .services
                .iter()
                .position(|s| s.name.value == stem && !s.is_external())
        {
            return Some(i);
        }
        self.source_dirs
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.as_ref().map(|d| (i, d)))
            .filter(|(_, d)| rel.starts_with(d))
            // The deepest directory wins when sources nest.
            .max_by_key(|(_, d)| d.components().count())
            .map(|(i, _)| i)
    }

    pub fn service(&self, i: usize) -> &'a Service {
        &self.platform.services[i]
    }

    /// The value a service's manifest gives a variable, when the spec knows it.
    pub fn provided_value(&self, svc: usize, name: &str) -> Option<String> {
        let s = self.service(svc);
        if let Some(var) = s.env.iter().find(|v| v.name.value == name) {
            return match &var.value {
                EnvValue::Literal(v) => {
                    // `{KEY}` placeholders read as what the kubelet will put there.
                    let mut value = v.value.clone();
                    for (_, key) in crate::model::placeholders(&v.value) {
                        if let Some(k) = self.keys.get(key) {
                            value = value.replace(&format!("{{{key}}}"), &k.value);
                        }
                    }
                    Some(value)
                }
                EnvValue::Ref(key) => self.keys.get(&key.value).map(|k| k.value.clone()),
                EnvValue::Secret { .. } | EnvValue::Field(_) => None,
            };
        }
        if let Some(v) = self.patched_values[svc].get(name) {
            return Some(v.clone());
        }
        self.keys
            .get(name)
            .map(|k| k.value.clone())
            .or_else(|| self.service_link(svc, name))
    }

    /// Whether `svc`'s pod gets the variable: from the spec, a patch, a ConfigMap or Secret
    /// it reads whole, or a service link.
    pub fn provides(&self, svc: usize, name: &str) -> bool {
        self.provided[svc].contains(name) || self.links[svc].contains_key(name)
    }

    /// The variable of this name `svc`'s pod gets, compared without regard to case (a .NET
    /// section's `Ledger__Port`), as the spec spells it.
    pub fn provided_like(&self, svc: usize, name: &str) -> Option<&str> {
        self.provided[svc]
            .iter()
            .chain(self.links[svc].keys())
            .find(|p| p.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }

    /// Whether the spec itself (not a service link) gives `svc` the variable's value.
    pub fn provided_value_in_spec(&self, svc: usize, name: &str) -> bool {
        self.service(svc).env.iter().any(|v| v.name.value == name)
            || self.patched_values[svc].contains_key(name)
            || self.keys.contains_key(name)
    }

    /// The value of a variable the kubelet injects into `svc`'s pods for a Service of its
    /// namespace (`CATALOG_SERVICE_PORT` = the first port of Service `catalog`), when the spec
    /// knows it.
    pub fn service_link(&self, svc: usize, name: &str) -> Option<String> {
        self.links[svc].get(name).cloned().flatten()
    }

    /// Whether `svc` declares `depends-on` the service `other`.
    /// Whether any service of the spec sets an env var of this name (`env X ref=…`).
    pub fn mapped_anywhere(&self, name: &str) -> bool {
        self.platform
            .services
            .iter()
            .any(|s| s.env.iter().any(|v| v.name.value == name))
    }

    /// Whether the spec knows a variable of this name as a credential: some service gets it
    /// from a Secret (`env X secret=…`), or a declared `secret` has a key of that name (which
    /// a pod reading the Secret whole gets as a variable).
    pub fn secret_elsewhere(&self, name: &str) -> bool {
        self.platform.services.iter().any(|s| {
            s.env
                .iter()
                .any(|v| v.name.value == name && matches!(v.value, EnvValue::Secret { .. }))
        }) || self
            .platform
            .secrets
            .iter()
            .any(|s| s.keys.iter().any(|k| k.value == name))
    }

    /// Whether `port` is a port of a spec service other than `svc` (and not `svc`'s own):
    /// in `svc`'s code such a literal is a client's, dialling that service, not a listen port.
    pub fn is_port_of_another(&self, svc: usize, port: u16) -> bool {
        let own = |s: &Service| {
            s.ports
                .iter()
                .any(|p| p.number.value.get() == port || p.exposed().get() == port)
        };
        !own(self.service(svc))
            && self
                .platform
                .services
                .iter()
                .enumerate()
                .any(|(i, s)| i != svc && own(s))
    }

    pub fn depends_on(&self, svc: usize, other: usize) -> bool {
        let target = &self.service(other).name.value;
        self.service(svc)
            .depends_on
            .iter()
            .any(|d| &d.value == target)
    }
}

/// A pod's variables from patches (name → literal value, if any) and the ConfigMaps and
/// Secrets it reads whole, as (kind, name).
type PodEnv = (HashMap<String, Option<String>>, Vec<(&'static str, String)>);

/// What a service's pod gets beyond the vocabulary: the variables its patches set (with their
/// literal values), and the ConfigMaps and Secrets it reads whole (`env-from`, or `envFrom` in
/// a patch) as (kind, name).
fn pod_env(svc: &Service) -> PodEnv {
    let mut names = HashMap::new();
    let mut whole: Vec<(&'static str, String)> = svc
        .env_from
        .iter()
        .map(|e| match &e.source {
            EnvFromSource::ConfigMap(n) => ("ConfigMap", n.value.clone()),
            EnvFromSource::Secret(n) => ("Secret", n.value.clone()),
        })
        .collect();
    for p in &svc.patches {
        patched_env(&p.body, &mut names, &mut whole);
    }
    (names, whole)
}

/// The variables a patch body sets (`env` items' names) and the ConfigMaps and Secrets it
/// reads whole (`envFrom[].configMapRef.name`, `secretRef.name`), wherever they sit in it.
fn patched_env(
    v: &serde_json::Value,
    names: &mut HashMap<String, Option<String>>,
    config_maps: &mut Vec<(&'static str, String)>,
) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("env", serde_json::Value::Array(items)) => {
                        names.extend(
                            items
                                .iter()
                                .filter(|i| !i["value"].is_null() || !i["valueFrom"].is_null())
                                .filter_map(|i| {
                                    let value = match &i["value"] {
                                        serde_json::Value::String(s) => Some(s.clone()),
                                        serde_json::Value::Number(n) => Some(n.to_string()),
                                        _ => None,
                                    };
                                    i["name"].as_str().map(|n| (n.to_string(), value))
                                }),
                        );
                    }
                    ("envFrom", serde_json::Value::Array(items)) => {
                        config_maps.extend(items.iter().filter_map(|i| {
                            let (kind, r) = if i["secretRef"].is_object() {
                                ("Secret", &i["secretRef"])
                            } else {
                                ("ConfigMap", &i["configMapRef"])
                            };
                            r["name"].as_str().map(|n| (kind, n.to_string()))
                        }));
                    }
                    _ => patched_env(x, names, config_maps),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| patched_env(x, names, config_maps)),
        _ => {}
    }
}

/// A namespace's service-link variables, with their values when the spec knows them.
type Links = HashMap<String, Option<String>>;

/// The variables Kubernetes' service links put into the pods of each namespace: for every
/// Service maestroc builds there, `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT` (its first
/// port), `<NAME>_SERVICE_PORT_<PORT>` per named port and `<NAME>_PORT_<n>_TCP_PORT` — the
/// ones that hold a port number or the host. Computed once per namespace, not per pod.
fn service_links(p: &Platform) -> HashMap<String, Arc<Links>> {
    let mut out: HashMap<String, Links> = HashMap::new();
    for other in &p.services {
        if other.is_external() {
            continue;
        }
        let ns = other.namespace(p);
        let table = out.entry(ns.to_string()).or_default();
        // Its own Service, then the Services it ships as `extra` (named unlike it, second).
        let own = other
            .ports
            .iter()
            .map(|x| (Some(x.name.value.clone()), x.exposed().get().into()));
        link(table, &other.name.value, own);
        for o in other.extras.iter().flat_map(|e| &e.objects) {
            if o["kind"] != "Service"
                || o["metadata"]["namespace"].as_str().is_some_and(|n| n != ns)
            {
                continue;
            }
            let Some(name) = o["metadata"]["name"].as_str() else {
                continue;
            };
            let ports = o["spec"]["ports"].as_array().into_iter().flatten();
            let ports = ports.filter_map(|x| {
                Some((x["name"].as_str().map(str::to_string), x["port"].as_u64()?))
            });
            link(table, name, ports);
        }
    }
    out.into_iter().map(|(k, v)| (k, Arc::new(v))).collect()
}

/// The service-link variables of one Service with these (name, port) pairs, in order.
fn link(
    out: &mut HashMap<String, Option<String>>,
    service: &str,
    ports: impl Iterator<Item = (Option<String>, u64)>,
) {
    let stem = service.to_ascii_uppercase().replace(['-', '.'], "_");
    for (i, (name, n)) in ports.enumerate() {
        let n = n.to_string();
        // Docker-link style `<NAME>_PORT=tcp://10.0.0.1:6379` is left out: code reading
        // `REDIS_PORT` for a number is not served by it (a clash, not a provision).
        if i == 0 {
            out.insert(format!("{stem}_SERVICE_HOST"), None);
            out.insert(format!("{stem}_SERVICE_PORT"), Some(n.clone()));
        }
        if let Some(name) = name {
            let name = name.to_ascii_uppercase().replace('-', "_");
            out.insert(format!("{stem}_SERVICE_PORT_{name}"), Some(n.clone()));
        }
        out.insert(format!("{stem}_PORT_{n}_TCP_PORT"), Some(n.clone()));
    }
}

/// Whether a patch body says `enableServiceLinks: false` anywhere.
fn disables_links(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Object(m) => m.iter().any(|(k, x)| {
            (k == "enableServiceLinks" && *x == serde_json::Value::Bool(false)) || disables_links(x)
        }),
        serde_json::Value::Array(a) => a.iter().any(disables_links),
        _ => false,
    }
}

fn absolute(p: &Path) -> PathBuf {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| p.to_path_buf(), |cwd| cwd.join(p))
    };
    // Lexical normalisation: `a/./b/../c` → `a/c`, without touching the filesystem.
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

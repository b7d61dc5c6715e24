//! What the spec knows that the scanner compares the repository against: each service's
//! ports, namespace, source directory, and the variables its manifest provides.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

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
    /// Per service: ConfigMaps its pod reads whole (`envFrom`) whose keys the spec cannot see.
    pub opaque: Vec<Vec<String>>,
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
        // The ConfigMaps the spec ships (`extra`), by name: their keys.
        let shipped: HashMap<String, Vec<String>> = platform
            .services
            .iter()
            .flat_map(|s| &s.extras)
            .flat_map(|e| &e.objects)
            .filter(|o| o["kind"] == "ConfigMap")
            .filter_map(|o| {
                let name = o["metadata"]["name"].as_str()?.to_string();
                let keys = o["data"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k.clone());
                Some((name, keys.collect()))
            })
            .collect();
        let pods: Vec<(HashSet<String>, Vec<String>)> =
            platform.services.iter().map(pod_env).collect();
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
                // sets, and every key of a ConfigMap the pod reads whole (`envFrom`, native
                // or patched) when the spec ships that ConfigMap (`extra`).
                set.extend(patched.iter().cloned());
                for n in whole {
                    set.extend(shipped.get(n).into_iter().flatten().cloned());
                }
                set
            })
            .collect();
        // ConfigMaps a pod reads whole that the spec does not ship: any variable may come
        // from them, so a read the spec does not provide is no evidence of a missing one.
        let opaque = pods
            .into_iter()
            .map(|(_, mut whole)| {
                whole.retain(|n| !shipped.contains_key(n));
                whole
            })
            .collect();
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
            source_dirs,
            root: root.to_path_buf(),
        }
    }

    /// The service whose `source` directory holds `rel` (relative to the scan root).
    pub fn owner_of(&self, rel: &Path) -> Option<usize> {
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
        self.keys.get(name).map(|k| k.value.clone())
    }

    /// Whether `svc` declares `depends-on` the service `other`.
    /// Whether any service of the spec sets an env var of this name (`env X ref=…`).
    pub fn mapped_anywhere(&self, name: &str) -> bool {
        self.platform
            .services
            .iter()
            .any(|s| s.env.iter().any(|v| v.name.value == name))
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

/// What a service's pod gets beyond the vocabulary: the variables its patches set, and the
/// ConfigMaps it reads whole (`env-from config-map=`, or `envFrom` in a patch).
fn pod_env(svc: &Service) -> (HashSet<String>, Vec<String>) {
    let mut names = HashSet::new();
    let mut whole: Vec<String> = svc
        .env_from
        .iter()
        .filter_map(|e| match &e.source {
            EnvFromSource::ConfigMap(n) => Some(n.value.clone()),
            EnvFromSource::Secret(_) => None,
        })
        .collect();
    for p in &svc.patches {
        patched_env(&p.body, &mut names, &mut whole);
    }
    (names, whole)
}

/// The variables a patch body sets (`env` items' names) and the ConfigMaps it reads whole
/// (`envFrom[].configMapRef.name`), wherever they sit in it.
fn patched_env(v: &serde_json::Value, names: &mut HashSet<String>, config_maps: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("env", serde_json::Value::Array(items)) => {
                        names.extend(
                            items
                                .iter()
                                .filter(|i| !i["value"].is_null() || !i["valueFrom"].is_null())
                                .filter_map(|i| i["name"].as_str().map(str::to_string)),
                        );
                    }
                    ("envFrom", serde_json::Value::Array(items)) => {
                        config_maps.extend(items.iter().filter_map(|i| {
                            i["configMapRef"]["name"].as_str().map(str::to_string)
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

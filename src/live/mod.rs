//! `diff --live`: the running cluster against what the spec builds, as data.
//!
//! The cluster's objects (a `kubectl get -o yaml` stream) and the environment's build are
//! paired by API group, kind, namespace and name; each pair is normalised (`crate::server_defaults`: what
//! the server adds taken out, its defaults filled into both) and compared leaf by leaf
//! (`compare`); ignore rules from `maestroc.toml` drop what someone else owns; `attribute`
//! ties each difference to the spec line that sets it. Pure: YAML in, findings out.

pub mod attribute;
pub mod compare;

use serde_json::Value;

use compare::{Change, Seg};

/// An object's identity: API group (not version: the server answers in the version asked),
/// kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Key {
    pub fn of(o: &Value) -> Option<Key> {
        let api = o["apiVersion"].as_str()?;
        let group = api.rsplit_once('/').map_or("", |(g, _)| g).to_string();
        Some(Key {
            group,
            kind: o["kind"].as_str()?.to_string(),
            namespace: o["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            name: o["metadata"]["name"].as_str()?.to_string(),
        })
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// A difference between the cluster and the build.
#[derive(Debug, Clone, PartialEq)]
pub enum Drift {
    Field {
        key: Key,
        change: Change,
    },
    /// The build has it; the cluster does not.
    Missing {
        key: Key,
    },
    /// The cluster has it, labelled as this platform's by maestroc; the build does not.
    Leftover {
        key: Key,
    },
}

pub use crate::config::LiveIgnore as Ignore;

/// Whether an ignore rule drops a difference at `path` of the object `key`.
fn covers(rule: &Ignore, key: &Key, path: &[Seg]) -> bool {
    {
        if rule.kind != key.kind || rule.name.as_ref().is_some_and(|n| *n != key.name) {
            return false;
        }
        let shown = compare::show(path);
        let pattern = &rule.path;
        // Compare step by step so `[*]` stands for any one item.
        let mut s = shown.as_str();
        let mut p = pattern.as_str();
        loop {
            if p.is_empty() {
                return s.is_empty() || s.starts_with('.') || s.starts_with('[');
            }
            if let Some(rest) = p.strip_prefix("[*]") {
                let Some(close) = s.strip_prefix('[').and_then(|t| t.find(']')) else {
                    return false;
                };
                s = &s[close + 2..];
                p = rest;
                continue;
            }
            let (Some(a), Some(b)) = (s.chars().next(), p.chars().next()) else {
                return false;
            };
            if a != b {
                return false;
            }
            s = &s[a.len_utf8()..];
            p = &p[b.len_utf8()..];
        }
    }
}

/// The objects of a YAML stream (`kubectl get -o yaml` answers with a `List`).
pub fn objects(text: &str) -> Result<Vec<Value>, String> {
    let docs: Vec<Value> =
        serde_saphyr::from_str_multiple_with_options(text, crate::import::stream_options())
            .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for d in docs {
        if d["kind"] == "List" {
            out.extend(d["items"].as_array().into_iter().flatten().cloned());
        } else if d.is_object() {
            out.push(d);
        }
    }
    Ok(out)
}

/// Whether the cluster's object is one maestroc made for `platform` and nothing owns: only
/// those are leftovers when the build lacks them (a ReplicaSet or a Pod carries the labels
/// of its template but belongs to its controller).
fn made_by_maestroc(o: &Value, platform: &str) -> bool {
    let labels = &o["metadata"]["labels"];
    labels["app.kubernetes.io/managed-by"] == "maestroc"
        && labels["app.kubernetes.io/part-of"] == platform
        && o["metadata"]["ownerReferences"]
            .as_array()
            .is_none_or(Vec::is_empty)
}

/// Every drift between the build's objects and the cluster's, in the order of the build.
pub fn compare(
    build: &[Value],
    cluster: &[Value],
    platform: &str,
    ignore: &[Ignore],
) -> Vec<Drift> {
    let live: std::collections::HashMap<Key, &Value> = cluster
        .iter()
        .filter_map(|o| Some((Key::of(o)?, o)))
        .collect();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for want in build {
        let Some(key) = Key::of(want) else { continue };
        seen.insert(key.clone());
        let Some(&got) = live.get(&key) else {
            out.push(Drift::Missing { key });
            continue;
        };
        let mut expected = want.clone();
        let mut actual = got.clone();
        crate::server_defaults::server_fields(&mut actual);
        crate::server_defaults::allocated(&mut actual, &expected);
        crate::server_defaults::defaults(&mut expected);
        crate::server_defaults::defaults(&mut actual);
        // apiVersion may differ only by version, which the pairing already allowed.
        for o in [&mut expected, &mut actual] {
            if let Some(m) = o.as_object_mut() {
                m.remove("apiVersion");
            }
        }
        for change in compare::diff(&expected, &actual) {
            if !ignore.iter().any(|i| covers(i, &key, change.path())) {
                out.push(Drift::Field {
                    key: key.clone(),
                    change,
                });
            }
        }
    }
    let mut leftovers: Vec<Key> = cluster
        .iter()
        .filter(|o| made_by_maestroc(o, platform))
        .filter_map(Key::of)
        .filter(|k| !seen.contains(k))
        .collect();
    leftovers.sort();
    out.extend(leftovers.into_iter().map(|key| Drift::Leftover { key }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_paths_match_whole_steps_and_any_item() {
        let key = Key {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "cart".into(),
        };
        let path = vec![
            Seg::Key("spec".into()),
            Seg::Key("template".into()),
            Seg::Key("spec".into()),
            Seg::Key("containers".into()),
            Seg::Item {
                key: "name".into(),
                value: "cart".into(),
            },
            Seg::Key("image".into()),
        ];
        let rule = |path: &str| Ignore {
            kind: "Deployment".into(),
            name: None,
            path: path.into(),
        };
        assert!(covers(
            &rule(".spec.template.spec.containers[*].image"),
            &key,
            &path
        ));
        assert!(covers(&rule(".spec.template"), &key, &path));
        assert!(!covers(&rule(".spec.temp"), &key, &path), "a step is whole");
        assert!(!covers(&rule(".spec.replicas"), &key, &path));
        let other = Ignore {
            name: Some("web".into()),
            ..rule(".spec")
        };
        assert!(!covers(&other, &key, &path));
    }
}

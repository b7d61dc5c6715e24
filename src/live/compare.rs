//! Two normalised objects compared leaf by leaf. Lists whose items carry a name (containers,
//! env, volumes, ports, keys) are matched by it, so a reordered list is no difference and a
//! difference is named by its item (`containers[name=cart].image`); other lists compare whole.
//! Quantities compare by value (`0.5` = `500m`, `1Gi` = `1024Mi`), as the server may rewrite
//! them.

use serde_json::Value;

/// One step of a path: a key, or the item of a list matched by `key=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Item { key: String, value: String },
}

pub type Path = Vec<Seg>;

/// `.spec.template.spec.containers[name=cart].image`.
pub fn show(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Seg::Item { key, value } => s.push_str(&format!("[{key}={value}]")),
        }
    }
    s
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Both say it, differently.
    Changed {
        path: Path,
        spec: Value,
        cluster: Value,
    },
    /// The build says it; the cluster does not.
    Missing { path: Path, spec: Value },
    /// The cluster says it; the build does not (after defaults).
    Added { path: Path, cluster: Value },
}

impl Change {
    pub fn path(&self) -> &Path {
        match self {
            Change::Changed { path, .. }
            | Change::Missing { path, .. }
            | Change::Added { path, .. } => path,
        }
    }
}

/// Every difference between `spec` (the build) and `cluster`.
pub fn diff(spec: &Value, cluster: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), spec, cluster, &mut out);
    out
}

const ITEM_KEYS: &[&str] = &[
    "name",
    "mountPath",
    "containerPort",
    "port",
    "key",
    "path",
    "devicePath",
];

fn item_key(items: &[Value]) -> Option<&'static str> {
    ITEM_KEYS.iter().copied().find(|k| {
        !items.is_empty()
            && items
                .iter()
                .all(|i| i.get(*k).is_some_and(|v| !v.is_object()))
    })
}

fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn walk(path: &mut Path, spec: &Value, cluster: &Value, out: &mut Vec<Change>) {
    match (spec, cluster) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                path.push(Seg::Key(k.clone()));
                match b.get(k) {
                    Some(w) => walk(path, v, w, out),
                    None => out.push(Change::Missing {
                        path: path.clone(),
                        spec: v.clone(),
                    }),
                }
                path.pop();
            }
            for (k, w) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                path.push(Seg::Key(k.clone()));
                out.push(Change::Added {
                    path: path.clone(),
                    cluster: w.clone(),
                });
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let both: Vec<Value> = a.iter().chain(b).cloned().collect();
            match item_key(&both) {
                Some(key) => items(path, key, a, b, out),
                None if !same(a, b) => out.push(Change::Changed {
                    path: path.clone(),
                    spec: spec.clone(),
                    cluster: cluster.clone(),
                }),
                None => {}
            }
        }
        _ if same_scalar(spec, cluster) => {}
        _ => out.push(Change::Changed {
            path: path.clone(),
            spec: spec.clone(),
            cluster: cluster.clone(),
        }),
    }
}

fn items(path: &mut Path, key: &str, a: &[Value], b: &[Value], out: &mut Vec<Change>) {
    for v in a {
        let id = &v[key];
        path.push(Seg::Item {
            key: key.to_string(),
            value: label(id),
        });
        match b.iter().find(|w| same_scalar(&w[key], id)) {
            Some(w) => walk(path, v, w, out),
            None => out.push(Change::Missing {
                path: path.clone(),
                spec: v.clone(),
            }),
        }
        path.pop();
    }
    for w in b {
        let id = &w[key];
        if !a.iter().any(|v| same_scalar(&v[key], id)) {
            path.push(Seg::Item {
                key: key.to_string(),
                value: label(id),
            });
            out.push(Change::Added {
                path: path.clone(),
                cluster: w.clone(),
            });
            path.pop();
        }
    }
}

fn same(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| diff(x, y).is_empty())
}

/// Equal as Kubernetes reads them: numbers by value, quantities by value, `"8080"` and
/// `8080` apart (an int-or-string port is not a name).
fn same_scalar(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => quantity_eq(x, y),
        (Value::Number(x), Value::String(y)) | (Value::String(y), Value::Number(x)) => {
            crate::spec::quantity::value(y).is_some_and(|v| Some(v) == x.as_f64())
                && y.chars().any(|c| c.is_ascii_alphabetic())
        }
        _ => false,
    }
}

fn quantity_eq(x: &str, y: &str) -> bool {
    let q = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
            .then(|| crate::spec::quantity::value(s))
            .flatten()
    };
    match (q(x), q(y)) {
        (Some(a), Some(b)) => (a - b).abs() <= f64::EPSILON * a.abs().max(b.abs()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_items_match_by_name_and_quantities_by_value() {
        let spec = json!({"containers": [{"name": "a", "image": "a:1", "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}},
                                         {"name": "b", "image": "b:1"}]});
        let cluster = json!({"containers": [{"name": "b", "image": "b:1"},
                                            {"name": "a", "image": "a:2", "resources": {"limits": {"cpu": "0.5", "memory": "1024Mi"}}}]});
        let d = diff(&spec, &cluster);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(show(d[0].path()), ".containers[name=a].image");
    }

    #[test]
    fn added_and_missing_leaves_are_told_apart() {
        let spec = json!({"data": {"A": "1", "B": "2"}});
        let cluster = json!({"data": {"A": "1", "C": "3"}});
        let d = diff(&spec, &cluster);
        assert!(matches!(&d[0], Change::Missing { path, .. } if show(path) == ".data.B"));
        assert!(matches!(&d[1], Change::Added { path, .. } if show(path) == ".data.C"));
    }

    #[test]
    fn a_port_number_is_not_its_name() {
        assert!(!same_scalar(&json!(8080), &json!("8080")));
        assert!(same_scalar(&json!(1), &json!(1.0)));
        assert!(!same_scalar(&json!("http"), &json!("grpc")));
    }
}

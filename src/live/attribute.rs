//! Each drift as a finding (MC211) at the spec line that sets the field, where one does: the
//! port for a port, `replicas` for replicas, the `image` (an environment's override first),
//! the `env` line, the port a `service-ports` key comes from; else the service, else the
//! platform.

use miette::SourceSpan;

use super::compare::{Change, Seg, show};
use super::{Drift, Key};
use crate::diagnostic::Finding;
use crate::model::{Platform, Service, service_keys};
use crate::target::Target;

fn brief(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    };
    if s.chars().count() > 100 {
        format!("{}…`", s.chars().take(97).collect::<String>())
    } else {
        s
    }
}

/// The service an object was built for: named after it, or `<service>-…`.
fn service_of<'a>(p: &'a Platform, key: &Key) -> Option<&'a Service> {
    p.services
        .iter()
        .filter(|s| {
            key.name == s.name.value
                || key
                    .name
                    .strip_prefix(s.name.value.as_str())
                    .is_some_and(|r| r.starts_with('-'))
        })
        .max_by_key(|s| s.name.value.len())
}

fn item<'a>(path: &'a [Seg], list: &str) -> Option<(&'a str, &'a str)> {
    path.windows(2).find_map(|w| match w {
        [Seg::Key(k), Seg::Item { key, value }] if k == list => {
            Some((key.as_str(), value.as_str()))
        }
        _ => None,
    })
}

fn has(path: &[Seg], key: &str) -> bool {
    path.iter().any(|s| matches!(s, Seg::Key(k) if k == key))
}

/// The span of the spec that sets `path` of the object `key`.
fn span_of(t: &Target<'_>, key: &Key, path: &[Seg]) -> SourceSpan {
    let p = t.platform;
    if key.kind == "ConfigMap" && key.name == "service-ports" {
        if let [Seg::Key(d), Seg::Key(k), ..] = path
            && d == "data"
            && let Some(c) = p
                .services
                .iter()
                .flat_map(|s| service_keys(p, s))
                .find(|c| c.key == *k)
        {
            return c.span;
        }
        return p.name.span;
    }
    let Some(svc) = service_of(p, key) else {
        return if key.kind == "Namespace" {
            p.namespace.span
        } else {
            p.name.span
        };
    };
    let over = t
        .env
        .and_then(|e| e.services.iter().find(|o| o.name.value == svc.name.value));
    if has(path, "replicas") {
        if let Some(r) = over.and_then(|o| o.replicas.as_ref()) {
            return r.span;
        }
        if let Some(r) = &svc.replicas {
            return r.span;
        }
    }
    if has(path, "image")
        && let Some(i) = over.and_then(|o| o.image.as_ref()).or(svc.image.as_ref())
    {
        return i.span;
    }
    if let Some((_, name)) = item(path, "env") {
        let vars = over.into_iter().flat_map(|o| &o.env).chain(&svc.env);
        if let Some(v) = vars.into_iter().find(|v| v.name.value == name) {
            return v.span;
        }
    }
    if let Some((_, id)) = item(path, "ports") {
        let port = svc.ports.iter().find(|x| {
            x.name.value == id || x.number.value.to_string() == id || x.exposed().to_string() == id
        });
        if let Some(port) = port {
            return port.span;
        }
    }
    svc.name.span
}

fn message(key: &Key, change: &Change) -> String {
    match change {
        Change::Changed {
            path,
            spec,
            cluster,
        } => format!(
            "{key}: {} is {} in the cluster, {} in the spec",
            show(path),
            brief(cluster),
            brief(spec)
        ),
        Change::Missing { path, spec } => format!(
            "{key}: {} ({}) is missing in the cluster",
            show(path),
            brief(spec)
        ),
        Change::Added { path, cluster } => format!(
            "{key}: {} = {} was added in the cluster",
            show(path),
            brief(cluster)
        ),
    }
}

/// One drift as MC211, labelled at the spec line that sets it.
pub fn finding(t: &Target<'_>, d: &Drift) -> Finding {
    match d {
        Drift::Field { key, change } => Finding::new("MC211", message(key, change))
            .at(span_of(t, key, change.path()), "the spec sets this")
            .help("apply the spec again (`maestroc render | kubectl apply -f -`), or say in the spec what the cluster now says"),
        Drift::Missing { key } => Finding::new("MC211", format!("{key} is not in the cluster"))
            .at(span_of(t, key, &[]), "the spec builds it")
            .help("apply the spec (`maestroc render | kubectl apply -f -`); was it deleted by hand?"),
        Drift::Leftover { key } => Finding::new(
            "MC211",
            format!("{key} is in the cluster with this platform's labels, but the spec no longer builds it"),
        )
        .at(t.platform.name.span, "this platform")
        .help(format!("delete it (`kubectl delete {} {} -n {}`) or bring it back into the spec", key.kind.to_lowercase(), key.name, key.namespace)),
    }
}

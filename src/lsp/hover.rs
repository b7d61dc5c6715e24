//! What a name resolves to, as Markdown: a service with its keys, neighbours and, per
//! environment, whether it runs, its NodePorts and external URLs; a key with its value; a
//! port; a secret and who reads it.

use std::fmt::Write;

use super::symbols::Symbol;
use crate::model::{
    EnvFromSource, EnvValue, Platform, Service, VolumeSource, WorkloadKind, service_keys,
};
use crate::target::Target;

pub fn markdown(p: &Platform, symbol: &Symbol) -> Option<String> {
    match symbol {
        Symbol::Service(name) => service(p, find(p, name)?),
        Symbol::Port(svc, port) => port_of(p, find(p, svc)?, port),
        Symbol::Key(key) => key_of(p, key),
        Symbol::Secret(name) => secret(p, name, None),
        Symbol::SecretKey(name, key) => secret(p, name, Some(key)),
    }
}

fn find<'a>(p: &'a Platform, name: &str) -> Option<&'a Service> {
    p.services.iter().find(|s| s.name.value == name)
}

fn service(p: &Platform, svc: &Service) -> Option<String> {
    let mut s = format!("**service `{}`**", svc.name.value);
    if let Some(d) = &svc.description {
        let _ = write!(s, " — {}", d.value);
    }
    s.push_str("\n\n");
    match (&svc.external, &svc.image) {
        (Some(host), _) => {
            let _ = writeln!(s, "external, at `{}`\n", host.value);
        }
        (None, Some(image)) => {
            let _ = writeln!(
                s,
                "{} `{}` in namespace `{}`\n",
                WorkloadKind::ALL
                    .iter()
                    .find(|(_, k)| *k == svc.workload.value)
                    .map_or("workload", |(n, _)| n),
                image.value,
                svc.namespace(p)
            );
        }
        (None, None) => {}
    }
    keys_table(p, svc, &mut s);
    let on: Vec<String> = svc
        .depends_on
        .iter()
        .map(|d| format!("`{}`", d.value))
        .collect();
    let by: Vec<String> = p
        .services
        .iter()
        .filter(|o| o.depends_on.iter().any(|d| d.value == svc.name.value))
        .map(|o| format!("`{}`", o.name.value))
        .collect();
    if !on.is_empty() {
        let _ = writeln!(s, "\ndepends on {}", on.join(", "));
    }
    if !by.is_empty() {
        let _ = writeln!(s, "\nused by {}", by.join(", "));
    }
    per_environment(p, svc, &mut s);
    Some(s)
}

fn keys_table(p: &Platform, svc: &Service, s: &mut String) {
    let keys = service_keys(p, svc);
    if keys.is_empty() {
        return;
    }
    s.push_str("| service-ports key | value |\n|---|---|\n");
    for k in keys {
        let _ = writeln!(s, "| `{}` | `{}` |", k.key, k.value);
    }
}

/// Per environment (or `base` without any): whether the service runs there, its NodePorts,
/// and the URLs its Ingress routes publish.
fn per_environment(p: &Platform, svc: &Service, s: &mut String) {
    let mut lines = Vec::new();
    for t in Target::all(p) {
        if !t.enabled(svc) {
            lines.push(format!("- `{}`: disabled", t.name()));
            continue;
        }
        let mut parts = Vec::new();
        if !svc.is_external() {
            parts.push(format!("{} replica(s)", t.replicas(svc)));
        }
        for port in &svc.ports {
            if let Some(np) = t.published_node_port(svc, port) {
                parts.push(format!("NodePort {np} → {}", port.name.value));
            }
        }
        for r in t.routes(svc) {
            if let Some(host) = t.route_host(svc, r) {
                let scheme = if t.route_tls_secret(r).is_some() {
                    "https"
                } else {
                    "http"
                };
                let path = r.path.as_ref().map_or("/", |p| p.value.as_str());
                parts.push(format!("<{scheme}://{host}{path}>"));
            }
        }
        lines.push(format!("- `{}`: {}", t.name(), parts.join(", ")));
    }
    s.push('\n');
    s.push_str(&lines.join("\n"));
    s.push('\n');
}

fn port_of(p: &Platform, svc: &Service, name: &str) -> Option<String> {
    let port = svc.ports.iter().find(|x| x.name.value == name)?;
    let mut s = format!(
        "**port `{}` of `{}`**: listens on {}",
        port.name.value, svc.name.value, port.number.value
    );
    if let Some(sp) = &port.service_port {
        let _ = write!(s, ", Service port {}", sp.value);
    }
    if let Some(scheme) = &port.scheme {
        let _ = write!(s, ", `{}`", scheme.value);
    }
    s.push_str("\n\n");
    let single = svc.ports.len() == 1;
    for k in service_keys(p, svc) {
        let mine = k.span == port.number.span || (single && k.key.ends_with("_PORT"));
        let primary = svc
            .primary_port()
            .is_some_and(|pp| pp.name.value == port.name.value);
        if mine || (primary && k.key.ends_with("_ADDRESS")) {
            let _ = writeln!(s, "- `{}` = `{}`", k.key, k.value);
        }
    }
    for t in Target::all(p) {
        if let Some(np) = t.published_node_port(svc, port) {
            let _ = writeln!(s, "- NodePort {np} in `{}`", t.name());
        }
    }
    Some(s)
}

fn key_of(p: &Platform, key: &str) -> Option<String> {
    let (svc, k) = p.services.iter().find_map(|s| {
        service_keys(p, s)
            .into_iter()
            .find(|k| k.key == key)
            .map(|k| (s, k))
    })?;
    let mut s = format!(
        "**`{}` = `{}`**\n\nfrom service `{}` (the `service-ports` ConfigMap)\n",
        k.key, k.value, svc.name.value
    );
    let off: Vec<&str> = Target::all(p)
        .into_iter()
        .filter(|t| t.env.is_some() && !t.enabled(svc))
        .map(|t| t.name())
        .collect();
    if !off.is_empty() {
        let _ = writeln!(
            s,
            "\nabsent in {} (`{}` is disabled there)",
            off.join(", "),
            svc.name.value
        );
    }
    Some(s)
}

fn secret(p: &Platform, name: &str, key: Option<&str>) -> Option<String> {
    let sec = p.secrets.iter().find(|s| s.name.value == name)?;
    let mut s = match key {
        Some(k) => format!("**key `{k}` of secret `{name}`**\n\n"),
        None => format!("**secret `{name}`**\n\n"),
    };
    let keys: Vec<String> = sec.keys.iter().map(|k| format!("`{}`", k.value)).collect();
    let _ = writeln!(s, "keys: {}", keys.join(", "));
    if let Some(store) = &sec.store {
        let _ = writeln!(
            s,
            "\nfrom the store `{}` at `{}`",
            store.name.value, store.path.value
        );
    }
    let readers: Vec<String> = p
        .services
        .iter()
        .filter(|svc| reads(svc, name, key))
        .map(|svc| format!("`{}`", svc.name.value))
        .collect();
    if !readers.is_empty() {
        let _ = writeln!(s, "\nread by {}", readers.join(", "));
    }
    Some(s)
}

fn reads(svc: &Service, secret: &str, key: Option<&str>) -> bool {
    let env = svc.env.iter().any(|e| match &e.value {
        EnvValue::Secret {
            secret: s, key: k, ..
        } => s.value == secret && key.is_none_or(|key| k.value == key),
        _ => false,
    });
    let whole =
        svc.env_from
            .iter()
            .any(|f| matches!(&f.source, EnvFromSource::Secret(s) if s.value == secret))
            || svc.volumes.iter().any(
                |v| matches!(&v.source, VolumeSource::Secret { secret: s } if s.value == secret),
            );
    env || whole
}

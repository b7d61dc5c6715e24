//! `service "name" { … }`: the workload, its ports, env, health and volumes.

use kdl::KdlNode;
use miette::SourceSpan;

use super::common::*;
use super::operations;
use super::pod;
use super::reader::{self, NodeReader, children, name_span, no_children};
use crate::diagnostic::{Finding, Findings};
use crate::model::*;

pub(super) const SERVICE: &[&str] = &[
    "image",
    "port",
    "depends-on",
    "env",
    "health",
    "source",
    "external",
    "workload",
    "schedule",
    "command",
    "args",
    "volume",
    "replicas",
    "resources",
    "namespace",
    "config-prefix",
    "description",
    "run-as-user",
    "run-as-group",
    "fs-group",
    "allow",
    "writable",
    "expose",
    "service-type",
    "label",
    "annotation",
    "selector",
    "container-name",
    "service-account",
    "node-selector",
    "toleration",
    "priority-class",
    "termination-grace-period",
    "init-container",
    "sidecar",
    "patch",
    "ingress",
    "metrics",
    "autoscale",
    "env-from",
    "extra",
];

/// Nodes a service may repeat; every other one is set once.
const REPEATABLE: &[&str] = &[
    "port",
    "env",
    "volume",
    "depends-on",
    "allow",
    "writable",
    "expose",
    "label",
    "annotation",
    "selector",
    "node-selector",
    "toleration",
    "init-container",
    "sidecar",
    "patch",
    "ingress",
    "env-from",
    "extra",
];

pub(super) fn read_service(node: &KdlNode, out: &mut Findings) -> Option<Service> {
    let r = NodeReader::new(node, 1, &[], out);
    let name = r.string_arg(0, "a service name", out)?;
    check_dns_label(&name, "service name", out);
    let mut svc = Service {
        name,
        span: node.span(),
        image: None,
        ports: Vec::new(),
        depends_on: Vec::new(),
        env: Vec::new(),
        health: None,
        source: None,
        external: None,
        workload: Spanned::new(WorkloadKind::Deployment, name_span(node)),
        schedule: None,
        command: Vec::new(),
        args: Vec::new(),
        volumes: Vec::new(),
        replicas: None,
        resources: None,
        namespace: None,
        config_prefix: None,
        description: None,
        identity: Identity::default(),
        allows: Vec::new(),
        writable: Vec::new(),
        expose: Vec::new(),
        service_type: None,
        pod: PodSettings::default(),
        init_containers: Vec::new(),
        sidecars: Vec::new(),
        patches: Vec::new(),
        env_from: Vec::new(),
        extras: Vec::new(),
        ops: Operations::default(),
    };
    let mut seen: Vec<(&str, SourceSpan)> = Vec::new();
    for child in children(node, SERVICE, out) {
        let cname = reader::name_of(child);
        // Repeatable nodes may appear many times; every other one once.
        if !REPEATABLE.contains(&cname) {
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == cname) {
                out.push(
                    Finding::new("MC006", format!("`{cname}` is set twice"))
                        .at(name_span(child), "second one")
                        .also(*first, "first set here")
                        .help("keep one of them"),
                );
                continue;
            }
            seen.push((cname, name_span(child)));
        }
        if !matches!(
            cname,
            "resources" | "init-container" | "sidecar" | "patch" | "health"
        ) {
            no_children(child, out);
        }
        match cname {
            "image" => svc.image = single_string(child, "an image reference", out),
            "source" => svc.source = single_string(child, "a path", out),
            "schedule" => svc.schedule = single_string(child, "a cron schedule", out),
            "description" => svc.description = single_string(child, "a description", out),
            "config-prefix" => {
                svc.config_prefix = single_string(child, "a key prefix", out);
                if let Some(p) = &svc.config_prefix {
                    let ok = !p.value.is_empty()
                        && p.value
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_uppercase())
                        && p.value
                            .chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                    if !ok {
                        out.push(
                            Finding::new("MC009", format!("`{}` is not a key prefix", p.value))
                                .at(p.span, "invalid prefix")
                                .help("use upper-case letters, digits and `_`, e.g. MONITORING"),
                        );
                    }
                }
            }
            "namespace" => {
                svc.namespace = single_string(child, "a namespace", out);
                if let Some(ns) = &svc.namespace {
                    check_dns_label(ns, "namespace", out);
                }
            }
            "external" => {
                let er = NodeReader::new(child, 0, &["host"], out);
                svc.external = er.string_prop("host", out);
                if svc.external.is_none() && !er.has_prop("host") {
                    out.push(er.missing("`host=`"));
                }
            }
            "workload" => {
                if let Some(w) = single_string(child, "a workload kind", out) {
                    match WorkloadKind::ALL.iter().find(|(n, _)| *n == w.value) {
                        Some((_, kind)) => svc.workload = Spanned::new(*kind, w.span),
                        None => out.push(one_of(
                            &w,
                            "workload",
                            WorkloadKind::ALL.map(|k| k.0).as_slice(),
                        )),
                    }
                }
            }
            "replicas" => svc.replicas = read_replicas(child, out),
            "run-as-user" | "run-as-group" | "fs-group" => {
                read_identity(child, &mut svc.identity, out);
            }
            "allow" => svc.allows.extend(pod::read_allow(child, &svc.allows, out)),
            "writable" => {
                for path in read_list(child, "a directory", out) {
                    check_absolute(&path, out);
                    svc.writable.push(path);
                }
            }
            "expose" => svc.expose.extend(pod::read_expose(child, out)),
            "ingress" => svc.ops.ingress.extend(operations::read_ingress(child, out)),
            "env-from" => svc.env_from.extend(read_env_from(child, out)),
            "extra" => {
                if let Some(path) = single_string(child, "a YAML file", out) {
                    svc.extras.push(Extra {
                        path,
                        objects: Vec::new(),
                    });
                }
            }
            "metrics" => svc.ops.metrics = operations::read_metrics(child, out),
            "autoscale" => svc.ops.autoscale = operations::read_autoscale(child, out),
            "service-type" => svc.service_type = pod::read_service_type(child, out),
            "label" => svc.pod.labels.extend(read_pair(child, true, out)),
            "annotation" => svc.pod.annotations.extend(read_pair(child, false, out)),
            "selector" => svc.pod.selector.extend(read_pair(child, true, out)),
            "node-selector" => svc.pod.node_selector.extend(read_pair(child, true, out)),
            "toleration" => svc.pod.tolerations.extend(pod::read_toleration(child, out)),
            "init-container" => svc.init_containers.extend(read_extra_container(child, out)),
            "sidecar" => svc.sidecars.extend(read_extra_container(child, out)),
            "patch" => svc.patches.extend(super::patch::read_patch(child, out)),
            "container-name" => {
                svc.pod.container_name = single_string(child, "a container name", out);
                if let Some(n) = &svc.pod.container_name {
                    check_dns_label(n, "container name", out);
                }
            }
            "service-account" => {
                svc.pod.service_account = single_string(child, "a ServiceAccount name", out);
            }
            "priority-class" => {
                svc.pod.priority_class = single_string(child, "a PriorityClass name", out);
            }
            "termination-grace-period" => {
                let v = NodeReader::new(child, 1, &[], out).int_arg(0, "seconds", out);
                svc.pod.termination_grace_period =
                    v.and_then(|v| read_u32(v, 86_400, "a number of seconds", out));
            }
            "resources" => {
                no_children(child, out);
                svc.resources = Some(read_resources(child, out));
            }
            "command" => svc.command = read_list(child, "a command word", out),
            "args" => svc.args = read_list(child, "an argument", out),
            "depends-on" => svc
                .depends_on
                .extend(read_list(child, "a service name", out)),
            "port" => {
                if let Some(p) = read_port(child, out) {
                    svc.ports.push(p);
                }
            }
            "env" => {
                if let Some(e) = read_env(child, out) {
                    svc.env.push(e);
                }
            }
            "health" => svc.health = pod::read_health(child, out),
            "volume" => {
                if let Some(v) = pod::read_volume(child, out) {
                    svc.volumes.push(v);
                }
            }
            _ => {}
        }
    }
    dedupe_env(&mut svc.env, out);
    dedupe(&mut svc.depends_on, "dependency", |d| d, out);
    dedupe(&mut svc.volumes, "volume", |v| &v.name, out);
    Some(svc)
}

pub(super) fn read_port(node: &KdlNode, out: &mut Findings) -> Option<Port> {
    let r = NodeReader::new(
        node,
        2,
        &["scheme", "primary", "service-port", "node-port"],
        out,
    );
    let name = r.string_arg(0, "a port name", out);
    let number = r.int_arg(1, "a port number", out);
    let scheme = r.string_prop("scheme", out);
    let primary = r.bool_prop("primary", out).is_some_and(|b| b.value);
    let service_port = r
        .int_prop("service-port", out)
        .and_then(|v| port_number(v, out));
    let node_port = r.int_prop("node-port", out).and_then(|v| {
        if (30000..=32767).contains(&v.value) {
            Some(Spanned::new(v.value as u16, v.span))
        } else {
            out.push(
                Finding::new(
                    "MC103",
                    format!("NodePort {} is outside Kubernetes' 30000–32767", v.value),
                )
                .at(v.span, "not a valid NodePort")
                .help("pick one inside the platform's `node-ports` registry"),
            );
            None
        }
    });
    if let Some(s) = &scheme {
        let ok = s
            .value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
            && s.value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
        if !ok {
            out.push(
                Finding::new("MC004", format!("`{}` is not a URL scheme", s.value))
                    .at(s.span, "invalid scheme")
                    .help("write the scheme without `://`, e.g. scheme=\"http\""),
            );
        }
    }
    let name = name?;
    if !is_iana_port_name(&name.value) {
        out.push(
            Finding::new("MC009", format!("`{}` is not a valid port name", name.value))
                .at(name.span, "invalid port name")
                .help("port names are at most 15 lowercase letters, digits or `-`, with at least one letter"),
        );
    }
    let number = port_number(number?, out)?;
    Some(Port {
        name,
        number,
        scheme,
        primary,
        service_port,
        node_port,
        span: node.span(),
    })
}

/// The pod fields the downward API hands to an env var (`fieldRef.fieldPath`).
const FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.podIP",
];

/// `metadata.labels['app.kubernetes.io/component']` or `metadata.annotations['k']`: the
/// downward API hands one label or annotation to an env var by its (qualified) key.
fn is_label_path(path: &str) -> bool {
    ["metadata.labels['", "metadata.annotations['"]
        .iter()
        .find_map(|p| path.strip_prefix(p))
        .and_then(|rest| rest.strip_suffix("']"))
        .is_some_and(crate::model::is_qualified_name)
}

pub(super) fn read_env(node: &KdlNode, out: &mut Findings) -> Option<EnvVar> {
    let r = NodeReader::new(node, 2, &["secret", "key", "ref", "field", "optional"], out);
    let name = r.string_arg(0, "a variable name", out)?;
    let optional_prop = r.bool_prop("optional", out);
    let optional = optional_prop.as_ref().is_some_and(|o| o.value);
    if let Some(o) = &optional_prop
        && !r.has_prop("secret")
    {
        out.push(
            Finding::new("MC003", "`optional=` applies only to a secret reference")
                .at(o.span, "nothing optional here")
                .help("a literal is always there, and a service-ports key always exists: remove `optional=`"),
        );
    }
    check_env_name(&name, out);
    let secret = r.string_prop("secret", out);
    let key = r.string_prop("key", out);
    let reference = r.string_prop("ref", out);
    let field = r.string_prop("field", out);
    let literal = if r.arg_count() > 1 {
        r.string_arg(1, "a value", out)
    } else {
        None
    };
    let forms = [
        r.arg_count() > 1,
        r.has_prop("secret"),
        r.has_prop("ref"),
        r.has_prop("field"),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let how = "write `env NAME \"value\"`, `env NAME secret=\"s\" key=\"K\"`, `env NAME ref=\"SVC_PORT\"` or `env NAME field=\"status.podIP\"`";
    if forms > 1 {
        out.push(
            Finding::new(
                "MC004",
                format!("env `{}` has more than one value", name.value),
            )
            .at(node.span(), "choose one source")
            .help(how),
        );
        return None;
    }
    let value = if let Some(lit) = literal {
        EnvValue::Literal(lit)
    } else if r.has_prop("secret") {
        match (secret, key) {
            (Some(secret), Some(key)) => EnvValue::Secret {
                secret,
                key,
                optional,
            },
            (Some(secret), None) if !r.has_prop("key") => {
                // `key=` defaults to the variable's own name, the common case.
                let key = Spanned::new(name.value.clone(), name.span);
                EnvValue::Secret {
                    secret,
                    key,
                    optional,
                }
            }
            _ => return None,
        }
    } else if let Some(reference) = reference {
        EnvValue::Ref(reference)
    } else if let Some(field) = field {
        if !FIELD_PATHS.contains(&field.value.as_str()) && !is_label_path(&field.value) {
            out.push(one_of(&field, "downward API field", FIELD_PATHS));
            return None;
        }
        EnvValue::Field(field)
    } else {
        if forms == 0 && !r.has_prop("ref") && !r.has_prop("field") {
            out.push(r.missing("a value").help(how));
        }
        return None;
    };
    if r.has_prop("key") && !r.has_prop("secret") {
        out.push(
            Finding::new("MC004", "`key=` without `secret=`")
                .at(node.span(), "key of which secret?")
                .help(how),
        );
    }
    Some(EnvVar {
        name,
        value,
        span: node.span(),
    })
}

/// `env-from config-map="name"|secret="name" [prefix="APP_"] [optional=#true]`.
fn read_env_from(node: &KdlNode, out: &mut Findings) -> Option<EnvFrom> {
    let r = NodeReader::new(
        node,
        0,
        &["config-map", "secret", "prefix", "optional"],
        out,
    );
    let source = match (
        r.string_prop("config-map", out),
        r.string_prop("secret", out),
    ) {
        (Some(c), None) => EnvFromSource::ConfigMap(c),
        (None, Some(s)) => EnvFromSource::Secret(s),
        (Some(c), Some(_)) => {
            out.push(
                Finding::new("MC004", "`env-from` takes one of config-map= or secret=")
                    .at(c.span, "one source per line")
                    .help("write one `env-from` line per source"),
            );
            return None;
        }
        (None, None) => {
            out.push(r.missing("`config-map=` or `secret=`").help(
                "e.g. `env-from config-map=\"environment-config\"` or `env-from secret=\"api-keys\"`",
            ));
            return None;
        }
    };
    if let EnvFromSource::ConfigMap(name) | EnvFromSource::Secret(name) = &source
        && !is_dns1123_subdomain(&name.value)
    {
        out.push(
            Finding::new(
                "MC009",
                format!("`{}` is not a valid object name", name.value),
            )
            .at(name.span, "not a DNS-1123 subdomain")
            .help("lower-case letters, digits, `-` and `.`"),
        );
        return None;
    }
    let prefix = r.string_prop("prefix", out);
    if let Some(p) = &prefix
        && !is_env_var_name(&format!("{}X", p.value))
    {
        out.push(
            Finding::new(
                "MC009",
                format!("`{}` cannot start a variable name", p.value),
            )
            .at(p.span, "not an env-name prefix")
            .help("letters, digits, `_`, `-` and `.`, not starting with a digit"),
        );
    }
    Some(EnvFrom {
        source,
        prefix,
        optional: r.bool_prop("optional", out).is_some_and(|o| o.value),
        span: node.span(),
    })
}

/// Keeps the first of each env var name and reports the others (MC006). One pass with a map:
/// checking each new var against the list was quadratic (100,000 env lines: 34 s).
pub(super) fn dedupe_env(list: &mut Vec<EnvVar>, out: &mut Findings) {
    dedupe(list, "env var", |e| &e.name, out);
}

pub(super) const EXTRA_CONTAINER: &[&str] = &["image", "command", "args", "env", "resources"];

/// `init-container "name" { image …; command …; args …; env …; resources … }` (or `sidecar`).
fn read_extra_container(node: &KdlNode, out: &mut Findings) -> Option<ExtraContainer> {
    let r = NodeReader::new(node, 1, &[], out);
    let name = r.string_arg(0, "a container name", out)?;
    check_dns_label(&name, "container name", out);
    let mut c = ExtraContainer {
        name,
        image: None,
        command: Vec::new(),
        args: Vec::new(),
        env: Vec::new(),
        resources: None,
        span: node.span(),
    };
    for child in children(node, EXTRA_CONTAINER, out) {
        no_children(child, out);
        match reader::name_of(child) {
            "image" => c.image = single_string(child, "an image reference", out),
            "command" => c.command = read_list(child, "a command word", out),
            "args" => c.args = read_list(child, "an argument", out),
            "env" => {
                if let Some(e) = read_env(child, out) {
                    c.env.push(e);
                }
            }
            "resources" => c.resources = Some(read_resources(child, out)),
            _ => {}
        }
    }
    dedupe_env(&mut c.env, out);
    if c.image.is_none() {
        out.push(
            Finding::new(
                "MC005",
                format!("{} `{}` has no image", reader::name_of(node), c.name.value),
            )
            .at(c.name.span, "no `image` inside")
            .help("add `image \"registry/name:tag\"`"),
        );
    }
    Some(c)
}

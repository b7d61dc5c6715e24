//! `service "name" { … }`: the workload, its ports, env, health and volumes.

use kdl::KdlNode;
use miette::SourceSpan;

use super::common::*;
use super::quantity;
use super::reader::{self, NodeReader, children, name_span, no_children};
use crate::diagnostic::{Finding, Findings};
use crate::model::*;

const SERVICE: &[&str] = &[
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
        run_as_user: None,
    };
    let mut seen: Vec<(&str, SourceSpan)> = Vec::new();
    for child in children(node, SERVICE, out) {
        let cname = reader::name_of(child);
        // Repeatable nodes may appear many times; every other one once.
        if !matches!(cname, "port" | "env" | "volume" | "depends-on") {
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
        if cname != "resources" {
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
            "run-as-user" => {
                let v = NodeReader::new(child, 1, &[], out).int_arg(0, "a user id", out);
                svc.run_as_user = v.and_then(|v| match u32::try_from(v.value) {
                    Ok(uid) => Some(Spanned::new(uid, v.span)),
                    Err(_) => {
                        out.push(
                            Finding::new("MC004", format!("{} is not a user id", v.value))
                                .at(v.span, "expected 0 or a positive number")
                                .help("e.g. `run-as-user 1000`"),
                        );
                        None
                    }
                });
            }
            "resources" => {
                no_children(child, out);
                svc.resources = Some(read_resources(child, out));
            }
            "command" => svc.command = read_list(child, "a command word", out),
            "args" => svc.args = read_list(child, "an argument", out),
            "depends-on" => {
                for dep in read_list(child, "a service name", out) {
                    if let Some(prev) = svc.depends_on.iter().find(|d| d.value == dep.value) {
                        out.push(duplicate("dependency", &dep, prev.span));
                    } else {
                        svc.depends_on.push(dep);
                    }
                }
            }
            "port" => {
                if let Some(p) = read_port(child, out) {
                    svc.ports.push(p);
                }
            }
            "env" => {
                if let Some(e) = read_env(child, out) {
                    push_env(&mut svc.env, e, out);
                }
            }
            "health" => svc.health = read_health(child, out),
            "volume" => {
                if let Some(v) = read_volume(child, out) {
                    if let Some(prev) = svc.volumes.iter().find(|x| x.name.value == v.name.value) {
                        out.push(duplicate("volume", &v.name, prev.name.span));
                    } else {
                        svc.volumes.push(v);
                    }
                }
            }
            _ => {}
        }
    }
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

pub(super) fn read_env(node: &KdlNode, out: &mut Findings) -> Option<EnvVar> {
    let r = NodeReader::new(node, 2, &["secret", "key", "ref"], out);
    let name = r.string_arg(0, "a variable name", out)?;
    check_env_name(&name, out);
    let secret = r.string_prop("secret", out);
    let key = r.string_prop("key", out);
    let reference = r.string_prop("ref", out);
    let literal = if r.arg_count() > 1 {
        r.string_arg(1, "a value", out)
    } else {
        None
    };
    let forms = [r.arg_count() > 1, r.has_prop("secret"), r.has_prop("ref")]
        .iter()
        .filter(|b| **b)
        .count();
    let how = "write `env NAME \"value\"`, `env NAME secret=\"s\" key=\"K\"` or `env NAME ref=\"SVC_PORT\"`";
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
            (Some(secret), Some(key)) => EnvValue::Secret { secret, key },
            (Some(secret), None) if !r.has_prop("key") => {
                // `key=` defaults to the variable's own name, the common case.
                let key = Spanned::new(name.value.clone(), name.span);
                EnvValue::Secret { secret, key }
            }
            _ => return None,
        }
    } else if let Some(reference) = reference {
        EnvValue::Ref(reference)
    } else {
        if forms == 0 && !r.has_prop("ref") {
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

pub(super) fn push_env(list: &mut Vec<EnvVar>, e: EnvVar, out: &mut Findings) {
    if let Some(prev) = list.iter().find(|x| x.name.value == e.name.value) {
        out.push(duplicate("env var", &e.name, prev.name.span));
    } else {
        list.push(e);
    }
}

pub(super) fn read_health(node: &KdlNode, out: &mut Findings) -> Option<Health> {
    let r = NodeReader::new(node, 0, &["http", "grpc", "tcp", "port"], out);
    let http = r.string_prop("http", out);
    let grpc = r.string_prop("grpc", out);
    let tcp = r.string_prop("tcp", out);
    let port = r.string_prop("port", out);
    let kinds = [r.has_prop("http"), r.has_prop("grpc"), r.has_prop("tcp")]
        .iter()
        .filter(|b| **b)
        .count();
    let how =
        "write `health http=\"/healthz\" port=http`, `health grpc=grpc` or `health tcp=PORTNAME`";
    if kinds != 1 {
        out.push(
            Finding::new("MC004", "`health` needs exactly one of http=, grpc=, tcp=")
                .at(node.span(), "one probe kind")
                .help(how),
        );
        return None;
    }
    if let Some(path) = http {
        if !path.value.starts_with('/') {
            out.push(
                Finding::new(
                    "MC004",
                    format!("HTTP probe path `{}` must start with /", path.value),
                )
                .at(path.span, "not a path")
                .help(how),
            );
        }
        let Some(port) = port else {
            if !r.has_prop("port") {
                out.push(r.missing("`port=` naming the port to probe").help(how));
            }
            return None;
        };
        return Some(Health::Http { path, port });
    }
    if r.has_prop("port") {
        out.push(
            Finding::new("MC004", "`port=` only goes with `http=`")
                .at(node.span(), "name the port in grpc= or tcp=")
                .help(how),
        );
    }
    match (grpc, tcp) {
        (Some(port), None) => Some(Health::Grpc { port }),
        (None, Some(port)) => Some(Health::Tcp { port }),
        _ => None,
    }
}

pub(super) fn read_volume(node: &KdlNode, out: &mut Findings) -> Option<Volume> {
    let r = NodeReader::new(node, 2, &["size"], out);
    let name = r.string_arg(0, "a volume name", out)?;
    check_dns_label(&name, "volume name", out);
    let mount_path = r.string_arg(1, "a mount path", out)?;
    if !mount_path.value.starts_with('/') {
        out.push(
            Finding::new(
                "MC004",
                format!("mount path `{}` is not absolute", mount_path.value),
            )
            .at(mount_path.span, "must start with /"),
        );
    }
    let size = match r.string_prop("size", out) {
        Some(s) if quantity::is_memory(&s.value) => s,
        Some(s) => {
            out.push(
                Finding::new("MC004", format!("`{}` is not a storage size", s.value))
                    .at(s.span, "not a Kubernetes quantity")
                    .help("write sizes like \"10Gi\" or \"500Mi\""),
            );
            return None;
        }
        None => {
            if !r.has_prop("size") {
                out.push(
                    r.missing("`size=`")
                        .help("e.g. `volume data \"/data\" size=\"10Gi\"`"),
                );
            }
            return None;
        }
    };
    Some(Volume {
        name,
        mount_path,
        size,
        span: node.span(),
    })
}

//! Front end: `platform.kdl` text → [`Platform`] with spans, plus every finding on the way.
//!
//! Parsing never stops at the first mistake: each node is read independently and what cannot
//! be read is left out of the model with a finding. No I/O beyond the text given.

mod quantity;
mod reader;

pub use reader::did_you_mean;

use kdl::{KdlDocument, KdlNode};
use miette::SourceSpan;

use crate::diagnostic::{Finding, Findings};
use crate::model::*;
use reader::{NodeReader, children, name_span, no_children};

const TOP: &[&str] = &["platform", "defaults", "secret", "service", "environment"];
const PLATFORM: &[&str] = &[
    "namespace",
    "cluster-domain",
    "node-ports",
    "kubernetes",
    "version",
];
const DEFAULTS: &[&str] = &["value", "resources"];
const SECRET: &[&str] = &["key", "store"];
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
const ENVIRONMENT: &[&str] = &[
    "storage-class",
    "image-pull-policy",
    "external-secrets",
    "value",
    "service",
];
const OVERRIDE: &[&str] = &["replicas", "image", "resources", "env", "node-port"];
const RESOURCES: &[&str] = &["cpu", "memory", "cpu-limit", "memory-limit"];
pub const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];

/// The result of reading a spec: the model (when the document parsed at all) and findings.
pub struct Parsed {
    pub platform: Option<Platform>,
    pub findings: Findings,
}

/// Parses and reads `text`. The model is `None` only when the KDL itself is broken or the
/// `platform` block is missing.
pub fn parse(text: &str) -> Parsed {
    let mut findings = Findings::default();
    let doc = match text.parse::<KdlDocument>() {
        Ok(doc) => doc,
        Err(err) => {
            for d in err.diagnostics {
                let mut f = Finding::new(
                    "MC001",
                    d.message.unwrap_or_else(|| "invalid KDL".to_string()),
                )
                .at(
                    last_line_of(text, d.span),
                    d.label.unwrap_or_else(|| "here".to_string()),
                );
                if let Some(help) = d.help {
                    f = f.help(help);
                }
                findings.push(f);
            }
            return Parsed {
                platform: None,
                findings,
            };
        }
    };
    let platform = read_document(&doc, &mut findings);
    Parsed { platform, findings }
}

/// kdl sometimes reports a syntax error with a span that starts at the enclosing node, many
/// lines up; the mistake is at the end of the span, so point at the end's line only.
fn last_line_of(text: &str, span: SourceSpan) -> SourceSpan {
    let end = (span.offset() + span.len()).min(text.len());
    let Some(head) = text.get(..end) else {
        return span;
    };
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    if line_start <= span.offset() {
        return span;
    }
    let indent = text[line_start..end].len() - text[line_start..end].trim_start().len();
    let start = line_start + indent;
    SourceSpan::new(start.into(), end - start)
}

fn read_document(doc: &KdlDocument, out: &mut Findings) -> Option<Platform> {
    let mut platform_nodes = Vec::new();
    let mut defaults = Defaults::default();
    let mut defaults_seen: Option<SourceSpan> = None;
    let mut secrets = Vec::new();
    let mut services = Vec::new();
    let mut environments = Vec::new();
    for node in doc.nodes() {
        match reader::name_of(node) {
            "platform" => platform_nodes.push(node),
            "defaults" => {
                if let Some(first) = defaults_seen {
                    out.push(
                        Finding::new("MC006", "`defaults` is declared twice")
                            .at(name_span(node), "second `defaults`")
                            .also(first, "first declared here")
                            .help("merge the two blocks into one"),
                    );
                } else {
                    defaults_seen = Some(name_span(node));
                    defaults = read_defaults(node, out);
                }
            }
            "secret" => secrets.extend(read_secret(node, out)),
            "service" => services.extend(read_service(node, out)),
            "environment" => environments.extend(read_environment(node, out)),
            _ => out.push(reader::unknown_node(node, "the top level", TOP)),
        }
    }
    let Some(&pnode) = platform_nodes.first() else {
        out.push(
            Finding::new("MC005", "the spec has no `platform` block")
                .help("start the file with `platform \"my-platform\" { namespace \"my-ns\" }`"),
        );
        return None;
    };
    for extra in &platform_nodes[1..] {
        out.push(
            Finding::new("MC006", "`platform` is declared twice")
                .at(name_span(extra), "second `platform`")
                .also(name_span(pnode), "first declared here"),
        );
    }
    let r = NodeReader::new(pnode, 1, &[], out);
    let name = r.string_arg(0, "a platform name", out);
    let name = name.unwrap_or_else(|| Spanned::new("platform".into(), name_span(pnode)));
    check_dns_label(&name, "platform name", out);
    let mut namespace = None;
    let mut cluster_domain = None;
    let mut node_ports = None;
    let mut kubernetes = None;
    let mut version = None;
    for child in children(pnode, PLATFORM, out) {
        no_children(child, out);
        match reader::name_of(child) {
            "namespace" => namespace = single_string(child, "a namespace", out),
            "cluster-domain" => cluster_domain = single_string(child, "a domain", out),
            "kubernetes" => kubernetes = single_string(child, "a version", out),
            "version" => {
                version = single_string(child, "a version", out);
                if let Some(v) = &version
                    && !is_semver(&v.value)
                {
                    out.push(
                        Finding::new("MC004", format!("`{}` is not a SemVer version", v.value))
                            .at(v.span, "Helm needs MAJOR.MINOR.PATCH")
                            .help("e.g. `version \"1.4.0\"`"),
                    );
                    version = None;
                }
            }
            "node-ports" => node_ports = read_node_ports(child, out),
            _ => {}
        }
    }
    let namespace = namespace.unwrap_or_else(|| Spanned::new(name.value.clone(), name.span));
    check_dns_label(&namespace, "namespace", out);
    Some(Platform {
        name,
        namespace,
        cluster_domain: cluster_domain
            .unwrap_or_else(|| Spanned::new("cluster.local".into(), name_span(pnode))),
        node_ports,
        kubernetes,
        version,
        defaults,
        secrets,
        services,
        environments,
    })
}

/// MAJOR.MINOR.PATCH with an optional `-pre` and `+build`, as Helm's chart versions need.
fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let nums: Vec<&str> = core.split('.').collect();
    nums.len() == 3
        && nums
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        && v[core.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-+.".contains(c))
}

fn single_string(node: &KdlNode, what: &str, out: &mut Findings) -> Option<Spanned<String>> {
    NodeReader::new(node, 1, &[], out).string_arg(0, what, out)
}

fn read_node_ports(node: &KdlNode, out: &mut Findings) -> Option<NodePortRange> {
    let r = NodeReader::new(node, 2, &[], out);
    let low = r.int_arg(0, "the lowest NodePort", out)?;
    let high = r.int_arg(1, "the highest NodePort", out)?;
    let in_k8s = |v: i128| (30000..=32767).contains(&v);
    if !in_k8s(low.value) || !in_k8s(high.value) || low.value > high.value {
        out.push(
            Finding::new(
                "MC103",
                format!(
                    "NodePort registry {}–{} is not inside Kubernetes' 30000–32767",
                    low.value, high.value
                ),
            )
            .at(node.span(), "invalid registry range")
            .help("write `node-ports LO HI` with 30000 <= LO <= HI <= 32767"),
        );
        return None;
    }
    Some(NodePortRange {
        low: low.value as u16,
        high: high.value as u16,
        span: node.span(),
    })
}

fn read_defaults(node: &KdlNode, out: &mut Findings) -> Defaults {
    NodeReader::new(node, 0, &[], out);
    let mut d = Defaults::default();
    for child in children(node, DEFAULTS, out) {
        match reader::name_of(child) {
            "value" => d.values.extend(read_value(child, out)),
            "resources" => d.resources = Some(read_resources(child, out)),
            _ => {}
        }
    }
    d
}

/// `value KEY "V"`. Numbers and booleans are accepted and written as strings: a ConfigMap
/// holds only strings, and `value DEFAULT_MAX_RETRIES 3` is what people type.
fn read_value(node: &KdlNode, out: &mut Findings) -> Option<(Spanned<String>, Spanned<String>)> {
    no_children(node, out);
    let r = NodeReader::new(node, 2, &[], out);
    let key = r.string_arg(0, "a key", out)?;
    check_env_name(&key, out);
    if r.arg_count() < 2 {
        out.push(r.missing("a value"));
        return None;
    }
    let entry = node
        .entries()
        .iter()
        .filter(|e| e.name().is_none())
        .nth(1)?;
    let value = match entry.value() {
        kdl::KdlValue::String(s) => s.clone(),
        kdl::KdlValue::Integer(i) => i.to_string(),
        kdl::KdlValue::Float(f) => f.to_string(),
        kdl::KdlValue::Bool(b) => b.to_string(),
        kdl::KdlValue::Null => {
            out.push(
                Finding::new("MC004", "a value cannot be #null")
                    .at(entry.span(), "expected a string")
                    .help("write an empty string \"\" or remove the line"),
            );
            return None;
        }
    };
    Some((key, Spanned::new(value, entry.span())))
}

fn read_resources(node: &KdlNode, out: &mut Findings) -> Resources {
    no_children(node, out);
    let r = NodeReader::new(node, 0, RESOURCES, out);
    let mut get = |key: &str, memory: bool| {
        let v = r.string_prop(key, out)?;
        let ok = if memory {
            quantity::is_memory(&v.value)
        } else {
            quantity::is_cpu(&v.value)
        };
        if ok {
            Some(v)
        } else {
            out.push(
                Finding::new("MC004", format!("`{}` is not a valid quantity", v.value))
                    .at(v.span, "not a Kubernetes quantity")
                    .help(if memory {
                        "memory is bytes with a suffix: \"512Mi\", \"1Gi\", \"256M\""
                    } else {
                        "cpu is cores or millicores: \"500m\", \"1\", \"0.5\""
                    }),
            );
            None
        }
    };
    let res = Resources {
        cpu: get("cpu", false),
        memory: get("memory", true),
        cpu_limit: get("cpu-limit", false),
        memory_limit: get("memory-limit", true),
        span: Some(node.span()),
    };
    if node.entries().is_empty() {
        out.push(r.missing("at least one of cpu=, memory=, cpu-limit=, memory-limit="));
    }
    res
}

fn read_secret(node: &KdlNode, out: &mut Findings) -> Option<Secret> {
    let r = NodeReader::new(node, 1, &[], out);
    let name = r.string_arg(0, "a secret name", out)?;
    check_dns_label(&name, "secret name", out);
    let mut keys: Vec<Spanned<String>> = Vec::new();
    let mut store = None;
    for child in children(node, SECRET, out) {
        no_children(child, out);
        match reader::name_of(child) {
            "key" => {
                let kr = NodeReader::new(child, usize::MAX, &[], out);
                if kr.arg_count() == 0 {
                    out.push(kr.missing("a key name"));
                }
                for key in kr.string_args(0, "a key name", out) {
                    check_env_name(&key, out);
                    if let Some(prev) = keys.iter().find(|k| k.value == key.value) {
                        out.push(duplicate("key", &key, prev.span));
                    } else {
                        keys.push(key);
                    }
                }
            }
            "store" => {
                let sr = NodeReader::new(child, 1, &["path"], out);
                let store_name = sr.string_arg(0, "a store name", out);
                let path = sr.string_prop("path", out);
                if path.is_none() && sr.arg_count() > 0 && !sr.has_prop("path") {
                    out.push(sr.missing("a `path=` in the store"));
                }
                if let (Some(name), Some(path)) = (store_name, path) {
                    store = Some(SecretStore { name, path });
                }
            }
            _ => {}
        }
    }
    if keys.is_empty() {
        out.push(
            Finding::new("MC005", format!("secret `{}` declares no keys", name.value))
                .at(name.span, "no `key` inside")
                .help("list the keys it holds: `key PASSWORD`"),
        );
    }
    Some(Secret {
        name,
        keys,
        store,
        span: node.span(),
    })
}

fn read_service(node: &KdlNode, out: &mut Findings) -> Option<Service> {
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

fn read_list(node: &KdlNode, what: &str, out: &mut Findings) -> Vec<Spanned<String>> {
    let r = NodeReader::new(node, usize::MAX, &[], out);
    if r.arg_count() == 0 {
        out.push(r.missing(what));
    }
    r.string_args(0, what, out)
}

fn read_replicas(node: &KdlNode, out: &mut Findings) -> Option<Spanned<u32>> {
    let v = NodeReader::new(node, 1, &[], out).int_arg(0, "a replica count", out)?;
    match u32::try_from(v.value) {
        Ok(n) if n <= 1000 => Some(Spanned::new(n, v.span)),
        _ => {
            out.push(
                Finding::new("MC004", format!("{} is not a replica count", v.value))
                    .at(v.span, "expected 0–1000")
                    .help("replicas is a whole number from 0 to 1000"),
            );
            None
        }
    }
}

fn read_port(node: &KdlNode, out: &mut Findings) -> Option<Port> {
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

fn port_number(v: Spanned<i128>, out: &mut Findings) -> Option<Spanned<PortNumber>> {
    match u16::try_from(v.value).ok().and_then(PortNumber::new) {
        Some(p) => Some(Spanned::new(p, v.span)),
        None => {
            out.push(
                Finding::new("MC102", format!("port {} is outside 1–65535", v.value))
                    .at(v.span, "not a TCP port")
                    .help("ports are numbers from 1 to 65535"),
            );
            None
        }
    }
}

fn read_env(node: &KdlNode, out: &mut Findings) -> Option<EnvVar> {
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

fn push_env(list: &mut Vec<EnvVar>, e: EnvVar, out: &mut Findings) {
    if let Some(prev) = list.iter().find(|x| x.name.value == e.name.value) {
        out.push(duplicate("env var", &e.name, prev.name.span));
    } else {
        list.push(e);
    }
}

fn read_health(node: &KdlNode, out: &mut Findings) -> Option<Health> {
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

fn read_volume(node: &KdlNode, out: &mut Findings) -> Option<Volume> {
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

fn read_environment(node: &KdlNode, out: &mut Findings) -> Option<Environment> {
    let r = NodeReader::new(node, 1, &[], out);
    let name = r.string_arg(0, "an environment name", out)?;
    check_dns_label(&name, "environment name", out);
    let mut env = Environment {
        name,
        span: node.span(),
        storage_class: None,
        image_pull_policy: None,
        external_secrets: None,
        values: Vec::new(),
        services: Vec::new(),
    };
    for child in children(node, ENVIRONMENT, out) {
        if reader::name_of(child) != "service" {
            no_children(child, out);
        }
        match reader::name_of(child) {
            "storage-class" => env.storage_class = single_string(child, "a storage class", out),
            "image-pull-policy" => {
                env.image_pull_policy = single_string(child, "a pull policy", out);
                if let Some(p) = &env.image_pull_policy
                    && !PULL_POLICIES.contains(&p.value.as_str())
                {
                    out.push(one_of(p, "image-pull-policy", PULL_POLICIES));
                }
            }
            "external-secrets" => {
                let er = NodeReader::new(child, 1, &[], out);
                match node_bool(child, &er, out) {
                    Some(b) => env.external_secrets = Some(b),
                    None => continue,
                }
            }
            "value" => env.values.extend(read_value(child, out)),
            "service" => env.services.extend(read_override(child, out)),
            _ => {}
        }
    }
    Some(env)
}

fn node_bool(node: &KdlNode, r: &NodeReader<'_>, out: &mut Findings) -> Option<Spanned<bool>> {
    let Some(e) = node.entries().iter().find(|e| e.name().is_none()) else {
        out.push(r.missing("#true or #false"));
        return None;
    };
    match e.value() {
        kdl::KdlValue::Bool(b) => Some(Spanned::new(*b, e.span())),
        _ => {
            out.push(
                Finding::new("MC004", format!("`{}` takes #true or #false", r.name()))
                    .at(e.span(), "expected a boolean"),
            );
            None
        }
    }
}

fn read_override(node: &KdlNode, out: &mut Findings) -> Option<ServiceOverride> {
    let r = NodeReader::new(node, 1, &["enabled"], out);
    let name = r.string_arg(0, "a service name", out)?;
    let mut o = ServiceOverride {
        name,
        span: node.span(),
        enabled: r.bool_prop("enabled", out),
        replicas: None,
        image: None,
        resources: None,
        env: Vec::new(),
        node_ports: Vec::new(),
    };
    for child in children(node, OVERRIDE, out) {
        no_children(child, out);
        match reader::name_of(child) {
            "replicas" => o.replicas = read_replicas(child, out),
            "image" => o.image = single_string(child, "an image reference", out),
            "resources" => o.resources = Some(read_resources(child, out)),
            "env" => {
                if let Some(e) = read_env(child, out) {
                    push_env(&mut o.env, e, out);
                }
            }
            "node-port" => {
                let r = NodeReader::new(child, 2, &[], out);
                let port = r.string_arg(0, "a port name", out);
                let number = r.int_arg(1, "a NodePort", out);
                if let (Some(port), Some(n)) = (port, number) {
                    if (30000..=32767).contains(&n.value) {
                        o.node_ports
                            .push((port, Spanned::new(n.value as u16, n.span)));
                    } else {
                        out.push(
                            Finding::new(
                                "MC103",
                                format!("NodePort {} is outside Kubernetes' 30000–32767", n.value),
                            )
                            .at(n.span, "not a valid NodePort")
                            .help("pick one inside the platform's `node-ports` registry"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Some(o)
}

fn one_of(v: &Spanned<String>, what: &str, allowed: &[&str]) -> Finding {
    let f = Finding::new("MC004", format!("`{}` is not a valid {what}", v.value))
        .at(v.span, format!("expected one of {}", allowed.join(", ")));
    match did_you_mean(&v.value, allowed.iter().copied()) {
        Some(s) => f.help(format!("did you mean \"{s}\"?")),
        None => f.help(format!("{what} is one of: {}", allowed.join(", "))),
    }
}

fn duplicate(what: &str, again: &Spanned<String>, first: SourceSpan) -> Finding {
    Finding::new(
        "MC006",
        format!("{what} `{}` is declared twice", again.value),
    )
    .at(again.span, "declared again here")
    .also(first, "first declared here")
    .help("remove one of them")
}

fn check_dns_label(name: &Spanned<String>, what: &str, out: &mut Findings) {
    if !is_dns1035_label(&name.value) {
        let suggestion: String = name
            .value
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        out.push(
            Finding::new("MC009", format!("`{}` is not a valid {what}", name.value))
                .at(name.span, "not a DNS-1035 label")
                .help(format!(
                    "use lowercase letters, digits and `-`, starting with a letter, at most 63 characters (e.g. \"{}\")",
                    suggestion.trim_matches('-')
                )),
        );
    }
}

fn check_env_name(name: &Spanned<String>, out: &mut Findings) {
    let ok = name
        .value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        out.push(
            Finding::new(
                "MC009",
                format!("`{}` is not a valid variable name", name.value),
            )
            .at(name.span, "invalid name")
            .help("use letters, digits and `_`, not starting with a digit (e.g. LOG_LEVEL)"),
        );
    }
}

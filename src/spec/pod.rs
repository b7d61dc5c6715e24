//! Pod-level nodes of a service: `health` (with probe timing), `volume` (claims, emptyDir,
//! Secret/ConfigMap files, hostPath), `allow` (reasoned privileges), `expose`,
//! `service-type` and `toleration`.

use kdl::KdlNode;

use super::common::*;
use super::quantity;
use super::reader::{self, NodeReader, no_children};
use crate::diagnostic::{Finding, Findings};
use crate::model::*;

const HEALTH_PROPS: &[&str] = &[
    "http",
    "grpc",
    "tcp",
    "exec",
    "port",
    "initial-delay",
    "period",
    "timeout",
    "failure-threshold",
    "startup",
];

pub(super) fn read_health(node: &KdlNode, out: &mut Findings) -> Option<Health> {
    let r = NodeReader::new(node, 0, HEALTH_PROPS, out);
    let http = r.string_prop("http", out);
    let grpc = r.string_prop("grpc", out);
    let tcp = r.string_prop("tcp", out);
    let exec = r.string_prop("exec", out);
    let port = r.string_prop("port", out);
    let mut seconds = |key: &str, max: u32| {
        r.int_prop(key, out)
            .and_then(|v| read_u32(v, max, "a probe setting", out))
    };
    let timing = ProbeTiming {
        initial_delay: seconds("initial-delay", 3600),
        period: seconds("period", 3600),
        timeout: seconds("timeout", 3600),
        failure_threshold: seconds("failure-threshold", 1000),
        startup: r.bool_prop("startup", out),
    };
    for (key, v) in [
        ("period", &timing.period),
        ("timeout", &timing.timeout),
        ("failure-threshold", &timing.failure_threshold),
    ] {
        if let Some(v) = v.as_ref().filter(|v| v.value == 0) {
            out.push(
                Finding::new("MC004", format!("`{key}=0` is not allowed"))
                    .at(v.span, "Kubernetes needs at least 1"),
            );
        }
    }
    let kinds = [
        r.has_prop("http"),
        r.has_prop("grpc"),
        r.has_prop("tcp"),
        r.has_prop("exec"),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let how = "write `health http=\"/healthz\" port=http`, `health grpc=grpc`, `health tcp=PORTNAME` or `health exec=\"command args\"`";
    if kinds != 1 {
        out.push(
            Finding::new(
                "MC004",
                "`health` needs exactly one of http=, grpc=, tcp=, exec=",
            )
            .at(node.span(), "one probe kind")
            .help(how),
        );
        return None;
    }
    if http.is_none() {
        // Headers belong to an HTTP probe; any other kind takes no children.
        no_children(node, out);
    }
    let check = if let Some(path) = http {
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
        let mut headers = Vec::new();
        for h in reader::children(node, &["header"], out) {
            no_children(h, out);
            let hr = NodeReader::new(h, 2, &[], out);
            if let (Some(n), Some(v)) = (
                hr.string_arg(0, "a header name", out),
                hr.string_arg(1, "a header value", out),
            ) {
                // An HTTP field name is a token (RFC 9110): no spaces, colons or separators.
                let token = !n.value.is_empty()
                    && n.value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
                if token {
                    headers.push((n, v));
                } else {
                    out.push(
                        Finding::new("MC009", format!("`{}` is not an HTTP header name", n.value))
                            .at(n.span, "not an HTTP token")
                            .help("e.g. `header \"Host\" \"app.example.com\"`: the name without a colon"),
                    );
                }
            }
        }
        HealthCheck::Http {
            path,
            port,
            headers,
        }
    } else {
        if r.has_prop("port") {
            out.push(
                Finding::new("MC004", "`port=` only goes with `http=`")
                    .at(node.span(), "name the port in grpc= or tcp=")
                    .help(how),
            );
        }
        match (grpc, tcp, exec) {
            (Some(port), None, None) => HealthCheck::Grpc { port },
            (None, Some(port), None) => HealthCheck::Tcp { port },
            (None, None, Some(command)) if !command.value.trim().is_empty() => {
                HealthCheck::Exec { command }
            }
            _ => return None,
        }
    };
    Some(Health { check, timing })
}

const VOLUME_PROPS: &[&str] = &[
    "size",
    "empty-dir",
    "medium",
    "size-limit",
    "secret",
    "config-map",
    "host-path",
    "read-only",
];

/// `volume NAME PATH` and exactly one source: `size=` (a claim), `empty-dir=#true`,
/// `secret=`, `config-map=` or `host-path=`.
pub(super) fn read_volume(node: &KdlNode, out: &mut Findings) -> Option<Volume> {
    let r = NodeReader::new(node, 2, VOLUME_PROPS, out);
    let name = r.string_arg(0, "a volume name", out)?;
    check_dns1123_label(&name, "volume name", out);
    let mount_path = r.string_arg(1, "a mount path", out)?;
    check_absolute(&mount_path, out);
    let read_only = r.bool_prop("read-only", out).is_some_and(|b| b.value);
    let how = "give one source: `size=\"10Gi\"` (a claim), `empty-dir=#true`, `secret=\"name\"`, `config-map=\"name\"` or `host-path=\"/path\"`";
    let kinds = ["size", "empty-dir", "secret", "config-map", "host-path"]
        .iter()
        .filter(|k| r.has_prop(k))
        .count();
    if kinds > 1 {
        out.push(
            Finding::new(
                "MC004",
                format!("volume `{}` has more than one source", name.value),
            )
            .at(node.span(), "choose one source")
            .help(how),
        );
        return None;
    }
    let empty_dir_only = ["medium", "size-limit"];
    if !r.has_prop("empty-dir") {
        for key in empty_dir_only.iter().filter(|k| r.has_prop(k)) {
            out.push(
                Finding::new(
                    "MC004",
                    format!("`{key}=` only goes with `empty-dir=#true`"),
                )
                .at(node.span(), "not an emptyDir")
                .help(how),
            );
        }
    }
    let source = if r.has_prop("size") {
        let s = r.string_prop("size", out)?;
        if !quantity::is_memory(&s.value) {
            out.push(
                Finding::new("MC004", format!("`{}` is not a storage size", s.value))
                    .at(s.span, "not a Kubernetes quantity")
                    .help("write sizes like \"10Gi\" or \"500Mi\""),
            );
            return None;
        }
        VolumeSource::Claim { size: s }
    } else if r.has_prop("empty-dir") {
        let on = r.bool_prop("empty-dir", out)?;
        if !on.value {
            out.push(
                Finding::new("MC004", "`empty-dir=#false` declares no volume")
                    .at(on.span, "remove the volume or write #true")
                    .help(how),
            );
            return None;
        }
        let medium = r.string_prop("medium", out);
        if let Some(m) = medium.as_ref().filter(|m| m.value != "Memory") {
            out.push(one_of(m, "emptyDir medium", &["Memory"]));
            return None;
        }
        let size_limit = r.string_prop("size-limit", out);
        if let Some(l) = size_limit
            .as_ref()
            .filter(|l| !quantity::is_memory(&l.value))
        {
            out.push(
                Finding::new("MC004", format!("`{}` is not a size", l.value))
                    .at(l.span, "not a Kubernetes quantity")
                    .help("write sizes like \"64Mi\""),
            );
            return None;
        }
        VolumeSource::EmptyDir { medium, size_limit }
    } else if r.has_prop("secret") {
        VolumeSource::Secret {
            secret: r.string_prop("secret", out)?,
        }
    } else if r.has_prop("config-map") {
        let name = r.string_prop("config-map", out)?;
        if !is_dns1123_subdomain(&name.value) {
            out.push(
                Finding::new("MC009", format!("`{}` is not a ConfigMap name", name.value))
                    .at(name.span, "not a DNS-1123 subdomain")
                    .help("use lowercase letters, digits, `-` and `.`"),
            );
        }
        VolumeSource::ConfigMap { name }
    } else if r.has_prop("host-path") {
        let path = r.string_prop("host-path", out)?;
        check_absolute(&path, out);
        VolumeSource::HostPath { path }
    } else {
        out.push(
            r.missing("a source")
                .help("e.g. `volume data \"/data\" size=\"10Gi\"` or `volume cache \"/cache\" empty-dir=#true`"),
        );
        return None;
    };
    Some(Volume {
        name,
        mount_path,
        source,
        read_only,
        span: node.span(),
    })
}

/// `allow "root" reason="…"`, `allow "capabilities" "NET_BIND_SERVICE" reason="…"`.
pub(super) fn read_allow(node: &KdlNode, earlier: &[Allow], out: &mut Findings) -> Option<Allow> {
    let r = NodeReader::new(node, usize::MAX, &["reason"], out);
    let what = r.string_arg(0, "a privilege", out)?;
    let keywords = Privilege::ALL.map(|(k, _)| k);
    let Some((_, privilege)) = Privilege::ALL.iter().find(|(k, _)| *k == what.value) else {
        out.push(one_of(&what, "privilege", &keywords));
        return None;
    };
    let capabilities = r.string_args(1, "a capability", out);
    if *privilege == Privilege::Capabilities {
        if capabilities.is_empty() {
            out.push(r.missing("the capabilities to add").help(
                "e.g. `allow \"capabilities\" \"NET_BIND_SERVICE\" reason=\"binds port 80\"`",
            ));
            return None;
        }
        for c in &capabilities {
            let ok = !c.value.is_empty()
                && c.value
                    .chars()
                    .all(|ch| ch.is_ascii_uppercase() || ch == '_');
            if !ok {
                out.push(
                    Finding::new("MC004", format!("`{}` is not a capability", c.value))
                        .at(c.span, "expected e.g. NET_BIND_SERVICE")
                        .help("write the name without `CAP_`, in capitals"),
                );
            }
        }
    } else if let Some(extra) = capabilities.first() {
        out.push(
            Finding::new(
                "MC004",
                format!("too many arguments to `allow \"{}\"`", what.value),
            )
            .at(extra.span, "unexpected argument")
            .help("only `allow \"capabilities\"` takes names after it"),
        );
    }
    if let Some(prev) = earlier.iter().find(|a| a.privilege.value == *privilege) {
        out.push(
            Finding::new(
                "MC006",
                format!("`allow \"{}\"` is written twice", what.value),
            )
            .at(what.span, "again here")
            .also(prev.privilege.span, "first here")
            .help("keep one, with one reason"),
        );
        return None;
    }
    Some(Allow {
        privilege: Spanned::new(*privilege, what.span),
        capabilities,
        reason: r.string_prop("reason", out),
        span: node.span(),
    })
}

/// `expose PORT… [from-cidr="10.0.0.0/8" | from-namespace="ingress-nginx"]`.
pub(super) fn read_expose(node: &KdlNode, out: &mut Findings) -> Option<Expose> {
    let r = NodeReader::new(node, usize::MAX, &["from-cidr", "from-namespace"], out);
    let ports = r.string_args(0, "a port name", out);
    if ports.is_empty() {
        out.push(r.missing("the names of the ports to expose"));
        return None;
    }
    let cidr = r.string_prop("from-cidr", out);
    let namespace = r.string_prop("from-namespace", out);
    let from = match (cidr, namespace) {
        (Some(c), None) => {
            if !is_cidr(&c.value) {
                out.push(not_a_cidr(&c));
                return None;
            }
            ExposedFrom::Cidr(c)
        }
        (None, Some(n)) => {
            check_dns1123_label(&n, "namespace", out);
            ExposedFrom::Namespace(n)
        }
        (None, None) => ExposedFrom::Anywhere,
        (Some(c), Some(_)) => {
            out.push(
                Finding::new(
                    "MC004",
                    "`expose` takes one of from-cidr= or from-namespace=",
                )
                .at(c.span, "one peer per line")
                .help("write one `expose` line per peer"),
            );
            return None;
        }
    };
    Some(Expose {
        ports,
        from,
        span: node.span(),
    })
}

/// `node-cidr "10.0.0.0/16" …`: one or more networks; a malformed one is reported and dropped.
pub(super) fn read_cidrs(node: &KdlNode, out: &mut Findings) -> Vec<Spanned<String>> {
    let mut cidrs = super::common::read_list(node, "a network, e.g. 10.0.0.0/16", out);
    cidrs.retain(|c| {
        let ok = is_cidr(&c.value);
        if !ok {
            out.push(not_a_cidr(c));
        }
        ok
    });
    cidrs
}

fn not_a_cidr(c: &Spanned<String>) -> Finding {
    Finding::new("MC004", format!("`{}` is not a CIDR", c.value))
        .at(c.span, "expected e.g. 10.0.0.0/8")
        .help("write an IPv4 or IPv6 network with its prefix length")
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, len)) = s.split_once('/') else {
        return false;
    };
    match (ip.parse::<std::net::IpAddr>(), len.parse::<u8>()) {
        (Ok(std::net::IpAddr::V4(_)), Ok(l)) => l <= 32,
        (Ok(std::net::IpAddr::V6(_)), Ok(l)) => l <= 128,
        _ => false,
    }
}

pub(super) fn read_service_type(
    node: &KdlNode,
    out: &mut Findings,
) -> Option<Spanned<ServiceType>> {
    let v = single_string(node, "a Service type", out)?;
    match ServiceType::ALL.iter().find(|(k, _)| *k == v.value) {
        Some((_, t)) => Some(Spanned::new(*t, v.span)),
        None => {
            out.push(one_of(
                &v,
                "Service type",
                &ServiceType::ALL.map(|(k, _)| k),
            ));
            None
        }
    }
}

const TOLERATION_PROPS: &[&str] = &["key", "operator", "value", "effect"];
const TOLERATION_OPERATORS: &[&str] = &["Equal", "Exists"];
const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];

pub(super) fn read_toleration(node: &KdlNode, out: &mut Findings) -> Option<Toleration> {
    let r = NodeReader::new(node, 0, TOLERATION_PROPS, out);
    let t = Toleration {
        key: r.string_prop("key", out),
        operator: r.string_prop("operator", out),
        value: r.string_prop("value", out),
        effect: r.string_prop("effect", out),
    };
    if let Some(o) = t
        .operator
        .as_ref()
        .filter(|o| !TOLERATION_OPERATORS.contains(&o.value.as_str()))
    {
        out.push(one_of(o, "toleration operator", TOLERATION_OPERATORS));
        return None;
    }
    if let Some(e) = t
        .effect
        .as_ref()
        .filter(|e| !TAINT_EFFECTS.contains(&e.value.as_str()))
    {
        out.push(one_of(e, "taint effect", TAINT_EFFECTS));
        return None;
    }
    if t.key.is_none() && t.operator.as_ref().is_none_or(|o| o.value != "Exists") {
        out.push(r.missing("`key=`").help(
            "e.g. `toleration key=\"nvidia.com/gpu\" operator=\"Exists\" effect=\"NoSchedule\"`",
        ));
        return None;
    }
    Some(t)
}

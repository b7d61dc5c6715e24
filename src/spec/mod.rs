//! Front end: `platform.kdl` text → [`Platform`] with spans, plus every finding on the way.
//!
//! Parsing never stops at the first mistake: each node is read independently and what cannot
//! be read is left out of the model with a finding. No I/O beyond the text given.

mod common;
mod depth;
mod environment;
mod operations;
mod patch;
mod pod;
pub mod quantity;
mod reader;
mod secret;
mod service;
pub mod syntax;

pub use depth::check as check_depth;
pub use reader::did_you_mean;

use kdl::{KdlDocument, KdlNode};
use miette::SourceSpan;

use crate::diagnostic::{Finding, Findings};
use crate::model::*;
use common::*;
use environment::read_environment;
use reader::{NodeReader, children, name_span, no_children};
use secret::read_secret;
use service::read_service;

const TOP: &[&str] = &["platform", "defaults", "secret", "service", "environment"];
const PLATFORM: &[&str] = &[
    "namespace",
    "cluster-domain",
    "node-ports",
    "kubernetes",
    "version",
    "existing-namespaces",
    "network-policies",
    "addresses",
    "egress",
    "prometheus",
    "pod-security",
    "node-cidr",
    "gitops",
];
const DEFAULTS: &[&str] = &[
    "value",
    "resources",
    "run-as-user",
    "run-as-group",
    "fs-group",
];
pub const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];

/// The nodes the reader accepts inside the block at `path` (the names of the enclosing
/// nodes, outermost first; empty for the top level): what an editor may complete there.
pub fn children_of(path: &[&str]) -> &'static [&'static str] {
    match path {
        [] => TOP,
        ["platform"] => PLATFORM,
        ["defaults"] => DEFAULTS,
        ["secret"] => secret::SECRET,
        ["service"] => service::SERVICE,
        ["service", "init-container" | "sidecar"] => service::EXTRA_CONTAINER,
        ["environment"] => environment::ENVIRONMENT,
        ["environment", "service"] => environment::OVERRIDE,
        _ => &[],
    }
}

/// The result of reading a spec: the model (when the document parsed at all) and findings.
pub struct Parsed {
    pub platform: Option<Platform>,
    /// The document as read, for the checks that look at every string it holds.
    pub document: Option<KdlDocument>,
    pub findings: Findings,
}

/// Parses and reads `text`. The model is `None` only when the KDL itself is broken or the
/// `platform` block is missing.
pub fn parse(text: &str) -> Parsed {
    let mut findings = Findings::default();
    // Both readers recurse per level: depth is bounded before either runs.
    if let Some(f) = depth::check(text) {
        findings.push(f);
        return Parsed {
            platform: None,
            document: None,
            findings,
        };
    }
    // The fast reader covers what specs are written in; anything else, and every syntax error
    // with its diagnostics, is `kdl`'s.
    let doc = match syntax::read(text).map_or_else(|| text.parse::<KdlDocument>(), Ok) {
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
                document: None,
                findings,
            };
        }
    };
    let platform = read_document(&doc, &mut findings);
    Parsed {
        platform,
        document: Some(doc),
        findings,
    }
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
    check_dns1123_label(&name, "platform name", out);
    let mut namespace = None;
    let mut cluster_domain = None;
    let mut node_ports = None;
    let mut kubernetes = None;
    let mut version = None;
    let mut existing_namespaces = Vec::new();
    let mut network_policies = None;
    let mut addresses = None;
    let mut egress_restricted = None;
    let mut prometheus = None;
    let mut pod_security = Vec::new();
    let mut node_cidrs = Vec::new();
    let mut gitops = Vec::new();
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
            "existing-namespaces" => {
                for ns in read_list(child, "a namespace", out) {
                    check_dns1123_label(&ns, "namespace", out);
                    existing_namespaces.push(ns);
                }
            }
            "addresses" => {
                if let Some(v) = single_string(child, "an address form", out) {
                    match AddressForm::ALL.iter().find(|(k, _)| *k == v.value) {
                        Some((_, form)) => addresses = Some(Spanned::new(*form, v.span)),
                        None => out.push(one_of(
                            &v,
                            "address form",
                            &AddressForm::ALL.map(|(k, _)| k),
                        )),
                    }
                }
            }
            "egress" => {
                if let Some(v) = single_string(child, "an egress mode", out) {
                    match v.value.as_str() {
                        "open" => egress_restricted = Some(Spanned::new(false, v.span)),
                        "restricted" => egress_restricted = Some(Spanned::new(true, v.span)),
                        _ => out.push(one_of(&v, "egress mode", &["open", "restricted"])),
                    }
                }
            }
            "network-policies" => {
                let r = NodeReader::new(child, 1, &[], out);
                network_policies = node_bool(child, &r, out);
            }
            "prometheus" => prometheus = operations::read_prometheus(child, out),
            "pod-security" => pod_security.extend(read_pod_security(child, out)),
            "node-cidr" => node_cidrs = pod::read_cidrs(child, out),
            "gitops" => gitops.extend(operations::read_gitops(child, out)),
            _ => {}
        }
    }
    let namespace = namespace.unwrap_or_else(|| Spanned::new(name.value.clone(), name.span));
    check_dns1123_label(&namespace, "namespace", out);
    Some(Platform {
        name,
        namespace,
        cluster_domain: cluster_domain
            .unwrap_or_else(|| Spanned::new("cluster.local".into(), name_span(pnode))),
        node_ports,
        kubernetes,
        version,
        defaults,
        existing_namespaces,
        addresses,
        network_policies,
        egress_restricted,
        prometheus,
        node_cidrs,
        pod_security,
        gitops,
        secrets,
        services,
        environments,
    })
}

/// `pod-security "baseline" [namespace="data"]`: the lowest Pod Security level the team
/// accepts for the platform's namespaces (or one of them).
fn read_pod_security(node: &kdl::KdlNode, out: &mut Findings) -> Option<PodSecurityFloor> {
    let r = NodeReader::new(node, 1, &["namespace"], out);
    let v = r.string_arg(0, "a Pod Security level", out)?;
    let namespace = r.string_prop("namespace", out);
    if let Some(ns) = &namespace {
        check_dns1123_label(ns, "namespace", out);
    }
    let names = PodSecurityLevel::ALL.map(|l| l.as_str());
    match PodSecurityLevel::ALL.iter().find(|l| l.as_str() == v.value) {
        Some(level) => Some(PodSecurityFloor {
            level: Spanned::new(*level, v.span),
            namespace,
        }),
        None => {
            out.push(one_of(&v, "Pod Security level", &names));
            None
        }
    }
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

fn read_node_ports(node: &KdlNode, out: &mut Findings) -> Option<NodePortRange> {
    let r = NodeReader::new(node, 2, &["registry"], out);
    let registry = r.string_prop("registry", out);
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
        registry,
    })
}

fn read_defaults(node: &KdlNode, out: &mut Findings) -> Defaults {
    NodeReader::new(node, 0, &[], out);
    let mut d = Defaults::default();
    for child in children(node, DEFAULTS, out) {
        match reader::name_of(child) {
            "value" => d.values.extend(read_value(child, out)),
            "resources" => d.resources = Some(read_resources(child, out)),
            "run-as-user" | "run-as-group" | "fs-group" => {
                read_identity(child, &mut d.identity, out);
            }
            _ => {}
        }
    }
    d
}

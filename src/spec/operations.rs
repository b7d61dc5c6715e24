//! `ingress`, `metrics` and `autoscale` on a service; `exposure` and `ingress-domain` in an
//! environment; `prometheus` on the platform.

use kdl::KdlNode;

use super::common::*;
use super::reader::{NodeReader, no_children};
use crate::diagnostic::{Finding, Findings};
use crate::model::*;

const INGRESS_PROPS: &[&str] = &["port", "host", "path", "class", "tls-secret"];

/// `ingress port=http [host="…"] [path="/"] [class="nginx"] [tls-secret="…"]`.
pub(super) fn read_ingress(node: &KdlNode, out: &mut Findings) -> Option<IngressRoute> {
    no_children(node, out);
    let r = NodeReader::new(node, 0, INGRESS_PROPS, out);
    let Some(port) = r.string_prop("port", out) else {
        out.push(
            r.missing("`port=`").help(
                "name the port it routes to, e.g. `ingress port=http host=\"app.example.com\"`",
            ),
        );
        return None;
    };
    let host = r.string_prop("host", out);
    if let Some(h) = &host {
        check_host(h, out);
    }
    let path = r.string_prop("path", out);
    if let Some(p) = &path {
        check_http_path(p, "ingress", out);
    }
    let class = r.string_prop("class", out);
    if let Some(c) = &class {
        check_subdomain(c, "IngressClass name", out);
    }
    let tls_secret = r.string_prop("tls-secret", out);
    if let Some(s) = &tls_secret {
        check_subdomain(s, "Secret name", out);
    }
    Some(IngressRoute {
        port,
        host,
        path,
        class,
        tls_secret,
        span: node.span(),
    })
}

/// A host an Ingress rule accepts: a DNS-1123 subdomain, optionally with a leading `*.`.
pub(super) fn check_host(h: &Spanned<String>, out: &mut Findings) {
    let bare = h.value.strip_prefix("*.").unwrap_or(&h.value);
    if !is_dns1123_subdomain(bare) || !bare.contains('.') {
        out.push(
            Finding::new("MC009", format!("`{}` is not a host name an Ingress accepts", h.value))
                .at(h.span, "expected a DNS name such as app.example.com")
                .help("lower-case letters, digits, `-` and `.`, at least two labels; no scheme, port or path"),
        );
    }
}

/// `path=` of a route or a scrape: an absolute HTTP path.
fn check_http_path(p: &Spanned<String>, what: &str, out: &mut Findings) {
    if !p.value.starts_with('/') {
        out.push(
            Finding::new(
                "MC004",
                format!("{what} path `{}` does not start with /", p.value),
            )
            .at(p.span, "an HTTP path is absolute")
            .help(format!("write `path=\"/{}\"`", p.value)),
        );
    }
}

fn check_subdomain(v: &Spanned<String>, what: &str, out: &mut Findings) {
    if !is_dns1123_subdomain(&v.value) {
        out.push(
            Finding::new("MC009", format!("`{}` is not a valid {what}", v.value))
                .at(v.span, "not a DNS-1123 subdomain")
                .help("lower-case letters, digits, `-` and `.`"),
        );
    }
}

const METRICS_PROPS: &[&str] = &["port", "path", "interval"];

/// `metrics port=http [path="/metrics"] [interval="30s"]`.
pub(super) fn read_metrics(node: &KdlNode, out: &mut Findings) -> Option<Metrics> {
    no_children(node, out);
    let r = NodeReader::new(node, 0, METRICS_PROPS, out);
    let Some(port) = r.string_prop("port", out) else {
        out.push(
            r.missing("`port=`")
                .help("e.g. `metrics port=http path=\"/metrics\"`"),
        );
        return None;
    };
    let path = r.string_prop("path", out);
    if let Some(p) = &path {
        check_http_path(p, "metrics", out);
    }
    let interval = r.string_prop("interval", out);
    if let Some(i) = &interval
        && !is_prometheus_duration(&i.value)
    {
        out.push(
            Finding::new(
                "MC004",
                format!("`{}` is not a Prometheus duration", i.value),
            )
            .at(i.span, "expected e.g. 30s, 1m, 1m30s")
            .help("units y, w, d, h, m, s, ms, largest first"),
        );
    }
    Some(Metrics {
        port,
        path,
        interval,
        span: node.span(),
    })
}

/// The prometheus-operator's `Duration` pattern: unit groups in descending order, each once.
pub fn is_prometheus_duration(s: &str) -> bool {
    if s == "0" {
        return true;
    }
    const UNITS: [&str; 7] = ["y", "w", "d", "h", "m", "s", "ms"];
    let mut rest = s;
    let mut next_unit = 0;
    let mut any = false;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        // "ms" before "m" so that 5ms is not read as 5m followed by "s".
        let unit = if rest.starts_with("ms") {
            "ms"
        } else {
            match rest.chars().next() {
                Some(c) if "ywdhms".contains(c) => &rest[..1],
                _ => return false,
            }
        };
        let Some(idx) = UNITS.iter().position(|u| *u == unit) else {
            return false;
        };
        if idx < next_unit {
            return false;
        }
        next_unit = idx + 1;
        rest = &rest[unit.len()..];
        any = true;
    }
    any
}

const AUTOSCALE_PROPS: &[&str] = &["min", "max", "cpu", "memory"];

/// `autoscale min=3 max=20 [cpu=70] [memory=80]`.
pub(super) fn read_autoscale(node: &KdlNode, out: &mut Findings) -> Option<Autoscale> {
    no_children(node, out);
    let r = NodeReader::new(node, 0, AUTOSCALE_PROPS, out);
    let bound = |key: &str, out: &mut Findings| {
        r.int_prop(key, out)
            .and_then(|v| read_u32(v, i32::MAX as u32, "a replica count", out))
    };
    let (Some(min), Some(max)) = (bound("min", out), bound("max", out)) else {
        out.push(
            r.missing("`min=` and `max=`")
                .help("e.g. `autoscale min=3 max=20 cpu=70`"),
        );
        return None;
    };
    if min.value == 0 || max.value < min.value {
        out.push(
            Finding::new(
                "MC004",
                format!(
                    "autoscale bounds {}–{} are not a range",
                    min.value, max.value
                ),
            )
            .at(node.span(), "expected 1 <= min <= max")
            .help("an HPA keeps at least one pod and never fewer than `min`"),
        );
        return None;
    }
    let percent = |key: &str, out: &mut Findings| {
        let v = r.int_prop(key, out)?;
        match u32::try_from(v.value) {
            Ok(n) if (1..=1000).contains(&n) => Some(Spanned::new(n, v.span)),
            _ => {
                out.push(
                    Finding::new(
                        "MC004",
                        format!("`{key}={}` is not a utilisation target", v.value),
                    )
                    .at(v.span, "expected a percentage of the request, 1–1000")
                    .help(format!(
                        "e.g. `{key}=70`: scale out above 70% of the requested {key}"
                    )),
                );
                None
            }
        }
    };
    Some(Autoscale {
        min,
        max,
        cpu: percent("cpu", out),
        memory: percent("memory", out),
        span: node.span(),
    })
}

const EXPOSURE_PROPS: &[&str] = &["class", "controller-namespace", "tls-secret"];

/// `exposure "ingress" [class="nginx"] [controller-namespace="ingress-nginx"] [tls-secret=…]`.
pub(super) fn read_exposure(node: &KdlNode, out: &mut Findings) -> Option<ExposureSettings> {
    no_children(node, out);
    let r = NodeReader::new(node, 1, EXPOSURE_PROPS, out);
    let v = r.string_arg(0, "an exposure mode", out)?;
    let Some((_, mode)) = Exposure::ALL.iter().find(|(k, _)| *k == v.value) else {
        out.push(one_of(&v, "exposure", &Exposure::ALL.map(|(k, _)| k)));
        return None;
    };
    let class = r.string_prop("class", out);
    let controller_namespace = r.string_prop("controller-namespace", out);
    let tls_secret = r.string_prop("tls-secret", out);
    if *mode != Exposure::Ingress
        && let Some(extra) = class
            .as_ref()
            .or(controller_namespace.as_ref())
            .or(tls_secret.as_ref())
    {
        out.push(
            Finding::new(
                "MC003",
                format!("`exposure \"{}\"` takes no ingress settings", v.value),
            )
            .at(extra.span, "only meaningful with exposure \"ingress\"")
            .help("remove it, or write `exposure \"ingress\"`"),
        );
    }
    if let Some(c) = &class {
        check_subdomain(c, "IngressClass name", out);
    }
    if let Some(n) = &controller_namespace {
        check_dns1123_label(n, "namespace", out);
    }
    if let Some(s) = &tls_secret {
        check_subdomain(s, "Secret name", out);
    }
    Some(ExposureSettings {
        mode: Spanned::new(*mode, v.span),
        class,
        controller_namespace,
        tls_secret,
    })
}

const PROMETHEUS_PROPS: &[&str] = &["namespace", "service", "pod-label"];

/// `prometheus "operator" [namespace="monitoring"]` | `prometheus "annotations" [service=…]`.
pub(super) fn read_prometheus(node: &KdlNode, out: &mut Findings) -> Option<Prometheus> {
    no_children(node, out);
    let r = NodeReader::new(node, 1, PROMETHEUS_PROPS, out);
    let v = r.string_arg(0, "how metrics are scraped", out)?;
    let operator = match v.value.as_str() {
        "operator" => true,
        "annotations" => false,
        _ => {
            out.push(one_of(&v, "scraping mode", &["operator", "annotations"]));
            return None;
        }
    };
    let namespace = r.string_prop("namespace", out);
    if let Some(n) = &namespace {
        check_dns1123_label(n, "namespace", out);
    }
    let service = r.string_prop("service", out);
    let pod_label = r.string_prop("pod-label", out).and_then(|l| {
        let Some((k, v)) = l.value.split_once('=') else {
            out.push(
                Finding::new("MC004", format!("`{}` is not a label", l.value))
                    .at(l.span, "expected KEY=VALUE")
                    .help("e.g. `pod-label=\"app.kubernetes.io/name=prometheus\"`"),
            );
            return None;
        };
        // The key and value keep spans inside the string: after the opening quote.
        let start = l.span.offset() + 1;
        let key = Spanned::new(k.to_string(), (start, k.len()).into());
        let value = Spanned::new(v.to_string(), (start + k.len() + 1, v.len()).into());
        check_qualified_name(&key, "label key", out);
        check_label_value(&value, out);
        Some((key, value))
    });
    if let (Some(s), Some((k, _))) = (&service, &pod_label) {
        out.push(
            Finding::new("MC004", "`pod-label=` is for a scraper outside the spec")
                .at(
                    k.span,
                    format!("`{}` is a spec service: its own labels select it", s.value),
                )
                .help("remove `pod-label=`, or `service=`"),
        );
    }
    Some(Prometheus {
        operator,
        namespace,
        service,
        pod_label,
        span: node.span(),
    })
}

const GITOPS_PROPS: &[&str] = &["repo", "revision", "project", "path", "plugin"];

/// `gitops "argocd"|"flux" repo="…" [revision=…] [project=…] [path=…] [plugin=#true]`.
pub(super) fn read_gitops(node: &KdlNode, out: &mut Findings) -> Option<GitOps> {
    no_children(node, out);
    let r = NodeReader::new(node, 1, GITOPS_PROPS, out);
    let v = r.string_arg(0, "a GitOps controller", out)?;
    let Some((_, tool)) = GitOpsTool::ALL.iter().find(|(k, _)| *k == v.value) else {
        out.push(one_of(
            &v,
            "GitOps controller",
            &GitOpsTool::ALL.map(|(k, _)| k),
        ));
        return None;
    };
    let Some(repo) = r.string_prop("repo", out) else {
        out.push(
            Finding::new("MC005", "`gitops` needs the repository it delivers from")
                .at(node.span(), "no repo=")
                .help("e.g. `gitops \"argocd\" repo=\"https://github.com/acme/platform.git\"`"),
        );
        return None;
    };
    let plugin = r.bool_prop("plugin", out);
    if let Some(p) = &plugin
        && p.value
        && *tool == GitOpsTool::Flux
    {
        out.push(
            Finding::new("MC004", "`plugin=` is an Argo CD setting")
                .at(p.span, "Flux reads output/k8s/<env>")
                .help("remove `plugin=#true`, or use `gitops \"argocd\"`"),
        );
    }
    let project = r.string_prop("project", out);
    if let (Some(p), GitOpsTool::Flux) = (&project, tool) {
        out.push(
            Finding::new("MC004", "`project=` is an Argo CD setting")
                .at(p.span, "Flux has no projects")
                .help("remove `project=`"),
        );
    }
    Some(GitOps {
        tool: Spanned::new(*tool, v.span),
        repo,
        revision: r.string_prop("revision", out),
        project,
        path: r.string_prop("path", out),
        plugin: plugin.is_some_and(|p| p.value),
        span: node.span(),
    })
}

#[cfg(test)]
mod tests {
    use super::is_prometheus_duration;

    #[test]
    fn prometheus_durations() {
        for ok in ["0", "30s", "1m", "1m30s", "5ms", "1h2m3s4ms", "2w", "1y"] {
            assert!(is_prometheus_duration(ok), "{ok}");
        }
        for bad in [
            "", "30", "s", "1s1m", "1m1m", "30sec", "-1s", "1.5s", " 30s",
        ] {
            assert!(!is_prometheus_duration(bad), "{bad}");
        }
    }
}

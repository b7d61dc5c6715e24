//! Readers shared by every block: single values, `value` pairs, resources, lists, and the
//! name checks Kubernetes imposes, each reported as a finding with a span.

use kdl::KdlNode;
use miette::SourceSpan;

use super::quantity;
use super::reader::{self, NodeReader, did_you_mean, no_children};
use crate::diagnostic::{Finding, Findings};
use crate::model::*;

pub(super) const RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "cpu-limit",
    "memory-limit",
    "ephemeral-storage",
    "ephemeral-storage-limit",
];

pub(super) fn single_string(
    node: &KdlNode,
    what: &str,
    out: &mut Findings,
) -> Option<Spanned<String>> {
    NodeReader::new(node, 1, &[], out).string_arg(0, what, out)
}

/// `value KEY "V"`. Numbers and booleans are accepted and written as strings: a ConfigMap
/// holds only strings, and `value DEFAULT_MAX_RETRIES 3` is what people type.
pub(super) fn read_value(
    node: &KdlNode,
    out: &mut Findings,
) -> Option<(Spanned<String>, Spanned<String>)> {
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

pub(super) fn read_resources(node: &KdlNode, out: &mut Findings) -> Resources {
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
        ephemeral_storage: get("ephemeral-storage", true),
        ephemeral_storage_limit: get("ephemeral-storage-limit", true),
        span: Some(node.span()),
    };
    if node.entries().is_empty() {
        out.push(r.missing("at least one of cpu=, memory=, cpu-limit=, memory-limit="));
    }
    res
}

pub(super) fn read_list(node: &KdlNode, what: &str, out: &mut Findings) -> Vec<Spanned<String>> {
    let r = NodeReader::new(node, usize::MAX, &[], out);
    if r.arg_count() == 0 {
        out.push(r.missing(what));
    }
    r.string_args(0, what, out)
}

pub(super) fn read_replicas(node: &KdlNode, out: &mut Findings) -> Option<Spanned<u32>> {
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

pub(super) fn port_number(v: Spanned<i128>, out: &mut Findings) -> Option<Spanned<PortNumber>> {
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

pub(super) fn node_bool(
    node: &KdlNode,
    r: &NodeReader<'_>,
    out: &mut Findings,
) -> Option<Spanned<bool>> {
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

pub(super) fn one_of(v: &Spanned<String>, what: &str, allowed: &[&str]) -> Finding {
    let f = Finding::new("MC004", format!("`{}` is not a valid {what}", v.value))
        .at(v.span, format!("expected one of {}", allowed.join(", ")));
    match did_you_mean(&v.value, allowed.iter().copied()) {
        Some(s) => f.help(format!("did you mean \"{s}\"?")),
        None => f.help(format!("{what} is one of: {}", allowed.join(", "))),
    }
}

pub(super) fn duplicate(what: &str, again: &Spanned<String>, first: SourceSpan) -> Finding {
    Finding::new(
        "MC006",
        format!("{what} `{}` is declared twice", again.value),
    )
    .at(again.span, "declared again here")
    .also(first, "first declared here")
    .help("remove one of them")
}

/// Keeps the first entry of each name; a later one is an MC006 finding pointing at the first.
/// One pass with a map, so a list of a million entries costs a million lookups (it compared
/// each entry with every earlier one: a million distinct `depends-on` arguments ran for hours).
pub(super) fn dedupe<T>(
    list: &mut Vec<T>,
    what: &str,
    name: impl Fn(&T) -> &Spanned<String>,
    out: &mut Findings,
) {
    let mut first: std::collections::HashMap<String, SourceSpan> =
        std::collections::HashMap::with_capacity(list.len());
    list.retain(|e| {
        let n = name(e);
        match first.get(&n.value) {
            Some(prev) => {
                out.push(duplicate(what, n, *prev));
                false
            }
            None => {
                first.insert(n.value.clone(), n.span);
                true
            }
        }
    });
}

pub(super) fn check_dns_label(name: &Spanned<String>, what: &str, out: &mut Findings) {
    check_label(name, what, Label::Dns1035, out);
}

/// For names whose uses all take an RFC 1123 label (a namespace, a chart, a volume): a digit
/// may come first.
pub(super) fn check_dns1123_label(name: &Spanned<String>, what: &str, out: &mut Findings) {
    check_label(name, what, Label::Dns1123, out);
}

#[derive(Clone, Copy, PartialEq)]
enum Label {
    Dns1035,
    Dns1123,
}

fn check_label(name: &Spanned<String>, what: &str, label: Label, out: &mut Findings) {
    let valid = |s: &str| match label {
        Label::Dns1035 => is_dns1035_label(s),
        Label::Dns1123 => crate::model::is_dns1123_label(s),
    };
    if valid(&name.value) {
        return;
    }
    let mut suggestion: String = name
        .value
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    // Never suggest a name that is itself refused: a label that must start with a letter gets
    // one, and every label fits in 63 characters.
    if !suggestion.starts_with(|c: char| c.is_ascii_lowercase()) && label == Label::Dns1035 {
        suggestion.insert_str(0, "x-");
    }
    suggestion.truncate(63);
    let suggestion = suggestion.trim_end_matches('-').to_string();
    let (rule, first) = match label {
        Label::Dns1035 => ("a DNS-1035 label", "starting with a letter"),
        Label::Dns1123 => (
            "a DNS-1123 label",
            "starting and ending with a letter or digit",
        ),
    };
    let mut f = Finding::new("MC009", format!("`{}` is not a valid {what}", name.value))
        .at(name.span, format!("not {rule}"));
    f = if valid(&suggestion) {
        f.help(format!(
            "use lowercase letters, digits and `-`, {first}, at most 63 characters (e.g. \"{suggestion}\")"
        ))
    } else {
        f.help(format!(
            "use lowercase letters, digits and `-`, {first}, at most 63 characters"
        ))
    };
    out.push(f);
}

/// An env var name, checked as Kubernetes does (`IsEnvVarName`).
pub(super) fn check_env_name(name: &Spanned<String>, out: &mut Findings) {
    if !is_env_var_name(&name.value) {
        out.push(
            Finding::new(
                "MC009",
                format!("`{}` is not a valid variable name", name.value),
            )
            .at(name.span, "not an environment variable name")
            .help(
                "use letters, digits, `_`, `-` or `.`, not starting with a digit (e.g. LOG_LEVEL)",
            ),
        );
    }
}

/// A Secret or ConfigMap key, checked as Kubernetes does (`IsConfigMapKey`).
pub(super) fn check_key(name: &Spanned<String>, what: &str, out: &mut Findings) {
    if !is_config_map_key(&name.value) {
        out.push(
            Finding::new("MC009", format!("`{}` is not a valid {what}", name.value))
                .at(name.span, "not a Kubernetes key")
                .help("a key is 1–253 letters, digits, `-`, `_` or `.` (e.g. `access-key`, `tls.crt`), not `.` or starting with `..`"),
        );
    }
}

/// A label or annotation key, checked as Kubernetes does (`IsQualifiedName`).
pub(super) fn check_qualified_name(name: &Spanned<String>, what: &str, out: &mut Findings) {
    if !is_qualified_name(&name.value) {
        out.push(
            Finding::new("MC009", format!("`{}` is not a valid {what}", name.value))
                .at(name.span, "not a qualified name")
                .help("write `[prefix/]name`: the name at most 63 letters, digits, `-`, `_` or `.` with a letter or digit at each end, the prefix a DNS subdomain (e.g. `app.kubernetes.io/name`)"),
        );
    }
}

/// A label value, checked as Kubernetes does (`IsValidLabelValue`).
pub(super) fn check_label_value(value: &Spanned<String>, out: &mut Findings) {
    if !is_label_value(&value.value) {
        out.push(
            Finding::new("MC009", format!("`{}` is not a valid label value", value.value))
                .at(value.span, "not a label value")
                .help("a label value is empty or at most 63 letters, digits, `-`, `_` or `.` with a letter or digit at each end"),
        );
    }
}

/// `NODE KEY VALUE`: a label, annotation, selector or node-selector pair.
pub(super) fn read_pair(
    node: &KdlNode,
    label: bool,
    out: &mut Findings,
) -> Option<(Spanned<String>, Spanned<String>)> {
    no_children(node, out);
    let r = NodeReader::new(node, 2, &[], out);
    let key = r.string_arg(0, "a key", out)?;
    let value = r.string_arg(1, "a value", out);
    if r.arg_count() < 2 && value.is_none() {
        out.push(r.missing("a value"));
    }
    let value = value?;
    check_qualified_name(
        &key,
        if label { "label key" } else { "annotation key" },
        out,
    );
    if label {
        check_label_value(&value, out);
    }
    Some((key, value))
}

/// A whole number that fits `u32` and `max`, e.g. seconds or an ID.
pub(super) fn read_u32(
    v: Spanned<i128>,
    max: u32,
    what: &str,
    out: &mut Findings,
) -> Option<Spanned<u32>> {
    match u32::try_from(v.value) {
        Ok(n) if n <= max => Some(Spanned::new(n, v.span)),
        _ => {
            out.push(
                Finding::new("MC004", format!("{} is not {what}", v.value))
                    .at(v.span, format!("expected 0–{max}")),
            );
            None
        }
    }
}

/// `run-as-user N`, `run-as-group N` or `fs-group N` into `identity`.
pub(super) fn read_identity(node: &KdlNode, identity: &mut Identity, out: &mut Findings) {
    no_children(node, out);
    let Some(v) = NodeReader::new(node, 1, &[], out).int_arg(0, "an id", out) else {
        return;
    };
    let Some(id) = read_u32(v, i32::MAX as u32, "a user or group id", out) else {
        return;
    };
    match reader::name_of(node) {
        "run-as-user" => identity.run_as_user = Some(id),
        "run-as-group" => identity.run_as_group = Some(id),
        _ => identity.fs_group = Some(id),
    }
}

/// A path inside the container must be absolute.
pub(super) fn check_absolute(path: &Spanned<String>, out: &mut Findings) {
    if !path.value.starts_with('/') {
        out.push(
            Finding::new("MC004", format!("path `{}` is not absolute", path.value))
                .at(path.span, "must start with /"),
        );
    }
}

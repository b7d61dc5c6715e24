//! Hand-written Kubernetes YAML in the repository (not maestroc's output): container ports,
//! Service ports, target ports and NodePorts of objects named like a spec service must agree
//! with the spec (MC206); so must those of an object the spec ships as `extra`, compared with
//! it by kind and name.

use std::path::Path;
use std::sync::Arc;

use regex::Regex;
use serde_json::Value;

use super::{Knowledge, helm};
use crate::diagnostic::Finding;
use crate::emit::HEADER;
use crate::model::Service;

pub struct ManifestDrift<'a> {
    svc: &'a Service,
    kind: String,
    /// The object's name as the message gives it: the service's, or an `extra` object's own.
    object: String,
    field: &'static str,
    value: i64,
    /// What the spec says instead: a port list, or why there is none to compare with.
    expected: Expected,
    span: std::ops::Range<usize>,
    /// The object names the spec's namespace for the service explicitly.
    claims: bool,
    /// The line sits inside a Helm template condition that opens within the object.
    conditional: bool,
    /// The number comes from the chart's values file: (file, text, span, key path) there.
    from_values: Option<(String, Arc<String>, std::ops::Range<usize>, String)>,
}

enum Expected {
    /// The spec's ports for this field.
    Ports(String),
    /// The manifest names a port (`monitoring`) the spec does not declare.
    Undeclared { name: String, declared: String },
    /// The number agrees; only the name differs (`grpc` here, `p9555` in the spec). No drift:
    /// traffic goes where the spec says. Information, since a mesh reads the protocol from
    /// the name and a `targetPort` may refer to it.
    NameOnly { name: String, spec_name: String },
}

impl ManifestDrift<'_> {
    pub fn claims_namespace(&self) -> bool {
        self.claims
    }

    /// The field that contradicts the spec (`containerPort`, `port`, …) and its number.
    pub fn field(&self) -> &'static str {
        self.field
    }

    pub fn value(&self) -> i64 {
        self.value
    }

    /// The kind and name of the object as the message gives them.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn object(&self) -> &str {
        &self.object
    }

    /// The same drift shown at `span` of another text (a rendered chart's template), or at
    /// the values key its number comes from.
    pub fn moved_to(
        mut self,
        span: std::ops::Range<usize>,
        from_values: Option<helm::FromValues>,
    ) -> Self {
        self.span = span;
        self.conditional = false;
        self.from_values = from_values.map(|v| (v.file, v.text, v.span, v.path));
        self
    }

    pub fn into_finding(self, file: &str, text: &Arc<String>) -> Finding {
        let (kind, name) = (&self.kind, &self.object);
        let message = match &self.expected {
            Expected::Ports(p) if p.is_empty() => format!(
                "{kind} `{name}` has {}: {}, but the spec declares no port for it",
                self.field, self.value
            ),
            Expected::Ports(p) => format!(
                "{kind} `{name}` has {}: {}, but the spec says {p}",
                self.field, self.value
            ),
            Expected::Undeclared {
                name: port,
                declared,
            } => format!(
                "{kind} `{name}` has port `{port}` ({}), which is not declared in the spec (it declares {declared})",
                self.value
            ),
            Expected::NameOnly {
                name: port,
                spec_name,
            } => format!(
                "{kind} `{name}` names port {} `{port}`; the spec names it `{spec_name}` (same number: no drift)",
                self.value
            ),
        };
        let name_only = matches!(self.expected, Expected::NameOnly { .. });
        // A spec that declares no port for the service has nothing to contradict: incomplete.
        let spec_silent = self.svc.ports.is_empty();
        // A number the template takes from the chart's values is shown where it is written.
        let (message, file, text, span, label) = match &self.from_values {
            Some((vfile, vtext, vspan, path)) => (
                format!(
                    "{message} (`{path}` in {vfile}, used as `{}` by {file})",
                    self.field
                ),
                vfile.as_str(),
                vtext,
                vspan.clone(),
                format!("{path}: {}", self.value),
            ),
            None => (
                message,
                file,
                text,
                self.span.clone(),
                format!("{}: {}", self.field, self.value),
            ),
        };
        let mut f = Finding::new("MC206", message)
            .in_text(file, text, span, label)
            .help(
                "generate this manifest with `maestroc build`, or make it agree with platform.kdl",
            );
        f = f.with_ports_of(self.svc);
        if spec_silent {
            f.severity = crate::diagnostic::Severity::Warning;
        }
        if self.conditional && f.severity == crate::diagnostic::Severity::Error {
            f.severity = crate::diagnostic::Severity::Warning;
            f.message.push_str(
                " (inside a template condition: it renders only when the condition holds)",
            );
        }
        if name_only {
            f.severity = crate::diagnostic::Severity::Info;
            f.help = Some(format!(
                "to keep the manifest's name, write `port {} …` in platform.kdl",
                match &self.expected {
                    Expected::NameOnly { name, .. } => name.as_str(),
                    _ => "",
                }
            ));
        }
        f
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    v.as_i64()
}

/// Where `field: value` appears inside the document `within` (after its `ports:` when there
/// is one, so a probe's `port: 8080` above is not taken for the Service's port).
fn locate(
    text: &str,
    within: std::ops::Range<usize>,
    field: &str,
    value: i64,
) -> std::ops::Range<usize> {
    let doc = &text[within.clone()];
    let from = if field == "port" || field == "targetPort" || field == "nodePort" {
        doc.find("ports:").unwrap_or(0)
    } else {
        0
    };
    Regex::new(&format!(r#"\b{field}\s*:\s*["']?{value}\b"#))
        .ok()
        .and_then(|re| {
            re.find(&doc[from..]).or_else(|| re.find(doc)).map(|m| {
                let base = within.start
                    + if re.find(&doc[from..]).is_some() {
                        from
                    } else {
                        0
                    };
                base + m.start()..base + m.end()
            })
        })
        .unwrap_or(within.start..within.start)
}

/// The byte range of each YAML document of `text` (split at `---` lines), skipping ones
/// holding only comments or blanks, so they line up with the parsed documents.
pub fn document_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            ranges.push(start..pos);
            start = pos + line.len();
        }
        pos += line.len();
    }
    ranges.push(start..text.len());
    ranges
        .into_iter()
        .filter(|r| {
            text[r.clone()]
                .lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

/// (name, number, target) of every port a service's patches declare: `containerPort`s and Service
/// `port`s, wherever they sit in the patch body.
fn patched_ports(svc: &Service) -> Vec<(Option<String>, i64, Option<i64>)> {
    fn walk(v: &Value, out: &mut Vec<(Option<String>, i64, Option<i64>)>) {
        match v {
            Value::Object(m) => {
                if let Some(n) = m.get("containerPort").and_then(Value::as_i64).or_else(|| {
                    m.get("port")
                        .and_then(Value::as_i64)
                        .filter(|_| m.contains_key("name") || m.contains_key("targetPort"))
                }) {
                    out.push((
                        m.get("name").and_then(Value::as_str).map(str::to_string),
                        n,
                        m.get("targetPort").and_then(Value::as_i64),
                    ));
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for p in &svc.patches {
        walk(&p.body, &mut out);
    }
    out
}

/// What a `kustomization.yaml` in a manifest's own directory, listing it under `resources`,
/// does to its objects' names and namespace (`namePrefix: kustomize-` makes `guestbook-ui`
/// the `kustomize-guestbook-ui` that runs).
struct Kustomized {
    prefix: String,
    suffix: String,
    namespace: Option<String>,
}

impl Kustomized {
    fn of(root: &Path, rel: &Path) -> Option<Self> {
        let dir = rel.parent()?;
        let file = rel.file_name()?.to_string_lossy().into_owned();
        let text = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .find_map(|n| {
                crate::read::bounded(
                    &root.join(dir).join(n),
                    Some(root),
                    super::walk::MAX_FILE_BYTES,
                )
                .ok()
            })?;
        let k: Value = serde_saphyr::from_str(&text).ok()?;
        let listed = k["resources"].as_array()?.iter().any(|r| {
            r.as_str()
                .is_some_and(|r| r.trim_start_matches("./") == file)
        });
        let field = |f: &str| k[f].as_str().unwrap_or_default().to_string();
        listed.then(|| Kustomized {
            prefix: field("namePrefix"),
            suffix: field("nameSuffix"),
            namespace: k["namespace"].as_str().map(str::to_string),
        })
    }
}

/// Whether a file is a Kubernetes manifest maestroc reads as one (and never as code).
pub fn is_manifest(rel: &Path, text: &str) -> bool {
    rel.extension().is_some_and(|e| e == "yaml" || e == "yml")
        && text.contains("kind:")
        && text.contains("apiVersion:")
}

pub fn check<'a>(k: &Knowledge<'a>, rel: &Path, text: &str) -> Vec<ManifestDrift<'a>> {
    if !is_manifest(rel, text) || text.starts_with(HEADER) {
        return Vec::new();
    }
    // A Helm template is read with its actions blanked (same length: spans hold); what an
    // action computes is never compared. Other text that is not YAML is skipped quietly.
    let chart = helm::chart_of(rel).filter(|_| text.contains("{{"));
    let mut blanked: String;
    let (text, conditions, from_values, options) = if chart.is_some() {
        blanked = helm::blank_actions(text);
        let from_values = helm::port_values(&k.root, rel, text, &mut blanked);
        (
            blanked.as_str(),
            helm::conditions(text),
            from_values,
            helm::options(),
        )
    } else {
        (
            text,
            Vec::new(),
            Vec::new(),
            serde_saphyr::Options::default(),
        )
    };
    let Ok(docs) = serde_saphyr::from_str_multiple_with_options::<Value, Vec<Value>>(text, options)
    else {
        return Vec::new();
    };
    let p = k.platform;
    let kustomized = Kustomized::of(&k.root, rel);
    let mut out = Vec::new();
    let ranges = document_ranges(text);
    let aligned = ranges.len() == docs.len();
    for (d, doc) in docs.into_iter().enumerate() {
        let within = if aligned {
            ranges[d].clone()
        } else {
            0..text.len()
        };
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        let Some(name) = doc["metadata"]["name"].as_str() else {
            continue;
        };
        // A kustomization beside the file that lists it renames what it deploys.
        let name = match &kustomized {
            Some(kz) => format!("{}{name}{}", kz.prefix, kz.suffix),
            None => name.to_string(),
        };
        // The service named like the object; else an object of that kind and name the spec
        // ships as `extra` (a Service named unlike its workload, a second Service).
        let (svc, shipped) = match &chart {
            Some(chart) if helm::is_computed(&name) => {
                (helm::service_of_chart(p, rel, chart), None)
            }
            _ => match p
                .services
                .iter()
                .find(|s| s.name.value == name && !s.is_external())
            {
                Some(s) => (Some(s), None),
                None => match shipped_object(p, &kind, &name) {
                    Some((s, o)) => (Some(s), Some(o)),
                    None => (None, None),
                },
            },
        };
        let Some(svc) = svc else {
            continue;
        };
        let object = if shipped.is_some() {
            name.clone()
        } else {
            svc.name.value.clone()
        };
        // A computed namespace (`{{ .Release.Namespace }}`) is wherever the chart is installed.
        let ns = kustomized
            .as_ref()
            .and_then(|kz| kz.namespace.as_deref())
            .or_else(|| doc["metadata"]["namespace"].as_str())
            .filter(|n| !helm::is_computed(n));
        let expected_ns = shipped
            .and_then(|o| o["metadata"]["namespace"].as_str())
            .unwrap_or_else(|| svc.namespace(p));
        if ns.is_some_and(|ns| ns != expected_ns) {
            continue;
        }
        let claims = ns.is_some();
        // Ports the spec declares through a `patch` (a sidecar's, a second Service port) are
        // declared too: (name, number) of container and Service ports in the patch bodies.
        let patched = patched_ports(svc);
        let in_patch = |name: Option<&str>, n: i64, target: Option<i64>| {
            patched.iter().any(|(pn, pnum, ptarget)| {
                *pnum == n
                    && (name.is_none() || pn.as_deref() == name)
                    && (target.is_none() || ptarget.is_none() || *ptarget == target)
            })
        };
        let container_ports: Vec<i64> = svc
            .ports
            .iter()
            .map(|x| i64::from(x.number.value.get()))
            .collect();
        let expected_ports = || {
            svc.ports
                .iter()
                .map(|x| x.number.value.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let content_start = within.start
            + text[within.clone()]
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(0);
        let mut push = |field: &'static str, value: i64, expected: Expected| {
            let span = locate(text, within.clone(), field, value);
            out.push(ManifestDrift {
                svc,
                kind: kind.clone(),
                object: object.clone(),
                field,
                value,
                expected,
                from_values: from_values
                    .iter()
                    .find(|v| {
                        v.at.contains(&span.start)
                            || (span.start < v.at.start && v.at.start < span.end)
                    })
                    .map(|v| {
                        (
                            v.file.clone(),
                            v.text.clone(),
                            v.span.clone(),
                            v.path.clone(),
                        )
                    }),
                span: span.clone(),
                claims,
                // A line inside a condition the object itself does not need renders only when
                // the condition holds: no evidence of what runs.
                conditional: conditions.iter().any(|c| {
                    c.opened >= content_start
                        && c.opened < within.end
                        && c.body.contains(&span.start)
                }),
            });
        };
        let declared = || {
            svc.ports
                .iter()
                .map(|x| format!("{} {}", x.name.value, x.number.value))
                .collect::<Vec<_>>()
                .join(", ")
        };
        // A port the manifest names: compared with the spec's port of that name, or reported
        // as undeclared when the spec has none of that name.
        let named = |port: &Value| -> Option<Result<&crate::model::Port, String>> {
            let n = port["name"].as_str()?;
            Some(
                svc.ports
                    .iter()
                    .find(|x| x.name.value == n)
                    .ok_or_else(|| n.to_string()),
            )
        };
        if let Some(shipped) = shipped {
            for (field, n, expected) in shipped_drift(&kind, &doc, shipped) {
                push(field, n, Expected::Ports(expected));
            }
            continue;
        }
        match kind.as_str() {
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job"
            | "Pod" => {
                let pod = if kind == "Pod" {
                    &doc["spec"]
                } else {
                    &doc["spec"]["template"]["spec"]
                };
                for c in pod["containers"].as_array().into_iter().flatten() {
                    for port in c["ports"].as_array().into_iter().flatten() {
                        let Some(n) = as_i64(&port["containerPort"]) else {
                            continue;
                        };
                        if in_patch(port["name"].as_str(), n, None) {
                            continue;
                        }
                        match named(port) {
                            Some(Ok(x)) if i64::from(x.number.value.get()) != n => push(
                                "containerPort",
                                n,
                                Expected::Ports(x.number.value.to_string()),
                            ),
                            Some(Ok(_)) => {}
                            Some(Err(name)) => match svc
                                .ports
                                .iter()
                                .find(|x| i64::from(x.number.value.get()) == n)
                            {
                                Some(x) => push(
                                    "containerPort",
                                    n,
                                    Expected::NameOnly {
                                        name,
                                        spec_name: x.name.value.clone(),
                                    },
                                ),
                                None => push(
                                    "containerPort",
                                    n,
                                    Expected::Undeclared {
                                        name,
                                        declared: declared(),
                                    },
                                ),
                            },
                            None if !container_ports.contains(&n) => {
                                push("containerPort", n, Expected::Ports(expected_ports()))
                            }
                            None => {}
                        }
                    }
                }
            }
            "Service" => {
                for port in doc["spec"]["ports"].as_array().into_iter().flatten() {
                    if let Some(n) = as_i64(&port["port"])
                        && in_patch(port["name"].as_str(), n, as_i64(&port["targetPort"]))
                    {
                        continue;
                    }
                    match (named(port), as_i64(&port["port"])) {
                        (Some(Err(name)), Some(n)) => {
                            // Same number (exposed, and the target where it is a number):
                            // only the name differs.
                            let same = svc.ports.iter().find(|x| {
                                i64::from(x.exposed().get()) == n
                                    && as_i64(&port["targetPort"])
                                        .is_none_or(|t| t == i64::from(x.number.value.get()))
                            });
                            let expected = match same {
                                Some(x) => Expected::NameOnly {
                                    name,
                                    spec_name: x.name.value.clone(),
                                },
                                None => Expected::Undeclared {
                                    name,
                                    declared: declared(),
                                },
                            };
                            push("port", n, expected);
                            continue;
                        }
                        (Some(Ok(x)), Some(n)) => {
                            if i64::from(x.exposed().get()) != n {
                                push("port", n, Expected::Ports(x.exposed().to_string()));
                            }
                            if let Some(t) = as_i64(&port["targetPort"])
                                && i64::from(x.number.value.get()) != t
                            {
                                push("targetPort", t, Expected::Ports(x.number.value.to_string()));
                            }
                            continue;
                        }
                        _ => {}
                    }
                    if let Some(n) = as_i64(&port["port"]) {
                        let exposed: Vec<i64> = svc
                            .ports
                            .iter()
                            .map(|x| i64::from(x.exposed().get()))
                            .collect();
                        if !exposed.contains(&n) {
                            let e = exposed
                                .iter()
                                .map(i64::to_string)
                                .collect::<Vec<_>>()
                                .join(", ");
                            push("port", n, Expected::Ports(e));
                        }
                    }
                    if let Some(n) = as_i64(&port["targetPort"])
                        && !container_ports.contains(&n)
                    {
                        push("targetPort", n, Expected::Ports(expected_ports()));
                    }
                    if let Some(n) = as_i64(&port["nodePort"]) {
                        let nps: Vec<i64> = svc
                            .ports
                            .iter()
                            .filter_map(|x| x.node_port.as_ref().map(|np| i64::from(np.value)))
                            .collect();
                        if !nps.contains(&n) {
                            let e = if nps.is_empty() {
                                "no NodePort".to_string()
                            } else {
                                nps.iter()
                                    .map(i64::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            };
                            push("nodePort", n, Expected::Ports(e));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The object of this kind and name a spec service ships as `extra`, with that service.
fn shipped_object<'a>(
    p: &'a crate::model::Platform,
    kind: &str,
    name: &str,
) -> Option<(&'a Service, &'a Value)> {
    p.services.iter().find_map(|s| {
        s.extras
            .iter()
            .flat_map(|e| &e.objects)
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .map(|o| (s, o))
    })
}

/// The ports of a manifest's object that the spec's `extra` object of the same kind and name
/// says differently: (field, the manifest's number, what the spec says). A named Service port
/// is compared with the spec's port of that name, an unnamed one with all of them; a
/// container port with every container port of the shipped pod.
fn shipped_drift(kind: &str, doc: &Value, shipped: &Value) -> Vec<(&'static str, i64, String)> {
    let list = |v: &Value| -> Vec<Value> { v.as_array().cloned().unwrap_or_default() };
    let say = |ns: &[i64]| {
        if ns.is_empty() {
            "none".to_string()
        } else {
            ns.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        }
    };
    let mut out = Vec::new();
    if kind == "Service" {
        let (mine, theirs) = (list(&doc["spec"]["ports"]), list(&shipped["spec"]["ports"]));
        // A Service port's target is its `port` when it names none.
        let field_of = |p: &Value, field: &str| match field {
            "targetPort" if p["targetPort"].is_null() => as_i64(&p["port"]),
            _ => as_i64(&p[field]),
        };
        for port in &mine {
            let counterpart: Vec<&Value> = match port["name"].as_str() {
                Some(n) => theirs.iter().filter(|t| t["name"] == n).collect(),
                None => theirs.iter().collect(),
            };
            for field in ["port", "targetPort", "nodePort"] {
                let Some(n) = field_of(port, field) else {
                    continue;
                };
                // A named targetPort says nothing about numbers; an unset nodePort on the
                // spec's side is the cluster's choice.
                if field == "targetPort" && port["targetPort"].is_string() {
                    continue;
                }
                let expected: Vec<i64> = counterpart
                    .iter()
                    .filter_map(|t| field_of(t, field))
                    .collect();
                if field == "nodePort" && expected.is_empty() {
                    continue;
                }
                if !expected.contains(&n) {
                    out.push((field, n, say(&expected)));
                }
            }
        }
        return out;
    }
    let ports = |d: &Value| -> Vec<i64> {
        let Some(template) = crate::verify::admission::template_value(d) else {
            return Vec::new();
        };
        let pod = &template["spec"];
        ["initContainers", "containers"]
            .iter()
            .flat_map(|k| list(&pod[*k]))
            .flat_map(|c| list(&c["ports"]))
            .filter_map(|p| as_i64(&p["containerPort"]))
            .collect()
    };
    let theirs = ports(shipped);
    for n in ports(doc) {
        if !theirs.contains(&n) {
            out.push(("containerPort", n, say(&theirs)));
        }
    }
    out
}

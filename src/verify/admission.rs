//! MC501: every final pod against the Pod Security level its namespace accepts, and the
//! namespace labels computed from the pods themselves.
//!
//! The level a namespace accepts is its `pod-security` declaration (its own, else the
//! platform's); without one, a service's `allow`s are its consent — `allow "root"` accepts
//! baseline for that service's pods. A pod below what is accepted is an error at the span that
//! lowered it: the `allow`, the patch line, the annotation, the `extra` file. The namespace's
//! `enforce` label is the lowest level its final pods meet, so the label never refuses a pod
//! maestroc emitted, whatever escape hatch produced it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use miette::SourceSpan;

use super::api_rules::{self, Refusal};
use super::pod_security::{self, Violation};
use crate::diagnostic::Finding;
use crate::model::{Extra, PodSecurityLevel, Privilege, Service};
use crate::target::Target;

/// Where a final pod came from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// maestroc's workload of this kind, after the service's patches of the kind.
    Workload(&'static str),
    /// A pod template in a hand-written `extra` file.
    Extra(&'a Extra),
}

/// A pod as it will reach the API server, judged.
#[derive(Debug, Clone)]
pub struct FinalPod<'a> {
    pub service: &'a Service,
    pub namespace: String,
    pub source: Source<'a>,
    /// What the pod maestroc built fails before patches (what `allow`s and annotations gave).
    pub native: Vec<Violation>,
    /// What the final pod fails.
    pub violations: Vec<Violation>,
    /// What the API server's validation refuses in the final workload (MC502).
    pub refusals: Vec<Refusal>,
}

impl<'a> FinalPod<'a> {
    /// maestroc's workload pod as emitted, and as built before the kind's patches when a
    /// patch changed it.
    pub fn workload(
        service: &'a Service,
        namespace: &str,
        kind: &'static str,
        workload: api_rules::Workload<'_>,
        last: &PodTemplateSpec,
        before_patches: Option<&PodTemplateSpec>,
    ) -> Self {
        let violations = judge_template(last);
        FinalPod {
            service,
            namespace: namespace.to_string(),
            source: Source::Workload(kind),
            native: before_patches.map_or_else(|| violations.clone(), judge_template),
            violations,
            refusals: api_rules::refusals(workload, last),
        }
    }

    /// A pod template of an `extra` file (with its workload's selector).
    pub fn extra(
        service: &'a Service,
        namespace: &str,
        extra: &'a Extra,
        obj: &serde_json::Value,
    ) -> Option<Self> {
        let template = template_of(obj)?;
        let selector: Option<LabelSelector> = obj
            .pointer("/spec/selector")
            .filter(|_| obj["kind"] != "Job" && obj["kind"] != "CronJob")
            .and_then(|s| serde_json::from_value(s.clone()).ok());
        let claims = obj
            .pointer("/spec/volumeClaimTemplates")
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
            .filter_map(|c| c.pointer("/metadata/name")?.as_str())
            .collect();
        let workload = api_rules::Workload {
            selector: selector.as_ref(),
            claims,
            kind: obj["kind"].as_str().unwrap_or_default(),
            name: obj.pointer("/metadata/name").and_then(|n| n.as_str()),
        };
        let violations = judge_template(&template);
        Some(FinalPod {
            service,
            namespace: namespace.to_string(),
            source: Source::Extra(extra),
            native: violations.clone(),
            violations,
            refusals: api_rules::refusals(workload, &template),
        })
    }
}

/// The violations of a pod template.
pub fn judge_template(t: &PodTemplateSpec) -> Vec<Violation> {
    let annotations = t.metadata.as_ref().and_then(|m| m.annotations.as_ref());
    t.spec
        .as_ref()
        .map(|s| pod_security::evaluate(annotations, s))
        .unwrap_or_default()
}

/// The pod template of a workload object of any kind, as JSON (an `extra` object).
pub fn template_of(obj: &serde_json::Value) -> Option<PodTemplateSpec> {
    if obj.get("kind")?.as_str()? == "Pod" {
        let t = serde_json::json!({"metadata": obj.get("metadata"), "spec": obj.get("spec")});
        return serde_json::from_value(t).ok();
    }
    serde_json::from_value(template_value(obj)?.clone()).ok()
}

/// The pod template an object of any workload kind holds, as data; a Pod, whose `metadata`
/// and `spec` are a template's, stands for itself.
pub fn template_value(obj: &serde_json::Value) -> Option<&serde_json::Value> {
    match obj.get("kind")?.as_str()? {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => obj.pointer("/spec/template"),
        "CronJob" => obj.pointer("/spec/jobTemplate/spec/template"),
        "PodTemplate" => obj.get("template"),
        "Pod" => Some(obj),
        _ => None,
    }
}

/// The namespace labels and the findings of one environment.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Each owned namespace that runs a pod → the lowest level its final pods meet.
    pub levels: BTreeMap<String, PodSecurityLevel>,
    pub findings: Vec<Finding>,
}

/// Judges every final pod of an environment.
pub fn judge(t: &Target<'_>, pods: &[FinalPod<'_>]) -> Verdict {
    let p = t.platform;
    let mut verdict = Verdict::default();
    for pod in pods {
        let met = pod_security::level(&pod.violations);
        if p.owns_namespace(&pod.namespace) {
            verdict
                .levels
                .entry(pod.namespace.clone())
                .and_modify(|l| *l = (*l).min(met))
                .or_insert(met);
        }
        let declared = p.pod_security_floor(&pod.namespace);
        let accepted = match (declared, pod.source) {
            (Some(d), _) => d.level.value,
            (None, Source::Workload(_)) => pod.service.pod_security_level(p),
            // Nothing in an `extra` file can consent for itself.
            (None, Source::Extra(_)) => PodSecurityLevel::Restricted,
        };
        for v in pod.violations.iter().filter(|v| v.meets < accepted) {
            verdict
                .findings
                .push(finding(t, pod, v, accepted, declared.is_some()));
        }
        for r in &pod.refusals {
            verdict.findings.push(refused(t, pod, r));
        }
    }
    verdict
}

/// MC502 for one refusal, at the patch line that set the field when a patch did, else at
/// the `extra` file or the service.
fn refused(t: &Target<'_>, pod: &FinalPod<'_>, r: &Refusal) -> Finding {
    let svc = pod.service;
    let (span, by) = match pod.source {
        Source::Extra(e) => (e.path.span, "in this file"),
        // The workload's own name is the service's.
        Source::Workload(_) if r.field.starts_with("metadata.name") => {
            (svc.name.span, "the workload is named after this service")
        }
        Source::Workload(kind) => {
            let path = format!("{}{}", template_prefix(kind), field_path(&r.field));
            t.patches(svc)
                .into_iter()
                .find(|p| p.kind.value == kind)
                .map_or((svc.name.span, "this service's workload"), |p| {
                    (p.span_of(&path), "after this patch")
                })
        }
    };
    let whose = match pod.source {
        Source::Workload(kind) => format!("the {kind} of `{}`", svc.name.value),
        Source::Extra(e) => format!("a workload in `{}`", e.path.value),
    };
    Finding::new(
        "MC502",
        format!(
            "the API server would refuse {whose}: `{}` {}",
            r.field, r.why
        ),
    )
    .at(span, by)
    .help(
        if r.field.starts_with("metadata.name") && matches!(pod.source, Source::Workload(_)) {
            "shorten the service's name; schema validation does not catch this"
        } else {
            "change the patch or file so the object is valid; schema validation does not catch this"
        },
    )
}

fn template_prefix(kind: &str) -> &'static str {
    if kind == "CronJob" {
        "spec/jobTemplate/spec/template/"
    } else {
        "spec/template/"
    }
}

fn finding(
    t: &Target<'_>,
    pod: &FinalPod<'_>,
    v: &Violation,
    accepted: PodSecurityLevel,
    declared: bool,
) -> Finding {
    let svc = pod.service;
    let broken = match v.meets {
        PodSecurityLevel::Privileged => "baseline",
        _ => "restricted",
    };
    let (span, by) = span_of(t, pod, v);
    let whose = match pod.source {
        Source::Workload(kind) => format!("the {kind} of `{}`", svc.name.value),
        Source::Extra(e) => format!("a pod in `{}`", e.path.value),
    };
    let consent = if declared {
        format!(
            "namespace `{}` accepts `{}` (its `pod-security` declaration)",
            pod.namespace,
            accepted.as_str()
        )
    } else {
        format!(
            "namespace `{}` accepts `{}` for it (no `pod-security` declaration lowers it)",
            pod.namespace,
            accepted.as_str()
        )
    };
    Finding::new(
        "MC501",
        format!(
            "{whose} fails Pod Security {broken} control \"{}\": `{}` (allowed: {}); {consent}",
            v.control, v.field, v.allowed
        ),
    )
    .at(span, by)
    .help(format!(
        "remove what sets `{}`, or accept the level for the namespace on purpose: \
         `pod-security \"{}\" namespace=\"{}\"` in the platform block",
        v.field,
        v.meets.as_str(),
        pod.namespace
    ))
}

/// The span that lowered the pod: a patch of the kind when the native pod did not fail the
/// control, else the `allow` or annotation that gives the privilege, else the service.
pub(super) fn span_of(
    t: &Target<'_>,
    pod: &FinalPod<'_>,
    v: &Violation,
) -> (SourceSpan, &'static str) {
    let svc = pod.service;
    let kind = match pod.source {
        Source::Extra(e) => return (e.path.span, "this file's pod"),
        Source::Workload(kind) => kind,
    };
    let native = pod
        .native
        .iter()
        .any(|n| n.control == v.control && n.field == v.field);
    if !native {
        let path = format!("{}{}", template_prefix(kind), field_path(&v.field));
        if let Some(p) = t
            .patches(svc)
            .into_iter()
            .filter(|p| p.kind.value == kind)
            .max_by_key(|p| {
                let s = p.span_of(&path);
                // The deepest match wins: a node's span is inside its patch's span.
                (s != p.span, usize::MAX - s.len())
            })
        {
            return (p.span_of(&path), "this patch sets it");
        }
    }
    let privilege = match v.control {
        "Running as Non-root" | "Running as Non-root user" => Some(Privilege::Root),
        "Privilege Escalation" => Some(Privilege::PrivilegeEscalation),
        "Capabilities" => Some(Privilege::Capabilities),
        "HostPath Volumes" | "Volume Types" => Some(Privilege::HostPath),
        _ => None,
    };
    if let Some(a) = privilege.and_then(|pr| svc.allowed(pr)) {
        return (a.privilege.span, "this `allow` gives it");
    }
    if let Some((k, _)) = svc.pod.annotations.iter().find(|(k, _)| {
        k.value
            .starts_with("container.apparmor.security.beta.kubernetes.io/")
    }) && v.control == "AppArmor"
    {
        return (k.span, "this annotation sets it");
    }
    if v.control.starts_with("Running as Non-root")
        && let Some(u) = &svc.identity.run_as_user
    {
        return (u.span, "this user is root");
    }
    (svc.name.span, "this service's pod")
}

/// `spec.containers[app].securityContext.privileged` → `spec/containers/securityContext/privileged`.
fn field_path(field: &str) -> String {
    let field = field.split(" of ").next().unwrap_or(field);
    let mut out = String::new();
    let mut depth = 0;
    for c in field.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => out.push('/'),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field_path;

    #[test]
    fn fields_become_patch_paths() {
        assert_eq!(
            field_path("spec.containers[app].securityContext.privileged"),
            "spec/containers/securityContext/privileged"
        );
        assert_eq!(
            field_path("metadata.annotations['a.b/c'] of container app"),
            "metadata/annotations"
        );
    }
}

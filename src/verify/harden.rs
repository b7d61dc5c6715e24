//! What maestroc would tighten, service by service: every Pod Security control a final pod
//! (after patches, `extra` files, annotations) fails below `restricted`, with the spec line
//! that sets it — the `allow`, the patch node, the `extra` file, the root user. Computed from
//! the same final pods admission judges, so the report cannot disagree with what `build`
//! labels the namespace. A report, never a change: adoption keeps what runs (`import` writes
//! departures as they are), and tightening is the user's explicit step.

use miette::SourceSpan;

use super::admission::{self, FinalPod};
use crate::model::PodSecurityLevel;
use crate::target::Target;

/// One control a service's pod fails below `restricted`, and where the spec says so.
#[derive(Debug, Clone)]
pub struct Tightening {
    pub service: String,
    pub control: &'static str,
    /// The level the pod still meets because of this control alone.
    pub meets: PodSecurityLevel,
    pub field: String,
    pub allowed: &'static str,
    pub span: SourceSpan,
    /// What at `span` sets it ("this `allow` gives it", "this patch sets it").
    pub by: &'static str,
}

/// Every control below `restricted` that a final pod fails, in the pods' order.
pub fn report(t: &Target<'_>, pods: &[FinalPod<'_>]) -> Vec<Tightening> {
    let mut out: Vec<Tightening> = Vec::new();
    for pod in pods {
        for v in pod
            .violations
            .iter()
            .filter(|v| v.meets < PodSecurityLevel::Restricted)
        {
            let (span, by) = admission::span_of(t, pod, v);
            let item = Tightening {
                service: pod.service.name.value.clone(),
                control: v.control,
                meets: v.meets,
                field: v.field.clone(),
                allowed: v.allowed,
                span,
                by,
            };
            // One pod template per workload: an `extra` file's pods may repeat a control.
            if !out.iter().any(|o| {
                o.service == item.service && o.control == item.control && o.field == item.field
            }) {
                out.push(item);
            }
        }
    }
    out
}

/// The services the report names, each once, in the report's order.
pub fn services(items: &[Tightening]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i.service.as_str()) {
            out.push(&i.service);
        }
    }
    out
}

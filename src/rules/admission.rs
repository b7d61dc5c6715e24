//! MC5xx: admission — objects the API server or its admission controllers would refuse.

use super::Rule;
use crate::diagnostic::Severity::Error;

pub(super) static RULES: &[Rule] = &[
    Rule {
        code: "MC501",
        name: "pod-security-below-accepted",
        severity: Error,
        summary: "a final pod fails a Pod Security control the namespace's accepted level requires",
        explanation: "What it does: evaluates every pod maestroc emits — after `patch`, `extra` \
files, annotations and each environment — against every control of the Pod Security Standards \
(baseline and restricted, Kubernetes 1.33), and compares the level it meets with the level its \
namespace accepts: the `pod-security` declaration for the namespace (else the platform's), or, \
without one, what the service's `allow`s consent to (nothing, for a pod in an `extra` file). \
The namespace's `enforce` label is always the lowest level its final pods meet.\n\
Why it matters: a privilege that arrives through a patch or a hand-written file is invisible in \
review; either the namespace label refuses the pod at apply time, or the label is lowered and \
every pod of the namespace loses the protection unnoticed.\n\
Example: `patch \"Deployment\" { spec { template { spec { hostNetwork #true } } } }` in a \
namespace with no declaration.\n\
Fix: remove the privilege, give it with `allow \"…\" reason=\"…\"` where the vocabulary has one, \
or accept the level on purpose: `pod-security \"baseline\" namespace=\"data\"`.",
    },
    Rule {
        code: "MC502",
        name: "refused-by-api-server",
        severity: Error,
        summary: "an emitted object the API server's validation refuses although its schema accepts it",
        explanation: "What it does: runs the API server's own rules that schema validators \
(`kubernetes-validate`, `kubectl --dry-run=client`) skip over every final workload — after \
`patch` and in `extra` files: a request above its limit for the same resource, a selector the \
template's labels do not match, a probe with no handler or two, duplicate container, port or \
volume names, a volume mount naming no volume of the pod, a mount path used twice.\n\
Why it matters: the output validates, CI is green, and `kubectl apply` fails in front of the \
cluster — or, for one object of many, half a release is applied.\n\
Example: `patch \"Deployment\" { spec { template { spec { containers { - { name \"api\"; \
volumeMounts { - { name \"cache\"; mountPath \"/c\"; }; }; }; }; }; }; }; }` with no volume \
`cache`.\n\
Fix: make the patch or the file say a valid object (declare the volume; keep the request at or \
below the limit).",
    },
    Rule {
        code: "MC503",
        name: "network-policy-widened",
        severity: Error,
        summary: "a `patch` makes a service's NetworkPolicy admit traffic the dependency graph does not",
        explanation: "What it does: compares each service's final NetworkPolicy — after its \
`patch \"NetworkPolicy\"` — with the one maestroc derived from `depends-on`, `expose` and the \
platform's `egress`, and flags an ingress or egress rule the derived policy lacks, or a policy \
type the patch drops (a policy without `Egress` no longer restricts egress), unless the patch \
says why with `reason=`.\n\
Why it matters: maestroc promises that only a service's dependents reach it; a patch is an \
escape hatch, and a widened policy in one is invisible in review.\n\
Example: `patch \"NetworkPolicy\" { spec { ingress { - { } } } }`, which admits every pod.\n\
Fix: say the traffic in the spec (`depends-on`, `expose`), or keep the patch and give \
`reason=\"…\"` — import writes `reason=\"as imported\"` for a policy it adopts.",
    },
];

/// What a patched NetworkPolicy admits that the built one does not, in words; None when it
/// admits nothing more. Rules are compared whole, as data: a rule the built policy lacks is
/// new traffic, whatever its peers.
pub fn widened_policy(built: &serde_json::Value, patched: &serde_json::Value) -> Option<String> {
    let list = |v: &serde_json::Value, field: &str| -> Vec<serde_json::Value> {
        v["spec"][field].as_array().cloned().unwrap_or_default()
    };
    let mut said = Vec::new();
    for ty in ["Ingress", "Egress"] {
        let has = |v: &serde_json::Value| list(v, "policyTypes").iter().any(|t| t == ty);
        if has(built) && !has(patched) {
            said.push(format!("drops the `{ty}` policy type"));
        }
    }
    for field in ["ingress", "egress"] {
        let before = list(built, field);
        let added = list(patched, field)
            .into_iter()
            .filter(|r| !before.contains(r))
            .count();
        if added > 0 {
            said.push(format!("adds {added} {field} rule(s)"));
        }
    }
    (!said.is_empty()).then(|| said.join(", "))
}

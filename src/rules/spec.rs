//! MC0xx: the spec itself — syntax, vocabulary, types, names, references, the dependency graph,
//! and the I/O needed to read it and write outputs.

use super::Rule;
use crate::diagnostic::Severity::Error;

pub(super) static RULES: &[Rule] = &[
    Rule {
        code: "MC001",
        name: "kdl-syntax-error",
        severity: Error,
        summary: "platform.kdl is not valid KDL 2.0",
        explanation: "What it does: reports text the KDL 2.0 parser cannot read.\n\
Why it matters: nothing can be compiled from a document that does not parse.\n\
Example: `port grpc 50055 scheme=` (a property with no value).\n\
Fix: correct the syntax at the labelled span; KDL 2.0 writes booleans as #true/#false and \
quotes strings that contain spaces.",
    },
    Rule {
        code: "MC002",
        name: "unknown-node",
        severity: Error,
        summary: "a node name maestroc does not know at this level",
        explanation: "What it does: flags a node that is not part of the spec language where it \
appears, with the closest known name.\n\
Why it matters: a misspelt `depend-on` would otherwise be silently ignored and the dependency \
would never be wired.\n\
Example: `service \"api\" { imgae \"api:1.0\" }`.\n\
Fix: use the suggested name, or remove the node.",
    },
    Rule {
        code: "MC003",
        name: "unknown-property",
        severity: Error,
        summary: "a property the node does not take",
        explanation: "What it does: flags `key=value` properties a node does not accept, with the \
closest known one.\n\
Why it matters: `port http 8080 nodeport=30580` would otherwise expose nothing.\n\
Example: `port http 8080 nodeport=30580`.\n\
Fix: `port http 8080 node-port=30580`.",
    },
    Rule {
        code: "MC004",
        name: "wrong-type",
        severity: Error,
        summary: "a value of the wrong type or shape",
        explanation: "What it does: flags values of the wrong type (a string where a number \
belongs), missing or extra arguments, and values outside what the field allows (a workload \
kind, a resource quantity, a pull policy).\n\
Why it matters: Kubernetes would reject the manifest at apply time, far from the line that \
caused it.\n\
Example: `replicas \"3\"` or `workload \"daemon\"`.\n\
Fix: write the value the help text names: `replicas 3`, `workload \"deployment\"`.",
    },
    Rule {
        code: "MC005",
        name: "missing-required",
        severity: Error,
        summary: "a required node or value is missing (an image, a port number)",
        explanation: "What it does: flags a service deployed by maestroc without an `image`, and \
other nodes missing a value they cannot do without.\n\
Why it matters: a Deployment without an image is rejected by the API server.\n\
Example: `service \"api\" { port http 8000 }`.\n\
Fix: add `image \"registry/api:1.2.3\"`, or `external host=…` if it is not deployed here.",
    },
    Rule {
        code: "MC006",
        name: "duplicate-name",
        severity: Error,
        summary: "two things share a name that must be unique",
        explanation: "What it does: flags two services, secrets, environments, env vars, volumes or \
ConfigMap keys with the same name; both places are labelled.\n\
Why it matters: one silently overwrites the other in the generated manifests.\n\
Example: two `service \"redis\"` blocks, or a service `neo4j-bolt` whose `NEO4J_BOLT_PORT` \
key collides with the `bolt` port of `neo4j`.\n\
Fix: rename one of them (or set `config-prefix` to move a service's keys).",
    },
    Rule {
        code: "MC007",
        name: "unknown-reference",
        severity: Error,
        summary: "a reference to a service, secret, key or port that does not exist",
        explanation: "What it does: checks `depends-on`, `env … secret= key=`, `env … ref=`, \
`health … port=` and environment overrides against what the spec declares, with the closest \
declared name.\n\
Why it matters: a dangling reference becomes a pod stuck in CreateContainerConfigError.\n\
Example: `depends-on postgress`.\n\
Fix: use the declared name (`depends-on postgres`) or declare the missing item.",
    },
    Rule {
        code: "MC008",
        name: "dependency-cycle",
        severity: Error,
        summary: "services depend on each other in a cycle",
        explanation: "What it does: finds cycles in `depends-on` and prints the whole cycle, \
`a → b → c → a`, with a label on each edge.\n\
Why it matters: there is no order in which to apply the manifests, and each service waits for \
the other to start.\n\
Example: `api` depends on `worker` and `worker` depends on `api`.\n\
Fix: remove the edge that is not a real start-up dependency.",
    },
    Rule {
        code: "MC009",
        name: "invalid-name",
        severity: Error,
        summary: "a name Kubernetes would reject",
        explanation: "What it does: checks service, namespace, secret, volume and environment \
names as DNS-1035 labels (lowercase letters, digits and `-`, starting with a letter, at most \
63 characters), port names as IANA service names (at most 15 characters) and env var names as \
C identifiers.\n\
Why it matters: the API server rejects the object at apply time.\n\
Example: `service \"Feature_Store\"`.\n\
Fix: `service \"feature-store\"`.",
    },
    Rule {
        code: "MC010",
        name: "self-dependency",
        severity: Error,
        summary: "a service lists itself in depends-on",
        explanation: "What it does: flags `depends-on` naming the service it is written in.\n\
Why it matters: it is always a mistake, usually a copy-paste of another block.\n\
Example: `service \"api\" { depends-on api postgres }`.\n\
Fix: remove the service's own name.",
    },
    Rule {
        code: "MC011",
        name: "dependency-chain-too-deep",
        severity: Error,
        summary: "a dependency chain is deeper than the file numbering allows",
        explanation: "What it does: flags a chain of more than 89 services each depending on the \
next.\n\
Why it matters: manifests are numbered 10 + depth in two digits so that `kubectl apply -f` \
applies them in order; a deeper chain cannot be numbered.\n\
Example: s0 depends on s1, which depends on s2, … up to s90.\n\
Fix: flatten the chain: most of those edges are not start-up dependencies.",
    },
    Rule {
        code: "MC012",
        name: "disabled-dependency",
        severity: Error,
        summary: "an enabled service depends on a service disabled in an environment",
        explanation: "What it does: flags a service that stays enabled in an environment while a \
service it depends on is `enabled=#false` there.\n\
Why it matters: its configMapKeyRef to the dependency's keys would point at nothing, and the \
pod would never start.\n\
Example: `environment \"dev\" { service \"postgres\" enabled=#false }` while `mlflow` depends \
on postgres.\n\
Fix: disable the dependent too, or keep the dependency.",
    },
    Rule {
        code: "MC013",
        name: "privilege-not-allowed",
        severity: Error,
        summary: "a node that needs a privilege the service was not given with `allow`",
        explanation: "What it does: flags a `host-path=` volume in a service without \
`allow \"host-path\"`.\n\
Why it matters: a hostPath mount reads or writes the node's own files; no Pod Security level \
but \"privileged\" admits it, so it must be a visible, reasoned decision.\n\
Example: `volume pods \"/var/log/pods\" host-path=\"/var/log/pods\" read-only=#true` alone.\n\
Fix: add `allow \"host-path\" reason=\"reads every pod's logs\"`, or use another volume kind.",
    },
    Rule {
        code: "MC014",
        name: "invalid-patch",
        severity: Error,
        summary: "a `patch` that leaves the object invalid or changes what identifies it",
        explanation: "What it does: merges each `patch` into the object maestroc built, \
deserialises the result into its Kubernetes type and flags a field the type does not have, a \
value of the wrong type, or a change to the object's name, namespace, kind or selector.\n\
Why it matters: `kubectl apply` drops unknown fields without a word, so a misspelt \
`resurces` ships a pod without limits; a changed selector cannot be applied over the live \
Deployment at all.\n\
Example: `patch \"Deployment\" { spec { template { spec { nodeSelecter { gpu \"true\" } } } } }`.\n\
Fix: spell the field as the API does (`kubectl explain deployment.spec.template.spec`), or use \
the spec's own node where there is one (`node-selector`, `selector`, `container-name`).",
    },
    Rule {
        code: "MC015",
        name: "autoscale-with-replicas",
        severity: Error,
        summary: "a service (or an environment) sets both `replicas` and `autoscale`",
        explanation: "What it does: flags `replicas` beside `autoscale`, in the service or in an \
environment's override of it.\n\
Why it matters: the HorizontalPodAutoscaler owns the replica count; a fixed `replicas` in the \
manifest resets it on every `kubectl apply` (the pods scale down, then back up), so maestroc \
writes no count for an autoscaled workload and refuses a spec that asks for one.\n\
Example: `replicas 3` and `autoscale min=3 max=20 cpu=70` in one service.\n\
Fix: keep `autoscale` and remove `replicas`; `min=` is the floor the count starts from.",
    },
    Rule {
        code: "MC090",
        name: "unreadable-input",
        severity: Error,
        summary: "the spec or a config file cannot be read",
        explanation: "What it does: reports a spec file that is missing, unreadable or not UTF-8.\n\
Why it matters: nothing can be checked.\n\
Example: `maestroc build --spec missing.kdl`.\n\
Fix: pass the right path with `--spec`, or fix the file's permissions.",
    },
    Rule {
        code: "MC091",
        name: "output-not-writable",
        severity: Error,
        summary: "outputs cannot be written, or a file in the way was not generated by maestroc",
        explanation: "What it does: reports an output directory that cannot be written, and a \
file at an output path that lacks the `DO NOT EDIT` header (maestroc never overwrites it).\n\
Why it matters: the build is refused whole rather than half-written.\n\
Example: `output/k8s/base/00-namespace.yaml` written by hand.\n\
Fix: make the directory writable, or move the hand-written file away.",
    },
    Rule {
        code: "MC092",
        name: "invalid-config",
        severity: Error,
        summary: "maestroc.toml has an unknown key, rule or level",
        explanation: "What it does: checks maestroc.toml next to the spec: unknown sections and keys, \
unknown rule codes or groups (with did-you-mean), levels other than off/info/warning/error, and \
attempts to configure rules that cannot be configured.\n\
Why it matters: a misspelt `MC4O1 = \"off\"` would otherwise silently do nothing.\n\
Example: `[rules] MC4O1 = \"off\"`.\n\
Fix: `[rules] MC401 = \"off\"`.",
    },
];
